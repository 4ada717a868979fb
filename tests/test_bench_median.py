"""bench/sync_bench.py's interval for the median ratio of paired rounds (order statistics)."""

from __future__ import annotations

import importlib.util
import math
import random
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "sync_bench.py"


@pytest.fixture(scope="module")
def median_interval():
    spec = importlib.util.spec_from_file_location("sync_bench_under_test", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.median_interval


def coverage(n: int, k: int) -> float:
    """P(x(k) <= median <= x(n+1-k)) for n draws of a continuous distribution, counted draw by draw."""
    return sum(math.comb(n, below) for below in range(k, n - k + 1)) / 2**n


@pytest.mark.parametrize("n, ranks", [(6, (1, 6)), (10, (2, 9)), (20, (6, 15)), (30, (10, 21))])
def test_the_ranks_are_the_textbook_ones(median_interval, n: int, ranks: tuple[int, int]) -> None:
    values = [1.0 + rank / 100 for rank in range(1, n + 1)]
    shuffled = values[:]
    random.Random(n).shuffle(shuffled)
    assert median_interval(shuffled) == (values[ranks[0] - 1], values[ranks[1] - 1])


@pytest.mark.parametrize("n", range(6, 41))
def test_the_interval_is_the_narrowest_that_holds_the_median_95_times_in_100(median_interval, n: int) -> None:
    low, high = median_interval(list(range(1, n + 1)))
    k = low
    assert high == n + 1 - k
    assert coverage(n, k) >= 0.95
    assert k == n // 2 or coverage(n, k + 1) < 0.95


def test_too_few_rounds_give_no_interval(median_interval) -> None:
    assert median_interval([0.9, 1.0, 1.1, 0.95, 1.05]) is None
    assert median_interval([]) is None
