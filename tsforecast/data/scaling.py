"""Per-series, per-column scalers fitted on the training segment only.

scikit-learn does the fitting (``StandardScaler`` and ``MaxAbsScaler`` with chunked
``partial_fit`` so a long series is never copied to float64 at once, ``RobustScaler``).
Its scalers compute each column's statistics on its own, so series of the same training
length are fitted together, side by side as the columns of one array: a panel of 100k
short series costs one call per distinct length (about a thousand on M4-shaped panels)
instead of 100k calls of scikit-learn's ~1 ms input checks each. What is kept is a pair
of ``loc``/``scale`` arrays per series, applied lazily to each batch and saved as plain
numbers. Once fitted, a scaler is read-only: validation, test and new histories are
transformed with the training statistics.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.preprocessing import MaxAbsScaler, RobustScaler, StandardScaler

SCALERS = ("standard", "robust", "maxabs", "none")
#: The scalers that only divide (their ``loc`` is 0): ratios of scaled values, and so
#: scale-free errors such as sMAPE, are those of the original values.
UNSHIFTED_SCALERS = ("maxabs", "none")
_CHUNK = 200_000  # rows per partial_fit: bounds the float64 temporaries


class SeriesScaler:
    """Scale each column of each series with statistics from its training rows.

    Parameters
    ----------
    method : {"standard", "robust", "maxabs", "none"}
        ``"standard"`` (z-score), ``"robust"`` (median / IQR), ``"maxabs"`` (divide by
        the largest absolute value, no centring: errors become relative to the series'
        level, as in sMAPE / MAPE-like scores of many series) or ``"none"``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(10, dtype=np.float32).reshape(5, 2)
    >>> sc = SeriesScaler("standard").fit(["a"], [x], train_ends=[3])
    >>> sc.transform(x[:3], "a").mean(axis=0).round(6).tolist()
    [0.0, 0.0]
    """

    def __init__(self, method: str = "standard"):
        if method not in SCALERS:
            raise ValueError(f"scaler must be one of {SCALERS}, got {method!r}")
        self.method = method
        self.loc_: dict[str, np.ndarray] = {}
        self.scale_: dict[str, np.ndarray] = {}

    def fit(
        self, ids: Sequence[str], arrays: Sequence[np.ndarray], train_ends: Sequence[int]
    ) -> SeriesScaler:
        """Fit one scaler per series on ``array[:train_end]`` (series of equal training
        length and width together, each of their columns on its own)."""
        groups: dict[tuple[int, int], list[int]] = {}
        ids = list(ids)
        for k, (sid, arr, end) in enumerate(zip(ids, arrays, train_ends, strict=True)):
            if end < 1:
                raise ValueError(f"series {sid!r}: no training rows to fit the scaler on")
            groups.setdefault((min(int(end), len(arr)), arr.shape[1]), []).append(k)
        for (end, width), members in groups.items():
            block = (arrays[members[0]][:end] if len(members) == 1 else
                     np.concatenate([arrays[k][:end] for k in members], axis=1))
            loc, scale = self._fit_one(block)  # [len(members) * width]
            for j, k in enumerate(members):
                cols = slice(j * width, (j + 1) * width)
                self.loc_[ids[k]], self.scale_[ids[k]] = loc[cols], scale[cols]
        return self

    def _fit_one(self, train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n_cols = train.shape[1]
        if self.method == "none":
            return np.zeros(n_cols, np.float32), np.ones(n_cols, np.float32)
        if self.method in ("standard", "maxabs"):
            sk = StandardScaler() if self.method == "standard" else MaxAbsScaler()
            for start in range(0, len(train), _CHUNK):
                sk.partial_fit(train[start : start + _CHUNK])
            loc = sk.mean_ if self.method == "standard" else np.zeros(n_cols)
        else:
            sk = RobustScaler().fit(train)
            loc = sk.center_
        scale = np.where(np.isfinite(sk.scale_) & (sk.scale_ > 0), sk.scale_, 1.0)
        return loc.astype(np.float32), scale.astype(np.float32)

    def has(self, sid: str) -> bool:
        return sid in self.loc_

    def params(self, sid: str) -> tuple[np.ndarray, np.ndarray]:
        if sid not in self.loc_:
            raise ValueError(f"no scaler fitted for series {sid!r}; known: {list(self.loc_)}")
        return self.loc_[sid], self.scale_[sid]

    def params_or_fit(
        self, sid: str, values: np.ndarray, end: int, reuse_single: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Statistics for ``sid``, also for a series never seen at fit.

        A known series gets its own; an unknown one gets the only fitted series' when
        ``reuse_single`` (a new history of a single-series model), else statistics fitted
        on its own rows ``values[:end]`` (history before the first forecast origin only).
        """
        if self.has(sid):
            return self.params(sid)
        if reuse_single and len(self.loc_) == 1:
            only = next(iter(self.loc_))
            return self.loc_[only], self.scale_[only]
        return SeriesScaler(self.method).fit([sid], [values], [end]).params(sid)

    def transform(self, x: np.ndarray, sid: str, cols: slice = slice(None)) -> np.ndarray:
        loc, scale = self.params(sid)
        return ((x - loc[cols]) / scale[cols]).astype(np.float32, copy=False)

    def inverse_transform(self, x: np.ndarray, sid: str, cols: slice = slice(None)) -> np.ndarray:
        """Back to original units; ``x``'s last axis holds the columns ``cols``."""
        loc, scale = self.params(sid)
        return x * scale[cols] + loc[cols]

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "loc": {k: v.tolist() for k, v in self.loc_.items()},
            "scale": {k: v.tolist() for k, v in self.scale_.items()},
        }

    @classmethod
    def from_dict(cls, d: dict) -> SeriesScaler:
        sc = cls(d["method"])
        sc.loc_ = {k: np.asarray(v, np.float32) for k, v in d["loc"].items()}
        sc.scale_ = {k: np.asarray(v, np.float32) for k, v in d["scale"].items()}
        return sc
