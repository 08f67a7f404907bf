"""How a holdout run's cost grows with the number of series: synthetic M4-shaped panels
(``benchmarks/synthetic_panel.py``) of 1k, 10k and 100k series, written as Parquet and
run with the CLI (``tsforecast benchmark --protocol holdout --data panel.parquet``) in a
process of its own, timed from start to exit, its memory sampled (every 0.2 s: the
resident memory of the run and of its worker processes, summed; and the largest one).

Prints one row per size: series, rows, wall seconds, milliseconds per series, peak RSS
(summed over the processes, and the largest process), the wall time relative to the
first size's per series, and each model's fit + backtest seconds (summed over its
pieces) from the run's leaderboard; then the leaderboard's sMAPE of each model.

    python benchmarks/bench_scaling.py --sizes 1000,10000,100000 \\
        --models naive,seasonal_naive,theta,nlinear --jobs 2

Needs psutil (installed with the ray extra).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic_panel import make_panel, write_panel  # noqa: E402


def _tree_rss(proc) -> tuple[int, int]:
    """(sum, max) resident bytes of ``proc`` and its descendants."""
    import psutil

    total, top = 0, 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    for p in procs:
        try:
            rss = p.memory_info().rss
        except psutil.Error:
            continue
        total, top = total + rss, max(top, rss)
    return total, top


def run(path: Path, out: Path, args) -> dict:
    import psutil

    cmd = [sys.executable, "-m", "tsforecast", "benchmark", "--protocol", "holdout",
           "--data", str(path), "--horizon", str(args.horizon), "--season-length",
           str(args.season_length), "--mase-season", "1", "--models", args.models,
           "--jobs", str(args.jobs), "--seed", "0", "--output", str(out), "--overwrite",
           "--no-progress", *args.extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watched = psutil.Process(proc.pid)
    peak_sum = peak_max = 0
    while proc.poll() is None:
        total, top = _tree_rss(watched)
        peak_sum, peak_max = max(peak_sum, total), max(peak_max, top)
        time.sleep(0.2)
    wall = time.perf_counter() - t0
    log = proc.stdout.read()
    if proc.returncode != 0:
        raise SystemExit(f"run failed ({proc.returncode}):\n{log[-3000:]}")
    board = pd.read_csv(out / "leaderboard.csv")
    return {"wall": wall, "peak_sum": peak_sum, "peak_max": peak_max, "board": board}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000,10000,100000")
    p.add_argument("--models", default="naive,seasonal_naive,theta,nlinear")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--horizon", type=int, default=6)
    p.add_argument("--season-length", type=int, default=12)
    p.add_argument("--seed", type=int, default=0, help="of the synthetic panel")
    p.add_argument("--workdir", default=None, help="where the panels and runs go "
                   "(default: a temporary folder)")
    p.add_argument("extra", nargs="*", help="more benchmark options, after --")
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    root = Path(args.workdir or tempfile.mkdtemp(prefix="tsf-scaling-"))
    root.mkdir(parents=True, exist_ok=True)
    rows, boards = [], {}
    for n in sizes:
        path = root / f"panel-{n}.parquet"
        if not path.exists():
            write_panel(make_panel(n, args.seed), path)
        n_rows = len(pd.read_parquet(path, columns=["y"]))
        got = run(path, root / f"run-{n}", args)
        board = got["board"].set_index("model")
        boards[n] = board["smape"]
        row = {"series": n, "rows": n_rows, "wall_s": got["wall"],
               "ms_per_series": 1000 * got["wall"] / n,
               "peak_rss_gib": got["peak_sum"] / 2**30,
               "largest_process_gib": got["peak_max"] / 2**30}
        for model in board.index:
            row[f"{model}_s"] = board.at[model, "fit_seconds"] + board.at[model, "predict_seconds"]
        rows.append(row)
        print(f"{n} series done: {got['wall']:.0f} s", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    table["per_series_vs_first"] = table["ms_per_series"] / table["ms_per_series"].iloc[0]
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(f"models {args.models}, --jobs {args.jobs}, horizon {args.horizon}, season "
              f"{args.season_length}; panels and runs in {root}")
        print(table.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
        print("\nsMAPE by model and size:")
        print(pd.DataFrame(boards).to_string(float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
