"""Execution of a run's units (data set, model[, seed]): serially, on local processes, or
as Ray tasks; one switch, the same results.

* ``jobs=1`` (``backend="local"``): a plain loop in this process.
* ``jobs=N`` (``backend="local"``): N joblib processes (the loky backend); never more
  than the CPU count (checked by the option). Holdout runs (a few units over thousands of
  series) instead run their units here, one after another, and the local models fit their
  series on the N processes (their ``n_jobs``; :func:`~.unit.series_parallel`).
* ``backend="ray"``: one Ray task per unit; ``ray.init()`` starts a local Ray with
  ``num_cpus=jobs`` unless ``address`` names an existing cluster. Ray is optional and
  imported only here, when asked for.

Every unit gets its seed from the config (:func:`~.unit.run_model`), so the results equal
the serial run's whatever the order in which units finish. :func:`execute` yields each
result in this process as it arrives: the runner saves it under ``runs/`` and updates the
report at once. A unit that fails is a result with its error (never an exception), and
one lost to a crashed worker is turned into such a result too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .options import BenchmarkConfig, BenchmarkInputError
from .results import ModelResult
from .task import Task
from .unit import run_model, series_parallel, trains_nets

__all__ = ["RAY_MISSING", "Unit", "check_backend", "engine_notes", "execute", "plan_units", "unit_key"]

RAY_MISSING = 'the ray backend needs Ray, an optional extra: pip install "tsforecast[ray]"'


@dataclass(frozen=True)
class Unit:
    """One piece of work: ``model`` on ``task``, at ``seed`` (None: the config's seed)."""

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


def engine_notes(cfg: BenchmarkConfig, units: Sequence[Unit]) -> list[str]:
    """What the report says about where the units ran."""
    if cfg.backend == "ray":
        where = (f"Ray cluster {cfg.address}" if cfg.address
                 else f"a local Ray with {cfg.jobs} CPU(s)")
        return [f"{len(units)} unit(s) (data set, model, seed) ran as Ray tasks on {where}"]
    if series_parallel(cfg):
        return [f"{len(units)} unit(s) (data set, model, seed) ran one after another; the "
                f"local models fitted their series on {cfg.jobs} processes (joblib); results "
                "equal the serial run's"]
    if cfg.jobs > 1:
        return [f"{len(units)} unit(s) (data set, model, seed) ran on {min(cfg.jobs, len(units))} "
                "local processes (joblib, loky); results equal the serial run's"]
    return []


def _run(unit: Unit, cfg: BenchmarkConfig, workdir: str, errors_log: Path | None
         ) -> ModelResult:
    return run_model(unit.model, unit.task, cfg, workdir, errors_log, seed=unit.seed)


def _run_parts(task: Task, model: str, seed: int | None, cfg: BenchmarkConfig, workdir: str,
               errors_log: Path | None) -> ModelResult:
    """:func:`_run` with the task as an argument of its own (Ray resolves it)."""
    return run_model(model, task, cfg, workdir, errors_log, seed=seed)


def _lost(unit: Unit, exc: BaseException) -> ModelResult:
    msg = " ".join(str(exc).split())[:250]
    return ModelResult(unit.task.name, unit.model, seed=unit.seed,
                       error=f"worker: {type(exc).__name__}: {msg}")


def execute(units: Sequence[Unit], cfg: BenchmarkConfig, workdir: str,
            errors_log: Path | None = None) -> Iterator[tuple[int, ModelResult]]:
    """Run ``units``; yield ``(index in units, result)`` as each finishes (any order)."""
    if not units:
        return
    if cfg.backend == "ray":
        yield from _ray(units, cfg, workdir, errors_log)
    elif cfg.jobs <= 1 or len(units) == 1 or series_parallel(cfg):
        for i, unit in enumerate(units):
            yield i, _run(unit, cfg, workdir, errors_log)
    else:
        yield from _loky(units, cfg, workdir, errors_log)


def _loky(units: Sequence[Unit], cfg: BenchmarkConfig, workdir: str,
          errors_log: Path | None) -> Iterator[tuple[int, ModelResult]]:
    from joblib import Parallel, delayed

    def one(i: int, unit: Unit) -> tuple[int, ModelResult]:
        return i, _run(unit, cfg, workdir, errors_log)

    n = min(cfg.jobs, len(units))
    with Parallel(n_jobs=n, backend="loky", return_as="generator_unordered") as parallel:
        yield from parallel(delayed(one)(i, u) for i, u in enumerate(units))


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


def _ray(units: Sequence[Unit], cfg: BenchmarkConfig, workdir: str,
         errors_log: Path | None) -> Iterator[tuple[int, ModelResult]]:
    ray = _import_ray()
    started = not ray.is_initialized()
    if started:
        if cfg.address:
            ray.init(address=cfg.address, log_to_driver=False)
        else:
            ray.init(num_cpus=cfg.jobs, include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(_run_parts)
        shared = {}  # each task's data goes to the object store once
        refs = {}
        for i, unit in enumerate(units):
            if unit.task.name not in shared:
                shared[unit.task.name] = ray.put(unit.task)
            ref = remote.remote(shared[unit.task.name], unit.model, unit.seed, cfg, workdir,
                                errors_log)
            refs[ref] = i
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            i = refs[ready[0]]
            try:
                yield i, ray.get(ready[0])
            except Exception as exc:  # noqa: BLE001 - a lost worker: the unit failed
                yield i, _lost(units[i], exc)
    finally:
        if started:
            ray.shutdown()
