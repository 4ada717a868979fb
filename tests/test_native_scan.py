"""The native scan of eth_getLogs bodies (tracker/ingest/evm/_logscan.c) against the polars path.

The scan may only take a body the polars path accepts, and must then give the same rows; everything else it
leaves to the polars path (which gives the error). decode_both checks both on every body here, and the
decoding tests in test_decode.py go through it too.
"""

from __future__ import annotations

import json
import random
from decimal import Decimal

import orjson
import pytest

from tracker.chains import TRON
from tracker.errors import BadResponse, TrackerError
from tracker.ingest.evm import native
from tracker.ingest.evm.logs import LogFilter
from tracker.tokens import FIATTOKEN_LAYOUT, USDT_ETHEREUM_LAYOUT, USDT_TRON_LAYOUT

from tests.support.both_paths import decode_both
from tests.test_decode import BLOCK, TRANSFER_TOPIC, USDT, ZERO_WORD, _tron_destroyed_black_funds, fixture_body

FILTER = LogFilter("ethereum", USDT, BLOCK, BLOCK + 1, USDT_ETHEREUM_LAYOUT)


def lower_body() -> dict:
    """The mainnet fixture as nodes send it: hex in lower case (the fixture mixes cases on purpose)."""
    body = fixture_body()
    for log in body["result"]:
        for field in ("blockHash", "transactionHash", "data", "blockNumber", "logIndex"):
            log[field] = log[field].lower()
        log["topics"] = [topic.lower() for topic in log["topics"]]
    return body


def test_the_native_scan_is_built() -> None:
    # Installed without a C compiler, the package falls back to the polars path; the tests need the scan.
    assert native.available(), "tracker.ingest.evm._logscan is not built (needs a C compiler at install)"
    assert native.enabled()


def test_a_node_s_body_is_taken_and_decodes_exactly() -> None:
    decoded, native_took = decode_both(orjson.dumps(lower_body()), FILTER)
    assert native_took
    assert decoded.transfers.row(0, named=True) == {
        "chain": "ethereum", "token": USDT, "block_number": 17_291_184,
        "tx_hash": "0xcd718a69d478340dc28fdf6bf8056374a52dc95841b44083163ced8dfe29310c", "log_index": 590,
        "from_address": "0xa82f91562e1cef9dec93a4ad328d01ea7827910a",
        "to_address": "0x901c7c311d39e0b26257219765e71e8db3107a81", "amount_raw": Decimal("4361142255"),
        "supply_leg": None,
    }
    supply = decoded.supply_events.sort("log_index").to_dicts()
    assert [(s["kind"], s["address"], s["amount_raw"]) for s in supply] == [
        ("redeem", None, Decimal("10")), ("destroyed_black_funds", "0x901c7c311d39e0b26257219765e71e8db3107a81",
                                          Decimal("1000001")), ("issue", None, Decimal("9999999999"))]


def _same_body_other_spellings() -> dict[str, bytes]:
    body = lower_body()
    logs = body["result"]
    extra = [{"transactionIndex": "0x5", "blockTimestamp": "0x6464c2c3", **log, "note": {"a": [1, 'x"y\\', None]}}
             for log in logs]
    return {
        "compact": orjson.dumps(body),
        "pretty": json.dumps(body, indent=2).encode(),
        "envelope reordered": orjson.dumps({"result": logs, "id": 7, "jsonrpc": "2.0"}),
        "keys reordered": orjson.dumps({**body, "result": [dict(reversed(list(log.items()))) for log in logs]}),
        "extra keys": json.dumps({**body, "result": extra}).encode(),
        "removed null": orjson.dumps({**body, "result": [{**log, "removed": None} for log in logs]}),
        "removed absent": orjson.dumps({**body, "result": [{k: v for k, v in log.items() if k != "removed"}
                                                           for log in logs]}),
        "error null": orjson.dumps({**body, "error": None}),
        # An EIP-55 checksummed contract address is the same contract (the polars path compares it lower-cased).
        "checksummed address": orjson.dumps({**body, "result": [{**log, "address": "0xdAC17F958D2ee523a2206206994597C13D831ec7"}
                                                                for log in logs]}),
        "tabs and CRLF": orjson.dumps(body).replace(b",", b",\r\n\t"),
    }


@pytest.mark.parametrize("spelling", list(_same_body_other_spellings()))
def test_other_spellings_of_a_body_are_taken_with_the_same_rows(spelling: str) -> None:
    reference, _ = decode_both(orjson.dumps(lower_body()), FILTER)
    decoded, native_took = decode_both(_same_body_other_spellings()[spelling], FILTER)
    assert native_took
    assert decoded.transfers.equals(reference.transfers) and decoded.supply_events.equals(reference.supply_events)


def test_empty_answers_and_amount_extremes() -> None:
    decoded, native_took = decode_both(b'{"jsonrpc":"2.0","id":1,"result":[]}', FILTER)
    assert native_took and decoded.transfers.height == 0 and decoded.supply_events.height == 0
    body = lower_body()
    log = body["result"][0]
    amounts = [0, 1, 2**64 - 1, 2**64, 2**127 - 1 - (2**127 - 10**38), 10**38 - 1]
    body["result"] = [{**log, "logIndex": hex(i), "data": "0x%064x" % raw} for i, raw in enumerate(amounts)]
    decoded, native_took = decode_both(orjson.dumps(body), FILTER)
    assert native_took
    assert decoded.transfers["amount_raw"].to_list() == [Decimal(raw) for raw in amounts]


LEFT_TO_POLARS = {
    # the polars path reads these (capitals, escapes) or refuses them (the rest), with its own words
    "capital in a hash": ({"transactionHash": "0xCD718A69D478340DC28FDF6BF8056374A52DC95841B44083163CED8DFE29310C"}, None),
    "capital in a topic": ({"topics": [TRANSFER_TOPIC.upper().replace("0X", "0x"), ZERO_WORD, ZERO_WORD]}, None),
    "non-canonical quantity": ({"logIndex": "0x024e"}, "malformed logIndex"),
    "removed": ({"removed": True}, "removed"),
    "another contract": ({"address": "0x" + "ab" * 20}, "another contract"),
    "block after the range": ({"blockNumber": hex(BLOCK + 2)}, "outside the requested range"),
    "block before the range": ({"blockNumber": hex(BLOCK - 1)}, "outside the requested range"),
    "unknown event": ({"topics": ["0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925", ZERO_WORD, ZERO_WORD]}, "not Transfer"),
    "topic missing": ({"topics": [TRANSFER_TOPIC, ZERO_WORD]}, "do not match"),
    "topic too many": ({"topics": [TRANSFER_TOPIC, ZERO_WORD, ZERO_WORD, ZERO_WORD]}, "do not match"),
    "no topics": ({"topics": []}, "not Transfer"),
    "not an address word": ({"topics": [TRANSFER_TOPIC, "0x" + "ff" * 32, ZERO_WORD]}, "do not match"),
    "short data": ({"data": "0x" + "00" * 31}, "do not match"),
    "long data": ({"data": "0x" + "00" * 64}, "do not match"),
    "amount 10^38": ({"data": "0x%064x" % 10**38}, "does not fit"),
    "amount 2^256-1": ({"data": "0x" + "ff" * 32}, "does not fit"),
    "short hash": ({"transactionHash": "0x1234"}, "transactionHash"),
    "log index null": ({"logIndex": None}, "logIndex"),
    "block hash null": ({"blockHash": None}, "blockHash"),
    "data missing": ({"data": None}, "do not match"),
}


@pytest.mark.parametrize("case", list(LEFT_TO_POLARS))
def test_anything_else_is_left_to_the_polars_path(case: str) -> None:
    change, message = LEFT_TO_POLARS[case]
    body = lower_body()
    body["result"][0].update(change)
    raw = orjson.dumps(body)
    assert native.scan(raw, FILTER) is None
    if message is None:
        decoded, native_took = decode_both(raw, FILTER)
        assert not native_took and decoded.transfers.height == 1
    else:
        with pytest.raises(BadResponse, match=message):
            decode_both(raw, FILTER)


@pytest.mark.parametrize("raw", [
    b'{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"query returned more than 10000 results"}}',
    b'{"jsonrpc":"2.0","id":1,"result":null}',
    b'{"jsonrpc":"2.0","id":1}',
    b'[{"jsonrpc":"2.0","id":1,"result":[]}]',
    b'{"jsonrpc":"2.0","id":1,"result":[]} trailing',
    b'{"jsonrpc":"2.0","id":1,"result":[],"result":[]}',
    b'{"jsonrpc":"2.0","id":1,"result":[{"address":"\\u0030xdac17f958d2ee523a2206206994597c13d831ec7"}]}',
], ids=["error", "null result", "no result", "batch", "trailing", "result twice", "escape"])
def test_envelopes_it_does_not_take(raw: bytes) -> None:
    assert native.scan(raw, FILTER) is None


def test_a_key_given_twice_is_left_to_the_polars_path() -> None:
    raw = orjson.dumps(lower_body()).replace(b'"logIndex":', b'"logIndex":"0x1","logIndex":', 1)
    assert native.scan(raw, FILTER) is None


def test_every_cut_of_a_body_is_left_to_the_polars_path() -> None:
    whole = orjson.dumps(lower_body())
    assert native.scan(whole, FILTER) is not None
    assert all(native.scan(whole[:cut], FILTER) is None for cut in range(len(whole)))


def test_random_corruptions_agree_with_the_polars_path() -> None:
    """Bytes changed, dropped or doubled anywhere: whatever the scan does, it agrees with the polars path."""
    whole = orjson.dumps(lower_body())
    generator = random.Random(22)
    taken = 0
    for _ in range(400):
        raw = bytearray(whole)
        for _ in range(generator.randint(1, 3)):
            at = generator.randrange(len(raw))
            action = generator.choice(("replace", "drop", "double"))
            if action == "replace":
                raw[at] = generator.choice(b'0123456789abcdefABCDEFx",:{}[] \\n')
            elif action == "drop":
                del raw[at]
            else:
                raw.insert(at, raw[at])
        try:
            _, native_took = decode_both(bytes(raw), FILTER)
            taken += native_took
        except (BadResponse, TrackerError):
            pass
    assert 0 < taken < 400  # some corruptions leave a valid body (a changed amount digit), most do not


def test_tron_layout_and_format() -> None:
    body = lower_body()
    transfer, issue = body["result"][0], body["result"][1]
    owner_word = transfer["topics"][2]
    issue_tx = "0x" + "44" * 32
    body["result"] = [
        transfer,
        {**issue, "blockNumber": transfer["blockNumber"], "blockHash": transfer["blockHash"], "transactionHash": issue_tx,
         "logIndex": "0x1"},
        {**transfer, "transactionHash": issue_tx, "logIndex": "0x2", "topics": [TRANSFER_TOPIC, ZERO_WORD, owner_word]},
        _tron_destroyed_black_funds({**body["result"][3], "blockNumber": transfer["blockNumber"],
                                     "blockHash": transfer["blockHash"]}),
    ]
    decoded, native_took = decode_both(orjson.dumps(body), LogFilter("tron", USDT, BLOCK, BLOCK, USDT_TRON_LAYOUT),
                                       TRON.format)
    assert native_took
    legs = decoded.transfers.sort("log_index")
    assert legs["supply_leg"].to_list() == ["mint", None]
    assert legs["tx_hash"][0] == "44" * 32
    assert sorted(decoded.supply_events["kind"].to_list()) == ["destroyed_black_funds", "issue"]


def test_a_deprecation_taken_by_the_scan_still_stops_the_sync() -> None:
    body = lower_body()
    successor = "0x" + "00" * 12 + "c6cde7c39eb2f0f0095f41570af89efc2c1ea828"
    body["result"].append({**body["result"][2], "logIndex": "0x7",
                           "topics": [USDT_ETHEREUM_LAYOUT.event("deprecate").topic0], "data": successor})
    raw = orjson.dumps(body)
    assert native.scan(raw, FILTER) is not None
    with pytest.raises(TrackerError, match="was deprecated in block 17,291,185"):
        decode_both(raw, FILTER)


def test_a_layout_with_minter_addresses() -> None:
    """FiatToken (USDC): Mint(minter indexed, to indexed, amount) and Burn(burner indexed, amount)."""
    filter_ = LogFilter("ethereum", USDT, BLOCK, BLOCK + 1, FIATTOKEN_LAYOUT)
    transfer = lower_body()["result"][0]
    mint = FIATTOKEN_LAYOUT.event("issue")
    minter_word, to_word = transfer["topics"][1], transfer["topics"][2]
    logs = [transfer, {**transfer, "logIndex": "0x1", "topics": [mint.topic0, minter_word, to_word]}]
    decoded, native_took = decode_both(orjson.dumps({"jsonrpc": "2.0", "id": 1, "result": logs}), filter_)
    assert native_took
    assert decoded.supply_events["address"].to_list() == ["0x" + to_word[-40:]]
    logs[1]["topics"][1] = "0x" + "ff" * 32  # the minter is an address too: its word must be one
    assert native.scan(orjson.dumps({"jsonrpc": "2.0", "id": 1, "result": logs}), filter_) is None
