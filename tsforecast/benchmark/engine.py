"""Execution of a run's units (data set, model[, seed]): serially, on local processes, or
as Ray tasks; one switch, the same results.

* ``jobs=1`` (``backend="local"``): a plain loop in this process.
* ``jobs=N`` (``backend="local"``): N joblib processes (the loky backend); never more
  than the CPU cores (checked by the option) nor than the pieces of work
  (:func:`~tsforecast.resources.clamp_jobs`).
* ``backend="ray"``: one Ray task per piece of work; ``ray.init()`` starts a local Ray
  with ``num_cpus=jobs`` unless ``address`` names an existing cluster. Ray is optional
  and imported only here, when asked for.

With ``jobs > 1`` the work of a local model (one that fits each series on its own:
statsforecast's AutoETS on the 1,428 monthly M3 series would otherwise hold one core for
most of a run) on a task of several series is split into ``jobs`` pieces, contiguous
chunks of the series in the protocol's order (:meth:`~.protocols.base.Protocol.
series_order`); each piece fits and backtests its chunk (:func:`~.unit.fit_backtest`) and
the unit is checked and scored once all its pieces are in (:func:`~.unit.finish`), on the
same rows in the same order as one piece would give. Likewise an ensemble of nets
(``n_ensemble > 1``) runs each member as a piece (:func:`~.unit.ensemble_size`), and
:func:`~.unit.finish` combines the members' forecasts as the ensemble does. Models never
know where they run: none is given ``n_jobs``.

Every unit gets its seed from the config, so the results equal the serial run's whatever
the order in which pieces finish. :func:`execute` yields each unit's result in this
process as it is complete: the runner saves it under ``runs/`` and updates the report at
once. A unit that fails is a result with its error (never an exception), and a piece
lost to a crashed worker is turned into such an error too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ..resources import clamp_jobs
from .options import BenchmarkConfig, BenchmarkInputError
from .results import ModelResult
from .task import Task
from .unit import Piece, ensemble_size, finish, fit_backtest, local_model, trains_nets

__all__ = ["RAY_MISSING", "Unit", "Work", "check_backend", "engine_notes", "execute",
           "plan_pieces", "plan_units", "unit_key"]

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


def _chunks(unit: Unit, cfg: BenchmarkConfig) -> list[list[str] | None]:
    """The series of each piece of ``unit``: ``[None]`` (the whole task, one piece) unless
    a local model meets a task of several series and ``jobs > 1``."""
    if cfg.jobs <= 1 or not local_model(unit.model, cfg):
        return [None]
    order = unit.task.protocol.series_order(unit.task)
    n = clamp_jobs(cfg.jobs, len(order))
    if n <= 1:
        return [None]
    size, extra = divmod(len(order), n)
    bounds = [0]
    for k in range(n):
        bounds.append(bounds[-1] + size + (k < extra))
    return [order[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


def plan_pieces(units: Sequence[Unit], cfg: BenchmarkConfig) -> list[Work]:
    """Every piece of work, unit by unit: a local model's chunks of series, an ensemble's
    members, else the whole unit."""
    work = []
    for i, unit in enumerate(units):
        members = ensemble_size(unit.model, unit.task, cfg)
        if members > 1:
            work += [Work(i, None, k) for k in range(members)]
        else:
            work += [Work(i, series) for series in _chunks(unit, cfg)]
    return work


def engine_notes(cfg: BenchmarkConfig, units: Sequence[Unit]) -> list[str]:
    """What the report says about where the units ran."""
    pieces = plan_pieces(units, cfg)
    split = len({w.unit for w in pieces if w.series is not None})
    chunks = (f"; the local models' work on the {split} multi-series unit(s) ran as "
              f"{sum(w.series is not None for w in pieces)} pieces (chunks of series)"
              if split else "")
    ensembles = len({w.unit for w in pieces if w.member is not None})
    if ensembles:
        chunks += (f"; the {ensembles} ensemble unit(s) ran as "
                   f"{sum(w.member is not None for w in pieces)} pieces (one per member)")
    if cfg.backend == "ray":
        where = (f"Ray cluster {cfg.address}" if cfg.address
                 else f"a local Ray with {cfg.jobs} CPU(s)")
        return [f"{len(units)} unit(s) (data set, model, seed) ran as Ray tasks on "
                f"{where}{chunks}; results equal the serial run's"]
    if cfg.jobs > 1:
        return [f"{len(units)} unit(s) (data set, model, seed) ran on "
                f"{clamp_jobs(cfg.jobs, len(pieces))} local processes (joblib, loky){chunks}; "
                "results equal the serial run's"]
    return []


def _piece(task: Task, model: str, seed: int | None, series: list[str] | None,
           member: int | None, cfg: BenchmarkConfig, workdir: str,
           errors_log: Path | None) -> Piece:
    """One piece of work (a function of its own, so that Ray resolves ``task``)."""
    return fit_backtest(model, task, cfg, workdir, errors_log, seed=seed, series=series,
                        member=member)


def _lost(work: Work, exc: BaseException) -> Piece:
    msg = " ".join(str(exc).split())[:250]
    return Piece(work.series, work.member, error=f"worker: {type(exc).__name__}: {msg}")


def execute(units: Sequence[Unit], cfg: BenchmarkConfig, workdir: str,
            errors_log: Path | None = None) -> Iterator[tuple[int, ModelResult]]:
    """Run ``units``; yield ``(index in units, result)`` as each is complete (any order)."""
    if not units:
        return
    pieces = plan_pieces(units, cfg)
    if cfg.backend == "ray":
        done = _ray(units, pieces, cfg, workdir, errors_log)
    elif cfg.jobs <= 1 or len(pieces) == 1:
        done = ((k, _piece(units[w.unit].task, units[w.unit].model, units[w.unit].seed,
                           w.series, w.member, cfg, workdir, errors_log))
                for k, w in enumerate(pieces))
    else:
        done = _loky(units, pieces, cfg, workdir, errors_log)
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


def _loky(units: Sequence[Unit], pieces, cfg: BenchmarkConfig, workdir: str,
          errors_log: Path | None) -> Iterator[tuple[int, Piece]]:
    from joblib import Parallel, delayed

    def one(k: int, unit: Unit, work: Work) -> tuple[int, Piece]:
        return k, _piece(unit.task, unit.model, unit.seed, work.series, work.member, cfg,
                         workdir, errors_log)

    n = clamp_jobs(cfg.jobs, len(pieces))
    with Parallel(n_jobs=n, backend="loky", return_as="generator_unordered") as parallel:
        yield from parallel(delayed(one)(k, units[w.unit], w) for k, w in enumerate(pieces))


def check_backend(cfg: BenchmarkConfig) -> None:
    """Fail before any model runs when the backend cannot be used (Ray not installed)."""
    if cfg.backend == "ray":
        _import_ray()


def _import_ray():
    try:
        import ray
    except ImportError as exc:
        raise BenchmarkInputError(RAY_MISSING) from exc
    return ray


def _ray(units: Sequence[Unit], pieces, cfg: BenchmarkConfig, workdir: str,
         errors_log: Path | None) -> Iterator[tuple[int, Piece]]:
    ray = _import_ray()
    started = not ray.is_initialized()
    if started:
        if cfg.address:
            ray.init(address=cfg.address, log_to_driver=False)
        else:
            ray.init(num_cpus=cfg.jobs, include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(_piece)
        shared = {}  # each task's data goes to the object store once
        refs = {}
        for k, w in enumerate(pieces):
            unit = units[w.unit]
            if unit.task.name not in shared:
                shared[unit.task.name] = ray.put(unit.task)
            ref = remote.remote(shared[unit.task.name], unit.model, unit.seed, w.series,
                                w.member, cfg, workdir, errors_log)
            refs[ref] = k
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            k = refs[ready[0]]
            try:
                yield k, ray.get(ready[0])
            except Exception as exc:  # noqa: BLE001 - a lost worker: the piece failed
                yield k, _lost(pieces[k], exc)
    finally:
        if started:
            ray.shutdown()
