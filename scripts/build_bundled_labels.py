#!/usr/bin/env python3
"""Regenerate the bundled exchange-wallet labels (tracker/data/labels/*.csv) from public, redistributable sources.

Sources, in order of preference (an address two sources give to the same
entity is written once, by the first; an address they give to different
entities is dropped everywhere and reported):

1. brianleect/etherscan-labels (MIT): Etherscan account name tags, Ethereum.
2. dawsbot/eth-labels (MIT): Etherscan "exchange" label list (master) and the
   per-exchange account tags of the accounts-api branch, Ethereum.
3. DefiLlama/DefiLlama-Adapters (package.json "license": "ISC"): the static
   CEX owner lists (`ethereum` and `tron` owners) of its exchange adapters,
   and Binance's proof-of-reserves address lists (projects/binance/chains.json,
   and the 2023 projects/binance/config.js asset list).

issuers.csv (Tether's treasuries) is hand-curated and written from ISSUERS below.

Every source is read from a fetched snapshot (a bare git repository) at a
pinned commit, so a run is deterministic:

    python scripts/build_bundled_labels.py \\
        --etherscan-labels /work/.mirror/brianleect+etherscan-labels/repo \\
        --eth-labels /work/.mirror/dawsbot+eth-labels/repo \\
        --defillama /work/.mirror/DefiLlama+DefiLlama-Adapters/repo

Addresses are validated with the tracker's own validators (EIP-55 checksum
where a source gives mixed case, Tron base58check), so run it with the
checkout on PYTHONPATH. It prints the counts per chain and entity and every
row it left out, with the reason.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tracker.chains import CHAINS  # validators: EIP-55, base58check
from tracker.errors import TrackerError

HEADER = ("chain", "address", "entity", "category", "wallet_type", "source", "valid_from", "valid_to")

# Pinned commits of the sources (see tracker/data/labels/NOTICE).
ETHERSCAN_LABELS_COMMIT = "923aba72c7e2d0682f7ae6194b6140bd90668dc9"
ETH_LABELS_MASTER_COMMIT = "a421d2936c3dfa46c8fb3d8fd658b6fa5bdb7b97"  # master: src/mainnet/exchange/all.csv
ETH_LABELS_ACCOUNTS_COMMIT = "6aff38d90cd19063f769677532c6dd89f99f19ad"  # accounts-api: data/etherscan/<label>/
DEFILLAMA_COMMIT = "cf9693cdabf9b816e85e6c8ad19cd4c29190d395"  # last commit with static projects/<cex>/index.js
DEFILLAMA_BINANCE_COMMIT = "4e9bf35214b7a00ebbe153a023cc18886ea8ccfc"  # last with projects/binance/chains.json
DEFILLAMA_BINANCE_2023_COMMIT = "d42ace56fdca0f31580b8d9d38e758583a811585"  # projects/binance/config.js asset list

ETHERSCAN_LABELS = "brianleect/etherscan-labels"
ETH_LABELS = "dawsbot/eth-labels"
DEFILLAMA = "DefiLlama/DefiLlama-Adapters"

# Canonical entity names: source spelling (lower case) -> the name the tracker uses.
# Binance.US is a separate company with its own wallets and reserves: kept apart from Binance.
ALIASES = {
    "binance": "Binance",
    "binance us": "Binance.US",
    "binance.us": "Binance.US",
    "okx": "OKX",
    "okex": "OKX",
    "bybit": "Bybit",
    "bitget": "Bitget",
    "mexc": "MEXC",
    "mexc.com": "MEXC",
    "coinbase": "Coinbase",
    "kraken": "Kraken",
    "bitfinex": "Bitfinex",
    "huobi": "HTX",
    "htx": "HTX",
    "kucoin": "KuCoin",
    "gate.io": "Gate",
    "gate": "Gate",
    "crypto.com": "Crypto.com",
    "upbit": "Upbit",
    "bithumb": "Bithumb",
    "gemini": "Gemini",
    "poloniex": "Poloniex",
    "bitstamp": "Bitstamp",
    "korbit": "Korbit",
    "coinone": "Coinone",
    "bittrex": "Bittrex",
    "hitbtc": "HitBTC",
    "bitflyer": "bitFlyer",
    "bitmex": "BitMEX",
    "ftx exchange": "FTX",
    "ftx": "FTX",
    "coinex": "CoinEx",
    "paribu": "Paribu",
    "luno": "Luno",
    "indodax": "Indodax",
    "bitmart": "BitMart",
    "ascendex": "AscendEX",
    "hotbit": "Hotbit",
    "bitkub": "Bitkub",
    "whitebit": "WhiteBIT",
    "bitrue": "Bitrue",
    "bigone": "BigONE",
    "coinw": "CoinW",
    "liquid": "Liquid",
    "exmo": "Exmo",
    "latoken": "LAToken",
    "xt.com": "XT.com",
}
CANONICAL = frozenset(ALIASES.values()) | {"Tether"}

# The part of an Etherscan name tag after the exchange ("Kraken: Hot Wallet 2", "Coinbase Cold 3"),
# number removed, that marks an exchange-held wallet -> wallet_type. Anything else (Deployer,
# Contract, ... Token, Commerce, Charity, Pool, Prime custody, per-token deposit contracts) is left out.
KINDS = {
    "": "unknown",
    "hot wallet": "hot",
    "hot": "hot",
    "cold wallet": "cold",
    "cold": "cold",
    "deposit funder": "unknown",
    "deposit supplier": "unknown",
    "deposit": "deposit",
    "batch deposit": "deposit",
    "multisig": "unknown",
    "old address": "unknown",
    "cold migration": "unknown",
    "mexc.com": "unknown",
}
# Name families whose owner is in doubt: Etherscan's "Bitfinex: MultiSig 2" is Tether's USDT owner
# (0xc6cde7c3...), so "Bitfinex: MultiSig" does not reliably mean a Bitfinex exchange wallet.
DOUBTFUL = {("Bitfinex", "multisig"): "Bitfinex: MultiSig family (MultiSig 2 is Tether's USDT owner): owner in doubt"}
TOKEN_HOT = re.compile(r"^[A-Z0-9]{2,6} Hot$")  # "Coinbase: LINK Hot": a hot wallet for one token

# Never an exchange wallet, whatever a source says: token contracts and Tether's own wallets
# (brianleect/etherscan-labels files several of them under its `bitfinex` label).
DENY = {
    ("ethereum", "0xdac17f958d2ee523a2206206994597c13d831ec7"): "USDT token contract",
    ("ethereum", "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"): "USDC token contract",
    ("ethereum", "0xabdf147870235fcfc34153828c769a70b3fae01f"): "EURT token contract (Euro Tether)",
    ("ethereum", "0xc581b735a1688071a1746c968e0798d642ede491"): "EURT token contract (Euro Tether)",
    ("ethereum", "0x4922a015c4407f87432b179bb209e125432e4a2a"): "XAUt token contract (old)",
    ("ethereum", "0x68749665ff8d2d112fa859aa293f07a622782f38"): "XAUt token contract",
    ("ethereum", "0x6e109e9dd7fa1a58bc3eff667e8e41fc3cc07aef"): "CNHT token contract (Tether)",
    ("ethereum", "0xed03ed872159e199065401b6d0d487d78d9464aa"): "MXNt token contract (Tether)",
    ("ethereum", "0x5754284f345afc66a98fbb0a0afe71e0f007b949"): "Tether treasury",
    ("ethereum", "0xc6cde7c39eb2f0f0095f41570af89efc2c1ea828"): "Tether multisig (USDT owner)",
    ("tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"): "USDT-TRC20 token contract",
    ("tron", "TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs"): "Tether treasury",
}

# Tether's treasuries (category issuer), hand-curated; kept with their sources as before.
ISSUERS = [
    ("ethereum", "0x5754284f345afc66a98fbb0a0afe71e0f007b949", "Tether", "issuer", "treasury",
     "Etherscan label Tether: Treasury"),
    ("ethereum", "0xc6cde7c39eb2f0f0095f41570af89efc2c1ea828", "Tether", "issuer", "treasury",
     "owner() of the USDT contract (Tether multisig): Issue/Redeem credit and debit it"),
    ("tron", "TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs", "Tether", "issuer", "treasury",
     "Tronscan label Tether: Treasury"),
]

# eth-labels accounts-api branch: the per-exchange Etherscan label folders it has.
ETH_LABELS_ACCOUNT_FOLDERS = ("bitfinex", "bitget", "bithumb", "bitstamp", "coinbase", "crypto-com", "gate-io",
                              "gemini", "kraken", "kucoin", "okx", "poloniex", "upbit")

# DefiLlama adapters with static owner lists: project folder -> entity.
DEFILLAMA_PROJECTS = {
    "binance-us": "Binance.US",
    "bitfinex": "Bitfinex",
    "bitget": "Bitget",
    "bybit": "Bybit",
    "crypto-com": "Crypto.com",
    "gate-io": "Gate",
    "gemini": "Gemini",
    "huobi": "HTX",
    "korbit": "Korbit",
    "kraken": "Kraken",
    "kucoin": "KuCoin",
    "mexc-cex": "MEXC",
    "okex": "OKX",
    "poloniex-cex": "Poloniex",
}
DEFILLAMA_CHAINS = ("ethereum", "tron")

OUTPUTS = {  # file -> the source whose rows it holds
    "ethereum-etherscan-labels.csv": ETHERSCAN_LABELS,
    "ethereum-eth-labels.csv": ETH_LABELS,
    "ethereum-defillama.csv": DEFILLAMA,
    "tron-defillama.csv": DEFILLAMA,
    "issuers.csv": "issuers",
}


@dataclass(frozen=True)
class Row:
    chain: str
    address: str
    entity: str
    category: str
    wallet_type: str
    source: str
    origin: str  # which source (for preference and output file)


class Build:
    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.dropped: list[tuple[str, str, str]] = []  # (reason, row text, source)
        self.tokens: set[tuple[str, str]] = set()

    def drop(self, reason: str, what: str, origin: str) -> None:
        self.dropped.append((reason, what, origin))


def git_show(repo: Path, commit: str, path: str) -> str:
    return subprocess.run(["git", "--git-dir", str(repo), "show", f"{commit}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def normalize(chain: str, address: str) -> str:
    """The stored form of an address, or ValueError: Tron base58check; Ethereum 0x hex, EIP-55 when mixed case."""
    address = address.strip()
    if chain == "tron" and not address.startswith("T"):
        raise ValueError(f"not a base58 Tron address: {address!r}")
    if chain == "ethereum" and not re.fullmatch(r"0x[0-9a-fA-F]{40}", address):
        raise ValueError(f"not a 0x Ethereum address: {address!r}")
    try:
        return CHAINS[chain].normalize_token(address, f"{chain} address")
    except TrackerError as error:
        raise ValueError(str(error)) from None


def name_kind(name: str) -> tuple[str, str] | None:
    """(entity, the rest of the name, numbers removed) when the name starts with a known exchange."""
    text = re.sub(r"\s+\d+$", "", name.strip())
    lowered = text.lower()
    for alias in sorted(ALIASES, key=len, reverse=True):
        if lowered == alias or lowered.startswith((alias + " ", alias + ":")):
            return ALIASES[alias], re.sub(r"\s+\d+$", "", text[len(alias):].lstrip(" :").strip())
    return None


def parse_name(name: str) -> tuple[str, str] | None:
    """(entity, wallet_type) for an Etherscan-style name tag of an exchange wallet, else None."""
    found = name_kind(name)
    if found is None:
        return None
    entity, rest = found
    if rest.lower() in KINDS:
        return entity, KINDS[rest.lower()]
    if TOKEN_HOT.match(rest):
        return entity, "hot"
    return None


def add_named(build: Build, origin: str, address: str, name: str, source_text: str) -> None:
    what = f"{address} {name!r}"
    entity, rest = name_kind(name) or ("", "")
    doubt = DOUBTFUL.get((entity, rest.lower()))
    if doubt:
        build.drop(doubt, what, origin)
        return
    parsed = parse_name(name)
    if parsed is None:
        build.drop("not an exchange wallet name (or exchange not in the canonical table)", what, origin)
        return
    try:
        stored = normalize("ethereum", address)
    except ValueError as error:
        build.drop(f"invalid address: {error}", what, origin)
        return
    build.rows.append(Row("ethereum", stored, parsed[0], "exchange", parsed[1], source_text, origin))


def read_etherscan_labels(build: Build, repo: Path) -> None:
    accounts = json.loads(git_show(repo, ETHERSCAN_LABELS_COMMIT, "data/etherscan/combined/combinedAccountLabels.json"))
    tokens = json.loads(git_show(repo, ETHERSCAN_LABELS_COMMIT, "data/etherscan/combined/combinedTokenLabels.json"))
    build.tokens |= {("ethereum", address.lower()) for address in tokens}
    label_entities = {alias.replace(".", "-").replace(" ", "-") for alias in ALIASES}
    for address, entry in sorted(accounts.items()):
        name = entry.get("name") or ""
        labels = set(entry.get("labels") or [])
        named = parse_name(name)
        # Rows under an exchange's label, or tagged hot/cold wallet, whose name is an exchange's.
        if not (labels & label_entities or labels & {"hot-wallet", "cold-wallet"} or named):
            continue
        add_named(build, ETHERSCAN_LABELS, address, name, f"{ETHERSCAN_LABELS}: {name}")


def read_eth_labels(build: Build, repo: Path) -> None:
    text = git_show(repo, ETH_LABELS_MASTER_COMMIT, "src/mainnet/exchange/all.csv")
    for row in sorted(csv.DictReader(io.StringIO(text)), key=lambda r: r["address"].lower()):
        add_named(build, ETH_LABELS, row["address"], row["nameTag"] or "", f"{ETH_LABELS}: {row['nameTag']}")
    for folder in ETH_LABELS_ACCOUNT_FOLDERS:
        base = f"data/etherscan/{folder}"
        try:
            tokens = json.loads(git_show(repo, ETH_LABELS_ACCOUNTS_COMMIT, f"{base}/tokens.json"))
        except subprocess.CalledProcessError:
            tokens = []
        build.tokens |= {("ethereum", entry["address"].lower()) for entry in tokens}
        entries = json.loads(git_show(repo, ETH_LABELS_ACCOUNTS_COMMIT, f"{base}/accounts.json"))
        for entry in sorted(entries, key=lambda e: e["address"].lower()):
            name = entry.get("nameTag") or ""
            add_named(build, ETH_LABELS, entry["address"], name, f"{ETH_LABELS}: {name}")


def owners_arrays(text: str) -> dict[str, tuple[list[str], list[str]]]:
    """chain -> (owners, commented-out owners) for each `chain: { owners: [ ... ] }` of a JS config."""
    found: dict[str, tuple[list[str], list[str]]] = {}
    pattern = re.compile(r"""["']?(\w+)["']?\s*:\s*\{\s*["']?owners["']?\s*:\s*\[""")
    for match in pattern.finditer(text):
        chain = match.group(1)
        end = text.index("]", match.end())
        live, commented = found.setdefault(chain, ([], []))
        for line in text[match.end():end].splitlines():
            code, _, comment = line.partition("//")
            live += re.findall(r"""["']([^"']+)["']""", code)
            commented += re.findall(r"""["']([^"']+)["']""", comment) if not code.strip() else []
    return found


def read_defillama(build: Build, repo: Path) -> None:
    chains = json.loads(git_show(repo, DEFILLAMA_BINANCE_COMMIT, "projects/binance/chains.json"))
    for chain in DEFILLAMA_CHAINS:
        for address in chains.get(chain, []):
            add_owner(build, chain, address, "Binance",
                      f"{DEFILLAMA}: projects/binance/chains.json {chain} (Binance proof-of-reserves list)")
    # The 2022-2023 asset list (Binance's published wallets per asset and network): wallets since retired.
    legacy = git_show(repo, DEFILLAMA_BINANCE_2023_COMMIT, "projects/binance/config.js")
    networks = {"ETH": "ethereum", "TRX": "tron"}
    for network, address in re.findall(r"""^\s*\[\s*"[^"]*"\s*,\s*"(ETH|TRX)"\s*,\s*"([^"]+)"\s*\]""", legacy, re.MULTILINE):
        add_owner(build, networks[network], address, "Binance",
                  f"{DEFILLAMA}: projects/binance/config.js {networks[network]} (Binance's 2023 wallet list)")
    for project, entity in sorted(DEFILLAMA_PROJECTS.items()):
        path = f"projects/{project}/index.js"
        arrays = owners_arrays(git_show(repo, DEFILLAMA_COMMIT, path))
        for chain in DEFILLAMA_CHAINS:
            live, commented = arrays.get(chain, ([], []))
            for address in commented:
                build.drop("commented out in the source (wallet retired)", f"{chain} {address} {entity}", DEFILLAMA)
            for address in live:
                add_owner(build, chain, address, entity, f"{DEFILLAMA}: {path} {chain} owners")


def add_owner(build: Build, chain: str, address: str, entity: str, source_text: str) -> None:
    try:
        stored = normalize(chain, address)
    except ValueError as error:
        build.drop(f"invalid address: {error}", f"{chain} {address} {entity}", DEFILLAMA)
        return
    build.rows.append(Row(chain, stored, entity, "exchange", "unknown", source_text, DEFILLAMA))


def resolve(build: Build) -> tuple[list[Row], list[str]]:
    """One row per (chain, address): issuers first, then sources by preference; disagreeing sources drop it."""
    issuers = [Row(*values, origin="issuers") for values in ISSUERS]
    order = {ETHERSCAN_LABELS: 1, ETH_LABELS: 2, DEFILLAMA: 3}
    candidates: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in build.rows:
        key = (row.chain, row.address)
        if key in DENY:
            build.drop(f"deny list: {DENY[key]}", f"{row.chain} {row.address} {row.entity} ({row.source})", row.origin)
        elif key in build.tokens:
            build.drop("token contract (a source lists it as a token)",
                       f"{row.chain} {row.address} {row.entity} ({row.source})", row.origin)
        else:
            candidates[key].append(row)
    kept = list(issuers)
    conflicts: list[str] = []
    for key, rows in sorted(candidates.items()):
        entities = sorted({row.entity for row in rows})
        if len(entities) > 1:
            conflicts.append(f"{key[0]} {key[1]}: " + "; ".join(f"{row.entity} ({row.source})" for row in rows))
            for row in rows:
                build.drop("conflict: sources name different entities", f"{row.chain} {row.address} {row.entity}",
                           row.origin)
            continue
        rows = sorted(rows, key=lambda row: (order[row.origin], row.source))
        kept.append(rows[0])
        for row in rows[1:]:
            build.drop("duplicate: same entity from an earlier source or row",
                       f"{row.chain} {row.address} {row.entity} ({row.source})", row.origin)
    return kept, conflicts


def output_file(row: Row) -> str:
    if row.origin == "issuers":
        return "issuers.csv"
    if row.origin == DEFILLAMA:
        return f"{row.chain}-defillama.csv"
    return {ETHERSCAN_LABELS: "ethereum-etherscan-labels.csv", ETH_LABELS: "ethereum-eth-labels.csv"}[row.origin]


def write(kept: list[Row], out: Path) -> dict[str, int]:
    files: dict[str, list[Row]] = {name: [] for name in OUTPUTS}
    for row in kept:
        files[output_file(row)].append(row)
    written = {}
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        rows.sort(key=lambda r: (r.chain, r.entity, r.address))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(HEADER)
        for r in rows:
            writer.writerow((r.chain, r.address, r.entity, r.category, r.wallet_type, r.source, "", ""))
        (out / name).write_text(buffer.getvalue(), encoding="utf-8")
        written[name] = len(rows)
    (out / "MANIFEST").write_text("".join(f"{name}\n" for name in sorted(written)), encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--etherscan-labels", type=Path, default=Path("/work/.mirror/brianleect+etherscan-labels/repo"))
    parser.add_argument("--eth-labels", type=Path, default=Path("/work/.mirror/dawsbot+eth-labels/repo"))
    parser.add_argument("--defillama", type=Path, default=Path("/work/.mirror/DefiLlama+DefiLlama-Adapters/repo"))
    parser.add_argument("--out", type=Path, default=ROOT / "tracker" / "data" / "labels")
    parser.add_argument("--check", action="store_true",
                        help="regenerate into a scratch directory and compare with --out byte for byte (exit 1 if not)")
    args = parser.parse_args(argv)
    if args.check:
        import tempfile

        bundled = args.out
        with tempfile.TemporaryDirectory() as scratch:
            rest = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--check"]
            main([*rest, "--out", scratch])
            made = {p.name: p.read_bytes() for p in Path(scratch).glob("*.csv")}
            shipped = {p.name: p.read_bytes() for p in bundled.glob("*.csv")}
            differ = sorted(n for n in made.keys() | shipped.keys() if made.get(n) != shipped.get(n))
            print(f"check: {'identical' if not differ else 'DIFFERENT: ' + ', '.join(differ)} ({len(made)} files)")
            return 1 if differ else 0
    build = Build()
    read_etherscan_labels(build, args.etherscan_labels)
    read_eth_labels(build, args.eth_labels)
    read_defillama(build, args.defillama)
    kept, conflicts = resolve(build)
    written = write(kept, args.out)
    print("files:")
    for name, count in written.items():
        print(f"  {name}: {count}")
    print("rows per chain and entity:")
    per = Counter((row.chain, row.entity) for row in kept)
    for chain in sorted({row.chain for row in kept}):
        total = sum(n for (c, _), n in per.items() if c == chain)
        print(f"  {chain}: {total}")
        for (c, entity), n in sorted(per.items()):
            if c == chain:
                print(f"    {entity}: {n}")
    print(f"conflicts (dropped from every file): {len(conflicts)}")
    for line in conflicts:
        print(f"  {line}")
    print(f"dropped rows: {len(build.dropped)}")
    for reason, n in sorted(Counter(reason.split(':')[0] if reason.startswith('invalid') else reason
                                    for reason, _, _ in build.dropped).items()):
        print(f"  {n:5d}  {reason}")
    for reason, what, origin in sorted(build.dropped):
        print(f"  dropped [{origin}] {what}: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
