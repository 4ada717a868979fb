"""Reads from an EVM-style JSON-RPC node other than logs: head, headers, code, dates → blocks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from tracker.errors import BadResponse, TrackerError
from tracker.ingest.evm.rpc import JsonRpcClient

if TYPE_CHECKING:
    import polars as pl

DECIMALS_SELECTOR = "0x313ce567"  # decimals()
# A block timestamp this large is in milliseconds (10^11 s is the year 5138).
MILLISECONDS_FROM = 10**11


@dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: str
    timestamp: int  # seconds since the epoch, UTC

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, timezone.utc)


def parse_quantity(value: Any, what: str) -> int:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise BadResponse(f"{what}: expected a hex quantity, got {value!r}")
    try:
        return int(value, 16)
    except ValueError as error:
        raise BadResponse(f"{what}: expected a hex quantity, got {value!r}") from error


def parse_header(result: Any, number: int) -> BlockHeader:
    """A block header from `eth_getBlockByNumber`, checked against the number asked for."""
    if result is None:
        raise BadResponse(f"node has no block {number}")
    if not isinstance(result, dict):
        raise BadResponse(f"eth_getBlockByNumber({number}): expected an object")
    got = parse_quantity(result.get("number"), f"block {number} number")
    if got != number:
        raise BadResponse(f"asked the node for block {number}, it answered block {got}")
    block_hash = result.get("hash")
    if not isinstance(block_hash, str) or len(block_hash) != 66:
        raise BadResponse(f"block {number}: malformed hash {block_hash!r}")
    timestamp = parse_quantity(result.get("timestamp"), f"block {number} timestamp")
    if timestamp >= MILLISECONDS_FROM:
        # Older java-tron versions report Tron's native milliseconds; the protocol says seconds.
        timestamp //= 1000
    return BlockHeader(number, block_hash.lower(), timestamp)


class Node:
    def __init__(self, rpc: JsonRpcClient) -> None:
        self.rpc = rpc

    def head(self) -> int:
        return parse_quantity(self.rpc.call("eth_blockNumber"), "eth_blockNumber")

    def chain_id(self) -> int:
        return parse_quantity(self.rpc.call("eth_chainId"), "eth_chainId")

    def check_chain_id(self, chain: str, expected: int | None, answered: int | None = None) -> None:
        """Refuse a node of another network (a wrong URL) before anything is read from it or written (`answered`:
        its eth_chainId if already asked)."""
        if expected is None:
            return
        got = self.chain_id() if answered is None else answered
        if got != expected:
            raise TrackerError(f"the {chain} node answers chain id {got}, not {expected}: check {chain}.rpc_url "
                               f"(or --rpc); nothing was written")

    def finalized(self) -> int:
        """Number of the block the node calls `finalized` (java-tron: the solidified block)."""
        result = self.rpc.call("eth_getBlockByNumber", ["finalized", False])
        if not isinstance(result, dict):
            raise BadResponse("node has no finalized block")
        return parse_quantity(result.get("number"), "finalized block number")

    def header(self, number: int) -> BlockHeader:
        return parse_header(self.rpc.call("eth_getBlockByNumber", [hex(number), False]), number)

    def headers(self, numbers: list[int]) -> dict[int, BlockHeader]:
        results = self.rpc.batch("eth_getBlockByNumber", [[hex(number), False] for number in numbers])
        return {number: parse_header(result, number) for number, result in zip(numbers, results)}

    def headers_frame(self, chain: str, numbers: list[int]) -> pl.DataFrame:
        import polars as pl  # the sync checks the node before polars has loaded

        found = self.headers(numbers)
        return pl.DataFrame(
            {
                "chain": [chain] * len(numbers),
                "block_number": numbers,
                "block_hash": [found[n].hash for n in numbers],
                "block_time": [found[n].timestamp * 1_000_000 for n in numbers],
            },
            schema={"chain": pl.String, "block_number": pl.Int64, "block_hash": pl.String, "block_time": pl.Int64},
        ).with_columns(pl.col("block_time").cast(pl.Datetime("us", "UTC")))

    def has_code(self, address: str, block: int | str = "latest") -> bool:
        tag = hex(block) if isinstance(block, int) else block
        code = self.rpc.call("eth_getCode", [address, tag])
        return isinstance(code, str) and len(code) > 2

    def decimals(self, address: str) -> int:
        result = self.rpc.call("eth_call", [{"to": address, "data": DECIMALS_SELECTOR}, "latest"])
        return parse_quantity(result if result != "0x" else None, f"decimals() of {address}")

    def first_block_at_or_after(self, moment: datetime, head: int) -> int | None:
        return first_block_at_or_after(lambda number: self.header(number).timestamp, moment, head)

    def deployment_block(self, address: str, head: int) -> int:
        """First block at which `address` has code (needs a node that serves historical state)."""
        try:
            if not self.has_code(address, head):
                raise TrackerError(f"no contract at {address} on this node")
            low, high = 0, head
            while low < high:
                middle = (low + high) // 2
                if self.has_code(address, middle):
                    high = middle
                else:
                    low = middle + 1
        except BadResponse as error:
            raise TrackerError(f"cannot find the deployment block of {address} ({error}); pass --from-block") from error
        return low


def first_block_at_or_after(timestamp_of: Callable[[int], int], moment: datetime, head: int) -> int | None:
    """Lowest block in [0, head] whose timestamp (seconds) is >= moment, by binary search; None if none yet."""
    target = int(moment.timestamp())
    if timestamp_of(head) < target:
        return None
    low, high = 0, head
    while low < high:
        middle = (low + high) // 2
        if timestamp_of(middle) >= target:
            high = middle
        else:
            low = middle + 1
    return low


