"""One browser tab's training run: its settings, data, network and trainer (NumPy only).

The web layer (``server.py``) owns the sockets; everything here is plain Python called from a
worker thread, one call at a time per session (a lock makes that so), and returns the JSON
messages to send. Training goes through the library's own ``Trainer`` kept per session: each
call trains a short chunk and the optimizer, the generator and the position in the epoch carry
on from one chunk to the next.

Messages sent to the page:

- ``data``: the points ``{"train": {"x", "y", "label"}, "test": ...}``, the plotted ``bounds``
  ``[x_min, x_max, y_min, y_max]``, the ``classes`` and the architecture (``layer_dims``,
  ``activations``), after every change of data or network;
- ``frame``: ``epoch``, ``updates``, train and test ``cost``/``accuracy``, the output over the
  plane (``boundary``: ``GRID x GRID`` uint8 probabilities per output unit, base64, rows from
  the top), every unit's value over the plane (``units``: per layer, ``THUMB x THUMB`` uint8,
  0 = -1, 255 = +1), ``weights`` and the new points of the cost ``curve``.
"""

from __future__ import annotations

import base64
import csv
import inspect
import math
import re
import secrets
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np

from .. import _checks, datasets
from ..activations import ACTIVATIONS
from ..blocks import linear_activation_forward
from ..callbacks import Callback
from ..initializers import INITIALIZERS
from ..model import Model
from ..network import Network
from ..optimizers import OPTIMIZERS, get_optimizer
from ..preprocessing import build_pipeline
from ..training import Trainer

BUILTIN = ("planar", "moons", "circles", "blobs", "xor", "spiral")  # the 2-D sets of layerwise.datasets
HIDDEN_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name != "softmax")
MAX_HIDDEN_LAYERS = 6
MAX_UNITS = 8
MAX_CLASSES = 8  # one colour each on the page
MAX_ROWS = 5000  # points an uploaded file may hold
MAX_LEARNING_RATE = 10.0
MAX_L2 = 10.0
MAX_DROPOUT = 0.9
GRID = 50  # the output is drawn from GRID x GRID points of the plane
THUMB_STRIDE = 2  # unit heat maps use every 2nd grid point: THUMB x THUMB
THUMB = GRID // THUMB_STRIDE
MAX_CURVE_POINTS = 500  # the cost curves keep every `stride`-th epoch, thinned to stay under this


def _default_noise(name: str) -> float:
    return float(inspect.signature(datasets.DATASETS[name]).parameters["noise"].default)


@dataclass(frozen=True)
class Config:
    """A tab's settings, as the page sends them (and as the URL holds them).

    ``dataset`` is a built-in name or ``"upload:<id>"``; ``noise`` None means the set's
    default; ``batch_size`` None is the full batch; ``dropout`` is 1 - keep_prob of the hidden
    layers; ``speed`` is epochs per second, 0 for as fast as the machine goes.
    """

    dataset: str = "planar"
    noise: float | None = None
    test_fraction: float = 0.3
    standardize: bool = False
    layers: tuple[int, ...] = ()
    activations: tuple[str, ...] = ()
    init: str = "xavier"
    seed: int = 1
    optimizer: str = "adam"
    learning_rate: float = 0.03
    batch_size: int | None = 32
    l2: float = 0.0
    dropout: float = 0.0
    speed: int = 100

    # changing one of these builds new data and a new network; the others go on training
    STRUCTURAL = ("dataset", "noise", "test_fraction", "standardize", "layers", "activations", "init", "seed")

    def structure(self) -> tuple:
        return tuple(getattr(self, k) for k in self.STRUCTURAL)

    def to_json(self) -> dict:
        d = asdict(self)
        d["layers"], d["activations"] = list(self.layers), list(self.activations)
        return d


def parse_config(raw, uploads: Uploads) -> Config:
    """A ``Config`` from the page's JSON object; ``ValueError`` naming the first bad setting."""
    if not isinstance(raw, dict):
        raise ValueError("config must be an object of settings")
    known = {f.name for f in fields(Config)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]!r}; the settings are {sorted(known)}")
    try:
        return _parse_config(replace(Config(), **raw), uploads)
    except TypeError as exc:  # a string where a number belongs, ...
        raise ValueError(str(exc)) from None


def _parse_config(c: Config, uploads: Uploads) -> Config:
    if not isinstance(c.dataset, str) or not (c.dataset in BUILTIN or c.dataset.startswith("upload:")):
        raise ValueError(f"unknown dataset {c.dataset!r}; expected one of {list(BUILTIN)} or an uploaded file")
    noise = None
    if c.dataset in BUILTIN and c.noise is not None:
        noise = _checks.check_positive_float("noise", c.noise, allow_zero=True)
        if noise > 3 * _default_noise(c.dataset):
            raise ValueError(f"noise is {noise:g}; the {c.dataset} set allows up to {3 * _default_noise(c.dataset):g}")
    if c.dataset.startswith("upload:"):
        uploads.get(c.dataset)  # raises if unknown
    test_fraction = _checks.check_positive_float("test_fraction", c.test_fraction)
    if not 0.1 <= test_fraction <= 0.9:
        raise ValueError(f"test_fraction is {test_fraction:g}; expected a fraction between 0.1 and 0.9")
    layers = c.layers
    if isinstance(layers, (str, bytes)) or not isinstance(layers, (list, tuple)):
        raise ValueError(f"layers is {layers!r}; expected a list of units per hidden layer")
    if len(layers) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"{len(layers)} hidden layers; the playground allows up to {MAX_HIDDEN_LAYERS}")
    for n in layers:
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_UNITS:
            raise ValueError(f"a hidden layer has {n!r} units; expected 1 to {MAX_UNITS}")
    acts = c.activations
    if isinstance(acts, (str, bytes)) or not isinstance(acts, (list, tuple)) or len(acts) != len(layers):
        raise ValueError(f"activations is {acts!r}; expected one name per hidden layer ({len(layers)})")
    for a in acts:
        _checks.check_name("hidden activation", a, HIDDEN_ACTIVATIONS)
    batch_size = _checks.check_positive_int("batch_size", c.batch_size, allow_none=True)
    dropout = _checks.check_positive_float("dropout", c.dropout, allow_zero=True)
    if dropout > MAX_DROPOUT:
        raise ValueError(f"dropout is {dropout:g}; expected a rate from 0 to {MAX_DROPOUT}")
    learning_rate = _checks.check_positive_float("learning_rate", c.learning_rate)
    l2 = _checks.check_positive_float("l2", c.l2, allow_zero=True)
    if learning_rate > MAX_LEARNING_RATE or l2 > MAX_L2:
        raise ValueError(f"learning_rate is {learning_rate:g} and l2 {l2:g}; the playground allows up to {MAX_LEARNING_RATE:g} and {MAX_L2:g}")
    speed = c.speed
    if isinstance(speed, bool) or not isinstance(speed, int) or speed < 0:
        raise ValueError(f"speed is {speed!r}; expected epochs per second (0 for as fast as possible)")
    return replace(
        c,
        noise=noise,
        test_fraction=test_fraction,
        standardize=_checks.check_bool("standardize", c.standardize),
        layers=tuple(layers),
        activations=tuple(acts),
        init=_checks.check_name("init", c.init, INITIALIZERS),
        seed=_checks.check_seed("seed", c.seed) if c.seed is not None else Config.seed,
        optimizer=_checks.check_name("optimizer", c.optimizer, OPTIMIZERS),
        learning_rate=learning_rate,
        batch_size=batch_size,
        l2=l2,
        dropout=dropout,
    )


def options() -> dict:
    """What the page offers: data sets (with a preview and their noise range), names, limits."""
    sets = {}
    for name in BUILTIN:
        ds = datasets.load(name)
        keep = np.random.default_rng(0).permutation(ds.m)[:150]
        x = ds.X[:, keep]
        lo, hi = x.min(axis=1, keepdims=True), x.max(axis=1, keepdims=True)
        x = (x - lo) / np.where(hi > lo, hi - lo, 1)
        sets[name] = {
            "noise": _default_noise(name),
            "max_noise": 3 * _default_noise(name),
            "m": ds.m,
            "n_classes": ds.n_classes,
            "preview": {"x": _rounded(x[0], 3), "y": _rounded(x[1], 3), "label": ds.Y[0].tolist()},
        }
    return {
        "datasets": sets,
        "activations": list(HIDDEN_ACTIVATIONS),
        "inits": list(INITIALIZERS),
        "optimizers": list(OPTIMIZERS),
        "defaults": Config().to_json(),
        "limits": {"hidden_layers": MAX_HIDDEN_LAYERS, "units": MAX_UNITS, "classes": MAX_CLASSES, "rows": MAX_ROWS,
                   "learning_rate": MAX_LEARNING_RATE, "l2": MAX_L2, "dropout": MAX_DROPOUT},
    }  # fmt: skip


# ---- uploaded files ------------------------------------------------------------------------------


def parse_upload(data: bytes, filename: str) -> datasets.Dataset:
    """A CSV with a header and 3 columns, two numeric features then the class label (names or integers).

    Raises ``ValueError`` with a message for the page: not text, bad cells, wrong number of
    columns, fewer than 2 or more than ``MAX_CLASSES`` classes, too many rows.
    """
    name = Path(filename).name or "upload.csv"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not UTF-8 text; upload a CSV file") from None
    if "\0" in text:
        raise ValueError(f"{name} is binary, not a CSV file")
    if not text.strip():
        raise ValueError(f"{name} is empty; expected a header row and one row per point")
    header = next(csv.reader([text.splitlines()[0]]))
    if len(header) != 3:
        few = "too few" if len(header) < 3 else "too many"
        raise ValueError(f"{name} has {len(header)} columns ({', '.join(header)}): {few}; expected 3, two features and a label (last)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.csv"
        path.write_text(text, encoding="utf-8")
        try:
            ds = datasets.load_csv(path)
        except (ValueError, csv.Error) as exc:
            raise ValueError(str(exc).replace(str(path), name)) from None
    if ds.m > MAX_ROWS:
        raise ValueError(f"{name} has {ds.m} rows; the playground draws up to {MAX_ROWS} points")
    if not np.isfinite(ds.X).all():
        raise ValueError(f"{name} has NaN or infinite features; every feature must be a finite number")
    if ds.task == "regression":
        raise ValueError(f"{name}: the label column {header[-1]!r} holds non-integer numbers; expected class labels (integers or names)")
    classes = np.unique(ds.Y)
    if classes.size < 2:
        label = ds.class_names[0] if ds.class_names else str(classes[0])
        raise ValueError(f"{name} has one class only ({header[-1]} = {label}); a classifier needs at least 2")
    if classes.size > MAX_CLASSES:
        raise ValueError(f"{name} has {classes.size} classes; the playground shows up to {MAX_CLASSES}")
    return replace(ds, name=name)


class Uploads:
    """Uploaded data sets by id (``"upload:<hex>"``), the ``capacity`` most recent kept."""

    def __init__(self, capacity: int = 32):
        self.capacity = capacity
        self._sets: OrderedDict[str, datasets.Dataset] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, data: bytes, filename: str) -> dict:
        """Parse and keep a CSV; returns ``{"id", "name", "m", "classes"}`` for the page."""
        ds = parse_upload(data, filename)
        key = f"upload:{secrets.token_hex(8)}"
        with self._lock:
            self._sets[key] = ds
            while len(self._sets) > self.capacity:
                self._sets.popitem(last=False)
        return {"id": key, "name": ds.name, "m": ds.m, "classes": _class_names(ds)}

    def get(self, key: str) -> datasets.Dataset:
        with self._lock:
            if key not in self._sets:
                raise ValueError("this uploaded file is no longer on the server; upload it again")
            self._sets.move_to_end(key)
            return self._sets[key]


# ---- a session ----------------------------------------------------------------------------------


class _Chunk(Callback):
    """Ends a chunk of training at its deadline (or when the tab closed) and records the curves."""

    def __init__(self, session: Session):
        self.session = session
        self.deadline = math.inf

    def on_batch_end(self, trainer, iteration, cost):
        if self.session.closed or time.monotonic() > self.deadline:
            trainer.stop_training = True

    def on_epoch_end(self, trainer, epoch, logs):
        self.session._epoch_done()


class Session:
    """The state of one tab. Every public method takes the lock and returns messages to send."""

    def __init__(self, uploads: Uploads):
        self.id = secrets.token_urlsafe(12)
        self.uploads = uploads
        self.closed = False
        self.playing = False
        self.config: Config | None = None
        self.net: Network | None = None
        self.model: Model | None = None  # the network with its preprocessing and classes
        self._lock = threading.Lock()
        self._chunk = _Chunk(self)
        self._credit = 0.0  # epochs owed by the speed setting

    # ---- commands ---------------------------------------------------------------------------

    def configure(self, raw) -> list[dict]:
        """Apply the page's settings: new data and network if those changed (and pause), else
        the new training settings from the next chunk on."""
        config = parse_config(raw, self.uploads)
        with self._lock:
            if self.config is None or config.structure() != self.config.structure():
                self._build(config)
                return [self._data_message(), self._frame()]
            self._set_training(config)
            return [self._frame()]

    def reset(self) -> list[dict]:
        """New parameters from the same settings (the seed makes them the same as before)."""
        with self._lock:
            self._require_config()
            self._build(self.config)
            return [self._data_message(), self._frame()]

    def play(self) -> list[dict]:
        with self._lock:
            self._require_config()
            self.playing = True
            self.message = ""
            self._credit = 0.0
            return [{"type": "status", "playing": True}]

    def pause(self) -> list[dict]:
        with self._lock:
            self.playing = False
            return [self._frame()] if self.net is not None else [{"type": "status", "playing": False}]

    def step(self) -> list[dict]:
        """One epoch, then pause."""
        with self._lock:
            self._require_config()
            self.playing, self.message = False, ""
            self._train(1, math.inf)
            return [self._frame()]

    def advance(self, seconds: float, fps: float) -> list[dict]:
        """While playing: the epochs one frame owes at ``config.speed`` epochs per second (speed 0:
        as many as fit), trained for at most ``seconds``, then the frame; nothing once paused."""
        with self._lock:
            if not self.playing or self.closed:
                return []
            if self.config.speed:  # epochs cut short by the deadline are not owed later
                self._credit += self.config.speed / fps
                epochs = int(self._credit)
                self._credit -= epochs
            else:
                epochs = 10**9
            if epochs:
                self._train(epochs, time.monotonic() + seconds)
            return [self._frame()]

    def close(self) -> None:
        """The tab is gone: a running chunk stops after its current mini-batch."""
        self.closed = True
        self.playing = False

    def save_model(self, path) -> None:
        """Write the current model with ``layerwise.io.save_model`` (the CLI's model file)."""
        from ..io import save_model

        with self._lock:
            self._require_config()
            c = self.config
            self.model.info["run"].update(
                optimizer=c.optimizer, learning_rate=c.learning_rate, batch_size=c.batch_size, lambd=c.l2,
                keep_prob=1 - c.dropout, iterations=self.epoch,
            )  # fmt: skip
            save_model(self.model, path)

    @property
    def filename(self) -> str:
        """``playground-<data>.npz``, safe in a Content-Disposition header."""
        return "playground-" + (re.sub(r"[^A-Za-z0-9_-]+", "_", Path(self.data.name).stem) or "data") + ".npz"

    # ---- building ---------------------------------------------------------------------------

    def _require_config(self) -> None:
        if self.net is None:
            raise ValueError("no valid settings yet: fix the settings shown in the message first")

    def _build(self, config: Config) -> None:
        """Data, split, network and trainer for ``config``; ``ValueError`` leaves the old ones."""
        if config.dataset in BUILTIN:
            noise = {} if config.noise is None else {"noise": config.noise}
            data = datasets.load(config.dataset, **noise)
        else:
            data = self.uploads.get(config.dataset)
        train, test = datasets.train_test_split(data, test_size=config.test_fraction, seed=config.seed)
        n_classes = int(data.n_classes)
        output = ("sigmoid", 1) if n_classes == 2 else ("softmax", n_classes)
        net = Network([2, *config.layers, output[1]], activations=[*config.activations, output[0]], init=config.init, seed=config.seed)
        info = {  # as `layerwise train` writes it, so `layerwise evaluate --split test` finds this test set
            "data": data.name,
            "run": {
                "source": "layerwise playground", "data": data.name, "noise": config.noise, "standardize": config.standardize,
                "layers": list(config.layers), "activations": [*config.activations, output[0]], "output": output[0],
                "init": config.init, "seed": config.seed, "validation_split": 0.0, "test_split": config.test_fraction,
            },
        }  # fmt: skip
        classes = np.array(data.class_names) if data.class_names is not None else None
        model = Model(net, features=data.feature_names, pipeline=build_pipeline(standardize=config.standardize), classes=classes,
                      label=data.label, info=info).fit_preprocessing(train.X)  # fmt: skip

        self.config, self.data, self.net, self.model, self.train, self.test = config, data, net, model, train, test
        self.playing, self.message = False, ""  # message: why training stopped by itself
        self._Xtr, self._Xte = model.transform(train.X), model.transform(test.X)
        self._Ytr, self._Yte = net.check_Y(train.Y, train.m), net.check_Y(test.Y, test.m)
        self.bounds = _square_bounds(data.X)
        self._grid = _grid(self.bounds)
        self.epoch = 0
        self._updates_before = 0
        self._curve = {"epoch": [], "train": [], "test": []}
        self._stride, self._sent = 1, 0
        self.trainer = None
        self._set_training(config)
        self._record()

    def _set_training(self, config: Config) -> None:
        """A trainer with ``config``'s optimizer settings; the optimizer's state is kept when
        only its learning rate changed, all of it when the optimizer is the same."""
        old = self.trainer
        if old is not None and old.optimizer.name == config.optimizer and self.config.learning_rate == config.learning_rate:
            optimizer = old.optimizer
        else:
            optimizer = get_optimizer(config.optimizer, config.learning_rate)
            if old is not None and old.optimizer.name == config.optimizer:
                optimizer.load_state_dict(old.optimizer.state_dict())
        if old is not None:
            self._updates_before += old.iteration
        n_hidden = len(config.layers)
        keep_probs = [1 - config.dropout] * n_hidden if config.dropout > 0 and n_hidden else None
        self.trainer = Trainer(
            self.net, self._Xtr, self._Ytr, optimizer=optimizer, batch_size=config.batch_size, lambd=config.l2,
            keep_probs=keep_probs, callbacks=[self._chunk], rng=self.net.rng,
        )  # fmt: skip
        self.config = config

    # ---- training ---------------------------------------------------------------------------

    def _train(self, epochs: int, deadline: float) -> None:
        self._chunk.deadline = deadline
        try:
            self.trainer.run(epochs, handle_signals=False)
        except FloatingPointError as exc:  # DivergenceError: the last finite parameters are kept
            self.playing, self.message = False, str(exc)
        finally:
            history = self.trainer.history  # the session keeps its own thinned curves
            for values in (history.costs, history.val_costs, history.val_metrics, history.learning_rates):
                values.clear()

    def _epoch_done(self) -> None:
        self.epoch += 1
        if self.epoch % self._stride == 0:
            self._record()

    def _record(self) -> None:
        """Append (epoch, train cost, test cost) to the curves; halve them when too long."""
        curve = self._curve
        curve["epoch"].append(self.epoch)
        curve["train"].append(_number(self._cost(self._Xtr, self._Ytr)[0]))
        curve["test"].append(_number(self._cost(self._Xte, self._Yte)[0]))
        if len(curve["epoch"]) > MAX_CURVE_POINTS:
            for key in curve:
                del curve[key][1::2]
            self._stride *= 2
            self._sent = 0  # the page gets the thinned curves whole

    def _cost(self, X: np.ndarray, Y: np.ndarray) -> tuple[float, float]:
        """(cost, accuracy) of the current parameters, without dropout or the L2 term (the
        cost is NaN or infinite, not an error, when the parameters have grown too large)."""
        with np.errstate(all="ignore"):
            AL = _layer_values(self.net, X)[-1]
            return self.net.loss.cost(AL, Y), self.net.score_output(AL, Y)

    # ---- messages ---------------------------------------------------------------------------

    def _data_message(self) -> dict:
        def points(ds):
            return {"x": _rounded(ds.X[0], 4), "y": _rounded(ds.X[1], 4), "label": ds.Y[0].tolist()}

        net = self.net
        return {
            "type": "data",
            "session": self.id,
            "config": self.config.to_json(),
            "name": self.data.name,
            "classes": _class_names(self.data),
            "feature_names": list(self.data.feature_names or ["x1", "x2"]),
            "bounds": self.bounds,
            "train": points(self.train),
            "test": points(self.test),
            "layer_dims": net.layer_dims,
            "activations": [a.spec for a in net.activations],
            "loss": net.loss.name,
            "grid": GRID,
            "thumb": THUMB,
        }

    def _frame(self) -> dict:
        net = self.net
        train_cost, train_acc = self._cost(self._Xtr, self._Ytr)
        test_cost, test_acc = self._cost(self._Xte, self._Yte)
        with np.errstate(all="ignore"):  # a net on its way to diverging may overflow here
            values = [np.nan_to_num(A) for A in _layer_values(net, self.model.transform(self._grid))]  # A0 (inputs) .. AL: (n[l], GRID*GRID)
        AL = values[-1]
        thumbs = []
        for l, A in enumerate(values):
            # every unit on -1..1: the output's probabilities as 2p - 1, the others divided by max(1, max |a|)
            V = 2 * A - 1 if l == len(values) - 1 else A / max(1.0, float(np.abs(A).max()))
            V = V.reshape(-1, GRID, GRID)[:, ::THUMB_STRIDE, ::THUMB_STRIDE]
            thumbs.append([_b64((v + 1) * 127.5) for v in V])
        start, self._sent = self._sent, len(self._curve["epoch"])
        L = len(net.layer_dims) - 1
        return {
            "type": "frame",
            "epoch": self.epoch,
            "updates": self._updates_before + self.trainer.iteration,
            "playing": self.playing,
            "status": "playing" if self.playing else "diverged" if self.message else "paused",
            "message": self.message,
            "train": {"cost": _number(train_cost), "accuracy": train_acc},
            "test": {"cost": _number(test_cost), "accuracy": test_acc},
            "learning_rate": self.trainer.optimizer.learning_rate,
            "boundary": _b64(AL * 255),
            "units": thumbs,
            "weights": [np.round(net.parameters[f"W{l}"], 4).tolist() for l in range(1, L + 1)],
            "curve": {"start": start, **{k: v[start:] for k, v in self._curve.items()}},
        }


# ---- helpers ------------------------------------------------------------------------------------


def _layer_values(net: Network, X: np.ndarray) -> list[np.ndarray]:
    """``[A0, A1, ..., AL]`` for ``X = A0: (2, m)``, through the course's forward block."""
    values = [X]
    for l, act in enumerate(net.activations, start=1):
        A, _ = linear_activation_forward(values[-1], net.parameters[f"W{l}"], net.parameters[f"b{l}"], act)
        values.append(A)
    return values


def _square_bounds(X: np.ndarray) -> list[float]:
    """``[x_min, x_max, y_min, y_max]`` around ``X: (2, m)`` with 10 % margins and equal scales."""
    lo, hi = X.min(axis=1), X.max(axis=1)
    centre, half = (lo + hi) / 2, max(float((hi - lo).max()) / 2, 1e-6) * 1.1
    return [float(centre[0] - half), float(centre[0] + half), float(centre[1] - half), float(centre[1] + half)]


def _grid(bounds: list[float]) -> np.ndarray:
    """``(2, GRID*GRID)`` points at the cell centres, row by row from the top of the plot."""
    x0, x1, y0, y1 = bounds
    dx, dy = (x1 - x0) / GRID, (y1 - y0) / GRID
    xs = x0 + dx * (np.arange(GRID) + 0.5)
    ys = y1 - dy * (np.arange(GRID) + 0.5)
    gx, gy = np.meshgrid(xs, ys)
    return np.vstack([gx.ravel(), gy.ravel()])


def _number(x: float) -> float | None:
    """``x`` rounded to 6 significant digits for JSON, None if it is not finite."""
    return float(f"{x:.6g}") if math.isfinite(x) else None


def _b64(values: np.ndarray) -> str:
    """Finite ``values`` in 0..255, rounded to bytes, as base64."""
    return base64.b64encode(np.round(np.clip(values, 0, 255)).astype(np.uint8).tobytes()).decode("ascii")


def _rounded(values: np.ndarray, digits: int) -> list[float]:
    return np.round(values, digits).tolist()


def _class_names(ds: datasets.Dataset) -> list[str]:
    return list(ds.class_names) if ds.class_names else [str(k) for k in range(int(ds.n_classes))]
