"""The fitted state output and persistence read: one frozen object, built by fit and load."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import tsforecast as tsf
from tsforecast.forecasters import output
from tsforecast.forecasters.base import BaseForecaster
from tsforecast.forecasters.fitted import FittedState


def two_series(n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    idx = pd.date_range("2024-01-01", periods=n, freq="h")
    return pd.concat([
        pd.DataFrame({"id": sid, "ts": idx, "y": 10 + np.cumsum(rng.normal(size=n))})
        for sid in ("a", "b")
    ])


def test_fit_freezes_what_output_needs():
    f = tsf.NaiveForecaster(horizon=3, target="y", id_col="id", time_col="ts",
                            quantiles=[0.1, 0.9], level=[80]).fit(two_series())
    st = f.state_
    assert isinstance(st, FittedState)
    assert (st.layout, st.freq, st.multi_series, st.horizon) == (f.layout_, "h", True, 3)
    assert st.quantiles == (0.1, 0.5, 0.9) and st.levels == (80.0,)
    assert st.conformal_scores.shape == (1, 3, 1)
    assert [s.id for s in st.history] == ["a", "b"] and st.id_col == "id"
    with pytest.raises(dataclasses.FrozenInstanceError):
        st.horizon = 4
    assert not hasattr(f, "levels_") and not hasattr(f, "conformal_scores_")


def test_output_reads_only_the_state():
    """The frame helpers take the frozen state: changing the model after fit does not
    reach them."""
    f = tsf.NaiveForecaster(horizon=3, target="y", id_col="id", time_col="ts").fit(two_series())
    s = f.state_.history[0]
    fidx = pd.date_range(s.index[-1], periods=4, freq="h")[1:]
    fc = np.ones((3, 1), dtype=np.float32)
    f.layout_, f.multi_series_ = None, None  # the helpers must not read these
    frame = output.forecast_frame(f.state_, fc, fidx, s.id, s.values)
    assert list(frame.columns) == ["id", "y"] and (frame["id"] == "a").all()
    nixtla = output.to_nixtla(f.state_, frame, "forecast", output.model_alias(type(f)))
    assert list(nixtla.columns) == ["unique_id", "ds", "Naive"]


def test_load_rebuilds_an_equal_state(tmp_path):
    f = tsf.NaiveForecaster(horizon=3, target="y", id_col="id", time_col="ts",
                            quantiles=[0.2], level=[90]).fit(two_series())
    f.save(tmp_path / "m")
    g = BaseForecaster.load(tmp_path / "m")
    a, b = f.state_, g.state_
    assert (b.layout, b.freq, b.multi_series, b.horizon, b.quantiles, b.levels) == (
        a.layout, a.freq, a.multi_series, a.horizon, a.quantiles, a.levels)
    np.testing.assert_array_equal(b.conformal_scores, a.conformal_scores)
    for x, y in zip(a.history, b.history, strict=True):
        assert x.id == y.id and x.index.equals(y.index)
        np.testing.assert_array_equal(x.values, y.values)
    pd.testing.assert_frame_equal(g.predict(), f.predict())
