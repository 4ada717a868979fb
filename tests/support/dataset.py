"""A hand-built 41-day dataset for signals and the report, written straight into the store's tables.

Days are START + d. Ethereum: exchange ExA's netflow is +1M / -1M on even / odd days 0-29, +6M on day 30,
0 on days 31-35 and -6M on days 36-39 (day 39 also: a user pays ExB 2M and ExA sends ExB 1M, so the
chain's netflow is -4M); Tether issues 600M on day 32. The sync ends 30 s into day 40 (a partial day).
Tron is synced over days 38-40 only, with no transfers. Binance BTC market data: funding 0.0001 a
settlement (3 a day), OI $1,000M, long/short 1.2, close 100 + d; day 32 and day 40 have none; days 34-35
funding 0.0002 with OI $1,200M / $1,250M (ratio 1.6 on day 35); days 36-37 funding 0.00001 and OI $800M;
days 38-39 funding -0.00005 and OI $800M.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb

from tracker.store import Store, insert_transfers, register_token, watch_addresses

START = date(2026, 1, 1)
TOKEN = "0x" + "11" * 20
TRON_TOKEN = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
EXA, EXB, USER, OWNER = ("0x" + byte * 20 for byte in ("aa", "bb", "cc", "dd"))
MILLION = 1_000_000


def day(d: int) -> date:
    return START + timedelta(days=d)


def at(d: int, hours: int = 0, seconds: int = 0) -> datetime:
    return datetime(START.year, START.month, START.day, hours, tzinfo=timezone.utc) + timedelta(days=d, seconds=seconds)


def exa_netflow(d: int) -> int:
    if d < 30:
        return 1 if d % 2 == 0 else -1
    return {30: 6}.get(d, 0 if d < 36 else -6)


def funding_rate(d: int) -> str | None:
    if d in (32, 40):
        return None
    return "0.0001" if d < 34 else {34: "0.0002", 35: "0.0002", 36: "0.00001", 37: "0.00001"}.get(d, "-0.00005")


def open_interest(d: int) -> int:
    return 1000 if d < 34 else {34: 1200, 35: 1250}.get(d, 800)


def build(db_path: Path) -> None:
    with Store.open(db_path):
        pass  # creates the file and its schema
    con = duckdb.connect(str(db_path))
    try:
        _fill(con)
    finally:
        con.close()


def _fill(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET TimeZone = 'UTC'")
    # Our own labels first: the bundled (mainnet) set is loaded only into an empty labels table.
    con.executemany("INSERT INTO labels VALUES ('ethereum', ?, ?, 'exchange', 'hot', 'test', NULL, NULL, 'imported')",
                    [(EXA, "ExA"), (EXB, "ExB")])
    transfers, blocks = [], []

    def transfer(block: int, when: datetime, index: int, sender: str, receiver: str, millions: int) -> None:
        raw = millions * MILLION * 10**6
        transfers.append(("ethereum", TOKEN, block, when, f"0x{block:060x}{index:04x}", index, sender, receiver,
                          raw, millions * MILLION, None))

    for d in range(40):
        block, when = d * 10 + 1, at(d, 12)
        blocks.append(("ethereum", block, f"0x{block:064x}", when))
        net = exa_netflow(d)
        transfer(block, when, 0, USER, EXA, 3 + max(net, 0))
        transfer(block, when, 1, EXA, USER, 3 + max(-net, 0))
        if d == 39:
            transfer(block, when, 2, USER, EXB, 2)
            transfer(block, when, 3, EXA, EXB, 1)
    con.execute("CREATE TEMP TABLE staged AS SELECT * FROM transfers LIMIT 0")
    con.executemany("INSERT INTO staged VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", transfers)
    register_token(con, "ethereum", TOKEN, "USDT", 6)
    register_token(con, "tron", TRON_TOKEN, "USDT", 6)
    insert_transfers(con, "staged")
    issue_block = 32 * 10 + 5
    blocks.append(("ethereum", issue_block, f"0x{issue_block:064x}", at(32, 6)))
    con.execute("INSERT INTO supply_events VALUES ('ethereum', ?, ?, ?, ?, 0, 'issue', NULL, ?, ?)",
                [TOKEN, issue_block, at(32, 6), f"0x{issue_block:064x}", 600 * MILLION * 10**6, 600 * MILLION])
    last = 40 * 10 + 1
    blocks.append(("ethereum", last, f"0x{last:064x}", at(40, 0, 30)))
    blocks += [("tron", 1000, f"{1000:064x}", at(38)), ("tron", 2000, f"{2000:064x}", at(40))]
    con.executemany("INSERT INTO blocks VALUES (?, ?, ?, ?)", blocks)
    con.execute("INSERT INTO sync_state (chain, token, last_block, last_block_hash, updated_at, source, scope) VALUES "
                "('ethereum', ?, ?, ?, ?, 'jsonrpc', 'all'), ('tron', ?, 2000, ?, ?, 'jsonrpc', 'labeled')",
                [TOKEN, last, f"0x{last:064x}", at(40, 1), TRON_TOKEN, f"{2000:064x}", at(40, 1)])
    con.execute("INSERT INTO sync_ranges VALUES ('ethereum', ?, 1, ?), ('tron', ?, 1000, 2000)", [TOKEN, last, TRON_TOKEN])
    con.executemany("INSERT INTO balance_anchors VALUES ('ethereum', ?, ?, ?, ?, ?)",
                    [(TOKEN, EXA, last, 100 * MILLION * 10**6, 100 * MILLION),
                     (TOKEN, EXB, last, 10 * MILLION * 10**6, 10 * MILLION)])
    con.execute("INSERT INTO supply_anchors VALUES ('ethereum', ?, ?, ?, ?, ?)",
                [TOKEN, last, 1000 * MILLION * 10**6, 1000 * MILLION, OWNER])
    funding, interest, ratios, prices = [], [], [], []
    for d in range(41):
        rate = funding_rate(d)
        if rate is None:
            continue
        funding += [("binance", "BTC", at(d, hours), rate, None) for hours in (0, 8, 16)]
        interest.append(("binance", "BTC", at(d), "1d", None, open_interest(d) * MILLION))
        ratios.append(("binance", "BTC", at(d), "1d", "1.6" if d == 35 else "1.2", None, None))
        close = 100 + d
        prices.append(("binance", "BTC", day(d), close, close, close, close, 1))
    con.executemany("INSERT INTO funding_rates VALUES (?, ?, ?, ?, ?)", funding)
    con.executemany("INSERT INTO open_interest VALUES (?, ?, ?, ?, ?, ?)", interest)
    con.executemany("INSERT INTO long_short_ratio VALUES (?, ?, ?, ?, ?, ?, ?)", ratios)
    con.executemany("INSERT INTO prices VALUES (?, ?, ?, ?, ?, ?, ?, ?)", prices)
    watch_addresses(con)  # as the tracker does after writing labels and anchors


# Issue 18 and 19 data on top of the dataset: the figures are checked by hand in the tests that use them.

def add_liquidations(db: Path) -> None:
    """Liquidations, stream coverage and estimated levels around day 39 (tests/test_liquidation_report.py checks
    its figures by hand)."""
    with duckdb.connect(str(db)) as con:
        con.execute("SET TimeZone = 'UTC'")
        con.executemany("INSERT INTO stream_coverage VALUES (?, ?, ?, ?, ?)", [
            ("okx", "liquidation-orders:SWAP", at(30), at(39), ["BTC", "ETH"]),
            ("binance", "!forceOrder@arr", at(38, 20), at(39, 6), ["BTC"]),
            ("binance", "!forceOrder@arr", at(39, 5), at(39, 10), ["BTC"]),
            ("binance", "!forceOrder@arr", at(39, 7), at(39, 8), None),  # written before the symbols column
            ("binance", "!forceOrder@arr", at(39, 9), at(39, 23), ["ETH"]),  # kept ETH only: says nothing of BTC
            ("bybit", "allLiquidation.BTCUSDT", at(39, 12), at(39, 18), ["BTC"]),
        ])
        events = [("okx", "BTC-USDT-SWAP", at(d, 3), "long", "100", "1" if d % 2 == 0 else "2") for d in range(30, 38)]
        events += [("okx", "BTC-USDT-SWAP", at(38, 3), "long", "100", "10"),
                   ("okx", "BTC-USDT-SWAP", at(38, 4), "short", "100", "4"),
                   ("binance", "BTCUSDT", at(39, 1), "long", "140.25", "2"),
                   ("binance", "BTCUSDT", at(39, 2), "long", "139.10", "1"),
                   ("binance", "BTCUSDT", at(39, 3), "short", "140.00", "1"),
                   ("bybit", "BTCUSDT", at(39, 13), "short", "141.00", "0.5")]
        con.executemany("INSERT INTO liquidations VALUES (?, 'BTC', ?, ?, ?, CAST(? AS DECIMAL(38,12)), "
                        "CAST(? AS DECIMAL(38,12)), CAST(? AS DECIMAL(38,12)) * CAST(? AS DECIMAL(38,12)), 'ws')",
                        [(v, i, t, s, p, q, p, q) for v, i, t, s, p, q in events])
        levels = [(at(34), "long", 133, 134, 1 * MILLION),  # the earlier snapshot: not used
                  (at(34, 12), "long", 133, 134, 100 * MILLION),  # midpoint 133.5: within 2 % of the close 134
                  (at(34, 12), "short", 135, 136, 50 * MILLION),  # 135.5: within 2 %
                  (at(34, 12), "short", 138, 139, 70 * MILLION),  # 138.5 (+3.4 %): within 5 % only
                  (at(34, 12), "long", 120, 121, 999 * MILLION)]  # 120.5 (-10.1 %): neither
        con.executemany("INSERT INTO liquidation_levels VALUES ('BTC', ?, ?, ?, ?, ?)", levels)
        con.executemany("INSERT INTO liquidation_level_snapshots VALUES ('BTC', ?, 134, 1)", [(at(34),), (at(34, 12),)])


EXPIRY_A, EXPIRY_B, EXPIRY_C = "2026-02-13", "2026-02-27", "2026-03-27"


def options_chain() -> list[tuple]:
    """(venue, snapshot_ts, expiry date, strike, type, OI, mark IV, underlying price) of the rows above."""
    a = [(84000, "call", 10), (86000, "call", 20), (88000, "call", 30), (90000, "call", 50), (92000, "call", 40),
         (84000, "put", 40), (86000, "put", 60), (88000, "put", 20), (90000, "put", 12)]
    b = [(80000, "call", 5), (88000, "call", 10), (100000, "call", 100),
         (80000, "put", 100), (88000, "put", 10), (100000, "put", 5)]
    evening = at(39, 20)
    found = [("deribit", evening, EXPIRY_A, k, t, oi, "0.6" if (k, t) == (90000, "call") else "0.5", "88000")
             for k, t, oi in a]
    found += [("deribit", evening, EXPIRY_B, k, t, oi, "0.55", "88100") for k, t, oi in b]
    found += [("deribit", evening, EXPIRY_C, 120000, "call", 200, "0.7", "88500"),
              ("deribit", evening, EXPIRY_C, 70000, "put", 50, None, "88500"),
              ("deribit", at(39, 8), EXPIRY_A, 88000, "call", 999, "0.9", "87000"),
              ("deribit", at(40, 1), EXPIRY_A, 88000, "call", 777, "0.9", "89000"),
              ("okx", at(39, 12), EXPIRY_A, 88000, "call", 5, "0.52", "88000")]
    return found


def option_instrument(venue: str, expiry: str, strike: int, kind: str) -> str:
    y, m, d = expiry.split("-")
    months = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
    if venue == "okx":
        return f"BTC-USD-{y[2:]}{m}{d}-{strike}-{kind[0].upper()}"
    return f"BTC-{int(d)}{months[int(m) - 1]}{y[2:]}-{strike}-{kind[0].upper()}"


def add_options(db: Path) -> None:
    """Option chains and DVOL candles around day 39 (tests/test_options_report.py checks its figures by hand)."""
    with duckdb.connect(str(db)) as con:
        con.execute("SET TimeZone = 'UTC'")
        con.executemany(
            "INSERT INTO options_oi VALUES (?, 'BTC', ?, ?, CAST(? AS TIMESTAMP) + INTERVAL 8 HOUR, ?, ?, "
            "CAST(? AS DECIMAL(38,12)), CAST(? AS DECIMAL(38,12)), CAST(? AS DECIMAL(38,12)), 1)",
            [(v, ts, option_instrument(v, e, k, t), e, k, t, str(oi), iv, price) for v, ts, e, k, t, oi, iv, price in options_chain()])
        con.executemany("INSERT INTO volatility_index VALUES ('deribit', 'BTC', '1D', ?, ?, ?, ?, ?)",
                        [(at(d), close, close, close, close) for d, close in ((27, 50), (34, 66), (32, 50), (39, 60))])
