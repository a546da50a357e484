"""Messy tabular files made from scikit-learn's bundled data sets, as users have them.

An identifier column, string labels, categorical columns made by binning features, 5 % of
feature cells missing, and the CSV written with a semicolon, a UTF-8 byte-order mark and
Windows line endings (plus a Parquet copy).
"""

from __future__ import annotations

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
        frame[col] = pd.qcut(frame[col], len(BINS), labels=list(BINS), duplicates="drop").astype(object)
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
