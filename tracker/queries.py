"""Running SQL on an open connection: named queries, files, inline SQL, `$param` binding.

Named queries are `<name>.sql` files with `$param` placeholders, shipped inside the
package (`tracker/sql/queries/`, package data read through importlib.resources, so
they work from an installed wheel; the checkout's `queries/` is a symlink to them).
A placeholder the caller does not set is bound to NULL, which every bundled query
reads as "no filter".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from tracker.errors import TrackerError

if TYPE_CHECKING:
    import pyarrow as pa

# Package data (a Traversable: a directory in an installed wheel or the checkout alike).
QUERIES_DIR = resources.files("tracker") / "sql" / "queries"
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_STRINGS_AND_COMMENTS = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.S)
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
