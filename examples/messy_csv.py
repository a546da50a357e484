"""A messy CSV file made from one of scikit-learn's bundled data sets, as people have them.

    python examples/messy_csv.py patients.csv                 # breast cancer, 569 rows
    python examples/messy_csv.py wine.csv --data wine --parquet
    python examples/messy_csv.py new_patients.csv --new 20       # rows to predict, no label

An identifier column ``id``, string labels in ``label`` (the last column), categorical columns
made by binning the first features into "low" .. "very high", 5 % of the feature cells empty,
written with a semicolon delimiter, a UTF-8 byte-order mark and Windows line endings (and,
with ``--parquet``, a Parquet copy beside it). The tests use the same files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

BINS = ("low", "mid", "high", "very high")


def messy_frame(name: str = "breast_cancer", *, n_categorical: int = 2, missing: float = 0.05, seed: int = 0):
    """A pandas DataFrame: ``id``, the data set's features (the first ``n_categorical`` binned into
    quartile names), 5 % of feature cells missing, and ``label`` last (class names, or the target)."""
    pd = __import__("pandas")
    from sklearn import datasets as skd

    bunch = getattr(skd, f"load_{name}")(as_frame=True)
    frame = bunch.data.copy()
    rng = np.random.default_rng(seed)
    for col in frame.columns[:n_categorical]:
        codes = pd.qcut(frame[col], len(BINS), labels=False, duplicates="drop").to_numpy()
        frame[col] = np.array(BINS, dtype=object)[codes.astype(int)]
        frame = frame.rename(columns={col: f"{col} band"})
    for col in frame.columns:
        holes = rng.random(len(frame)) < missing
        frame[col] = frame[col].astype(object).where(~holes, None) if frame[col].dtype == object else frame[col].mask(holes)
    if hasattr(bunch, "target_names") and name != "diabetes":
        label = np.asarray(bunch.target_names)[bunch.target.to_numpy()]
    else:
        label = bunch.target.to_numpy()
    frame.insert(0, "id", [f"P{1000 + i}" for i in range(len(frame))])
    frame["label"] = label
    return frame


def write_messy_csv(frame, path, *, sep: str = ";", bom: bool = True, crlf: bool = True) -> None:
    """``frame`` as a CSV file: ``sep``-separated, optionally with a UTF-8 BOM and CRLF line ends."""
    text = frame.to_csv(index=False, sep=sep, lineterminator="\r\n" if crlf else "\n")
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))


def new_rows(frame, n: int = 20, seed: int = 3):
    """Rows to predict: ``n`` rows of ``frame`` without the label, the first 3 of its first
    categorical column set to a category never seen ("off the scale"), 3 more cells emptied."""
    rows = frame.drop(columns=["label"]).sample(n, random_state=seed).reset_index(drop=True)
    band = next(c for c in rows.columns if c.endswith(" band"))
    rows.loc[:2, band] = "off the scale"
    rows.loc[3:5, rows.columns[-1]] = np.nan
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the CSV file to write")
    parser.add_argument("--data", default="breast_cancer", help="breast_cancer, wine, iris or diabetes [default: breast_cancer]")
    parser.add_argument("--seed", type=int, default=0, help="which cells are emptied [default: 0]")
    parser.add_argument("--parquet", action="store_true", help="also write OUT with the suffix .parquet")
    parser.add_argument("--new", type=int, metavar="N", help="instead: N rows to predict (no label, an unseen category), comma-separated")
    args = parser.parse_args(argv)
    frame = messy_frame(args.data, seed=args.seed)
    if args.new:
        new_rows(frame, args.new).to_csv(args.out, index=False)
        return
    write_messy_csv(frame, args.out)
    if args.parquet:
        frame.to_parquet(args.out.with_suffix(".parquet"), index=False)


if __name__ == "__main__":
    main()
