"""Reorganizations 1, 5 and 64 blocks deep after a partial sync: orphaned rows go, new ones come, aggregates
equal a clean sync of the winning chain."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chain import Anvil, TokenChain, wallet
from tests.conftest import DAY0
from tests.helpers import all_contents, rows, run_cli
from tracker.chains import ETHEREUM
from tracker.sync import SyncOptions, sync_chain

EXCHANGE = wallet(1)


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
