"""How many blocks to ask for in the next `eth_getLogs`.

Providers refuse large requests in different words: Infura's "query returned
more than 10000 results", Alchemy's "Log response size exceeded ... this block
range should work: [0x..., 0x...]", java-tron's "exceed max block range: 5000",
plain timeouts. `next_plan` is the one place that reads those answers and picks
the next range size: it takes a range the error suggests, learns block-range and
result-count limits from the text, and grows back after successes only as far
as the observed log density allows, so it settles instead of thrashing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from tracker.errors import TrackerError

# Words providers use when a single eth_getLogs is too big (range, results, size or time).
_TOO_LARGE = re.compile(
    r"more than \d[\d,]* results|too many (results|logs|blocks)|response size|result set"
    r"|block range|range (is )?too (large|wide|big)|exceeds? (the )?max|max(imum)? (block )?range"
    r"|limited to|timeout|timed out|limit exceeded|query returned more|response is too big"
    r"|logs? (response )?size|range exceeds|range limit|exceeded max|ranges? over \d",
    re.IGNORECASE,
)
_SUGGESTED_RANGE = re.compile(r"\[\s*(0x[0-9a-fA-F]+|\d+)\s*,\s*(0x[0-9a-fA-F]+|\d+)\s*\]")
_RESULT_LIMIT = re.compile(
    r"(?:more than|max(?:imum)?(?: of)?|up to|cap of|limit(?: of)?)\s+(\d[\d,]*)\s*(k\b)?\s*(?:results|logs)",
    re.IGNORECASE,
)
# A block-range cap: "max block range: 5000", "limited to a 10,000 range", "up to a 2K block range",
# "ranges over 10000 blocks are not supported", "block range limit (1000)".
_BLOCK_LIMIT = (
    re.compile(r"max(?:imum)?\s+block\s+range(?:\s+is)?\s*:?\s*(\d[\d,]*)\s*(k\b)?", re.IGNORECASE),
    re.compile(r"block\s+range\s+limit\s*(?:is|of)?\s*\(?(\d[\d,]*)\s*(k\b)?", re.IGNORECASE),
    re.compile(r"(?:limited to|up to|ranges? over)\s+(?:a\s+)?(\d[\d,]*)\s*(k\b)?\s*-?\s*(?:blocks?|range)", re.I),
)

# Aim below a known result cap so a denser stretch of chain does not fail at once.
RESULT_HEADROOM = 0.8
# Logs one request should bring at most, whatever the provider allows: bounds memory per step (about 6 MB of
# JSON; Infura and Alchemy cap answers at 10,000 logs anyway). On a node of our own, answers of 50,000 logs
# cost it more per log than five of 10,000 and held twice the memory, for no faster a sync (BENCHMARKS.md).
TARGET_LOGS_PER_REQUEST = 10_000
# Successes after which a size that once failed (for an unnamed reason) may be tried again.
FORGET_FAILURE_AFTER = 16


class RangeTooLargeForProvider(TrackerError):
    """Even a single block is refused: nothing smaller can be asked for."""


@dataclass(frozen=True)
class RangePlan:
    size: int
    max_size: int
    result_limit: int | None = None
    failed_size: int | None = None
    successes: int = 0


def is_range_error(message: str) -> bool:
    """Does this error text mean 'ask for fewer blocks'?"""
    return bool(_TOO_LARGE.search(message))


def _number(text: str) -> int:
    return int(text, 16) if text.lower().startswith("0x") else int(text)


def _suggested_size(message: str) -> int | None:
    match = _SUGGESTED_RANGE.search(message)
    if not match:
        return None
    low, high = _number(match.group(1)), _number(match.group(2))
    return high - low + 1 if high >= low else None


def _count(match: re.Match[str]) -> int | None:
    value = int(match.group(1).replace(",", "")) * (1000 if match.group(2) else 1)
    return value if value > 0 else None


def _block_limit(message: str) -> int | None:
    for pattern in _BLOCK_LIMIT:
        match = pattern.search(message)
        if match:
            return _count(match)
    return None


def _result_limit(message: str) -> int | None:
    match = _RESULT_LIMIT.search(message)
    return _count(match) if match else None


def first_plan(chunk_size: int) -> RangePlan:
    """At most `chunk_size` blocks a request, starting with one: each answer at most doubles the range (see
    after_success), so the chain's density is known before a request can bring all its logs at once (a dense
    chain on a node with no result cap: one 630 MB answer for 1M logs), and the first answers come soon enough
    for fetching, decoding and writing to overlap from the start."""
    if chunk_size < 1:
        raise TrackerError(f"--chunk-size must be at least 1, got {chunk_size}")
    return RangePlan(size=1, max_size=chunk_size)


def after_success(plan: RangePlan, blocks: int, logs: int) -> RangePlan:
    """A request of `blocks` blocks returned `logs` logs: pick the next size."""
    successes = plan.successes + 1
    failed_size = plan.failed_size
    if failed_size is not None and successes >= FORGET_FAILURE_AFTER:
        failed_size, successes = None, 0
    candidate = min(plan.max_size, max(plan.size, blocks) * 2)
    if logs > 0:
        density = logs / blocks
        candidate = min(candidate, int(TARGET_LOGS_PER_REQUEST / density))
        if plan.result_limit is not None:
            candidate = min(candidate, int(plan.result_limit * RESULT_HEADROOM / density))
    if failed_size is not None:
        candidate = min(candidate, failed_size - 1)
    return replace(plan, size=max(1, candidate), failed_size=failed_size, successes=successes)


def after_refusal(plan: RangePlan, blocks: int, message: str) -> RangePlan:
    """A request of `blocks` blocks was refused with `message` (or timed out): shrink."""
    if blocks <= 1:
        raise RangeTooLargeForProvider(f"the node refuses even a single block: {message}")
    max_size = plan.max_size
    block_limit = _block_limit(message)
    if block_limit is not None and block_limit < blocks:
        max_size = min(max_size, block_limit)
    result_limit = _result_limit(message) or plan.result_limit
    suggested = _suggested_size(message)
    if suggested is not None and 0 < suggested < blocks:
        size = suggested
    elif block_limit is not None and block_limit < blocks:
        size = block_limit
    else:
        size = blocks // 2
    failed_size = blocks if plan.failed_size is None else min(plan.failed_size, blocks)
    if suggested is not None and 0 < suggested < blocks:
        # The provider named a range that works: treat anything larger as failing for a while.
        failed_size = min(failed_size, suggested + 1)
    return RangePlan(
        size=max(1, min(size, max_size)),
        max_size=max_size,
        result_limit=result_limit,
        failed_size=failed_size,
        successes=0,
    )
