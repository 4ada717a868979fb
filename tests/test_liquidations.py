"""Liquidations: payloads decoded exactly as each venue documents them, stored once however often delivered."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.helpers import rows
from tracker.errors import BadResponse, TrackerError
from tracker.market.binance import binance_force_order
from tracker.market.bybit import bybit_all_liquidation
from tracker.market.okx import okx_contract_values, okx_data, okx_liquidation_frame, okx_liquidations
from tracker.market.rows import liquidation
from tracker.market.sync import upsert
from tracker.store import Store


def test_a_liquidation_is_stored_once_with_its_exact_notional(tmp_path: Path) -> None:
    db = tmp_path / "l.duckdb"
    first = liquidation("bybit", "BTC", "BTCUSDT", 1739502302929, "long", "94999.99", "0.000123", "ws", "test")
    assert first.notional_usd == Decimal("11.68499877")  # 94999.99 × 0.000123, every digit
    with Store.open(db) as store:
        assert upsert(store, [first, first]) == 1
        upsert(store, [first])  # a reconnect delivers it again
    assert rows(db, "SELECT venue, symbol, side, price, qty, notional_usd FROM liquidations") == [
        ("bybit", "BTC", "long", Decimal("94999.990000000000"), Decimal("0.000123000000"),
         Decimal("11.684998770000000000"))]


@pytest.mark.parametrize(("side", "price", "qty", "message"), [
    ("both", "1", "1", "side 'both' is neither long nor short"),
    ("long", "0", "1", "must be positive"),
    ("long", "1.0000000000001", "1", "more than 12 decimals"),
    ("short", "1e400", "1", "too large"),
])
def test_liquidations_that_cannot_be_stored_exactly_are_refused(side: str, price: str, qty: str, message: str) -> None:
    with pytest.raises(BadResponse, match=message):
        liquidation("okx", "BTC", "BTC-USDT-SWAP", 1, side, price, qty, "ws", "test")


FIXTURES = Path(__file__).resolve().parent / "fixtures" / "liquidations"


def frames(name: str) -> list:
    """One websocket text frame per line, as the venue's docs show them (bare text such as OKX's pong kept)."""
    lines = (FIXTURES / name).read_text().splitlines()
    return [line if not line.startswith(("{", "[")) else json.loads(line) for line in lines if line.strip()]


def test_binance_force_order_sell_is_a_long_liquidated_and_coin_m_is_left_out() -> None:
    ack, docs, with_type = frames("binance_force_order.jsonl")
    assert binance_force_order(ack) == []
    (row,) = binance_force_order(docs)
    assert (row.venue, row.symbol, row.instrument, row.side) == ("binance", "BTC", "BTCUSDT", "long")
    assert (row.price, row.qty, row.notional_usd) == (Decimal("9910"), Decimal("0.014"), Decimal("138.740"))
    assert row.ts == datetime(2019, 9, 9, 7, 34, 20, 893000, tzinfo=timezone.utc)
    assert binance_force_order(with_type) == [row]  # the st/ps fields added in 2026 change nothing for st 1
    assert binance_force_order({**with_type, "st": 2}) == []  # COIN-M: contracts, not coins
    bought = {**docs, "o": {**docs["o"], "S": "BUY", "ap": "9911.5", "z": "0.002"}}
    (short,) = binance_force_order(bought)
    assert (short.side, short.price, short.qty, short.notional_usd) == ("short", Decimal("9911.5"), Decimal("0.002"),
                                                                         Decimal("19.8230"))
    wrapped = [json.loads(line) for line in (FIXTURES / "binance_force_order_combined.jsonl").read_text().splitlines()]
    assert [r for frame in wrapped for r in binance_force_order(frame)] == [row]  # the ack, then the event
    with pytest.raises(BadResponse, match="side not BUY/SELL"):
        binance_force_order({**docs, "o": {**docs["o"], "S": "HOLD"}})
    with pytest.raises(BadResponse, match="expected a forceOrder event"):
        binance_force_order({"e": "markPriceUpdate"})


def test_bybit_buy_is_a_long_liquidated() -> None:
    ack, pong, push = frames("bybit_all_liquidation.jsonl")
    assert bybit_all_liquidation(ack) == [] and bybit_all_liquidation(pong) == []
    (row,) = bybit_all_liquidation(push)
    # The docs' example: "S": "Sell" — a short position was liquidated (Buy would be a long).
    assert (row.symbol, row.instrument, row.side, row.price, row.qty) == (
        "ROSE", "ROSEUSDT", "short", Decimal("0.04499"), Decimal("20000"))
    assert row.notional_usd == Decimal("899.80000") and row.ts.timestamp() == 1739502302.929
    flipped = {**push, "data": [{**push["data"][0], "S": "Buy"}]}
    assert bybit_all_liquidation(flipped)[0].side == "long"
    with pytest.raises(TrackerError, match="Bybit: Invalid topic"):
        bybit_all_liquidation({"success": False, "ret_msg": "Invalid topic", "op": "subscribe"})


def test_okx_sizes_are_contracts_times_the_contract_value() -> None:
    ack, pong, push = frames("okx_liquidation_orders.jsonl")
    assert pong == "pong"  # bare text, not JSON
    values = okx_contract_values([
        {"instId": "IOST-USDT-SWAP", "ctType": "linear", "ctVal": "1000", "ctValCcy": "IOST"},
        {"instId": "BTC-USDT-SWAP", "ctType": "linear", "ctVal": "0.01", "ctValCcy": "BTC"},
        {"instId": "BTC-USD-SWAP", "ctType": "inverse", "ctVal": "100", "ctValCcy": "USD"},
    ])
    assert values == {"IOST-USDT-SWAP": Decimal("1000"), "BTC-USDT-SWAP": Decimal("0.01")}
    assert okx_liquidation_frame(ack, values) == []
    (row,) = okx_liquidation_frame(push, values)
    # side "buy" closes a short; 13 contracts of 1,000 IOST at the bankruptcy price 0.007831
    assert (row.symbol, row.side, row.price, row.qty, row.notional_usd) == (
        "IOST", "short", Decimal("0.007831"), Decimal("13000"), Decimal("101.803000"))
    rest = okx_data(json.loads((FIXTURES / "okx_liquidation_orders_rest.json").read_text()))
    backfilled = okx_liquidations(rest, values, "rest")
    assert [(r.side, r.price, r.qty, r.source) for r in backfilled] == [
        ("short", Decimal("64198.6"), Decimal("0.1149"), "rest"), ("long", Decimal("64138.4"), Decimal("0.0031"), "rest")]
    inverse = {**push, "data": [{**push["data"][0], "instId": "BTC-USD-SWAP", "instFamily": "BTC-USD"}]}
    assert okx_liquidation_frame(inverse, values) == []  # coin-margined: contracts worth dollars
    with pytest.raises(BadResponse, match="no contract value for ETH-USDT-SWAP"):
        okx_liquidation_frame({**push, "data": [{**push["data"][0], "instId": "ETH-USDT-SWAP"}]}, values)
    with pytest.raises(TrackerError, match="OKX: Wrong URL or channel"):
        okx_liquidation_frame({"event": "error", "code": "60018", "msg": "Wrong URL or channel"}, values)


def test_the_same_liquidation_from_the_stream_and_the_backfill_is_stored_once(tmp_path: Path) -> None:
    values = {"BTC-USDT-SWAP": Decimal("0.01")}
    rest = okx_liquidations(okx_data(json.loads((FIXTURES / "okx_liquidation_orders_rest.json").read_text())), values,
                            "rest")
    streamed = [replace(rest[0], source="ws")]
    db = tmp_path / "o.duckdb"
    with Store.open(db) as store:
        upsert(store, rest)
        upsert(store, streamed)
    assert rows(db, "SELECT side, source FROM liquidations ORDER BY ts") == [("long", "rest"), ("short", "ws")]
