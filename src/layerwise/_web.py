"""Who may talk to layerwise's local web servers (the prediction server and the playground):
one policy for the ``Host`` and ``Origin`` headers.

A server on 127.0.0.1 is reachable by any page the user's browser opens. Two checks keep other
sites out:

- ``Host`` must name this server: a loopback name or the bound address, with its port. A page of
  ``evil.example`` whose name was re-pointed at 127.0.0.1 (DNS rebinding) sends
  ``Host: evil.example`` and is refused.
- ``Origin``, when a browser sends one, must be one of those same addresses (``http://`` or
  ``https://``): a page of another site cannot post to the server or open its WebSocket.

``HostGuard`` applies both to every HTTP request and WebSocket handshake and answers a refusal
with status 403 and ``{"error": message}`` naming the header as given.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARDS = ("", "0.0.0.0", "::")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def authority(host: str, port: int) -> str:
    """``host:port`` as a ``Host`` header spells it (IPv6 in brackets), lower case."""
    host = host.strip("[]").lower()
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def allowed_hosts(bound: str, port: int, extra: Iterable[str] = ()) -> frozenset[str]:
    """The ``Host`` values a server bound to ``bound:port`` answers: the loopback names, the
    bound address (for a wildcard such as 0.0.0.0, this machine's names) and ``extra`` names,
    each with the port (and bare, for port 80)."""
    names = {*LOOPBACK_NAMES, *extra}
    if bound in WILDCARDS:  # every address of this machine: its names too
        names |= {socket.gethostname(), socket.getfqdn()}
    else:
        names.add(bound)
    allowed = {authority(name, port) for name in names}
    if port == 80:
        allowed |= {authority(name, port).rsplit(":", 1)[0] for name in names}
    return frozenset(allowed)


def host_error(host: str | None, allowed: frozenset[str]) -> str | None:
    """Why ``host`` (the request's ``Host`` header) is refused, or None if it is allowed."""
    if host is not None and host.lower() in allowed:
        return None
    return f"Host header {host!r} does not name this server; expected one of {sorted(allowed)}"


def origin_error(origin: str | None, allowed: frozenset[str]) -> str | None:
    """Why ``origin`` (the request's ``Origin`` header, if any) is refused, or None."""
    if origin is None:
        return None
    parts = urlsplit(origin)
    if parts.scheme in ("http", "https") and parts.netloc.lower() in allowed:
        return None
    return f"requests from the page {origin!r} are refused: only pages served by this server's own addresses may call it"


async def read_body(request, limit: int) -> bytes | None:
    """A Starlette request's body, or None once it is larger than ``limit`` bytes (said by its
    ``Content-Length`` or found while reading): nothing past the limit is read."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one), for uvicorn's ``sockets=``.

    It is made with ``IPPROTO_TCP`` spelled out: asyncio turns Nagle's algorithm off only on
    sockets whose protocol says TCP, and ``socket.create_server`` leaves it 0, which costs every
    response about 40 ms of delayed ACK on a keep-alive connection.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


class HostGuard:
    """ASGI middleware: refuse HTTP requests and WebSocket handshakes whose ``Host`` or
    ``Origin`` fails the policy above (HTTP: 403 with a JSON message; WebSocket: close 1008)."""

    def __init__(self, app, allowed: Iterable[str]):
        self.app = app
        self.allowed = frozenset(a.lower() for a in allowed)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k in (b"host", b"origin")}
        error = host_error(headers.get("host"), self.allowed) or origin_error(headers.get("origin"), self.allowed)
        if error is None:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008, "reason": error[:120]})
        body = json.dumps({"error": error}).encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})
