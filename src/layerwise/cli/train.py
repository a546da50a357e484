"""``layerwise train``: build a model for the data, train it, write the run's folder
(model.npz, history.csv, metrics.json, config.toml, plots)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from .. import _checks, io, tabular, tasks
from ..callbacks import DivergenceError, ProgressBar
from ..model import Model
from ..network import Network
from ..metrics import significant
from ..preprocessing import build_pipeline, build_target_pipeline
from .options import (OPTIONS, TRAIN_OPTIONS, argparse_type, boolean, check_table_only, classes_of, flag, is_table, read_config, split_data,
                      table_parts, user_labels, write_config)


def _score_line(model: Model, reports: dict) -> str:
    if model.task == "regression":  # in the target's own units
        return "; ".join(f"{split} R2 {significant(r['r2'])}, RMSE {significant(r['rmse'])}, MAE {significant(r['mae'])}" for split, r in reports.items())
    return ", ".join(f"{split} accuracy {100 * r['accuracy']:.2f} %" for split, r in reports.items())


def _settings(args) -> dict:
    """Defaults, then the TOML file, then the flags given on the command line."""
    settings = {o.name: o.default for o in TRAIN_OPTIONS}
    if args.config is not None:
        settings.update(read_config(args.config))
    settings.update({o.name: getattr(args, o.name) for o in TRAIN_OPTIONS if getattr(args, o.name) is not None})
    return settings


def _out_dir(settings: dict) -> Path:
    if settings["out"] is not None:
        return Path(settings["out"])
    base = Path("runs") / f"{Path(settings['data']).stem}-{datetime.now():%Y%m%d-%H%M%S}"
    out, k = base, 1
    while out.exists():
        k += 1
        out = base.with_name(f"{base.name}-{k}")
    return out


def _build_model(s: dict, parts: dict) -> tuple[Model, list[str]]:
    """(the untrained model for a built-in or array data set, notes): the network the task calls
    for, the preprocessing the options ask for (fitted on the training part by ``Model.fit``),
    the classes and the schema. Tables go through :func:`tabular.build_model` instead."""
    train = parts["train"]
    output = s["output"] or tasks.output_activation(train.task)
    classify = output != "linear"
    if classify and train.task == "regression":
        raise ValueError(f"the data {s['data']!r} has regression targets; a {output} output needs class labels (use --output linear)")
    classes = classes_of(parts) if classify else None
    if output == "sigmoid" and len(classes) > 2:
        raise ValueError(f"the data {s['data']!r} has {len(classes)} classes; a sigmoid output separates 2 (use --output softmax)")
    if classify and np.unique(train.Y).size < 2:
        only = train.class_names[int(train.Y[0, 0])] if train.class_names else int(train.Y[0, 0])
        raise ValueError(f"the training examples of {s['data']!r} are all of one class ({only!r}); a classifier needs at least 2")
    n_y = len(classes) if output == "softmax" else 1 if output == "sigmoid" else train.Y.shape[0]
    init = s["init"] or ("xavier" if s["hidden"] in ("tanh", "sigmoid") else "he")
    try:  # before anything is allocated, in the option's own name
        _checks.check_layer_dims([train.n_x, *s["layers"], n_y])
    except ValueError as exc:
        raise ValueError(f"{flag('layers')} {','.join(map(str, s['layers']))}: {exc}") from None
    net = Network([train.n_x, *s["layers"], n_y], hidden=s["hidden"], output=output, init=init, seed=s["seed"], dtype=s["dtype"])
    standardize, notes = s["standardize"], []
    if standardize is None:
        standardize, note = tabular.scales_differ(train.X, train.feature_names or [f"x{i + 1}" for i in range(train.n_x)])
        notes += [note] if note else []
    return Model(net, features=train.feature_names, pipeline=build_pipeline(standardize=standardize),
                 target=build_target_pipeline(net.task), classes=classes if net.task != "regression" else None,
                 label=train.label, info=_info(s, init, output)), notes  # fmt: skip


def _info(s: dict, init: str, output: str) -> dict:
    """What the model file keeps of the run: the data's name and the settings (``--config`` reads them back)."""
    run = {**{k: v for k, v in s.items() if k not in ("out", "quiet", "print_every", "plots")}, "init": init, "output": output}
    return {"data": s["data"], "run": run}



def _progress(s: dict) -> tuple[list, int | bool]:
    """(callbacks, print_cost): a tqdm bar on a terminal, else a cost line every N iterations."""
    if s["quiet"]:
        return [], False
    if sys.stdout.isatty() and importlib.util.find_spec("tqdm") is not None:
        return [ProgressBar(file=sys.stdout, desc="training", dynamic_ncols=True)], False
    return [], s["print_every"] or max(1, s["iterations"] // 10)


#: What ``train --resume`` lets a command line change; every other setting is the saved run's.
RESUME_MAY_CHANGE = ("iterations", "quiet", "print_every", "checkpoint_every", "plots")


def _resumed_settings(args, checkpoint: io.TrainingCheckpoint) -> dict:
    """The settings saved with the checkpoint (checked like a TOML file's), and the flags of RESUME_MAY_CHANGE."""
    fixed = [flag(o.name) for o in TRAIN_OPTIONS if getattr(args, o.name) is not None and o.name not in RESUME_MAY_CHANGE]
    if args.config is not None or fixed:
        given = ", ".join(fixed + (["--config"] if args.config is not None else []))
        raise ValueError(f"--resume goes on with the run's saved settings; {given} cannot change "
                         f"(only {', '.join(flag(n) for n in RESUME_MAY_CHANGE)})")  # fmt: skip
    if "data" not in checkpoint.run_config or "run" not in checkpoint.model.info:
        raise ValueError(f"{args.resume}: this checkpoint was not written by layerwise train; resume it from Python (io.Resume)")
    settings = {o.name: o.default for o in TRAIN_OPTIONS}
    for key, value in checkpoint.run_config.items():
        if key not in OPTIONS:
            raise ValueError(f"{args.resume}: the checkpoint's settings have an unknown key {key!r}")
        try:
            settings[key] = None if value is None else OPTIONS[key].convert(value)
        except ValueError as exc:
            raise ValueError(f"{args.resume}: the checkpoint's setting {key}: {exc}") from None
    settings.update({n: getattr(args, n) for n in RESUME_MAY_CHANGE if getattr(args, n) is not None})
    return settings


#: Everything a run writes into its folder; a new run's outputs replace all of the old run's.
OUTPUTS = ("model.npz", "history.csv", "metrics.json", "config.toml", "cost.png", "decision_boundary.png", "mislabelled.png",
           "predicted_vs_actual.png")  # fmt: skip
#: History statuses after which training is over (what is left is writing the outputs).
FINISHED = ("completed", "early_stopping", "diverged")


def cmd_train(args) -> int:
    """Train into the run folder, holding its lock; see :func:`_train` for the order of writes."""
    s = _settings(args)
    out = Path(args.resume) if args.resume is not None else _out_dir(s)
    with io.RunFolder(out, create=args.resume is None):
        return _train(args, s, out)


def _train(args, s: dict, out: Path) -> int:
    """The run's outputs are one unit: a checkpoint is written when training ends, then every output
    (through the one atomic writer), and the checkpoint is removed only once they are all there.
    So a folder holding a checkpoint holds an unfinished run: a new run into it is refused
    (unless ``--force``), and ``--resume`` trains what remains or, if training was over, writes
    the outputs."""
    pending = out / io.CHECKPOINT_FILE
    checkpoint = None
    if args.resume is not None:
        checkpoint = io.load_checkpoint(out)
        s = _resumed_settings(args, checkpoint)
    elif pending.exists() and not args.force:
        raise ValueError(f"{out} holds an unfinished run ({pending.name}); go on with it: layerwise train --resume {out}, "
                         f"or start afresh there with --force")  # fmt: skip
    check_table_only(s)
    if is_table(s["data"]):
        parts, notes = table_parts(s)
        X = {name: part.inputs() for name, part in parts.items()}
        y = {name: part.y for name, part in parts.items()}
        # build_model fills in the init and output it chose
        model, more = (checkpoint.model, []) if checkpoint else tabular.build_model(parts["train"], s, info=_info(s, s["init"], s["output"]))
    else:
        parts, notes = split_data(s["data"], label=s["label"], data_dir=s["data_dir"], validation_split=s["validation_split"],
                                  test_split=s["test_split"], seed=s["seed"]), []  # fmt: skip
        X = {name: ds.X for name, ds in parts.items()}
        y = {name: user_labels(ds) for name, ds in parts.items()}
        model, more = (checkpoint.model, []) if checkpoint else _build_model(s, parts)
    for note in notes + more:
        print(f"note: {note}")
    net = model.network
    if checkpoint:
        model.info["run"].update(iterations=s["iterations"], checkpoint_every=s["checkpoint_every"])
    elif pending.exists():  # --force: the unfinished run is dropped
        pending.unlink()
    done = len(checkpoint.trainer_state["history"]["costs"]) if checkpoint else 0
    status = checkpoint.trainer_state["history"]["status"] if checkpoint else "running"
    seconds = 0.0
    if checkpoint and (done >= s["iterations"] or status in FINISHED[1:]):
        history = model.history_  # training was over: only the outputs are missing
        print(f"the run in {out} finished training ({status} after {done} iterations); writing its outputs")
    else:
        history, seconds = _fit(s, out, model, parts, X, y, checkpoint, done)
        if history.status in FINISHED:
            io.save_checkpoint(out, model, net.trainer_, s)  # the outputs are pending

    reports = {name: model.evaluate(X[name], y[name]) for name in parts}
    written = _write_outputs(out, s, model, X, y, reports, seconds)
    costs = history.costs
    if costs:
        print(f"{history.status} after {len(costs)} iterations in {seconds:.1f} s: cost {costs[0]:.6g} -> {costs[-1]:.6g}")
    print(_score_line(model, reports))
    print(f"wrote {out}: {', '.join(written)}")
    if history.status == "interrupted":
        print(f"layerwise train: {history.message}; saved {pending}, go on with: layerwise train --resume {out}",
              file=sys.stderr)  # fmt: skip
        return 130
    pending.unlink(missing_ok=True)  # the run is complete
    if history.status == "diverged":
        print(f"layerwise train: {history.message}", file=sys.stderr)
        return 1
    return 0


def _fit(s: dict, out: Path, model: Model, parts: dict, X: dict, y: dict, checkpoint, done: int):
    """Train ``model`` for the iterations that remain; returns (history, seconds)."""
    net = model.network
    callbacks, print_cost = _progress(s)
    fit = tabular.fit_arguments({**s, "iterations": s["iterations"] - done}, model.task)
    callbacks += [io.Resume(checkpoint)] if checkpoint else []
    callbacks.append(io.Checkpoint(out, s, s["checkpoint_every"], model=model))
    sizes = ", ".join(f"{part.m} {name}" for name, part in parts.items())
    acts = " -> ".join(a.spec for a in net.activations)
    print(f"training {net.layer_dims} ({acts}) on {s['data']} ({sizes} examples), {s['optimizer']}, {s['iterations']} iterations"
          + (f", resuming after {done}" if checkpoint else ""))  # fmt: skip
    validation = (X["validation"], y["validation"]) if "validation" in parts else None
    start = time.perf_counter()
    try:
        history = model.fit(X["train"], y["train"], validation_data=validation, callbacks=callbacks, print_cost=print_cost, **fit)
    except DivergenceError as exc:
        history = exc.history
    model.info["run"]["learning_rate"] = net.trainer_.optimizer.learning_rate
    return history, time.perf_counter() - start


def _write_outputs(out: Path, s: dict, model: Model, X: dict, y: dict, reports: dict, seconds: float) -> list[str]:
    """Every output, each through ``io.atomic_write``; the old run's outputs this run does not make are removed."""
    history = model.history_
    io.save_model(model, out / "model.npz")
    with io.atomic_write(out / "history.csv", "w") as f:
        history.write_csv(f)
    metrics = {
        "status": history.status,
        "message": history.message,
        "iterations": len(history.costs),
        "final_cost": history.costs[-1] if history.costs else None,
        "seconds": seconds,
        "best_epoch": history.best_epoch,
        **reports,
    }
    with io.atomic_write(out / "metrics.json", "w") as f:
        json.dump(metrics, f, indent=2)
    write_config(model.info["run"], out / "config.toml")
    written = ["model.npz", "history.csv", "metrics.json", "config.toml"]
    if s["plots"] and importlib.util.find_spec("matplotlib") is not None:
        written += _write_plots(out, model, X, y, reports)
    for name in set(OUTPUTS) - set(written):
        (out / name).unlink(missing_ok=True)
    return written


def _write_plots(out: Path, model: Model, X: dict, y: dict, reports: dict) -> list[str]:
    from .. import plots

    history, written = model.history_, []
    if history.costs:
        log = plots.spans_decades(history.costs + history.val_costs)
        plots.plot_cost(history, out / "cost.png", log=log, title=f"Learning curve, {model.layer_dims} on {model.info['data']}")
        written.append("cost.png")
    if model.task == "regression":
        if model.n_y == 1:
            pairs = {name: (np.asarray(y[name]).reshape(-1), model.predict(X[name]).reshape(-1)) for name in X}
            plots.plot_predicted_vs_actual(pairs, out / "predicted_vs_actual.png", name=model.label or "target",
                                           title="\n".join([f"Predicted against actual, {model.info['data']}", *_score_line(model, reports).split("; ")]))  # fmt: skip
            written.append("predicted_vs_actual.png")
        return written
    if model.categorical:  # raw rows with categories: neither a plane of two numbers nor an image
        return written
    if model.n_features == 2:
        XX = np.hstack(list(X.values()))
        yy = np.concatenate(list(y.values()))
        hidden = ", ".join(map(str, model.layer_dims[1:-1])) or "none"
        title = f"Decision boundary, hidden layer sizes {hidden}\n{_score_line(model, reports)}"
        plots.plot_decision_boundary(model, XX, yy, out / "decision_boundary.png", title=title)
        written.append("decision_boundary.png")
    shape = plots.guess_image_shape(model.n_features)
    if shape is not None:
        name = "test" if "test" in X else "validation" if "validation" in X else "train"
        predicted = model.encode(model.predict(X[name])[0])
        plots.plot_mislabelled(X[name], model.encode(y[name]), predicted, out / "mislabelled.png", image_shape=shape,
                               class_names=[str(c) for c in model.classes])  # fmt: skip
        written.append("mislabelled.png")
    return written


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a network and write the model, its history, metrics and plots",
                       description="Train a network; every option can also come from --config FILE.toml (flags win).")  # fmt: skip
    p.add_argument("--config", metavar="FILE.toml", help="read settings from a TOML file with the keys below (underscores)")
    p.add_argument("--resume", metavar="DIR", help="go on with the interrupted run whose output folder is DIR (from DIR/checkpoint.npz)")
    p.add_argument("--force", action="store_true", help="start afresh in --out even if it holds an unfinished run (its checkpoint is dropped)")
    for o in TRAIN_OPTIONS:
        default = "" if o.default in (None, []) else f" [default: {','.join(map(str, o.default)) if isinstance(o.default, list) else o.default}]"
        if o.convert is boolean:
            p.add_argument(flag(o.name), action=argparse.BooleanOptionalAction, default=None, help=o.help + default)
        else:
            p.add_argument(flag(o.name), type=argparse_type(o.convert), default=None, metavar=o.metavar, help=o.help + default)
    p.set_defaults(func=cmd_train)


