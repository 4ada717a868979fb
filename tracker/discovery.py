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

from .chains import CHAINS
from .errors import TrackerError
from .labels import ensure_bundled
from .store import Store, watch_addresses

DISCOVER_SQL = """
WITH known AS (
    SELECT DISTINCT chain, address FROM labels WHERE source <> 'discovered'
),
exchange_wallets AS (
    SELECT chain, address, min(entity) AS entity FROM labels
    WHERE category = 'exchange' AND source <> 'discovered' GROUP BY ALL
),
window_transfers AS (
    SELECT * FROM transfers
    WHERE chain = $chain AND supply_leg IS NULL AND from_address <> to_address
      AND ($since IS NULL OR block_time >= CAST($since AS DATE))
),
sent AS (
    SELECT t.from_address AS address, t.amount, t.block_time, e.entity,
           EXISTS (SELECT 1 FROM window_transfers r WHERE r.to_address = t.from_address
                   AND r.block_time <= t.block_time AND r.block_time >= t.block_time - INTERVAL 24 HOUR) AS after_receipt
    FROM window_transfers t
    LEFT JOIN exchange_wallets e ON e.chain = t.chain AND e.address = t.to_address
    WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.chain = t.chain AND k.address = t.from_address)
),
senders AS (
    SELECT address, min(entity) AS entity, count(DISTINCT entity) AS entities,
           count(*) FILTER (WHERE entity IS NULL) AS elsewhere,
           count(*) FILTER (WHERE NOT after_receipt) AS late,
           count(*) AS sweeps, sum(amount) AS forwarded, min(block_time) AS first_sweep, max(block_time) AS last_sweep
    FROM sent GROUP BY address
),
received AS (
    SELECT to_address AS address, sum(amount) AS received, min(block_time) AS first_receipt
    FROM window_transfers GROUP BY to_address
)
SELECT s.address, s.entity, s.sweeps, r.received, s.forwarded, least(r.first_receipt, s.first_sweep), s.last_sweep
FROM senders s JOIN received r USING (address)
WHERE s.entities = 1 AND s.elsewhere = 0 AND s.late = 0 AND s.sweeps >= $min_sweeps
  AND s.forwarded >= 0.9 * r.received
ORDER BY s.entity, s.address
"""


def discover_deposits(db_path: Path, chain: str | None, since: date | None, min_sweeps: int = 1) -> dict[str, int]:
    """Find deposit addresses per chain and store them (replacing earlier discoveries); return counts per chain."""
    if chain is not None and chain not in CHAINS:
        raise TrackerError(f"unknown chain {chain!r} (expected {', '.join(CHAINS)})")
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
            con.begin()
            try:
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
                con.commit()
            except Exception:
                con.rollback()
                raise
            found[name] = len(rows)
    return found


LIST_DISCOVERED_SQL = (
    "SELECT chain, address, entity, sweeps, received, forwarded, first_seen, last_seen FROM discovered_deposits"
    " WHERE ($chain IS NULL OR chain = $chain) AND ($entity IS NULL OR lower(entity) = lower($entity))"
    " ORDER BY chain, entity, address"
)
