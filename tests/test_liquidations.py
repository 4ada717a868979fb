"""Liquidations: payloads decoded exactly as each venue documents them, stored once however often delivered."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.helpers import rows
from tracker.errors import BadResponse
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
