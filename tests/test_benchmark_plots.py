"""The report's PNGs: the leaderboard as a dot plot (outliers clipped, ties with the best
marked, families coloured, spread over seeds), one readable forecast figure per data set
(at most MAX_PANELS series, positional series drawn by step), date ticks that do not
overlap, metrics in their units."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import json
import math
import re

import matplotlib.collections
import matplotlib.dates as mdates
import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import tsforecast as tsf
from tsforecast.benchmark import run_benchmark
from tsforecast.benchmark.plots import (
    FAMILY_COLORS,
    MAX_PANELS,
    OUTLIER_FACTOR,
    STEP_LABEL,
    TIED_P,
    forecasts_figure,
    leaderboard_figure,
    leaderboard_points,
    metric_label,
    off_scale,
)
from tsforecast.forecasters.plotting import plot_backtest

N_ROWS = 40  # rows of each positional series
FAMILIES = {"naive": "baseline", "theta": "statistical", "lstm": "neural",
            "nlinear": "neural", "mean": "baseline"}


@pytest.fixture
def board() -> pd.DataFrame:
    """A leaderboard like stocks': four close models, one far off (mean), one failed."""
    best = 2.0
    mase = [best, best * 1.01, best * 1.05, best * 1.2, best * OUTLIER_FACTOR * 5, math.nan]
    return pd.DataFrame({
        "model": ["naive", "theta", "lstm", "nlinear", "mean", "broken"],
        "mase": mase,
        "mase_sd": [0.0, 0.0, 0.04, 0.02, 0.0, math.nan],
        "dm_pvalue": [math.nan, TIED_P * 4, TIED_P / 2, TIED_P / 10, TIED_P / 1e6, math.nan],
        "kept_initial": [math.nan, math.nan, 1.0, 0.0, math.nan, math.nan],
        "error": [None, None, None, None, None, "fit: boom"],
    })


def test_leaderboard_points_clip_outliers_and_mark_ties(board):
    points, (low, high) = leaderboard_points(board, "mase", FAMILIES)
    assert list(points["model"]) == ["naive", "theta", "lstm", "nlinear", "mean"]  # no failure
    assert list(points["tied"]) == [True, True, False, False, False]
    assert list(points["clipped"]) == [False, False, False, False, True]
    assert list(points["kept_initial"]) == [False, False, True, False, False]
    assert list(points["family"]) == ["baseline", "statistical", "neural", "neural", "baseline"]
    others = points[~points["clipped"]]
    # the axis is set by the close models and their spread, not by mean
    assert low < (others["value"] - others["sd"]).min() and high > (others["value"]
                                                                      + others["sd"]).max()
    assert high < points.loc[points["model"] == "mean", "value"].iloc[0]


def test_leaderboard_figure_is_a_dot_plot_showing_the_differences(board):
    fig = leaderboard_figure(board, "mase", "original units", "stocks", FAMILIES)
    ax = fig.axes[0]
    mean = float(board.loc[board["model"] == "mean", "mase"].iloc[0])
    assert ax.get_xlim()[1] < mean  # not a linear axis set by mean
    top_down = sorted(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()),
                          strict=True), reverse=True)
    assert [label for _, label in top_down] == [
        "naive", "theta", "lstm *", "nlinear", "mean"]  # best on top; * kept the RW start
    assert any(f"{mean:.4g}" == t.get_text() for t in ax.texts)  # the clipped value is written
    assert len(ax.containers) == 2  # error bars: the two nets with a spread over seeds
    dots = [c for c in ax.collections if isinstance(c, matplotlib.collections.PathCollection)]
    assert len(dots) == 5
    filled = [matplotlib.colors.to_hex(c.get_facecolor()[0]) != "#ffffff" for c in dots]
    assert filled == [True, True, False, False, False]  # tied with the best: filled
    edges = {matplotlib.colors.to_hex(c.get_edgecolor()[0]) for c in dots}
    assert edges == {FAMILY_COLORS[f] for f in ("baseline", "statistical", "neural")}
    assert "MASE" in ax.get_xlabel() and "original units" not in ax.get_xlabel()
    plt.close(fig)


def test_metric_labels_carry_their_units():
    assert "%" in metric_label("smape", "original units")
    assert "original units" not in metric_label("smape", "original units")
    assert "original units" in metric_label("mae", "original units")
    assert "z-scored" in metric_label("mse", "z-scored (training mean/std)")


# -- forecast figures ----------------------------------------------------------------------------
def _positional_csv(path, n_series=MAX_PANELS + 2, n=N_ROWS):
    rng = np.random.default_rng(0)
    rows = [pd.DataFrame({"unique_id": f"S{i}", "ds": np.arange(n),
                          "y": 100 + i + np.cumsum(rng.normal(size=n))})
            for i in range(n_series)]
    pd.concat(rows).to_csv(path, index=False)
    return n_series


@pytest.mark.slow
def test_forecast_figure_of_positional_series_is_a_grid_drawn_by_step(tmp_path):
    n_series = _positional_csv(tmp_path / "panel.csv")
    res = run_benchmark({"data": [str(tmp_path / "panel.csv")], "protocol": "holdout",
                         "horizon": 6, "models": "naive", "progress": False,
                         "output": str(tmp_path / "out")})
    task = res.tasks[0]
    fig = forecasts_figure(task, res.results, 3)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(shown) == MAX_PANELS < n_series
    for ax in shown:
        assert ax.get_xlabel() == STEP_LABEL
        assert not isinstance(ax.xaxis.get_major_formatter(), mdates.DateFormatter
                              | mdates.ConciseDateFormatter | mdates.AutoDateFormatter)
        x = np.concatenate([np.asarray(line.get_xdata(), float) for line in ax.lines
                            if line.get_linestyle() == "-"])
        assert x.min() >= 0 and x.max() < N_ROWS  # the series' positions, not days in 2000
    plt.close(fig)
    png = mpimg.imread(res.output_dir / "plots" / "forecasts_panel.png")
    assert png.shape[0] <= 1600 and png.shape[1] <= 1600
    board = mpimg.imread(res.output_dir / "plots" / "leaderboard_panel.png")
    assert board.shape[0] < png.shape[0]
    lb_fig = leaderboard_figure(res.leaderboard, task.rank_metric, task.units, task.name, {})
    assert task.rank_metric == "smape" and "sMAPE (%)" in lb_fig.axes[0].get_xlabel()
    assert task.units not in lb_fig.axes[0].get_xlabel()  # a percent, not "original units"
    plt.close(lb_fig)
    if (res.output_dir / "report.html").is_file():  # the HTML report draws them by step too
        page = (res.output_dir / "report.html").read_text(encoding="utf-8")
        data = re.search(r'id="forecast-0-data">(.*?)</script>', page, flags=re.S).group(1)
        spec = json.loads(data)
        assert spec["layout"]["xaxis"]["title"]["text"] == STEP_LABEL
        xs = [x for trace in next(iter(spec["charts"].values())) for x in trace["x"]]
        assert all(isinstance(x, int) and 0 <= x < N_ROWS for x in xs)


@pytest.mark.slow
def test_forecast_figure_of_dated_series_has_readable_date_ticks(tmp_path):
    res = run_benchmark({"suite": "stocks", "quick": True, "models": "naive,mean",
                         "progress": False, "output": str(tmp_path / "out")})
    task = res.tasks[0]
    outliers = off_scale(res.leaderboard, task.rank_metric)
    assert outliers == {"mean"}  # MASE 22 against naive's 2.1
    fig = forecasts_figure(task, res.results, 3, outliers)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(shown) == len(task.series_ids)
    mean = next(r for r in res.results if r.model == "mean").forecasts
    below = 0
    for ax in shown:
        assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
        dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
        assert "mean" in {line.get_label() for line in dashed}  # drawn, dashed
        own = mean[mean["series"] == ax.get_title(loc="left")]
        below += ax.get_ylim()[0] > own["y_hat"].min()  # mean does not set the scale
    assert below == len(shown)
    _assert_no_overlap(fig, shown)
    plt.close(fig)


def _assert_no_overlap(fig, axes):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in axes:
        boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
        assert len(boxes) >= 2
        for a, b in zip(boxes, boxes[1:], strict=False):
            assert not a.overlaps(b), [t.get_text() for t in ax.get_xticklabels()]


@pytest.mark.slow
def test_plot_backtest_tick_labels_do_not_overlap(stocks):
    ibm = stocks[stocks["ticker"] == "IBM"]
    bt = tsf.NaiveForecaster(horizon=5, level=[80], id_col="ticker",
                             target="adj_close").fit(ibm).backtest(ibm, start=0.9)
    fig, ax = plt.subplots(figsize=(4, 2.5))
    plot_backtest(bt, ax=ax)
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    _assert_no_overlap(fig, [ax])
    plt.close(fig)
