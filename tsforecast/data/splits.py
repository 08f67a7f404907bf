"""Chronological splits and window arithmetic (no torch): which rows belong where.

A window with origin ``t`` reads inputs ``[t - lookback, t)`` and targets
``[t, t + horizon)``. For a segment ``[start, end)`` the origins satisfy
``t >= max(start, lookback)`` and ``t + horizon <= end``: inputs may look back into the
previous segment (as the long-horizon papers do) but no target step is ever shared
between segments.
"""

from __future__ import annotations

from numbers import Integral

import pandas as pd

from ..constraints import Interval, check_int, check_param

__all__ = [
    "SEGMENTS", "check_min_context", "check_sizes", "count_windows", "segment_bounds",
    "split_borders",
]

SEGMENTS = ("train", "val", "test")


def check_sizes(lookback: int, horizon: int, stride: int = 1) -> None:
    """Raise a ValueError naming any of lookback / horizon / stride that is not >= 1."""
    for name, value in (("lookback", lookback), ("horizon", horizon), ("stride", stride)):
        check_int(name, value, 1)


def check_min_context(min_context, lookback: int) -> int:
    """``min_context`` as an int (``None``: ``lookback``, no padding); a ValueError naming
    it unless it is an integer in ``[1, lookback]``."""
    if min_context is None:
        return int(lookback)
    check_param("min_context", min_context,
                (None, Interval(Integral, 1, lookback, closed="both")))
    return int(min_context)


def split_borders(index: pd.Index, split) -> tuple[int, int]:
    """Positions ``(val_start, test_start)`` of a chronological train/val/test split.

    ``split`` is either fractions ``(train, val, test)`` summing to 1 — the test and
    train sizes are ``int(n * frac)`` and validation takes the rest, as in the
    long-horizon papers' code — or two timestamps ``(val_start, test_start)``: the first
    rows at or after each.

    Examples
    --------
    >>> split_borders(pd.RangeIndex(100), (0.7, 0.1, 0.2))
    (70, 80)
    """
    n = len(index)
    if len(split) == 3 and all(isinstance(f, float | int) for f in split):
        fr = [float(f) for f in split]
        if min(fr) < 0 or abs(sum(fr) - 1.0) > 1e-6:
            raise ValueError(f"split fractions must be >= 0 and sum to 1, got {tuple(split)}")
        n_train, n_test = int(n * fr[0]), int(n * fr[2])
        return n_train, n - n_test
    if len(split) == 2:
        if not isinstance(index, pd.DatetimeIndex):
            raise ValueError("a split by timestamps needs a DatetimeIndex")
        val_start, test_start = (pd.Timestamp(t) for t in split)
        if test_start < val_start:
            raise ValueError(f"test start {test_start} is before validation start {val_start}")
        return int(index.searchsorted(val_start)), int(index.searchsorted(test_start))
    raise ValueError(
        "split must be fractions (train, val, test) or timestamps (val_start, test_start), "
        f"got {split!r}"
    )


def segment_bounds(n: int, borders: tuple[int, int], segment: str) -> tuple[int, int]:
    """``[start, end)`` rows whose targets belong to ``segment``."""
    if segment not in SEGMENTS:
        raise ValueError(f"segment must be one of {SEGMENTS}, got {segment!r}")
    val_start, test_start = borders
    return {"train": (0, val_start), "val": (val_start, test_start), "test": (test_start, n)}[
        segment
    ]


def count_windows(start: int, end: int, lookback: int, horizon: int, stride: int) -> int:
    """Number of windows whose targets lie in ``[start, end)``."""
    first, last = max(start, lookback), end - horizon
    return 0 if last < first else (last - first) // stride + 1
