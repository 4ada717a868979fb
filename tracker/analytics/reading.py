"""The database made ready for reading: schema current, bundled labels loaded and watched; then read-only runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tracker.analytics.bundled import bundled_current
from tracker.errors import TrackerError
from tracker.queries import EXPORT_COLUMNS, Result, bind, execute, resolve_sql
from tracker.store import Store, unwatched_count


def _ready(store: Store) -> bool:
    """Schema current, the bundled labels loaded (this version of them) and watched: nothing to write first."""
    return store.is_current() and bundled_current(store.connection) and unwatched_count(store.connection) == 0


def prepare_database(db_path: Path) -> None:
    """Bring the file's schema and labels up to date before reading; a write only when something is missing."""
    if not db_path.exists():
        raise TrackerError(f"database {db_path} does not exist (run `tracker sync` first)")
    with Store.open(db_path, read_only=True) as store:
        ready = _ready(store)
    if not ready:
        # Imported here, not above: labels load polars, which `tracker report` on a ready file never needs.
        from tracker.analytics.labels import ensure_bundled

        with Store.open(db_path) as store:
            ensure_bundled(store)


def open_for_reading(db_path: Path) -> Store:
    """The file opened read-only (one open when it is up to date; else one short write first)."""
    if not db_path.exists():
        raise TrackerError(f"database {db_path} does not exist (run `tracker sync` first)")
    store = Store.open(db_path, read_only=True)
    try:
        ready = _ready(store)
    except BaseException:
        store.close()
        raise
    if ready:
        return store
    store.close()
    prepare_database(db_path)
    return Store.open(db_path, read_only=True)


def run_sql(db_path: Path, sql: str, params: dict[str, str] | None = None, with_discovered: bool = False,
            arrow: bool = False) -> Result:
    """Run one statement read-only; unknown parameters are refused, missing ones are NULL.

    `with_discovered` lets flows and reserves count discovered deposit addresses.
    """
    bind(sql, params)  # refuse unknown parameters before touching the file
    with open_for_reading(db_path) as store:
        store.connection.execute(f"SET VARIABLE with_discovered = {'true' if with_discovered else 'false'}")
        return execute(store.connection, sql, params, arrow)


def daily_series(
    db_path: Path, name: str, chain: str | None, since: date | None, until: date | None, with_discovered: bool = False,
    arrow: bool = False, token: str | None = None,
) -> Result:
    """A bundled daily query filtered by chain, token (symbol or address) and UTC days, checked to start with its
    contracted columns."""
    sql = resolve_sql(name)
    params = {"chain": chain, "since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
              "token": token}
    result = run_sql(db_path, sql, {k: v for k, v in params.items() if v is not None}, with_discovered, arrow)
    contracted = EXPORT_COLUMNS[name]
    if tuple(result.columns[: len(contracted)]) != contracted:
        raise AssertionError(f"{name}.sql columns changed: {result.columns}")
    return result
