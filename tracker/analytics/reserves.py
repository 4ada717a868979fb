"""Balance and supply anchors read from the node, and `tracker verify`.

An anchor is `balanceOf(wallet)` (and `totalSupply()`, `owner()`) read with
`eth_call` at a synced block. Every balance the index derives starts from a
wallet's earliest anchor and adds or removes the indexed changes
(`balance_changes` view) between that block and the block asked for, so the
figures stay right even when indexing began mid-history. `verify` compares
those derived numbers with the node's own at one block.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl

from tracker.chains import ChainSpec
from tracker.errors import BadResponse, RpcError, TrackerError
from tracker.http import HttpClient, in_background
from tracker.ingest.evm.node import Node, parse_quantity
from tracker.ingest.evm.rpc import JsonRpcClient
from tracker.queries import Result
from tracker.store import Store, analytic_sql, token_decimals, transaction, watch_addresses

BALANCE_OF = "0x70a08231"  # balanceOf(address)
TOTAL_SUPPLY = "0x18160ddd"  # totalSupply()
OWNER = "0x8da5cb5b"  # owner()
# Tries to read a consistent `latest` state before giving up.
LATEST_ATTEMPTS = 3


def units(raw: int, decimals: int = 6) -> Decimal:
    """raw / 10^decimals exactly."""
    return Decimal(raw).scaleb(-decimals)


def _word_address(address_hex: str) -> str:
    return "0" * 24 + address_hex[2:].lower()


def _stored_address(spec: ChainSpec, hex40: str) -> str:
    return pl.select(spec.format.address(pl.lit(hex40))).item()


@dataclass(frozen=True)
class Reading:
    block: int
    total_supply: int
    owner: str | None
    balances: dict[str, int]  # stored address -> raw balance


def read_chain(node: Node, spec: ChainSpec, token: str, block: int | None, addresses: list[str]) -> Reading:
    """totalSupply, owner and balanceOf(addresses + owner) at `block`, straight from the node.

    `block=None` reads the node's `latest` state (java-tron answers eth_call for nothing else) and pins
    it to the head number seen before and after the reads; if the head moved, the reads are repeated.
    """
    for _ in range(LATEST_ATTEMPTS if block is None else 1):
        pinned = node.head() if block is None else block
        reading = _read_at(node, spec, token, hex(pinned) if block is not None else "latest", pinned, addresses)
        if block is not None or node.head() == pinned:
            return reading
    raise TrackerError(f"the head of the {spec.name} node kept moving while balances were read")


def _read_at(node: Node, spec: ChainSpec, token: str, tag: str, block: int, addresses: list[str]) -> Reading:
    """totalSupply, owner and the wallets' balanceOf go out at once (one round trip to a distant node instead of
    three); the owner's balance follows if it is not among the wallets. Answers are judged in the old order."""
    contract = spec.log_address(token)

    def call(data: str) -> object:
        return node.rpc.call("eth_call", [{"to": contract, "data": data}, tag])

    def balances_of(wanted: list[str]) -> list[object]:
        params = [[{"to": contract, "data": BALANCE_OF + _word_address(spec.log_address(a))}, tag] for a in wanted]
        return node.rpc.batch("eth_call", params) if params else []

    total_answer, owner_answer = in_background(lambda: call(TOTAL_SUPPLY)), in_background(lambda: call(OWNER))
    labeled_answers = in_background(lambda: balances_of(addresses))
    total = parse_quantity(total_answer.result(), f"totalSupply() at block {block}")
    try:
        owner_word = owner_answer.result()
        owner = _stored_address(spec, str(owner_word)[-40:].lower()) if isinstance(owner_word, str) and len(owner_word) >= 42 else None
    except (RpcError, BadResponse):
        owner = None  # a token without owner(): Issue/Redeem cannot be credited
    extra = [owner] if owner and owner not in addresses else []
    results = labeled_answers.result() + balances_of(extra)
    wanted = addresses + extra
    balances = {a: parse_quantity(r, f"balanceOf({a}) at block {block}") for a, r in zip(wanted, results)}
    return Reading(block, total, owner, balances)


def labeled_addresses(store: Store, chain: str) -> list[str]:
    return [row[0] for row in store.connection.execute(
        "SELECT DISTINCT address FROM labels WHERE chain = ? ORDER BY 1", [chain]
    ).fetchall()]


def store_reading(store: Store, chain: str, token: str, reading: Reading) -> None:
    con = store.connection
    decimals = token_decimals(con, chain, token)
    with transaction(con):
        con.execute(
            "INSERT OR REPLACE INTO supply_anchors VALUES (?, ?, ?, ?, ?, ?)",
            [chain, token, reading.block, Decimal(reading.total_supply), units(reading.total_supply, decimals), reading.owner],
        )
        if reading.balances:
            # One statement for all wallets: executemany runs one statement a row, seconds for the bundled labels
            # (BENCHMARKS.md, issue 22's twelfth pass). The figures go as exact text, cast to the columns' types.
            con.execute(
                "INSERT OR REPLACE INTO balance_anchors SELECT $chain, $token, wallet.address, $block, wallet.raw,"
                " wallet.balance FROM (SELECT unnest($addresses) AS address, unnest($raw) AS raw,"
                " unnest($balances) AS balance) wallet",
                {"chain": chain, "token": token, "block": reading.block, "addresses": list(reading.balances),
                 "raw": [str(raw) for raw in reading.balances.values()],
                 "balances": [format(units(raw, decimals), "f") for raw in reading.balances.values()]},
            )
            watch_addresses(con)


def anchor_after_sync(store: Store, node: Node, spec: ChainSpec, token: str, progressed: bool,
                      asked_early: Callable[[int, list[str]], Future | None] | None = None) -> tuple[int, int] | None:
    """Anchor at the last synced block: every labeled wallet after progress, else only wallets still unanchored.

    Returns (block, wallets anchored) or None when nothing needed reading. `asked_early(block, wallets)`: the
    `read_chain` a sync started while its last steps were written, if it was for that block and those wallets.
    """
    state = store.sync_state(spec.name, token)
    if state is None:
        return None
    wallets = labeled_addresses(store, spec.name)
    if not progressed:
        anchored = {row[0] for row in store.connection.execute(
            "SELECT DISTINCT address FROM balance_anchors WHERE chain = ? AND token = ?", [spec.name, token]
        ).fetchall()}
        wallets = [w for w in wallets if w not in anchored]
        has_supply = store.connection.execute(
            "SELECT count(*) FROM supply_anchors WHERE chain = ? AND token = ?", [spec.name, token]
        ).fetchall()[0][0]
        if not wallets and has_supply:
            return None
    asked = asked_early(state.last_block, wallets) if asked_early is not None and progressed else None
    try:
        reading = asked.result() if asked is not None else read_chain(node, spec, token, state.last_block, wallets)
    except RpcError:
        # Nodes that serve only the latest state (java-tron, pruned nodes): anchor at the head instead.
        # Such an anchor counts once a later sync has indexed up to its block.
        reading = read_chain(node, spec, token, None, wallets)
    store_reading(store, spec.name, token, reading)
    return reading.block, len(reading.balances)


DERIVED_BALANCES = analytic_sql("derived_balances")

DERIVED_SUPPLY = analytic_sql("derived_supply")


# Logs stored more than once, within one block range (nothing indexes (tx_hash, log_index) as unique; see
# migration 011). A log lives in one block, and a sync replaces whole block ranges and rolls reorgs back,
# so a second copy could only sit in the same block: grouping by block in slices of ≈ 2M rows keeps memory
# bounded (at 100M transfers: ≈ 10 s; one group over the whole table took 34 s and 18 GB).
STORED_TWICE = analytic_sql("stored_twice")
ROWS_PER_SLICE = 2_000_000


def _refuse_logs_stored_twice(store: Store, chain: str, token: str) -> None:
    con = store.connection
    first, last, count = con.execute(
        "SELECT coalesce(min(block_number), 0), coalesce(max(block_number), -1), count(*) FROM ("
        " SELECT block_number FROM transfer_logs WHERE chain = $chain AND token = $token UNION ALL"
        " SELECT block_number FROM supply_events WHERE chain = $chain AND token = $token)",
        {"chain": chain, "token": token},
    ).fetchall()[0]
    slices = -(-count // ROWS_PER_SLICE)  # ceiling division; 0 when nothing is stored
    span = -(-(last - first + 1) // slices) if slices else 1
    doubled, low, high = 0, None, None
    for slice_low in range(first, last + 1, span):
        found, found_low, found_high = con.execute(STORED_TWICE, {
            "chain": chain, "token": token, "low": slice_low, "high": slice_low + span - 1}).fetchall()[0]
        if found:
            doubled, low, high = doubled + found, found_low if low is None else low, found_high
    if doubled:
        raise TrackerError(
            f"{doubled:,} {chain} logs are stored more than once (blocks {low:,}-{high:,}); "
            f"re-sync those blocks with --from-block {low} --to-block {high}"
        )


@dataclass(frozen=True)
class Check:
    what: str  # "totalSupply" or "<entity> <address>"
    node_raw: int
    index_raw: int | None  # None: nothing to derive from (no anchor)

    @property
    def difference(self) -> int | None:
        return None if self.index_raw is None else self.index_raw - self.node_raw


def verify(db_path: Path, spec: ChainSpec, rpc_url: str, token: str, block: int | None,
           http: HttpClient | None = None) -> tuple[int, list[Check]]:
    """Node vs index at one block for totalSupply and every labeled exchange wallet."""
    with Store.open(db_path, read_only=True) as store:
        state = store.sync_state(spec.name, token)
        if state is None:
            raise TrackerError(f"{spec.name} {token} has not been synced into {db_path}")
        at = state.last_block if block is None else block
        if at > state.last_block:
            raise TrackerError(f"--block {at} is past the last synced block {state.last_block}")
        _refuse_logs_stored_twice(store, spec.name, token)
        wallets = store.connection.execute(
            "SELECT address, min(entity) FROM labels WHERE chain = ? AND category = 'exchange' GROUP BY 1 ORDER BY 2, 1",
            [spec.name],
        ).fetchall()
        params = {"chain": spec.name, "token": token, "block": at, "synced": state.last_block}
        derived = {row[0]: int(row[2]) for row in store.connection.execute(DERIVED_BALANCES, params).fetchall()}
        supply = store.connection.execute(DERIVED_SUPPLY, params).fetchall()
    node = Node(JsonRpcClient(rpc_url, http))
    node.check_chain_id(spec.name, spec.chain_id)  # another network's balances would read as differences
    addresses = [w for w, _ in wallets]
    try:
        reading = read_chain(node, spec, token, at, addresses)
    except RpcError as error:
        # A node that serves only its latest state can still check a block that is its head.
        if node.head() != at:
            raise TrackerError(
                f"the node refuses reads at block {at} ({error}); it may serve only its latest state: "
                f"sync to its head (--confirmations 0) and verify again"
            ) from error
        reading = read_chain(node, spec, token, None, addresses)
        if reading.block != at:
            raise TrackerError(f"the node's head moved past block {at} while verifying; run verify again") from error
    checks = [Check("totalSupply", reading.total_supply, int(supply[0][1]) if supply else None)]
    checks += [Check(f"{entity} {address}", reading.balances[address], derived.get(address)) for address, entity in wallets]
    return at, checks


def checks_result(checks: list[Check]) -> Result:
    rows = [
        (c.what, units(c.node_raw), None if c.index_raw is None else units(c.index_raw),
         "no anchor" if c.difference is None else units(c.difference))
        for c in checks
    ]
    return Result(["what", "node", "index", "difference"], rows)


def unanchored_wallets(db_path: Path) -> dict[str, int]:
    """Labeled wallets on synced chains that have no balance anchor yet (their reserves are unknown)."""
    with Store.open(db_path, read_only=True) as store:
        return dict(store.connection.execute(
            "SELECT l.chain, count(DISTINCT l.address) FROM labels l JOIN sync_state s ON s.chain = l.chain"
            " WHERE NOT EXISTS (SELECT 1 FROM balance_anchors a WHERE a.chain = l.chain AND a.token = s.token"
            " AND a.address = l.address) GROUP BY 1 ORDER BY 1"
        ).fetchall())
