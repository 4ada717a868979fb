"""Results as text: an aligned table, CSV (formula-safe), JSON (decimals as strings), Parquet."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from tracker.errors import TrackerError
from tracker.queries import Result

# Spreadsheet formula prefixes: a CSV cell starting with one is neutralized with a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _number(value: Any) -> str:
    # str() writes a decimal zero with a scale as 0E-18, and very small values in exponent form
    return format(value, "f") if type(value) is Decimal else str(value)


def cell_text(value: Any) -> str:
    """Exact text for CSV/table: decimals keep their scale (1234.500000), no float formatting."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, Decimal):
        return _number(value)
    return str(value)


def _safe_cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) and not _looks_numeric(text) else text


@lru_cache(maxsize=1 << 16)
def _looks_numeric(text: str) -> bool:
    # Cached: result columns repeat the same few strings (chains, entities, tokens) on every row.
    try:
        Decimal(text)
        return True
    except Exception:
        return False


def _column(values: tuple[Any, ...]) -> tuple[list[str], list[bool]]:
    """A column's cell texts and which are numbers (right-aligned): per column type, not per cell, for speed.

    The same answer as `cell_text` and parsing each text as a number, cell by cell.
    """
    kinds = {type(value) for value in values} - {type(None)}
    if kinds <= {int, float, Decimal}:
        return ["" if value is None else _number(value) for value in values], [value is not None for value in values]
    if kinds == {str}:
        texts = ["" if value is None else value for value in values]
        return texts, [bool(text) and _looks_numeric(text) for text in texts]
    if kinds <= {date, datetime}:
        return [cell_text(value) for value in values], [False] * len(values)
    texts = [cell_text(value) for value in values]
    return texts, [_looks_numeric(text) for text in texts]


def _csv_column(values: tuple[Any, ...]) -> list[str]:
    """A column's CSV cells, formula-safe: per column type, not per cell (numbers never need neutralizing)."""
    kinds = {type(value) for value in values} - {type(None)}
    if kinds <= {int, float, Decimal}:
        return ["" if value is None else _number(value) for value in values]
    if kinds == {str}:
        return ["" if value is None else _safe_cell(value) if value.startswith(_FORMULA_START) else value
                for value in values]
    if kinds in ({datetime}, {date}):  # hours and days repeat on every entity's row: each written once
        seen: dict[Any, str] = {}
        return [seen[value] if value in seen else seen.setdefault(value, cell_text(value)) for value in values]
    return [_safe_cell(cell_text(value)) for value in values]


def _table(result: Result) -> str:
    columns = list(zip(*result.rows)) if result.rows else [() for _ in result.columns]
    padded = []
    for i, (name, values) in enumerate(zip(result.columns, columns)):
        texts, numeric = _column(values)
        width = max([len(name), *map(len, texts)])
        header = name.rjust(width) if i and _looks_numeric(name) else name.ljust(width)
        cells = [text.rjust(width) if i and right else text.ljust(width) for text, right in zip(texts, numeric)]
        padded.append([header, "-" * width, *cells])
    lines = ["  ".join(parts).rstrip() for parts in zip(*padded)] if padded else ["", ""]
    return "\n".join(lines) + f"\n({len(result.rows)} row{'s' if len(result.rows) != 1 else ''})\n"


def render(result: Result, file_format: str) -> str:
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows(zip(*(_csv_column(values) for values in zip(*result.rows))))
        return buffer.getvalue()
    if file_format == "json":
        return json.dumps([dict(zip(result.columns, map(json_value, row))) for row in result.rows], indent=1) + "\n"
    if file_format == "table":
        return _table(result)
    raise TrackerError(f"unknown format {file_format!r}")


def json_value(value: Any) -> Any:
    # Decimals as strings: JSON numbers would be read back as floats by most tools.
    if isinstance(value, Decimal):
        return _number(value)
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
