"""The plots of a benchmark report (PNG, for ``report.md``), and the choices the HTML
report (:mod:`.html`) shares with them:

* :func:`leaderboard_points`: the rows of the leaderboard's dot plot: each model's rank
  metric with its spread over seeds, whether it is tied with the best (Diebold-Mariano
  p >= :data:`TIED_P`), its family, and outliers (like ``mean``) clipped to the axis so
  that they do not set its scale;
* :func:`forecast_windows`: which test windows of a series are drawn;
* :func:`metric_label`: a metric's name and unit (sMAPE in percent, MASE scale-free).

Series stored by position (:attr:`~.datasets.Dataset.positional`: M3, Tourism) are drawn
against their step, never against the made-up dates the models saw. matplotlib is
imported when a plot is drawn (the ``Agg`` backend: no display needed).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..data.spec import interval_bound, quantile_level
from ..forecasters.plotting import time_axis
from .holdout import positions

if TYPE_CHECKING:
    from .results import ModelResult
    from .task import Task

__all__ = [
    "FAMILY_COLORS", "MAX_PANELS", "OUTLIER_FACTOR", "TIED_P", "forecast_windows",
    "forecasts_figure", "leaderboard_figure", "leaderboard_points", "metric_label",
    "off_scale", "outer_interval", "plot_fan", "plot_forecasts", "plot_leaderboard",
]

#: The colour of each model family (the forecasters' ``family`` tag).
FAMILY_COLORS = {
    "neural": "#d62728", "statistical": "#1f77b4", "baseline": "#7f7f7f",
    "regression": "#9467bd", "combination": "#2ca02c", "other": "#8c564b",
}
#: A model whose Diebold-Mariano p-value against the best is at least this is tied with it.
TIED_P = 0.05
#: Values above this many times the median of a (non-negative) metric are outliers: drawn
#: at the edge of the axis with their value, not setting its scale.
OUTLIER_FACTOR = 2.0
#: At most this many series in a data set's forecast figure (the first ones).
MAX_PANELS = 6
#: History drawn before the first forecast window, in horizons.
HISTORY_HORIZONS = 3
#: The x label of series stored by position.
STEP_LABEL = "step (position in the series)"

_UNITLESS = {"mase": "MASE (scaled by the in-sample naive error)", "smape": "sMAPE (%)",
             "mape": "MAPE (%)"}


def metric_label(metric: str, units: str) -> str:
    """The axis label of a leaderboard metric: its unit (percent, scale-free, or the data's
    ``units``) and its direction.

    >>> metric_label("smape", "original units")
    'sMAPE (%), lower is better'
    >>> metric_label("mse", "z-scored (training mean/std)")
    'MSE (z-scored (training mean/std)), lower is better'
    """
    name = _UNITLESS.get(metric, f"{metric.upper()} ({units})")
    return f"{name}, lower is better"


def leaderboard_points(lb: pd.DataFrame, metric: str, families: dict[str, str]
                       ) -> tuple[pd.DataFrame, tuple[float, float]]:
    """The dot plot of one data set's leaderboard ``lb`` on ``metric``, best first.

    Returns ``(points, (low, high))``: one row per model that finished, with ``model``,
    ``value``, ``sd`` (over seeds; 0 for one run), ``dm_pvalue``, ``tied`` (the best, or
    p >= :data:`TIED_P`), ``family`` (from ``families``, else ``"other"``),
    ``kept_initial`` (True when its net kept the random-walk start) and ``clipped``
    (an outlier, drawn at ``high`` with its value); and the axis range, set by the
    models that are not clipped and their spread over seeds.
    """
    d = lb[lb["error"].isna() & lb[metric].notna()].sort_values(metric, kind="stable")
    def numbers(col: str, missing: float) -> np.ndarray:
        if col not in d:
            return np.full(len(d), missing)
        return pd.to_numeric(d[col], errors="coerce").fillna(missing).to_numpy(float)

    points = pd.DataFrame({
        "model": d["model"].astype(str).to_numpy(),
        "value": numbers(metric, math.nan),
        "sd": numbers(f"{metric}_sd", 0.0),
        "dm_pvalue": numbers("dm_pvalue", math.nan),
        "kept_initial": numbers("kept_initial", 0.0) >= 0.5,
    })
    if points.empty:
        return points.assign(tied=[], family=[], clipped=[]), (0.0, 1.0)
    points["family"] = [families.get(m, "other") for m in points["model"]]
    points["tied"] = (points.index == 0) | (points["dm_pvalue"] >= TIED_P)
    values = points["value"]
    median = float(values.median())
    points["clipped"] = ((values > OUTLIER_FACTOR * median).to_numpy()
                         if median > 0 and (values >= 0).all() else False)
    kept = points[~points["clipped"]]
    low = float((kept["value"] - kept["sd"]).min())
    high = float((kept["value"] + kept["sd"]).max())
    pad = 0.08 * (high - low) if high > low else 0.05 * abs(high) or 1.0
    return points, (low - pad, high + pad)


def forecast_windows(frame: pd.DataFrame, n: int) -> list:
    """The cutoffs of the last ``n`` windows of one series' tidy forecasts (``cutoff``,
    ``timestamp`` columns) that do not overlap: what a chart draws."""
    spans = frame.groupby("cutoff", sort=True)["timestamp"].agg(["min", "max"])
    chosen: list = []
    start = None
    for cut, first, last in zip(spans.index[::-1], spans["min"][::-1], spans["max"][::-1],
                                strict=True):
        if start is None or last < start:
            chosen.append(cut)
            start = first
        if len(chosen) == n:
            break
    return chosen[::-1]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    _pyplot().close(fig)


# -- the leaderboard ---------------------------------------------------------------------------
def plot_leaderboard(task: Task, lb: pd.DataFrame, path: Path,
                     families: dict[str, str] | None = None) -> bool:
    """Save :func:`leaderboard_figure` of ``task``'s rank metric; False without results."""
    fig = leaderboard_figure(lb, task.rank_metric, task.units, task.name, families or {})
    if fig is None:
        return False
    _save(fig, path)
    return True


def leaderboard_figure(lb: pd.DataFrame, col: str, units: str, name: str,
                       families: dict[str, str]):
    """A dot plot of metric ``col``, best at the top: bars of +- one sd over seeds, filled
    dots for the models tied with the best (DM p >= 0.05), colours by family, outliers
    clipped at the right edge with their value, naive marked by a line. None when no
    model finished."""
    from matplotlib.lines import Line2D

    points, (low, high) = leaderboard_points(lb, col, families)
    if points.empty:
        return None
    plt = _pyplot()
    n = len(points)
    fig, ax = plt.subplots(figsize=(9, 0.34 * n + 2.0), layout="constrained")
    ys = np.arange(n)[::-1]
    for y, p in zip(ys, points.itertuples(), strict=True):
        color = FAMILY_COLORS.get(p.family, FAMILY_COLORS["other"])
        x = high if p.clipped else p.value
        if p.sd > 0 and not p.clipped:
            ax.errorbar(p.value, y, xerr=p.sd, color=color, capsize=3, lw=1.2, zorder=2)
        ax.scatter([x], [y], marker=">" if p.clipped else "o", s=60, zorder=3,
                   facecolors=color if p.tied else "white", edgecolors=color, linewidths=1.6)
        if p.clipped:
            ax.annotate(f"{p.value:.4g}", (x, y), xytext=(-9, 0), textcoords="offset points",
                        ha="right", va="center", fontsize=8, color=color)
    labels = [m + (" *" if k else "") for m, k in zip(points["model"], points["kept_initial"],
                                                     strict=True)]
    ax.set_yticks(ys, labels)
    naive = points.loc[points["model"] == "naive", "value"]
    if len(naive) and not points.loc[naive.index[0], "clipped"]:
        ax.axvline(naive.iloc[0], color=FAMILY_COLORS["baseline"], ls="--", lw=0.9, zorder=1)
    ax.set_xlim(low, high + 0.02 * (high - low))
    ax.set_ylim(-0.7, n - 0.3)
    ax.grid(axis="x", color="0.9")
    notes = []
    if points["clipped"].any():
        notes.append("> beyond the axis (value shown)")
    if points["kept_initial"].any():
        notes.append("* kept the random-walk start (forecasts as naive)")
    if (points["sd"] > 0).any():
        notes.append("bars: +- 1 sd over seeds")
    ax.set_xlabel(metric_label(col, units) + ("\n" + "; ".join(notes) if notes else ""),
                  fontsize=9)
    handles = [Line2D([], [], ls="", marker="o", color=FAMILY_COLORS.get(f, "#8c564b"),
                      label=f) for f in dict.fromkeys(points["family"])]
    handles += [Line2D([], [], ls="", marker="o", color="0.3", label="tied with best (DM p >= 0.05)"),
                Line2D([], [], ls="", marker="o", markerfacecolor="white", color="0.3",
                       label="worse than best (DM p < 0.05)")]
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              frameon=False)
    ax.set_title(f"{name}: leaderboard", fontsize=10)
    ax.tick_params(labelsize=8)
    return fig


# -- forecasts ---------------------------------------------------------------------------------
def _steps(values, positional: bool):
    """Time values as drawn: steps for a positional series, else the timestamps."""
    return positions(values) if positional else pd.DatetimeIndex(values)


def _frame_of(r: ModelResult) -> pd.DataFrame | None:
    """A result's forecasts of every series (saved), else its plotted windows."""
    if r.forecasts is not None and len(r.forecasts):
        return r.forecasts
    return r.plot_frame if r.plot_frame is not None and len(r.plot_frame) else None


def plot_forecasts(task: Task, results: list[ModelResult], path: Path, n_cutoffs: int,
                   off_scale: Collection[str] = ()) -> bool:
    """Save :func:`forecasts_figure`; False when no model has forecasts."""
    fig = forecasts_figure(task, results, n_cutoffs, off_scale)
    if fig is None:
        return False
    _save(fig, path)
    return True


def off_scale(lb: pd.DataFrame, metric: str) -> set[str]:
    """The models of one data set's leaderboard whose ``metric`` is an outlier (clipped in
    the dot plot, see :func:`leaderboard_points`): their forecasts do not set the scale
    of a forecast chart either."""
    points, _ = leaderboard_points(lb, metric, {})
    return set(points.loc[points["clipped"], "model"])


def forecasts_figure(task: Task, results: list[ModelResult], n_cutoffs: int,
                     off_scale: Collection[str] = ()):
    """One figure per data set: the first :data:`MAX_PANELS` series in a grid, each with
    its recent history, the last ``n_cutoffs`` non-overlapping test windows of every model
    and their outermost interval (where present); None when no model has forecasts.
    The models in ``off_scale`` are drawn dashed, without interval, and the y axis is set
    by the actuals and the other models."""
    rs = [r for r in results if r.ok and _frame_of(r) is not None]
    if not rs:
        return None
    plt = _pyplot()
    target = task.dataset.targets[0]
    frames = {r.model: _frame_of(r) for r in rs}
    frames = {m: f[f["target"] == target] for m, f in frames.items()}
    drawn = set(frames[rs[0].model]["series"].astype(str))
    series = [s for s in task.series_ids if str(s) in drawn][:MAX_PANELS]
    positional = task.dataset.positional
    ncols = 1 if len(series) == 1 else 2
    nrows = math.ceil(len(series) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(10 if ncols == 1 else 12, 2.6 * nrows + 1.2),
                             squeeze=False, layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, sid in zip(axes.flat, series, strict=False):
        first = frames[rs[0].model]
        first = first[first["series"].astype(str) == str(sid)]
        cuts = forecast_windows(first, n_cutoffs)
        actual = task.actuals(str(sid), target)
        start = int(actual.index.searchsorted(min(cuts), side="right")) - 1
        stop = int(actual.index.searchsorted(first["timestamp"].max(), side="right"))
        actual = actual.iloc[max(0, start - HISTORY_HORIZONS * task.horizon):stop]
        ax.plot(_steps(actual.index, positional), actual.to_numpy(), color="black", lw=1.0,
                label="actual")
        scale = [actual.to_numpy(float)]  # what sets the y axis
        for cut in cuts:
            ax.axvline(_steps([cut], positional)[0], color="grey", ls=":", lw=0.8)
        for i, r in enumerate(rs):
            f = frames[r.model]
            f = f[(f["series"].astype(str) == str(sid)) & f["cutoff"].isin(cuts)]
            color, off = colors[i % len(colors)], r.model in off_scale
            lo, hi = (None, None) if off else outer_interval(f.columns)
            for j, (_, win) in enumerate(f.groupby("cutoff", sort=True)):
                x = _steps(win["timestamp"], positional)
                if lo is not None:
                    ax.fill_between(x, win[lo], win[hi], color=color, alpha=0.15, lw=0)
                    scale += [win[lo].to_numpy(float), win[hi].to_numpy(float)]
                ax.plot(x, win["y_hat"], color=color, lw=1.3, ls="--" if off else "-",
                        label=r.model if j == 0 else None)
                if not off:
                    scale.append(win["y_hat"].to_numpy(float))
        values = np.concatenate(scale)
        values = values[np.isfinite(values)]
        if len(values):
            pad = 0.06 * (values.max() - values.min()) or 0.05 * abs(values.max()) or 1.0
            ax.set_ylim(values.min() - pad, values.max() + pad)
        ax.set_title(str(sid), fontsize=9, loc="left")
        ax.tick_params(labelsize=8)
        time_axis(ax, STEP_LABEL if positional else None)
    for ax in list(axes.flat)[len(series):]:
        ax.set_visible(False)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 6),
               fontsize=8, frameon=False)
    shown = (f"{len(series)} of {len(task.series_ids)} series" if len(task.series_ids) > 1
             else "")
    off = [r.model for r in rs if r.model in off_scale]
    fig.suptitle(f"{task.name}: {target} ({task.units}); last test windows"
                 + (f", {shown}" if shown else "")
                 + (f"\ndashed, off the scale: {', '.join(off)}" if off else ""), fontsize=10)
    return fig


def outer_interval(columns) -> tuple[str | None, str | None]:
    """The lower and upper columns of the widest interval of tidy forecasts: the ``lo``/
    ``hi`` pair of the largest level, else the outermost quantiles; ``(None, None)``
    without either.

    >>> outer_interval(["y_hat", "lo80", "hi80", "lo95", "hi95"])
    ('lo95', 'hi95')
    >>> outer_interval(["y_hat", "q0.1", "q0.5", "q0.9"])
    ('q0.1', 'q0.9')
    """
    bounds = {interval_bound(c): c for c in columns if interval_bound(c) is not None}
    levels = sorted({lv for _, lv in bounds if ("lo", lv) in bounds and ("hi", lv) in bounds})
    if levels:
        return bounds[("lo", levels[-1])], bounds[("hi", levels[-1])]
    quantiles = sorted((q, c) for c in columns if (q := quantile_level(c)) is not None)
    if len(quantiles) >= 2 and quantiles[0][0] < 0.5 < quantiles[-1][0]:
        return quantiles[0][1], quantiles[-1][1]
    return None, None


def plot_fan(task: Task, results: list[ModelResult], lb: pd.DataFrame, path: Path) -> bool:
    """Fan chart: the prediction intervals of the best-ranked models with intervals (up to
    four), over the last test windows of the first series. False when no model has any."""
    from ..forecasters.plotting import plot_backtest

    ranked = list(lb.sort_values("rank")["model"]) if "rank" in lb else []
    rs = [r for r in results if r.ok and r.plot_frame is not None
          and any(interval_bound(c) for c in r.plot_frame.columns)]
    rs = sorted(rs, key=lambda r: ranked.index(r.model) if r.model in ranked else 1e9)[:4]
    if not rs:
        return False
    plt = _pyplot()
    fig, axes = plt.subplots(len(rs), 1, figsize=(10, 2.3 * len(rs) + 0.8), squeeze=False,
                             layout="constrained")
    for ax, r in zip(axes[:, 0], rs, strict=True):
        frame = r.plot_frame
        if task.dataset.positional:
            frame = frame.assign(timestamp=positions(frame["timestamp"]),
                                 cutoff=positions(frame["cutoff"]))
        plot_backtest(frame, ax=ax)
        ax.set_title(f"{r.model}", fontsize=9, loc="left")
        ax.tick_params(labelsize=8)
        time_axis(ax, STEP_LABEL if task.dataset.positional else None)
    fig.suptitle(f"{task.name}: prediction intervals ({task.units})", fontsize=10)
    _save(fig, path)
    return True
