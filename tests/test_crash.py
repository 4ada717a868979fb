"""SIGKILL a running `tracker sync` at seeded random moments, re-run it: the database equals a clean run's."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import DAY0
from tests.support.chain import Anvil, TokenChain, wallet
from tests.support.helpers import all_contents, rows, run_cli
from tests.support.trongrid_server import USDT_B58, Chain, TronGridServer, serve

TRIALS = 20
BLOCKS = 120


def sync_command(db: Path, token: TokenChain) -> list[str]:
    # No --from-block: an empty file starts at the token's deployment, a crashed one resumes. One block per
    # eth_getLogs: ~120 committed steps, so kills land between and inside them.
    return [sys.executable, "-m", "tracker", "--db", str(db), "sync", "ethereum", "--rpc", token.anvil.url,
            "--token", token.address, "--confirmations", "0", "--chunk-size", "1", "--quiet"]


def test_sigkill_then_rerun_equals_a_clean_run(tmp_path: Path, anvil: Anvil, compiled) -> None:
    token = TokenChain(anvil, compiled, 10**13)
    owner = token.owner.lower()
    for block in range(BLOCKS):
        token.transfer(owner, wallet(block % 7), 1_000_000 + block, timestamp=DAY0 + 100 + 60 * block)
    token.issue(3_000_000, timestamp=DAY0 + 100 + 60 * BLOCKS)
    token.destroy_black_funds(wallet(6), timestamp=DAY0 + 100 + 60 * BLOCKS + 30)
    clean = tmp_path / "clean.duckdb"
    started = time.monotonic()
    done = subprocess.run(sync_command(clean, token), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    full_run = time.monotonic() - started
    expected = all_contents(clean)

    chooser = random.Random(20261126)
    killed_mid_run = 0
    for trial in range(TRIALS):
        db = tmp_path / f"crash-{trial}.duckdb"
        process = subprocess.Popen(sync_command(db, token), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(chooser.uniform(0.05, full_run))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed_mid_run += 1
        process.wait(timeout=60)
        again = subprocess.run(sync_command(db, token), capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, f"trial {trial}: {again.stderr}"
        assert all_contents(db) == expected, f"trial {trial}"
        verified = run_cli("--db", str(db), "verify", "ethereum", "--rpc", token.anvil.url, "--token", token.address)
        assert verified.returncode == 0, f"trial {trial}: {verified.stdout}{verified.stderr}"
    assert killed_mid_run >= TRIALS // 2  # most kills landed while the sync was running


def test_trongrid_sigkill_then_rerun_equals_a_clean_run(tmp_path: Path, httpserver) -> None:
    # TronGrid's path has its own fetch (event pages by time window) but commits through the same steps.

    chain = Chain().build(BLOCKS, busy_blocks={40: 150, 77: 190})
    url = serve(httpserver, TronGridServer(chain, solidified=chain.first_block + BLOCKS - 1))
    # No JSON-RPC node for balance anchors (port 9 refuses at once): the sync keeps its rows and warns.
    env = {**os.environ, "TRACKER_TRONGRID_URL": url, "TRACKER_TRON_RPC": "http://127.0.0.1:9"}

    def command(db: Path) -> list[str]:
        # A kill may land before the first migration committed: a file without tables starts afresh too.
        started = (db.exists() and rows(db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'sync_state'") == [(1,)]
                   and rows(db, "SELECT count(*) FROM sync_state") == [(1,)])
        return [sys.executable, "-m", "tracker", "--db", str(db), "sync", "tron", "--source", "trongrid",
                "--token", USDT_B58, "--chunk-size", "2", "--to-block", str(chain.first_block + BLOCKS - 1),
                "--quiet", *([] if started else ["--from-block", str(chain.first_block)])]

    clean = tmp_path / "clean.duckdb"
    started = time.monotonic()
    done = subprocess.run(command(clean), capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    full_run = time.monotonic() - started
    expected = all_contents(clean, block_hashes=False)
    assert len(expected["transfers"]) > 400

    chooser = random.Random(20261127)
    killed_mid_run = 0
    for trial in range(TRIALS):
        db = tmp_path / f"crash-{trial}.duckdb"
        process = subprocess.Popen(command(db), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        time.sleep(chooser.uniform(0.05, full_run))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed_mid_run += 1
        process.wait(timeout=60)
        again = subprocess.run(command(db), capture_output=True, text=True, timeout=300, env=env)
        assert again.returncode == 0, f"trial {trial}: {again.stderr}"
        assert all_contents(db, block_hashes=False) == expected, f"trial {trial}"
        assert rows(db, "SELECT from_block, to_block FROM sync_ranges") == [
            (chain.first_block, chain.first_block + BLOCKS - 1)]  # one range: no gaps
    assert killed_mid_run >= TRIALS // 2
