"""Conformal intervals: coverage where the theory promises it, and clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tsforecast as tsf


def random_walk(n: int, seed: int = 0) -> pd.DataFrame:
    steps = np.random.default_rng(seed).normal(size=n)
    return pd.DataFrame({"y": 100 + np.cumsum(steps)},
                        index=pd.date_range("2020-01-01", periods=n, freq="h"))


@pytest.mark.parametrize("level", [80, 95])
def test_naive_intervals_cover_a_random_walk_at_the_nominal_level(level):
    data = random_walk(6000)
    f = tsf.NaiveForecaster(horizon=4, level=[level], calibration_size=2000).fit(data.iloc[:3000])
    bt = f.backtest(data, start=3000, stride=1)
    inside = (bt["y"] >= bt[f"lo{level}"]) & (bt["y"] <= bt[f"hi{level}"])
    assert abs(inside.mean() - level / 100) < 0.03
    # wider for later steps: the error of a random walk grows like sqrt(h)
    width = (bt[f"hi{level}"] - bt[f"lo{level}"]).groupby(bt["step"]).mean()
    assert width.is_monotonic_increasing and width.iloc[-1] / width.iloc[0] > 1.5


def test_intervals_are_per_series_and_target_pooled_over_series():
    a, b = random_walk(600, 1), random_walk(600, 2)
    both = pd.concat([a.assign(k="a"), b.assign(k="b", z=lambda d: d["y"] * 10)])
    f = tsf.DriftForecaster(horizon=3, id_col="k", target=["y"], level=[90]).fit(both)
    fc = f.predict()
    assert set(fc.columns) == {"k", "y", "y_lo90", "y_hi90"}


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"level": [0]}, "strictly between 0 and 100, got 0"),
        ({"level": [100]}, "strictly between 0 and 100, got 100"),
        ({"level": [80, 150]}, "got 150"),
        ({"level": 80}, "level must be a list of percentages"),
        ({"level": ["80"]}, "got '80'"),
        ({"level": [80], "calibration_size": 1.5}, "calibration_size must be a fraction"),
        ({"level": [80], "calibration_size": 590}, "too little held-out history to calibrate"),
        ({"level": [99.9], "calibration_size": 20}, "too little held-out history to calibrate "
                                                    "level 99.9"),
    ],
)
def test_bad_levels_and_too_little_history_are_clear_errors(params, match):
    with pytest.raises(ValueError, match=match):
        tsf.MeanForecaster(horizon=4, window=24, **params).fit(random_walk(600))


def test_global_model_calibrates_with_series_too_short_to_hold_out():
    """A global model fits its calibration copy on the series long enough to keep a
    training part and still scores the short ones; a local model needs every series."""
    long = random_walk(300, 1).assign(k="long")
    short = random_walk(300, 2).iloc[-12:].assign(k="short")
    both = pd.concat([long, short])
    f = tsf.NLinearForecaster(horizon=3, lookback=8, id_col="k", target="y", level=[80],
                              max_epochs=1, random_state=0, verbose=False,
                              accelerator="cpu").fit(both)
    fc = f.predict()
    assert set(fc["k"]) == {"long", "short"} and np.isfinite(fc["y_lo80"]).all()
    with pytest.raises(ValueError, match="series 'short' has 12 rows"):
        tsf.MeanForecaster(horizon=3, window=11, id_col="k", target="y", level=[80]).fit(both)
