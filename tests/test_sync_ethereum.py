"""`tracker sync ethereum` against a real anvil node running the TestTether contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pytest
import requests
from werkzeug import Response

import tracker.http
from tests.conftest import DAY0
from tests.support.chain import Anvil, TokenChain, wallet
from tests.support.helpers import all_contents, forwarding_handler, rows, run_cli, units
from tracker.chains import ETHEREUM
from tracker.errors import TrackerError
from tracker.ingest.sync import REQUESTS_IN_FLIGHT, SyncOptions, sync_chain

DAY = 86_400
INITIAL_SUPPLY = 50_000_000_000_000  # 50,000,000 USDT held by the owner before any event


def scenario(chain: TokenChain) -> None:
    """Events over three UTC days (2026-03-01..03), with amounts that expose any rounding."""
    owner = chain.owner.lower()
    chain.issue(1_000_000_000_001, timestamp=DAY0 + 100)  # 1,000,000.000001
    chain.transfer(owner, wallet(1), 123_456_789, timestamp=DAY0 + 200)  # 123.456789
    chain.transfer(wallet(1), wallet(2), 1, timestamp=DAY0 + 3_600)  # 0.000001
    chain.batch(
        [(wallet(1), wallet(2), 100_000_000), (wallet(1), wallet(3), 23_456_788), (wallet(2), wallet(3), 7)],
        timestamp=DAY0 + DAY + 5,
    )
    chain.redeem(999_999, timestamp=DAY0 + DAY + 10)
    chain.destroy_black_funds(wallet(3), timestamp=DAY0 + DAY + 20)
    chain.transfer(owner, wallet(4), 5_000_000_000_000, timestamp=DAY0 + 2 * DAY + 1)  # 5,000,000
    chain.transfer(wallet(4), wallet(4), 42, timestamp=DAY0 + 2 * DAY + 2)  # self-transfer


@pytest.fixture
def token(anvil: Anvil, compiled) -> TokenChain:
    return TokenChain(anvil, compiled, INITIAL_SUPPLY)


def options(chain: TokenChain, url: str | None = None, **overrides) -> SyncOptions:
    values = dict(rpc_url=url or chain.anvil.url, token=chain.address, from_block=0, confirmations=0)
    values.update(overrides)
    return SyncOptions(**values)


def stored_transfers(db: Path) -> set[tuple]:
    found = rows(
        db,
        "SELECT block_number, epoch(block_time)::BIGINT, tx_hash, log_index, from_address, to_address,"
        " amount_raw, amount FROM transfers",
    )
    result = set()
    for block, when, tx_hash, log_index, sender, receiver, raw, amount in found:
        assert amount == units(int(raw)), f"amount {amount} is not amount_raw {raw} / 10^6"
        result.add((block, when, tx_hash, log_index, sender, receiver, int(raw)))
    return result


def test_sync_stores_every_event_exactly(tmp_path: Path, token: TokenChain) -> None:
    scenario(token)
    db = tmp_path / "t.duckdb"
    summary = sync_chain(db, ETHEREUM, options(token))

    assert stored_transfers(db) == token.expected_transfers()
    supply = rows(db, "SELECT block_number, tx_hash, log_index, kind, address, amount_raw, amount FROM supply_events")
    assert {(b, h, i, k, a, int(r)) for b, h, i, k, a, r, _ in supply} == token.expected_supply()
    assert {str(amount) for *_, amount in supply} == {"1000000.000001", "0.999999", "23.456795"}
    assert summary.transfers == 7 and summary.supply_events == 3
    assert (summary.from_block, summary.to_block) == (0, token.head())

    # Every block holding an event is recorded with the node's own hash and time.
    for block_number, block_hash, block_time in rows(
        db, "SELECT block_number, block_hash, epoch(block_time)::BIGINT FROM blocks"
    ):
        header = token.w3.eth.get_block(block_number)
        assert block_hash == "0x" + header["hash"].hex().removeprefix("0x")
        assert block_time == header["timestamp"]
    event_blocks = {t[0] for t in token.expected_transfers()} | {s[0] for s in token.expected_supply()}
    stored_blocks = {b for (b,) in rows(db, "SELECT block_number FROM blocks")}
    # ... plus each write's last block (its reorg checkpoint), the head among them; no other.
    assert event_blocks | {token.head()} <= stored_blocks
    assert len(stored_blocks - event_blocks) <= summary.requests

    # sync_state names the last block and its hash; the ledger it implies matches balanceOf.
    ((last_block, last_hash),) = rows(db, "SELECT last_block, last_block_hash FROM sync_state")
    assert last_block == token.head()
    assert last_hash == "0x" + token.w3.eth.get_block(last_block)["hash"].hex().removeprefix("0x")
    for index in (1, 2, 4):
        ((net,),) = rows(
            db,
            "SELECT coalesce(sum(CASE WHEN to_address = $w THEN amount_raw ELSE 0 END), 0)"
            " - coalesce(sum(CASE WHEN from_address = $w THEN amount_raw ELSE 0 END), 0) FROM transfers",
            {"w": wallet(index)},
        )
        assert int(net) == token.balance(wallet(index))


def test_verify_after_a_plain_sync(tmp_path: Path, token: TokenChain) -> None:
    scenario(token)
    db = tmp_path / "t.duckdb"
    sync_chain(db, ETHEREUM, options(token))
    done = run_cli("--db", str(db), "verify", "ethereum", "--rpc", token.anvil.url, "--token", token.address)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "figures match the node" in done.stdout

    # A log stored twice (nothing indexes it as unique) is named with the blocks to re-sync, then mended.
    ((doubled_block,),) = rows(db, "SELECT max(block_number) FROM transfers")
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO transfer_logs SELECT * FROM transfer_logs WHERE block_number = ?", [doubled_block])
    done = run_cli("--db", str(db), "verify", "ethereum", "--rpc", token.anvil.url, "--token", token.address)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: 1 ethereum logs are stored more than once (blocks {doubled_block:,}-{doubled_block:,});"
        f" re-sync those blocks with --from-block {doubled_block} --to-block {doubled_block}"
    )
    sync_chain(db, ETHEREUM, options(token, from_block=doubled_block, to_block=doubled_block))
    done = run_cli("--db", str(db), "verify", "ethereum", "--rpc", token.anvil.url, "--token", token.address)
    assert done.returncode == 0, done.stdout + done.stderr


def test_since_until_select_whole_utc_days(tmp_path: Path, token: TokenChain) -> None:
    scenario(token)
    token.mine(3)
    db = tmp_path / "t.duckdb"
    sync_chain(db, ETHEREUM, options(token, from_block=None, since=date(2026, 3, 2), until=date(2026, 3, 2)))
    days = rows(db, "SELECT DISTINCT CAST(block_time AS DATE) FROM transfers UNION SELECT CAST(block_time AS DATE) FROM supply_events")
    assert days == [(date(2026, 3, 2),)]
    assert rows(db, "SELECT count(*) FROM transfers") == [(3,)]
    assert rows(db, "SELECT count(*) FROM supply_events") == [(2,)]


def test_resume_continues_where_it_stopped(tmp_path: Path, token: TokenChain) -> None:
    scenario(token)
    middle = token.head() - 3
    resumed = tmp_path / "resumed.duckdb"
    first = sync_chain(resumed, ETHEREUM, options(token, to_block=middle))
    assert first.to_block == middle
    token.transfer(token.owner, wallet(5), 777, timestamp=DAY0 + 3 * DAY)
    second = sync_chain(resumed, ETHEREUM, options(token, from_block=None))
    assert second.from_block == middle + 1
    assert second.to_block == token.head()

    clean = tmp_path / "clean.duckdb"
    sync_chain(clean, ETHEREUM, options(token))
    assert all_contents(resumed) == all_contents(clean)
    assert stored_transfers(resumed) == token.expected_transfers()
    third = sync_chain(resumed, ETHEREUM, options(token, from_block=None))
    assert third.up_to_date


def test_a_sync_leaves_earlier_writes_row_groups_as_they_are(tmp_path: Path, token: TokenChain) -> None:
    """The sync's writer checkpoints without vacuum: a resumed sync's close does not merge the row group the
    first sync wrote with its own (DuckDB's default merges part-filled neighbours, rewriting their rows)."""
    scenario(token)
    db = tmp_path / "t.duckdb"
    sync_chain(db, ETHEREUM, options(token, to_block=token.head() - 3))
    sync_chain(db, ETHEREUM, options(token, from_block=None))
    assert stored_transfers(db) == token.expected_transfers()
    assert rows(db, "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('transfer_logs')") == [(2,)]


def test_resync_of_an_overlapping_range_changes_nothing(tmp_path: Path, token: TokenChain) -> None:
    scenario(token)
    db = tmp_path / "t.duckdb"
    sync_chain(db, ETHEREUM, options(token))
    before = all_contents(db)
    sync_chain(db, ETHEREUM, options(token, from_block=2, to_block=token.head() - 1, chunk_size=2))
    assert all_contents(db) == before
    assert rows(db, "SELECT count(*), count(DISTINCT (tx_hash, log_index)) FROM transfers") == [(7, 7)]


def test_confirmations_hold_back_recent_blocks(tmp_path: Path, token: TokenChain) -> None:
    scenario(token)
    db = tmp_path / "t.duckdb"
    summary = sync_chain(db, ETHEREUM, options(token, confirmations=2))
    assert summary.to_block == token.head() - 2
    assert rows(db, "SELECT max(block_number) FROM transfers") < [(token.head() - 1,)]
    with pytest.raises(TrackerError, match="past the confirmed head"):
        sync_chain(db, ETHEREUM, options(token, confirmations=2, to_block=token.head()))


def refuse_ranges_over(limit: int, message: Callable[[int], str], refused: list[int]):
    """A proxy hook answering eth_getLogs over `limit` blocks with a JSON-RPC error, as providers do."""

    def intercept(body):
        if isinstance(body, dict) and body.get("method") == "eth_getLogs":
            query = body["params"][0]
            low = int(query["fromBlock"], 16)
            blocks = int(query["toBlock"], 16) - low + 1
            if blocks > limit:
                refused.append(blocks)
                error = {"code": -32005, "message": message(low)}
                return Response(json.dumps({"jsonrpc": "2.0", "id": body["id"], "error": error}), content_type="application/json")
        return None

    return intercept


def test_too_many_results_splits_the_range(tmp_path: Path, token: TokenChain, httpserver) -> None:
    scenario(token)
    token.mine(40)
    refused: list[int] = []
    infura = refuse_ranges_over(
        4, lambda low: f"query returned more than 10000 results. Try with this block range [{hex(low)}, {hex(low + 3)}].", refused
    )
    httpserver.expect_request("/").respond_with_handler(forwarding_handler(token.anvil.url, infura))
    split = tmp_path / "split.duckdb"
    summary = sync_chain(split, ETHEREUM, options(token, url=httpserver.url_for("/"), chunk_size=1000))
    clean = tmp_path / "clean.duckdb"
    sync_chain(clean, ETHEREUM, options(token))
    assert all_contents(split) == all_contents(clean)
    assert 1 <= summary.refusals <= len(refused) and all(blocks > 4 for blocks in refused)
    # It took the suggested 4-block range and did not keep asking for more than it allows (after the slow
    # start's 1, 2 and 4 blocks, and the requests in flight when it learned).
    assert len(refused) <= REQUESTS_IN_FLIGHT
    assert summary.requests <= (len(refused) + (REQUESTS_IN_FLIGHT - 1) * summary.refusals + (4).bit_length()
                                + -(-(token.head() + 1) // 4))


def test_block_range_limit_is_learned(tmp_path: Path, token: TokenChain, httpserver) -> None:
    scenario(token)
    token.mine(80)
    refused: list[int] = []
    tron_like = refuse_ranges_over(5, lambda low: "exceed max block range: 5", refused)
    httpserver.expect_request("/").respond_with_handler(forwarding_handler(token.anvil.url, tron_like))
    db = tmp_path / "t.duckdb"
    summary = sync_chain(db, ETHEREUM, options(token, url=httpserver.url_for("/"), chunk_size=64))
    # Learned from the first refusal: only requests already in flight then were over the limit, never one after.
    assert refused and all(blocks > 5 for blocks in refused) and len(refused) <= REQUESTS_IN_FLIGHT
    # After the slow start (1, 2, 4 blocks) every request is the learned 5 blocks, save the last; a refusal
    # also drops the request behind it, asked again.
    assert summary.requests <= (len(refused) + (REQUESTS_IN_FLIGHT - 1) * summary.refusals + (5).bit_length()
                                + -(-(token.head() + 1) // 5))
    assert stored_transfers(db) == token.expected_transfers()


def test_requests_in_flight_are_written_in_block_order(tmp_path: Path, token: TokenChain, threaded_httpserver) -> None:
    """Two eth_getLogs run at once: the earlier range is answered after the later one, and a range past
    block 20 is refused once; the rows and ranges written are those of a plain sync."""
    import threading
    import time

    scenario(token)
    token.mine(30)
    asked: list[int] = []  # fromBlock of each eth_getLogs, in the order they arrived
    passed: list[int] = []  # the same, in the order they were let through to the node
    refused: list[int] = []
    lock = threading.Lock()

    def intercept(body):
        if not (isinstance(body, dict) and body.get("method") == "eth_getLogs"):
            return None
        low = int(body["params"][0]["fromBlock"], 16)
        with lock:
            turn = len(asked)
            asked.append(low)
            refuse = low >= 20 and not refused
            if refuse:
                refused.append(low)
        if refuse:
            error = {"code": -32005, "message": "query timeout exceeded"}
            return Response(json.dumps({"jsonrpc": "2.0", "id": body["id"], "error": error}),
                            content_type="application/json")
        if turn == 1:
            time.sleep(0.5)  # the first of the first pair in flight is answered last
        with lock:
            passed.append(low)
        return None

    threaded_httpserver.expect_request("/").respond_with_handler(forwarding_handler(token.anvil.url, intercept))
    db = tmp_path / "inflight.duckdb"
    summary = sync_chain(db, ETHEREUM, options(token, url=threaded_httpserver.url_for("/"), chunk_size=2))
    clean = tmp_path / "clean.duckdb"
    sync_chain(clean, ETHEREUM, options(token))
    assert all_contents(db) == all_contents(clean)
    assert stored_transfers(db) == token.expected_transfers()
    assert rows(db, "SELECT from_block, to_block FROM sync_ranges") == [(0, token.head())]
    assert asked[0] == 0 and passed.index(asked[2]) < passed.index(asked[1])  # overlapped, answered out of order
    assert summary.refusals == len(refused) == 1


def test_retries_429_then_502_then_success(tmp_path: Path, token: TokenChain, httpserver, monkeypatch) -> None:
    scenario(token)
    waits: list[float] = []
    monkeypatch.setattr(tracker.http, "sleep", waits.append)
    faults = [
        Response("slow down", status=429, headers={"Retry-After": "7"}),
        Response("bad gateway", status=502),
    ]

    def intercept(body):
        if isinstance(body, dict) and body.get("method") == "eth_getLogs" and faults:
            return faults.pop(0)
        return None

    httpserver.expect_request("/").respond_with_handler(forwarding_handler(token.anvil.url, intercept))
    db = tmp_path / "t.duckdb"
    sync_chain(db, ETHEREUM, options(token, url=httpserver.url_for("/")))
    assert waits == [7.0, 1.0]  # Retry-After honoured, then exponential backoff
    assert stored_transfers(db) == token.expected_transfers()


def test_reorg_on_resume_removes_orphaned_rows(tmp_path: Path, token: TokenChain) -> None:
    owner = token.owner.lower()
    token.transfer(owner, wallet(1), 1_000_000, timestamp=DAY0 + 10)
    token.transfer(owner, wallet(2), 2_000_000, timestamp=DAY0 + 20)
    fork_point = token.head()
    snapshot = token.anvil.rpc("evm_snapshot")
    orphaned = [
        token.transfer(owner, wallet(3), 3_000_000, timestamp=DAY0 + 30),
        token.transfer(wallet(1), wallet(3), 500_000, timestamp=DAY0 + 40),
        token.issue(9_000_000, timestamp=DAY0 + 50),
    ]
    db = tmp_path / "t.duckdb"
    sync_chain(db, ETHEREUM, options(token))
    assert rows(db, "SELECT count(*) FROM transfers WHERE block_number > ?", [fork_point]) == [(2,)]

    assert token.anvil.rpc("evm_revert", [snapshot]) is True
    token.txs = [tx for tx in token.txs if tx not in orphaned]
    token.transfer(owner, wallet(4), 4_000_000, timestamp=DAY0 + 35)
    token.transfer(wallet(2), wallet(4), 1, timestamp=DAY0 + 45)
    token.redeem(1_000, timestamp=DAY0 + 55)
    token.mine(2)

    summary = sync_chain(db, ETHEREUM, options(token, from_block=None))
    assert summary.reorg is not None
    assert summary.reorg.ancestor <= fork_point
    assert summary.reorg.rows_removed == 3
    orphan_hashes = {tx.tx_hash for tx in orphaned}
    assert not rows(db, "SELECT tx_hash FROM transfers WHERE tx_hash IN (SELECT unnest(?))", [list(orphan_hashes)])
    assert stored_transfers(db) == token.expected_transfers()
    clean = tmp_path / "clean.duckdb"
    sync_chain(clean, ETHEREUM, options(token))
    # Anchors read on the abandoned branch are gone; the chain's own balances agree with the index.
    verified = run_cli("--db", str(db), "verify", "ethereum", "--rpc", token.anvil.url, "--token", token.address)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    stored = all_contents(db)
    fresh = all_contents(clean)
    assert stored["transfers"] == fresh["transfers"]
    assert stored["supply_events"] == fresh["supply_events"]
    assert stored["sync_state"] == fresh["sync_state"]
    assert stored["event_blocks"] == fresh["event_blocks"]
    for block_number, block_hash in rows(db, "SELECT block_number, block_hash FROM blocks"):
        assert block_hash == "0x" + token.w3.eth.get_block(block_number)["hash"].hex().removeprefix("0x")


def test_node_returning_another_contracts_logs_is_refused(tmp_path: Path, token: TokenChain, httpserver) -> None:
    scenario(token)
    db = tmp_path / "t.duckdb"
    sync_chain(db, ETHEREUM, options(token, to_block=3))
    before = all_contents(db)

    def intercept(body):
        if isinstance(body, dict) and body.get("method") == "eth_getLogs":
            answer = requests.post(token.anvil.url, json=body).json()
            answer["result"][0]["address"] = "0x" + "ee" * 20
            return Response(json.dumps(answer), content_type="application/json")
        return None

    httpserver.expect_request("/").respond_with_handler(forwarding_handler(token.anvil.url, intercept))
    with pytest.raises(TrackerError, match="log from another contract 0xeeee"):
        sync_chain(db, ETHEREUM, options(token, url=httpserver.url_for("/"), from_block=None))
    assert all_contents(db) == before


def test_block_times_are_utc(tmp_path: Path, token: TokenChain) -> None:
    token.transfer(token.owner, wallet(1), 5, timestamp=DAY0 + DAY - 1)  # 23:59:59 on 2026-03-01
    db = tmp_path / "t.duckdb"
    sync_chain(db, ETHEREUM, options(token))
    ((when,),) = rows(db, "SELECT block_time FROM transfers")
    assert when.astimezone(timezone.utc) == datetime(2026, 3, 1, 23, 59, 59, tzinfo=timezone.utc)


def test_a_deprecated_token_stops_with_one_line_naming_its_successor(tmp_path: Path, token: TokenChain) -> None:
    """Tether's deprecate(): the old contract emits Deprecate, then no more Transfers. Stop there, say where to go."""
    scenario(token)
    successor = wallet(99)
    deprecated_in = token.deprecate(successor, timestamp=DAY0 + 3 * DAY)
    token.mine(2)
    db = tmp_path / "d.duckdb"
    sync = ["--db", str(db), "sync", "ethereum", "--rpc", token.anvil.url, "--token", token.address,
            "--confirmations", "0", "-q"]
    assert run_cli(*sync, "--from-block", "0", "--to-block", str(deprecated_in - 2)).returncode == 0
    stopped = run_cli(*sync)
    assert stopped.returncode == 1 and stopped.stderr.count("\n") == 1
    assert stopped.stderr.startswith(f"error: ethereum token {token.address} was deprecated in block {deprecated_in:,}: "
                                     f"Tether moved it to {successor},")
    assert stopped.stderr.rstrip().endswith(f"--to-block {deprecated_in - 1} and the new one with --token {successor}")
    # Steps before the Deprecate's may have been written; nothing from its block on was.
    ((last_block,),) = rows(db, "SELECT last_block FROM sync_state")
    assert last_block < deprecated_in
    assert rows(db, f"SELECT count(*) FROM transfers WHERE block_number >= {deprecated_in}") == [(0,)]
    # As told: up to the block before, everything is indexed.
    done = run_cli(*sync, "--to-block", str(deprecated_in - 1))
    assert done.returncode == 0, done.stderr
    assert stored_transfers(db) == token.expected_transfers()


def sync_both_ways(tmp_path: Path, token: TokenChain, monkeypatch, owner: object, name: str, switch: str,
                   chunk_size: int) -> tuple[list[bool], list[bool]]:
    """Sync into first.duckdb with `owner.name` watched (whether each call gave a result), then with `switch`=0
    into second.duckdb; what each run's calls gave."""
    calls: list[bool] = []
    real = getattr(owner, name)

    def watched(*args):  # the real function, noting whether it gave a result
        found = real(*args)
        calls.append(found is not None)
        return found

    monkeypatch.setattr(owner, name, watched)
    sync_chain(tmp_path / "first.duckdb", ETHEREUM, options(token, chunk_size=chunk_size))
    first = list(calls)
    monkeypatch.setenv(switch, "0")
    calls.clear()
    sync_chain(tmp_path / "second.duckdb", ETHEREUM, options(token, chunk_size=chunk_size))
    return first, list(calls)


def test_the_native_scan_and_the_polars_path_store_the_same(tmp_path: Path, token: TokenChain, monkeypatch) -> None:
    """anvil's answers go through the native scan; with TRACKER_NATIVE_SCAN=0 the polars path reads them: the
    files hold the same rows."""
    from tracker.ingest.evm import native

    scenario(token)
    taken, not_taken = sync_both_ways(tmp_path, token, monkeypatch, native, "scan", native.SWITCH, chunk_size=3)
    assert taken and all(taken) and not_taken and not any(not_taken)
    native_rows = all_contents(tmp_path / "first.duckdb")
    assert native_rows == all_contents(tmp_path / "second.duckdb")
    assert len(native_rows["transfers"]) == 7 and len(native_rows["supply_events"]) == 3


def test_the_address_book_and_the_file_lookup_store_the_same(tmp_path: Path, token: TokenChain, monkeypatch) -> None:
    """Every step's addresses get their ids from the writer's address book (loaded at the first step here);
    with TRACKER_ADDRESS_BOOK=0 they are looked up in the file: the files hold the same rows, in order."""
    import tracker.ingest.sync as sync
    import tracker.store as store

    scenario(token)
    monkeypatch.setattr(store, "BOOK_FROM_ROWS", 1)
    monkeypatch.setattr(sync, "JOINED_LOGS", 1)  # a write per step: the book is kept across them
    given, looked_up = sync_both_ways(tmp_path, token, monkeypatch, store.AddressBook, "start_ids",
                                      store.ADDRESS_BOOK_SWITCH, chunk_size=2)
    assert len(given) > 1 and all(given) and looked_up and not any(looked_up)
    assert all_contents(tmp_path / "first.duckdb") == all_contents(tmp_path / "second.duckdb")
    assert stored_transfers(tmp_path / "first.duckdb") == token.expected_transfers()
    for db in ("first.duckdb", "second.duckdb"):
        order = rows(tmp_path / db, "SELECT block_number, tx_hash, log_index FROM transfer_logs ORDER BY rowid")
        assert order == sorted(order)
        assert rows(tmp_path / db, "SELECT count(*) = max(address_id) FROM addresses") == [(True,)]


@pytest.mark.parametrize("asked", [None, "2"])
def test_a_sync_runs_polars_on_one_thread_unless_the_user_says(tmp_path: Path, token: TokenChain, asked) -> None:
    """Steps are built on several threads at once: `tracker sync` sets polars' pool to one thread before polars
    loads (POLARS_MAX_THREADS), and keeps a size the user set."""
    scenario(token)
    code = ("import sys, tracker.cli\n"
            "sys.argv = ['tracker'] + sys.argv[1:]\n"
            "try:\n    tracker.cli.main()\nexcept SystemExit as done:\n    assert not done.code, done.code\n"
            "import polars\nprint(polars.thread_pool_size())\n")
    env = {key: value for key, value in os.environ.items() if key != "POLARS_MAX_THREADS"}
    if asked:
        env["POLARS_MAX_THREADS"] = asked
    done = subprocess.run([sys.executable, "-c", code, "--db", str(tmp_path / "p.duckdb"), "sync", "ethereum", "--rpc",
                           token.anvil.url, "--token", token.address, "--confirmations", "0", "-q"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (asked or "1")
    assert stored_transfers(tmp_path / "p.duckdb") == token.expected_transfers()


@pytest.mark.parametrize("code_delay", [0.0, 1.0])
def test_the_later_imports_start_once_the_checks_answer_or_soon_after(token: TokenChain, httpserver, monkeypatch,
                                                                      code_delay: float) -> None:
    """The sync's later modules start loading (`meanwhile`) once the node's checks have answered, or
    CHECKS_BEFORE_IMPORTS after they went out when one is slow: a near node's answers never wait behind the
    imports, and a distant one's round trip still overlaps them."""
    import time

    import tracker.ingest.sync as sync_module
    from tracker.ingest.evm.node import Node
    from tracker.ingest.evm.rpc import JsonRpcClient
    from tracker.ingest.sync import _checked_head
    from tracker.tokens import token_spec

    if not code_delay:  # this stand-in forwards to anvil, slower than a near node: give it the time it takes
        monkeypatch.setattr(sync_module, "CHECKS_BEFORE_IMPORTS", 5.0)

    answered: dict[str, float] = {}

    def handler(request):
        body = request.get_json(silent=True)
        if body.get("method") == "eth_getCode":
            time.sleep(code_delay)
        forwarded = requests.post(token.anvil.url, data=request.get_data(), headers={"Content-Type": "application/json"})
        answered[body["method"]] = time.monotonic()  # before the answer leaves: the client has it later
        return Response(forwarded.content, status=forwarded.status_code, content_type="application/json")

    httpserver.expect_request("/").respond_with_handler(handler)
    node = Node(JsonRpcClient(httpserver.url_for("/")))
    loading: list[float] = []
    sent = time.monotonic()
    head = _checked_head(node, ETHEREUM, token_spec(ETHEREUM.name, token.address),
                         meanwhile=lambda: loading.append(time.monotonic()))
    assert head == token.head() and len(loading) == 1
    checks = {"eth_blockNumber", "eth_getCode", "eth_call"} | ({"eth_chainId"} if ETHEREUM.chain_id is not None else set())
    assert set(answered) == checks
    if code_delay:
        # Started while the slow check was still out, soon after the checks went out.
        assert loading[0] < answered["eth_getCode"]
        assert loading[0] - sent < sync_module.CHECKS_BEFORE_IMPORTS + 0.5
    else:
        assert max(answered.values()) < loading[0] < max(answered.values()) + 1.0
