"""Deposit-address discovery: unlabeled wallets that behave like an exchange's user deposit addresses.

An unlabeled address qualifies as a deposit address of exchange E when, over the
indexed transfers (since a day, if given):
  - every transfer it sent went to E's labeled wallets (no other destination),
  - each of those sweeps came within 24 h of a transfer it received,
  - it forwarded at least 90 % of what it received, and
  - it swept at least `min_sweeps` times.
Found addresses become labels (category exchange, wallet_type deposit, source
'discovered') with their evidence in `discovered_deposits`; flows and reserves
count them only with `--with-discovered`.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from tracker.analytics.labels import ensure_bundled
from tracker.chains import CHAINS, chain_spec
from tracker.errors import TrackerError
from tracker.store import Store, analytic_sql, transaction, watch_addresses

DISCOVER_SQL = analytic_sql("discover_deposits")


def discover_deposits(db_path: Path, chain: str | None, since: date | None, min_sweeps: int = 1) -> dict[str, int]:
    """Find deposit addresses per chain and store them (replacing earlier discoveries); return counts per chain."""
    if chain is not None:
        chain_spec(chain)
    if min_sweeps < 1:
        raise TrackerError(f"--min-sweeps must be at least 1, got {min_sweeps}")
    found: dict[str, int] = {}
    with Store.open(db_path) as store:
        ensure_bundled(store)
        con = store.connection
        for name in [chain] if chain else list(CHAINS):
            scopes = {row[0] for row in con.execute("SELECT scope FROM sync_state WHERE chain = ?", [name]).fetchall()}
            if "labeled" in scopes:
                raise TrackerError(f"{name} is synced with --scope labeled: discovery needs every transfer (--scope all)")
            rows = con.execute(
                DISCOVER_SQL, {"chain": name, "since": since.isoformat() if since else None, "min_sweeps": min_sweeps}
            ).fetchall()
            now = datetime.now(timezone.utc)
            with transaction(con):
                con.execute("DELETE FROM labels WHERE chain = ? AND source = 'discovered'", [name])
                con.execute("DELETE FROM discovered_deposits WHERE chain = ?", [name])
                for address, entity, sweeps, received, forwarded, first_seen, last_seen in rows:
                    con.execute(
                        "INSERT INTO labels VALUES (?, ?, ?, 'exchange', 'deposit', 'discovered', NULL, NULL)",
                        [name, address, entity],
                    )
                    con.execute(
                        "INSERT INTO discovered_deposits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [name, address, entity, sweeps, received, forwarded, first_seen, last_seen, now],
                    )
                watch_addresses(con)
            found[name] = len(rows)
    return found

