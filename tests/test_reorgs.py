"""Reorganizations 1, 5 and 64 blocks deep after a partial sync: orphaned rows go, new ones come, aggregates
equal a clean sync of the winning chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DAY0
from tests.support.chain import Anvil, TokenChain, wallet
from tests.support.helpers import all_contents, file_digest, rows, run_cli
from tracker.chains import ETHEREUM
from tracker.ingest.sync import SyncOptions, sync_chain

EXCHANGE = wallet(1)
HASHED_BLOCKS = 50


def options(token: TokenChain, **overrides) -> SyncOptions:
    values = dict(rpc_url=token.anvil.url, token=token.address, from_block=0, confirmations=0, chunk_size=7)
    values.update(overrides)
    return SyncOptions(**values)


def netflows(db: Path) -> str:
    done = run_cli("--db", str(db), "export", "daily_flows", "--format", "csv")
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("depth", [1, 5, 64])
def test_reorg_of_depth(tmp_path: Path, anvil: Anvil, compiled, depth: int) -> None:
    token = TokenChain(anvil, compiled, 10**13)
    owner = token.owner.lower()
    for step in range(10):
        token.transfer(owner, EXCHANGE if step % 2 else wallet(2), 1_000_000 * (step + 1), timestamp=DAY0 + 100 + 100 * step)
    fork_point = token.head()
    snapshot = anvil.rpc("evm_snapshot")
    orphaned = [token.transfer(owner, EXCHANGE, 7_000_000 + block, timestamp=DAY0 + 2_000 + 10 * block)
                for block in range(depth)]
    labels = tmp_path / "labels.csv"
    labels.write_text(f"chain,address,entity\nethereum,{EXCHANGE},ExA\n")
    db = tmp_path / "reorged.duckdb"
    assert run_cli("--db", str(db), "labels", "import", str(labels)).returncode == 0
    sync_chain(db, ETHEREUM, options(token))
    assert rows(db, "SELECT count(*) FROM transfers WHERE block_number > ?", [fork_point]) == [(depth,)]

    # The other branch: as many blocks plus one, with other transfers (a wallet the old branch never paid).
    assert anvil.rpc("evm_revert", [snapshot]) is True
    token.txs = [tx for tx in token.txs if tx not in orphaned]
    for block in range(depth + 1):
        token.transfer(owner, wallet(3) if block % 2 else EXCHANGE, 11_000_000 + block, timestamp=DAY0 + 2_005 + 10 * block)
    summary = sync_chain(db, ETHEREUM, options(token, from_block=None))
    assert summary.reorg is not None and summary.reorg.ancestor == fork_point
    assert summary.reorg.rows_removed == depth
    orphan_hashes = [tx.tx_hash for tx in orphaned]
    assert rows(db, "SELECT count(*) FROM transfers WHERE tx_hash IN (SELECT unnest(?))", [orphan_hashes]) == [(0,)]
    assert rows(db, "SELECT count(*) FROM transfers WHERE block_number > ?", [fork_point]) == [(depth + 1,)]

    clean = tmp_path / "clean.duckdb"
    assert run_cli("--db", str(clean), "labels", "import", str(labels)).returncode == 0
    sync_chain(clean, ETHEREUM, options(token))
    reorged, fresh = all_contents(db), all_contents(clean)
    for table in ("transfers", "supply_events", "sync_state", "event_blocks"):
        assert reorged[table] == fresh[table], table
    assert netflows(db) == netflows(clean)
    verified = run_cli("--db", str(db), "verify", "ethereum", "--rpc", anvil.url, "--token", token.address)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_old_block_hashes_are_forgotten_and_a_fork_below_the_kept_ones_is_refused(
    tmp_path: Path, anvil: Anvil, compiled, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 10,000 by default; anvil mines that many blocks in minutes, 50 in a moment (the CLI inherits it).
    monkeypatch.setenv("TRACKER_HASHED_BLOCKS", str(HASHED_BLOCKS))
    token = TokenChain(anvil, compiled, 10**13)
    owner = token.owner.lower()
    early = [token.transfer(owner, EXCHANGE, 1_000_000 * (step + 1), timestamp=DAY0 + 100 + 100 * step)
             for step in range(3)]
    snapshot = anvil.rpc("evm_snapshot")
    token.mine(HASHED_BLOCKS + 20)
    token.transfer(owner, wallet(2), 5_000_000)
    db = tmp_path / "long.duckdb"
    sync_chain(db, ETHEREUM, options(token))

    frontier = token.head()
    on_chain = {number: token.w3.eth.get_block(number)["hash"].to_0x_hex()
                for (number,) in rows(db, "SELECT block_number FROM blocks")}
    kept = rows(db, "SELECT block_number, block_hash FROM blocks ORDER BY block_number")
    old = [(number, block_hash) for number, block_hash in kept if number < frontier - HASHED_BLOCKS]
    recent = [(number, block_hash) for number, block_hash in kept if number >= frontier - HASHED_BLOCKS]
    # The early transfers' blocks (and early steps' last blocks) keep their rows, not their hashes.
    assert {tx.block_number for tx in early} <= {number for number, _ in old}
    assert all(block_hash is None for _, block_hash in old)
    assert recent and all(block_hash == on_chain[number] for number, block_hash in recent)
    assert {row[:2] for row in rows(db, "SELECT block_number, amount_raw FROM transfers")} == {
        (row[0], row[6]) for row in token.expected_transfers()
    }

    # Another chain from before every kept hash: refused, nothing rolled back or rewritten.
    assert anvil.rpc("evm_revert", [snapshot]) is True
    token.transfer(owner, wallet(3), 9_000_000)
    token.mine(HASHED_BLOCKS + 40)
    before = file_digest(db)
    done = run_cli("--db", str(db), "sync", "ethereum", "--rpc", anvil.url, "--token", token.address,
                   "--confirmations", "0", "-q")
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        f"error: the ethereum node agrees with none of the block hashes kept (the newest {HASHED_BLOCKS:,} blocks "
        f"up to {frontier:,}): a reorganization deeper than any chain makes, or a node of another network; "
        "check --rpc. Nothing was changed"
    ]
    assert file_digest(db) == before
