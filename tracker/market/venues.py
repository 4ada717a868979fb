"""The market-data venues `market sync` and `tracker run` can ask: one module each (client + decoders)."""

from __future__ import annotations

from tracker.market.binance import BinanceClient
from tracker.market.bybit import BybitClient
from tracker.market.okx import OkxClient

VENUES: dict[str, type[BinanceClient] | type[BybitClient] | type[OkxClient]] = {
    client.name: client for client in (BinanceClient, BybitClient, OkxClient)
}
