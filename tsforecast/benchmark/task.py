"""A data set prepared for one protocol (:class:`Task`) and the scores of one model's
backtest on it (:class:`Evaluation`). The protocols that build, backtest and score tasks:
:mod:`.protocols`; the helpers they share are here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import evaluation as M
from ..data.spec import interval_bound, quantile_level
from .datasets import Dataset

if TYPE_CHECKING:
    from .protocols.base import Protocol

__all__ = ["Evaluation", "Task", "interval_metrics", "row_scales", "sape", "scored_rows"]


@dataclass
class Evaluation:
    """Scores of one model's backtest on one task.

    ``metrics`` are the leaderboard numbers; ``dm_loss`` is the per-cutoff mean loss
    (scaled absolute error for rolling, squared z-error for ltsf) used by the
    Diebold-Mariano test; ``by_series`` the metrics per series and target. Rows whose
    actual ``y`` is missing (a gap in the data: the models saw it filled, but a filled
    value is not an actual) are excluded from all of them; ``n_excluded`` counts them.
    """

    metrics: dict[str, float]
    dm_loss: pd.Series
    by_series: pd.DataFrame
    n_windows: int
    n_series: int
    n_excluded: int = 0


@dataclass
class Task:
    """A data set prepared for one protocol: what models fit on, and how they are scored."""

    dataset: Dataset
    protocol: Protocol
    horizon: int
    fit_data: pd.DataFrame
    eval_data: pd.DataFrame
    start: Any
    stride: int
    expected: pd.DataFrame  # one row per window: series, cutoff
    units: str
    val_fraction: float
    dm_horizon: int
    rank_metric: str
    metric_columns: list[str]
    #: the training values of each (series, target), for the scores that read them (the
    #: rolling protocol's MASE); a holdout keeps only their ``scales`` (M4-size panels:
    #: a second copy of the training part, in every process a chunk goes to)
    y_train: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    scales: dict[tuple[str, str], float] = field(default_factory=dict)
    last_values: pd.DataFrame | None = None  # series, cutoff, target, y_last (directional)
    mase_season: int = 1
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    borders: dict[str, Any] = field(default_factory=dict)
    save_every: int = 1
    #: series, timestamp, target of test actuals missing in the data that the protocol
    #: filled for the models (ltsf); :meth:`mask_missing` puts the gaps back
    missing_actuals: pd.DataFrame | None = None
    #: the row positions of each series in fit_data and eval_data (built on first use by
    #: :meth:`series_rows`, or by :meth:`index_series` before the task is shipped to
    #: workers that each cut a chunk of it)
    _positions: dict[str, dict[str, np.ndarray]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.dataset.name

    @property
    def series_ids(self) -> list[str]:
        return list(dict.fromkeys(self.expected["series"]))

    # -- checks ----------------------------------------------------------------------
    def check_cutoffs(self, frame: pd.DataFrame, model: str) -> None:
        """Raise ``ValueError`` unless ``frame`` holds exactly the protocol's windows."""
        got = frame[["series", "cutoff"]].drop_duplicates()
        exp = self.expected
        if len(got) != len(exp) or not _same_pairs(got, exp):
            extra = len(got.merge(exp, how="left", indicator=True).query("_merge == 'left_only'"))
            raise ValueError(
                f"{model}: backtest produced {len(got)} windows but the protocol has "
                f"{len(exp)} ({extra} unexpected); every model must use the same cutoffs"
            )
        n_targets = frame["target"].nunique()
        want = len(exp) * self.horizon * n_targets
        if len(frame) != want:
            raise ValueError(
                f"{model}: backtest has {len(frame)} rows, expected {want} "
                f"({len(exp)} windows x horizon {self.horizon} x {n_targets} target(s))"
            )

    def mask_missing(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with ``y`` = NaN where the actual is missing in the data (a value the
        protocol filled is not an actual: it is never scored)."""
        gaps = self.missing_actuals
        if gaps is None or gaps.empty:
            return frame
        cols = ["series", "timestamp", "target"]
        gone = pd.MultiIndex.from_frame(frame[cols]).isin(pd.MultiIndex.from_frame(gaps[cols]))
        frame = frame.copy()
        frame.loc[gone, "y"] = np.nan
        return frame

    # -- forecasting and scoring: the protocol's -----------------------------------------------
    def backtest(self, model) -> pd.DataFrame:
        """The fitted ``model``'s forecasts of the protocol's windows (tidy frame)."""
        return self.protocol.backtest(self, model)

    def evaluate(self, frame: pd.DataFrame) -> Evaluation:
        """Score a backtest frame (already checked with :meth:`check_cutoffs`)."""
        return self.protocol.evaluate(self, frame)

    def subset(self, series: Sequence[str]) -> Task:
        """This task restricted to ``series`` (a chunk of a local model's work); the task
        itself when it holds those series only (a chunk its process was sent)."""
        if list(series) == self.protocol.series_order(self):
            return self
        return self.protocol.subset(self, series)

    def series_rows(self, which: str, series: Sequence[str]) -> pd.DataFrame:
        """The rows of ``series`` in ``fit_data`` or ``eval_data`` (``which``), in that
        frame's order: one pass over the frame builds each series' positions (once per
        frame), then each call costs the rows it returns, not the frame's (a panel of
        100,000 series is cut into chunks and groups without rescanning it)."""
        frame = getattr(self, which)
        if self.dataset.id_col is None:
            return frame
        index = self._index(which)
        parts = [index[s] for s in series if s in index]
        if not parts:
            return frame.iloc[:0]
        pos = np.concatenate(parts)
        pos.sort()
        return frame.iloc[pos]

    def series_sizes(self, series: Sequence[str]) -> np.ndarray:
        """The rows of each of ``series`` in ``fit_data`` (what a model fits on)."""
        if self.dataset.id_col is None:
            return np.array([len(self.fit_data)] * len(series))
        index = self._index("fit_data")
        return np.array([len(index[s]) if s in index else 0 for s in series])

    def index_series(self) -> Task:
        """Build the positions :meth:`series_rows` reads (of both frames) now; ``self``."""
        if self.dataset.id_col is not None:
            self._index("fit_data"), self._index("eval_data")
        return self

    def _index(self, which: str) -> dict[str, np.ndarray]:
        index = self._positions.get(which)
        if index is None:
            ids = getattr(self, which)[self.dataset.id_col]
            if not pd.api.types.is_string_dtype(ids):
                ids = ids.astype(str)
            index = self._positions[which] = ids.groupby(ids, sort=False).indices
        return index

    # -- output helpers --------------------------------------------------------------------
    def saved_rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of a backtest written to ``forecasts.csv`` (all unless thinned)."""
        if self.save_every <= 1:
            return frame
        cut = np.sort(self.expected["cutoff"].unique())[:: self.save_every]
        return frame[frame["cutoff"].isin(cut)]

    def plot_selection(self, n: int) -> tuple[str, str, list[pd.Timestamp]]:
        """(series, target, cutoffs) drawn in the forecast plot: the last ``n`` windows
        of the first series, spaced a horizon apart."""
        sid = self.series_ids[0]
        cuts = list(self.expected.loc[self.expected["series"] == sid, "cutoff"])
        spacing = max(1, self.horizon // self.stride)
        chosen = cuts[::-1][::spacing][:n][::-1]
        return sid, self.dataset.targets[0], chosen

    def actuals(self, sid: str, target: str) -> pd.Series:
        """The evaluation data of one series and target (units of the forecasts)."""
        frame = self.eval_data
        if self.dataset.id_col is not None:
            frame = frame[frame[self.dataset.id_col].astype(str) == sid]
        return frame[target]

    def history(self, rows: int) -> pd.DataFrame:
        """The last ``rows`` actuals of each series and target up to its first cutoff
        (tidy: ``dataset, series, target, timestamp, y``; series in the order of
        ``expected``, then targets, then the frame's rows): the history the report draws
        before the forecasts. One selection of rows for the whole panel (a frame per
        series took minutes at 100,000 series)."""
        columns = ["dataset", "series", "target", "timestamp", "y"]
        first = self.expected.groupby("series", sort=False)["cutoff"].min()
        frame = self.eval_data
        if first.empty:
            return pd.DataFrame(columns=columns)
        index = self._index("eval_data") if self.dataset.id_col is not None else None
        whole = np.arange(len(frame))
        stamps = pd.DatetimeIndex(frame.index).as_unit("ns").asi8  # UTC when tz-aware
        picked = []
        for sid, cutoff in first.items():
            pos = whole if index is None else index.get(str(sid), whole[:0])
            picked.append(pos[stamps[pos] <= pd.Timestamp(cutoff).value][-rows:])
        counts = np.array([len(p) for p in picked])
        pos = np.concatenate(picked)
        series = np.repeat(first.index.astype(str).to_numpy(object), counts)
        parts = [pd.DataFrame({"dataset": self.name, "series": series, "target": target,
                               "timestamp": frame.index[pos],
                               "y": frame[target].to_numpy(np.float64)[pos]})
                 for target in self.dataset.targets]
        if len(parts) == 1:
            return parts[0]
        rank = np.repeat(np.arange(len(first)), counts)  # series first, then target
        order = np.argsort(np.tile(rank, len(parts)), kind="stable")
        return pd.concat(parts, ignore_index=True).iloc[order].reset_index(drop=True)


def scored_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The rows of a backtest that are scored (those with an actual ``y``) and how many
    were excluded; every forecast must be finite."""
    yh = frame["y_hat"].to_numpy(float)
    if not np.isfinite(yh).all():
        bad = int((~np.isfinite(yh)).sum())
        raise ValueError(f"{bad} forecast value(s) are NaN or infinite")
    scored = frame["y"].notna().to_numpy()
    if not scored.any():
        raise ValueError(f"none of the {len(frame)} forecast rows has an actual value to score")
    n_excluded = int((~scored).sum())
    return (frame if not n_excluded else frame[scored].reset_index(drop=True)), n_excluded


def interval_metrics(frame: pd.DataFrame) -> dict[str, float]:
    """Probabilistic scores of the forecasts that have them: for each interval level ``L``
    (``loL``/``hiL`` columns) its empirical coverage, mean width and Winkler score; the
    pinball loss and outermost-pair coverage of quantile columns; and the CRPS from every
    quantile a model gave (quantile columns, interval bounds as quantiles, the point
    forecast as the median)."""
    out: dict[str, float] = {}
    y = frame["y"].to_numpy(float)
    quantiles = {quantile_level(c): frame[c].to_numpy(float) for c in frame.columns
                 if quantile_level(c) is not None}
    if len(quantiles) >= 2:
        ev = M.evaluate(frame, ["pinball", "coverage"], by=())
        out.update(pinball=float(ev["pinball"].iloc[0]), coverage=float(ev["coverage"].iloc[0]))
    bounds = {interval_bound(c): frame[c].to_numpy(float) for c in frame.columns
              if interval_bound(c) is not None}
    for level in sorted({lv for _, lv in bounds}):
        lo, hi = bounds.get(("lo", level)), bounds.get(("hi", level))
        if lo is None or hi is None:
            continue
        tag = f"{level:g}"
        out[f"coverage_{tag}"] = M.coverage(y, lo, hi)
        out[f"width_{tag}"] = M.interval_width(lo, hi)
        out[f"winkler_{tag}"] = M.winkler_score(y, lo, hi, level)
        alpha = (1 - level / 100) / 2
        quantiles.setdefault(round(alpha, 10), lo)
        quantiles.setdefault(round(1 - alpha, 10), hi)
    if quantiles:
        quantiles.setdefault(0.5, frame["y_hat"].to_numpy(float))
        qs = sorted(quantiles)
        out["crps"] = M.crps_from_quantiles(y, np.column_stack([quantiles[q] for q in qs]), qs)
    return out


def msis_metrics(frame: pd.DataFrame, scale: np.ndarray) -> dict[str, float]:
    """For each interval level ``L`` of the forecasts, ``msis_L``: the M4 competition's mean
    scaled interval score (:func:`~tsforecast.evaluation.msis`) of each series, whose
    rows' MASE scale is ``scale``, averaged over series."""
    bounds = {interval_bound(c): c for c in frame.columns if interval_bound(c) is not None}
    groups = list(frame.groupby(["series", "target"], sort=True).indices.values())
    y = frame["y"].to_numpy(float)
    out: dict[str, float] = {}
    for level in sorted({lv for _, lv in bounds}):
        lo, hi = bounds.get(("lo", level)), bounds.get(("hi", level))
        if lo is None or hi is None:
            continue
        lo, hi = frame[lo].to_numpy(float), frame[hi].to_numpy(float)
        per = [M.msis(y[i], lo[i], hi[i], level, float(scale[i[0]])) for i in groups]
        out[f"msis_{level:g}"] = float(np.mean(per))
    return out


def sape(y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    """Terms of the competitions' sMAPE, ``200 |y - y_hat| / (|y| + |y_hat|)`` (0 for 0/0)."""
    den = np.abs(y) + np.abs(y_hat)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den == 0, 0.0, 200.0 * np.abs(y - y_hat) / den)


def row_scales(task: Task, frame: pd.DataFrame) -> np.ndarray:
    """The MASE scale of each row of ``frame`` (its series and target)."""
    keys = pd.MultiIndex.from_arrays([frame["series"], frame["target"]])
    lookup = pd.Series(task.scales)
    lookup.index = pd.MultiIndex.from_tuples(lookup.index)
    return lookup.reindex(keys).to_numpy(float)


def _same_pairs(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    key = ["series", "cutoff"]
    a = a.sort_values(key, kind="stable").reset_index(drop=True)
    b = b.sort_values(key, kind="stable").reset_index(drop=True)
    return bool(
        (a["series"].astype(str).to_numpy() == b["series"].astype(str).to_numpy()).all()
        and (pd.DatetimeIndex(a["cutoff"]) == pd.DatetimeIndex(b["cutoff"])).all()
    )
