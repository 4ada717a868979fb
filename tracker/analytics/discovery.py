"""Clustering from the chain: deposit addresses and hot wallets of labeled exchanges, with their evidence.

Rounds over the indexed transfers (since a day, if given), by address id:
  1. sweepers: unlabeled addresses that forward what they receive (≥ 90 %, each send within 24 h of a
     receipt, at least `min_sweeps` sends) and whose sends reach one exchange's known wallets and no other
     exchange's. A sweeper whose every send reached that exchange is its deposit address.
  2. hot wallets: an unknown address that sweepers of one exchange (at least `min_deposits` distinct ones)
     sweep to, and no other exchange's, that moved funds directly with the exchange's known wallets at
     least once (a refill or a top-up: what tells a hot wallet from a merchant whose customers also use
     the exchange), and that paid at least `min_payees` distinct addresses outside it, is that exchange's
     hot wallet. What it received from the exchange is evidence, not a test: in the first round most of
     a hot wallet's deposit addresses are not known yet (they sweep only to it).
  Hot wallets join the exchange's known wallets and the rounds repeat until nothing new is found.
Found addresses become labels (method discovered:deposit / discovered:hot, source 'discovered') with
their evidence in discovered_deposits / discovered_hot_wallets; flows and reserves count them only with
`--with-discovered`. An address two exchanges claim stays unlabeled and is listed in label_conflicts.
Curated labels are never touched: a labeled address is never a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tracker.analytics.labels import ensure_bundled
from tracker.chains import CHAINS, chain_spec
from tracker.errors import TrackerError
from tracker.store import Store, analytic_sql, transaction

MAX_ROUNDS = 20


@dataclass(frozen=True)
class Discovery:
    chain: str
    deposits: int
    hot_wallets: int
    rounds: int
    conflicts: int


def discover_wallets(db_path: Path, chain: str | None, since: date | None, min_sweeps: int = 1,
                     min_deposits: int = 3, min_payees: int = 3) -> list[Discovery]:
    """Cluster each chain (or one) and store what is found, replacing earlier discoveries of that chain."""
    if chain is not None:
        chain_spec(chain)
    for flag, value in (("--min-sweeps", min_sweeps), ("--min-deposits", min_deposits), ("--min-payees", min_payees)):
        if value < 1:
            raise TrackerError(f"{flag} must be at least 1, got {value}")
    found = []
    with Store.open(db_path) as store:
        ensure_bundled(store)
        con = store.connection
        for name in [chain] if chain else list(CHAINS):
            scopes = {row[0] for row in con.execute("SELECT scope FROM sync_state WHERE chain = ?", [name]).fetchall()}
            if "labeled" in scopes:
                raise TrackerError(f"{name} is synced with --scope labeled: discovery needs every transfer (--scope all)")
            params = {"chain": name, "since": since.isoformat() if since else None}
            try:
                found.append(_cluster(con, params, min_sweeps, min_deposits, min_payees))
            finally:
                for table in ("discovery_wallets", "discovery_known", "discovery_sweepers", "discovery_hot",
                              "discovery_claims", "discovery_disputed"):
                    con.execute(f"DROP TABLE IF EXISTS {table}")
    return found


def _cluster(con, params: dict, min_sweeps: int, min_deposits: int, min_payees: int) -> Discovery:
    con.execute(analytic_sql("discovery_wallets"), {"chain": params["chain"]})
    con.execute(analytic_sql("discovery_known"), {"chain": params["chain"]})
    con.execute("CREATE OR REPLACE TEMP TABLE discovery_hot (address_id INTEGER, entity VARCHAR, claimants BIGINT,"
                " deposit_senders BIGINT, sweeps BIGINT, swept_in DECIMAL(38,0), received DECIMAL(38,0),"
                " from_entity DECIMAL(38,0), internal_transfers BIGINT, payees BIGINT, paid_out DECIMAL(38,0), first_seen TIMESTAMPTZ,"
                " last_seen TIMESTAMPTZ, round INTEGER)")
    con.execute("CREATE OR REPLACE TEMP TABLE discovery_disputed (address_id INTEGER, entity VARCHAR, evidence VARCHAR)")
    rounds = 0
    while True:
        rounds += 1
        con.execute(analytic_sql("discovery_sweepers"), {**params, "min_sweeps": min_sweeps})
        if rounds > MAX_ROUNDS:
            break  # the last round's sweepers (with every hot wallet found) give the deposit addresses
        con.execute("CREATE OR REPLACE TEMP TABLE discovery_claims AS " + analytic_sql("discovery_hot_claims")
                    .rstrip().rstrip(";"), {**params, "min_deposits": min_deposits})
        # Two exchanges' sweepers meet at one address: name it, label neither, never look at it again.
        con.execute(
            "INSERT INTO discovery_disputed SELECT address_id, entity, format('{} deposit addresses of {} swept {} times to it',"
            " deposit_senders, entity, sweeps) FROM discovery_claims WHERE claimants > 1"
        )
        new = con.execute(
            "INSERT INTO discovery_hot SELECT *, ? FROM discovery_claims WHERE claimants = 1"
            " AND internal_transfers > 0 AND payees >= ?", [rounds, min_payees]
        ).fetchall()[0][0]
        con.execute("INSERT INTO discovery_known SELECT DISTINCT address_id FROM discovery_claims WHERE claimants > 1")
        con.execute("INSERT INTO discovery_wallets SELECT address_id, entity, round FROM discovery_hot WHERE round = ?",
                    [rounds])
        if not new:
            break
    return _store(con, params["chain"], rounds)


def _store(con, chain: str, rounds: int) -> Discovery:
    """Replace the chain's discoveries with this run's, in one transaction."""
    deposits = "SELECT s.*, a.address FROM discovery_sweepers s JOIN addresses a USING (address_id) WHERE s.all_to_entity"
    hot = "SELECT h.*, a.address FROM discovery_hot h JOIN addresses a USING (address_id)"
    with transaction(con):
        con.execute("DELETE FROM labels WHERE chain = ? AND method LIKE 'discovered:%'", [chain])
        con.execute("DELETE FROM discovered_deposits WHERE chain = ?", [chain])
        con.execute("DELETE FROM discovered_hot_wallets WHERE chain = ?", [chain])
        # Its own conflicts (two exchanges' claims); those a curated label settled stay on record.
        con.execute("DELETE FROM label_conflicts WHERE chain = ? AND kept_entity IS NULL"
                    " AND claimed_method LIKE 'discovered:%'", [chain])
        con.execute(
            f"INSERT INTO labels SELECT ?, address, entity, 'exchange', 'deposit', 'discovered', NULL, NULL,"
            f" 'discovered:deposit' FROM ({deposits})", [chain])
        con.execute(
            f"INSERT INTO labels SELECT ?, address, entity, 'exchange', 'hot', 'discovered', NULL, NULL,"
            f" 'discovered:hot' FROM ({hot})", [chain])
        con.execute(
            f"INSERT INTO discovered_deposits SELECT ?, address, entity, sweeps, received,"
            f" forwarded, first_seen, last_seen, now() FROM ({deposits})", [chain])
        con.execute(
            f"INSERT INTO discovered_hot_wallets SELECT ?, address, entity, round, deposit_senders, sweeps,"
            f" swept_in, received, from_entity, internal_transfers, payees,"
            f" paid_out,"
            f" first_seen, last_seen, now() FROM ({hot})", [chain])
        con.execute(
            "INSERT INTO label_conflicts SELECT ?, a.address, NULL, NULL, d.entity, 'discovered:hot', d.evidence, now()"
            " FROM discovery_disputed d JOIN addresses a USING (address_id)", [chain])
        # The found wallets are watched by the ids they already have (no lookup of `addresses` by text).
        con.execute(
            f"INSERT INTO watched_addresses SELECT address, address_id FROM (SELECT address, address_id FROM ({deposits})"
            f" UNION ALL SELECT address, address_id FROM ({hot})) WHERE address NOT IN (SELECT address FROM watched_addresses)")
        counts = con.execute(
            "SELECT (SELECT count(*) FROM discovery_sweepers WHERE all_to_entity), (SELECT count(*) FROM discovery_hot),"
            " (SELECT count(DISTINCT address_id) FROM discovery_disputed)").fetchall()[0]
    return Discovery(chain, counts[0], counts[1], rounds, counts[2])
