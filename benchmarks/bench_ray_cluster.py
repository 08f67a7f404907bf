"""The benchmark on a real Ray cluster, and the loss of a node mid-run.

Starts a Ray cluster the way users start one (``ray start --head``, then ``ray start
--address`` for a second node; separate processes, ``--cpus`` CPUs each: see
``benchmarks/ray_cluster.py``) and runs, each as a CLI process of its own, timed:

1. the suite on local processes (``--jobs 2``), the reference;
2. the same on the cluster (``--backend ray --address HEAD``): its wall time against the
   local run's, and whether its leaderboard is identical (every column but the timings);
3. ``--kills`` runs on the cluster in which the worker node is killed (every process of
   it, by PID, SIGKILL) at a different moment of each (evenly spread over the cluster
   run's wall time), a fresh node started before the next: whether each run completed,
   how many results it lost, whether its leaderboard is identical.

    python benchmarks/bench_ray_cluster.py --suite m3 \\
        --models naive,seasonal_naive,ets,theta [--kills 3]

Needs the ray extra (``pip install "tsforecast[ray]"``, with psutil).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from tsforecast.benchmark.results import without_timings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ray_cluster import LocalCluster  # noqa: E402


def _board(out: Path) -> pd.DataFrame:
    return without_timings(pd.read_csv(out / "leaderboard.csv"))


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(a, b)
        return True
    except AssertionError:
        return False


def _cmd(args, out: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "tsforecast", "benchmark", "--suite", args.suite,
            "--models", args.models, "--seed", "0", "--output", str(out), "--overwrite",
            "--no-progress", *extra]


def _timed(cmd: list[str], env=None, kill=None) -> tuple[float, int, str]:
    """Run ``cmd``; ``kill``: (seconds, callback) called once that long into the run."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    if kill is not None:
        at, callback = kill
        try:
            proc.wait(timeout=at)
        except subprocess.TimeoutExpired:
            callback()
    out, _ = proc.communicate()
    return time.perf_counter() - t0, proc.returncode, out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", default="m3")
    p.add_argument("--models", default="naive,seasonal_naive,ets,theta")
    p.add_argument("--jobs", type=int, default=2, help="of the local reference run")
    p.add_argument("--cpus", type=int, default=1, help="of each Ray node")
    p.add_argument("--kills", type=int, default=3)
    p.add_argument("--workdir", default=None)
    args = p.parse_args()
    root = Path(args.workdir or tempfile.mkdtemp(prefix="tsf-raybench-"))
    rows = []

    local_s, rc, log = _timed(_cmd(args, root / "local", ["--jobs", str(args.jobs)]))
    if rc != 0:
        raise SystemExit(f"the local run failed:\n{log[-3000:]}")
    reference = _board(root / "local")
    rows.append({"run": f"local --jobs {args.jobs}", "wall_s": local_s, "vs_local": 1.0,
                 "completed": True, "results": len(reference), "identical": True})
    with LocalCluster(nodes=2, cpus=args.cpus) as cluster:
        ray = ["--backend", "ray", "--address", cluster.address]
        wall, rc, log = _timed(_cmd(args, root / "cluster", ray), env=cluster.env)
        ok = rc == 0
        rows.append({"run": f"Ray cluster, 2 nodes x {args.cpus} CPU", "wall_s": wall,
                     "vs_local": wall / local_s, "completed": ok,
                     "results": len(_board(root / "cluster")) if ok else 0,
                     "identical": ok and _same(_board(root / "cluster"), reference)})
        for k in range(args.kills):
            if cluster.alive() < 2:
                cluster.add_node()
            node = len(cluster.nodes) - 1
            at = wall * (k + 1) / (args.kills + 1)
            killed: list[int] = []
            out = root / f"kill{k}"

            def kill(n=node, into=killed):
                into.extend(cluster.kill_node(n))

            run_s, rc, log = _timed(_cmd(args, out, ray), env=cluster.env, kill=(at, kill))
            ok = rc == 0
            got = len(_board(out)) if ok else 0
            rows.append({"run": f"node killed at {at:.0f} s ({len(killed)} processes)",
                         "wall_s": run_s, "vs_local": run_s / local_s, "completed": ok,
                         "results": got, "lost": len(reference) - got,
                         "identical": ok and _same(_board(out), reference),
                         "retried": "retries remaining" in log})
    table = pd.DataFrame(rows)
    print(f"--suite {args.suite} --models {args.models}; runs in {root}")
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))


if __name__ == "__main__":
    main()
