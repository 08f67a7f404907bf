"""Probabilistic scores: interval width, the Winkler (interval) score, CRPS.

Like every metric here they ignore positions where an input is NaN, and take the
interval bounds or quantiles as the forecasts give them (coverage and pinball live in
:mod:`.metrics`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .metrics import _aligned

__all__ = ["crps_from_quantiles", "interval_width", "msis", "winkler_score"]


def interval_width(lo: ArrayLike, hi: ArrayLike) -> float:
    """Mean width ``hi - lo`` of prediction intervals.

    Examples
    --------
    >>> interval_width([0, 1], [2, 5])
    3.0
    """
    lo, hi = _aligned(("lo", lo), ("hi", hi))
    if np.any(lo > hi):
        raise ValueError(f"lo > hi at {int(np.count_nonzero(lo > hi))} position(s)")
    return float(np.mean(hi - lo))


def winkler_score(y: ArrayLike, lo: ArrayLike, hi: ArrayLike, level: float) -> float:
    """Mean Winkler (interval) score of ``level``% intervals (Gneiting & Raftery 2007).

    Per position: the width ``hi - lo``, plus ``2/alpha`` times the distance by which ``y``
    falls outside, with ``alpha = 1 - level/100``. Lower is better; it rewards narrow
    intervals only as long as they cover.

    Examples
    --------
    >>> winkler_score([1.0, 5.0], [0.0, 0.0], [2.0, 4.0], level=80)  # 2, then 4 + 10 * 1
    8.0
    """
    return float(np.mean(_winkler_terms(y, lo, hi, level)))


def _winkler_terms(y: ArrayLike, lo: ArrayLike, hi: ArrayLike, level: float) -> np.ndarray:
    """The Winkler score of each (non-NaN) position."""
    level = float(level)
    if not 0 < level < 100:
        raise ValueError(f"level must be strictly between 0 and 100, got {level}")
    y, lo, hi = _aligned(("y", y), ("lo", lo), ("hi", hi))
    if np.any(lo > hi):
        raise ValueError(f"lo > hi at {int(np.count_nonzero(lo > hi))} position(s)")
    alpha = 1 - level / 100
    return (hi - lo) + (2 / alpha) * (np.maximum(lo - y, 0) + np.maximum(y - hi, 0))


def msis(y: ArrayLike, lo: ArrayLike, hi: ArrayLike, level: float, scale: float) -> float:
    """Mean scaled interval score of one series (the M4 competition's interval score):
    its mean Winkler score divided by ``scale``, the in-sample seasonal-naive MAE of its
    training part (:func:`~tsforecast.evaluation.naive_scale`), as MASE scales errors.

    Examples
    --------
    >>> msis([1.0, 5.0], [0.0, 0.0], [2.0, 4.0], level=80, scale=2.0)  # Winkler 8 / 2
    4.0
    """
    if not (isinstance(scale, int | float) and np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a finite number > 0, got {scale!r}")
    return float(np.mean(_winkler_terms(y, lo, hi, level)) / scale)


def crps_from_quantiles(y: ArrayLike, q_hat: ArrayLike, quantiles: ArrayLike) -> float:
    """CRPS approximated from quantile forecasts: twice the pinball loss averaged over the
    quantile levels (the quantile decomposition of the CRPS, Laio & Tamea 2007).

    ``y`` is ``[n]``, ``q_hat`` ``[n, Q]`` with one column per level in ``quantiles``.
    With the median alone it is the MAE; more levels approach the continuous CRPS.

    Examples
    --------
    >>> crps_from_quantiles([10.0], [[9.0, 10.0, 11.0]], [0.1, 0.5, 0.9])  # (0.2 + 0 + 0.2) / 3
    0.13333333333333333
    """
    qs = np.asarray(quantiles, dtype=np.float64)
    q_hat = np.asarray(q_hat, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if q_hat.ndim != 2 or q_hat.shape != (y.size, qs.size):
        raise ValueError(f"q_hat must be [n, Q] = [{y.size}, {qs.size}], got {list(q_hat.shape)}")
    if np.any((qs <= 0) | (qs >= 1)):
        raise ValueError(f"quantile levels must be in (0, 1), got {qs.tolist()}")
    keep = ~np.isnan(y) & ~np.isnan(q_hat).any(axis=1)
    if not keep.any():
        raise ValueError("no valid positions: every row has a NaN")
    diff = y[keep, None] - q_hat[keep]  # [n, Q]
    loss = np.maximum(qs * diff, (qs - 1) * diff)
    return float(2 * loss.mean())
