"""Settings: defaults, `tracker.toml`, and the environment variables that override it.

Precedence, highest first: a command-line flag, the environment, the config file
(`--config`, else $TRACKER_CONFIG, else ./tracker.toml when present), the default.
Every setting has one environment variable; `tracker config show` lists them all.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tracker import chains, tokens
from tracker.chains import BUNDLED, CHAINS, ChainSpec, evm_chain
from tracker.errors import TrackerError
from tracker.tokens import LAYOUTS, MAX_DECIMALS, SYMBOL, TokenSpec

DEFAULT_DB_PATH = Path("data") / "tracker.duckdb"

# `labels update`: public label lists, whitespace-separated FORMAT=URL entries; FORMAT is csv, dune, or
# spellbook:CHAIN (a Dune spellbook cex_*_addresses.sql).
DEFAULT_LABEL_SOURCES = (
    "spellbook:ethereum=https://raw.githubusercontent.com/duneanalytics/spellbook/main/dbt_subprojects/"
    "hourly_spellbook/models/_sector/cex/addresses/chains/cex_evms_addresses.sql "
    "spellbook:tron=https://raw.githubusercontent.com/duneanalytics/spellbook/main/dbt_subprojects/"
    "hourly_spellbook/models/_sector/cex/addresses/chains/tron/cex_tron_addresses.sql"
)


@dataclass(frozen=True)
class Setting:
    key: str  # "section.name" in tracker.toml
    env: str
    default: Any
    help: str
    secret: bool = False  # printed masked

    @property
    def kind(self) -> type:
        return type(self.default)


def _chain_settings(spec: ChainSpec) -> list[Setting]:
    """The settings every chain has, named after it, then the ones only it declares."""
    prefix, sources = f"TRACKER_{spec.env_prefix}", [source.name for source in spec.sources]
    found = [
        Setting(f"{spec.name}.rpc_url", f"{prefix}_RPC", spec.default_rpc_url, f"{spec.title} JSON-RPC endpoint"),
        *(Setting(f"{spec.name}.{extra.name}", extra.env, extra.default, extra.help, extra.secret)
          for extra in spec.extra_settings),
        Setting(f"{spec.name}.token", f"{prefix}_TOKEN", _default_token(spec.name),
                "`tracker run`: token contract"),
    ]
    if len(sources) > 1:
        found.append(Setting(f"{spec.name}.source", f"{prefix}_SOURCE", sources[0],
                             f"`tracker run`: {' or '.join(sources)}"))
    confirmations = -1 if spec.default_confirmations is None else spec.default_confirmations
    found += [
        Setting(f"{spec.name}.confirmations", f"{prefix}_CONFIRMATIONS", confirmations,
                "`tracker run`: blocks behind head (-1: the node's finalized block)"),
        Setting(f"{spec.name}.scope", f"{prefix}_SCOPE", spec.default_scope, "`tracker run`: all or labeled"),
    ]
    return found


def _default_token(chain: str) -> str:
    """`<chain>.token`'s default: the chain's USDT, else its first declared token ("" when it has none yet)."""
    spec = tokens.default_token(chain)
    return spec.address if spec else ""


SETTINGS: tuple[Setting, ...] = (
    Setting("database.path", "TRACKER_DB", str(DEFAULT_DB_PATH), "DuckDB file"),
    Setting("database.busy_timeout", "TRACKER_BUSY_TIMEOUT", 10.0,
            "seconds a reading command waits for a file another process is writing"),
    Setting("database.hashed_blocks", "TRACKER_HASHED_BLOCKS", 10_000,
            "blocks below each chain's frontier that keep their hash (reorg detection); older keep number and time"),
    Setting("database.memory_limit", "TRACKER_MEMORY_LIMIT", "",
            "DuckDB memory limit, e.g. 2GB (empty: DuckDB's default, 80 % of RAM); larger work spills to disk"),
    *(setting for spec in CHAINS.values() for setting in _chain_settings(spec)),
    Setting("market.venues", "TRACKER_VENUES", "binance,bybit,okx", "venues `market sync` and `run` ask"),
    Setting("market.symbols", "TRACKER_SYMBOLS", "BTC,ETH", "perpetuals `market sync` and `run` fetch"),
    Setting("market.binance_url", "TRACKER_BINANCE_URL", "https://fapi.binance.com", "Binance USDⓈ-M futures API"),
    Setting("market.bybit_url", "TRACKER_BYBIT_URL", "https://api.bybit.com", "Bybit v5 API"),
    Setting("market.okx_url", "TRACKER_OKX_URL", "https://www.okx.com", "OKX v5 API"),
    Setting("market.deribit_url", "TRACKER_DERIBIT_URL", "https://www.deribit.com",
            "Deribit API v2 (options chains and the DVOL index; the tool appends /api/v2)"),
    Setting("options.venues", "TRACKER_OPTIONS_VENUES", "deribit,okx,bybit",
            "venues `market sync --options` and `run` snapshot option chains from"),
    Setting("options.underlyings", "TRACKER_OPTIONS_UNDERLYINGS", "BTC,ETH",
            "underlyings `market sync --options` and `run` snapshot (BTC, ETH)"),
    Setting("market.binance_ws_url", "TRACKER_BINANCE_WS_URL", "wss://fstream.binance.com",
            "`market stream`: Binance USDⓈ-M websocket base (the tool appends /market/ws)"),
    Setting("market.bybit_ws_url", "TRACKER_BYBIT_WS_URL", "wss://stream.bybit.com",
            "`market stream`: Bybit websocket base (the tool appends /v5/public/linear)"),
    Setting("market.okx_ws_url", "TRACKER_OKX_WS_URL", "wss://ws.okx.com:8443",
            "`market stream`: OKX websocket base (the tool appends /ws/v5/public)"),
    Setting("market.stream_ping", "TRACKER_STREAM_PING", 20.0,
            "`market stream`: seconds between keep-alive pings to Bybit and OKX (OKX drops a connection idle 30 s)"),
    Setting("market.stream_silence", "TRACKER_STREAM_SILENCE", 300.0,
            "`market stream`: seconds without proof of life (an event; Bybit/OKX also a pong) before reconnecting"),
    Setting("labels.sources", "TRACKER_LABEL_SOURCES", DEFAULT_LABEL_SOURCES, "`labels update`: FORMAT=URL list"),
    Setting("run.chains", "TRACKER_RUN_CHAINS", "ethereum,tron", "`tracker run`: chains to sync"),
    Setting("run.tokens", "TRACKER_RUN_TOKENS", "",
            "`tracker run`: more tokens to sync on each chain that knows them, by symbol (e.g. USDC); "
            "<chain>.token and every [[tokens]] entry are always synced"),
    Setting("run.options", "TRACKER_RUN_OPTIONS", 1,
            "`tracker run`: 1 takes the option snapshots, DVOL and OKX option history; 0 leaves them out"),
    Setting("run.first_sync_days", "TRACKER_FIRST_SYNC_DAYS", 8,
            "`tracker run` on an empty chain: days to index (8: the z-score's 7 trailing days + the day)"),
    Setting("signals.symbol", "TRACKER_SIGNAL_SYMBOL", "BTC", "market the signals read"),
    Setting("signals.min_trailing_days", "TRACKER_SIGNAL_MIN_TRAILING_DAYS", 7,
            "days of the trailing 30 a netflow z-score needs"),
    Setting("signals.netflow_z_inflow", "TRACKER_SIGNAL_NETFLOW_Z_INFLOW", 1.0,
            "netflow z-score at or above: stablecoins arriving on exchanges"),
    Setting("signals.netflow_z_outflow", "TRACKER_SIGNAL_NETFLOW_Z_OUTFLOW", -1.0,
            "netflow z-score at or below: stablecoins leaving exchanges"),
    Setting("signals.issuance_7d_usd", "TRACKER_SIGNAL_ISSUANCE_7D_USD", 500_000_000.0,
            "7-day net issuance (USDT) at or above: fresh liquidity"),
    Setting("signals.funding_hot", "TRACKER_SIGNAL_FUNDING_HOT", 0.15, "annualized funding at or above: hot"),
    Setting("signals.oi_rise_7d", "TRACKER_SIGNAL_OI_RISE_7D", 0.10, "OI 7-day change at or above: OI rising"),
    Setting("signals.long_heavy_ratio", "TRACKER_SIGNAL_LONG_HEAVY_RATIO", 1.5, "long/short ratio at or above"),
    Setting("signals.oi_washout", "TRACKER_SIGNAL_OI_WASHOUT", -0.20,
            "OI drawdown from its 90-day high at or below: washed out"),
    Setting("signals.funding_neutral", "TRACKER_SIGNAL_FUNDING_NEUTRAL", 0.05,
            "|annualized funding| at or below: neutral"),
    Setting("signals.weight_liquidity", "TRACKER_SIGNAL_WEIGHT_LIQUIDITY", 1.0, "score of the inflow rule"),
    Setting("signals.weight_issuance", "TRACKER_SIGNAL_WEIGHT_ISSUANCE", 1.0, "score of the issuance rule"),
    Setting("signals.weight_leverage", "TRACKER_SIGNAL_WEIGHT_LEVERAGE", -1.0, "score of the leverage rule"),
    Setting("signals.weight_long_heavy", "TRACKER_SIGNAL_WEIGHT_LONG_HEAVY", -0.5,
            "added to the leverage rule when long-heavy"),
    Setting("signals.weight_bottoming", "TRACKER_SIGNAL_WEIGHT_BOTTOMING", 1.0, "score of the washed-out rule"),
    Setting("signals.weight_risk_off", "TRACKER_SIGNAL_WEIGHT_RISK_OFF", -1.5, "score of the risk-off rule"),
    Setting("signals.liq_min_coverage_hours", "TRACKER_SIGNAL_LIQ_MIN_COVERAGE_HOURS", 20.0,
            "hours of the day a liquidation stream must cover; fewer: named, confidence lowered, left out of z-scores"),
    Setting("signals.liq_flush_z", "TRACKER_SIGNAL_LIQ_FLUSH_Z", 2.0,
            "long-liquidation z-score at or above: a flush"),
    Setting("signals.oi_fall_7d", "TRACKER_SIGNAL_OI_FALL_7D", -0.10, "OI 7-day change at or below: OI falling sharply"),
    Setting("signals.levels_near_share", "TRACKER_SIGNAL_LEVELS_NEAR_SHARE", 0.10,
            "estimated liquidation levels within ±2 % of the close, as a share of OI, at or above: large"),
    Setting("signals.weight_flush", "TRACKER_SIGNAL_WEIGHT_FLUSH", 1.0, "score of the long-liquidation flush rule"),
    Setting("signals.weight_fragility", "TRACKER_SIGNAL_WEIGHT_FRAGILITY", -1.0, "score of the fragility rule"),
    Setting("signals.options_near_share", "TRACKER_SIGNAL_OPTIONS_NEAR_SHARE", 0.30,
            "share of options OI at strikes within ±5 % of spot at or above: pinning / cascade risk"),
    Setting("signals.dvol_rise_7d", "TRACKER_SIGNAL_DVOL_RISE_7D", 0.15, "DVOL 7-day change at or above: vol rising"),
    Setting("signals.put_call_high", "TRACKER_SIGNAL_PUT_CALL_HIGH", 1.0, "put/call OI ratio at or above: fear, hedging"),
    Setting("signals.put_call_low", "TRACKER_SIGNAL_PUT_CALL_LOW", 0.4, "put/call OI ratio at or below: complacency"),
    Setting("signals.weight_pinning", "TRACKER_SIGNAL_WEIGHT_PINNING", -0.5, "score of the options pinning rule"),
    Setting("signals.weight_vol_fragility", "TRACKER_SIGNAL_WEIGHT_VOL_FRAGILITY", -1.0,
            "score of the DVOL-rising-with-hot-funding rule"),
    Setting("signals.weight_put_call_fear", "TRACKER_SIGNAL_WEIGHT_PUT_CALL_FEAR", 0.5,
            "score of the put/call high rule (crowded hedging, contrarian)"),
    Setting("signals.weight_put_call_complacency", "TRACKER_SIGNAL_WEIGHT_PUT_CALL_COMPLACENCY", -0.5,
            "score of the put/call low rule"),
    Setting("signals.enter_risk_on", "TRACKER_SIGNAL_ENTER_RISK_ON", 1.0, "score that turns the regime risk-on"),
    Setting("signals.exit_risk_on", "TRACKER_SIGNAL_EXIT_RISK_ON", 0.5, "score under which risk-on ends"),
    Setting("signals.enter_risk_off", "TRACKER_SIGNAL_ENTER_RISK_OFF", -1.0, "score that turns the regime risk-off"),
    Setting("signals.exit_risk_off", "TRACKER_SIGNAL_EXIT_RISK_OFF", -0.5, "score over which risk-off ends"),
)
BY_KEY = {setting.key: setting for setting in SETTINGS}
_BUNDLED_SETTINGS = SETTINGS
# A declared chain's name becomes a [section]: not one of the other settings' sections, nor "tokens"/"chains".
_RESERVED_SECTIONS = {setting.key.split(".")[0] for setting in SETTINGS} | {"tokens", "chains"}


def _with_chains(declared: list[ChainSpec]) -> None:
    """SETTINGS and BY_KEY with every declared chain's settings, right after the bundled chains' ones."""
    global SETTINGS
    extra = [setting for spec in declared for setting in _chain_settings(spec)]
    at = next(i for i, setting in enumerate(_BUNDLED_SETTINGS) if setting.key.startswith("market."))
    SETTINGS = (*_BUNDLED_SETTINGS[:at], *extra, *_BUNDLED_SETTINGS[at:])
    BY_KEY.clear()
    BY_KEY.update({setting.key: setting for setting in SETTINGS})

# Renamed settings: old key -> (new key, old environment variable). The old spellings keep working,
# with a one-line note on stderr.
DEPRECATED = {
    "market.exchanges": ("market.venues", "TRACKER_EXCHANGES"),  # a venue is a market-data source
}
_noted: set[str] = set()


def _deprecation_note(old: str, new: str) -> None:
    if old not in _noted:
        _noted.add(old)
        print(f"note: {old} is deprecated, use {new}", file=sys.stderr)

_file_values: dict[str, Any] = {}
_file_path: Path | None = None


def configure(cli_path: str | None) -> Path | None:
    """Load the config file: --config, else $TRACKER_CONFIG, else ./tracker.toml if it exists."""
    global _file_values, _file_path
    named = cli_path or os.environ.get("TRACKER_CONFIG")
    path = Path(named) if named else Path("tracker.toml")
    if not named and not path.exists():
        _file_values, _file_path = {}, None
        _declare((), ())
        return None
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise TrackerError(f"cannot read config {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise TrackerError(f"config {path}: {error}") from None
    values: dict[str, Any] = {}
    # Chains first: their tokens and their [name] sections name them. Nothing is kept unless all is valid.
    declared_chains = _declared_chains(document.pop("chains", []), f"config {path}")
    try:
        _declare(declared_chains, ())
        declared = _declared_tokens(document.pop("tokens", []), f"config {path}")
        _declare(declared_chains, declared)
        values = _section_values(document, path)
        for spec in declared_chains:  # the entry's endpoint and finality are this file's settings ([name] wins)
            confirmations = -1 if spec.default_confirmations is None else spec.default_confirmations
            values.setdefault(f"{spec.name}.rpc_url", spec.default_rpc_url)
            values.setdefault(f"{spec.name}.confirmations", confirmations)
    except TrackerError:
        _declare((), ())
        _file_values, _file_path = {}, None
        raise
    _file_values, _file_path = values, path
    return path


def _declare(declared_chains: tuple[ChainSpec, ...], declared_tokens: tuple[TokenSpec, ...]) -> None:
    chains.declare(declared_chains)
    tokens.declare(declared_tokens)
    _with_chains(chains.declared())


def _section_values(document: dict[str, Any], path: Path) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for section, table in document.items():
        if not isinstance(table, dict):
            raise TrackerError(f"config {path}: {section!r} must be a [section]")
        for name, value in table.items():
            key = f"{section}.{name}"
            if key in DEPRECATED:
                _deprecation_note(f"setting {key} in {path}", DEPRECATED[key][0])
                key = DEPRECATED[key][0]
            setting = BY_KEY.get(key)
            if setting is None:
                raise TrackerError(f"config {path}: unknown setting {key!r} (see `tracker config show`)")
            values[key] = _coerce(setting, value, f"config {path}: {key}")
    return values


_CHAIN_KEYS = ("name", "chain_id", "rpc_url")
_CHAIN_OPTIONAL = ("confirmations", "title")
CHAIN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")  # a command name, a settings section and an env prefix


def _declared_chains(entries: Any, where: str) -> tuple[ChainSpec, ...]:
    """`[[chains]]` entries as EVM chain specs; the first bad one is one line naming it."""
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise TrackerError(f"{where}: chains must be [[chains]] tables (name, chain_id, rpc_url)")
    specs: list[ChainSpec] = []
    for number, entry in enumerate(entries, 1):
        name = f"{where}: [[chains]] #{number}" + (f" ({entry['name']})" if isinstance(entry.get("name"), str) else "")
        spec = _chain_entry(entry, name)
        if any(other.name == spec.name for other in specs):
            raise TrackerError(f"{name}: chain {spec.name!r} is declared twice")
        if any(other.chain_id == spec.chain_id for other in specs):
            raise TrackerError(f"{name}: chain_id {spec.chain_id} is already declared for another chain")
        taken = {setting.env for setting in _BUNDLED_SETTINGS}
        taken |= {setting.env for other in specs for setting in _chain_settings(other)}
        clash = next((setting.env for setting in _chain_settings(spec) if setting.env in taken), None)
        if clash:
            raise TrackerError(f"{name}: its environment variable ${clash} is another setting's; pick another name")
        specs.append(spec)
    return tuple(specs)


def _entry_values(entry: dict[str, Any], name: str, what: str, required: tuple[str, ...],
                  optional: tuple[str, ...]) -> list[Any]:
    """The required keys' values of a [[chains]] / [[tokens]] entry; a missing or unknown key is one line."""
    missing = [key for key in required if key not in entry]
    if missing:
        raise TrackerError(f"{name}: missing {', '.join(missing)} (each {what} needs {', '.join(required)})")
    unknown = [key for key in entry if key not in required + optional]
    if unknown:
        raise TrackerError(f"{name}: unknown key {unknown[0]!r} (expected {', '.join(required + optional)})")
    return [entry[key] for key in required]


def _chain_entry(entry: dict[str, Any], name: str) -> ChainSpec:
    chain, chain_id, rpc_url = _entry_values(entry, name, "chain", _CHAIN_KEYS, _CHAIN_OPTIONAL)
    if not isinstance(chain, str) or not CHAIN_NAME.match(chain):
        raise TrackerError(f"{name}: name {chain!r} must be a lower-case letter then up to 31 lower-case letters, "
                           f"digits or '_'")
    if chain in BUNDLED or chain in _RESERVED_SECTIONS:
        what = "a bundled chain" if chain in BUNDLED else "a settings section"
        raise TrackerError(f"{name}: name {chain!r} is {what}; pick another name (bundled chains: {', '.join(BUNDLED)})")
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id < 1:
        raise TrackerError(f"{name}: chain_id must be a positive integer (the node's eth_chainId), got {chain_id!r}")
    clash = next((spec.name for spec in BUNDLED.values() if spec.chain_id == chain_id), None)
    if clash:
        raise TrackerError(f"{name}: chain_id {chain_id} is the bundled chain {clash!r}; use 'tracker sync {clash}'")
    if not isinstance(rpc_url, str) or not rpc_url.startswith(("http://", "https://")):
        raise TrackerError(f"{name}: rpc_url must be an http(s) URL, got {rpc_url!r}")
    confirmations = entry.get("confirmations", 12)
    if isinstance(confirmations, bool) or not isinstance(confirmations, int) or confirmations < -1:
        raise TrackerError(f"{name}: confirmations must be an integer >= 0, or -1 for the node's finalized block, "
                           f"got {confirmations!r}")
    title = entry.get("title", chain)
    if not isinstance(title, str) or not title.strip():
        raise TrackerError(f"{name}: title must be a non-empty string, got {title!r}")
    return evm_chain(chain, title.strip(), chain.upper(), rpc_url, chain_id,
                     confirmations=None if confirmations < 0 else confirmations, declared=True)


_TOKEN_KEYS = ("symbol", "chain", "address", "decimals", "layout")
_TOKEN_OPTIONAL = ("deployment_block",)


def _declared_tokens(entries: Any, where: str) -> tuple[TokenSpec, ...]:
    """`[[tokens]]` entries as token specs; the first bad one is one line naming it."""
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise TrackerError(f"{where}: tokens must be [[tokens]] tables (symbol, chain, address, decimals, layout)")
    specs: list[TokenSpec] = []
    for number, entry in enumerate(entries, 1):
        name = f"{where}: [[tokens]] #{number}" + (f" ({entry['symbol']})" if isinstance(entry.get("symbol"), str) else "")
        specs.append(_token_entry(entry, name))
        mine = specs[-1]
        for other in specs[:-1]:
            if other.chain != mine.chain:
                continue
            if (other.symbol or "").upper() == (mine.symbol or "").upper():
                raise TrackerError(f"{name}: symbol {mine.symbol!r} is declared twice on {mine.chain}")
            if other.address == mine.address:
                raise TrackerError(f"{name}: address {mine.address} on {mine.chain} is already declared as {other.symbol}")
    return tuple(specs)


def _token_entry(entry: dict[str, Any], name: str) -> TokenSpec:
    symbol, chain, address, decimals, layout = _entry_values(entry, name, "token", _TOKEN_KEYS, _TOKEN_OPTIONAL)
    if not isinstance(symbol, str) or not SYMBOL.match(symbol):
        raise TrackerError(f"{name}: symbol {symbol!r} must be a letter then up to 15 letters, digits, '.', '_' or '-'")
    if chain not in CHAINS:
        raise TrackerError(f"{name}: unknown chain {chain!r} (expected {', '.join(CHAINS)})")
    if not isinstance(address, str):
        raise TrackerError(f"{name}: address must be a string, got {address!r}")
    try:
        stored = CHAINS[chain].normalize_token(address, "address")
    except TrackerError as error:
        raise TrackerError(f"{name}: {error}") from None
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= MAX_DECIMALS:
        raise TrackerError(f"{name}: decimals must be an integer from 0 to {MAX_DECIMALS}, got {decimals!r}")
    if layout not in LAYOUTS:
        raise TrackerError(f"{name}: unknown layout {layout!r} (expected {', '.join(LAYOUTS)})")
    block = entry.get("deployment_block")
    if block is not None and (isinstance(block, bool) or not isinstance(block, int) or block < 0):
        raise TrackerError(f"{name}: deployment_block must be a block number >= 0, got {block!r}")
    return TokenSpec(chain, stored, symbol, decimals, LAYOUTS[layout], deployment_block=block)


def _coerce(setting: Setting, value: Any, where: str) -> Any:
    if isinstance(value, list) and setting.kind is str:
        value = ",".join(str(item) for item in value)
    try:
        if setting.kind is int and not isinstance(value, bool):
            return int(value)
        if setting.kind is float and not isinstance(value, bool):
            return float(value)
        if setting.kind is str and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
    except ValueError:
        pass
    raise TrackerError(f"{where}: expected {setting.kind.__name__}, got {value!r}")


def resolved(key: str) -> tuple[Any, str]:
    """A setting's effective value and where it came from."""
    setting = BY_KEY[key]
    if os.environ.get(setting.env):
        return _coerce(setting, os.environ[setting.env], f"${setting.env}"), f"env {setting.env}"
    for old_key, (new_key, old_env) in DEPRECATED.items():
        if new_key == key and os.environ.get(old_env):
            _deprecation_note(f"${old_env}", f"${setting.env}")
            return _coerce(setting, os.environ[old_env], f"${old_env}"), f"env {old_env}"
    if key in _file_values:
        return _file_values[key], str(_file_path)
    return setting.default, "default"


def get(key: str) -> Any:
    return resolved(key)[0]


_KEY_LIKE = re.compile(r"^(?=.*[0-9])[A-Za-z0-9_\-]{20,}$")  # Infura/Alchemy-style keys in URL paths
_SECRET_PARAMS = re.compile(r"key|token|secret|auth|pass", re.IGNORECASE)


def masked(setting: Setting, value: Any) -> str:
    """Secrets hidden: API keys whole; in URLs the password, key-like path parts and key-ish query values."""
    text = str(value)
    if setting.secret:
        return "****" if text else ""
    return " ".join(_masked_url(piece) for piece in text.split(" ")) if "://" in text else text


def _masked_url(piece: str) -> str:
    prefix, url = ("", piece) if piece.find("=") < 0 or piece.find("=") > piece.find("://") else piece.split("=", 1)
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{parts.username}:****@{host}" if parts.password else (f"****@{host}" if parts.username else host)
    if parts.port:
        netloc += f":{parts.port}"
    path = "/".join("****" if _KEY_LIKE.match(part) else part for part in parts.path.split("/"))
    query = urlencode([(k, "****" if _SECRET_PARAMS.search(k) else v) for k, v in parse_qsl(parts.query)], safe="*")
    masked_url = urlunsplit((parts.scheme, netloc, path, query, parts.fragment))
    return f"{prefix}={masked_url}" if prefix else masked_url


def effective() -> list[tuple[str, str, str, str]]:
    """(key, value masked, source, environment variable) for every setting, then every token by chain and symbol."""
    rows = []
    for setting in SETTINGS:
        value, source = resolved(setting.key)
        rows.append((setting.key, masked(setting, value), source, setting.env))
    for spec, source in token_rows():
        rows.append((f"tokens.{spec.chain}.{spec.symbol}",
                     f"{spec.address} decimals={spec.decimals} layout={spec.layout.name}", source, ""))
    return rows


def token_rows() -> list[tuple[TokenSpec, str]]:
    """Every token `--token SYMBOL` knows, per chain, with where it is declared (the config file or bundled)."""
    declared = set(tokens.declared())
    return [(spec, str(_file_path) if spec in declared else "bundled")
            for chain in CHAINS for spec in tokens.known_tokens(chain)]


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hashed_blocks() -> int:
    """How many blocks below a chain's frontier keep their hash (`database.hashed_blocks`).

    The reorg walk-back is the one reader of block hashes, and a hash per event block cost 1.9 bytes a
    transfer at 100M (≈ 4 % of the file, issue 8). Ethereum finalizes within 64-95 blocks and Tron solidifies
    within ~19: the default 10,000 (33 h of Ethereum, 8 h of Tron) is far deeper than either reorganizes.
    """
    count = get("database.hashed_blocks")
    if count < 1:
        raise TrackerError(f"database.hashed_blocks must be at least 1, got {count}")
    return count


def db_path(cli_value: str | None) -> Path:
    """`--db` wins over TRACKER_DB, which wins over the config file and data/tracker.duckdb."""
    return Path(cli_value) if cli_value else Path(get("database.path"))


def source_url(spec: ChainSpec, source: str, cli_value: str | None = None) -> str:
    """A chain source's URL: the command line's, else its setting (env, file, default)."""
    declared = spec.source(source)
    url = cli_value or str(get(declared.url_setting))
    return url.rstrip("/") if declared.rest else url


def rpc_url(spec: ChainSpec, cli_value: str | None = None) -> str:
    """A chain's JSON-RPC endpoint (reads, balanceOf anchors, verify)."""
    return cli_value or str(get(f"{spec.name}.rpc_url"))


def api_headers(spec: ChainSpec) -> dict[str, str]:
    """The chain's API key header (e.g. TronGrid's TRON-PRO-API-KEY), when it has one and the user set a key."""
    key = get(f"{spec.name}.api_key") if spec.api_key_header else ""
    return {spec.api_key_header: key} if key and spec.api_key_header else {}


def csv_list(key: str) -> list[str]:
    return [item.strip() for item in str(get(key)).split(",") if item.strip()]


def as_toml() -> str:
    """The effective settings as tracker.toml text (secrets masked), each with its source and variable."""
    # The tokens first (a top-level key): one line each, the same entries as [[tokens]] tables.
    lines = ["tokens = [  # `--token SYMBOL` picks one; declare more as [[tokens]] (README, Adding a stablecoin)"]
    for spec, source in token_rows():
        fields = [f"symbol = {_toml_string(spec.symbol or '')}", f"chain = {_toml_string(spec.chain)}",
                  f"address = {_toml_string(spec.address)}", f"decimals = {spec.decimals}",
                  f"layout = {_toml_string(spec.layout.name)}"]
        if spec.deployment_block is not None:
            fields.append(f"deployment_block = {spec.deployment_block}")
        lines.append(f"  {{ {', '.join(fields)} }},  # {source}")
    lines.append("]\n")
    section = None
    for key, value, source, env in effective():
        if key.startswith("tokens."):
            continue
        name, _, field_name = key.partition(".")
        if name != section:
            lines.append(f"{'' if section is None else chr(10)}[{name}]")
            section = name
        setting = BY_KEY[key]
        shown = value if setting.kind in (int, float) and value else '"' + value.replace('"', '\\"') + '"'
        lines.append(f"{field_name} = {shown}  # {source}; ${env}")
    return "\n".join(lines) + "\n"
