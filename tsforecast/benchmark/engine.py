"""Execution of a run's units (data set, model[, seed]): serially, on local processes, or
as Ray tasks; one switch, the same results.

* ``jobs=1`` (``backend="local"``): a plain loop in this process.
* ``jobs=N`` (``backend="local"``): N joblib processes (the loky backend); never more
  than the CPU cores (checked by the option) nor than the pieces of work
  (:func:`~tsforecast.resources.clamp_jobs`).
* ``backend="ray"``: one Ray task per piece of work, on a local Ray of ``jobs`` CPUs or,
  with ``address``, on a cluster started as users start one (``ray start --head``, then
  ``ray start --address`` on each node): :func:`connect` joins it for the run and its
  CPUs are the workers. Each data set enters Ray's object store once; a piece whose
  worker or node dies is run again elsewhere (:data:`RAY_RETRIES`). Ray is optional and
  imported only here, when asked for.

With several workers the work of a local model (one that fits each series on its own:
statsforecast's AutoETS on the 1,428 monthly M3 series would otherwise hold one core for
most of a run) on a task of several series is split into up to
:data:`PIECES_PER_WORKER` pieces per worker: contiguous chunks of the series in the
protocol's order (:meth:`~.protocols.base.Protocol.series_order`) of about equal rows;
each piece fits and backtests its chunk (:func:`~.unit.fit_backtest`) and
the unit is checked and scored once all its pieces are in (:func:`~.unit.finish`), on the
same rows in the same order as one piece would give. Likewise an ensemble of nets
(``n_ensemble > 1``) runs each member as a piece (:func:`~.unit.ensemble_size`), and
:func:`~.unit.finish` combines the members' forecasts as the ensemble does. Models never
know where they run: none is given ``n_jobs``.

Every unit gets its seed from the config, so the results equal the serial run's whatever
the order in which pieces finish, and whatever the workers. :func:`execute` yields each
unit's result in this process as it is complete: the runner saves it under ``runs/``
and updates the report at once, and writes ``errors.log`` from the tracebacks pieces
bring back (a piece may run on another machine). A unit that fails is a result with its
error (never an exception), and a piece lost for good (its retries spent) is turned
into such an error too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..resources import clamp_jobs
from .options import BenchmarkConfig, BenchmarkInputError
from .results import ModelResult
from .task import Task
from .unit import Piece, ensemble_size, finish, fit_backtest, local_model, trains_nets

__all__ = ["PIECES_PER_WORKER", "RAY_MISSING", "RAY_RETRIES", "Unit", "Work", "check_backend",
           "connect", "engine_notes", "execute", "local_workers", "plan_pieces", "plan_units",
           "unit_key"]

RAY_MISSING = 'the ray backend needs Ray, an optional extra: pip install "tsforecast[ray]"'


@dataclass(frozen=True)
class Unit:
    """One unit of a run: ``model`` on ``task``, at ``seed`` (None: the config's seed)."""

    task: Task
    model: str
    seed: int | None = None


def plan_units(tasks: Sequence[Task], cfg: BenchmarkConfig) -> list[Unit]:
    """The units of a run, in report order: every model on every task; with ``seeds``,
    each model that trains nets once per seed (classical models are deterministic: once)."""
    units = []
    for task in tasks:
        for model in cfg.models:
            if cfg.seeds and trains_nets(model, cfg):
                units += [Unit(task, model, seed) for seed in cfg.seeds]
            else:
                units.append(Unit(task, model))
    return units


def unit_key(unit: Unit) -> tuple[str, str, int | None]:
    """``(data set, model, seed)``: how results are found again (``resume``)."""
    return unit.task.name, unit.model, unit.seed


class Work(NamedTuple):
    """One piece of work: unit ``unit`` (its index in the run's units) on its ``series``
    (None: all of them), as its ensemble member ``member`` (None: the whole model)."""

    unit: int
    series: list[str] | None = None
    member: int | None = None


#: Pieces of a local model's work per worker: each unit of a local model is cut into about
#: this many chunks of its series per worker, of about equal rows (the work grows with
#: them), so that while one worker ends the run's last chunk the others do not idle long,
#: and a cluster with more workers than units is kept busy; each piece costs one call and
#: the shipping of its chunk, small against its work.
PIECES_PER_WORKER = 4


def _chunks(unit: Unit, cfg: BenchmarkConfig, workers: int) -> list[list[str] | None]:
    """The series of each piece of ``unit``: ``[None]`` (the whole task, one piece) unless
    a local model meets a task of several series with several workers: then up to
    :data:`PIECES_PER_WORKER` x ``workers`` contiguous chunks of the series in the
    protocol's order, cut where the rows they fit on are split evenly."""
    if workers <= 1 or not local_model(unit.model, cfg):
        return [None]
    order = unit.task.protocol.series_order(unit.task)
    n = min(PIECES_PER_WORKER * workers, len(order))
    if n <= 1:
        return [None]
    rows = np.cumsum(unit.task.series_sizes(order))
    cuts = np.searchsorted(rows, rows[-1] * np.arange(1, n) / n, side="left") + 1
    bounds = sorted({0, len(order), *(int(c) for c in cuts if 0 < c < len(order))})
    return [order[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


def local_workers(cfg: BenchmarkConfig) -> int:
    """The workers of a run before it connects to them: ``jobs`` (a local Ray's CPUs, or
    local processes: at most the cores); a Ray cluster at ``address`` tells its own count
    when :func:`connect` joins it."""
    return cfg.jobs if cfg.backend == "ray" else clamp_jobs(cfg.jobs)


def plan_pieces(units: Sequence[Unit], cfg: BenchmarkConfig,
                workers: int | None = None) -> list[Work]:
    """Every piece of work, unit by unit, for ``workers`` workers (default
    :func:`local_workers`): a local model's chunks of series, an ensemble's members, else
    the whole unit."""
    workers = local_workers(cfg) if workers is None else workers
    work = []
    for i, unit in enumerate(units):
        members = ensemble_size(unit.model, unit.task, cfg)
        if members > 1:
            work += [Work(i, None, k) for k in range(members)]
        else:
            work += [Work(i, series) for series in _chunks(unit, cfg, workers)]
    return work


def engine_notes(cfg: BenchmarkConfig, units: Sequence[Unit],
                 workers: int | None = None) -> list[str]:
    """What the report says about where the units ran (on ``workers`` workers)."""
    workers = local_workers(cfg) if workers is None else workers
    pieces = plan_pieces(units, cfg, workers)
    split = len({w.unit for w in pieces if w.series is not None})
    chunks = (f"; the local models' work on the {split} multi-series unit(s) ran as "
              f"{sum(w.series is not None for w in pieces)} pieces (chunks of series)"
              if split else "")
    ensembles = len({w.unit for w in pieces if w.member is not None})
    if ensembles:
        chunks += (f"; the {ensembles} ensemble unit(s) ran as "
                   f"{sum(w.member is not None for w in pieces)} pieces (one per member)")
    if cfg.backend == "ray":
        where = (f"Ray cluster {cfg.address} ({workers} CPU(s))" if cfg.address
                 else f"a local Ray with {cfg.jobs} CPU(s)")
        return [f"{len(units)} unit(s) (data set, model, seed) ran as Ray tasks on "
                f"{where}{chunks}; results equal the serial run's"]
    if cfg.jobs > 1:
        return [f"{len(units)} unit(s) (data set, model, seed) ran on "
                f"{clamp_jobs(cfg.jobs, len(pieces))} local processes (joblib, loky){chunks}; "
                "results equal the serial run's"]
    return []


def _piece(task: Task, model: str, seed: int | None, series: list[str] | None,
           member: int | None, cfg: BenchmarkConfig, workdir: str | None) -> Piece:
    """One piece of work (a function of its own, so that Ray resolves ``task``);
    ``workdir`` None: a temporary folder of this process (a Ray node's own)."""
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="tsforecast-piece-") as here:
            return fit_backtest(model, task, cfg, here, seed=seed, series=series,
                                member=member)
    return fit_backtest(model, task, cfg, workdir, seed=seed, series=series, member=member)


def _lost(work: Work, exc: BaseException) -> Piece:
    msg = " ".join(str(exc).split())[:250]
    return Piece(work.series, work.member, error=f"worker: {type(exc).__name__}: {msg}")


def execute(units: Sequence[Unit], cfg: BenchmarkConfig, workdir: str,
            errors_log: Path | None = None, workers: int | None = None
            ) -> Iterator[tuple[int, ModelResult]]:
    """Run ``units`` on ``workers`` workers (default :func:`local_workers`; on Ray, within
    :func:`connect`, which starts a local Ray when none is); yield ``(index in units,
    result)`` as each is complete (any order)."""
    if not units:
        return
    pieces = plan_pieces(units, cfg, workers)
    if cfg.backend == "ray":
        done = _ray(units, pieces, cfg)
    elif cfg.jobs <= 1 or len(pieces) == 1:
        done = ((k, _piece(units[w.unit].task, units[w.unit].model, units[w.unit].seed,
                           w.series, w.member, cfg, workdir))
                for k, w in enumerate(pieces))
    else:
        done = _loky(units, pieces, cfg, workdir)
    wanted: dict[int, int] = {}
    for w in pieces:
        wanted[w.unit] = wanted.get(w.unit, 0) + 1
    got: dict[int, dict[int, Piece]] = {}
    for k, piece in done:
        i = pieces[k].unit
        got.setdefault(i, {})[k] = piece
        if len(got[i]) == wanted[i]:
            unit = units[i]
            parts = [p for _, p in sorted(got.pop(i).items())]  # in the series' (members') order
            yield i, finish(unit.model, unit.task, cfg, parts, errors_log, unit.seed)


def _loky(units: Sequence[Unit], pieces, cfg: BenchmarkConfig, workdir: str
          ) -> Iterator[tuple[int, Piece]]:
    """The pieces on local processes; a chunk's process is sent its chunk of the data
    only (cut here, as it is dispatched), so each process holds one copy of what it
    works on."""
    from joblib import Parallel, delayed

    def one(k: int, task: Task, model: str, seed: int | None, work: Work) -> tuple[int, Piece]:
        return k, _piece(task, model, seed, work.series, work.member, cfg, workdir)

    def calls():
        for k, w in enumerate(pieces):
            unit = units[w.unit]
            # a chunk: its rows only; the whole task: without the series index the chunks
            # built here (its process rebuilds what it needs)
            task = (dataclasses.replace(unit.task) if w.series is None
                    else unit.task.subset(w.series))
            # (the unit's model and seed, never the unit: it holds the whole task)
            yield delayed(one)(k, task, unit.model, unit.seed, w)

    n = clamp_jobs(cfg.jobs, len(pieces))
    with Parallel(n_jobs=n, backend="loky", return_as="generator_unordered",
                  pre_dispatch="2*n_jobs") as parallel:
        yield from parallel(calls())


def check_backend(cfg: BenchmarkConfig) -> None:
    """Fail before any model runs when the backend cannot be used (Ray not installed, a
    cluster address nothing answers at)."""
    if cfg.backend == "ray":
        _import_ray()
        if cfg.address:
            _check_reachable(cfg.address)


def _import_ray():
    try:
        import ray
    except ImportError as exc:
        raise BenchmarkInputError(RAY_MISSING) from exc
    return ray


@contextlib.contextmanager
def connect(cfg: BenchmarkConfig) -> Iterator[int]:
    """The run's workers for as long as it lasts; yields their count. Ray: joins the
    cluster at ``address`` (its CPUs are the workers) or starts a local Ray of ``jobs``
    CPUs, and leaves (or stops it) at the end; a Ray already initialised in this process
    is used as it is. Local: :func:`local_workers`."""
    if cfg.backend != "ray":
        yield local_workers(cfg)
        return
    ray = _import_ray()
    started = not ray.is_initialized()
    if started:  # the address was checked by check_backend, before any model ran
        try:
            if cfg.address:
                ray.init(address=cfg.address, log_to_driver=False)
            else:
                ray.init(num_cpus=cfg.jobs, include_dashboard=False, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = f"the Ray cluster at {cfg.address!r}" if cfg.address else "a local Ray"
            raise BenchmarkInputError(f"cannot start or join {where}: "
                                      f"{' '.join(str(exc).split())[:300]}") from exc
    try:
        yield max(1, int(ray.cluster_resources().get("CPU", 1)))
    finally:
        if started:
            ray.shutdown()


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Refuse a ``host:port`` cluster address nothing listens on, at once (``ray.init``
    would retry for minutes); ``auto`` and addresses without a port are left to Ray."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise BenchmarkInputError(
            f"cannot reach the Ray cluster at {address!r} ({exc}); start it with "
            "`ray start --head` and give its address (host:port)") from exc


#: Times Ray runs a piece again when its worker or node dies (Ray's default for tasks,
#: stated): a lost node costs its pieces' time, not their results
RAY_RETRIES = 3


def _ray(units: Sequence[Unit], pieces, cfg: BenchmarkConfig) -> Iterator[tuple[int, Piece]]:
    """The pieces as Ray tasks (in :func:`connect`). Each task's data enter the object
    store once (indexed by series, so that a chunk is cut in time of its own rows), and
    each node fetches them once; a piece whose node dies is run again elsewhere."""
    ray = _import_ray()
    remote = ray.remote(max_retries=RAY_RETRIES)(_piece)
    shared = {}  # each task's data go to the object store once
    refs = {}
    for k, w in enumerate(pieces):
        unit = units[w.unit]
        if unit.task.name not in shared:
            shared[unit.task.name] = ray.put(unit.task.index_series())
        ref = remote.remote(shared[unit.task.name], unit.model, unit.seed, w.series,
                            w.member, cfg, None)
        refs[ref] = k
    pending = list(refs)
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        k = refs[ready[0]]
        try:
            yield k, ray.get(ready[0])
        except Exception as exc:  # noqa: BLE001 - retries spent: the piece failed
            yield k, _lost(pieces[k], exc)
