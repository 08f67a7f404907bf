"""A real Ray cluster on this machine, started the way users start one, whose nodes can
be lost: ``ray start --head`` and ``ray start --address`` as separate processes (one
process group each, ``--block`` so that each node's processes descend from one PID), and
``kill_node`` to kill a worker node's processes by PID mid-run.

Used by ``benchmarks/bench_ray_cluster.py`` and the cluster tests
(``tests/test_ray_cluster.py``)::

    with LocalCluster(nodes=2) as cluster:     # head + 1 worker node, 1 CPU each
        run ... --backend ray --address cluster.address   (with env=cluster.env)
        cluster.kill_node(1)                    # the worker node is lost
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["LocalCluster"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray_cli() -> str:
    here = Path(sys.executable).parent / "ray"
    return str(here) if here.exists() else (shutil.which("ray") or "ray")


class LocalCluster:
    """A head node and ``nodes - 1`` worker nodes of ``cpus`` CPUs each, each node started
    by its own ``ray start ... --block`` process. ``env``: the environment that clients
    (a benchmark run) need to join it (Ray's token authentication on, as on the nodes)."""

    def __init__(self, nodes: int = 2, cpus: int = 1, timeout: float = 90.0):
        self.n_nodes, self.cpus, self.timeout = nodes, cpus, timeout
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.temp_dir = tempfile.mkdtemp(prefix="tsf-ray-")
        self.env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}
        self.nodes: list[subprocess.Popen] = []

    # -- nodes -----------------------------------------------------------------------------
    def _start(self, args: list[str]) -> subprocess.Popen:
        log = open(Path(self.temp_dir) / f"node{len(self.nodes)}.log", "w")  # noqa: SIM115
        proc = subprocess.Popen([_ray_cli(), "start", *args, f"--num-cpus={self.cpus}",
                                 "--disable-usage-stats", "--block"],
                                env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.nodes.append(proc)
        return proc

    def start(self) -> LocalCluster:
        """Start the head, then the worker nodes; return once all have joined."""
        self._start(["--head", f"--port={self.port}", "--include-dashboard=false",
                     f"--temp-dir={self.temp_dir}"])
        self.wait_nodes(1)
        for _ in range(self.n_nodes - 1):
            self.add_node(wait=False)
        self.wait_nodes(self.n_nodes)
        return self

    def add_node(self, wait: bool = True) -> int:
        """Start one more worker node; its index in :attr:`nodes`."""
        self._start([f"--address={self.address}"])
        if wait:
            self.wait_nodes(self.alive())
        return len(self.nodes) - 1

    def alive(self) -> int:
        """The nodes whose ``ray start`` process still runs."""
        return sum(p.poll() is None for p in self.nodes)

    def wait_nodes(self, n: int) -> None:
        """Wait until ``ray status`` counts ``n`` active nodes."""
        deadline = time.monotonic() + self.timeout
        while True:
            out = subprocess.run([_ray_cli(), "status", f"--address={self.address}"],
                                 env=self.env, capture_output=True, text=True)
            active = out.stdout.split("Pending:")[0]
            if len(re.findall(r"^\s*1 node_", active, flags=re.M)) >= n:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the Ray cluster at {self.address} did not reach {n} "
                                   f"nodes in {self.timeout:.0f} s:\n{out.stdout}{out.stderr}")
            time.sleep(0.5)

    def node_pids(self, k: int) -> list[int]:
        """The processes of node ``k``: its ``ray start`` process and every descendant
        (raylet, agents, the Ray workers running its tasks)."""
        import psutil

        try:
            root = psutil.Process(self.nodes[k].pid)
        except psutil.NoSuchProcess:
            return []
        return [root.pid, *(c.pid for c in root.children(recursive=True))]

    def kill_node(self, k: int) -> list[int]:
        """Kill node ``k`` as a machine that fails: SIGKILL to each of its processes, by
        PID; the PIDs killed."""
        pids = self.node_pids(k)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.nodes[k].wait(timeout=30)
        return pids

    def stop(self) -> None:
        """Stop every node (worker nodes first) and remove the cluster's folder."""
        for k in reversed(range(len(self.nodes))):
            if self.nodes[k].poll() is None:
                for pid in reversed(self.node_pids(k)):
                    try:
                        os.kill(pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
        deadline = time.monotonic() + 20
        for k, proc in enumerate(self.nodes):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.kill_node(k)
        shutil.rmtree(self.temp_dir, ignore_errors=True)

    def __enter__(self) -> LocalCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
