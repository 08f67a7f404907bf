"""Tidy forecast frames -> metric tables."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..data.spec import quantile_level
from .metrics import METRICS, VALID_METRICS, _aligned, coverage, naive_scale, pinball

__all__ = ["evaluate"]


def _quantile_columns(frame: pd.DataFrame) -> dict[float, str]:
    """Map quantile level -> column name for columns named like ``q0.1``, sorted by level."""
    found = {quantile_level(c): c for c in frame.columns if quantile_level(c) is not None}
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
            scales[positions] = naive_scale(train, season)
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
