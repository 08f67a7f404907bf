"""The ``rolling`` protocol (default of the suites): rolling-origin evaluation in
original units.

One test-start timestamp for all series: the first timestamp of the last
``test_fraction`` of the data's time axis (the union of all series' timestamps, so a
global model never trains on dates that another series is tested on). Each series is
split there: models are fit on the part before it (neural forecasters early-stop on
the last ``val_fraction`` of their own training windows) and evaluated with
``model.backtest(full_data, start=test_start, stride=horizon)``: non-overlapping
windows whose cutoffs are computed once here and checked against every model's
backtest. Metrics are in original units: MAE, RMSE, sMAPE, MASE (each row's error
scaled by the in-sample naive MAE of its own series' training part), skill vs naive
``1 - MAE / MAE_naive`` and, for prices, the directional accuracy of the forecast
change vs the last value observed at the cutoff. A series with fewer than ``lookback
+ horizon`` rows before the test start, fewer than ``horizon`` test rows, or a
training part without a MASE scale (constant) is skipped with a note; no series left
is an input error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import evaluation as M
from ...data import split_series
from ...data.frames import check_index
from ...evaluation import naive_scale
from ..datasets import Dataset
from ..options import BenchmarkConfig, BenchmarkInputError
from ..task import Evaluation, Task, interval_metrics, row_scales, scored_rows
from .base import Protocol

__all__ = ["PROTOCOL", "Rolling", "prepare_rolling"]


def check_no_missing(frame: pd.DataFrame, cols: list[str], ds: Dataset, sid: str) -> None:
    """Without ``fill_missing`` a missing target value is an input error, found before any
    model runs (not one model failure each)."""
    for c in cols:
        missing = frame[c].isna().to_numpy()
        if missing.any():
            at = frame.index[int(missing.argmax())]
            raise BenchmarkInputError(
                f"{ds.name}: series {sid!r} column {c!r} has no value at {at} "
                f"({int(missing.sum())} missing); set fill_missing (ffill or interpolate) "
                "or fill the data"
            )



def prepare_rolling(ds: Dataset, cfg: BenchmarkConfig, min_train_rows: int) -> Task:
    """Split ``ds`` for the rolling-origin protocol (see the module docstring).

    Raises
    ------
    BenchmarkInputError
        When no series has room for ``min_train_rows`` training rows and a horizon of test
        rows (e.g. a horizon longer than the test segment); a missing target value when
        ``fill_missing`` is not set.
    """
    H = cfg.horizon
    mase_season = cfg.mase_season or 1  # the rolling protocol's MASE: the plain naive's
    frame = ds.frame
    stamps = frame.index.unique().sort_values()
    n_stamps = len(stamps)
    n_test = int(n_stamps * cfg.test_fraction)
    if n_test < H:
        raise BenchmarkInputError(
            f"horizon {H} is longer than the test segment of {ds.name} ({n_test} timestamps = "
            f"{cfg.test_fraction:g} of {n_stamps}); use a smaller horizon or a larger "
            "test_fraction"
        )
    test_start = stamps[n_stamps - n_test]
    kept, skipped, expected, y_train, scales, last = [], [], [], {}, {}, []
    for sid, f in split_series(frame, id_col=ds.id_col):
        try:
            check_index(f.index, sid)
        except ValueError as exc:
            raise BenchmarkInputError(f"{ds.name}: {exc}") from exc
        n = len(f)
        n_train = int(f.index.searchsorted(test_start))
        if n_train < min_train_rows:
            skipped.append((sid, f"{n} rows, only {n_train} before the test start "
                                 f"{test_start:%Y-%m-%d %H:%M}; needs {min_train_rows} "
                                 f"(lookback {cfg.lookback} + horizon {H})"))
            continue
        if n - n_train < H:
            skipped.append((sid, f"only {n - n_train} rows after the test start "
                                 f"{test_start:%Y-%m-%d %H:%M}; horizon {H} needs {H}"))
            continue
        if cfg.fill_missing is None:
            check_no_missing(f, ds.targets, ds, sid)
        # float32 like the models' arrays (a naive forecast equals y_last exactly)
        vals = {t: f[t].to_numpy(np.float32).astype(np.float64) for t in ds.targets}
        scale, unscaled = {}, None
        for t in ds.targets:
            try:
                scale[t] = naive_scale(vals[t][:n_train], mase_season)
            except ValueError:  # e.g. a constant training part: MASE cannot be scaled
                unscaled = t
                break
        if unscaled is not None:
            skipped.append((sid, f"target {unscaled!r} has a zero or undefined MASE scale "
                                 f"(constant training part, season {mase_season})"))
            continue
        kept.append(sid)
        origins = np.arange(n_train, n - H + 1, H)
        cut = f.index[origins - 1]
        expected.append(pd.DataFrame({"series": sid, "cutoff": cut}))
        for t in ds.targets:
            y_train[(sid, t)] = vals[t][:n_train]
            scales[(sid, t)] = scale[t]
            if cfg.directional:
                last.append(pd.DataFrame({
                    "series": sid, "cutoff": cut, "target": t, "y_last": vals[t][origins - 1],
                }))
    if not kept:
        why = "; ".join(f"{s}: {r}" for s, r in skipped)
        raise BenchmarkInputError(f"{ds.name}: no series can be evaluated ({why})")
    if ds.id_col is not None:
        ids = frame[ds.id_col].astype(str)
        eval_data = frame[ids.isin(kept)]
    else:
        eval_data = frame
    fit_data = eval_data[eval_data.index < test_start]
    expected_df = pd.concat(expected, ignore_index=True)
    notes = [f"{ds.name}: skipped series {sid} ({why})" for sid, why in skipped]
    n_win = len(expected_df)
    notes.append(
        f"{ds.name}: test start {test_start} (last {cfg.test_fraction:g} of {n_stamps} "
        f"timestamps); {len(kept)} series, {n_win} forecast windows of {H} steps "
        f"(stride {H}), identical for every model"
    )
    return Task(
        dataset=ds, protocol=PROTOCOL, horizon=H, fit_data=fit_data, eval_data=eval_data,
        start=test_start, stride=H, expected=expected_df, units="original units",
        val_fraction=cfg.val_fraction, dm_horizon=1, rank_metric="mase",
        metric_columns=["mase", "mae", "rmse", "smape", "skill"]
        + (["directional_accuracy"] if cfg.directional else []),
        y_train=y_train, scales=scales,
        last_values=pd.concat(last, ignore_index=True) if last else None,
        mase_season=mase_season, skipped=skipped, notes=notes,
        borders={"test_start": str(test_start)},
    )



class Rolling(Protocol):
    """Rolling-origin evaluation in original units (see the module docstring)."""

    name = "rolling"
    skill_metric = "mae"
    compare_with_drift = True

    def prepare(self, ds: Dataset, cfg: BenchmarkConfig, min_train_rows: int) -> Task:
        return prepare_rolling(ds, cfg, min_train_rows)

    def evaluate(self, task: Task, frame: pd.DataFrame) -> Evaluation:
        """MASE, MAE, RMSE, sMAPE pooled over rows (and the directional accuracy); the DM
        loss is the scaled absolute error per cutoff."""
        frame, n_excluded = scored_rows(frame)
        y = frame["y"].to_numpy(float)
        yh = frame["y_hat"].to_numpy(float)
        out = {
            "mase": float(
                M.evaluate(frame, ["mase"], y_train=task.y_train, by=(),
                           season=task.mase_season)["mase"].iloc[0]
            ),
            "mae": M.mae(y, yh),
            "rmse": M.rmse(y, yh),
            "smape": M.smape(y, yh),
        }
        if task.last_values is not None:
            last = frame[["series", "cutoff", "target"]].merge(
                task.last_values, on=["series", "cutoff", "target"], how="left"
            )["y_last"].to_numpy(float)
            out["directional_accuracy"] = M.directional_accuracy(y, yh, last)
        out.update(interval_metrics(frame))
        scale = row_scales(task, frame)
        loss = pd.Series(np.abs(y - yh) / scale).groupby(frame["cutoff"].to_numpy()).mean()
        by = M.evaluate(
            frame, ["mae", "rmse", "smape", "mase"], y_train=task.y_train,
            by=("series", "target"), season=task.mase_season,
        )
        return Evaluation(out, loss.sort_index(), by, len(task.expected), len(task.series_ids),
                          n_excluded)

    def describe(self, task: Task, cfg: BenchmarkConfig) -> str:
        return (
            f"Rolling-origin evaluation in {task.units}: targets "
            f"{', '.join(task.dataset.targets)}; ranked by MASE (scale: in-sample "
            f"naive MAE of each series' training part); skill = 1 - MAE / MAE(naive); "
            "dm_p: Diebold-Mariano p-value (scaled absolute error per cutoff) against "
            "the best model."
        )


PROTOCOL = Rolling()
