"""Why RevIN is on by default: the same LSTM with and without per-window normalisation.

Fits ``LSTMForecaster`` twice (``normalization="revin"`` / ``"none"``, everything else equal) on
the bundled hourly weather (TEMP) and daily stock prices (adj_close, AAPL/MSFT/IBM as one
global model), then backtests on the held-out last 20% and prints MAE and MASE next to
the naive forecast.

    python benchmarks/bench_revin.py [--epochs 10]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

import tsforecast as tsf
from tsforecast.evaluation import evaluate


def run(name, data, cut, kw, epochs, season):
    train = data[data.index < cut]
    rows = []
    models = {
        "lstm revin=True": tsf.LSTMForecaster(normalization="revin", max_epochs=epochs, **kw),
        "lstm revin=False": tsf.LSTMForecaster(normalization="none", max_epochs=epochs, **kw),
        "naive": tsf.make_forecaster("naive", horizon=kw["horizon"], target=kw["target"],
                                     id_col=kw.get("id_col")),
    }
    for label, model in models.items():
        bt = model.fit(train).backtest(data, start=cut, stride=kw["horizon"]).assign(model=label)
        ids = kw.get("id_col")
        groups = train.groupby(ids) if ids else [("series", train)]
        y_train = {str(k): g[kw["target"]].to_numpy() for k, g in groups}
        m = evaluate(bt, metrics=("mae", "mase"), by=("model",), y_train=y_train, season=season)
        rows.append({"data": name, **m.iloc[0].to_dict()})
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--epochs", type=int, default=10)
    args = p.parse_args()
    common = dict(random_state=0, accelerator="cpu", verbose=False,
                  trainer_kwargs={"logger": False})
    weather = tsf.datasets.load_weather().iloc[-3 * 365 * 24 :][["TEMP"]]
    w_cut = weather.index[int(len(weather) * 0.8)]
    stocks = tsf.datasets.load_stocks(source="bundled", tickers=["AAPL", "MSFT", "IBM"])
    dates = np.sort(stocks.index.unique())
    s_cut = pd.Timestamp(dates[int(len(dates) * 0.8)])
    rows = run("weather TEMP (hourly, H=24)", weather, w_cut,
               dict(lookback=168, horizon=24, target="TEMP", **common), args.epochs, 24)
    rows += run("stocks adj_close (daily, H=5)", stocks, s_cut,
                dict(lookback=60, horizon=5, target="adj_close", id_col="ticker", **common),
                args.epochs, 1)
    table = pd.DataFrame(rows)[["data", "model", "mae", "mase"]]
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
