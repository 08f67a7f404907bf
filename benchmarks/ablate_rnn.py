"""Ablations on validation data: the recurrent nets' defaults (and the patch Transformer's)
are chosen here.

Nothing here touches a benchmark test segment. Each data set is cut to the part the
benchmark trains on, and that part is split again: models fit on its beginning and are
scored on its end.

* ``weather``: bundled hourly Beijing TEMP, lookback 168, horizon 24. The benchmark's
  training part is the first 80% of the rows; models fit on its first 80% and are scored
  on its last 20% (a forecast every 24 h), MASE (in-sample naive scale of the fit rows).
* ``stocks``: bundled daily adj_close, one global model over the tickers (``id_col
  ticker``), lookback 60, horizon 5. The training part is every date before the
  benchmark's test start (the last 20% of the dates); models fit on its first 80% of
  dates and are scored on the rest (a forecast every 5 days), MASE per series.
* ``etth2``: ``ETTh2.csv.gz``, all 7 columns as targets, lookback 96, horizon 96, through
  the ``ltsf`` borders: z-scored with the training segment's mean/std, models fit on the
  train segment (first 12 months of 30 days) and are scored on every window of the val
  segment (next 4 months, stride 1), MSE on the z-scored values.

Every fit early-stops on the last 10% of its own training windows and runs for at most
the data set's optimiser steps (``SETTINGS``; the linear nets: their default 20 epochs). A variant changes one thing
from the base configuration; each runs with 3 seeds. Results are appended to a JSON-lines
file (runs resume where they stopped), and the tables print mean ± sd over seeds.

    python benchmarks/ablate_rnn.py --model lstm --workers 2       # run, then print
    python benchmarks/ablate_rnn.py --model lstm --table-only      # print from the file
"""

from __future__ import annotations

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import pandas as pd

ETTH2 = os.environ.get("ETTH2_PATH", "/work/shared/data/ETTh2.csv.gz")

#: The base configuration of each net: the values the variants move away from.
BASE = {
    "lstm": {"segment_length": 24, "hidden_size": 128, "decoder": "pmf",
             "channel_independent": True, "normalization": "last_value", "lr_scheduler": None},
    "patch_transformer": {},  # its defaults
    "dlinear": {},
    "nlinear": {},
    "mlp": {},
}
# run with RevIN as its base; its variant normalization=last_value is its default (chosen
# for the stocks, where RevIN loses to naive)
BASE["lstm_attention"] = {**BASE["lstm"], "normalization": "revin"}

#: variant name -> (changes to the base, data sets it runs on; None: all), per net.
RECURRENT_VARIANTS = {
    "base": ({}, None),
    "segment_length=12": ({"segment_length": 12}, None),
    "segment_length=48": ({"segment_length": 48}, None),
    "hidden_size=64": ({"hidden_size": 64}, None),
    "hidden_size=256": ({"hidden_size": 256}, None),
    "decoder=direct": ({"decoder": "direct"}, None),
    # single-target data: channel independence changes nothing there
    "channel_independent=False": ({"channel_independent": False}, ("etth2",)),
    "normalization=revin": ({"normalization": "revin"}, None),
    "normalization=none": ({"normalization": "none"}, None),
    "lr_scheduler=onecycle": ({"lr_scheduler": "onecycle"}, None),
    "lr_scheduler=warmup_cosine": ({"lr_scheduler": "warmup_cosine"}, None),
    # 4x the step budget with the normalisation ETTh2's validation chose (early stopping on)
    "normalization=revin,max_steps=1200": ({"normalization": "revin", "max_steps": 1200},
                                           ("etth2",)),
    # the width and segments of SegRNN's reference ETTh scripts (lookback 720): 48, 512, RevIN
    "segrnn_setting": ({"normalization": "revin", "segment_length": 48, "hidden_size": 512},
                       ("etth2",)),
    # the head dropout of SegRNN's reference scripts (0.5; ours 0.1), with either normalisation
    "dropout=0.5": ({"dropout": 0.5}, ("etth2",)),
    "normalization=revin,dropout=0.5": ({"normalization": "revin", "dropout": 0.5}, ("etth2",)),
    # SegRNN's recurrent cell, the GRU: with the defaults (weather, stocks) and with the
    # normalisation ETTh2's validation chose
    "cell=gru": ({"cell": "gru"}, ("weather", "stocks")),
    "normalization=revin,cell=gru": ({"normalization": "revin", "cell": "gru"}, ("etth2",)),
    "normalization=revin,cell=gru,dropout=0.5": ({"normalization": "revin", "cell": "gru",
                                                  "dropout": 0.5}, ("etth2",)),
    # SegRNN's learning rate (2e-4; ours 1e-3) with 5x the steps, on the best ETTh2 cell
    # and normalisation so far; with a constant rate and with a warm-up + cosine decay (its
    # reference decays by 0.8 an epoch after the second)
    "normalization=revin,cell=gru,learning_rate=2e-4,max_steps=1500": (
        {"normalization": "revin", "cell": "gru", "learning_rate": 2e-4, "max_steps": 1500},
        ("etth2",)),
    "normalization=revin,cell=gru,learning_rate=2e-4,max_steps=1500,warmup_cosine": (
        {"normalization": "revin", "cell": "gru", "learning_rate": 2e-4, "max_steps": 1500,
         "lr_scheduler": "warmup_cosine"}, ("etth2",)),
    # the step-wise LSTM of before (too slow on CPU for the hourly data's 168 steps)
    "stepwise (old defaults)": ({"segment_length": 1, "hidden_size": 64, "num_layers": 2,
                                 "decoder": "direct", "channel_independent": False,
                                 "normalization": "revin"}, ("stocks",)),
}
VARIANTS = {
    "lstm": RECURRENT_VARIANTS,
    "lstm_attention": {
        "base": ({}, None),
        "segment_length=48": ({"segment_length": 48}, None),
        "decoder=direct": ({"decoder": "direct"}, None),
        "channel_independent=False": ({"channel_independent": False}, ("etth2",)),
        "normalization=last_value": ({"normalization": "last_value"}, None),
    },
    "patch_transformer": {
        "base": ({}, None),
        "dropout=0.3": ({"dropout": 0.3}, None),
        "d_model=128,d_ff=256": ({"d_model": 128, "d_ff": 256}, None),
        "n_layers=3": ({"n_layers": 3}, None),
        "normalization=last_value": ({"normalization": "last_value"}, None),
        "normalization=last_value,zero_init": ({"normalization": "last_value",
                                                "zero_init": True}, None),
        "lr_scheduler=onecycle": ({"lr_scheduler": "onecycle"}, None),
        # its best lookback on the long-horizon data (PatchTST's 336 and 512)
        "lookback=336": ({"lookback": 336}, ("etth2",)),
        "lookback=512": ({"lookback": 512}, ("etth2",)),
        # PatchTST's reference size for ETTh1/ETTh2 (d_model 16, 3 layers, d_ff 128, dropout
        # 0.3): a quarter of the token size, so a quarter of the flatten head's weights
        "patchtst_etth_size": ({"d_model": 16, "n_layers": 3, "d_ff": 128, "dropout": 0.3},
                               ("etth2",)),
        "patchtst_etth_size,lookback=336": ({"d_model": 16, "n_layers": 3, "d_ff": 128,
                                             "dropout": 0.3, "lookback": 336}, ("etth2",)),
        # the same without the random-walk start (uniform init, no start test), whose test
        # kept the start at 336 on two of three seeds
        "patchtst_etth_size,zero_init=False": ({"d_model": 16, "n_layers": 3, "d_ff": 128,
                                                "dropout": 0.3, "zero_init": False}, ("etth2",)),
        "patchtst_etth_size,zero_init=False,lookback=336": (
            {"d_model": 16, "n_layers": 3, "d_ff": 128, "dropout": 0.3, "zero_init": False,
             "lookback": 336}, ("etth2",)),
    },
    # the linear nets train with their default epoch budget: a larger batch means fewer steps
    **{name: {"base": ({}, None),
              "zero_init=False": ({"zero_init": False}, None),
              "batch_size=512": ({"batch_size": 512}, None),
              "batch_size=1024": ({"batch_size": 1024}, None)} for name in ("dlinear", "nlinear")},
    "mlp": {"base": ({}, None)},
}
VARIANTS["dlinear"].update({
    "normalization=revin": ({"normalization": "revin"}, None),
    # DLinear's defaults before this ablation
    "zero_init=False,normalization=revin": ({"zero_init": False, "normalization": "revin"}, None),
})
#: Nets trained with their forecaster's epoch budget (max_epochs, early stopping) instead of
#: the data set's step budget.
EPOCH_BUDGET = ("dlinear", "nlinear", "mlp")

#: Steps, batch size and what is scored, per data set.
SETTINGS = {
    "weather": {"steps": 600, "batch_size": 256, "metric": "mase", "season": 24},
    "stocks": {"steps": 600, "batch_size": 256, "metric": "mase", "season": 5},
    "etth2": {"steps": 300, "batch_size": 128, "metric": "mse", "season": 24},
}


def load(name: str) -> dict:
    """Fit data, scoring data, backtest start/stride and forecaster arguments of a data set."""
    import tsforecast as tsf

    if name == "weather":
        frame = tsf.datasets.load_weather()[["TEMP"]]
        part = frame.iloc[: int(len(frame) * 0.8)]  # the benchmark's training part
        start = int(len(part) * 0.8)
        return {"fit": part.iloc[:start], "score": part, "start": start, "stride": 24,
                "kw": {"lookback": 168, "horizon": 24, "target": "TEMP",
                       "fill_missing": "interpolate"}}
    if name == "stocks":
        frame = tsf.datasets.load_stocks(source="bundled")
        dates = np.sort(frame.index.unique())
        part = frame[frame.index < dates[len(dates) - int(len(dates) * 0.2)]]
        part_dates = np.sort(part.index.unique())
        start = pd.Timestamp(part_dates[int(len(part_dates) * 0.8)])
        fit = part[part.index < start]
        long_enough = fit.groupby("ticker").size().loc[lambda n: n >= 60 + 5].index
        part, fit = (f[f["ticker"].isin(long_enough)] for f in (part, fit))
        return {"fit": fit, "score": part, "start": start, "stride": 5,
                "kw": {"lookback": 60, "horizon": 5, "target": "adj_close",
                       "id_col": "ticker"}}
    if name == "etth2":
        frame = tsf.datasets.load_csv(ETTH2)
        train_end, val_end = 12 * 30 * 24, 16 * 30 * 24  # the ltsf protocol's ETT borders
        train = frame.iloc[:train_end]
        z = (frame - train.mean()) / train.std(ddof=0)
        return {"fit": z.iloc[:train_end], "score": z.iloc[:val_end], "start": train_end,
                "stride": 1, "kw": {"lookback": 96, "horizon": 96, "target": list(frame.columns)}}
    raise ValueError(f"unknown data set {name!r}; known: {sorted(SETTINGS)}")


def run_one(model: str, dataset: str, variant: str, seed: int, threads: int) -> dict:
    """Fit one configuration with one seed and score it on the data set's validation part."""
    import torch

    import tsforecast as tsf

    torch.set_num_threads(threads)
    data, settings = load(dataset), SETTINGS[dataset]
    budget = {} if model in EPOCH_BUDGET else {
        "max_steps": settings["steps"], "max_epochs": None, "batch_size": settings["batch_size"]}
    params = {**data["kw"], **budget, **BASE[model], **VARIANTS[model][variant][0]}
    f = tsf.make_forecaster(
        model, **params, random_state=seed, accelerator="cpu", devices=1,
        verbose=False, trainer_kwargs={"logger": False},
    )
    start = time.perf_counter()
    f.fit(data["fit"])
    fit_seconds = time.perf_counter() - start
    bt = f.backtest(data["score"], start=data["start"], stride=data["stride"])
    score = _score(bt, data, settings["metric"])
    return {"model": model, "dataset": dataset, "variant": variant, "seed": seed,
            "score": score, "metric": settings["metric"], "fit_s": round(fit_seconds, 1),
            "steps": int(f.steps_), "params": int(f.n_parameters_)}


def baseline(dataset: str, name: str) -> dict:
    """A classical baseline's score on the same validation windows, for reference."""
    import tsforecast as tsf

    data, settings = load(dataset), SETTINGS[dataset]
    kw = {k: v for k, v in data["kw"].items() if k != "lookback"}
    extra = {"season_length": settings["season"]} if name == "seasonal_naive" else {}
    f = tsf.make_forecaster(name, **kw, **extra).fit(data["fit"])
    bt = f.backtest(data["score"], start=data["start"], stride=data["stride"])
    return {"model": "baseline", "dataset": dataset, "variant": name,
            "score": _score(bt, data, settings["metric"]), "metric": settings["metric"]}


def _score(bt: pd.DataFrame, data: dict, metric: str) -> float:
    from tsforecast.evaluation import evaluate

    if metric == "mase":
        ids = data["kw"].get("id_col")
        groups = data["fit"].groupby(ids) if ids else [("series", data["fit"])]
        y_train = {str(k): g[data["kw"]["target"]].to_numpy() for k, g in groups}
        return float(evaluate(bt, ("mase",), y_train=y_train, by=())["mase"].iloc[0])
    return float(np.mean((bt["y"] - bt["y_hat"]) ** 2))


def table(rows: list[dict], model: str) -> str:
    """Mean ± sd over seeds per data set and variant (best mean marked with *), and the
    baselines' scores in brackets."""
    baselines: dict[str, dict[str, float]] = {}
    for r in rows:
        if r["model"] == "baseline":
            baselines.setdefault(r["dataset"], {})[r["variant"]] = r["score"]
    df = pd.DataFrame([r for r in rows if r["model"] == model])
    if df.empty:
        return f"(no results for {model})"
    out = []
    for dataset, group in df.groupby("dataset", sort=False):
        agg = group.groupby("variant", sort=False).agg(
            mean=("score", "mean"), sd=("score", "std"), n=("seed", "count"),
            fit_s=("fit_s", "mean"), steps=("steps", "mean"), params=("params", "first"))
        best = agg["mean"].idxmin()
        metric = group["metric"].iloc[0]
        out.append(f"== {model} on {dataset} (validation {metric}, mean ± sd over seeds) ==")
        out.append(f"{'variant':<28} {metric:>17} {'n':>2} {'fit_s':>6} {'steps':>5} {'params':>8}")
        for name, r in agg.iterrows():
            mark = "*" if name == best else " "
            out.append(f"{name:<28} {r['mean']:>8.4f} ± {r['sd']:.4f}{mark} {int(r['n']):>2} "
                       f"{r['fit_s']:>6.0f} {r['steps']:>5.0f} {int(r['params']):>8,}")
        for name, score in baselines.get(dataset, {}).items():
            out.append(f"{'(' + name + ')':<28} {score:>8.4f}")
        out.append("")
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--model", default="lstm", choices=sorted(BASE))
    p.add_argument("--datasets", default="weather,stocks,etth2")
    p.add_argument("--variants", default="all", help="names separated by ';', or all")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--workers", type=int, default=1, help="processes (at most 2 here)")
    p.add_argument("--threads", type=int, default=1, help="torch threads per process")
    p.add_argument("--out", default=None, help="JSON-lines results (default: "
                   "benchmarks/ablation-<model>.jsonl)")
    p.add_argument("--table-only", action="store_true")
    p.add_argument("--baselines", action="store_true", help="score naive and seasonal naive "
                   "on the same windows first (benchmarks/ablation-baselines.jsonl)")
    args = p.parse_args()

    out = Path(args.out or Path(__file__).with_name(f"ablation-{args.model}.jsonl"))
    rows = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    base_file = Path(__file__).with_name("ablation-baselines.jsonl")
    if base_file.exists():
        rows += [json.loads(line) for line in base_file.read_text().splitlines()]
    if args.baselines:
        have = {(r["dataset"], r["variant"]) for r in rows if r["model"] == "baseline"}
        for d in args.datasets.split(","):
            for name in ("naive", "seasonal_naive"):
                if (d, name) not in have:
                    rows.append(baseline(d, name))
                    with base_file.open("a") as fh:
                        fh.write(json.dumps(rows[-1]) + "\n")
    if not args.table_only:
        done = {(r["model"], r["dataset"], r["variant"], r.get("seed")) for r in rows}
        variants = VARIANTS[args.model]
        names = list(variants) if args.variants == "all" else args.variants.split(";")
        jobs = [(args.model, d, v, int(s)) for d in args.datasets.split(",") for v in names
                for s in args.seeds.split(",")
                if variants[v][1] is None or d in variants[v][1]]
        jobs = [j for j in jobs if j not in done]
        print(f"{len(jobs)} fits to run ({len(done)} already in {out})", flush=True)
        with ProcessPoolExecutor(max_workers=max(1, min(args.workers, 2))) as pool:
            futures = [pool.submit(run_one, *job, args.threads) for job in jobs]
            for future in as_completed(futures):
                row = future.result()
                rows.append(row)
                with out.open("a") as fh:
                    fh.write(json.dumps(row) + "\n")
                print(f"{row['dataset']:<8} {row['variant']:<28} seed {row['seed']}: "
                      f"{row['metric']} {row['score']:.4f} ({row['fit_s']:.0f} s, "
                      f"{row['steps']} steps)", flush=True)
    print(table(rows, args.model))


if __name__ == "__main__":
    main()
