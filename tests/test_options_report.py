"""Options in named queries, signals, the report and the chart, on tests/support/dataset.py plus option chains and
DVOL candles inserted by hand (days d are dataset.day(d), 2026-01-01 + d; day 39 is 2026-02-09).

Deribit BTC, day 39: a snapshot at 08:00 (superseded: one 88000 call of 999 coins) and the one that counts at 20:00;
another at day 40 01:00 (the next day's). OKX BTC, day 39 12:00: one 88000 call of 5 coins (expiry A). Deribit's
20:00 chain (strike: call OI / put OI, coins):
  A 2026-02-13 08:00, underlying 88000: 84000: 10/40, 86000: 20/60, 88000: 30/20, 90000: 50/12, 92000: 40/-
  B 2026-02-27 08:00, underlying 88100: 80000: 5/100, 88000: 10/10, 100000: 100/5
  C 2026-03-27 08:00, underlying 88500: 120000: 200/-, 70000: -/50 (no mark IV)
Mark IV: 0.5 on A but the 90000 call (0.6) and OKX's call (0.52); 0.55 on B; 0.7 on C's call.
DVOL (Deribit, '1D'): BTC closes 50 on day 27, 66 on day 34, 50 on day 32 and 60 on day 39.
"""

from __future__ import annotations

import json
import struct
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.support import dataset
from tests.support.dataset import at, day
from tests.support.helpers import rows, run_cli

D39 = str(day(39))
EXPIRY_A, EXPIRY_B, EXPIRY_C = "2026-02-13", "2026-02-27", "2026-03-27"


def _chain() -> list[tuple]:
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


def _instrument(venue: str, expiry: str, strike: int, kind: str) -> str:
    y, m, d = expiry.split("-")
    months = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
    if venue == "okx":
        return f"BTC-USD-{y[2:]}{m}{d}-{strike}-{kind[0].upper()}"
    return f"BTC-{int(d)}{months[int(m) - 1]}{y[2:]}-{strike}-{kind[0].upper()}"


def _insert(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute("SET TimeZone = 'UTC'")
        con.executemany(
            "INSERT INTO options_oi VALUES (?, 'BTC', ?, ?, CAST(? AS TIMESTAMP) + INTERVAL 8 HOUR, ?, ?, "
            "CAST(? AS DECIMAL(38,12)), CAST(? AS DECIMAL(38,12)), CAST(? AS DECIMAL(38,12)), 1)",
            [(v, ts, _instrument(v, e, k, t), e, k, t, str(oi), iv, price) for v, ts, e, k, t, oi, iv, price in _chain()])
        con.executemany("INSERT INTO volatility_index VALUES ('deribit', 'BTC', '1D', ?, ?, ?, ?, ?)",
                        [(at(d), close, close, close, close) for d, close in ((27, 50), (34, 66), (32, 50), (39, 60))])
