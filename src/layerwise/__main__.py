"""``python -m layerwise``: the command line (see ``layerwise.cli``)."""

from .cli import main

raise SystemExit(main())
