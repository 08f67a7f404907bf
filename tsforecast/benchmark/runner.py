"""Run a benchmark: every model on every data set under one protocol, results on disk.

:func:`run_benchmark` is the Python API behind ``tsforecast benchmark``::

    from tsforecast.benchmark import run_benchmark
    res = run_benchmark({"suite": "stocks", "quick": True, "models": ["nlinear"]})
    res.leaderboard

Each (data set, model) pair is fit, backtested, checked against the protocol's cutoffs
and scored; its results are saved under ``runs/`` and the leaderboard and report
rewritten after each one (atomically, see :mod:`.store`). A model that raises is recorded
with its error and the run goes on. Ctrl-C writes the report from what finished and
raises :class:`BenchmarkInterrupted` (a ``KeyboardInterrupt``; the CLI exits 130);
``resume`` then finishes the run without repeating the finished pairs.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..data import DataSpec
from ..forecasters.registry import get_forecaster, make_forecaster
from . import store
from .datasets import Dataset, load_datasets
from .holdout import load_holdout_datasets
from .options import BenchmarkConfig, BenchmarkInputError, resolve_config
from .protocol import Task, prepare_task
from .results import BenchmarkInterrupted, BenchmarkResult, ModelResult

__all__ = ["model_params", "run_benchmark"]


class _SigInt(BaseException):
    """Raised by our SIGINT handler; Lightning re-raises it (it swallows KeyboardInterrupt)."""


# -- models --------------------------------------------------------------------------------
def model_params(name: str, cfg: BenchmarkConfig, ds: Dataset, task: Task | None,
                 workdir: str) -> dict[str, Any]:
    """Constructor arguments of model ``name`` for data set ``ds`` under ``cfg``.

    Only the parameters the model's class accepts are passed; ``model_params[name]``
    from the config is applied last.
    """
    klass = get_forecaster(name)
    accepted = set(klass.param_names())
    neural = klass.get_tag("neural")
    # the data schema, declared once for every model of the run
    spec = DataSpec(
        target=ds.targets[0] if len(ds.targets) == 1 else list(ds.targets),
        past_covariates=list(ds.covariates) or None, id_col=ds.id_col,
        fill_missing=None if cfg.protocol == "ltsf" else cfg.fill_missing,
    )
    p: dict[str, Any] = {
        **spec.as_params(),
        "horizon": ds.horizon or cfg.horizon,
        # holdout: integer positions get a made-up daily index, so the season is explicit
        "season_length": ds.season_length
        if ds.season_length > 1 or cfg.protocol == "holdout" else None,
        "random_state": cfg.seed,
    }
    if cfg.level:
        p["level"] = list(cfg.level)
    if neural or "lookback" in accepted:
        p["lookback"] = ds.lookback or cfg.lookback
    if neural:
        p.update(
            max_epochs=cfg.max_epochs, batch_size=cfg.batch_size,
            accelerator=cfg.accelerator, devices=cfg.devices, precision=cfg.precision,
            val_fraction=task.val_fraction if task is not None else cfg.val_fraction,
            stride=cfg.train_stride, verbose=False,
            trainer_kwargs={"logger": False, "default_root_dir": workdir},
        )
    p = {k: v for k, v in p.items() if k in accepted}
    p.update((cfg.model_params or {}).get(name, {}))
    return p


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


# -- one model -------------------------------------------------------------------------------
def _one_line(exc: BaseException) -> str:
    msg = " ".join(str(exc).split()) or repr(exc)
    text = f"{type(exc).__name__}: {msg}"
    return text if len(text) <= 300 else text[:297] + "..."


def _add_context(frame: pd.DataFrame, dataset: str, model: str) -> pd.DataFrame:
    out = frame.copy()
    out.insert(0, "dataset", dataset)
    out.insert(2, "model", model)
    return out


def run_model(name: str, task: Task, cfg: BenchmarkConfig, workdir: str,
              errors_log: Path | None = None) -> ModelResult:
    """Fit, backtest, check and score one model on one task; never raises ``Exception``.

    Interrupts (``KeyboardInterrupt``, Lightning's ``SystemExit`` on Ctrl-C) propagate.
    """
    res = ModelResult(task.name, name)
    stage = "building"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = make_forecaster(name, **model_params(name, cfg, task.dataset, task, workdir))
            stage = "fit"
            t0 = time.perf_counter()
            model.fit(task.fit_data)
            res.fit_seconds = time.perf_counter() - t0
            stage = "backtest"
            t0 = time.perf_counter()
            bt = task.mask_missing(task.backtest(model))
            res.predict_seconds = time.perf_counter() - t0
            stage = "checking"
            task.check_cutoffs(bt, name)
            stage = "scoring"
            ev = task.evaluate(bt)
        except Exception as exc:  # noqa: BLE001 - one model failing must not stop the run
            res.error = f"{stage}: {_one_line(exc)}"
            if errors_log is not None:
                with errors_log.open("a", encoding="utf-8") as fh:
                    fh.write(f"== {task.name} / {name} ({stage})\n")
                    fh.write("".join(traceback.format_exception(exc)))
                    fh.write("\n")
        finally:
            # deprecation chatter of dependencies is not about the model: not reported
            seen = dict.fromkeys(
                f"{w.category.__name__}: {' '.join(str(w.message).split())[:200]}"
                for w in caught
                if not issubclass(w.category, DeprecationWarning | PendingDeprecationWarning
                                  | FutureWarning)
            )
            res.warnings = list(seen)
    if res.error is not None:
        return res
    res.evaluation = ev
    res.metrics = dict(ev.metrics)
    res.n_series, res.n_windows, res.n_excluded = ev.n_series, ev.n_windows, ev.n_excluded
    for attr, key in (("windows_per_second_", "train_windows_per_second"),
                      ("n_parameters_", "n_parameters"), ("epochs_", "epochs")):
        value = getattr(model, attr, None)
        if value is not None:
            setattr(res, key, float(value))
    if cfg.save_forecasts != "none":
        res.forecasts = _add_context(task.saved_rows(bt), task.name, name)
    sid, target, cuts = task.plot_selection(cfg.plot_cutoffs)
    sel = bt[(bt["series"] == sid) & (bt["target"] == target) & bt["cutoff"].isin(cuts)]
    res.plot_frame = sel.reset_index(drop=True)
    return res


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
    config : a :class:`BenchmarkConfig` or a dict of its options (e.g. ``{"suite":
        "stocks", "quick": True}``); unknown keys are rejected.

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
    datasets = load_holdout_datasets(cfg) if cfg.protocol == "holdout" else load_datasets(cfg)
    workdir_obj = tempfile.TemporaryDirectory(prefix="tsforecast-bench-")
    workdir = workdir_obj.name
    try:
        tasks = []
        for ds in datasets:
            need = 0 if cfg.protocol == "holdout" else _min_train_rows(cfg, ds, workdir)
            tasks.append(prepare_task(ds, cfg, need))
        out_dir = Path(cfg.output) if cfg.output else _default_output(cfg, datasets)
        cfg.output = str(out_dir)
        store.prepare_output(out_dir, cfg)
        done = store.load_runs(out_dir, tasks, cfg.models) if cfg.resume else {}
        if cfg.protocol == "ltsf":  # which borders: one line, before any model runs
            print("; ".join(f"tsforecast: ltsf borders of {t.name}: {t.borders['rule']}"
                            for t in tasks), file=sys.stderr)
        notes = list(cfg.notes)
        for ds, task in zip(datasets, tasks, strict=True):
            notes += ds.notes + task.notes
        pairs = [(t, m) for t in tasks for m in cfg.models]
        if cfg.resume:
            notes.append(
                f"resumed the run in {out_dir}: {len(done)} of {len(pairs)} model run(s) read "
                "back from runs/ (with the timings of that run)" if done else
                f"resume: nothing to read back in {out_dir}; every model ran")
        writer = report.ReportWriter(out_dir, cfg, tasks, notes)
        writer.start()
        results: list[ModelResult] = []
        interrupted = False
        bar = _progress(len(pairs), cfg.progress)
        try:
            with _sigint_raises():
                for task, name in pairs:
                    res = done.get((task.name, name))
                    if res is None:  # else finished in the run being resumed
                        bar.set_postfix_str(f"{task.name}: {name}")
                        res = run_model(name, task, cfg, workdir, out_dir / "errors.log")
                        store.save_run(out_dir, res, task)
                    results.append(res)
                    writer.update(results)
                    bar.update(1)
        except (KeyboardInterrupt, _SigInt, SystemExit):
            interrupted = True
            # Lightning sets SIGINT to "ignore" when it sees Ctrl-C; put the default back
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGINT, signal.default_int_handler)
        finally:
            bar.close()
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
