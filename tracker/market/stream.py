"""`tracker market stream`: realized liquidations from the venues' public websockets, and their coverage.

Each venue module declares its `Feed` (URL, subscribe frames, keep-alive, frame reader). This module is the
machinery they share: connect, subscribe, keep alive, notice a silent stream, reconnect with capped backoff
and resubscribe, and write liquidations together with the coverage they fall in, in short transactions.
The database file is open only while a batch is written, so readers wait at most one batch.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import polars as pl
import websockets
from websockets.asyncio.client import connect

from tracker import settings
from tracker.errors import BadResponse, TrackerError
from tracker.http import HttpClient
from tracker.market.binance import binance_liquidation_feed
from tracker.market.bybit import bybit_liquidation_feed
from tracker.market.feeds import Feed
from tracker.market.okx import OkxClient, okx_liquidation_feed
from tracker.market.rows import LiquidationRow
from tracker.store import Store, register_frame, transaction

STREAM_VENUES = ("binance", "bybit", "okx")
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 60.0  # seconds before reconnecting: doubled per failed attempt, capped
FLUSH_ROWS = 2000  # a batch this large is written without waiting for the next tick
MAX_FRAME = 1 << 22
LIQUIDATION_KEY = ("venue", "instrument", "ts", "side", "price", "qty")
# (venue, stream, connected_from) -> (connected_to, symbols kept): the intervals not yet written
Coverage = dict[tuple[str, str, datetime], tuple[datetime, list[str]]]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class SilentStream(Exception):
    """No proof of life for longer than the silence limit."""


@dataclass
class VenueCount:
    frames: int = 0
    liquidations: int = 0  # decoded, of the chosen symbols
    stored: int = 0  # new rows committed (a liquidation delivered twice is stored once)
    malformed: int = 0
    reconnects: int = 0
    covered_seconds: float = 0.0


@dataclass
class StreamSummary:
    venues: dict[str, VenueCount] = field(default_factory=dict)
    backfilled: int = 0  # OKX REST rows new to the file


@dataclass(eq=False)  # kept in a set by identity
class _Connection:
    """One connection's coverage: from the first proof that its streams deliver to the last proof of life."""

    feed: Feed
    ws: object | None = None  # the open connection, while it is open
    covered_from: datetime | None = None
    alive_at: datetime | None = None
    alive_mono: float = field(default_factory=time.monotonic)

    def proved(self) -> None:
        self.alive_at = _now()
        self.alive_mono = time.monotonic()
        if self.covered_from is None:
            self.covered_from = self.alive_at


class Collector:
    """Buffers decoded rows and coverage; `flush` writes both in one short transaction."""

    def __init__(self, db_path: Path, silence: float, say: Callable[[str], None] = _say) -> None:
        self.db_path, self.silence, self.say = db_path, silence, say
        self.pending: list[LiquidationRow] = []
        self.coverage: Coverage = {}
        self.summary = StreamSummary()
        self.wake = asyncio.Event()  # a full batch asks the flusher not to wait for its tick
        self.extent: dict[tuple[str, datetime], float] = {}  # (venue, connected_from) -> seconds covered
        self.live: set[_Connection] = set()

    def count(self, venue: str) -> VenueCount:
        return self.summary.venues.setdefault(venue, VenueCount())

    def add(self, rows: tuple[LiquidationRow, ...] | list[LiquidationRow]) -> None:
        self.pending.extend(rows)
        if len(self.pending) >= FLUSH_ROWS:
            self.wake.set()

    def note_coverage(self, link: _Connection) -> None:
        if link.covered_from is not None and link.alive_at is not None:
            for stream, symbols in link.feed.streams:
                self.coverage[(link.feed.venue, stream, link.covered_from)] = (link.alive_at, list(symbols))

    def take(self) -> tuple[list[LiquidationRow], Coverage]:
        """The buffered batch, handed over whole (called on the event loop, which alone appends)."""
        batch = (self.pending, self.coverage)
        self.pending, self.coverage = [], {}
        return batch

    def write(self, rows: list[LiquidationRow], coverage: Coverage
              ) -> dict[str, int] | None:
        """Write one batch in one transaction; None when the file was busy (nothing written)."""
        if not rows and not coverage:
            return {}
        try:
            with Store.open(self.db_path) as store:
                return _write(store, rows, coverage)
        except TrackerError as error:
            self.say(f"warning: {error}; {len(rows):,} liquidations kept for the next write")
            return None

    def settle(self, batch: tuple[list[LiquidationRow], Coverage],
               added: dict[str, int] | None) -> int:
        """Count a written batch, or put an unwritten one back in front of what arrived since."""
        rows, coverage = batch
        if added is None:
            self.pending, self.coverage = rows + self.pending, {**coverage, **self.coverage}
            return 0
        for venue, number in added.items():
            self.count(venue).stored += number
        for (venue, _, start), (end, _) in coverage.items():  # a connection's streams share one interval
            self.extent[(venue, start)] = (end - start).total_seconds()
        for venue in {venue for venue, _ in self.extent}:
            self.count(venue).covered_seconds = sum(s for (v, _), s in self.extent.items() if v == venue)
        return sum(added.values())

    def flush(self) -> int:
        """Take, write and settle in the calling thread (before and after the event loop runs)."""
        batch = self.take()
        return self.settle(batch, self.write(*batch))


def _write(store: Store, rows: list[LiquidationRow], coverage: Coverage
           ) -> dict[str, int]:
    """Insert the liquidations not yet stored and widen the coverage intervals, in one transaction."""
    unique = list({tuple(getattr(row, name) for name in LIQUIDATION_KEY): row for row in rows}.values())
    con = store.connection
    added: dict[str, int] = {}
    with transaction(con):
        if unique:
            frame = pl.DataFrame([asdict(row) for row in unique], infer_schema_length=None)
            register_frame(con, "incoming_liquidations", frame)
            try:
                found = con.execute(
                    "INSERT INTO liquidations BY NAME SELECT i.* FROM incoming_liquidations i "
                    "ANTI JOIN liquidations l USING (venue, instrument, ts, side, price, qty) RETURNING venue"
                ).fetchall()
            finally:
                con.unregister("incoming_liquidations")
            for (venue,) in found:
                added[venue] = added.get(venue, 0) + 1
        for (venue, stream, start), end in coverage.items():
            con.execute("INSERT OR REPLACE INTO stream_coverage BY NAME SELECT ? AS venue, ? AS stream, "
                        "? AS connected_from, ? AS connected_to, ?::VARCHAR[] AS symbols",
                        [venue, stream, start, *end])
    return added


async def _pump(ws: websockets.asyncio.client.ClientConnection, link: _Connection, collector: Collector) -> None:
    """Read frames until the connection ends; ping on schedule; give up on a stream silent too long."""
    feed, counts = link.feed, collector.count(link.feed.venue)
    next_ping = time.monotonic() + feed.ping_every
    while True:
        now = time.monotonic()
        deadline = link.alive_mono + collector.silence
        if now >= deadline:
            raise SilentStream(f"nothing for {collector.silence:g} s")
        wait = min(deadline, next_ping) - now if feed.ping_text else deadline - now
        try:
            text = await asyncio.wait_for(ws.recv(), timeout=max(wait, 0.01))
        except TimeoutError:
            if feed.ping_text and time.monotonic() >= next_ping:
                await ws.send(feed.ping_text)
                next_ping = time.monotonic() + feed.ping_every
            continue
        counts.frames += 1
        try:
            reading = feed.read(text if isinstance(text, str) else text.decode("utf-8", "replace"))
        except BadResponse as error:
            counts.malformed += 1
            if counts.malformed <= 5:
                collector.say(f"warning: {feed.venue}: skipped a frame: {error}")
            continue
        if reading.kind == "data" or (feed.proof == "ack" and reading.kind in ("ack", "pong")):
            link.proved()
        if reading.rows:
            counts.liquidations += len(reading.rows)
            collector.add(reading.rows)
        collector.note_coverage(link)


async def _follow(feed: Feed, collector: Collector) -> None:
    """Keep one venue connected until cancelled: subscribe, read, and on any loss reconnect after a
    backoff that doubles up to BACKOFF_MAX (reset once a connection has proved itself)."""
    delay = BACKOFF_FIRST
    counts = collector.count(feed.venue)
    while True:
        link = _Connection(feed)
        try:
            async with connect(feed.url, open_timeout=15, close_timeout=2, max_size=MAX_FRAME,
                               ping_interval=20, ping_timeout=20) as ws:
                link.ws = ws
                collector.live.add(link)
                for frame in feed.subscribe:
                    await ws.send(frame)
                await _pump(ws, link, collector)
            reason = "closed by the venue"
        except SilentStream as error:
            reason = f"{error}" + (" (is the URL right? Binance serves USDⓈ-M market streams under /market)"
                                   if feed.venue == "binance" else "")
        except (OSError, TimeoutError, websockets.exceptions.WebSocketException) as error:
            reason = str(error) or type(error).__name__
        finally:
            collector.live.discard(link)
            collector.note_coverage(link)
        if link.covered_from is not None:
            delay = BACKOFF_FIRST
        counts.reconnects += 1
        collector.say(f"{feed.venue}: disconnected ({reason}); reconnecting in {delay:g} s")
        await asyncio.sleep(delay)
        delay = min(delay * 2, BACKOFF_MAX)


async def _flusher(collector: Collector, every: float, stop: asyncio.Event) -> None:
    """Write a batch every `every` seconds (sooner when one is full); after `stop`, one last batch."""
    while True:
        try:
            await asyncio.wait_for(collector.wake.wait(), timeout=every)
        except TimeoutError:
            pass
        collector.wake.clear()
        batch = collector.take()
        collector.settle(batch, await asyncio.to_thread(collector.write, *batch))
        if stop.is_set():
            return


def feeds_for(venues: list[str], symbols: list[str], http: HttpClient, ping: float
              ) -> tuple[list[Feed], tuple[OkxClient, dict[str, Decimal]] | None]:
    """Each chosen venue's feed, and for OKX its client and contract values (its sizes come in contracts;
    the backfill needs both)."""
    chosen = frozenset(symbols)
    found: list[Feed] = []
    okx: tuple[OkxClient, dict[str, Decimal]] | None = None
    for venue in venues:
        if venue == "binance":
            found.append(binance_liquidation_feed(settings.get("market.binance_ws_url"), chosen))
        elif venue == "bybit":
            found.append(bybit_liquidation_feed(settings.get("market.bybit_ws_url"), chosen))
        elif venue == "okx":
            client = OkxClient(http)
            okx = (client, client.contract_values())
            found.append(okx_liquidation_feed(settings.get("market.okx_ws_url"), chosen, okx[1]))
    return [replace(feed, ping_every=ping) for feed in found], okx


def check_choice(venues: list[str], symbols: list[str], duration: float | None, flush_every: float) -> None:
    unknown = [venue for venue in venues if venue not in STREAM_VENUES]
    if unknown:
        raise TrackerError(f"unknown venue {unknown[0]!r} (expected {', '.join(STREAM_VENUES)})")
    if not venues:
        raise TrackerError("no venue to stream from")
    bad = [s for s in symbols if not s.isalnum() or not s.isupper()]
    if bad or not symbols:
        raise TrackerError(f"invalid --symbol {(bad or [''])[0]!r}: expected base assets such as BTC,ETH")
    if duration is not None and duration <= 0:
        raise TrackerError("--for must be a positive duration")
    if flush_every <= 0:
        raise TrackerError("--flush must be a positive number of seconds")


def stream_liquidations(db_path: Path, venues: list[str], symbols: list[str], duration: float | None = None,
                        flush_every: float = 2.0, backfill: bool = True, http: HttpClient | None = None,
                        say: Callable[[str], None] = _say) -> StreamSummary:
    """Collect until SIGTERM/SIGINT or `duration` seconds, then flush and return what was done."""
    check_choice(venues, symbols, duration, flush_every)
    silence, ping = float(settings.get("market.stream_silence")), float(settings.get("market.stream_ping"))
    if silence <= 0:
        raise TrackerError("market.stream_silence must be a positive number of seconds")
    if not 0 < ping < 30:
        raise TrackerError("market.stream_ping must be between 0 and 30 seconds (OKX drops a connection idle 30 s)")
    with Store.open(db_path):
        pass  # a file that cannot be opened or migrated fails now, not at the first batch
    shared = http or HttpClient()
    feeds, okx = feeds_for(venues, symbols, shared, ping)
    collector = Collector(db_path, silence, say)
    if backfill and okx:
        for symbol in symbols:
            try:
                collector.add(okx[0].recent_liquidations(symbol, okx[1]))
            except TrackerError as error:  # the endpoint is undocumented: a failure costs the backfill only
                say(f"warning: OKX liquidation backfill for {symbol}: {error}")
        collector.summary.backfilled = collector.flush()
        for counts in collector.summary.venues.values():
            counts.stored = 0  # the backfill is counted apart from what the streams deliver
    asyncio.run(_collect(feeds, collector, duration, flush_every))
    return collector.summary


async def _last_proof(link: _Connection, collector: Collector) -> None:
    pong = await link.ws.ping()  # type: ignore[union-attr]
    await asyncio.wait_for(pong, timeout=2)
    link.proved()
    collector.note_coverage(link)


async def _collect(feeds: list[Feed], collector: Collector, duration: float | None, flush_every: float) -> None:
    stop, done_writing = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    followers = [asyncio.create_task(_follow(feed, collector)) for feed in feeds]
    flusher = asyncio.create_task(_flusher(collector, flush_every, done_writing))
    fatal: BaseException | None = None
    try:
        waiting = asyncio.create_task(asyncio.wait_for(stop.wait(), timeout=duration))
        done, _ = await asyncio.wait([waiting, flusher, *followers], return_when=asyncio.FIRST_COMPLETED)
        fatal = next((task.exception() for task in done if task is not waiting and task.exception()), None)
        waiting.cancel()
    finally:
        # at a stop, a pong is the last proof of life: coverage reaches the stop, not the last scheduled ping
        await asyncio.gather(*(_last_proof(link, collector) for link in list(collector.live)
                               if link.feed.proof == "ack" and link.covered_from is not None), return_exceptions=True)
        for task in followers:
            task.cancel()
        await asyncio.gather(*followers, return_exceptions=True)  # each records its connection's coverage
        done_writing.set()
        collector.wake.set()
        if not flusher.done():
            await flusher  # the last batch: everything received before the stop
        if collector.pending or collector.coverage:
            collector.flush()
        if collector.pending:
            collector.say(f"error: {len(collector.pending):,} liquidations received could not be written")
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(number)
    if fatal is not None:
        raise fatal
