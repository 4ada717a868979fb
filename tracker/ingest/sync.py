"""The indexing pipeline: resolve the block range, heal reorgs, fetch → decode → write.

A fetch thread walks the range with adaptive `eth_getLogs` requests, decodes
each answer and reads the block headers it needs; the calling thread writes
each step to DuckDB in one transaction with its sync state. The two overlap,
so the node, the decoder and the database work at the same time.
"""

from __future__ import annotations

import fcntl
import functools
import importlib
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import wait as wait_for
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tracker import http as http_module
from tracker.chains import ChainSpec
from tracker.days import day_after, day_start
from tracker.errors import BadResponse, RpcError, RpcTimeout, TrackerError
from tracker.http import HttpClient, HttpStatusError, in_background
from tracker.ingest import ranges
from tracker.ingest.evm.logs import LogFilter, read_logs
from tracker.ingest.evm.node import Node
from tracker.ingest.evm.rpc import JsonRpcClient
from tracker.settings import hashed_blocks
from tracker.tokens import TokenLayout, TokenSpec, check_storable, token_spec

if TYPE_CHECKING:
    import polars as pl

    from tracker.ingest.evm.decode import DecodedLogs
    from tracker.ingest.evm.native import CheckedEvents
    from tracker.store import AddressBook, Batch, Store, WaitingReaders

# polars, DuckDB and the modules built on them (decoding, the store, the analytics) are imported where they are
# first used, not here: a sync checks the node and starts asking for logs while they load (≈ 0.1 s).

# How often one step is re-fetched when the chain moves under it before giving up.
CHAIN_MOVED_RETRIES = 3
# A single block's eth_getLogs that times out or is refused is tried this many more times before giving up.
SINGLE_BLOCK_RETRIES = 4
# Stored blocks compared per batch request while looking for a reorg's common ancestor.
ANCESTOR_BATCH = 64
# Providers cap the addresses in one topic position (java-tron: 1000 sub-topics).
MAX_SUBTOPICS = 1000


@dataclass(frozen=True)
class SyncOptions:
    rpc_url: str
    token: str
    from_block: int | None = None
    to_block: int | None = None
    since: date | None = None
    until: date | None = None
    confirmations: int | None = 12  # None: up to the node's `finalized` block
    chunk_size: int = 2000
    source: str = "jsonrpc"
    scope: str = "all"  # or "labeled": only transfers touching a labeled wallet, plus all supply events
    max_subtopics: int = MAX_SUBTOPICS


@dataclass
class Reorg:
    detected_at: int
    ancestor: int
    rows_removed: int


@dataclass
class SyncSummary:
    chain: str
    token: str
    from_block: int | None = None
    to_block: int | None = None
    transfers: int = 0
    supply_events: int = 0
    requests: int = 0
    refusals: int = 0
    seconds: float = 0.0
    reorg: Reorg | None = None
    gaps: list[tuple[int, int]] = field(default_factory=list)
    anchor: tuple[int, int] | None = None  # (block, wallets) whose balanceOf was read after the sync
    anchor_warning: str | None = None

    @property
    def logs(self) -> int:
        return self.transfers + self.supply_events

    @property
    def up_to_date(self) -> bool:
        return self.from_block is None


@dataclass(frozen=True)
class Progress:
    blocks_done: int
    blocks_total: int
    logs: int


ProgressCallback = Callable[[Progress], None]


def check_options(options: SyncOptions) -> None:
    hashed_blocks()  # a bad database.hashed_blocks is refused before anything is fetched
    if options.from_block is not None and options.since is not None:
        raise TrackerError("use either --from-block or --since, not both")
    if options.to_block is not None and options.until is not None:
        raise TrackerError("use either --to-block or --until, not both")
    for flag, value in (("--from-block", options.from_block), ("--to-block", options.to_block)):
        if value is not None and value < 0:
            raise TrackerError(f"{flag} must be >= 0, got {value}")
    if options.from_block is not None and options.to_block is not None and options.from_block > options.to_block:
        raise TrackerError(f"--from-block {options.from_block} is after --to-block {options.to_block}")
    if options.since is not None and options.until is not None and options.since > options.until:
        raise TrackerError(f"--since {options.since} is after --until {options.until}")
    if options.scope not in ("all", "labeled"):
        raise TrackerError(f"unknown --scope {options.scope!r} (expected all or labeled)")
    if options.confirmations is not None and options.confirmations < 0:
        raise TrackerError(f"--confirmations must be >= 0, got {options.confirmations}")
    ranges.first_plan(options.chunk_size)


# Seconds the node's checks may take before `meanwhile` (the sync's later imports) starts anyway: a near node has
# answered by then, so its answers need not wait behind the imports for the GIL; a distant one's round trip
# overlaps the imports.
CHECKS_BEFORE_IMPORTS = 0.01


def _checked_head(node: Node, spec: ChainSpec, token: TokenSpec, meanwhile: Callable[[], None]) -> int:
    """The node's head, once its chain id and the token's contract and decimals are checked.

    The four calls go out together (one round trip to a distant node instead of four) and are judged in the
    order they always were: an unreachable node fails at the head, before the database is touched, then another
    network, a missing contract and wrong decimals are told apart as before. `meanwhile` runs once they are
    answered or CHECKS_BEFORE_IMPORTS have passed, whichever comes first.
    """
    address = spec.log_address(token.address)
    calls = [in_background(call) for call in (
        node.head, (node.chain_id if spec.chain_id is not None else lambda: None),
        lambda: node.has_code(address), lambda: node.decimals(address))]
    wait_for(calls, timeout=CHECKS_BEFORE_IMPORTS)
    meanwhile()
    head, chain_id, code, decimals = calls
    number = head.result()
    node.check_chain_id(spec.name, spec.chain_id, chain_id.result())
    if not code.result():
        raise TrackerError(f"no contract at token address {token.address} on this {spec.name} node")
    try:
        answered = decimals.result()
    except (RpcError, BadResponse) as error:
        raise TrackerError(f"token {token.address} does not answer decimals(): {error}") from error
    if answered != token.decimals:
        raise TrackerError(f"token {token.address} has {answered} decimals; expected {token.decimals}")
    return number


def _confirmed_head(node: Node, options: SyncOptions, head: int) -> tuple[int, str]:
    """The newest block to index and how it was chosen (for error messages)."""
    if options.confirmations is None:
        return node.finalized(), "the finalized block"
    return head - options.confirmations, f"the confirmed head (head {head} minus {options.confirmations} confirmations)"


def _end_block(node: Node, options: SyncOptions, head: int) -> int:
    safe_head, rule = _confirmed_head(node, options, head)
    if options.to_block is not None:
        if options.to_block > safe_head:
            raise TrackerError(f"--to-block {options.to_block} is past {rule}, block {safe_head}")
        return options.to_block
    if options.until is not None:
        next_day = node.first_block_at_or_after(day_after(options.until), head)
        if next_day is not None:
            return min(next_day - 1, safe_head)
    return safe_head


def _start_block(node: Node, spec: ChainSpec, token: TokenSpec, options: SyncOptions, head: int,
                 store: Store | None) -> int:
    """Where the sync starts; `store` None: a file not created yet, so nothing synced before."""
    if options.from_block is not None:
        return options.from_block
    if options.since is not None:
        first = node.first_block_at_or_after(day_start(options.since), head)
        if first is None:
            raise TrackerError(f"--since {options.since}: the node has no block on or after that day yet")
        return first
    state = store.sync_state(spec.name, options.token) if store is not None else None
    if state is not None:
        return state.last_block + 1
    if token.deployment_block is not None:
        return token.deployment_block
    if not spec.finds_deployment:
        raise TrackerError(f"{spec.name}: the first sync of {options.token} needs --from-block or --since")
    return node.deployment_block(spec.log_address(options.token), head)


def check_source(store: Store, chain: str, token: str, source: str, scope: str = "all") -> None:
    """Refuse to mix sources or scopes for one chain/token.

    Sources number logs differently, so rows would double; a labeled-scope run over
    a range synced with scope all would drop that range's other transfers.
    """
    state = store.sync_state(chain, token)
    if state is not None and state.source not in (None, source):
        raise TrackerError(
            f"{chain} {token} in this database was synced with --source {state.source}; "
            f"continue with --source {state.source}, or use another --db for {source}"
        )
    if state is not None and state.scope not in (None, scope):
        raise TrackerError(
            f"{chain} {token} in this database was synced with --scope {state.scope}; "
            f"continue with --scope {state.scope}, or use another --db for --scope {scope}"
        )


def heal_reorg(store: Store, node: Node, chain: str, token: str, head: int) -> Reorg | None:
    """If the node no longer has our last synced block, roll back to the common ancestor."""
    state = store.sync_state(chain, token)
    if state is None:
        return None
    if state.last_block <= head and node.header(state.last_block).hash == state.last_block_hash:
        return None
    below = min(state.last_block, head + 1)
    ancestor = None
    while ancestor is None:
        candidates = store.stored_blocks_below(chain, below, ANCESTOR_BATCH)
        if not candidates:
            break
        on_node = node.headers([number for number, _ in candidates])
        for number, stored_hash in candidates:
            if on_node[number].hash == stored_hash:
                ancestor = on_node[number]
                break
        below = candidates[-1][0]
    if ancestor is None and store.has_forgotten_block_hashes(chain):
        # Years of rows are not thrown away on a node that disagrees with every hash still kept.
        raise TrackerError(
            f"the {chain} node agrees with none of the block hashes kept (the newest {hashed_blocks():,} blocks "
            f"up to {state.last_block:,}): a reorganization deeper than any chain makes, or a node of another "
            f"network; check --rpc. Nothing was changed"
        )
    if ancestor is None:
        # Nothing we stored survives: start over from just before the first indexed block.
        covered = store.sync_ranges(chain, token)
        ancestor = node.header(max(0, (covered[0][0] if covered else state.last_block) - 1))
    removed = store.rewind(chain, ancestor.number, ancestor.hash, ancestor.time)
    return Reorg(detected_at=state.last_block, ancestor=ancestor.number, rows_removed=removed)


class _ChainMoved(TrackerError):
    pass


@dataclass(frozen=True)
class RawStep:
    """One answered eth_getLogs: the range asked for and its logs (raw columns, or events the native scan checked),
    and, when the request's thread built it too, its batch or the error building it gave."""

    log_filter: LogFilter
    raw_logs: pl.DataFrame | CheckedEvents | None  # None once built: the batch holds what is kept of them
    built: Batch | BaseException | Future | None = None  # a Future: the request's thread is building it
    answered: int = 0  # logs in the node's answer (what sizes the next request)

    def outcome(self) -> Batch | BaseException | None:
        """The batch the request's thread built, or the error building it gave (waiting for it if it is still
        building); None if it was not built there."""
        return self.built.result().built if isinstance(self.built, Future) else self.built


def all_events(layout: TokenLayout) -> list[list[Any]]:
    """Topic filters of one step for scope "all": one request for every event of the token's layout."""
    return [[layout.topics]]


ZERO_WORD = "0x" + "00" * 32  # the zero address as a topic


def labeled_topic_filters(layout: TokenLayout, address_words: list[str],
                          max_subtopics: int = MAX_SUBTOPICS) -> list[list[Any]]:
    """Topic filters for scope "labeled": all supply events (and deprecation), and Transfers from or to a labeled wallet.

    `address_words` are 32-byte topic words (0x + 24 zeros + the 20 address bytes); they are
    chunked so no request names more than `max_subtopics` of them.
    """
    transfer = layout.event("transfer").topic0
    if layout.supply_from_legs:  # its supply is the Transfers from and to the zero address
        filters: list[list[Any]] = [[[transfer], [ZERO_WORD]], [[transfer], None, [ZERO_WORD]]]
    else:
        filters = [[layout.topics_but_transfer]]
    for first in range(0, len(address_words), max_subtopics):
        chunk = address_words[first : first + max_subtopics]
        filters.append([[transfer], chunk])
        filters.append([[transfer], None, chunk])
    return filters


def _get_logs(rpc: JsonRpcClient, log_filter: LogFilter, topic_filters: list[list[Any]]) -> pl.DataFrame | CheckedEvents:
    frames = []
    # One request's body may go to the native scan; several are merged as raw columns first.
    if len(topic_filters) == 1:
        parse = functools.partial(read_logs, log_filter=log_filter)
    else:
        from tracker.ingest.evm.decode import parse_logs_response as parse
    for topics in topic_filters:
        params = [{
            "address": log_filter.token,
            "fromBlock": hex(log_filter.from_block),
            "toBlock": hex(log_filter.to_block),
            "topics": topics,
        }]
        frames.append(rpc.call_parsed("eth_getLogs", params, parse, retry_timeouts=False))
    if len(frames) == 1:
        return frames[0]
    # A transfer between two labeled wallets answers both the "from" and the "to" filter: keep it once.
    import polars as pl

    return pl.concat(frames).unique(subset=["transactionHash", "logIndex"], keep="first", maintain_order=True)


def _refusal_text(error: Exception) -> str | None:
    """The provider's words if `error` means 'ask for fewer blocks', else None."""
    if isinstance(error, RpcTimeout):
        return f"timeout: {error}"
    if isinstance(error, (RpcError, HttpStatusError)) and ranges.is_range_error(str(error)):
        return str(error)
    return None


# eth_getLogs requests in flight over adjacent ranges: the node answers some while earlier answers cross the
# wire and are parsed (cryo does the same). Answers are still taken in block order. A node serves concurrent
# requests on several cores (anvil does, measured); with two in flight one of them sat idle while the tracker
# parsed (BENCHMARKS.md, issue 22's eleventh pass). KEPT body buffers in tracker.http match this number.
REQUESTS_IN_FLIGHT = 4
# Requests asked for beyond those at the node: each waits for a node slot, so a slot whose answer is being
# built (decoded, timestamped, checked) is handed to the next range at once.
BUILDS_AHEAD = 2


class _Dropped(Exception):
    """A request dropped behind a refusal before it reached the node."""


class _NodeSlots:
    """At most `size` requests at the node at once, let in in the order their turns were drawn (the order of their
    ranges). A threading.Semaphore lets waiters in in any order: a later range could reach the node first, be
    refused, and drop an earlier one still waiting, whose refusal count and new size would then be lost."""

    def __init__(self, size: int) -> None:
        self.free = size
        self.drawn = 0  # turns drawn so far
        self.next_in = 0  # the turn let in next
        self.changed = threading.Condition()

    def draw(self) -> _NodeTurn:
        with self.changed:
            self.drawn += 1
            return _NodeTurn(self, self.drawn - 1)


class _NodeTurn:
    """One request's turn at a slot: `with turn:` waits for the turns before it to be let in and for a free slot.
    Every drawn turn is entered once (a dropped request enters, sees it is dropped and leaves), so none waits forever."""

    def __init__(self, slots: _NodeSlots, number: int) -> None:
        self.slots, self.number = slots, number

    def __enter__(self) -> None:
        slots = self.slots
        with slots.changed:
            slots.changed.wait_for(lambda: slots.next_in == self.number and slots.free > 0)
            slots.free -= 1
            slots.next_in += 1
            slots.changed.notify_all()

    def __exit__(self, *exc_info: object) -> None:
        with self.slots.changed:
            self.slots.free += 1
            self.slots.changed.notify_all()


def _answer(rpc: JsonRpcClient, log_filter: LogFilter, topic_filters: list[list[Any]],
            build: Callable[[RawStep], Batch] | None, node_turn: _NodeTurn,
            dropped: threading.Event, asking: Callable[[], None], counted: Future) -> RawStep:
    """Ask for one range; `counted` gets the answer's log count (or the request's error) as soon as it is read,
    before the step is built: the next requests are sized from it while this one is decoded."""
    try:
        with node_turn:  # at most REQUESTS_IN_FLIGHT at the node, in range order; building does not hold a slot
            if dropped.is_set():
                raise _Dropped
            asking()
            try:
                raw_logs = _get_logs(rpc, log_filter, topic_filters)
            except (RpcTimeout, RpcError, HttpStatusError) as error:
                if _refusal_text(error) is not None:
                    dropped.set()  # before the slot is free: no request waiting behind it asks at the old size
                raise
    except BaseException as error:
        counted.set_exception(error)
        raise
    counted.set_result(raw_logs.height)
    step = RawStep(log_filter, raw_logs, answered=raw_logs.height)
    if build is None:
        return step
    try:
        return RawStep(log_filter, None, build(step), step.answered)
    except BaseException as error:  # raised where the step is built, in block order, not taken for a refusal
        return RawStep(log_filter, None, error, step.answered)


def fetch_raw_steps(
    rpc: JsonRpcClient, spec: ChainSpec, token: TokenSpec, start: int, end: int, chunk_size: int,
    summary: SyncSummary, stop: threading.Event, topic_filters: list[list[Any]],
    build: Callable[[RawStep], Batch] | None = None,
) -> Iterator[RawStep]:
    """Answered eth_getLogs requests covering [start, end] in order, each sized by `ranges`.

    Up to REQUESTS_IN_FLIGHT requests for adjacent ranges run at once, but only once the node has answered
    since its last refusal: a provider's limit is learned from one request, not from several refused at
    once. A refusal drops the requests behind it (their ranges are asked again, sized anew). With `build`,
    each request's thread also builds its step's batch (decode, block headers, checks), so the headers'
    round trip and the decoding of one answer overlap the next rather than waiting in line behind it.
    """
    plan = ranges.first_plan(chunk_size)
    cursor = start  # first block not yet answered
    asked = start  # first block not yet asked for
    in_flight: deque[tuple[LogFilter, Future, Future]] = deque()  # (range, its step, its log count)
    building: deque[Future] = deque()  # steps handed on whose batch is still being built
    accepted = False  # has the node answered since its last refusal?
    single_block_refusals = 0
    node_slots = _NodeSlots(REQUESTS_IN_FLIGHT)
    dropped = threading.Event()  # set for the requests a refusal drops; a new one for those after
    ahead = REQUESTS_IN_FLIGHT + (BUILDS_AHEAD if build is not None else 0)
    counting = threading.Lock()

    def asking() -> None:  # counted as they reach the node: a dropped request never does
        with counting:
            summary.requests += len(topic_filters)  # one eth_getLogs per topic filter
    try:
        while cursor <= end and not stop.is_set():
            while building and building[0].done():
                building.popleft()
            while asked <= end and len(in_flight) < (max(1, ahead - len(building)) if accepted else 1):
                high = min(end, asked + plan.size - 1)
                log_filter = LogFilter(spec.name, spec.log_address(token.address), asked, high, token.layout)
                counted: Future = Future()
                in_flight.append((log_filter, in_background(functools.partial(
                    _answer, rpc, log_filter, topic_filters, build, node_slots.draw(), dropped, asking, counted)), counted))
                asked = high + 1
            log_filter, answer, counted = in_flight.popleft()
            try:
                answered = counted.result()
            except (_Dropped, RpcTimeout, RpcError, HttpStatusError) as error:
                was_dropped = isinstance(error, _Dropped)  # a later request was refused first
                refusal = None if was_dropped else _refusal_text(error)
                if not was_dropped and refusal is None:
                    raise  # an error, not a refusal
                # The ranges after this one are asked again once it is answered, one request at a time; those
                # still waiting for a node slot never reach the node.
                in_flight.clear()
                dropped.set()
                dropped = threading.Event()
                asked, accepted = cursor, False
                if refusal is None:  # dropped: ask again from here
                    continue
                summary.refusals += 1
                blocks = log_filter.to_block - cursor + 1
                if blocks == 1 and single_block_refusals < SINGLE_BLOCK_RETRIES:
                    # One block cannot be split: a flaky node's timeout or refusal may pass on a later try.
                    single_block_refusals += 1
                    http_module.sleep(min(2.0**single_block_refusals, 30.0))
                    continue
                plan = ranges.after_refusal(plan, blocks, refusal)
                continue
            single_block_refusals = 0
            plan = ranges.after_success(plan, log_filter.to_block - cursor + 1, answered)
            accepted = True
            cursor = log_filter.to_block + 1
            if build is None:
                yield answer.result()
            else:  # its batch is taken from `answer` where the step is built (build_batch), in block order
                building.append(answer)
                yield RawStep(log_filter, None, answer, answered)
    finally:
        dropped.set()  # the sync is over or failed: requests still waiting for a slot never start


def build_batch(
    rpc: JsonRpcClient, node: Node, spec: ChainSpec, token: TokenSpec, step: RawStep,
    topic_filters: list[list[Any]], scope: str = "all",
) -> Batch:
    """Decode one step, timestamp it from block headers, and check the chain did not move under it (unless the
    request's thread did: then its batch, or its error)."""
    from tracker.ingest.evm.decode import decode_answer

    built = step.outcome()
    if isinstance(built, BaseException):
        raise built
    if built is not None:
        return built
    raw_logs = step.raw_logs
    for attempt in range(CHAIN_MOVED_RETRIES + 1):
        try:
            decoded = decode_answer(raw_logs, step.log_filter, spec.format)
            return _timestamped_batch(node, spec, token, step.log_filter, decoded, scope)
        except _ChainMoved:
            if attempt == CHAIN_MOVED_RETRIES:
                raise
            raw_logs = _get_logs(rpc, step.log_filter, topic_filters)  # read the range again, the node settled
    raise AssertionError("unreachable")


def _timestamped_batch(
    node: Node, spec: ChainSpec, token: TokenSpec, log_filter: LogFilter, decoded: DecodedLogs, scope: str
) -> Batch:
    import polars as pl

    from tracker.store import Batch

    high = log_filter.to_block
    numbers = sorted(set(decoded.block_hashes["block_number"].to_list()) | {high})
    headers = node.headers_frame(spec.name, numbers)
    moved = decoded.block_hashes.join(headers, on="block_number").filter(
        pl.col("block_hash") != pl.col("block_hash_right")
    )
    if moved.height:
        raise _ChainMoved(f"block {moved['block_number'][0]} changed while it was being read")
    times = headers.select("block_number", "block_time")
    return Batch(
        chain=spec.name,
        token=token.address,
        symbol=token.symbol,
        decimals=token.decimals,
        from_block=log_filter.from_block,
        to_block=high,
        to_block_hash=headers.filter(pl.col("block_number") == high)["block_hash"][0],
        transfers=decoded.transfers.join(times, on="block_number", how="left"),
        supply_events=decoded.supply_events.join(times, on="block_number", how="left"),
        blocks=headers,
        source="jsonrpc",
        scope=scope,
        hashes_checked=True,  # decode_answer refused any log whose transactionHash is not 0x + 64 lower-case hex
    )


_DONE = object()


def _put(target: queue.Queue, item: object, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            target.put(item, timeout=0.2)
            return True
        except queue.Full:
            continue
    return False


def _next_batch(batches: queue.Queue, idle: Callable[[], None] | None, linger: Callable[[], float] | None) -> Any:
    """The next item, waiting `linger()` seconds at a time while it says to (0: stop lingering), then `idle()`."""
    while linger is not None and (wait := linger()) > 0:
        try:
            return batches.get(timeout=wait)
        except queue.Empty:
            continue
    try:
        return batches.get_nowait()
    except queue.Empty:
        if idle is not None:
            idle()
        return batches.get()


# The most logs one write takes when steps have queued up behind the writer (see run_pipeline).
JOINED_LOGS = 300_000
# A write of at least two of DuckDB's row groups (122,880 rows each) goes straight into the file's blocks at
# insert time, not through the WAL and again at the checkpoint (half the writer's CPU a log): while the steps
# joined so far hold fewer logs than this, the writer waits up to GATHER_SECONDS for each next one, and up to
# GATHER_MOST_SECONDS in all, so a backfill's writes reach it and a slow one still commits every few seconds.
WHOLE_WRITE_LOGS = 2 * 122_880
GATHER_SECONDS = 0.5
GATHER_MOST_SECONDS = 2.0


def _gather_next(batches: queue.Queue, wait: float, hurry: Callable[[], bool] | None) -> Any:
    """The next item if it comes within `wait` seconds and `hurry()` stays false meanwhile (asked every
    WAITING_CHECK seconds), else None."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return batches.get_nowait()
        except queue.Empty:
            pass
        left = deadline - time.monotonic()
        if left <= 0 or (hurry is not None and hurry()):
            return None
        try:
            return batches.get(timeout=min(left, WAITING_CHECK))
        except queue.Empty:
            continue


def run_pipeline(
    source: Callable[[threading.Event], Iterator[Any]],
    transform: Callable[[Any], Batch],
    sink: Callable[[Batch], None],
    idle: Callable[[], None] | None = None,
    linger: Callable[[], float] | None = None,
    hurry: Callable[[], bool] | None = None,
    ready: Callable[[], None] | None = None,
) -> None:
    """source → transform → sink, each in its own thread (sink in the caller's), in order.

    The node serves step k+1 while step k is decoded and step k-1 written. Steps that are waiting when the
    sink is free are joined into one write (up to JOINED_LOGS logs): a write's fixed costs are paid once for
    them, so small answers (providers cap them at 10,000 logs) cost the writer little more than large ones.
    While the steps joined so far hold fewer than WHOLE_WRITE_LOGS logs, the sink also waits for further
    steps (GATHER_SECONDS each, GATHER_MOST_SECONDS in all; the end of the source ends the wait at once, and
    so does `hurry()`: a reader waiting for the file).
    The first error anywhere stops all three and is re-raised here, after the steps before it are written;
    every step written stays committed. `idle` is called whenever the sink is about to wait for its next
    batch, after waiting for it as long as `linger()` says (asked again after each wait). `ready` runs in the
    caller's thread once the other two have started, before the first batch is taken (the sink's set-up).
    """
    stop = threading.Event()
    raw_steps: queue.Queue = queue.Queue(maxsize=2)
    batches: queue.Queue = queue.Queue(maxsize=8)

    def fetching() -> None:
        try:
            for step in source(stop):
                if not _put(raw_steps, step, stop):
                    return
            _put(raw_steps, _DONE, stop)
        except BaseException as error:  # re-raised in the caller's thread
            _put(raw_steps, error, stop)

    def decoding() -> None:
        while not stop.is_set():
            try:
                item = raw_steps.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is not _DONE and not isinstance(item, BaseException):
                try:
                    item = transform(item)
                except BaseException as error:
                    item = error
            if not _put(batches, item, stop) or item is _DONE or isinstance(item, BaseException):
                return

    threads = [
        threading.Thread(target=fetching, name="tracker-fetch", daemon=True),
        threading.Thread(target=decoding, name="tracker-decode", daemon=True),
    ]
    for thread in threads:
        thread.start()
    held: object = None  # an end or an error taken while joining steps: handled after they are written
    try:
        if ready is not None:
            ready()
        # Only now: the store loads DuckDB, and the fetch has started.
        from tracker.store import joined

        while True:
            if held is not None:
                item, held = held, None
            else:
                item = _next_batch(batches, idle, linger)
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            ready = [item]
            logs = item.log_count
            gather_until = time.monotonic() + GATHER_MOST_SECONDS
            while logs < JOINED_LOGS:
                wait = min(GATHER_SECONDS, gather_until - time.monotonic()) if logs < WHOLE_WRITE_LOGS else 0
                following = _gather_next(batches, wait, hurry)
                if following is None:
                    break
                if following is _DONE or isinstance(following, BaseException):
                    held = following
                    break
                ready.append(following)
                logs += following.log_count
            sink(joined(ready))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


@dataclass
class SyncPlan:
    """How one source fills a sync: prepare the store and pick the range, then fetch and build steps."""

    # (store) -> (start, end) after checks such as reorg healing; start > end means nothing to do
    prepare: Callable[[Store], tuple[int, int]]
    # (start, end, stop) -> fetched steps in block order
    fetch: Callable[[int, int, threading.Event], Iterator[Any]]
    # fetched step -> Batch ready to write
    build: Callable[[Any], Batch]
    # () -> (start, end) of a first sync into a file that does not exist yet (nothing stored, nothing to heal),
    # so the node serves the first steps while the file is created; None when the range needs the file.
    prepare_new: Callable[[], tuple[int, int]] | None = None
    # (store) -> None: what a file created for this sync records before its first step, while the node serves
    # the first requests (the token's row), instead of in the first write after the last answer.
    start_new_file: Callable[[Store], None] | None = None


def _labeled_words(store: Store, spec: ChainSpec) -> list[str]:
    """Topic words of every labeled wallet on the chain (the bundled set is loaded if the table is empty)."""
    from tracker.analytics.labels import ensure_bundled

    ensure_bundled(store)
    addresses = [row[0] for row in store.connection.execute(
        "SELECT DISTINCT address FROM labels WHERE chain = ? ORDER BY address", [spec.name]
    ).fetchall()]
    if not addresses:
        raise TrackerError(f"--scope labeled: no labeled {spec.name} wallets (see tracker labels import)")
    return ["0x" + "0" * 24 + spec.log_address(address)[2:] for address in addresses]


def _sync_lock(db_path: Path, chain: str) -> IO[bytes]:
    """One sync per chain and file at a time (readers and other chains' syncs may run alongside).

    The lock dies with the process, so a killed sync never leaves it behind.
    """
    lock_path = Path(f"{db_path}.{chain}.sync-lock")
    if not lock_path.parent.exists():
        raise TrackerError(f"cannot create database {db_path}: folder {lock_path.parent} does not exist")
    try:
        handle = lock_path.open("wb")
    except OSError as error:
        raise TrackerError(f"cannot create database {db_path}: {error.strerror or error}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise TrackerError(f"another `tracker sync {chain}` is running on {db_path}: wait for it to finish") from None
    return handle


# How long a sync keeps the file open across steps, writing or waiting for the node (see _StepWriter), when no
# tracker process is waiting for it, and how long it then stays away (READER_TURN_RETRIES times the interval at
# which readers retry, store.READER_RETRY), so one that does not say it is waiting (the duckdb CLI, a user's
# script) gets its turn. A tracker command that is waiting says so (store.say_waiting) and gets the file after
# the step being written, or within WAITING_CHECK seconds while the sync waits for the node.
WRITER_HOLD = 2.0
READER_TURN_RETRIES = 1.5
WAITING_CHECK = 0.2


def _appending(store: Store) -> Store:
    """The sync's writer: no vacuum at its checkpoints.

    A sync appends (a range synced again is deleted whole first, which frees whole row groups). Each write
    leaves its last row group part-filled, and DuckDB's checkpoint vacuum merged those into their neighbours
    at every close: rows rewritten for nothing, and into new blocks, the old ones left as free space. The
    setting's scope is this process's DuckDB instance, so other commands' checkpoints still vacuum; rows a
    reorg removed stay marked deleted in their row group until one does.
    """
    store.connection.execute("SET max_vacuum_tasks = 0")
    return store


class _StepWriter:
    """Writes steps, each in its own transaction, holding the file open across steps.

    Other processes can open the file only while no writer holds it. The writer lends it as soon as a tracker
    process says it is waiting, and otherwise once it has held it WRITER_HOLD seconds, whether it was writing
    or waiting for the node meanwhile; then it stays away a reader's turn so the reader gets in. Steps
    within one hold skip a close (a checkpoint) and an open each. It starts with the store the sync prepared
    from (opened and migrated once per run) and reopens the file without migrating it again; without one (a
    file to create), its first open creates and migrates the file, and only then is the store (DuckDB) loaded.
    """

    def __init__(self, db_path: Path, store: Store | None) -> None:
        self.db_path = db_path
        self.store = _appending(store) if store is not None else None
        self.migrated = store is not None
        self.opened = time.monotonic()
        self.turn_ends = 0.0  # a reader's turn after a hold: the file is not taken again before this
        self.readers: WaitingReaders | None = None  # made with the book, at the first take
        self.book: AddressBook | None = None  # the file's addresses, kept across steps and holds

    def take(self) -> Store:
        """The open store, reopened if it was released."""
        from tracker.store import WRITER_WAIT, AddressBook, Store, WaitingReaders

        if self.book is None:
            self.book, self.readers = AddressBook(), WaitingReaders(self.db_path)
        if self.store is None:
            wait = self.turn_ends - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.store = _appending(Store.open(self.db_path, wait=WRITER_WAIT, migrate=not self.migrated))
            self.migrated = True
            self.opened = time.monotonic()
        return self.store

    def write(self, batch: Batch) -> None:
        store = self.take()
        try:
            store.write_batch(batch, self.book)
        except BaseException:
            self.release()
            raise
        if self.hold_left() == 0:
            self.lend()

    def hold_left(self) -> float:
        """Seconds to keep the file while waiting for the next step before looking again (0: lend it now, or
        it is not held)."""
        if self.store is None:
            return 0.0
        left = WRITER_HOLD - (time.monotonic() - self.opened)
        if left <= 0 or self.readers_waiting():
            return 0.0
        return min(left, WAITING_CHECK)

    def readers_waiting(self) -> bool:
        """Does another tracker process wait for the file? (None can before the writer has taken it.)"""
        return self.readers is not None and self.readers.any()

    def lend(self) -> None:
        """Release the file, if held, and leave it to readers for a reader's turn."""
        if self.store is not None:
            from tracker.store import READER_RETRY

            self.release()
            self.turn_ends = time.monotonic() + READER_TURN_RETRIES * READER_RETRY

    def release(self) -> None:
        if self.store is not None:
            store, self.store = self.store, None
            store.close()

    def close(self) -> None:
        self.release()
        if self.readers is not None:
            self.readers.close()


def run_sync(
    db_path: Path, summary: SyncSummary, plan: SyncPlan, on_progress: ProgressCallback | None,
    finish: Callable[[Store], None] | None = None,
) -> SyncSummary:
    """Open the store, run fetch → build → write, keep the summary; a failed first run leaves no file.

    `finish` runs last, on the store the last step was written with (balance anchors).
    """
    started = time.perf_counter()
    created = not db_path.exists()
    lock = _sync_lock(db_path, summary.chain)
    writer: _StepWriter | None = None
    try:
        if created and plan.prepare_new is not None:
            # A new file: its range needs nothing stored, so the node serves the first steps while the writer
            # creates the file (`ready`, on this thread, once the fetch has started).
            writer = _StepWriter(db_path, None)
            start, end = plan.prepare_new()
        else:
            from tracker.store import Store

            writer = _StepWriter(db_path, Store.open(db_path))
            start, end = plan.prepare(writer.take())
        if start <= end:
            summary.from_block, summary.to_block = start, end
            done = 0

            def write(batch: Batch) -> None:
                nonlocal done
                writer.write(batch)
                done += batch.to_block - batch.from_block + 1
                summary.transfers += len(batch.transfers)
                summary.supply_events += len(batch.supply_events)
                if on_progress:
                    on_progress(Progress(done, end - start + 1, summary.logs))

            def ready() -> None:
                store = writer.take()
                if created and plan.start_new_file is not None:
                    plan.start_new_file(store)

            run_pipeline(lambda stop: plan.fetch(start, end, stop), plan.build, write, idle=writer.lend,
                         linger=writer.hold_left, hurry=writer.readers_waiting, ready=ready)
        store = writer.take()
        covered = store.sync_ranges(summary.chain, summary.token)
        summary.gaps = [(a[1] + 1, b[0] - 1) for a, b in zip(covered, covered[1:])]
        summary.seconds += time.perf_counter() - started
        if finish is not None:
            finish(store)
    except BaseException:
        if writer is not None:
            writer.close()
        if created and summary.logs == 0:
            # A run that failed before committing anything leaves no new file behind.
            from tracker.store import waiting_file

            for leftover in (db_path, Path(f"{db_path}.wal"), Path(lock.name), waiting_file(db_path)):
                leftover.unlink(missing_ok=True)
        raise
    finally:
        if writer is not None:
            writer.close()
        lock.close()
    return summary


# What decoding, writing and the end-of-sync anchors need (with polars and DuckDB), in the order they are needed.
_LOADED_WHILE_THE_NODE_ANSWERS = ("tracker.ingest.evm.decode", "tracker.store", "tracker.analytics.reserves")


def _load_while_the_node_answers() -> None:
    """Import the modules the sync needs later on a thread of its own, started once the node's checks are out
    (`_checked_head`): ≈ 0.1 s of imports overlap the node's round trips (the first eth_getLogs, a distant node's
    checks) instead of coming before them (BENCHMARKS.md, issue 22's eleventh pass). A thread that needs a module
    meanwhile waits for it (Python's import lock); an import that fails here fails again, with its error, where
    the module is used. Not a daemon: the process does not end mid-import."""

    def load() -> None:
        for name in _LOADED_WHILE_THE_NODE_ANSWERS:
            try:
                importlib.import_module(name)
            except Exception:
                return

    threading.Thread(target=load, name="tracker-imports").start()


def sync_chain(
    db_path: Path,
    spec: ChainSpec,
    options: SyncOptions,
    on_progress: ProgressCallback | None = None,
    http: HttpClient | None = None,
) -> SyncSummary:
    """Index the token's events from a JSON-RPC node into the database at `db_path`."""
    check_options(options)
    token = token_spec(spec.name, options.token)
    check_storable(token)
    started = time.perf_counter()
    rpc = JsonRpcClient(options.rpc_url, http)
    node = Node(rpc)
    head = _checked_head(node, spec, token, meanwhile=_load_while_the_node_answers)
    end = _end_block(node, options, head)
    summary = SyncSummary(chain=spec.name, token=options.token)
    early = _EarlyAnchorReading()

    topic_filters = all_events(token.layout)

    def prepare(store: Store) -> tuple[int, int]:
        nonlocal topic_filters
        early.know_wallets(store, spec.name)
        check_source(store, spec.name, options.token, options.source, options.scope)
        if options.scope == "labeled":
            topic_filters = labeled_topic_filters(token.layout, _labeled_words(store, spec), options.max_subtopics)
        summary.reorg = heal_reorg(store, node, spec.name, options.token, head)
        return _start_block(node, spec, token, options, head, store), end

    def prepare_new() -> tuple[int, int]:
        return _start_block(node, spec, token, options, head, None), end

    def build(step: RawStep) -> Batch:
        return build_batch(rpc, node, spec, token, step, topic_filters, options.scope)

    def fetch(start: int, stop_at: int, stop: threading.Event) -> Iterator[RawStep]:
        yield from fetch_raw_steps(rpc, spec, token, start, stop_at, options.chunk_size, summary, stop, topic_filters, build)
        if not stop.is_set():  # every range answered: the node reads the anchors while the last rows go in
            early.ask(node, spec, options.token, stop_at)

    def start_new_file(store: Store) -> None:
        store.record_token(spec.name, options.token, token.symbol, token.decimals)
        early.know_wallets(store, spec.name)

    plan = SyncPlan(
        prepare=prepare,
        fetch=fetch,
        build=build,
        prepare_new=prepare_new if options.scope == "all" else None,  # labeled: the words come from the file
        start_new_file=start_new_file,
    )
    summary.seconds = time.perf_counter() - started
    run_sync(db_path, summary, plan, on_progress,
             finish=lambda store: anchor_after(store, node, spec, options.token, summary, early))
    return summary


class _EarlyAnchorReading:
    """The anchors' node calls made while a sync's last steps are written, not after them: asked once every range
    is answered, at the block the sync ends at, for the wallets labeled when the sync opened the file; taken only
    if the sync's state ends at that block and the same wallets are labeled when the anchors are stored."""

    def __init__(self) -> None:
        self.wallets: list[str] | None = None
        self.block: int | None = None
        self.answer: Future | None = None

    def know_wallets(self, store: Store, chain: str) -> None:
        from tracker.analytics.reserves import labeled_addresses

        self.wallets = labeled_addresses(store, chain)

    def ask(self, node: Node, spec: ChainSpec, token: str, block: int) -> None:
        from tracker.analytics.reserves import read_chain

        wallets = self.wallets
        if wallets is not None:
            self.block = block
            self.answer = in_background(lambda: read_chain(node, spec, token, block, wallets), name="tracker-anchors")

    def answer_for(self, block: int, wallets: list[str]) -> Future | None:
        return self.answer if self.block == block and self.wallets == wallets else None


def anchor_after(store: Store, node: Node, spec: ChainSpec, token: str, summary: SyncSummary,
                 early: _EarlyAnchorReading | None = None) -> None:
    """Read balances and supply at the last synced block; the synced rows stay even if the node refuses."""
    from tracker.analytics.reserves import anchor_after_sync

    try:
        summary.anchor = anchor_after_sync(store, node, spec, token, progressed=not summary.up_to_date,
                                           asked_early=early.answer_for if early is not None else None)
    except TrackerError as error:
        summary.anchor_warning = f"could not read balances at the last synced block: {error}"
