"""Forecast accuracy metrics, the Diebold-Mariano test and a tidy-frame evaluator.

All metrics take array-likes of matching shape and return a Python ``float``.

NaN handling
------------
Every function ignores positions where *any* of its array inputs is NaN (like
``np.nanmean``): a missing actual or a missing forecast simply drops that
position. If no position is left, a ``ValueError`` is raised. Empty inputs and
inputs whose shapes differ also raise ``ValueError``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

__all__ = [
    "METRICS",
    "VALID_METRICS",
    "coverage",
    "diebold_mariano",
    "directional_accuracy",
    "evaluate",
    "mae",
    "mape",
    "mase",
    "mse",
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
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _naive_scale(y_train: ArrayLike, season: int) -> float:
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
    y, y_hat : array-like
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
    y, y_hat : array-like
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
    y, y_hat : array-like
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
    y, y_hat : array-like
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
    y, y_hat : array-like
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
    y, y_hat : array-like
        Actuals and forecasts, same shape.
    y_train : array-like, 1-D
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
    scale = _naive_scale(y_train, season)
    return mae(y, y_hat) / scale


def pinball(y: ArrayLike, q_hat: ArrayLike, q: float) -> float:
    """Mean pinball (quantile) loss of a forecast ``q_hat`` of quantile ``q``.

    Per position the loss is ``q * (y - q_hat)`` if ``y >= q_hat`` and
    ``(1 - q) * (q_hat - y)`` otherwise. At ``q = 0.5`` it equals ``mae / 2``.
    Positions where ``y`` or ``q_hat`` is NaN are ignored.

    Parameters
    ----------
    y, q_hat : array-like
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
    y, lo, hi : array-like
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
    y, y_hat : array-like
        Actuals and forecasts, same shape.
    y_last : array-like or float
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


# --------------------------------------------------------------------------- DM test

_DM_LOSSES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mse": np.square,
    "mae": np.abs,
}


def diebold_mariano(
    e1: ArrayLike, e2: ArrayLike, horizon: int = 1, loss: str = "mse"
) -> tuple[float, float]:
    """Diebold-Mariano test of equal accuracy, with the HLN small-sample correction.

    With loss differential ``d_t = L(e1_t) - L(e2_t)`` (``n`` values, mean ``d̄``),
    autocovariances ``γ_k = (1/n) Σ_t (d_t - d̄)(d_{t-k} - d̄)`` and long-run
    variance ``V = γ_0 + 2 Σ_{k=1}^{h-1} γ_k``, the statistic is::

        DM  = d̄ / sqrt(V / n)
        DM* = DM * sqrt((n + 1 - 2h + h(h - 1)/n) / n)    # Harvey, Leybourne & Newbold (1997)

    and the two-sided p-value comes from Student's t with ``n - 1`` degrees of
    freedom. A **negative** statistic means ``e1`` has the lower loss.

    Pairs where ``e1`` or ``e2`` is NaN are dropped. If the loss differential is
    identically zero (e.g. identical errors) the forecasts are equally accurate
    and ``(0.0, 1.0)`` is returned.

    Parameters
    ----------
    e1, e2 : array-like, 1-D
        Forecast errors of the two competing forecasts, aligned in time.
    horizon : int, default 1
        Forecast horizon ``h``; autocovariances up to lag ``h - 1`` are used.
    loss : {"mse", "mae"}, default "mse"
        Squared or absolute error loss.

    Returns
    -------
    statistic : float
    p_value : float

    Raises
    ------
    ValueError
        If fewer than 2 pairs remain, ``horizon`` is not below that count, the
        differential is constant but non-zero (zero variance), or the long-run
        variance estimate is not positive (possible for ``horizon > 1``).

    Examples
    --------
    >>> stat, p = diebold_mariano([1, -2, 3, 0, 2], [0, 1, 1, -1, 1])
    >>> round(stat, 4), round(p, 4)
    (1.8708, 0.1347)
    """
    if loss not in _DM_LOSSES:
        raise ValueError(f"loss must be one of {sorted(_DM_LOSSES)}, got {loss!r}")
    horizon = _check_positive_int(horizon, "horizon")
    for name, e in (("e1", e1), ("e2", e2)):
        if np.ndim(e) != 1:
            raise ValueError(f"{name} must be 1-D, got shape {np.shape(e)}")
    e1_arr, e2_arr = _aligned(("e1", e1), ("e2", e2))
    d = _DM_LOSSES[loss](e1_arr) - _DM_LOSSES[loss](e2_arr)
    n = d.size
    if n < 2:
        raise ValueError(f"need at least 2 non-NaN error pairs, got {n}")
    if horizon >= n:
        raise ValueError(f"horizon={horizon} must be smaller than the number of pairs n={n}")
    if not np.any(d):
        return 0.0, 1.0
    if np.all(d == d[0]):
        raise ValueError(
            "loss differential is constant and non-zero (zero variance): the DM test is undefined"
        )
    dev = d - d.mean()
    gammas = [float(dev[k:] @ dev[: n - k]) / n for k in range(horizon)]
    lrv = gammas[0] + 2.0 * sum(gammas[1:])
    if lrv <= 0:
        raise ValueError(
            f"non-positive long-run variance estimate ({lrv:.3g}) with horizon={horizon}; "
            "try a smaller horizon or more data"
        )
    dm = d.mean() / np.sqrt(lrv / n)
    correction = np.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    statistic = float(correction * dm)
    p_value = float(2.0 * stats.t.sf(abs(statistic), df=n - 1))
    return statistic, p_value


# --------------------------------------------------------------------------- evaluate

_QUANTILE_COLUMN = re.compile(r"^q(\d*\.?\d+)$")


def _quantile_columns(frame: pd.DataFrame) -> dict[float, str]:
    """Map quantile level -> column name for columns named like ``q0.1``, sorted by level."""
    found: dict[float, str] = {}
    for col in frame.columns:
        match = _QUANTILE_COLUMN.match(col) if isinstance(col, str) else None
        if match and 0.0 < float(match.group(1)) < 1.0:
            found[float(match.group(1))] = col
    return dict(sorted(found.items()))


def _mase_scales(
    frame: pd.DataFrame, y_train: Mapping[Hashable, ArrayLike], season: int
) -> np.ndarray:
    """Per-row MASE scale, looked up by (series, target) first, then by series."""
    if "series" not in frame.columns:
        raise ValueError("MASE in evaluate() needs a 'series' column to look up y_train")
    pair_cols = ["series", "target"] if "target" in frame.columns else ["series"]
    scales = np.empty(len(frame))
    for key, positions in frame.groupby(pair_cols, sort=False, dropna=False).indices.items():
        key = key if isinstance(key, tuple) else (key,)
        series = key[0]
        if len(key) == 2 and key in y_train:
            train = y_train[key]
        elif series in y_train:
            train = y_train[series]
        else:
            raise ValueError(f"y_train has no entry for series {series!r} (key {key!r})")
        try:
            scales[positions] = _naive_scale(train, season)
        except ValueError as err:
            raise ValueError(f"MASE scale for {key!r}: {err}") from err
    return scales


def _group_metric(
    name: str, group: pd.DataFrame, scales: np.ndarray | None, quantiles: dict[float, str]
) -> float:
    y = group["y"].to_numpy(dtype=float)
    if name in METRICS:
        return METRICS[name](y, group["y_hat"].to_numpy(dtype=float))
    if name == "mase":
        assert scales is not None
        y_v, y_hat_v, scale_v = _aligned(
            ("y", y), ("y_hat", group["y_hat"].to_numpy(dtype=float)), ("scale", scales)
        )
        return float(np.mean(np.abs(y_v - y_hat_v) / scale_v))
    if name == "pinball":
        losses = [pinball(y, group[col].to_numpy(dtype=float), q) for q, col in quantiles.items()]
        return float(np.mean(losses))
    # coverage: outermost quantile pair
    levels = list(quantiles)
    lo, hi = quantiles[levels[0]], quantiles[levels[-1]]
    return coverage(y, group[lo].to_numpy(dtype=float), group[hi].to_numpy(dtype=float))


def evaluate(
    frame: pd.DataFrame,
    metrics: Sequence[str] = ("mae", "rmse", "smape", "mase"),
    y_train: Mapping[Hashable, ArrayLike] | None = None,
    by: Sequence[str] = ("model", "series", "target"),
    season: int = 1,
    per_step: bool = False,
) -> pd.DataFrame:
    """Turn a tidy forecast/backtest frame into a metric table.

    The frame has columns ``series, target, cutoff, timestamp, step, y, y_hat``,
    optionally ``model`` and quantile columns named ``q<level>`` (e.g. ``q0.1``,
    ``q0.9``). Rows are grouped by the columns of ``by`` that exist in the frame
    (plus ``step`` if ``per_step``) and each metric is computed per group, with
    NaN rows ignored as in the individual metric functions.

    * Point metrics (:data:`METRICS`) use ``y`` and ``y_hat``.
    * ``"mase"`` scales each row's absolute error by the naive in-sample MAE of its
      own training series (``y_train[(series, target)]``, else ``y_train[series]``)
      and averages, so it equals :func:`mase` within one series and stays
      comparable when a group pools several series.
    * ``"pinball"`` is the pinball loss averaged over all quantile columns.
    * ``"coverage"`` uses the outermost quantile pair (lowest and highest level)
      as the interval; its nominal level is their difference.

    Parameters
    ----------
    frame : pandas.DataFrame
        Tidy forecasts.
    metrics : sequence of str
        Metric names, any of :data:`VALID_METRICS`.
    y_train : mapping, optional
        Series (or ``(series, target)``) -> 1-D training values; required for MASE.
    by : sequence of str
        Grouping columns; those missing from ``frame`` are skipped.
    season : int, default 1
        Seasonal period for MASE.
    per_step : bool, default False
        Also group by ``step`` (forecast horizon).

    Returns
    -------
    pandas.DataFrame
        One row per group (group keys as columns, sorted), one column per metric.

    Raises
    ------
    ValueError
        Unknown metric names, missing columns, MASE without ``y_train``, missing
        quantile columns, or a metric that is undefined for some group (the
        message names the group).

    Examples
    --------
    >>> df = pd.DataFrame({"series": ["a", "a", "b"], "y": [1.0, 2.0, 4.0],
    ...                    "y_hat": [1.5, 2.0, 3.0]})
    >>> evaluate(df, metrics=["mae"])
      series   mae
    0      a  0.25
    1      b  1.00
    """
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    by = (by,) if isinstance(by, str) else tuple(by)
    if not metrics:
        raise ValueError("no metrics requested")
    unknown = [m for m in metrics if m not in VALID_METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; valid names: {', '.join(VALID_METRICS)}")
    missing = [c for c in ("y", "y_hat") if c not in frame.columns]
    if missing:
        raise ValueError(f"frame is missing required column(s) {missing}")
    if len(frame) == 0:
        raise ValueError("frame is empty")

    keys = [c for c in by if c in frame.columns]
    if per_step:
        if "step" not in frame.columns:
            raise ValueError("per_step=True needs a 'step' column")
        if "step" not in keys:
            keys.append("step")

    quantiles = _quantile_columns(frame)
    if "pinball" in metrics and not quantiles:
        raise ValueError("pinball needs quantile columns named like 'q0.1'; none found")
    if "coverage" in metrics and len(quantiles) < 2:
        raise ValueError(
            f"coverage needs at least two quantile columns, found {list(quantiles.values())}"
        )

    data = frame.reset_index(drop=True)
    scales = None
    if "mase" in metrics:
        if y_train is None:
            raise ValueError("MASE requested but y_train is None; pass y_train={series: values}")
        scales = _mase_scales(data, y_train, season)

    groups = data.groupby(keys, sort=True, dropna=False) if keys else [((), data)]
    rows = []
    for key, group in groups:
        row: dict[str, Any] = dict(zip(keys, key, strict=True))
        label = dict(row) or "all rows"
        group_scales = None if scales is None else scales[group.index.to_numpy()]
        for name in metrics:
            try:
                row[name] = _group_metric(name, group, group_scales, quantiles)
            except ValueError as err:
                raise ValueError(f"{name} failed for group {label}: {err}") from err
        rows.append(row)

    result = pd.DataFrame(rows, columns=[*keys, *metrics])
    if keys:
        result = result.sort_values(keys, kind="stable").reset_index(drop=True)
    return result
