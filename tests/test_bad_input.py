"""Bad input at every door: only ValueError/TypeError come out, naming the argument at fault.

Property-based: hypothesis draws malformed arrays and argument values, an independent oracle
says whether each one is acceptable, and the test checks that acceptable ones are used and
the others refused with an informative message. Handled inputs (integers, non-contiguous
and read-only arrays) are checked to work and never to be written to.
"""

from __future__ import annotations

import contextlib
import io
import numbers
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import layerwise as lw
from layerwise import blocks

def fast(n: int) -> settings:
    """``n`` examples, no deadline (CI machines are slow), no example database in the tree."""
    return settings(max_examples=n, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def refused(call, *names: str) -> str:
    """Run ``call``, expecting a ValueError/TypeError whose message names one of ``names``."""
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    message = str(info.value)
    assert any(n in message for n in names), f"{message!r} names none of {names}"
    assert "\n" not in message and len(message) < 400
    return message


# ---- arrays: a small zoo of dtypes, shapes and values ----------------------------------------

DTYPES = ["float64", "float32", "float16", "int8", "int64", "uint8", "bool", "complex128", "object", "U3"]
SPECIAL = [np.nan, np.inf, -np.inf]
ANY_SHAPE = st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple)


@st.composite
def arrays(draw, shapes=None, dtypes=DTYPES, special: bool = True):
    """Any small array: one of DTYPES, 0 to 3 dimensions, sometimes NaN/inf, sometimes a view."""
    shape = draw(shapes if shapes is not None else ANY_SHAPE)
    dtype = draw(st.sampled_from(dtypes))
    n = int(np.prod(shape))
    values = np.asarray(draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n)), dtype=float).reshape(shape)
    if special and n and draw(st.booleans()):
        values.flat[draw(st.integers(0, n - 1))] = draw(st.sampled_from(SPECIAL))
    if dtype == "U3":
        a = values.astype("U3")
    elif dtype == "object":
        a = values.astype(object)
    else:
        with np.errstate(invalid="ignore"):
            a = values.astype(dtype) if np.dtype(dtype).kind in "fcb" else np.nan_to_num(values).astype(dtype)
    a = np.array(a)  # a 0-d array, not a NumPy scalar
    layout = draw(st.sampled_from(["C", "F", "strided", "readonly", "list"]))
    if layout == "F":
        a = np.asfortranarray(a)
    elif layout == "strided" and a.ndim:
        a = np.repeat(a, 2, axis=-1)[..., ::2]
    elif layout == "readonly":
        a.flags.writeable = False
    elif layout == "list" and a.dtype.kind in "fi":
        return a.tolist()
    return a


def usable_X(X, n_x: int, dtype) -> bool:
    """The oracle for X: 2-D (n_x, m >= 1), real numbers (not bool), finite in the network's dtype."""
    a = np.asarray(X)
    if a.dtype.kind not in "iuf" or a.ndim != 2 or a.shape[0] != n_x or a.shape[1] == 0:
        return False
    with np.errstate(over="ignore"):
        return bool(np.isfinite(a.astype(dtype)).all())


def usable_binary_Y(Y, m: int) -> bool:
    """The oracle for Y of a sigmoid output: (1, m) of 0s and 1s (bools allowed)."""
    a = np.asarray(Y)
    if a.dtype.kind not in "biuf" or a.shape != (1, m):
        return False
    return bool(np.isin(a.astype(float), (0.0, 1.0)).all())


def valid_xy(n_x: int, m: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    return X, (X[:1] > 0).astype(float)


# ---- X and Y through fit, predict, score ------------------------------------------------------


@fast(700)
@given(X=arrays(shapes=st.one_of(ANY_SHAPE, st.tuples(st.just(2), st.integers(1, 4)))),
       dtype=st.sampled_from(["float64", "float32"]))
def test_fit_and_predict_accept_usable_X_and_name_X_otherwise(X, dtype):
    n_x = 2
    net = lw.Network([n_x, 2, 1], seed=0, dtype=dtype)
    a = np.asarray(X)
    m = a.shape[1] if a.ndim == 2 else 3
    Y = (np.arange(m) % 2).reshape(1, m)
    before = a.copy()
    event("usable" if usable_X(X, n_x, dtype) else "refused")
    if usable_X(X, n_x, dtype):
        net.fit(X, Y, epochs=1)
        assert net.predict(X).shape == (1, m)
        np.testing.assert_array_equal(np.asarray(X), before)  # never written to
    else:
        message = refused(lambda: net.fit(X, Y, epochs=1), "X")
        assert "shape" in message or "dtype" in message or "NaN" in message or "NoneType" in message
        refused(lambda: net.predict(X), "X")


@fast(500)
@given(Y=arrays(shapes=st.one_of(ANY_SHAPE, st.just((1, 3)))))
def test_binary_labels_are_0_or_1_of_shape_1_m(Y):
    m = 3
    net = lw.Network([2, 1], seed=0)
    X, _ = valid_xy(2, m)
    event("usable" if usable_binary_Y(Y, m) else "refused")
    if usable_binary_Y(Y, m):
        net.fit(X, Y, epochs=1)
        assert 0 <= net.score(X, Y) <= 1
    else:
        refused(lambda: net.fit(X, Y, epochs=1), "Y")
        refused(lambda: net.score(X, Y), "Y")


@fast(250)
@given(Y=arrays(shapes=st.sampled_from([(1, 3), (3, 3), (3,), (3, 1), (2, 3)])))
def test_multiclass_and_regression_targets(Y):
    X, _ = valid_xy(2, 3)
    a = np.asarray(Y)
    numeric = a.dtype.kind in "biuf" and np.isfinite(a.astype(float)).all()  # bools count as 0 and 1
    soft = lw.Network([2, 3], output="softmax", seed=0)
    labels_ok = numeric and a.shape == (1, 3) and np.isin(a.astype(float), (0, 1, 2)).all()
    columns_ok = numeric and a.shape == (3, 3) and (a >= 0).all() and np.allclose(a.astype(float).sum(axis=0), 1)
    if labels_ok or columns_ok:  # class indices, or one-hot / probability columns
        soft.fit(X, Y, epochs=1)
    else:
        refused(lambda: soft.fit(X, Y, epochs=1), "Y")
    reg = lw.Network([2, 1], output="linear", seed=0)
    if numeric and a.shape == (1, 3):
        reg.fit(X, Y, epochs=1)
    else:
        refused(lambda: reg.fit(X, Y, epochs=1), "Y")


# ---- scalar arguments of fit ---------------------------------------------------------------------

ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 5), st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from(["", "0.1", "adam", "x", "yes"]), st.just([0.5]), st.just({}), st.just(np.float32(0.5)),
    st.just(np.int64(2)), st.just(np.array([1.0])), st.just(1 + 2j),
)


def is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


#: argument -> (oracle: is this value acceptable?, words one of which the message must contain)
FIT_ARGUMENTS = {
    "learning_rate": (lambda v: v is None or is_real(v) and np.isfinite(v) and v > 0, ("learning_rate",)),
    "epochs": (lambda v: v is None or is_int(v) and v >= 1, ("epochs",)),
    "num_iterations": (lambda v: v is None or is_int(v) and v >= 1, ("num_iterations",)),
    "batch_size": (lambda v: v is None or is_int(v) and v >= 1, ("batch_size",)),
    "lambd": (lambda v: is_real(v) and np.isfinite(v) and v >= 0, ("lambd",)),
    "keep_prob": (lambda v: all(is_real(p) and 0 < p <= 1 for p in (v if isinstance(v, (list, np.ndarray)) else [v])),
                  ("keep_prob",)),  # one hidden layer: a probability or a list of one
    "shuffle": (lambda v: isinstance(v, (bool, np.bool_)), ("shuffle",)),
    "seed": (lambda v: v is None or is_int(v) and 0 <= v < 2**32, ("seed",)),
    "optimizer": (lambda v: v in ("gd", "momentum", "rmsprop", "adam"), ("optimizer",)),
    "early_stopping": (lambda v: v is None, ("early_stopping",)),  # any patience needs validation data
    "validation_split": (lambda v: v is None or is_real(v) and 0.2 <= v <= 0.8, ("validation_split",)),
    "class_weight": (lambda v: v is None or v == "balanced" or v == {}, ("class_weight",)),
    "sample_weight": (lambda v: v is None, ("sample_weight",)),
    "callbacks": (lambda v: isinstance(v, (list, dict)) and not v, ("callbacks",)),
    "print_cost": (lambda v: not v or v is True or is_int(v) and v >= 1, ("print_cost",)),
}


@fast(1200)
@given(name=st.sampled_from(sorted(FIT_ARGUMENTS)), value=ODD_VALUES, batch=st.booleans())
def test_fit_arguments_are_checked_by_name(name, value, batch):
    ok, words = FIT_ARGUMENTS[name]
    X, Y = valid_xy(2, 10)
    kwargs = {name: value}
    if name not in ("epochs", "num_iterations"):
        kwargs["epochs"] = 2
    if name == "early_stopping" and is_int(value) and value >= 1:
        words = ("validation",)  # a good patience, refused only for want of validation data
    if name == "validation_split" and is_real(value) and 0 < value < 1:
        ok = lambda v: True  # noqa: E731  (a tiny fraction of 10 examples may still leave one side empty)
        words = ("validation_split",)
    if name != "batch_size" and batch:
        kwargs["batch_size"] = 4
    net = lw.Network([2, 3, 1], seed=0)
    with contextlib.redirect_stdout(io.StringIO()):  # print_cost
        if ok(value):
            try:
                net.fit(X, Y, **kwargs)
            except lw.DivergenceError:  # documented: e.g. lambd = 1e300
                assert name in ("learning_rate", "lambd")
            except ValueError as exc:
                assert name == "validation_split" and "validation_split" in str(exc)
        else:
            refused(lambda: net.fit(X, Y, **kwargs), *words)


# ---- construction -------------------------------------------------------------------------------

NAMES = st.one_of(st.sampled_from(["relu", "sigmoid", "tanh", "linear", "leaky_relu:0.2", "softmax", "he", "xavier",
                                   "zeros", "mse", "bce", "nope", "", "relu:2"]), st.integers(0, 3), st.none())


def dims_ok(dims) -> bool:
    return isinstance(dims, (list, tuple)) and len(dims) >= 2 and all(is_int(n) and n >= 1 for n in dims)


@fast(700)
@given(
    dims=st.one_of(st.lists(st.one_of(st.integers(-1, 4), st.floats(0, 3), st.just("2")), max_size=4),
                   st.integers(0, 3), st.text(max_size=3), st.none()),
    hidden=NAMES, output=NAMES, init=NAMES, dtype=st.sampled_from(["float64", "float32", "float16", "int32", None, "x", 3]),
    seed=st.one_of(st.none(), st.integers(-2, 2**33), st.floats(0, 2), st.text(max_size=2)),
)
def test_network_construction_names_the_argument(dims, hidden, output, init, dtype, seed):
    acts = {"relu", "sigmoid", "tanh", "linear", "leaky_relu:0.2", "softmax"}
    kwargs = dict(hidden=hidden, output=output, init=init, dtype=dtype, seed=seed)
    problems = []  # (argument words) for every bad argument; the first one checked is named
    if not dims_ok(dims):
        problems.append(("layer_dims",))
    if dims_ok(dims) and len(dims) > 2 and hidden not in acts:
        problems.append(("activation",))
    if output not in acts:
        problems.append(("activation",))
    elif output not in ("sigmoid", "softmax", "linear"):
        problems.append(("output",))  # no default loss
    elif output == "softmax" and dims_ok(dims) and dims[-1] < 2:
        problems.append(("softmax",))
    if init not in ("he", "xavier", "zeros", "small_random"):
        problems.append(("init",))
    if dtype not in ("float64", "float32"):
        problems.append(("dtype",))
    if not (seed is None or is_int(seed) and 0 <= seed < 2**32):
        problems.append(("seed",))
    if problems:
        refused(lambda: lw.Network(dims, **kwargs), *{w for p in problems for w in p})
    else:
        net = lw.Network(dims, **kwargs)
        assert net.layer_dims == list(dims) and net.dtype.name == dtype


# ---- the building blocks -------------------------------------------------------------------------

SHAPES = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)


@fast(500)
@given(A_prev=SHAPES, W=SHAPES, b=SHAPES)
def test_linear_forward_names_the_array_at_fault(A_prev, W, b):
    args = (np.ones(A_prev), np.ones(W), np.ones(b))
    fits = len(A_prev) == 2 and len(W) == 2 and W[1] == A_prev[0]
    if fits and b == (W[0], 1):
        Z, cache = blocks.linear_forward(*args)
        assert Z.shape == (W[0], A_prev[1])
    elif not fits or not broadcasts_into(b, (W[0], A_prev[1])):  # a b that broadcasts is NumPy's business
        refused(lambda: blocks.linear_forward(*args), "A_prev", "W", "b")


def broadcasts_into(shape: tuple, target: tuple) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == target
    except ValueError:
        return False


@fast(300)
@given(dZ=SHAPES, n=st.integers(1, 3), n_prev=st.integers(1, 3), m=st.integers(1, 3))
def test_linear_backward_names_dZ(dZ, n, n_prev, m):
    cache = (np.ones((n_prev, m)), np.ones((n, n_prev)), np.zeros((n, 1)))
    if dZ == (n, m):
        dA_prev, dW, db = blocks.linear_backward(np.ones(dZ), cache)
        assert dA_prev.shape == (n_prev, m) and dW.shape == (n, n_prev) and db.shape == (n, 1)
    else:
        refused(lambda: blocks.linear_backward(np.ones(dZ), cache), "dZ")


def test_model_forward_and_backward_name_what_does_not_fit():
    net = lw.Network([3, 2, 1], seed=0)
    X, Y = valid_xy(3, 5)
    refused(lambda: blocks.model_forward(X[:2], net.parameters, net.activations), "X")
    refused(lambda: blocks.model_forward(X[0], net.parameters, net.activations), "X")
    refused(lambda: blocks.model_forward(X, {"W1": net.parameters["W1"]}, net.activations), "parameters")
    AL, caches = blocks.model_forward(X, net.parameters, net.activations)
    refused(lambda: blocks.model_backward(AL, Y, caches[:1], net.activations, net.loss), "caches")
    refused(lambda: blocks.linear_activation_backward(np.ones((2, 4)), caches[0][:2], "relu"), "dA")
    refused(lambda: blocks.update_parameters(net.parameters, {"dW1": 0}, 0.1), "grads")
    refused(lambda: net.cost([0.5] * 5, Y), "AL")
    refused(lambda: net.backward(AL, Y, []), "caches")
    refused(lambda: net.backward(AL.T, Y, caches), "AL")


# ---- handled inputs -----------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size, keep_prob", [(None, 1.0), (3, 0.8)])
def test_read_only_int_and_strided_inputs_are_used_and_never_written(batch_size, keep_prob):
    X, Y = valid_xy(3, 10)
    Xi = np.asfortranarray(np.round(X * 10).astype(np.int32))
    Xs = np.repeat(X, 2, axis=1)[:, ::2]
    for data in (X, Xi, Xs):
        data.flags.writeable = False
    Yr = Y.astype(np.int8)
    Yr.flags.writeable = False
    copies = [a.copy() for a in (X, Xi, Xs, Yr)]
    for data in (X, Xi, Xs):
        net = lw.Network([3, 4, 1], seed=0)
        net.fit(data, Yr, epochs=3, batch_size=batch_size, keep_prob=keep_prob, validation_data=(data, Yr))
        assert net.predict(data).shape == (1, 10) and np.isfinite(net.history_.costs).all()
    for a, c in zip((X, Xi, Xs, Yr), copies):
        np.testing.assert_array_equal(a, c)
        assert not a.flags.writeable


def test_strided_input_gives_the_same_result_as_contiguous():
    X, Y = valid_xy(3, 10)
    a, b = lw.Network([3, 4, 1], seed=0), lw.Network([3, 4, 1], seed=0)
    a.fit(X, Y, epochs=5, batch_size=4, seed=1)
    b.fit(np.asfortranarray(X).tolist(), Y.tolist(), epochs=5, batch_size=4, seed=1)
    for k in a.parameters:
        np.testing.assert_array_equal(a.parameters[k], b.parameters[k])


def test_one_example_and_one_class_train():
    X, _ = valid_xy(3, 1)
    net = lw.Network([3, 2, 1], seed=0)
    net.fit(X, [[1]], epochs=3, batch_size=5)
    assert net.predict(X).shape == (1, 1)


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda: lw.optimizers.get_schedule({"name": "step", "lr0": 0.1, "every": 0}), "every"),
        (lambda: lw.optimizers.get_schedule({"name": "step", "lr": 0.1}), "learning_rate"),
        (lambda: lw.optimizers.get_schedule({"lr0": 0.1}), "learning_rate"),
        (lambda: lw.optimizers.get_schedule("fast"), "learning_rate"),
        (lambda: lw.Adam(learning_rate=-1), "learning_rate"),
        (lambda: lw.Adam(beta1=1), "beta1"),
        (lambda: lw.EarlyStopping(patience=0), "patience"),
        (lambda: lw.PrintCost(every="x"), "every"),
        (lambda: lw.Network([2, 1]).set_parameters({"W1": np.ones((1, 2)), "b1": np.full((1, 1), np.nan)}), "b1"),
        (lambda: lw.Network([2, 1]).fit([[1, 2], [3, 4]], [[0, 1]], validation_data=(np.ones((3, 2)), [[0, 1]])),
         "validation_data[0]"),
        (lambda: lw.Network([2, 1]).fit([[1, 2], [3, 4]], [[0, 1]], validation_data=(np.ones((2, 2)), [[0, 2]])),
         "validation_data[1]"),
        (lambda: lw.Network([2, 1]).fit([[1, 2], [3, 4]], [[0, 1]], callbacks=[print]), "callbacks"),
        (lambda: lw.Network([2, 1]).fit([[1, 2], [3, 4]], [[0, 1]], keep_prob="0.5"), "keep_prob"),
        (lambda: lw.Network([2, 3, 1]).fit([[1, 2], [3, 4]], [[0, 1]], keep_prob=[0.5, 0.5]), "keep_prob"),
        (lambda: lw.Network([2, 1], dtype="float32").fit([[1e39, 2], [3, 4]], [[0, 1]]), "float32"),
    ],
)
def test_other_doors(make, words):
    refused(make, words)


# ---- the scikit-learn estimators -----------------------------------------------------------------


@fast(300)
@given(X=arrays(shapes=st.one_of(ANY_SHAPE, st.tuples(st.integers(0, 6), st.just(2)))),
       y=arrays(shapes=st.one_of(st.just((6,)), ANY_SHAPE), dtypes=["int64", "float64", "bool", "U3", "object"]))
def test_estimators_raise_only_value_and_type_errors(X, y):
    sk = pytest.importorskip("layerwise.sklearn", reason="the estimators need scikit-learn")
    for estimator in (sk.NeuralNetClassifier((2,), epochs=1, batch_size=None, random_state=0),
                      sk.NeuralNetRegressor((2,), epochs=1, batch_size=None, random_state=0)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # scikit-learn's DataConversionWarning for y: (m, 1)
                estimator.fit(X, y)
        except (ValueError, TypeError) as exc:
            assert str(exc).strip()
            continue
        assert estimator.predict(X).shape[0] == np.asarray(X).shape[0]


def test_estimators_refuse_a_single_class():
    sk = pytest.importorskip("layerwise.sklearn", reason="the estimators need scikit-learn")
    X = np.random.default_rng(0).standard_normal((8, 2))
    refused(lambda: sk.NeuralNetClassifier((2,), epochs=1).fit(X, ["cat"] * 8), "class")
    refused(lambda: sk.NeuralNetClassifier((2,), epochs=1, learning_rate=-1).fit(X, [0, 1] * 4), "learning_rate")
    refused(lambda: sk.NeuralNetClassifier((2,), epochs=0).fit(X, [0, 1] * 4), "epochs")
    refused(lambda: sk.NeuralNetClassifier((0,), epochs=1).fit(X, [0, 1] * 4), "hidden_layer_sizes")
    refused(lambda: sk.NeuralNetClassifier((2,), activation="nope", epochs=1).fit(X, [0, 1] * 4), "activation")


# ---- the command line: exit status 2 and one line naming the flag --------------------------------

CLI_VALUES = st.sampled_from(["0", "-1", "1", "2", "0.5", "1.5", "1e400", "nan", "inf", "abc", "", "1,2", "relu", "none"])
CLI_FLAGS = ["--learning-rate", "--iterations", "--batch-size", "--layers", "--hidden", "--optimizer", "--init", "--keep-prob",
             "--lambd", "--validation-split", "--seed", "--dtype", "--early-stopping", "--checkpoint-every", "--output"]


@fast(150)
@given(flag=st.sampled_from(CLI_FLAGS), value=CLI_VALUES)
def test_cli_train_flags_give_status_0_or_2_with_one_line(flag, value):
    import tempfile

    from layerwise import cli

    with tempfile.TemporaryDirectory() as out:
        argv = ["train", "--data", "xor", "--iterations", "2", "--quiet", "--no-plots", "--out", out, flag, value]
        err, stdout = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(stdout):
            status = cli.main(argv)
    message = err.getvalue()
    assert status in (0, 1, 2), message  # 1: a run that diverged (e.g. --learning-rate 1e300)
    if status == 2:
        assert message.count("\n") == 1 and "Traceback" not in message
        assert flag in message or flag[2:].replace("-", "_") in message or "validation" in message, message
    elif status == 1:
        assert "diverged" in message


@pytest.mark.parametrize(
    "files, argv, words",
    [
        ({"short.csv": "a,b,y\n1,2,0\n3,1\n"}, ["--data", "short.csv"], "row 3 has 2 cells, the header 3"),
        ({"inf.csv": "a,b,y\n1,2,0\n3,inf,1\n4,4,1\n"}, ["--data", "inf.csv"], "inf.csv: row 3, column 'b': inf is infinite"),
        ({"d.csv": "a,b,y\n1,2,0\n3,4,1\n"}, ["--data", "d.csv", "--id", "code"], "no column 'code'"),
        ({}, ["--data", "xor", "--impute", "mean"], "--impute apply to tables"),
        ({"one.csv": "a,b,y\n1,2,0\n3,4,0\n5,6,0\n"}, ["--data", "one.csv", "--validation-split", "0"], "one class"),
        ({"three.csv": "a,y\n1,a\n2,b\n3,c\n4,a\n5,b\n6,c\n"}, ["--data", "three.csv", "--output", "sigmoid", "--validation-split", "0"],
         "3 classes"),
        ({"run.toml": "learning_rate = -1\n"}, ["--config", "run.toml"], "learning_rate"),
        ({"run.toml": "speed = 3\n"}, ["--config", "run.toml"], "unknown key 'speed'"),
        ({}, ["--data", "missing.csv"], "missing.csv"),
        ({}, ["--resume", "."], "no checkpoint"),
    ],
)  # fmt: skip
def test_cli_bad_files_and_data(tmp_path, monkeypatch, capsys, files, argv, words):
    from layerwise import cli

    for name, text in files.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "--iterations", "2", "--quiet", "--no-plots", "--out", "out", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "Traceback" not in err
