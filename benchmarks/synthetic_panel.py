"""Synthetic panels shaped like M4: many series of mixed lengths, seasons, trends and noise.

Each series is drawn independently from a seeded generator (series ``k`` of a panel of
seed ``s`` is the same in a panel of 1,000 and in one of 100,000 series), in the long
layout the holdout protocol reads (``unique_id, ds, y``, integer ``ds`` from 1), written
as Parquet (or CSV by the file's suffix):

* the kinds of M4 in its proportions: yearly (23 %, no season), quarterly (24 %, season
  4), monthly (48 %, season 12), weekly (0.4 %, no season), daily (4.2 %, season 7) and
  hourly (0.4 %, season 24), with M4-like lengths (log-uniform within each kind's
  range), clipped to ``[min_length, max_length]`` (20 and 1,000 by default);
* a level (log-uniform over four decades), a damped local trend (random walk on the
  slope for a fifth of the series), a multiplicative season with a slowly drifting
  profile, AR(1) noise of 1-10 % of the level, and an occasional level shift;
* every value positive (as M4's), so sMAPE and MASE are defined.

    python benchmarks/synthetic_panel.py 10000 panel-10k.parquet [--seed 0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import lfilter

#: M4's kinds: share of the series, season, range of lengths (training + test)
KINDS = {
    "yearly": (0.23, 1, (19, 300)),
    "quarterly": (0.24, 4, (24, 400)),
    "monthly": (0.48, 12, (60, 1000)),
    "weekly": (0.004, 1, (93, 1000)),
    "daily": (0.042, 7, (107, 1000)),
    "hourly": (0.004, 24, (700, 1000)),
}


def _series(rng: np.random.Generator, season: int, n: int) -> np.ndarray:
    t = np.arange(n, dtype=np.float64)
    level = 10 ** rng.uniform(1, 5)
    slope = rng.normal(0, 0.004)  # relative growth per step
    if rng.random() < 0.2:  # a wandering trend
        slope = slope + np.cumsum(rng.normal(0, 0.0005, n))
    trend = np.exp(np.cumsum(np.full(n, slope) * 0.98 ** (t / 50)))
    shape = np.ones(n)
    if season > 1 and rng.random() < 0.8:
        amp = rng.uniform(0.03, 0.3)
        profile = rng.normal(0, 1, season)
        profile = (profile - profile.mean()) / (profile.std() + 1e-9)
        drift = np.cumsum(rng.normal(0, 0.02, (n // season + 2, season)), axis=0)
        cycle = (profile + drift).reshape(-1)[:n]
        shape = 1 + amp * np.tanh(cycle)
    sigma, phi = rng.uniform(0.01, 0.1), rng.uniform(0, 0.7)
    noise = lfilter([1.0], [1.0, -phi], rng.normal(0, sigma, n))  # AR(1)
    shift = np.ones(n)
    if rng.random() < 0.1:
        shift[rng.integers(n // 2, n):] = rng.uniform(0.7, 1.4)
    return np.maximum(level * trend * shape * shift * (1 + noise), level * 1e-3)


def make_panel(n_series: int, seed: int = 0, min_length: int = 20,
               max_length: int = 1000) -> pd.DataFrame:
    """``n_series`` synthetic M4-shaped series in the long layout ``unique_id, ds, y``
    (see the module docstring); ``unique_id`` names the kind (``M000012``, ``Q000013``...)."""
    if n_series < 1 or min_length < 2 or max_length < min_length:
        raise ValueError("need n_series >= 1 and 2 <= min_length <= max_length")
    names = list(KINDS)
    shares = np.array([KINDS[k][0] for k in names])
    ids, ds, ys = [], [], []
    for k in range(n_series):
        rng = np.random.default_rng([seed, k])
        kind = names[rng.choice(len(names), p=shares / shares.sum())]
        _, season, (lo, hi) = KINDS[kind]
        n = int(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        n = min(max(n, min_length), max_length)
        ys.append(_series(rng, season, n))
        ids.append(np.full(n, f"{kind[0].upper()}{k:06d}"))
        ds.append(np.arange(1, n + 1))
    return pd.DataFrame({"unique_id": np.concatenate(ids), "ds": np.concatenate(ds),
                         "y": np.concatenate(ys)})


def write_panel(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as Parquet (``.parquet``) or CSV (anything else)."""
    path = Path(path)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("n_series", type=int)
    p.add_argument("path", help="output file: .parquet, else CSV")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--min-length", type=int, default=20)
    p.add_argument("--max-length", type=int, default=1000)
    args = p.parse_args()
    frame = make_panel(args.n_series, args.seed, args.min_length, args.max_length)
    write_panel(frame, args.path)
    lengths = frame.groupby("unique_id").size()
    print(f"{args.path}: {len(lengths):,} series, {len(frame):,} rows, lengths "
          f"{lengths.min()}-{lengths.max()} (median {int(lengths.median())})")


if __name__ == "__main__":
    main()
