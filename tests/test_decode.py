"""Pure decoding of eth_getLogs answers: no node, no database."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from tests.support.both_paths import decode_both
from tracker.errors import BadResponse, RpcError
from tracker.http import RetryableRpcError, TruncatedBody
from tracker.ingest.evm.decode import parse_logs_response
from tracker.ingest.evm.logs import LogFilter
from tracker.tokens import USDT_ETHEREUM_LAYOUT, USDT_TRON_LAYOUT, TokenLayout

FIXTURE = Path(__file__).parent / "fixtures" / "ethereum_getlogs_usdt.json"
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
BLOCK = 0x107D7B0
CONTRACTS = Path(__file__).resolve().parent.parent / "contracts"
# The deployed contracts' event declarations (README, Protocol facts), as ABI.
ABIS = {USDT_ETHEREUM_LAYOUT: CONTRACTS / "usdt_events.abi.json", USDT_TRON_LAYOUT: CONTRACTS / "usdt_trc20_events.abi.json"}
TRANSFER_TOPIC = USDT_ETHEREUM_LAYOUT.event("transfer").topic0
ZERO_WORD = "0x" + "00" * 32


def fixture_body() -> dict:
    return json.loads(FIXTURE.read_text())


def decode_body(body: dict | bytes, low: int = BLOCK, high: int = BLOCK + 1, layout: TokenLayout = USDT_ETHEREUM_LAYOUT):
    """The polars path's rows, checked against the native scan's wherever that takes the body."""
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return decode_both(raw, LogFilter("ethereum", USDT, low, high, layout))[0]


@pytest.mark.parametrize("layout", [USDT_ETHEREUM_LAYOUT, USDT_TRON_LAYOUT], ids=lambda layout: layout.name)
def test_layouts_match_the_deployed_contracts_abi(layout: TokenLayout) -> None:
    from eth_utils import keccak

    events = json.loads(ABIS[layout].read_text())
    declared = [(e["name"], [(i["name"], i["type"], i["indexed"]) for i in e["inputs"]]) for e in events]
    assert declared == [(e.name, [(f.name, f.type, f.indexed) for f in e.fields]) for e in layout.events]
    signatures = [f"{e['name']}({','.join(i['type'] for i in e['inputs'])})" for e in events]
    assert signatures == ["Transfer(address,address,uint256)", "Issue(uint256)", "Redeem(uint256)",
                          "DestroyedBlackFunds(address,uint256)", "Deprecate(address)"]
    assert layout.topics == ["0x" + keccak(text=s).hex() for s in signatures]
    # The mainnet sample's Transfer topic, as published on chain; DestroyedBlackFunds' hash is the same on both chains.
    assert layout.topics[0] == "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
    assert layout.topics[3] == "0x61e6e66b0d6339b2980aecc6ccc0039736791f0ccde9ed512e789a7fbdd698c6"
    assert [e.topic_count for e in layout.events][3] == (2 if layout is USDT_TRON_LAYOUT else 1)


def _tron_destroyed_black_funds(log: dict) -> dict:
    """Ethereum's DestroyedBlackFunds log re-laid as Tron's USDT emits it: wallet in topic 1, balance the only word."""
    data = log["data"][2:]
    return {**log, "topics": [log["topics"][0], "0x" + data[:64]], "data": "0x" + data[64:]}


def test_destroyed_black_funds_decodes_by_the_token_layout() -> None:
    body = fixture_body()
    ethereum_shaped = body["result"][3]
    tron_shaped = _tron_destroyed_black_funds(ethereum_shaped)
    expected = [("destroyed_black_funds", "0x901c7c311d39e0b26257219765e71e8db3107a81", Decimal("1000001"))]
    for log, layout in ((ethereum_shaped, USDT_ETHEREUM_LAYOUT), (tron_shaped, USDT_TRON_LAYOUT)):
        supply = decode_body({**body, "result": [log]}, layout=layout).supply_events.to_dicts()
        assert [(s["kind"], s["address"], s["amount_raw"]) for s in supply] == expected
    # Each layout refuses the other's shape: the declaration decides, not a guess.
    with pytest.raises(BadResponse, match=r"do not match DestroyedBlackFunds as usdt-tron declares it \(2 topics, 1 data word\)"):
        decode_body({**body, "result": [ethereum_shaped]}, layout=USDT_TRON_LAYOUT)
    with pytest.raises(BadResponse, match=r"do not match DestroyedBlackFunds as usdt-ethereum declares it \(1 topics, 2 data words\)"):
        decode_body({**body, "result": [tron_shaped]}, layout=USDT_ETHEREUM_LAYOUT)
    # An indexed wallet must still be an address word.
    not_address = {**tron_shaped, "topics": [tron_shaped["topics"][0], "0x" + "ff" * 32]}
    with pytest.raises(BadResponse, match="do not match"):
        decode_body({**body, "result": [not_address]}, layout=USDT_TRON_LAYOUT)


def test_real_mainnet_transfer_decodes_exactly() -> None:
    decoded = decode_body(fixture_body())
    transfer = decoded.transfers.row(0, named=True)
    assert transfer == {
        "chain": "ethereum",
        "token": USDT,
        "block_number": 17_291_184,
        "tx_hash": "0xcd718a69d478340dc28fdf6bf8056374a52dc95841b44083163ced8dfe29310c",
        "log_index": 590,
        "from_address": "0xa82f91562e1cef9dec93a4ad328d01ea7827910a",
        "to_address": "0x901c7c311d39e0b26257219765e71e8db3107a81",
        "amount_raw": Decimal("4361142255"),
        "supply_leg": None,
    }


def test_supply_events_and_case_normalization() -> None:
    decoded = decode_body(fixture_body())
    supply = decoded.supply_events.sort("block_number", "log_index").to_dicts()
    assert [(s["kind"], s["address"], s["amount_raw"], s["log_index"]) for s in supply] == [
        ("issue", None, Decimal("9999999999"), 0x250),
        ("redeem", None, Decimal("10"), 0),
        ("destroyed_black_funds", "0x901c7c311d39e0b26257219765e71e8db3107a81", Decimal("1000001"), 1),
    ]
    # Mixed-case hex from a node is stored lower-case.
    assert decoded.block_hashes.to_dicts()[0]["block_hash"] == "0xe6262c1924326d12b88aaa35a95a0c7cdd11f2d20ebae84618484120bd037c34"
    assert decoded.block_hashes.height == 2


def test_capitals_from_a_node_are_read_and_stored_lower_case() -> None:
    """The specification spells hashes, topics, data and quantities in lower case; the decoder checks them as
    they came and lower-cases a batch only when a log fails, so a node that writes capitals decodes the same."""
    body = fixture_body()
    expected = decode_body(body)
    shouted = fixture_body()
    for log in shouted["result"]:
        for field in ("blockHash", "transactionHash", "data", "blockNumber", "logIndex"):
            log[field] = "0x" + log[field][2:].upper()
        log["topics"] = ["0x" + topic[2:].upper() for topic in log["topics"]]
    decoded = decode_body(shouted)
    for frame in ("transfers", "supply_events", "block_hashes"):
        assert getattr(decoded, frame).to_dicts() == getattr(expected, frame).to_dicts()
    assert decoded.transfers["tx_hash"][0] == "0xcd718a69d478340dc28fdf6bf8056374a52dc95841b44083163ced8dfe29310c"


def test_amounts_decode_exactly_at_the_extremes() -> None:
    # (their amounts in token units are the store's: test_store.test_amounts_are_exact_at_the_extremes)
    body = fixture_body()
    log = body["result"][0]
    body["result"] = []
    for index, raw in enumerate([0, 1, 999_999, 10**6, 2**64 - 1, 2**64, 10**38 - 1]):
        body["result"].append({**log, "logIndex": hex(index), "data": "0x%064x" % raw})
    assert decode_body(body).transfers["amount_raw"].to_list() == [
        Decimal(v) for v in [0, 1, 999_999, 10**6, 2**64 - 1, 2**64, 10**38 - 1]]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"address": "0x" + "ab" * 20}, "another contract"),
        ({"blockNumber": hex(BLOCK + 5)}, "outside the requested range"),
        ({"removed": True}, "removed"),
        ({"topics": ["0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925", "0x" + "00" * 32, "0x" + "00" * 32]}, "not Transfer"),
        ({"topics": [TRANSFER_TOPIC, "0x" + "00" * 32]}, "do not match"),  # ERC-20 layout broken
        ({"topics": [TRANSFER_TOPIC, "0x" + "ff" * 32, "0x" + "00" * 32]}, "do not match"),  # not an address word
        ({"data": "0x" + "00" * 31}, "do not match"),
        ({"data": "0x" + "%064x" % 10**38}, "does not fit"),
        ({"data": "0x" + "ff" * 32}, "does not fit"),
        ({"transactionHash": "0x1234"}, "transactionHash"),
        ({"logIndex": None}, "logIndex"),
        ({"blockHash": None}, "blockHash"),
    ],
)
def test_lying_or_malformed_logs_are_refused(change: dict, message: str) -> None:
    body = fixture_body()
    body["result"][0].update(change)
    with pytest.raises(BadResponse, match=message):
        decode_body(body)


def test_two_hashes_for_one_block_is_refused() -> None:
    body = fixture_body()
    body["result"][1]["blockHash"] = "0x" + "99" * 32
    with pytest.raises(BadResponse, match="two different blocks"):
        decode_body(body)


def test_envelopes_errors_and_cut_bodies() -> None:
    assert parse_logs_response(b'{"jsonrpc":"2.0","id":1,"result":[]}').height == 0
    with pytest.raises(RpcError, match="more than 10000 results"):
        parse_logs_response(b'{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"query returned more than 10000 results"}}')
    with pytest.raises(RetryableRpcError):
        parse_logs_response(b'{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"daily request count exceeded, request rate limited"}}')
    whole = orjson.dumps(fixture_body())
    for cut in (10, len(whole) // 2, len(whole) - 2):
        with pytest.raises(TruncatedBody):
            parse_logs_response(whole[:cut])
    with pytest.raises(BadResponse, match="neither result nor error"):
        parse_logs_response(b'{"jsonrpc":"2.0","id":1}')


def test_compact_and_pretty_bodies_parse_the_same() -> None:
    body = fixture_body()
    compact = parse_logs_response(orjson.dumps(body))
    pretty = parse_logs_response(json.dumps(body, indent=2).encode())
    reordered = parse_logs_response(orjson.dumps({"result": body["result"], "id": 1, "jsonrpc": "2.0"}))
    assert compact.height == 4
    assert compact.equals(pretty) and compact.equals(reordered)


def test_a_deprecated_token_stops_the_sync_naming_its_successor() -> None:
    from tracker.errors import TrackerError

    body = fixture_body()
    successor = "0x" + "00" * 12 + "c6cde7c39eb2f0f0095f41570af89efc2c1ea828"
    deprecate = {**body["result"][2], "logIndex": "0x7", "topics": [USDT_ETHEREUM_LAYOUT.event("deprecate").topic0],
                 "data": successor}
    body["result"].append(deprecate)
    with pytest.raises(TrackerError, match=r"^ethereum token 0xdac17f958d2ee523a2206206994597c13d831ec7 was deprecated "
                       r"in block 17,291,185: Tether moved it to 0xc6cde7c39eb2f0f0095f41570af89efc2c1ea828, .*"
                       r"--to-block 17291184 and the new one with --token 0xc6cde7c39eb2f0f0095f41570af89efc2c1ea828$"):
        decode_body(body)
    body["result"][-1] = {**deprecate, "data": "0x" + "ff" * 32}  # not an address: a lie, refused as such
    with pytest.raises(BadResponse, match="do not match Deprecate"):
        decode_body(body)


def test_zero_address_legs_follow_the_layout_and_tron_format_applies() -> None:
    from tracker.chains import TRON
    from tracker.ingest.tron.address import base58_from_hex20

    body = fixture_body()
    transfer, issue, redeem = body["result"][0], body["result"][1], body["result"][2]
    owner_word = transfer["topics"][2]
    issue_tx, redeem_tx, user_tx = "0x" + "44" * 32, "0x" + "55" * 32, "0x" + "66" * 32
    at = {"blockNumber": hex(BLOCK), "blockHash": transfer["blockHash"]}
    logs = [
        transfer,
        {**issue, **at, "transactionHash": issue_tx, "logIndex": "0x1"},
        {**transfer, "transactionHash": issue_tx, "logIndex": "0x2", "topics": [TRANSFER_TOPIC, ZERO_WORD, owner_word]},
        {**redeem, **at, "transactionHash": redeem_tx, "logIndex": "0x3"},
        {**transfer, "transactionHash": redeem_tx, "logIndex": "0x4", "topics": [TRANSFER_TOPIC, owner_word, ZERO_WORD]},
        # a user's own transfer to the zero address: no Redeem in its transaction, so not a supply leg
        {**transfer, "transactionHash": user_tx, "logIndex": "0x5", "topics": [TRANSFER_TOPIC, owner_word, ZERO_WORD]},
    ]
    body["result"] = logs
    # Ethereum's USDT emits no legs: a zero-address Transfer there is an ordinary transfer.
    ethereum = decode_body(body).transfers.sort("log_index")
    assert ethereum["supply_leg"].to_list() == [None, None, None, None]

    tron, _ = decode_both(orjson.dumps(body), LogFilter("tron", USDT, BLOCK, BLOCK, USDT_TRON_LAYOUT), TRON.format)
    rows = tron.transfers.sort("log_index").to_dicts()
    assert [(r["log_index"], r["supply_leg"]) for r in rows] == [(2, "mint"), (4, "burn"), (5, None), (0x24E, None)]
    rows = [next(r for r in rows if r["log_index"] == index) for index in (0x24E, 2)]
    assert rows[1]["from_address"] == "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb"  # Tron's zero address
    assert rows[0]["token"] == base58_from_hex20(USDT[2:])  # the tested conversion module, applied per column
    assert rows[0]["to_address"] == base58_from_hex20("901c7c311d39e0b26257219765e71e8db3107a81")
    assert rows[0]["tx_hash"] == "cd718a69d478340dc28fdf6bf8056374a52dc95841b44083163ced8dfe29310c"
