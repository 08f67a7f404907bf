"""Forecast accuracy metrics: point, scaled, interval and directional.

All metrics take array-likes of matching shape and return a Python ``float``.

NaN handling
------------
Every function ignores positions where *any* of its array inputs is NaN (like
``np.nanmean``): a missing actual or a missing forecast simply drops that
position. If no position is left, a ``ValueError`` is raised. Empty inputs and
inputs whose shapes differ also raise ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..constraints import check_int

__all__ = [
    "METRICS",
    "VALID_METRICS",
    "coverage",
    "directional_accuracy",
    "mae",
    "mape",
    "mase",
    "mse",
    "naive_scale",
    "pinball",
    "rmse",
    "skill",
    "smape",
]


# --------------------------------------------------------------------------- helpers


def _aligned(*named: tuple[str, ArrayLike]) -> list[np.ndarray]:
    """Return the inputs as float arrays with NaN positions (in any input) removed.

    Raises ``ValueError`` on a shape mismatch (naming both shapes), on empty
    input, and when every position holds a NaN somewhere.
    """
    arrays = [np.asarray(a, dtype=float) for _, a in named]
    first_name, first = named[0][0], arrays[0]
    for (name, _), arr in zip(named[1:], arrays[1:], strict=True):
        if arr.shape != first.shape:
            raise ValueError(
                f"shape mismatch: {first_name} has shape {first.shape} "
                f"but {name} has shape {arr.shape}"
            )
    if first.size == 0:
        raise ValueError(f"empty input: {', '.join(n for n, _ in named)} have no values")
    keep = ~np.logical_or.reduce([np.isnan(a) for a in arrays])
    if not np.any(keep):
        raise ValueError(
            f"no valid positions: every position is NaN in at least one of "
            f"{', '.join(n for n, _ in named)}"
        )
    return [a[keep] for a in arrays]


def _check_positive_int(value: Any, name: str) -> int:
    return check_int(name, value, 1)


def naive_scale(y_train: ArrayLike, season: int) -> float:
    """In-sample MAE of the seasonal naive forecast ``y[t] = y[t - season]``."""
    season = _check_positive_int(season, "season")
    train = np.asarray(y_train, dtype=float)
    if train.ndim != 1:
        raise ValueError(f"y_train must be 1-D, got shape {train.shape}")
    if train.size < season + 1:
        raise ValueError(
            f"y_train has {train.size} values but season={season} needs at least "
            f"{season + 1} (season + 1)"
        )
    diffs = np.abs(train[season:] - train[:-season])
    diffs = diffs[~np.isnan(diffs)]
    if diffs.size == 0:
        raise ValueError(f"y_train has no pair of non-NaN values {season} step(s) apart")
    scale = float(np.mean(diffs))
    if scale == 0:
        raise ValueError(
            "MASE is undefined: the seasonal naive forecast is exact on y_train "
            f"(scale 0), i.e. y_train is constant (or periodic with period season={season})"
        )
    return scale


# --------------------------------------------------------------------------- point metrics


def mae(y: ArrayLike, y_hat: ArrayLike) -> float:
    """Mean absolute error, ``mean(|y - y_hat|)``.

    Positions where ``y`` or ``y_hat`` is NaN are ignored.

    Parameters
    ----------
    y, y_hat : array_like
        Actuals and forecasts, same shape.

    Returns
    -------
    float

    Examples
    --------
    >>> mae([1, 2, 3], [2, 2, 5])
    1.0
    """
    y, y_hat = _aligned(("y", y), ("y_hat", y_hat))
    return float(np.mean(np.abs(y - y_hat)))


def mse(y: ArrayLike, y_hat: ArrayLike) -> float:
    """Mean squared error, ``mean((y - y_hat)**2)``.

    Positions where ``y`` or ``y_hat`` is NaN are ignored.

    Parameters
    ----------
    y, y_hat : array_like
        Actuals and forecasts, same shape.

    Returns
    -------
    float

    Examples
    --------
    >>> mse([1, 2, 3], [2, 2, 5])
    1.6666666666666667
    """
    y, y_hat = _aligned(("y", y), ("y_hat", y_hat))
    return float(np.mean((y - y_hat) ** 2))


def rmse(y: ArrayLike, y_hat: ArrayLike) -> float:
    """Root mean squared error, ``sqrt(mse(y, y_hat))``.

    Positions where ``y`` or ``y_hat`` is NaN are ignored.

    Parameters
    ----------
    y, y_hat : array_like
        Actuals and forecasts, same shape.

    Returns
    -------
    float

    Examples
    --------
    >>> rmse([0, 0], [3, -3])
    3.0
    """
    return float(np.sqrt(mse(y, y_hat)))


def mape(y: ArrayLike, y_hat: ArrayLike) -> float:
    """Mean absolute percentage error in percent, ``100 * mean(|y - y_hat| / |y|)``.

    Positions where ``y`` or ``y_hat`` is NaN are ignored.

    Parameters
    ----------
    y, y_hat : array_like
        Actuals and forecasts, same shape.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If any (non-NaN) actual is zero: MAPE is undefined there, so instead of
        returning inf/NaN the error says how many zero actuals there are. Use
        :func:`smape` or :func:`mase` for series that touch zero.

    Examples
    --------
    >>> mape([100, 200], [110, 180])
    10.0
    """
    y, y_hat = _aligned(("y", y), ("y_hat", y_hat))
    n_zero = int(np.count_nonzero(y == 0))
    if n_zero:
        raise ValueError(
            f"MAPE is undefined: y contains {n_zero} zero actual(s); use smape or mase instead"
        )
    return float(100.0 * np.mean(np.abs((y - y_hat) / y)))


def smape(y: ArrayLike, y_hat: ArrayLike) -> float:
    """Symmetric MAPE in percent, ``mean(200 * |y - y_hat| / (|y| + |y_hat|))``.

    The result lies in ``[0, 200]``. Terms where ``y == y_hat == 0`` (0/0) count
    as 0 (a perfect forecast). Positions where ``y`` or ``y_hat`` is NaN are ignored.

    Parameters
    ----------
    y, y_hat : array_like
        Actuals and forecasts, same shape.

    Returns
    -------
    float

    Examples
    --------
    >>> smape([1, 0, 0], [3, 0, 2])
    100.0
    """
    y, y_hat = _aligned(("y", y), ("y_hat", y_hat))
    denom = np.abs(y) + np.abs(y_hat)
    num = np.abs(y - y_hat)
    safe = np.where(denom == 0, 1.0, denom)
    # ratio first: num <= denom, so the ratio is <= 1 even for subnormal inputs
    terms = np.where(denom == 0, 0.0, 200.0 * (num / safe))
    return float(np.mean(terms))


def mase(y: ArrayLike, y_hat: ArrayLike, y_train: ArrayLike, season: int = 1) -> float:
    """Mean absolute scaled error (Hyndman & Koehler, 2006).

    ``mae(y, y_hat)`` divided by the in-sample MAE of the seasonal naive forecast
    ``y_train[t - season]`` on ``y_train``. Values below 1 beat the in-sample naive
    forecast. NaN positions are ignored both in the forecast errors and in the
    naive differences of ``y_train``.

    Parameters
    ----------
    y, y_hat : array_like
        Actuals and forecasts, same shape.
    y_train : 1-D array_like
        Training series used for the scale.
    season : int, default 1
        Seasonal period of the naive forecast (1 = random walk).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``y_train`` has fewer than ``season + 1`` values, or if the scale is 0
        (``y_train`` constant, or exactly periodic with period ``season``): the
        naive forecast is then perfect in-sample and MASE is undefined.

    Examples
    --------
    >>> mase([5, 6], [4, 6], y_train=[1, 3, 2, 4])  # MAE 0.5 / naive MAE 5/3
    0.3
    """
    scale = naive_scale(y_train, season)
    return mae(y, y_hat) / scale


def pinball(y: ArrayLike, q_hat: ArrayLike, q: float) -> float:
    """Mean pinball (quantile) loss of a forecast ``q_hat`` of quantile ``q``.

    Per position the loss is ``q * (y - q_hat)`` if ``y >= q_hat`` and
    ``(1 - q) * (q_hat - y)`` otherwise. At ``q = 0.5`` it equals ``mae / 2``.
    Positions where ``y`` or ``q_hat`` is NaN are ignored.

    Parameters
    ----------
    y, q_hat : array_like
        Actuals and quantile forecasts, same shape.
    q : float
        Quantile level, strictly between 0 and 1.

    Returns
    -------
    float

    Examples
    --------
    >>> pinball([10, 10], [8, 12], q=0.9)  # (0.9*2 + 0.1*2) / 2
    1.0
    """
    q = float(q)
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must be strictly between 0 and 1, got {q}")
    y, q_hat = _aligned(("y", y), ("q_hat", q_hat))
    diff = y - q_hat
    return float(np.mean(np.maximum(q * diff, (q - 1.0) * diff)))


def coverage(y: ArrayLike, lo: ArrayLike, hi: ArrayLike) -> float:
    """Fraction of actuals inside the closed interval ``[lo, hi]``.

    Positions where ``y``, ``lo`` or ``hi`` is NaN are ignored.

    Parameters
    ----------
    y, lo, hi : array_like
        Actuals and interval bounds, same shape.

    Returns
    -------
    float
        In ``[0, 1]``.

    Raises
    ------
    ValueError
        If ``lo > hi`` anywhere.

    Examples
    --------
    >>> coverage([1, 5, 9, 3], lo=[0, 0, 0, 3], hi=[2, 4, 10, 4])
    0.75
    """
    y, lo, hi = _aligned(("y", y), ("lo", lo), ("hi", hi))
    n_bad = int(np.count_nonzero(lo > hi))
    if n_bad:
        raise ValueError(f"lo > hi at {n_bad} position(s)")
    return float(np.mean((y >= lo) & (y <= hi)))


def skill(metric_model: float, metric_naive: float) -> float:
    """Skill score ``1 - metric_model / metric_naive`` for a lower-is-better metric.

    Positive means better than the naive benchmark, 0 equal, negative worse.

    Parameters
    ----------
    metric_model, metric_naive : float
        The same (non-negative, lower-is-better) metric for the model and the benchmark.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``metric_naive`` is 0 (the ratio is undefined).

    Examples
    --------
    >>> skill(0.8, 1.0)
    0.19999999999999996
    """
    model, naive = float(metric_model), float(metric_naive)
    if naive == 0:
        raise ValueError("skill is undefined: the naive metric is 0")
    return 1.0 - model / naive


def directional_accuracy(y: ArrayLike, y_hat: ArrayLike, y_last: ArrayLike) -> float:
    """Fraction of steps where the forecast gets the direction of change right.

    A step counts as correct when ``sign(y - y_last) == sign(y_hat - y_last)``,
    where ``y_last`` is the last observed value at the forecast origin (broadcast
    to the shape of ``y``, e.g. a scalar for one forecast path). Steps whose
    actual change is zero (ties) are excluded; a forecast of "no change" when the
    actual moved counts as wrong. Positions where ``y``, ``y_hat`` or ``y_last``
    is NaN are ignored.

    Parameters
    ----------
    y, y_hat : array_like
        Actuals and forecasts, same shape.
    y_last : array_like or float
        Last observed value(s) at the forecast origin, broadcastable to ``y``.

    Returns
    -------
    float
        In ``[0, 1]``.

    Raises
    ------
    ValueError
        If every remaining actual change is zero.

    Examples
    --------
    >>> directional_accuracy([11, 9, 10, 12], [12, 11, 9, 10.5], y_last=10)  # tie dropped
    0.6666666666666666
    """
    y_arr = np.asarray(y, dtype=float)
    try:
        last = np.broadcast_to(np.asarray(y_last, dtype=float), y_arr.shape)
    except ValueError as err:
        raise ValueError(
            f"y_last with shape {np.shape(y_last)} cannot be broadcast to the shape of y "
            f"{y_arr.shape}"
        ) from err
    y_arr, y_hat_arr, last = _aligned(("y", y_arr), ("y_hat", y_hat), ("y_last", last))
    actual = np.sign(y_arr - last)
    predicted = np.sign(y_hat_arr - last)
    moved = actual != 0
    if not np.any(moved):
        raise ValueError("directional accuracy is undefined: every actual change is zero")
    return float(np.mean(predicted[moved] == actual[moved]))


METRICS: dict[str, Callable[[ArrayLike, ArrayLike], float]] = {
    "mae": mae,
    "mse": mse,
    "rmse": rmse,
    "mape": mape,
    "smape": smape,
}
"""Point metrics with signature ``f(y, y_hat) -> float``, by name."""

VALID_METRICS: tuple[str, ...] = (*METRICS, "mase", "pinball", "coverage")
"""Every metric name :func:`evaluate` accepts."""
