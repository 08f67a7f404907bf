"""Regressions of issue 26, the data-frame side: series ids that collide once read as
labels (1), a column of timestamps ignored for row positions (2), UTC offsets that change
at daylight saving (12). Each case was reproduced on main before it was fixed."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

import tsforecast as tsf
from tsforecast.data import split_series, to_series
from tsforecast.data.timeindex import parse_times

H = 3


def daily(n=30, level=0.0, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = level + np.cumsum(rng.normal(size=n))
    return pd.DataFrame({"y": y}, index=pd.date_range("2024-01-01", periods=n, freq="D",
                                                      name="date"))


def naive(**kw):
    return tsf.NaiveForecaster(horizon=H, **kw)


# -- 1. series ids that read the same -------------------------------------------------------
def test_dict_keys_one_and_text_one_are_refused_naming_both():
    with pytest.raises(ValueError, match=r"ids 1 \(int\) and '1' \(str\) are both labelled '1'"):
        naive().fit({1: daily(), "1": daily(level=900.0)})
    assert [s.id for s in to_series({1: daily(), "2": daily()}, "y")[1]] == ["1", "2"]


@pytest.mark.parametrize("id_dtype", [object, "category"])
def test_an_id_column_holding_one_and_text_one_is_refused(id_dtype):
    long = pd.concat([daily().assign(id=1), daily(level=900.0).assign(id="1")])
    long["id"] = long["id"].astype(id_dtype)
    with pytest.raises(ValueError, match=r"id column 'id': series ids 1 .* and '1' .*'1'"):
        naive(id_col="id").fit(long)
    with pytest.raises(ValueError, match=r"series ids 1 .* and '1'"):
        split_series(long, id_col="id")  # the per-series path says the same
    distinct = pd.concat([daily().assign(id=1), daily(level=900.0).assign(id="2")])
    fitted = naive(id_col="id").fit(distinct).predict()
    assert fitted.groupby("id")["y"].first().to_dict() == {
        "1": pytest.approx(np.float32(daily()["y"].iloc[-1])),
        "2": pytest.approx(np.float32(daily(level=900.0)["y"].iloc[-1]))}


# -- 2. a column of timestamps is the time, never row positions -----------------------------
def test_reset_index_frame_uses_its_date_column_with_a_note(caplog):
    df = daily()
    expected = naive().fit(df).predict()
    with caplog.at_level(logging.INFO, logger="tsforecast"):
        got = naive().fit(df.reset_index()).predict()
    pd.testing.assert_frame_equal(got, expected)
    assert any("using column 'date' as the time" in r.getMessage() for r in caplog.records)


def test_a_dict_of_frames_with_date_columns_is_noted_once(caplog):
    frames = {sid: daily(seed=k).reset_index() for k, sid in enumerate("abc")}
    with caplog.at_level(logging.INFO, logger="tsforecast"):
        out = naive().fit(frames).predict()
    assert out.index[0] == daily().index[-1] + pd.Timedelta(days=1)
    notes = [r for r in caplog.records if "as the time" in r.getMessage()]
    assert len(notes) == 1 and "series 'a'" in notes[0].getMessage()


def test_newest_first_file_is_refused_not_forecast_from_its_oldest_row():
    newest_first = daily().iloc[::-1].reset_index()
    with pytest.raises(ValueError, match=r"not sorted.*newest first.*sort the data by time"):
        naive().fit(newest_first)
    with pytest.raises(ValueError, match=r"newest first"):  # a history too
        naive().fit(daily()).predict(history=newest_first)


def test_predict_history_with_a_date_column_is_stamped_after_its_last_date():
    df = daily()
    f = naive().fit(df)
    history = df.iloc[:20].reset_index()
    out = f.predict(history=history)
    assert out.index[0] == df.index[20]
    assert out["y"].iloc[0] == pytest.approx(np.float32(df["y"].iloc[19]))


def test_polars_frame_with_a_date_column_and_no_time_col():
    pl = pytest.importorskip("polars")
    df = daily()
    frame = pl.from_pandas(df.reset_index()).with_columns(pl.col("date").cast(pl.Date))
    newest_first = frame.reverse()
    pd.testing.assert_frame_equal(naive().fit(frame).predict(), naive().fit(df).predict(),
                                  check_index_type=False, check_freq=False)
    with pytest.raises(ValueError, match="newest first"):
        naive().fit(newest_first)


def test_long_frame_and_text_dates_use_the_time_column():
    a, b = daily(), daily(level=50.0, seed=1)
    long = pd.concat([a.assign(id="a"), b.assign(id="b")]).reset_index()
    long["date"] = long["date"].dt.strftime("%Y-%m-%d")  # as read_csv leaves it
    out = naive(id_col="id").fit(long.iloc[::-1].sort_values(["id", "date"])).predict()
    assert list(out.index[:H]) == list(pd.date_range(a.index[-1], periods=H + 1, freq="D")[1:])
    assert out.loc[out["id"] == "b", "y"].iloc[0] == pytest.approx(np.float32(b["y"].iloc[-1]))


def test_day_or_month_first_text_is_refused_with_the_fix():
    df = daily().reset_index()
    df["date"] = df["date"].dt.strftime("%d/%m/%Y")
    with pytest.raises(ValueError, match=r"column 'date' holds dates as text.*time_col='date'"):
        naive().fit(df)


def test_two_timestamp_columns_are_refused_with_the_fix():
    df = daily().reset_index().assign(created=pd.Timestamp("2020-01-01"))
    with pytest.raises(ValueError, match=r"\['date', 'created'\].*time_col='date'"):
        naive().fit(df)
    assert naive(time_col="date").fit(df).predict().index[0] == daily().index[-1] + pd.Timedelta(
        days=1)


def test_future_covariates_frame_with_a_date_column_is_matched_by_date():
    x = np.random.default_rng(1).normal(size=60)
    df = pd.DataFrame({"y": 3 * x, "x": x}, index=pd.date_range("2024-01-01", periods=60))
    f = tsf.LagRegressionForecaster(horizon=H, lags=2, target="y", future_covariates="x",
                                    relative=False).fit(df)
    wanted = pd.DataFrame({"x": [1.0, 2.0, 3.0]},
                          index=pd.date_range(df.index[-1], periods=H + 1, freq="D")[1:])
    expected = f.predict(future_covariates=wanted)
    assert expected["y"].is_monotonic_increasing  # the covariate drives the forecast
    shuffled = wanted.iloc[::-1].reset_index(names="date")  # rows out of order, RangeIndex
    pd.testing.assert_frame_equal(f.predict(future_covariates=shuffled), expected)


# -- 12. UTC offsets that change at daylight saving -----------------------------------------
BERLIN = pd.date_range("2024-03-30", periods=72, freq="h", tz="Europe/Berlin")  # spans 31 March


def _offset_text(stamps: pd.DatetimeIndex) -> pd.Series:
    return pd.Series(stamps.strftime("%Y-%m-%d %H:%M:%S%z"))


def test_offsets_changing_at_dst_are_read_as_utc_with_a_warning(caplog):
    text = _offset_text(BERLIN)
    assert text.str[-5:].nunique() == 2  # +0100 and +0200
    with caplog.at_level(logging.WARNING, logger="tsforecast"), warnings.catch_warnings():
        warnings.simplefilter("error")  # no pandas FutureWarning reaches the user
        got = parse_times(text, "column 't'")
    pd.testing.assert_index_equal(got, pd.DatetimeIndex(BERLIN.tz_convert("UTC")),
                                  check_names=False)
    assert any("column 't'" in r.getMessage() and "UTC" in r.getMessage()
               for r in caplog.records)


def test_fit_on_dst_offsets_forecasts_the_next_hours_in_utc():
    df = pd.DataFrame({"t": _offset_text(BERLIN), "y": np.arange(len(BERLIN), dtype=float)})
    out = naive(time_col="t").fit(df).predict()
    last = BERLIN[-1].tz_convert("UTC")
    assert list(out.index) == [last + pd.Timedelta(hours=k) for k in range(1, H + 1)]
    assert (out["y"] == len(BERLIN) - 1).all()


def test_load_csv_reads_dst_offsets_and_names_file_and_column_when_it_cannot(tmp_path):
    path = tmp_path / "berlin.csv"
    pd.DataFrame({"stamp": _offset_text(BERLIN), "OT": np.arange(72.0)}).to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        frame = tsf.datasets.load_csv(path, time_col="stamp")
    assert (frame.index == BERLIN).all() and str(frame.index.tz) == "UTC"
    mixed = _offset_text(BERLIN)
    mixed.iloc[5] = mixed.iloc[5][:-5]  # one timestamp without its offset
    pd.DataFrame({"stamp": mixed, "OT": np.arange(72.0)}).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"'stamp' of '.*berlin.csv'.*row 5"):
        tsf.datasets.load_csv(path, time_col="stamp")


def test_datetimes_with_and_without_an_offset_are_refused_naming_the_row():
    import datetime as dt

    values = pd.Series(list(BERLIN[:3].to_pydatetime()) + [dt.datetime(2024, 3, 30, 3)],
                       dtype=object)
    with pytest.raises(ValueError, match=r"column 't' mixes .* row 3"):
        parse_times(values, "column 't'")


@pytest.mark.slow  # resolve_config imports the benchmark's options (seconds)
def test_holdout_panel_with_dst_offsets_loads(tmp_path):
    from tsforecast.benchmark import resolve_config
    from tsforecast.benchmark.holdout import load_panel

    raw = pd.concat([pd.DataFrame({"unique_id": sid, "ds": _offset_text(BERLIN),
                                   "y": np.arange(72.0) + k}) for k, sid in enumerate("ab")])
    raw.to_csv(tmp_path / "p.csv", index=False)
    cfg = resolve_config({"progress": False, "protocol": "holdout",
                          "data": str(tmp_path / "p.csv"), "horizon": 4})
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        ds = load_panel(pd.read_csv(tmp_path / "p.csv"), "p", cfg, 4)
    stamps = ds.frame.index[ds.frame["unique_id"] == "a"]
    assert (stamps == BERLIN).all()
