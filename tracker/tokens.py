"""Each token's facts, defined once: address, decimals, and the exact layout of its events.

Both decoders read these definitions: the JSON-RPC decoder to know which topic or data
word holds each field, the TronGrid decoder to know the field names of its decoded
`result`. The layouts follow the deployed contracts' source (README, Protocol facts):
Ethereum's USDT declares `DestroyedBlackFunds(address _blackListedUser, uint _balance)`
with nothing indexed and emits no Transfer on issue/redeem; Tron's USDT indexes the
address and adds a zero-address Transfer leg to every issue and redeem.

Kept free of heavy imports: the CLI reads the default addresses at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

# What a field stands for in the rows the tracker writes (SUCCESSOR: the contract a deprecated token moved to).
FROM, TO, AMOUNT, WALLET, SUCCESSOR = "from", "to", "amount", "wallet", "successor"
SUPPLY_KINDS = ("issue", "redeem", "destroyed_black_funds")


@dataclass(frozen=True)
class EventField:
    name: str  # as the contract declares it (TronGrid's decoded `result` uses this name)
    type: str  # "address" or "uint256"
    indexed: bool
    role: str  # FROM, TO, AMOUNT or WALLET


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
        from eth_utils import keccak  # only the log decoder needs the hash

        return "0x" + keccak(text=self.signature).hex()

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

    def event(self, kind: str) -> EventSpec:
        return next(event for event in self.events if event.kind == kind)

    @property
    def topics(self) -> list[str]:
        return [event.topic0 for event in self.events]

    @property
    def topics_but_transfer(self) -> list[str]:
        """Supply events and deprecation: what scope "labeled" still fetches for every wallet."""
        return [event.topic0 for event in self.events if event.kind != "transfer"]


def _usdt_layout(name: str, blacklisted_indexed: bool, legs: bool) -> TokenLayout:
    return TokenLayout(
        name=name,
        events=(
            EventSpec("Transfer", "transfer", (
                EventField("from", "address", True, FROM),
                EventField("to", "address", True, TO),
                EventField("value", "uint256", False, AMOUNT),
            )),
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
LAYOUTS = {layout.name: layout for layout in (USDT_ETHEREUM_LAYOUT, USDT_TRON_LAYOUT)}


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
)
DEFAULT_TOKENS = {spec.chain: spec for spec in TOKENS}
# A token the registry does not know (a test token, a fork) is read with its chain's USDT layout.
CHAIN_LAYOUTS = {"ethereum": USDT_ETHEREUM_LAYOUT, "tron": USDT_TRON_LAYOUT}
# The tracker stores amounts at USDT's scale (the `usdt_amount` macro, DECIMAL(38,6) columns).
STORED_DECIMALS = 6


def token_spec(chain: str, address: str) -> TokenSpec:
    """The registry's definition of `address` on `chain` (stored spelling), else the chain's USDT layout."""
    for spec in TOKENS:
        if spec.chain == chain and spec.address == address:
            return spec
    return TokenSpec(chain, address, None, STORED_DECIMALS, CHAIN_LAYOUTS[chain])
