"""Run a benchmark: every model on every data set under one protocol, results on disk.

:func:`run_benchmark` is the Python API behind ``tsforecast benchmark``::

    from tsforecast.benchmark import run_benchmark
    res = run_benchmark({"suite": "stocks", "quick": True, "models": ["nlinear"]})
    res.leaderboard

Each unit (data set, model[, seed]) is fit, backtested, checked against the protocol's
cutoffs and scored (:mod:`.unit`), serially, on ``jobs`` processes or as Ray tasks
(:mod:`.engine`); each result is saved under ``runs/`` by this process as it arrives and
the leaderboard and report rewritten (atomically, see :mod:`.store`). A model that raises is recorded
with its error and the run goes on. Ctrl-C writes the report from what finished and
raises :class:`BenchmarkInterrupted` (a ``KeyboardInterrupt``; the CLI exits 130);
``resume`` then finishes the run without repeating the finished pairs.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import tempfile
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from ..forecasters.registry import make_forecaster
from . import store
from .datasets import Dataset
from .engine import check_backend, engine_notes, execute, plan_units
from .engine import unit_key as key
from .options import BenchmarkConfig, BenchmarkInputError, resolve_config
from .protocols import get_protocol
from .results import BenchmarkInterrupted, BenchmarkResult, ModelResult
from .unit import model_params

__all__ = ["model_params", "run_benchmark"]

#: The run's messages (the CLI shows INFO and above on stderr; a library user configures
#: logging as usual)
logger = logging.getLogger(__name__)


class _SigInt(BaseException):
    """Raised by our SIGINT handler; Lightning re-raises it (it swallows KeyboardInterrupt)."""


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


# -- the run -----------------------------------------------------------------------------------
def _default_output(cfg: BenchmarkConfig, datasets: list[Dataset]) -> Path:
    name = cfg.suite or "+".join(d.name for d in datasets)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("benchmark-results") / f"{name}-{stamp}"


@contextlib.contextmanager
def _sigint_raises():
    """Turn Ctrl-C into :class:`_SigInt` while the run lasts (main thread only).

    Lightning catches ``KeyboardInterrupt`` inside ``Trainer.fit``, ignores further
    SIGINTs and calls ``sys.exit(1)``; an exception of our own passes through it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise _SigInt()

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # pragma: no cover - not the main interpreter
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


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
        On Ctrl-C, after writing the report of the models that finished.
    """
    from . import report

    cfg = resolve_config(config)
    check_backend(cfg)
    protocol = get_protocol(cfg.protocol)
    datasets = protocol.load(cfg)
    workdir_obj = tempfile.TemporaryDirectory(prefix="tsforecast-bench-")
    workdir = workdir_obj.name
    try:
        tasks = []
        for ds in datasets:
            need = _min_train_rows(cfg, ds, workdir) if protocol.needs_min_train_rows else 0
            tasks.append(protocol.prepare(ds, cfg, need))
        out_dir = Path(cfg.output) if cfg.output else _default_output(cfg, datasets)
        cfg.output = str(out_dir)
        store.prepare_output(out_dir, cfg)
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
        notes += engine_notes(cfg, units)
        writer = report.ReportWriter(out_dir, cfg, tasks, notes)
        writer.start()
        found = {i: done[key(u)] for i, u in enumerate(units) if key(u) in done}
        todo = [i for i in range(len(units)) if i not in found]
        by_index: dict[int, ModelResult] = {}
        interrupted = False
        bar = _progress(len(units), cfg.progress)
        try:
            with _sigint_raises():
                for i, res in found.items():  # finished in the run being resumed
                    by_index[i] = res
                    bar.update(1)
                todo_units = [units[i] for i in todo]
                log = out_dir / "errors.log"
                for j, res in execute(todo_units, cfg, workdir, log):
                    store.save_run(out_dir, res, units[todo[j]].task)
                    by_index[todo[j]] = res
                    writer.update([by_index[k] for k in sorted(by_index)])
                    bar.set_postfix_str(f"{res.dataset}: {res.model}")
                    bar.update(1)
        except (KeyboardInterrupt, _SigInt, SystemExit):
            interrupted = True
            # Lightning sets SIGINT to "ignore" when it sees Ctrl-C; put the default back
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGINT, signal.default_int_handler)
        finally:
            bar.close()
        results = [by_index[k] for k in sorted(by_index)]
        result = writer.finish(results, interrupted=interrupted)
    finally:
        workdir_obj.cleanup()
    if interrupted:
        raise BenchmarkInterrupted(result)
    return result


class _NoBar:
    def set_postfix_str(self, s: str) -> None:
        pass

    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, enabled: bool):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="benchmark", unit="model", file=sys.stderr, dynamic_ncols=True)
