"""The prediction server under load, with and without micro-batching; one-row latency in process.

    python -m benchmarks.serve_bench                       # 20,000 1-row (4,000 100-row) requests from 16 clients per case
    python -m benchmarks.serve_bench --requests 5000 --clients 8 --json out.json

Two models, each with its standardisation, briefly trained on random rows and saved: "tabular"
``[30, 64, 32, 2]`` (a breast-cancer-sized model) and "wide" ``[30, 1024, 1024, 2]`` (where the
forward pass, not HTTP, is what a one-row request costs). For 1-row and 100-row requests it
starts one ``layerwise serve`` on 127.0.0.1 per batching case (off: ``--no-batching``; on: the
default, requests arriving during a forward pass share the next; on with a 2 ms window) and
loads them in turns from a bounded load generator in this process (asyncio, one keep-alive
connection per client, each client sending its requests one after another): throughput and
the latency of every request (p50, p99). Then, in this process, the median latency of one-row
``Model.predict`` beside onnxruntime's ``InferenceSession.run`` on the exported graph of the
same model. Prints the CPU, BLAS and load average; nothing here is asserted anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .__main__ import environment
from .harness import load_average


#: name -> layer sizes: a breast-cancer-sized tabular model, and one whose hidden layers make
#: the forward pass, not HTTP, the cost of a one-row request
MODELS = {"tabular": [30, 64, 32, 2], "wide": [30, 1024, 1024, 2]}


def make_model(path: Path, layers: list[int], seed: int = 0):
    """A standardised 30-feature, 2-class model, trained briefly on random rows; returns it and the rows."""
    import layerwise as lw

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((30, 500)) * rng.uniform(1, 100, (30, 1))
    y = (X[:3].sum(axis=0) > 0).astype(int)
    model = lw.Model(lw.Network(layers, hidden="relu", output="softmax", seed=seed),
                     pipeline=lw.preprocessing.build_pipeline(standardize=True))  # fmt: skip
    model.fit(X, y, epochs=5, optimizer="adam")
    lw.save(model, path)
    return model, X


#: (label, serve options)
CASES = [("off", ["--no-batching"]), ("on", []), ("on, 2 ms window", ["--batch-window-ms", "2"])]


def start_server(model_path: Path, options: list[str]) -> tuple[subprocess.Popen, int]:
    cmd = [sys.executable, "-m", "layerwise", "serve", str(model_path), "--port", "0", *options]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if "127.0.0.1:" not in line:
        raise RuntimeError(f"the server did not start: {line!r}")
    return proc, int(line.split("127.0.0.1:")[1].split("/")[0])


async def client(port: int, request: bytes, n: int, latencies: list[float]) -> None:
    """One keep-alive connection sending ``request`` ``n`` times, one after another."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(n):
        t0 = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
        body = await reader.readexactly(length)
        latencies.append(time.perf_counter() - t0)
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"the server answered {head.splitlines()[0]!r}: {body[:200]!r}")
    writer.close()
    await writer.wait_closed()


def request_bytes(port: int, rows: list[list[float]]) -> bytes:
    body = json.dumps({"instances": rows}).encode()
    return (f"POST /v1/models/model:predict HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body  # fmt: skip


def load(port: int, request: bytes, requests: int, clients: int, latencies: list[float]) -> float:
    """Send ``requests`` requests from ``clients`` concurrent connections; returns the seconds taken."""
    shares = [requests // clients + (k < requests % clients) for k in range(clients)]

    async def main():
        await asyncio.gather(*(client(port, request, n, latencies) for n in shares))

    t0 = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - t0


def compare(path: Path, X: np.ndarray, rows: int, requests: int, clients: int, rounds: int) -> list[dict]:
    """Every batching case on its own server, started together and loaded in turns (``rounds``
    rounds, each case ``requests / rounds`` requests a round), so that they share the machine's
    load alike."""
    servers = [start_server(path, options) for _, options in CASES]
    try:
        payloads = [request_bytes(port, np.ascontiguousarray(X[:, :rows].T).tolist()) for _, port in servers]
        for (_, port), payload in zip(servers, payloads, strict=True):
            load(port, payload, min(200, requests), clients, [])  # warm-up
        seconds, latencies = [0.0] * len(CASES), [[] for _ in CASES]
        for _ in range(rounds):
            for k, ((_, port), payload) in enumerate(zip(servers, payloads, strict=True)):
                seconds[k] += load(port, payload, requests // rounds, clients, latencies[k])
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(30)
    out = []
    for (label, _), s, lat in zip(CASES, seconds, latencies, strict=True):
        lat = np.array(lat)
        out.append({"rows": rows, "batching": label, "requests": len(lat), "seconds": s, "requests_per_s": len(lat) / s,
                    "rows_per_s": len(lat) * rows / s, "p50_ms": float(np.percentile(lat, 50) * 1e3),
                    "p99_ms": float(np.percentile(lat, 99) * 1e3)})  # fmt: skip
    return out


def one_row_latency(model, X, onnx_path: Path, repeats: int) -> dict:
    """Median seconds of one-row ``Model.predict`` and of onnxruntime on the exported graph."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    x_col, x_row = X[:, :1].copy(), np.ascontiguousarray(X[:, :1].T)
    assert model.predict(x_col)[0, 0] == session.run(["label"], {"X": x_row})[0][0]
    out = {}
    for name, fn in (("layerwise_predict", lambda: model.predict(x_col)), ("onnxruntime_run", lambda: session.run(None, {"X": x_row}))):
        for _ in range(200):
            fn()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        out[name] = {"median_us": float(np.median(times) * 1e6), "p99_us": float(np.percentile(times, 99) * 1e6)}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000, help="1-row requests per case (default 20000)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--fewer-100", type=int, default=5, metavar="K", help="100-row cases send requests / K requests (default 5)")
    parser.add_argument("--rounds", type=int, default=5, help="turns the cases take (default 5)")
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    parser.add_argument("--repeats", type=int, default=5000, help="in-process one-row predictions timed (default 5000)")
    parser.add_argument("--json", default=None, metavar="PATH")
    args = parser.parse_args(argv)
    from layerwise.export import export_onnx

    env = environment()
    print(f"Machine: {env['cpu']}, {env['cores']} cores, Python {env['python']}, NumPy {env['numpy']} ({'; '.join(env['blas'])})")
    print(f"load average before: {load_average()}")
    results: dict = {"environment": env, "requests": args.requests, "clients": args.clients, "cases": [], "one_row": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            path = Path(tmp) / "model.npz"
            model, X = make_model(path, MODELS[name])
            export_onnx(model, Path(tmp) / "model.onnx")
            print(f"model {name} {MODELS[name]}: {args.requests} 1-row and {args.requests // args.fewer_100} 100-row requests per case "
                  f"from {args.clients} clients, in {args.rounds} rounds")  # fmt: skip
            for rows in (1, 100):
                n = args.requests if rows == 1 else max(args.rounds, args.requests // args.fewer_100)
                for r in compare(path, X, rows, n, args.clients, args.rounds):
                    r["model"] = name
                    results["cases"].append(r)
                    print(f"  {rows:>3}-row requests, batching {r['batching']:<16}: {r['requests_per_s']:8.0f} req/s "
                          f"{r['rows_per_s']:9.0f} rows/s  p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms", flush=True)  # fmt: skip
            one = results["one_row"][name] = one_row_latency(model, X, Path(tmp) / "model.onnx", args.repeats)
            lw_t, ort_t = one["layerwise_predict"], one["onnxruntime_run"]
            print(f"  one-row predict in process: layerwise Model.predict {lw_t['median_us']:.1f} us (p99 {lw_t['p99_us']:.1f}), "
                  f"onnxruntime {ort_t['median_us']:.1f} us (p99 {ort_t['p99_us']:.1f}); ratio {lw_t['median_us'] / ort_t['median_us']:.2f}")  # fmt: skip
    results["load_average_after"] = load_average()
    print(f"load average after: {results['load_average_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
