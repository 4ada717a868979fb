"""One entry point for syncing a chain from any of its sources (`tracker sync <chain>` and `tracker run`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tracker import settings
from tracker.chains import ChainSpec
from tracker.http import HttpClient
from tracker.ingest.sync import ProgressCallback, SyncOptions, SyncSummary, sync_chain


def _jsonrpc(db_path: Path, spec: ChainSpec, options: SyncOptions, on_progress: ProgressCallback | None) -> SyncSummary:
    client = HttpClient(headers=settings.api_headers(spec))
    return sync_chain(db_path, spec, options, on_progress=on_progress, http=client)


def _trongrid(db_path: Path, spec: ChainSpec, options: SyncOptions, on_progress: ProgressCallback | None) -> SyncSummary:
    from tracker.ingest.tron.trongrid import sync_trongrid  # only TronGrid syncs load its paging and decoder

    # Balances are anchored over the chain's JSON-RPC endpoint (TronGrid's /jsonrpc unless set otherwise).
    return sync_trongrid(db_path, options, on_progress=on_progress, anchor_rpc=settings.rpc_url(spec))


SYNC_BY_SOURCE: dict[str, Callable[[Path, ChainSpec, SyncOptions, ProgressCallback | None], SyncSummary]] = {
    "jsonrpc": _jsonrpc,
    "trongrid": _trongrid,
}


def sync_from_source(db_path: Path, spec: ChainSpec, options: SyncOptions,
                     on_progress: ProgressCallback | None = None) -> SyncSummary:
    """Sync `spec`'s token events from `options.source` (one the chain declares)."""
    return SYNC_BY_SOURCE[spec.source(options.source).name](db_path, spec, options, on_progress)
