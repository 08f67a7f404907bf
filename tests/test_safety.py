"""Regressions of the silently-wrong, data-losing and raw-error cases found by probing main:
every case here was reproduced before it was fixed."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast as tsf
from tsforecast.forecasters import BaseForecaster


def hourly(n=200, seed=0, **cols) -> pd.DataFrame:
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    data = {"y": 10 + np.sin(2 * np.pi * t / 24) + 0.1 * rng.normal(size=n),
            "w": 3 + np.cos(2 * np.pi * t / 24), **cols}
    return pd.DataFrame(data, index=pd.date_range("2024-01-01", periods=n, freq="h"))


def small_nn(**kw):
    base = dict(lookback=24, horizon=6, max_epochs=1, batch_size=32, accelerator="cpu",
                devices=1, verbose=False, random_state=0, target="y")
    return tsf.NLinearForecaster(**{**base, **kw})


# -- 1. a refit starts from the constructor arguments ---------------------------------------
def test_refit_with_target_none_reads_the_new_columns():
    f = tsf.NaiveForecaster(horizon=2).fit(hourly())
    assert list(f.predict().columns) == ["y", "w"]
    other = hourly().rename(columns={"y": "a", "w": "b"})
    assert list(f.fit(other).predict().columns) == ["a", "b"]


def test_refit_keeps_interpolation_and_seed():
    data = hourly()
    data.iloc[50:53, 0] = np.nan
    f = small_nn(fill_missing="interpolate")
    first = f.fit(data).predict()
    again = f.fit(data).predict()  # interpolate again, same seed: the same model
    pd.testing.assert_frame_equal(first, again)


# -- 3. filled gaps are not actuals -----------------------------------------------------------
def test_backtest_keeps_y_missing_where_the_input_was_missing():
    data = hourly()
    data.iloc[170:180, 0] = np.nan
    bt = tsf.NaiveForecaster(horizon=6, target="y", fill_missing="ffill").fit(
        data.iloc[:150]).backtest(data, start=150)
    gap = bt["timestamp"].isin(data.index[170:180])
    assert gap.sum() == 10 and bt.loc[gap, "y"].isna().all()
    assert bt.loc[~gap, "y"].notna().all()
    # metrics skip them: naive is not rewarded for "forecasting" its own filled values
    scored = tsf.evaluation.mae(bt["y"], bt["y_hat"])
    assert scored == pytest.approx((bt["y"] - bt["y_hat"]).abs().mean())


# -- 4. half-precision weights that could never predict -------------------------------------
@pytest.mark.parametrize("precision", ["16-true", "bf16-true"])
def test_true_half_precision_is_refused(precision):
    with pytest.raises(ValueError, match="precision must be one of"):
        small_nn(precision=precision).fit(hourly())


# -- 5. float32 range -------------------------------------------------------------------------
@pytest.mark.parametrize("value", [1e-300, 1e300, -1e300])
def test_values_float32_cannot_hold_are_named(value):
    data = hourly()
    data.iloc[7, 0] = value
    with pytest.raises(ValueError, match=r"column 'y' holds .* at row 7 .*float32"):
        tsf.NaiveForecaster(horizon=2, target="y").fit(data)


# -- 7. save never mixes two models -----------------------------------------------------------
def test_save_refuses_an_occupied_directory_and_replaces_it_whole(tmp_path):
    data = hourly()
    small_nn().fit(data).save(tmp_path / "m")
    assert (tmp_path / "m" / "state.npz").stat().st_size > 1000  # the net's weights
    naive = tsf.NaiveForecaster(horizon=6, target="y").fit(data)
    with pytest.raises(ValueError, match="not empty; pass overwrite=True"):
        naive.save(tmp_path / "m")
    naive.save(tmp_path / "m", overwrite=True)
    loaded = BaseForecaster.load(tmp_path / "m")
    assert type(loaded).__name__ == "NaiveForecaster"
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "config.json", "history.npz", "state.npz"]
    assert (tmp_path / "m" / "state.npz").stat().st_size < 1000  # no weights left behind
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no temporary directories


# -- 10. options validated before Lightning sees them ------------------------------------------
@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"devices": 0}, "devices must be"),
        ({"devices": -1}, "devices must be"),
        ({"devices": 99}, "devices=99 but this machine has"),
        ({"accelerator": "gpu"}, "no CUDA GPU"),
        ({"num_workers": -1}, "num_workers must be an integer >= 0"),
        ({"num_workers": 999}, "num_workers=999 but this machine has"),
        ({"max_time": "ten minutes"}, "max_time must be"),
        ({"max_time": -5}, "max_time must be"),
        ({"random_state": -1}, "random_state must be an integer >= 0"),
        ({"random_state": "a"}, "random_state must be an integer"),
        ({"early_stopping_patience": -1}, "early_stopping_patience must be"),
        ({"trainer_kwargs": {"max_epochs": 0}}, "trainer_kwargs must not set 'max_epochs'"),
        ({"quantiles": 0.5}, "quantiles must be a list"),
    ],
)
def test_bad_training_options_are_clear_errors(params, match):
    if params.get("accelerator") == "gpu":
        import torch

        if torch.cuda.is_available():
            pytest.skip("this machine has a GPU")
    with pytest.raises(ValueError, match=match):
        small_nn(**params).fit(hourly())


def test_max_time_in_seconds_is_honoured():
    f = small_nn(max_time=30).fit(hourly())
    assert f.epochs_ <= 1


# -- 11. load: one clear error per kind of damage -----------------------------------------------
@pytest.fixture
def saved(tmp_path):
    small_nn().fit(hourly()).save(tmp_path / "m")
    return tmp_path / "m"


def _edit_config(path, change):
    cfg = json.loads((path / "config.json").read_text())
    change(cfg)
    (path / "config.json").write_text(json.dumps(cfg))


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        (lambda p: (p / "state.npz").write_bytes((p / "state.npz").read_bytes()[:200]),
         "state.npz is corrupt or truncated"),
        (lambda p: (p / "state.npz").write_bytes(b"garbage"), "state.npz is corrupt"),
        (lambda p: (p / "history.npz").unlink(), "history.npz is missing"),
        (lambda p: (p / "config.json").write_text("{not json"), "is not valid JSON"),
        (lambda p: _edit_config(p, lambda c: c.pop("layout")), r"incomplete: missing \['layout'\]"),
        (lambda p: _edit_config(p, lambda c: c.update(format_version=99)), "format 99"),
        (lambda p: _edit_config(p, lambda c: c["state"]["dims"].update(lookback=12)),
         "saved weights do not fit the saved config"),
        (lambda p: _edit_config(p, lambda c: c["params"].update(lookback="x")),
         "lookback must be an integer"),
    ],
)
def test_damaged_saves_give_one_clear_error(saved, damage, match):
    damage(saved)
    with pytest.raises(ValueError, match=match):
        BaseForecaster.load(saved)


# -- 12. frames --------------------------------------------------------------------------------
def test_duplicate_and_non_string_column_names():
    data = hourly()
    dup = pd.concat([data, data[["y"]]], axis=1)
    with pytest.raises(ValueError, match=r"duplicate column name\(s\) \['y'\]"):
        tsf.NaiveForecaster(horizon=2, target="y").fit(dup)
    with pytest.raises(TypeError, match="column names must be strings, got 0"):
        tsf.NaiveForecaster(horizon=2).fit(pd.DataFrame(data.to_numpy(), index=data.index))


def test_string_index_is_refused_at_fit_not_at_predict():
    data = hourly()
    data.index = data.index.strftime("%d/%m/%Y %H:%M")
    with pytest.raises(TypeError, match="DatetimeIndex or integer positions.*pd.to_datetime"):
        tsf.NaiveForecaster(horizon=2, target="y").fit(data)


def test_freq_that_contradicts_the_index():
    with pytest.raises(ValueError, match="freq 'D' contradicts the time index.*'h'"):
        tsf.NaiveForecaster(horizon=2, target="y", freq="D").fit(hourly())
    fc = tsf.NaiveForecaster(horizon=2, target="y", freq="h").fit(hourly()).predict()
    assert fc.index[0] == hourly().index[-1] + pd.Timedelta(hours=1)


def test_load_csv_keeps_string_and_numeric_ids_as_strings(tmp_path):
    path = tmp_path / "panel.csv"
    rows = ["date,store,y"] + [f"2024-01-0{d},{s},{d * 1.5}" for s in ("01", "7") for d in
                                 range(1, 8)]
    path.write_text("\n".join(rows) + "\n")
    df = tsf.datasets.load_csv(path, id_col="store")
    assert list(df.columns) == ["store", "y"] and set(df["store"]) == {"01", "7"}
    fc = tsf.NaiveForecaster(horizon=2, target="y", id_col="store").fit(df).predict()
    assert list(fc["store"].unique()) == ["01", "7"]


# -- 13. no side effects -------------------------------------------------------------------------
def test_a_default_fit_writes_nothing_and_prints_nothing(tmp_path, capfd):
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # any warning would fail the fit
            small_nn().fit(hourly())
    finally:
        os.chdir(cwd)
    assert list(tmp_path.iterdir()) == []
    out, err = capfd.readouterr()
    assert out == "" and err == ""


# -- invariants, property-based ------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(30, 80),
    cut=st.floats(0.3, 0.9),
    bump=st.floats(-100, 100).filter(lambda b: abs(b) > 1e-3),
    name=st.sampled_from(["naive", "drift", "mean", "seasonal_naive", "lag_regression"]),
)
def test_a_forecast_never_changes_when_later_rows_change(n, cut, bump, name):
    data = hourly(n)
    params = {"season_length": 4} if name == "seasonal_naive" else {}
    params |= {"lags": 4} if name == "lag_regression" else {}
    f = tsf.make_forecaster(name, horizon=3, target="y", **params).fit(data.iloc[: n // 2])
    origin = int(n * cut)
    later = data.copy()
    later.iloc[origin:, 0] += bump
    a = f.backtest(data, start=5, stride=1)
    b = f.backtest(later, start=5, stride=1)
    before = a["cutoff"] < data.index[origin]
    np.testing.assert_allclose(a.loc[before, "y_hat"], b.loc[before, "y_hat"], rtol=1e-9)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(5, 60))
def test_metrics_do_not_depend_on_row_order(seed, n):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"series": rng.choice(["a", "b"], n), "y": rng.normal(size=n),
                          "y_hat": rng.normal(size=n)})
    shuffled = frame.sample(frac=1.0, random_state=seed)
    a = tsf.evaluation.evaluate(frame, ["mae", "rmse", "smape"], by=("series",))
    b = tsf.evaluation.evaluate(shuffled, ["mae", "rmse", "smape"], by=("series",))
    pd.testing.assert_frame_equal(a, b, rtol=1e-12)


@settings(max_examples=15, deadline=None)
@given(
    values=st.lists(st.floats(-1e4, 1e4, allow_nan=False, width=32), min_size=12, max_size=40),
    name=st.sampled_from(["naive", "drift", "mean", "lag_regression"]),
    daily=st.booleans(),
)
def test_save_load_predicts_identically_on_generated_frames(values, name, daily, tmp_path_factory):
    index = pd.date_range("2024-01-01", periods=len(values), freq="D" if daily else "h")
    data = pd.DataFrame({"v": values}, index=index)
    params = {"lags": 3} if name == "lag_regression" else {}
    f = tsf.make_forecaster(name, horizon=2, **params).fit(data)
    path = tmp_path_factory.mktemp("save") / "m"
    f.save(path)
    pd.testing.assert_frame_equal(BaseForecaster.load(path).predict(), f.predict())
