"""Two tokens synced into one chain: flows, reserves and supply stay per token, never added up.

The database is written through the store's own paths (labels import, sync batches, node readings); the
figures below are worked out by hand from the scenario. USDT's figures are checked before and after a
second token's rows arrive: they must not move, and the second token's must show up under its own token.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from tracker.analytics.labels import read_labels, store_labels
from tracker.analytics.reserves import Reading, store_reading
from tracker.queries import execute, resolve_sql
from tracker.store import Batch, Store

CHAIN = "ethereum"
USDT, OTHER = "0x" + "11" * 20, "0x" + "22" * 20
EXA, EXB, USER, OWNER, ZERO = ("0x" + byte * 20 for byte in ("aa", "bb", "cc", "dd", "00"))
D0, D1 = date(2026, 3, 1), date(2026, 3, 2)
BLOCKS = {10: datetime(2026, 3, 1, 12, tzinfo=timezone.utc), 20: datetime(2026, 3, 2, 12, tzinfo=timezone.utc),
          30: datetime(2026, 3, 2, 23, tzinfo=timezone.utc)}
LAST = 30
SUPPLY_TX = "0x" + "5a" * 32  # one transaction issues both tokens (an issuer's multicall)


def raw(text: str) -> int:
    return int(Decimal(text).scaleb(6))


def tx(n: int) -> str:
    return f"0x{n:064x}"


def d6(text: str) -> Decimal:
    return Decimal(text).quantize(Decimal("0.000001"))


# (block, tx_hash, log_index, from, to, amount, supply_leg)
USDT_TRANSFERS = [
    (10, tx(1), 0, USER, EXA, "100", None),  # inflow ExA
    (20, tx(2), 0, EXA, EXB, "30", None),  # cross-exchange ExA -> ExB
    (20, tx(3), 0, EXB, USER, "5", None),  # outflow ExB
]
USDT_SUPPLY = [(20, SUPPLY_TX, 0, "issue", None, "1000")]  # Ethereum layout: no Transfer leg, the owner is credited
# The same wallets on the same days, other amounts: any sum across tokens shows in every figure.
OTHER_TRANSFERS = [
    (10, tx(11), 0, USER, EXA, "7", None),  # inflow ExA
    (20, tx(12), 0, EXA, EXB, "2", None),  # cross-exchange ExA -> ExB
    (20, tx(13), 0, USER, EXB, "0.000001", None),  # inflow ExB
    (20, SUPPLY_TX, 2, ZERO, OWNER, "4", "mint"),  # its issue's leg, in USDT's issue transaction
]
OTHER_SUPPLY = [(20, SUPPLY_TX, 1, "issue", None, "4")]
# balanceOf and totalSupply read at the last synced block
USDT_READING = Reading(LAST, raw("5000"), OWNER, {EXA: raw("1000"), EXB: raw("25"), OWNER: raw("1000")})
OTHER_READING = Reading(LAST, raw("300"), OWNER, {EXA: raw("50"), EXB: raw("2.000001"), OWNER: raw("4")})

# By hand. exchange_netflow_daily: chain, day, entity, inflow, outflow, netflow, cross_in, cross_out, transfers,
# reserve_end, token (reserves: the anchor minus the later changes; ExA's USDT on D0 = 1000 + 30).
USDT_DAILY = [
    (CHAIN, D0, "ExA", d6("100"), d6("0"), d6("100"), d6("0"), d6("0"), 1, d6("1030"), "USDT", USDT),
    (CHAIN, D1, "ExA", d6("0"), d6("30"), d6("-30"), d6("0"), d6("30"), 1, d6("1000"), "USDT", USDT),
    (CHAIN, D1, "ExB", d6("30"), d6("5"), d6("25"), d6("30"), d6("0"), 2, d6("25"), "USDT", USDT),
]
OTHER_DAILY = [
    (CHAIN, D0, "ExA", d6("7"), d6("0"), d6("7"), d6("0"), d6("0"), 1, d6("52"), "OTHER", OTHER),
    (CHAIN, D1, "ExA", d6("0"), d6("2"), d6("-2"), d6("0"), d6("2"), 1, d6("50"), "OTHER", OTHER),
    (CHAIN, D1, "ExB", d6("2.000001"), d6("0"), d6("2.000001"), d6("2"), d6("0"), 2, d6("2.000001"), "OTHER", OTHER),
]
# exchange_reserves_daily: chain, day, entity, reserve_end, wallets, anchored_wallets, token
USDT_RESERVES = [
    (CHAIN, D0, "ExA", d6("1030"), 1, 1, "USDT", USDT), (CHAIN, D0, "ExB", d6("0"), 1, 1, "USDT", USDT),
    (CHAIN, D1, "ExA", d6("1000"), 1, 1, "USDT", USDT), (CHAIN, D1, "ExB", d6("25"), 1, 1, "USDT", USDT),
]
OTHER_RESERVES = [
    (CHAIN, D0, "ExA", d6("52"), 1, 1, "OTHER", OTHER), (CHAIN, D0, "ExB", d6("0"), 1, 1, "OTHER", OTHER),
    (CHAIN, D1, "ExA", d6("50"), 1, 1, "OTHER", OTHER), (CHAIN, D1, "ExB", d6("2.000001"), 1, 1, "OTHER", OTHER),
]
# supply_by_day: chain, token, day, minted, redeemed, destroyed, net_issuance, total_supply_end
USDT_SUPPLY_DAYS = [
    (CHAIN, USDT, D0, d6("0"), d6("0"), d6("0"), d6("0"), d6("4000")),
    (CHAIN, USDT, D1, d6("1000"), d6("0"), d6("0"), d6("1000"), d6("5000")),
]
OTHER_SUPPLY_DAYS = [
    (CHAIN, OTHER, D0, d6("0"), d6("0"), d6("0"), d6("0"), d6("296")),
    (CHAIN, OTHER, D1, d6("4"), d6("0"), d6("0"), d6("4"), d6("300")),
]


SYMBOLS = {USDT: "USDT", OTHER: "OTHER"}


def batch(token: str, transfers: list[tuple], supply: list[tuple]) -> Batch:
    """One sync step over blocks 1-30, as the sync writes it."""
    transfer_frame = pl.DataFrame({
        "chain": [CHAIN] * len(transfers), "token": [token] * len(transfers),
        "block_number": [t[0] for t in transfers], "tx_hash": [t[1] for t in transfers],
        "log_index": [t[2] for t in transfers], "from_address": [t[3] for t in transfers],
        "to_address": [t[4] for t in transfers],
        "amount_raw": pl.Series([raw(t[5]) for t in transfers], dtype=pl.Int128).cast(pl.Decimal(38, 0)),
        "block_time": [BLOCKS[t[0]] for t in transfers], "supply_leg": pl.Series([t[6] for t in transfers], dtype=pl.String),
    })
    supply_frame = pl.DataFrame({
        "chain": [CHAIN] * len(supply), "token": [token] * len(supply), "block_number": [s[0] for s in supply],
        "tx_hash": [s[1] for s in supply], "log_index": [s[2] for s in supply], "kind": [s[3] for s in supply],
        "address": pl.Series([s[4] for s in supply], dtype=pl.String),
        "amount_raw": pl.Series([raw(s[5]) for s in supply], dtype=pl.Int128).cast(pl.Decimal(38, 0)),
        "block_time": [BLOCKS[s[0]] for s in supply],
    })
    blocks = pl.DataFrame({"chain": [CHAIN] * len(BLOCKS), "block_number": list(BLOCKS),
                           "block_hash": [tx(1000 + n) for n in BLOCKS], "block_time": list(BLOCKS.values())})
    return Batch(CHAIN, token, 1, LAST, tx(1000 + LAST), transfer_frame,
                 supply_frame, blocks, symbol=SYMBOLS[token], decimals=6)


def sync_token(store: Store, token: str, transfers: list[tuple], supply: list[tuple], reading: Reading) -> None:
    store.write_batch(batch(token, transfers, supply))
    store_reading(store, CHAIN, token, reading)


def named(store: Store, name: str, **params: str) -> list[tuple]:
    return execute(store.connection, resolve_sql(name), params).rows


def figures(store: Store) -> dict[str, list[tuple]]:
    """Every flow, reserve and supply figure, as the named queries and views give them."""
    return {
        "daily": named(store, "exchange_netflow_daily"),
        "hourly": named(store, "exchange_flows_hourly"),
        "reserves": named(store, "exchange_reserves_daily"),
        "reserves_on": named(store, "exchange_reserves_on", day=D0.isoformat()),  # D1: no anchor read after it
        "supply": store.connection.execute("SELECT * FROM supply_by_day ORDER BY day, token").fetchall(),
        "supply_daily": named(store, "supply_daily"),
        "cross": named(store, "cross_exchange_matrix"),
        "owner": store.connection.execute(
            "SELECT token, day, balance_end FROM wallet_balances_daily WHERE address = ? ORDER BY ALL", [OWNER]).fetchall(),
    }


def usdt_only(found: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """The rows of USDT (by their token column; supply_daily and cross_exchange_matrix print none: by value)."""
    kept = {name: [row for row in rows if USDT in row] for name, rows in found.items()
            if name not in ("supply_daily", "cross", "owner")}
    kept["owner"] = [row for row in found["owner"] if row[0] == USDT]
    assert all(kept.values()), kept  # every figure names its token: none of these comparisons is vacuous
    return kept


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "two.duckdb") as opened:
        labels = f"chain,address,entity,category,wallet_type,source,valid_from,valid_to\n" \
                 f"{CHAIN},{EXA},ExA,exchange,hot,test,,\n{CHAIN},{EXB},ExB,exchange,hot,test,,\n"
        store_labels(opened, read_labels(labels, "labels.csv"), "labels.csv")
        sync_token(opened, USDT, USDT_TRANSFERS, USDT_SUPPLY, USDT_READING)
        yield opened


def test_usdt_figures_are_exact_before_a_second_token(store: Store) -> None:
    found = figures(store)
    assert found["daily"] == USDT_DAILY
    assert found["reserves"] == USDT_RESERVES
    assert found["reserves_on"] == USDT_RESERVES[:2]  # read from the anchor after the day: the same figures
    assert found["supply"] == USDT_SUPPLY_DAYS
    assert found["supply_daily"] == [(CHAIN, *row[2:], "USDT", USDT) for row in USDT_SUPPLY_DAYS]
    assert found["cross"] == [(CHAIN, "ExA", "ExB", d6("30"), 1, "USDT", USDT)]
    assert found["owner"] == [(USDT, D0, d6("0")), (USDT, D1, d6("1000"))]  # the issue credited to the owner


def test_a_second_token_on_the_same_chain_is_never_added_to_usdt(store: Store) -> None:
    before = figures(store)
    sync_token(store, OTHER, OTHER_TRANSFERS, OTHER_SUPPLY, OTHER_READING)
    after = figures(store)

    # USDT's figures do not move, in any view or query.
    assert usdt_only(after) == usdt_only(before)
    assert usdt_only(after)["daily"] == USDT_DAILY

    # The other token's are rows of their own: summed, ExA's D0 inflow would read 107 and its reserve 1,082.
    assert after["daily"] == sorted(USDT_DAILY + OTHER_DAILY, key=lambda row: (row[1], row[0], row[2], row[10]))
    assert [row for row in after["reserves"] if OTHER in row] == OTHER_RESERVES
    assert [row for row in after["reserves_on"] if OTHER in row] == OTHER_RESERVES[:2]
    hourly = [(row[1], row[2], row[3], row[4], row[8], row[9], row[10]) for row in after["hourly"]]
    assert hourly == [  # within an hour and entity, by the token's symbol
        (datetime(2026, 3, 1, 12), "ExA", d6("7"), d6("0"), 1, "OTHER", OTHER),
        (datetime(2026, 3, 1, 12), "ExA", d6("100"), d6("0"), 1, "USDT", USDT),
        (datetime(2026, 3, 2, 12), "ExA", d6("0"), d6("2"), 1, "OTHER", OTHER),
        (datetime(2026, 3, 2, 12), "ExA", d6("0"), d6("30"), 1, "USDT", USDT),
        (datetime(2026, 3, 2, 12), "ExB", d6("2.000001"), d6("0"), 2, "OTHER", OTHER),
        (datetime(2026, 3, 2, 12), "ExB", d6("30"), d6("5"), 2, "USDT", USDT),
    ]

    # Supply: each token from its own anchor and events (summed, D1 would read 5,300 minted 1,004).
    assert after["supply"] == sorted(USDT_SUPPLY_DAYS + OTHER_SUPPLY_DAYS, key=lambda row: (row[2], row[1]))
    # supply_daily keeps its columns (the export's and the report's): one row per token, USDT's unchanged.
    # (ordered by day, chain, then the token's symbol: OTHER before USDT)
    assert after["supply_daily"] == [
        (CHAIN, D0, *OTHER_SUPPLY_DAYS[0][3:], "OTHER", OTHER), (CHAIN, D0, *USDT_SUPPLY_DAYS[0][3:], "USDT", USDT),
        (CHAIN, D1, *OTHER_SUPPLY_DAYS[1][3:], "OTHER", OTHER), (CHAIN, D1, *USDT_SUPPLY_DAYS[1][3:], "USDT", USDT),
    ]
    # Cross-exchange moves per token too (summed: 32 in 2 transfers).
    assert after["cross"] == [(CHAIN, "ExA", "ExB", d6("30"), 1, "USDT", USDT), (CHAIN, "ExA", "ExB", d6("2"), 1, "OTHER", OTHER)]

    # The other token's mint leg shares USDT's issue transaction: it moves only the other token's balance,
    # so USDT's issue is still credited to the owner (0 before it, 1,000 after) and the other's issue is not
    # counted twice (its leg already credits the owner: 0, then 4).
    assert after["owner"] == [(USDT, D0, d6("0")), (USDT, D1, d6("1000")), (OTHER, D0, d6("0")), (OTHER, D1, d6("4"))]
