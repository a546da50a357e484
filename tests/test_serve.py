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
import threading
import warnings

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the server needs the serve extra: pip install 'layerwise[serve]'")
pytest.importorskip("uvicorn", reason="the server needs the serve extra: pip install 'layerwise[serve]'")

import layerwise as lw  # noqa: E402
from layerwise import _web, preprocessing  # noqa: E402
from layerwise.network import Network  # noqa: E402
from layerwise.serve.batching import Batcher  # noqa: E402
from layerwise.serve.predictor import Predictor  # noqa: E402
from layerwise.serve.server import create_app  # noqa: E402

with warnings.catch_warnings():  # Starlette would rather have httpx2; httpx works
    warnings.filterwarnings("ignore", message=".*httpx2")
    from starlette.testclient import TestClient

FEATURES = ["sepal", "petal", "stem"]
CLASSES = ["iris", "rose", "tulip"]


def raw_rows(m: int, seed: int) -> np.ndarray:
    """Raw features ``(3, m)`` on different scales (the model standardises them)."""
    return np.random.default_rng(seed).standard_normal((3, m)) * [[1.0], [20.0], [0.1]] + [[5.0], [100.0], [0.0]]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    X = raw_rows(90, seed=0)
    y = np.array(CLASSES)[(X[0] > 5).astype(int) + (X[1] > 110)]
    model = lw.Model(Network([3, 6, 3], output="softmax", seed=0), features=FEATURES, classes=CLASSES,
                     pipeline=preprocessing.build_pipeline(standardize=True))  # fmt: skip
    model.fit(X, y, epochs=50, optimizer="adam", learning_rate=0.05)
    return model


@pytest.fixture(scope="module")
def model_file(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("serve") / "flowers.npz"
    lw.save(model, path)
    return path


def start(model_file, *args) -> tuple[subprocess.Popen, int]:
    """``layerwise serve`` on an ephemeral port; returns the process and its port once it listens."""
    proc = subprocess.Popen([sys.executable, "-m", "layerwise", "serve", str(model_file), "--port", "0", *args],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
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
    assert {f["type"] for f in schema["inputs"]} == {"number"} and schema["outputs"]["label"]["classes"] == CLASSES
    assert schema["network"] == {"layer_dims": [3, 6, 3], "activations": ["relu", "softmax"], "dtype": "float64"}


def test_predictions_equal_the_model_in_both_instance_forms(server, model):
    X = raw_rows(40, seed=1)
    rows = X.T.tolist()
    status, lists = predict(server, {"instances": rows})
    assert status == 200
    status, objects = predict(server, {"instances": [dict(zip(FEATURES, r, strict=True)) for r in rows]})
    assert status == 200 and objects == lists
    labels = [p["label"] for p in lists["predictions"]]
    np.testing.assert_array_equal(labels, model.predict(X)[0])
    P = np.array([[p["probabilities"][c] for c in CLASSES] for p in lists["predictions"]])
    np.testing.assert_allclose(P, model.predict_proba(X).T, rtol=0, atol=1e-12)
    assert len(set(labels)) > 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"instances": [[1, 2', "the body is not JSON"),
        (b"\xff\xfe", "the body is not JSON"),
        ({"inputs": [[1, 2, 3]]}, 'expected a JSON object {"instances": [...]}'),
        ({"instances": []}, '"instances" must be a non-empty list'),
        ({"instances": [[1, 2, 3], {"sepal": 1, "stem": 2}]}, "instance 1: feature 'petal' is missing"),
        ({"instances": [[1, 2, 3], [1, "two", 3]]}, "instance 1, feature 'petal': got the string 'two'; expected a finite number"),
        ({"instances": [[1, 2]]}, "instance 0 has 2 values; the model takes 3: 'sepal', 'petal', 'stem', in that order"),
        ({"instances": [[1, 2, None]]}, "instance 0, feature 'stem': got null"),
        ({"instances": [[1, True, 3]]}, "instance 0, feature 'petal': got the boolean true"),
        ({"instances": [7]}, "instance 0 is the number 7; expected an object keyed by feature name or a list of 3 values"),
        (b'{"instances": [[1, 2, Infinity]]}', "instance 0, feature 'stem': got the number inf"),
        ({"instances": [[1, 2, 10**400]]}, "instance 0, feature 'stem': got the number"),
        ({"instances": [[1e308, -1e308, 1e308]]}, "X has inf at feature 'stem', example 0"),  # the model's refusal, not a 500
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
    assert status == b"HTTP/1.1 200 OK" and answer["predictions"][0]["label"] in CLASSES
    assert proc.wait(60) in (0, -signal.SIGTERM)


def test_workers_serve_and_stop_gracefully(model_file):
    proc, port = start(model_file, "--workers", "2")
    assert predict(port, {"instances": [[1, 2, 3]]})[0] == 200
    sock, body = in_flight_request(port)
    proc.send_signal(signal.SIGTERM)
    status, answer = finish(sock, body)
    assert status == b"HTTP/1.1 200 OK" and len(answer["predictions"]) == 1
    assert proc.wait(60) in (0, -signal.SIGTERM)


def test_a_missing_or_damaged_model_file_is_one_line_exit_2(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    for path in (tmp_path / "absent.npz", tmp_path / "bad.npz"):
        done = subprocess.run([sys.executable, "-m", "layerwise", "serve", str(path), "--port", "0"], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and path.name in done.stderr, done.stderr


@pytest.mark.parametrize(("flag", "value"), [("--workers", "0"), ("--port", "70000"), ("--batch-window-ms", "-1"), ("--max-body-bytes", "x")])
def test_bad_options_are_one_line_exit_2(model_file, flag, value):
    done = subprocess.run([sys.executable, "-m", "layerwise", "serve", str(model_file), flag, value], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and flag in done.stderr, done.stderr


def test_a_non_loopback_address_is_warned_about(model_file):
    proc = subprocess.Popen([sys.executable, "-m", "layerwise", "serve", str(model_file), "--host", "0.0.0.0", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout.readline().startswith("layerwise serve: http://0.0.0.0:")
        assert "warning: listening on 0.0.0.0: anyone who can reach this machine can query the model" in proc.stderr.readline()
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.skipif("one_hot" not in preprocessing.STEPS, reason="the one-hot and imputation steps are not in this version")
def test_categorical_and_missing_cells():
    """Categories come as strings (null: a missing cell), numbers may be null where the model imputes."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"colour": rng.choice(["red", "green", None], 200), "weight": np.where(rng.random(200) < 0.1, np.nan, rng.normal(70, 15, 200))})
    y = np.where((frame["weight"].fillna(70) > 70) ^ (frame["colour"] == "red"), "heavy", "light")
    steps = [preprocessing.STEPS["one_hot"](), preprocessing.STEPS["impute"]("median", indicator=True), preprocessing.Standardizer()]
    n_x = len(preprocessing.Pipeline(steps).fit(frame.to_numpy().T.astype(object), list(frame.columns)).names_out_)
    model = lw.Model(Network([n_x, 6, 1], seed=0), features=list(frame.columns), pipeline=preprocessing.Pipeline(steps), classes=["heavy", "light"])
    model.fit(frame, y, epochs=40, optimizer="adam", learning_rate=0.05)
    with TestClient(create_app(model, name="parcels", allowed_hosts=["testserver"])) as client:
        instances = [{"colour": "red", "weight": 80.5}, ["green", None], {"colour": None, "weight": 60}]
        answer = client.post("/v1/models/parcels:predict", json={"instances": instances})
        assert answer.status_code == 200
        expected = model.predict(pd.DataFrame({"colour": ["red", "green", None], "weight": [80.5, np.nan, 60.0]}))
        assert [p["label"] for p in answer.json()["predictions"]] == expected.tolist()
        schema = client.get("/v1/models/parcels").json()
        assert [f["type"] for f in schema["inputs"]] == ["string", "number"] and schema["missing_values"] == "null"
        answer = client.post("/v1/models/parcels:predict", json={"instances": [{"colour": ["red"], "weight": 1}]})
        assert answer.status_code == 400 and "instance 0, feature 'colour': got a list; expected a category" in answer.json()["error"]


# ---- the batcher -----------------------------------------------------------------------------


def test_concurrent_requests_share_one_forward_pass_and_get_their_own_rows(model):
    predictor = Predictor(model, "flowers")
    requests = [raw_rows(m, seed) for seed, m in enumerate((1, 5, 2, 8))]
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


def test_requests_arriving_during_a_pass_go_together_in_the_next():
    """No window: a request that finds the predictor idle goes at once; the ones that come while
    it runs share the next pass."""
    release, seen = threading.Event(), []

    def predict(X):
        seen.append(X[0].tolist())
        if len(seen) == 1:
            release.wait(60)  # the first pass runs until the others are queued
        return X[0].tolist()

    batcher = Batcher(predict)

    async def main():
        first = asyncio.ensure_future(batcher(np.zeros((1, 1))))
        while not seen:  # the first pass has started
            await asyncio.sleep(0)
        rest = [asyncio.ensure_future(batcher(np.full((1, k), float(k)))) for k in (1, 2, 3)]
        await asyncio.sleep(0)
        release.set()
        return await first, await asyncio.gather(*rest)

    first, rest = asyncio.run(main())
    batcher.close()
    assert first == [0.0] and rest == [[1.0], [2.0, 2.0], [3.0, 3.0, 3.0]]
    assert seen == [[0.0], [1.0, 2.0, 2.0, 3.0, 3.0, 3.0]] and batcher.batches == 2


def test_batching_off_predicts_each_request_alone():
    batcher = Batcher(lambda X: X[0].tolist(), batching=False)

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


def test_listening_socket_gets_nagle_turned_off_on_its_connections():
    """asyncio sets TCP_NODELAY only where the socket's protocol says TCP: without it every
    keep-alive response waits about 40 ms for a delayed ACK."""
    sock = _web.listen("127.0.0.1", 0)
    nodelay = []

    async def main():
        async def accepted(reader, writer):
            nodelay.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=sock)
        _, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
        while not nodelay:
            await asyncio.sleep(0)
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(main())
    assert sock.proto == socket.IPPROTO_TCP and nodelay == [1]
