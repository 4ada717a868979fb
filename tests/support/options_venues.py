"""Local stand-ins for the venues' option endpoints: our own chains, served with each venue's parameters and
payload shapes (Deribit JSON-RPC with JSON numbers, OKX `code`/`data` strings, Bybit `retCode`/`result`)."""

from __future__ import annotations

from typing import Any

from werkzeug import Response

from tests.support.venues import Bybit, Venue, json_response

DAY_MS = 86_400_000


def raw_json(text: str, status: int = 200) -> Response:
    """A body written by hand, so numbers keep exactly the digits the test chose."""
    return Response(text, status=status, content_type="application/json")


class Deribit(Venue):
    """`/api/v2/public/*`: a BTC chain of three options and DVOL candles paged by `continuation`."""

    PATHS = ("/api/v2/public/get_instruments", "/api/v2/public/get_book_summary_by_currency",
             "/api/v2/public/get_volatility_index_data")
    PAGE = 3  # candles per answer, so that a few days need continuation

    def __init__(self, dvol_days: list[int]) -> None:
        """`dvol_days`: the candles' day starts (ms), oldest first."""
        super().__init__()
        self.dvol = [[stamp, 50 + i, 52.5 + i, 49.25, 51 + i] for i, stamp in enumerate(dvol_days)]
        self.routes = {
            "/api/v2/public/get_instruments": self.instruments,
            "/api/v2/public/get_book_summary_by_currency": self.summary,
            "/api/v2/public/get_volatility_index_data": self.volatility,
        }

    @staticmethod
    def error(code: int, message: str, status: int = 400) -> Response:
        return json_response({"jsonrpc": "2.0", "id": 1, "error": {"code": code, "message": message},
                              "usIn": 1, "usOut": 2, "usDiff": 1, "testnet": False}, status)

    @staticmethod
    def result(body: str) -> Response:
        return raw_json('{"jsonrpc":"2.0","result":' + body + ',"usIn":1,"usOut":2,"usDiff":1,"testnet":false}')

    def instruments(self, args: dict[str, str]) -> Response:
        if args.get("currency") != "BTC":
            return self.error(10020, "invalid currency")
        # 27DEC26 expires at 08:00 UTC; 2JAN27 is listed with its own time, 1 ms earlier, to show it is used.
        return self.result(
            '[{"instrument_name":"BTC-27DEC26-90000-C","kind":"option","option_type":"call","strike":90000.0,'
            '"expiration_timestamp":1798358400000,"is_active":true},'
            '{"instrument_name":"BTC-2JAN27-87000-P","kind":"option","option_type":"put","strike":87000.0,'
            '"expiration_timestamp":1798876799999,"is_active":true}]')

    def summary(self, args: dict[str, str]) -> Response:
        if args.get("currency") != "BTC" or args.get("kind") != "option":
            return self.error(10020, "invalid currency")
        # 21 significant digits: more than a double keeps (about 17), all of them within the column's 12 decimals.
        return self.result(
            '[{"instrument_name":"BTC-27DEC26-90000-C","open_interest":123456789.123456789012,"mark_iv":52.43,'
            '"underlying_price":88123.45678901,"volume":12.5,"base_currency":"BTC","quote_currency":"BTC"},'
            '{"instrument_name":"BTC-2JAN27-87000-P","open_interest":0.1,"mark_iv":61,'
            '"underlying_price":88001.1234567890123456,"volume":0,"base_currency":"BTC","quote_currency":"BTC"},'
            '{"instrument_name":"BTC-3JAN27-100000-C","open_interest":7,"mark_iv":null,'
            '"underlying_price":null,"volume":null,"base_currency":"BTC","quote_currency":"BTC"}]')

    def volatility(self, args: dict[str, str]) -> Response:
        if args.get("resolution") != "1D":
            return self.error(10019, "invalid resolution")
        start, end = int(args["start_timestamp"]), int(args["end_timestamp"])
        chosen = [c for c in self.dvol if start <= c[0] <= end]
        page = chosen[-self.PAGE:]  # the newest of the range first, like Deribit
        more = len(chosen) > self.PAGE
        body = {"data": page, "continuation": page[0][0] - 1 if more else None}
        return json_response({"jsonrpc": "2.0", "result": body})


class OkxOptions(Venue):
    """OKX option endpoints for `BTC-USD`: two instruments, statistics for two expiries."""

    PATHS = ("/api/v5/public/instruments", "/api/v5/public/opt-summary", "/api/v5/public/open-interest",
             "/api/v5/rubik/stat/option/open-interest-volume-ratio",
             "/api/v5/rubik/stat/option/open-interest-volume-expiry",
             "/api/v5/rubik/stat/option/open-interest-volume-strike")

    def __init__(self, ratio_days: list[int]) -> None:
        super().__init__()
        self.ratios = [[str(stamp), f"0.{50 + i}", f"1.{i}5"] for i, stamp in enumerate(ratio_days)]
        self.stat_ts = str(ratio_days[-1])
        self.routes = {
            "/api/v5/public/instruments": lambda a: self.family(a, [
                {"instId": "BTC-USD-261227-90000-C", "instType": "OPTION", "expTime": "1798358400000",
                 "stk": "90000", "optType": "C", "uly": "BTC-USD", "instFamily": "BTC-USD"},
                {"instId": "BTC-USD-270102-2500.5-P", "instType": "OPTION", "expTime": "1798876800000",
                 "stk": "2500.5", "optType": "P", "uly": "BTC-USD", "instFamily": "BTC-USD"}]),
            "/api/v5/public/opt-summary": lambda a: self.family(a, [
                {"instId": "BTC-USD-261227-90000-C", "instType": "OPTION", "uly": "BTC-USD",
                 "markVol": "0.4876708033", "fwdPx": "39016.8143629068452065", "ts": "1646733631242"}]),
            "/api/v5/public/open-interest": lambda a: self.family(a, [
                {"instId": "BTC-USD-261227-90000-C", "instType": "OPTION", "oi": "12345", "oiCcy": "123.45",
                 "oiUsd": "11111111.1", "ts": "1646733631242"},
                {"instId": "BTC-USD-270102-2500.5-P", "instType": "OPTION", "oi": "100", "oiCcy": "1",
                 "oiUsd": "90000", "ts": "1646733631242"}]),
            "/api/v5/rubik/stat/option/open-interest-volume-ratio": lambda a: self.coin(a, list(reversed(self.ratios))),
            "/api/v5/rubik/stat/option/open-interest-volume-expiry": lambda a: self.coin(a, [
                [self.stat_ts, "20261227", "6.4", "18.4", "0.7", "0.4"],
                [self.stat_ts, "20270102", "1", "2.5", "0", "0"]]),
            "/api/v5/rubik/stat/option/open-interest-volume-strike": self.strikes,
        }

    @staticmethod
    def answer(data: list[Any], code: str = "0", msg: str = "", status: int = 200) -> Response:
        return json_response({"code": code, "msg": msg, "data": data}, status=status)

    def family(self, args: dict[str, str], data: list[Any]) -> Response:
        if args.get("instFamily") != "BTC-USD" or args.get("instType", "OPTION") != "OPTION":
            return self.answer([], "51000", "Parameter instFamily error")
        return self.answer(data)

    def coin(self, args: dict[str, str], data: list[Any]) -> Response:
        if args.get("ccy") != "BTC" or args.get("period") != "1D":
            return self.answer([], "51000", "Parameter ccy error")
        return self.answer(data)

    def strikes(self, args: dict[str, str]) -> Response:
        by_expiry = {"20261227": [[self.stat_ts, "90000", "5.4", "0.5", "0.2", "0"],
                                  [self.stat_ts, "87000", "1", "17.9", "0.5", "0.4"]],
                     "20270102": [[self.stat_ts, "2500.5", "1", "2.5", "0", "0"]]}
        return self.coin(args, by_expiry.get(args.get("expTime", ""), []))


class BybitOptions(Venue):
    """Bybit `category=option`: instruments-info paged by cursor (one symbol a page), tickers in one answer."""

    PATHS = ("/v5/market/instruments-info", "/v5/market/tickers")

    def __init__(self) -> None:
        super().__init__()
        self.listed = [
            {"symbol": "BTC-27DEC26-90000-C-USDT", "optionsType": "Call", "status": "Trading", "baseCoin": "BTC",
             "quoteCoin": "USDT", "settleCoin": "USDT", "deliveryTime": "1798358400000", "launchTime": "1"},
            {"symbol": "BTC-2JAN27-87000-P", "optionsType": "Put", "status": "Trading", "baseCoin": "BTC",
             "quoteCoin": "USD", "settleCoin": "USDC", "deliveryTime": "1798876800000", "launchTime": "1"},
        ]
        self.tickers = [
            {"symbol": "BTC-27DEC26-90000-C-USDT", "markIv": "0.7567", "underlyingPrice": "88590.42",
             "openInterest": "6.3", "volume24h": "0.15", "markPrice": "0.00000009", "indexPrice": "88600.55"},
            {"symbol": "BTC-2JAN27-87000-P", "markIv": "0.5", "underlyingPrice": "88590.42",
             "openInterest": "0", "volume24h": "0", "markPrice": "1", "indexPrice": "88600.55"},
        ]
        self.routes = {"/v5/market/instruments-info": self.instruments, "/v5/market/tickers": self.ticker_list}

    ok, error = staticmethod(Bybit.ok), staticmethod(Bybit.error)  # Bybit's envelope, as the perpetuals' stand-in

    def instruments(self, args: dict[str, str]) -> Response:
        if args.get("category") != "option" or args.get("baseCoin") != "BTC":
            return self.error(10001, "params error: baseCoin invalid")
        offset = int(args.get("cursor", "0"))
        following = str(offset + 1) if offset + 1 < len(self.listed) else ""
        return self.ok({"category": "option", "list": self.listed[offset: offset + 1], "nextPageCursor": following})

    def ticker_list(self, args: dict[str, str]) -> Response:
        if args.get("category") != "option" or args.get("baseCoin") != "BTC":
            return self.error(10001, "params error: baseCoin invalid")
        return self.ok({"category": "option", "list": self.tickers})


def serve(httpserver: Any, fake: Venue) -> Venue:
    for path in fake.PATHS:  # type: ignore[attr-defined]
        httpserver.expect_request(path).respond_with_handler(fake.handler)
    return fake

