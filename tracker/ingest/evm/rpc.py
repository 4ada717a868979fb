"""JSON-RPC over the shared HTTP client: single calls, batches, envelopes.

Fetching only: what the answers mean is decided in `decode`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from tracker.errors import BadResponse, RpcError
from tracker.http import HttpClient, RetryableRpcError, in_background, parse_json

T = TypeVar("T")

# Batches of one list of calls in flight at once, once the first has been answered at its size (a provider's cap on
# a batch is learned from one refusal, not several). A distant node's round trips then overlap: a sync's anchors ask
# balanceOf of every labeled wallet, a thousand of them with the bundled labels (BENCHMARKS.md, issue 22's twelfth pass).
BATCHES_IN_FLIGHT = 4

# JSON-RPC errors that mean "slow down" (retry later), not "bad request".
_RATE_LIMITED = re.compile(
    r"rate.?limit|too many requests|request rate|throttl|daily request count|compute units|capacity",
    re.IGNORECASE,
)


def rpc_error(error: Any, method: str) -> Exception:
    """Turn a JSON-RPC `error` member into the exception the caller should see."""
    if isinstance(error, dict):
        message = str(error.get("message") or error)
        code = error.get("code")
    else:
        message, code = str(error), None
    if _RATE_LIMITED.search(message) or code == 429:
        return RetryableRpcError(f"{method}: node is rate limiting: {message}")
    return RpcError(f"{method}: {message}", code if isinstance(code, int) else None, method)


def parse_envelope(raw: bytes, method: str) -> Any:
    """The `result` of one JSON-RPC response, or the error it carries."""
    body = parse_json(raw, method)
    if not isinstance(body, dict):
        raise BadResponse(f"{method}: expected a JSON-RPC object, got {type(body).__name__}")
    if body.get("error") is not None:
        raise rpc_error(body["error"], method)
    if "result" not in body:
        raise BadResponse(f"{method}: JSON-RPC response has neither result nor error")
    return body["result"]


class JsonRpcClient:
    def __init__(self, url: str, http: HttpClient | None = None, batch_size: int = 100) -> None:
        self.url = url
        self.http = http or HttpClient()
        self.batch_size = batch_size

    def _payload(self, method: str, params: Sequence[Any], request_id: int = 1) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)}

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        return self.http.request(
            "POST", self.url, lambda raw: parse_envelope(raw, method), json_body=self._payload(method, params)
        )

    def call_parsed(
        self,
        method: str,
        params: Sequence[Any],
        parse: Callable[[bytes | memoryview], T],
        *,
        retry_timeouts: bool = True,
    ) -> T:
        """A call whose raw body goes to `parse` (inside the retry policy, so a cut body is retried).

        A large body comes as a view of a buffer the client reuses, valid only while `parse` runs."""
        return self.http.request(
            "POST", self.url, parse, json_body=self._payload(method, params), retry_timeouts=retry_timeouts,
            lend_body=True,
        )

    def batch(self, method: str, params_list: Sequence[Sequence[Any]]) -> list[Any]:
        """Results of many calls of one method, in order, sent as JSON-RPC batches.

        The first batch goes alone; once one of its size has been answered, the rest go BATCHES_IN_FLIGHT at once."""
        results: list[Any] = []
        start = 0
        answered = False  # has a batch of self.batch_size been answered?
        while start < len(params_list):
            size = self.batch_size
            upto = min(len(params_list), start + size * (BATCHES_IN_FLIGHT if answered else 1))
            parts = [params_list[first : first + size] for first in range(start, upto, size)]
            sent = None
            if len(parts) > 1:
                sent = [in_background(functools.partial(self._send_batch, method, part)) for part in parts]
            for index, part in enumerate(parts):
                try:
                    results.extend(sent[index].result() if sent else self._send_batch(method, part))
                except (BadResponse, RpcError) as error:
                    # Some providers cap or refuse batches: fall back to smaller ones, down to one call. The parts
                    # already answered are kept; those sent after this one are asked again at the new size.
                    if size == 1 or (isinstance(error, RpcError) and "batch" not in str(error).lower()):
                        raise
                    self.batch_size = max(1, size // 2)
                    answered = False
                    break
                start += len(part)
                answered = True
        return results

    def _send_batch(self, method: str, params_list: Sequence[Sequence[Any]]) -> list[Any]:
        payload = [self._payload(method, params, index) for index, params in enumerate(params_list)]

        def parse(raw: bytes) -> list[Any]:
            body = parse_json(raw, f"{method} batch")
            if isinstance(body, dict) and body.get("error") is not None:
                raise rpc_error(body["error"], f"{method} batch")
            if not isinstance(body, list) or len(body) != len(payload):
                raise BadResponse(f"{method} batch: expected {len(payload)} responses")
            by_id: dict[Any, Any] = {}
            for item in body:
                if not isinstance(item, dict) or "id" not in item:
                    raise BadResponse(f"{method} batch: malformed response item")
                if item.get("error") is not None:
                    raise rpc_error(item["error"], method)
                by_id[item["id"]] = item.get("result")
            try:
                return [by_id[index] for index in range(len(payload))]
            except KeyError as error:
                raise BadResponse(f"{method} batch: response ids do not match the request") from error

        return self.http.request("POST", self.url, parse, json_body=payload)
