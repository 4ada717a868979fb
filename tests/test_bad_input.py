"""Bad input to every command: one clear line, a non-zero exit, and the database byte-identical."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from werkzeug import Response

from tests.conftest import DAY0
from tests.support import dataset
from tests.support.chain import Anvil, TokenChain, wallet
from tests.support.helpers import file_digest, forwarding_handler, run_cli

USDT_TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
NO_NODE = "http://127.0.0.1:9"
FILES = {
    "wrong_columns.csv": "chain,addr,who\nethereum,0x" + "ab" * 20 + ",X\n",
    "bad_checksum.csv": "chain,address,entity\nethereum,0xdAC17F958D2ee523a2206206994597C13D831eC7,X\n",
    "bad_tron.csv": "chain,address,entity\ntron,TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u,X\n",
    "wrong_chain.csv": "chain,address,entity\nethereum,TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t,X\n",
    "unknown_chain.csv": "chain,address,entity\nsolana,0x" + "ab" * 20 + ",X\n",
    "hostile_category.csv": "chain,address,entity,category\nethereum,0x" + "ab" * 20 + ",X,=cmd|' /C calc'!A0\n",
    "not_utf8.csv": None,  # written as bytes below
    "metrics_bad.csv": "create_time,symbol,sum_open_interest,sum_open_interest_value,count_long_short_ratio\n"
                       "2024-01-01 00:05:00,BTCUSDT,lots,1,1\n",
    "bad.toml": "[signals]\nfunding_hot = [\n",
    "no_hashes.toml": "[database]\nhashed_blocks = 0\n",
}

CASES = [
    # (arguments, words the one error line must hold)
    (["sync", "ethereum", "--rpc", NO_NODE, "--token", "0x1234"], "invalid --token '0x1234'"),
    (["sync", "ethereum", "--rpc", NO_NODE, "--token", USDT_TRON], "invalid --token"),  # a Tron address
    (["sync", "ethereum", "--rpc", NO_NODE, "--token", "0xdAC17F958D2ee523a2206206994597C13D831eC7"], "checksum"),
    (["sync", "ethereum", "--rpc", NO_NODE, "--since", "2026-02-30"], "invalid --since '2026-02-30'"),
    (["sync", "ethereum", "--rpc", NO_NODE, "--since", "2026-03-05", "--until", "2026-03-01"], "is after --until"),
    (["sync", "ethereum", "--rpc", NO_NODE, "--from-block", "9", "--to-block", "3"], "is after --to-block 3"),
    (["sync", "ethereum", "--rpc", NO_NODE, "--chunk-size", "abc"], "Invalid value for '--chunk-size'"),
    (["sync", "ethereum", "--rpc", NO_NODE], "cannot reach http://127.0.0.1:9"),
    (["sync", "tron", "--rpc", NO_NODE, "--token", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"], "checksum"),
    (["sync", "tron", "--rpc", NO_NODE, "--source", "ftp"], "Invalid value for '--source'"),
    (["sync", "bitcoin"], "No such command 'bitcoin'"),
    (["labels", "import", "missing.csv"], "cannot read missing.csv"),
    (["labels", "import", "{dir}/wrong_columns.csv"], "address"),
    (["labels", "import", "{dir}/bad_checksum.csv"], "line 2"),
    (["labels", "import", "{dir}/bad_tron.csv"], "line 2"),
    (["labels", "import", "{dir}/wrong_chain.csv"], "line 2"),
    (["labels", "import", "{dir}/unknown_chain.csv"], "line 2"),
    (["labels", "import", "{dir}/hostile_category.csv"], "line 2"),
    (["labels", "import", "{dir}/not_utf8.csv"], "not_utf8.csv"),
    (["labels", "import", "--format", "dune", "{dir}/wrong_columns.csv"], "wrong_columns.csv"),
    (["labels", "list", "--chain", "bitcoin"], "unknown chain 'bitcoin'"),
    (["labels", "discover", "--since", "yesterday"], "invalid --since 'yesterday'"),
    (["query", "SELEC 1"], "SQL error"),
    (["query", "DELETE FROM transfer_logs"], "SQL error"),
    (["query", "exchange_netflow_daily", "-p", "chian", "ethereum"], "parameter(s) chian not used"),
    (["query", "exchange_netflow_daily", "-p", "since"], "-p takes a key and a value"),
    (["query", "no_such_query"], "no query named 'no_such_query'"),
    (["export", "daily_flows", "--chain", "solana"], "unknown chain 'solana'"),
    (["export", "daily_flows", "--since", "2026-13-01"], "invalid --since"),
    (["export", "daily_flows", "--since", "2026-03-05", "--until", "2026-03-01"], "is after --until"),
    (["export", "daily_flows", "--format", "parquet"], "parquet is binary"),
    (["export", "daily_flows", "--format", "csv", "--out", "/nonexistent/dir/x.csv"], "cannot write"),
    (["verify", "ethereum", "--rpc", NO_NODE], "has not been synced"),
    (["verify", "ethereum", "--rpc", NO_NODE, "--token", dataset.TOKEN], "cannot reach http://127.0.0.1:9"),
    (["verify", "tron", "--token", "0x1234"], "invalid --token"),
    (["market", "sync", "--venue", "kraken"], "unknown venue 'kraken'"),
    (["market", "sync", "--symbol", "btc-usd"], "invalid --symbol"),
    (["market", "sync", "--since", "2026-02-30"], "invalid --since"),
    (["market", "sync", "--since", "2026-03-05", "--until", "2026-03-01"], "is after --until"),
    (["market", "import", "{dir}/metrics_bad.csv"], "line 2: sum_open_interest: 'lots' is not a number"),
    (["signals", "--since", "2026-1-1"], "invalid --since"),
    (["signals", "--since", "2026-03-05", "--until", "2026-03-01"], "is after --until"),
    (["signals", "evaluate", "--horizons", "0,x"], "invalid --horizons"),
    (["signals", "evaluate", "--symbol", "DOGE"], "no DOGE prices"),
    (["signals", "evaluate", "--scope", "solana"], "no signals for scope 'solana'"),
    (["report", "--date", "02/09/2026"], "invalid --date"),
    (["report", "--format", "pdf"], "Invalid value for '--format'"),
    (["report", "--date", "2026-02-09", "--chart", "/nonexistent/dir/c.png"], "cannot write"),
    (["--config", "{dir}/bad.toml", "report"], "config"),
    (["--config", "{dir}/no_hashes.toml", "sync", "ethereum", "--rpc", NO_NODE], "hashed_blocks must be at least 1, got 0"),
    (["--config", "{dir}/none.toml", "report"], "cannot read config"),
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad-input")
    db = folder / "pristine.duckdb"
    dataset.build(db)
    assert run_cli("--db", str(db), "signals").returncode == 0
    for name, text in FILES.items():
        if text is not None:
            (folder / name).write_text(text)
    (folder / "not_utf8.csv").write_bytes(b"chain,address,entity\nethereum,0x" + b"ab" * 20 + b",\xff\xfe\n")
    return folder


@pytest.mark.parametrize("args, message", CASES, ids=[" ".join(c[0])[:60] for c in CASES])
def test_bad_input(pristine: Path, tmp_path: Path, args: list[str], message: str) -> None:
    db = tmp_path / "db.duckdb"
    shutil.copy(pristine / "pristine.duckdb", db)
    before = file_digest(db)
    done = run_cli("--db", str(db), *[arg.replace("{dir}", str(pristine)) for arg in args],
                   env={"TRACKER_BINANCE_URL": NO_NODE, "TRACKER_BYBIT_URL": NO_NODE, "TRACKER_OKX_URL": NO_NODE},
                   cwd=tmp_path)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0, done.stdout
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert message in lines[0], lines[0]
    assert file_digest(db) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["db.duckdb"]  # nothing else left behind


def test_missing_and_unusable_database_paths(tmp_path: Path) -> None:
    for args, message in [
        (["query", "SELECT 1"], "does not exist"),
        (["report"], "does not exist"),
        (["export", "daily_flows"], "does not exist"),
        (["signals"], "does not exist"),
    ]:
        done = run_cli("--db", str(tmp_path / "none.duckdb"), *args)
        assert done.returncode == 1 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "none.duckdb").exists()
    folder_db = tmp_path / "a-folder"
    folder_db.mkdir()
    done = run_cli("--db", str(folder_db), "labels", "list")
    assert done.returncode == 1 and "cannot open database" in done.stderr
    done = run_cli("--db", str(tmp_path / "no" / "such" / "t.duckdb"), "labels", "list")
    assert done.returncode == 1 and "folder" in done.stderr and "does not exist" in done.stderr


def test_formula_cells_from_hostile_labels_are_neutralized_in_exports(pristine: Path, tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    shutil.copy(pristine / "pristine.duckdb", db)
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(f"chain,address,entity\nethereum,{dataset.USER},\"=cmd|' /C calc'!A0\"\n")
    assert run_cli("--db", str(db), "labels", "import", str(hostile)).returncode == 0
    exported = run_cli("--db", str(db), "export", "daily_flows", "--since", "2026-02-09", "--until", "2026-02-09")
    assert exported.returncode == 0, exported.stderr
    assert "\"'=cmd|' /C calc'!A0\"" in exported.stdout or "'=cmd|' /C calc'!A0" in exported.stdout
    assert ",=cmd" not in exported.stdout


@pytest.mark.parametrize("lie", ["another contract", "another block"])
def test_an_rpc_that_lies_is_refused_and_the_file_kept(tmp_path: Path, anvil: Anvil, compiled, httpserver,
                                                        lie: str) -> None:
    import json

    import requests

    token = TokenChain(anvil, compiled, 10**13)
    token.transfer(token.owner.lower(), wallet(1), 5, timestamp=DAY0 + 10)
    db = tmp_path / "lie.duckdb"
    honest = run_cli("--db", str(db), "sync", "ethereum", "--rpc", anvil.url, "--token", token.address,
                     "--from-block", "0", "--confirmations", "0", "-q")
    assert honest.returncode == 0, honest.stderr
    token.transfer(token.owner.lower(), wallet(2), 6, timestamp=DAY0 + 20)
    before = file_digest(db)

    def intercept(body):
        if not isinstance(body, dict) or body.get("method") != "eth_getLogs":
            return None
        answer = requests.post(anvil.url, json=body).json()
        for log in answer.get("result", []):
            if lie == "another contract":
                log["address"] = "0x" + "12" * 20
            else:
                log["blockNumber"] = hex(int(log["blockNumber"], 16) + 1000)
        return Response(json.dumps(answer), content_type="application/json")

    httpserver.expect_request("/").respond_with_handler(forwarding_handler(anvil.url, intercept))
    done = run_cli("--db", str(db), "sync", "ethereum", "--rpc", httpserver.url_for("/"), "--token", token.address,
                   "--confirmations", "0", "-q")
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert file_digest(db) == before


def test_a_database_error_is_one_line_though_the_cli_does_not_load_duckdb() -> None:
    """main() maps an error DuckDB raises past a command to `error: database: …`; the CLI recognizes one without
    importing DuckDB itself (commands that never open the file start faster)."""
    import subprocess
    import sys

    code = """
import sys
from tracker.cli import _is_database_error
assert not _is_database_error(ValueError("not the database"))
assert "duckdb" not in sys.modules
import duckdb
try:
    duckdb.connect().execute("SELEC 1")
except Exception as error:
    assert _is_database_error(error)
    print(type(error).__name__)
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ParserException"
