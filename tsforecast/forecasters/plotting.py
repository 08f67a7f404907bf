"""``plot()``: history, forecast and intervals with matplotlib (imported on first use)."""

from __future__ import annotations

import pandas as pd

from ..data.spec import interval_bound, quantile_level

__all__ = ["plot_backtest", "plot_forecast", "time_axis"]


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(10, 4))[1]


def time_axis(ax, step_label: str | None = None) -> None:
    """Make the x axis readable: dates located and formatted automatically (concise
    labels, rotated so that they never overlap); with ``step_label``, an axis of integer
    positions labelled so instead."""
    if step_label is not None:
        ax.set_xlabel(step_label, fontsize=8)
        return
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.tick_params(axis="x", labelrotation=30)


def _is_time(values) -> bool:
    return pd.api.types.is_datetime64_any_dtype(getattr(values, "dtype", None))


def _bands(ax, x, lower: dict, upper: dict, color, label: bool = True) -> None:
    """Shade each (lo, hi) pair, widest first and lightest."""
    for key in sorted(lower, key=lambda k: -k):
        if key in upper:
            ax.fill_between(x, lower[key], upper[key], color=color, alpha=0.15 + 0.1 *
                            (key == min(lower)), linewidth=0,
                            label=f"{key:g}% interval" if label else None)


def plot_forecast(forecast: pd.DataFrame, history: pd.Series | None = None,
                  target: str | None = None, series: str | None = None, ax=None):
    """Draw a ``predict()`` frame: the recent history, the point forecast and its
    intervals (conformal ``lo``/``hi`` columns or quantile pairs). Returns the axes."""
    ax = _axes(ax)
    frame = forecast
    id_cols = [c for c in frame.columns if frame[c].dtype == object]
    if id_cols:
        ids = frame[id_cols[0]].astype(str)
        series = series if series is not None else ids.iloc[0]
        frame = frame[ids == str(series)]
    numeric = [c for c in frame.columns if c not in id_cols]
    target = target if target is not None else numeric[0]
    lower, upper = {}, {}
    for col in numeric:
        if not col.startswith(f"{target}_"):
            continue
        label = col[len(target) + 1:]
        bound, q = interval_bound(label), quantile_level(label)
        if bound is not None:
            (lower if bound[0] == "lo" else upper)[bound[1]] = frame[col]
        elif q is not None and q != 0.5:
            level = round(100 * abs(1 - 2 * q), 6)
            (lower if q < 0.5 else upper)[level] = frame[col]
    if history is not None:
        ax.plot(history.index, history.to_numpy(), color="0.3", lw=1, label="history")
    _bands(ax, frame.index, lower, upper, "C0")
    ax.plot(frame.index, frame[target], color="C0", lw=1.6, label="forecast")
    ax.set_title(f"{target}" + (f" ({series})" if id_cols else ""))
    ax.legend(loc="upper left", fontsize=8)
    if _is_time(frame.index):
        time_axis(ax)
    return ax


def plot_backtest(backtest: pd.DataFrame, series: str | None = None,
                  target: str | None = None, ax=None):
    """Draw a ``backtest()`` frame of one series and target: actuals, every forecast
    window and its intervals. Returns the axes."""
    ax = _axes(ax)
    series = series if series is not None else backtest["series"].iloc[0]
    target = target if target is not None else backtest["target"].iloc[0]
    frame = backtest[(backtest["series"] == series) & (backtest["target"] == target)]
    actual = frame.drop_duplicates("timestamp").sort_values("timestamp")
    ax.plot(actual["timestamp"], actual["y"], color="0.3", lw=1, label="actual")
    for i, (_, window) in enumerate(frame.groupby("cutoff", sort=True)):
        lower, upper = {}, {}
        for col in window.columns:
            bound = interval_bound(col)
            if bound is not None:
                (lower if bound[0] == "lo" else upper)[bound[1]] = window[col]
        _bands(ax, window["timestamp"], lower, upper, "C0", label=i == 0)
        ax.plot(window["timestamp"], window["y_hat"], color="C0", lw=1.2,
                label="forecasts" if i == 0 else None)
    ax.set_title(f"{target} ({series}): backtest")
    ax.legend(loc="upper left", fontsize=8)
    if _is_time(frame["timestamp"]):
        time_axis(ax)
    return ax
