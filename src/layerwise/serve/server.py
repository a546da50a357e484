"""The prediction server: Starlette routes over a ``Predictor``, run by uvicorn.

Routes (TensorFlow Serving / KServe v1 REST):

- ``GET /healthz``: ``{"status": "ok"}``;
- ``GET /v1/models/{name}``: status and schema (features, task, classes, network);
- ``POST /v1/models/{name}:predict``: ``{"instances": [...]}`` -> ``{"predictions": [...]}``.

Every error is JSON ``{"error": message}``: 400 for bad JSON or a bad instance (naming the
instance and the field), 403 for a refused ``Host`` or ``Origin`` (``layerwise._web``), 404 for
another model's name, 413 past the body limit (read no further), never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .. import _web
from ..io import load_model
from . import BATCH_WINDOW, BLAS_THREADS, GRACEFUL_TIMEOUT, MAX_BATCH_ROWS, MAX_BODY_BYTES
from .batching import Batcher
from .predictor import InstanceError, Predictor

CONFIG_ENV = "LAYERWISE_SERVE_CONFIG"  # how --workers hands the settings to each worker process

logger = logging.getLogger("layerwise.serve")


def create_app(model, *, name: str, allowed_hosts=(), batching: bool = True, batch_window: float = BATCH_WINDOW,
               max_batch_rows: int = MAX_BATCH_ROWS, max_body_bytes: int = MAX_BODY_BYTES) -> Starlette:  # fmt: skip
    """The app serving ``model`` (a loaded ``Model``) as ``name``; only ``Host`` values in
    ``allowed_hosts`` are answered."""
    predictor = Predictor(model, name)
    batcher = Batcher(predictor.predict, batching=batching, window=batch_window, max_rows=max_batch_rows)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        batcher.close()

    app = Starlette(
        routes=[
            Route("/healthz", _health),
            Route("/v1/models/{name}:predict", _predict, methods=["POST"]),
            Route("/v1/models/{name}", _schema),
        ],
        middleware=[Middleware(_web.HostGuard, allowed=allowed_hosts)],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
    )
    app.state.predictor = predictor
    app.state.batcher = batcher
    app.state.max_body_bytes = max_body_bytes
    return app


def app_from_env() -> Starlette:
    """``create_app`` with the settings in ``$LAYERWISE_SERVE_CONFIG`` (a worker of ``--workers N``)."""
    settings = json.loads(os.environ[CONFIG_ENV])
    _limit_blas(settings.pop("blas_threads"))
    return create_app(load_model(settings.pop("model_path")), **settings)


def _limit_blas(threads: int) -> None:
    """At most ``threads`` BLAS threads in this process (threadpoolctl, where installed): a
    forward pass on a few hundred rows gains nothing from more, and on a busy machine BLAS
    threads waiting for a core cost milliseconds."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=threads, user_api="blas")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    return _error(exc.status_code, exc.detail)


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("serve: %s failed", request.url.path)
    return _error(500, f"the server failed on {request.url.path}: {type(exc).__name__}; see its log")


async def _health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def _model(request: Request) -> Predictor:
    predictor: Predictor = request.app.state.predictor
    name = request.path_params["name"]
    if name != predictor.name:
        raise HTTPException(404, f"no model named {name!r}; this server serves {predictor.name!r}")
    return predictor


async def _schema(request: Request) -> JSONResponse:
    if request.path_params["name"].endswith(":predict"):
        return _error(405, "predict takes POST with a JSON body {\"instances\": [...]}")
    return JSONResponse(_model(request).schema())


async def _predict(request: Request) -> JSONResponse:
    predictor = _model(request)
    body = await _read_body(request, request.app.state.max_body_bytes)
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return _error(400, f"the body is not JSON ({exc}); expected {{\"instances\": [...]}}")
    except RecursionError:
        return _error(400, "the body's JSON is nested too deeply")
    try:
        X = predictor.parse(document)
        predictions = await request.app.state.batcher(X)
    except (InstanceError, FloatingPointError, ValueError) as exc:  # the model refused these rows
        return _error(400, str(exc))
    return JSONResponse({"predictions": predictions})


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) past ``limit`` bytes without reading further."""
    body = await _web.read_body(request, limit)
    if body is None:
        raise HTTPException(413, f"the request body is larger than the limit of {limit} bytes; send fewer instances per request")
    return body


def run(model_path, *, host: str = "127.0.0.1", port: int = 8000, name: str | None = None, workers: int = 1,
        batching: bool = True, batch_window: float = BATCH_WINDOW, max_batch_rows: int = MAX_BATCH_ROWS,
        max_body_bytes: int = MAX_BODY_BYTES, allow_hosts=(), graceful_timeout: int = GRACEFUL_TIMEOUT,
        blas_threads: int = BLAS_THREADS) -> int:  # fmt: skip
    """Serve ``model_path`` until SIGTERM or Ctrl-C (in-flight requests finish first, for at
    most ``graceful_timeout`` seconds); prints the model's URL. Returns an exit code."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    model = load_model(model_path)  # a bad file fails here, before listening
    settings = {"name": name or Path(model_path).stem, "batching": batching, "batch_window": batch_window,
                "max_batch_rows": max_batch_rows, "max_body_bytes": max_body_bytes}  # fmt: skip
    try:
        sock = _web.listen(host, port)
    except OSError as exc:
        raise ValueError(f"cannot listen on {host}:{port} ({exc.strerror}); pass another --port") from None
    bound = sock.getsockname()[1]
    settings["allowed_hosts"] = sorted(_web.allowed_hosts(host, bound, allow_hosts))
    print(f"layerwise serve: http://{_web.authority(host, bound)}/v1/models/{settings['name']}  (SIGTERM or Ctrl-C stops it)", flush=True)
    if not _web.is_loopback(host):
        print(f"warning: listening on {host}: anyone who can reach this machine can query the model", file=sys.stderr)
    options = {"log_level": "warning", "timeout_graceful_shutdown": graceful_timeout, "lifespan": "on"}
    if workers == 1:
        _limit_blas(blas_threads)
        uvicorn.Server(uvicorn.Config(create_app(model, **settings), **options)).run(sockets=[sock])
    else:
        os.environ[CONFIG_ENV] = json.dumps({"model_path": str(model_path), "blas_threads": blas_threads, **settings})
        config = uvicorn.Config("layerwise.serve.server:app_from_env", factory=True, workers=workers, **options)
        Multiprocess(config, sockets=[sock]).run()
    return 0
