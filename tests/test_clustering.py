"""Clustering on an anvil chain whose ground truth is known: deposit addresses, a hot wallet left unlabeled on
purpose (and one found only through it), an address two exchanges claim, and users who must stay users."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import DAY0
from tests.support.chain import Anvil, TokenChain, wallet
from tests.support.helpers import rows, run_cli
from tracker.ingest.tron.address import base58_from_hex20

DAY = 86_400
L, M = wallet(100), wallet(200)  # curated: ExA's and ExB's hot wallets
H1, H2 = wallet(110), wallet(120)  # ExA's hot wallets nobody labeled; H2 is reached only through H1's deposits
DEPOSITS = [wallet(300 + i) for i in range(8)]  # ExA's deposit addresses D1..D8
E_SWEEPERS = [wallet(400 + i) for i in range(3)]  # sweep to ExA's L and to X
F_SWEEPERS = [wallet(410 + i) for i in range(3)]  # sweep to ExB's M and to X
X = wallet(420)  # claimed by both exchanges: a conflict, never a label
SHOPPERS = [wallet(500 + i) for i in range(3)]  # pay ExA and a merchant out of each receipt
Z = wallet(510)  # the merchant: many ExA customers pay it, it never deals with ExA itself
RICH = wallet(1)
PAYEES = [wallet(600 + i) for i in range(12)]
FRIEND = wallet(700)


def usdt(text: str) -> int:
    return int(Decimal(text).scaleb(6))


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


class Scenario:
    """Sends transfers on the chain one a minute, remembering each (from, to, raw) for the expected figures."""

    def __init__(self, chain: TokenChain, start: int) -> None:
        self.chain, self.time, self.moves = chain, start, []

    def send(self, sender: str, receiver: str, amount: str) -> None:
        self.time += 60
        self.chain.transfer(sender, receiver, usdt(amount), timestamp=self.time)
        self.moves.append((sender, receiver, usdt(amount)))

    def deposit(self, user: str, deposit: str, hot: str, amount: str) -> None:
        self.send(user, deposit, amount)
        self.send(deposit, hot, amount)


@pytest.fixture(params=["ethereum", "tron"])
def clustered(request, tmp_path: Path, anvil: Anvil, compiled):
    chain_name = request.param
    chain = TokenChain(anvil, compiled, usdt("10000000"), layout=chain_name)
    spell = (lambda a: base58_from_hex20(a.lower()[2:])) if chain_name == "tron" else (lambda a: a.lower())
    owner = chain.owner.lower()
    first_block = chain.head() + 1
    db = tmp_path / f"{chain_name}.duckdb"
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "chain,address,entity,category,wallet_type,source,valid_from,valid_to\n"
        f"{chain_name},{spell(L)},ExA,exchange,hot,test,,\n"
        f"{chain_name},{spell(M)},ExB,exchange,hot,test,,\n"
        f"{chain_name},{spell(owner)},Tether,issuer,treasury,test,,\n"
    )
    assert run_cli("--db", str(db), "labels", "import", str(labels)).returncode == 0
    s = Scenario(chain, DAY0 + DAY)
    s.send(owner, RICH, "100000")
    s.send(owner, L, "5000")
    s.send(owner, M, "5000")
    users = iter(wallet(800 + i) for i in range(40))
    for d in DEPOSITS[:3]:  # round 1: they sweep to L and to H1, which points at H1
        s.send(RICH, user := next(users), "150")
        s.deposit(user, d, L, "100")
        s.deposit(user, d, H1, "50")
    for d in DEPOSITS[3:5]:  # only to H1: theirs is found once H1 is
        s.send(RICH, user := next(users), "80")
        s.deposit(user, d, H1, "80")
    s.send(L, H1, "1000")  # a refill from the labeled wallet
    for payee in PAYEES[:4]:
        s.send(H1, payee, "100")
    s.send(PAYEES[0], FRIEND, "100")  # a withdrawal passed on to a friend: a user, not a sweeper
    for d in DEPOSITS[5:]:  # round 2: to H1 (known by then) and to H2
        s.send(RICH, user := next(users), "100")
        s.deposit(user, d, H1, "70")
        s.deposit(user, d, H2, "30")
    s.send(H1, H2, "500")
    for payee in PAYEES[4:7]:
        s.send(H2, payee, "50")
    for sweeper, home in [(e, L) for e in E_SWEEPERS] + [(f, M) for f in F_SWEEPERS]:
        s.send(RICH, user := next(users), "60")
        s.deposit(user, sweeper, home, "40")
        s.deposit(user, sweeper, X, "20")
    s.send(L, X, "10")
    s.send(M, X, "10")
    for payee in PAYEES[7:10]:
        s.send(X, payee, "30")
    for shopper in SHOPPERS:  # each splits what it got: most to the exchange, the rest to the merchant
        s.send(RICH, shopper, "100")
        s.send(shopper, L, "60")
        s.send(shopper, Z, "40")
    for payee in PAYEES[9:12]:
        s.send(Z, payee, "30")
    sync = run_cli("--db", str(db), "sync", chain_name, "--rpc", anvil.url, "--token", spell(chain.address),
                   "--confirmations", "0", "-q", "--from-block", str(first_block))
    assert sync.returncode == 0, sync.stderr
    return chain_name, db, spell, s


def test_clustering_finds_the_deposits_and_hot_wallets_and_nothing_else(clustered) -> None:
    chain_name, db, spell, _ = clustered
    done = run_cli("--db", str(db), "labels", "discover", "--chain", chain_name)
    assert done.returncode == 0, done.stderr
    assert f"{chain_name}: 8 deposit addresses and 2 hot wallets discovered in 3 rounds" in done.stdout
    assert f"{chain_name}: 1 addresses claimed by two exchanges left unlabeled" in done.stdout
    found = csv_rows(run_cli("--db", str(db), "labels", "list", "--discovered", "--format", "csv").stdout)
    assert {(r["address"], r["entity"], r["method"]) for r in found} == (
        {(spell(d), "ExA", "discovered:deposit") for d in DEPOSITS}
        | {(spell(H1), "ExA", "discovered:hot"), (spell(H2), "ExA", "discovered:hot")}
    )
    hot = {r["address"]: r for r in found if r["method"] == "discovered:hot"}
    h1, h2 = hot[spell(H1)], hot[spell(H2)]
    # H1: swept to by D1-D3 in round 1 (50 each); received those, D4-D5's 80s, D6-D8's 70s and L's refill.
    assert (h1["round"], h1["deposit_senders"], h1["sweeps"], h1["swept_in"]) == ("1", "3", "3", "150.000000")
    assert h1["received"] == "1520.000000" and h1["internal_transfers"] == "1"
    assert (h1["payees"], h1["paid_out"]) == ("5", "900.000000")  # P1-P4 and H2, then still unknown
    assert (h2["round"], h2["deposit_senders"], h2["swept_in"], h2["received"]) == ("2", "3", "90.000000", "590.000000")
    assert (h2["payees"], h2["paid_out"], h2["internal_transfers"]) == ("3", "150.000000", "1")
    deposit = {r["address"]: r for r in found if r["method"] == "discovered:deposit"}
    assert [deposit[spell(d)]["sweeps"] for d in DEPOSITS] == ["2", "2", "2", "1", "1", "2", "2", "2"]
    assert deposit[spell(DEPOSITS[0])]["forwarded"] == "150.000000"
    # Users stay users: the shoppers, the merchant, the friend, the payees, X's sweepers and X itself.
    labeled = {address for (address,) in rows(db, "SELECT address FROM labels")}
    for user in SHOPPERS + [Z, FRIEND, X, RICH] + PAYEES + E_SWEEPERS + F_SWEEPERS:
        assert spell(user) not in labeled, user
    conflicts = csv_rows(run_cli("--db", str(db), "labels", "list", "--conflicts", "--format", "csv").stdout)
    assert sorted((r["address"], r["kept_entity"], r["claimed_entity"]) for r in conflicts) == [
        (spell(X), "", "ExA"), (spell(X), "", "ExB")]
    assert conflicts[0]["evidence"] == "3 deposit addresses of ExA swept 3 times to it"
    # Re-running changes nothing; raising the bar finds less.
    again = run_cli("--db", str(db), "labels", "discover", "--chain", chain_name)
    assert again.returncode == 0 and f"{chain_name}: 8 deposit addresses and 2 hot wallets" in again.stdout
    assert rows(db, "SELECT count(*) FROM labels WHERE method LIKE 'discovered:%'") == [(10,)]
    assert rows(db, "SELECT count(*) FROM label_conflicts") == [(2,)]
    strict = run_cli("--db", str(db), "labels", "discover", "--chain", chain_name, "--min-payees", "6")
    # Without H1, D1-D3 also sent to an unknown address: no deposit address is certain, no hot wallet found.
    assert f"{chain_name}: 0 deposit addresses and 0 hot wallets discovered in 1 rounds" in strict.stdout


def test_curated_labels_win_and_disagreements_are_listed(clustered, tmp_path: Path) -> None:
    chain_name, db, spell, _ = clustered
    assert run_cli("--db", str(db), "labels", "discover", "--chain", chain_name).returncode == 0
    # An analyst files H2 under another exchange: the curated label replaces the discovery, which is listed.
    mine = tmp_path / "mine.csv"
    mine.write_text("chain,address,entity,category,wallet_type\n"
                    f"{chain_name},{spell(H2)},ExC,exchange,hot\n{chain_name},{spell(H1)},ExA,exchange,hot\n")
    done = run_cli("--db", str(db), "labels", "import", str(mine))
    assert done.returncode == 0, done.stderr
    assert rows(db, "SELECT entity, method FROM labels WHERE address IN (?, ?) ORDER BY entity",
                [spell(H1), spell(H2)]) == [("ExA", "imported"), ("ExC", "imported")]
    assert rows(db, "SELECT count(*) FROM discovered_hot_wallets") == [(0,)]
    conflicts = csv_rows(run_cli("--db", str(db), "labels", "list", "--conflicts", "--entity", "ExC",
                                 "--format", "csv").stdout)
    assert [(r["address"], r["kept_entity"], r["kept_method"], r["claimed_entity"], r["claimed_method"])
            for r in conflicts] == [(spell(H2), "ExC", "imported", "ExA", "discovered:hot")]
    # Discovery never overwrites a curated label: H2 stays ExC's; D6-D8 now sweep to two exchanges (no label).
    again = run_cli("--db", str(db), "labels", "discover", "--chain", chain_name)
    assert again.returncode == 0, again.stderr
    assert rows(db, "SELECT entity, method FROM labels WHERE address = ?", [spell(H2)]) == [("ExC", "imported")]
    assert f"{chain_name}: 5 deposit addresses and 0 hot wallets" in again.stdout


def test_flow_by_label_method_splits_the_day(clustered) -> None:
    chain_name, db, spell, scenario = clustered
    assert run_cli("--db", str(db), "labels", "discover", "--chain", chain_name).returncode == 0
    # Expected from the scenario itself: each transfer's exchange side, and the kind of label that makes it one.
    method = {spell(L): "imported", spell(M): "imported", spell(H1): "discovered:hot", spell(H2): "discovered:hot"}
    method |= {spell(d): "discovered:deposit" for d in DEPOSITS}
    entity = {a: ("ExB" if a == spell(M) else "ExA") for a in method}
    inflow, outflow = defaultdict(int), defaultdict(int)
    for sender, receiver, raw in scenario.moves:
        a, b = spell(sender), spell(receiver)
        if entity.get(a) == entity.get(b):
            continue  # internal, or no exchange at all
        if b in entity:
            inflow[method[b]] += raw
        if a in entity:
            outflow[method[a]] += raw
    got = csv_rows(run_cli("--db", str(db), "query", "flow_by_label_method", "-p", "day", "2026-03-02",
                           "--with-discovered", "--format", "csv").stdout)
    assert {(r["chain"], r["method"]): (r["inflow"], r["outflow"]) for r in got} == {
        (chain_name, m): (f"{Decimal(inflow[m]).scaleb(-6):.6f}", f"{Decimal(outflow[m]).scaleb(-6):.6f}")
        for m in set(inflow) | set(outflow)
    }
    assert {r["method"] for r in got} == {"imported", "discovered:deposit", "discovered:hot"}


def test_labels_coverage_and_who_to_label_next(clustered) -> None:
    chain_name, db, spell, scenario = clustered
    owner = spell(scenario.chain.owner)
    entity = {spell(L): "ExA", spell(M): "ExB", owner: "Tether"}  # the curated labels
    day_volume, any_label, per_entity = 0, 0, defaultdict(int)
    dealings: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sender, receiver, raw in scenario.moves:
        a, b = spell(sender), spell(receiver)
        day_volume += raw
        if a in entity or b in entity:
            any_label += raw
        for side in {entity.get(a), entity.get(b)} - {None}:
            per_entity[side] += raw
        if (a in entity) != (b in entity):
            dealings[b if a in entity else a][entity.get(a) or entity[b]] += raw

    def money(raw: int) -> str:
        return f"{Decimal(raw).scaleb(-6):.6f}"

    def pct(part: int, whole: int) -> str:
        return f"{(Decimal(100) * part / whole).quantize(Decimal('0.01'), 'ROUND_HALF_UP')}"

    done = run_cli("--db", str(db), "labels", "coverage", "--chain", chain_name, "--format", "csv")
    assert done.returncode == 0, done.stderr
    got = [(r["day"], r["entity"], r["volume"], r["day_volume"], r["share_pct"]) for r in csv_rows(done.stdout)]
    expected = [("(any label)", any_label)] + sorted(per_entity.items(), key=lambda item: (-item[1], item[0]))
    assert got == [("2026-03-02", name, money(raw), money(day_volume), pct(raw, day_volume)) for name, raw in expected]
    # Counting the discovered wallets covers more of the same day.
    assert run_cli("--db", str(db), "labels", "discover", "--chain", chain_name).returncode == 0
    wider = csv_rows(run_cli("--db", str(db), "labels", "coverage", "--with-discovered", "--format", "csv").stdout)
    assert Decimal(wider[0]["volume"]) > Decimal(money(any_label)) and wider[0]["entity"] == "(any label)"

    top = csv_rows(run_cli("--db", str(db), "labels", "coverage", "--counterparties", "--limit", "5",
                           "--format", "csv").stdout)
    ranked = sorted(dealings.items(), key=lambda item: (-sum(item[1].values()), item[0]))[:5]
    assert [(r["address"], r["volume_with_labeled"], r["top_entity"], r["top_entity_pct"], r["entities"]) for r in top] == [
        (address, money(sum(by.values())), max(sorted(by), key=lambda e: by[e]),
         f"{(Decimal(100) * max(by.values()) / sum(by.values())).quantize(Decimal('0.1'), 'ROUND_HALF_UP')}", str(len(by)))
        for address, by in ranked
    ]
    assert top[0]["address"] == spell(RICH) and top[1]["address"] == spell(H1)  # the hot wallet is next to label
    table = run_cli("--db", str(db), "labels", "coverage", "--chain", chain_name)
    assert "Top 20 unlabeled counterparties" in table.stdout and spell(H1) in table.stdout
    bad = run_cli("--db", str(db), "labels", "coverage", "--since", "2026-03-05", "--until", "2026-03-01")
    assert bad.returncode == 1 and "--since 2026-03-05 is after --until 2026-03-01" in bad.stderr
