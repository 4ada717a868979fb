"""Tokens of any decimals, exactly: an 18-decimal stablecoin (BNB Chain's USDT has 18) beside 6-decimal USDT.

Rows go in through the store's own write path (as a sync writes them); every figure is worked out by hand.
Amounts show at 6 places while only 6-decimal tokens are synced (USDT-only outputs read as they always did);
the first 18-decimal token widens the `amount` type and the stored amount columns to 18 places, exactly.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from tests.support.helpers import file_digest, run_cli
from tracker.analytics.labels import read_labels, store_labels
from tracker.analytics.signals import compute_signals
from tracker.errors import TrackerError
from tracker.queries import execute, resolve_sql
from tracker.store import Batch, Store

CHAIN = "ethereum"
USDT, T18 = "0x" + "11" * 20, "0x" + "18" * 20
EXA, EXB, USER = ("0x" + byte * 20 for byte in ("aa", "bb", "cc"))
D0 = date(2026, 3, 1)
BLOCKS = {10: datetime(2026, 3, 1, 12, tzinfo=timezone.utc), 20: datetime(2026, 3, 1, 13, tzinfo=timezone.utc)}


def tx(n: int) -> str:
    return f"0x{n:064x}"


def batch(token: str, symbol: str, decimals: int, transfers: list[tuple[int, int, str, str, int]], first: int = 1,
          last: int = 20) -> Batch:
    """(block, tx number, from, to, raw amount) rows as one sync step over blocks first-last."""
    frame = pl.DataFrame({
        "chain": [CHAIN] * len(transfers), "token": [token] * len(transfers),
        "block_number": [t[0] for t in transfers], "tx_hash": [tx(t[1]) for t in transfers],
        "log_index": [0] * len(transfers), "from_address": [t[2] for t in transfers],
        "to_address": [t[3] for t in transfers],
        "amount_raw": pl.Series([t[4] for t in transfers], dtype=pl.Int128).cast(pl.Decimal(38, 0)),
        "block_time": [BLOCKS[t[0]] for t in transfers], "supply_leg": pl.Series([None] * len(transfers), dtype=pl.String),
    })
    supply = frame.head(0).drop("from_address", "to_address", "supply_leg").with_columns(
        kind=pl.lit(None, dtype=pl.String), address=pl.lit(None, dtype=pl.String))
    blocks = pl.DataFrame({"chain": [CHAIN] * len(BLOCKS), "block_number": list(BLOCKS),
                           "block_hash": [tx(1000 + n) for n in BLOCKS], "block_time": list(BLOCKS.values())})
    return Batch(CHAIN, token, first, last, tx(1000 + last), frame,
                 supply, blocks, symbol=symbol, decimals=decimals)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "decimals.duckdb"
    with Store.open(path) as store:
        labels = f"chain,address,entity\n{CHAIN},{EXA},ExA\n{CHAIN},{EXB},ExB\n"
        store_labels(store, read_labels(labels, "labels.csv"), "labels.csv")
        # 100.000001 USDT into ExA
        store.write_batch(batch(USDT, "USDT", 6, [(10, 1, USER, EXA, 100_000_001)]))
    return path


def query(path: Path, sql: str, **params: str) -> list[tuple]:
    with Store.open(path) as store:
        return execute(store.connection, resolve_sql(sql) if " " not in sql else sql, params).rows


def test_an_18_decimal_token_is_exact_beside_usdt(db: Path) -> None:
    # USDT alone: amounts at 6 places, as before tokens of other decimals existed.
    assert query(db, "SELECT typeof(amount), amount FROM transfers") == [("DECIMAL(38,6)", Decimal("100.000001"))]
    csv_before = run_cli("--db", str(db), "query", "exchange_netflow_daily", "--format", "csv").stdout
    assert "ExA,100.000001,0.000000,100.000001," in csv_before

    with Store.open(db) as store:
        # 1.000000000000000001 in (one unit past 1, where a 6-place amount would read 1.000000), 0.25 on to ExB
        store.write_batch(batch(T18, "USDT18", 18, [(10, 2, USER, EXA, 10**18 + 1), (20, 3, EXA, EXB, 25 * 10**16)]))
    amounts = dict(query(db, f"SELECT token, sum(amount) FROM transfers WHERE from_address = '{USER}' GROUP BY 1"))
    assert amounts == {USDT: Decimal("100.000001"), T18: Decimal("1.000000000000000001")}
    assert query(db, "SELECT DISTINCT typeof(amount) FROM transfers") == [("DECIMAL(38,18)",)]
    # The stored amount columns widened with it (exactly: only more places).
    assert query(db, "SELECT data_type FROM information_schema.columns WHERE table_name = 'supply_events'"
                     " AND column_name = 'amount'") == [("DECIMAL(38,18)",)]

    # Per token, never summed into one token's figures; `token` is the symbol, token_address the contract.
    daily = [(row[2], row[3], row[4], row[-2], row[-1]) for row in query(db, "exchange_netflow_daily")]
    assert daily == [("ExA", Decimal("100.000001"), Decimal(0), "USDT", USDT),
                     ("ExA", Decimal("1.000000000000000001"), Decimal("0.25"), "USDT18", T18),
                     ("ExB", Decimal("0.25"), Decimal(0), "USDT18", T18)]
    assert [row[2:4] for row in query(db, "exchange_netflow_daily", token="usdt18")] == [
        ("ExA", Decimal("1.000000000000000001")), ("ExB", Decimal("0.25"))]
    # USDT's figure is the same number at the finer scale: the CSV shows every place now.
    assert "ExA,100.000001000000000000,0.000000000000000000,100.000001000000000000," in run_cli(
        "--db", str(db), "query", "exchange_netflow_daily", "-p", "token", "USDT", "--format", "csv").stdout

    # The stablecoins total adds them in USD, exactly: ExA +100.000001 and +0.750000000000000001, ExB +0.25.
    total = Decimal("100.000001") + Decimal("1.000000000000000001")
    features = {row[0]: row[2] for row in query(db, "signal_features") if row[1] == D0}
    assert features == {"all": total, "ethereum": total, "USDT": Decimal("100.000001"),
                        "USDT18": Decimal("1.000000000000000001")}
    compute_signals(db)
    assert query(db, "SELECT netflow FROM signals WHERE scope = 'all'") == [(total,)]


def test_a_token_is_never_stored_with_two_decimals(db: Path) -> None:
    before = file_digest(db)
    with Store.open(db) as store, pytest.raises(TrackerError, match=r"^ethereum token 0x1{40} is stored with 6 "
                                                                   r"decimals, not 18; nothing was written$"):
        store.write_batch(batch(USDT, "USDT", 18, [(10, 4, USER, EXB, 10**18)], first=21, last=21))
    assert file_digest(db) == before


def test_an_amount_the_scale_cannot_hold_is_refused_not_cut(db: Path) -> None:
    with Store.open(db) as store:
        store.write_batch(batch(T18, "USDT18", 18, [(10, 2, USER, EXA, 10**18)]))
    before = file_digest(db)
    # At 18 places DECIMAL(38,18) holds under 10^20 tokens: a 6-decimal raw of 10^26 (10^20 USDT) is a lie.
    with Store.open(db) as store, pytest.raises(TrackerError, match=r"amount 100,000,000,000,000,000,000,000,000 "
                                                                   r"\(raw, 6 decimals\) is 10\^20 tokens or more"):
        store.write_batch(batch(USDT, "USDT", 6, [(20, 5, USER, EXA, 10**26)], first=21, last=21))
    assert file_digest(db) == before


def test_a_finer_token_is_refused_when_stored_amounts_would_not_fit(tmp_path: Path) -> None:
    path = tmp_path / "big.duckdb"
    with Store.open(path) as store:
        # fits at 6 places (up to 10^32 tokens), not at 18
        store.write_batch(batch(USDT, "USDT", 6, [(10, 1, USER, EXA, 10**30)]))
    before = file_digest(path)
    with Store.open(path) as store, pytest.raises(TrackerError, match=r"^ethereum token 0x1{40}: amount .* is 10\^20 "
                                                                     r"tokens or more, more than 18-place amounts hold"):
        store.write_batch(batch(T18, "USDT18", 18, [(10, 2, USER, EXA, 1)]))
    assert file_digest(path) == before
    assert query(path, "SELECT typeof(amount), amount FROM transfers") == [("DECIMAL(38,6)", Decimal(10**24))]
