"""Years of data: generate transfers directly in DuckDB, then time what users run against bare aggregates.

    .venv/bin/python bench/scale_bench.py [--transfers 100000000] [--db /tmp/scale.duckdb] [--keep]

Generates, in the tracker's own schema: `--transfers` Ethereum USDT transfers over 2 years (≈ 19 a block,
a block every 12 s, ≈ 1.3 transfers a transaction), from and to a Zipf-like pool of 5M user wallets and
2,000 labeled exchange wallets of 40 entities (≈ 35 % of transfers touch an exchange; some move between
exchanges; addresses as random as real ones), a layer of user deposit addresses (one per 100 transfers,
2-4 transfers each: a user pays it, it sweeps to its exchange within the hour) and one unlabeled hot wallet
per entity (refilled from a labeled wallet, swept to by a quarter of the deposits and the only destination
of another quarter, paying out to users) — the ground truth clustering must find, amounts log-uniform from 0.01 to 1M USDT with 1 % from 1M to
100M, block hashes for the newest `database.hashed_blocks` blocks only (as a sync keeps them), mint/burn
events, a balance anchor per exchange wallet, and 2 years of daily BTC/ETH market data on one venue. Then times, each in a fresh process (wall seconds, peak RSS), against a hand-written
DuckDB aggregate over the same rows (the floor any tool pays to read them):

  tracker report (the last day), tracker export daily_flows (every day), tracker signals, every
  queries/*.sql through `tracker query`,

and prints bytes on disk per transfer. Targets (issue 8): report ≤ 2× its bare aggregate, ≤ 40 bytes per
transfer, RSS bounded (nothing materializes the table in Python).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.store import Store, configure_session, hashed_blocks, watch_addresses  # noqa: E402

TOKEN = "0xdac17f958d2ee523a2206206994597c13d831ec7"
START = date(2024, 11, 1)
DAYS = 730
BLOCK_SECONDS = 12
USERS = 5_000_000
EXCHANGE_WALLETS = 2_000
ENTITIES = 40
TRANSFERS_PER_DEPOSIT = 100  # one deposit address per this many generated transfers
HOT_PAYOUTS = 1_000  # payouts by each unlabeled hot wallet
REPEATS = 5
# Wallet number n's address (DuckDB's sha256 of the decimal text, as hashlib gives it).
ADDRESS_SQL = "'0x' || substr(sha256(CAST({n} AS VARCHAR)), 1, 40)"


def generate(db: Path, transfers: int) -> float:
    started = time.perf_counter()
    with Store.open(db):
        pass  # schema
    blocks = DAYS * 86_400 // BLOCK_SECONDS
    per_block = transfers / blocks
    con = duckdb.connect(str(db))
    configure_session(con)
    con.execute("SET preserve_insertion_order = false")
    # Every wallet once, as the writer interns them (migration 012): exchange wallet w is address id w + 1,
    # user u is EXCHANGE_WALLETS + 1 + u. Addresses are as random as real ones (20 bytes of a hash): text
    # that repeats itself would compress to less than a real wallet's 23 bytes.
    con.execute(f"""
        INSERT INTO addresses
        SELECT CAST(1 + n AS INTEGER), {ADDRESS_SQL.format(n='n')}
        FROM range({EXCHANGE_WALLETS + USERS}) t(n)""")
    con.execute(f"""
        INSERT INTO labels
        SELECT 'ethereum', address, 'Exchange ' || ((address_id - 1) % {ENTITIES}), 'exchange', 'hot', 'bench', NULL, NULL, 'imported'
        FROM addresses WHERE address_id <= {EXCHANGE_WALLETS}""")
    # Transfers in chunks of blocks, so memory stays bounded; rows arrive in block order like a sync. Within
    # a block, transfer k is in transaction k / 1.3 (a transaction never spans blocks) with log index
    # 4k + 0..3 (other contracts' logs sit between USDT's).
    chunk_blocks = max(1, int(5_000_000 / per_block))
    first = 0
    while first < blocks:
        last = min(blocks, first + chunk_blocks)
        low, high = int(first * per_block), int(last * per_block)
        con.execute(f"""
            INSERT INTO transfer_logs
            WITH numbered AS (
                SELECT i, CAST(floor(i / {per_block}) AS BIGINT) AS block, hash(i) AS h
                FROM range({low}, {high}) t(i)
            ), sides AS (
                SELECT i, block, h,
                       greatest(0, i - CAST(ceil(block * {per_block}) AS BIGINT)) AS k,
                       -- a Zipf-like user: low numbers are the busy wallets
                       CAST(floor(pow(((h >> 8) % 1000000) / 1000000.0, 3) * {USERS}) AS BIGINT) AS user_id,
                       CAST((h >> 32) % {EXCHANGE_WALLETS} AS BIGINT) AS exchange_id,
                       CAST((h >> 44) % {EXCHANGE_WALLETS} AS BIGINT) AS other_exchange_id,
                       h % 100 AS kind
                FROM numbered
            )
            SELECT 'ethereum', '{TOKEN}', block,
                   TIMESTAMPTZ '{START} 00:00:00+00' + to_seconds(block * {BLOCK_SECONDS}),
                   unhex(md5(block || ':' || CAST(floor(k / 1.3) AS BIGINT)) || md5(CAST(floor(k / 1.3) AS BIGINT) || ':' || block)),
                   CAST(4 * k + h % 4 AS INTEGER),
                   CAST(1 + CASE WHEN kind < 17 OR kind >= 97 THEN exchange_id
                                 ELSE {EXCHANGE_WALLETS} + user_id END AS INTEGER),
                   CAST(1 + CASE WHEN kind >= 97 THEN other_exchange_id
                                 WHEN kind BETWEEN 17 AND 34 THEN exchange_id
                                 ELSE {EXCHANGE_WALLETS} + ((user_id * 7919 + 13) % {USERS}) END AS INTEGER),
                   -- log-uniform from 0.01 to 1M USDT; 1 % are 1M-100M (whales set each storage group's width)
                   CAST(floor(pow(10, CASE WHEN (h >> 56) % 100 = 0 THEN 12 + 2 * ((h >> 20) % 1000000) / 1e6
                                           ELSE 4 + 8 * ((h >> 20) % 1000000) / 1e6 END)) AS DECIMAL(38, 0)),
                   NULL
            FROM sides""")
        first = last
    _deposit_layer(con, transfers // TRANSFERS_PER_DEPOSIT, blocks)
    last_block = blocks - 1
    con.execute(f"""
        INSERT INTO blocks
        SELECT 'ethereum', b,
               -- what a sync keeps: every event block (here, every block), a hash only for the newest ones
               CASE WHEN b >= {last_block - hashed_blocks()} THEN '0x' || md5(CAST(b AS VARCHAR)) || md5(CAST(b + 1 AS VARCHAR)) END,
               TIMESTAMPTZ '{START} 00:00:00+00' + to_seconds(b * {BLOCK_SECONDS})
        FROM range(0, {blocks}) t(b)""")
    con.execute(f"INSERT INTO sync_state SELECT 'ethereum', '{TOKEN}', block_number, block_hash, now(), 'jsonrpc', 'all'"
                f" FROM blocks WHERE block_number = {last_block}")
    con.execute(f"INSERT INTO sync_ranges VALUES ('ethereum', '{TOKEN}', 0, {last_block})")
    con.execute(f"INSERT OR REPLACE INTO tokens VALUES ('ethereum', '{TOKEN}', 'USDT', 6, 0.000001)")
    con.execute(f"""
        INSERT INTO supply_events
        SELECT 'ethereum', '{TOKEN}', b * 997, TIMESTAMPTZ '{START} 00:00:00+00' + to_seconds(b * 997 * {BLOCK_SECONDS}),
               '0x' || md5('supply' || b) || md5(b || 'supply'), 0, CASE WHEN b % 3 = 0 THEN 'redeem' ELSE 'issue' END, NULL,
               CAST(1000000000000000 AS DECIMAL(38, 0)), CAST(1000000000 AS DECIMAL(38, 6))
        FROM range(0, {blocks // 997}) t(b)""")
    con.execute(f"""
        INSERT INTO balance_anchors
        SELECT 'ethereum', '{TOKEN}', address, {last_block}, CAST(5000000000000000 AS DECIMAL(38, 0)),
               CAST(5000000000 AS DECIMAL(38, 6))
        FROM labels WHERE source = 'bench'""")
    con.execute(f"""INSERT INTO supply_anchors VALUES ('ethereum', '{TOKEN}', {last_block},
                    CAST(80000000000000000 AS DECIMAL(38, 0)), CAST(80000000000 AS DECIMAL(38, 6)), NULL)""")
    for table, select in (
        ("funding_rates", "'binance', s, TIMESTAMPTZ '{start} 00:00:00+00' + to_hours(8 * k), 0.0001 + (k % 17) * 0.00001, NULL"),
        ("open_interest", "'binance', s, TIMESTAMPTZ '{start} 00:00:00+00' + to_hours(24 * (k // 3)), '1d', NULL, 1e10 + (k % 29) * 1e8"),
        ("long_short_ratio", "'binance', s, TIMESTAMPTZ '{start} 00:00:00+00' + to_hours(24 * (k // 3)), '1d', 1.1 + (k % 7) * 0.05, NULL, NULL"),
        ("prices", "'binance', s, DATE '{start}' + CAST(k // 3 AS INTEGER), 60000, 61000, 59000, 60000 + (k % 13) * 100, 1000"),
    ):
        con.execute(f"INSERT OR IGNORE INTO {table} SELECT {select.format(start=START)} "
                    f"FROM range({DAYS * 3}) t(k), (VALUES ('BTC'), ('ETH')) v(s)")
    watch_addresses(con)  # as the tracker does after writing labels and anchors
    con.execute("CHECKPOINT")
    con.close()
    return time.perf_counter() - started


# A wrapper process per measurement: its RUSAGE_CHILDREN peak is that one command's peak RSS.
_MEASURE = ("import json,resource,subprocess,sys,time; t=time.perf_counter();"
            " d=subprocess.run(sys.argv[1:], capture_output=True, text=True);"
            " print(json.dumps([d.returncode, time.perf_counter()-t,"
            " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, d.stderr[-300:]]))")


def _deposit_layer(con: duckdb.DuckDBPyConnection, deposits: int, blocks: int) -> None:
    """Deposit address k (id after the users) belongs to entity (k // 4) % 40. A user pays it; within 10 minutes it
    sweeps to a labeled wallet of its entity (k % 4 != 1). k % 4 == 0 is paid again an hour later and sweeps
    that to the entity's unlabeled hot wallet (ids after the deposits); k % 4 == 1 is paid only then and
    sweeps only there. Each
    hot wallet gets a refill from a labeled wallet of its entity and pays HOT_PAYOUTS users. Rows in time
    order (a sync appends in block order), after the random transfers."""
    first_deposit = EXCHANGE_WALLETS + USERS + 1
    first_hot = first_deposit + deposits
    con.execute(f"""
        INSERT INTO addresses
        SELECT CAST(n AS INTEGER), {ADDRESS_SQL.format(n="'deposit ' || n")} FROM range({first_deposit}, {first_hot + ENTITIES}) t(n)""")
    span = (blocks - 600) * BLOCK_SECONDS
    con.execute(f"""
        INSERT INTO transfer_logs
        WITH deposits AS (
            SELECT k, hash(k) AS h, {first_deposit} + k AS deposit_id, (k // 4) % {ENTITIES} AS entity
            FROM range({deposits}) t(k)
        ), legs AS (
            SELECT k, entity, 0 AS leg, (h % {span}) AS second,
                   1 + {EXCHANGE_WALLETS} + CAST((h >> 24) % {USERS} AS BIGINT) AS from_id, deposit_id AS to_id,
                   (h >> 40) % 1000000 AS size FROM deposits WHERE k % 4 <> 1
            UNION ALL
            SELECT k, entity, 1, (h % {span}) + 600, deposit_id,
                   1 + entity + {ENTITIES} * CAST((h >> 8) % ({EXCHANGE_WALLETS} // {ENTITIES}) AS BIGINT),
                   (h >> 40) % 1000000 FROM deposits WHERE k % 4 <> 1
            UNION ALL
            SELECT k, entity, 2, (h % {span}) + 3600, 1 + {EXCHANGE_WALLETS} + CAST((h >> 24) % {USERS} AS BIGINT),
                   deposit_id, (h >> 20) % 1000000 FROM deposits WHERE k % 4 IN (0, 1)
            UNION ALL
            SELECT k, entity, 3, (h % {span}) + 4200, deposit_id, {first_hot} + entity, (h >> 20) % 1000000
            FROM deposits WHERE k % 4 IN (0, 1)
            UNION ALL
            SELECT -1 - e, e, 4, 3600, 1 + e, {first_hot} + e, 1000000000 FROM range({ENTITIES}) t(e)
            UNION ALL
            SELECT -1000 - p, p % {ENTITIES}, 5, 7200 + hash(p) % {span}, {first_hot} + p % {ENTITIES},
                   1 + {EXCHANGE_WALLETS} + CAST(hash(p + 1) % {USERS} AS BIGINT), hash(p) % 10000000
            FROM range({ENTITIES * HOT_PAYOUTS}) t(p)
        )
        SELECT 'ethereum', '{TOKEN}', second // {BLOCK_SECONDS}, TIMESTAMPTZ '{START} 00:00:00+00' + to_seconds(second),
               unhex(md5('deposit ' || k || ':' || leg) || md5(leg || ':' || k)), 0,
               CAST(from_id AS INTEGER), CAST(to_id AS INTEGER), CAST(1000000 + size * 1000 AS DECIMAL(38, 0)), NULL
        FROM legs ORDER BY second""")


def timed(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one `tracker` process."""
    import json

    done = subprocess.run([sys.executable, "-c", _MEASURE, sys.executable, "-m", "tracker", *args],
                          capture_output=True, text=True, env=env, check=True)
    code, wall, peak, error = json.loads(done.stdout)
    if code != 0:
        raise SystemExit(f"tracker {' '.join(args)} failed: {error.strip()}")
    return wall, peak


def bare(db: Path, *statements: str) -> float:
    """The same rows aggregated by hand, in a fresh process (its start-up included, like the tool's)."""
    code = ("import duckdb,sys; con = duckdb.connect(sys.argv[1], read_only=True); con.execute(\"SET TimeZone='UTC'\");"
            " con.execute('SET enable_progress_bar = false'); [con.execute(sql).fetchall() for sql in sys.argv[2:]]")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(db), *statements], check=True)
    return time.perf_counter() - started


# Exchange inflows and outflows per entity (and day): the stored rows (migration 012) matched to the
# exchange labels by address id, two hash joins with 2,000 wallets.
BARE_FLOWS = """
WITH wallets AS (SELECT a.address_id, l.entity FROM labels l JOIN addresses a USING (address) WHERE l.category = 'exchange'),
legs AS (
    SELECT t.block_time, w.entity, t.amount_raw AS inflow, 0 AS outflow
    FROM transfer_logs t JOIN wallets w ON w.address_id = t.to_id {where}
    UNION ALL
    SELECT t.block_time, w.entity, 0, t.amount_raw
    FROM transfer_logs t JOIN wallets w ON w.address_id = t.from_id {where}
)
SELECT CAST(block_time AS DATE) AS day, entity, sum(inflow), sum(outflow) FROM legs GROUP BY ALL"""
ONE_DAY = ("WHERE t.block_time >= TIMESTAMPTZ '{day} 00:00:00+00' "
           "AND t.block_time < TIMESTAMPTZ '{day} 00:00:00+00' + INTERVAL 1 DAY")
BARE_DAY = BARE_FLOWS.replace("{where}", ONE_DAY)
BARE_ALL = BARE_FLOWS.replace("{where}", "")
# The other rows the report reads, by hand: each exchange's reserves at the end of the day and of the day
# before (the anchors at the last block, less what moved in and out after each day) and the day's supply.
BARE_RESERVES = """
WITH wallets AS (SELECT a.address_id, l.address, l.entity FROM labels l JOIN addresses a USING (address)
                 WHERE l.category = 'exchange'),
moves AS (
    SELECT w.entity, t.block_time, t.amount_raw AS delta FROM transfer_logs t JOIN wallets w ON w.address_id = t.to_id
    WHERE t.block_time >= TIMESTAMPTZ '{day} 00:00:00+00'
    UNION ALL
    SELECT w.entity, t.block_time, -t.amount_raw FROM transfer_logs t JOIN wallets w ON w.address_id = t.from_id
    WHERE t.block_time >= TIMESTAMPTZ '{day} 00:00:00+00'
),
after AS (
    SELECT entity, sum(delta) AS after_day_before,
           sum(delta) FILTER (WHERE block_time >= TIMESTAMPTZ '{day} 00:00:00+00' + INTERVAL 1 DAY) AS after_day
    FROM moves GROUP BY 1
)
SELECT w.entity, sum(a.balance_raw) - any_value(f.after_day_before), sum(a.balance_raw) - any_value(f.after_day)
FROM balance_anchors a JOIN wallets w USING (address) LEFT JOIN after f USING (entity) GROUP BY 1"""
BARE_SUPPLY = """
SELECT kind, sum(amount_raw) FROM supply_events
WHERE block_time >= TIMESTAMPTZ '{day} 00:00:00+00' AND block_time < TIMESTAMPTZ '{day} 00:00:00+00' + INTERVAL 1 DAY
GROUP BY 1"""


def generated_file(description: str, transfers: int, db: str) -> Path:
    """Parse --transfers/--days/--db/--keep and generate the file unless --keep finds one."""
    global DAYS
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--transfers", type=int, default=transfers)
    parser.add_argument("--days", type=int, default=DAYS,
                        help="days the transfers span (fewer: more transfers a block and a transaction)")
    parser.add_argument("--db", default=db)
    parser.add_argument("--keep", action="store_true", help="reuse an existing --db instead of generating")
    arguments = parser.parse_args()
    DAYS = arguments.days
    path = Path(arguments.db)
    if not (arguments.keep and path.exists()):
        for leftover in (path, Path(f"{path}.wal")):
            leftover.unlink(missing_ok=True)
        seconds = generate(path, arguments.transfers)
        print(f"generated {arguments.transfers:,} transfers in {seconds:,.0f}s")
    return path


def generated_address(n: int | str) -> str:
    return "0x" + hashlib.sha256(str(n).encode()).hexdigest()[:40]


def step_write(db: Path, rows: int = 50_000) -> tuple[float, float]:
    """Seconds one sync step's write takes (`rows` transfers, half of their addresses new) into a fresh file,
    and into one that already knows the generated file's wallets: the cost of looking addresses up."""
    import polars as pl

    from tracker.store import Batch

    when = datetime(2026, 11, 1, tzinfo=timezone.utc)
    transfers = pl.DataFrame({
        "chain": ["ethereum"] * rows, "token": [TOKEN] * rows, "block_number": [i // 20 for i in range(rows)],
        "tx_hash": [f"0x{i:064x}" for i in range(rows)], "log_index": [i % 20 for i in range(rows)],
        # known users (generated addresses) send to new wallets
        "from_address": [generated_address(EXCHANGE_WALLETS + i) for i in range(rows)],
        "to_address": [generated_address(f"new {i}") for i in range(rows)],
        "amount_raw": pl.Series([1_000_000 + i for i in range(rows)]).cast(pl.Decimal(38, 0)),
        "block_time": [when] * rows,
    })
    no_supply = transfers.head(0).select(
        "chain", "token", "block_number", "tx_hash", "log_index", kind=pl.lit("issue"), address=pl.lit(None, pl.String),
        amount_raw="amount_raw", block_time="block_time")
    last = rows // 20
    headers = pl.DataFrame({"chain": ["ethereum"], "block_number": [last], "block_hash": ["0x" + "ab" * 32],
                            "block_time": [when]})
    batch = Batch("ethereum", TOKEN, 0, last, "0x" + "ab" * 32, transfers, no_supply, headers)
    seconds = []
    for known in (False, True):
        scratch = db.with_name(f"{db.stem}-step.duckdb")
        scratch.unlink(missing_ok=True)
        with Store.open(scratch) as store:
            if known:
                store.connection.execute(f"ATTACH '{db}' AS src (READ_ONLY)")
                store.connection.execute("INSERT INTO addresses SELECT * FROM src.addresses")
                store.connection.execute("DETACH src")
                store.connection.execute("CHECKPOINT")
            started = time.perf_counter()
            store.write_batch(batch)
            seconds.append(time.perf_counter() - started)
        scratch.unlink()
    return seconds[0], seconds[1]


def clustering(db: Path, env: dict[str, str], report_day: date) -> None:
    """`labels discover` (deposit addresses and hot wallets, all history) and `labels coverage`, timed, with
    what discovery found against the generated ground truth (the deposit layer)."""
    print(f"{'what':34} {'wall s':>8} {'peak RSS':>9}")
    bounded = {**env, "TRACKER_MEMORY_LIMIT": "2GB"}
    wall, peak = timed(["labels", "discover", "--chain", "ethereum"], bounded)
    print(f"{'labels discover, memory_limit 2GB':34} {wall:8.2f} {peak / 1024:7.0f} MiB")
    for name, args in (
        ("labels discover (all history)", ["labels", "discover", "--chain", "ethereum"]),
        ("labels coverage (all days)", ["labels", "coverage", "--format", "csv"]),
        ("labels coverage (30 days)", ["labels", "coverage", "--since", str(report_day - timedelta(days=29)),
                                       "--until", str(report_day), "--format", "csv"]),
        ("labels coverage --counterparties", ["labels", "coverage", "--counterparties", "--format", "csv"]),
        ("report with discovered labels", ["report", "--date", str(report_day), "--format", "json"]),
    ):
        wall, peak = timed(args, env)
        print(f"{name:34} {wall:8.2f} {peak / 1024:7.0f} MiB")
    with duckdb.connect(str(db), read_only=True) as con:
        first_deposit = EXCHANGE_WALLETS + USERS + 1
        found = dict(con.execute(
            "SELECT l.method || CASE WHEN w.address_id >= ? THEN ' (generated)' ELSE ' (random user)' END, count(*)"
            " FROM labels l JOIN watched_addresses w USING (address) WHERE l.method LIKE 'discovered:%' GROUP BY 1",
            [first_deposit]).fetchall())
        generated = con.execute("SELECT count(*) FROM addresses WHERE address_id >= ?", [first_deposit]).fetchall()[0][0]
        rounds = con.execute("SELECT max(round) FROM discovered_hot_wallets").fetchall()[0][0]
    print(f"ground truth: {generated - ENTITIES:,} deposit addresses and {ENTITIES} unlabeled hot wallets; found "
          f"{', '.join(f'{key} {value:,}' for key, value in sorted(found.items()))}; hot wallets found by round {rounds}")


def main() -> None:
    db = generated_file(__doc__.splitlines()[0], 100_000_000, "/tmp/scale.duckdb")
    with duckdb.connect(str(db), read_only=True) as con:
        count = con.execute("SELECT count(*) FROM transfer_logs").fetchall()[0][0]
        last_day = con.execute("SELECT CAST(max(block_time) AS DATE) FROM transfer_logs").fetchall()[0][0]
        # Storage blocks (256 KiB) each table's data sits in: where the bytes go.
        by_table = {table: con.execute(f"SELECT count(DISTINCT block_id) FROM pragma_storage_info('{table}')"
                                       " WHERE persistent AND block_id >= 0").fetchall()[0][0] * 262_144 / count
                    for table in ("transfer_logs", "addresses", "blocks", "supply_events")}
    size = db.stat().st_size + (Path(f"{db}.wal").stat().st_size if Path(f"{db}.wal").exists() else 0)
    print(f"{count:,} transfers, {size / 2**30:.2f} GiB on disk = {size / count:.1f} bytes per transfer (target ≤ 40)"
          f" ({', '.join(f'{table} {value:.1f}' for table, value in by_table.items())})")
    env = {**os.environ, "TRACKER_DB": str(db), "TRACKER_BUSY_TIMEOUT": "600"}
    report_day = last_day - timedelta(days=1)
    # A warm page cache, as a daily job finds it (a cold 6 GB read costs ≈ 25 s and would swamp every ratio).
    bare(db, BARE_ALL)
    # One-day figures move by ± 15 % run to run: the median of REPEATS runs each.
    floor_day = statistics.median(bare(db, BARE_DAY.format(day=report_day)) for _ in range(REPEATS))
    floor_report = statistics.median(
        bare(db, BARE_DAY.format(day=report_day), BARE_RESERVES.format(day=report_day), BARE_SUPPLY.format(day=report_day))
        for _ in range(REPEATS))
    floor_all = bare(db, BARE_ALL)
    print(f"bare one-day flows {floor_day:.2f}s; bare one-day flows + reserves + supply (the report's rows) "
          f"{floor_report:.2f}s; bare all-days flows {floor_all:.2f}s")
    report_args = ["report", "--date", str(report_day), "--format", "json"]
    reports = [timed(report_args, env) for _ in range(REPEATS)]
    report_wall, report_peak = statistics.median(w for w, _ in reports), max(p for _, p in reports)
    print(f"report: median of {REPEATS} runs {report_wall:.2f}s (min {min(w for w, _ in reports):.2f}, "
          f"max {max(w for w, _ in reports):.2f}) = {report_wall / floor_day:.2f}× one-day flows, "
          f"{report_wall / floor_report:.2f}× the report's rows (target ≤ 2×); peak RSS {report_peak / 1024:.0f} MiB")
    runs = [
        ("export daily_flows", ["export", "daily_flows", "--format", "csv", "--out", "/dev/null"], floor_all),
        ("signals", ["signals", "--since", str(report_day)], floor_all),
    ]
    for query in sorted((ROOT / "tracker" / "sql" / "queries").glob("*.sql")):
        params = ["-p", "day", str(report_day)] if query.stem in ("report_status", "flow_by_label_method") else []
        runs.append((f"query {query.stem}", ["query", query.stem, *params, "--format", "csv"], floor_all))
    print(f"{'what':34} {'wall s':>8} {'bare s':>8} {'ratio':>6} {'peak RSS':>9}")
    for name, args, floor in runs:
        wall, peak = timed(args, env)
        print(f"{name:34} {wall:8.2f} {floor:8.2f} {wall / floor:6.2f} {peak / 1024:7.0f} MiB")
    clustering(db, env, report_day)
    with duckdb.connect(str(db), read_only=True) as con:
        wallets = con.execute("SELECT count(*) FROM addresses").fetchall()[0][0]
    empty, known = step_write(db)
    print(f"one sync step's write (50,000 transfers, 50,000 new addresses): {empty:.2f}s into an empty file, "
          f"{known:.2f}s into one knowing {wallets:,} addresses")


if __name__ == "__main__":
    main()
