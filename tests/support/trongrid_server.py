"""A local stand-in for TronGrid, serving our own events in TronGrid's real JSON shapes.

It answers `/v1/contracts/{contract}/events` (filters, ascending order, `limit`,
`meta.fingerprint` paging), `/walletsolidity/getnowblock` and
`/walletsolidity/getblockbynum`, and can misbehave on request: drop a page's
fingerprint, answer 429/403 first, or serve an event of another contract.
"""

from __future__ import annotations

import base64
import bisect
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_utils import event_abi_to_log_topic
from werkzeug import Request, Response

from tracker.ingest.tron.address import base58_from_hex20

USDT_B58 = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
USDT_HEX = "a614f803b6fd780986a42c78ec9c7f77e6ded13c"
START_MS = 1_772_323_200_000  # 2026-03-01 00:00:00 UTC
SIGNATURES = {
    "Transfer": "Transfer(address indexed from, address indexed to, uint256 value)",
    "Issue": "Issue(uint256 amount)",
    "Redeem": "Redeem(uint256 amount)",
    "DestroyedBlackFunds": "DestroyedBlackFunds(address indexed _blackListedUser, uint256 _balance)",
}


@dataclass
class Block:
    number: int
    timestamp_ms: int

    @property
    def block_id(self) -> str:
        return f"{self.number:016x}" + f"{(self.number * 2654435761) % (1 << 192):048x}"


def spell(hex40: str, style: int) -> str:
    """TronGrid is seen giving addresses as 0x…, 41… or base58; use all three."""
    return ["0x" + hex40, "41" + hex40, base58_from_hex20(hex40)][style % 3]


@dataclass
class Chain:
    """Events over blocks, kept with the ground truth each one stands for."""

    seed: int = 7
    first_block: int = 70_000_000
    blocks: list[Block] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    truth: list[tuple] = field(default_factory=list)  # (kind, block, seconds, txid, index, from_hex, to_hex, raw)

    def build(self, block_count: int, busy_blocks: dict[int, int] | None = None) -> Chain:
        rng = random.Random(self.seed)
        number, stamp = self.first_block, START_MS
        for offset in range(block_count):
            if offset and rng.random() < 0.1:
                stamp += 3000  # a missed slot: timestamps are not block_number * 3 s
            block = Block(number, stamp)
            self.blocks.append(block)
            count = (busy_blocks or {}).get(offset, rng.choice([0, 1, 3, 8]))
            txid = None
            for index in range(count):
                if index % 2 == 0:
                    txid = f"{rng.getrandbits(256):064x}"
                sender = f"{rng.randrange(1, 40):040x}"
                receiver = f"{rng.randrange(1, 40):040x}"
                self._transfer(block, txid, index % 2, sender, receiver, rng.randrange(1, 10**13))
            if offset % 17 == 5:  # Tron layout: Issue plus its Transfer(0x0 -> owner) leg
                txid = f"{rng.getrandbits(256):064x}"
                amount = rng.randrange(10**12, 10**14)
                self._supply(block, txid, 0, "Issue", {"amount": str(amount), "0": str(amount)})
                self._transfer(block, txid, 1, "0" * 40, "0" * 39 + "f", amount)
                self.truth.append(("issue", block.number, block.timestamp_ms // 1000, txid, 0, None, None, amount))
            if offset % 23 == 11:
                txid = f"{rng.getrandbits(256):064x}"
                amount = rng.randrange(1, 10**9)
                self._supply(block, txid, 0, "Redeem", {"amount": str(amount), "0": str(amount)})
                self._transfer(block, txid, 1, "0" * 39 + "f", "0" * 40, amount)
                self.truth.append(("redeem", block.number, block.timestamp_ms // 1000, txid, 0, None, None, amount))
            if offset % 31 == 13:
                txid = f"{rng.getrandbits(256):064x}"
                user = f"{rng.randrange(100, 200):040x}"
                amount = 10**38 - 1 if offset == 13 else rng.randrange(1, 10**10)
                fields = {"_blackListedUser": spell(user, offset), "_balance": str(amount), "0": spell(user, offset), "1": str(amount)}
                self._supply(block, txid, 0, "DestroyedBlackFunds", fields)
                self.truth.append(("destroyed_black_funds", block.number, block.timestamp_ms // 1000, txid, 0, user, None, amount))
            number += 1
            stamp += 3000
        return self

    def _record(self, block: Block, txid: str, index: int, name: str, result: dict[str, str]) -> None:
        result_type = {"Transfer": {"from": "address", "to": "address", "value": "uint256"},
                       "Issue": {"amount": "uint256"}, "Redeem": {"amount": "uint256"},
                       "DestroyedBlackFunds": {"_blackListedUser": "address", "_balance": "uint256"}}[name]
        self.records.append({
            "block_number": block.number,
            "block_timestamp": block.timestamp_ms,
            "caller_contract_address": USDT_B58,
            "contract_address": USDT_B58,
            "event_index": index,
            "event_name": name,
            "result": result,
            "result_type": result_type,
            "event": SIGNATURES[name],
            "transaction_id": txid,
        })

    def _transfer(self, block: Block, txid: str, index: int, sender: str, receiver: str, raw: int) -> None:
        style = len(self.records)
        result = {"0": spell(sender, style), "1": spell(receiver, style + 1), "2": str(raw),
                  "from": spell(sender, style), "to": spell(receiver, style + 1), "value": str(raw)}
        self._record(block, txid, index, "Transfer", result)
        self.truth.append(("transfer", block.number, block.timestamp_ms // 1000, txid, index, sender, receiver, raw))

    def _supply(self, block: Block, txid: str, index: int, name: str, result: dict[str, str]) -> None:
        self._record(block, txid, index, name, result)

    def block(self, number: int) -> Block | None:
        offset = number - self.first_block
        return self.blocks[offset] if 0 <= offset < len(self.blocks) else None


def mirror(token: Any) -> Chain:
    """What TronGrid would serve for a TestTetherTron contract on an anvil node (tests.support.chain.TokenChain).

    Every block and every log of the contract, decoded with the contract's own ABI by web3 (not by
    the tracker), in TronGrid's shape: base58 `contract_address`, `event_index` counted within the
    transaction, `result` keyed by field name and by position with addresses as 0x hex and numbers as
    decimal strings, timestamps in ms, transaction ids without 0x. So a TronGrid sync of it can be
    checked against the node itself (balanceOf, totalSupply).
    """
    w3 = token.w3
    head = w3.eth.block_number
    chain = Chain(first_block=0)
    chain.blocks = [Block(n, w3.eth.get_block(n)["timestamp"] * 1000) for n in range(head + 1)]
    stamps = [block.timestamp_ms for block in chain.blocks[token.deploy_block:]]  # anvil's genesis shares DAY0
    assert stamps == sorted(set(stamps)), "TronGrid blocks sit in distinct slots: give every block its own timestamp"
    events = {"0x" + event_abi_to_log_topic(item).hex(): item for item in token.contract.abi if item["type"] == "event"}
    per_tx: dict[str, int] = {}
    logs = w3.eth.get_logs({"address": token.contract.address, "fromBlock": 0, "toBlock": head})
    for log in sorted(logs, key=lambda log: (log["blockNumber"], log["logIndex"])):
        abi = events["0x" + bytes(log["topics"][0]).hex()]
        name, inputs = abi["name"], abi["inputs"]
        decoded = getattr(token.contract.events, name)().process_log(log)
        result: dict[str, str] = {}
        for position, field_abi in enumerate(inputs):
            value = decoded["args"][field_abi["name"]]
            text = "0x" + value.lower()[2:] if field_abi["type"] == "address" else str(value)
            result[str(position)] = result[field_abi["name"]] = text
        txid = bytes(log["transactionHash"]).hex().removeprefix("0x")
        index = per_tx.get(txid, 0)
        per_tx[txid] = index + 1
        record = {
            "block_number": log["blockNumber"],
            "block_timestamp": chain.blocks[log["blockNumber"]].timestamp_ms,
            "caller_contract_address": base58_from_hex20(token.address[2:]),
            "contract_address": base58_from_hex20(token.address[2:]),
            "event_index": index,
            "event_name": name,
            "result": result,
            "result_type": {field_abi["name"]: field_abi["type"] for field_abi in inputs},
            "event": f"{name}(" + ", ".join(
                f"{f['type']}{' indexed' if f['indexed'] else ''} {f['name']}" for f in inputs) + ")",
            "transaction_id": txid,
        }
        chain.records.append(record)
    return chain


def _block_json(block: Block) -> dict[str, Any]:
    return {
        "blockID": block.block_id,
        "block_header": {
            "raw_data": {"number": block.number, "txTrieRoot": "00" * 32, "witness_address": "41" + "ab" * 20,
                         "parentHash": "00" * 32, "version": 31, "timestamp": block.timestamp_ms},
            "witness_signature": "cd" * 65,
        },
    }


@dataclass
class TronGridServer:
    chain: Chain
    solidified: int  # number of the solidified head
    drop_fingerprint_on: set[int] = field(default_factory=set)  # 1-based count of event pages served
    faults: list[Response] = field(default_factory=list)  # answered before anything else, in order
    foreign_event_on_page: int | None = None
    refresh: Callable[[], Chain] | None = None  # rebuild the chain (and the solidified head) at each head request
    pages_served: int = 0
    seen_keys: list[str | None] = field(default_factory=list)
    _index: dict[str, tuple[list[dict[str, Any]], list[int]]] = field(default_factory=dict)

    def _by_name(self, event_name: str) -> tuple[list[dict[str, Any]], list[int]]:
        """Records of one event name in timestamp order, with their timestamps (built once)."""
        if event_name not in self._index:
            records = sorted(
                (r for r in self.chain.records if r["event_name"] == event_name), key=lambda r: r["block_timestamp"]
            )
            self._index[event_name] = (records, [r["block_timestamp"] for r in records])
        return self._index[event_name]

    def handler(self, request: Request) -> Response:
        if self.faults:
            return self.faults.pop(0)
        if request.path == "/walletsolidity/getnowblock":
            if self.refresh is not None:
                self.chain, self._index = self.refresh(), {}
                self.solidified = self.chain.blocks[-1].number
            return Response(json.dumps(_block_json(self.chain.block(self.solidified))), content_type="application/json")
        if request.path == "/walletsolidity/getblockbynum":
            number = request.get_json()["num"]
            block = self.chain.block(number)
            found = block is not None and number <= self.solidified
            return Response(json.dumps(_block_json(block) if found else {}), content_type="application/json")
        if request.path.startswith("/v1/contracts/") and request.path.endswith("/events"):
            return self._events(request)
        return Response(json.dumps({"Error": f"no route {request.path}"}), status=404)

    def _events(self, request: Request) -> Response:
        self.seen_keys.append(request.headers.get("TRON-PRO-API-KEY"))
        contract = request.path.split("/")[3]
        args = request.args
        assert args["order_by"] == "block_timestamp,asc" and args["only_confirmed"] == "true"
        limit = min(int(args.get("limit", 20)), 200)
        low, high = int(args["min_block_timestamp"]), int(args["max_block_timestamp"])
        solid_ms = self.chain.block(self.solidified).timestamp_ms
        records, stamps = self._by_name(args["event_name"])
        first, last = bisect.bisect_left(stamps, low), bisect.bisect_right(stamps, min(high, solid_ms))
        matching = [record for record in records[first:last] if record["contract_address"] == contract]
        offset = 0
        if "fingerprint" in args:
            offset = json.loads(base64.urlsafe_b64decode(args["fingerprint"]))["offset"]
        page = [dict(record) for record in matching[offset: offset + limit]]
        self.pages_served += 1
        if self.foreign_event_on_page == self.pages_served and page:
            page[0]["contract_address"] = "TXLAQ63Xg1NAzckPwKHvzw7CSEmLMEqcdj"
        meta: dict[str, Any] = {"at": solid_ms + 1000, "page_size": len(page)}
        if offset + limit < len(matching) and self.pages_served not in self.drop_fingerprint_on:
            meta["fingerprint"] = base64.urlsafe_b64encode(json.dumps({"offset": offset + limit}).encode()).decode()
            meta["links"] = {"next": f"{request.base_url}?fingerprint={meta['fingerprint']}"}
        return Response(json.dumps({"data": page, "success": True, "meta": meta}), content_type="application/json")


def serve(httpserver, server: TronGridServer, contract: str = USDT_B58) -> str:
    """Route a pytest-httpserver's TronGrid paths (and /jsonrpc-style POSTs) to `server`; its base URL."""
    httpserver.expect_request("/", method="POST").respond_with_handler(server.handler)
    for path in ("/walletsolidity/getnowblock", "/walletsolidity/getblockbynum", f"/v1/contracts/{contract}/events"):
        httpserver.expect_request(path).respond_with_handler(server.handler)
    return httpserver.url_for("/").rstrip("/")
