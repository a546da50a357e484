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
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import logging
import socket
import sys
import tempfile
import threading
import webbrowser
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from .session import Session, Uploads, options

STATIC = Path(__file__).with_name("static")
MAX_UPLOAD_BYTES = 1 << 20
FPS = 20.0
COMMANDS = ("config", "play", "pause", "step", "reset")

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


def create_app(*, max_upload_bytes: int = MAX_UPLOAD_BYTES, fps: float = FPS) -> Starlette:
    """The Starlette app; its shared state is ``app.state.playground``."""
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
    if not _same_origin(request):
        return _error(403, "uploads come from the playground's own page only")
    limit = playground.max_upload_bytes
    too_big = f"the file is larger than the limit of {limit} bytes ({limit // 1024} KiB)"
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return _error(413, too_big)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return _error(413, too_big)
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


def _same_origin(connection: HTTPConnection) -> bool:
    """False for a request sent by a page of another site (a browser sends its ``Origin``):
    only the playground's own page may train or upload here."""
    origin = connection.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == connection.headers.get("host")


async def _websocket(websocket: WebSocket) -> None:
    if not _same_origin(websocket):
        await websocket.close(code=1008)  # policy violation
        return
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
                for message in await self.playground.call(self.session.advance, 0.8 * period, self.playground.fps):
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
        try:
            message = json.loads(text) if text is not None else None
        except json.JSONDecodeError:
            message = None
        kind = message.get("type") if isinstance(message, dict) else None
        if kind not in COMMANDS:
            await self._send({"type": "error", "message": f"expected a JSON object with a type among {list(COMMANDS)}"})
            return
        session = self.session
        try:
            if kind == "config":
                replies = await self.playground.call(session.configure, message.get("config"))
            else:
                replies = await self.playground.call(getattr(session, kind))
        except ValueError as exc:
            replies = [{"type": "error", "message": str(exc)}]
        except Exception:
            logger.exception("playground: %s failed", kind)
            replies = [{"type": "error", "message": f"the server failed to {kind}; its log has the details"}]
        if kind == "play":
            self.next_frame = asyncio.get_running_loop().time()
        for reply in replies:
            await self._send(reply)

    async def _send(self, message: dict) -> None:
        await self.websocket.send_text(json.dumps(message, separators=(",", ":")))


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
        sock = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        print(f"layerwise playground: cannot listen on {host}:{port} ({exc.strerror}); pass another --port", file=sys.stderr)
        return 2
    bound = sock.getsockname()[1]
    url = f"http://{f'[{host}]' if ':' in host else host}:{bound}/"
    print(f"layerwise playground: {url}  (Ctrl-C stops it)", flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {host}: anyone who can reach this machine can use the playground", file=sys.stderr)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, [url]).start()
    config = uvicorn.Config(create_app(), log_level="warning", ws_per_message_deflate=False)
    uvicorn.Server(config).run(sockets=[sock])
    return 0
