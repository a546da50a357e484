"""The playground's server: the WebSocket stream, sessions per tab, uploads, model download, CLI.

The page itself is driven in a real browser by test_playground_e2e.py.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
import time
import urllib.request
import warnings

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the playground server needs the web extra: pip install 'layerwise[web]'")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx (the web extra)")

with warnings.catch_warnings():  # Starlette 0.5x would rather have httpx2; httpx works
    warnings.filterwarnings("ignore", message=".*httpx2")
    from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from layerwise import datasets  # noqa: E402
from layerwise.network import Network  # noqa: E402
from layerwise.playground import add_subcommand  # noqa: E402
from layerwise.playground.server import create_app, websocket_support  # noqa: E402
from layerwise.playground.session import GRID, MAX_CURVE_POINTS, THUMB, Session, Uploads  # noqa: E402

SHALLOW = {"dataset": "planar", "layers": [4], "activations": ["tanh"]}
UPLOAD_LIMIT = 4096


@pytest.fixture
def app():
    return create_app(max_upload_bytes=UPLOAD_LIMIT, fps=50)


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


def receive(ws, kind: str, limit: int = 200) -> dict:
    """The next message of type ``kind`` (frames of a playing session may come first)."""
    for _ in range(limit):
        message = ws.receive_json()
        if message["type"] == kind:
            return message
        assert message["type"] != "error", message["message"]
    raise AssertionError(f"no {kind!r} message in {limit}")


def connect(ws, config=SHALLOW) -> tuple[dict, dict]:
    """Configure a fresh connection: returns (data, first frame)."""
    assert ws.receive_json()["type"] == "hello"
    ws.send_json({"type": "config", "config": config})
    return receive(ws, "data"), receive(ws, "frame")


def until_gone(app, session_id: str) -> None:
    for _ in range(500):
        if session_id not in app.state.playground.sessions:
            return
        time.sleep(0.01)
    raise AssertionError("the session outlived its connection")


# ---- the page and its options ----------------------------------------------------------------------


def test_page_static_files_and_options(client):
    page = client.get("/")
    assert page.status_code == 200 and "/static/playground.js" in page.text
    for name in ("playground.js", "playground.css"):
        assert client.get(f"/static/{name}").status_code == 200
    options = client.get("/api/options").json()
    assert list(options["datasets"]) == ["planar", "moons", "circles", "blobs", "xor", "spiral"]
    assert options["datasets"]["spiral"]["n_classes"] == 3
    assert "softmax" not in options["activations"] and "tanh" in options["activations"]
    assert options["max_upload_bytes"] == UPLOAD_LIMIT
    missing = client.get("/static/nothing.js")
    assert missing.status_code == 404 and "error" in missing.json()


# ---- the stream ------------------------------------------------------------------------------------


def test_stream_sends_data_then_frames_that_train(client):
    with client.websocket_connect("/ws") as ws:
        data, frame = connect(ws, {**SHALLOW, "speed": 0})
        assert data["layer_dims"] == [2, 4, 1] and data["activations"] == ["tanh", "sigmoid"]
        assert data["loss"] == "binary_crossentropy"
        assert len(data["train"]["x"]) == 280 and len(data["test"]["x"]) == 120  # planar's 400 points, 30 % test
        assert frame["epoch"] == 0 and not frame["playing"]
        assert len(base64.b64decode(frame["boundary"])) == GRID * GRID  # p(class 1) over the plane
        assert [len(layer) for layer in frame["units"]] == [2, 4, 1]  # the inputs, the hidden units, the output
        assert all(len(base64.b64decode(u)) == THUMB * THUMB for layer in frame["units"] for u in layer)
        assert [np.shape(W) for W in frame["weights"]] == [(4, 2), (1, 4)]

        ws.send_json({"type": "step"})
        frame = receive(ws, "frame")
        assert frame["epoch"] == 1 and frame["updates"] == 9  # ceil(280 / 32) mini-batches

        ws.send_json({"type": "play"})
        assert receive(ws, "status")["playing"]
        frames = [receive(ws, "frame")]
        while frames[-1]["epoch"] < 5:
            frames.append(receive(ws, "frame"))
        epochs = [f["epoch"] for f in frames]
        assert all(f["playing"] for f in frames) and epochs == sorted(epochs)
        curve = frames[-1]["curve"]
        assert len(curve["epoch"]) == len(curve["train"]) == len(curve["test"])

        ws.send_json({"type": "pause"})
        paused = next(f for f in (receive(ws, "frame") for _ in range(50)) if not f["playing"])
        ws.send_json({"type": "step"})
        assert receive(ws, "frame")["epoch"] == paused["epoch"] + 1


def test_training_reaches_the_course_accuracy_on_planar(client):
    with client.websocket_connect("/ws") as ws:
        connect(ws, {**SHALLOW, "speed": 0})
        ws.send_json({"type": "play"})
        frame = receive(ws, "frame")
        while frame["epoch"] < 300:
            frame = receive(ws, "frame")
        ws.send_json({"type": "pause"})
    assert frame["train"]["accuracy"] > 0.85 and frame["test"]["accuracy"] > 0.85


def test_chunks_train_exactly_like_one_fit():
    """Chunks that stop mid-epoch (a deadline already past stops after one mini-batch) resume
    where they stopped: the parameters equal one uninterrupted ``Network.fit``."""
    session = Session(Uploads())
    session.configure({**SHALLOW, "speed": 20})
    session.play()
    while session.epoch < 3:
        session.advance(-1.0, fps=20)  # one mini-batch per call
    assert session.trainer.iteration == 27  # 3 epochs of 9 mini-batches, one call each

    train, _ = datasets.train_test_split(datasets.planar(), test_size=0.3, seed=1)
    net = Network([2, 4, 1], activations=["tanh", "sigmoid"], init="xavier", seed=1)
    net.fit(train.X, train.Y, epochs=3, optimizer="adam", learning_rate=0.03, batch_size=32)
    for key, value in net.parameters.items():
        np.testing.assert_allclose(session.net.parameters[key], value, rtol=1e-12, err_msg=key)


def test_training_settings_apply_without_a_reset_and_keep_the_optimizer_state(client):
    with client.websocket_connect("/ws") as ws:
        connect(ws)
        for _ in range(3):
            ws.send_json({"type": "step"})
            before = receive(ws, "frame")
        ws.send_json({"type": "config", "config": {**SHALLOW, "learning_rate": 0.01, "batch_size": None}})
        after = ws.receive_json()
        assert after["type"] == "frame" and after["epoch"] == 3 and after["weights"] == before["weights"]
        assert after["learning_rate"] == 0.01
        ws.send_json({"type": "step"})
        assert receive(ws, "frame")["updates"] == before["updates"] + 1  # full batch now
        ws.send_json({"type": "config", "config": {**SHALLOW, "layers": [3], "learning_rate": 0.01}})
        data = ws.receive_json()
        assert data["type"] == "data" and data["layer_dims"] == [2, 3, 1]
        assert receive(ws, "frame")["epoch"] == 0


def test_multiclass_data_gets_a_softmax_output(client):
    with client.websocket_connect("/ws") as ws:
        data, frame = connect(ws, {"dataset": "spiral", "layers": [8], "activations": ["relu"]})
    assert data["layer_dims"] == [2, 8, 3] and data["activations"][-1] == "softmax"
    assert data["loss"] == "categorical_crossentropy" and data["classes"] == ["0", "1", "2"]
    assert len(base64.b64decode(frame["boundary"])) == 3 * GRID * GRID


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"dataset": "mnist"}, "unknown dataset"),
        ({"layers": [0], "activations": ["tanh"]}, "units"),
        ({"layers": [4] * 7, "activations": ["tanh"] * 7}, "hidden layers"),
        ({"layers": [4], "activations": []}, "one name per hidden layer"),
        ({"layers": [4], "activations": ["softmax"]}, "hidden activation"),
        ({"learning_rate": -1}, "learning_rate"),
        ({"learning_rate": "fast"}, "learning_rate"),
        ({"batch_size": 0}, "batch_size"),
        ({"dropout": 1}, "dropout"),
        ({"test_fraction": 1.5}, "test_fraction"),
        ({"noise": 99}, "noise"),
        ({"seed": -3}, "seed"),
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"dataset": "upload:0123"}, "upload it again"),
        ({"colour": "red"}, "unknown setting"),
        ("planar", "object"),
    ],
)
def test_impossible_settings_get_a_message_and_the_session_goes_on(client, config, expected):
    with client.websocket_connect("/ws") as ws:
        ws.receive_json()
        ws.send_json({"type": "config", "config": config})
        error = ws.receive_json()
        assert error["type"] == "error" and expected in error["message"]
        assert "Traceback" not in error["message"]
        ws.send_json({"type": "config", "config": SHALLOW})
        assert ws.receive_json()["type"] == "data"


def test_bad_messages_get_a_message(client):
    with client.websocket_connect("/ws") as ws:
        ws.receive_json()
        ws.send_json({"type": "play"})
        assert "no valid settings yet" in ws.receive_json()["message"]
        for bad in ("not json", json.dumps({"type": "dance"}), json.dumps([1, 2])):
            ws.send_text(bad)
            assert ws.receive_json()["type"] == "error"
        ws.send_bytes(b"\x00\x01")
        assert ws.receive_json()["type"] == "error"


def test_divergence_stops_training_with_the_reason(client):
    config = {"dataset": "blobs", "optimizer": "gd", "learning_rate": 10, "batch_size": None, "init": "he",
              "layers": [8] * 6, "activations": ["linear"] * 6, "speed": 0}  # fmt: skip
    with client.websocket_connect("/ws") as ws:
        connect(ws, config)
        ws.send_json({"type": "play"})
        frame = receive(ws, "frame")
        while frame["playing"]:
            frame = receive(ws, "frame")
    assert frame["status"] == "diverged" and "diverged" in frame["message"] and "smaller learning rate" in frame["message"]
    assert all(np.isfinite(W).all() for W in map(np.array, frame["weights"]))  # the last finite parameters


def test_cost_curves_stay_short_however_long_training_runs():
    """The page rebuilds the curves from each frame's ``start`` and new points; past
    MAX_CURVE_POINTS the server keeps every other point and sends them whole again."""
    session = Session(Uploads())
    session.configure({**SHALLOW, "batch_size": None, "speed": 0})
    session.play()
    curve = {"epoch": [], "train": [], "test": []}
    while session.epoch < 2 * MAX_CURVE_POINTS + 100:
        sent = session.advance(0.05, fps=20)[0]["curve"]
        for key in curve:
            curve[key][sent["start"] :] = sent[key]
    epochs = np.array(curve["epoch"])
    stride = epochs[1] - epochs[0]
    assert stride >= 4 and len(epochs) <= MAX_CURVE_POINTS
    assert epochs[0] == 0 and (np.diff(epochs) == stride).all()
    assert len(curve["train"]) == len(curve["test"]) == len(epochs) and curve["test"][-1] < curve["test"][0]


# ---- sessions: one per tab ---------------------------------------------------------------------------


def test_tabs_train_independently(app, client):
    with client.websocket_connect("/ws") as one, client.websocket_connect("/ws") as two:
        data_one, _ = connect(one)
        data_two, _ = connect(two, {"dataset": "moons", "layers": [2], "activations": ["relu"]})
        assert data_one["session"] != data_two["session"]
        assert set(app.state.playground.sessions) == {data_one["session"], data_two["session"]}
        for _ in range(3):
            one.send_json({"type": "step"})
            assert receive(one, "frame")["epoch"] >= 1
        two.send_json({"type": "step"})
        frame_two = receive(two, "frame")
        assert frame_two["epoch"] == 1 and len(frame_two["weights"][0]) == 2


def test_other_sites_cannot_use_the_playground(client):
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws", headers={"Origin": "https://elsewhere.example"}) as ws:
            ws.receive_json()
    reply = client.post("/api/upload", content=three_classes_csv(), headers={"Origin": "https://elsewhere.example"})
    assert reply.status_code == 403
    with client.websocket_connect("/ws", headers={"Origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "hello"


def test_a_closed_tab_stops_its_training(app, client):
    with client.websocket_connect("/ws") as ws:
        data, _ = connect(ws, {**SHALLOW, "speed": 0})
        session = app.state.playground.sessions[data["session"]]
        ws.send_json({"type": "play"})
        receive(ws, "frame")
        receive(ws, "frame")
    until_gone(app, data["session"])
    assert session.closed and not session.playing
    epoch = session.epoch
    time.sleep(0.2)
    assert session.epoch == epoch  # nothing trains it any more
    assert client.get(f"/api/sessions/{data['session']}/model").status_code == 404


# ---- the model file ----------------------------------------------------------------------------------


def test_download_gives_the_cli_model_file(client, tmp_path):
    io = pytest.importorskip("layerwise.io", reason="model files are written by layerwise.io")
    with client.websocket_connect("/ws") as ws:
        hello = ws.receive_json()
        early = client.get(f"/api/sessions/{hello['session']}/model")
        assert early.status_code == 409 and "no valid settings" in early.json()["error"]
        ws.send_json({"type": "config", "config": {**SHALLOW, "test_fraction": 0.25, "standardize": True}})
        receive(ws, "data")
        receive(ws, "frame")
        for _ in range(20):
            ws.send_json({"type": "step"})
            frame = receive(ws, "frame")
        response = client.get(f"/api/sessions/{hello['session']}/model")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="playground-planar.npz"'
    path = tmp_path / "model.npz"
    path.write_bytes(response.content)
    model = io.load_model(path)
    assert model.layer_dims == [2, 4, 1] and [a.spec for a in model.activations] == ["tanh", "sigmoid"]
    assert model.info["data"] == "planar" and model.info["run"]["iterations"] == 20
    (standardize,) = model.pipeline.steps  # the playground's standardisation travels in the file
    train, test = datasets.train_test_split(datasets.planar(), test_size=0.25, seed=1)
    np.testing.assert_allclose(standardize.mean_[:, 0], train.X.mean(axis=1))
    assert model.accuracy(test.X, test.Y) == pytest.approx(frame["test"]["accuracy"])  # raw rows in
    assert model.predict(test.X)[0].tolist() == model.network.predict(standardize.transform(test.X))[0].tolist()
    assert client.get("/api/sessions/nobody/model").status_code == 404


# ---- uploads -----------------------------------------------------------------------------------------


def three_classes_csv(m: int = 60) -> bytes:
    rng = np.random.default_rng(0)
    rows = [f"{x:.3f},{y:.3f},{['cat', 'dog', 'eel'][i % 3]}" for i, (x, y) in enumerate(rng.normal(size=(m, 2)))]
    return ("width,height,animal\n" + "\n".join(rows) + "\n").encode()


def test_an_uploaded_csv_trains_with_its_class_names(client):
    reply = client.post("/api/upload?filename=animals.csv", content=three_classes_csv())
    assert reply.status_code == 200, reply.text
    info = reply.json()
    assert info["id"].startswith("upload:") and info["m"] == 60 and info["classes"] == ["cat", "dog", "eel"]
    with client.websocket_connect("/ws") as ws:
        data, frame = connect(ws, {"dataset": info["id"], "layers": [3], "activations": ["tanh"], "standardize": True})
    assert data["layer_dims"] == [2, 3, 3] and data["classes"] == ["cat", "dog", "eel"]
    assert data["feature_names"] == ["width", "height"] and data["name"] == "animals.csv"


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        (b"x1,x2,label\n1,2,0\n3,oops,1\n", 400, "row 3, column 'x2': 'oops' is not a number"),
        (b"x1,label\n1,0\n2,1\n", 400, "too few"),
        (b"a,b,c,d\n1,2,3,0\n", 400, "too many"),
        (b"x1,x2,label\n1,2,0\n3,4,0\n", 400, "one class"),
        (b"x1,x2,label\n1,2,0.5\n3,4,1.5\n5,6,2.25\n", 400, "class labels"),
        (b"x1,x2,label\n1,nan,0\n3,4,1\n", 400, "NaN"),
        (b"x1,x2,label\n1,2\n3,4,1\n", 400, "row 2 has 2 cells"),
        (b"", 400, "empty"),
        (b"\xff\xfe\x00x\x001", 400, "not UTF-8"),
        (b"x1,x2,label\n" + b"1,2,0\n" * 1000, 413, "limit of 4096 bytes"),
    ],
)
def test_bad_uploads_are_refused_with_a_message(client, body, status, expected):
    reply = client.post("/api/upload?filename=bad.csv", content=body)
    assert reply.status_code == status
    assert expected in reply.json()["error"]


def test_a_huge_upload_without_a_length_is_cut_off(client):
    def chunks():
        for _ in range(100):
            yield b"1,2,0\n" * 100  # 600 bytes a chunk, sent chunked (no Content-Length)

    reply = client.post("/api/upload", content=chunks())
    assert reply.status_code == 413 and "limit" in reply.json()["error"]


# ---- the command ------------------------------------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="layerwise")
    add_subcommand(parser.add_subparsers(dest="command"))
    return parser.parse_args(["playground", *argv])


def test_subcommand_options_and_a_bad_port(capsys):
    args = parse()
    assert (args.port, args.host, args.no_browser) == (8000, "127.0.0.1", False)
    assert args.func(parse("--port", "70000", "--no-browser")) == 2
    assert "not a port number" in capsys.readouterr().err


RUN_PLAYGROUND = """
import argparse, sys
from layerwise.playground import add_subcommand
parser = argparse.ArgumentParser()
add_subcommand(parser.add_subparsers())
args = parser.parse_args(["playground", *sys.argv[1:]])
sys.exit(args.func(args))
"""


@pytest.mark.skipif(not websocket_support(), reason="uvicorn needs the websockets package for WebSocket: pip install 'layerwise[web]'")
def test_the_command_serves_the_page_on_the_printed_address():
    proc = subprocess.Popen([sys.executable, "-c", RUN_PLAYGROUND, "--port", "0", "--no-browser"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("layerwise playground: http://127.0.0.1:"), line
        url = line.split()[2]
        for _ in range(100):  # the socket listens before uvicorn answers
            try:
                with urllib.request.urlopen(url, timeout=5) as page:
                    assert b"layerwise playground" in page.read()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise AssertionError(f"nothing answered at {url}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
