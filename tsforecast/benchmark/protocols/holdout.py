"""The ``holdout`` protocol: the forecasting competitions' fixed hold-out (M3, M4), on the
long files and competition groups read by :mod:`..holdout` (which describes the scores).
The last ``horizon`` rows of every series are its test; models are fit on the rest and
forecast once from the end of each training part; sMAPE and MASE per series, then
averaged; with ``--level``, interval coverage, width, Winkler score, MSIS (scaled as MASE
is) and CRPS.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...evaluation import naive_scale
from ..datasets import Dataset
from ..holdout import HOLDOUT_COLUMNS, load_holdout_datasets
from ..kinds import BenchmarkInputError
from ..options import BenchmarkConfig
from ..task import (
    Evaluation,
    Task,
    interval_metrics,
    msis_metrics,
    row_scales,
    sape,
    scored_rows,
)
from .base import Protocol

__all__ = ["PROTOCOL", "Holdout", "prepare_holdout"]


def prepare_holdout(ds: Dataset, cfg: BenchmarkConfig) -> Task:
    """Split every series of ``ds`` into its training part and its last ``horizon`` rows.

    A series whose training part has no MASE scale (constant, or not longer than the
    season) is skipped with a note; none left is an input error.
    """
    H, season = ds.horizon or cfg.horizon, ds.mase_season or cfg.mase_season
    id_col, target = ds.id_col, ds.targets[0]
    expected, scales, skipped, n_train = [], {}, [], {}
    for sid, f in ds.frame.groupby(id_col, sort=True):
        vals = f[target].to_numpy(np.float64)
        n = len(vals) - H
        try:
            scale = naive_scale(vals[:n], season)
        except ValueError:
            skipped.append((sid, f"training part of {n} rows has no MASE scale (constant, or "
                                 f"not longer than season {season})"))
            continue
        expected.append((sid, f.index[n - 1]))
        scales[(sid, target)], n_train[sid] = scale, n
    if not expected:
        raise BenchmarkInputError(f"{ds.name}: no series can be evaluated ("
                                  + "; ".join(f"{s}: {r}" for s, r in skipped) + ")")
    ids = ds.frame[id_col]
    # the data set's frame itself unless a series was skipped: one copy of the values
    eval_data = ds.frame if not skipped else ds.frame[ids.isin(n_train)]
    position = eval_data.groupby(id_col, sort=False).cumcount().to_numpy()
    limit = eval_data[id_col].map(n_train).to_numpy()
    fit_data = eval_data[position < limit]
    notes = [f"{ds.name}: skipped series {sid} ({why})" for sid, why in skipped]
    notes.append(f"{ds.name}: hold-out of the last {H} rows of each of {len(n_train)} series; "
                 f"one forecast per series from the end of its training part; sMAPE and MASE "
                 f"(season {season}) averaged over steps, then series")
    return Task(
        dataset=ds, protocol=PROTOCOL, horizon=H, fit_data=fit_data, eval_data=eval_data,
        start=n_train, stride=H,
        expected=pd.DataFrame(expected, columns=["series", "cutoff"]),
        units="original units", val_fraction=cfg.val_fraction, dm_horizon=1,
        rank_metric="smape", metric_columns=["smape", "mase", "mae", "skill"],
        scales=scales, mase_season=season, skipped=skipped, notes=notes,
        borders={"holdout": H, "series": len(n_train)},
    )


class Holdout(Protocol):
    """The competitions' last-``horizon``-rows hold-out (see the module docstring)."""

    name = "holdout"
    column_defaults = HOLDOUT_COLUMNS  # the Nixtla long layout unless told otherwise
    lookback_per_dataset = True  # from each data set's horizon (holdout._lookback)
    quick_history = False  # quick mode keeps every 10th m3 series instead
    explicit_season = True  # integer positions get a made-up daily index
    needs_min_train_rows = False  # every series is evaluated (short inputs are padded)
    skill_metric = "mase"
    overall_summary = True

    def check(self, values, suite, given) -> None:
        """One target, no covariates; a competition suite's horizons and seasons are its
        own."""
        if values["features"] == "M" or values["covariates"]:
            raise BenchmarkInputError("the holdout protocol scores one target (y): no covariates")
        if len(values["target"]) != 1:
            raise BenchmarkInputError(
                f"the holdout protocol has one target, got {values['target']}")
        from ...datasets._competitions import COMPETITIONS

        if suite in COMPETITIONS:
            given = [n for n in ("horizon", "mase_season") if getattr(given, n) is not None]
            if given:
                groups = ", ".join(f"{g} {h}/{m}" for g, (h, m) in COMPETITIONS[suite][1].items())
                raise BenchmarkInputError(
                    f"the {suite} suite uses the competition's horizon and MASE season of "
                    f"each group ({groups}); do not set {given}")

    def load(self, cfg: BenchmarkConfig) -> list[Dataset]:
        return load_holdout_datasets(cfg)

    def prepare(self, ds: Dataset, cfg: BenchmarkConfig, min_train_rows: int) -> Task:
        return prepare_holdout(ds, cfg)

    def backtest(self, task: Task, model) -> pd.DataFrame:
        """``task.start`` maps each series to its first test position; series of the same
        training length are backtested together from that position with stride
        ``horizon``, which leaves exactly one window per series."""
        frames = [model.backtest(task.series_rows("eval_data", group), start=n,
                                 stride=task.stride)
                  for n, group in _by_start(task.start)]
        return pd.concat(frames, ignore_index=True)

    def series_order(self, task: Task) -> list[str]:
        return [sid for _, group in _by_start(task.start) for sid in group]

    def subset(self, task: Task, series: Sequence[str]) -> Task:
        sub = super().subset(task, series)
        keep = set(series)
        sub.start = {sid: n for sid, n in task.start.items() if sid in keep}
        return sub

    def evaluate(self, task: Task, frame: pd.DataFrame) -> Evaluation:
        """Competition scores: sMAPE and MASE per series (mean over its steps), then the
        mean over series; the DM loss is each series' MASE."""
        frame, n_excluded = scored_rows(frame)
        frame = frame.assign(
            ae=(frame["y"] - frame["y_hat"]).abs(),
            sape=sape(frame["y"].to_numpy(float), frame["y_hat"].to_numpy(float)),
        )
        scale = row_scales(task, frame)
        frame["sae"] = frame["ae"] / scale
        by = (frame.groupby(["series", "target"], sort=True)
              .agg(smape=("sape", "mean"), mase=("sae", "mean"), mae=("ae", "mean"))
              .reset_index())
        out = {c: float(by[c].mean()) for c in ("smape", "mase", "mae")}
        out.update(interval_metrics(frame))
        out.update(msis_metrics(frame, scale))
        loss = pd.Series(by["mase"].to_numpy(), index=pd.Index(by["series"], name="series"))
        return Evaluation(out, loss, by, len(task.expected), len(task.series_ids), n_excluded)

    def describe(self, task: Task, cfg: BenchmarkConfig) -> str:
        return (
            f"Hold-out of the last {task.horizon} rows of each series, one forecast "
            "per series; ranked by the competitions' sMAPE (200|y-ŷ|/(|y|+|ŷ|), mean "
            f"over steps, then series); MASE scaled by each training part's in-sample "
            f"seasonal-naive MAE (season {task.mase_season}); skill = 1 - MASE / "
            "MASE(naive); dm_p: Diebold-Mariano p-value (MASE per series) against "
            "the best model."
            + (" Intervals (--level): coverage, width, Winkler score, msis (the M4 "
               "score: the Winkler score over the same MASE scale, mean over series) and "
               "CRPS." if cfg.level else "")
        )


def _by_start(start: dict[str, int]) -> list[tuple[int, list[str]]]:
    """Series grouped by their first test position, in position order."""
    by: dict[int, list[str]] = {}
    for sid, n in start.items():
        by.setdefault(int(n), []).append(sid)
    return sorted(by.items())


PROTOCOL = Holdout()
