"""Conformal intervals: coverage where the theory promises it, and clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tsforecast as tsf
from tsforecast.forecasters.conformal import SCALE_ROWS, local_scale


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
        ({"level": [80], "calibration_size": (0.2, 0)}, "or a pair"),
        ({"level": [80], "calibration_size": (2, 24)}, "or a pair"),
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


def random_walks(n_series: int, n: int, seed: int = 0) -> np.ndarray:
    """``[n_series, n]`` independent Gaussian random walks around 100."""
    return 100 + np.cumsum(np.random.default_rng(seed).normal(size=(n_series, n)), axis=1)


def as_frames(walks: np.ndarray) -> dict[str, pd.DataFrame]:
    idx = pd.date_range("2020-01-01", periods=walks.shape[1], freq="h")
    return {str(i): pd.DataFrame({"y": w}, index=idx) for i, w in enumerate(walks)}


@pytest.mark.parametrize(
    "model",
    [
        lambda: tsf.LagRegressionForecaster(horizon=3, lags=3, scaler="none", level=[80, 95]),
        lambda: tsf.MeanForecaster(horizon=3, window=5, level=[80, 95]),
    ],
    ids=["lag_regression", "mean_window"],
)
def test_predict_scales_intervals_as_calibration_did(model):
    """Models that keep few rows (lags=3, window=5) keep the rows the intervals' local
    scale reads too: ``predict()`` equals ``predict(history=train)``, half-widths included
    (they were ~7% narrower, scaled by 2 or 4 one-step changes instead of 64)."""
    train = as_frames(random_walks(20, 100))
    f = model().fit(train)
    assert all(len(s) == SCALE_ROWS for s in f.state_.history)
    pd.testing.assert_frame_equal(f.predict(), f.predict(history=train))
    # without intervals nothing more than the forecast needs is kept
    assert all(len(s) < SCALE_ROWS for s in model().set_params(level=None).fit(train).history_)


@pytest.mark.slow  # ~3 s: 600 series, fitted twice (calibration copy, model)
def test_predict_intervals_of_a_global_model_cover_at_the_nominal_level():
    """80% intervals from ``predict()`` on 600 independent random walks (one step ahead,
    so the 600 outcomes are independent given the calibration). Split conformal promises
    coverage in [0.8, 0.8 + 1/(n_cal + 1)] on average; around it, the observed share has
    the binomial sd sqrt(0.8 * 0.2 / 600) = 0.016 plus the calibration quantile's own
    sd sqrt(0.8 * 0.2 / n_cal) = 0.004 for the n_cal = 600 x 20 held-out errors: 0.017
    together, and three of them (0.05) is the tolerance. Before the fix ``predict()``
    covered 0.71 here (0.71-0.72 over seeds 1-3; now 0.77-0.81)."""
    n_series, n, level = 600, 100, 80
    walks = random_walks(n_series, n + 1, seed=1)
    f = tsf.LagRegressionForecaster(horizon=1, lags=3, scaler="none", level=[level])
    fc = f.fit(as_frames(walks[:, :n])).predict()
    actual = walks[:, n]
    inside = (actual >= fc[f"y_lo{level}"].to_numpy()) & (actual <= fc[f"y_hi{level}"].to_numpy())
    p = level / 100
    n_cal = n_series * int(0.2 * n)  # calibration_size=0.2: 20 held-out forecasts a series
    sd = np.sqrt(p * (1 - p) / n_series + p * (1 - p) / n_cal)
    assert abs(inside.mean() - p) < 3 * sd


def test_local_scale_reads_only_the_rows_before_the_origin_in_its_window():
    """Its floor too (a flat stretch has no one-step changes): a spike long before the
    window or after the origin changes nothing, so the kept rows give the scale of the
    whole history, and a calibration origin's scale never reads the held-out future."""
    flat = np.full((300, 1), 5.0)
    flat[0] = flat[-1] = 1e9
    origin = 200
    whole = local_scale(flat, np.array([origin]))
    np.testing.assert_array_equal(whole, local_scale(flat[origin - SCALE_ROWS:origin],
                                                     np.array([SCALE_ROWS])))
    assert 0 < whole[0, 0] < 1e-3  # floored by the window's own size (5e-6), not by 1e9


@pytest.mark.parametrize("name,params,share", [
    ("ThetaForecaster", {"season_length": 1}, 1),
    ("MSTLForecaster", {"season_lengths": [12]}, 2),  # a forward run: STL per cycle, twice
])
def test_models_run_once_per_origin_calibrate_on_at_most_their_origins(monkeypatch, name,
                                                                        params, share):
    """statsforecast's models forecast one origin at a time (a forward run each): their
    held-out errors come from at most ``CALIBRATION_ORIGINS`` evenly spaced origins (MSTL,
    whose forward runs cost the most: half as many)."""
    from tsforecast.forecasters.conformal import CALIBRATION_ORIGINS

    klass = getattr(tsf, name)
    assert klass.get_tag("calibration_origins") == CALIBRATION_ORIGINS // share
    assert tsf.NaiveForecaster.get_tag("calibration_origins") is None  # every origin
    calls, forecast = [], klass._forecast
    monkeypatch.setattr(klass, "_forecast",
                        lambda self, v, sid, o: calls.append(o) or forecast(self, v, sid, o))
    klass(horizon=4, level=[80], calibration_size=CALIBRATION_ORIGINS + 100,
          **params).fit(random_walk(1000))
    (origins,) = calls  # of the 297 held-out origins: evenly spaced, the first and the last
    assert len(origins) == CALIBRATION_ORIGINS // share
    assert origins[0] == 1000 - CALIBRATION_ORIGINS - 100 and origins[-1] == 1000 - 4
    assert np.ptp(np.diff(origins)) <= 1


def test_arima_calibration_copy_refits_the_orders_chosen_on_all_rows(monkeypatch):
    """The copy skips AutoARIMA's search: the orders of the full fit, coefficients refitted."""
    made, like = [], tsf.ARIMAForecaster._like
    monkeypatch.setattr(tsf.ARIMAForecaster, "_like",
                        lambda self, fitted, seasons: made.append(like(self, fitted, seasons))
                        or made[-1])
    f = tsf.ARIMAForecaster(horizon=4, level=[80], season_length=1, max_train_size=300)
    f.fit(random_walk(600))
    p, q, P, Q, m, d, D = next(iter(f.models_.values()))[0].model_["arma"]
    assert [type(x).__name__ for x in made] == ["ARIMA"]
    assert tuple(made[0].order) == (p, d, q) and tuple(made[0].seasonal_order) == (P, D, Q)
    assert np.isfinite(f.predict()["y_lo80"]).all()


def test_calibration_size_as_a_fraction_at_least_some_rows():
    """``(fraction, rows)``: the fraction of each series, at least that many rows (the
    benchmark's panels); the fraction alone or the rows alone as before."""
    from tsforecast.forecasters.conformal import calibration_rows

    assert [calibration_rows((0.2, 6), n) for n in (14, 30, 41)] == [6, 6, 8]
    assert calibration_rows([0.2, 6], 41) == 8  # as JSON gives it back
    assert [calibration_rows(0.2, 14), calibration_rows(6, 41)] == [2, 6]
    f = tsf.NaiveForecaster(horizon=4, level=[80], calibration_size=(0.2, 24))
    fc = f.fit(random_walk(100)).predict()  # 24 rows held out, not 20
    assert np.isfinite(fc["y_lo80"]).all()
