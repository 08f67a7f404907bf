"""The forecaster contract as tests, run on every registered forecaster.

``tests/test_contract.py`` runs :class:`ForecasterContract` over ``list_forecasters()``;
a new model is covered without new test code. ``tests/test_extending.py`` registers a toy
net inside the test file and runs the same class on it.

What a model must satisfy: fit/predict shapes and real future timestamps, backtest
layout and actuals, quantiles where the ``quantiles`` tag says so, save -> load ->
identical predictions, scikit-learn ``clone``/``get_params``/``set_params``, a refit that
starts from the constructor arguments, clear errors for bad input, and no leakage (rows
after an origin never change that origin's forecast).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import tsforecast as tsf
from tsforecast.forecasters import BaseForecaster, NotFittedError, get_forecaster

H = 6
N = 360
BACKTEST_COLUMNS = ["series", "target", "cutoff", "timestamp", "step", "y", "y_hat"]

#: Small, fast settings per model (anything not listed keeps its defaults).
FAST = {
    "seasonal_naive": {"season_length": 24},
    "mean": {"window": 24},
    "lag_regression": {"lags": 24},
    "ets": {"season_length": 24, "max_train_size": 120},
    "arima": {"max_p": 1, "max_q": 1, "max_d": 1, "max_train_size": 120},
    "combination": {"members": ("naive", ("ets", {"max_train_size": 120}), "theta")},
}
NEURAL_FAST = {
    "lookback": 24, "max_epochs": 1, "batch_size": 64, "accelerator": "cpu", "devices": 1,
    "random_state": 0, "verbose": False,
}


def frame(n: int = N, seed: int = 0) -> pd.DataFrame:
    """Hourly data: two targets with a daily cycle and a covariate."""
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "y": 10 + np.sin(2 * np.pi * t / 24) + 0.01 * t + 0.1 * rng.normal(size=n),
            "z": 5 + np.cos(2 * np.pi * t / 24) + 0.1 * rng.normal(size=n),
            "x": np.cos(2 * np.pi * t / 24),
        },
        index=pd.date_range("2024-01-01", periods=n, freq="h", name="date"),
    )


def build(name: str, **params) -> BaseForecaster:
    klass = get_forecaster(name)
    base = {"horizon": H, "target": "y"}
    if klass.get_tag("neural"):
        base.update(NEURAL_FAST)
    base.update(FAST.get(name, {}))
    return tsf.make_forecaster(name, **{**base, **params})


class ForecasterContract:
    """Subclass with a ``name`` fixture (one registered forecaster name per param)."""

    @pytest.fixture
    def fitted(self, name):
        return build(name).fit(frame())

    def test_predict_shapes_and_timestamps(self, fitted):
        data = frame()
        fc = fitted.predict()
        assert list(fc.columns) == ["y"]
        expected = pd.date_range(data.index[-1], periods=H + 1, freq="h")[1:]
        pd.testing.assert_index_equal(fc.index, expected, check_names=False)
        assert np.isfinite(fc["y"].to_numpy()).all()
        # in original units: near the level of the data, not z-scored
        assert abs(fc["y"].mean() - data["y"].iloc[-48:].mean()) < 3 * data["y"].std()

    def test_backtest_layout_and_actuals(self, fitted):
        data = frame()
        bt = fitted.backtest(data, start=0.8, stride=H)
        assert list(bt.columns) == BACKTEST_COLUMNS
        first = int(len(data) * 0.8)
        cutoffs = pd.DatetimeIndex(bt["cutoff"].unique())
        assert cutoffs[0] == data.index[first - 1]
        assert (cutoffs[1:] - cutoffs[:-1] == pd.Timedelta(hours=H)).all()
        assert len(bt) == len(cutoffs) * H
        np.testing.assert_allclose(
            bt["y"].to_numpy(), data.loc[bt["timestamp"], "y"].to_numpy(), rtol=1e-6
        )
        assert (bt["timestamp"] > bt["cutoff"]).all() and np.isfinite(bt["y_hat"]).all()

    def test_multi_series_long_frame(self, name):
        a, b = frame(seed=1), frame(seed=2) + 100
        long = pd.concat([a.assign(unit="a"), b.assign(unit="b")])
        fc = build(name, id_col="unit").fit(long).predict()
        assert list(fc["unit"].unique()) == ["a", "b"] and len(fc) == 2 * H
        # each series is forecast at its own level, in original units
        assert fc.loc[fc["unit"] == "b", "y"].mean() > fc.loc[fc["unit"] == "a", "y"].mean() + 50

    def test_quantiles_where_supported(self, name):
        if not get_forecaster(name).get_tag("quantiles"):
            with pytest.raises(TypeError):
                build(name, quantiles=[0.1, 0.9])
            return
        fc = build(name, quantiles=[0.1, 0.9]).fit(frame()).predict()
        q = fc[["y_q0.1", "y_q0.5", "y_q0.9"]].to_numpy()
        assert np.isfinite(q).all() and (np.diff(q, axis=1) >= 0).all()
        np.testing.assert_allclose(fc["y"].to_numpy(), q[:, 1])

    def test_conformal_intervals(self, name, tmp_path):
        f = build(name, level=[80, 95]).fit(frame())
        fc = f.predict()
        assert list(fc.columns) == ["y", "y_lo80", "y_hi80", "y_lo95", "y_hi95"]
        lo95, lo80, y, hi80, hi95 = (fc[c].to_numpy() for c in
                                     ("y_lo95", "y_lo80", "y", "y_hi80", "y_hi95"))
        assert (lo95 <= lo80).all() and (lo80 <= y).all() and (y <= hi80).all()
        assert (hi80 <= hi95).all() and (hi95 > lo95).all()
        bt = f.backtest(frame(), start=0.8)
        assert list(bt.columns) == [*BACKTEST_COLUMNS, "lo80", "hi80", "lo95", "hi95"]
        np.testing.assert_allclose(bt["hi80"] - bt["y_hat"], bt["y_hat"] - bt["lo80"])
        if type(f).get_tag("saveable"):
            f.save(tmp_path / "m")
            pd.testing.assert_frame_equal(BaseForecaster.load(tmp_path / "m").predict(), fc)

    def test_save_load_identical(self, fitted, tmp_path):
        if not type(fitted).get_tag("saveable"):
            pytest.skip("the saveable tag is off for this model")
        fitted.save(tmp_path / "m")
        loaded = BaseForecaster.load(tmp_path / "m")
        assert type(loaded) is type(fitted) and loaded.get_params() == fitted.get_params()
        pd.testing.assert_frame_equal(loaded.predict(), fitted.predict())
        data = frame()
        pd.testing.assert_frame_equal(
            loaded.backtest(data, start=0.9), fitted.backtest(data, start=0.9)
        )
        assert not list(tmp_path.glob("**/*.pkl")) and not list(tmp_path.glob("**/*.pt"))

    def test_sklearn_params_round_trip(self, name):
        f = build(name)
        params = f.get_params()
        assert set(params) == set(type(f).param_names())
        c = clone(f)
        assert type(c) is type(f) and c.get_params() == params
        c.set_params(horizon=H + 1)
        assert c.horizon == H + 1 and f.horizon == H
        with pytest.raises(ValueError, match="Invalid parameter"):
            c.set_params(no_such_parameter=1)
        with pytest.raises(NotFittedError, match="not fitted"):
            c.predict()

    def test_refit_starts_from_the_arguments(self, fitted):
        data = frame()
        first = fitted.predict()
        fitted.set_params(target="z")
        assert list(fitted.fit(data).predict().columns) == ["z"]
        fitted.set_params(target="y")
        pd.testing.assert_frame_equal(fitted.fit(data).predict(), first)

    def test_bad_input_is_a_clear_error(self, name):
        data = frame()
        with pytest.raises(ValueError, match="'nope'"):
            build(name, target="nope").fit(data)
        with pytest.raises(TypeError, match="'label'.* not numeric"):
            build(name, target="label").fit(data.assign(label="a"))
        with pytest.raises(ValueError, match="horizon must be an integer >= 1"):
            build(name, horizon=0).fit(data)
        need = build(name).fit(data).min_fit_rows  # may depend on the frequency
        if need > 1:
            with pytest.raises(ValueError, match=f"has {need - 1} rows; .* needs at least {need}"):
                build(name).fit(data.iloc[: need - 1])

    def test_no_leakage_after_the_origin(self, fitted):
        data = frame()
        cut = int(len(data) * 0.8) + 2 * H
        bumped = data.copy()
        bumped.iloc[cut:] += 50.0
        a = fitted.backtest(data, start=0.8, stride=H)
        b = fitted.backtest(bumped, start=0.8, stride=H)
        early = a["cutoff"] < data.index[cut]  # forecasts made before the bump
        assert early.sum() >= H
        np.testing.assert_allclose(a.loc[early, "y_hat"], b.loc[early, "y_hat"], rtol=1e-6)
        late = ~early
        assert not np.allclose(a.loc[late, "y_hat"], b.loc[late, "y_hat"])
