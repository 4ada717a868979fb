"""`tracker sync tron --source trongrid` against a real local HTTP server in TronGrid's format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug import Response

import tracker.http
from tests.support.helpers import all_contents, file_digest, rows, run_cli, units
from tests.support.trongrid_server import USDT_B58, Chain, TronGridServer, serve
from tracker.chains import TRON
from tracker.errors import BadResponse, TrackerError
from tracker.ingest.sync import SyncOptions
from tracker.ingest.tron.address import base58_from_hex20
from tracker.ingest.tron.decode import (
    EventWindow,
    decode_events,
    parse_block,
    split_rows,
)
from tracker.ingest.tron.trongrid import sync_trongrid
from tracker.tokens import USDT_TRON_LAYOUT

BLOCKS = 120


@pytest.fixture
def chain() -> Chain:
    # Offsets 40 and 41 hold 150 transfers each and 77 holds 190: windows span several 200-row pages.
    return Chain().build(BLOCKS, busy_blocks={40: 150, 41: 150, 77: 190})


@pytest.fixture
def no_waits(monkeypatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(tracker.http, "sleep", waits.append)
    return waits


def options(url: str, chain: Chain, **overrides) -> SyncOptions:
    values = dict(rpc_url=url, token=USDT_B58, from_block=chain.first_block, chunk_size=40, source="trongrid",
                  confirmations=None)
    values.update(overrides)
    return SyncOptions(**values)


def expected(chain: Chain, last_block: int) -> tuple[set[tuple], set[tuple]]:
    transfers, supply = set(), set()
    for kind, block, seconds, txid, index, sender, receiver, raw in chain.truth:
        if block > last_block:
            continue
        if kind == "transfer":
            transfers.add((block, seconds, txid, index, base58_from_hex20(sender), base58_from_hex20(receiver), raw))
        else:
            supply.add((block, txid, index, kind, base58_from_hex20(sender) if sender else None, raw))
    return transfers, supply


def stored(db: Path) -> tuple[set[tuple], set[tuple]]:
    transfer_rows = rows(db, "SELECT block_number, epoch(block_time)::BIGINT, tx_hash, log_index, from_address,"
                             " to_address, amount_raw, amount FROM transfers")
    assert all(amount == units(int(raw)) for *_, raw, amount in transfer_rows)
    supply_rows = rows(db, "SELECT block_number, tx_hash, log_index, kind, address, amount_raw FROM supply_events")
    return ({r[:6] + (int(r[6]),) for r in transfer_rows}, {r[:5] + (int(r[5]),) for r in supply_rows})


def test_pages_decode_to_exact_rows(tmp_path: Path, httpserver, chain: Chain) -> None:
    solid = chain.first_block + BLOCKS - 6
    server = TronGridServer(chain, solidified=solid)
    db = tmp_path / "t.duckdb"
    summary = sync_trongrid(db, options(serve(httpserver, server), chain))
    assert (summary.from_block, summary.to_block) == (chain.first_block, solid)
    assert stored(db) == expected(chain, solid)
    assert rows(db, "SELECT count(*) - count(DISTINCT (tx_hash, log_index)) FROM transfers") == [(0,)]
    assert summary.requests == server.pages_served > 4 * 3  # several pages in the busy window
    # The mint and burn legs are marked; supply comes from Issue/Redeem only.
    legs = dict(rows(db, "SELECT supply_leg, count(*) FROM transfers WHERE supply_leg IS NOT NULL GROUP BY 1"))
    issues = sum(1 for t in chain.truth if t[0] == "issue" and t[1] <= solid)
    redeems = sum(1 for t in chain.truth if t[0] == "redeem" and t[1] <= solid)
    assert legs == {"mint": issues, "burn": redeems} and issues > 0 and redeems > 0
    assert rows(db, "SELECT max(amount_raw) FROM supply_events") == [(10**38 - 1,)]
    state = rows(db, "SELECT last_block, last_block_hash, source FROM sync_state")
    assert state == [(solid, "0x" + chain.block(solid).block_id, "trongrid")]


def test_missing_fingerprint_loses_and_repeats_nothing(tmp_path: Path, httpserver, chain: Chain) -> None:
    solid = chain.first_block + BLOCKS - 1
    clean_db = tmp_path / "clean.duckdb"
    sync_trongrid(clean_db, options(serve(httpserver, TronGridServer(chain, solidified=solid)), chain))
    httpserver.clear()
    faulty = TronGridServer(chain, solidified=solid, drop_fingerprint_on=set(range(1, 400)))
    db = tmp_path / "t.duckdb"
    sync_trongrid(db, options(serve(httpserver, faulty), chain))
    assert stored(db) == expected(chain, solid)
    assert all_contents(db, block_hashes=False) == all_contents(clean_db, block_hashes=False)


def test_more_than_a_page_in_one_block_without_fingerprint_is_a_clear_error(tmp_path: Path, httpserver) -> None:
    crowded = Chain().build(10, busy_blocks={3: 260})
    server = TronGridServer(crowded, solidified=crowded.first_block + 9, drop_fingerprint_on=set(range(1, 100)))
    with pytest.raises(TrackerError, match="over 200 events in one block"):
        sync_trongrid(tmp_path / "t.duckdb", options(serve(httpserver, server), crowded, chunk_size=10))
    assert not (tmp_path / "t.duckdb").exists()


def test_rate_limits_back_off_then_succeed(tmp_path: Path, httpserver, chain: Chain, no_waits, monkeypatch) -> None:
    monkeypatch.setenv("TRONGRID_API_KEY", "k-123")
    solid = chain.first_block + 50
    server = TronGridServer(chain, solidified=solid, faults=[
        Response('{"Error":"rate limit"}', status=429, headers={"Retry-After": "2"}),
        Response("Forbidden", status=403),
        Response("unavailable", status=503),
    ])
    db = tmp_path / "t.duckdb"
    sync_trongrid(db, options(serve(httpserver, server), chain))
    assert no_waits == [2.0, 1.0, 2.0]
    assert stored(db) == expected(chain, solid)
    assert set(server.seen_keys) == {"k-123"}


def test_resume_matches_a_clean_run(tmp_path: Path, httpserver, chain: Chain) -> None:
    server = TronGridServer(chain, solidified=chain.first_block + 60)
    url = serve(httpserver, server)
    db = tmp_path / "t.duckdb"
    sync_trongrid(db, options(url, chain))
    server.solidified = chain.first_block + BLOCKS - 1
    again = sync_trongrid(db, options(url, chain, from_block=None))
    assert again.from_block == chain.first_block + 61
    clean = tmp_path / "clean.duckdb"
    sync_trongrid(clean, options(url, chain))
    assert all_contents(db, block_hashes=False) == all_contents(clean, block_hashes=False)
    assert stored(db) == expected(chain, chain.first_block + BLOCKS - 1)


def test_foreign_event_is_refused_and_database_untouched(tmp_path: Path, httpserver, chain: Chain) -> None:
    server = TronGridServer(chain, solidified=chain.first_block + 30)
    url = serve(httpserver, server)
    db = tmp_path / "t.duckdb"
    sync_trongrid(db, options(url, chain))
    before = file_digest(db)
    server.solidified = chain.first_block + 90
    server.foreign_event_on_page = server.pages_served + 1
    with pytest.raises(BadResponse, match="another contract"):
        sync_trongrid(db, options(url, chain, from_block=None))
    assert file_digest(db) == before


def test_sources_do_not_mix(tmp_path: Path, httpserver, chain: Chain) -> None:
    url = serve(httpserver, TronGridServer(chain, solidified=chain.first_block + 20))
    db = tmp_path / "t.duckdb"
    sync_trongrid(db, options(url, chain))
    done = run_cli("--db", str(db), "sync", "tron", "--source", "jsonrpc", "--rpc", "http://127.0.0.1:9",
                   "--token", USDT_B58, "-q")
    assert done.returncode == 1  # unreachable node: fails before touching the database
    import duckdb

    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE sync_state SET source = 'jsonrpc'")
    with pytest.raises(TrackerError, match="synced with --source jsonrpc"):
        sync_trongrid(db, options(url, chain, from_block=None))


def test_cli_trongrid_end_to_end(tmp_path: Path, httpserver, chain: Chain) -> None:
    url = serve(httpserver, TronGridServer(chain, solidified=chain.first_block + 45))
    # No JSON-RPC here for balance anchors: the sync keeps its rows and says so.
    env = {"TRACKER_TRONGRID_URL": url, "TRACKER_DB": str(tmp_path / "cli.duckdb"), "TRACKER_TRON_RPC": "http://127.0.0.1:9"}
    done = run_cli("sync", "tron", "--source", "trongrid", "--from-block", str(chain.first_block), "-q", env=env)
    assert done.returncode == 0, done.stderr
    assert f"tron {USDT_B58}: blocks {chain.first_block:,}-{chain.first_block + 45:,}" in done.stdout
    assert "warning: could not read balances at the last synced block: cannot reach http://127.0.0.1:9" in done.stdout
    bad = run_cli("sync", "tron", "--source", "trongrid", "--to-block", str(chain.first_block + 999), "-q", env=env)
    assert bad.returncode == 1 and "past TronGrid's solidified block" in bad.stderr


def test_decode_rejects_bad_values() -> None:
    window = EventWindow(USDT_B58, USDT_TRON_LAYOUT.event("transfer"), 10, 20)
    good = {"block_number": 10, "block_timestamp": 1, "contract_address": USDT_B58, "event_index": 0,
            "event_name": "Transfer", "transaction_id": "ab" * 32,
            "result": {"from": "0x" + "11" * 20, "to": "41" + "22" * 20, "value": "123456789"}}
    frame = decode_events([good], window)
    assert frame.row(0, named=True)["amount_raw"] == 123456789
    for change, message in [
        ({"result": {**good["result"], "value": "1.5"}}, "whole number"),
        ({"result": {**good["result"], "value": "-1"}}, "whole number"),
        ({"result": {**good["result"], "value": "1" + "0" * 38}}, "whole number"),
        ({"result": {**good["result"], "to": "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"}}, "malformed address"),
        ({"block_number": 21}, "outside the requested window"),
        ({"transaction_id": "xyz"}, "transaction_id"),
        ({"event_name": "Approval"}, "another name"),
    ]:
        with pytest.raises(BadResponse, match=message):
            decode_events([{**good, **change}], window)


def test_destroyed_black_funds_records_decode_by_the_layout() -> None:
    """USDT-TRC20's DestroyedBlackFunds as TronGrid decodes it: the wallet by its declared name (or position)."""
    window = EventWindow(USDT_B58, USDT_TRON_LAYOUT.event("destroyed_black_funds"), 10, 20)
    wallet = "0x" + "3c" * 20
    named = {"block_number": 12, "block_timestamp": 36_000, "contract_address": USDT_B58, "event_index": 0,
             "event_name": "DestroyedBlackFunds", "transaction_id": "cd" * 32,
             "result": {"0": wallet, "1": "4200000001", "_blackListedUser": wallet, "_balance": "4200000001"}}
    positional = {**named, "event_index": 1, "result": {"0": wallet, "1": "7"}}
    frame = decode_events([named, positional], window)
    assert [(r["kind"], r["wallet_hex40"], r["amount_raw"]) for r in frame.to_dicts()] == [
        ("destroyed_black_funds", "3c" * 20, 4200000001), ("destroyed_black_funds", "3c" * 20, 7)]
    _, supply = split_rows(frame, USDT_TRON_LAYOUT, TRON.format.address)
    assert supply["address"].to_list() == [base58_from_hex20("3c" * 20)] * 2
    for change, message in [
        ({"result": {"_balance": "5"}}, "malformed address"),
        ({"result": {"_blackListedUser": "0x" + "3c" * 19, "_balance": "5"}}, "malformed address"),
        ({"result": {"_blackListedUser": wallet}}, "whole number"),
    ]:
        with pytest.raises(BadResponse, match=message):
            decode_events([{**named, **change}], window)


def test_parse_block_checks_its_number() -> None:
    raw = json.dumps({"blockID": f"{5:016x}" + "0" * 48, "block_header": {"raw_data": {"number": 5, "timestamp": 3000}}})
    assert parse_block(raw.encode(), 5).timestamp_ms == 3000
    with pytest.raises(BadResponse, match="asked TronGrid for block 6"):
        parse_block(raw.encode(), 6)
    with pytest.raises(BadResponse, match="no solidified block"):
        parse_block(b"{}", 7)


def test_a_deprecated_token_stops_the_trongrid_sync(tmp_path: Path, httpserver, anvil, compiled) -> None:
    """The same Deprecate event, as TronGrid serves it (mirrored from a real node): one line, nothing written."""
    from tests.conftest import DAY0
    from tests.support.chain import TokenChain, wallet
    from tests.support.trongrid_server import mirror

    token = TokenChain(anvil, compiled, 10**12, layout="tron")
    token.transfer(token.owner.lower(), wallet(1), 5_000_000, timestamp=DAY0 + 100)
    deprecated_in = token.deprecate(wallet(99), timestamp=DAY0 + 200)
    token_b58 = base58_from_hex20(token.address[2:])
    server = TronGridServer(mirror(token), solidified=deprecated_in)
    url = serve(httpserver, server, token_b58)
    db = tmp_path / "t.duckdb"
    sync = ["--db", str(db), "sync", "tron", "--source", "trongrid", "--rpc", url, "--token", token_b58, "-q"]
    env = {"TRACKER_TRON_RPC": anvil.url}
    assert run_cli(*sync, "--from-block", "0", "--to-block", str(deprecated_in - 1), env=env).returncode == 0
    digest = file_digest(db)
    stopped = run_cli(*sync, env=env)
    assert stopped.returncode == 1 and stopped.stderr.count("\n") == 1
    assert stopped.stderr.startswith(f"error: tron token {token_b58} was deprecated in block {deprecated_in:,}: "
                                     f"Tether moved it to {base58_from_hex20(wallet(99)[2:])},")
    assert file_digest(db) == digest
