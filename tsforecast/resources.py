"""The machine's resources, counted in one place: the CPU cores this process may use,
process counts clamped to them and to the work there is, and the memory.

Every count of processes the package starts goes through :func:`clamp_jobs` (the
benchmark engine's ``--jobs`` pools, ``n_jobs`` of a model's regressors), and every check
of a count against the machine (``--jobs``, ``devices`` on CPU, ``num_workers``) reads
:func:`cpu_cores`, so that no setting starts more processes than cores. Imports nothing
heavy.

Examples
--------
>>> clamp_jobs(1, work=10)
1
>>> clamp_jobs(10**6, work=3) <= 3
True
"""

from __future__ import annotations

import os

__all__ = ["clamp_jobs", "cpu_cores", "memory_bytes"]


def cpu_cores() -> int:
    """The CPU cores this process may run on: its affinity mask where the system has one
    (a container or ``taskset`` may allow fewer than the machine has), else the CPU count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        return os.cpu_count() or 1


def clamp_jobs(n_jobs: int | None, work: int | None = None) -> int:
    """The processes to start for ``n_jobs`` (joblib's meaning: ``None`` is 1, ``-1`` every
    core, ``-2`` all but one...): at most :func:`cpu_cores` and at most ``work`` (the
    pieces of work to share, e.g. series or estimators), at least 1."""
    cores = cpu_cores()
    n = 1 if n_jobs is None else int(n_jobs)
    if n < 0:
        n = cores + 1 + n
    n = min(n, cores)
    if work is not None:
        n = min(n, work)
    return max(1, n)


def memory_bytes() -> int | None:
    """The machine's physical memory in bytes (``None`` where the system does not say):
    what no single request can exceed."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # Windows
        return None
