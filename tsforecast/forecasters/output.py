"""Forecast arrays -> DataFrames with real timestamps, in the shapes users read.

``predict`` returns a wide frame indexed by the future timestamps (one column per
target, plus quantile and interval columns); ``backtest`` a tidy frame, one row per
series, cutoff, step and target. Both can be returned in the long layout the Nixtla
libraries share (``unique_id, ds, <model>, <model>-lo-80, ...``) with ``format="nixtla"``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..data import SeriesData
from ..data.spec import (
    as_pandas,
    interval_bound,
    interval_column,
    interval_label,
    quantile_column,
    quantile_label,
    quantile_level,
)
from ..data.timeindex import calendar_features, find_time_column, parse_times
from .conformal import local_scale
from .fitted import FittedState

__all__ = ["extend_history", "forecast_frame", "tidy_frame", "to_nixtla"]

FORMATS = ("wide", "tidy", "nixtla")


def extend_history(state: FittedState, s: SeriesData, fidx: pd.Index, future_covariates
                   ) -> np.ndarray:
    """History plus ``horizon`` rows holding only the known-future covariates."""
    lay = state.layout
    ext = np.full((state.horizon, lay.n_inputs), np.nan, dtype=np.float32)
    start = lay.n_inputs - lay.n_future
    n_given = len(lay.future_covariates)
    if n_given:
        vals = _future_values(state, s.id, fidx, future_covariates)
        ext[:, start : start + n_given] = vals
    if lay.calendar:
        ext[:, start + n_given :] = calendar_features(fidx, state.freq).to_numpy(np.float32)
    return np.concatenate([s.values, ext])

def _future_values(state: FittedState, sid: str, fidx: pd.Index, fut) -> np.ndarray:
    lay, H, spec = state.layout, state.horizon, state.spec
    fut = as_pandas(fut)
    if isinstance(fut, Mapping):
        fut = fut.get(sid)
    if fut is None:
        raise ValueError(
            f"series {sid!r}: the model uses future covariates {list(lay.future_covariates)}; "
            f"pass future_covariates= with their values for the {H} future timestamps "
            f"starting {fidx[0]}"
        )
    if not isinstance(fut, pd.DataFrame):
        raise TypeError(f"future_covariates must be a DataFrame, got {type(fut).__name__}")
    if spec.id_col is not None and spec.id_col in fut.columns:
        fut = fut[fut[spec.id_col].astype(str) == sid]
    time_col = spec.time_col
    if time_col is None:  # a column of timestamps is the time, never row positions
        time_col = find_time_column(fut, "future_covariates", exclude=(spec.id_col,))
    if time_col is not None and time_col in fut.columns:
        fut = fut.set_index(parse_times(fut[time_col], f"future_covariates column {time_col!r}"))
    missing = [c for c in lay.future_covariates if c not in fut.columns]
    if missing:
        raise ValueError(f"future_covariates is missing column(s) {missing}")
    if isinstance(fut.index, pd.DatetimeIndex) and isinstance(fidx, pd.DatetimeIndex):
        absent = fidx.difference(fut.index)
        if len(absent):
            raise ValueError(
                f"series {sid!r}: future_covariates has no row for {absent[0]}; it "
                f"needs the {H} timestamps {fidx[0]} .. {fidx[-1]}"
            )
        fut = fut[~fut.index.duplicated()].reindex(fidx)
    elif len(fut) < H:
        raise ValueError(
            f"series {sid!r}: future_covariates has {len(fut)} rows; it needs the "
            f"{H} timestamps {fidx[0]} .. {fidx[-1]}"
        )
    vals = fut[list(lay.future_covariates)].to_numpy(np.float32)[:H]
    if not np.isfinite(vals).all():
        raise ValueError(f"series {sid!r}: future_covariates contain NaN or inf")
    return vals

def forecast_frame(state: FittedState, fc: np.ndarray, index: pd.Index, sid: str,
                   history: np.ndarray) -> pd.DataFrame:
    """``[H, T]`` or ``[H, T, Q]`` forecast -> DataFrame with real timestamps."""
    targets, qs = state.targets, state.quantiles
    point = fc if qs is None else fc[..., qs.index(0.5)]  # [H, T]
    cols = {t: point[:, i] for i, t in enumerate(targets)}
    for i, t in enumerate(targets):
        for j, q in enumerate(qs or ()):
            cols[quantile_column(t, q)] = fc[:, i, j]
    for k, level in enumerate(state.levels or ()):
        scale = local_scale(history[:, : len(targets)], np.array([len(history)]))  # [1, T]
        half = state.conformal_scores[k] * scale  # [H, T]
        for i, t in enumerate(targets):
            cols[interval_column(t, "lo", level)] = point[:, i] - half[:, i]
            cols[interval_column(t, "hi", level)] = point[:, i] + half[:, i]
    out = pd.DataFrame(cols, index=index)
    if state.multi_series:
        out.insert(0, state.id_col, sid)
    return out


def tidy_frame(state: FittedState, parts: list[tuple[SeriesData, np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """The backtest frame of ``(series, origins, forecasts)`` parts: columns built per series,
    one DataFrame for all (thousands of small frames and a concat would cost more than the
    forecasts of a naive model)."""
    columns = [tidy_columns(state, s, origins, fc) for s, origins, fc in parts]
    return pd.DataFrame({k: np.concatenate([c[k] for c in columns]) for k in columns[0]})


def tidy_columns(state: FittedState, s: SeriesData, origins: np.ndarray, fc: np.ndarray
                 ) -> dict[str, np.ndarray]:
    n, H = len(origins), state.horizon
    targets = state.targets
    T = len(targets)
    rows = origins[:, None] + np.arange(H)  # [n, H]
    y = s.values[rows][..., :T].astype(np.float64)  # [n, H, T]
    if s.missing is not None:  # filled gaps are not actuals: never scored
        y[s.missing[rows]] = np.nan
    qs = state.quantiles
    point = fc if qs is None else fc[..., qs.index(0.5)]
    shape = (n, H, T)
    frame = {
        "series": np.full(n * H * T, s.id, dtype=object),
        "target": np.broadcast_to(np.array(targets, dtype=object), shape).ravel(),
        "cutoff": np.broadcast_to(
            np.asarray(s.index)[origins - 1][:, None, None], shape
        ).ravel(),
        "timestamp": np.broadcast_to(np.asarray(s.index)[rows][..., None], shape).ravel(),
        "step": np.broadcast_to(np.arange(1, H + 1)[None, :, None], shape).ravel(),
        "y": y.ravel(),
        "y_hat": np.asarray(point, dtype=np.float64).ravel(),
    }
    if qs is not None:
        for j, q in enumerate(qs):
            frame[quantile_label(q)] = np.asarray(fc[..., j], dtype=np.float64).ravel()
    if state.levels:
        scale = local_scale(s.values[:, :T], origins)[:, None, :]  # [n, 1, T]
    for k, level in enumerate(state.levels or ()):
        half = (state.conformal_scores[k][None] * scale).ravel()  # [n, H, T]
        frame[interval_label("lo", level)] = frame["y_hat"] - half
        frame[interval_label("hi", level)] = frame["y_hat"] + half
    return frame


def model_alias(model_class: type) -> str:
    """The model's column name in Nixtla-style output (``LSTMForecaster -> "LSTM"``)."""
    return model_class.__name__.removesuffix("Forecaster")


def to_nixtla(state: FittedState, frame: pd.DataFrame, kind: str, alias: str) -> pd.DataFrame:
    """A ``predict`` (``kind="forecast"``) or ``backtest`` frame in the Nixtla layout:
    ``unique_id, ds, [cutoff, y,] <alias>, <alias>-lo-80, <alias>-hi-80, ...``."""
    targets = state.targets
    if len(targets) != 1:
        raise ValueError(f"format='nixtla' holds one target per series; this model has "
                         f"{targets} (use the default format)")
    t = targets[0]
    if kind == "forecast":
        id_col = state.id_col
        ids = frame[id_col] if id_col in frame.columns else "series"
        out = pd.DataFrame({"unique_id": ids, "ds": frame.index, alias: frame[t]})
        for col in frame.columns:
            rest = col[len(t) + 1:] if col.startswith(f"{t}_") else None
            _add_nixtla_bound(out, alias, rest, frame[col])
        return out.reset_index(drop=True)
    out = pd.DataFrame({"unique_id": frame["series"], "ds": frame["timestamp"],
                        "cutoff": frame["cutoff"], "y": frame["y"], alias: frame["y_hat"]})
    for col in frame.columns:
        _add_nixtla_bound(out, alias, col, frame[col])
    return out


def _add_nixtla_bound(out: pd.DataFrame, alias: str, label, values) -> None:
    bound = interval_bound(label)
    if bound is not None:
        out[f"{alias}-{bound[0]}-{bound[1]:g}"] = values.to_numpy()
    elif quantile_level(label) is not None:
        out[f"{alias}-q-{quantile_level(label) * 100:g}"] = values.to_numpy()
