"""Classical baselines: hand-checked forecasts, lag regression, persistence and input errors
(offline, fast); the statsforecast models are in test_statistical.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.neighbors import KNeighborsRegressor

import tsforecast as tsf
from tsforecast.forecasters import (
    FORECASTERS,
    ARIMAForecaster,
    DriftForecaster,
    ETSForecaster,
    LagRegressionForecaster,
    MeanForecaster,
    NaiveForecaster,
    NotFittedError,
    SeasonalNaiveForecaster,
)
from tsforecast.forecasters.base import BaseForecaster, FallbackWarning

BASELINES = tsf.list_forecasters(tag="neural", value=False)

BACKTEST_COLUMNS = ["series", "target", "cutoff", "timestamp", "step", "y", "y_hat"]
Y = np.array([1.0, 2.0, 4.0, 3.0, 5.0, 6.0, 8.0, 7.0, 9.0, 12.0])


def frame(values, start="2024-01-01", freq="D", name="y") -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    return pd.DataFrame({name: values}, index=pd.date_range(start, periods=len(values), freq=freq))


@pytest.fixture(scope="module")
def stocks() -> pd.DataFrame:
    return tsf.datasets.load_stocks(source="bundled")


@pytest.fixture(scope="module")
def ibm(stocks) -> pd.DataFrame:
    return stocks[stocks["ticker"] == "IBM"].drop(columns="ticker").iloc[-400:]


@pytest.fixture(scope="module")
def weather() -> pd.DataFrame:
    return tsf.datasets.load_weather().iloc[-600:]


# -- hand-checkable baselines -----------------------------------------------------------------


def _naive(y, o, h):
    return y[o - 1]


def _snaive3(y, o, h):
    return y[o - 3 + (h - 1) % 3]


def _drift(y, o, h):
    return y[o - 1] + h * (y[o - 1] - y[0]) / (o - 1)


def _mean_all(y, o, h):
    return y[:o].mean()


def _mean_w3(y, o, h):
    return y[o - 3 : o].mean()


HAND = [
    (NaiveForecaster, {}, _naive, [12.0, 12.0, 12.0]),
    (SeasonalNaiveForecaster, {"season_length": 3}, _snaive3, [7.0, 9.0, 12.0]),
    (DriftForecaster, {}, _drift, [12 + 11 / 9, 12 + 22 / 9, 12 + 33 / 9]),
    (MeanForecaster, {}, _mean_all, [5.7, 5.7, 5.7]),
    (MeanForecaster, {"window": 3}, _mean_w3, [28 / 3, 28 / 3, 28 / 3]),
]


@pytest.mark.parametrize(("klass", "params", "rule", "expected"), HAND)
def test_hand_checked_predict_and_backtest(klass, params, rule, expected):
    df = frame(Y)
    f = klass(horizon=3, **params).fit(df)
    fc = f.predict()
    assert list(fc.columns) == ["y"]
    assert fc.index[0] == df.index[-1] + pd.Timedelta(days=1)
    np.testing.assert_allclose(fc["y"].to_numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(fc["y"].to_numpy(), [rule(Y, len(Y), h) for h in (1, 2, 3)])
    bt = f.backtest(df, start=3, stride=1)
    assert list(bt.columns) == BACKTEST_COLUMNS
    cut_pos = df.index.get_indexer(bt["cutoff"]) + 1  # origin = rows of history
    want = [rule(Y, o, h) for o, h in zip(cut_pos, bt["step"], strict=True)]
    np.testing.assert_allclose(bt["y_hat"].to_numpy(), want, rtol=1e-12)
    np.testing.assert_array_equal(bt["y"].to_numpy(), Y[cut_pos + bt["step"].to_numpy() - 1])
    assert sorted(set(cut_pos)) == list(range(max(3, f.min_history), len(Y) - 3 + 1))


SIMPLE = [(NaiveForecaster, {}), (SeasonalNaiveForecaster, {"season_length": 3}),
          (DriftForecaster, {}), (MeanForecaster, {}), (MeanForecaster, {"window": 4})]


@settings(max_examples=15, deadline=None)
@given(
    values=st.lists(st.floats(-100, 100, allow_nan=False, width=32), min_size=8, max_size=25),
    horizon=st.integers(1, 4),
    case=st.sampled_from(SIMPLE),
)
def test_vectorised_backtest_equals_predict_from_each_history(values, horizon, case):
    klass, params = case
    df = frame(values)
    f = klass(horizon=horizon, quantiles=[0.1, 0.9], **params).fit(df)
    bt = f.backtest(df, start=1, stride=1)
    for cutoff, g in bt.groupby("cutoff"):
        fc = f.predict(df.loc[:cutoff])
        np.testing.assert_allclose(g["y_hat"], fc["y"], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(g["q0.1"], fc["y_q0.1"], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(g["q0.9"], fc["y_q0.9"], rtol=1e-9, atol=1e-9)


def test_several_targets_and_series_are_independent():
    a = pd.DataFrame({"u": Y, "v": Y[::-1] * 10}, index=pd.date_range("2024", periods=10))
    f = DriftForecaster(horizon=2, target=["u", "v"]).fit(a)
    fc = f.predict()
    np.testing.assert_allclose(fc["u"], [_drift(Y, 10, h) for h in (1, 2)])
    np.testing.assert_allclose(fc["v"], [_drift(Y[::-1] * 10, 10, h) for h in (1, 2)])
    long = pd.concat([frame(Y).assign(k="a"), frame(Y * 2).assign(k="b")])
    fc = NaiveForecaster(horizon=2, id_col="k").fit(long).predict()
    assert fc.groupby("k")["y"].first().to_dict() == {"a": 12.0, "b": 24.0}


def test_simple_quantiles_follow_the_residual_formulas():
    df = frame(Y)
    f = NaiveForecaster(horizon=3, quantiles=[0.9, 0.1]).fit(df)
    assert f.quantiles_ == (0.1, 0.5, 0.9)
    fc = f.predict()
    sigma = np.sqrt(np.mean(np.diff(Y) ** 2))
    np.testing.assert_allclose(fc["y_q0.9"] - fc["y"], 1.2815515655 * sigma * np.sqrt([1, 2, 3]))
    np.testing.assert_array_equal(fc["y_q0.5"], fc["y"])
    for klass, params in [(SeasonalNaiveForecaster, {"season_length": 3}), (DriftForecaster, {}),
                          (MeanForecaster, {"window": 4}), (MeanForecaster, {})]:
        g = klass(horizon=4, quantiles=(0.05, 0.25, 0.75, 0.95), **params).fit(df)
        bt = g.backtest(df, start=0.5, stride=1)
        q = bt[["q0.05", "q0.25", "q0.5", "q0.75", "q0.95"]].to_numpy()
        assert np.isfinite(q).all() and (np.diff(q, axis=1) >= 0).all(), klass.__name__
        np.testing.assert_array_equal(bt["q0.5"], bt["y_hat"])
    bt = MeanForecaster(horizon=1, quantiles=[0.1], window=4).fit(df).backtest(df, start=0.5)
    assert bt.columns.tolist() == [*BACKTEST_COLUMNS, "q0.1", "q0.5"]
    o = 5
    s = np.std(Y[o - 4 : o], ddof=1) * np.sqrt(1 + 1 / 4)
    np.testing.assert_allclose(bt["q0.1"].iloc[0], Y[o - 4 : o].mean() - 1.2815515655 * s)


def test_seasonal_naive_infers_the_season_from_the_frequency():
    hourly = frame(np.arange(60.0), freq="h")
    f = SeasonalNaiveForecaster(horizon=2).fit(hourly)
    assert f.season_length_ == 24
    np.testing.assert_array_equal(f.predict()["y"], [36.0, 37.0])
    assert SeasonalNaiveForecaster(horizon=1).fit(frame(Y, freq="B")).season_length_ == 5
    ints = pd.DataFrame({"y": Y})  # RangeIndex: no calendar to infer a season from
    with pytest.raises(ValueError, match="cannot infer season_length"):
        SeasonalNaiveForecaster(horizon=1).fit(ints)


# -- bad input ----------------------------------------------------------------------------------


def test_a_history_shorter_than_the_season_gets_the_naive_forecast():
    """Issue 26: one short series must not fail the others; it gets naive, recorded."""
    long, short = np.arange(30.0), Y
    panel = pd.concat([frame(long).assign(k="long"), frame(short).assign(k="short")])
    with pytest.warns(FallbackWarning, match=r"1 of 2 series shorter than season 12 .*'short'"):
        f = SeasonalNaiveForecaster(season_length=12, horizon=3, id_col="k").fit(panel)
    assert f.fallbacks_ == {"short": "naive forecast: 10 rows, season 12 needs 12"}
    fc = f.predict()
    np.testing.assert_array_equal(fc.loc[fc["k"] == "short", "y"], [Y[-1]] * 3)
    np.testing.assert_array_equal(fc.loc[fc["k"] == "long", "y"], long[-12:-9])
    # a backtest reads each origin's history: naive before a full season, seasonal after
    g = SeasonalNaiveForecaster(season_length=4, horizon=2).fit(frame(Y))
    assert g.fallbacks_ == {}
    bt = g.backtest(frame(Y), start=1, stride=1)
    origins = frame(Y).index.get_indexer(bt["cutoff"]) + 1
    want = [Y[o - 1] if o < 4 else Y[o - 4 + (h - 1) % 4]
            for o, h in zip(origins, bt["step"], strict=True)]
    np.testing.assert_array_equal(bt["y_hat"], want)
    np.testing.assert_array_equal(g.predict(frame(Y[:3]))["y"], [Y[2]] * 2)
    with pytest.warns(FallbackWarning, match="season 24"):  # inferred from the frequency
        hourly = SeasonalNaiveForecaster(horizon=1).fit(frame(Y, freq="h"))
    assert hourly.fallbacks_ == {"series": "naive forecast: 10 rows, season 24 needs 24"}


def test_non_numeric_target_and_nan_history_are_clear_errors():
    df = frame(Y).assign(label=list("abcdefghij"))
    with pytest.raises(TypeError, match="target column 'label' is not numeric"):
        NaiveForecaster(target="label").fit(df)
    gap = frame(Y)
    gap.iloc[4, 0] = np.nan
    for klass in (NaiveForecaster, ETSForecaster, LagRegressionForecaster):
        with pytest.raises(ValueError, match="NaN at row 4.*fill_missing"):
            klass(horizon=2, lags=2).fit(gap) if klass is LagRegressionForecaster else klass(
                horizon=2).fit(gap)
    np.testing.assert_array_equal(
        NaiveForecaster(horizon=1, fill_missing="ffill").fit(gap).backtest(gap, start=5)["y_hat"],
        [3.0, 6.0, 8.0, 7.0, 9.0],  # row 4 forward-filled with 3
    )


@pytest.mark.parametrize(
    ("estimator", "match"),
    [
        (NaiveForecaster(horizon=0), "horizon must be an integer >= 1, got 0"),
        (MeanForecaster(window=0), "window must be an integer >= 1 or None, got 0"),
        (MeanForecaster(window=1, quantiles=[0.1]), "window must be >= 2 with quantiles"),
        (SeasonalNaiveForecaster(season_length=2.5), "season_length must be an integer"),
        (DriftForecaster(quantiles=[1.5]), r"quantiles must be numbers .* got \[1.5\]"),
        (ETSForecaster(model="XYZ"), "model must be three letters .* got 'XYZ'"),
        (ETSForecaster(damped="yes"), "damped must be None, True or False, got 'yes'"),
        (ARIMAForecaster(information_criterion="hqic"), "information_criterion must be one of"),
        (ARIMAForecaster(max_train_size=5), "max_train_size must be an integer >= 10"),
        (ARIMAForecaster(refit_every=0), "refit_every must be an integer >= 1 or None, got 0"),
        (LagRegressionForecaster(lags=0), "lags must be an integer >= 1 or a list of them, got 0"),
        (LagRegressionForecaster(regressor="ridge"), "regressor must be a scikit-learn regressor"),
        (NaiveForecaster(fill_missing="zero"), "fill_missing must be one of"),
    ],
)
def test_bad_parameters_name_the_value(estimator, match):
    with pytest.raises(ValueError, match=match):
        estimator.fit(frame(np.arange(40.0)))


def test_not_fitted():
    for name in BASELINES:
        with pytest.raises(NotFittedError, match="not fitted"):
            tsf.make_forecaster(name).predict()


# -- lag regression -----------------------------------------------------------------------------


def _check_quantiles(fc: pd.DataFrame, targets, qs=(0.1, 0.5, 0.9)):
    for t in targets:
        q = fc[[f"{t}_q{q:g}" for q in qs]].to_numpy()
        assert np.isfinite(q).all()
        assert (np.diff(q, axis=1) >= 0).all()
        assert (q[:, 0] < fc[t]).all() and (fc[t] < q[:, -1]).all()


def test_lag_regression_global_on_several_tickers(stocks):
    data = stocks.groupby("ticker").tail(300)
    f = LagRegressionForecaster(horizon=5, lags=10, target="close", id_col="ticker",
                                quantiles=[0.1, 0.9])
    f.fit(data)
    sizes = data.groupby("ticker").size()  # FB is shorter
    assert f.n_windows_ == int((sizes - 10 - 5 + 1).sum())
    fc = f.predict()
    assert fc.shape == (25, 5) and sorted(fc["ticker"].unique()) == sorted(data.ticker.unique())
    _check_quantiles(fc, ["close"])
    bt = f.backtest(data, start=0.8)
    assert bt.columns.tolist() == [*BACKTEST_COLUMNS, "q0.1", "q0.5", "q0.9"]
    assert set(bt["series"]) == set(data["ticker"])
    # relative (level-invariant) global Ridge is about as good as the random walk on prices
    naive = NaiveForecaster(horizon=5, target="close", id_col="ticker").fit(data)
    nb = naive.backtest(data, start=0.8)
    assert (bt.y - bt.y_hat).abs().mean() < 1.2 * (nb.y - nb.y_hat).abs().mean()
    # local models, and a series never seen at fit
    local = clone(f).set_params(global_model=False, quantiles=None).fit(data)
    assert set(local.regressors_) == set(data["ticker"])
    new = data[data.ticker == "IBM"].assign(ticker="IBM2")
    assert local.backtest(new, start=0.5)["series"].eq("IBM2").all()


def test_lag_regression_covariates_and_calendar(weather):
    f = LagRegressionForecaster(horizon=6, lags=[1, 2, 24], target="TEMP",
                                past_covariates=["DEWP", "PRES"], future_covariates=["Iws"],
                                calendar_features=True)
    f.fit(weather.iloc[:-6])
    n_cal = len(f.layout_.calendar)
    assert f.regressor_.coef_.shape == (6, 3 * 3 + 6 * (1 + n_cal))
    with pytest.raises(ValueError, match="future_covariates"):
        f.predict()
    fc = f.predict(future_covariates=weather.iloc[-6:][["Iws"]])
    bt = f.backtest(weather, start=len(weather) - 6)
    np.testing.assert_allclose(bt["y_hat"], fc["TEMP"], rtol=1e-6)
    assert np.abs(fc["TEMP"] - weather["TEMP"].iloc[-6:].to_numpy()).mean() < 5


def test_lag_regression_any_regressor_never_mutated_and_save_rules(tmp_path):
    knn = KNeighborsRegressor(n_neighbors=3)
    f = LagRegressionForecaster(horizon=2, lags=3, regressor=knn).fit(frame(np.sin(np.arange(60.0))))
    assert not hasattr(knn, "n_samples_fit_") and f.regressor_ is not knn
    assert f.predict().shape == (2, 1)
    with pytest.raises(ValueError, match="cannot save a LagRegressionForecaster with regressor KNeighbors.*can be saved"):
        f.save(tmp_path / "knn")
    c = clone(LagRegressionForecaster(regressor=Ridge(alpha=3.0)))
    assert c.regressor.alpha == 3.0 and c.get_params()["regressor__alpha"] == 3.0


# -- registry, clone, persistence -------------------------------------------------------------------


def test_registry_and_clone():
    assert set(BASELINES) <= set(FORECASTERS)
    assert {"lstm", "nlinear"} <= set(FORECASTERS)
    for name in BASELINES:
        f = tsf.make_forecaster(name, horizon=3)
        assert isinstance(f, BaseForecaster) and f.horizon == 3
        c = clone(f)
        assert type(c) is type(f) and c.get_params() == f.get_params()
    with pytest.raises(TypeError, match="'naive' .*window"):
        tsf.make_forecaster("naive", window=3)


SAVE_CASES = [
    ("naive", {"quantiles": [0.1, 0.9]}),
    ("seasonal_naive", {}),
    ("drift", {}),
    ("mean", {"window": 5}),
    ("ets", {"season_length": 24, "quantiles": [0.1]}),
    ("arima", {"max_p": 1, "max_q": 1, "max_train_size": 150}),
    ("theta", {"quantiles": [0.1, 0.9]}),
    ("mstl", {"max_train_size": 200}),
    ("lag_regression", {"lags": 24, "regressor": Ridge(alpha=0.5)}),
    ("lag_regression", {"lags": [1, 24], "past_covariates": ["DEWP"], "global_model": False}),
]


@pytest.mark.parametrize(("name", "params"), SAVE_CASES)
def test_save_load_round_trip_is_identical(name, params, weather, tmp_path):
    data = weather.iloc[-300:]
    f = tsf.make_forecaster(name, horizon=6, target="TEMP", **params).fit(data)
    f.save(tmp_path / name)
    assert not list(tmp_path.glob("**/*.pkl")) and not list(tmp_path.glob("**/*.joblib"))
    g = BaseForecaster.load(tmp_path / name)
    assert type(g) is type(f)
    pd.testing.assert_frame_equal(g.predict(), f.predict())
    pd.testing.assert_frame_equal(g.backtest(data, start=0.9), f.backtest(data, start=0.9))
