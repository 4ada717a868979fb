"""A real websocket server on loopback that speaks the three venues' liquidation feeds, scripted per test.

One server answers all three paths (Binance `/market/ws`, Bybit `/v5/public/linear`, OKX `/ws/v5/public`)
with each venue's documented frames: its subscribe ack, its keep-alive answer, its pushes. A test gives each
path a list of connection plans (the Nth connection follows plan N, the last one repeats); a plan is a list of
steps run once the client has subscribed: ("send", text), ("sleep", seconds), ("abort",) drops the TCP
connection without a close frame, ("close",) closes it cleanly; after the last step the connection stays
open, answering pings. Every frame the client sends is kept per path.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import defaultdict
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

BINANCE, BYBIT, OKX = "/market/ws", "/v5/public/linear", "/ws/v5/public"


def binance_event(symbol: str, side: str, price: str, qty: str, ms: int) -> str:
    """A `!forceOrder@arr` event as Binance documents it (USDⓈ-M, after the CM migration: st 1)."""
    return json.dumps({"e": "forceOrder", "E": ms + 7, "o": {
        "s": symbol, "S": side, "o": "LIMIT", "f": "IOC", "q": qty, "p": price, "ap": price, "X": "FILLED",
        "l": qty, "z": qty, "T": ms}, "ps": symbol, "st": 1}, separators=(",", ":"))


def bybit_push(symbol: str, side: str, price: str, size: str, ms: int) -> str:
    return json.dumps({"topic": f"allLiquidation.{symbol}", "type": "snapshot", "ts": ms + 20,
                       "data": [{"T": ms, "s": symbol, "S": side, "v": size, "p": price}]}, separators=(",", ":"))


def okx_push(inst: str, side: str, price: str, contracts: str, ms: int) -> str:
    family = inst.rsplit("-", 1)[0]
    return json.dumps({"arg": {"channel": "liquidation-orders", "instType": "SWAP"}, "data": [{
        "details": [{"bkLoss": "0", "bkPx": price, "ccy": "", "posSide": "net", "side": side, "sz": contracts,
                     "ts": str(ms)}],
        "instFamily": family, "instId": inst, "instType": "SWAP", "uly": family}]}, separators=(",", ":"))


def _ack(path: str, request: Any, refuse: bool) -> str | None:
    if path == BINANCE:
        if refuse:
            return json.dumps({"error": {"code": 2, "msg": "Invalid request: unknown stream"}, "id": request.get("id")})
        return json.dumps({"result": None, "id": request.get("id")})
    if path == BYBIT:
        return json.dumps({"success": not refuse, "ret_msg": "error:handler not found" if refuse else "",
                           "conn_id": "c0ffee", "req_id": "", "op": "subscribe"})
    if refuse:
        return json.dumps({"event": "error", "code": "60018", "msg": "Wrong URL or channel doesn't exist.",
                           "connId": "a4d3ae55"})
    return json.dumps({"event": "subscribe", "arg": request["args"][0], "connId": "accb8e21"})


class VenueSockets:
    """The server, run on its own thread and event loop for the length of a test."""

    def __init__(self) -> None:
        self.plans: dict[str, list[list[tuple[Any, ...]]]] = {BINANCE: [[]], BYBIT: [[]], OKX: [[]]}
        self.refuse: set[str] = set()  # paths whose subscription is refused
        self.silent_ack: set[str] = set()  # paths that never ack (Binance on a wrong path still acks; tests vary)
        self.received: dict[str, list[str]] = defaultdict(list)
        self.connections: dict[str, int] = defaultdict(int)
        self.finished: dict[str, int] = defaultdict(int)  # connections whose plan ran to its end
        self._handlers: set[asyncio.Task] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._server = await serve(self._handle, "127.0.0.1", 0, ping_interval=None)
            self.port = self._server.sockets[0].getsockname()[1]
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    def stop(self) -> None:
        async def shut() -> None:
            self._server.close()
            for task in self._handlers:  # handlers still in a scripted sleep
                task.cancel()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _handle(self, ws: ServerConnection) -> None:
        self._handlers.add(asyncio.current_task())
        path = ws.request.path
        number = self.connections[path]
        self.connections[path] += 1
        plans = self.plans.get(path, [[]])
        plan = plans[min(number, len(plans) - 1)]
        subscribed = asyncio.Event()

        async def answer() -> None:
            async for text in ws:
                self.received[path].append(text)
                if text == "ping" and path == OKX:
                    await ws.send("pong")
                    continue
                try:
                    request = json.loads(text)
                except ValueError:
                    continue
                if request.get("op") == "ping" and path == BYBIT:
                    await ws.send(json.dumps({"success": True, "ret_msg": "pong", "conn_id": "c0ffee",
                                              "req_id": "", "op": "ping"}))
                elif request.get("op") == "subscribe" or request.get("method") == "SUBSCRIBE":
                    if path not in self.silent_ack:
                        await ws.send(_ack(path, request, path in self.refuse))
                    subscribed.set()

        reader = asyncio.create_task(answer())
        try:
            await asyncio.wait_for(subscribed.wait(), 10)
            for step in plan:
                if step[0] == "send":
                    await ws.send(step[1])
                elif step[0] == "sleep":
                    await asyncio.sleep(step[1])
                elif step[0] == "abort":
                    ws.transport.abort()
                    return
                elif step[0] == "close":
                    await ws.close()
                    return
            self.finished[path] += 1
            await reader
        except Exception:  # noqa: BLE001 - the client went away: nothing left to serve
            pass
        finally:
            reader.cancel()
