"""One HTTP session and one retry policy for every remote call.

The policy retries what is worth retrying — 429, 5xx, dropped connections,
timeouts, bodies cut off mid-JSON — waits as long as `Retry-After` asks (up to
a cap), and after the last attempt raises one clear `TrackerError`.
Tests replace `sleep` in this module instead of waiting.
"""

from __future__ import annotations

import email.utils
import threading
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
        self.buffers = BodyBuffers()

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
        lend_body: bool = False,
    ) -> T:
        """Send, check the status, parse the body; retry the whole step on transient faults.

        `also_retry`: statuses that mean 'slow down' for this one provider (Bybit's 403);
        `on_headers`: sees every answer's headers (rate-limit budgets such as Binance's used weight);
        `lend_body`: a large body is read into one of the client's reused buffers (see `BodyBuffers`) and
        `parse` gets a memoryview of it, valid only during the call: `parse` keeps nothing that points into it.
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
            if lend_body:
                lent = self.buffers.read(response, url, self.policy.timeout)
                if lent is not None:
                    try:
                        return parse(lent)
                    finally:
                        self.buffers.give_back(lent)
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


class BodyBuffers:
    """Buffers that large bodies are read into, kept and reused across a client's requests.

    Each `eth_getLogs` answer of a sync is megabytes. Read into new memory, every page of it is first touched
    by the kernel's copy from the socket, and each first touch is a page fault, dear on a busy VM (BENCHMARKS.md,
    issue 22's seventh pass); a kept buffer is touched once. The body goes from the socket straight into the
    buffer (`readinto` of the standard library's response, which urllib3 wraps), with no other copy. Bodies
    without a Content-Length, compressed ones, small ones (below LENT_FROM bytes), or a urllib3 without the
    wrapped response are read as before.
    """

    LENT_FROM = 1 << 20
    KEPT = 4  # at most this many buffers kept (a sync reads at most REQUESTS_IN_FLIGHT bodies at once)
    GROWTH = 1 << 20  # sizes rounded up to this, so a slightly larger next body still fits

    def __init__(self) -> None:
        self._free: list[bytearray] = []
        self._lock = threading.Lock()

    def _take(self, size: int) -> bytearray:
        with self._lock:
            fitting = [buffer for buffer in self._free if len(buffer) >= size]
            if fitting:
                chosen = min(fitting, key=len)
                self._free.remove(chosen)
                return chosen
            if self._free:  # too small: let the largest go rather than keep one more
                self._free.remove(max(self._free, key=len))
        return bytearray(-(-size // self.GROWTH) * self.GROWTH)

    def give_back(self, lent: memoryview) -> None:
        buffer = lent.obj
        try:
            lent.release()
        except BufferError:  # something still holds a view of it: it is not reused
            return
        with self._lock:
            if len(self._free) < self.KEPT and isinstance(buffer, bytearray):
                self._free.append(buffer)

    def read(self, response: requests.Response, url: str, timeout: float) -> memoryview | None:
        """The whole body as a view of a kept buffer, or None when it is to be read as usual (nothing read yet).

        A body cut short, a read that times out or a dropped socket raise what `_read_body` raises for them,
        so the retry policy sees the same errors."""
        wrapped = getattr(response.raw, "_fp", None)
        length = getattr(wrapped, "length", None)  # http.client: body bytes still to come; None when unknown
        if (not isinstance(length, int) or length < self.LENT_FROM or not hasattr(wrapped, "readinto")
                or response.headers.get("Content-Encoding", "identity").lower() != "identity"):
            return None
        buffer = self._take(length)
        lent = memoryview(buffer)[:length]
        got = 0
        try:
            while got < length and (count := wrapped.readinto(lent[got:])):
                got += count
            if got < length:
                raise requests.exceptions.ChunkedEncodingError(f"{url}: the body ended after {got:,} of {length:,} bytes")
        except BaseException as error:
            self.give_back(lent)
            response.close()
            if isinstance(error, TimeoutError):
                raise RpcTimeout(f"{url} did not answer within {timeout:g}s") from error
            if isinstance(error, OSError) and not isinstance(error, requests.RequestException):
                raise requests.exceptions.ChunkedEncodingError(error) from error
            raise
        response.raw.release_conn()  # read to its end: the connection serves the next request
        return lent


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
