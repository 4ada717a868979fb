"""`tracker run` end to end: Ethereum and Tron on anvil, Binance and Deribit on a local server, signals, the report."""

from __future__ import annotations

import json
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import DAY0
from tests.support.chain import Anvil, TokenChain, wallet
from tests.support.helpers import rows, run_cli
from tests.support.options_venues import Deribit, serve
from tests.support.venues import Binance, ms
from tracker.ingest.tron.address import base58_from_hex20

REPORT_DAY = "2026-03-02"  # DAY0 is 2026-03-01
DAY = 86_400


@pytest.fixture
def binance(httpserver) -> Binance:
    fake = Binance(days=120, last_day=date(2026, 3, 5))
    for path in ("/fapi/v1/fundingRate", "/futures/data/openInterestHist", "/futures/data/globalLongShortAccountRatio",
                 "/fapi/v1/klines"):
        httpserver.expect_request(path).respond_with_handler(fake.handler)
    return fake


def test_run_syncs_everything_and_prints_the_report(tmp_path: Path, anvil: Anvil, compiled, binance: Binance,
                                                    httpserver) -> None:
    ethereum = TokenChain(anvil, compiled, 10**13)
    tron = TokenChain(anvil, compiled, 10**13, layout="tron")
    exchange, tron_exchange = wallet(1), wallet(2)
    ethereum.transfer(ethereum.owner, exchange, 5_000_000, timestamp=DAY0 + DAY + 60)  # 5 USDT into ExA
    ethereum.issue(7_000_000, timestamp=DAY0 + DAY + 120)
    tron.transfer(tron.owner, tron_exchange, 2_500_000, timestamp=DAY0 + DAY + 180)  # 2.5 USDT into ExT
    anvil.rpc("evm_setNextBlockTimestamp", [DAY0 + 2 * DAY + 5])
    ethereum.mine()  # the report day is synced to its end
    tron_token = base58_from_hex20(tron.address.removeprefix("0x"))
    tron_wallet = base58_from_hex20(tron_exchange.removeprefix("0x"))
    labels = tmp_path / "labels.csv"
    labels.write_text(f"chain,address,entity\nethereum,{exchange},ExA\ntron,{tron_wallet},ExT\n")
    db = tmp_path / "run.duckdb"
    config = tmp_path / "tracker.toml"
    config.write_text(
        f'[database]\npath = "{db}"\n'
        f'[ethereum]\nrpc_url = "{anvil.url}"\ntoken = "{ethereum.address}"\nconfirmations = 0\n'
        f'[tron]\nrpc_url = "{anvil.url}"\ntoken = "{tron_token}"\nconfirmations = 0\n'
        f'[market]\nvenues = "binance"\nsymbols = "BTC"\nbinance_url = "{httpserver.url_for("/").rstrip("/")}"\n'
        f'deribit_url = "{httpserver.url_for("/").rstrip("/")}"\n'
        f'[options]\nvenues = "deribit"\nunderlyings = "BTC"\n'
        + ethereum.declaration(ethereum.symbol) + tron.declaration(tron.symbol)  # the test tokens, as a user declares
    )
    deribit = serve(httpserver, Deribit([ms(date(2026, 3, 1)), ms(date(2026, 3, 2))]))
    assert run_cli("--config", str(config), "labels", "import", str(labels)).returncode == 0
    done = run_cli("--config", str(config), "run", "--date", REPORT_DAY, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["date"] == REPORT_DAY
    flows = {row["chain"]: row for row in report["sections"]["exchange flows by chain"]}
    assert Decimal(flows["ethereum"]["inflow"]) == Decimal("5") and Decimal(flows["tron"]["inflow"]) == Decimal("2.5")
    supply = {row["chain"]: row for row in report["sections"]["supply"]}
    assert Decimal(supply["ethereum"]["minted"]) == Decimal("7")
    assert Decimal(supply["ethereum"]["total_supply_end"]) == Decimal(10**13 + 7_000_000) / 10**6
    statuses = {(row["kind"], row["source"]): row["status"] for row in report["sections"]["data status"]}
    assert statuses[("chain", "ethereum")] == "complete" and statuses[("market", "binance")] == "complete"
    assert report["regime"]["regime"] in ("risk_on", "neutral", "risk_off")
    # The market day's close, exact from the local Binance candles.
    candle = next(k for k in binance.klines if k[0] == ms(date(2026, 3, 2)))
    assert Decimal(report["sections"]["market"][0]["close"]) == Decimal(candle[4])
    assert rows(db, "SELECT chain, scope FROM sync_state ORDER BY chain") == [("ethereum", "all"), ("tron", "labeled")]
    assert "ethereum: synced to block" in done.stderr and "signals:" in done.stderr
    # The options chain is snapshotted too (the stand-in's three BTC options), with DVOL's two candles.
    assert "options: deribit" in done.stderr
    assert rows(db, "SELECT count(DISTINCT snapshot_ts), count(*) FROM options_oi") == [(1, 3)]
    assert rows(db, "SELECT count(*) FROM volatility_index") == [(2,)]
    assert any(path == "/api/v2/public/get_book_summary_by_currency" for path, _ in deribit.requests)
    # Re-running the day's job is safe: nothing doubled.
    counted = rows(db, "SELECT (SELECT count(*) FROM transfers), (SELECT count(*) FROM funding_rates), "
                       "(SELECT count(*) FROM signals)")
    again = run_cli("--config", str(config), "run", "--date", REPORT_DAY, "--format", "json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["sections"] == report["sections"]
    assert rows(db, "SELECT (SELECT count(*) FROM transfers), (SELECT count(*) FROM funding_rates), "
                    "(SELECT count(*) FROM signals)") == counted
    # a second snapshot is history, not a double: the DVOL candles stay two
    assert rows(db, "SELECT count(DISTINCT snapshot_ts), count(*) FROM options_oi") == [(2, 6)]
    assert rows(db, "SELECT count(*) FROM volatility_index") == [(2,)]


def test_run_without_network_fails_fast_naming_the_endpoint(tmp_path: Path) -> None:
    started = time.monotonic()
    done = run_cli("--db", str(tmp_path / "x.duckdb"), "run",
                   env={"TRACKER_ETH_RPC": "http://127.0.0.1:9/", "TRACKER_CONFIG": ""})
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert lines[0].startswith("error: cannot reach http://127.0.0.1:9/")
    assert time.monotonic() - started < 30
