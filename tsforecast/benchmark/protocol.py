"""Evaluation protocols: how data is split, what models see, and how forecasts are scored
(the scoring code itself: :class:`~.task.Task`).

``rolling`` (default of the suites)
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
``ltsf``
    The long-horizon papers' protocol (Informer/Autoformer/DLinear/PatchTST code):
    train/val/test borders by fractions (70/10/20) or, for ETT files, 12/4/4 months of
    30 days; every column z-scored with the training segment's mean and standard
    deviation; models fit on train + val (neural nets validate on exactly the val
    segment's windows); test windows with stride 1, none dropped (``n_test - horizon +
    1`` of them); MSE and MAE on the z-scored values averaged over windows, steps and
    columns. With ``fill_missing`` gaps are filled after the split, each segment from its
    own past (``fill_missing`` inside the training segment, forward fill in val and test,
    nothing across a border), and a missing test actual is not scored.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import split_series
from ..data.frames import check_index
from ..evaluation import naive_scale
from .datasets import Dataset
from .holdout import prepare_holdout
from .options import BenchmarkConfig, BenchmarkInputError
from .task import Evaluation, Task

__all__ = ["ETT_MONTH", "Evaluation", "Task", "prepare_ltsf", "prepare_rolling", "prepare_task"]

#: Rows of one 30-day "month" of hourly data in the ETT borders (x4 for 15-minute ETTm).
ETT_MONTH = 30 * 24

#: Row budget per model for ``save_forecasts="auto"``: beyond it only every k-th cutoff
#: is written to forecasts.csv (metrics always use all windows).
AUTO_SAVE_ROWS = 1_000_000


def _check_no_missing(frame: pd.DataFrame, cols: list[str], ds: Dataset, sid: str) -> None:
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


# -- rolling -------------------------------------------------------------------------------
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
            _check_no_missing(f, ds.targets, ds, sid)
        # float32 like the models' arrays (a naive forecast equals y_last exactly)
        vals = {t: f[t].to_numpy(np.float32).astype(np.float64) for t in ds.targets}
        scale, unscaled = {}, None
        for t in ds.targets:
            try:
                scale[t] = naive_scale(vals[t][:n_train], cfg.mase_season)
            except ValueError:  # e.g. a constant training part: MASE cannot be scaled
                unscaled = t
                break
        if unscaled is not None:
            skipped.append((sid, f"target {unscaled!r} has a zero or undefined MASE scale "
                                 f"(constant training part, season {cfg.mase_season})"))
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
        dataset=ds, protocol="rolling", horizon=H, fit_data=fit_data, eval_data=eval_data,
        start=test_start, stride=H, expected=expected_df, units="original units",
        val_fraction=cfg.val_fraction, dm_horizon=1, rank_metric="mase",
        metric_columns=["mase", "mae", "rmse", "smape", "skill"]
        + (["directional_accuracy"] if cfg.directional else []),
        y_train=y_train, scales=scales,
        last_values=pd.concat(last, ignore_index=True) if last else None,
        mase_season=cfg.mase_season, skipped=skipped, notes=notes,
        borders={"test_start": str(test_start)},
    )


# -- ltsf ----------------------------------------------------------------------------------
def ltsf_borders(n: int, name: str, cfg: BenchmarkConfig) -> tuple[int, int, int, str]:
    """``(train_end, val_end, test_end)`` rows and a description of the rule used.

    Without ``cfg.borders`` the rule comes from the file name, case-insensitively: ETT
    borders for ``ETTh*``/``ETTm*`` (``etth1.csv`` too), fractions for anything else. The
    description says which rule was applied and why.
    """
    stem = Path(name).name
    lower = stem.lower()
    ett_name = lower.startswith(("etth", "ettm"))
    mode = cfg.borders
    if mode is not None:
        why = f"set by --borders {mode}"
    elif ett_name:
        mode = "ett"
        why = f"{stem} is named ETTh*/ETTm* (case-insensitive); --borders fractions overrides"
    else:
        mode = "fractions"
        why = f"{stem} is not named ETTh*/ETTm*; --borders ett overrides"
    if mode == "ett":
        month = ETT_MONTH * (4 if lower.startswith("ettm") else 1)
        b = (12 * month, 16 * month, 20 * month)
        if n < b[2]:
            raise BenchmarkInputError(
                f"{name} has {n} rows; the ETT borders (12/4/4 months of {month} rows) need "
                f"{b[2]}"
            )
        return (*b, f"ETT borders ({why}): train {b[0]} rows, val {b[1] - b[0]}, test "
                    f"{b[2] - b[1]} (12/4/4 months of 30 days), rows after {b[2]} unused")
    fr = cfg.ltsf_split
    n_train, n_test = int(n * fr[0]), int(n * fr[2])
    return (n_train, n - n_test, n,
            f"fractions {fr[0]:g}/{fr[1]:g}/{fr[2]:g} ({why}): train {n_train} rows, "
            f"val {n - n_test - n_train}, test {n_test}")


def prepare_ltsf(ds: Dataset, cfg: BenchmarkConfig) -> Task:
    """Split and z-score ``ds`` for the long-horizon papers' protocol.

    Raises
    ------
    BenchmarkInputError
        Multi-series data, a horizon longer than the test segment, too short a training
        segment, a column constant over the training segment, a missing target value when
        ``fill_missing`` is not set.
    """
    if ds.id_col is not None:
        raise BenchmarkInputError("the ltsf protocol needs a single series (no id column)")
    L, H = cfg.lookback, cfg.horizon
    frame = ds.frame
    try:
        check_index(frame.index, ds.name)
    except ValueError as exc:
        raise BenchmarkInputError(str(exc)) from exc
    n = len(frame)
    train_end, val_end, test_end, rule = ltsf_borders(n, ds.path or ds.name, cfg)
    n_test = test_end - val_end
    if n_test < H:
        raise BenchmarkInputError(
            f"horizon {H} is longer than the test segment of {ds.name} ({n_test} rows)"
        )
    if train_end < L + H:
        raise BenchmarkInputError(
            f"the training segment of {ds.name} ({train_end} rows) is shorter than lookback "
            f"{L} + horizon {H}"
        )
    cols = ds.targets + ds.covariates
    if cfg.fill_missing is None:
        _check_no_missing(frame.iloc[:test_end], ds.targets, ds, "series")
    raw = frame[cols].iloc[:test_end].astype("float64")
    train = raw.iloc[:train_end]
    mean, std = train.mean(), train.std(ddof=0)  # of the observed training values
    const = [c for c in cols if not std[c] > 0]
    if const:
        raise BenchmarkInputError(
            f"column(s) {const} of {ds.name} are constant (or missing) over the training "
            "segment; they cannot be z-scored"
        )
    z = (_fill_from_the_past(raw, train_end, cfg.fill_missing) - mean) / std
    fit_data = z.iloc[:val_end]
    eval_data = z
    row, col = np.nonzero(raw[ds.targets].iloc[val_end:].isna().to_numpy())  # test gaps
    missing = pd.DataFrame({"series": "series", "timestamp": raw.index[val_end:][row],
                            "target": np.asarray(ds.targets, dtype=object)[col]})
    # validation windows of the neural nets == the val segment's windows exactly:
    # NeuralForecaster keeps int(n_windows * val_fraction) windows whose targets end the
    # series; we need the num_val - H + 1 windows whose targets lie in the val segment.
    n_windows = val_end - L - H + 1
    k = (val_end - train_end) - H + 1
    notes = [f"{ds.name}: {rule}; z-scored with the training segment's mean and std; "
             f"metrics on z-scored values"]
    if raw.isna().any().any():
        notes.append(
            f"{ds.name}: {int(raw.isna().sum().sum())} missing value(s) filled after the "
            f"split, each segment from its own past ({cfg.fill_missing} inside the training "
            "segment, forward fill in val and test, nothing across a border); "
            f"{len(missing)} missing test actual(s) are not scored"
        )
    if k >= 1 and (k + 0.5) / n_windows < 1:
        val_fraction = (k + 0.5) / n_windows
        assert int(n_windows * val_fraction) == k
        notes.append(
            f"{ds.name}: neural nets validate (early stopping) on exactly the {k} windows whose "
            f"targets lie in the val segment (val_fraction={val_fraction:.6f}); their training "
            f"windows' targets lie in the train segment"
        )
    else:
        val_fraction = 0.0
        notes.append(
            f"{ds.name}: the val segment ({val_end - train_end} rows) is shorter than horizon "
            f"{H}: neural nets train without validation"
        )
    origins = np.arange(val_end, test_end - H + 1)
    expected = pd.DataFrame({"series": "series", "cutoff": z.index[origins - 1]})
    notes.append(
        f"{ds.name}: {len(origins)} test windows = {n_test} test rows - horizon {H} + 1 "
        f"(stride 1, none dropped), features {cfg.features} ({len(ds.targets)} target "
        f"column(s))"
    )
    save_every = 1
    rows = len(origins) * H * len(ds.targets)
    if cfg.save_forecasts == "auto" and rows > AUTO_SAVE_ROWS:
        save_every = math.ceil(rows / AUTO_SAVE_ROWS)
        notes.append(
            f"{ds.name}: forecasts.csv keeps every {save_every}th test window ({rows:,} rows "
            "per model in all); metrics use all windows (save_forecasts='all' keeps all)"
        )
    return Task(
        dataset=ds, protocol="ltsf", horizon=H, fit_data=fit_data, eval_data=eval_data,
        start=int(val_end), stride=1, expected=expected, units="z-scored (training mean/std)",
        val_fraction=val_fraction, dm_horizon=H, rank_metric="mse",
        metric_columns=["mse", "mae", "skill"], notes=notes,
        borders={"train_end": int(train_end), "val_end": int(val_end),
                 "test_end": int(test_end), "rule": rule,
                 "mean": {c: float(mean[c]) for c in cols},
                 "std": {c: float(std[c]) for c in cols}},
        save_every=save_every, missing_actuals=missing,
    )


def _fill_from_the_past(values: pd.DataFrame, train_end: int, how: str | None) -> pd.DataFrame:
    """Fill the gaps of ltsf data after the split, so that no value comes from a later
    segment: the training segment with ``how`` inside itself (its leading gap from its
    first observation), the val and test rows by forward fill only (from their past)."""
    if how is None or not values.isna().any().any():
        return values
    train = values.iloc[:train_end]
    if how == "interpolate":
        train = train.interpolate(limit_area="inside")
    train = train.ffill().bfill()
    return pd.concat([train, values.iloc[train_end:]]).ffill()


def prepare_task(ds: Dataset, cfg: BenchmarkConfig, min_train_rows: int) -> Task:
    """Prepare ``ds`` for the configured protocol."""
    if cfg.protocol == "ltsf":
        return prepare_ltsf(ds, cfg)
    if cfg.protocol == "holdout":
        return prepare_holdout(ds, cfg)
    return prepare_rolling(ds, cfg, min_train_rows)
