"""Reserves, supply and `tracker verify` against anvil, with wallets that held USDT before the synced range."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import DAY0
from tests.support.chain import Anvil, TokenChain, wallet
from tests.support.helpers import rows, run_cli
from tests.support.trongrid_server import Chain, TronGridServer, mirror, serve
from tracker.analytics.labels import bundled_files, read_labels
from tracker.ingest.tron.address import base58_from_hex20

DAY = 86_400
# Every exchange of the bundled label set (tracker/data/labels/*.csv), whose wallets are empty on the test chains.
BUNDLED_ENTITIES = {label.entity for entry in bundled_files()
                    for label in read_labels(entry.read_text(encoding="utf-8"), entry.name) if label.category == "exchange"}
assert {"Binance", "OKX", "Bybit", "Coinbase", "Kraken", "HTX", "Bitfinex", "KuCoin", "Gate", "Bitget"} <= BUNDLED_ENTITIES
A_HOT, B_HOT, DEPOSIT, USER1, USER2, USER3 = wallet(10), wallet(20), wallet(40), wallet(1), wallet(2), wallet(3)


def usdt(text: str) -> int:
    return int(Decimal(text).scaleb(6))


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture(params=["ethereum", "tron", "tron-trongrid"])
def world(request, tmp_path: Path, anvil: Anvil, compiled, httpserver, monkeypatch):
    """One scenario on each path: Ethereum JSON-RPC, Tron JSON-RPC, and Tron through a TronGrid stand-in that
    mirrors the same anvil chain (anchors and `verify` then read the node through $TRACKER_TRON_RPC)."""
    chain_name, _, source = request.param.partition("-")
    is_tron = chain_name == "tron"
    chain = TokenChain(anvil, compiled, usdt("10000000"), layout=chain_name)
    spell = (lambda a: base58_from_hex20(a.lower()[2:])) if is_tron else (lambda a: a.lower())
    owner = chain.owner.lower()
    # Before the synced range: the wallets already hold USDT.
    chain.transfer(owner, A_HOT, usdt("5000"), timestamp=DAY0 + 100)
    chain.transfer(owner, B_HOT, usdt("700"), timestamp=DAY0 + 200)
    chain.transfer(owner, USER1, usdt("1000"), timestamp=DAY0 + 300)
    chain.transfer(owner, USER3, usdt("250"), timestamp=DAY0 + 400)
    first_synced = chain.head() + 1
    db = tmp_path / f"{chain_name}.duckdb"
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "chain,address,entity,category,wallet_type,source,valid_from,valid_to\n"
        f"{chain_name},{spell(A_HOT)},ExA,exchange,hot,test,,\n"
        f"{chain_name},{spell(B_HOT)},ExB,exchange,hot,test,,\n"
        f"{chain_name},{spell(owner)},Tether,issuer,treasury,test,,\n"
    )
    assert run_cli("--db", str(db), "labels", "import", str(labels)).returncode == 0
    sync = ["--db", str(db), "sync", chain_name, "--rpc", anvil.url, "--token", spell(chain.address),
            "--confirmations", "0", "-q"]
    if source == "trongrid":
        server = TronGridServer(Chain(), solidified=0, refresh=lambda: mirror(chain))
        sync[4:6] = ["--source", "trongrid", "--rpc", serve(httpserver, server, spell(chain.address))]
        monkeypatch.setenv("TRACKER_TRON_RPC", anvil.url)  # balance anchors: the node itself

    chain.issue(usdt("2000000"), timestamp=DAY0 + DAY + 100)  # 2026-03-02: treasury mint
    chain.transfer(owner, A_HOT, usdt("1000"), timestamp=DAY0 + DAY + 200)
    chain.transfer(USER1, DEPOSIT, usdt("300"), timestamp=DAY0 + DAY + 300)  # user pays a deposit address
    chain.transfer(DEPOSIT, A_HOT, usdt("300"), timestamp=DAY0 + DAY + 400)  # which sweeps to the hot wallet
    chain.transfer(A_HOT, USER2, usdt("200"), timestamp=DAY0 + DAY + 500)
    chain.destroy_black_funds(B_HOT, timestamp=DAY0 + DAY + 600)  # B's 700 vanish without a Transfer
    chain.destroy_black_funds(USER3, timestamp=DAY0 + DAY + 700)  # and an unlabeled wallet's 250
    first = run_cli(*sync, "--from-block", str(first_synced))
    assert first.returncode == 0, first.stderr
    assert "anchored balanceOf of" in first.stdout

    chain.redeem(usdt("500000"), timestamp=DAY0 + 2 * DAY + 100)  # 2026-03-03: treasury burn
    chain.transfer(A_HOT, B_HOT, usdt("50"), timestamp=DAY0 + 2 * DAY + 200)
    chain.transfer(USER1, DEPOSIT, usdt("100"), timestamp=DAY0 + 2 * DAY + 300)
    chain.transfer(DEPOSIT, A_HOT, usdt("100"), timestamp=DAY0 + 2 * DAY + 400)
    second = run_cli(*sync)
    assert second.returncode == 0, second.stderr
    return chain_name, db, chain, spell, sync


def test_reserves_start_from_balances_held_before_the_synced_range(world) -> None:
    chain_name, db, chain, spell, _ = world
    done = run_cli("--db", str(db), "query", "exchange_reserves_daily", "--format", "csv")
    table = csv_rows(done.stdout)
    token = spell(chain.address)
    assert [r for r in table if r[2] not in BUNDLED_ENTITIES] == [
        ["chain", "day", "entity", "reserve_end", "wallets", "anchored_wallets", "token", "token_address"],
        [chain_name, "2026-03-02", "ExA", "6100.000000", "1", "1", chain.symbol, token],
        [chain_name, "2026-03-02", "ExB", "0.000000", "1", "1", chain.symbol, token],
        [chain_name, "2026-03-03", "ExA", "6150.000000", "1", "1", chain.symbol, token],
        [chain_name, "2026-03-03", "ExB", "50.000000", "1", "1", chain.symbol, token],
    ]
    # The bundled exchanges' wallets are anchored too (empty on this chain): a reserve of zero, never a guess.
    assert {r[3] for r in table[1:] if r[2] in BUNDLED_ENTITIES} == {"0.000000"}
    flows = csv_rows(run_cli("--db", str(db), "export", "daily_flows", "--since", "2026-03-03").stdout)
    assert [(r[2], r[8], r[9]) for r in flows[1:]] == [("ExA", "2", "6150.000000"), ("ExB", "1", "50.000000")]
    # The issuer's own balance follows Issue/Redeem (Ethereum: credited to owner(); Tron: the mint/burn legs).
    ((owner_end,),) = rows(db, "SELECT balance_end FROM wallet_balances_daily WHERE address = ? AND day = DATE '2026-03-03'",
                           [spell(chain.owner)])
    assert owner_end == Decimal(chain.balance(chain.owner)).scaleb(-6)


def test_daily_supply_is_exact(world) -> None:
    chain_name, db, chain, spell, _ = world
    done = run_cli("--db", str(db), "export", "daily_supply", "--chain", chain_name)
    assert done.returncode == 0, done.stderr
    assert csv_rows(done.stdout) == [
        ["chain", "day", "minted", "redeemed", "destroyed", "net_issuance", "total_supply_end", "token", "token_address"],
        [chain_name, "2026-03-02", "2000000.000000", "0.000000", "950.000000", "1999050.000000", "11999050.000000",
         chain.symbol, spell(chain.address)],
        [chain_name, "2026-03-03", "0.000000", "500000.000000", "0.000000", "-500000.000000", "11499050.000000",
         chain.symbol, spell(chain.address)],
    ]
    assert Decimal(chain.total_supply()).scaleb(-6) == Decimal("11499050")
    destroyed = rows(db, "SELECT address, amount FROM supply_events WHERE kind = 'destroyed_black_funds' ORDER BY 1")
    assert sorted(destroyed) == sorted([(spell(B_HOT), Decimal("700")), (spell(USER3), Decimal("250"))])


def test_verify_matches_the_node_and_catches_a_tampered_row(world) -> None:
    chain_name, db, chain, spell, sync = world
    token = spell(chain.address)
    verify = ["--db", str(db), "verify", chain_name, "--rpc", chain.anvil.url, "--token", token]
    ((wallets,),) = rows(db, "SELECT count(DISTINCT address) FROM labels WHERE chain = ? AND category = 'exchange'", [chain_name])
    figures = 1 + wallets  # totalSupply and every labeled exchange wallet (ours and the bundled ones)
    ok = run_cli(*verify)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"all {figures} figures match the node" in ok.stdout
    # An earlier block is checked too: derived backwards from the anchors.
    earlier = run_cli(*verify, "--block", str(chain.head() - 3))
    assert earlier.returncode == 0, earlier.stdout + earlier.stderr
    with duckdb.connect(str(db)) as con:
        con.execute(
            "UPDATE transfer_logs SET amount_raw = amount_raw + 1"
            " WHERE from_id = (SELECT address_id FROM addresses WHERE address = ?)"
            " AND to_id = (SELECT address_id FROM addresses WHERE address = ?)", [spell(A_HOT), spell(B_HOT)]
        )
    bad = run_cli(*verify)
    assert bad.returncode == 1
    assert f"2 of {figures} figures differ from the node" in bad.stderr
    differing = [line for line in bad.stdout.splitlines() if line.endswith("0.000001")]
    assert len(differing) == 2  # A received 1 raw unit too few, B one too many: both show it


def test_deposit_discovery_and_with_discovered(world) -> None:
    chain_name, db, chain, spell, _ = world
    done = run_cli("--db", str(db), "labels", "discover", "--chain", chain_name, "--min-sweeps", "2")
    assert done.returncode == 0, done.stderr
    assert f"{chain_name}: 1 deposit addresses and 0 hot wallets discovered in 1 rounds" in done.stdout
    listed = csv_rows(run_cli("--db", str(db), "labels", "list", "--discovered", "--format", "csv").stdout)
    assert listed[1][:6] == [chain_name, spell(DEPOSIT), "ExA", "2", "400.000000", "400.000000"]
    assert len(listed) == 2  # USER1 paid only the deposit address (not an exchange): not a candidate
    three = run_cli("--db", str(db), "labels", "discover", "--chain", chain_name, "--min-sweeps", "3")
    assert f"{chain_name}: 0 deposit addresses and 0 hot wallets discovered" in three.stdout
    again = run_cli("--db", str(db), "labels", "discover", "--chain", chain_name)
    assert f"{chain_name}: 1 labeled wallets have no balance anchor yet" in again.stdout

    sql = "SELECT from_address = $dep, flow_type FROM transfer_flows WHERE from_address = $dep OR to_address = $dep ORDER BY block_number"
    plain = csv_rows(run_cli("--db", str(db), "query", sql, "-p", "dep", spell(DEPOSIT), "--format", "csv").stdout)
    counted = csv_rows(run_cli("--db", str(db), "query", sql, "-p", "dep", spell(DEPOSIT), "--with-discovered",
                               "--format", "csv").stdout)
    # Without discovery the sweep is the inflow; with it, the user's payment is, and the sweep is internal.
    assert [r[1] for r in plain[1:]] == ["other", "inflow", "other", "inflow"]
    assert [r[1] for r in counted[1:]] == ["inflow", "internal", "inflow", "internal"]
    flows = csv_rows(run_cli("--db", str(db), "export", "daily_flows", "--with-discovered", "--since", "2026-03-03").stdout)
    ex_a = [r for r in flows if r[2] == "ExA"][0]
    assert (ex_a[3], ex_a[8]) == ("100.000000", "2")  # inflow 100 (the user's deposit), transfers: deposit + A->B



def test_new_labels_are_anchored_by_the_next_sync(world) -> None:
    chain_name, db, chain, spell, sync = world
    extra = Path(db).with_name("extra.csv")
    extra.write_text(f"chain,address,entity\n{chain_name},{spell(USER2)},ExC\n")
    done = run_cli("--db", str(db), "labels", "import", str(extra))
    assert f"{chain_name}: 1 labeled wallets have no balance anchor yet" in done.stdout
    reserves = dict((r[2], r[3]) for r in csv_rows(run_cli("--db", str(db), "query", "exchange_reserves_daily",
                                                          "-p", "since", "2026-03-03", "--format", "csv").stdout)[1:])
    assert reserves["ExC"] == ""  # unknown, not zero
    resync = run_cli(*sync)
    # the new wallet, and the token owner (re-read with every anchor, for Issue/Redeem crediting)
    assert resync.returncode == 0 and "already up to date" in resync.stdout and "anchored balanceOf of 2 wallets" in resync.stdout
    reserves = dict((r[2], r[3]) for r in csv_rows(run_cli("--db", str(db), "query", "exchange_reserves_daily",
                                                          "-p", "since", "2026-03-03", "--format", "csv").stdout)[1:])
    assert reserves["ExC"] == "200.000000"  # USER2 received 200 from ExA on 2026-03-02


def test_a_sync_of_an_older_range_anchors_at_the_synced_frontier(world) -> None:
    """The anchors' calls go out once a sync's last range is answered, at that range's end; a sync that fills an
    older range ends below the file's frontier, and its anchors are still read at the frontier."""
    chain_name, db, chain, spell, sync = world
    ((frontier,),) = rows(db, "SELECT last_block FROM sync_state")
    ((older,),) = rows(db, "SELECT min(block_number) FROM transfer_logs")
    assert older < frontier and rows(db, "SELECT count(*) FROM balance_anchors WHERE block_number = ?", [older]) == [(0,)]
    again = run_cli(*sync, "--from-block", str(older), "--to-block", str(older))
    assert again.returncode == 0, again.stderr
    assert f"and totalSupply at block {frontier:,}" in again.stdout
    assert rows(db, "SELECT count(*) FROM balance_anchors WHERE block_number = ?", [older]) == [(0,)]
    assert rows(db, "SELECT count(*) FROM supply_anchors WHERE block_number = ?", [older]) == [(0,)]


def test_latest_only_node_anchors_at_its_head_and_counts_it_once_synced(tmp_path: Path, anvil: Anvil, compiled, httpserver) -> None:
    """java-tron answers eth_call only for `latest`: anchors land on the head and wait for the index to reach it."""
    import json as jsonlib

    from werkzeug import Response

    from tests.support.helpers import forwarding_handler

    def java_tron(body):
        if isinstance(body, dict) and body.get("method") == "eth_call" and body["params"][1] != "latest":
            error = {"code": -32602, "message": "QUANTITY not supported, just support TAG as latest"}
            return Response(jsonlib.dumps({"jsonrpc": "2.0", "id": body["id"], "error": error}))
        if isinstance(body, list) and any(item["method"] == "eth_call" and item["params"][1] != "latest" for item in body):
            error = {"code": -32602, "message": "QUANTITY not supported, just support TAG as latest"}
            return Response(jsonlib.dumps([{"jsonrpc": "2.0", "id": item["id"], "error": error} for item in body]))
        return None

    httpserver.expect_request("/").respond_with_handler(forwarding_handler(anvil.url, java_tron))
    url = httpserver.url_for("/")
    chain = TokenChain(anvil, compiled, usdt("1000000"), layout="tron")
    spell = lambda a: base58_from_hex20(a.lower()[2:])  # noqa: E731
    chain.transfer(chain.owner.lower(), A_HOT, usdt("5000"), timestamp=DAY0 + 100)  # before the synced range
    start = chain.head() + 1
    db = tmp_path / "tron.duckdb"
    labels = tmp_path / "labels.csv"
    labels.write_text(f"chain,address,entity\ntron,{spell(A_HOT)},ExA\n")
    assert run_cli("--db", str(db), "labels", "import", str(labels)).returncode == 0
    chain.transfer(A_HOT, USER2, usdt("1.5"), timestamp=DAY0 + DAY + 100)
    chain.transfer(chain.owner.lower(), A_HOT, usdt("10"), timestamp=DAY0 + DAY + 200)
    chain.mine(3)
    sync = ["--db", str(db), "sync", "tron", "--rpc", url, "--token", spell(chain.address), "-q"]
    first = run_cli(*sync, "--from-block", str(start), "--confirmations", "2")
    assert first.returncode == 0, first.stderr
    assert f"at block {chain.head():,} (the node serves only its latest state" in first.stdout
    pending = csv_rows(run_cli("--db", str(db), "query", "exchange_reserves_daily", "--format", "csv").stdout)
    assert [r[3] for r in pending[1:] if r[2] == "ExA"] == [""]  # not known yet: not a zero
    chain.mine(3)
    second = run_cli(*sync, "--confirmations", "2")
    assert second.returncode == 0, second.stderr
    known = csv_rows(run_cli("--db", str(db), "query", "exchange_reserves_daily", "--format", "csv").stdout)
    assert [r[3] for r in known[1:] if r[2] == "ExA"] == ["5008.500000"]
    refused = run_cli("--db", str(db), "verify", "tron", "--rpc", url, "--token", spell(chain.address))
    assert refused.returncode == 1 and "sync to its head (--confirmations 0)" in refused.stderr
    assert run_cli(*sync, "--confirmations", "0").returncode == 0
    ok = run_cli("--db", str(db), "verify", "tron", "--rpc", url, "--token", spell(chain.address))
    assert ok.returncode == 0, ok.stdout + ok.stderr
