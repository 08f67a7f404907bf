"""Real data sets: bundled daily stock prices and hourly Beijing weather, Yahoo Finance
downloads (cached), and a loader for the long-horizon benchmark CSV files.

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
        "name": "beijing_weather",
        "loader": "load_weather",
        "description": "Hourly Beijing PM2.5 and airport weather; 2,067 missing pm2.5 values",
        "frequency": "h",
        "rows": 43_824,
        "columns": "pm2.5, DEWP, TEMP, PRES, Iws, Is, Ir, cbwd_NE, cbwd_NW, cbwd_SE, cbwd_cv",
        "period": "2010-01-01 00:00..2014-12-31 23:00",
        "source": "UCI ML Repository, Beijing PM2.5 Data (Liang et al., 2015)",
        "licence": "CC BY 4.0",
    },
]


def list_datasets() -> pd.DataFrame:
    """Describe the bundled data sets (for the ``tsforecast datasets`` command).

    Returns
    -------
    pandas.DataFrame
        One row per bundled data set with columns ``name, loader, description, frequency,
        rows, columns, period, source, licence``. ``rows`` counts the rows the loader
        returns with default arguments; ``columns`` lists its value columns.

    Examples
    --------
    >>> list_datasets()["name"].tolist()
    ['stocks', 'beijing_weather']
    """
    return pd.DataFrame(_CATALOG)
