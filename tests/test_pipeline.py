"""run_pipeline: steps in block order, joined into one write when they queue up behind the writer."""

from __future__ import annotations

import threading
import time

import polars as pl
import pytest

from tracker.errors import TrackerError
from tracker.ingest.sync import JOINED_LOGS, run_pipeline
from tracker.store import Batch, joined


def step(low: int, high: int, logs: int = 3) -> Batch:
    token = "0x" + "ab" * 20
    transfers = pl.DataFrame({
        "chain": ["ethereum"] * logs, "token": [token] * logs, "block_number": [low] * logs,
        "block_time": [None] * logs, "tx_hash": ["0x%064x" % (low * 1000 + i) for i in range(logs)],
        "log_index": list(range(logs)), "from_address": ["0x" + "01" * 20] * logs,
        "to_address": ["0x" + "02" * 20] * logs, "amount_raw": list(range(logs)),
    })
    return Batch(chain="ethereum", token=token, from_block=low, to_block=high, to_block_hash="0x" + "00" * 32,
                 transfers=transfers, supply_events=transfers.head(0),
                 blocks=pl.DataFrame({"chain": ["ethereum"], "block_number": [high]}))


def test_steps_waiting_behind_a_slow_writer_are_joined_in_order() -> None:
    writes: list[Batch] = []

    def source(stop: threading.Event):
        yield from ((10 * k, 10 * k + 9) for k in range(12))

    def sink(batch: Batch) -> None:
        if not writes:
            time.sleep(0.5)  # a slow first write: the steps behind it queue up
        writes.append(batch)

    run_pipeline(source, lambda r: step(*r), sink)
    assert [(w.from_block, w.to_block) for w in writes][0] == (0, 9)
    # Every block once, in order, with every row; some writes took several steps.
    assert all(a.to_block + 1 == b.from_block for a, b in zip(writes, writes[1:])) and writes[-1].to_block == 119
    assert sum(w.transfers.height for w in writes) == 36
    assert any(w.to_block - w.from_block > 9 for w in writes) and len(writes) < 12
    for w in writes:
        assert w.transfers["block_number"].to_list() == sorted(w.transfers["block_number"].to_list())
        assert w.blocks["block_number"].to_list() == list(range(w.from_block + 9, w.to_block + 1, 10))


def test_a_join_stops_at_the_row_cap_and_an_error_comes_after_the_steps_before_it() -> None:
    writes: list[tuple[int, int]] = []
    per_step = JOINED_LOGS // 2 + 1  # two steps already exceed the cap: no write takes three

    def source(stop: threading.Event):
        yield from ((k, k) for k in range(4))
        raise TrackerError("node went away")

    def sink(batch: Batch) -> None:
        if not writes:
            time.sleep(0.5)
        writes.append((batch.from_block, batch.to_block))

    with pytest.raises(TrackerError, match="node went away"):
        run_pipeline(source, lambda r: step(*r, logs=per_step), sink)
    assert writes[-1][1] == 3 and all(high - low <= 1 for low, high in writes)


def test_only_adjoining_steps_join() -> None:
    assert joined([step(0, 9)]).from_block == 0
    both = joined([step(0, 9), step(10, 19)])
    assert (both.from_block, both.to_block, both.transfers.height) == (0, 19, 6)
    with pytest.raises(TrackerError, match="do not adjoin"):
        joined([step(0, 9), step(11, 19)])
