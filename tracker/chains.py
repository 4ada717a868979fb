"""Everything that differs per chain, in one place: endpoints, finality, address codec, sources, chunk sizes.

Settings (`<chain>.rpc_url`, `.token`, `.scope`, `.confirmations`, `.source`, …), the `tracker sync <chain>`
commands, `tracker run` and `verify` are all built by looping over `CHAINS`: adding a chain is one new
`ChainSpec` here (plus its tokens in `tokens.py`), or, for an EVM chain, a `[[chains]]` entry in tracker.toml
(`settings` parses it into `evm_chain(...)` and hands it over with `declare`). Light on purpose (no polars,
no web3): the settings and the CLI import it on every start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracker.errors import TrackerError
from tracker.ingest.evm.addresses import normalize_eth_address
from tracker.ingest.tron.address import evm_hex, normalize_tron_address, tron_address

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class ChainFormat:
    """How a chain stores what logs carry as hex (polars expressions, applied by the decoders)."""

    address: Callable[[pl.Expr], pl.Expr]  # 40 lower-case hex digits -> stored address
    tx_hash: Callable[[pl.Expr], pl.Expr]  # 0x + 64 lower-case hex digits -> stored transaction hash


ETHEREUM_FORMAT = ChainFormat(address=lambda hex40: "0x" + hex40, tx_hash=lambda tx: tx)


@dataclass(frozen=True)
class Source:
    """A way to read a chain's token events: its URL setting and the blocks a first request covers."""

    name: str  # jsonrpc | trongrid
    url_setting: str  # the settings key holding its default URL
    chunk_size: int
    help: str
    rest: bool = False  # a REST base URL that request paths are appended to (kept without a trailing /)


@dataclass(frozen=True)
class ChainSetting:
    """A chain-only setting beyond the common ones (declared here, registered by `settings`)."""

    name: str
    env: str
    default: Any
    help: str
    secret: bool = False


@dataclass(frozen=True)
class ChainSpec:
    name: str
    title: str
    env_prefix: str  # TRACKER_<prefix>_RPC, _TOKEN, _SCOPE, _CONFIRMATIONS, _SOURCE
    default_rpc_url: str
    # token as stored -> the 0x + 40 hex address used in eth_getLogs filters and seen in logs
    log_address: Callable[[str], str]
    # user input (any accepted spelling) -> token as stored; raises TrackerError when invalid
    normalize_token: Callable[[str, str], str]
    format: ChainFormat
    # None: index up to the node's `finalized` block; K: up to head - K
    default_confirmations: int | None
    # whether a first sync may look for the token's deployment block (needs historical eth_getCode)
    finds_deployment: bool
    sources: tuple[Source, ...]
    default_scope: str  # what `tracker run` indexes: all events or only labeled wallets'
    sync_help: str
    token_help: str
    extra_settings: tuple[ChainSetting, ...] = ()
    # the HTTP header carrying the `<chain>.api_key` setting on every request, when the chain has one
    api_key_header: str | None = None
    # the EIP-155 id its node must answer to eth_chainId before anything is written (None: not checked)
    chain_id: int | None = None

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)


EVM_TOKEN_HELP = "Token contract address, or a symbol the registry or tracker.toml declares ({symbols})."


def evm_chain(name: str, title: str, env_prefix: str, default_rpc_url: str, chain_id: int | None,
              confirmations: int | None = 12, declared: bool = False) -> ChainSpec:
    """An EVM chain: Ethereum's address codec, transaction hashes and JSON-RPC source, its own endpoint and id
    (`declared`: from a [[chains]] entry, whose tokens are the ones tracker.toml declares for it)."""
    if declared:
        sync_help = (f"Index a stablecoin's events from {title}, a chain tracker.toml declares (its USDT by default, "
                     f"else its first [[tokens]] entry).")
        token_help = "Token contract address, or a symbol tracker.toml declares for this chain."
    else:
        sync_help = f"Index a stablecoin's events from {title} (USDT by default, or a token tracker.toml declares)."
        token_help = EVM_TOKEN_HELP.format(symbols="USDT, USDC")
    return ChainSpec(
        name=name,
        title=title,
        env_prefix=env_prefix,
        default_rpc_url=default_rpc_url,
        log_address=lambda token: token,
        normalize_token=normalize_eth_address,
        format=ETHEREUM_FORMAT,
        default_confirmations=confirmations,
        finds_deployment=True,
        sources=(Source("jsonrpc", f"{name}.rpc_url", 2000, "eth_getLogs"),),
        default_scope="all",
        sync_help=sync_help,
        token_help=token_help,
        chain_id=chain_id,
    )


ETHEREUM = ChainSpec(
    name="ethereum",
    title="Ethereum",
    env_prefix="ETH",
    default_rpc_url="https://ethereum-rpc.publicnode.com",
    log_address=lambda token: token,
    normalize_token=normalize_eth_address,
    format=ETHEREUM_FORMAT,
    default_confirmations=12,
    finds_deployment=True,
    sources=(Source("jsonrpc", "ethereum.rpc_url", 2000, "eth_getLogs"),),
    default_scope="all",
    sync_help="Index a stablecoin's events (USDT by default; USDC, or a token declared in tracker.toml) from an Ethereum node.",
    token_help="Token contract address, or a symbol the registry or tracker.toml declares (USDT, USDC).",
)

# Tron: addresses in base58check (T…); transaction ids as Tronscan shows them (64 hex digits, no 0x).
TRON = ChainSpec(
    name="tron",
    title="Tron",
    env_prefix="TRON",
    default_rpc_url="https://api.trongrid.io/jsonrpc",
    log_address=evm_hex,
    normalize_token=normalize_tron_address,
    format=ChainFormat(address=tron_address, tx_hash=lambda tx: tx.str.strip_prefix("0x")),
    default_confirmations=None,
    # java-tron answers eth_getCode for `latest` only, and USDT-TRC20's full history is billions of logs.
    finds_deployment=False,
    # java-tron caps eth_getLogs ranges far below Ethereum nodes; TronGrid pages events by time windows.
    sources=(Source("jsonrpc", "tron.rpc_url", 100, "eth_getLogs"),
             Source("trongrid", "tron.trongrid_url", 1200, "REST events", rest=True)),
    default_scope="labeled",  # USDT-TRC20 has far more transfers than a daily job should fetch whole
    sync_help="Index USDT-TRC20 events from Tron (addresses stored in base58).",
    token_help="Token contract (base58 T…, 41… or 0x… hex), or a declared symbol (USDT).",
    extra_settings=(
        ChainSetting("trongrid_url", "TRACKER_TRONGRID_URL", "https://api.trongrid.io", "TronGrid REST API"),
        ChainSetting("api_key", "TRONGRID_API_KEY", "", "TronGrid API key (TRON-PRO-API-KEY)", secret=True),
    ),
    api_key_header="TRON-PRO-API-KEY",
)

# Arbitrum One and BNB Smart Chain: bundled, opt-in (add them to run.chains). Their nodes must answer the
# chain's id, so an endpoint of another network is refused before anything is written. Public endpoints
# from chainlist-style lists (README, Protocol facts); set <chain>.rpc_url for a provider of your own.
ARBITRUM = evm_chain("arbitrum", "Arbitrum One", "ARB", "https://arb1.arbitrum.io/rpc", chain_id=42161)
BSC = evm_chain("bsc", "BNB Smart Chain", "BSC", "https://bsc-dataseed.binance.org", chain_id=56)

BUNDLED = {spec.name: spec for spec in (ETHEREUM, TRON, ARBITRUM, BSC)}
# The bundled chains, then those tracker.toml declares (`declare`). One dict, updated in place: modules that
# imported it see the declared chains too.
CHAINS: dict[str, ChainSpec] = dict(BUNDLED)


def declare(specs: tuple[ChainSpec, ...]) -> None:
    """Make the config file's chains known (after the bundled ones); a new call replaces the last one's."""
    CHAINS.clear()
    CHAINS.update(BUNDLED)
    CHAINS.update({spec.name: spec for spec in specs})


def declared() -> list[ChainSpec]:
    return [spec for name, spec in CHAINS.items() if name not in BUNDLED]


def chain_spec(name: str, where: str = "") -> ChainSpec:
    """The spec of a chain named by the user (in `where`, e.g. a setting); one clear line when unknown."""
    if name not in CHAINS:
        raise TrackerError(f"{where + ': ' if where else ''}unknown chain {name!r} (expected {', '.join(CHAINS)})")
    return CHAINS[name]
