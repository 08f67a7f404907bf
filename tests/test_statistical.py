"""The statsforecast models: season inference, native intervals, forward-run backtests
versus refits, fallbacks (offline; the contract tests cover the rest)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tsforecast as tsf
from tsforecast.forecasters import (
    ARIMAForecaster,
    CombinationForecaster,
    ETSForecaster,
    MSTLForecaster,
    ThetaForecaster,
)
from tsforecast.forecasters.base import FallbackWarning


@pytest.fixture(scope="module")
def weather() -> pd.DataFrame:
    return tsf.datasets.load_weather().iloc[-900:]


@pytest.fixture(scope="module")
def ibm() -> pd.DataFrame:
    stocks = tsf.datasets.load_stocks(source="bundled")
    return stocks[stocks["ticker"] == "IBM"].drop(columns="ticker").iloc[-400:]


@pytest.mark.parametrize("klass", [ARIMAForecaster, ETSForecaster, ThetaForecaster])
def test_season_comes_from_the_frequency(klass, weather, ibm):
    kw = {"max_train_size": 200} if klass is ARIMAForecaster else {}
    hourly = klass(horizon=6, target="TEMP", fill_missing="ffill", **kw).fit(weather.iloc[-300:])
    assert hourly.season_length_ == 24
    trading = klass(horizon=5, target="close", **kw).fit(ibm.iloc[-200:])
    assert trading.freq_ == "B" and trading.season_length_ == 5
    assert klass(horizon=5, target="close", season_length=1, **kw).fit(ibm).season_length_ == 1


def test_mstl_takes_every_cycle_the_rows_hold_twice(weather):
    f = MSTLForecaster(horizon=24, target="TEMP", fill_missing="ffill").fit(weather)
    assert f.season_lengths_ == (24, 168)
    short = MSTLForecaster(horizon=24, target="TEMP", fill_missing="ffill", max_train_size=300)
    assert short.fit(weather).season_lengths_ == (24,)


def test_native_intervals_are_the_statsforecast_levels(ibm):
    from statsforecast.models import AutoETS

    f = ETSForecaster(horizon=5, target="close", quantiles=[0.1, 0.9], max_train_size=300)
    fc = f.fit(ibm).predict()
    y = ibm["close"].to_numpy(np.float32).astype(np.float64)[-300:]
    ref = AutoETS(season_length=5).fit(y).forward(y=y, h=5, level=[80])
    np.testing.assert_allclose(fc["close"], ref["mean"], rtol=1e-6)
    np.testing.assert_allclose(fc["close_q0.1"], ref["lo-80"], rtol=1e-6)
    np.testing.assert_allclose(fc["close_q0.9"], ref["hi-80"], rtol=1e-6)


def test_backtests_run_the_fit_forward_and_refit_only_when_asked(ibm, monkeypatch):
    calls = []
    real = ThetaForecaster._fit_one

    def spy(self, y):
        calls.append(len(y))
        return real(self, y)

    monkeypatch.setattr(ThetaForecaster, "_fit_one", spy)
    f = ThetaForecaster(horizon=3, target="close", max_train_size=150).fit(ibm.iloc[:300])
    assert calls == [150]
    bt = f.backtest(ibm, start=300, stride=10)
    f.predict()
    assert calls == [150]  # no refit: the fitted model runs forward over the new rows
    bumped = ibm.copy()
    bumped.iloc[350:, bumped.columns.get_loc("close")] += 20.0
    bt2 = f.backtest(bumped, start=300, stride=10)
    early = bt["cutoff"] < ibm.index[350]
    np.testing.assert_allclose(bt2.loc[early, "y_hat"], bt.loc[early, "y_hat"], rtol=1e-12)
    assert (bt2.loc[~early, "y_hat"] - bt.loc[~early, "y_hat"]).abs().min() > 5.0
    g = f.set_params(refit_every=4).fit(ibm.iloc[:300])
    del calls[:]
    bt3 = g.backtest(ibm, start=300, stride=10)
    n_origins = bt3["cutoff"].nunique()
    # the first origin is where the fitted rows end: the same model, so no refit there
    assert calls == [150] * (int(np.ceil(n_origins / 4)) - 1)
    g.predict()
    assert len(calls) == int(np.ceil(n_origins / 4)) - 1


@pytest.mark.parametrize("klass", [ETSForecaster, ThetaForecaster])
def test_the_forecast_from_the_fitted_rows_is_the_one_computed_at_fit(klass, ibm, monkeypatch):
    """A holdout forecasts from where the fit ended: the point forecast computed at fit (in
    the fit's worker processes) is reused, and it is the forward run's forecast exactly."""
    f = klass(horizon=5, target="close", max_train_size=150).fit(ibm.iloc[:300])
    forward = []
    real = klass._one

    def spy(self, model, y, qs):
        forward.append(len(y))
        return real(self, model, y, qs)

    monkeypatch.setattr(klass, "_one", spy)
    cached = f.backtest(ibm.iloc[:310], start=295, stride=5)
    assert forward == [150, 150]  # origins 295 and 305 run forward; 300 is cached
    monkeypatch.setattr(klass, "_fit_point", lambda self, *a: None)
    ran = f.backtest(ibm.iloc[:310], start=295, stride=5)
    assert forward == [150] * 5
    pd.testing.assert_frame_equal(cached, ran)
    np.testing.assert_array_equal(f.predict()["close"], ran["y_hat"].iloc[5:10])


def test_a_failed_fit_falls_back_to_seasonal_naive_and_says_so(weather, monkeypatch):
    def boom(self, seasons):
        raise np.linalg.LinAlgError("singular")

    monkeypatch.setattr(ThetaForecaster, "_new_model", boom)
    data = weather.iloc[-200:]
    with pytest.warns(FallbackWarning, match="failed to fit .*LinAlgError.*seasonal naive"):
        f = ThetaForecaster(horizon=24, target="TEMP", fill_missing="ffill").fit(data)
    assert f.fallbacks_["series"].startswith("seasonal naive forecast (fit failed: LinAlgError")
    snaive = tsf.SeasonalNaiveForecaster(horizon=24, target="TEMP", fill_missing="ffill")
    pd.testing.assert_frame_equal(f.predict(), snaive.fit(data).predict(), check_dtype=False)


def test_bad_parameters_name_the_value(weather):
    cases = [
        (ThetaForecaster(decomposition_type="both"), "decomposition_type must be"),
        (MSTLForecaster(season_lengths=[1, 24]), "season_lengths must be None or a list"),
        (MSTLForecaster(season_lengths="24"), "season_lengths must be None or a list"),
        (ARIMAForecaster(max_p=-1), "max_p must be an integer >= 0"),
        (ETSForecaster(season_length=0), "season_length must be an integer >= 1"),
    ]
    for model, match in cases:
        with pytest.raises(ValueError, match=match):
            model.set_params(target="TEMP", fill_missing="ffill").fit(weather)


def test_combination_is_the_mean_or_median_of_its_members(weather):
    data = weather.iloc[-400:]
    kw = dict(horizon=12, target="TEMP", fill_missing="ffill")
    members = ("naive", "drift", ("seasonal_naive", {"season_length": 24}))
    parts = [tsf.NaiveForecaster(**kw), tsf.DriftForecaster(**kw),
             tsf.SeasonalNaiveForecaster(season_length=24, **kw)]
    each = np.stack([m.fit(data).predict()["TEMP"].to_numpy() for m in parts])
    for combine, ref in (("mean", each.mean(0)), ("median", np.median(each, 0))):
        f = tsf.make_forecaster("combination", members=members, combine=combine, **kw)
        np.testing.assert_allclose(f.fit(data).predict()["TEMP"], ref, rtol=1e-12)
    with pytest.raises(ValueError, match="combine must be"):
        tsf.CombinationForecaster(combine="max", **kw).fit(data)
    with pytest.raises(ValueError, match="unknown forecaster 'nope'"):
        tsf.CombinationForecaster(members=("naive", "nope"), **kw).fit(data)
    with pytest.raises(ValueError, match=r"\(name, params\) pairs, got \('naive', \{\}, 1\)"):
        tsf.CombinationForecaster(members=(("naive", {}, 1),), **kw).fit(data)


def test_combination_of_nets_averages_them_and_saves(weather, tmp_path):
    data = weather.iloc[-600:]
    kw = dict(horizon=6, target="TEMP", fill_missing="ffill")
    net = dict(max_steps=5, random_state=0, verbose=False, trainer_kwargs={"logger": False})
    members = [("nlinear", {"lookback": 24, **net}), ("dlinear", {"lookback": 48, **net})]
    parts = [tsf.make_forecaster(name, **kw, **p).fit(data).predict()["TEMP"].to_numpy()
             for name, p in members]
    f = tsf.make_forecaster("combination", members=members, **kw).fit(data)
    np.testing.assert_allclose(f.predict()["TEMP"], np.mean(parts, 0), rtol=1e-6)
    assert not np.allclose(parts[0], parts[1])  # two different nets, not one twice
    f.save(tmp_path / "c")
    back = tsf.CombinationForecaster.load(tmp_path / "c")
    np.testing.assert_array_equal(back.predict()["TEMP"], f.predict()["TEMP"])


# -- issue 26: one short series does not cost the panel its model -----------------------------

def weekly_panel(lengths=(110, 120, 80), seed=0) -> pd.DataFrame:
    """Weekly series with a yearly cycle (season 52): the last one holds less than two."""
    rng = np.random.default_rng(seed)
    rows = []
    for k, n in enumerate(lengths):
        t = np.arange(n)
        y = 50 + 10 * k + 8 * np.sin(2 * np.pi * t / 52) + rng.normal(size=n)
        rows.append(pd.DataFrame({"id": f"W{k}", "ds": pd.date_range(
            "2015-01-04", periods=n, freq="W-SUN"), "y": y}))
    return pd.concat(rows, ignore_index=True)


SHORT_CASES = [(ETSForecaster, {}, "season 1"), (ThetaForecaster, {}, "season 1"),
               (MSTLForecaster, {}, "no cycle (AutoETS alone)")]


@pytest.mark.parametrize(("klass", "params", "got"), SHORT_CASES)
def test_a_series_too_short_for_the_season_gets_the_non_seasonal_model(klass, params, got):
    data, kw = weekly_panel(), dict(horizon=13, id_col="id", time_col="ds", target="y")
    with pytest.warns(FallbackWarning, match=r"1 of 3 series too short for .*52.*'W2'"):
        f = klass(**kw, **params).fit(data)
    assert f.fallbacks_ == {"W2": f"{got}: 80 rows fitted, "
                                  f"{'cycles' if klass is MSTLForecaster else 'season'} 52 "
                                  "needs 104"}
    fc = f.predict()
    # the short series: the model without a season, as if asked for
    short = data[data["id"] == "W2"]
    if klass is MSTLForecaster:
        from statsforecast.models import AutoETS

        y = short["y"].to_numpy(np.float32).astype(np.float64)
        want = AutoETS(model="ZZN").fit(y).predict(13)["mean"]
    else:
        want = klass(**kw, season_length=1, **params).fit(short).predict()["y"]
    np.testing.assert_allclose(fc.loc[fc["id"] == "W2", "y"], want, rtol=1e-6)
    # the others keep their seasonal model: the same forecasts as without the short one
    long = data[data["id"] != "W2"]
    alone = klass(**kw, **params).fit(long).predict()
    np.testing.assert_allclose(fc.loc[fc["id"] != "W2", "y"], alone["y"], rtol=1e-9)
    assert klass(**kw, **params).fit(long).fallbacks_ == {}


def test_mstl_gives_each_series_the_cycles_it_holds_twice(weather):
    data = {"long": weather.iloc[-400:], "short": weather.iloc[-200:]}
    f = MSTLForecaster(horizon=24, target="TEMP", fill_missing="ffill")
    with pytest.warns(FallbackWarning, match="'short'"):
        f.fit(data)
    assert f.season_lengths_ == (24, 168)
    assert f.fallbacks_ == {"short": "cycles 24: 200 rows fitted, cycles 24, 168 needs 336"}
    alone = MSTLForecaster(horizon=24, target="TEMP", fill_missing="ffill")
    np.testing.assert_allclose(f.predict(data["long"])["TEMP"],
                               alone.fit(data["long"]).predict()["TEMP"], rtol=1e-9)


def test_a_combination_gathers_its_members_fallbacks(tmp_path):
    data, kw = weekly_panel(), dict(horizon=13, id_col="id", time_col="ds", target="y")
    with pytest.warns(FallbackWarning):
        f = CombinationForecaster(members=("ets", "seasonal_naive"), **kw).fit(data)
    assert f.fallbacks_ == {"W2": "ets: season 1: 80 rows fitted, season 52 needs 104"}
    short = weekly_panel(lengths=(110, 40))
    with pytest.warns(FallbackWarning):
        g = CombinationForecaster(members=("theta", "seasonal_naive"), **kw).fit(short)
    assert g.fallbacks_ == {"W1": "theta: season 1: 40 rows fitted, season 52 needs 104; "
                                  "seasonal_naive: naive forecast: 40 rows, season 52 needs 52"}
    g.save(tmp_path / "c")
    assert CombinationForecaster.load(tmp_path / "c").fallbacks_ == g.fallbacks_
