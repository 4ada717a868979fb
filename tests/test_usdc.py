"""USDC (Circle's FiatToken layout) beside USDT on one anvil node, in one database, synced through the CLI.

USDC and the test USDT are declared in a tracker.toml `[[tokens]]` entry each at their anvil addresses; USDC
is synced by symbol, USDT by address. Every figure
below is worked out by hand from the scenario: mint and burn are counted once (as issue and redeem), their
zero-address Transfer legs are stored, flagged, and kept out of exchange flows; a blacklisted wallet keeps
its funds; USDT's figures do not move when USDC's rows arrive, and no figure adds the two tokens up.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import DAY0
from tests.support.chain import ZERO, Anvil, FiatTokenChain, TokenChain, wallet
from tests.support.helpers import file_digest, rows, run_cli
from tests.test_run import binance  # noqa: F401 (the Binance stand-in fixture)
from tracker.queries import execute, resolve_sql
from tracker.store import Store

DAY = 86_400
D0, D1 = date(2026, 3, 1), date(2026, 3, 2)
EXA, EXB, USER, USER2 = wallet(1), wallet(2), wallet(3), wallet(4)
USDT_SUPPLY = 1_000_000_000_000  # 1,000,000 USDT held by the owner before any event


def raw(text: str) -> int:
    return int(Decimal(text).scaleb(6))


def d6(text: str) -> Decimal:
    return Decimal(text).quantize(Decimal("0.000001"))


def scenario(usdt: TokenChain, usdc: FiatTokenChain) -> None:
    """Two UTC days of both tokens, in block order, with amounts that expose any rounding or summing."""
    owner, minter = usdt.owner.lower(), usdc.owner.lower()
    usdt.transfer(owner, USER, raw("500.000001"), timestamp=DAY0 + 100)
    usdt.transfer(USER, EXA, raw("200"), timestamp=DAY0 + 200)  # inflow ExA
    usdc.mint(USER, raw("300"), timestamp=DAY0 + 300)
    usdc.mint(EXA, raw("70.5"), timestamp=DAY0 + 400)  # straight onto an exchange: a reserve, not an inflow
    usdc.transfer(USER, EXA, raw("100.000001"), timestamp=DAY0 + 500)  # inflow ExA
    usdt.transfer(EXA, EXB, raw("50"), timestamp=DAY0 + DAY + 100)  # ExA -> ExB
    usdt.issue(raw("1000"), timestamp=DAY0 + DAY + 200)  # Ethereum USDT: Issue only, the owner is credited
    usdc.transfer(EXA, minter, raw("20"), timestamp=DAY0 + DAY + 300)  # outflow ExA, back to the issuer
    usdc.transfer(EXA, EXB, raw("10"), timestamp=DAY0 + DAY + 350)  # ExA -> ExB
    usdc.burn(raw("20"), timestamp=DAY0 + DAY + 400)
    usdc.blacklist(EXB, timestamp=DAY0 + DAY + 500)  # frozen, not destroyed: ExB keeps its 10


# exchange_netflow_daily: chain, day, entity, inflow, outflow, netflow, cross_in, cross_out, transfers, reserve_end
USDT_DAILY = [
    ("ethereum", D0, "ExA", d6("200"), d6("0"), d6("200"), d6("0"), d6("0"), 1, d6("200")),
    ("ethereum", D1, "ExA", d6("0"), d6("50"), d6("-50"), d6("0"), d6("50"), 1, d6("150")),
    ("ethereum", D1, "ExB", d6("50"), d6("0"), d6("50"), d6("50"), d6("0"), 1, d6("50")),
]
USDC_DAILY = [  # ExA's D0 inflow is the user's 100.000001 only: the 70.5 minted onto it is a mint leg
    ("ethereum", D0, "ExA", d6("100.000001"), d6("0"), d6("100.000001"), d6("0"), d6("0"), 1, d6("170.500001")),
    ("ethereum", D1, "ExA", d6("0"), d6("30"), d6("-30"), d6("0"), d6("10"), 2, d6("140.500001")),
    ("ethereum", D1, "ExB", d6("10"), d6("0"), d6("10"), d6("10"), d6("0"), 1, d6("10")),
]
# exchange_reserves_daily: chain, day, entity, reserve_end, wallets, anchored_wallets
USDT_RESERVES = [("ethereum", D0, "ExA", d6("200"), 1, 1), ("ethereum", D0, "ExB", d6("0"), 1, 1),
                 ("ethereum", D1, "ExA", d6("150"), 1, 1), ("ethereum", D1, "ExB", d6("50"), 1, 1)]
USDC_RESERVES = [("ethereum", D0, "ExA", d6("170.500001"), 1, 1), ("ethereum", D0, "ExB", d6("0"), 1, 1),
                 ("ethereum", D1, "ExA", d6("140.500001"), 1, 1), ("ethereum", D1, "ExB", d6("10"), 1, 1)]
# supply_by_day: day, minted, redeemed, destroyed, net_issuance, total_supply_end
USDT_SUPPLY_DAYS = [(D0, d6("0"), d6("0"), d6("0"), d6("0"), d6("1000000")),
                    (D1, d6("1000"), d6("0"), d6("0"), d6("1000"), d6("1001000"))]
USDC_SUPPLY_DAYS = [(D0, d6("370.5"), d6("0"), d6("0"), d6("370.5"), d6("370.5")),
                    (D1, d6("0"), d6("20"), d6("0"), d6("-20"), d6("350.5"))]


def named(db: Path, name: str) -> list[tuple]:
    with Store.open(db) as store:
        return execute(store.connection, resolve_sql(name), {}).rows


def per_token(db: Path, token: str) -> dict[str, list[tuple]]:
    """One token's flows, reserves and supply by day (the token columns dropped), from the named queries and views."""
    with Store.open(db) as store:
        supply = store.connection.execute(
            "SELECT day, minted, redeemed, destroyed, net_issuance, total_supply_end FROM supply_by_day"
            " WHERE token = ? ORDER BY day", [token]).fetchall()
    return {
        # token (the symbol) and token_address close each row
        "daily": [row[:-2] for row in named(db, "exchange_netflow_daily") if row[-1] == token],
        # the bundled exchange labels have reserves too (0 here): only ours
        "reserves": [row[:-2] for row in named(db, "exchange_reserves_daily") if row[-1] == token
                     and row[2] in ("ExA", "ExB")],
        "supply": supply,
    }


def sync(db: Path, config: Path, anvil: Anvil, token: str) -> None:
    done = run_cli("--db", str(db), "--config", str(config), "sync", "ethereum", "--rpc", anvil.url, "--token", token,
                   "--confirmations", "0", "--from-block", "0", "--quiet")
    assert done.returncode == 0, done.stderr


@pytest.fixture
def chains(anvil: Anvil, compiled) -> tuple[TokenChain, FiatTokenChain]:
    usdt, usdc = TokenChain(anvil, compiled, USDT_SUPPLY), FiatTokenChain(anvil, compiled)
    scenario(usdt, usdc)
    return usdt, usdc


@pytest.fixture
def setup(tmp_path: Path, chains) -> tuple[Path, Path]:
    """A database with the two exchanges labeled, and a tracker.toml declaring the anvil USDT and USDC."""
    usdt, usdc = chains
    db, config, labels = tmp_path / "two.duckdb", tmp_path / "tracker.toml", tmp_path / "labels.csv"
    labels.write_text("chain,address,entity,category,wallet_type,source,valid_from,valid_to\n"
                      f"ethereum,{EXA},ExA,exchange,hot,test,,\nethereum,{EXB},ExB,exchange,hot,test,,\n")
    config.write_text(f'[[tokens]]\nsymbol = "USDC"\nchain = "ethereum"\naddress = "{usdc.address}"\n'
                      'decimals = 6\nlayout = "fiattoken"\n'
                      f'[[tokens]]\nsymbol = "USDT"\nchain = "ethereum"\naddress = "{usdt.address}"\n'
                      'decimals = 6\nlayout = "usdt-ethereum"\n')
    done = run_cli("--db", str(db), "labels", "import", str(labels))
    assert done.returncode == 0, done.stderr
    return db, config


def test_usdc_and_usdt_side_by_side_are_exact_per_token(setup, chains) -> None:
    usdt, usdc = chains
    db, config = setup
    sync(db, config, usdt.anvil, usdt.address)
    usdt_before = per_token(db, usdt.address)
    assert usdt_before == {"daily": USDT_DAILY, "reserves": USDT_RESERVES, "supply": USDT_SUPPLY_DAYS}

    sync(db, config, usdc.anvil, "usdc")  # the declared symbol, any case
    assert rows(db, "SELECT token FROM sync_state ORDER BY token") == sorted([(usdt.address,), (usdc.address,)])

    # Every Transfer log of each token, exactly; USDC's mint and burn legs are stored and flagged.
    for chain in (usdt, usdc):
        stored = rows(db, "SELECT block_number, epoch(block_time)::BIGINT, tx_hash, log_index, from_address,"
                          " to_address, amount_raw FROM transfers WHERE token = ?", [chain.address])
        assert {(*row[:6], int(row[6])) for row in stored} == chain.expected_transfers()
    legs = rows(db, "SELECT from_address, to_address, amount, supply_leg FROM transfers"
                    " WHERE token = ? AND supply_leg IS NOT NULL ORDER BY block_number", [usdc.address])
    minter = usdc.owner.lower()
    assert legs == [(ZERO, USER, d6("300"), "mint"), (ZERO, EXA, d6("70.5"), "mint"), (minter, ZERO, d6("20"), "burn")]
    assert rows(db, "SELECT count(*) FROM transfers WHERE token = ? AND supply_leg IS NOT NULL", [usdt.address]) == [(0,)]

    # Supply events: each mint once as issue (the wallet credited), the burn once as redeem (the burner).
    supply = rows(db, "SELECT block_number, tx_hash, log_index, kind, address, amount_raw FROM supply_events"
                      " WHERE token = ?", [usdc.address])
    assert {(*row[:5], int(row[5])) for row in supply} == usdc.expected_supply()
    assert sorted((kind, address, amount) for kind, address, amount in rows(
        db, "SELECT kind, address, amount FROM supply_events WHERE token = ?", [usdc.address])) == [
        ("issue", EXA, d6("70.5")), ("issue", USER, d6("300")), ("redeem", minter, d6("20"))]

    # Flows, reserves and supply per token: USDT's do not move; USDC's are its own (summed, ExA's D0 inflow
    # would read 300.000001 and D1's total supply 1,001,350.5).
    assert per_token(db, usdt.address) == usdt_before
    assert per_token(db, usdc.address) == {"daily": USDC_DAILY, "reserves": USDC_RESERVES, "supply": USDC_SUPPLY_DAYS}
    assert len(named(db, "exchange_netflow_daily")) == len(USDT_DAILY) + len(USDC_DAILY)
    # supply_daily: one row per token and day, the token's symbol and address last
    assert sorted(named(db, "supply_daily")) == sorted(
        [("ethereum", *row, "USDT", usdt.address) for row in USDT_SUPPLY_DAYS]
        + [("ethereum", *row, "USDC", usdc.address) for row in USDC_SUPPLY_DAYS])
    # $token picks one token by symbol (any case) or address; the rows are the same either way
    with Store.open(db) as store:
        for wanted in ("usdc", usdc.address, usdc.address.upper().replace("0X", "0x")):
            picked = execute(store.connection, resolve_sql("exchange_netflow_daily"), {"token": wanted}).rows
            assert [row[:-2] for row in picked] == USDC_DAILY and {row[-2] for row in picked} == {"USDC"}
        assert execute(store.connection, resolve_sql("supply_daily"), {"token": "DAI"}).rows == []
        # The stablecoins total ('all') adds both tokens in USD; each symbol is a scope of its own.
        features = execute(store.connection, resolve_sql("signal_features"), {}).rows
        netflow = {(row[0], row[1]): row[2] for row in features}
    assert netflow[("all", D0)] == d6("300.000001") and netflow[("ethereum", D0)] == d6("300.000001")
    assert netflow[("USDT", D0)] == d6("200") and netflow[("USDC", D0)] == d6("100.000001")
    assert netflow[("all", D1)] == d6("-20") and netflow[("USDC", D1)] == d6("-20") and netflow[("USDT", D1)] == d6("0")

    # The node agrees, token by token (USDC named by its symbol), and the blacklisted wallet still holds its 10.
    assert usdc.balance(EXB) == raw("10") and usdc.total_supply() == raw("350.5")
    for token in ("USDC", usdt.address):
        done = run_cli("--db", str(db), "--config", str(config), "verify", "ethereum", "--rpc", usdc.anvil.url,
                       "--token", token)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "figures match the node" in done.stdout

    # The symbol and the address are the same token: nothing left to sync.
    again = run_cli("--db", str(db), "--config", str(config), "sync", "ethereum", "--rpc", usdc.anvil.url,
                    "--token", usdc.address, "--confirmations", "0")
    assert again.returncode == 0 and f"ethereum {usdc.address}: already up to date" in again.stdout


def test_usdc_without_config_is_the_bundled_mainnet_contract(tmp_path: Path, anvil: Anvil) -> None:
    done = run_cli("--db", str(tmp_path / "u.duckdb"), "sync", "ethereum", "--rpc", anvil.url, "--token", "USDC",
                   "--confirmations", "0", "--from-block", "0", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == ("error: no contract at token address 0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48 "
                                   "on this ethereum node")
    assert not (tmp_path / "u.duckdb").exists()


TOKEN = {"symbol": '"USDC"', "chain": '"ethereum"', "address": '"0x' + "ab" * 20 + '"', "decimals": "6",
         "layout": '"fiattoken"'}


def entry(**changes: str | None) -> str:
    fields = {**TOKEN, **changes}
    return "[[tokens]]\n" + "".join(f"{key} = {value}\n" for key, value in fields.items() if value is not None)


BAD_CONFIGS = [
    (entry(layout='"fiat"'), "[[tokens]] #1 (USDC): unknown layout 'fiat' (expected usdt-ethereum, usdt-tron, fiattoken, erc20)"),
    (entry(chain='"base"'), "[[tokens]] #1 (USDC): unknown chain 'base' (expected ethereum, tron, arbitrum, bsc)"),
    (entry(address='"0x1234"'), "[[tokens]] #1 (USDC): invalid address '0x1234': expected 0x followed by 40 hex digits"),
    (entry(address='"0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB49"'), "EIP-55 checksum does not match"),
    (entry(decimals='"6"'), "[[tokens]] #1 (USDC): decimals must be an integer from 0 to 18, got '6'"),
    (entry(decimals="19"), "[[tokens]] #1 (USDC): decimals must be an integer from 0 to 18, got 19"),
    (entry(decimals="true"), "decimals must be an integer from 0 to 18, got True"),
    (entry(decimals="6.0"), "decimals must be an integer from 0 to 18, got 6.0"),
    (entry() + entry(address='"0x' + "cd" * 20 + '"'), "[[tokens]] #2 (USDC): symbol 'USDC' is declared twice on ethereum"),
    (entry() + entry(symbol='"usdc"', chain='"tron"', address='"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"'), None),
    (entry() + entry(symbol='"USDC2"'), "[[tokens]] #2 (USDC2): address 0x" + "ab" * 20 + " on ethereum is already declared as USDC"),
    (entry(layout=None), "[[tokens]] #1 (USDC): missing layout (each token needs symbol, chain, address, decimals, layout)"),
    (entry(colour='"blue"'), "[[tokens]] #1 (USDC): unknown key 'colour'"),
    (entry(symbol='"0xdead"'), "[[tokens]] #1 (0xdead): symbol '0xdead' must be a letter then up to 15 letters"),
    (entry(deployment_block="-1"), "deployment_block must be a block number >= 0, got -1"),
    ('[tokens]\nsymbol = "USDC"\n', "tokens must be [[tokens]] tables"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CONFIGS)
def test_a_bad_token_entry_is_one_line_naming_it(tmp_path: Path, text: str, message: str | None) -> None:
    config = tmp_path / "tracker.toml"
    config.write_text(text)
    done = run_cli("config", "show", cwd=tmp_path)
    if message is None:  # the same symbol on two chains is two tokens
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith("error: config tracker.toml: ") and message in done.stderr, done.stderr


def test_config_show_lists_every_token_one_line_each(tmp_path: Path) -> None:
    (tmp_path / "tracker.toml").write_text(entry(address='"0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"',
                                                 symbol='"USDC"', deployment_block="6082465"))
    done = run_cli("config", "show", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1:4] == [  # the declared USDC replaces the bundled one of the same address
        '  { symbol = "USDC", chain = "ethereum", address = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", decimals = 6,'
        ' layout = "fiattoken", deployment_block = 6082465 },  # tracker.toml',
        '  { symbol = "USDT", chain = "ethereum", address = "0xdac17f958d2ee523a2206206994597c13d831ec7", decimals = 6,'
        ' layout = "usdt-ethereum", deployment_block = 4634748 },  # bundled',
        '  { symbol = "USDT", chain = "tron", address = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", decimals = 6,'
        ' layout = "usdt-tron" },  # bundled',
    ]
    # then the opt-in chains' bundled tokens, chain by chain
    assert [line.split('"')[1:4:2] for line in lines[4:8]] == [["USDT", "arbitrum"], ["USDC", "arbitrum"],
                                                               ["USDT", "bsc"], ["USDC", "bsc"]]
    assert lines[8] == "]"
    as_csv = run_cli("config", "show", "--format", "csv", cwd=tmp_path).stdout
    assert ("tokens.ethereum.USDC,0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48 decimals=6 layout=fiattoken,"
            "tracker.toml,") in as_csv.splitlines()


def test_unknown_symbol_is_one_line_and_18_decimals_pass(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    (tmp_path / "tracker.toml").write_text(entry(symbol='"WETH"', decimals="18", layout='"usdt-ethereum"'))
    done = run_cli("--db", str(db), "sync", "ethereum", "--token", "DAI", "--rpc", "http://127.0.0.1:9", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == ("error: --token: unknown token 'DAI' on ethereum (known: USDC, USDT, WETH); give its "
                                   "address or declare it in tracker.toml as [[tokens]] (README, Adding a stablecoin)")
    done = run_cli("--db", str(db), "sync", "tron", "--token", "USDC", "--rpc", "http://127.0.0.1:9", cwd=tmp_path)
    assert done.returncode == 1 and "unknown token 'USDC' on tron (known: USDT)" in done.stderr
    # 18 decimals are stored exactly now: the token is accepted and the unreachable node is what stops it.
    done = run_cli("--db", str(db), "sync", "ethereum", "--token", "weth", "--rpc", "http://127.0.0.1:9", cwd=tmp_path)
    assert done.returncode == 1 and "decimals" not in done.stderr and "127.0.0.1:9" in done.stderr
    assert file_digest(db) is None


@pytest.mark.usefixtures("binance")
def test_run_syncs_every_declared_token_and_the_report_adds_them_up(setup, chains, httpserver) -> None:
    """`tracker run` syncs both declared tokens; the report has a line per token and the stablecoins' total."""
    usdt, usdc = chains
    db, config = setup
    url = httpserver.url_for("/").rstrip("/")
    with config.open("a") as more:
        more.write(f'[ethereum]\nrpc_url = "{usdt.anvil.url}"\ntoken = "USDT"\nconfirmations = 0\n'
                   f'[run]\nchains = "ethereum"\noptions = 0\n'
                   f'[market]\nvenues = "binance"\nsymbols = "BTC"\nbinance_url = "{url}"\n')
    done = run_cli("--db", str(db), "--config", str(config), "run", "--date", D1.isoformat(), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "ethereum: synced to block" in done.stderr and "ethereum USDC: synced to block" in done.stderr
    report = json.loads(done.stdout)
    flows = {(row["chain"], row["token"]): [Decimal(row[name]) for name in ("inflow", "outflow", "netflow",
                                                                            "cross_exchange")]
             for row in report["sections"]["exchange flows by chain"]}
    # D1 by hand: USDT ExA -> ExB 50; USDC ExA -> the issuer 20 and ExA -> ExB 10.
    assert flows == {("ethereum", "USDT"): [Decimal(50), Decimal(50), Decimal(0), Decimal(50)],
                     ("ethereum", "USDC"): [Decimal(10), Decimal(30), Decimal(-20), Decimal(10)],
                     ("all", "total"): [Decimal(60), Decimal(80), Decimal(-20), Decimal(60)]}
    supply = {(row["chain"], row["token"]): (Decimal(row["net_issuance"]), Decimal(row["total_supply_end"]))
              for row in report["sections"]["supply"]}
    assert supply == {("ethereum", "USDT"): (Decimal(1000), Decimal(1_001_000)),
                      ("ethereum", "USDC"): (Decimal(-20), Decimal("350.5")),
                      ("all", "total"): (Decimal(980), Decimal("1001350.5"))}
    # The regime per scope: the stablecoins' total ('all'), the chain, and each stablecoin of its own.
    assert [row["scope"] for row in report["sections"]["regime"]] == ["all", "USDC", "USDT", "ethereum"]
    # Run again: nothing is synced twice.
    again = run_cli("--db", str(db), "--config", str(config), "run", "--date", D1.isoformat(), "--format", "json")
    assert again.returncode == 0 and "ethereum USDC: already up to date" in again.stderr
    assert rows(db, "SELECT token, count(*) FROM transfer_logs GROUP BY token ORDER BY token") == sorted(
        [(usdt.address, len(usdt.expected_transfers())), (usdc.address, len(usdc.expected_transfers()))])
