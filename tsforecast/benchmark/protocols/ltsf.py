"""The ``ltsf`` protocol, the long-horizon papers' (Informer/Autoformer/DLinear/PatchTST code):
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

from ...data.frames import check_index
from ..datasets import Dataset
from ..options import BenchmarkConfig, BenchmarkInputError
from ..task import Evaluation, Task, interval_metrics, scored_rows
from .base import Protocol
from .rolling import check_no_missing

__all__ = ["AUTO_SAVE_ROWS", "ETT_MONTH", "PROTOCOL", "Ltsf", "ltsf_borders", "prepare_ltsf"]

#: Rows of one 30-day "month" of hourly data in the ETT borders (x4 for 15-minute ETTm).
ETT_MONTH = 30 * 24

#: Row budget per model for ``save_forecasts="auto"``: beyond it only every k-th cutoff
#: is written to forecasts.csv (metrics always use all windows).
AUTO_SAVE_ROWS = 1_000_000


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
        check_no_missing(frame.iloc[:test_end], ds.targets, ds, "series")
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
        dataset=ds, protocol=PROTOCOL, horizon=H, fit_data=fit_data, eval_data=eval_data,
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



class Ltsf(Protocol):
    """The long-horizon papers' protocol (see the module docstring)."""

    name = "ltsf"
    multivariate = True
    quick_history = False  # the borders are fixed: quick uses fewer steps/windows instead
    quick_train_stride = 4
    quick_note = "the ltsf borders and test windows are unchanged"
    # the papers compare nets only; the two baselines keep them honest
    default_classical = ("naive", "seasonal_naive")
    models_fill_missing = False  # gaps are filled here, after the split
    skill_metric = "mse"

    def prepare(self, ds: Dataset, cfg: BenchmarkConfig, min_train_rows: int) -> Task:
        return prepare_ltsf(ds, cfg)

    def announce(self, tasks) -> list[str]:
        return [f"ltsf borders of {t.name}: {t.borders['rule']}" for t in tasks]

    def evaluate(self, task: Task, frame: pd.DataFrame) -> Evaluation:
        """MSE and MAE on z-scored values over windows, steps and columns; the DM loss is
        the squared error per window."""
        frame, n_excluded = scored_rows(frame)
        y = frame["y"].to_numpy(float)
        yh = frame["y_hat"].to_numpy(float)
        err = yh - y
        out = {"mse": float(np.mean(err**2)), "mae": float(np.mean(np.abs(err)))}
        out.update(interval_metrics(frame))
        loss = pd.Series(err**2).groupby(frame["cutoff"].to_numpy()).mean()
        by = (
            pd.DataFrame({"series": frame["series"], "target": frame["target"],
                          "se": err**2, "ae": np.abs(err)})
            .groupby(["series", "target"], sort=True)
            .agg(mse=("se", "mean"), mae=("ae", "mean"))
            .reset_index()
        )
        return Evaluation(out, loss.sort_index(), by, len(task.expected), len(task.series_ids),
                          n_excluded)

    def describe(self, task: Task, cfg: BenchmarkConfig) -> str:
        return (
            f"Long-horizon protocol (features {cfg.features}) in {task.units}; ranked "
            "by MSE averaged over test windows, steps and columns; skill = 1 - MSE / "
            "MSE(naive); dm_p: Diebold-Mariano p-value (squared error per window, "
            f"{task.horizon - 1} autocorrelation lags) against the best model."
        )


PROTOCOL = Ltsf()
