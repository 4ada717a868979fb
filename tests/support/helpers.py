"""Small helpers shared by tests: reading tables back, running the CLI, local HTTP proxies."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import requests
from werkzeug import Request, Response

EVENT_TABLES = ("transfers", "supply_events", "blocks", "sync_state", "sync_ranges")


def rows(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def table_contents(db: Path, table: str) -> list[tuple]:
    """Every row of a table in a stable order, without wall-clock columns."""
    with duckdb.connect(str(db), read_only=True) as con:
        columns = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall() if c[0] != "updated_at"]
        return con.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY ALL").fetchall()


def all_contents(db: Path, block_hashes: bool = True) -> dict[str, list[tuple]]:
    """Comparable contents of every sync table.

    `blocks` also keeps each sync step's last block as a reorg checkpoint, which
    depends on how the work was split; only blocks holding events are compared.
    TronGrid gives no hashes for event blocks, only for checkpoints: compare
    without hashes there (`block_hashes=False`).
    """
    contents = {table: table_contents(db, table) for table in EVENT_TABLES if table != "blocks"}
    columns = "*" if block_hashes else "chain, block_number, block_time"
    contents["event_blocks"] = rows(
        db,
        f"SELECT {columns} FROM blocks WHERE (chain, block_number) IN"
        " (SELECT (chain, block_number) FROM transfers UNION SELECT (chain, block_number) FROM supply_events)"
        " ORDER BY ALL",
    )
    return contents


def file_digest(path: Path) -> str | None:
    """Hash of the database file (and its WAL), or None when it does not exist."""
    if not path.exists():
        return None
    digest = hashlib.sha256(path.read_bytes())
    wal = Path(str(path) + ".wal")
    if wal.exists():
        digest.update(wal.read_bytes())
    return digest.hexdigest()


def units(raw: int) -> Decimal:
    """The expected DECIMAL(38,6) value of a raw amount, by integer arithmetic."""
    return Decimal(raw).scaleb(-6)


def run_cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """Run `tracker` as a user would, in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tracker", *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=stdin,
        cwd=cwd,
        timeout=300,
    )


Rewrite = Callable[[dict[str, Any], requests.Response], Response | None]


def query_json(db: Path, name: str, *params: str) -> list[dict]:
    """`tracker query NAME -p KEY VALUE ... --format json`, parsed: params alternate key, value."""
    args = [item for pair in zip(["-p"] * (len(params) // 2), params[::2], params[1::2]) for item in pair]
    done = run_cli("--db", str(db), "query", name, *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def forwarding_handler(upstream: str, intercept: Callable[[Any], Response | None]) -> Callable[[Request], Response]:
    """A pytest-httpserver handler that forwards JSON-RPC to `upstream` unless `intercept` answers first.

    `intercept` gets the parsed request body (object or batch list) and may return a
    werkzeug Response to send instead of forwarding.
    """

    def handler(request: Request) -> Response:
        body = request.get_json(silent=True)
        answer = intercept(body)
        if answer is not None:
            return answer
        forwarded = requests.post(upstream, data=request.get_data(), headers={"Content-Type": "application/json"})
        return Response(forwarded.content, status=forwarded.status_code, content_type="application/json")

    return handler
