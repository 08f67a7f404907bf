"""The ``holdout`` protocol: the forecasting competitions' fixed hold-out (M3, M4).

Long (Nixtla) files ``unique_id, ds, y`` (``ds`` dates or integer positions), or the
``m3`` suite's groups. The last ``horizon`` rows of every series are its test; models are
fit on the rest (global models on all series together, local ones series by series) and
forecast once from the end of each training part. Scores, per data set:

* ``smape``: the competition's sMAPE, ``200 |y - y_hat| / (|y| + |y_hat|)`` averaged over
  the steps of a series, then over series (:func:`competition_smape`; the same formula as
  :func:`tsforecast.evaluation.smape`, averaged per series first);
* ``mase``: absolute errors scaled by the in-sample seasonal-naive MAE (period
  ``mase_season``) of each series' training part, averaged over steps, then series.

Every series has exactly ``horizon`` scored rows, so the per-series means and the pooled
means agree; both are computed per series here, as the competitions define them.

The neural nets are global: one model per data set, trained on windows of every series.
Their lookback is ``lookback`` when set, else :data:`LOOKBACK_HORIZONS` horizons capped at
the median training part; a series with fewer rows before a window's origin is left-padded
and masked, down to ``min_context`` = the shortest training part less a horizon, so every
series trains (M3 yearly: lookback 18, min_context 8 for series of 14 to 41 rows). They
get :data:`~.panel.PANEL_NET_PARAMS` (:mod:`.panel`: the panel rule): each series scaled
by its largest absolute training value, windows normalised by their level, the sMAPE
loss, so errors weigh relative to each series' level, as the competitions score them.
With ``level``, every model (nets, classical, combinations) calibrates its conformal
intervals on the last 20% of each training part, at least a horizon
(:data:`~.panel.PANEL_CALIBRATION`).

Integer ``ds`` (M3 has no usable calendar) become consecutive days from 2000-01-01 for the
models, which need a time index; their season comes from ``season_length``, else
``mase_season``, never from that made-up daily frequency.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data.timeindex import parse_times
from .datasets import Dataset
from .options import BenchmarkConfig, BenchmarkInputError
from .panel import (
    HOLDOUT_SCALER,
    LOOKBACK_HORIZONS,
    PANEL_CALIBRATION,
    PANEL_CALIBRATION_KEEP,
    PANEL_NET_PARAMS,
)
from .task import sape

__all__ = [
    "HOLDOUT_COLUMNS",
    "HOLDOUT_SCALER",
    "PANEL_CALIBRATION",
    "PANEL_NET_PARAMS",
    "LOOKBACK_HORIZONS",
    "M3_QUICK_EVERY",
    "PUBLISHED_M3",
    "competition_smape",
    "load_holdout_datasets",
    "load_panel",
    "positions",
]

#: Columns of the holdout protocol's long files when not set (the Nixtla layout).
HOLDOUT_COLUMNS = {"id_col": "unique_id", "time_col": "ds", "target": "y"}

#: ``--quick`` with the m3 suite keeps every this-many-th series of each group, by id.
M3_QUICK_EVERY = 10

#: Published overall sMAPE on M3 (all 3,003 series, the competition's hold-outs).
PUBLISHED_M3 = {
    "Theta (Makridakis & Hibon 2000)": 13.01,
    "ForecastPro (Makridakis & Hibon 2000)": 13.19,
    "ForecastX (Makridakis & Hibon 2000)": 13.49,
    "B-J automatic (Makridakis & Hibon 2000)": 14.01,
    "N-BEATS (Oreshkin et al. 2020)": 12.37,
}

#: Day 0 of integer ``ds`` positions.
_ORIGIN = pd.Timestamp("2000-01-01")


def positions(stamps) -> np.ndarray:
    """The integer positions that made-up daily ``stamps`` stand for (the inverse of the
    index built from integer ``ds``): what plots put on a positional time axis.

    >>> positions(pd.to_datetime(["2000-01-01", "2000-01-15"])).tolist()
    [0, 14]
    """
    delta = pd.DatetimeIndex(stamps) - _ORIGIN
    return np.asarray(delta // pd.Timedelta(1, "D"), dtype=np.int64)


def competition_smape(y: np.ndarray, y_hat: np.ndarray) -> float:
    """sMAPE of the M3/M4 competitions for one series, in percent: mean over the steps of
    ``200 |y - y_hat| / (|y| + |y_hat|)`` (0 where both are 0).

    >>> competition_smape(np.array([100.0, 100.0]), np.array([110.0, 100.0]))
    4.761904761904762
    """
    return float(np.mean(sape(np.asarray(y, float), np.asarray(y_hat, float))))


# -- loading -----------------------------------------------------------------------------------
def _to_index(ds: pd.Series, name: str) -> tuple[pd.DatetimeIndex, bool]:
    """The time index of a ``ds`` column and whether it held integer positions."""
    if pd.api.types.is_integer_dtype(ds.dtype):
        return pd.DatetimeIndex(_ORIGIN + pd.to_timedelta(ds.to_numpy(np.int64), "D")), True
    try:  # UTC offsets that change at daylight saving: read as UTC
        stamps = parse_times(ds, f"{name}: column {ds.name!r}", errors="coerce")
    except ValueError as exc:  # timestamps with and without an offset
        raise BenchmarkInputError(str(exc)) from exc
    if stamps.isna().any():
        i = int(np.asarray(stamps.isna()).argmax())
        raise BenchmarkInputError(
            f"{name}: ds of data row {i} is {ds.iloc[i]!r}: neither a date nor an integer")
    return pd.DatetimeIndex(stamps), False


def load_panel(raw: pd.DataFrame, name: str, cfg: BenchmarkConfig, horizon: int,
               path: str | None = None) -> Dataset:
    """Check a long frame (id, time and target columns of ``cfg``) and build its
    :class:`Dataset`, sorted by series and time.

    Raises
    ------
    BenchmarkInputError
        Missing column; duplicate (id, ds) rows; a non-numeric or missing ``y`` (naming the
        series); integer ``ds`` with gaps; a series not longer than the hold-out.
    """
    id_col, time_col, target = cfg.id_col, cfg.time_col, cfg.target[0]
    missing = [c for c in (id_col, time_col, target) if c not in raw.columns]
    if missing:
        raise BenchmarkInputError(
            f"{name}: column(s) {missing} not found; the holdout protocol reads a long file "
            f"with columns {id_col}, {time_col}, {target}; columns: {list(raw.columns)}")
    ids = raw[id_col]
    if ids.isna().any():
        i = int(ids.isna().to_numpy().argmax())
        raise BenchmarkInputError(f"{name}: {id_col} is empty at data row {i}: every row "
                                  "needs its series id")
    if not pd.api.types.is_string_dtype(ids):
        ids = ids.astype(str)
    y = pd.to_numeric(raw[target], errors="coerce")
    bad = y.isna() & raw[target].notna()
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise BenchmarkInputError(
            f"{name}: series {ids.iloc[i]!r} has a non-numeric {target} "
            f"{raw[target].iloc[i]!r} (data row {i})")
    if y.isna().any():
        i = int(y.isna().to_numpy().argmax())
        raise BenchmarkInputError(
            f"{name}: series {ids.iloc[i]!r} has a missing {target} (data row {i}); "
            "the holdout protocol needs every value")
    index, integer = _to_index(raw[time_col], name)
    # sorted by series, then time, in one pass (no copies of the frame on the way: a
    # panel of 100,000 series is tens of millions of rows)
    codes, names = pd.factorize(ids, sort=True)
    t = index.asi8
    order = np.lexsort((t, codes))
    code_s, t_s = codes[order], t[order]
    same_series = code_s[1:] == code_s[:-1]
    same = same_series & (t_s[1:] == t_s[:-1])
    if same.any():
        dup = np.zeros(len(order), bool)
        dup[order[1:][same]] = dup[order[:-1][same]] = True
        i = int(dup.argmax())  # the first such row of the file
        raise BenchmarkInputError(
            f"{name}: series {ids.iloc[i]!r} has {int(dup.sum())} rows sharing "
            f"({id_col}, {time_col}), e.g. {time_col}={raw[time_col].iloc[i]!r}: each series "
            "needs one row per time")
    if integer:
        gap = same_series & (np.diff(t_s) != 86_400 * 10**9)
        if gap.any():
            sid = names[code_s[1:][gap][0]]
            raise BenchmarkInputError(f"{name}: series {sid!r}: integer {time_col} must be "
                                      "consecutive (a gap or a repeat was found)")
    frame = pd.DataFrame({id_col: np.asarray(ids, dtype=object)[order],
                          target: y.to_numpy(np.float64)[order]},
                         index=pd.DatetimeIndex(index[order], name=time_col))
    sizes = pd.Series(np.bincount(codes, minlength=len(names)), index=names)
    short = sizes[sizes <= horizon]
    if len(short):
        sid, n = short.index[0], int(short.iloc[0])
        more = f" (and {len(short) - 1} more)" if len(short) > 1 else ""
        raise BenchmarkInputError(
            f"{name}: series {sid!r} has {n} rows; a hold-out of {horizon} needs at least "
            f"{horizon + 1}{more}")
    season = cfg.season_length or ((cfg.mase_season or 1) if integer else None)
    if season is None:
        from ..data import infer_freq
        from ..data.timeindex import season_length

        first = frame[frame[id_col] == frame[id_col].iloc[0]]
        try:
            season = season_length(infer_freq(first.index)) or 1
        except ValueError:
            season = 1
    notes = [f"{name}: {time_col} holds integer positions: the models see them as "
             "consecutive days from 2000-01-01 (season from season_length/mase_season)"
             ] if integer else []
    # MASE as the competitions compute it: at the data's season unless mase_season is given
    ds = Dataset(name, frame, [target], [], id_col, int(season), path, notes,
                 horizon=horizon, mase_season=cfg.mase_season or int(season),
                 net_params=dict(PANEL_NET_PARAMS), positional=integer)
    ds.lookback, ds.min_context = _lookback(cfg, ds)
    source = ("lookback" if cfg.lookback else f"{LOOKBACK_HORIZONS} horizons, at most the "
              "median training part")
    note = f"{name}: the neural nets' lookback is {ds.lookback} ({source})"
    if ds.min_context < ds.lookback:
        note += (f"; shorter inputs are left-padded and masked, down to min_context "
                 f"{ds.min_context} (the shortest training part less a horizon)")
    ds.notes.append(note + "; " + ", ".join(f"{k} {v}" for k, v in PANEL_NET_PARAMS.items()))
    shortest = int((sizes - horizon).min())
    ds.calibration_size = _calibration(ds, shortest)
    if cfg.level:
        fraction, horizons = PANEL_CALIBRATION
        ds.notes.append(f"{name}: intervals calibrated on " + (
            f"the last {fraction:.0%} of each training part, at least {horizons} horizon(s) "
            f"({ds.calibration_size[1]} rows)" if ds.calibration_size else
            f"the forecasters' default calibration_size (a training part of {shortest} "
            f"rows cannot keep {PANEL_CALIBRATION_KEEP} rows beside {horizons} horizon(s))"))
    return ds


def _calibration(ds: Dataset, shortest: int) -> tuple[float, int] | None:
    """Every model's ``calibration_size`` on panel ``ds``: :data:`PANEL_CALIBRATION`, its
    horizons in rows; None (the forecasters' default) when the ``shortest`` training part
    cannot keep :data:`PANEL_CALIBRATION_KEEP` rows beside them. (It never gives fewer
    calibration forecasts than the default: it holds out as many rows or more.)"""
    fraction, horizons = PANEL_CALIBRATION
    rows = max(1, round(horizons * ds.horizon))
    return (fraction, rows) if shortest - rows >= PANEL_CALIBRATION_KEEP else None


def _competition_group(competition: str, group: str, cfg: BenchmarkConfig) -> Dataset:
    """One group of a competition suite (``m3``, ``tourism``) as a data set: the
    competition's horizon and season (models and MASE)."""
    from ..datasets import _competitions

    collection, groups = _competitions.COMPETITIONS[competition]
    horizon, season = groups[group]
    name = f"{competition}-{group}"
    try:
        raw = _competitions._load(competition, group)
    except ImportError as exc:
        raise BenchmarkInputError(str(exc)) from exc
    note = []
    if cfg.quick:
        ids = sorted(raw["unique_id"].unique())
        keep = ids[::M3_QUICK_EVERY]
        raw = raw[raw["unique_id"].isin(keep)]
        note = [f"{name}: quick mode keeps every {M3_QUICK_EVERY}th series by id "
                f"({len(keep)} of {len(ids)}: {keep[0]}, {keep[1] if len(keep) > 1 else ''}, ...)"]
    group_cfg = BenchmarkConfig(**{**cfg.__dict__, "id_col": "unique_id", "time_col": "ds",
                                   "target": ["y"], "mase_season": season,
                                   "season_length": cfg.season_length or season})
    ds = load_panel(raw, name, group_cfg, horizon)
    ds.notes = [*note, *ds.notes, f"{name}: {ds.frame['unique_id'].nunique()} series, hold-out "
                f"{horizon}, season {season} (models and MASE)"]
    return ds


def _lookback(cfg: BenchmarkConfig, ds: Dataset) -> tuple[int, int]:
    """The neural nets' ``(lookback, min_context)``.

    Lookback: ``cfg.lookback`` when set, else :data:`LOOKBACK_HORIZONS` horizons capped at
    the median training part (at least half of the series fill a window). min_context:
    the rows the shortest training part holds before a horizon (at most the lookback), so
    that every series gives at least one training window; inputs shorter than the lookback
    are left-padded and masked.
    """
    return horizons_lookback(ds, LOOKBACK_HORIZONS, cfg.lookback)


def horizons_lookback(ds: Dataset, horizons: float, lookback: int | None = None
                      ) -> tuple[int, int]:
    """``(lookback, min_context)`` of nets looking back ``horizons`` horizons of holdout data
    set ``ds`` (capped at its median training part), or ``lookback`` rows when given; see
    :func:`_lookback`."""
    if isinstance(horizons, bool) or not isinstance(horizons, int | float) or horizons <= 0:
        raise BenchmarkInputError(f"{ds.name}: lookback_horizons must be a number > 0, got "
                                  f"{horizons!r}")
    train = ds.frame.groupby(ds.id_col).size().to_numpy() - ds.horizon
    lookback = lookback or max(1, min(round(horizons * ds.horizon), int(np.median(train))))
    return lookback, max(1, min(lookback, int(train.min()) - ds.horizon))


def load_holdout_datasets(cfg: BenchmarkConfig) -> list[Dataset]:
    """The data sets of a holdout run: the m3 suite's groups or the long CSV files."""
    from ..datasets._competitions import COMPETITIONS
    from ..datasets._csv import read_table

    if cfg.suite in COMPETITIONS:
        return [_competition_group(cfg.suite, g, cfg) for g in COMPETITIONS[cfg.suite][1]]
    out = []
    for path in cfg.data or []:
        try:
            raw = read_table(path, cfg.id_col)
        except ValueError as exc:
            raise BenchmarkInputError(str(exc)) from exc
        name = Path(path).stem
        if any(d.name == name for d in out):
            name = f"{name}-{len(out)}"
        out.append(load_panel(raw, name, cfg, cfg.horizon, path))
    return out
