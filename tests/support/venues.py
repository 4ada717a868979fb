"""Local stand-ins for Bybit v5 and OKX v5 public market endpoints: our own data, their parameters and shapes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from werkzeug import Request, Response

DAY_MS = 86_400_000


def today() -> date:
    """The UTC day now, read per use: a suite running across midnight stays consistent."""
    return datetime.now(timezone.utc).date()


def ms(day: date, hours: int = 0) -> int:
    return int(datetime(day.year, day.month, day.day, hours, tzinfo=timezone.utc).timestamp() * 1000)


HOURLY_DAYS = 2  # the stand-ins serve hourly open interest for the last two days


def hours_before(last_day: date) -> list[int]:
    """Millisecond stamps of every hour of the HOURLY_DAYS days before `last_day`, oldest first."""
    return [ms(last_day - timedelta(days=back), hour) for back in range(HOURLY_DAYS, 0, -1) for hour in range(24)]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


class Venue:
    """Shared plumbing: injected faults first, then the routed answer; every request's path and args kept."""

    def __init__(self) -> None:
        self.faults: list[Response] = []
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.routes: dict[str, Callable[[dict[str, str]], Response]] = {}

    def handler(self, request: Request) -> Response:
        args = dict(request.args)
        self.requests.append((request.path, args))
        if self.faults:
            return self.faults.pop(0)
        return self.routes[request.path](args)

    def count(self, path: str) -> int:
        return sum(1 for seen, _ in self.requests if seen == path)


class Binance:
    """Our own data, served with Binance's parameters (startTime/endTime/limit) and payload shapes."""

    def __init__(self, days: int = 400, last_day: date | None = None) -> None:
        """`days` days of data ending the day before `last_day` (default: today)."""
        self.funding, self.oi, self.ratio, self.klines = [], [], [], []
        for back in range(days, 0, -1):
            day = (last_day or today()) - timedelta(days=back)
            for slot, hours in enumerate((0, 8, 16)):  # three settlements a day, stamped a few ms late
                self.funding.append({"symbol": "BTCUSDT", "fundingTime": ms(day, hours) + slot,
                                     "fundingRate": f"0.000{back % 7 + 1}0{slot + 1}", "markPrice": f"{60000 + back}.12345678"})
            if back <= 30:
                self.oi.append({"symbol": "BTCUSDT", "sumOpenInterest": f"{80000 + back}.5",
                                "sumOpenInterestValue": f"{(80000 + back) * 60000}.25", "timestamp": ms(day)})
                self.ratio.append({"symbol": "BTCUSDT", "longShortRatio": "1.8105", "longAccount": "0.6442",
                                   "shortAccount": "0.3558", "timestamp": ms(day)})
            self.klines.append([ms(day), "60000.10", "61000.20", "59000.30", f"{60500 + back}.40", "12345.678",
                                ms(day) + DAY_MS - 1, "746000000.1", 1000, "6000.1", "363000000.2", "0"])
        # Hourly open interest for the last HOURLY_DAYS days (period=1h), in coins and USD at exactly 60,000.
        self.oi_hourly = [{"symbol": "BTCUSDT", "sumOpenInterest": f"{81000 + i}.5",
                           "sumOpenInterestValue": f"{(81000 + i) * 60000 + 30000}", "timestamp": stamp}
                          for i, stamp in enumerate(hours_before(last_day or today()))]
        self.faults: list[Response] = []
        self.requests: list[str] = []

    def handler(self, request: Request) -> Response:
        self.requests.append(request.path)
        if self.faults:
            return self.faults.pop(0)
        args = request.args
        if args.get("symbol") != "BTCUSDT":
            return Response(json.dumps({"code": -1121, "msg": "Invalid symbol."}), status=400, content_type="application/json")
        start, end = int(args.get("startTime", 0)), int(args.get("endTime", 2**62))
        limit = int(args.get("limit", 100))
        source, stamp = {
            "/fapi/v1/fundingRate": (self.funding, lambda r: r["fundingTime"]),
            "/futures/data/openInterestHist": (self.oi_hourly if args.get("period") == "1h" else self.oi,
                                               lambda r: r["timestamp"]),
            "/futures/data/globalLongShortAccountRatio": (self.ratio, lambda r: r["timestamp"]),
            "/fapi/v1/klines": (self.klines, lambda r: r[0]),
        }[request.path]
        page = [r for r in source if start <= stamp(r) <= end][:limit]
        return Response(json.dumps(page), content_type="application/json")



class Bybit(Venue):
    PATHS = ("/v5/market/funding/history", "/v5/market/open-interest", "/v5/market/account-ratio", "/v5/market/kline")

    def __init__(self, days: int = 400) -> None:
        super().__init__()
        self.funding, self.oi, self.ratio, self.klines = [], [], [], []
        for back in range(days, 0, -1):
            day = today() - timedelta(days=back)
            for hours in (0, 8, 16):
                self.funding.append({"symbol": "BTCUSDT", "fundingRate": f"0.0000{back % 9 + 1}{hours // 8}",
                                     "fundingRateTimestamp": str(ms(day, hours))})
            self.oi.append({"openInterest": f"{50000 + back}.123", "timestamp": str(ms(day))})
            self.ratio.append({"symbol": "BTCUSDT", "buyRatio": "0.6", "sellRatio": "0.4", "timestamp": str(ms(day))})
            self.klines.append([str(ms(day)), f"{40000 + back}.5", "41000", "39000", f"{40100 + back}.25",
                                f"{1000 + back}.001", "40000000.5"])
        self.oi_hourly = [{"openInterest": f"{51000 + i}.25", "timestamp": str(stamp)}
                          for i, stamp in enumerate(hours_before(today()))]
        self.routes = {
            "/v5/market/funding/history": lambda a: self.newest_first(a, self.funding, "fundingRateTimestamp",
                                                                      "startTime", "endTime", 200),
            "/v5/market/open-interest": lambda a: self.cursored(
                a, self.oi_hourly if a.get("intervalTime") == "1h" else self.oi, 200),
            "/v5/market/account-ratio": lambda a: self.cursored(a, self.ratio, 500),
            "/v5/market/kline": lambda a: self.newest_first(a, self.klines, 0, "start", "end", 1000),
        }

    @staticmethod
    def ok(result: dict[str, Any]) -> Response:
        return json_response({"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": 1})

    @staticmethod
    def error(code: int, message: str) -> Response:
        return json_response({"retCode": code, "retMsg": message, "result": {}, "retExtInfo": {}, "time": 1})

    def selected(self, args: dict[str, str], source: list[Any], key: Any, start: str, end: str) -> list[Any] | None:
        if args.get("category") != "linear" or args.get("symbol") != "BTCUSDT":
            return None
        low, high = int(args.get(start, 0)), int(args.get(end, 2**62))
        return [row for row in reversed(source) if low <= int(row[key]) <= high]

    def newest_first(self, args: dict[str, str], source: list[Any], key: Any, start: str, end: str,
                     most: int) -> Response:
        if "startTime" in args and "endTime" not in args:  # Bybit's funding history refuses this
            return self.error(10001, "params error: endTime is required when startTime is passed")
        chosen = self.selected(args, source, key, start, end)
        if chosen is None:
            return self.error(10001, "params error: symbol invalid")
        return self.ok({"category": "linear", "symbol": "BTCUSDT", "list": chosen[: min(int(args.get("limit", 50)), most)]})

    def cursored(self, args: dict[str, str], source: list[Any], most: int) -> Response:
        chosen = self.selected(args, source, "timestamp", "startTime", "endTime")
        if chosen is None:
            return self.error(10001, "params error: symbol invalid")
        offset = int(args.get("cursor", "lastid=0").split("=")[1])
        limit = min(int(args.get("limit", 50)), most)
        page = chosen[offset: offset + limit]
        following = f"lastid={offset + limit}" if offset + limit < len(chosen) else ""
        return self.ok({"symbol": "BTCUSDT", "category": "linear", "list": page, "nextPageCursor": following})


class Okx(Venue):
    PATHS = ("/api/v5/public/funding-rate-history", "/api/v5/rubik/stat/contracts/open-interest-history",
             "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract", "/api/v5/market/history-candles")

    def __init__(self, days: int = 300) -> None:
        super().__init__()
        self.funding, self.oi, self.ratio, self.candles = [], [], [], []
        for back in range(days, 0, -1):
            day = today() - timedelta(days=back)
            for hours in (0, 8, 16):
                self.funding.append({"formulaType": "noRate", "fundingRate": "0.0001",
                                     "fundingTime": str(ms(day, hours)), "instId": "BTC-USDT-SWAP",
                                     "instType": "SWAP", "method": "current_period",
                                     "realizedRate": f"0.0000{back % 9 + 1}{hours // 8}5"})
            self.oi.append([str(ms(day)), f"{3000000 + back}", f"{30000 + back}.01", f"{(30000 + back) * 40000}.4"])
            self.ratio.append([str(ms(day)), f"1.{back % 50 + 10}"])
            self.candles.append([str(ms(day)), "40000.1", "41000.2", "39000.3", f"{40200 + back}.7",
                                 f"{20000 + back}", f"{200 + back}.5", "8000000.9", "1"])
        self.oi_hourly = [[str(stamp), f"{3100000 + i}", f"{31000 + i}.01", f"{(31000 + i) * 60000 + 600}"]  # at 60,000
                          for i, stamp in enumerate(hours_before(today()))]
        self.routes = {
            "/api/v5/public/funding-rate-history": lambda a: self.after(a, self.funding, lambda r: int(r["fundingTime"])),
            "/api/v5/rubik/stat/contracts/open-interest-history": lambda a: self.begin_end(
                a, self.oi_hourly if a.get("period") == "1H" else self.oi),
            "/api/v5/rubik/stat/contracts/long-short-account-ratio-contract": lambda a: self.begin_end(a, self.ratio),
            "/api/v5/market/history-candles": lambda a: self.after(a, self.candles, lambda r: int(r[0])),
        }

    @staticmethod
    def answer(data: list[Any], code: str = "0", msg: str = "", status: int = 200) -> Response:
        return json_response({"code": code, "msg": msg, "data": data}, status=status)

    def after(self, args: dict[str, str], source: list[Any], stamp: Callable[[Any], int]) -> Response:
        if args.get("instId") != "BTC-USDT-SWAP":
            return self.answer([], "51001", "Instrument ID does not exist")
        older_than = int(args.get("after", 2**62))
        chosen = [row for row in reversed(source) if stamp(row) < older_than]
        return self.answer(chosen[: min(int(args.get("limit", 100)), 100)])

    def begin_end(self, args: dict[str, str], source: list[Any]) -> Response:
        if args.get("instId") != "BTC-USDT-SWAP":
            return self.answer([], "51001", "Instrument ID does not exist")
        low, high = int(args.get("begin", 0)), int(args.get("end", 2**62))
        chosen = [row for row in reversed(source) if low <= int(row[0]) <= high]
        return self.answer(chosen[: min(int(args.get("limit", 100)), 100)])
