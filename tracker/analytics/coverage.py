"""Label coverage: how much of each day's volume touched a labeled wallet, and who to label next."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tracker.analytics.reading import run_sql
from tracker.chains import chain_spec
from tracker.errors import TrackerError
from tracker.queries import Result, resolve_sql


def _window(chain: str | None, since: date | None, until: date | None) -> dict[str, str]:
    if chain is not None:
        chain_spec(chain)
    if since and until and since > until:
        raise TrackerError(f"--since {since} is after --until {until}")
    return {key: value for key, value in (("chain", chain), ("since", since and since.isoformat()),
                                          ("until", until and until.isoformat())) if value}


def label_coverage(db_path: Path, chain: str | None, since: date | None, until: date | None,
                   with_discovered: bool = False) -> Result:
    """Per day and entity, the share of the chain's volume that touched a labeled wallet (queries/label_coverage_daily)."""
    return run_sql(db_path, resolve_sql("label_coverage_daily"), _window(chain, since, until), with_discovered)


def unlabeled_counterparties(db_path: Path, chain: str | None, since: date | None, until: date | None,
                             limit: int = 20, with_discovered: bool = False) -> Result:
    """The unlabeled addresses that moved most with labeled wallets (queries/unlabeled_counterparties)."""
    if limit < 1:
        raise TrackerError(f"--limit must be at least 1, got {limit}")
    params = {**_window(chain, since, until), "top": str(limit)}
    return run_sql(db_path, resolve_sql("unlabeled_counterparties"), params, with_discovered)
