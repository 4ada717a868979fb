"""One HTTP session and one retry policy for every remote call.

The policy retries what is worth retrying — 429, 5xx, dropped connections,
timeouts, bodies cut off mid-JSON — waits as long as `Retry-After` asks (up to
a cap), and after the last attempt raises one clear `TrackerError`.
Tests replace `sleep` in this module instead of waiting.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
import requests
import urllib3
from tenacity import RetryCallState, Retrying, retry_if_exception

from tracker.errors import BadResponse, RpcTimeout, TrackerError

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({408, 418, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})


def sleep(seconds: float) -> None:
    """Indirection so tests can patch waiting away."""
    time.sleep(seconds)


class HttpStatusError(TrackerError):
    def __init__(self, url: str, status: int, reason: str, retry_after: float | None, body: str) -> None:
        detail = f": {body}" if body else ""
        super().__init__(f"{url} answered HTTP {status} {reason}{detail}")
        self.status = status
        self.retry_after = retry_after
        self.body = body


class TruncatedBody(BadResponse):
    """The body ended early or is not JSON at all (a flaky proxy, a dropped stream)."""


class RetryableRpcError(TrackerError):
    """A JSON-RPC error that says 'slow down' rather than 'you asked wrong'."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    # A refused connection or unknown host rarely heals within seconds: give up sooner.
    connect_attempts: int = 3
    base_wait: float = 0.5
    max_wait: float = 30.0
    timeout: float = 60.0


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _is_retryable(error: BaseException, retry_timeouts: bool, statuses: frozenset[int] = RETRYABLE_STATUSES) -> bool:
    if isinstance(error, (requests.Timeout, RpcTimeout)):
        return retry_timeouts
    if isinstance(error, HttpStatusError):
        return error.status in statuses
    return isinstance(
        error,
        (
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
            TruncatedBody,
            RetryableRpcError,
        ),
    )


class HttpClient:
    """A `requests.Session` wrapped in the project's single retry policy."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        headers: dict[str, str] | None = None,
        also_retry: frozenset[int] = frozenset(),
    ) -> None:
        """`also_retry`: extra statuses that mean 'slow down' for this provider (TronGrid's 403)."""
        self.policy = policy or RetryPolicy()
        self.retry_statuses = RETRYABLE_STATUSES | also_retry
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": "stablecoin-flow-tracker", **(headers or {})})

    def _wait_seconds(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        asked = getattr(error, "retry_after", None)
        if asked is not None:
            return min(asked, self.policy.max_wait)
        return min(self.policy.base_wait * 2 ** (state.attempt_number - 1), self.policy.max_wait)

    def request(
        self,
        method: str,
        url: str,
        parse: Callable[[bytes], T],
        *,
        json_body: Any = None,
        data: bytes | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        retry_timeouts: bool = True,
        also_retry: frozenset[int] = frozenset(),
        on_headers: Callable[[Any], None] | None = None,
    ) -> T:
        """Send, check the status, parse the body; retry the whole step on transient faults.

        `also_retry`: statuses that mean 'slow down' for this one provider (Bybit's 403);
        `on_headers`: sees every answer's headers (rate-limit budgets such as Binance's used weight).
        """
        statuses = self.retry_statuses | also_retry

        def attempt() -> T:
            try:
                response = self.session.request(
                    method,
                    url,
                    json=json_body,
                    data=data,
                    params=params,
                    headers=headers,
                    timeout=self.policy.timeout,
                    stream=True,
                )
            except requests.Timeout as error:
                raise RpcTimeout(f"{url} did not answer within {self.policy.timeout:g}s") from error
            if on_headers is not None:
                on_headers(response.headers)
            if response.status_code >= 400:
                raise HttpStatusError(
                    url,
                    response.status_code,
                    response.reason or "",
                    parse_retry_after(response.headers.get("Retry-After")),
                    response.text[:200].replace("\n", " ").strip(),
                )
            return parse(_read_body(response, url, self.policy.timeout))

        def give_up(state: RetryCallState) -> bool:
            error = state.outcome.exception() if state.outcome else None
            unreachable = isinstance(error, requests.ConnectionError) and not isinstance(
                error, requests.exceptions.ChunkedEncodingError
            )
            limit = min(self.policy.connect_attempts, self.policy.attempts) if unreachable else self.policy.attempts
            return state.attempt_number >= limit

        retrying = Retrying(
            stop=give_up,
            wait=self._wait_seconds,
            retry=retry_if_exception(lambda error: _is_retryable(error, retry_timeouts, statuses)),
            sleep=lambda seconds: sleep(seconds),
            reraise=True,
        )
        try:
            return retrying(attempt)
        except TrackerError as error:
            if _is_retryable(error, retry_timeouts, statuses):
                tries = retrying.statistics.get("attempt_number", self.policy.attempts)
                raise TrackerError(f"{error} (gave up after {tries} attempts)") from error
            raise
        except requests.RequestException as error:
            tries = retrying.statistics.get("attempt_number", self.policy.attempts)
            raise TrackerError(f"cannot reach {url}: {type(error).__name__} (gave up after {tries} attempts)") from error


def _read_body(response: requests.Response, url: str, timeout: float) -> bytes:
    """The whole (decoded) body in one read: one buffer the size of the body, filled straight from the
    socket, where `response.content` gathers 10 KiB pieces and joins them (a second copy, page faults
    and the GIL held per piece: most of the CPU of reading a large eth_getLogs answer).

    A body cut short still raises what requests raises for it, so the retry policy sees the same errors.
    """
    try:
        return response.raw.read(decode_content=True)
    except urllib3.exceptions.ReadTimeoutError as error:
        response.close()
        raise RpcTimeout(f"{url} did not answer within {timeout:g}s") from error
    except urllib3.exceptions.DecodeError as error:
        response.close()
        raise requests.exceptions.ContentDecodingError(error) from error
    except (urllib3.exceptions.ProtocolError, urllib3.exceptions.SSLError, OSError) as error:
        response.close()
        raise requests.exceptions.ChunkedEncodingError(error) from error


def parse_json(raw: bytes, what: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise TruncatedBody(f"{what}: response is not complete JSON ({len(raw)} bytes)") from error
