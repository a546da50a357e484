"""The prediction server under load, with and without micro-batching; one-row latency in process.

    python -m benchmarks.serve_bench                       # 20,000 requests from 16 clients per case
    python -m benchmarks.serve_bench --requests 5000 --clients 8 --json out.json

Trains nothing: a ``[30, 64, 32, 2]`` relu/softmax network (a breast-cancer-sized tabular model)
with its standardisation, saved as a model file. For each case (1-row and 100-row requests,
batching off (``--batch-window 0``) and on (the default window)) it starts ``layerwise serve``
on 127.0.0.1, then a bounded load generator in this process (asyncio, one keep-alive
connection per client, each client sending its share of the requests one after another)
measures throughput and the latency of every request (p50, p99). Then, in this process, the
median latency of one-row ``Model.predict`` beside onnxruntime's ``InferenceSession.run`` on
the exported graph of the same model. Prints the CPU, BLAS and load average; times nothing
that is asserted anywhere.
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


def make_model(path: Path, seed: int = 0):
    """A standardised 30-feature, 2-class model, trained briefly on random rows; returns it."""
    import layerwise as lw

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((30, 500)) * rng.uniform(1, 100, (30, 1))
    y = (X[:3].sum(axis=0) > 0).astype(int)
    model = lw.Model(lw.Network([30, 64, 32, 2], hidden="relu", output="softmax", seed=seed),
                     pipeline=lw.preprocessing.build_pipeline(standardize=True))  # fmt: skip
    model.fit(X, y, epochs=20, optimizer="adam")
    lw.save(model, path)
    return model, X


def start_server(model_path: Path, batch_window: float) -> tuple[subprocess.Popen, int]:
    cmd = [sys.executable, "-m", "layerwise", "serve", str(model_path), "--port", "0", "--batch-window-ms", str(batch_window * 1000)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if "127.0.0.1:" not in line:
        raise RuntimeError(f"the server did not start: {line!r}")
    return proc, int(line.split("127.0.0.1:")[1].split("/")[0])


async def client(port: int, request: bytes, n: int, latencies: list[float]) -> None:
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


def load(port: int, rows: list[list[float]], requests: int, clients: int) -> dict:
    body = json.dumps({"instances": rows}).encode()
    request = (f"POST /v1/models/model:predict HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n").encode() + body  # fmt: skip
    latencies: list[float] = []
    shares = [requests // clients + (k < requests % clients) for k in range(clients)]

    async def main():
        await asyncio.gather(*(client(port, request, n, latencies) for n in shares))

    t0 = time.perf_counter()
    asyncio.run(main())
    elapsed = time.perf_counter() - t0
    lat = np.array(latencies)
    return {"requests": len(lat), "seconds": elapsed, "requests_per_s": len(lat) / elapsed, "rows_per_s": len(lat) * len(rows) / elapsed,
            "p50_ms": float(np.percentile(lat, 50) * 1e3), "p99_ms": float(np.percentile(lat, 99) * 1e3)}  # fmt: skip


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
    parser.add_argument("--requests", type=int, default=20_000, help="requests per case (default 20000)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--window-ms", type=float, default=2.0, help="the batching window of the 'on' cases (default 2)")
    parser.add_argument("--repeats", type=int, default=5000, help="in-process one-row predictions timed (default 5000)")
    parser.add_argument("--json", default=None, metavar="PATH")
    args = parser.parse_args(argv)
    from layerwise.export import export_onnx

    env = environment()
    print(f"Machine: {env['cpu']}, {env['cores']} cores, Python {env['python']}, NumPy {env['numpy']} ({'; '.join(env['blas'])})")
    print(f"load average before: {load_average()}")
    results: dict = {"environment": env, "requests": args.requests, "clients": args.clients, "cases": []}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.npz"
        model, X = make_model(path)
        export_onnx(model, Path(tmp) / "model.onnx")
        for rows in (1, 100):
            instances = np.ascontiguousarray(X[:, :rows].T).tolist()
            for window in (0.0, args.window_ms / 1000):
                proc, port = start_server(path, window)
                try:
                    load(port, instances, min(200, args.requests), args.clients)  # warm-up
                    r = load(port, instances, args.requests, args.clients)
                finally:
                    proc.terminate()
                    proc.wait(30)
                r.update(rows=rows, batch_window_ms=window * 1000)
                results["cases"].append(r)
                print(f"{rows:>3}-row requests, batching {'on (' + str(window * 1000) + ' ms)' if window else 'off':<12}: "
                      f"{r['requests_per_s']:8.0f} req/s {r['rows_per_s']:9.0f} rows/s  p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms",
                      flush=True)  # fmt: skip
        results["one_row"] = one_row_latency(model, X, Path(tmp) / "model.onnx", args.repeats)
    lw_t, ort_t = results["one_row"]["layerwise_predict"], results["one_row"]["onnxruntime_run"]
    print(f"one-row predict in process: layerwise Model.predict {lw_t['median_us']:.1f} us (p99 {lw_t['p99_us']:.1f}), "
          f"onnxruntime {ort_t['median_us']:.1f} us (p99 {ort_t['p99_us']:.1f}); ratio {lw_t['median_us'] / ort_t['median_us']:.2f}")  # fmt: skip
    results["load_average_after"] = load_average()
    print(f"load average after: {results['load_average_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
