"""A chain declared only in tracker.toml, synced end to end from a second anvil node with its own chain id.

The chain ("devnet", chain id 31338) and its token (DUSD, a Transfer-only token: the "erc20" layout, whose
mints and burns are zero-address Transfer legs) exist nowhere but in the test's tracker.toml. Every figure
below is worked out from the scenario the test sends to the node, not from the tracker. The same file's bad
entries, a node answering another chain id, and token addresses nobody declared are each refused with one
line, leaving the database as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DAY0, start_anvil
from tests.support.chain import ZERO, Anvil, Bep20Chain, wallet
from tests.support.helpers import file_digest, rows, run_cli, units
from tracker import settings
from tracker.errors import TrackerError
from tracker.ingest.evm.addresses import normalize_eth_address
from tracker.tokens import resolve_token, token_spec

DEVNET_ID = 31338
EXA = wallet(1)


@pytest.fixture
def devnet() -> Iterator[Anvil]:
    """A second anvil, answering chain id 31338 (the `anvil` fixture's node answers anvil's default, 31337)."""
    node = start_anvil("--chain-id", str(DEVNET_ID))
    try:
        yield node
    finally:
        node.stop()


def devnet_config(url: str, token: str, chain_id: int = DEVNET_ID, decimals: int = 6) -> str:
    return (f'[[chains]]\nname = "devnet"\nchain_id = {chain_id}\nrpc_url = "{url}"\nconfirmations = 0\n'
            f'title = "Dev Net"\n\n'
            f'[[tokens]]\nsymbol = "DUSD"\nchain = "devnet"\naddress = "{token}"\ndecimals = {decimals}\n'
            f'layout = "erc20"\n')


def scenario(token: Bep20Chain) -> None:
    """Mints, transfers and a burn over two UTC days, with amounts that expose any rounding."""
    owner = token.owner.lower()
    token.issue(1_000_000_000_001, timestamp=DAY0 + 100)  # 1,000,000.000001 minted to the owner
    token.transfer(owner, wallet(2), 123_456_789, timestamp=DAY0 + 200)  # 123.456789
    token.transfer(wallet(2), EXA, 23_456_788, timestamp=DAY0 + 300)  # into the exchange: 23.456788
    token.batch([(wallet(2), wallet(3), 1), (EXA, wallet(3), 7)], timestamp=DAY0 + 86_400 + 5)
    token.redeem(999_999, timestamp=DAY0 + 86_400 + 10)  # 0.999999 burned by the owner


@pytest.fixture
def synced(tmp_path: Path, devnet: Anvil, compiled) -> tuple[Bep20Chain, Path, Path]:
    token = Bep20Chain(devnet, compiled, declare=False)  # declared below, on the devnet chain only
    scenario(token)
    config, db, labels = tmp_path / "tracker.toml", tmp_path / "dev.duckdb", tmp_path / "labels.csv"
    config.write_text(devnet_config(devnet.url, token.address))
    labels.write_text("chain,address,entity,category,wallet_type,source,valid_from,valid_to\n"
                      f"devnet,{EXA},ExA,exchange,hot,test,,\n")
    imported = run_cli("--db", str(db), "--config", str(config), "labels", "import", str(labels))
    assert imported.returncode == 0, imported.stderr
    done = run_cli("--db", str(db), "--config", str(config), "sync", "devnet", "--from-block", "0", "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"devnet {token.address}: blocks 0-{token.head():,} "), done.stdout
    return token, config, db


def test_a_chain_declared_in_config_syncs_end_to_end(synced) -> None:
    token, config, db = synced
    stored = rows(db, "SELECT chain, token, block_number, epoch(block_time)::BIGINT, tx_hash, log_index, from_address,"
                      " to_address, amount_raw, amount, supply_leg FROM transfers")
    assert {row[:2] for row in stored} == {("devnet", token.address)}
    assert all(amount == units(int(raw)) for *_, raw, amount, _ in stored)
    assert {(b, t, h, i, f, to, int(raw)) for _, _, b, t, h, i, f, to, raw, _, _ in stored} == token.expected_transfers()
    # The mint and the burn are Transfer legs: stored, flagged, so flows leave them out.
    legs = {(f, to, int(raw), leg) for *_, f, to, raw, _, leg in stored if leg is not None}
    owner = token.owner.lower()
    assert legs == {(ZERO, owner, 1_000_000_000_001, "mint"), (owner, ZERO, 999_999, "burn")}

    supply = rows(db, "SELECT chain, block_number, tx_hash, log_index, kind, address, amount_raw, amount FROM supply_events")
    assert {(b, h, i, k, a, int(r)) for _, b, h, i, k, a, r, _ in supply} == token.expected_supply()
    assert sorted(str(amount) for *_, amount in supply) == ["0.999999", "1000000.000001"]
    assert {row[0] for row in supply} == {"devnet"}

    # The index's balances and total supply against the node's, at the last synced block.
    verified = run_cli("--db", str(db), "--config", str(config), "verify", "devnet")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip().endswith(f"all 2 figures match the node at block {token.head():,}"), verified.stdout
    assert token.balance(EXA) == 23_456_788 - 7 and token.total_supply() == 1_000_000_000_001 - 999_999

    # Resuming at the head finds nothing new.
    again = run_cli("--db", str(db), "--config", str(config), "sync", "devnet", "--quiet")
    assert again.returncode == 0 and again.stdout.startswith(f"devnet {token.address}: already up to date"), again.stdout


def test_config_show_lists_the_declared_chain_and_its_token(tmp_path: Path) -> None:
    config = tmp_path / "tracker.toml"
    address = "0x" + "ab" * 20
    config.write_text(devnet_config("http://127.0.0.1:8545", address) + "\n[devnet]\nscope = \"labeled\"\n")
    done = run_cli("--config", str(config), "config", "show", "--format", "json")
    assert done.returncode == 0, done.stderr
    shown = {row["key"]: (row["value"], row["source"], row["env"]) for row in json.loads(done.stdout)}
    assert shown["devnet.rpc_url"] == ("http://127.0.0.1:8545", str(config), "TRACKER_DEVNET_RPC")
    assert shown["devnet.confirmations"] == ("0", str(config), "TRACKER_DEVNET_CONFIRMATIONS")
    assert shown["devnet.scope"] == ("labeled", str(config), "TRACKER_DEVNET_SCOPE")
    assert shown["devnet.token"] == (address, "default", "TRACKER_DEVNET_TOKEN")  # its only token
    assert shown["tokens.devnet.DUSD"] == (f"{address} decimals=6 layout=erc20", str(config), "")
    # The bundled opt-in chains are listed too, BNB Chain's tokens with their 18 decimals.
    assert shown["tokens.bsc.USDT"][0] == "0x55d398326f99059ff775485246999027b3197955 decimals=18 layout=erc20"
    assert shown["arbitrum.rpc_url"] == ("https://arb1.arbitrum.io/rpc", "default", "TRACKER_ARB_RPC")
    # The environment overrides the file, for a declared chain as for a bundled one.
    env = run_cli("--config", str(config), "config", "show", "--format", "json", env={"TRACKER_DEVNET_SCOPE": "all"})
    assert {row["key"]: row["value"] for row in json.loads(env.stdout)}["devnet.scope"] == "all"
    # Its sync command exists once the file declares it, and only then.
    assert run_cli("--config", str(config), "sync", "devnet", "--help").returncode == 0
    missing = run_cli("sync", "devnet", "--help", env={"TRACKER_CONFIG": ""})
    assert missing.returncode == 2 and "No such command 'devnet'" in missing.stderr


def test_a_node_of_another_chain_is_refused_before_anything_is_written(tmp_path: Path, anvil: Anvil, compiled) -> None:
    token = Bep20Chain(anvil, compiled, declare=False)
    token.issue(5_000_000)
    config, db = tmp_path / "tracker.toml", tmp_path / "dev.duckdb"
    config.write_text(devnet_config(anvil.url, token.address))  # declares 31338; this node answers 31337
    done = run_cli("--db", str(db), "--config", str(config), "sync", "devnet", "--from-block", "0", "-q")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: the devnet node answers chain id 31337, not 31338: check devnet.rpc_url (or --rpc); nothing was written"]
    assert file_digest(db) is None
    # A bundled chain declares its id too: an Arbitrum sync pointed at this node is refused the same way.
    arbitrum = run_cli("--db", str(db), "sync", "arbitrum", "--rpc", anvil.url, "--token", "usdt", "-q",
                       env={"TRACKER_CONFIG": ""})
    assert arbitrum.returncode == 1 and "answers chain id 31337, not 42161" in arbitrum.stderr, arbitrum.stderr
    assert file_digest(db) is None
    # `tracker run` syncs a declared chain without run.chains naming it (here run.chains names none).
    config.write_text(devnet_config(anvil.url, token.address) + '\n[run]\nchains = ""\n')
    run = run_cli("--db", str(db), "--config", str(config), "run", "--date", "2026-03-01")
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1].startswith("error: the devnet node answers chain id 31337, not 31338"), run.stderr
    assert file_digest(db) is None


def entry(**changes: str | None) -> str:
    fields = {"name": '"devnet"', "chain_id": str(DEVNET_ID), "rpc_url": '"http://127.0.0.1:8545"', **changes}
    return "[[chains]]\n" + "".join(f"{key} = {value}\n" for key, value in fields.items() if value is not None)


BAD_CHAINS = [
    (entry(chain_id=None), "[[chains]] #1 (devnet): missing chain_id (each chain needs name, chain_id, rpc_url)"),
    (entry(name='"Base"'), "[[chains]] #1 (Base): name 'Base' must be a lower-case letter then up to 31"),
    (entry(name='"ethereum"'), "[[chains]] #1 (ethereum): name 'ethereum' is a bundled chain; pick another name"),
    (entry(name='"market"'), "[[chains]] #1 (market): name 'market' is a settings section; pick another name"),
    (entry(name='"eth"'), "[[chains]] #1 (eth): its environment variable $TRACKER_ETH_RPC is another setting's"),
    (entry(chain_id='"31338"'), "[[chains]] #1 (devnet): chain_id must be a positive integer (the node's eth_chainId), got '31338'"),
    (entry(chain_id="0"), "chain_id must be a positive integer (the node's eth_chainId), got 0"),
    (entry(chain_id="56"), "[[chains]] #1 (devnet): chain_id 56 is the bundled chain 'bsc'; use 'tracker sync bsc'"),
    (entry(rpc_url='"ws://127.0.0.1:8546"'), "rpc_url must be an http(s) URL, got 'ws://127.0.0.1:8546'"),
    (entry(confirmations="-2"), "confirmations must be an integer >= 0, or -1 for the node's finalized block, got -2"),
    (entry(chainid="1"), "[[chains]] #1 (devnet): unknown key 'chainid'"),
    (entry() + entry(chain_id="31339"), "[[chains]] #2 (devnet): chain 'devnet' is declared twice"),
    ("chains = 3\n", "chains must be [[chains]] tables (name, chain_id, rpc_url)"),
    (entry() + '[[tokens]]\nsymbol = "X"\nchain = "devnet2"\naddress = "0x' + "ab" * 20 + '"\ndecimals = 6\nlayout = "erc20"\n',
     "[[tokens]] #1 (X): unknown chain 'devnet2' (expected ethereum, tron, arbitrum, bsc, devnet)"),
    ("[devnet2]\nrpc_url = \"http://127.0.0.1:1\"\n", "unknown setting 'devnet2.rpc_url'"),
]


@pytest.mark.parametrize("text, message", BAD_CHAINS, ids=[m for _, m in BAD_CHAINS])
def test_each_bad_chain_entry_is_one_line_naming_it(tmp_path: Path, text: str, message: str) -> None:
    config, db = tmp_path / "tracker.toml", tmp_path / "x.duckdb"
    config.write_text(text)
    done = run_cli("--db", str(db), "--config", str(config), "sync", "ethereum", "--rpc", "http://127.0.0.1:9", "-q")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith(f"error: config {config}: ") and message in done.stderr, done.stderr
    assert file_digest(db) is None


def test_an_address_nobody_declared_is_refused(tmp_path: Path, devnet: Anvil, compiled) -> None:
    token = Bep20Chain(devnet, compiled, declare=False)  # deployed, but declared nowhere
    token.issue(5_000_000)
    config, db = tmp_path / "tracker.toml", tmp_path / "dev.duckdb"
    config.write_text(devnet_config(devnet.url, "0x" + "ab" * 20))
    checksummed = token.contract.address  # how a user pastes it from an explorer
    for args, where in ((["sync", "devnet", "--token", checksummed], "--token"),
                        (["sync", "ethereum", "--rpc", devnet.url, "--token", checksummed], "--token")):
        done = run_cli("--db", str(db), "--config", str(config), *args, "-q")
        chain = args[1]
        assert done.returncode == 1
        assert done.stderr.strip().splitlines() == [
            f"error: {where}: {chain} token {token.address} is not in the registry or tracker.toml: declare it as "
            "[[tokens]] (symbol, chain, address, decimals, layout) — README, Adding a stablecoin"], done.stderr
        assert file_digest(db) is None
    # The same address through a setting (`tracker run` reads <chain>.token) names that setting.
    with pytest.raises(TrackerError, match=rf"^devnet\.token: devnet token {token.address} is not in the registry"):
        settings.configure(str(config))
        resolve_token("devnet", checksummed, normalize_eth_address, "devnet.token")
    settings.configure(None)


def test_bundled_arbitrum_and_bnb_chain_tokens_resolve_by_symbol() -> None:
    settings.configure(None)
    # Addresses, decimals and layouts as README's protocol facts record them from public sources.
    expected = {
        ("arbitrum", "USDT"): ("0xfd086bc7cd5c481dcc9c85ebe478a1c0b69fcbb9", 6, "erc20"),
        ("arbitrum", "USDC"): ("0xaf88d065e77c8cc2239327c5edb3a432268e5831", 6, "fiattoken"),
        ("bsc", "USDT"): ("0x55d398326f99059ff775485246999027b3197955", 18, "erc20"),
        ("bsc", "USDC"): ("0x8ac76a51cc950d9822d68b83fe1ad97b32cd580d", 18, "erc20"),
    }
    for (chain, symbol), (address, decimals, layout) in expected.items():
        for spelling in (symbol, symbol.lower()):
            assert resolve_token(chain, spelling, normalize_eth_address) == address
        spec = token_spec(chain, address)
        assert (spec.symbol, spec.decimals, spec.layout.name) == (symbol, decimals, layout)
    # Symbols of one chain do not leak into another: Arbitrum's USDT is not BNB Chain's.
    assert resolve_token("bsc", "USDT", normalize_eth_address) != resolve_token("arbitrum", "USDT", normalize_eth_address)


def test_an_18_decimal_token_on_a_declared_chain_is_exact_to_the_last_unit(tmp_path: Path, devnet: Anvil,
                                                                            compiled) -> None:
    """BNB Chain's USDT has 18 decimals: one unit past a whole token must survive sync, flows, supply and verify."""
    token = Bep20Chain(devnet, compiled, declare=False, decimals=18)
    owner = token.owner.lower()
    token.issue(10**24 + 1, timestamp=DAY0 + 100)  # 1,000,000.000000000000000001 minted to the owner
    token.transfer(owner, EXA, 5 * 10**17 + 1, timestamp=DAY0 + 200)  # 0.500000000000000001 into the exchange
    token.redeem(3, timestamp=DAY0 + 300)  # 0.000000000000000003 burned
    config, db, labels = tmp_path / "tracker.toml", tmp_path / "dev.duckdb", tmp_path / "labels.csv"
    config.write_text(devnet_config(devnet.url, token.address, decimals=18))
    labels.write_text(f"chain,address,entity\ndevnet,{EXA},ExA\n")
    assert run_cli("--db", str(db), "--config", str(config), "labels", "import", str(labels)).returncode == 0
    done = run_cli("--db", str(db), "--config", str(config), "sync", "devnet", "--from-block", "0", "--quiet")
    assert done.returncode == 0, done.stderr
    assert {(f, t, format(amount, "f")) for f, t, amount in rows(db, "SELECT from_address, to_address, amount FROM transfers")} == {
        (ZERO, owner, "1000000.000000000000000001"), (owner, EXA, "0.500000000000000001"),
        (owner, ZERO, "0.000000000000000003")}
    flows = run_cli("--db", str(db), "export", "daily_flows", "--format", "json")
    assert [(row["entity"], row["inflow"], row["reserve_end"], row["token"]) for row in json.loads(flows.stdout)] == [
        ("ExA", "0.500000000000000001", "0.500000000000000001", "DUSD")]
    supply = run_cli("--db", str(db), "export", "daily_supply", "--format", "json")
    assert [(row["minted"], row["redeemed"], row["total_supply_end"]) for row in json.loads(supply.stdout)] == [
        ("1000000.000000000000000001", "0.000000000000000003", "999999.999999999999999998")]
    verified = run_cli("--db", str(db), "--config", str(config), "verify", "devnet")
    assert verified.returncode == 0 and "all 2 figures match the node" in verified.stdout, verified.stdout + verified.stderr
