"""The prediction server, live on 127.0.0.1 (an ephemeral port): schema, predictions equal to the
model's own, both instance forms, bad input answered 4xx with a message, SIGTERM during a
request; the micro-batcher and the Host/Origin policy on their own."""

from __future__ import annotations

import asyncio
import http.client
import json
import signal
import socket
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the server needs the serve extra: pip install 'layerwise[serve]'")
pytest.importorskip("uvicorn", reason="the server needs the serve extra: pip install 'layerwise[serve]'")

from layerwise import _web  # noqa: E402
from layerwise.network import Network  # noqa: E402
from layerwise.serve import load_model  # noqa: E402
from layerwise.serve.batching import Batcher  # noqa: E402
from layerwise.serve.predictor import Predictor  # noqa: E402

FEATURES = ["x1", "x2", "x3"]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    net = Network([3, 6, 3], output="softmax", seed=0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 90))
    net.fit(X, (X[:1] > 0).astype(int) + (X[1:2] > 0.5), epochs=50, optimizer="adam", learning_rate=0.05)
    path = tmp_path_factory.mktemp("serve") / "flowers.npz"
    net.save(path)
    return path


def start(model_file, *args) -> tuple[subprocess.Popen, int]:
    """A server on an ephemeral port; returns the process and its port once it listens."""
    code = "import sys; from layerwise.serve.server import serve; sys.exit(serve(sys.argv[1], port=0, workers=int(sys.argv[2])))"
    proc = subprocess.Popen([sys.executable, "-c", code, str(model_file), *(args or ("1",))], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("layerwise serve: http://127.0.0.1:"), line
    return proc, int(line.split("127.0.0.1:")[1].split("/")[0])


@pytest.fixture(scope="module")
def server(model_file):
    proc, port = start(model_file)
    yield port
    proc.terminate()
    proc.wait(30)


def request(port, method, path, body=None, headers=None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
    response = conn.getresponse()
    status, text = response.status, response.read()
    conn.close()
    return status, json.loads(text)


def predict(port, body, **kw):
    return request(port, "POST", "/v1/models/flowers:predict", body, **kw)


# ---- a live server ---------------------------------------------------------------------------


def test_health_and_schema(server):
    assert request(server, "GET", "/healthz") == (200, {"status": "ok"})
    status, schema = request(server, "GET", "/v1/models/flowers")
    assert status == 200 and schema["name"] == "flowers" and schema["ready"] is True
    assert schema["model_version_status"][0]["state"] == "AVAILABLE"
    assert [f["name"] for f in schema["inputs"]] == FEATURES and schema["task"] == "multiclass"
    assert schema["outputs"]["label"]["classes"] == [0, 1, 2]
    assert schema["network"] == {"layer_dims": [3, 6, 3], "activations": ["relu", "softmax"], "dtype": "float64"}


def test_predictions_equal_the_model_in_both_instance_forms(server, model_file):
    model = load_model(model_file)
    X = np.random.default_rng(1).standard_normal((3, 40)) * 2
    rows = X.T.tolist()
    status, lists = predict(server, {"instances": rows})
    assert status == 200
    status, objects = predict(server, {"instances": [dict(zip(FEATURES, r, strict=True)) for r in rows]})
    assert status == 200 and objects == lists
    labels = [p["label"] for p in lists["predictions"]]
    np.testing.assert_array_equal(labels, model.predict(X)[0])
    P = np.array([[p["probabilities"][str(k)] for k in range(3)] for p in lists["predictions"]])
    np.testing.assert_allclose(P, model.predict_proba(X).T, rtol=0, atol=1e-12)
    assert len(set(labels)) > 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"instances": [[1, 2', "the body is not JSON"),
        (b"\xff\xfe", "the body is not JSON"),
        ({"inputs": [[1, 2, 3]]}, 'expected a JSON object {"instances": [...]}'),
        ({"instances": []}, '"instances" must be a non-empty list'),
        ({"instances": [[1, 2, 3], {"x1": 1, "x3": 2}]}, "instance 1: feature 'x2' is missing"),
        ({"instances": [[1, 2, 3], [1, "two", 3]]}, "instance 1, feature 'x2': got the string 'two'; expected a finite number"),
        ({"instances": [[1, 2]]}, "instance 0 has 2 values; the model takes 3: 'x1', 'x2', 'x3', in that order"),
        ({"instances": [[1, 2, None]]}, "instance 0, feature 'x3': got null"),
        ({"instances": [[1, True, 3]]}, "instance 0, feature 'x2': got the boolean true"),
        ({"instances": [7]}, "instance 0 is the number 7; expected an object keyed by feature name or a list of 3 values"),
        (b'{"instances": [[1, 2, Infinity]]}', "instance 0, feature 'x3': got the number inf"),
        ({"instances": [[1, 2, 10**400]]}, "instance 0, feature 'x3': got the number"),
    ],
)
def test_bad_requests_are_400_with_a_message(server, body, message):
    status, answer = predict(server, body)
    assert status == 400
    assert message in answer["error"], answer


def test_a_10_mb_body_is_refused(server):
    status, answer = predict(server, b'{"instances": [' + b"[1, 2, 3], " * 1_000_000 + b"[1, 2, 3]]}")
    assert status == 413 and "larger than the limit of 4194304 bytes" in answer["error"]


def test_wrong_host_and_foreign_origin_are_refused(server):
    status, answer = request(server, "GET", "/healthz", headers={"Host": "evil.example"})
    assert status == 403 and "Host header 'evil.example' does not name this server" in answer["error"]
    assert f"127.0.0.1:{server}" in answer["error"]
    status, answer = predict(server, {"instances": [[1, 2, 3]]}, headers={"Origin": "http://evil.example"})
    assert status == 403 and "'http://evil.example' are refused" in answer["error"]
    assert request(server, "GET", "/healthz", headers={"Host": f"localhost:{server}"})[0] == 200


def test_other_names_and_methods(server):
    status, answer = request(server, "POST", "/v1/models/other:predict", {"instances": [[1, 2, 3]]})
    assert status == 404 and "no model named 'other'; this server serves 'flowers'" in answer["error"]
    status, answer = request(server, "GET", "/v1/models/flowers:predict")
    assert status == 405 and "POST" in answer["error"]


def in_flight_request(port: int) -> tuple[socket.socket, bytes]:
    """A predict request whose body is not sent yet, but whose handler runs: the server has asked
    for the body (``100 Continue``)."""
    body = json.dumps({"instances": [[1, 2, 3]]}).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(
        f"POST /v1/models/flowers:predict HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n".encode()
    )
    assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
    return sock, body


def finish(sock: socket.socket, body: bytes) -> tuple[bytes, dict]:
    sock.sendall(body)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0], json.loads(payload)


def test_sigterm_lets_the_request_in_flight_finish(model_file):
    proc, port = start(model_file)
    sock, body = in_flight_request(port)
    proc.send_signal(signal.SIGTERM)
    while True:  # the server stops listening first (no timing: wait until a new connection is refused)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=60).close()
        except ConnectionRefusedError:
            break
    status, answer = finish(sock, body)
    assert status == b"HTTP/1.1 200 OK" and answer["predictions"][0]["label"] in (0, 1, 2)
    assert proc.wait(60) in (0, -signal.SIGTERM)


def test_workers_serve_and_stop_gracefully(model_file):
    proc, port = start(model_file, "2")
    assert predict(port, {"instances": [[1, 2, 3]]})[0] == 200
    sock, body = in_flight_request(port)
    proc.send_signal(signal.SIGTERM)
    status, answer = finish(sock, body)
    assert status == b"HTTP/1.1 200 OK" and len(answer["predictions"]) == 1
    assert proc.wait(60) in (0, -signal.SIGTERM)


# ---- the batcher -----------------------------------------------------------------------------


def test_concurrent_requests_share_one_forward_pass_and_get_their_own_rows(model_file):
    predictor = Predictor(load_model(model_file), "flowers")
    rng = np.random.default_rng(2)
    requests = [rng.standard_normal((3, m)) for m in (1, 5, 2, 8)]
    alone = [predictor.predict(X) for X in requests]
    # a window far longer than the test: the batch goes when max_rows (all 16 rows) are waiting
    batcher = Batcher(predictor.predict, window=3600, max_rows=16)

    async def main():
        return await asyncio.gather(*(batcher(X) for X in requests))

    together = asyncio.run(main())
    batcher.close()
    assert batcher.batches == 1
    for a, b in zip(alone, together, strict=True):
        assert [p["label"] for p in a] == [p["label"] for p in b]
        np.testing.assert_allclose([list(p["probabilities"].values()) for p in a], [list(p["probabilities"].values()) for p in b], atol=1e-12)


def test_a_failing_request_in_a_batch_fails_alone():
    def predict(X):
        if np.isnan(X).any():
            raise FloatingPointError("the network's output is NaN")
        return X[0].tolist()

    batcher = Batcher(predict, window=3600, max_rows=3)

    async def main():
        return await asyncio.gather(batcher(np.ones((1, 1))), batcher(np.full((1, 1), np.nan)), batcher(np.full((1, 1), 2.0)), return_exceptions=True)

    good, bad, other = asyncio.run(main())
    batcher.close()
    assert good == [1.0] and other == [2.0] and isinstance(bad, FloatingPointError)


def test_window_zero_predicts_each_request_alone():
    batcher = Batcher(lambda X: X[0].tolist(), window=0)

    async def main():
        return await asyncio.gather(*(batcher(np.full((1, 2), k)) for k in range(3)))

    assert asyncio.run(main()) == [[0, 0], [1, 1], [2, 2]] and batcher.batches == 3
    batcher.close()


# ---- the Host / Origin policy ----------------------------------------------------------------


def test_allowed_hosts():
    allowed = _web.allowed_hosts("127.0.0.1", 8123)
    assert allowed == {"localhost:8123", "127.0.0.1:8123", "[::1]:8123"}
    assert _web.host_error("LOCALHOST:8123", allowed) is None
    assert "does not name this server" in _web.host_error("localhost:8124", allowed)
    assert "'None'" not in _web.host_error(None, allowed) and "None" in _web.host_error(None, allowed)
    assert "192.168.1.5:80" in _web.allowed_hosts("192.168.1.5", 80) and "192.168.1.5" in _web.allowed_hosts("192.168.1.5", 80)
    assert _web.allowed_hosts("0.0.0.0", 9000, ["box.lan"]) == {"localhost:9000", "127.0.0.1:9000", "[::1]:9000", "box.lan:9000"}
    assert _web.origin_error(None, allowed) is None and _web.origin_error("http://127.0.0.1:8123", allowed) is None
    assert _web.origin_error("null", allowed) and _web.origin_error("http://127.0.0.1:8124", allowed)
    assert _web.is_loopback("127.0.0.2") and _web.is_loopback("::1") and not _web.is_loopback("0.0.0.0")
