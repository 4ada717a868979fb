"""The one function that sizes eth_getLogs ranges, driven through real provider messages."""

from __future__ import annotations

import pytest

from tracker.ingest.ranges import (
    FORGET_FAILURE_AFTER,
    TARGET_LOGS_PER_REQUEST,
    RangeTooLargeForProvider,
    after_refusal,
    after_success,
    first_plan,
    is_range_error,
)

INFURA = "query returned more than 10000 results. Try with this block range [0x10c1b40, 0x10c1c8f]."
ALCHEMY = (
    "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on "
    "the response size, or you can request any block range with a cap of 10K logs in the response. Based on your "
    "parameters, this block range should work: [0x10c1b40, 0x10c1f27]"
)
TRON = "exceed max block range: 5000"


@pytest.mark.parametrize(
    "message, expected",
    [
        (INFURA, True),
        (ALCHEMY, True),
        (TRON, True),
        ("eth_getLogs is limited to a 10,000 range", True),
        ("ranges over 10000 blocks are not supported", True),
        ("query timeout exceeded", True),
        ("block range is too wide", True),
        ("invalid argument 0: hex string without 0x prefix", False),
        ("execution reverted", False),
        ("method not found", False),
    ],
)
def test_range_errors_are_recognized(message: str, expected: bool) -> None:
    assert is_range_error(message) is expected


def test_infura_suggested_range_is_taken() -> None:
    plan = after_refusal(first_plan(2000), 2000, INFURA)
    assert plan.size == 0x10C1C8F - 0x10C1B40 + 1 == 336
    assert plan.result_limit == 10_000


def test_alchemy_caps_blocks_and_results() -> None:
    plan = after_refusal(first_plan(5000), 5000, ALCHEMY)
    assert plan.size == 0x10C1F27 - 0x10C1B40 + 1 == 1000
    assert plan.max_size == 2000
    assert plan.result_limit == 10_000


def test_tron_block_limit_becomes_the_ceiling() -> None:
    plan = after_refusal(first_plan(10_000), 10_000, TRON)
    assert (plan.size, plan.max_size) == (5000, 5000)
    for _ in range(50):
        plan = after_success(plan, plan.size, 0)
    assert plan.size == 5000


def test_unexplained_refusal_halves_and_grows_back_without_reaching_the_failure() -> None:
    plan = after_refusal(first_plan(2000), 2000, "query timeout exceeded")
    assert plan.size == 1000
    plan = after_success(plan, 1000, 10)
    assert plan.size == 1999  # below the size that failed, not the full 2000
    for _ in range(FORGET_FAILURE_AFTER):
        plan = after_success(plan, plan.size, 10)
    assert plan.size == 2000  # after a long run of successes the failed size is tried again


def test_dense_chain_settles_without_thrashing() -> None:
    """Tron-like density (70 logs a block) under a 5,000-result cap (below our own target): one refusal, then
    steady at 80 % of the cap."""
    density, cap = 70, 5_000
    plan = first_plan(2000)
    refusals = 0
    sizes = []
    for _ in range(200):
        blocks = plan.size
        if blocks * density > cap:
            refusals += 1
            plan = after_refusal(plan, blocks, f"query returned more than {cap} results")
        else:
            plan = after_success(plan, blocks, blocks * density)
            sizes.append(blocks)
    assert refusals <= 5
    steady = sizes[-100:]
    assert min(steady) == max(steady) == int(cap * 0.8 / density)


def test_single_block_that_is_still_too_large_is_an_error() -> None:
    with pytest.raises(RangeTooLargeForProvider, match="single block"):
        after_refusal(first_plan(1), 1, INFURA)


def test_chunk_size_must_be_positive() -> None:
    with pytest.raises(Exception, match="chunk-size"):
        first_plan(0)


def test_dense_ranges_shrink_to_the_log_target_even_without_a_provider_cap() -> None:
    plan = after_success(first_plan(2000), 2000, 2000 * 400)  # 400 logs a block: 800k logs in one answer
    assert plan.size == TARGET_LOGS_PER_REQUEST // 400
    plan = after_success(plan, plan.size, plan.size * 400)
    assert plan.size == TARGET_LOGS_PER_REQUEST // 400
    sparse = after_success(first_plan(100), 100, 3)
    assert sparse.size == 100  # never above --chunk-size
