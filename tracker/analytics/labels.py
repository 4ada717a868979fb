"""Wallet labels: validate, import (our CSV or Dune spellbook's cex lists), list, bundled defaults.

A wrong label silently corrupts every flow figure, so an import is all or
nothing: every row is validated (EIP-55 checksum where mixed case, Tron
base58check), an address attributed to two entities is a conflict, and any
problem leaves the table as it was.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl

from tracker import settings
from tracker.analytics.bundled import BUNDLED_DIR, bundled_current, bundled_digest, bundled_files  # noqa: F401 (BUNDLED_DIR: public here)
from tracker.analytics.reading import run_sql
from tracker.chains import CHAINS, chain_spec
from tracker.errors import TrackerError
from tracker.http import HttpClient
from tracker.queries import Result
from tracker.store import Store, analytic_sql, register_frame, transaction, watch_addresses

CATEGORIES = ("exchange", "issuer", "bridge", "other")
WALLET_TYPES = ("hot", "cold", "deposit", "treasury", "unknown")
COLUMNS = ("chain", "address", "entity", "category", "wallet_type", "source", "valid_from", "valid_to")
# How a label was made: curated (bundled, imported) or found on the chain (discovered:*).
METHODS = ("bundled", "imported", "discovered:deposit", "discovered:hot")
DUNE_COLUMNS = ("blockchain", "address", "cex_name", "distinct_name", "added_by", "added_date")
# Errors shown in the one error line before "…and N more".
SHOWN_ERRORS = 8


@dataclass(frozen=True)
class Label:
    chain: str
    address: str
    entity: str
    category: str
    wallet_type: str
    source: str
    valid_from: datetime | None
    valid_to: datetime | None
    method: str = "imported"


@dataclass(frozen=True)
class ImportReport:
    rows: int
    added: int
    unchanged: int
    replaced: int
    skipped: list[str] = field(default_factory=list)  # rows left out (labels update only), with the reason


def _moment(text: str, what: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a date (YYYY-MM-DD) or ISO timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def validate_row(values: dict[str, str], default_source: str, method: str = "imported") -> Label:
    """One label from text fields, or ValueError saying what is wrong."""
    chain = (values.get("chain") or "").strip().lower()
    if chain not in CHAINS:
        raise ValueError(f"unknown chain {chain!r} (expected {', '.join(CHAINS)})")
    entity = (values.get("entity") or "").strip()
    if not entity:
        raise ValueError("entity is empty")
    try:
        address = CHAINS[chain].normalize_token(values.get("address") or "", f"{chain} address")
    except TrackerError as error:
        raise ValueError(str(error)) from None
    category = (values.get("category") or "").strip().lower() or "exchange"
    if category not in CATEGORIES:
        raise ValueError(f"category {category!r} is not one of {', '.join(CATEGORIES)}")
    wallet_type = (values.get("wallet_type") or "").strip().lower() or "unknown"
    if wallet_type not in WALLET_TYPES:
        raise ValueError(f"wallet_type {wallet_type!r} is not one of {', '.join(WALLET_TYPES)}")
    valid_from = _moment(values.get("valid_from") or "", "valid_from")
    valid_to = _moment(values.get("valid_to") or "", "valid_to")
    if valid_from and valid_to and valid_from >= valid_to:
        raise ValueError("valid_from is not before valid_to")
    source = (values.get("source") or "").strip() or default_source
    return Label(chain, address, entity, category, wallet_type, source, valid_from, valid_to, method)


def _dune_row(values: dict[str, str]) -> dict[str, str]:
    """A Dune spellbook cex address row as our columns (all cex rows are exchanges)."""
    added_by = (values.get("added_by") or "").strip()
    return {
        "chain": values.get("blockchain") or "",
        "address": values.get("address") or "",
        "entity": values.get("cex_name") or "",
        "category": "exchange",
        "wallet_type": "unknown",
        "source": f"dune spellbook: {values.get('distinct_name') or ''} ({added_by or 'unknown'})".strip(),
        "valid_from": "",
        "valid_to": "",
    }


def read_labels(text: str, name: str, file_format: str = "csv", method: str = "imported") -> list[Label]:
    """Parse and validate every row; raise one TrackerError naming the bad lines, or return all labels."""
    if file_format not in ("csv", "dune"):
        raise TrackerError(f"unknown label format {file_format!r} (expected csv or dune)")
    reader = csv.DictReader(io.StringIO(text))
    header = [column.strip() for column in (reader.fieldnames or [])]
    reader.fieldnames = header
    required = ("chain", "address", "entity") if file_format == "csv" else DUNE_COLUMNS[:3]
    missing = [column for column in required if column not in header]
    if missing:
        raise TrackerError(f"{name}: missing column(s) {', '.join(missing)} (header: {', '.join(header) or 'empty'})")
    labels: list[Label] = []
    errors: list[str] = []
    seen: dict[tuple[str, str], list[tuple[int, str, Label]]] = {}
    default_source = f"import:{Path(name).name}"
    for row in reader:
        line = reader.line_num
        if None in row:
            errors.append(f"line {line}: more fields than columns")
            continue
        values = _dune_row(row) if file_format == "dune" else row
        try:
            label = validate_row(values, default_source, method)
        except ValueError as error:
            errors.append(f"line {line}: {error}")
            continue
        # One label per address at any moment: flows join on it, so an overlap would double a transfer.
        clash = next((e for e in seen.get((label.chain, label.address), []) if _overlap(e[2], label)), None)
        if clash and clash[1] != label.entity:
            errors.append(
                f"line {line}: conflict: {label.address} is {label.entity!r} here and {clash[1]!r} on line {clash[0]}"
            )
            continue
        if clash:
            errors.append(f"line {line}: {label.address} is already labeled on line {clash[0]} for an overlapping period")
            continue
        seen.setdefault((label.chain, label.address), []).append((line, label.entity, label))
        labels.append(label)
    if errors:
        shown = "; ".join(errors[:SHOWN_ERRORS])
        more = f"; …and {len(errors) - SHOWN_ERRORS} more" if len(errors) > SHOWN_ERRORS else ""
        raise TrackerError(f"{name}: {len(errors)} bad row(s), nothing imported: {shown}{more}")
    if not labels:
        raise TrackerError(f"{name}: no label rows")
    return labels


def _overlap(first: Label, second: Label) -> bool:
    start = max(first.valid_from or datetime.min.replace(tzinfo=timezone.utc),
                second.valid_from or datetime.min.replace(tzinfo=timezone.utc))
    end = min(first.valid_to or datetime.max.replace(tzinfo=timezone.utc),
              second.valid_to or datetime.max.replace(tzinfo=timezone.utc))
    return start < end


def _frame(labels: list[Label]) -> pl.DataFrame:
    return pl.DataFrame(
        [label.__dict__ for label in labels],
        schema={
            "chain": pl.String, "address": pl.String, "entity": pl.String, "category": pl.String,
            "wallet_type": pl.String, "source": pl.String,
            "valid_from": pl.Datetime("us", "UTC"), "valid_to": pl.Datetime("us", "UTC"), "method": pl.String,
        },
        orient="row",
    )


_OVERLAP = (
    "coalesce(l.valid_from, '-infinity'::TIMESTAMPTZ) < coalesce(i.valid_to, 'infinity'::TIMESTAMPTZ)"
    " AND coalesce(i.valid_from, '-infinity'::TIMESTAMPTZ) < coalesce(l.valid_to, 'infinity'::TIMESTAMPTZ)"
)
_CURATED = "l.method NOT LIKE 'discovered:%'"


def store_labels(store: Store, labels: list[Label], name: str, skip_conflicts: bool = False) -> ImportReport:
    """Write curated labels in one transaction: a row replaces the stored rows its window overlaps; identical is
    a no-op; a discovered label at the same address gives way (listed as a conflict when it disagrees).

    An address that a curated label already gives to another entity over an
    overlapping window is a conflict: nothing is written, or with
    `skip_conflicts` (public lists) just those rows are left out and counted.
    """
    con = store.connection
    register_frame(con, "incoming_labels", _frame(labels))
    skipped: list[str] = []
    try:
        conflicts = con.execute(
            "SELECT i.chain, i.address, i.entity, min(l.entity) FROM incoming_labels i JOIN labels l"
            f" ON l.chain = i.chain AND l.address = i.address AND l.entity <> i.entity AND {_OVERLAP} AND {_CURATED}"
            " GROUP BY ALL ORDER BY 1, 2"
        ).fetchall()
        described = [f"{c[1]} ({c[0]}) is {c[3]!r} already, {c[2]!r} in {Path(name).name}" for c in conflicts]
        if conflicts and not skip_conflicts:
            raise TrackerError(f"{name}: conflict, nothing imported: {'; '.join(described[:5])}")
        if conflicts:
            clashing = {(c[0], c[1]) for c in conflicts}
            labels = [label for label in labels if (label.chain, label.address) not in clashing]
            skipped = described
            con.unregister("incoming_labels")
            register_frame(con, "incoming_labels", _frame(labels))
        unchanged = con.execute(
            "SELECT count(*) FROM incoming_labels i JOIN labels l USING (chain, address)"
            " WHERE l.entity = i.entity AND l.category = i.category AND l.wallet_type = i.wallet_type"
            " AND l.source = i.source AND l.method = i.method AND l.valid_from IS NOT DISTINCT FROM i.valid_from"
            " AND l.valid_to IS NOT DISTINCT FROM i.valid_to"
        ).fetchall()[0][0]
        with transaction(con):
            curated_over_discovered(con, "incoming_labels")
            # A row replaces the stored rows of its address whose validity overlaps it (same entity,
            # or the conflict check above would have stopped the import): one owner at any moment.
            replaced = con.execute(
                f"DELETE FROM labels l USING incoming_labels i WHERE l.chain = i.chain AND l.address = i.address AND {_OVERLAP}"
            ).fetchall()[0][0]
            con.execute("INSERT INTO labels BY NAME SELECT * FROM incoming_labels")
            watch_addresses(con)
    finally:
        con.unregister("incoming_labels")
    return ImportReport(rows=len(labels), added=len(labels) - replaced, unchanged=unchanged,
                        replaced=replaced - unchanged, skipped=skipped)


def curated_over_discovered(con: Any, incoming: str) -> None:
    """Curated rows arriving in `incoming` (a table or view) replace discovered labels at their addresses, with
    the discoveries' evidence; a discovery that named another entity is kept in label_conflicts."""
    con.execute(
        "INSERT INTO label_conflicts SELECT DISTINCT l.chain, l.address, i.entity, i.method, l.entity, l.method,"
        " 'found on the chain as a wallet of ' || l.entity || ', curated (' || i.method || ') as ' || i.entity,"
        f" now() FROM labels l JOIN {incoming} i USING (chain, address)"
        " WHERE l.method LIKE 'discovered:%' AND l.entity <> i.entity"
    )
    for table in ("discovered_deposits", "discovered_hot_wallets"):
        con.execute(f"DELETE FROM {table} d USING {incoming} i WHERE d.chain = i.chain AND d.address = i.address")
    con.execute(f"DELETE FROM labels l USING {incoming} i WHERE l.chain = i.chain AND l.address = i.address"
                " AND l.method LIKE 'discovered:%'")


def import_labels(db_path: Path, path: str, file_format: str = "csv") -> ImportReport:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise TrackerError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise TrackerError(f"{path}: not UTF-8 text") from None
    labels = read_labels(text, path, file_format)
    with Store.open(db_path) as store:
        ensure_bundled(store)
        return store_labels(store, labels, path)


def bundled_labels() -> list[Label]:
    """Every row of the bundled set, validated; one entity per address across its files."""
    labels: list[Label] = []
    owner: dict[tuple[str, str], str] = {}
    for entry in bundled_files():
        for label in read_labels(entry.read_text(encoding="utf-8"), str(entry), "csv", "bundled"):
            first = owner.setdefault((label.chain, label.address), entry.name)
            if first != entry.name:
                raise TrackerError(f"the bundled label set lists {label.address} in {first} and {entry.name}: reinstall")
            labels.append(label)
    return labels


def ensure_bundled(store: Store) -> int:
    """Load the bundled label set on first use, or replace the rows of an older version of it; return rows
    loaded. Labels a user imported win: a bundled row at such an address is left out (listed as a conflict
    when it names another entity); discovered labels give way to bundled ones."""
    con = store.connection
    if bundled_current(con):
        return 0
    labels = bundled_labels()
    register_frame(con, "incoming_labels", _frame(labels))
    try:
        with transaction(con):
            con.execute("DELETE FROM labels WHERE method = 'bundled'")
            con.execute("DELETE FROM label_conflicts WHERE claimed_method = 'bundled'")
            con.execute(
                "INSERT INTO label_conflicts SELECT DISTINCT i.chain, i.address, l.entity, l.method, i.entity, 'bundled',"
                " 'the bundled set names ' || i.entity || '; the imported label is kept', now()"
                " FROM incoming_labels i JOIN labels l USING (chain, address) WHERE l.method = 'imported' AND l.entity <> i.entity"
            )
            con.execute("CREATE OR REPLACE TEMP TABLE bundled_incoming AS SELECT * FROM incoming_labels i WHERE NOT EXISTS"
                        " (SELECT 1 FROM labels l WHERE l.chain = i.chain AND l.address = i.address AND l.method = 'imported')")
            curated_over_discovered(con, "bundled_incoming")
            loaded = con.execute("INSERT INTO labels BY NAME SELECT * FROM bundled_incoming").fetchall()[0][0]
            con.execute("INSERT OR REPLACE INTO label_sets VALUES ('bundled', ?, ?, now())", [bundled_digest(), loaded])
            watch_addresses(con)
    finally:
        con.execute("DROP TABLE IF EXISTS bundled_incoming")
        con.unregister("incoming_labels")
    return loaded


def list_labels(db_path: Path, chain: str | None = None, entity: str | None = None, discovered: bool = False,
                conflicts: bool = False) -> Result:
    """Labels, or the discovered wallets with their evidence, or the unsettled conflicts, of a chain and/or entity."""
    if chain is not None:
        chain_spec(chain)
    if not db_path.exists():
        Store.open(db_path).close()
    params = {key: value for key, value in (("chain", chain), ("entity", entity)) if value is not None}
    name = "list_conflicts" if conflicts else "list_discovered" if discovered else "list_labels"
    return run_sql(db_path, analytic_sql(name), params)


_SPELLBOOK_ROW = re.compile(
    r"\(\s*(?:'(?P<chain>[a-z_0-9]+)'\s*,\s*)?(?P<address>'[^']+'|0x[0-9a-fA-F]+)\s*,\s*"
    r"'(?P<entity>(?:[^']|'')*)'\s*,\s*'(?P<name>(?:[^']|'')*)'\s*,\s*'(?P<by>[^']*)'\s*,\s*"
    r"(?:date|timestamp)\s*'(?P<added>[^']*)'\s*\)"
)


@dataclass(frozen=True)
class UpdateReport:
    source: str
    parsed: int
    invalid: list[str]
    imported: ImportReport


def label_sources() -> list[tuple[str, str]]:
    """(format, url) pairs from labels.sources ($TRACKER_LABEL_SOURCES, tracker.toml) or the defaults."""
    text = settings.get("labels.sources")
    sources = []
    for entry in text.split():
        file_format, _, url = entry.partition("=")
        if not url or not (file_format in ("csv", "dune") or file_format.startswith("spellbook:")):
            raise TrackerError(f"label source {entry!r}: expected FORMAT=URL with FORMAT csv, dune or spellbook:CHAIN")
        sources.append((file_format, url))
    return sources


def parse_spellbook(text: str, chain: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, our CSV fields) for each VALUES row of a spellbook cex address model."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _SPELLBOOK_ROW.search(line)
        if not match or line.lstrip().startswith("--"):
            continue
        address = match.group("address").strip("'")
        found.append((number, {
            "chain": match.group("chain") or chain,
            "address": address,
            "entity": match.group("entity").replace("''", "'"),
            "category": "exchange",
            "wallet_type": "unknown",
            "source": f"dune spellbook: {match.group('name')} ({match.group('by') or 'unknown'})",
        }))
    return found


def _source_rows(file_format: str, text: str) -> list[tuple[int, dict[str, str]]]:
    if file_format.startswith("spellbook:"):
        return parse_spellbook(text, file_format.split(":", 1)[1])
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = [column.strip() for column in (reader.fieldnames or [])]
    return [(reader.line_num, _dune_row(row) if file_format == "dune" else row) for row in reader]


def update_labels(db_path: Path, http: Any = None) -> list[UpdateReport]:
    """Re-download every configured public list and import what validates.

    Public lists carry mistakes (bad checksums, a wallet under two names, Tether's
    treasury filed under an exchange): such rows are left out and reported, and a
    row never overrides a stored label of another entity.
    """
    client = http or HttpClient()
    reports = []
    for file_format, url in label_sources():
        text = client.request("GET", url, lambda raw: raw.decode("utf-8", errors="replace"))
        rows = _source_rows(file_format, text)
        if not rows:
            raise TrackerError(f"{url}: no label rows found (format {file_format})")
        labels, invalid, seen = [], [], {}
        for line, values in rows:
            chain = (values.get("chain") or "").strip().lower()
            if chain not in CHAINS:
                continue  # lists cover many chains; the tracker follows two
            try:
                label = validate_row(values, f"update:{url}")
            except ValueError as error:
                invalid.append(f"line {line}: {error}")
                continue
            first = seen.setdefault((label.chain, label.address), (line, label.entity))
            if first[1] != label.entity:
                invalid.append(f"line {line}: {label.address} is {label.entity!r} here and {first[1]!r} on line {first[0]}")
                continue
            if first[0] == line:
                labels.append(label)
        with Store.open(db_path) as store:
            ensure_bundled(store)
            imported = store_labels(store, labels, url, skip_conflicts=True) if labels else ImportReport(0, 0, 0, 0)
        reports.append(UpdateReport(url, len(rows), invalid, imported))
    return reports
