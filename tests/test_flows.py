"""Labels → exchange flows → SQL queries and exports, against a real anvil node on both chain paths.

Ground truth is written by hand below from the scenario, not computed by the code under test.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.conftest import DAY0
from tests.support.chain import Anvil, TokenChain, wallet
from tests.support.helpers import rows, run_cli
from tracker.chains import ETHEREUM, TRON
from tracker.ingest.sync import SyncOptions, sync_chain
from tracker.ingest.tron.address import base58_from_hex20

DAY = 86_400
A_HOT, A_COLD, B_HOT, C_WALLET = wallet(10), wallet(11), wallet(20), wallet(30)
USER1, USER2, USER3 = wallet(1), wallet(2), wallet(3)
ROOT = Path(__file__).resolve().parent.parent


def usdt(text: str) -> int:
    return int(Decimal(text).scaleb(6))


def flow_scenario(chain: TokenChain) -> None:
    owner = chain.owner.lower()
    chain.transfer(owner, USER1, usdt("1000"), timestamp=DAY0 + 10)  # issuer -> user: other
    chain.transfer(owner, USER3, usdt("10"), timestamp=DAY0 + 20)
    chain.transfer(owner, A_HOT, usdt("1000.000001"), timestamp=DAY0 + 30)  # issuer -> exchange: inflow A
    # From here on, 01:00 UTC: ExA's day spans two hours, which the daily figures must merge.
    chain.transfer(USER1, A_HOT, usdt("250.5"), timestamp=DAY0 + 3600 + 40)  # inflow A
    chain.transfer(A_HOT, A_COLD, usdt("600"), timestamp=DAY0 + 3600 + 50)  # hot -> cold: internal
    chain.transfer(A_HOT, USER2, usdt("100.25"), timestamp=DAY0 + 3600 + 60)  # outflow A
    chain.transfer(USER3, USER3, usdt("1"), timestamp=DAY0 + 3600 + 70)  # self, unlabeled: other
    chain.transfer(A_HOT, A_HOT, usdt("5"), timestamp=DAY0 + 3600 + 80)  # self, exchange: internal
    chain.transfer(USER1, USER2, 0, timestamp=DAY0 + 3600 + 90)  # zero value: other
    chain.transfer(USER1, C_WALLET, usdt("2"), timestamp=DAY0 + 3600 + 95)  # inflow C (label valid until 03-02)
    chain.transfer(A_COLD, B_HOT, usdt("300"), timestamp=DAY0 + DAY + 10)  # cross-exchange A -> B
    chain.transfer(B_HOT, owner, usdt("50"), timestamp=DAY0 + DAY + 20)  # exchange -> issuer: outflow B
    chain.transfer(USER2, B_HOT, 1, timestamp=DAY0 + DAY + 30)  # inflow B of 0.000001
    chain.transfer(B_HOT, B_HOT, 0, timestamp=DAY0 + DAY + 40)  # zero-value self: internal
    chain.transfer(USER1, C_WALLET, usdt("3"), timestamp=DAY0 + DAY + 50)  # C's label expired: other
    chain.issue(usdt("5000"), timestamp=DAY0 + 2 * DAY + 10)
    chain.redeem(usdt("1"), timestamp=DAY0 + 2 * DAY + 20)
    # Blacklist destructions, on an exchange wallet (B's 250.000001) and on an unlabeled one (USER3's 10):
    # no Transfer, so no flow; B's reserve drops to zero.
    chain.destroy_black_funds(B_HOT, timestamp=DAY0 + 2 * DAY + 40)
    chain.destroy_black_funds(USER3, timestamp=DAY0 + 2 * DAY + 60)
    chain.transfer(USER1, A_HOT, usdt("10"), timestamp=DAY0 + 3 * DAY - 1)  # 2026-03-03 23:59:59
    chain.transfer(USER1, B_HOT, usdt("7"), timestamp=DAY0 + 3 * DAY)  # 2026-03-04 00:00:00


# chain, day, entity, inflow, outflow, netflow, cross_in, cross_out, transfers — by hand from the scenario.
EXPECTED_DAILY = [
    ("2026-03-01", "ExA", "1250.500001", "100.250000", "1150.250001", "0.000000", "0.000000", 3),
    ("2026-03-01", "ExC", "2.000000", "0.000000", "2.000000", "0.000000", "0.000000", 1),
    ("2026-03-02", "ExA", "0.000000", "300.000000", "-300.000000", "0.000000", "300.000000", 1),
    ("2026-03-02", "ExB", "300.000001", "50.000000", "250.000001", "300.000000", "0.000000", 3),
    ("2026-03-03", "ExA", "10.000000", "0.000000", "10.000000", "0.000000", "0.000000", 1),
    ("2026-03-04", "ExB", "7.000000", "0.000000", "7.000000", "0.000000", "0.000000", 1),
]


def label_csv(chain_name: str, owner: str, spell) -> str:
    lines = ["chain,address,entity,category,wallet_type,source,valid_from,valid_to"]
    lines += [
        f"{chain_name},{spell(A_HOT)},ExA,exchange,hot,test,,",
        f"{chain_name},{spell(A_COLD)},ExA,exchange,cold,test,,",
        f"{chain_name},{spell(B_HOT)},ExB,,hot,test,,",  # category defaults to exchange
        f"{chain_name},{spell(C_WALLET)},ExC,exchange,,test,2026-01-01,2026-03-02",
        f"{chain_name},{spell(owner)},Tether,issuer,treasury,test,,",
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture(params=["ethereum", "tron"])
def synced(request, tmp_path: Path, anvil: Anvil, compiled):
    """The scenario indexed through the Ethereum path, or the Tron path (token with mint/burn legs)."""
    is_tron = request.param == "tron"
    chain = TokenChain(anvil, compiled, 10**12, layout=request.param)
    flow_scenario(chain)
    spec = TRON if is_tron else ETHEREUM
    spell = (lambda a: base58_from_hex20(a.lower()[2:])) if is_tron else (lambda a: a.lower())
    token = spell(chain.address)
    db = tmp_path / f"{request.param}.duckdb"
    sync_chain(db, spec, SyncOptions(rpc_url=anvil.url, token=token, from_block=0, confirmations=0))
    labels_file = tmp_path / "labels.csv"
    labels_file.write_text(label_csv(request.param, chain.owner, spell))
    done = run_cli("--db", str(db), "labels", "import", str(labels_file))
    assert done.returncode == 0, done.stderr
    # The new labels get their balance anchors from the next sync; then the chain agrees with the index.
    sync_chain(db, spec, SyncOptions(rpc_url=anvil.url, token=token, confirmations=0))
    verified = run_cli("--db", str(db), "verify", request.param, "--rpc", anvil.url, "--token", token)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    return request.param, db, chain, spell


def daily(db: Path, chain_name: str, token: str, symbol: str) -> list[tuple]:
    done = run_cli("--db", str(db), "export", "daily_flows", "--chain", chain_name, "--format", "csv")
    assert done.returncode == 0, done.stderr
    table = list(csv.reader(io.StringIO(done.stdout)))
    assert table[0] == ["chain", "day", "entity", "inflow", "outflow", "netflow", "cross_in", "cross_out", "transfers",
                        "reserve_end", "token", "token_address"]  # last: the export's promised columns come first
    assert {(row[0], row[10], row[11]) for row in table[1:]} == {(chain_name, symbol, token)}
    return [tuple(row[1:8]) + (int(row[8]),) for row in table[1:]]


def test_daily_flows_are_exact_on_both_chains(synced) -> None:
    chain_name, db, chain, spell = synced
    assert daily(db, chain_name, spell(chain.address), chain.symbol) == EXPECTED_DAILY
    # The destroyed funds left ExB's reserve without a flow: 7 received on 03-04 is all it holds.
    done = run_cli("--db", str(db), "export", "daily_flows", "--chain", chain_name, "--since", "2026-03-04")
    assert list(csv.reader(io.StringIO(done.stdout)))[1][2::7] == ["ExB", "7.000000"]
    destroyed = rows(db, "SELECT address, amount_raw FROM supply_events WHERE kind = 'destroyed_black_funds' ORDER BY 2")
    assert [(a, int(r)) for a, r in destroyed] == [(spell(USER3), usdt("10")), (spell(B_HOT), usdt("250.000001"))]
    assert chain.balance(B_HOT) == usdt("7") and chain.balance(USER3) == 0


def test_flow_types(synced) -> None:
    chain_name, db, chain, spell = synced
    kinds = dict(rows(db, "SELECT flow_type, count(*) FROM transfer_flows GROUP BY 1"))
    legs = {"mint_leg": 1, "burn_leg": 1} if chain_name == "tron" else {}
    assert kinds == {"inflow": 6, "outflow": 2, "internal": 3, "cross_exchange": 1, "other": 5, **legs}
    ((self_type,),) = rows(db, "SELECT flow_type FROM transfer_flows WHERE from_address = ? AND to_address = ?",
                          [spell(A_HOT), spell(A_HOT)])
    assert self_type == "internal"


def test_queries_run_by_name_and_unchanged_in_duckdb(synced, tmp_path: Path) -> None:
    chain_name, db, _, spell = synced
    matrix = run_cli("--db", str(db), "query", "cross_exchange_matrix", "--format", "json")
    assert json.loads(matrix.stdout) == [
        {"chain": chain_name, "from_entity": "ExA", "to_entity": "ExB", "amount": "300.000000", "transfers": 1,
         "token": synced[2].symbol, "token_address": spell(synced[2].address)}
    ]
    top = run_cli("--db", str(db), "query", "top_exchange_transfers", "-p", "top", "2", "-p", "since", "2026-03-02",
                  "--format", "json")
    assert [(r["sender"], r["amount"], r["flow_type"]) for r in json.loads(top.stdout)] == [
        ("ExA", "300.000000", "cross_exchange"), ("ExB", "50.000000", "outflow")
    ]
    hourly = run_cli("--db", str(db), "query", "exchange_flows_hourly", "-p", "chain", chain_name,
                     "-p", "since", "2026-03-03", "-p", "until", "2026-03-04", "--format", "csv")
    hours = [row[1:4] for row in list(csv.reader(io.StringIO(hourly.stdout)))[1:]]
    assert hours == [["2026-03-03 23:00:00", "ExA", "10.000000"], ["2026-03-04 00:00:00", "ExB", "7.000000"]]

    # Each file runs unchanged in DuckDB itself: PREPARE it, EXECUTE with named parameters.
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'America/New_York'")  # days must stay UTC days whatever the session says
        for path in sorted((ROOT / "tracker" / "sql" / "queries").glob("*.sql")):
            con.execute(f"PREPARE q AS {path.read_text()}")
            names = sorted(set(__import__("re").findall(r"\$([a-z_]+)", path.read_text())))
            args = ", ".join(f"{name} := NULL" for name in names)
            answer = con.execute(f"EXECUTE q({args})").fetchall()
            # no market data, signals, liquidations or options in this scenario: those files are run on their
            # own data (tests/support/dataset.py, test_levels, test_liquidation_report, test_options_report);
            # exchange_reserves_on and flow_by_label_method need their $day
            assert answer or path.name in ("market_daily.sql", "signal_evaluation.sql", "signals_daily.sql",
                                           "exchange_reserves_on.sql", "flow_by_label_method.sql") \
                or path.name.startswith(("liquidation", "nearest_liquidation", "options_")), path.name
            con.execute("DEALLOCATE q")
        con.execute(f"PREPARE q AS {(ROOT / 'tracker' / 'sql' / 'queries' / 'exchange_netflow_daily.sql').read_text()}")
        got = con.execute(f"EXECUTE q(chain := '{chain_name}', since := DATE '2026-03-02', until := DATE '2026-03-02',"
                          " token := NULL)").fetchall()
    finally:
        con.close()
    assert [(str(r[1]), r[2], str(r[3]), str(r[5])) for r in got] == [
        ("2026-03-02", "ExA", "0.000000", "-300.000000"), ("2026-03-02", "ExB", "300.000001", "250.000001")
    ]


def test_exports_keep_exact_decimals(synced, tmp_path: Path) -> None:
    chain_name, db, _, _ = synced
    out = tmp_path / "flows.parquet"
    done = run_cli("--db", str(db), "export", "daily_flows", "--format", "parquet", "--out", str(out),
                   "--since", "2026-03-02", "--until", "2026-03-02")
    assert done.returncode == 0, done.stderr
    table = pq.read_table(out)
    assert str(table.schema.field("netflow").type) == "decimal128(38, 6)"
    by_entity = {r["entity"]: r for r in table.to_pylist()}
    assert by_entity["ExB"]["netflow"] == Decimal("250.000001")
    as_json = run_cli("--db", str(db), "export", "daily_flows", "--format", "json", "--chain", chain_name)
    first = json.loads(as_json.stdout)[0]
    assert (first["day"], first["entity"], first["inflow"]) == ("2026-03-01", "ExA", "1250.500001")


def test_labels_outside_their_window_do_not_count(synced) -> None:
    chain_name, db, _, spell = synced
    ((c_late,),) = rows(db, "SELECT flow_type FROM transfer_flows WHERE to_address = ? AND CAST(timezone('UTC', block_time) AS DATE) = DATE '2026-03-02'", [spell(C_WALLET)])
    assert c_late == "other"


@pytest.mark.parametrize("chain_name", ["ethereum", "tron"])
def test_scope_labeled_fetches_only_labeled_transfers_and_same_flows(
    chain_name: str, tmp_path: Path, anvil: Anvil, compiled
) -> None:
    is_tron = chain_name == "tron"
    chain = TokenChain(anvil, compiled, 10**12, layout=chain_name)
    flow_scenario(chain)
    spec = TRON if is_tron else ETHEREUM
    spell = (lambda a: base58_from_hex20(a.lower()[2:])) if is_tron else (lambda a: a.lower())
    db = tmp_path / "labeled.duckdb"
    labels_file = tmp_path / "labels.csv"
    labels_file.write_text(label_csv(chain_name, chain.owner, spell))
    assert run_cli("--db", str(db), "labels", "import", str(labels_file)).returncode == 0
    options = SyncOptions(rpc_url=anvil.url, token=spell(chain.address), from_block=0, confirmations=0,
                          scope="labeled", max_subtopics=2)  # several chunks of addresses per step
    summary = sync_chain(db, spec, options)
    # Two transfers touch no labeled wallet (user3 -> user3, user1 -> user2): they are not fetched.
    assert summary.transfers == (17 if is_tron else 15)
    assert summary.supply_events == 4  # every supply event: Issue, Redeem, both DestroyedBlackFunds
    assert daily(db, chain_name, spell(chain.address), chain.symbol) == EXPECTED_DAILY
    assert rows(db, "SELECT count(*) FROM transfers WHERE from_address = ? AND to_address = ?", [spell(USER3), spell(USER3)]) == [(0,)]
    assert rows(db, "SELECT DISTINCT scope FROM sync_state") == [("labeled",)]
    mixed = run_cli("--db", str(db), "sync", chain_name, "--rpc", anvil.url, "--token", spell(chain.address),
                    "--confirmations", "0", "-q")
    assert mixed.returncode == 1 and "synced with --scope labeled" in mixed.stderr


def test_query_command_inputs_and_errors(synced, tmp_path: Path) -> None:
    chain_name, db, _, _ = synced
    stdin = run_cli("--db", str(db), "query", "-", "--format", "csv", stdin="SELECT count(*) AS n FROM transfer_flows WHERE flow_type = 'internal'")
    assert stdin.stdout == "n\n3\n"
    sql_file = tmp_path / "mine.sql"
    sql_file.write_text("SELECT entity FROM exchange_flows_by_hour WHERE chain = $chain GROUP BY 1 ORDER BY 1;\n")
    from_file = run_cli("--db", str(db), "query", str(sql_file), "-p", "chain", chain_name, "--format", "csv")
    assert from_file.stdout == "entity\nExA\nExB\nExC\n"
    before = Path(db).read_bytes()
    for args, message in [
        (["SELEC 1"], "error: SQL error: Parser Error"),
        (["no_such_query"], "error: no query named 'no_such_query'"),
        (["exchange_netflow_daily", "-p", "chian", "tron"], "parameter(s) chian not used by the query"),
        (["exchange_netflow_daily", "-p", "chain"], "-p takes a key and a value"),
        (["DELETE FROM transfer_logs"], "read-only"),
    ]:
        done = run_cli("--db", str(db), "query", *args)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == 1 and len(lines) == 1 and message in lines[0], (args, done.stderr)
    assert Path(db).read_bytes() == before
    bad_export = run_cli("--db", str(db), "export", "daily_flows", "--chain", "solana")
    assert bad_export.returncode == 1 and "unknown chain 'solana'" in bad_export.stderr


def test_csv_neutralizes_formula_cells_but_not_negative_numbers() -> None:
    import pyarrow as pa

    from tracker.output import render
    from tracker.queries import Result

    result = Result(["entity", "netflow"], [("=cmd|' /C calc'!A0", Decimal("-300.000000")), ("@SUM(A1)", Decimal("1.5"))], pa.table({}))
    assert render(result, "csv") == "entity,netflow\n'=cmd|' /C calc'!A0,-300.000000\n'@SUM(A1),1.5\n"


def test_table_aligns_numbers_right_whatever_their_type() -> None:
    """Numbers (int, Decimal, float, numeric text) right-aligned, anything else left; the first column always left."""
    from tracker.output import render
    from tracker.queries import Result

    result = Result(
        ["entity", "netflow", "note", "day", "flag"],
        [("ExA", Decimal("-300.000000"), "12", date(2026, 1, 2), True),
         ("1", None, "ExB", None, False),
         ("ExCC", Decimal("1.5"), None, date(2026, 1, 3), None)],
    )
    assert render(result, "table") == (
        "entity  netflow      note  day         flag\n"  # headers are names: left-aligned
        "------  -----------  ----  ----------  -----\n"
        "ExA     -300.000000    12  2026-01-02  True\n"
        "1                    ExB               False\n"
        "ExCC            1.5        2026-01-03\n"
        "(3 rows)\n"
    )
