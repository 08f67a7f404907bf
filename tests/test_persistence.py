"""save / load: every array checked on load, saves that roll back and clean up after
themselves (issue 26, items 4 and 9)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import tsforecast as tsf
from tsforecast.forecasters import BaseForecaster


def hourly(n: int = 120) -> pd.DataFrame:
    y = 10 + np.cumsum(np.random.default_rng(0).normal(size=n))
    return pd.DataFrame({"y": y}, index=pd.date_range("2024-01-01", periods=n, freq="h"))


def edit_config(path, change) -> None:
    cfg = json.loads((path / "config.json").read_text())
    change(cfg)
    (path / "config.json").write_text(json.dumps(cfg))


def edit_npz(path, name: str, change) -> None:
    with np.load(path / name) as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    np.savez(path / name, **arrays)


def set_params(**params):
    return lambda p: edit_config(p, lambda c: c["params"].update(params))


def set_array(name: str, key: str, value):
    return lambda p: edit_npz(p, name, lambda a: a.update({key: value(a[key])}))


def drop_array(name: str, key: str):
    return lambda p: edit_npz(p, name, lambda a: a.pop(key))


def add_array(name: str, key: str, value):
    return lambda p: edit_npz(p, name, lambda a: a.update({key: value}))


def add_series(cfg) -> None:
    cfg["series"].append("zz")
    cfg["index"].append(cfg["index"][0])


SCORES = "_conformal_scores"
MODELS = {
    "naive": lambda: tsf.NaiveForecaster(horizon=4, target="y", level=[80]),
    "lag_regression": lambda: tsf.LagRegressionForecaster(horizon=4, lags=5, target="y",
                                                          quantiles=[0.1]),
    "nlinear": lambda: tsf.NLinearForecaster(horizon=4, lookback=8, target="y", max_epochs=1,
                                             verbose=False, accelerator="cpu", devices=1,
                                             random_state=0),
}


# -- 4. an edited save is refused, naming the field ---------------------------------------------
@pytest.mark.parametrize(
    ("model", "damage", "match"),
    [
        # conformal half-widths: used to broadcast silently into the intervals
        ("naive", set_array("state.npz", SCORES, lambda s: s[:, :1]),
         r"state.npz: _conformal_scores has shape \(1, 1, 1\).*horizon 4 .*\(1, 4, 1\)"),
        ("naive", set_array("state.npz", SCORES, lambda s: np.concatenate([s, s])),
         r"_conformal_scores has shape \(2, 4, 1\).*level \[80.0\]"),
        ("naive", set_array("state.npz", SCORES, lambda s: -s),
         "_conformal_scores holds negative or non-finite"),
        ("naive", set_params(horizon=6), r"_conformal_scores has shape \(1, 4, 1\).*horizon 6"),
        ("naive", drop_array("state.npz", SCORES),
         r"_conformal_scores is missing but config.json has level=\[80\]"),
        ("naive", set_params(level=None),
         "_conformal_scores is present but config.json has level=None"),
        # the kept history
        ("naive", set_array("history.npz", "values_0", lambda v: v[:, :0]),
         r"history.npz: values_0 \(series 'series'\) has shape \(120, 0\).*\['y'\]"),
        ("naive", set_array("history.npz", "values_0", lambda v: v[:, 0]),
         r"values_0 \(series 'series'\) has shape \(120,\)"),
        ("naive", set_array("history.npz", "values_0", lambda v: v.astype("U8")),
         "values_0 .* dtype <U8.*floating-point"),
        ("naive", set_array("history.npz", "index_0", lambda i: i[1:]),
         r"index_0 \(series 'series'\) has shape \(119,\).*one time stamp per row of values_0"),
        ("naive", set_array("history.npz", "index_0", lambda i: i[::-1]),
         "index_0 .* strictly increasing"),
        ("naive", add_array("history.npz", "missing_0", np.zeros(3, bool)),
         r"missing_0 \(series 'series'\) has shape \(3,\)"),
        ("naive", add_array("history.npz", "values_7", np.zeros((2, 1), np.float32)),
         r"holds arrays no series in config.json names: \['values_7'\]"),
        ("naive", lambda p: edit_config(p, add_series), r"values_1 \(series 'zz'\) is missing"),
        # a model's own arrays
        ("lag_regression", set_params(horizon=6),
         r"state.npz: /coef_ has shape \(4, 5\).*horizon 6 .*\(6, 5\)"),
        ("lag_regression", set_array("state.npz", "/resid_sd", lambda s: s[:1]),
         r"/resid_sd has shape \(1,\)"),
        ("lag_regression", drop_array("state.npz", "/resid_sd"), "/resid_sd is missing"),
        ("lag_regression", set_params(quantiles=None), "state quantiles .* disagree"),
        # was a pandas length error in predict()
        ("nlinear", set_params(horizon=6), "state dims horizon=4, but the parameters and "
                                           "layout give horizon=6"),
    ],
)
def test_an_edited_save_is_refused_naming_the_field(model, damage, match, tmp_path):
    MODELS[model]().fit(hourly()).save(tmp_path / "m")
    damage(tmp_path / "m")
    with pytest.raises(ValueError, match=match):
        BaseForecaster.load(tmp_path / "m").predict()


def test_every_model_state_survives_the_checks(tmp_path):
    """The checks refuse damage only: an unedited save of each kind loads and predicts the
    same (intervals, quantiles, a net, missing-value flags, an integer index)."""
    gaps = hourly()
    gaps.iloc[100:103, 0] = np.nan
    cases = [f().fit(hourly()) for f in MODELS.values()]
    cases.append(tsf.NaiveForecaster(horizon=2, fill_missing="ffill", level=[90]).fit(gaps))
    cases.append(tsf.NaiveForecaster(horizon=2).fit(hourly().reset_index(drop=True)))
    for i, f in enumerate(cases):
        f.save(tmp_path / str(i))
        pd.testing.assert_frame_equal(BaseForecaster.load(tmp_path / str(i)).predict(),
                                      f.predict())
