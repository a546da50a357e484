"""``layerwise playground``: a local web page that trains a network on 2-D data as you watch.

The page is served by ``server.py`` (Starlette and uvicorn, the ``web`` extra) and each tab
trains its own network with the library's ``Trainer`` (``session.py``). Nothing is fetched
from the internet: the page draws with canvas and SVG from ``static/``.
"""

from __future__ import annotations

import sys


def add_subcommand(subparsers) -> None:
    """Register ``layerwise playground [--port 8000] [--host 127.0.0.1] [--no-browser]``."""
    p = subparsers.add_parser(
        "playground",
        help="train a network on 2-D data in the browser, live",
        description="Serve the playground page on a local address and print it. Each browser tab trains "
        "its own network with layerwise: pick data, layers and activations, press play.",
    )
    p.add_argument("--port", type=int, default=8000, help="port to listen on (0 picks a free one; default 8000)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    p.set_defaults(func=_run)


def _run(args) -> int:
    if not 0 <= args.port <= 65535:
        print(f"layerwise playground: --port {args.port} is not a port number (0..65535)", file=sys.stderr)
        return 2
    try:
        from .server import serve
    except ImportError as exc:
        print(f"layerwise playground needs the web extra ({exc.name} is missing): pip install 'layerwise[web]'", file=sys.stderr)
        return 2
    return serve(args.host, args.port, open_browser=not args.no_browser)
