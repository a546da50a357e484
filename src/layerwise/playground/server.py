"""The playground's web server: one page, a WebSocket per tab, JSON everywhere.

Routes:

- ``GET /``: the page (``static/index.html``, plain JavaScript drawing on canvas and SVG);
- ``GET /api/options``: data sets, activations, initialisers, optimizers and limits;
- ``POST /api/upload?filename=NAME``: a CSV as the request body (at most ``max_upload_bytes``);
  answers ``{"id": "upload:..", ...}`` or ``{"error": message}`` with status 400 or 413;
- ``GET /api/sessions/{id}/model``: the tab's current network as the CLI's model file;
- ``WS /ws``: one training session per connection. The page sends ``{"type": "config",
  "config": {...}}``, ``play``, ``pause``, ``step`` and ``reset``; the server answers
  ``hello``, ``data``, ``frame``, ``status`` and ``error`` messages (see ``session.py``).
  While playing, a frame goes out every ``1 / fps`` seconds. Closing the tab ends its session.

All NumPy work runs in a thread pool, so the event loop only moves messages.

Only the playground's own page can drive it: every request must name an allowed ``Host``
(the loopback names and the bound address, with the port: a DNS-rebinding page on another
domain names its own) and, when a browser sends an ``Origin``, that same host. A WebSocket
message is at most ``MAX_MESSAGE_BYTES`` and ``MAX_JSON_DEPTH`` deep; what goes out is strict
JSON (no NaN or Infinity, which the page's ``JSON.parse`` refuses).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import logging
import math
import sys
import tempfile
import threading
import webbrowser
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from .. import _checks, _web
from .._web import allowed_hosts
from .session import Session, Uploads, options

STATIC = Path(__file__).with_name("static")
MAX_UPLOAD_BYTES = 1 << 20
FPS = 20.0
COMMANDS = ("config", "play", "pause", "step", "reset")
MAX_MESSAGE_BYTES = 64 * 1024  # a config message is a few hundred bytes; past 16x this uvicorn closes the socket
MAX_JSON_DEPTH = 4  # {"type": .., "config": {"layers": [..]}}

logger = logging.getLogger("layerwise.playground")


class Playground:
    """What the tabs share: the live sessions by id, the uploads and the worker threads."""

    def __init__(self, *, max_upload_bytes: int = MAX_UPLOAD_BYTES, fps: float = FPS, workers: int = 4):
        self.max_upload_bytes = max_upload_bytes
        self.fps = fps
        self.sessions: dict[str, Session] = {}
        self.uploads = Uploads()
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="playground")
        self._options: dict | None = None

    async def call(self, fn, *args):
        """``fn(*args)`` in a worker thread."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def options(self) -> dict:
        if self._options is None:
            self._options = {**await self.call(options), "max_upload_bytes": self.max_upload_bytes, "fps": self.fps}
        return self._options


def create_app(*, host: str = "127.0.0.1", port: int = 8000, max_upload_bytes: int = MAX_UPLOAD_BYTES, fps: float = FPS) -> Starlette:
    """The Starlette app for a server bound to ``host:port``; its shared state is ``app.state.playground``."""
    playground = Playground(max_upload_bytes=max_upload_bytes, fps=fps)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        for session in list(playground.sessions.values()):
            session.close()
        playground.executor.shutdown(wait=False, cancel_futures=True)

    app = Starlette(
        routes=[
            Route("/", _index),
            Route("/api/options", _options),
            Route("/api/upload", _upload, methods=["POST"]),
            Route("/api/sessions/{sid}/model", _download),
            WebSocketRoute("/ws", _websocket),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        middleware=[Middleware(_web.HostGuard, allowed=allowed_hosts(host, port))],
        lifespan=lifespan,
    )
    app.state.playground = playground
    return app


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    return _error(exc.status_code, exc.detail)


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    return _error(500, f"the server failed on {request.url.path}: {type(exc).__name__}; see its log")


async def _index(request: Request) -> FileResponse:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


async def _options(request: Request) -> JSONResponse:
    return JSONResponse(await request.app.state.playground.options())


async def _upload(request: Request) -> JSONResponse:
    """The body is the CSV; refused past ``max_upload_bytes`` without reading further."""
    playground: Playground = request.app.state.playground
    limit = playground.max_upload_bytes
    body = await _web.read_body(request, limit)
    if body is None:
        return _error(413, f"the file is larger than the limit of {limit} bytes ({limit // 1024} KiB)")
    filename = request.query_params.get("filename", "upload.csv")
    try:
        return JSONResponse(await playground.call(playground.uploads.add, bytes(body), filename))
    except ValueError as exc:
        return _error(400, str(exc))


async def _download(request: Request) -> Response:
    playground: Playground = request.app.state.playground
    session = playground.sessions.get(request.path_params["sid"])
    if session is None:
        return _error(404, "no such session: its tab was closed or the server restarted; reload the page")
    try:
        data = await playground.call(_model_bytes, session)
    except ValueError as exc:
        return _error(409, str(exc))
    headers = {"Content-Disposition": f'attachment; filename="{session.filename}"'}
    return Response(data, media_type="application/octet-stream", headers=headers)


def _model_bytes(session: Session) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.npz"
        session.save_model(path)
        return path.read_bytes()


async def _websocket(websocket: WebSocket) -> None:
    await websocket.accept()
    await _Tab(websocket, websocket.app.state.playground).run()


class _Tab:
    """One connection: a reader putting messages in ``inbox`` and a worker that answers them
    and, while playing, trains and sends a frame every ``1 / fps`` seconds. Only the worker
    sends, so messages leave in the order their states were computed."""

    def __init__(self, websocket: WebSocket, playground: Playground):
        self.websocket = websocket
        self.playground = playground
        self.session = Session(playground.uploads)
        self.inbox: asyncio.Queue[str | None] = asyncio.Queue()
        self.next_frame = 0.0

    async def run(self) -> None:
        sessions = self.playground.sessions
        sessions[self.session.id] = self.session
        worker = asyncio.create_task(self._work())
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                await self.inbox.put(message.get("text"))
        finally:
            self.session.close()  # stops a chunk in progress after its mini-batch
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            sessions.pop(self.session.id, None)

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        period = 1.0 / self.playground.fps
        try:
            await self._send({"type": "hello", "session": self.session.id, "fps": self.playground.fps})
            while True:
                text = await self._next_message(loop)
                if text is not False:
                    await self._command(text)
                    continue
                self.next_frame = loop.time() + period
                try:
                    messages = await self.playground.call(self.session.advance, 0.8 * period, self.playground.fps)
                except Exception:  # the tab goes on: paused, told, and still answering
                    logger.exception("playground: training failed")
                    self.session.playing = False
                    messages = [{"type": "error", "message": "the server failed to train; its log has the details"},
                                {"type": "status", "playing": False}]  # fmt: skip
                for message in messages:
                    await self._send(message)
        except (WebSocketDisconnect, OSError, RuntimeError) as exc:  # the tab went away mid-send
            logger.debug("playground session %s: %r", self.session.id, exc)

    async def _next_message(self, loop) -> str | None | bool:
        """The next message from the page; ``False`` when it is time for a frame instead."""
        if not self.session.playing:
            return await self.inbox.get()
        delay = self.next_frame - loop.time()
        if delay <= 0:
            return self.inbox.get_nowait() if not self.inbox.empty() else False
        try:
            return await asyncio.wait_for(self.inbox.get(), delay)
        except TimeoutError:
            return False

    async def _command(self, text: str | None) -> None:
        expected = f"expected a JSON object with a type among {list(COMMANDS)}"
        try:
            if text is None:
                raise ValueError(f"the message is binary; {expected}")
            message = _checks.parse_json(text, "the message", max_bytes=MAX_MESSAGE_BYTES, max_depth=MAX_JSON_DEPTH)
        except ValueError as exc:
            await self._send({"type": "error", "message": str(exc)})
            return
        kind = message.get("type") if isinstance(message, dict) else None
        if kind not in COMMANDS:
            await self._send({"type": "error", "message": expected})
            return
        session = self.session
        try:
            if kind == "config":
                replies = await self.playground.call(session.configure, message.get("config"))
            else:
                replies = await self.playground.call(getattr(session, kind))
        except (ValueError, TypeError) as exc:  # the session's checks name the setting at fault
            replies = [{"type": "error", "message": str(exc)}]
        except Exception:
            logger.exception("playground: %s failed", kind)
            replies = [{"type": "error", "message": f"the server failed to {kind}; its log has the details"}]
        if kind == "play":
            self.next_frame = asyncio.get_running_loop().time()
        for reply in replies:
            await self._send(reply)

    async def _send(self, message: dict) -> None:
        await self.websocket.send_text(encode(message))


def encode(message: dict) -> str:
    """``message`` as strict JSON: a NaN or an infinity (which ``JSON.parse`` refuses) becomes null."""
    try:
        return json.dumps(message, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(_finite(message), separators=(",", ":"), allow_nan=False)


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _url(host: str, port: int) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def websocket_support() -> bool:
    """True if uvicorn can speak WebSocket here (it needs the ``websockets`` or ``wsproto`` package)."""
    return any(importlib.util.find_spec(name) is not None for name in ("websockets", "wsproto"))


def serve(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = True) -> int:
    """Run the playground until Ctrl-C; prints its address. Returns an exit code."""
    import uvicorn

    if not websocket_support():
        print("layerwise playground needs a WebSocket library: pip install 'layerwise[web]'", file=sys.stderr)
        return 2
    try:
        sock = _web.listen(host, port)
    except OSError as exc:
        print(f"layerwise playground: cannot listen on {host}:{port} ({exc.strerror}); pass another --port", file=sys.stderr)
        return 2
    bound = sock.getsockname()[1]
    url = _url(host, bound)
    print(f"layerwise playground: {url}  (Ctrl-C stops it)", flush=True)
    if not _web.is_loopback(host):
        print(f"warning: listening on {host}: anyone who can reach this machine can use the playground", file=sys.stderr)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, [url]).start()
    app = create_app(host=host, port=bound)
    config = uvicorn.Config(app, log_level="warning", ws_per_message_deflate=False, ws_max_size=16 * MAX_MESSAGE_BYTES)
    uvicorn.Server(config).run(sockets=[sock])
    return 0
