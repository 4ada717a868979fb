"""A new file starts as a copy of the bundled schema template (tracker/data/schema.duckdb.gz): the template must be
current, a file made from it must hold exactly what the migrations make, and one DuckDB cannot open must not stop
a file from being created."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pytest

import tracker.store as store_module
from tracker.store import Store, schema_template_bytes


def _catalog(connection: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every object of the main schema as DuckDB spells it, and every table's rows (sorted)."""
    objects = {
        "tables": "SELECT table_name, sql FROM duckdb_tables() WHERE database_name = current_database() ORDER BY 1",
        "views": "SELECT view_name, sql FROM duckdb_views() WHERE database_name = current_database() AND NOT internal"
                 " ORDER BY 1",
        "macros": "SELECT function_name, function_type, parameters::VARCHAR, macro_definition FROM duckdb_functions()"
                  " WHERE database_name = current_database() AND NOT internal ORDER BY ALL",
        "types": "SELECT type_name, logical_type FROM duckdb_types() WHERE database_name = current_database()"
                 " AND NOT internal ORDER BY 1",
        "indexes": "SELECT index_name, sql FROM duckdb_indexes() WHERE database_name = current_database() ORDER BY 1",
        "sequences": "SELECT sequence_name, start_value FROM duckdb_sequences() WHERE database_name = current_database()"
                     " ORDER BY 1",
    }
    found = {name: connection.execute(sql).fetchall() for name, sql in objects.items()}
    for (table, _) in found["tables"]:
        columns = [row[0] for row in connection.execute(f'DESCRIBE "{table}"').fetchall() if row[0] != "applied_at"]
        listed = ", ".join(f'"{column}"' for column in columns)
        found[f"rows of {table}"] = connection.execute(f'SELECT {listed} FROM "{table}" ORDER BY ALL').fetchall()
    return found


def test_the_bundled_template_is_current(tmp_path) -> None:
    body = schema_template_bytes()
    assert body is not None, "tracker/data/schema.duckdb.gz is missing"
    copy = tmp_path / "template.duckdb"
    copy.write_bytes(body)
    with Store(duckdb.connect(str(copy), read_only=True), copy) as store:
        assert store.is_current(), "the schema template is stale: run .venv/bin/python scripts/schema_template.py"


def test_a_new_file_from_the_template_holds_what_the_migrations_make(tmp_path, monkeypatch) -> None:
    started = datetime.now(timezone.utc)
    templated = Store.open(tmp_path / "templated.duckdb")
    assert templated.from_template
    applied = templated.connection.execute("SELECT min(applied_at), max(applied_at) FROM schema_migrations").fetchall()[0]
    assert applied[0] >= started and applied[1] <= datetime.now(timezone.utc)  # when this file was made
    monkeypatch.setattr(store_module, "schema_template_bytes", lambda: None)  # the statements alone
    migrated = Store.open(tmp_path / "migrated.duckdb")
    assert not migrated.from_template
    try:
        made, expected = _catalog(templated.connection), _catalog(migrated.connection)
        assert len(expected["tables"]) > 20 and len(expected["views"]) > 10 and expected["rows of schema_migrations"]
        assert made == expected
    finally:
        templated.close()
        migrated.close()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["migrated.duckdb", "templated.duckdb"]  # no leftovers


def test_an_existing_file_is_opened_not_replaced(tmp_path) -> None:
    path = tmp_path / "kept.duckdb"
    with Store.open(path) as first:
        first.connection.execute("INSERT INTO sync_ranges VALUES ('ethereum', 'x', 1, 2)")
    with Store.open(path) as again:
        assert not again.from_template
        assert again.connection.execute("SELECT count(*) FROM sync_ranges").fetchall() == [(1,)]


def test_a_template_duckdb_cannot_open_gives_way_to_the_migrations(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(store_module, "schema_template_bytes", lambda: b"not a duckdb file" * 1000)
    path = tmp_path / "fallback.duckdb"
    with Store.open(path) as store:
        assert not store.from_template and store.is_current()
        assert store.connection.execute("SELECT count(*) FROM schema_migrations").fetchall()[0][0] > 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fallback.duckdb"]


@pytest.mark.parametrize("where", ["missing folder", "read-only open"])
def test_no_template_where_no_file_is_to_be_made(tmp_path, where) -> None:
    from tracker.errors import TrackerError

    if where == "missing folder":
        with pytest.raises(TrackerError, match="folder .* does not exist"):
            Store.open(tmp_path / "absent" / "x.duckdb")
        assert not (tmp_path / "absent").exists()
    else:
        with pytest.raises(TrackerError, match="does not exist"):
            Store.open(tmp_path / "x.duckdb", read_only=True)
        assert list(tmp_path.iterdir()) == []
