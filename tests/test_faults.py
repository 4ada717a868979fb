"""Flaky endpoints, 20 seeded runs per path: the final database equals a clean run's, table by table."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

import tracker.http
from tests.conftest import DAY0
from tests.support.chain import Anvil, TokenChain, wallet
from tests.support.faults import (
    JSONRPC_FAULTS,
    REST_FAULTS,
    FaultPlan,
    jsonrpc_proxy,
    rest_wrapper,
)
from tests.support.helpers import all_contents, table_contents
from tests.support.trongrid_server import USDT_B58, Chain, TronGridServer
from tests.support.venues import Binance, Bybit, Okx, json_response, today
from tracker.chains import ETHEREUM, TRON
from tracker.http import HttpClient, RetryPolicy
from tracker.ingest.sync import SyncOptions, sync_chain
from tracker.ingest.tron.address import base58_from_hex20
from tracker.ingest.tron.trongrid import sync_trongrid
from tracker.market.sync import sync_market

SEEDS = range(20)
MARKET_TABLES = ("funding_rates", "open_interest", "long_short_ratio", "prices")


def flaky_client(**extra) -> HttpClient:
    # A short timeout, so the proxy's "hang" is a timeout; more attempts than faults in a row.
    return HttpClient(policy=RetryPolicy(timeout=0.3, attempts=6), **extra)


@pytest.fixture(autouse=True)
def no_waits(monkeypatch) -> None:
    monkeypatch.setattr(tracker.http, "sleep", lambda seconds: None)


@pytest.fixture
def httpserver(threaded_httpserver: HTTPServer) -> HTTPServer:
    """A threaded server: a hanging answer must not hold up the client's retry behind it."""
    return threaded_httpserver


def contents(db: Path, block_hashes: bool = True) -> dict:
    found = all_contents(db, block_hashes)
    for table in ("balance_anchors", "supply_anchors"):
        found[table] = table_contents(db, table)
    return found


def scenario(chain: TokenChain) -> None:
    owner = chain.owner.lower()
    for step in range(24):
        chain.transfer(owner, wallet(step % 5), 1_000_000 + step, timestamp=DAY0 + 100 + 600 * step)
        if step % 6 == 0:
            chain.batch([(owner, wallet(1), 7), (owner, wallet(3), 3)], timestamp=DAY0 + 600 * step + 300)
    chain.issue(5_000_000, timestamp=DAY0 + 20_000)
    chain.redeem(1_000_000, timestamp=DAY0 + 20_100)
    chain.destroy_black_funds(wallet(4), timestamp=DAY0 + 20_200)


def run_seeds(tmp_path: Path, sync, expected: dict, compare) -> Counter:
    """Sync into a fresh file once per seed through the faulty server; every result must equal `expected`."""
    seen: Counter = Counter()
    for seed in SEEDS:
        plan = FaultPlan(seed, JSONRPC_FAULTS)
        db = tmp_path / f"faulty-{seed}.duckdb"
        sync(db, plan)
        assert compare(db) == expected, f"seed {seed}: {plan.injected}"
        seen.update(plan.injected)
    return seen


@pytest.mark.parametrize("chain_name", ["ethereum", "tron"])
def test_jsonrpc_paths(tmp_path: Path, anvil: Anvil, compiled, httpserver, chain_name: str) -> None:
    tron = chain_name == "tron"
    chain = TokenChain(anvil, compiled, 10**13, layout="tron" if tron else "ethereum")
    scenario(chain)
    spec = TRON if tron else ETHEREUM
    token = base58_from_hex20(chain.address.removeprefix("0x")) if tron else chain.address

    def options(url: str) -> SyncOptions:
        return SyncOptions(rpc_url=url, token=token, from_block=0, confirmations=0, chunk_size=4)

    clean = tmp_path / "clean.duckdb"
    sync_chain(clean, spec, options(anvil.url))
    current: list[FaultPlan] = []
    httpserver.expect_request("/").respond_with_handler(jsonrpc_proxy(anvil.url, lambda: current[-1]))

    def faulty(db: Path, plan: FaultPlan) -> None:
        current.append(plan)
        sync_chain(db, spec, options(httpserver.url_for("/")), http=flaky_client())

    seen = run_seeds(tmp_path, faulty, contents(clean), contents)
    assert set(seen) == set(JSONRPC_FAULTS), seen  # every kind of fault was met at least once


def test_trongrid_path(tmp_path: Path, httpserver) -> None:
    chain = Chain().build(80, busy_blocks={30: 150, 31: 120})
    server = TronGridServer(chain, solidified=chain.first_block + 79)
    current: list[FaultPlan] = []
    throttled = lambda: json_response({"Error": "request rate exceeded"}, 403)  # noqa: E731 TronGrid's slow-down
    handler = rest_wrapper(server.handler, lambda: current[-1], throttled)
    httpserver.expect_request("/", method="POST").respond_with_handler(handler)
    for path in ("/walletsolidity/getnowblock", "/walletsolidity/getblockbynum", f"/v1/contracts/{USDT_B58}/events"):
        httpserver.expect_request(path).respond_with_handler(handler)
    url = httpserver.url_for("/").rstrip("/")
    options = SyncOptions(rpc_url=url, token=USDT_B58, from_block=chain.first_block, chunk_size=20,
                          source="trongrid", confirmations=None)
    clean = tmp_path / "clean.duckdb"
    current.append(FaultPlan(0, REST_FAULTS, rate=0.0))
    sync_trongrid(clean, options)

    def faulty(db: Path, plan: FaultPlan) -> None:
        current.append(FaultPlan(plan.seed, REST_FAULTS))
        sync_trongrid(db, options, http=flaky_client(also_retry=frozenset({403})))
        plan.injected.update(current[-1].injected)

    seen = run_seeds(tmp_path, faulty, all_contents(clean, block_hashes=False),
                     lambda db: all_contents(db, block_hashes=False))
    assert set(seen) == set(REST_FAULTS), seen


def test_market_sync(tmp_path: Path, httpserver, monkeypatch) -> None:
    venues = {"binance": Binance(days=120), "bybit": Bybit(days=120), "okx": Okx(days=120)}
    slow_down = {
        "binance": lambda: json_response({"code": -1003, "msg": "Too many requests; current limit is 2400"}, 429),
        "bybit": lambda: json_response({"retCode": 10006, "retMsg": "Too many visits!", "result": {}}),
        "okx": lambda: json_response({"code": "50011", "msg": "Too Many Requests", "data": []}),
    }
    current: list[FaultPlan] = []
    paths = {"binance": ("/fapi/v1/fundingRate", "/futures/data/openInterestHist",
                         "/futures/data/globalLongShortAccountRatio", "/fapi/v1/klines"),
             "bybit": Bybit.PATHS, "okx": Okx.PATHS}
    for name, venue in venues.items():
        for path in paths[name]:
            httpserver.expect_request(path).respond_with_handler(
                rest_wrapper(venue.handler, lambda: current[-1], slow_down[name]))
    url = httpserver.url_for("/").rstrip("/")
    for variable in ("TRACKER_BINANCE_URL", "TRACKER_BYBIT_URL", "TRACKER_OKX_URL"):
        monkeypatch.setenv(variable, url)
    since = today() - timedelta(days=100)

    def snapshot(db: Path) -> dict:
        return {table: table_contents(db, table) for table in MARKET_TABLES}

    clean = tmp_path / "clean.duckdb"
    current.append(FaultPlan(0, REST_FAULTS, rate=0.0))
    sync_market(clean, list(venues), ["BTC"], since, None)
    expected = snapshot(clean)
    assert all(expected[table] for table in MARKET_TABLES)

    def faulty(db: Path, plan: FaultPlan) -> None:
        current.append(FaultPlan(plan.seed, REST_FAULTS))
        sync_market(db, list(venues), ["BTC"], since, None, http=flaky_client())
        plan.injected.update(current[-1].injected)

    seen = run_seeds(tmp_path, faulty, expected, snapshot)
    assert set(seen) == set(REST_FAULTS), seen
