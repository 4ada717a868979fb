"""`tracker` as a user runs it: exit codes, one-line errors, an untouched database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DAY0
from tests.support.chain import DECLARED, Anvil, TokenChain, wallet
from tests.support.helpers import file_digest, rows, run_cli


@pytest.fixture
def synced(tmp_path: Path, anvil: Anvil, compiled) -> tuple[TokenChain, Path]:
    token = TokenChain(anvil, compiled, 10**12)
    token.transfer(token.owner, wallet(1), 1_234_567, timestamp=DAY0 + 60)
    token.issue(10**6, timestamp=DAY0 + 120)
    db = tmp_path / "cli.duckdb"
    done = run_cli("--db", str(db), "sync", "ethereum", "--rpc", anvil.url, "--token", token.address,
                   "--confirmations", "0", "--from-block", "0", "--quiet")
    assert done.returncode == 0, done.stderr
    return token, db


def test_sync_prints_a_summary_and_uses_env_defaults(tmp_path: Path, synced) -> None:
    token, _ = synced
    token.transfer(wallet(1), wallet(2), 5, timestamp=DAY0 + 180)
    env = {"TRACKER_ETH_RPC": token.anvil.url, "TRACKER_DB": str(tmp_path / "env.duckdb")}
    done = run_cli("sync", "ethereum", "--token", token.address, "--confirmations", "0", "--from-block", "0", env=env)
    assert done.returncode == 0, done.stderr
    assert f"ethereum {token.address}: blocks 0-{token.head()}" in done.stdout
    assert "2 transfers, 1 supply events" in done.stdout
    assert rows(tmp_path / "env.duckdb", "SELECT sum(amount) FROM transfers")[0][0] == __import__("decimal").Decimal("1.234572")
    again = run_cli("sync", "ethereum", "--token", token.address, "--confirmations", "0", env=env)
    assert again.returncode == 0 and "already up to date" in again.stdout


def test_default_database_is_data_tracker_duckdb(tmp_path: Path, synced) -> None:
    token, _ = synced
    done = run_cli("sync", "ethereum", "--rpc", token.anvil.url, "--token", token.address, "--confirmations", "0",
                   "--from-block", "0", "-q", cwd=tmp_path, env={"TRACKER_DB": ""})
    assert done.returncode == 0, done.stderr
    assert rows(tmp_path / "data" / "tracker.duckdb", "SELECT count(*) FROM transfers") == [(1,)]


BAD_INPUTS = [
    (["--token", "0x1234"], "invalid --token '0x1234'"),
    (["--token", "0xdAC17F958D2ee523a2206206994597C13D831eC7"], "EIP-55 checksum"),
    (["--from-block", "9", "--to-block", "3"], "--from-block 9 is after --to-block 3"),
    (["--from-block", "-1"], "--from-block must be >= 0"),
    (["--since", "2026-13-01"], "invalid --since '2026-13-01'"),
    (["--since", "yesterday"], "invalid --since 'yesterday'"),
    (["--since", "2026-03-05", "--until", "2026-03-01"], "is after --until"),
    (["--from-block", "1", "--since", "2026-03-01"], "either --from-block or --since"),
    (["--chunk-size", "0"], "--chunk-size must be at least 1"),
    (["--to-block", "99999"], "past the confirmed head"),
    (["--since", "2031-01-01"], "no block on or after that day"),
    (["--rpc", "http://127.0.0.1:9"], "cannot reach http://127.0.0.1:9"),
    (["--token", "0x" + "13" * 20], "ethereum token 0x" + "13" * 20 + " is not in the registry or tracker.toml"),
    (["--token", "EMPTY"], "no contract at token address 0x" + "12" * 20),  # declared below, nothing deployed there
]


@pytest.mark.parametrize("extra, message", BAD_INPUTS, ids=[m for _, m in BAD_INPUTS])
def test_bad_input_is_one_line_nonzero_and_leaves_the_database(synced, extra: list[str], message: str) -> None:
    token, db = synced
    DECLARED.add(f'[[tokens]]\nsymbol = "EMPTY"\nchain = "ethereum"\naddress = "0x{"12" * 20}"\n'
                 'decimals = 6\nlayout = "usdt-ethereum"\n')
    before = file_digest(db)
    args = ["--db", str(db), "sync", "ethereum", "--rpc", token.anvil.url, "--token", token.address,
            "--confirmations", "0", "--quiet"]
    done = run_cli(*args, *extra)
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert message in lines[0]
    assert file_digest(db) == before


def test_failed_first_sync_creates_no_file(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    done = run_cli("--db", str(db), "sync", "ethereum", "--rpc", "http://127.0.0.1:9", "--quiet")
    assert done.returncode == 1 and "cannot reach" in done.stderr
    assert not db.exists()


def test_missing_database_folder_is_one_line(synced) -> None:
    token, _ = synced
    done = run_cli("--db", "/nonexistent/dir/x.duckdb", "sync", "ethereum", "--rpc", token.anvil.url,
                   "--token", token.address, "--confirmations", "0", "--quiet")
    assert done.returncode == 1
    assert done.stderr.strip() == "error: cannot create database /nonexistent/dir/x.duckdb: folder /nonexistent/dir does not exist"


def test_query_output_writes_decimal_zero_and_tiny_values_as_digits(tmp_path):
    # a zero sum over DECIMAL(38,18) is Decimal('0E-18'), which str() writes in exponent form
    db = tmp_path / "z.duckdb"
    sql = "SELECT CAST(0 AS DECIMAL(38,18)) AS a, CAST(0.00000001 AS DECIMAL(38,12)) AS b"
    assert run_cli("--db", str(db), "labels", "list").returncode == 0  # creates the file
    for file_format, expected in (("csv", "0.000000000000000000,0.000000010000"),
                                  ("json", '"a": "0.000000000000000000"'),
                                  ("table", "0.000000000000000000  0.000000010000")):
        done = run_cli("--db", str(db), "query", sql, "--format", file_format)
        assert done.returncode == 0, done.stderr
        assert expected in done.stdout and "E-" not in done.stdout
