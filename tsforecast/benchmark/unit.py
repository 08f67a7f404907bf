"""One unit of a benchmark run: fit, backtest, check and score one model on one task
(at one seed). Models never know where they run: the serial loop, a joblib process or a
Ray task (:mod:`.engine`) all call :func:`fit_backtest`, on the whole task, on a chunk
of its series or on one member of an ensemble, and :func:`finish` scores the pieces of a
unit together (concatenated, or the members' forecasts combined)."""

from __future__ import annotations

import contextlib
import dataclasses
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data import DataSpec
from ..forecasters.base import FallbackWarning
from ..forecasters.combination import combine_forecasts, member_items
from ..forecasters.registry import get_forecaster, make_forecaster
from .datasets import Dataset
from .holdout import horizons_lookback
from .options import OPTIONS, BenchmarkConfig, BenchmarkInputError
from .protocols import get_protocol
from .results import ModelResult
from .task import Task

__all__ = ["Piece", "ensemble_size", "finish", "fit_backtest", "local_model", "model_params",
           "run_model", "trains_nets"]


# -- models --------------------------------------------------------------------------------
def model_params(name: str, cfg: BenchmarkConfig, ds: Dataset, task: Task | None,
                 workdir: str) -> dict[str, Any]:
    """Constructor arguments of model ``name`` for data set ``ds`` under ``cfg``.

    Only the parameters the model's class accepts are passed; ``model_params[name]``
    from the config is applied last. With ``level``, every model gets the data set's
    ``calibration_size`` when it has one (holdout: :data:`~.panel.PANEL_CALIBRATION`). A neural model (or member) given
    ``lookback_horizons: k`` there gets a lookback of ``k`` horizons, capped as the holdout
    protocol caps its own (:func:`~.holdout.horizons_lookback`). A combination's members
    get what this function gives each of them, their own parameters applied last.
    """
    klass = get_forecaster(name)
    accepted = set(klass.param_names())
    neural = klass.get_tag("neural")
    protocol = get_protocol(cfg.protocol)
    # the data schema, declared once for every model of the run
    spec = DataSpec(
        target=ds.targets[0] if len(ds.targets) == 1 else list(ds.targets),
        past_covariates=list(ds.covariates) or None, id_col=ds.id_col,
        fill_missing=cfg.fill_missing if protocol.models_fill_missing else None,
    )
    p: dict[str, Any] = {
        **spec.as_params(),
        "horizon": ds.horizon or cfg.horizon,
        # e.g. holdout: integer positions get a made-up daily index: the season is explicit
        "season_length": ds.season_length
        if ds.season_length > 1 or protocol.explicit_season else None,
        "random_state": cfg.seed,
    }
    if cfg.level:
        p["level"] = list(cfg.level)
        if ds.calibration_size is not None:  # holdout: the panel rule (every model)
            p["calibration_size"] = ds.calibration_size
    if neural or "lookback" in accepted:
        p["lookback"] = ds.lookback or cfg.lookback
    if neural and ds.min_context is not None:
        p["min_context"] = ds.min_context
    if neural:
        p.update(ds.net_params)
    if neural:  # the training options the run sets (declared as such in OPTIONS)
        p.update({opt.param: getattr(cfg, name) for name, opt in OPTIONS.items() if opt.param})
        if task is not None:
            p["val_fraction"] = task.val_fraction
        p.update(verbose=False, trainer_kwargs={"logger": False, "default_root_dir": workdir})
    p = {k: v for k, v in p.items() if k in accepted}
    if "members" in accepted:
        p["members"] = klass().members  # the defaults, each given the run's parameters
    return _with_own(name, p, dict((cfg.model_params or {}).get(name, {})), cfg, ds, task,
                     workdir)


def _with_own(name: str, p: dict, own: dict, cfg: BenchmarkConfig, ds: Dataset,
              task: Task | None, workdir: str) -> dict[str, Any]:
    """``p`` with the model's own parameters ``own`` applied (see :func:`model_params`)."""
    horizons = own.pop("lookback_horizons", None)
    p.update(own)
    if horizons is not None:
        if "lookback" not in p or not ds.horizon:
            raise BenchmarkInputError(f"{name}: lookback_horizons is for the neural nets of a "
                                      "holdout run (a lookback in horizons of each data set)")
        p["lookback"], context = horizons_lookback(ds, horizons)
        if "min_context" in p and "min_context" not in own:
            p["min_context"] = context
    if "members" in p:
        p["members"] = [_member(m, params, p, cfg, ds, task, workdir)
                        for m, params in member_items(p["members"])]
    if "min_context" in p and "min_context" not in own and p["lookback"] < p["min_context"]:
        p["min_context"] = p["lookback"]  # a lookback set for this model wins
    return p


def _member(name: str, own: dict, shared: dict, cfg: BenchmarkConfig, ds: Dataset,
            task: Task | None, workdir: str):
    """A combination member as the run gives it: what :func:`model_params` gives a model
    of that name beyond what the combination passes on (the season of holdout data, a
    net's budget, lookback and seed), its own parameters last; its name alone when that
    is nothing."""
    base = {k: v for k, v in model_params(name, cfg, ds, task, workdir).items()
            if k not in shared or shared[k] != v}
    params = _with_own(name, base, dict(own), cfg, ds, task, workdir)
    return (name, params) if params else name


def trains_nets(name: str, cfg: BenchmarkConfig) -> bool:
    """Whether model ``name`` trains a net in this run (a neural model, or a combination
    with a neural member): such models run once per seed of ``cfg.seeds``."""
    klass = get_forecaster(name)
    if klass.get_tag("neural"):
        return True
    if "members" not in klass.param_names():
        return False
    members = (cfg.model_params or {}).get(name, {}).get("members") or klass().members
    try:
        return any(get_forecaster(m).get_tag("neural") for m, _ in member_items(members))
    except (TypeError, ValueError):  # bad members: the unit fails, reported, once
        return False


def local_model(name: str, cfg: BenchmarkConfig) -> bool:
    """Whether model ``name`` fits each series on its own (scope ``local``, members too):
    its work on a task can be split into chunks of series with the same forecasts. Not
    with ``--level``: conformal intervals pool the held-out errors of all series, so a
    chunk would calibrate on its own series only (and a chunk of short series on none)."""
    klass = get_forecaster(name)
    if klass.get_tag("scope") != "local" or trains_nets(name, cfg) or cfg.level:
        return False
    if "members" not in klass.param_names():
        return True
    members = (cfg.model_params or {}).get(name, {}).get("members") or klass().members
    try:
        return all(get_forecaster(m).get_tag("scope") == "local" for m, _ in member_items(members))
    except (TypeError, ValueError):  # bad members: the unit fails, reported, once
        return False


def ensemble_size(name: str, task: Task, cfg: BenchmarkConfig) -> int:
    """The members of model ``name`` on ``task`` when they run as pieces of work of their
    own (a neural model with ``n_ensemble > 1``, the run on several processes or Ray), else
    1. Not with ``--level``: the conformal calibration scores the combined forecast."""
    klass = get_forecaster(name)
    if cfg.jobs <= 1 or cfg.level or not klass.get_tag("neural"):
        return 1
    try:
        params = model_params(name, cfg, task.dataset, task, "")
    except (TypeError, ValueError):  # bad parameters: the unit fails, reported, once
        return 1
    n = params.get("n_ensemble", 1)
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 1 else 1


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


@dataclass
class Piece:
    """One fit and backtest of a model: on the whole task, on a chunk of its series
    (``series``) or as ensemble member ``member`` (its forecasts combined with the other
    members' by ``combine``); :func:`finish` checks and scores the pieces of a unit
    together."""

    series: list[str] | None = None
    member: int | None = None
    combine: str | None = None
    backtest: pd.DataFrame | None = None
    error: str | None = None
    fit_seconds: float = float("nan")
    predict_seconds: float = float("nan")
    warnings: list[str] = field(default_factory=list)
    #: what the fitted model reports (train_windows_per_second, n_parameters, epochs)
    stats: dict[str, float] = field(default_factory=dict)
    #: the series the model gave a simpler model (its ``fallbacks_``): id -> what it used
    fallbacks: dict[str, str] = field(default_factory=dict)
    #: the traceback of its error, for ``errors.log`` (written by the process that runs
    #: the benchmark: a piece may run on another machine)
    log: str | None = None


def _trace(header: str, exc: BaseException) -> str:
    """An entry of ``errors.log``: ``header`` and the traceback of ``exc``."""
    return f"== {header}\n" + "".join(traceback.format_exception(exc)) + "\n"


def _log(errors_log: Path | None, text: str | None) -> None:
    if errors_log is not None and text:
        with errors_log.open("a", encoding="utf-8") as fh:
            fh.write(text)


@contextlib.contextmanager
def _recorded(into: list[str]):
    """Collect the distinct warnings raised inside into ``into`` (deprecation chatter of
    dependencies is not about the model: not reported; a model's fallbacks are reported
    from its ``fallbacks_``, series by series)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            into.extend(dict.fromkeys(
                f"{w.category.__name__}: {' '.join(str(w.message).split())[:200]}"
                for w in caught
                if not issubclass(w.category, DeprecationWarning | PendingDeprecationWarning
                                  | FutureWarning | FallbackWarning)
            ))


def fit_backtest(name: str, task: Task, cfg: BenchmarkConfig, workdir: str,
                 seed: int | None = None, series: list[str] | None = None,
                 member: int | None = None) -> Piece:
    """Build, fit and backtest model ``name`` on ``task`` (on its ``series`` only when
    given: a chunk of a local model's work; only its ensemble member ``member`` when
    given); never raises ``Exception``: an error is the piece's ``error`` (one line) and
    ``log`` (its traceback, for ``errors.log``).

    ``seed``: the run's seed for this unit (multi-seed runs), else ``cfg.seed``.
    Interrupts (``KeyboardInterrupt``, Lightning's ``SystemExit`` on Ctrl-C) propagate.
    """
    if seed is not None:
        cfg = dataclasses.replace(cfg, seed=seed)
    piece = Piece(series, member)
    part = task if series is None else task.subset(series)
    stage = "building"
    with _recorded(piece.warnings):
        try:
            model = make_forecaster(name, **model_params(name, cfg, task.dataset, task, workdir))
            if member is not None:
                piece.combine = model.ensemble_combine
                model = model.ensemble_member(member)
            stage = "fit"
            t0 = time.perf_counter()
            model.fit(part.fit_data)
            piece.fit_seconds = time.perf_counter() - t0
            stage = "backtest"
            t0 = time.perf_counter()
            piece.backtest = task.mask_missing(part.backtest(model))
            piece.predict_seconds = time.perf_counter() - t0
        except Exception as exc:  # noqa: BLE001 - one model failing must not stop the run
            piece.error = f"{stage}: {_one_line(exc)}"
            chunk = ("" if series is None else f", series {series[0]}..{series[-1]}") + (
                "" if member is None else f", ensemble member {member}")
            piece.log = _trace(f"{task.name} / {name} ({stage}{chunk})", exc)
            return piece
    for attr, key in (("windows_per_second_", "train_windows_per_second"),
                      ("n_parameters_", "n_parameters"), ("epochs_", "epochs")):
        value = getattr(model, attr, None)
        if value is not None:
            piece.stats[key] = float(value)
    kept = getattr(model, "kept_initial_", None)  # a fitted net's attribute: absent on others
    if kept is not None:
        piece.stats["kept_initial"] = float(kept)
    piece.fallbacks = {"/".join(map(str, k)) if isinstance(k, tuple) else str(k): str(what)
                       for k, what in getattr(model, "fallbacks_", {}).items()}
    return piece


def finish(name: str, task: Task, cfg: BenchmarkConfig, pieces: list[Piece],
           errors_log: Path | None = None, seed: int | None = None) -> ModelResult:
    """Check and score the backtests of ``pieces`` (the whole task, or its chunks in the
    protocol's series order) as one model's result; never raises ``Exception``."""
    res = ModelResult(task.name, name, seed=seed)
    found: list[str] = [w for p in pieces for w in p.warnings]
    res.fit_seconds = sum(p.fit_seconds for p in pieces)
    res.predict_seconds = sum(p.predict_seconds for p in pieces)
    for p in pieces:
        _log(errors_log, p.log)
    failed = next((p for p in pieces if p.error is not None), None)
    if failed is not None:
        res.error = failed.error
    else:
        stage = "checking"
        with _recorded(found):
            try:
                bt = _joined(pieces)
                task.check_cutoffs(bt, name)
                stage = "scoring"
                ev = task.evaluate(bt)
            except Exception as exc:  # noqa: BLE001 - one model failing must not stop the run
                res.error = f"{stage}: {_one_line(exc)}"
                _log(errors_log, _trace(f"{task.name} / {name} ({stage})", exc))
    res.warnings = list(dict.fromkeys(found))
    if res.error is not None:
        return res
    res.fallbacks = {k: v for p in pieces for k, v in p.fallbacks.items()}
    res.evaluation = ev
    res.metrics = dict(ev.metrics)
    res.n_series, res.n_windows, res.n_excluded = ev.n_series, ev.n_windows, ev.n_excluded
    for key, value in _pooled_stats(pieces).items():
        setattr(res, key, value)
    if cfg.save_forecasts != "none":
        res.forecasts = _add_context(task.saved_rows(bt), task.name, name)
        if seed is not None:
            res.forecasts.insert(3, "seed", seed)
    sid, target, cuts = task.plot_selection(cfg.plot_cutoffs)
    sel = bt[(bt["series"] == sid) & (bt["target"] == target) & bt["cutoff"].isin(cuts)]
    res.plot_frame = sel.reset_index(drop=True)
    return res


_ROW_KEYS = ["series", "target", "cutoff", "step"]


def _joined(pieces: list[Piece]) -> pd.DataFrame:
    """The unit's backtest: the only piece's; the chunks' concatenated in order; or the
    ensemble members' rows with their point and quantile forecasts combined, as the
    ensemble itself combines them (so the result equals one piece's, bit for bit)."""
    if pieces[0].member is None:
        return (pieces[0].backtest if len(pieces) == 1
                else pd.concat([p.backtest for p in pieces], ignore_index=True))
    first = pieces[0].backtest
    for p in pieces[1:]:
        if not p.backtest[_ROW_KEYS].equals(first[_ROW_KEYS]):
            raise ValueError(f"ensemble member {p.member} forecast other rows than member "
                             f"{pieces[0].member}")
    out = first.copy()
    for col in ["y_hat", *(c for c in first.columns if c.startswith("q"))]:
        out[col] = combine_forecasts(np.stack([p.backtest[col].to_numpy(float)
                                               for p in pieces]), pieces[0].combine)
    return out


def _pooled_stats(pieces: list[Piece]) -> dict[str, float]:
    """What the fitted model reports, over the pieces: a chunk's or the last piece's
    (chunks of a global model do not occur); an ensemble's members' summed (parameters,
    epochs) and their windows over their time (windows/s), as the ensemble reports it,
    and kept the random-walk start when every member did."""
    if pieces[0].member is None:
        stats = {k: v for p in pieces for k, v in p.stats.items()}
    else:
        stats = {k: float(sum(p.stats.get(k, 0.0) for p in pieces))
                 for k in ("n_parameters", "epochs") if all(k in p.stats for p in pieces)}
        if all("train_windows_per_second" in p.stats for p in pieces):
            seconds = sum(p.fit_seconds for p in pieces)
            stats["train_windows_per_second"] = sum(
                p.stats["train_windows_per_second"] * p.fit_seconds for p in pieces
            ) / max(seconds, 1e-9)
        if all("kept_initial" in p.stats for p in pieces):  # as the ensemble: all members
            stats["kept_initial"] = min(p.stats["kept_initial"] for p in pieces)
    return stats


def run_model(name: str, task: Task, cfg: BenchmarkConfig, workdir: str,
              errors_log: Path | None = None, seed: int | None = None) -> ModelResult:
    """Fit, backtest, check and score one model on one task; never raises ``Exception``
    (:func:`fit_backtest` on the whole task, then :func:`finish`)."""
    piece = fit_backtest(name, task, cfg, workdir, seed)
    return finish(name, task, cfg, [piece], errors_log, seed)
