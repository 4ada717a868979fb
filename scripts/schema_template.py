"""Write tracker/data/schema.duckdb.gz, the empty file every new database starts as (see tracker.store.SCHEMA_TEMPLATE).

    .venv/bin/python scripts/schema_template.py

Run it after adding a migration or changing a view: tests/test_schema_template.py fails until the template is
current (a stale one still works: opening a copy applies what it lacks).
"""

from pathlib import Path

from tracker.store import SCHEMA_TEMPLATE, write_schema_template

if __name__ == "__main__":
    destination = Path(__file__).resolve().parents[1] / "tracker" / "data" / SCHEMA_TEMPLATE
    write_schema_template(destination)
    print(f"wrote {destination} ({destination.stat().st_size:,} bytes)")
