"""The standard benchmark suites: option defaults of the bundled data sets.

``stocks``
    Bundled daily prices of all tickers (AAPL, MSFT, IBM, GOOG, FB) as several series of
    one global model (``id_col="ticker"``), target ``adj_close``, lookback 60, horizon 5,
    rolling-origin protocol; ``naive`` and ``drift`` are always included.
``weather``
    Bundled hourly Beijing weather, target ``TEMP``, lookback 168, horizon 24,
    ``fill_missing="interpolate"``; quick mode keeps the last ~6 months.
``m3``
    The M3 competition (3,003 series, ``pip install "tsforecast[m3]"``) under the holdout
    protocol, each group its own data set with the competition's horizon and MASE season
    (yearly 6/1, quarterly 8/4, monthly 18/12, other 8/1); default models naive,
    seasonal_naive, ets, theta, arima and combination (neural nets via ``models``); quick
    mode keeps every 10th series of each group, sorted by id.
``tourism``
    The Tourism competition (1,311 series, the same extra) under the same protocol:
    yearly 4/1, quarterly 8/4, monthly 24/12 (horizon / season), the same default models.

A suite's entries are option values (the names of
:class:`~tsforecast.benchmark.options.BenchmarkConfig`) that apply when the user does not
set them, plus ``required_models``: reference models added to every run of the suite.
Plain data, so that building the command line does not import the data loaders.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SUITES"]

#: Options of the standard suites (anything not given here takes the generic default).
SUITES: dict[str, dict[str, Any]] = {
    "stocks": {
        "protocol": "rolling",
        "target": "adj_close",
        "id_col": "ticker",
        "lookback": 60,
        "horizon": 5,
        "season_length": 5,
        "source": "bundled",
        "required_models": ["naive", "drift"],
        "directional": True,
    },
    "m3": {
        "protocol": "holdout",
        "models": "naive,seasonal_naive,ets,theta,arima,combination",
    },
    "tourism": {
        "protocol": "holdout",
        "models": "naive,seasonal_naive,ets,theta,arima,combination",
    },
    "weather": {
        "protocol": "rolling",
        "target": "TEMP",
        "lookback": 168,
        "horizon": 24,
        "season_length": 24,
        "fill_missing": "interpolate",
    },
}
