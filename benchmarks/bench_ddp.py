"""Data-parallel training of one global net on a large panel: Lightning DDP vs one process.

On a synthetic panel (``--series`` monthly-like series of ``--rows/2`` to ``--rows`` rows:
level, trend, a 12-step season, AR(1) noise; the same panel for every run), each model
(registered names: ``nlinear``, ``lstm``, ...) is fitted and scored in two settings:

* ``1 proc x 2 thr``: one process, ``torch.set_num_threads(2)``, ``devices=1``;
* ``ddp 2 x 1 thr``: ``devices=2, strategy="ddp"`` on the CPU (gloo), one intra-op thread
  in each process (the launcher re-runs this script for rank 1, with the same arguments).

Both use the same seeds, epochs, learning rate and ``batch_size`` *per process* (Lightning's
meaning, as on GPUs): DDP's effective batch is twice as large and it takes half the
optimiser steps per epoch. Validation and early stopping stay on (the last 10% of each
series' training windows pick the best epoch; patience 0 disables early stopping so both
settings run the same number of epochs).

Each fit runs in a fresh process; the table gives, per setting, the mean ± sd over the
seeds of:

* ``train win/s``: training windows per second of the training epochs (the steps, their
  data loading and the gradient all-reduce; validation and process start excluded),
  measured by a callback on rank 0 and multiplied by the number of processes;
* ``fit win/s``: the fitted model's ``windows_per_second_`` (end to end: ``trainer.fit``,
  which for DDP includes starting rank 1, which re-imports and re-reads the panel);
* ``fit s`` and ``wall s`` (the whole process: import, panel, fit, predict);
* ``sMAPE`` (%) and ``MASE`` (season 12) of the forecasts of the held-out last
  ``--horizon`` steps of every series.

    python benchmarks/bench_ddp.py [--series 2000] [--rows 240] [--models nlinear,lstm]
        [--seeds 0,1,2] [--epochs 3] [--batch-size 256] [--lookback 36] [--horizon 12]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

START = time.perf_counter()
SETTINGS = {  # name: (processes, intra-op threads per process)
    "1 proc x 2 thr": (1, 2),
    "ddp 2 x 1 thr": (2, 1),
}


def make_panel(n_series: int, rows: int, seed: int = 0):
    """A long frame ``unique_id, ds, y``: positive monthly-like series of ``rows // 2`` to
    ``rows`` rows (level, trend, a 12-step season, AR(1) noise)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    lengths = rng.integers(rows // 2, rows + 1, size=n_series)
    t = np.arange(rows)[None, :]  # [1, rows]; series i keeps its last lengths[i] rows
    level = np.exp(rng.normal(4.0, 1.0, (n_series, 1)))
    trend = rng.normal(0.0, 0.003, (n_series, 1)) * t
    phase = rng.integers(0, 12, (n_series, 1))
    season = rng.uniform(0.0, 0.3, (n_series, 1)) * np.sin(2 * np.pi * (t + phase) / 12)
    eps = rng.normal(0.0, 1.0, (n_series, rows)) * rng.uniform(0.02, 0.1, (n_series, 1))
    noise = np.zeros((n_series, rows))
    for k in range(1, rows):  # AR(1), all series at once
        noise[:, k] = 0.7 * noise[:, k - 1] + eps[:, k]
    y = level * np.exp(trend + season + noise)  # [N, rows]
    keep = t >= rows - lengths[:, None]  # [N, rows]
    ds = pd.date_range(end="2020-12-01", periods=rows, freq="MS")
    ids = np.array([f"s{i}" for i in range(n_series)])
    return pd.DataFrame({
        "unique_id": np.repeat(ids, lengths),
        "ds": np.broadcast_to(ds.values, (n_series, rows))[keep],
        "y": y[keep],
    })


def split(panel, horizon: int):
    """The training rows and the held-out last ``horizon`` rows of every series."""
    last = panel.groupby("unique_id").cumcount(ascending=False) < horizon
    return panel[~last], panel[last]


def scores(train, test, fc, season: int = 12) -> tuple[float, float]:
    """sMAPE (%) and MASE (mean of the series' MASE) of the forecasts ``fc`` (``unique_id,
    ds, y_hat``) against ``test``."""
    m = test.merge(fc, on=["unique_id", "ds"], how="left")
    assert m["y_hat"].notna().all(), "a forecast is missing"
    smape = 200 * np.mean(np.abs(m.y - m.y_hat) / (np.abs(m.y) + np.abs(m.y_hat)))
    scale = train.groupby("unique_id")["y"].apply(  # in-sample seasonal naive MAE
        lambda s: np.mean(np.abs(s.to_numpy()[season:] - s.to_numpy()[:-season])))
    err = (m.y - m.y_hat).abs().groupby(m.unique_id).mean()
    return float(smape), float((err / scale.loc[err.index]).mean())


def child(args) -> None:
    """One fit in this process (rank 0; DDP's rank 1 is this script again)."""
    import torch

    torch.set_num_threads(args.threads)
    import lightning as L

    import tsforecast as tsf

    class Timer(L.Callback):
        """Seconds of the training epochs without validation, and the threads used."""

        def __init__(self):
            self.val = 0.0

        def on_train_start(self, trainer, module):
            self.threads = torch.get_num_threads()
            self.t0 = time.perf_counter()

        def on_validation_start(self, trainer, module):
            self.v0 = time.perf_counter()

        def on_validation_end(self, trainer, module):
            self.val += time.perf_counter() - self.v0

        def on_train_end(self, trainer, module):
            self.seconds = time.perf_counter() - self.t0 - self.val
            self.windows = module.windows_seen * trainer.world_size
            self.world = trainer.world_size

    panel = make_panel(args.series, args.rows)
    train, test = split(panel, args.horizon)
    timer = Timer()
    ddp = args.processes > 1
    f = tsf.make_forecaster(
        args.model, lookback=args.lookback, horizon=args.horizon, target="y",
        id_col="unique_id", time_col="ds", max_epochs=args.epochs,
        batch_size=args.batch_size, early_stopping_patience=0, random_state=args.seed,
        accelerator="cpu", devices=args.processes, strategy="ddp" if ddp else "auto",
        verbose=False, trainer_kwargs={"logger": False, "callbacks": [timer]},
    )
    f.fit(train)
    fc = f.predict().reset_index().rename(columns={"index": "ds", "y": "y_hat"})
    if not f.is_global_zero_:
        return
    smape, mase = scores(train, test, fc[["unique_id", "ds", "y_hat"]])
    result = dict(
        model=args.model, seed=args.seed, processes=f.world_size_, threads=timer.threads,
        train_windows=f.train_windows_, epochs=f.epochs_, steps=f.steps_,
        train_wps=timer.windows / timer.seconds, fit_wps=f.windows_per_second_,
        fit_s=f.fit_seconds_, smape=smape, mase=mase, kept_initial=bool(f.kept_initial_),
        wall_s=time.perf_counter() - START,
    )
    with open(args.out, "w") as fh:
        json.dump(result, fh)


def run_one(args, model: str, seed: int, setting: str) -> dict:
    processes, threads = SETTINGS[setting]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        cmd = [sys.executable, os.path.abspath(__file__), "--child", "--model", model,
               "--seed", str(seed), "--processes", str(processes), "--threads", str(threads),
               "--out", out, *common_flags(args)]
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"{setting} {model} seed {seed} failed:\n{proc.stderr[-3000:]}")
        with open(out) as fh:
            result = json.load(fh)
    result.update(setting=setting, wall_s=wall)
    return result


def common_flags(args) -> list[str]:
    return ["--series", str(args.series), "--rows", str(args.rows), "--epochs",
            str(args.epochs), "--batch-size", str(args.batch_size), "--lookback",
            str(args.lookback), "--horizon", str(args.horizon)]


def table(results: list[dict]) -> str:
    def ms(values, fmt):
        v = np.asarray(values, dtype=float)
        sd = v.std(ddof=1) if len(v) > 1 else 0.0
        return f"{fmt.format(v.mean())} ± {fmt.format(sd)}"

    lines = ["| model | setting | train win/s | fit win/s | fit s | wall s | sMAPE % | MASE | "
             "speed-up (train win/s) |", "|---|---|---|---|---|---|---|---|---|"]
    for model in dict.fromkeys(r["model"] for r in results):
        base = None
        for setting in SETTINGS:
            rs = [r for r in results if r["model"] == model and r["setting"] == setting]
            if not rs:
                continue
            wps = np.mean([r["train_wps"] for r in rs])
            base = base or wps
            lines.append(
                f"| {model} | {setting} | {ms([r['train_wps'] for r in rs], '{:,.0f}')} | "
                f"{ms([r['fit_wps'] for r in rs], '{:,.0f}')} | "
                f"{ms([r['fit_s'] for r in rs], '{:.1f}')} | "
                f"{ms([r['wall_s'] for r in rs], '{:.1f}')} | "
                f"{ms([r['smape'] for r in rs], '{:.3f}')} | "
                f"{ms([r['mase'] for r in rs], '{:.4f}')} | {wps / base:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--series", type=int, default=2000)
    p.add_argument("--rows", type=int, default=240)
    p.add_argument("--models", default="nlinear,lstm")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lookback", type=int, default=36)
    p.add_argument("--horizon", type=int, default=12)
    p.add_argument("--settings", default=",".join(SETTINGS), help="comma-separated subset")
    p.add_argument("--json", help="append each run's result to this JSON-lines file")
    # one fit (internal: what the parent runs, and what DDP re-runs for rank 1)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--model", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    p.add_argument("--processes", type=int, help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args)

    results = []
    for model in args.models.split(","):
        for seed in map(int, args.seeds.split(",")):
            for setting in args.settings.split(","):  # interleaved: drift hits both alike
                r = run_one(args, model, seed, setting)
                results.append(r)
                print(f"{model:8s} seed {seed} {setting:15s} threads {r['threads']} "
                      f"procs {r['processes']} epochs {r['epochs']} steps {r['steps']} "
                      f"train {r['train_wps']:,.0f} win/s fit {r['fit_s']:.1f}s wall "
                      f"{r['wall_s']:.1f}s sMAPE {r['smape']:.3f} MASE {r['mase']:.4f}",
                      flush=True)
                if args.json:
                    with open(args.json, "a") as fh:
                        fh.write(json.dumps(r) + "\n")
    print(f"\n{args.series} series of {args.rows // 2}-{args.rows} rows, lookback "
          f"{args.lookback}, horizon {args.horizon}, {args.epochs} epochs, batch "
          f"{args.batch_size} per process, seeds {args.seeds}\n")
    print(table(results))


if __name__ == "__main__":
    main()
