"""run_pipeline: steps in block order, joined into one write when they queue up behind the writer."""

from __future__ import annotations

import threading
import time

import polars as pl
import pytest

from tracker.errors import TrackerError
import tracker.ingest.sync as sync
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


def test_steps_waiting_behind_a_slow_writer_are_joined_in_order(monkeypatch) -> None:
    monkeypatch.setattr(sync, "WHOLE_WRITE_LOGS", 0)  # no waiting for more: only steps already queued join
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


def test_the_writer_gathers_steps_that_come_soon_up_to_a_whole_write(monkeypatch) -> None:
    """Below WHOLE_WRITE_LOGS the writer waits for the next step (GATHER_SECONDS each, GATHER_MOST_SECONDS in
    all): steps a little apart still make one write; a gap longer than the wait, or the bound, ends it."""
    monkeypatch.setattr(sync, "GATHER_SECONDS", 0.3)
    monkeypatch.setattr(sync, "GATHER_MOST_SECONDS", 1.0)
    gaps = {3: 0.6}  # seconds the source pauses before step k
    writes: list[tuple[int, int, int]] = []

    def source(stop: threading.Event):
        for k in range(20):
            time.sleep(gaps.get(k, 0.1))
            yield (10 * k, 10 * k + 9)

    run_pipeline(source, lambda r: step(*r), lambda batch: writes.append(
        (batch.from_block, batch.to_block, batch.transfers.height)))
    spans = [(low, high) for low, high, _ in writes]
    assert spans[0] == (0, 29)  # steps 0-2 came 0.1 s apart; step 3 came 0.6 s later
    assert all(a[1] + 1 == b[0] for a, b in zip(spans, spans[1:])) and spans[-1][1] == 199
    assert sum(rows for _, _, rows in writes) == 20 * 3
    # From step 3 on, steps come every 0.1 s: each write gathers for at most 1 s (about 10 steps), not all 17.
    assert len(writes) >= 3 and all(high - low + 1 <= 120 for low, high in spans[1:])


def test_a_whole_write_is_not_held_back(monkeypatch) -> None:
    monkeypatch.setattr(sync, "WHOLE_WRITE_LOGS", 4)  # two steps of 3 logs make a whole write
    monkeypatch.setattr(sync, "GATHER_SECONDS", 5.0)
    started = time.monotonic()
    writes: list[tuple[int, float]] = []

    def source(stop: threading.Event):
        yield from ((10 * k, 10 * k + 9) for k in range(2))
        time.sleep(1.5)
        yield (20, 29)

    run_pipeline(source, lambda r: step(*r), lambda batch: writes.append((batch.to_block, time.monotonic() - started)))
    assert [block for block, _ in writes] == [19, 29]
    assert writes[0][1] < 1.0  # written once it held 6 logs, not after waiting for step 3


def test_a_waiting_reader_ends_the_gathering(monkeypatch) -> None:
    monkeypatch.setattr(sync, "GATHER_SECONDS", 5.0)
    monkeypatch.setattr(sync, "GATHER_MOST_SECONDS", 5.0)
    started = time.monotonic()
    writes: list[tuple[int, float]] = []
    reader_waiting = threading.Event()

    def source(stop: threading.Event):
        yield (0, 9)
        time.sleep(0.3)
        reader_waiting.set()
        time.sleep(1.5)
        yield (10, 19)

    run_pipeline(source, lambda r: step(*r), lambda batch: writes.append((batch.to_block, time.monotonic() - started)),
                 hurry=reader_waiting.is_set)
    assert [block for block, _ in writes] == [9, 19]
    assert writes[0][1] < 1.0  # written once the reader waited, not after step 2


def test_the_sinks_set_up_runs_while_the_source_already_fetches() -> None:
    """`ready` (a new file's creation, in a sync) runs on the caller's thread once the source has started,
    and before the first write: the node is answering while the file is made."""
    source_started = threading.Event()
    events: list[str] = []

    def source(stop: threading.Event):
        source_started.set()
        yield from ((10 * k, 10 * k + 9) for k in range(3))

    def ready() -> None:
        assert source_started.wait(5), "the source had not started when the sink's set-up ran"
        events.append("ready")

    run_pipeline(source, lambda r: step(*r), lambda batch: events.append(f"write {batch.from_block}"), ready=ready)
    assert events[0] == "ready" and events[1] == "write 0" and len(events) >= 2


def test_only_adjoining_steps_join() -> None:
    assert joined([step(0, 9)]).from_block == 0
    both = joined([step(0, 9), step(10, 19)])
    assert (both.from_block, both.to_block, both.transfers.height) == (0, 19, 6)
    # the stored form is joined too (not made again on the writer's thread), still in order
    assert both.stored["block_number"].to_list() == [0, 0, 0, 10, 10, 10]
    with pytest.raises(TrackerError, match="do not adjoin"):
        joined([step(0, 9), step(11, 19)])


def test_a_request_slot_is_handed_on_while_its_answer_is_built(httpserver) -> None:
    """At most REQUESTS_IN_FLIGHT requests are at the node, but a request whose answer is being built no longer
    holds its slot: the node serves the next ranges meanwhile (BUILDS_AHEAD more are asked for)."""
    from werkzeug import Response

    from tracker.chains import ETHEREUM
    from tracker.ingest.evm.rpc import JsonRpcClient
    from tracker.ingest.sync import REQUESTS_IN_FLIGHT, SyncSummary, all_events, fetch_raw_steps
    from tracker.tokens import token_spec

    token = token_spec("ethereum", "0xdac17f958d2ee523a2206206994597c13d831ec7")
    lock = threading.Lock()
    building = 0
    seen_while_building: list[int] = []  # builds running whenever the node starts serving a request

    def node(request) -> Response:
        body = request.get_json()
        with lock:
            seen_while_building.append(building)
        time.sleep(0.02)
        return Response(f'{{"jsonrpc":"2.0","id":{body["id"]},"result":[]}}', content_type="application/json")

    def build(step):
        nonlocal building
        with lock:
            building += 1
        time.sleep(0.2)
        with lock:
            building -= 1
        return step.log_filter.from_block

    httpserver.expect_request("/").respond_with_handler(node)
    steps = list(fetch_raw_steps(JsonRpcClient(httpserver.url_for("/")), ETHEREUM, token, 0, 11, 1,
                                 SyncSummary("ethereum", token.address), threading.Event(), all_events(token.layout),
                                 build))
    assert [step.outcome() for step in steps] == list(range(12))  # every block once, in order
    # With the slot held while building, a request could reach the node only while at most
    # REQUESTS_IN_FLIGHT - 1 answers were being built.
    assert max(seen_while_building) >= REQUESTS_IN_FLIGHT


def test_requests_reach_the_node_in_the_order_of_their_ranges() -> None:
    """Turns drawn in range order are let in in that order whatever order their threads arrive in, at most
    `size` at once: a later range never reaches the node (and is refused, dropping the earlier one) first."""
    slots = sync._NodeSlots(1)
    turns = [slots.draw() for _ in range(4)]
    entered: list[int] = []
    inside = []

    def enter(turn) -> None:
        with turn:
            inside.append(1)
            assert len(inside) == 1  # one slot: never two at once
            entered.append(turn.number)
            time.sleep(0.02)
            inside.pop()

    threads = [threading.Thread(target=enter, args=(turn,)) for turn in reversed(turns)]  # the last arrives first
    for thread in threads:
        thread.start()
        time.sleep(0.02)
    for thread in threads:
        thread.join(timeout=5)
    assert entered == [0, 1, 2, 3]
