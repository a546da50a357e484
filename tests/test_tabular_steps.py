"""The tabular preprocessing steps (one-hot encoding, imputation) and column roles.

Each step is checked against scikit-learn's own (OneHotEncoder(handle_unknown="ignore"),
SimpleImputer(add_indicator=True)), round-tripped through its typed arrays, and fed bad arrays.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from layerwise.data.roles import column_roles, labelled_rows
from layerwise.data.tables import Table
from layerwise.preprocessing import (
    Imputer,
    OneHotEncoder,
    Pipeline,
    Standardizer,
    UnseenCategoryWarning,
    category_text,
)

NAMES = ["colour", "size", "n"]


def raw(colours, sizes, ns) -> np.ndarray:
    """Rows are features: an object array (3, m) as a model builds it from mixed columns."""
    return np.array([colours, sizes, ns], dtype=object)


@pytest.fixture
def X():
    return raw(["red", "blue", None, "red", "green", "red"], [1.0, None, 3.0, 4.0, np.nan, 6.0], [1, 2, 3, 4, 5, 6])


def test_one_hot_rows_in_place_sorted_with_missing(X):
    step = OneHotEncoder(["colour"]).fit(X, NAMES)
    assert step.names_out_ == ["colour=blue", "colour=green", "colour=red", "colour=<missing>", "size", "n"]
    Z = step.transform(X)
    assert Z.dtype == np.float64 and Z.shape == (6, 6)
    np.testing.assert_array_equal(Z[:4], [[0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0], [1, 0, 0, 1, 0, 1], [0, 0, 1, 0, 0, 0]])
    np.testing.assert_array_equal(Z[4], [1, np.nan, 3, 4, np.nan, 6])  # numbers pass, NaN for the imputer
    assert step.unseen_ == {}


def test_one_hot_equals_scikit_learn(X):
    sk = pytest.importorskip("sklearn.preprocessing", reason="the comparison needs scikit-learn")
    colours = np.array([category_text(v) or "<missing>" for v in X[0]], dtype=object).reshape(-1, 1)
    expected = sk.OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(colours)
    new = raw(["green", "purple", None], [1, 2, 3], [1, 2, 3])
    with pytest.warns(UnseenCategoryWarning):
        ours = OneHotEncoder(["colour"]).fit(X, NAMES).transform(new)[:4].T
    new_colours = np.array([category_text(v) or "<missing>" for v in new[0]], dtype=object).reshape(-1, 1)
    theirs = expected.transform(new_colours)  # sklearn sorts "<missing>" first; we put it last
    np.testing.assert_array_equal(ours, theirs[:, [1, 2, 3, 0]])


def test_unseen_category_is_all_zeros_with_a_count(X):
    step = OneHotEncoder(["colour"]).fit(X[:, :2], NAMES)  # red, blue: no missing cell in training
    new = raw(["purple", "red", None, "purple"], [1, 2, 3, 4], [1, 2, 3, 4])
    with pytest.warns(UnseenCategoryWarning, match=r"column 'colour': 3 \(e.g. 'purple'\)") as record:
        Z = step.transform(new)
    assert record[0].message.counts == {"colour": 3}
    np.testing.assert_array_equal(Z[:2], [[0, 0, 0, 0], [0, 1, 0, 0]])
    assert step.unseen_ == {"colour": 3}


def test_categories_ignore_how_numbers_were_written():
    assert [category_text(v) for v in [3, 3.0, np.float64(3.0), "3", 2.5, None, np.nan, True]] == [
        "3", "3", "3", "3", "2.5", None, None, "True"]  # fmt: skip
    step = OneHotEncoder(["code"]).fit(np.array([[1.0, 2.0, 1.0]]), ["code"])
    with pytest.warns(UnseenCategoryWarning, match=r"'code': 1 \(e.g. a missing cell\)"):
        Z = step.transform(np.array([["1", 2, np.nan]], dtype=object))
    np.testing.assert_array_equal(Z, [[1, 0, 0], [0, 1, 0]])


def test_max_categories_pools_the_rarest_with_a_note():
    cells = ["a"] * 5 + ["b"] * 4 + ["c"] * 2 + ["d"] + ["e"]
    step = OneHotEncoder(max_categories=3).fit(np.array([cells], dtype=object), ["k"])
    assert step.names_out_ == ["k=a", "k=b", "k=<other>"]
    assert step.notes_ == ["column 'k' has 5 categories, more than max_categories=3: the 3 rarest (at most 2 rows each) share the column k=<other>"]
    with pytest.warns(UnseenCategoryWarning):
        Z = step.transform(np.array([["a", "c", "e", "z"]], dtype=object))
    np.testing.assert_array_equal(Z, [[1, 0, 0, 0], [0, 0, 0, 0], [0, 1, 1, 0]])  # "z" unseen: zeros
    with pytest.raises(ValueError, match="max_categories"):
        OneHotEncoder(max_categories=1)


def test_columns_default_to_the_text_rows(X):
    assert OneHotEncoder().fit(X, NAMES).columns == ["colour"]
    with pytest.raises(ValueError, match=r"no input column 'shape'"):
        OneHotEncoder(["shape"]).fit(X, NAMES)
    step = OneHotEncoder(["colour"]).fit(X, NAMES)
    with pytest.raises(ValueError, match=r"column 'size', example 1: 'big' is not a number"):
        step.transform(raw(["red", "red"], [1, "big"], [1, 2]))


@pytest.mark.parametrize("strategy", ["median", "mean", "zero"])
def test_imputer_equals_scikit_learn(strategy, rng):
    impute = pytest.importorskip("sklearn.impute", reason="the comparison needs scikit-learn")
    X = rng.normal(size=(4, 50)) * [[1], [10], [100], [1000]]
    X[rng.random(X.shape) < 0.1] = np.nan

    X[0] = rng.normal(size=50)  # row 0 without holes: no indicator
    step = Imputer(strategy, indicator=True).fit(X, ["a", "b", "c", "d"])
    sk_strategy = {"zero": "constant"}.get(strategy, strategy)
    theirs = impute.SimpleImputer(strategy=sk_strategy, fill_value=0.0, add_indicator=True).fit(X.T).transform(X.T).T
    np.testing.assert_allclose(step.transform(X), theirs, rtol=1e-12, atol=0)
    assert step.names_out_ == ["a", "b", "c", "d", "b=<missing>", "c=<missing>", "d=<missing>"]


def test_imputer_without_holes_returns_its_input_and_rejects_infinity():
    X = np.arange(6.0).reshape(2, 3)
    step = Imputer().fit(X, ["a", "b"])
    assert step.transform(X) is X  # nothing to fill: no copy of a large X
    with pytest.raises(ValueError, match=r"column 'b', example 2: inf is infinite"):
        step.transform(np.array([[0, 1, 2], [3, 4, np.inf]]))
    with pytest.raises(ValueError, match="strategy is 'mode'"):
        Imputer("mode")


def test_imputer_all_missing_column_gets_zero_and_a_note():
    X = np.array([[np.nan, np.nan], [1.0, 3.0]])
    step = Imputer().fit(X, ["empty", "x"])
    np.testing.assert_array_equal(step.values_, [[0.0], [2.0]])
    assert step.notes_ == ["column 'empty' has no value in training; its cells are filled with 0"]


def test_imputer_reads_object_rows():
    step = Imputer().fit(np.array([[1, None, 3]], dtype=object), ["a"])
    np.testing.assert_array_equal(step.transform(np.array([[None, 5]], dtype=object)), [[2.0, 5.0]])


def roundtrip(step, names):
    arrays, config = step.to_arrays()
    for a in arrays.values():
        assert a.dtype.kind in "fiU", a.dtype  # typed arrays only: nothing a pickle would be needed for
    return type(step).from_arrays({k: np.array(v) for k, v in arrays.items()}, config, names)


def test_pipeline_roundtrip_gives_the_same_numbers(X):
    pipeline = Pipeline([OneHotEncoder(["colour"], max_categories=2), Imputer(indicator=True), Standardizer()]).fit(X, NAMES)
    arrays, configs = pipeline.to_arrays("input")
    again = Pipeline.from_arrays("input", arrays, configs, NAMES)
    new = raw(["red", "mauve", None], [None, 2.0, 9.0], [0, 1, 2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnseenCategoryWarning)
        np.testing.assert_array_equal(again.transform(new), pipeline.transform(new))
    assert again.names_out_ == pipeline.names_out_
    for step in pipeline.steps[:2]:
        roundtrip(step, step.names_in_)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("sizes", np.array([9]), "expected unicode"),
        ("sizes", np.array([-1]), "non-negative"),
        ("missing", np.array([2]), "0 or 1"),
        ("categories", np.array([1.0, 2.0, 3.0]), "expected unicode"),
        ("categories", np.array(["red", "red", "blue"]), "lists a category twice"),
    ],
)
def test_one_hot_from_bad_arrays(X, key, value, message):
    arrays, config = OneHotEncoder(["colour"]).fit(X, NAMES).to_arrays()
    arrays[key] = value
    with pytest.raises(ValueError, match=message):
        OneHotEncoder.from_arrays(arrays, config, NAMES)
    with pytest.raises(ValueError, match="distinct input names"):
        OneHotEncoder.from_arrays(OneHotEncoder(["colour"]).fit(X, NAMES).to_arrays()[0], {"columns": ["hue"], "max_categories": None}, NAMES)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("values", np.array([[1.0], [np.nan]]), "finite float64"),
        ("values", np.array([1.0, 2.0]), r"\(2, 1\)"),
        ("indicator", np.array([5]), "row indices in 0..1"),
        ("indicator", np.array([1, 0]), "increasing"),
    ],
)
def test_imputer_from_bad_arrays(key, value, message):
    arrays, config = Imputer(indicator=True).fit(np.array([[1.0, np.nan], [np.nan, 2.0]]), ["a", "b"]).to_arrays()
    arrays[key] = value
    with pytest.raises(ValueError, match=message):
        Imputer.from_arrays(arrays, config, ["a", "b"])


# ----------------------------------------------------------------------------- roles


def table(**columns) -> Table:
    return Table(list(columns), [np.asarray(c, dtype=np.float64 if all(isinstance(v, float) for v in c) else object)
                                 for c in columns.values()], "t.csv")  # fmt: skip


def test_roles_label_ids_drop_and_categorical():
    m = 30
    t = table(id=[f"P{i}" for i in range(m)], colour=["red", "blue", None] * 10, code=[float(i % 3) for i in range(m)],
              x=[float(i) for i in range(m)], same=[7.0] * m, y=["a", "b"] * 15)  # fmt: skip
    roles = column_roles(t)
    assert roles.label == "y"  # the last column by default
    assert roles.features == ["colour", "code", "x"] and roles.categorical == ["colour"]
    assert roles.dropped == ["id", "same"]
    assert roles.notes == [
        "column 'id' has a different value in each of its 30 rows, like an identifier: not used as a feature "
        "(--id id carries it to the predictions; --categorical id uses it)",
        "column 'same' holds 7.0 in every row: not used as a feature",
    ]
    roles = column_roles(t, label="y", ids=["id"], drop=["x"], categorical=["code"])
    assert roles.ids == ["id"] and roles.dropped == ["x", "same"]
    assert roles.features == ["colour", "code"] and roles.categorical == ["colour", "code"]
    assert column_roles(t, label=0).label == "id"


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"label": "z"}, r"no column 'z'"),
        ({"label": 9}, "label index 9 out of range"),
        ({"ids": ["y"]}, r"--id y: 'y' is the label column"),
        ({"ids": ["x"], "drop": ["x"]}, "both --id and --drop"),
        ({"drop": ["x", "c"]}, "no feature columns are left"),
    ],
)
def test_roles_refuse_contradictions(kw, message):
    t = table(x=[1.0, 2.0], c=["u", "v"], y=[0.0, 1.0])
    with pytest.raises((ValueError, KeyError), match=message):
        column_roles(t, **kw)


def test_rows_with_a_missing_label_are_counted():
    t = table(x=[1.0, 2.0, 3.0, 4.0], y=["a", None, "b", None])
    rows, dropped = labelled_rows(t, "y")
    assert rows.tolist() == [0, 2] and dropped == 2
    with pytest.raises(ValueError, match="has no value in any row"):
        labelled_rows(table(x=[1.0], y=[np.nan]), "y")


def test_an_unnamed_row_index_is_not_a_feature():
    t = table(**{"Unnamed: 0": [0.0, 1.0, 2.0, 3.0], "x": [0.5, 0.1, 0.7, 0.2], "y": ["a", "b", "a", "b"]})
    roles = column_roles(t)
    assert roles.features == ["x"] and roles.dropped == ["Unnamed: 0"]
    assert roles.notes == ["column 'Unnamed: 0' numbers the rows 0, 1, 2, ... (an index written with the data): not used as a feature"]


def test_a_typo_in_a_numeric_column_is_named_with_the_ways_forward():
    cells = [str(float(i)) for i in range(29)] + ["?"]
    t = Table(["x", "y"], [np.array(cells, dtype=object), np.array(["a", "b"] * 15, dtype=object)], "t.csv")
    with pytest.raises(ValueError, match=r"t.csv: row 31, column 'x': '\?' is not a number, but nearly all the column's cells are: "
                                         r"fix the cell, mark such cells missing \(--na-values '\?'\), or take the column as "
                                         r"categories \(--categorical x\)"):  # fmt: skip
        column_roles(t)
    assert column_roles(t, categorical=["x"]).categorical == ["x"]
