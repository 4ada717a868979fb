"""`tracker sync tron --source trongrid`: USDT-TRC20 events from TronGrid's REST API.

Fetching only; decoding is in `trongrid_decode`. Steps are block windows: each
window's first and last block give a millisecond timestamp range, every USDT event
name is paged through `/v1/contracts/{token}/events` (confirmed only, ascending,
200 a page, `meta.fingerprint` to continue), and the window is written in one
transaction like a JSON-RPC step. TronGrid serves solidified data, so there is
no reorg to heal; the stored last block is still checked against TronGrid.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl

from tracker import settings
from tracker.chains import TRON
from tracker.days import day_after, day_start
from tracker.errors import BadResponse, TrackerError
from tracker.http import HttpClient
from tracker.ingest.evm.decode import refuse_deprecation
from tracker.ingest.evm.node import Node, first_block_at_or_after
from tracker.ingest.evm.rpc import JsonRpcClient
from tracker.ingest.sync import (
    ProgressCallback,
    SyncOptions,
    SyncPlan,
    SyncSummary,
    anchor_after,
    check_options,
    check_source,
    run_sync,
)
from tracker.ingest.tron.address import hex20_from_base58
from tracker.ingest.tron.decode import (
    EventsPage,
    EventWindow,
    TronBlock,
    decode_events,
    parse_block,
    parse_events_page,
    split_rows,
)
from tracker.store import Batch, Store
from tracker.tokens import TokenSpec, check_storable, token_spec

PAGE_LIMIT = 200
# TronGrid answers 403 (not 429) when a keyless client is throttled.
TRONGRID_THROTTLE_STATUSES = frozenset({403})


class TronGridClient:
    def __init__(self, base_url: str, http: HttpClient | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http or HttpClient(headers=settings.api_headers(TRON), also_retry=TRONGRID_THROTTLE_STATUSES)
        self.pages = 0

    def solidified_head(self) -> TronBlock:
        return self.http.request("POST", f"{self.base_url}/walletsolidity/getnowblock", parse_block, json_body={})

    def block(self, number: int) -> TronBlock:
        return self.http.request(
            "POST",
            f"{self.base_url}/walletsolidity/getblockbynum",
            lambda raw: parse_block(raw, number),
            json_body={"num": number},
        )

    def events_page(self, token: str, event_name: str, min_ms: int, max_ms: int, fingerprint: str | None) -> EventsPage:
        params: dict[str, Any] = {
            "event_name": event_name,
            "min_block_timestamp": min_ms,
            "max_block_timestamp": max_ms,
            "order_by": "block_timestamp,asc",
            "only_confirmed": "true",
            "limit": PAGE_LIMIT,
        }
        if fingerprint:
            params["fingerprint"] = fingerprint
        self.pages += 1
        return self.http.request(
            "GET", f"{self.base_url}/v1/contracts/{token}/events", parse_events_page, params=params
        )


def _event_key(record: dict[str, Any]) -> tuple[Any, Any]:
    return record.get("transaction_id"), record.get("event_index")


def fetch_window_events(client: TronGridClient, window: EventWindow, min_ms: int, max_ms: int) -> list[dict[str, Any]]:
    """Every event of one name in [min_ms, max_ms], each once, in TronGrid's ascending order.

    TronGrid sometimes ends a full page without `meta.fingerprint`. Then the
    query restarts at the last row's timestamp; rows already seen at that
    timestamp are skipped by (transaction_id, event_index), so nothing is lost
    or repeated.
    """
    seen: set[tuple[Any, Any]] = set()
    events: list[dict[str, Any]] = []
    lower, fingerprint = min_ms, None
    while True:
        page = client.events_page(window.token, window.event.name, lower, max_ms, fingerprint)
        stamps = [record.get("block_timestamp") if isinstance(record, dict) else None for record in page.records]
        if any(not isinstance(stamp, int) for stamp in stamps) or stamps != sorted(stamps):
            raise BadResponse(f"TronGrid {window.event.name} events are not in ascending block_timestamp order")
        fresh = [record for record in page.records if _event_key(record) not in seen]
        seen.update(_event_key(record) for record in fresh)
        events.extend(fresh)
        if page.fingerprint:
            fingerprint = page.fingerprint
            continue
        if len(page.records) < PAGE_LIMIT:
            return events
        if not fresh:
            raise TrackerError(
                f"TronGrid returned a full page of already-seen {window.event.name} events at block timestamp "
                f"{lower} without a fingerprint (over {PAGE_LIMIT} events in one block); retry later or use --source jsonrpc"
            )
        lower, fingerprint = stamps[-1], None


@dataclass(frozen=True)
class WindowStep:
    window_from: int
    window_to: int
    last_block: TronBlock
    events: pl.DataFrame


def fetch_windows(
    client: TronGridClient, token: TokenSpec, start: int, end: int, window_blocks: int, summary: SyncSummary,
    stop: threading.Event,
) -> Iterator[WindowStep]:
    low = start
    while low <= end and not stop.is_set():
        high = min(end, low + window_blocks - 1)
        first, last = client.block(low), client.block(high)
        # Tron blocks sit in 3-second slots, so [first - 1 ms, last + 1 ms] holds exactly these blocks
        # whether TronGrid's bounds are inclusive or not; decode_events rejects anything else.
        frames = []
        for event in token.layout.events:
            window = EventWindow(token.address, event, low, high)
            records = fetch_window_events(client, window, first.timestamp_ms - 1, last.timestamp_ms + 1)
            frames.append(decode_events(records, window))
        summary.requests = client.pages
        yield WindowStep(low, high, last, pl.concat(frames))
        low = high + 1


def build_window_batch(step: WindowStep, token: TokenSpec) -> Batch:
    refuse_deprecation(step.events, "tron", hex20_from_base58(token.address), TRON.format.address)
    transfers, supply = split_rows(step.events, token.layout, TRON.format.address)
    event_blocks = step.events.select(
        chain=pl.lit("tron"), block_number="block_number", block_hash=pl.lit(None, dtype=pl.String), block_time="block_time"
    ).unique("block_number")
    last = step.last_block
    last_row = pl.DataFrame(
        {
            "chain": ["tron"],
            "block_number": [last.number],
            "block_hash": ["0x" + last.block_id],
            "block_time": [datetime.fromtimestamp(last.timestamp_ms / 1000, timezone.utc)],
        },
        schema=event_blocks.schema,
    )
    blocks = pl.concat([event_blocks.filter(pl.col("block_number") != last.number), last_row])
    return Batch(
        chain="tron",
        token=token.address,
        symbol=token.symbol,
        decimals=token.decimals,
        from_block=step.window_from,
        to_block=step.window_to,
        to_block_hash="0x" + last.block_id,
        transfers=transfers,
        supply_events=supply,
        blocks=blocks,
        source="trongrid",
    )


def _block_at(client: TronGridClient, moment: datetime, head: TronBlock) -> int | None:
    return first_block_at_or_after(lambda number: client.block(number).timestamp_ms // 1000, moment, head.number)


def sync_trongrid(
    db_path: Path, options: SyncOptions, on_progress: ProgressCallback | None = None, anchor_rpc: str | None = None,
    http: HttpClient | None = None,
) -> SyncSummary:
    """Index USDT-TRC20 events from TronGrid's REST API into the database at `db_path`.

    Balance anchors need eth_call, which TronGrid's REST API lacks: they are read through the
    JSON-RPC endpoint `anchor_rpc` (TronGrid's own /jsonrpc by default in the CLI) when given.
    """
    check_options(options)
    check_storable(token_spec("tron", options.token))
    if options.scope != "all":
        raise TrackerError("--scope labeled needs --source jsonrpc: TronGrid cannot filter events by address")
    client = TronGridClient(options.rpc_url, http)
    head = client.solidified_head()  # first call: an unreachable TronGrid fails before the database is touched
    confirmed = head.number - (options.confirmations or 0)
    if options.to_block is not None:
        if options.to_block > confirmed:
            raise TrackerError(f"--to-block {options.to_block} is past TronGrid's solidified block {confirmed}")
        end = options.to_block
    elif options.until is not None:
        next_day = _block_at(client, day_after(options.until), head)
        end = confirmed if next_day is None else min(next_day - 1, confirmed)
    else:
        end = confirmed
    summary = SyncSummary(chain="tron", token=options.token)
    token = token_spec("tron", options.token)

    def prepare(store: Store) -> tuple[int, int]:
        check_source(store, "tron", options.token, "trongrid")
        state = store.sync_state("tron", options.token)
        if state is not None and state.last_block <= head.number:
            if "0x" + client.block(state.last_block).block_id != state.last_block_hash:
                raise TrackerError(f"TronGrid's block {state.last_block} differs from the one this database recorded")
        if options.from_block is not None:
            return options.from_block, end
        if options.since is not None:
            first = _block_at(client, day_start(options.since), head)
            if first is None:
                raise TrackerError(f"--since {options.since}: TronGrid has no solidified block on or after that day yet")
            return first, end
        if state is not None:
            return state.last_block + 1, end
        raise TrackerError(f"tron: the first sync of {options.token} needs --from-block or --since")

    plan = SyncPlan(
        prepare=prepare,
        fetch=lambda start, stop_at, stop: fetch_windows(
            client, token, start, stop_at, options.chunk_size, summary, stop
        ),
        build=lambda step: build_window_batch(step, token),
    )
    if anchor_rpc:
        node = Node(JsonRpcClient(anchor_rpc, HttpClient(headers=settings.api_headers(TRON))))
        run_sync(db_path, summary, plan, on_progress,
                 finish=lambda store: anchor_after(store, node, TRON, options.token, summary))
    else:
        run_sync(db_path, summary, plan, on_progress)
        summary.anchor_warning = "no JSON-RPC endpoint given for balance anchors: reserves stay unknown"
    return summary
