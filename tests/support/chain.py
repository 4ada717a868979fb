"""A real local chain for tests and benchmarks: anvil from npm and the TestTether and TestFiatToken contracts.

Nothing here is mocked: anvil is the node, solc-js compiles contracts/TestTether.sol and
contracts/TestFiatToken.sol, and web3.py sends real transactions.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from web3 import Web3

ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = ROOT / "node_modules" / ".bin"
CONTRACT = ROOT / "contracts" / "TestTether.sol"
FIAT_CONTRACT = ROOT / "contracts" / "TestFiatToken.sol"
BEP20_CONTRACT = ROOT / "contracts" / "TestBep20.sol"


class ToolMissing(RuntimeError):
    pass


def find_tool(name: str) -> str:
    local = NODE_BIN / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found:
        return found
    raise ToolMissing(f"{name} not found in {NODE_BIN} or PATH (run `npm ci` in the project root)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Compiled:
    abi: list[dict[str, Any]]
    bytecode: str


# TokenChain layouts -> the contract in contracts/ that emits that token's events
LAYOUT_CONTRACTS = {"ethereum": "TestTetherEthereum", "tron": "TestTetherTron", "fiattoken": "TestFiatToken",
                    "bep20": "TestBep20"}


def compile_token() -> dict[str, Compiled]:
    """Compile the test tokens with the pinned solc-js: each layout's contract by layout name."""
    solcjs = find_tool("solcjs")
    compiled = {}
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [solcjs, "--optimize", "--bin", "--abi", "--base-path", str(ROOT), "-o", out, str(CONTRACT), str(FIAT_CONTRACT),
             str(BEP20_CONTRACT)],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        for layout, name in LAYOUT_CONTRACTS.items():
            stem = next(Path(out).glob(f"*_{name}.abi")).with_suffix("")
            abi = json.loads(stem.with_suffix(".abi").read_text())
            bytecode = "0x" + stem.with_suffix(".bin").read_text().strip()
            compiled[layout] = Compiled(abi, bytecode)
    return compiled


class Anvil:
    """An anvil process on a free loopback port."""

    def __init__(self, start_timestamp: int, extra_args: list[str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            find_tool("anvil"),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--timestamp", str(start_timestamp),
            "--gas-limit", "1000000000",
            "--silent",
            *(extra_args or []),
        ]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 120}))
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"anvil exited: {self.process.stderr.read().decode()[:500]}")
            try:
                self.w3.eth.block_number
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        response = self.w3.provider.make_request(method, params or [])
        if "error" in response:
            raise RuntimeError(f"{method}: {response['error']}")
        return response.get("result")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def wallet(index: int) -> str:
    """A deterministic wallet address, lower-case (how the tracker stores Ethereum addresses)."""
    return "0x" + (0xA11CE000 + index).to_bytes(20, "big").hex()


@dataclass
class Tx:
    """What a scenario step did, recorded independently of the tracker's decoder."""

    block_number: int
    block_time: int
    tx_hash: str
    kind: str  # transfer / issue / redeem / destroyed_black_funds
    rows: list[tuple[int, str | None, str | None, int]] = field(default_factory=list)  # (log_index, from, to, raw)


# Layout of TokenChain -> (the chain the tests sync it on, the tracker's layout name)
TRACKER_LAYOUTS = {"ethereum": ("ethereum", "usdt-ethereum"), "tron": ("tron", "usdt-tron"),
                   "fiattoken": ("ethereum", "fiattoken"), "bep20": ("ethereum", "erc20")}


class DeclaredTokens:
    """The test tokens deployed so far in this test, declared the way a user declares a token: [[tokens]]
    entries in a tracker.toml that $TRACKER_CONFIG names. The tracker refuses an address nobody declared,
    and CLI subprocesses inherit the variable; in-process syncs read the same file (`settings.configure`).
    `forget` (conftest, after every test) restores the variable and the tracker's declarations."""

    def __init__(self) -> None:
        self.entries: list[str] = []
        self.folder: tempfile.TemporaryDirectory | None = None
        self.previous: str | None = None

    def add(self, entry: str) -> None:
        from tracker import settings  # the tracker, as tests import it

        if self.folder is None:
            self.folder = tempfile.TemporaryDirectory(prefix="tracker-test-tokens-")
            self.previous = os.environ.get("TRACKER_CONFIG")
        self.entries.append(entry)
        path = Path(self.folder.name) / "tracker.toml"
        path.write_text("\n".join(self.entries))
        os.environ["TRACKER_CONFIG"] = str(path)
        settings.configure(None)

    def symbol(self) -> str:
        return f"TEST{len(self.entries) + 1}"

    def forget(self) -> None:
        from tracker import settings

        if self.folder is None:
            return
        if self.previous is None:
            os.environ.pop("TRACKER_CONFIG", None)
        else:
            os.environ["TRACKER_CONFIG"] = self.previous
        self.folder.cleanup()
        self.entries, self.folder, self.previous = [], None, None
        settings.configure(None)


DECLARED = DeclaredTokens()


class TokenChain:
    """A TestTether contract on an anvil node, with helpers that record the expected rows.

    `layout` "ethereum" deploys mainnet USDT's event layout, "tron" USDT-TRC20's
    (supply Transfer legs, the blacklisted wallet indexed). The deployed token is declared
    (`DECLARED`, symbol TEST1, TEST2, …) unless `declare=False`.
    """

    def __init__(self, anvil: Anvil, compiled: dict[str, Compiled], initial_supply: int, layout: str = "ethereum",
                 declare: bool = True) -> None:
        self.anvil = anvil
        self.w3 = anvil.w3
        self.owner = self.w3.eth.accounts[0]
        contract = compiled[layout]
        factory = self.w3.eth.contract(abi=contract.abi, bytecode=contract.bytecode)
        receipt = self._wait(factory.constructor(*self._constructor_args(initial_supply)).transact({"from": self.owner}))
        self.address = receipt["contractAddress"].lower()
        self.deploy_block = receipt["blockNumber"]
        self.contract = self.w3.eth.contract(address=receipt["contractAddress"], abi=contract.abi)
        self.layout = layout
        self.transfer_legs = layout == "tron"
        self.txs: list[Tx] = []
        self.symbol = DECLARED.symbol()
        if declare:
            DECLARED.add(self.declaration(self.symbol))

    def declaration(self, symbol: str, chain: str | None = None, layout: str | None = None) -> str:
        """This token as a tracker.toml [[tokens]] entry (on the chain and with the tracker layout its contract
        belongs to, unless named)."""
        from tracker.ingest.tron.address import base58_from_hex20

        home, own_layout = TRACKER_LAYOUTS[self.layout]
        chain, layout = chain or home, layout or own_layout
        address = base58_from_hex20(self.address[2:]) if chain == "tron" else self.address
        return (f'[[tokens]]\nsymbol = "{symbol}"\nchain = "{chain}"\naddress = "{address}"\n'
                f'decimals = {getattr(self, "decimals", 6)}\nlayout = "{layout}"\n')

    def _constructor_args(self, initial_supply: int) -> tuple:
        return (initial_supply,)

    def _wait(self, tx_hash: bytes) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)
        if receipt["status"] != 1:
            raise RuntimeError(f"transaction reverted: {tx_hash.hex()}")
        return receipt

    def _send(self, function: Any, timestamp: int | None, gas: int | None = None) -> Any:
        if timestamp is not None:
            self.anvil.rpc("evm_setNextBlockTimestamp", [timestamp])
        params: dict[str, Any] = {"from": self.owner}
        if gas:
            params["gas"] = gas
        return self._wait(function.transact(params))

    def _record(self, receipt: Any, kind: str, rows: list[tuple[str | None, str | None, int]]) -> Tx:
        block = self.w3.eth.get_block(receipt["blockNumber"])
        logs = [log for log in receipt["logs"] if log["address"].lower() == self.address]
        tx = Tx(
            block_number=receipt["blockNumber"],
            block_time=block["timestamp"],
            tx_hash="0x" + receipt["transactionHash"].hex().removeprefix("0x"),
            kind=kind,
            rows=[(logs[i]["logIndex"], *row) for i, row in enumerate(rows)],
        )
        self.txs.append(tx)
        return tx

    def transfer(self, sender: str, receiver: str, raw: int, timestamp: int | None = None) -> Tx:
        fn = self.contract.functions.operatorTransfer(Web3.to_checksum_address(sender), Web3.to_checksum_address(receiver), raw)
        return self._record(self._send(fn, timestamp), "transfer", [(sender.lower(), receiver.lower(), raw)])

    def batch(self, moves: list[tuple[str, str, int]], timestamp: int | None = None) -> Tx:
        fn = self.contract.functions.batchTransfer(
            [Web3.to_checksum_address(m[0]) for m in moves],
            [Web3.to_checksum_address(m[1]) for m in moves],
            [m[2] for m in moves],
        )
        return self._record(self._send(fn, timestamp), "transfer", [(m[0].lower(), m[1].lower(), m[2]) for m in moves])

    def issue(self, raw: int, timestamp: int | None = None) -> Tx:
        rows: list[tuple[str | None, str | None, int]] = [(None, None, raw)]
        if self.transfer_legs:
            rows.append(("0x" + "00" * 20, self.owner.lower(), raw))
        return self._record(self._send(self.contract.functions.issue(raw), timestamp), "issue", rows)

    def redeem(self, raw: int, timestamp: int | None = None) -> Tx:
        rows: list[tuple[str | None, str | None, int]] = [(None, None, raw)]
        if self.transfer_legs:
            rows.append((self.owner.lower(), "0x" + "00" * 20, raw))
        return self._record(self._send(self.contract.functions.redeem(raw), timestamp), "redeem", rows)

    def destroy_black_funds(self, user: str, timestamp: int | None = None) -> Tx:
        checksum = Web3.to_checksum_address(user)
        # Its own second, like every other block, when the scenario places blocks in time.
        self._send(self.contract.functions.addBlackList(checksum), None if timestamp is None else timestamp - 1)
        balance = self.balance(user)
        receipt = self._send(self.contract.functions.destroyBlackFunds(checksum), timestamp)
        return self._record(receipt, "destroyed_black_funds", [(user.lower(), None, balance)])

    def deprecate(self, successor: str, timestamp: int | None = None) -> int:
        """Retire the token in favour of `successor`; the block it happened in."""
        fn = self.contract.functions.deprecate(Web3.to_checksum_address(successor))
        return self._send(fn, timestamp)["blockNumber"]

    def spray(self, count: int, base: int, wallets: int, timestamp: int | None = None) -> Any:
        """`count` transfers from the owner in one transaction (benchmark load; not recorded row by row)."""
        return self._send(self.contract.functions.spray(count, base, wallets), timestamp, gas=900_000_000)

    def balance(self, address: str) -> int:
        return self.contract.functions.balanceOf(Web3.to_checksum_address(address)).call()

    def total_supply(self) -> int:
        return self.contract.functions.totalSupply().call()

    def mine(self, blocks: int = 1) -> None:
        self.anvil.rpc("anvil_mine", [hex(blocks)])

    def head(self) -> int:
        return self.w3.eth.block_number

    def expected_transfers(self) -> set[tuple]:
        """(block_number, block_time, tx_hash, log_index, from, to, raw) for every Transfer log recorded."""
        rows = set()
        for tx in self.txs:
            for log_index, sender, receiver, raw in tx.rows:
                if sender is not None and receiver is not None:
                    rows.add((tx.block_number, tx.block_time, tx.tx_hash, log_index, sender, receiver, raw))
        return rows

    def expected_supply(self) -> set[tuple]:
        """(block_number, tx_hash, log_index, kind, address, raw) for every supply event recorded."""
        rows = set()
        for tx in self.txs:
            if tx.kind == "transfer":
                continue
            log_index, address, receiver, raw = tx.rows[0]
            rows.add((tx.block_number, tx.tx_hash, log_index, tx.kind, address, raw))
        return rows


ZERO = "0x" + "00" * 20


class FiatTokenChain(TokenChain):
    """A TestFiatToken (Circle's FiatToken events) on an anvil node: no initial supply; the deployer (`owner`)
    is owner and minter. mint/burn record their Mint/Burn and the zero-address Transfer leg that follows."""

    def __init__(self, anvil: Anvil, compiled: dict[str, Compiled], declare: bool = True) -> None:
        super().__init__(anvil, compiled, 0, layout="fiattoken", declare=declare)
        self.transfer_legs = True

    def _constructor_args(self, initial_supply: int) -> tuple:
        return ()

    def mint(self, to: str, raw: int, timestamp: int | None = None) -> Tx:
        fn = self.contract.functions.mint(Web3.to_checksum_address(to), raw)
        return self._record(self._send(fn, timestamp), "issue", [(to.lower(), None, raw), (ZERO, to.lower(), raw)])

    def burn(self, raw: int, timestamp: int | None = None) -> Tx:
        burner = self.owner.lower()
        return self._record(self._send(self.contract.functions.burn(raw), timestamp), "redeem",
                            [(burner, None, raw), (burner, ZERO, raw)])

    def blacklist(self, user: str, timestamp: int | None = None) -> int:
        """Freeze `user` (Blacklisted only: nothing moves); the block it happened in."""
        return self._send(self.contract.functions.blacklist(Web3.to_checksum_address(user)), timestamp)["blockNumber"]


class Bep20Chain(TokenChain):
    """A TestBep20 (a Transfer-only token, the tracker's "erc20" layout) on an anvil node: no initial supply;
    issue/redeem are the owner's mint/burn, each one Transfer leg from/to the zero address, which the tracker
    reads as the supply event (same log) and as a transfer kept out of flows."""

    def __init__(self, anvil: Anvil, compiled: dict[str, Compiled], declare: bool = True, decimals: int = 6) -> None:
        self.decimals = decimals  # BNB Chain's USDT and USDC have 18
        super().__init__(anvil, compiled, 0, layout="bep20", declare=declare)
        self.transfer_legs = True

    def _constructor_args(self, initial_supply: int) -> tuple:
        return (self.decimals,)

    def issue(self, raw: int, timestamp: int | None = None) -> Tx:
        owner = self.owner.lower()
        return self._record(self._send(self.contract.functions.mint(raw), timestamp), "issue", [(ZERO, owner, raw)])

    def redeem(self, raw: int, timestamp: int | None = None) -> Tx:
        owner = self.owner.lower()
        return self._record(self._send(self.contract.functions.burn(raw), timestamp), "redeem", [(owner, ZERO, raw)])

    def expected_supply(self) -> set[tuple]:
        """The supply event of a mint (burn) is its Transfer leg: same log, the wallet credited (debited)."""
        rows = set()
        for tx in self.txs:
            if tx.kind in ("issue", "redeem"):
                log_index, sender, receiver, raw = tx.rows[0]
                rows.add((tx.block_number, tx.tx_hash, log_index, tx.kind, receiver if tx.kind == "issue" else sender, raw))
        return rows
