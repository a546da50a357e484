"""Reading tabular files: delimiters, encodings, quoting, line endings, Parquet, and errors that
name the file, the row and the column."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest

pd = pytest.importorskip("pandas", reason="reading CSV files needs pandas: install layerwise[cli]")

from layerwise.data import tables  # noqa: E402
from layerwise.data.tables import Table, read_table  # noqa: E402
from messy_csv import messy_frame, write_messy_csv  # noqa: E402


def write(path, text: str, encoding: str = "utf-8") -> str:
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_semicolon_bom_crlf_quotes_and_decimal_comma(tmp_path):
    path = write(tmp_path / "eu.csv", '\ufeffid;"size";colour;note\r\nP1;1,5;red;"a;b"\r\nP2;;"dark ""blue""";x\r\nP3;2,25;;y\r\n')
    t = read_table(path)
    assert t.names == ["id", "size", "colour", "note"]  # no '\ufeff' left in the first name
    assert t["id"].tolist() == ["P1", "P2", "P3"]
    np.testing.assert_array_equal(t["size"], [1.5, np.nan, 2.25])
    assert t["colour"].tolist() == ["red", 'dark "blue"', None]
    assert t["note"].tolist() == ["a;b", "x", "y"]
    assert t.is_numeric("size") and not t.is_numeric("colour")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252"])
def test_common_encodings(tmp_path, encoding):
    path = write(tmp_path / "e.csv", "x,ville,y\n1,Besançon,0\n2,Zürich,1\n", encoding)
    t = read_table(path)
    assert t.names == ["x", "ville", "y"]
    assert t["ville"].tolist() == ["Besançon", "Zürich"]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiter_detected_and_given(tmp_path, sep):
    path = write(tmp_path / "d.csv", sep.join(["a", "b", "c"]) + "\n" + "\n".join(sep.join(["1", "2", "x"]) for _ in range(5)) + "\n")
    for t in (read_table(path), read_table(path, delimiter=sep)):
        assert t.names == ["a", "b", "c"] and t.m == 5
        np.testing.assert_array_equal(t["b"], np.full(5, 2.0))


def test_given_delimiter_wins_over_detection(tmp_path):
    path = write(tmp_path / "d.csv", "a;b,c\n1;2,3\n4;5,6\n")
    assert read_table(path, delimiter=";").names == ["a", "b,c"]
    assert read_table(path, delimiter=",").names == ["a;b", "c"]


def test_messy_file_equals_pandas(tmp_path):
    frame = messy_frame("breast_cancer")
    write_messy_csv(frame, tmp_path / "m.csv")
    t = read_table(tmp_path / "m.csv")
    assert t.names == list(frame.columns) and t.m == len(frame)
    for name in frame.columns:
        expected = frame[name]
        if expected.dtype.kind == "f":
            np.testing.assert_array_equal(t[name], expected.to_numpy())  # the same float64, NaN where missing
        else:
            assert t[name].tolist() == [None if v is None or v != v else str(v) for v in expected]


def test_parquet_copy_reads_the_same(tmp_path):
    pytest.importorskip("pyarrow", reason="Parquet files need pyarrow: install layerwise[cli]")
    frame = messy_frame("wine")
    write_messy_csv(frame, tmp_path / "w.csv")
    frame.to_parquet(tmp_path / "w.parquet", index=False)
    a, b = read_table(tmp_path / "w.csv"), read_table(tmp_path / "w.parquet")
    assert a.names == b.names
    for x, y in zip(a.columns, b.columns, strict=True):
        assert x.dtype == y.dtype
        if x.dtype.kind == "f":
            np.testing.assert_array_equal(x, y)
        else:
            assert x.tolist() == y.tolist()


def test_parquet_integer_columns_with_nulls_and_bad_options(tmp_path):
    pytest.importorskip("pyarrow", reason="Parquet files need pyarrow: install layerwise[cli]")
    pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64"), "s": ["a", None, "c"]}).to_parquet(tmp_path / "p.parquet")
    t = read_table(tmp_path / "p.parquet")
    np.testing.assert_array_equal(t["n"], [1.0, np.nan, 3.0])
    assert t["s"].tolist() == ["a", None, "c"]
    with pytest.raises(ValueError, match="apply to CSV"):
        read_table(tmp_path / "p.parquet", delimiter=";")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(ValueError, match=r"bad.parquet: not a readable Parquet file"):
        read_table(tmp_path / "bad.parquet")


def test_types_are_decided_from_the_first_rows_then_read_typed(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "INFER_ROWS", 3)
    monkeypatch.setattr(tables, "CHUNK_ROWS", 2)
    rows = [f"{i},{'' if i < 4 else i},{'' if i < 4 else 'c' + str(i % 2)}" for i in range(9)]
    t = read_table(write(tmp_path / "t.csv", "a,late_number,late_text\n" + "\n".join(rows) + "\n"))
    np.testing.assert_array_equal(t["a"], np.arange(9.0))
    np.testing.assert_array_equal(t["late_number"], [np.nan] * 4 + [4.0, 5, 6, 7, 8])
    assert t["late_text"].tolist() == [None] * 4 + ["c0", "c1", "c0", "c1", "c0"]
    # a numeric column (in its first rows) with a word later: the error names the row and column
    bad = write(tmp_path / "bad.csv", "a,b\n" + "".join(f"{i},{i}\n" for i in range(6)) + "7,seven\n8,8\n")
    with pytest.raises(ValueError, match=r"bad.csv: row 8, column 'b': 'seven' is not a number"):
        read_table(bad)


def test_forced_types(tmp_path):
    path = write(tmp_path / "f.csv", "code,x\n01,1\n02,2\n01,3\n")
    t = read_table(path, text=["code"], numeric=["x"])
    assert t["code"].tolist() == ["01", "02", "01"]  # kept as written, not 1.0
    assert read_table(path).is_numeric("code")


@pytest.mark.parametrize(
    "text, message",
    [
        ("", r"is empty; a header row"),
        ("1,2,3\n4,5,6\n", r"the first row must be a header"),
        ("a,b,a\n1,2,3\n", r"the column name 'a' appears twice"),
        ("a,b\n", r"has a header but no rows"),
        ("a,b\n1,2\n3,4,5\n", r"row 3 has 3 cells, the header 2"),
        ("a,b,c\n1,2,3\n4,5\n", r"row 3 has 2 cells, the header 3"),  # pandas alone would fill a missing cell
        ("a;b;c\r\n1;2;3\r\n\r\n4;5\r\n", r"row 4 has 2 cells, the header 3"),  # blank lines are rows of nothing
    ],
)
def test_bad_files_name_file_and_row(tmp_path, text, message):
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(ValueError, match=message) as info:
        read_table(path)
    assert "bad.csv" in str(info.value)


def test_missing_file_and_unknown_column(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv: no such file"):
        read_table(tmp_path / "nope.csv")
    path = write(tmp_path / "ok.csv", "a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"no column 'c'; the columns are \['a', 'b'\]"):
        read_table(path, usecols=["c"])
    assert read_table(path, usecols=["b"]).names == ["b"]
    with pytest.raises(ValueError, match="unknown encoding 'klingon'"):
        read_table(path, encoding="klingon")


def test_wrong_encoding_is_named(tmp_path):
    path = write(tmp_path / "l.csv", "x,ville\n1,Besançon\n", "cp1252")
    with pytest.raises(ValueError, match=r"l.csv: not valid utf-8 text"):
        read_table(path, encoding="utf-8")


def test_standard_input(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a;b\r\n1;x\r\n2;y\r\n")))
    t = read_table("-")
    assert t.names == ["a", "b"] and t["b"].tolist() == ["x", "y"]


def test_numeric_columns_share_one_block(tmp_path):
    path = write(tmp_path / "n.csv", "a,s,b,c\n1,x,2,3\n4,y,5,6\n")
    t = read_table(path)
    base = t["a"].base
    assert base is not None and base.shape == (3, 2) and base.flags.c_contiguous
    assert all(np.shares_memory(t[n], base) for n in "abc")


def test_table_checks_its_columns():
    with pytest.raises(ValueError, match="appears twice"):
        Table(["a", "a"], [np.zeros(2), np.zeros(2)])
    with pytest.raises(ValueError, match="has 3 rows"):
        Table(["a", "b"], [np.zeros(2), np.zeros(3)])
    with pytest.raises(KeyError, match=r"no column 'z'"):
        Table(["a"], [np.zeros(2)])["z"]


def test_as_table_from_a_dataframe_and_a_mapping():
    from layerwise.data.tables import as_table

    frame = pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64"), "f": [0.5, np.nan, 2.0], "s": ["a", None, "c"], "b": [True, False, True]})
    t = as_table(frame)
    np.testing.assert_array_equal(t["n"], [1.0, np.nan, 3.0])
    np.testing.assert_array_equal(t["f"], [0.5, np.nan, 2.0])
    assert t["s"].tolist() == ["a", None, "c"] and t["b"].tolist() == ["True", "False", "True"]  # booleans are categories
    t = as_table({"x": [1, None, 2.5], "k": np.array(["u", "v", None], dtype=object), "i": np.arange(3)})
    np.testing.assert_array_equal(t["x"], [1.0, np.nan, 2.5])  # numbers with a hole stay numbers
    assert t["k"].tolist() == ["u", "v", None] and t["i"].dtype == np.float64
    assert as_table(t) is t
    with pytest.raises(TypeError, match="expected a pandas DataFrame, a Table or a mapping"):
        as_table([[1, 2]])
    with pytest.raises(ValueError, match=r"column 'x' has shape \(2, 2\)"):
        as_table({"x": np.zeros((2, 2))})


def test_a_written_index_column_is_named_as_pandas_names_it(tmp_path):
    pd.DataFrame({"x": [0.5, 1.5, 2.5], "y": ["a", "b", "a"]}).to_csv(tmp_path / "i.csv")  # index=True
    t = read_table(tmp_path / "i.csv")
    assert t.names == ["Unnamed: 0", "x", "y"]
    np.testing.assert_array_equal(t["Unnamed: 0"], [0.0, 1.0, 2.0])


def test_short_rows_are_found_across_reads(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "SCAN_BYTES", 7)  # lines cut at every read
    rows = "".join(f"{i},{i + 1},{i + 2}\n" for i in range(40))
    path = write(tmp_path / "s.csv", "a,b,c\n" + rows + "7,8\n" + rows)
    with pytest.raises(ValueError, match=r"row 42 has 2 cells, the header 3"):
        read_table(path)
    assert read_table(write(tmp_path / "ok.csv", "a,b,c\n" + rows + "1,2,3")).m == 41  # no line end at the end
    # after a quote, a line end may sit inside a field: rows are not counted by delimiters there
    assert read_table(write(tmp_path / "q.csv", 'a,b,c\n1,"x\ny",3\n4,5,6\n')).m == 2


def test_feature_rows_view_the_block_and_rows_keep_it(tmp_path):
    from layerwise.data.tables import feature_rows

    t = read_table(write(tmp_path / "n.csv", "a,b,s,c,y\n1,2,x,3,0\n4,5,y,6,1\n7,8,z,9,0\n"))
    X = feature_rows(t, ["a", "b", "c"])
    assert np.shares_memory(X, t["a"]) and X.tolist() == [[1, 4, 7], [2, 5, 8], [3, 6, 9]]  # no copy of a big file
    part = t.rows(np.array([2, 0]))
    assert part["a"].base is part["y"].base and part["c"].tolist() == [9.0, 3.0] and part["s"].tolist() == ["z", "x"]
    R = feature_rows(part, ["a", "s"], categorical=["s"])
    assert R.dtype == object and R.tolist() == [[7.0, 1.0], ["z", "x"]]
    with pytest.raises(ValueError, match=r"column 's', example 0: 'x' is not a number"):
        feature_rows(t, ["a", "s"])
