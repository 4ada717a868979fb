"""Readers while a long sync writes: they succeed on committed data or fail fast with "database is busy"."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import DAY0
from tests.support.chain import Anvil, TokenChain, wallet
from tests.support.helpers import rows, run_cli

BLOCKS = 240
BUSY_TIMEOUT = 3  # seconds a reader waits (TRACKER_BUSY_TIMEOUT)
CONSISTENCY = ("SELECT (SELECT count(*) FROM transfers), "
               "(SELECT count(*) FROM transfers WHERE block_number > (SELECT coalesce(max(last_block), -1) FROM sync_state))")


def test_readers_during_a_long_sync(tmp_path: Path, anvil: Anvil, compiled) -> None:
    token = TokenChain(anvil, compiled, 10**13)
    owner = token.owner.lower()
    for block in range(BLOCKS):
        token.transfer(owner, wallet(block % 3), 1_000 + block, timestamp=DAY0 + 100 + 30 * block)
    labels = tmp_path / "labels.csv"
    labels.write_text(f"chain,address,entity\nethereum,{wallet(1)},ExA\n")
    db = tmp_path / "busy.duckdb"
    assert run_cli("--db", str(db), "labels", "import", str(labels)).returncode == 0
    env = {"TRACKER_BUSY_TIMEOUT": str(BUSY_TIMEOUT)}
    sync = subprocess.Popen(
        [sys.executable, "-m", "tracker", "--db", str(db), "sync", "ethereum", "--rpc", anvil.url, "--token",
         token.address, "--from-block", "0", "--confirmations", "0", "--chunk-size", "1", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    readers = [
        ("query", CONSISTENCY, "--format", "csv"),
        ("report", "--date", "2026-03-01", "--format", "json"),
        ("export", "daily_flows", "--format", "csv"),
    ]
    outcomes = {"ok_during_sync": 0, "busy": 0}
    counts: list[int] = []
    turn = 0
    while sync.poll() is None:
        args = readers[turn % len(readers)]
        turn += 1
        started = time.monotonic()
        done = run_cli("--db", str(db), *args, env=env)
        elapsed = time.monotonic() - started
        still_running = sync.poll() is None
        if done.returncode == 0:
            if args[0] == "query":
                seen, beyond = (int(value) for value in done.stdout.splitlines()[1].split(","))
                assert beyond == 0  # never a row the sync state does not cover: steps are atomic
                assert not counts or seen >= counts[-1]
                counts.append(seen)
            outcomes["ok_during_sync"] += still_running
        else:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            assert len(lines) == 1 and "is busy" in lines[0], done.stderr
            assert elapsed < BUSY_TIMEOUT + 10  # waited its bound (plus start-up), never hung
            outcomes["busy"] += 1
    out, err = sync.communicate(timeout=60)
    assert sync.returncode == 0, err
    assert outcomes["ok_during_sync"] >= 3, outcomes  # readers got in between the sync's steps
    assert rows(db, "SELECT count(*) FROM transfers") == [(BLOCKS,)]
    assert 0 < len(counts) and counts[-1] <= BLOCKS


def test_a_reader_facing_a_held_lock_fails_fast_with_one_line(tmp_path: Path) -> None:
    import duckdb

    from tests.support import dataset

    db = tmp_path / "held.duckdb"
    dataset.build(db)
    holder = duckdb.connect(str(db))  # another process writing, as far as DuckDB's file lock is concerned
    try:
        for args in (("query", "SELECT count(*) FROM transfers"), ("report", "--date", "2026-02-01"),
                     ("export", "daily_flows"), ("signals",), ("market", "sync", "--venue", "binance")):
            started = time.monotonic()
            done = run_cli("--db", str(db), *args, env={"TRACKER_BUSY_TIMEOUT": "1"})
            elapsed = time.monotonic() - started
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            assert done.returncode == 1 and len(lines) == 1 and "is busy" in lines[0], (args, done.stderr)
            assert elapsed < 10, (args, elapsed)
    finally:
        holder.close()


def test_a_second_sync_of_the_same_chain_is_refused(tmp_path: Path, anvil: Anvil, compiled) -> None:
    import fcntl

    token = TokenChain(anvil, compiled, 10**13)
    token.transfer(token.owner.lower(), wallet(1), 5, timestamp=DAY0 + 10)
    db = tmp_path / "twice.duckdb"
    with open(f"{db}.ethereum.sync-lock", "wb") as held:  # as a running sync holds it
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = run_cli("--db", str(db), "sync", "ethereum", "--rpc", anvil.url, "--token", token.address,
                       "--from-block", "0", "--confirmations", "0")
        assert done.returncode == 1 and "another `tracker sync ethereum` is running" in done.stderr
    done = run_cli("--db", str(db), "sync", "ethereum", "--rpc", anvil.url, "--token", token.address,
                   "--from-block", "0", "--confirmations", "0", "-q")
    assert done.returncode == 0, done.stderr


def test_a_waiting_tracker_process_is_seen_by_the_writer(tmp_path: Path) -> None:
    """A command waiting for the file holds a shared lock on FILE.readers-waiting; the sync's writer sees it
    (and lends the file after its step), and sees nobody once the command got in or gave up."""
    import duckdb

    from tracker.store import WaitingReaders, say_waiting

    db = tmp_path / "w.duckdb"
    readers = WaitingReaders(db)
    assert not readers.any()
    waiting = say_waiting(db)
    assert waiting is not None and readers.any()
    waiting.close()
    assert not readers.any()
    # A real wait: a reader that finds the file locked says so until it stops waiting.
    holder = duckdb.connect(str(db))
    try:
        reader = subprocess.Popen([sys.executable, "-m", "tracker", "--db", str(db), "query", "SELECT 1"],
                                  env={**os.environ, "TRACKER_BUSY_TIMEOUT": "3"}, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while not readers.any() and time.monotonic() < deadline and reader.poll() is None:
            time.sleep(0.05)
        assert readers.any()
    finally:
        holder.close()
    reader.wait(timeout=30)
    assert not readers.any()
    readers.close()
