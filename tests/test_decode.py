"""Pure decoding of eth_getLogs answers: no node, no database."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from tracker.decode import LogFilter, decode_logs, parse_logs_response, with_units
from tracker.errors import BadResponse, RpcError
from tracker.events import ALL_TOPICS, TRANSFER_TOPIC
from tracker.http import RetryableRpcError, TruncatedBody

FIXTURE = Path(__file__).parent / "fixtures" / "ethereum_getlogs_usdt.json"
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"
BLOCK = 0x107D7B0
ABI = Path(__file__).resolve().parent.parent / "contracts" / "usdt_events.abi.json"


def fixture_body() -> dict:
    return json.loads(FIXTURE.read_text())


def decode_body(body: dict | bytes, low: int = BLOCK, high: int = BLOCK + 1):
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return decode_logs(parse_logs_response(raw), LogFilter("ethereum", USDT, low, high))


def test_event_topics_match_the_usdt_abi_file() -> None:
    from eth_utils import keccak

    events = json.loads(ABI.read_text())
    signatures = [f"{e['name']}({','.join(i['type'] for i in e['inputs'])})" for e in events]
    assert signatures == ["Transfer(address,address,uint256)", "Issue(uint256)", "Redeem(uint256)", "DestroyedBlackFunds(address,uint256)"]
    assert ALL_TOPICS == ["0x" + keccak(text=s).hex() for s in signatures]
    # The mainnet sample's Transfer topic, as published on chain.
    assert TRANSFER_TOPIC == "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


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
    table = with_units(decoded.transfers.to_arrow(), 6)
    assert table.column("amount").to_pylist() == [Decimal("4361.142255")]


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


def test_amounts_convert_exactly_at_the_extremes() -> None:
    body = fixture_body()
    log = body["result"][0]
    body["result"] = []
    for index, raw in enumerate([0, 1, 999_999, 10**6, 2**64 - 1, 2**64, 10**38 - 1]):
        body["result"].append({**log, "logIndex": hex(index), "data": "0x%064x" % raw})
    table = with_units(decode_body(body).transfers.to_arrow(), 6)
    assert table.column("amount_raw").to_pylist() == [Decimal(v) for v in [0, 1, 999_999, 10**6, 2**64 - 1, 2**64, 10**38 - 1]]
    assert [str(v) for v in table.column("amount").to_pylist()] == [
        "0.000000", "0.000001", "0.999999", "1.000000", "18446744073709.551615", "18446744073709.551616",
        "99999999999999999999999999999999.999999",
    ]


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


def test_zero_address_legs_are_marked_and_tron_format_applies() -> None:
    from tracker.chains import TRON
    from tracker.tron_address import base58_from_hex20

    body = fixture_body()
    transfer = body["result"][0]
    zero_word = "0x" + "00" * 32
    owner_word = transfer["topics"][2]
    mint = {**transfer, "logIndex": "0x24f", "topics": [TRANSFER_TOPIC, zero_word, owner_word]}
    burn = {**transfer, "logIndex": "0x250", "topics": [TRANSFER_TOPIC, owner_word, zero_word]}
    body["result"] = [transfer, mint, burn]
    ethereum = decode_body(body).transfers.sort("log_index")
    assert ethereum["supply_leg"].to_list() == [None, "mint", "burn"]

    tron = decode_logs(parse_logs_response(orjson.dumps(body)), LogFilter("tron", USDT, BLOCK, BLOCK), TRON.format)
    rows = tron.transfers.sort("log_index").to_dicts()
    assert [r["supply_leg"] for r in rows] == [None, "mint", "burn"]
    assert rows[1]["from_address"] == "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb"  # Tron's zero address
    assert rows[0]["token"] == base58_from_hex20(USDT[2:])  # the tested conversion module, applied per column
    assert rows[0]["to_address"] == base58_from_hex20("901c7c311d39e0b26257219765e71e8db3107a81")
    assert rows[0]["tx_hash"] == "cd718a69d478340dc28fdf6bf8056374a52dc95841b44083163ced8dfe29310c"
