"""Options data: instrument names, Deribit / OKX / Bybit chain snapshots, DVOL and OKX option statistics,
against local servers in each venue's format."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

import tracker.http
import tracker.market.okx
from tests.support.helpers import file_digest, rows, run_cli
from tests.support.options_venues import BybitOptions, Deribit, OkxOptions, raw_json, serve
from tests.support.venues import json_response
from tracker.errors import BadResponse, TrackerError
from tracker.market.options.instruments import OptionName, parse
from tracker.market.options.sync import sync_options

UTC = timezone.utc
TAKEN = datetime(2026, 12, 20, 9, 30, tzinfo=UTC)
DAY_MS = 86_400_000


def day_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


# --- instrument names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("venue, name, expected", [
    ("deribit", "BTC-27DEC26-90000-C", OptionName("BTC", date(2026, 12, 27), Decimal(90000), "call")),
    ("deribit", "ETH-2JAN27-3100-P", OptionName("ETH", date(2027, 1, 2), Decimal(3100), "put")),
    ("deribit", "XRP_USDC-30JAN26-0d625-C", OptionName("XRP", date(2026, 1, 30), Decimal("0.625"), "call")),
    ("bybit", "BTC-27DEC26-90000-C", OptionName("BTC", date(2026, 12, 27), Decimal(90000), "call")),
    ("bybit", "BTC-4JAN26-89000-P-USDT", OptionName("BTC", date(2026, 1, 4), Decimal(89000), "put")),
    ("bybit", "ETH-25SEP26-1600-C-USDC", OptionName("ETH", date(2026, 9, 25), Decimal(1600), "call")),
    ("okx", "BTC-USD-261227-90000-C", OptionName("BTC", date(2026, 12, 27), Decimal(90000), "call")),
    ("okx", "ETH-USD-270102-2500.5-P", OptionName("ETH", date(2027, 1, 2), Decimal("2500.5"), "put")),
])
def test_instrument_names(venue: str, name: str, expected: OptionName) -> None:
    assert parse(venue, name) == expected


def test_an_expiry_without_the_venues_time_is_0800_utc() -> None:
    assert parse("okx", "BTC-USD-260102-1-C").settlement == datetime(2026, 1, 2, 8, tzinfo=UTC)


@pytest.mark.parametrize("venue, name, why", [
    ("deribit", "BTC-27DEX26-90000-C", "is not like 27DEC26"),
    ("deribit", "BTC-31FEB26-90000-C", "not a calendar day"),
    ("deribit", "BTC-27DEC26-90000-X", "neither C nor P"),
    ("deribit", "BTC-27DEC26-90000", "expected UNDERLYING"),
    ("deribit", "BTC-27DEC26-0-C", "not positive"),
    ("deribit", "BTC-PERPETUAL", "expected UNDERLYING"),
    ("bybit", "BTC-27DEC26-90000-C-EUR", "expected UNDERLYING"),
    ("bybit", "BTC-27DEC26-9e4-C-USDT", "is not a number"),
    ("okx", "BTC-USD-261327-90000-C", "not a calendar day"),
    ("okx", "BTC-USD-27DEC26-90000-C", "is not YYMMDD"),
    ("okx", "BTC-USD-261227-0d5-C", "is not a number"),
    ("okx", "BTC-USD-SWAP", "expected UNDERLYING"),
])
def test_instrument_names_refused(venue: str, name: str, why: str) -> None:
    with pytest.raises(BadResponse, match=why):
        parse(venue, name)


# --- venues -------------------------------------------------------------------------------------------


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    asked: list[float] = []
    monkeypatch.setattr(tracker.http, "sleep", asked.append)
    return asked


DVOL_DAYS = [TAKEN.date() - timedelta(days=back) for back in range(6, -1, -1)]  # a week up to TAKEN's day


@pytest.fixture
def deribit(httpserver, monkeypatch, waits) -> Deribit:
    monkeypatch.setenv("TRACKER_DERIBIT_URL", httpserver.url_for("/").rstrip("/"))
    return serve(httpserver, Deribit([day_ms(day) for day in DVOL_DAYS]))


@pytest.fixture
def okx(httpserver, monkeypatch, waits) -> OkxOptions:
    monkeypatch.setenv("TRACKER_OKX_URL", httpserver.url_for("/").rstrip("/"))
    return serve(httpserver, OkxOptions([day_ms(day) for day in DVOL_DAYS]))


@pytest.fixture
def bybit(httpserver, monkeypatch, waits) -> BybitOptions:
    monkeypatch.setenv("TRACKER_BYBIT_URL", httpserver.url_for("/").rstrip("/"))
    return serve(httpserver, BybitOptions())


def at(moment: datetime):  # noqa: ANN201 - a clock
    return lambda: moment


CHAIN = "SELECT instrument, epoch_ms(expiry), strike, option_type, open_interest, mark_iv, underlying_price, volume " \
        "FROM options_oi WHERE venue = ? ORDER BY instrument"


def test_deribit_chain_is_stored_exactly(tmp_path: Path, deribit: Deribit) -> None:
    db = tmp_path / "o.duckdb"
    summary = sync_options(db, ["deribit"], ["BTC"], clock=at(TAKEN))
    assert summary.failures == []
    assert summary.lines[0] == "deribit BTC options: 3 instruments at 2026-12-20 09:30:00Z"
    assert rows(db, CHAIN, ["deribit"]) == [
        # expiry from get_instruments: 2026-12-27 08:00 UTC = 1798358400000 ms
        ("BTC-27DEC26-90000-C", 1798358400000, Decimal(90000), "call", Decimal("123456789.123456789012"),
         Decimal("0.5243"), Decimal("88123.45678901"), Decimal("12.5")),
        # get_instruments' own time (1 ms before 08:00) wins over the name's day; 61 % = 0.61;
        # 88001.1234567890123456 rounded half-even to 12 decimals: …789012|3456 -> …789012
        ("BTC-2JAN27-87000-P", 1798876799999, Decimal(87000), "put", Decimal("0.1"), Decimal("0.61"),
         Decimal("88001.123456789012"), Decimal(0)),
        # not in get_instruments: 08:00 UTC of 3 Jan 2027 = 1798876800000 + one day
        ("BTC-3JAN27-100000-C", 1798876800000 + DAY_MS, Decimal(100000), "call", Decimal(7), None, None, None),
    ]
    assert rows(db, "SELECT DISTINCT snapshot_ts FROM options_oi") == [(TAKEN,)]


def test_dvol_pages_by_continuation_and_resumes(tmp_path: Path, deribit: Deribit) -> None:
    db = tmp_path / "o.duckdb"
    summary = sync_options(db, ["deribit"], ["BTC"], clock=at(TAKEN))
    assert summary.lines[1] == "deribit BTC dvol: 7 daily candles"
    assert deribit.count("/api/v2/public/get_volatility_index_data") == 3  # 7 candles, 3 an answer
    ends = [int(args["end_timestamp"]) for path, args in deribit.requests
            if path == "/api/v2/public/get_volatility_index_data"]
    # the 2nd and 3rd ask up to 1 ms before the oldest candle of the previous answer
    assert ends[1:] == [day_ms(DVOL_DAYS[4]) - 1, day_ms(DVOL_DAYS[1]) - 1]
    assert rows(db, "SELECT ts, open, high, low, close, resolution FROM volatility_index ORDER BY ts LIMIT 1") == [
        (datetime.combine(DVOL_DAYS[0], datetime.min.time(), UTC), Decimal(50), Decimal("52.5"), Decimal("49.25"),
         Decimal(51), "1D")]
    # A day later, with one new candle: the sync starts at the last stored candle (re-read), nothing doubles.
    later = TAKEN + timedelta(days=1)
    deribit.dvol.append([day_ms(later.date()), 70, 71, 69, 70.5])
    deribit.requests.clear()
    again = sync_options(db, ["deribit"], ["BTC"], clock=at(later))
    assert again.lines[1] == "deribit BTC dvol: 2 daily candles"
    (first,) = [args for path, args in deribit.requests if path == "/api/v2/public/get_volatility_index_data"]
    assert int(first["start_timestamp"]) == day_ms(DVOL_DAYS[-1])
    assert rows(db, "SELECT count(*), max(close) FROM volatility_index") == [(8, Decimal("70.5"))]


def test_history_accumulates_across_snapshots_without_doubling(tmp_path: Path, deribit: Deribit,
                                                               bybit: BybitOptions) -> None:
    db = tmp_path / "o.duckdb"
    sync_options(db, ["deribit", "bybit"], ["BTC"], clock=at(TAKEN))
    second = TAKEN + timedelta(hours=8)
    bybit.tickers[0]["openInterest"] = "7.3"
    sync_options(db, ["deribit", "bybit"], ["BTC"], clock=at(second))
    sync_options(db, ["deribit", "bybit"], ["BTC"], clock=at(second))  # the same snapshot again: replaced
    assert rows(db, "SELECT venue, snapshot_ts, count(*) FROM options_oi GROUP BY ALL ORDER BY ALL") == [
        ("bybit", TAKEN, 2), ("bybit", second, 2), ("deribit", TAKEN, 3), ("deribit", second, 3)]
    assert rows(db, "SELECT snapshot_ts, open_interest FROM options_oi WHERE instrument = 'BTC-27DEC26-90000-C-USDT' "
                    "ORDER BY 1") == [(TAKEN, Decimal("6.3")), (second, Decimal("7.3"))]


def test_okx_snapshot_and_statistics_paced(tmp_path: Path, okx: OkxOptions, waits: list[float], monkeypatch) -> None:
    clock = [1000.0]  # moves only when the tool waits: the pacing does not depend on the machine's speed

    def wait(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(tracker.market.okx, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    monkeypatch.setattr(tracker.http, "sleep", wait)
    db = tmp_path / "o.duckdb"
    summary = sync_options(db, ["okx"], ["BTC"], clock=at(TAKEN))
    assert summary.failures == []
    assert summary.lines == ["okx BTC options: 2 instruments at 2026-12-20 09:30:00Z",
                             "okx BTC option statistics: 7 put/call ratios, 2 expiries, 3 strikes"]
    assert rows(db, CHAIN, ["okx"]) == [
        # fwdPx 39016.8143629068452065 rounded half-even to 12 decimals: …906845|2065 -> …906845
        ("BTC-USD-261227-90000-C", 1798358400000, Decimal(90000), "call", Decimal("123.45"),
         Decimal("0.4876708033"), Decimal("39016.814362906845"), None),
        ("BTC-USD-270102-2500.5-P", 1798876800000, Decimal("2500.5"), "put", Decimal(1), None, None, None),
    ]
    assert rows(db, "SELECT oi_ratio, volume_ratio FROM options_put_call ORDER BY ts LIMIT 1") == [
        (Decimal("0.50"), Decimal("1.05"))]
    assert rows(db, "SELECT expiry_day, call_oi, put_oi, call_volume, put_volume FROM options_oi_by_expiry "
                    "ORDER BY expiry_day") == [
        (date(2026, 12, 27), Decimal("6.4"), Decimal("18.4"), Decimal("0.7"), Decimal("0.4")),
        (date(2027, 1, 2), Decimal(1), Decimal("2.5"), Decimal(0), Decimal(0))]
    assert rows(db, "SELECT expiry_day, strike, put_oi FROM options_oi_by_strike ORDER BY ALL") == [
        (date(2026, 12, 27), Decimal(87000), Decimal("17.9")), (date(2026, 12, 27), Decimal(90000), Decimal("0.5")),
        (date(2027, 1, 2), Decimal("2500.5"), Decimal("2.5"))]
    strike_days = sorted(args["expTime"] for path, args in okx.requests
                         if path == "/api/v5/rubik/stat/option/open-interest-volume-strike")
    assert strike_days == ["20261227", "20270102"]
    # 7 requests, every one after the first 0.4 s after the one before (rubik: 5 requests per 2 s).
    assert len(okx.requests) == 7 and len(waits) == 6 and all(w == pytest.approx(0.4) for w in waits)
    sync_options(db, ["okx"], ["BTC"], clock=at(TAKEN + timedelta(days=1)))  # OKX serves the same history again
    assert rows(db, "SELECT count(*) FROM options_put_call") == [(7,)]
    assert rows(db, "SELECT count(*) FROM options_oi_by_strike") == [(3,)]


def test_bybit_pages_instruments_by_cursor(tmp_path: Path, bybit: BybitOptions) -> None:
    db = tmp_path / "o.duckdb"
    sync_options(db, ["bybit"], ["BTC"], clock=at(TAKEN))
    cursors = [args.get("cursor") for path, args in bybit.requests if path == "/v5/market/instruments-info"]
    assert cursors == [None, "1"]
    assert bybit.count("/v5/market/tickers") == 1
    assert rows(db, CHAIN, ["bybit"]) == [
        ("BTC-27DEC26-90000-C-USDT", 1798358400000, Decimal(90000), "call", Decimal("6.3"), Decimal("0.7567"),
         Decimal("88590.42"), Decimal("0.15")),
        ("BTC-2JAN27-87000-P", 1798876800000, Decimal(87000), "put", Decimal(0), Decimal("0.5"),
         Decimal("88590.42"), Decimal(0)),
    ]


@pytest.mark.parametrize("venue, message", [
    ("deribit", "deribit ETH options: Deribit: invalid currency (code 10020)"),
    ("okx", "okx ETH options: OKX: Parameter instFamily error (code 51000)"),
    ("bybit", "bybit ETH options: Bybit: params error: baseCoin invalid (retCode 10001)"),
])
def test_venue_errors_are_one_line_and_write_nothing(tmp_path: Path, deribit: Deribit, okx: OkxOptions,
                                                     bybit: BybitOptions, venue: str, message: str) -> None:
    db = tmp_path / "o.duckdb"
    sync_options(db, [venue], ["BTC"], clock=at(TAKEN))
    before = file_digest(db)
    summary = sync_options(db, [venue], ["ETH"], clock=at(TAKEN + timedelta(hours=1)))
    assert summary.failures == [message] and summary.lines == []
    with pytest.raises(TrackerError) as raised:
        summary.raise_failures()
    assert str(raised.value) == message
    assert file_digest(db) == before


def test_a_failing_venue_leaves_the_others(tmp_path: Path, deribit: Deribit, bybit: BybitOptions) -> None:
    """The answer ends mid-body on every try: Bybit's snapshot is missing, Deribit's is stored."""
    bybit.faults = [raw_json('{"retCode":0,"result":{"list":[{"symbol":"BTC-2')] * 6
    db = tmp_path / "o.duckdb"
    summary = sync_options(db, ["bybit", "deribit"], ["BTC"], clock=at(TAKEN))
    assert len(summary.failures) == 1 and summary.failures[0].startswith("bybit BTC options: Bybit: response is not")
    assert rows(db, "SELECT venue, count(*) FROM options_oi GROUP BY 1") == [("deribit", 3)]


def test_rate_limits_and_outages_are_retried_through_the_shared_policy(tmp_path: Path, deribit: Deribit,
                                                                       waits: list[float]) -> None:
    deribit.faults = [json_response({}, 429, {"Retry-After": "3"}), json_response({}, 503),
                      Deribit.error(10028, "too_many_requests", 429)]
    summary = sync_options(tmp_path / "o.duckdb", ["deribit"], ["BTC"], clock=at(TAKEN))
    assert summary.failures == []
    assert waits[0] == 3.0 and len(waits) == 3  # Retry-After honoured, then the policy's own backoff
    assert rows(tmp_path / "o.duckdb", "SELECT count(*) FROM options_oi") == [(3,)]


@pytest.mark.parametrize("venues, underlyings, message", [
    (["binance"], ["BTC"], "unknown options venue 'binance' (expected deribit, okx, bybit)"),
    (["deribit"], ["DOGE"], "no options for 'DOGE': expected BTC or ETH"),
])
def test_bad_input(tmp_path: Path, venues: list[str], underlyings: list[str], message: str) -> None:
    with pytest.raises(TrackerError) as raised:
        sync_options(tmp_path / "o.duckdb", venues, underlyings)
    assert str(raised.value) == message
    assert not (tmp_path / "o.duckdb").exists()


def test_cli_market_sync_options(tmp_path: Path, httpserver, deribit: Deribit, okx: OkxOptions,
                                 bybit: BybitOptions) -> None:
    url = httpserver.url_for("/").rstrip("/")
    env = {"TRACKER_DERIBIT_URL": url, "TRACKER_OKX_URL": url, "TRACKER_BYBIT_URL": url}
    db = tmp_path / "o.duckdb"
    done = run_cli("--db", str(db), "market", "sync", "--options", "--symbol", "BTC", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "deribit BTC options", "deribit BTC dvol", "okx BTC options", "okx BTC option statistics", "bybit BTC options"]
    assert rows(db, "SELECT venue, count(*) FROM options_oi GROUP BY 1 ORDER BY 1") == [
        ("bybit", 2), ("deribit", 3), ("okx", 2)]
    failed = run_cli("--db", str(db), "market", "sync", "--options", "--venue", "deribit", "--symbol", "BTC,ETH",
                     env=env)
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines() == [
        "error: deribit ETH options: Deribit: invalid currency (code 10020)"]
    assert failed.stdout.startswith("deribit BTC options: 3 instruments at ")
    bad = run_cli("--db", str(db), "market", "sync", "--options", "--venue", "kraken", env=env)
    assert bad.returncode == 1 and bad.stderr.strip() == \
        "error: unknown options venue 'kraken' (expected deribit, okx, bybit)"
    dated = run_cli("--db", str(db), "market", "sync", "--options", "--since", "2026-01-01", env=env)
    assert dated.returncode == 1 and dated.stderr.strip() == (
        "error: --since/--until do not apply to --options: option chains are live snapshots "
        "(DVOL resumes from what is stored)")
