"""The single retry policy, against a real local HTTP server."""

from __future__ import annotations

import json
import time

import pytest
from werkzeug import Response

import tracker.http
from tracker.errors import RpcError, TrackerError
from tracker.http import HttpClient, RetryPolicy, parse_retry_after
from tracker.ingest.evm.rpc import JsonRpcClient


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


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: no wait


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
                    connection.recv(65536)  # the request (small, one read)
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


def test_socket_dropped_mid_body_is_retried_then_reported(waits) -> None:
    whole = json.dumps({"jsonrpc": "2.0", "id": 1, "result": "0x" + "ab" * 4000}).encode()
    cut = [_head(len(whole)), whole[:3000]]  # the server closes the socket 3,000 bytes into the body
    server = RawServer([cut, [_head(len(whole)), whole]])
    try:
        assert JsonRpcClient(server.url).call("eth_blockNumber") == "0x" + "ab" * 4000
        assert server.connections == 2 and waits == [0.5]
    finally:
        server.close()
    waits.clear()
    server = RawServer([cut, cut])
    try:
        client = JsonRpcClient(server.url, HttpClient(RetryPolicy(attempts=2)))
        with pytest.raises(TrackerError) as caught:
            client.call("eth_blockNumber")
        message = str(caught.value)
        assert message.startswith(f"cannot reach {server.url}: ChunkedEncodingError (gave up after 2 attempts)")
        assert "\n" not in message and server.connections == 2
    finally:
        server.close()


def test_body_that_stalls_past_the_timeout_is_a_timeout(waits) -> None:
    whole = json.dumps({"jsonrpc": "2.0", "id": 1, "result": "0x5"}).encode()
    stalled = [_head(len(whole)), whole[:10], 0.6, whole[10:]]  # headers arrive, then the body stops
    server = RawServer([stalled, stalled])
    try:
        client = JsonRpcClient(server.url, HttpClient(RetryPolicy(attempts=2, timeout=0.2)))
        with pytest.raises(TrackerError, match=r"did not answer within 0.2s \(gave up after 2 attempts\)"):
            client.call("eth_blockNumber")
        assert waits == [0.5]
    finally:
        server.close()


def test_compressed_body_is_decoded(httpserver) -> None:
    import gzip

    body = gzip.compress(json.dumps({"jsonrpc": "2.0", "id": 1, "result": "0x" + "cd" * 5000}).encode())
    httpserver.expect_request("/").respond_with_response(
        Response(body, content_type="application/json", headers={"Content-Encoding": "gzip"}))
    assert JsonRpcClient(httpserver.url_for("/")).call("eth_blockNumber") == "0x" + "cd" * 5000
