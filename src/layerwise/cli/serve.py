"""``layerwise serve MODEL.npz``: predictions over HTTP (see :mod:`layerwise.serve`; the ``serve`` extra)."""

from __future__ import annotations

from .. import serve
from .options import argparse_type, non_negative_float, non_negative_int, positive_int


def cmd_serve(args) -> int:
    from ..serve.server import run

    if args.port > 65535:
        raise ValueError(f"--port {args.port} is not a port number (0..65535)")
    return run(args.model, host=args.host, port=args.port, name=args.name, workers=args.workers, batching=not args.no_batching,
               batch_window=args.batch_window_ms / 1000, max_batch_rows=args.max_batch_rows, max_body_bytes=args.max_body_bytes,
               allow_hosts=args.allow_host, graceful_timeout=args.graceful_timeout, blas_threads=args.blas_threads)  # fmt: skip


def add_parser(sub) -> None:
    p = sub.add_parser("serve", help="serve a saved model over HTTP (TensorFlow Serving / KServe v1 REST)",
                       description="Answer POST /v1/models/NAME:predict with {\"instances\": [...]} (objects keyed by "
                       "feature name or lists in training order) with {\"predictions\": [...]}; GET /v1/models/NAME "
                       "gives the schema, GET /healthz the status. SIGTERM or Ctrl-C stops it once the requests in "
                       "flight are answered.")  # fmt: skip
    p.add_argument("model", help="a model file written by layerwise (model.npz)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--port", type=argparse_type(non_negative_int), default=8000,
                   help="port to listen on (0 picks a free one; default 8000)")  # fmt: skip
    p.add_argument("--name", help="the model's name in the URLs (default: the file's stem)")
    p.add_argument("--workers", type=argparse_type(positive_int), default=1, help="server processes (default 1)")
    p.add_argument("--no-batching", action="store_true",
                   help="predict each request alone (default: requests that arrive while a forward pass runs share the next one)")  # fmt: skip
    p.add_argument("--batch-window-ms", type=argparse_type(non_negative_float), default=serve.BATCH_WINDOW * 1000,
                   help=f"how long a request that finds the predictor idle waits for others to join it (default {serve.BATCH_WINDOW * 1000:g})")  # fmt: skip
    p.add_argument("--max-batch-rows", type=argparse_type(positive_int), default=serve.MAX_BATCH_ROWS,
                   help=f"rows that send a batch at once (default {serve.MAX_BATCH_ROWS})")  # fmt: skip
    p.add_argument("--max-body-bytes", type=argparse_type(positive_int), default=serve.MAX_BODY_BYTES,
                   help=f"larger request bodies are refused with 413 (default {serve.MAX_BODY_BYTES})")  # fmt: skip
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                   help="another name clients use for this server in their Host header (repeatable)")  # fmt: skip
    p.add_argument("--graceful-timeout", type=argparse_type(positive_int), default=serve.GRACEFUL_TIMEOUT,
                   help=f"seconds the requests in flight get to finish after SIGTERM (default {serve.GRACEFUL_TIMEOUT})")  # fmt: skip
    p.add_argument("--blas-threads", type=argparse_type(positive_int), default=serve.BLAS_THREADS,
                   help=f"BLAS threads per server process (default {serve.BLAS_THREADS}; --workers adds processes)")  # fmt: skip
    p.set_defaults(func=cmd_serve)
