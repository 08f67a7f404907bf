"""A real Ray cluster: a head and a worker node started with ``ray start`` as separate
processes (1 CPU each), the benchmark run on it with ``--backend ray --address``, and the
worker node killed (its processes, by PID) while it runs a piece of work: the run
completes with the serial run's leaderboard, no result lost (Ray runs the lost piece
again on the head)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_benchmark_holdout import panel

from tsforecast.benchmark import run_benchmark
from tsforecast.benchmark.results import without_timings

pytest.importorskip("ray")
psutil = pytest.importorskip("psutil")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from ray_cluster import LocalCluster  # noqa: E402

pytestmark = pytest.mark.slow

MODELS = "naive,theta,seasonal_naive"


def _args(path: Path, out: Path) -> list[str]:
    return ["--data", str(path), "--protocol", "holdout", "--horizon", "4", "--mase-season",
            "4", "--models", MODELS, "--output", str(out), "--no-progress"]


def _board(out: Path) -> pd.DataFrame:
    return without_timings(pd.read_csv(out / "leaderboard.csv"))


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(nodes=2, cpus=1) as c:
        yield c


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    path = root / "p.csv"
    panel(path, lengths=[12 + (29 * k) % 90 for k in range(240)])
    cfg = {"data": str(path), "protocol": "holdout", "horizon": 4, "mase_season": 4,
           "models": MODELS, "output": str(root / "serial"), "progress": False}
    run_benchmark(cfg)
    return path, _board(root / "serial")


def _run(cluster: LocalCluster, path: Path, out: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "tsforecast", "benchmark", *_args(path, out),
           "--backend", "ray", "--address", cluster.address]
    return subprocess.Popen(cmd, env=cluster.env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_a_two_node_cluster_gives_the_serial_leaderboard(cluster, serial, tmp_path):
    path, expected = serial
    proc = _run(cluster, path, tmp_path / "c")
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    pd.testing.assert_frame_equal(_board(tmp_path / "c"), expected)
    report = (tmp_path / "c" / "report.md").read_text()
    assert f"Ray cluster {cluster.address} (2 CPU(s))" in report
    assert "pieces (chunks of series)" in report


def _running_piece(cluster: LocalCluster, k: int) -> bool:
    """Whether a Ray worker of node ``k`` is running a piece (Ray names the process
    ``ray::_piece`` while it runs the task)."""
    for pid in cluster.node_pids(k):
        try:
            if "ray::_piece" in " ".join(psutil.Process(pid).cmdline()):
                return True
        except psutil.Error:
            continue
    return False


def test_losing_a_node_mid_run_loses_no_result(cluster, serial, tmp_path):
    path, expected = serial
    if cluster.alive() < 2:
        cluster.add_node()
    node = len(cluster.nodes) - 1
    proc = _run(cluster, path, tmp_path / "k")
    deadline = time.monotonic() + 300
    while not _running_piece(cluster, node):
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "the worker node never ran a piece"
        time.sleep(0.05)
    killed = cluster.kill_node(node)
    assert len(killed) >= 3  # ray start, raylet, the worker running the piece...
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    pd.testing.assert_frame_equal(_board(tmp_path / "k"), expected)
    runs = sorted(p.name for p in (tmp_path / "k" / "runs").glob("*.json"))
    assert len(runs) == len(MODELS.split(","))
    assert "will be retried" in out or "retries remaining" in out
