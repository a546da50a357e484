"""``layerwise serve MODEL.npz``: an HTTP prediction server for a trained model (the ``serve`` extra).

``server.py`` has the routes and the runner, ``predictor.py`` turns JSON instances into rows and
predictions back into JSON, ``batching.py`` batches concurrent requests into one forward pass.
This module imports neither Starlette nor uvicorn, so the CLI can describe ``serve`` without them.
"""

MAX_BODY_BYTES = 4 * 2**20
BATCH_WINDOW = 0.0  # seconds a request that finds the predictor idle waits for others (batches form under load anyway)
MAX_BATCH_ROWS = 4096
GRACEFUL_TIMEOUT = 30  # seconds
BLAS_THREADS = 1  # per server process: requests are small, and --workers spreads the load
