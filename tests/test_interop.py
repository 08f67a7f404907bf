"""Nixtla long frames and polars in, Nixtla layout out, and plot()."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import tsforecast as tsf
from tsforecast.forecasters.plotting import plot_backtest


@pytest.fixture(scope="module")
def nixtla() -> pd.DataFrame:
    stocks = tsf.datasets.load_stocks(source="bundled")
    stocks = stocks[stocks.ticker.isin(["IBM", "MSFT"])]
    return pd.DataFrame({"unique_id": stocks["ticker"].to_numpy(), "ds": stocks.index,
                         "y": stocks["adj_close"].to_numpy()})


def test_nixtla_long_frame_is_read_without_arguments(nixtla):
    f = tsf.DriftForecaster(horizon=3).fit(nixtla)
    fc = f.predict()
    assert list(fc.columns) == ["unique_id", "y"] and set(fc["unique_id"]) == {"IBM", "MSFT"}
    explicit = tsf.DriftForecaster(horizon=3, target="y", id_col="unique_id", time_col="ds")
    pd.testing.assert_frame_equal(explicit.fit(nixtla).predict(), fc)


def test_nixtla_output_layout(nixtla):
    f = tsf.NaiveForecaster(horizon=3, level=[80, 95], quantiles=[0.1, 0.9]).fit(nixtla)
    fc = f.predict(format="nixtla")
    assert list(fc.columns) == ["unique_id", "ds", "Naive", "Naive-q-10", "Naive-q-50",
                                "Naive-q-90", "Naive-lo-80", "Naive-hi-80", "Naive-lo-95",
                                "Naive-hi-95"]
    assert len(fc) == 6 and fc["ds"].is_monotonic_increasing is False  # two series
    wide = f.predict()
    np.testing.assert_allclose(fc["Naive-lo-80"], wide["y_lo80"])
    cv = f.backtest(nixtla, start=0.95, format="nixtla")
    assert list(cv.columns[:5]) == ["unique_id", "ds", "cutoff", "y", "Naive"]
    assert (cv["ds"] > cv["cutoff"]).all()
    with pytest.raises(ValueError, match="format must be one of"):
        f.predict(format="long")
    two = tsf.NaiveForecaster(horizon=2, target=["y", "z"]).fit(
        nixtla.assign(z=1.0).drop(columns="unique_id").iloc[:50].set_index("ds"))
    with pytest.raises(ValueError, match="one target per series"):
        two.predict(format="nixtla")


def test_polars_frames_are_accepted_at_the_boundary(nixtla):
    pl = pytest.importorskip("polars")
    f = tsf.NaiveForecaster(horizon=3).fit(pl.from_pandas(nixtla))
    pd.testing.assert_frame_equal(f.predict(), tsf.NaiveForecaster(horizon=3).fit(nixtla).predict())
    bt = f.backtest(pl.from_pandas(nixtla), start=0.9)
    assert isinstance(bt, pd.DataFrame) and len(bt) > 0


def test_plot_forecast_and_backtest(nixtla):
    f = tsf.NaiveForecaster(horizon=5, level=[80, 95]).fit(nixtla)
    ax = f.plot(series="MSFT")
    assert ax.get_title() == "y (MSFT)" and len(ax.lines) == 2 and len(ax.collections) == 2
    ax = plot_backtest(f.backtest(nixtla, start=0.98), series="IBM")
    assert "IBM" in ax.get_title() and len(ax.lines) >= 2
    with pytest.raises(ValueError, match="unknown series 'XYZ'"):
        f.plot(series="XYZ")
