"""`tracker sync tron` (JSON-RPC source) against anvil: it speaks the same protocol as java-tron.

The token is the Tron layout of TestTether: Issue/Redeem also emit the zero-address Transfer legs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug import Response

from tests.conftest import DAY0
from tests.support.chain import DECLARED, Anvil, TokenChain, wallet
from tests.support.helpers import all_contents, file_digest, forwarding_handler, rows, run_cli, units
from tracker.chains import TRON
from tracker.ingest.sync import REQUESTS_IN_FLIGHT, SyncOptions, sync_chain
from tracker.ingest.tron.address import base58_from_hex20

DAY = 86_400


def b58(address: str) -> str:
    return base58_from_hex20(address.lower().removeprefix("0x"))


@pytest.fixture
def tron_token(anvil: Anvil, compiled) -> TokenChain:
    return TokenChain(anvil, compiled, 10**13, layout="tron")


def tron_scenario(chain: TokenChain) -> None:
    owner = chain.owner.lower()
    chain.issue(2_000_000_000_000, timestamp=DAY0 + 10)  # 2,000,000 USDT minted: Issue + Transfer(0x0 -> owner)
    chain.transfer(owner, wallet(1), 750_000_123_456, timestamp=DAY0 + 20)
    chain.batch([(wallet(1), wallet(2), 1), (wallet(1), wallet(3), 999_999)], timestamp=DAY0 + DAY + 3)
    chain.redeem(500_000_000_000, timestamp=DAY0 + DAY + 6)  # Redeem + Transfer(owner -> 0x0)
    chain.destroy_black_funds(wallet(3), timestamp=DAY0 + DAY + 9)


def options(chain: TokenChain, url: str | None = None, **overrides) -> SyncOptions:
    values = dict(rpc_url=url or chain.anvil.url, token=b58(chain.address), from_block=0, confirmations=0,
                  chunk_size=100)
    values.update(overrides)
    return SyncOptions(**values)


def expected_tron_transfers(chain: TokenChain) -> set[tuple]:
    return {
        (block, when, tx_hash.removeprefix("0x"), index, b58(sender), b58(receiver), raw)
        for block, when, tx_hash, index, sender, receiver, raw in chain.expected_transfers()
    }


def test_tron_rows_are_base58_exact_and_mint_counted_once(tmp_path: Path, tron_token: TokenChain) -> None:
    tron_scenario(tron_token)
    db = tmp_path / "t.duckdb"
    summary = sync_chain(db, TRON, options(tron_token))
    assert summary.chain == "tron" and summary.token == b58(tron_token.address)

    stored = rows(
        db,
        "SELECT block_number, epoch(block_time)::BIGINT, tx_hash, log_index, from_address, to_address, amount_raw, amount"
        " FROM transfers WHERE chain = 'tron'",
    )
    assert all(amount == units(int(raw)) for *_, raw, amount in stored)
    assert {row[:6] + (int(row[6]),) for row in stored} == expected_tron_transfers(tron_token)
    assert all(r[4].startswith("T") and r[5].startswith("T") and len(r[2]) == 64 for r in stored)

    zero = "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb"
    legs = rows(db, "SELECT supply_leg, from_address, to_address, amount FROM transfers WHERE supply_leg IS NOT NULL ORDER BY 1")
    owner = b58(tron_token.owner)
    assert legs == [("burn", owner, zero, units(500_000_000_000)), ("mint", zero, owner, units(2_000_000_000_000))]

    supply = rows(db, "SELECT kind, count(*), sum(amount_raw) FROM supply_events GROUP BY kind ORDER BY kind")
    assert [(k, c, int(s)) for k, c, s in supply] == [
        ("destroyed_black_funds", 1, 999_999), ("issue", 1, 2_000_000_000_000), ("redeem", 1, 500_000_000_000)
    ]
    # Supply from supply events alone matches the contract; the legs are not counted again.
    ((net,),) = rows(db, "SELECT sum(CASE kind WHEN 'issue' THEN amount_raw ELSE -amount_raw END) FROM supply_events")
    assert 10**13 + int(net) == tron_token.total_supply()
    ((dbf_address,),) = rows(db, "SELECT address FROM supply_events WHERE kind = 'destroyed_black_funds'")
    assert dbf_address == b58(wallet(3))


def test_tron_resume_matches_a_clean_run(tmp_path: Path, tron_token: TokenChain) -> None:
    tron_scenario(tron_token)
    resumed = tmp_path / "resumed.duckdb"
    middle = tron_token.head() - 3
    sync_chain(resumed, TRON, options(tron_token, to_block=middle))
    tron_token.transfer(wallet(1), wallet(4), 5, timestamp=DAY0 + 2 * DAY)
    second = sync_chain(resumed, TRON, options(tron_token, from_block=None))
    assert (second.from_block, second.to_block) == (middle + 1, tron_token.head())
    clean = tmp_path / "clean.duckdb"
    sync_chain(clean, TRON, options(tron_token))
    assert all_contents(resumed) == all_contents(clean)
    assert rows(resumed, "SELECT DISTINCT source FROM sync_state") == [("jsonrpc",)]


def test_tron_block_range_limit_is_learned(tmp_path: Path, tron_token: TokenChain, httpserver) -> None:
    tron_scenario(tron_token)
    tron_token.mine(150)
    refused: list[int] = []

    def java_tron(body):
        if isinstance(body, dict) and body.get("method") == "eth_getLogs":
            query = body["params"][0]
            assert query["address"] == tron_token.address  # 20-byte hex, no 41 prefix
            blocks = int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1
            if blocks > 8:
                refused.append(blocks)
                error = {"code": -32005, "message": "exceed max block range: 8"}
                return Response(json.dumps({"jsonrpc": "2.0", "id": body["id"], "error": error}))
        return None

    httpserver.expect_request("/").respond_with_handler(forwarding_handler(tron_token.anvil.url, java_tron))
    db = tmp_path / "t.duckdb"
    summary = sync_chain(db, TRON, options(tron_token, url=httpserver.url_for("/"), chunk_size=100))
    # Learned from the first refusal: only requests already in flight then were over the limit, never one after.
    assert refused and all(blocks > 8 for blocks in refused) and len(refused) <= REQUESTS_IN_FLIGHT
    assert 1 <= summary.refusals <= len(refused)  # a refused request dropped while in flight is not counted
    # After the slow start (1, 2, 4, 8 blocks) every request is the learned 8 blocks, save the last; a refusal
    # also drops the request behind it, asked again.
    assert summary.requests <= (len(refused) + (REQUESTS_IN_FLIGHT - 1) * summary.refusals + (8).bit_length()
                                + -(-(tron_token.head() + 1) // 8))
    assert {r[:6] for r in rows(db, "SELECT block_number, epoch(block_time)::BIGINT, tx_hash, log_index, from_address, to_address FROM transfers")} == {
        t[:6] for t in expected_tron_transfers(tron_token)
    }


def test_default_confirmation_is_the_finalized_block(tmp_path: Path, tron_token: TokenChain) -> None:
    tron_scenario(tron_token)
    tron_token.mine(100)
    finalized = int(tron_token.anvil.rpc("eth_getBlockByNumber", ["finalized", False])["number"], 16)
    assert 0 < finalized < tron_token.head()
    summary = sync_chain(tmp_path / "t.duckdb", TRON, options(tron_token, confirmations=None))
    assert summary.to_block == finalized


def test_cli_tron_token_spellings_and_bad_checksum(tmp_path: Path, tron_token: TokenChain) -> None:
    tron_scenario(tron_token)
    db = tmp_path / "cli.duckdb"
    spelled_41 = "41" + tron_token.address[2:]
    done = run_cli("--db", str(db), "sync", "tron", "--rpc", tron_token.anvil.url, "--token", spelled_41,
                   "--confirmations", "0", "--from-block", "0", "-q")
    assert done.returncode == 0, done.stderr
    assert f"tron {b58(tron_token.address)}: blocks 0-" in done.stdout
    token_b58 = b58(tron_token.address)
    broken = token_b58[:-1] + ("a" if token_b58[-1] != "a" else "b")
    bad = run_cli("--db", str(db), "sync", "tron", "--rpc", tron_token.anvil.url, "--token", broken, "-q")
    assert bad.returncode == 1
    assert bad.stderr.strip().startswith("error: invalid Tron address") and "checksum" in bad.stderr
    first = run_cli("--db", str(tmp_path / "new.duckdb"), "sync", "tron", "--rpc", tron_token.anvil.url,
                    "--token", token_b58, "--confirmations", "0", "-q")
    assert first.returncode == 1 and "needs --from-block or --since" in first.stderr


def test_a_log_outside_the_tokens_layout_is_refused_and_nothing_written(tmp_path: Path, anvil: Anvil, compiled) -> None:
    """Mainnet USDT's DestroyedBlackFunds (wallet not indexed) is not what USDT-TRC20 emits: refused on Tron."""
    foreign = TokenChain(anvil, compiled, 10**13, layout="ethereum", declare=False)
    DECLARED.add(foreign.declaration("FOREIGN", chain="tron", layout="usdt-tron"))  # declared as Tron's USDT
    tron_scenario(foreign)
    ((destroyed,),) = [tx.block_number for tx in foreign.txs if tx.kind == "destroyed_black_funds"],
    db = tmp_path / "t.duckdb"
    sync = ["--db", str(db), "sync", "tron", "--rpc", anvil.url, "--token", b58(foreign.address), "--confirmations", "0", "-q"]
    before = run_cli(*sync, "--from-block", "0", "--to-block", str(destroyed - 1))
    assert before.returncode == 0, before.stderr
    digest = file_digest(db)
    refused = run_cli(*sync)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and refused.stderr.startswith("error: ")
    assert (f"event fields do not match DestroyedBlackFunds as usdt-tron declares it (2 topics, 1 data word) "
            f"(block {hex(destroyed)}") in refused.stderr
    assert file_digest(db) == digest
    # Everything before the destruction was kept, with the Issue/Redeem of a legless layout counted once.
    assert rows(db, "SELECT last_block FROM sync_state") == [(destroyed - 1,)]
    assert rows(db, "SELECT count(*) FROM transfers WHERE supply_leg IS NOT NULL") == [(0,)]
