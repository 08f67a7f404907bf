"""The plots of a benchmark report: forecasts vs actuals, and the leaderboard as bars.

matplotlib is imported when a plot is drawn (the ``Agg`` backend: no display needed).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..data.spec import interval_bound, quantile_level

if TYPE_CHECKING:
    from .results import ModelResult
    from .task import Task

__all__ = ["plot_fan", "plot_forecasts", "plot_leaderboard"]


def plot_forecasts(task: Task, results: list[ModelResult], path: Path, n_cutoffs: int) -> bool:
    """Forecast vs actual for the last few windows of the first series, one panel per
    model (quantile bands where present)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    rs = [r for r in results if r.ok and r.plot_frame is not None and len(r.plot_frame)]
    if not rs:
        return False
    sid, target, cuts = task.plot_selection(n_cutoffs)
    actual = task.actuals(sid, target)
    first, last = min(cuts), max(rs[0].plot_frame["timestamp"])
    pos0 = max(0, int(actual.index.searchsorted(first)) - 2 * task.horizon)
    pos1 = int(actual.index.searchsorted(last, side="right"))
    actual = actual.iloc[pos0:pos1]
    fig, axes = plt.subplots(len(rs), 1, figsize=(10, 2.1 * len(rs) + 0.6), sharex=True,
                             squeeze=False, layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, r in zip(axes[:, 0], rs, strict=True):
        ax.plot(actual.index, actual.to_numpy(), color="black", lw=1.0, label="actual")
        qcols = sorted((c for c in r.plot_frame.columns if quantile_level(c) is not None),
                       key=quantile_level)
        for j, (cut, win) in enumerate(r.plot_frame.groupby("cutoff", sort=True)):
            color = colors[j % len(colors)]
            ax.axvline(cut, color="grey", ls=":", lw=0.8)
            if len(qcols) >= 2:
                ax.fill_between(win["timestamp"], win[qcols[0]], win[qcols[-1]], color=color,
                                alpha=0.2, lw=0)
            ax.plot(win["timestamp"], win["y_hat"], color=color, lw=1.4,
                    label="forecast" if j == 0 else None)
        ax.set_title(f"{r.model}", fontsize=9, loc="left")
        ax.tick_params(labelsize=8)
    axes[0, 0].legend(fontsize=8, loc="upper left")
    which = "" if sid == "series" else f" of series {sid}"
    fig.suptitle(f"{task.name}: {target}{which} ({task.units}), "
                 f"last {len(cuts)} test window(s)", fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def plot_fan(task: Task, results: list[ModelResult], lb: pd.DataFrame, path: Path) -> bool:
    """Fan chart: the prediction intervals of the best-ranked models with intervals (up to
    four), over the last test windows of the first series. False when no model has any."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from ..forecasters.plotting import plot_backtest

    ranked = list(lb.sort_values("rank")["model"]) if "rank" in lb else []
    rs = [r for r in results if r.ok and r.plot_frame is not None
          and any(interval_bound(c) for c in r.plot_frame.columns)]
    rs = sorted(rs, key=lambda r: ranked.index(r.model) if r.model in ranked else 1e9)[:4]
    if not rs:
        return False
    fig, axes = plt.subplots(len(rs), 1, figsize=(10, 2.3 * len(rs) + 0.6), squeeze=False,
                             layout="constrained")
    for ax, r in zip(axes[:, 0], rs, strict=True):
        plot_backtest(r.plot_frame, ax=ax)
        ax.set_title(f"{r.model}", fontsize=9, loc="left")
        ax.tick_params(labelsize=8)
    fig.suptitle(f"{task.name}: prediction intervals ({task.units})", fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def plot_leaderboard(task: Task, lb: pd.DataFrame, path: Path) -> bool:
    """Horizontal bars of the ranking metric, naive highlighted and marked by a line."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    col = task.rank_metric
    data = lb[lb["error"].isna() & lb[col].notna()].sort_values(col, ascending=False)
    if data.empty:
        return False
    fig, ax = plt.subplots(figsize=(7, 0.38 * len(data) + 1.2), layout="constrained")
    colors = ["tab:orange" if m == "naive" else "tab:blue" for m in data["model"]]
    ax.barh(data["model"], data[col], color=colors)
    naive = data.loc[data["model"] == "naive", col]
    if len(naive):
        ax.axvline(naive.iloc[0], color="tab:orange", ls="--", lw=1, label="naive")
        ax.legend(fontsize=8, loc="lower right")
    unit = "" if col == "mase" else f"{task.units}; "
    ax.set_xlabel(f"{col.upper()} ({unit}lower is better)")
    ax.set_title(f"{task.name}: leaderboard", fontsize=10)
    ax.tick_params(labelsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True
