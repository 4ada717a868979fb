"""Each token's facts, defined once: address, decimals, and the exact layout of its events.

Both decoders read these definitions: the JSON-RPC decoder to know which topic or data
word holds each field, the TronGrid decoder to know the field names of its decoded
`result`. The layouts follow the deployed contracts' source (README, Protocol facts):
Ethereum's USDT declares `DestroyedBlackFunds(address _blackListedUser, uint _balance)`
with nothing indexed and emits no Transfer on issue/redeem; Tron's USDT indexes the
address and adds a zero-address Transfer leg to every issue and redeem; Circle's
FiatToken (USDC) emits `Mint`/`Burn`, each with its zero-address Transfer leg.

A token is bundled here (`TOKENS`) or declared in the config file (`[[tokens]]`, parsed by
`settings`, handed over with `declare`): `token_spec` and `resolve_token` read both.

Kept free of heavy imports: the CLI reads the default addresses at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from tracker.errors import TrackerError
from tracker.ingest.evm.keccak import keccak256

# What a field stands for in the rows the tracker writes (WALLET: the supply event's `address`; SUCCESSOR: the
# contract a deprecated token moved to; MINTER: who minted, checked for shape but not stored).
FROM, TO, AMOUNT, WALLET, SUCCESSOR, MINTER = "from", "to", "amount", "wallet", "successor", "minter"
SUPPLY_KINDS = ("issue", "redeem", "destroyed_black_funds")


@dataclass(frozen=True)
class EventField:
    name: str  # as the contract declares it (TronGrid's decoded `result` uses this name)
    type: str  # "address" or "uint256"
    indexed: bool
    role: str  # FROM, TO, AMOUNT, WALLET, SUCCESSOR or MINTER


@dataclass(frozen=True)
class EventSpec:
    name: str
    kind: str  # transfer, a supply_events.kind (SUPPLY_KINDS), or deprecate
    fields: tuple[EventField, ...]

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(field.type for field in self.fields)})"

    @cached_property
    def topic0(self) -> str:
        return "0x" + keccak256(self.signature.encode()).hex()

    @property
    def topic_count(self) -> int:
        return 1 + sum(field.indexed for field in self.fields)

    @property
    def data_words(self) -> int:
        return sum(not field.indexed for field in self.fields)

    def position(self, role: str) -> tuple[str, int] | None:
        """("topic", i) or ("data", word) of the field with `role`, None when the event has none."""
        topic, word = 1, 0
        for field in self.fields:
            if field.role == role:
                return ("topic", topic) if field.indexed else ("data", word)
            if field.indexed:
                topic += 1
            else:
                word += 1
        return None

    def field_name(self, role: str) -> str | None:
        return next((field.name for field in self.fields if field.role == role), None)

    def positional_key(self, role: str) -> str | None:
        """TronGrid also keys `result` by declaration order: "0", "1", …"""
        return next((str(i) for i, field in enumerate(self.fields) if field.role == role), None)

    @property
    def address_roles(self) -> tuple[str, ...]:
        return tuple(field.role for field in self.fields if field.type == "address")


@dataclass(frozen=True)
class TokenLayout:
    """The events a token emits and how issue/redeem show up in its Transfers."""

    name: str
    events: tuple[EventSpec, ...]
    # True: issue/redeem also emit Transfer(0x0 -> owner) / Transfer(owner -> 0x0) in the same transaction
    supply_transfer_legs: bool
    # True: the token declares no supply event; its zero-address Transfer legs are the issues and redeems
    supply_from_legs: bool = False

    def event(self, kind: str) -> EventSpec:
        return next(event for event in self.events if event.kind == kind)

    @property
    def topics(self) -> list[str]:
        return [event.topic0 for event in self.events]

    @property
    def topics_but_transfer(self) -> list[str]:
        """Supply events and deprecation: what scope "labeled" still fetches for every wallet."""
        return [event.topic0 for event in self.events if event.kind != "transfer"]


# ERC-20's Transfer(address indexed from, address indexed to, uint256 value): the same in every layout.
TRANSFER = EventSpec("Transfer", "transfer", (
    EventField("from", "address", True, FROM),
    EventField("to", "address", True, TO),
    EventField("value", "uint256", False, AMOUNT),
))


def _usdt_layout(name: str, blacklisted_indexed: bool, legs: bool) -> TokenLayout:
    return TokenLayout(
        name=name,
        events=(
            TRANSFER,
            EventSpec("Issue", "issue", (EventField("amount", "uint256", False, AMOUNT),)),
            EventSpec("Redeem", "redeem", (EventField("amount", "uint256", False, AMOUNT),)),
            EventSpec("DestroyedBlackFunds", "destroyed_black_funds", (
                EventField("_blackListedUser", "address", blacklisted_indexed, WALLET),
                EventField("_balance", "uint256", False, AMOUNT),
            )),
            # Tether can retire the contract: from then on it forwards to `newAddress`, which emits the
            # Transfers. Indexing stops there with a clear error instead of going quiet.
            EventSpec("Deprecate", "deprecate", (EventField("newAddress", "address", False, SUCCESSOR),)),
        ),
        supply_transfer_legs=legs,
    )


# TetherToken on Ethereum (Solidity 0.4.17): nothing indexed but Transfer's parties; no supply legs.
USDT_ETHEREUM_LAYOUT = _usdt_layout("usdt-ethereum", blacklisted_indexed=False, legs=False)
# TetherToken on Tron (Solidity 0.4.18): the blacklisted wallet is topic 1; issue/redeem add Transfer legs.
USDT_TRON_LAYOUT = _usdt_layout("usdt-tron", blacklisted_indexed=True, legs=True)
# Circle's FiatToken (USDC; v1 to v2.2 declare the same events). mint() emits Mint then Transfer(0x0 -> to),
# burn() Burn then Transfer(burner -> 0x0): supply counts Mint/Burn once, the legs move the balances.
# The supply event's address is the wallet credited (Mint's `to`) or debited (the burner); the minter is
# only checked for shape. Blacklisted/UnBlacklisted freeze a wallet and move nothing: not fetched.
FIATTOKEN_LAYOUT = TokenLayout(
    name="fiattoken",
    events=(
        TRANSFER,
        EventSpec("Mint", "issue", (
            EventField("minter", "address", True, MINTER),
            EventField("to", "address", True, WALLET),
            EventField("amount", "uint256", False, AMOUNT),
        )),
        EventSpec("Burn", "redeem", (
            EventField("burner", "address", True, WALLET),
            EventField("amount", "uint256", False, AMOUNT),
        )),
    ),
    supply_transfer_legs=True,
)
# A plain ERC-20 / BEP-20 token that declares no supply event of its own: BNB Chain's Binance-Peg USDT
# (BEP20USDT) and USDC (BEP20TokenImplementation) emit only Transfer (and Approval, OwnershipTransferred);
# mint and burn are Transfer(0x0 -> wallet) and Transfer(wallet -> 0x0). Supply is read from those legs:
# each is an issue (the wallet credited) or a redeem (the wallet debited) and stays out of exchange flows.
# Arbitrum's USDT0 is read this way too: its Mint/Burn/Redeem/DestroyedBlockedFunds differ between contract
# versions, while every supply change goes through the ERC-20 _mint/_burn and their zero-address Transfer.
ERC20_LAYOUT = TokenLayout(
    name="erc20",
    events=(
        TRANSFER,
    ),
    supply_transfer_legs=True,
    supply_from_legs=True,
)
LAYOUTS = {layout.name: layout for layout in (USDT_ETHEREUM_LAYOUT, USDT_TRON_LAYOUT, FIATTOKEN_LAYOUT, ERC20_LAYOUT)}


@dataclass(frozen=True)
class TokenSpec:
    chain: str
    address: str  # as stored: Ethereum lower-case 0x hex, Tron base58
    symbol: str | None
    decimals: int
    layout: TokenLayout
    deployment_block: int | None = None  # where a first full sync may start


TOKENS = (
    # Tether USD on Ethereum, deployed in block 4,634,748 (tx 0x2f1c5c2b…)
    TokenSpec("ethereum", "0xdac17f958d2ee523a2206206994597c13d831ec7", "USDT", 6, USDT_ETHEREUM_LAYOUT,
              deployment_block=4_634_748),
    # Tether USD on Tron (USDT-TRC20)
    TokenSpec("tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "USDT", 6, USDT_TRON_LAYOUT),
    # USD Coin on Ethereum (Circle's FiatTokenProxy), created in block 6,082,465 (README, Protocol facts)
    TokenSpec("ethereum", "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", "USDC", 6, FIATTOKEN_LAYOUT,
              deployment_block=6_082_465),
    # Arbitrum One (README, Protocol facts: addresses and decimals from token lists, layouts from the
    # verified contracts' ABIs; deployment blocks not verified, so a first full sync starts at block 0).
    # USD₮0, formerly Arbitrum's bridged USDT, at the same address.
    TokenSpec("arbitrum", "0xfd086bc7cd5c481dcc9c85ebe478a1c0b69fcbb9", "USDT", 6, ERC20_LAYOUT),
    # Circle's native USDC on Arbitrum (FiatToken; not USDC.e, the bridged 0xff970a61…)
    TokenSpec("arbitrum", "0xaf88d065e77c8cc2239327c5edb3a432268e5831", "USDC", 6, FIATTOKEN_LAYOUT),
    # BNB Smart Chain: Binance-Peg tokens with 18 decimals, Transfer-only BEP-20 contracts
    TokenSpec("bsc", "0x55d398326f99059ff775485246999027b3197955", "USDT", 18, ERC20_LAYOUT),
    TokenSpec("bsc", "0x8ac76a51cc950d9822d68b83fe1ad97b32cd580d", "USDC", 18, ERC20_LAYOUT),
)
# What `sync <chain>`, `verify` and `<chain>.token` use when no --token is given: USDT on every bundled chain
# (a chain declared in tracker.toml: `default_token`).
DEFAULT_TOKENS = {spec.chain: spec for spec in TOKENS if spec.symbol == "USDT"}
# The most decimals a token may have: amounts are stored and summed as DECIMAL(38,18) (migration 022).
MAX_DECIMALS = 18
# A symbol as `--token` and `[[tokens]]` take it; no address (0x + 40 hex, a 34-character base58) looks like one.
SYMBOL = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,15}$")

# Tokens declared in the config file (`[[tokens]]`), set by `settings.configure`.
_declared: tuple[TokenSpec, ...] = ()


def declare(specs: tuple[TokenSpec, ...]) -> None:
    """Make the config file's tokens known (they win over a bundled token of the same address or symbol)."""
    global _declared
    _declared = specs


def declared() -> tuple[TokenSpec, ...]:
    return _declared


def known_tokens(chain: str) -> list[TokenSpec]:
    """The tokens of `chain` by symbol: the declared ones, then the bundled ones none of them replaces."""
    mine = [spec for spec in _declared if spec.chain == chain]
    taken = {spec.address for spec in mine} | {spec.symbol.upper() for spec in mine if spec.symbol}
    bundled = [spec for spec in TOKENS if spec.chain == chain
               and spec.address not in taken and (spec.symbol or "").upper() not in taken]
    return mine + bundled


def default_token(chain: str) -> TokenSpec | None:
    """The token a chain syncs without --token: its USDT, else the first token declared for it, else None."""
    known = known_tokens(chain)
    return next((spec for spec in known if (spec.symbol or "").upper() == "USDT"), known[0] if known else None)


def _undeclared(chain: str, address: str) -> TrackerError:
    return TrackerError(
        f"{chain} token {address} is not in the registry or tracker.toml: declare it as [[tokens]] (symbol, chain, "
        f"address, decimals, layout) — README, Adding a stablecoin"
    )


def token_spec(chain: str, address: str) -> TokenSpec:
    """The definition of `address` on `chain` (stored spelling): declared, else bundled; an unknown address is
    refused (its decimals and events would be guesses)."""
    for spec in (*_declared, *TOKENS):
        if spec.chain == chain and spec.address == address:
            return spec
    raise _undeclared(chain, address)


def resolve_token(chain: str, text: str, normalize: Callable[[str, str], str], where: str = "--token",
                  declared_only: bool = True) -> str:
    """The stored address a user means: a symbol (any case) of a known token on `chain`, or an address that the
    registry or tracker.toml declares. `declared_only=False` also takes any well-formed address (verify: it
    compares the node with rows already stored, which a file synced by an older version may hold)."""
    if not text.strip():
        raise TrackerError(f"{where}: no token given and {chain} declares none: add a [[tokens]] entry with "
                           f"chain = \"{chain}\" to tracker.toml (README, Adding a chain)")
    if SYMBOL.match(text.strip()):
        wanted = text.strip().upper()
        known = known_tokens(chain)
        for spec in known:
            if (spec.symbol or "").upper() == wanted:
                return spec.address
        symbols = ", ".join(sorted(spec.symbol for spec in known if spec.symbol)) or "none"
        raise TrackerError(f"{where}: unknown token {text.strip()!r} on {chain} (known: {symbols}); give its address "
                           f"or declare it in tracker.toml as [[tokens]] (README, Adding a stablecoin)")
    address = normalize(text, where)
    if declared_only and not any(spec.address == address for spec in (*_declared, *TOKENS) if spec.chain == chain):
        raise TrackerError(f"{where}: {_undeclared(chain, address)}")
    return address


def check_storable(spec: TokenSpec) -> None:
    """Refuse, before anything is fetched, a token whose amounts the database cannot hold exactly."""
    if not 0 <= spec.decimals <= MAX_DECIMALS:
        name = f"{spec.symbol} ({spec.address})" if spec.symbol else spec.address
        raise TrackerError(
            f"{spec.chain} token {name} has {spec.decimals} decimals; the tracker stores amounts of at most "
            f"{MAX_DECIMALS} decimals exactly; nothing was synced"
        )
