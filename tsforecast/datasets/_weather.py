"""Hourly Beijing weather and PM2.5 (UCI "Beijing PM2.5 Data", CC BY 4.0)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

__all__ = ["WEATHER_COLUMNS", "WIND_DIRECTIONS", "load_weather"]

WEATHER_COLUMNS = ["pm2.5", "DEWP", "TEMP", "PRES", "Iws", "Is", "Ir"]
WIND_DIRECTIONS = ["NE", "NW", "SE", "cv"]


@cache
def _raw_weather() -> pd.DataFrame:
    path = resources.files(__package__) / "_data" / "beijing_weather_hourly.csv.gz"
    with path.open("rb") as fh:
        return pd.read_csv(fh, compression="gzip")


def load_weather(wind: str = "onehot") -> pd.DataFrame:
    """Load the bundled hourly Beijing weather and PM2.5 data, 2010-01-01 00:00..2014-12-31 23:00.

    43,824 hourly rows with no missing hours. Attribution (CC BY 4.0): Liang, X. et al. (2015),
    "Assessing Beijing's PM2.5 pollution: severity, weather impact, APEC and winter heating",
    Proc. R. Soc. A 471: 20150257; data set "Beijing PM2.5 Data", UCI Machine Learning
    Repository, https://archive.ics.uci.edu/dataset/381 (US Embassy PM2.5 readings with Beijing
    Capital International Airport weather), licensed CC BY 4.0.

    Parameters
    ----------
    wind : {"onehot", "drop"}
        How to treat the categorical combined wind direction ``cbwd`` (NE, NW, SE, cv = calm
        and variable): ``"onehot"`` adds float 0/1 columns ``cbwd_NE, cbwd_NW, cbwd_SE,
        cbwd_cv``; ``"drop"`` removes it.

    Returns
    -------
    pandas.DataFrame
        Index ``date`` (hourly ``DatetimeIndex`` with ``freq="h"``, built from the original
        year/month/day/hour columns, which are dropped together with the row number ``No``).
        Float64 columns ``pm2.5`` (µg/m³, 2,067 values missing and kept as NaN), ``DEWP``
        (dew point, °C), ``TEMP`` (°C), ``PRES`` (hPa), ``Iws`` (cumulated wind speed, m/s),
        ``Is`` (cumulated hours of snow), ``Ir`` (cumulated hours of rain), then the four
        ``cbwd_*`` columns when ``wind="onehot"``.

    Examples
    --------
    >>> df = load_weather()
    >>> df.shape
    (43824, 11)
    >>> int(df["pm2.5"].isna().sum())
    2067
    """
    if wind not in ("onehot", "drop"):
        raise ValueError(f"wind={wind!r} is not valid; choose 'onehot' or 'drop'")
    raw = _raw_weather()
    stamps = pd.to_datetime(raw[["year", "month", "day", "hour"]])
    df = raw[WEATHER_COLUMNS].astype("float64")
    df.index = pd.DatetimeIndex(stamps, name="date", freq="h").as_unit("ns")
    if wind == "onehot":
        cbwd = pd.Categorical(raw["cbwd"], categories=WIND_DIRECTIONS)
        if cbwd.isna().any():
            bad = sorted(set(raw["cbwd"].dropna()) - set(WIND_DIRECTIONS))
            raise ValueError(f"unexpected cbwd value(s) {bad} in the bundled weather data")
        for d in WIND_DIRECTIONS:
            df[f"cbwd_{d}"] = (cbwd == d).astype("float64")
    return df
