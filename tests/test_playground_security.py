"""The playground answers only its own page: Host allow-list, Origin check, bounded messages,
range-checked settings, a worker that survives any message and strict JSON out.

The DNS-rebinding test drives a live server on 127.0.0.1 with raw HTTP, as a page on
``rebind.example`` (resolving to 127.0.0.1) would: Host and Origin both name that domain.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import warnings

import pytest

pytest.importorskip("starlette", reason="the playground server needs the web extra: pip install 'layerwise[web]'")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx (the web extra)")

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2")
    from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from layerwise.playground import server  # noqa: E402

PORT = 8000
OWN = f"http://127.0.0.1:{PORT}"
WS = f"ws://127.0.0.1:{PORT}/ws"
SHALLOW = {"dataset": "planar", "layers": [4], "activations": ["tanh"]}
CSV = b"x1,x2,label\n" + b"".join(f"{i % 7},{i % 5},{i % 2}\n".encode() for i in range(40))


@pytest.fixture
def client():
    with TestClient(server.create_app(port=PORT, fps=50), base_url=OWN) as c:
        yield c


def strict(text: str):
    """``json.loads`` as a browser does it: NaN and Infinity are not JSON."""

    def refuse(name):
        raise AssertionError(f"the server sent {name}, which JSON.parse cannot read: {text[:200]}")

    return json.loads(text, parse_constant=refuse)


def ws_next(ws, kind: str, limit: int = 200) -> dict:
    for _ in range(limit):
        message = strict(ws.receive_text())
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind!r} message in {limit}")


# ---- Host and Origin -------------------------------------------------------------------------------


def test_the_allowed_hosts_are_the_loopback_names_and_the_bound_address_with_the_port():
    hosts = server.allowed_hosts("127.0.0.1", 8123)
    assert {"127.0.0.1:8123", "localhost:8123", "[::1]:8123"} <= hosts
    assert "127.0.0.1:8000" not in hosts and "rebind.example:8123" not in hosts
    assert "192.168.1.5:9000" in server.allowed_hosts("192.168.1.5", 9000)


@pytest.mark.parametrize("host", ["rebind.example:8000", "127.0.0.1:9999", "evil.127.0.0.1.nip.io:8000", ""])
def test_a_foreign_host_is_refused_everywhere(client, host):
    headers = {"Host": host, "Origin": f"http://{host}"}
    for path in ("/", "/api/options", "/static/playground.js", "/api/sessions/x/model"):
        reply = client.get(path, headers=headers)
        assert reply.status_code == 403 and "Host" in reply.json()["error"], path
    assert client.post("/api/upload", content=CSV, headers=headers).status_code == 403
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect(WS, headers=headers) as ws:
            ws.receive_json()


def test_the_own_page_and_other_origins(client):
    assert client.get("/").status_code == 200
    assert client.get("/", headers={"Host": f"localhost:{PORT}"}).status_code == 200
    for origin in ("https://elsewhere.example", "null", f"http://127.0.0.1:{PORT + 1}"):
        assert client.post("/api/upload", content=CSV, headers={"Origin": origin}).status_code == 403
        with pytest.raises(WebSocketDisconnect):
            with client.websocket_connect(WS, headers={"Origin": origin}) as ws:
                ws.receive_json()
    with client.websocket_connect(WS, headers={"Origin": OWN}) as ws:
        assert strict(ws.receive_text())["type"] == "hello"


def _handshake(port: int, host: str) -> str:
    """The status line a raw WebSocket handshake to ``/ws`` with ``Host: host`` gets."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /ws HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")  # fmt: skip
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request.encode())
        return s.makefile("rb").readline().decode()


@pytest.mark.skipif(not server.websocket_support(), reason="uvicorn needs the websockets package for WebSocket: pip install 'layerwise[web]'")
def test_dns_rebinding_against_the_live_server():
    """A page on rebind.example:PORT (DNS pointing at 127.0.0.1) gets neither the page, nor the
    training socket, nor an upload; the same requests with the real address work."""
    proc = subprocess.Popen([sys.executable, "-m", "layerwise", "playground", "--port", "0", "--no-browser"],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        line = proc.stdout.readline()
        assert line.startswith("layerwise playground: http://127.0.0.1:"), line
        port = int(line.split()[2].rstrip("/").rsplit(":", 1)[1])

        def request(method, path, host, body=None):
            for _ in range(200):  # the socket listens before uvicorn answers
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    conn.request(method, path, body=body, headers={"Host": host, "Origin": f"http://{host}"})
                    reply = conn.getresponse()
                    return reply.status, reply.read()
                except (ConnectionError, http.client.RemoteDisconnected):
                    time.sleep(0.05)
            raise AssertionError("the server never answered")

        rebind, own = f"rebind.example:{port}", f"127.0.0.1:{port}"
        assert request("GET", "/", own)[0] == 200
        status, body = request("GET", "/", rebind)
        assert status == 403 and b"<html" not in body.lower()
        assert request("POST", "/api/upload?filename=a.csv", rebind, CSV)[0] == 403
        assert request("POST", "/api/upload?filename=a.csv", own, CSV)[0] == 200
        assert " 403 " in _handshake(port, rebind)
        assert " 101 " in _handshake(port, own)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ---- messages: size, nesting, anything at all ---------------------------------------------------


def test_deep_nesting_and_huge_messages_get_an_error_and_the_tab_goes_on(client):
    with client.websocket_connect(WS) as ws:
        ws.receive_text()
        for bad, words in (
            ('{"type": "config", "config": ' + "[" * 100_000 + "]" * 100_000 + "}", "bytes"),
            ('{"type": "config", "config": ' + "[" * 30_000 + "]" * 30_000 + "}", "nested"),
            ("[" * 20 + "]" * 20, "nested"),
            (json.dumps({"type": "config", "config": {"layers": [1] * server.MAX_MESSAGE_BYTES}}), "bytes"),
        ):
            ws.send_text(bad)
            error = strict(ws.receive_text())
            assert error["type"] == "error" and words in error["message"]
        ws.send_text(json.dumps({"type": "config", "config": SHALLOW}))
        assert ws_next(ws, "data")["layer_dims"] == [2, 4, 1]


@pytest.mark.parametrize(
    ("setting", "value"),
    [("speed", 10**400), ("speed", 10**9), ("learning_rate", 10**400), ("noise", 10**400), ("test_fraction", 10**400),
     ("l2", 10**400), ("dropout", 10**400), ("batch_size", 10**400), ("seed", 10**400), ("speed", 1.5),
     ("learning_rate", "1e400"), ("layers", [10**400]), ("standardize", 10**400)],
    ids=lambda v: repr(v)[:12],
)  # fmt: skip
def test_every_setting_is_range_checked_by_name(client, setting, value):
    with client.websocket_connect(WS) as ws:
        ws.receive_text()
        ws.send_text(json.dumps({"type": "config", "config": {**SHALLOW, setting: value}}))
        error = strict(ws.receive_text())
        assert error["type"] == "error", error
        assert (setting if setting != "layers" else "hidden layer") in error["message"]
        assert "failed" not in error["message"] and len(error["message"]) < 300
        ws.send_text(json.dumps({"type": "config", "config": SHALLOW}))
        assert ws_next(ws, "data")["type"] == "data"


def test_the_worker_survives_a_failure_while_playing(client, monkeypatch):
    """Whatever breaks inside a session, the tab gets an error message and still answers."""
    from layerwise.playground import session as session_module

    calls = {"n": 0}
    real = session_module.Session.advance

    def breaks_once(self, *args):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OverflowError("boom")
        return real(self, *args)

    monkeypatch.setattr(session_module.Session, "advance", breaks_once)
    with client.websocket_connect(WS) as ws:
        ws.receive_text()
        ws.send_text(json.dumps({"type": "config", "config": {**SHALLOW, "speed": 5}}))
        ws_next(ws, "frame")
        ws.send_text(json.dumps({"type": "play"}))
        error = ws_next(ws, "error")
        assert "boom" not in error["message"] and "log" in error["message"]
        ws.send_text(json.dumps({"type": "step"}))
        assert ws_next(ws, "frame")["epoch"] >= 1


# ---- only finite numbers go out -----------------------------------------------------------------------


def test_values_near_the_float_limit_never_send_infinity(client):
    """Points at +-1e308 are refused with the row and column; large finite weights never
    turn into Infinity on their way out (rounding 1e308 to 4 decimals overflows)."""
    rows = b"x1,x2,label\n" + b"".join(f"{(-1) ** i * 1e308},{i},{i % 2}\n".encode() for i in range(20))
    reply = client.post("/api/upload?filename=huge.csv", content=rows)
    assert reply.status_code == 400 and "huge.csv" in reply.json()["error"] and "row 2" in reply.json()["error"]

    from layerwise.playground.session import Session, Uploads

    session = Session(Uploads())
    session.configure(SHALLOW)
    session.net.parameters["W1"][0, 0] = 1.7e308
    session.net.parameters["b1"][0, 0] = -1.7e308
    frame = session.configure(SHALLOW)[0]
    text = server.encode(frame)
    strict(text)
    assert "Infinity" not in text and "NaN" not in text
