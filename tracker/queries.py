"""Running SQL against the database: named queries, files, inline SQL; results as table, CSV, JSON, Parquet.

Named queries are `<name>.sql` files with `$param` placeholders, shipped inside the
package (`tracker/sql/queries/`, package data read through importlib.resources, so
they work from an installed wheel; the checkout's `queries/` is a symlink to them).
A placeholder the caller does not set is bound to NULL, which every bundled query
reads as "no filter".
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from .errors import TrackerError
from .store import Store, unwatched_count

if TYPE_CHECKING:
    import pyarrow as pa

# Package data (a Traversable: a directory in an installed wheel or the checkout alike).
QUERIES_DIR = resources.files("tracker") / "sql" / "queries"
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_STRINGS_AND_COMMENTS = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.S)
# Spreadsheet formula prefixes: a CSV cell starting with one is neutralized with a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Exports and the columns they promise first (other tools read them by name).
EXPORT_COLUMNS = {
    "exchange_netflow_daily": (
        "chain", "day", "entity", "inflow", "outflow", "netflow", "cross_in", "cross_out", "transfers", "reserve_end",
    ),
    "supply_daily": ("chain", "day", "minted", "redeemed", "destroyed", "net_issuance", "total_supply_end"),
}


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    arrow: pa.Table | None = None  # kept only when asked for (parquet): pyarrow costs 0.1 s to import


def named_queries() -> list[str]:
    """Names of the bundled queries (refused loudly when the installed package lacks them)."""
    if not QUERIES_DIR.is_dir():
        raise TrackerError(f"the bundled queries are missing from the installed package ({QUERIES_DIR}): reinstall it")
    return sorted(entry.name.removesuffix(".sql") for entry in QUERIES_DIR.iterdir()
                  if entry.name.endswith(".sql") and entry.is_file())


def resolve_sql(target: str, stdin_text: str | None = None) -> str:
    """SQL text for `-` (stdin), a bundled query name, a .sql file, or inline SQL."""
    if target == "-":
        if stdin_text is None:
            raise TrackerError("no SQL on standard input")
        return stdin_text
    if _NAME.match(target):
        bundled = QUERIES_DIR / f"{target}.sql"
        if bundled.is_file():
            return bundled.read_text(encoding="utf-8")
        if " " not in target:
            raise TrackerError(f"no query named {target!r} (bundled: {', '.join(named_queries())})")
    path = Path(target)
    if target.endswith(".sql"):
        try:
            return path.read_text(encoding="utf-8")
        except OSError as error:
            raise TrackerError(f"cannot read {target}: {error.strerror or error}") from None
    return target


def placeholders(sql: str) -> list[str]:
    """`$name` placeholders outside strings and comments, in first-use order."""
    names: list[str] = []
    for name in _PARAM.findall(_STRINGS_AND_COMMENTS.sub(" ", sql)):
        if name not in names:
            names.append(name)
    return names


def _ready(store: Store) -> bool:
    """Schema current, labels loaded and watched: nothing to write before reading."""
    return (store.is_current() and store.connection.execute("SELECT count(*) FROM labels").fetchall()[0][0] > 0
            and unwatched_count(store.connection) == 0)


def prepare_database(db_path: Path) -> None:
    """Bring the file's schema and labels up to date before reading; a write only when something is missing."""
    if not db_path.exists():
        raise TrackerError(f"database {db_path} does not exist (run `tracker sync` first)")
    with Store.open(db_path, read_only=True) as store:
        ready = _ready(store)
    if not ready:
        from .labels import ensure_bundled  # labels load polars and the chain specs: only when needed

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


def bind(sql: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """Values for the query's placeholders: unknown names refused, missing ones NULL."""
    given = dict(params or {})
    wanted = placeholders(sql)
    unknown = sorted(set(given) - set(wanted))
    if unknown:
        raise TrackerError(f"parameter(s) {', '.join(unknown)} not used by the query (it takes: {', '.join(wanted) or 'none'})")
    return {name: given.get(name) for name in wanted}


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None,
            arrow: bool = False) -> Result:
    """One statement on an open connection, fully fetched (as rows; also as Arrow when `arrow`)."""
    bound = bind(sql, params)
    try:
        relation = con.sql(sql.strip().rstrip(";"), params=bound if bound else None)
        if relation is None:  # a statement without a result
            return Result([], [])
        if arrow:
            return _from_arrow(relation.to_arrow_table())
        columns, types, rows = list(relation.columns), [str(t) for t in relation.types], relation.fetchall()
    except duckdb.Error as error:
        raise TrackerError(f"SQL error: {str(error).splitlines()[0]}") from None
    # 128-bit integers (sums of counts) read as Decimal, as through Arrow: JSON writes them as strings,
    # which no reader turns into a float.
    wide = [i for i, name in enumerate(types) if name in ("HUGEINT", "UHUGEINT")]
    if wide:
        rows = [tuple(Decimal(v) if i in wide and v is not None else v for i, v in enumerate(row)) for row in rows]
    return Result(columns, rows)


def _from_arrow(arrow: pa.Table | pa.RecordBatchReader) -> Result:
    import pyarrow as pa

    if isinstance(arrow, pa.RecordBatchReader):
        arrow = arrow.read_all()
    columns = list(arrow.column_names)
    rows = list(zip(*(arrow.column(name).to_pylist() for name in columns))) if columns else []
    return Result(columns, rows, arrow)


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
    arrow: bool = False,
) -> Result:
    """A bundled daily query filtered by chain and UTC days, checked to start with its contracted columns."""
    sql = resolve_sql(name)
    params = {"chain": chain, "since": since.isoformat() if since else None, "until": until.isoformat() if until else None}
    result = run_sql(db_path, sql, {k: v for k, v in params.items() if v is not None}, with_discovered, arrow)
    contracted = EXPORT_COLUMNS[name]
    if tuple(result.columns[: len(contracted)]) != contracted:
        raise AssertionError(f"{name}.sql columns changed: {result.columns}")
    return result


def _text(value: Any) -> str:
    """Exact text for CSV/table: decimals keep their scale (1234.500000), no float formatting."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, Decimal)):
        return str(value)
    return str(value)


def _safe_cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) and not _looks_numeric(text) else text


def _looks_numeric(text: str) -> bool:
    try:
        Decimal(text)
        return True
    except Exception:
        return False


def render(result: Result, file_format: str) -> str:
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        for row in result.rows:
            writer.writerow([_safe_cell(_text(value)) for value in row])
        return buffer.getvalue()
    if file_format == "json":
        return json.dumps([dict(zip(result.columns, map(_json_value, row))) for row in result.rows], indent=1) + "\n"
    if file_format == "table":
        cells = [result.columns] + [[_text(value) for value in row] for row in result.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(result.columns))]
        lines = ["  ".join(cell.rjust(width) if i and _looks_numeric(cell) else cell.ljust(width)
                           for i, (cell, width) in enumerate(zip(row, widths))).rstrip() for row in cells]
        lines.insert(1, "  ".join("-" * width for width in widths))
        return "\n".join(lines) + f"\n({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})\n"
    raise TrackerError(f"unknown format {file_format!r}")


def _json_value(value: Any) -> Any:
    # Decimals as strings: JSON numbers would be read back as floats by most tools.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def write_output(result: Result, file_format: str, out: str) -> str | None:
    """Write to `out` (a path) or return the text for stdout when `out` is '-'."""
    if file_format == "parquet":
        if result.arrow is None:
            raise ValueError("parquet needs the result fetched with arrow=True")
        if out == "-":
            raise TrackerError("parquet is binary: give --out FILE")
        try:
            import pyarrow.parquet as pq

            pq.write_table(result.arrow, out)
        except OSError as error:
            raise TrackerError(f"cannot write {out}: {error}") from None
        return None
    text = render(result, file_format)
    if out == "-":
        return text
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as error:
        raise TrackerError(f"cannot write {out}: {error.strerror or error}") from None
    return None
