"""Run a benchmark: every model on every data set under one protocol, results on disk.

:func:`run_benchmark` is the Python API behind ``tsforecast benchmark``::

    from tsforecast.benchmark import run_benchmark
    res = run_benchmark({"suite": "stocks", "quick": True, "models": ["nlinear"]})
    res.leaderboard

Each unit (data set, model[, seed]) is fit, backtested, checked against the protocol's
cutoffs and scored (:mod:`.unit`), serially, on ``jobs`` processes or as Ray tasks
(:mod:`.engine`); each result is saved under ``runs/`` by this process as it arrives and
the leaderboard and report rewritten (atomically, see :mod:`.store`). A model that raises is recorded
with its error and the run goes on. Ctrl-C (or SIGTERM) writes the report from what
finished and raises :class:`BenchmarkInterrupted` (a ``KeyboardInterrupt``; the CLI
exits 130, 143 for SIGTERM); ``resume`` then finishes the run without repeating the
finished pairs. The run holds its output directory (a second run on it is refused) and
works in a temporary folder; both are released on every way out.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import tempfile
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import progress
from ..forecasters.registry import make_forecaster
from ..resources import clamp_jobs, cpu_cores
from . import store
from .datasets import Dataset
from .engine import check_backend, connect, engine_notes, execute, plan_pieces, plan_units
from .engine import unit_key as key
from .options import BenchmarkConfig, BenchmarkInputError, resolve_config
from .protocols import get_protocol
from .results import BenchmarkInterrupted, BenchmarkResult, ModelResult
from .unit import model_params, trains_nets

__all__ = ["model_params", "run_benchmark"]

#: The run's messages (the CLI shows INFO and above on stderr; a library user configures
#: logging as usual)
logger = logging.getLogger(__name__)


class _SigInt(BaseException):
    """Raised by our SIGINT handler; Lightning re-raises it (it swallows KeyboardInterrupt)."""


class _SigTerm(BaseException):
    """Raised by our SIGTERM handler: the run stops as on Ctrl-C, cleaning up on the way."""


def _min_train_rows(cfg: BenchmarkConfig, ds: Dataset, workdir: str) -> int:
    """Rows a series needs before the test start: lookback + horizon, or more if a model
    needs more (e.g. a season)."""
    need = cfg.lookback + cfg.horizon
    for name in cfg.models:
        try:
            model = make_forecaster(name, **model_params(name, cfg, ds, None, workdir))
        except (TypeError, ValueError) as exc:
            raise BenchmarkInputError(f"model {name!r}: {exc}") from exc
        try:
            need = max(need, int(model.min_fit_rows))
        except Exception:  # noqa: BLE001 - params are validated at fit; use the default
            pass
    return need


def _check_models(cfg: BenchmarkConfig, tasks: list, workdir: str) -> None:
    """Build each model of the run with the parameters each task gives it and run its
    parameter checks (its own, its members', the devices of a net) before any model fits:
    a bad value is the input error of the whole run, not one failed unit per data set."""
    for task in tasks:
        for name in cfg.models:
            try:
                model = make_forecaster(name, **model_params(name, cfg, task.dataset, task,
                                                             workdir))
                model._check_params()  # what fit checks first, without the data
            except BenchmarkInputError:
                raise
            except (TypeError, ValueError) as exc:
                raise BenchmarkInputError(f"model {name!r} on {task.name}: {exc}") from exc
    # nets trained at once on the --jobs processes, each on --devices processes of its own
    devices = (cfg.devices if isinstance(cfg.devices, int)
               else len(cfg.devices) if isinstance(cfg.devices, list) else 1)
    units = plan_units(tasks, cfg)
    nets = sum(trains_nets(units[w.unit].model, cfg) for w in plan_pieces(units, cfg))
    at_once = clamp_jobs(cfg.jobs, nets) if nets else 0
    if devices > 1 and at_once > 1 and at_once * devices > cpu_cores() and not cfg.address:
        raise BenchmarkInputError(
            f"jobs {cfg.jobs} x devices {devices}: {at_once} nets trained at once on "
            f"{devices} processes each would start {at_once * devices} processes on "
            f"{cpu_cores()} CPU core(s); lower jobs or devices")


# -- the run -----------------------------------------------------------------------------------
def _default_output(cfg: BenchmarkConfig, datasets: list[Dataset]) -> Path:
    name = cfg.suite or "+".join(d.name for d in datasets)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("benchmark-results") / f"{name}-{stamp}"


@contextlib.contextmanager
def _signals_raise():
    """Turn Ctrl-C into :class:`_SigInt` and SIGTERM into :class:`_SigTerm` while the run
    lasts (main thread only), so that every exit path cleans up (the temporary folder,
    the output lock) and keeps what finished.

    Lightning catches ``KeyboardInterrupt`` inside ``Trainer.fit``, ignores further
    SIGINTs and calls ``sys.exit(1)``; an exception of our own passes through it (and its
    SIGTERM handler calls the one found installed: ours).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigint(signum, frame):
        raise _SigInt()

    def on_sigterm(signum, frame):
        raise _SigTerm()

    try:
        previous = {signal.SIGINT: signal.signal(signal.SIGINT, on_sigint),
                    signal.SIGTERM: signal.signal(signal.SIGTERM, on_sigterm)}
    except ValueError:  # pragma: no cover - not the main interpreter
        yield
        return
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_benchmark(config: BenchmarkConfig | Mapping[str, Any]) -> BenchmarkResult:
    """Run a benchmark and write its outputs.

    Parameters
    ----------
    config : BenchmarkConfig or dict
        The options, as a :class:`BenchmarkConfig` or a dict of them (e.g.
        ``{"suite": "stocks", "quick": True}``); unknown keys are rejected.

    Returns
    -------
    BenchmarkResult
        ``.leaderboard``, ``.forecasts``, ``.output_dir`` and more.

    Raises
    ------
    BenchmarkInputError
        Invalid options or data, an output directory that is not empty (without
        ``overwrite`` or ``resume``), or one that cannot be resumed (before any model runs).
    BenchmarkInterrupted
        On Ctrl-C or SIGTERM, after writing the report of the models that finished
        (``.signum`` says which).
    SystemExit
        On SIGTERM outside the models' runs (status 143, as the signal's default action).

    The temporary folder of the run and the lock on the output directory are removed on
    every way out.
    """
    cfg = resolve_config(config)
    check_backend(cfg)
    protocol = get_protocol(cfg.protocol)
    datasets = protocol.load(cfg)
    try:
        with _signals_raise(), contextlib.ExitStack() as stack:
            workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="tsforecast-bench-"))
            tasks = []
            for ds in datasets:
                need = _min_train_rows(cfg, ds, workdir) if protocol.needs_min_train_rows else 0
                tasks.append(protocol.prepare(ds, cfg, need))
            _check_models(cfg, tasks, workdir)
            out_dir = Path(cfg.output) if cfg.output else _default_output(cfg, datasets)
            cfg.output = str(out_dir)
            stack.enter_context(store.output_lock(out_dir))  # released however the run ends
            store.prepare_output(out_dir, cfg)
            workers = stack.enter_context(connect(cfg))  # e.g. joins a Ray cluster
            result, stopped_by = _run(cfg, protocol, datasets, tasks, out_dir, workdir,
                                      workers)
    except _SigInt:  # not while models ran: as Ctrl-C does, once cleaned up
        raise KeyboardInterrupt from None
    except _SigTerm:  # not while models ran: what SIGTERM does, once cleaned up
        raise SystemExit(128 + signal.SIGTERM) from None
    if stopped_by is not None:
        raise BenchmarkInterrupted(result, stopped_by)
    return result


def _run(cfg: BenchmarkConfig, protocol, datasets: list[Dataset], tasks: list, out_dir: Path,
         workdir: str, workers: int) -> tuple[BenchmarkResult, int | None]:
    """Run the units in ``out_dir`` (prepared, locked) on ``workers`` workers; the result
    and the signal that stopped the run (``None``: it ran to the end)."""
    from . import report

    units = plan_units(tasks, cfg)
    done = store.load_runs(out_dir, [(u.task, u.model, u.seed) for u in units]
                           ) if cfg.resume else {}
    announced = protocol.announce(tasks)  # e.g. which borders: before any model runs
    if announced:
        logger.info("; ".join(announced))
    notes = list(cfg.notes)
    for ds, task in zip(datasets, tasks, strict=True):
        notes += ds.notes + task.notes
    if cfg.resume:
        notes.append(
            f"resumed the run in {out_dir}: {len(done)} of {len(units)} model run(s) read "
            "back from runs/ (with the timings of that run)" if done else
            f"resume: nothing to read back in {out_dir}; every model ran")
    notes += engine_notes(cfg, units, workers)
    writer = report.ReportWriter(out_dir, cfg, tasks, notes)
    writer.start()
    found = {i: done[key(u)] for i, u in enumerate(units) if key(u) in done}
    todo = [i for i in range(len(units)) if i not in found]
    by_index: dict[int, ModelResult] = {}
    stopped_by = None
    # one bar over the units, advanced as each finishes (their fits show none)
    bar = progress.bar(len(units), desc="benchmark", unit="model",
                       disable=not progress.show(cfg.progress))
    try:
        for i, res in found.items():  # finished in the run being resumed
            by_index[i] = res
            bar.update(1)
        todo_units = [units[i] for i in todo]
        log = out_dir / "errors.log"
        for j, res in execute(todo_units, cfg, workdir, log, workers):
            store.save_run(out_dir, res, units[todo[j]].task)
            by_index[todo[j]] = res
            writer.update([by_index[k] for k in sorted(by_index)])
            bar.set_postfix_str(f"{res.dataset}: {res.model}")
            bar.update(1)
    except _SigTerm:
        stopped_by = signal.SIGTERM
    except (KeyboardInterrupt, _SigInt, SystemExit):
        stopped_by = signal.SIGINT
        # Lightning sets SIGINT to "ignore" when it sees Ctrl-C; put the default back
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGINT, signal.default_int_handler)
    finally:
        bar.close()
    results = [by_index[k] for k in sorted(by_index)]
    return writer.finish(results, interrupted=stopped_by is not None), stopped_by

