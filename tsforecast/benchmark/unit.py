"""One unit of a benchmark run: fit, backtest, check and score one model on one task
(at one seed). Models never know where they run: the serial loop, a joblib process or a
Ray task (:mod:`.engine`) all call :func:`run_model`."""

from __future__ import annotations

import dataclasses
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from ..data import DataSpec
from ..forecasters.registry import get_forecaster, make_forecaster
from .datasets import Dataset
from .options import BenchmarkConfig
from .results import ModelResult
from .task import Task

__all__ = ["model_params", "run_model", "series_parallel"]


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
    if neural and ds.min_context is not None:
        p["min_context"] = ds.min_context
    if neural and ds.scaler is not None:
        p["scaler"] = ds.scaler
    if neural:
        p.update(
            max_epochs=cfg.max_epochs, max_steps=cfg.max_steps,
            batch_size=cfg.batch_size,
            accelerator=cfg.accelerator, devices=cfg.devices, precision=cfg.precision,
            val_fraction=task.val_fraction if task is not None else cfg.val_fraction,
            stride=cfg.train_stride, verbose=False,
            trainer_kwargs={"logger": False, "default_root_dir": workdir},
        )
    if "n_jobs" in accepted and series_parallel(cfg):
        p["n_jobs"] = cfg.jobs
    p = {k: v for k, v in p.items() if k in accepted}
    own = (cfg.model_params or {}).get(name, {})
    p.update(own)
    if cfg.protocol == "holdout" and "members" in accepted:
        p["members"] = _seasonal_members(p.get("members") or klass().members, ds.season_length)
    if "min_context" in p and "min_context" not in own and p["lookback"] < p["min_context"]:
        p["min_context"] = p["lookback"]  # a lookback set for this model wins
    return p


def series_parallel(cfg: BenchmarkConfig) -> bool:
    """Whether the run's local models fit their series on ``cfg.jobs`` processes while its
    units run one after another in this process: holdout runs on the local backend with
    ``jobs > 1`` (a few units, each over thousands of series; one unit, such as AutoETS on
    the 1,428 monthly M3 series, would otherwise hold one core for most of the run)."""
    return cfg.protocol == "holdout" and cfg.backend == "local" and cfg.jobs > 1


def _seasonal_members(members, season: int | None) -> list:
    """A combination's members, those given by name alone getting the data set's season
    (holdout data have a made-up daily index, from which a member would infer a weekly
    season)."""
    return [(m, {"season_length": season})
            if isinstance(m, str) and "season_length" in get_forecaster(m).param_names()
            else m for m in members]


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
              errors_log: Path | None = None, seed: int | None = None) -> ModelResult:
    """Fit, backtest, check and score one model on one task; never raises ``Exception``.

    ``seed``: the run's seed for this unit (multi-seed runs), else ``cfg.seed``.
    Interrupts (``KeyboardInterrupt``, Lightning's ``SystemExit`` on Ctrl-C) propagate.
    """
    if seed is not None:
        cfg = dataclasses.replace(cfg, seed=seed)
    res = ModelResult(task.name, name, seed=seed)
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
        if seed is not None:
            res.forecasts.insert(3, "seed", seed)
    sid, target, cuts = task.plot_selection(cfg.plot_cutoffs)
    sel = bt[(bt["series"] == sid) & (bt["target"] == target) & bt["cutoff"].isin(cuts)]
    res.plot_frame = sel.reset_index(drop=True)
    return res


