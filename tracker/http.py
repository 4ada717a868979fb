"""One HTTP client and one retry policy for every remote call.

The policy retries what is worth retrying — 429, 5xx, dropped connections,
timeouts, bodies cut off mid-JSON — waits as long as `Retry-After` asks (up to
a cap), and after the last attempt raises one clear `TrackerError`.
Tests replace `sleep` in this module instead of waiting.

The client is the standard library's `http.client` with a pool of keep-alive
connections: `requests` and `tenacity` cost a sync ≈ 75 ms of imports before its
first call to the node (issue 22), and a call needs none of what they add.
"""

from __future__ import annotations

import email.utils
import http.client
import os
import select
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote, urlencode, urljoin, urlsplit

import orjson

from tracker.errors import BadResponse, RpcTimeout, TrackerError

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({408, 418, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
USER_AGENT = "stablecoin-flow-tracker"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MOST_REDIRECTS = 5


def in_background(work: Callable[[], T], name: str = "tracker-request") -> Future:
    """Run `work` on a daemon thread and hand its answer or error to whoever takes it: calls that do not depend on
    each other (node calls, or native work that lets go of the GIL) go out together. An abandoned one never holds
    up the process's exit."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as error:  # handed to whoever takes the answer
            future.set_exception(error)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


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


class TransportError(Exception):
    """The connection failed, or the body did not arrive whole. `kind` names it in the line a user sees after the
    last attempt: ConnectionError (no connection, or it dropped before an answer), SSLError, ChunkedEncodingError
    (the body cut short), ContentDecodingError (a compressed body that does not decompress)."""

    def __init__(self, kind: str, detail: object) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind

    @property
    def unreachable(self) -> bool:
        """Nothing answered: rarely heals within seconds (RetryPolicy.connect_attempts)."""
        return self.kind in ("ConnectionError", "SSLError")


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
    if isinstance(error, RpcTimeout):
        return retry_timeouts
    if isinstance(error, HttpStatusError):
        return error.status in statuses
    return isinstance(error, (TransportError, TruncatedBody, RetryableRpcError))


@dataclass(frozen=True)
class _Origin:
    """Where a connection goes: the server, and the proxy it goes through (if any)."""

    scheme: str
    host: str
    port: int
    proxy: str | None


def _environment_proxy(scheme: str, host: str) -> str | None:
    """The proxy the environment names for this scheme and host (http_proxy, https_proxy, all_proxy, no_proxy, in
    either case), as curl and requests read them; the standard library's parser is loaded only when one is set."""
    if not any(name.lower().endswith("_proxy") for name in os.environ):
        return None
    import urllib.request

    proxies = urllib.request.getproxies_environment()
    if not proxies or urllib.request.proxy_bypass_environment(host, proxies):
        return None
    return proxies.get(scheme) or proxies.get("all")


class _Connections:
    """Idle keep-alive connections per origin, shared by the client's threads (each connection serves one
    request at a time: a thread takes it, and gives it back once the answer is read to its end)."""

    MOST_IDLE = 10  # per origin; a sync has at most a few requests in flight

    def __init__(self) -> None:
        self._idle: dict[_Origin, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def take(self, origin: _Origin) -> http.client.HTTPConnection | None:
        with self._lock:
            idle = self._idle.get(origin)
            while idle:
                connection = idle.pop()
                if _still_open(connection):
                    return connection
                connection.close()
        return None

    def give_back(self, origin: _Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < self.MOST_IDLE:
                idle.append(connection)
                return
        connection.close()


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """An idle connection the server has not closed: nothing to read on it (a closed one reads as end of file)."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


class _Answer:
    """One response whose status and headers have arrived, and the connection it came on."""

    def __init__(self, pool: _Connections, origin: _Origin, connection: http.client.HTTPConnection,
                 response: http.client.HTTPResponse) -> None:
        self.pool, self.origin, self.connection, self.response = pool, origin, connection, response

    def finished(self) -> None:
        """The body was read to its end: the connection serves the next request, unless the server closes it."""
        if self.response.will_close or self.connection.sock is None:
            self.connection.close()
        else:
            self.pool.give_back(self.origin, self.connection)

    def abandon(self) -> None:
        self.response.close()
        self.connection.close()


class HttpClient:
    """Keep-alive HTTP(S) connections wrapped in the project's single retry policy."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        headers: dict[str, str] | None = None,
        also_retry: frozenset[int] = frozenset(),
    ) -> None:
        """`also_retry`: extra statuses that mean 'slow down' for this provider (TronGrid's 403)."""
        self.policy = policy or RetryPolicy()
        self.retry_statuses = RETRYABLE_STATUSES | also_retry
        self.headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "gzip, deflate",
                        **(headers or {})}
        self.buffers = BodyBuffers()
        self.connections = _Connections()
        self._tls: ssl.SSLContext | None = None

    def _wait_seconds(self, error: BaseException, attempt: int) -> float:
        asked = getattr(error, "retry_after", None)
        if asked is not None:
            return min(asked, self.policy.max_wait)
        return min(self.policy.base_wait * 2 ** (attempt - 1), self.policy.max_wait)

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

        `params`: the query string (None values left out, a list repeats its key);
        `also_retry`: statuses that mean 'slow down' for this one provider (Bybit's 403);
        `on_headers`: sees every answer's headers (rate-limit budgets such as Binance's used weight);
        `lend_body`: a large body is read into one of the client's reused buffers (see `BodyBuffers`) and
        `parse` gets a memoryview of it, valid only during the call: `parse` keeps nothing that points into it.
        """
        statuses = self.retry_statuses | also_retry
        sent_headers = dict(self.headers)
        if json_body is not None:
            data = _json_bytes(json_body)
            sent_headers["Content-Type"] = "application/json"
        sent_headers.update(headers or {})
        target = _with_query(url, params)

        def attempt() -> T:
            answer = self._send(method, target, data, sent_headers, url)
            response = answer.response
            if on_headers is not None:
                on_headers(response.headers)
            if response.status >= 400:
                try:
                    text = _decoded(response, self._read_body(answer, url)).decode("utf-8", errors="replace")
                except TransportError:
                    text = ""
                raise HttpStatusError(url, response.status, response.reason or "",
                                      parse_retry_after(response.headers.get("Retry-After")),
                                      text[:200].replace("\n", " ").strip())
            if lend_body:
                lent = self.buffers.read(answer, url, self.policy.timeout)
                if lent is not None:
                    try:
                        return parse(lent)
                    finally:
                        self.buffers.give_back(lent)
            return parse(_decoded(response, self._read_body(answer, url)))

        tries = 0
        while True:
            tries += 1
            try:
                return attempt()
            except (TrackerError, TransportError) as error:
                if not _is_retryable(error, retry_timeouts, statuses):
                    raise
                unreachable = isinstance(error, TransportError) and error.unreachable
                limit = min(self.policy.connect_attempts, self.policy.attempts) if unreachable else self.policy.attempts
                if tries >= limit:
                    if isinstance(error, TransportError):
                        raise TrackerError(f"cannot reach {url}: {error.kind} (gave up after {tries} attempts)") from error
                    raise TrackerError(f"{error} (gave up after {tries} attempts)") from error
                sleep(self._wait_seconds(error, tries))

    # -- one exchange -----------------------------------------------------------------------------

    def _send(self, method: str, target: str, data: bytes | None, headers: dict[str, str], url: str) -> _Answer:
        """Send one request and read the status and headers, following redirects (as browsers and curl -L do)."""
        for _ in range(MOST_REDIRECTS + 1):
            answer = self._exchange(method, target, data, headers, url)
            status = answer.response.status
            location = answer.response.headers.get("Location")
            if status not in REDIRECT_STATUSES or not location:
                return answer
            self._read_body(answer, url)  # what a redirect carries is not wanted, but frees the connection
            target = urljoin(target, location)
            if status in (301, 302, 303) and method != "HEAD":  # what requests and browsers do: the next is a GET
                method, data = "GET", None
                headers = {name: value for name, value in headers.items() if name.lower() != "content-type"}
        raise TrackerError(f"{url} redirected more than {MOST_REDIRECTS} times")

    def _exchange(self, method: str, target: str, data: bytes | None, headers: dict[str, str], url: str) -> _Answer:
        parts = urlsplit(target)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            port = 0
        if parts.scheme not in ("http", "https") or not parts.hostname or not port:
            raise TrackerError(f"{url}: not an http(s) URL")
        origin = _Origin(parts.scheme, parts.hostname, port, _environment_proxy(parts.scheme, parts.hostname))
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if parts.username is not None and not any(name.lower() == "authorization" for name in headers):
            # user:password@ in the URL (some providers' keys): sent as Basic authorization, as requests and curl do
            headers = {**headers, "Authorization": _basic(parts.username, parts.password)}
        if origin.proxy and origin.scheme == "http":  # a plain-HTTP proxy is asked for the whole URL
            host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
            path = f"{parts.scheme}://{host}:{port}{path}"
            headers = {**headers, **_proxy_parts(origin.proxy)[2]}
        # An idle connection may have been closed by the server just as it is reused: then once more on a new one.
        for reused in (True, False):
            connection = self.connections.take(origin) if reused else None
            if reused and connection is None:
                continue
            if connection is None:
                connection = self._connect(origin)
            try:
                connection.request(method, path, body=data, headers=headers)
                return _Answer(self.connections, origin, connection, connection.getresponse())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
                connection.close()
                if reused:
                    continue
                raise TransportError("ConnectionError", error) from error
            except TimeoutError as error:
                connection.close()
                raise RpcTimeout(f"{url} did not answer within {self.policy.timeout:g}s") from error
            except ssl.SSLError as error:
                connection.close()
                raise TransportError("SSLError", error) from error
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                raise TransportError("ConnectionError", error) from error
        raise AssertionError("unreachable")  # the loop's last turn returns or raises

    def _connect(self, origin: _Origin) -> http.client.HTTPConnection:
        """A new (not yet opened) connection; it opens on its first request."""
        timeout = self.policy.timeout
        if origin.proxy is None:
            if origin.scheme == "https":
                return http.client.HTTPSConnection(origin.host, origin.port, timeout=timeout, context=self._context())
            return http.client.HTTPConnection(origin.host, origin.port, timeout=timeout)
        host, port, credentials = _proxy_parts(origin.proxy)
        if origin.scheme == "https":  # a tunnel through the proxy (CONNECT), TLS with the server inside it
            connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=self._context())
            connection.set_tunnel(origin.host, origin.port, headers=credentials)
            return connection
        return http.client.HTTPConnection(host, port, timeout=timeout)

    def _context(self) -> ssl.SSLContext:
        """Certificates verified against the system's authorities (SSL_CERT_FILE / SSL_CERT_DIR if set), the bundle
        REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE names (what requests read: a file set up for it keeps working), or
        certifi's bundle where the system has none and certifi is installed."""
        if self._tls is None:
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            context = ssl.create_default_context(cafile=bundle or None)
            if not bundle and not context.cert_store_stats().get("x509_ca"):
                try:
                    import certifi

                    context.load_verify_locations(certifi.where())
                except ImportError:
                    pass
            self._tls = context
        return self._tls

    def _read_body(self, answer: _Answer, url: str) -> bytes:
        """The whole body as sent (still compressed, if it is), in one read; the connection is given back after.

        A body cut short is a ChunkedEncodingError and a stalled one a timeout, as the retry policy expects."""
        try:
            body = answer.response.read()
        except TimeoutError as error:
            answer.abandon()
            raise RpcTimeout(f"{url} did not answer within {self.policy.timeout:g}s") from error
        except (http.client.HTTPException, OSError) as error:
            answer.abandon()
            raise TransportError("ChunkedEncodingError", error) from error
        answer.finished()
        return body


def _proxy_parts(proxy: str) -> tuple[str, int, dict[str, str]]:
    """A proxy URL's host, port and the Proxy-Authorization its user and password make (if it has them)."""
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if not parts.hostname:
        raise TrackerError(f"proxy {proxy!r} from the environment is not a URL")
    credentials = {}
    if parts.username is not None:
        credentials["Proxy-Authorization"] = _basic(parts.username, parts.password)
    return parts.hostname, parts.port or 80, credentials


def _basic(username: str, password: str | None) -> str:
    """Basic credentials from a URL's user and password (percent-decoded)."""
    import base64

    return "Basic " + base64.b64encode(f"{unquote(username)}:{unquote(password or '')}".encode()).decode()


def _json_bytes(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits, which orjson refuses: the standard encoder writes it
        import json

        return json.dumps(value).encode()


def _with_query(url: str, params: dict[str, Any] | None) -> str:
    if not params:
        return url
    query = urlencode([(key, value) for key, value in params.items() if value is not None], doseq=True)
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _decoded(response: http.client.HTTPResponse, body: bytes) -> bytes:
    """The body without its Content-Encoding (gzip or deflate, the ones asked for); a damaged one is a
    ContentDecodingError, retried like a cut body."""
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    try:
        if encoding in ("gzip", "x-gzip"):
            import gzip

            return gzip.decompress(body)
        if encoding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:  # some servers send deflate without its zlib header
                return zlib.decompress(body, -zlib.MAX_WBITS)
    except (OSError, EOFError, zlib.error) as error:
        raise TransportError("ContentDecodingError", error) from error
    return body


class BodyBuffers:
    """Buffers that large bodies are read into, kept and reused across a client's requests.

    Each `eth_getLogs` answer of a sync is megabytes. Read into new memory, every page of it is first touched
    by the kernel's copy from the socket, and each first touch is a page fault, dear on a busy VM (BENCHMARKS.md,
    issue 22's seventh pass); a kept buffer is touched once. The body goes from the socket straight into the
    buffer (`http.client`'s `readinto`), with no other copy. Bodies without a Content-Length, compressed ones or
    small ones (below LENT_FROM bytes) are read as before.
    """

    LENT_FROM = 1 << 20
    KEPT = 4  # at most this many buffers kept (a sync reads at most REQUESTS_IN_FLIGHT, 4, bodies at once)
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

    def read(self, answer: _Answer, url: str, timeout: float) -> memoryview | None:
        """The whole body as a view of a kept buffer, or None when it is to be read as usual (nothing read yet).

        A body cut short, a read that times out or a dropped socket raise what the usual read raises for them,
        so the retry policy sees the same errors."""
        response = answer.response
        length = response.length  # body bytes still to come; None without a Content-Length (or chunked)
        if (length is None or length < self.LENT_FROM
                or (response.headers.get("Content-Encoding") or "identity").strip().lower() != "identity"):
            return None
        buffer = self._take(length)
        lent = memoryview(buffer)[:length]
        got = 0
        try:
            # readinto gives 0 once the peer has closed: it raises nothing for a short body, so count here
            while got < length and (count := response.readinto(lent[got:])):
                got += count
            if got < length:
                raise TransportError("ChunkedEncodingError", f"{url}: the body ended after {got:,} of {length:,} bytes")
        except BaseException as error:
            self.give_back(lent)
            answer.abandon()
            if isinstance(error, TimeoutError):
                raise RpcTimeout(f"{url} did not answer within {timeout:g}s") from error
            if isinstance(error, (OSError, http.client.HTTPException)):
                raise TransportError("ChunkedEncodingError", error) from error
            raise
        answer.finished()  # read to its end: the connection serves the next request
        return lent


def parse_json(raw: bytes, what: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise TruncatedBody(f"{what}: response is not complete JSON ({len(raw)} bytes)") from error
