"""The bundled label set (tracker/data/labels): valid, one entity per address, canonical names, sourced, licensed."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest

from tracker.analytics.labels import BUNDLED_DIR, COLUMNS, Label, bundled_files, read_labels

ROOT = Path(__file__).resolve().parents[1]
LABELS_DIR = ROOT / "tracker" / "data" / "labels"

# file -> the source every one of its rows names (issuers.csv: the hand-curated facts listed in NOTICE)
FILES = {
    "ethereum-defillama.csv": "DefiLlama/DefiLlama-Adapters",
    "ethereum-eth-labels.csv": "dawsbot/eth-labels",
    "ethereum-etherscan-labels.csv": "brianleect/etherscan-labels",
    "issuers.csv": None,
    "tron-defillama.csv": "DefiLlama/DefiLlama-Adapters",
}
LICENCES = {  # source -> the licence NOTICE must name for it
    "brianleect/etherscan-labels": "MIT License",
    "dawsbot/eth-labels": "MIT License",
    "DefiLlama/DefiLlama-Adapters": "ISC License",
}
ISSUER_SOURCES = {
    "Etherscan label Tether: Treasury",
    "owner() of the USDT contract (Tether multisig): Issue/Redeem credit and debit it",
    "Tronscan label Tether: Treasury",
}
TETHER = {
    ("ethereum", "0x5754284f345afc66a98fbb0a0afe71e0f007b949"),
    ("ethereum", "0xc6cde7c39eb2f0f0095f41570af89efc2c1ea828"),
    ("tron", "TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs"),
}
# Never an exchange wallet: token contracts (and Tether's own wallets, above).
TOKENS = {
    ("ethereum", "0xdac17f958d2ee523a2206206994597c13d831ec7"),  # USDT
    ("ethereum", "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"),  # USDC
    ("ethereum", "0xabdf147870235fcfc34153828c769a70b3fae01f"),  # EURT (brianleect files it under bitfinex)
    ("ethereum", "0xc581b735a1688071a1746c968e0798d642ede491"),  # EURT
    ("ethereum", "0x68749665ff8d2d112fa859aa293f07a622782f38"),  # XAUt
    ("ethereum", "0x4922a015c4407f87432b179bb209e125432e4a2a"),  # XAUt (old)
    ("ethereum", "0x4fabb145d64652a948d72533023f6e7a623c7c53"),  # BUSD ("Binance USD" under binance)
    ("ethereum", "0xb8c77482e45f1f44de1745f52c74426c631bdd52"),  # BNB token
    ("ethereum", "0x75231f58b43240c9718dd58b4967c5114342a86c"),  # OKB token
    ("tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),  # USDT-TRC20
}
CANONICAL = {
    "Binance", "Binance.US", "OKX", "Bybit", "Bitget", "MEXC", "Coinbase", "Kraken", "Bitfinex", "HTX", "KuCoin",
    "Gate", "Crypto.com", "Upbit", "Bithumb", "Gemini", "Poloniex", "Bitstamp", "Korbit", "Coinone", "Bittrex",
    "HitBTC", "bitFlyer", "BitMEX", "FTX", "CoinEx", "Paribu", "Luno", "Indodax", "BitMart", "AscendEX", "Hotbit",
    "Bitkub", "WhiteBIT", "Bitrue", "BigONE", "CoinW", "Liquid", "Exmo", "LAToken", "XT.com", "Tether",
}
# Minimum exchange wallets per entity (what the sources gave at the pinned commits, rounded down).
ETHEREUM_MINIMUM = {
    "Binance": 55, "OKX": 200, "Bybit": 100, "Coinbase": 90, "Kraken": 30, "Bitfinex": 15, "HTX": 85, "KuCoin": 60,
    "Gate": 20, "Bitget": 50, "MEXC": 15, "Crypto.com": 10, "Upbit": 10, "Bithumb": 30, "Gemini": 8, "Poloniex": 5,
    "Binance.US": 2,
}
TRON_MINIMUM = {
    "Binance": 12, "OKX": 20, "Bybit": 30, "HTX": 15, "KuCoin": 20, "Gate": 10, "Bitget": 25, "Bitfinex": 2,
    "MEXC": 2, "Poloniex": 3,
}
# Well-known wallets each source agrees on: address -> (entity, wallet_type).
KNOWN = {
    ("ethereum", "0x28c6c06298d514db089934071355e5743bf21d60"): ("Binance", "unknown"),  # Binance 14
    ("ethereum", "0xf977814e90da44bfa03b6295a0616a897441acec"): ("Binance", "unknown"),  # Binance 8
    ("ethereum", "0x71660c4005ba85c37ccec55d0c4493e66fe775d3"): ("Coinbase", "unknown"),  # Coinbase 1
    ("ethereum", "0x2910543af39aba0cd09dbb2d50200b3e800a63d2"): ("Kraken", "unknown"),  # Kraken
    ("ethereum", "0xe9f7ecae3a53d2a67105292894676b00d1fab785"): ("Kraken", "hot"),  # Kraken: Hot Wallet
    ("ethereum", "0xc9cf0ec93d764f5c9571fd12f764bae7fc87c84e"): ("Upbit", "cold"),  # Upbit: Cold Wallet
    ("ethereum", "0x61189da79177950a7272c88c6058b96d4bcd6be2"): ("Binance.US", "unknown"),  # Binance US
    ("ethereum", "0x0639556f03714a74a5feeaf5736a4a64ff70d206"): ("Bitget", "unknown"),  # Bitget 4
    ("ethereum", "0x1db92e2eebc8e0c075a02bea49a2935bcd2dfcf4"): ("Bybit", "unknown"),
    ("tron", "TJDENsfBJs4RFETt1X1W8wMDc8M5XnJhCe"): ("Binance", "unknown"),
    ("tron", "TV6MuMXfmLbBqPZvBHdwFsDnQeVfnmiuSi"): ("Binance", "unknown"),
    ("tron", "TCz47XgC9TjCeF4UzfB6qZbM9LTF9s1tG7"): ("OKX", "unknown"),
    ("tron", "TB1WQmj63bHV9Qmuhp39WABzutphMAetSc"): ("Bybit", "unknown"),
    ("tron", "TT5iK8oqGEyRKJAnRwrLSZ4fM5y77F2LNT"): ("HTX", "unknown"),
    ("tron", "TEWzF5ZsaWMh6sTNDPrYaPJrK8TTMGfwCC"): ("KuCoin", "unknown"),
}


def load() -> dict[str, list[Label]]:
    return {entry.name: read_labels(entry.read_text(encoding="utf-8"), str(entry)) for entry in bundled_files()}


@pytest.fixture(scope="module")
def bundled() -> dict[str, list[Label]]:
    return load()


@pytest.fixture(scope="module")
def labels(bundled: dict[str, list[Label]]) -> list[Label]:
    return [label for rows in bundled.values() for label in rows]


def test_every_file_is_valid_with_the_exact_header_and_sorted(bundled: dict[str, list[Label]]) -> None:
    assert sorted(bundled) == sorted(FILES)  # and default.csv (Dune-sourced rows) is gone
    assert not (BUNDLED_DIR / "default.csv").is_file()
    # the manifest (what the loader reads) names exactly the CSVs in the checkout
    assert (LABELS_DIR / "MANIFEST").read_text().split() == sorted(p.name for p in LABELS_DIR.glob("*.csv"))
    for name, rows in bundled.items():
        text = (LABELS_DIR / name).read_text(encoding="utf-8")
        assert text.splitlines()[0] == ",".join(COLUMNS), name
        raw = list(csv.DictReader(io.StringIO(text)))
        assert len(raw) == len(rows) > 0, name
        assert all(r["valid_from"] == "" and r["valid_to"] == "" for r in raw), name
        # stored spelling as given: Ethereum lower-case hex, Tron base58 (read_labels checked base58check)
        assert [r["address"] for r in raw] == [l.address for l in rows], name
        assert rows == sorted(rows, key=lambda l: (l.chain, l.entity, l.address)), name
        chain = name.split("-", 1)[0]
        if chain in ("ethereum", "tron"):
            assert {l.chain for l in rows} == {chain}, name


def test_one_entity_per_address_across_all_files(labels: list[Label]) -> None:
    counts = Counter((l.chain, l.address) for l in labels)
    assert [key for key, n in counts.items() if n > 1] == []
    assert all(l.address == l.address.lower() for l in labels if l.chain == "ethereum")
    assert all(l.address.startswith("T") and len(l.address) == 34 for l in labels if l.chain == "tron")


def test_tokens_and_tether_wallets_are_never_exchanges(labels: list[Label]) -> None:
    by_key = {(l.chain, l.address): l for l in labels}
    for key in TOKENS | TETHER:
        assert key not in by_key or by_key[key].category != "exchange", key
    assert not TOKENS & set(by_key)
    tether = {(l.chain, l.address) for l in labels if l.entity == "Tether"}
    assert tether == TETHER
    assert {(by_key[k].category, by_key[k].wallet_type) for k in TETHER} == {("issuer", "treasury")}
    assert all(l.category == "exchange" for l in labels if l.entity != "Tether")


def test_entity_names_are_canonical(labels: list[Label]) -> None:
    entities = {l.entity for l in labels}
    assert entities <= CANONICAL, entities - CANONICAL
    for spelling in ("OKEx", "Huobi", "Gate.io", "Kucoin", "Binance US", "Crypto.com: MultiSig", "Mexc.com"):
        assert spelling not in entities


def test_every_row_names_a_source_in_notice(bundled: dict[str, list[Label]]) -> None:
    notice = (LABELS_DIR / "NOTICE").read_text(encoding="utf-8")
    for source, licence in LICENCES.items():
        section = notice.split(f"URL:       https://github.com/{source}\n", 1)[1][:1200]
        assert "Commit" in section.split("Licence:")[0], source
        assert f"Licence:   {licence}" in section, source
    assert "Permission is hereby granted, free of charge" in notice  # MIT text, as MIT requires
    assert "Permission to use, copy, modify, and/or distribute this software" in notice  # ISC text
    for name, source in FILES.items():
        assert name in notice
        for label in bundled[name]:
            if source is None:
                assert label.source in ISSUER_SOURCES and f"\"{label.source}\"" in notice, label
            else:
                assert label.source.startswith(f"{source}: ") and len(label.source) > len(source) + 2, label
    assert "dune" not in " ".join(l.source.lower() for rows in bundled.values() for l in rows)


def test_the_top_exchanges_are_covered_on_both_chains(labels: list[Label]) -> None:
    per = Counter((l.chain, l.entity) for l in labels if l.category == "exchange")
    for entity, minimum in ETHEREUM_MINIMUM.items():
        assert per[("ethereum", entity)] >= minimum, (entity, per[("ethereum", entity)])
    for entity, minimum in TRON_MINIMUM.items():
        assert per[("tron", entity)] >= minimum, (entity, per[("tron", entity)])
    assert sum(n for (chain, _), n in per.items() if chain == "ethereum") >= 950
    assert sum(n for (chain, _), n in per.items() if chain == "tron") >= 150


def test_well_known_wallets_have_the_right_entity_and_type(labels: list[Label]) -> None:
    by_key = {(l.chain, l.address): (l.entity, l.wallet_type) for l in labels}
    for key, expected in KNOWN.items():
        assert by_key.get(key) == expected, key
    types = Counter(l.wallet_type for l in labels)
    assert types["hot"] >= 25 and types["cold"] >= 15 and set(types) <= {"hot", "cold", "deposit", "treasury", "unknown"}
