"""Label import (our CSV and Dune's cex lists), validation, conflicts, idempotence, the bundled set."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.support.helpers import file_digest, rows, run_cli
from tracker.analytics.labels import BUNDLED_DIR, bundled_files, read_labels
from tracker.errors import TrackerError

HEADER = "chain,address,entity,category,wallet_type,source,valid_from,valid_to\n"
GOOD = HEADER + (
    "ethereum,0x28C6c06298d514Db089934071355E5743bf21d60,Binance,exchange,hot,etherscan,,\n"  # valid EIP-55
    "ethereum,0x71660c4005ba85c37ccec55d0c4493e66fe775d3,Coinbase,,,,,\n"  # lower case: no checksum to check
    "tron,TJDENsfBJs4RFETt1X1W8wMDc8M5XnJhCe,Binance,exchange,hot,tronscan,2024-01-01,\n"
    "tron,41a614f803b6fd780986a42c78ec9c7f77e6ded13c,Example,other,unknown,test,,\n"  # 41-hex stored as base58
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def import_file(db: Path, path: Path, *extra: str):
    return run_cli("--db", str(db), "labels", "import", str(path), *extra)


def test_import_validates_normalizes_and_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    path = write(tmp_path, "good.csv", GOOD)
    first = import_file(db, path)
    assert first.returncode == 0, first.stderr
    # Three rows re-label wallets of the bundled set (same entity, new details): replaced, not doubled.
    assert "4 labels: 1 added, 3 replaced, 0 unchanged" in first.stdout
    again = import_file(db, path)
    assert "4 labels: 0 added, 0 replaced, 4 unchanged" in again.stdout
    mine = rows(db, "SELECT chain, address, entity, category, wallet_type, source FROM labels WHERE address IN"
                    " ('0x28c6c06298d514db089934071355e5743bf21d60', '0x71660c4005ba85c37ccec55d0c4493e66fe775d3',"
                    " 'TJDENsfBJs4RFETt1X1W8wMDc8M5XnJhCe', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t') ORDER BY chain, address")
    assert mine == [
        ("ethereum", "0x28c6c06298d514db089934071355e5743bf21d60", "Binance", "exchange", "hot", "etherscan"),
        ("ethereum", "0x71660c4005ba85c37ccec55d0c4493e66fe775d3", "Coinbase", "exchange", "unknown", "import:good.csv"),
        ("tron", "TJDENsfBJs4RFETt1X1W8wMDc8M5XnJhCe", "Binance", "exchange", "hot", "tronscan"),
        ("tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "Example", "other", "unknown", "test"),
    ]
    # Changing a row's wallet type replaces that row only.
    changed = import_file(db, write(tmp_path, "changed.csv", HEADER + "ethereum,0x71660c4005ba85c37ccec55d0c4493e66fe775d3,Coinbase,exchange,hot,x,,\n"))
    assert "1 labels: 0 added, 1 replaced, 0 unchanged" in changed.stdout


BROKEN = [
    ("ethereum,0x28C6c06298d514Db089934071355E5743bf21d61,Binance,,,,,\n", "line 2: invalid ethereum address"),  # bad EIP-55
    ("tron,TJDENsfBJs4RFETt1X1W8wMDc8M5XnJhCf,Binance,,,,,\n", "line 2: invalid Tron address"),
    ("solana,abc,Binance,,,,,\n", "line 2: unknown chain 'solana'"),
    ("ethereum,0x71660c4005ba85c37ccec55d0c4493e66fe775d3,,,,,,\n", "line 2: entity is empty"),
    ("ethereum,0x71660c4005ba85c37ccec55d0c4493e66fe775d3,X,casino,,,,\n", "line 2: category 'casino'"),
    ("ethereum,0x71660c4005ba85c37ccec55d0c4493e66fe775d3,X,,,,2026-13-01,\n", "line 2: valid_from '2026-13-01'"),
    ("ethereum,0x71660c4005ba85c37ccec55d0c4493e66fe775d3,X,,,,,,extra\n", "line 2: more fields than columns"),
    ("ethereum,0x71660c4005ba85c37ccec55d0c4493e66fe775d3,X,,,,,\n"
     "ethereum,0x71660c4005ba85c37ccec55d0c4493e66fe775d3,Y,,,,,\n", "line 3: conflict"),
    ("ethereum,0x71660c4005ba85c37ccec55d0c4493e66fe775d3,X,,,,2026-01-01,\n"
     "ethereum,0x71660c4005ba85c37ccec55d0c4493e66fe775d3,X,,,,2026-02-01,2026-03-01\n", "line 3: 0x71660c4005ba85c37ccec55d0c4493e66fe775d3 is already labeled on line 2"),
]


@pytest.mark.parametrize("body, message", BROKEN, ids=[m for _, m in BROKEN])
def test_broken_files_import_nothing(tmp_path: Path, body: str, message: str) -> None:
    db = tmp_path / "t.duckdb"
    assert import_file(db, write(tmp_path, "seed.csv", GOOD)).returncode == 0
    before = file_digest(db)
    done = import_file(db, write(tmp_path, "bad.csv", HEADER + body))
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "nothing imported" in lines[0]
    assert message in lines[0]
    assert file_digest(db) == before


def test_conflict_with_stored_label_and_missing_columns(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    assert import_file(db, write(tmp_path, "seed.csv", GOOD)).returncode == 0
    before = file_digest(db)
    other = import_file(db, write(tmp_path, "other.csv", HEADER + "ethereum,0x71660c4005ba85c37ccec55d0c4493e66fe775d3,Kraken,,,,,\n"))
    assert other.returncode == 1 and "is 'Coinbase' already, 'Kraken' in other.csv" in other.stderr
    columns = import_file(db, write(tmp_path, "cols.csv", "chain,wallet\nethereum,0x71660c4005ba85c37ccec55d0c4493e66fe775d3\n"))
    assert columns.returncode == 1 and "missing column(s) address, entity" in columns.stderr
    assert file_digest(db) == before


def test_dune_spellbook_format(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    dune = write(tmp_path, "cex.csv", "blockchain,address,cex_name,distinct_name,added_by,added_date\n"
                 "ethereum,0x2910543af39aba0cd09dbb2d50200b3e800a63d2,Kraken,Kraken 1,hildobby,2022-08-28\n"
                 "tron,TB1WQmj63bHV9Qmuhp39WABzutphMAetSc,Bybit,Bybit 1,hildobby,2024-04-19\n")
    done = import_file(db, dune, "--format", "dune")
    assert done.returncode == 0, done.stderr
    listed = run_cli("--db", str(db), "labels", "list", "--entity", "kraken", "--format", "json")
    entries = [e for e in json.loads(listed.stdout) if e["address"] == "0x2910543af39aba0cd09dbb2d50200b3e800a63d2"]
    assert [(e["chain"], e["entity"], e["category"], e["wallet_type"], e["source"]) for e in entries] == [
        ("ethereum", "Kraken", "exchange", "unknown", "dune spellbook: Kraken 1 (hildobby)"),
    ]
    bybit = rows(db, "SELECT entity, category FROM labels WHERE address = 'TB1WQmj63bHV9Qmuhp39WABzutphMAetSc'")
    assert bybit == [("Bybit", "exchange")]
    broken = import_file(db, write(tmp_path, "bad.csv", "blockchain,address,cex_name,distinct_name,added_by,added_date\n"
                                   "tron,TCEM5YJJSYGW2RCXYXGE4SXLSPUUEJKQAW,Binance,Binance 13,hildobby,2024-04-19\n"), "--format", "dune")
    assert broken.returncode == 1 and "line 2: invalid Tron address" in broken.stderr


def test_bundled_set_is_valid_curated_and_loaded_on_first_use(tmp_path: Path) -> None:
    files = bundled_files()  # package data: tracker/data/labels/*.csv, one file per source
    assert [f.name for f in files] == ["ethereum-defillama.csv", "ethereum-eth-labels.csv",
                                       "ethereum-etherscan-labels.csv", "issuers.csv", "tron-defillama.csv"]
    assert all((BUNDLED_DIR / f.name).is_file() for f in files) and (BUNDLED_DIR / "NOTICE").is_file()
    labels = [label for path in files for label in read_labels(path.read_text(), str(path))]
    assert len({(l.chain, l.address) for l in labels}) == len(labels)  # no address twice, across the files too
    assert all(l.source for l in labels)
    by_entity = {(l.chain, l.entity) for l in labels if l.category == "exchange"}
    for entity in ("Binance", "OKX", "Bybit", "Kraken", "HTX", "Bitfinex", "KuCoin", "Gate", "Bitget", "Coinbase"):
        assert ("ethereum", entity) in by_entity, entity
    for entity in ("Binance", "OKX", "Bybit", "HTX", "Bitfinex", "KuCoin", "Gate", "Bitget"):
        assert ("tron", entity) in by_entity, entity
    issuers = {(l.chain, l.entity, l.wallet_type) for l in labels if l.category == "issuer"}
    assert issuers == {("ethereum", "Tether", "treasury"), ("tron", "Tether", "treasury")}
    db = tmp_path / "t.duckdb"
    listed = run_cli("--db", str(db), "labels", "list", "--chain", "ethereum", "--format", "csv")
    assert listed.returncode == 0, listed.stderr
    table = list(csv.reader(listed.stdout.splitlines()))
    assert len(table) - 1 == sum(1 for l in labels if l.chain == "ethereum")
    bad_chain = run_cli("--db", str(db), "labels", "list", "--chain", "solana")
    assert bad_chain.returncode == 1 and "unknown chain 'solana'" in bad_chain.stderr


def test_read_labels_reports_every_bad_line() -> None:
    text = HEADER + "".join(f"ethereum,0xbad{i},X,,,,,\n" for i in range(12))
    with pytest.raises(TrackerError) as caught:
        read_labels(text, "many.csv")
    message = str(caught.value)
    assert message.startswith("many.csv: 12 bad row(s), nothing imported: line 2:") and "…and 4 more" in message


SPELLBOOK_TRON = """{{config(tags = ['static'], schema = 'cex_tron', alias = 'addresses')}}

SELECT blockchain, address, cex_name, distinct_name, added_by, added_date
FROM (VALUES
    ('tron', 'TV6MuMXfmLbBqPZvBHdwFsDnQeVfnmiuSi', 'Binance', 'Binance 1', 'hildobby', date '2024-04-19')
    , ('tron', 'TCEM5YJJSYGW2RCXYXGE4SXLSPUUEJKQAW', 'Binance', 'Binance 13', 'hildobby', date '2024-04-19')
    , ('tron', 'TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs', 'Bitfinex', 'Bitfinex Tether', 'someone', date '2024-04-19')
    , ('tron', 'TXFBqBbqJommqZf7BV8NNYzePh97UmJodJ', 'Bitfinex', 'Bitfinex 3', 'hildobby', date '2024-04-19')
    , ('tron', 'TXFBqBbqJommqZf7BV8NNYzePh97UmJodJ', 'Kraken', 'Kraken 9', 'someone', date '2024-05-01')
    -- , ('tron', 'TB1WQmj63bHV9Qmuhp39WABzutphMAetSc', 'Commented', 'out', 'x', date '2024-01-01')
    , ('tron', 'TGjpmhAFT6d7eBKvaFwPVN6H2pDKgLLZiw', 'CoinDCX', 'CoinDCX 1', 'hildobby', date '2024-04-19')
    ) AS x (blockchain, address, cex_name, distinct_name, added_by, added_date)
"""
SPELLBOOK_EVMS = """SELECT address, cex_name, distinct_name, added_by, added_date
FROM (VALUES
    (0x2910543af39aba0cd09dbb2d50200b3e800a63d2, 'Kraken', 'Kraken 1', 'hildobby', date '2022-08-28')
    , (0x0a869d79a7052c7f1b55a8ebabbea3420f0d1e13, 'Kraken', 'Kraken 2', 'hildobby', date '2022-08-28')
    ) AS x (address, cex_name, distinct_name, added_by, added_date)
"""


def test_labels_update_downloads_public_lists_and_leaves_out_bad_rows(tmp_path: Path, httpserver, monkeypatch) -> None:
    httpserver.expect_request("/tron.sql").respond_with_data(SPELLBOOK_TRON)
    httpserver.expect_request("/evms.sql").respond_with_data(SPELLBOOK_EVMS)
    httpserver.expect_request("/cex.csv").respond_with_data(
        "blockchain,address,cex_name,distinct_name,added_by,added_date\n"
        "bnb,0x8894e0a0c962cb723c1976a4421c95949be2d4e3,Binance,Binance 1,x,2024-01-01\n"  # another chain: ignored
        "ethereum,0x6cc5f688a315f3dc28a7781717a9a798a59fda7b,OKX,OKX 1,x,2024-01-01\n"
    )
    sources = (f"spellbook:tron={httpserver.url_for('/tron.sql')} spellbook:ethereum={httpserver.url_for('/evms.sql')} "
               f"dune={httpserver.url_for('/cex.csv')}")
    db = tmp_path / "t.duckdb"
    done = run_cli("--db", str(db), "labels", "update", env={"TRACKER_LABEL_SOURCES": sources})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "6 rows; 1 added, 2 replaced, 0 unchanged; 2 invalid and 1 conflicting rows left out" in lines[0]
    assert any("line 6: invalid Tron address 'TCEM5YJJSYGW2RCXYXGE4SXLSPUUEJKQAW'" in l for l in lines)
    assert any("is 'Kraken' here and 'Bitfinex' on line" in l for l in lines)
    assert any("TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs (tron) is 'Tether' already, 'Bitfinex'" in l for l in lines)
    assert rows(db, "SELECT entity, category FROM labels WHERE address = 'TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs'") == [("Tether", "issuer")]
    assert rows(db, "SELECT entity FROM labels WHERE address = 'TGjpmhAFT6d7eBKvaFwPVN6H2pDKgLLZiw'") == [("CoinDCX",)]
    assert rows(db, "SELECT count(*) FROM labels WHERE address = '0x8894e0a0c962cb723c1976a4421c95949be2d4e3'") == [(0,)]
    assert rows(db, "SELECT entity, source FROM labels WHERE address = '0x6cc5f688a315f3dc28a7781717a9a798a59fda7b'") == [
        ("OKX", "dune spellbook: OKX 1 (x)")
    ]
    again = run_cli("--db", str(db), "labels", "update", env={"TRACKER_LABEL_SOURCES": sources})
    assert "0 added, 0 replaced, 3 unchanged" in again.stdout.splitlines()[0]


def test_an_address_may_change_owner_over_time(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    path = write(tmp_path, "moves.csv", HEADER
                 + "ethereum,0x00000000000000000000000000000000000000aa,OldEx,,,,,2026-02-01\n"
                 + "ethereum,0x00000000000000000000000000000000000000aa,NewEx,,,,2026-02-01,\n")
    done = import_file(db, path)
    assert done.returncode == 0, done.stderr
    assert rows(db, "SELECT entity FROM labels WHERE address = '0x00000000000000000000000000000000000000aa' ORDER BY valid_from NULLS FIRST") == [("OldEx",), ("NewEx",)]


def test_a_new_bundled_set_replaces_the_old_one_and_imported_labels_win(tmp_path: Path) -> None:
    import duckdb

    from tracker.analytics.bundled import bundled_digest
    from tracker.analytics.labels import bundled_labels
    from tracker.store import Store

    binance14, coinbase1 = "0x28c6c06298d514db089934071355e5743bf21d60", "0x71660c4005ba85c37ccec55d0c4493e66fe775d3"
    db = tmp_path / "old.duckdb"
    Store.open(db).close()
    # As an earlier version left the file: its bundled rows, a label the user imported over a bundled address
    # (another entity), and a discovered deposit address that the new bundled set names.
    with duckdb.connect(str(db)) as con:
        con.execute(
            "INSERT INTO labels (chain, address, entity, category, wallet_type, source, method) VALUES"
            " ('ethereum', '0x00000000000000000000000000000000000000e1', 'OldEx', 'exchange', 'hot',"
            "  'dune spellbook cex_evms_addresses (OldEx 1)', 'bundled'),"
            f" ('ethereum', '{binance14}', 'MyDesk', 'exchange', 'hot', 'import:mine.csv', 'imported'),"
            f" ('ethereum', '{coinbase1}', 'Kraken', 'exchange', 'deposit', 'discovered', 'discovered:deposit')")
    listed = run_cli("--db", str(db), "labels", "list", "--format", "csv")
    assert listed.returncode == 0, listed.stderr
    table = {(r["address"], r["entity"], r["method"]) for r in csv.DictReader(listed.stdout.splitlines())}
    assert not any(entity == "OldEx" for _, entity, _ in table)  # the old set is gone
    assert (binance14, "MyDesk", "imported") in table and (binance14, "Binance", "bundled") not in table
    assert (coinbase1, "Coinbase", "bundled") in table and not any(m.startswith("discovered") for _, _, m in table)
    assert len(table) == len(bundled_labels())  # every bundled row but Binance 14, plus MyDesk's
    conflicts = list(csv.DictReader(run_cli("--db", str(db), "labels", "list", "--conflicts", "--format", "csv")
                                    .stdout.splitlines()))
    assert sorted((c["address"], c["kept_entity"], c["kept_method"], c["claimed_entity"], c["claimed_method"])
                  for c in conflicts) == [
        (binance14, "MyDesk", "imported", "Binance", "bundled"),
        (coinbase1, "Coinbase", "bundled", "Kraken", "discovered:deposit"),
    ]
    assert rows(db, "SELECT digest, rows FROM label_sets") == [(bundled_digest(), len(bundled_labels()) - 1)]
    before = file_digest(db)
    again = run_cli("--db", str(db), "labels", "list", "--format", "csv")
    assert again.stdout == listed.stdout and file_digest(db) == before  # current: read-only, nothing rewritten
