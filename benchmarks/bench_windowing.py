"""Memory and speed of lazy window assembly.

Builds a WindowDataset over one long float32 series (default: 10 million steps x 8
columns, the same path ``fit`` uses: DataFrame -> validated arrays -> train-only
scaler -> lazy windows) and iterates shuffled batches of 256 windows (lookback 512,
horizon 96). Prints peak resident memory over the raw array and windows/second of
batch assembly.

    python benchmarks/bench_windowing.py [--steps 10000000] [--columns 8] [--batches 400]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from tsforecast.data import SeriesScaler, WindowDataset, make_loader, to_series


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--steps", type=int, default=10_000_000)
    p.add_argument("--columns", type=int, default=8)
    p.add_argument("--lookback", type=int, default=512)
    p.add_argument("--horizon", type=int, default=96)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--batches", type=int, default=400)
    args = p.parse_args()

    base = rss_mb()
    rng = np.random.default_rng(0)
    raw = np.empty((args.steps, args.columns), dtype=np.float32)
    for start in range(0, args.steps, 100_000):  # fill in small float32 chunks
        stop = min(start + 100_000, args.steps)
        raw[start:stop] = rng.standard_normal((stop - start, args.columns), dtype=np.float32)
    raw_mb = raw.nbytes / 2**20
    cols = [f"c{i}" for i in range(args.columns)]
    df = pd.DataFrame(raw, columns=cols, copy=False,
                      index=pd.RangeIndex(args.steps, name="step"))

    t0 = time.perf_counter()
    layout, series = to_series(df, target=cols[:1], past_covariates=cols[1:])
    shared = np.shares_memory(series[0].values, raw)
    n = len(series[0])
    val_start = int(n * 0.9)
    scaler = SeriesScaler("standard").fit([s.id for s in series], [series[0].values], [val_start])
    ds = WindowDataset(
        [series[0].values], args.lookback, args.horizon, n_targets=1,
        bounds=[(0, val_start)], loc=[scaler.loc_["series"]], scale=[scaler.scale_["series"]],
    )
    build_s = time.perf_counter() - t0
    loader = make_loader(ds, batch_size=args.batch_size, shuffle=True, seed=0)

    windows = 0
    t0 = time.perf_counter()
    for i, batch in enumerate(loader):
        windows += batch["x"].shape[0]
        if i + 1 >= args.batches:
            break
    iter_s = time.perf_counter() - t0
    peak = peak_mb() - base

    rows = [
        ("series", f"{args.steps:,} steps x {args.columns} cols float32"),
        ("windows in dataset", f"{len(ds):,} (lookback {args.lookback}, horizon {args.horizon})"),
        ("raw array", f"{raw_mb:,.0f} MiB"),
        ("dataset shares the raw array", str(shared)),
        ("build time (validate + scaler + dataset)", f"{build_s:.2f} s"),
        ("peak RSS over start", f"{peak:,.0f} MiB"),
        ("peak / raw", f"{peak / raw_mb:.2f}x  (target <= 1.20x)"),
        ("batch assembly", f"{windows / iter_s:,.0f} windows/s ({args.batch_size}/batch, "
                           f"{windows:,} windows)"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"{'metric':<{width}}  value")
    print(f"{'-' * width}  {'-' * 40}")
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
