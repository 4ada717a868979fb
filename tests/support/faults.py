"""Seeded fault injection for the local servers: a JSON-RPC proxy in front of anvil, and a wrapper for
the REST stand-ins (TronGrid, exchanges). Faults are what flaky public endpoints do: 429 with
Retry-After, 502/503, answers slower than the client's timeout, bodies cut mid-JSON, error payloads
that mean "slow down", and eth_getLogs' "too many results".
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from werkzeug import Request, Response

HANG_SECONDS = 0.6  # longer than the clients' timeout in these tests (0.3 s)


@dataclass
class FaultPlan:
    """Which fault (if any) the next request gets: seeded, never more than `max_in_a_row` in a row for one
    request (`key`: its body, which a retry repeats; with requests in flight at once, a run of faults across
    all of them could otherwise land on one and exhaust its retries)."""

    seed: int
    kinds: tuple[str, ...]
    rate: float = 0.3
    max_in_a_row: int = 3
    injected: dict[str, int] = field(default_factory=dict)
    _in_a_row: dict[object, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def next(self, key: object = None) -> str | None:
        if self._in_a_row.get(key, 0) >= self.max_in_a_row or self._random.random() >= self.rate:
            self._in_a_row[key] = 0
            return None
        self._in_a_row[key] = self._in_a_row.get(key, 0) + 1
        kind = self._random.choice(self.kinds)
        self.injected[kind] = self.injected.get(kind, 0) + 1
        return kind


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def common_fault(kind: str) -> Response | None:
    """The faults every HTTP API can show; None for kinds the caller must build itself."""
    if kind == "429":
        return _json({"error": "too many requests"}, 429, {"Retry-After": "0"})
    if kind in ("502", "503"):
        return Response("<html>bad gateway</html>", status=int(kind), content_type="text/html")
    return None


def cut(response: Response) -> Response:
    body = response.get_data()
    return Response(body[: max(1, len(body) // 2)], status=response.status_code, content_type="application/json")


JSONRPC_FAULTS = ("429", "502", "503", "hang", "cut", "error", "too_many")


def jsonrpc_proxy(upstream: str, plan_of: Callable[[], FaultPlan]) -> Callable[[Request], Response]:
    """Forward JSON-RPC to `upstream`, injecting the current plan's faults."""

    def handler(request: Request) -> Response:
        kind = plan_of().next(request.get_data())
        body = request.get_json(silent=True)
        single = body if isinstance(body, dict) else {}
        if kind and (answer := common_fault(kind)):
            return answer
        if kind == "error":
            return _json({"jsonrpc": "2.0", "id": single.get("id"),
                          "error": {"code": -32005, "message": "rate limit exceeded, retry later"}})
        if kind == "too_many" and single.get("method") == "eth_getLogs":
            return _json({"jsonrpc": "2.0", "id": single.get("id"),
                          "error": {"code": -32005, "message": "query returned more than 10000 results"}})
        if kind == "hang":
            time.sleep(HANG_SECONDS)
        forwarded = requests.post(upstream, data=request.get_data(), headers={"Content-Type": "application/json"})
        answer = Response(forwarded.content, status=forwarded.status_code, content_type="application/json")
        return cut(answer) if kind == "cut" else answer

    return handler


def rest_wrapper(inner: Callable[[Request], Response], plan_of: Callable[[], FaultPlan],
                 error_payload: Callable[[], Response]) -> Callable[[Request], Response]:
    """Wrap a REST stand-in: `error_payload` is the provider's own "slow down" answer."""

    def handler(request: Request) -> Response:
        kind = plan_of().next()
        if kind and (answer := common_fault(kind)):
            return answer
        if kind == "error":
            return error_payload()
        if kind == "hang":
            time.sleep(HANG_SECONDS)
        answer = inner(request)
        return cut(answer) if kind == "cut" else answer

    return handler


REST_FAULTS = ("429", "502", "503", "hang", "cut", "error")
