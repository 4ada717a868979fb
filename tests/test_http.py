"""The single retry policy, against a real local HTTP server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest
from werkzeug import Response

import tracker.http
from tracker.errors import RpcError, TrackerError
from tracker.http import HttpClient, RetryPolicy, parse_retry_after
from tracker.ingest.evm.rpc import BATCHES_IN_FLIGHT, JsonRpcClient


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(tracker.http, "sleep", recorded.append)
    return recorded


def serve_sequence(httpserver, responses: list[Response]) -> list[dict]:
    """Answer requests with `responses` in order (the last one repeats); return the requests seen."""
    seen: list[dict] = []

    def handler(request):
        seen.append(request.get_json(silent=True))
        return responses[min(len(seen), len(responses)) - 1]

    httpserver.expect_request("/").respond_with_handler(handler)
    return seen


def ok(result) -> Response:
    return Response(json.dumps({"jsonrpc": "2.0", "id": 1, "result": result}), content_type="application/json")


def test_retry_after_then_backoff_then_success(httpserver, waits) -> None:
    seen = serve_sequence(
        httpserver,
        [Response("", status=429, headers={"Retry-After": "3"}), Response("", status=503), Response("", status=502), ok("0x10")],
    )
    assert JsonRpcClient(httpserver.url_for("/")).call("eth_blockNumber") == "0x10"
    assert waits == [3.0, 1.0, 2.0]
    assert len(seen) == 4


def test_retry_after_is_capped(httpserver, waits) -> None:
    serve_sequence(httpserver, [Response("", status=429, headers={"Retry-After": "86400"}), ok("0x1")])
    client = JsonRpcClient(httpserver.url_for("/"), HttpClient(RetryPolicy(max_wait=12)))
    assert client.call("eth_blockNumber") == "0x1"
    assert waits == [12]


def test_gives_up_with_one_clear_line(httpserver, waits) -> None:
    serve_sequence(httpserver, [Response("upstream down", status=503)])
    client = JsonRpcClient(httpserver.url_for("/"), HttpClient(RetryPolicy(attempts=4)))
    with pytest.raises(TrackerError) as caught:
        client.call("eth_blockNumber")
    message = str(caught.value)
    assert "HTTP 503" in message and "gave up after 4 attempts" in message and "\n" not in message
    assert waits == [0.5, 1.0, 2.0]


def test_cut_body_is_retried(httpserver, waits) -> None:
    serve_sequence(httpserver, [Response('{"jsonrpc":"2.0","id":1,"resu', content_type="application/json"), ok("0x2")])
    assert JsonRpcClient(httpserver.url_for("/")).call("eth_blockNumber") == "0x2"
    assert waits == [0.5]


def test_client_errors_are_not_retried(httpserver, waits) -> None:
    seen = serve_sequence(httpserver, [Response("no", status=401), ok("0x3")])
    with pytest.raises(TrackerError, match="HTTP 401"):
        JsonRpcClient(httpserver.url_for("/")).call("eth_blockNumber")
    assert len(seen) == 1 and waits == []


def test_jsonrpc_error_is_reported_not_retried(httpserver, waits) -> None:
    seen = serve_sequence(
        httpserver,
        [Response(json.dumps({"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "the method eth_x does not exist"}}))],
    )
    with pytest.raises(RpcError, match="eth_x does not exist"):
        JsonRpcClient(httpserver.url_for("/")).call("eth_x")
    assert len(seen) == 1


def test_timeout_is_retried_then_reported(httpserver, waits) -> None:
    def slow(request):
        time.sleep(0.5)
        return ok("0x4")

    httpserver.expect_request("/").respond_with_handler(slow)
    client = JsonRpcClient(httpserver.url_for("/"), HttpClient(RetryPolicy(attempts=2, timeout=0.1)))
    with pytest.raises(TrackerError, match="did not answer within 0.1s"):
        client.call("eth_blockNumber")
    assert waits == [0.5]


def test_unreachable_host_is_one_line(waits) -> None:
    client = JsonRpcClient("http://127.0.0.1:9/", HttpClient(RetryPolicy(attempts=2)))
    with pytest.raises(TrackerError, match=r"cannot reach http://127.0.0.1:9/: ConnectionError \(gave up after 2 attempts\)"):
        client.call("eth_blockNumber")


def test_batch_falls_back_when_provider_refuses_batches(httpserver, waits) -> None:
    def handler(request):
        body = request.get_json()
        if isinstance(body, list) and len(body) > 2:
            return Response(json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "batch too large"}}))
        items = body if isinstance(body, list) else [body]
        answers = [{"jsonrpc": "2.0", "id": item["id"], "result": item["params"][0]} for item in reversed(items)]
        return Response(json.dumps(answers if isinstance(body, list) else answers[0]))

    httpserver.expect_request("/").respond_with_handler(handler)
    client = JsonRpcClient(httpserver.url_for("/"), batch_size=8)
    params = [[hex(n)] for n in range(7)]
    assert client.batch("echo", params) == [hex(n) for n in range(7)]  # in request order, whatever the answer order
    assert client.batch_size == 2


def test_batch_parts_go_out_together_after_the_first_and_come_back_in_order(threaded_httpserver) -> None:
    httpserver = threaded_httpserver
    at_once, most, lock = [0], [0], threading.Lock()

    def handler(request):
        with lock:
            at_once[0] += 1
            most[0] = max(most[0], at_once[0])
        time.sleep(0.2)  # long enough for every part sent together to be at the server at once
        with lock:
            at_once[0] -= 1
        body = request.get_json()
        return Response(json.dumps([{"jsonrpc": "2.0", "id": item["id"], "result": item["params"][0]} for item in body]))

    httpserver.expect_request("/").respond_with_handler(handler)
    client = JsonRpcClient(httpserver.url_for("/"), batch_size=3)
    params = [[hex(n)] for n in range(3 + 3 * BATCHES_IN_FLIGHT + 2)]  # the first part, then more than one round
    assert client.batch("echo", params) == [hex(n) for n in range(len(params))]
    assert most[0] == BATCHES_IN_FLIGHT
    assert len(httpserver.log) == 1 + BATCHES_IN_FLIGHT + 1


def test_a_part_refused_among_those_sent_together_is_asked_again_smaller(httpserver) -> None:
    def handler(request):
        body = request.get_json()
        if len(body) > 2 and body[0]["params"][0] != "0x0":  # only the first part may be large: a cap learned late
            return Response(json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "batch too large"}}))
        return Response(json.dumps([{"jsonrpc": "2.0", "id": item["id"], "result": item["params"][0]} for item in body]))

    httpserver.expect_request("/").respond_with_handler(handler)
    client = JsonRpcClient(httpserver.url_for("/"), batch_size=4)
    params = [[hex(n)] for n in range(13)]
    assert client.batch("echo", params) == [hex(n) for n in range(13)]
    assert client.batch_size == 2


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: no wait


def _read_request(incoming) -> bool:
    """Read one HTTP request (head and Content-Length body) from a connection's file; False if it closed first.

    A server that closes a socket with request bytes still unread sends a reset, which can discard the answer
    the client has not read yet: these servers read every request whole."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = incoming.readline()
        if not line:
            return False
        head += line
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    incoming.read(length)
    return True


class RawServer:
    """A loopback HTTP/1.1 server that writes bytes as given, one script per connection: what a dropped
    socket or a stalled body looks like on the wire (pytest-httpserver always sends whole responses)."""

    def __init__(self, scripts: list[list[bytes | float]]) -> None:
        import socket
        import threading

        self.scripts = scripts
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        for script in self.scripts:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed by the test: nothing more to serve
                return
            self.connections += 1
            with connection:
                try:
                    _read_request(connection.makefile("rb"))  # all of it: a close with bytes unread resets the socket
                    for part in script:
                        if isinstance(part, float):
                            time.sleep(part)
                        else:
                            connection.sendall(part)
                except OSError:  # the client gave up first (a timeout test)
                    pass

    def close(self) -> None:
        self.listener.close()


def _head(length: int, extra: str = "") -> bytes:
    return (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n{extra}"
            "Connection: close\r\n\r\n").encode()


def _logs_body(count: int, fill: str) -> bytes:
    """An eth_getLogs-sized answer (≈ 1.3 KB a log) whose logs differ by `fill`."""
    log = {"data": "0x" + fill * 64, "topics": ["0x" + fill * 64] * 3}
    return json.dumps({"jsonrpc": "2.0", "id": 1, "result": [dict(log, logIndex=hex(n)) for n in range(count)]}).encode()


def _small_answer() -> tuple[bytes, Callable[[JsonRpcClient], object]]:
    """A small JSON-RPC answer and a plain call that reads it (the usual read)."""
    return (json.dumps({"jsonrpc": "2.0", "id": 1, "result": "0x" + "ab" * 4000}).encode(),
            lambda client: client.call("eth_blockNumber"))


def _large_answer() -> tuple[bytes, Callable[[JsonRpcClient], object]]:
    """An eth_getLogs-sized answer and the call that reads it into a kept buffer."""
    return _logs_body(4000, "c"), lambda client: len(client.call_parsed("eth_getLogs", [{}], lambda raw: tracker.http.parse_json(raw, "x"))["result"])


@pytest.mark.parametrize("answer", [_small_answer, _large_answer], ids=["usual read", "kept buffer"])
def test_socket_dropped_mid_body_is_retried_then_reported(waits, answer) -> None:
    whole, ask = answer()
    cut = [_head(len(whole)), whole[: len(whole) // 2]]  # the server closes the socket halfway through the body
    server = RawServer([cut, [_head(len(whole)), whole]])
    try:
        assert ask(JsonRpcClient(server.url)) in ("0x" + "ab" * 4000, 4000)
        assert server.connections == 2 and waits == [0.5]
    finally:
        server.close()
    waits.clear()
    server = RawServer([cut, cut])
    try:
        client = JsonRpcClient(server.url, HttpClient(RetryPolicy(attempts=2)))
        with pytest.raises(TrackerError) as caught:
            ask(client)
        message = str(caught.value)
        assert message.startswith(f"cannot reach {server.url}: ChunkedEncodingError (gave up after 2 attempts)")
        assert "\n" not in message and server.connections == 2
    finally:
        server.close()


@pytest.mark.parametrize("answer", [_small_answer, _large_answer], ids=["usual read", "kept buffer"])
def test_body_that_stalls_past_the_timeout_is_a_timeout(waits, answer) -> None:
    whole, ask = answer()
    stalled = [_head(len(whole)), whole[:10], 0.6, whole[10:]]  # headers arrive, then the body stops
    server = RawServer([stalled, stalled])
    try:
        client = JsonRpcClient(server.url, HttpClient(RetryPolicy(attempts=2, timeout=0.2)))
        with pytest.raises(TrackerError, match=r"did not answer within 0.2s \(gave up after 2 attempts\)"):
            ask(client)
        assert waits == [0.5]
    finally:
        server.close()


def test_compressed_body_is_decoded(httpserver) -> None:
    import gzip

    body = gzip.compress(json.dumps({"jsonrpc": "2.0", "id": 1, "result": "0x" + "cd" * 5000}).encode())
    httpserver.expect_request("/").respond_with_response(
        Response(body, content_type="application/json", headers={"Content-Encoding": "gzip"}))
    assert JsonRpcClient(httpserver.url_for("/")).call("eth_blockNumber") == "0x" + "cd" * 5000


class KeepAliveServer:
    """A loopback HTTP/1.1 server that keeps each connection open and answers its requests in turn with the
    given bodies: shows whether the client reuses its connection."""

    def __init__(self, bodies: list[bytes]) -> None:
        import socket
        import threading

        self.bodies = bodies
        self.requests_by_connection: list[int] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        served = 0
        while served < len(self.bodies):
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.requests_by_connection.append(0)
            with connection, connection.makefile("rb") as incoming:
                while served < len(self.bodies):
                    if not _read_request(incoming):
                        break  # the client closed this connection
                    body = self.bodies[served]
                    # Counted before the answer goes out: the client may assert as soon as it has read it.
                    served += 1
                    self.requests_by_connection[-1] += 1
                    connection.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                       f"Content-Length: {len(body)}\r\n\r\n".encode() + body)

    def close(self) -> None:
        self.listener.close()


def test_a_large_body_is_read_into_a_kept_buffer_on_the_same_connection() -> None:
    """Two large answers in a row: the second, shorter, is parsed from the buffer the first was read into and
    comes out whole and only itself (not the first one's tail); both came over one connection."""
    first, second = _logs_body(6000, "a"), _logs_body(4000, "b")
    assert len(first) > len(second) > HttpClient().buffers.LENT_FROM
    server = KeepAliveServer([first, second, first])
    seen: list[tuple[type, int, int]] = []

    def parse(raw) -> list:
        seen.append((type(raw), id(raw.obj) if isinstance(raw, memoryview) else 0, len(raw)))
        return tracker.http.parse_json(raw, "eth_getLogs")["result"]

    try:
        client = JsonRpcClient(server.url)
        logs = [client.call_parsed("eth_getLogs", [{}], parse) for _ in range(3)]
    finally:
        server.close()
    assert [len(answer) for answer in logs] == [6000, 4000, 6000]
    assert {log["data"][2:3] for log in logs[1]} == {"b"} and logs[1][-1]["logIndex"] == hex(3999)
    assert logs[2] == logs[0]
    assert [kind for kind, _, _ in seen] == [memoryview] * 3
    assert [length for _, _, length in seen] == [len(first), len(second), len(first)]
    assert seen[0][1] == seen[1][1] == seen[2][1]  # one buffer, kept and reused
    assert server.requests_by_connection == [3]


def test_a_small_body_and_a_plain_call_are_read_as_before(httpserver) -> None:
    httpserver.expect_request("/").respond_with_response(ok("0x" + "ab" * 100))
    kinds: list[type] = []
    client = JsonRpcClient(httpserver.url_for("/"))
    client.call_parsed("eth_getLogs", [{}], lambda raw: kinds.append(type(raw)))
    assert kinds == [bytes] and client.call("eth_blockNumber") == "0x" + "ab" * 100


class RecordingServer:
    """A loopback HTTP/1.1 server that records each request's head and answers every one with `answer`, closing
    the connection after it when `close` is set: stands for a proxy (which sees the request line the client
    sends it) or for a server that drops idle connections."""

    def __init__(self, answer: bytes, close: bool = True) -> None:
        import socket
        import threading

        self.answer, self.close_after = answer, close
        self.heads: list[str] = []
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            with connection, connection.makefile("rb") as incoming:
                while True:
                    head = b""
                    while not head.endswith(b"\r\n\r\n"):
                        line = incoming.readline()
                        if not line:
                            break
                        head += line
                    if not head.endswith(b"\r\n\r\n"):
                        break
                    self.heads.append(head.decode())
                    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                                   if line.lower().startswith(b"content-length:")), 0)
                    incoming.read(length)
                    connection.sendall(self.answer)
                    if self.close_after:
                        break

    def close(self) -> None:
        self.listener.close()


def _answer(result: str, extra: str = "") -> bytes:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "result": result}).encode()
    return (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n").encode() + body


@pytest.fixture
def no_proxy_environment(monkeypatch) -> None:
    for name in list(__import__("os").environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)


def test_small_answers_share_one_kept_alive_connection() -> None:
    server = KeepAliveServer([json.dumps({"jsonrpc": "2.0", "id": 1, "result": hex(n)}).encode() for n in range(3)])
    try:
        client = JsonRpcClient(server.url)
        assert [client.call("eth_blockNumber") for _ in range(3)] == ["0x0", "0x1", "0x2"]
    finally:
        server.close()
    assert server.requests_by_connection == [3]


def test_an_idle_connection_the_server_closed_is_replaced_without_a_retry(waits, no_proxy_environment) -> None:
    server = RecordingServer(_answer("0x7"), close=True)  # keep-alive answers, but each connection closed after one
    try:
        client = JsonRpcClient(f"http://{server.address}/")
        assert client.call("eth_blockNumber") == "0x7"
        time.sleep(0.1)  # the server's close reaches the idle connection
        assert client.call("eth_blockNumber") == "0x7"
    finally:
        server.close()
    assert server.connections == 2 and waits == []


def test_an_http_proxy_from_the_environment_gets_the_whole_url(monkeypatch, no_proxy_environment) -> None:
    proxy = RecordingServer(_answer("0x8"))
    monkeypatch.setenv("http_proxy", f"http://someone:s%40cret@{proxy.address}")
    try:
        assert JsonRpcClient("http://node.invalid:8545/rpc").call("eth_blockNumber") == "0x8"
    finally:
        proxy.close()
    request_line, *header_lines = proxy.heads[0].split("\r\n")
    assert request_line == "POST http://node.invalid:8545/rpc HTTP/1.1"
    import base64

    assert f"Proxy-Authorization: Basic {base64.b64encode(b'someone:s@cret').decode()}" in header_lines


def test_no_proxy_sends_the_request_directly(httpserver, monkeypatch, no_proxy_environment) -> None:
    httpserver.expect_request("/").respond_with_response(ok("0x9"))
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert JsonRpcClient(httpserver.url_for("/")).call("eth_blockNumber") == "0x9"


def test_https_goes_through_the_proxy_as_a_tunnel(monkeypatch, waits, no_proxy_environment) -> None:
    proxy = RecordingServer(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    monkeypatch.setenv("HTTPS_PROXY", f"http://{proxy.address}")
    try:
        client = JsonRpcClient("https://node.invalid/v3/key", HttpClient(RetryPolicy(attempts=2)))
        with pytest.raises(TrackerError, match=r"^cannot reach https://node.invalid/v3/key: ConnectionError \(gave up after 2 attempts\)$"):
            client.call("eth_blockNumber")
    finally:
        proxy.close()
    assert [head.split("\r\n")[0].rsplit(" ", 1)[0] for head in proxy.heads] == ["CONNECT node.invalid:443"] * 2


def test_a_post_redirected_with_307_is_sent_again_whole(httpserver) -> None:
    httpserver.expect_request("/old").respond_with_response(Response("", status=307, headers={"Location": "/new"}))
    seen: list[dict] = []

    def handler(request):
        seen.append(request.get_json())
        return ok("0xa")

    httpserver.expect_request("/new", method="POST").respond_with_handler(handler)
    assert JsonRpcClient(httpserver.url_for("/old")).call("eth_chainId") == "0xa"
    assert [body["method"] for body in seen] == ["eth_chainId"]


def test_query_parameters_leave_out_none_and_repeat_lists(httpserver) -> None:
    seen: list[list[tuple[str, str]]] = []

    def handler(request):
        seen.append(list(request.args.items(multi=True)))
        return Response("[]", content_type="application/json")

    httpserver.expect_request("/api").respond_with_handler(handler)
    assert HttpClient().request("GET", httpserver.url_for("/api?fixed=1"), lambda raw: tracker.http.parse_json(raw, "x"),
                                params={"symbol": "BTCUSDT", "endTime": None, "ids": [1, 2], "limit": 500}) == []
    assert seen == [[("fixed", "1"), ("symbol", "BTCUSDT"), ("ids", "1"), ("ids", "2"), ("limit", "500")]]


def test_an_error_status_carries_the_start_of_its_body(httpserver, waits) -> None:
    httpserver.expect_request("/").respond_with_response(Response("invalid api key\nfor this project", status=401))
    with pytest.raises(TrackerError, match=r"^http://localhost:\d+/ answered HTTP 401 UNAUTHORIZED: invalid api key for this project$"):
        JsonRpcClient(httpserver.url_for("/")).call("eth_blockNumber")


class TlsServer:
    """A loopback HTTPS server (certificate for localhost from a test authority, `trustme`) answering every
    request with one JSON-RPC result."""

    def __init__(self, authority, result: str) -> None:
        import http.server
        import ssl
        import threading

        body = json.dumps({"jsonrpc": "2.0", "id": 1, "result": result}).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        authority.issue_cert("localhost").configure_cert(context)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://localhost:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_https_is_verified_against_the_authorities_ssl_cert_file_names(tmp_path, monkeypatch, waits,
                                                                       no_proxy_environment) -> None:
    """TLS with the system's authorities, or those SSL_CERT_FILE (OpenSSL's variable) or REQUESTS_CA_BUNDLE names: a
    certificate from an authority the client does not trust is refused as an SSLError, one it trusts is answered."""
    for variable in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(variable, raising=False)
    import trustme

    authority = trustme.CA()
    server = TlsServer(authority, "0xb")
    try:
        with pytest.raises(TrackerError, match=rf"^cannot reach {server.url}: SSLError \(gave up after 3 attempts\)$"):
            JsonRpcClient(server.url).call("eth_blockNumber")  # the system's authorities: not the test's
        assert waits == [0.5, 1.0]
        trusted = tmp_path / "authority.pem"
        authority.cert_pem.write_to_path(str(trusted))
        for variable in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):  # OpenSSL's, and what requests read before
            monkeypatch.setenv(variable, str(trusted))
            client = JsonRpcClient(server.url)
            assert [client.call("eth_blockNumber") for _ in range(2)] == ["0xb", "0xb"], variable
            monkeypatch.delenv(variable)
    finally:
        server.close()


def test_credentials_in_the_url_are_sent_as_basic_authorization(no_proxy_environment) -> None:
    """user:password@ in a node URL (some providers' keys): an Authorization header, as requests and curl send
    it, and not part of the request line."""
    import base64

    server = RecordingServer(_answer("0xc"))
    try:
        assert JsonRpcClient(f"http://alice:p%40ss@{server.address}/v1").call("eth_blockNumber") == "0xc"
    finally:
        server.close()
    request_line, *header_lines = server.heads[0].split("\r\n")
    assert request_line == "POST /v1 HTTP/1.1"
    assert f"Authorization: Basic {base64.b64encode(b'alice:p@ss').decode()}" in header_lines


@pytest.mark.parametrize("url", ["ftp://node.example/", "http://node.example:port/", "http:///nohost"])
def test_a_url_that_is_not_http_is_one_line(url, waits) -> None:
    with pytest.raises(TrackerError, match=r"not an http\(s\) URL"):
        JsonRpcClient(url).call("eth_blockNumber")
    assert waits == []
