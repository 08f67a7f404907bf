"""Split-conformal prediction intervals for any forecaster, per horizon step.

The method behind statsforecast's and neuralforecast's ``ConformalIntervals``: hold out
the end of every training series, fit a copy of the model on the rest, forecast every
origin of the held-out part (rolling origin, stride 1, histories never read past the
origin; a model that runs once per origin, as statsforecast's do, at most
``CALIBRATION_ORIGINS`` of them, evenly spaced: its tag ``calibration_origins``), and keep,
per horizon step and target, the absolute errors. Each error is
divided by the local scale at its origin -- the mean absolute one-step change over the
``SCALE_WINDOW`` changes before it (the last ``SCALE_ROWS`` rows, which the forecast may read
too; a fitted model keeps at least that many rows of each series, so ``predict()`` scales
its intervals exactly as ``predict(history=...)`` on the same rows) -- and the scaled errors
are pooled over origins and series. So many short series calibrate together, a series
at a large level gets proportionally wide intervals, and calm or volatile stretches
get narrow or wide ones. The interval at level ``L`` is ``point ± q * local scale``, with
``q`` the ``ceil((n + 1) L / 100)``-th smallest of the ``n`` scaled errors (the
finite-sample conformal quantile). The model itself is fitted on all rows as usual (first:
the copy may reuse a costly choice of it, see ``BaseForecaster._calibrating``); its
intervals use these scores.

The intervals are calibrated to the held-out period: they are as honest as that period is
like the future. The leaderboard's coverage columns check them on the test period.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..data import SeriesData

__all__ = ["CALIBRATION_ORIGINS", "SCALE_ROWS", "SCALE_WINDOW", "calibration_rows",
           "calibration_series", "check_levels", "conformal_scores", "local_scale"]

#: One-step changes before an origin whose mean absolute value scales its errors.
SCALE_WINDOW = 64
#: Rows before an origin that :func:`local_scale` reads (the window's changes span them).
SCALE_ROWS = SCALE_WINDOW + 1
#: The most calibration origins per series of the models that forecast one origin at a
#: time (their tag ``calibration_origins``; MSTL, whose runs cost the most: half),
#: evenly spaced over the held-out rows.
CALIBRATION_ORIGINS = 200


def local_scale(values: np.ndarray, origins: np.ndarray) -> np.ndarray:
    """``[n, T]`` scale at each origin: the mean absolute one-step change of each column of
    ``values [N, T]`` over the last ``SCALE_ROWS`` rows before it (fewer where the history
    is shorter), floored at a millionth of the mean absolute value of those rows so it is
    never 0. It reads those rows only: any history holding them gives the same scale."""
    x = np.asarray(values, dtype=np.float64)
    d = np.abs(np.diff(x, axis=0))  # [N-1, T]
    ok = np.isfinite(d)
    zero = np.zeros((1, x.shape[1]))
    csum = np.concatenate([zero, np.cumsum(np.where(ok, d, 0), axis=0)])
    ccnt = np.concatenate([zero, np.cumsum(ok, axis=0)])
    a = np.abs(x)
    fin = np.isfinite(a)
    asum = np.concatenate([zero, np.cumsum(np.where(fin, a, 0), axis=0)])
    acnt = np.concatenate([zero, np.cumsum(fin, axis=0)])
    end = np.clip(np.asarray(origins, dtype=np.int64), 1, len(x))  # rows x[start:end]
    start = np.maximum(end - SCALE_ROWS, 0)
    hi, lo = end - 1, start  # their changes d[lo:hi], d[k] = x[k+1] - x[k]
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = (csum[hi] - csum[lo]) / (ccnt[hi] - ccnt[lo])
        floor = 1e-6 * (asum[end] - asum[start]) / (acnt[end] - acnt[start])
    floor = np.where(np.isfinite(floor) & (floor > 0), floor, 1e-12)
    return np.where(np.isfinite(scale), np.maximum(scale, floor), floor)


def check_levels(level) -> tuple[float, ...] | None:
    """Sorted interval levels in percent, each strictly between 0 and 100."""
    if level is None:
        return None
    if isinstance(level, numbers.Number | str) or not hasattr(level, "__iter__"):
        raise ValueError(f"level must be a list of percentages in (0, 100), e.g. [80, 95], "
                         f"got {level!r}")
    levels = list(level)
    bad = [v for v in levels if isinstance(v, bool) or not isinstance(v, numbers.Real)
           or not 0 < v < 100]
    if not levels or bad:
        raise ValueError(f"level must hold percentages strictly between 0 and 100, got "
                         f"{bad[0] if bad else level!r}")
    return tuple(sorted({float(v) for v in levels}))


def calibration_rows(size, n: int) -> int:
    """Rows held out at the end of a series of ``n`` rows: ``size`` rows, a fraction, or a
    pair ``(fraction, rows)``: that fraction of the series, at least that many rows (the
    benchmark's panels: 20%, at least a horizon, so that short series calibrate too)."""
    if isinstance(size, list | tuple) and len(size) == 2:
        fraction, least = size
        if (isinstance(fraction, numbers.Real) and not isinstance(fraction, bool)
                and 0 < fraction < 1 and isinstance(least, numbers.Integral)
                and not isinstance(least, bool) and least >= 1):
            return max(calibration_rows(fraction, n), int(least))
    elif isinstance(size, numbers.Integral) and not isinstance(size, bool) and size >= 1:
        return int(size)
    elif isinstance(size, numbers.Real) and not isinstance(size, bool) and 0 < size < 1:
        return max(1, int(n * float(size)))
    raise ValueError(f"calibration_size must be a fraction in (0, 1), a number of rows >= 1 "
                     f"or a pair (fraction, at least rows), got {size!r}")


def calibration_series(model, series: list[SeriesData]) -> list[SeriesData]:
    """The training series without the rows that calibrate ``model``'s intervals (its
    ``calibration_size``). A global model leaves out the series too short to keep a
    training part (it still forecasts their held-out rows, as it forecasts any series); a
    local one needs them all: ``ValueError`` before any fit otherwise."""
    out, short = [], []
    for s in series:
        keep = len(s) - calibration_rows(model.calibration_size, len(s))
        if keep < model.min_fit_rows:
            short.append((s, keep))
            continue
        missing = None if s.missing is None else s.missing[:keep]
        out.append(SeriesData(s.id, s.index[:keep], s.values[:keep], missing))
    if short and (model.get_tag("scope") != "global" or not out):
        s, keep = short[0]
        raise ValueError(
            f"too little held-out history to calibrate intervals: series {s.id!r} has "
            f"{len(s)} rows; holding out calibration_size={model.calibration_size!r} "
            f"({len(s) - keep} rows) leaves {keep}, and fitting needs "
            f"{model.min_fit_rows}; pass more data or a smaller calibration_size"
        )
    return out


def conformal_scores(calibrated, series: list[SeriesData], levels) -> np.ndarray:
    """``[n_levels, H, T]`` half-widths, in local-scale units, from the held-out errors of
    ``calibrated``.

    ``calibrated`` is a copy of the model fitted on each series without its last
    ``calibration_rows`` rows; ``series`` are the full training series.
    """
    H, T = calibrated.horizon, calibrated.layout_.n_targets
    cap = type(calibrated).get_tag("calibration_origins")
    held = []
    for s in series:
        start = len(s) - calibration_rows(calibrated.calibration_size, len(s))
        origins = np.arange(max(start, calibrated.min_history), len(s) - H + 1, dtype=np.int64)
        if origins.size == 0:
            continue
        if cap is not None and origins.size > cap:  # evenly spaced, the first and the last
            origins = origins[np.unique(np.linspace(0, origins.size - 1, cap).round().astype(int))]
        held.append((s, origins))
    forecasts = calibrated._forecast_many([(s.values, s.id, o) for s, o in held])
    errors = []
    for (s, origins), fc in zip(held, forecasts, strict=True):
        point = fc if fc.ndim == 3 else fc[..., calibrated.quantiles_.index(0.5)]
        rows = origins[:, None] + np.arange(H)  # [n, H]
        err = np.abs(s.values[rows][..., :T].astype(np.float64) - point)  # [n, H, T]
        err /= local_scale(s.values[:, :T], origins)[:, None, :]
        if s.missing is not None:
            err[s.missing[rows]] = np.nan  # filled gaps are not actuals
        errors.append(err)
    if not errors:
        raise ValueError(
            f"too little held-out history to calibrate intervals: no series leaves a "
            f"forecast of horizon {H} in its last calibration_size={calibrated.calibration_size!r} "
            "rows; pass a larger calibration_size"
        )
    err = np.concatenate(errors)  # [N, H, T]
    out = np.empty((len(levels), H, T))
    for h in range(H):
        for t in range(T):
            e = np.sort(err[:, h, t][~np.isnan(err[:, h, t])])
            for i, level in enumerate(levels):
                k = math.ceil((len(e) + 1) * level / 100)
                if k > len(e):
                    raise ValueError(
                        f"too little held-out history to calibrate level {level:g}: "
                        f"{len(e)} held-out forecasts per step need at least "
                        f"{math.ceil(100 / (100 - level)) - 1}; pass a larger calibration_size"
                    )
                out[i, h, t] = e[k - 1]
    return out
