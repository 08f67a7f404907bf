"""Validate pandas input and turn it into float32 arrays, one per series.

Accepted input everywhere in the package:

* a DataFrame with a DatetimeIndex (or a ``time_col``): one series, one or more targets;
* a long DataFrame with an ``id_col``: one series per id, in order of first appearance;
* a dict ``{id: DataFrame}``: several series for one global model.

Without ``time_col``, a frame whose index holds no timestamps takes its one column of
timestamps as the time (:func:`~.timeindex.find_time_column`); rows are positions only
when no column holds the time. Series ids must stay distinct as labels (``1`` and ``"1"``
are refused).

Time is handled by position, never by calendar arithmetic, so trading days (no
weekends) or irregular gaps never create NaN rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .timeindex import calendar_features, find_time_column, parse_times

FILL_POLICIES = (None, "ffill", "interpolate")


@dataclass(frozen=True)
class Layout:
    """Column layout shared by every series: targets, then past, then known-future covariates."""

    target: tuple[str, ...]
    past_covariates: tuple[str, ...] = ()
    future_covariates: tuple[str, ...] = ()
    calendar: tuple[str, ...] = ()  # generated known-future features (appended to future)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.target + self.past_covariates + self.future_covariates + self.calendar

    @property
    def n_targets(self) -> int:
        return len(self.target)

    @property
    def n_inputs(self) -> int:
        return len(self.columns)

    @property
    def n_future(self) -> int:
        return len(self.future_covariates) + len(self.calendar)

    def to_dict(self) -> dict:
        return {k: list(getattr(self, k)) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, d: Mapping) -> Layout:
        return cls(**{k: tuple(v) for k, v in d.items()})


@dataclass
class SeriesData:
    """One validated series: its id, its time index and a ``[T, C]`` float32 array.

    ``missing`` marks the ``[T, n_targets]`` target cells that were NaN in the input and
    were filled (``None`` when nothing was): they are never scored as actuals.
    """

    id: str
    index: pd.Index
    values: np.ndarray = field(repr=False)
    missing: np.ndarray | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.values)


def _as_list(cols: str | Sequence[str] | None) -> list[str]:
    if cols is None:
        return []
    if isinstance(cols, str):
        return [cols]
    return list(cols)


def split_series(
    data: pd.DataFrame | pd.Series | Mapping[str, pd.DataFrame],
    id_col: str | None = None,
    time_col: str | None = None,
) -> list[tuple[str, pd.DataFrame]]:
    """Split any accepted input into ``(id, frame)`` pairs whose index is the time index.

    Nothing is copied or modified in the caller's frames beyond what pandas does for a
    ``groupby``/``set_index``.
    """
    if isinstance(data, pd.Series):
        data = data.to_frame(name=data.name if data.name is not None else "y")
    if isinstance(data, Mapping):
        if not data:
            raise ValueError("the dict of series is empty")
        pairs, noted = [], False
        for sid, frame in zip(series_labels(list(data), "the dict of series"), data.values(),
                              strict=True):
            if isinstance(frame, pd.Series):
                frame = frame.to_frame(name=frame.name if frame.name is not None else "y")
            if not isinstance(frame, pd.DataFrame):
                raise TypeError(
                    f"series {sid!r}: expected a pandas DataFrame, got {type(frame).__name__}"
                )
            frame, frame_time = _timed(frame, None, time_col, f"series {sid!r}", note=not noted)
            noted = noted or frame_time != time_col
            pairs.append((sid, _set_time_index(frame, frame_time, sid)))
        return pairs
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            "data must be a pandas DataFrame (DatetimeIndex or long format with an id column) "
            f"or a dict of DataFrames, got {type(data).__name__}"
        )
    if data.empty:
        raise ValueError("the input DataFrame is empty (0 rows)")
    data, time_col = _timed(data, id_col, time_col, "the input")
    if id_col is None:
        return [("series", _set_time_index(data, time_col, "series"))]
    if id_col not in data.columns:
        raise ValueError(f"id column {id_col!r} not found; columns are {list(data.columns)}")
    if data[id_col].isna().any():
        row = int(np.flatnonzero(data[id_col].isna().to_numpy())[0])
        raise ValueError(f"id column {id_col!r} is missing at row {row}")
    groups = [(key[0] if isinstance(key, tuple) else key, frame)
              for key, frame in data.groupby(id_col, sort=False, observed=True)]
    labels = series_labels([key for key, _ in groups], f"id column {id_col!r}")
    return [(sid, _set_time_index(frame.drop(columns=id_col), time_col, sid))
            for sid, (_, frame) in zip(labels, groups, strict=True)]


def series_labels(keys: Sequence, where: str) -> list[str]:
    """The label (text) of each series id; ids that read the same (``1`` and ``"1"``)
    are refused, naming both, rather than giving two series one label."""
    labels = [str(k) for k in keys]
    if len(set(labels)) < len(labels):
        first: dict[str, object] = {}
        for key, label in zip(keys, labels, strict=True):
            if label in first:
                raise ValueError(
                    f"{where}: series ids {first[label]!r} ({type(first[label]).__name__}) "
                    f"and {key!r} ({type(key).__name__}) are both labelled {label!r}; "
                    "rename one of them so that every series has its own label"
                )
            first[label] = key
    return labels


def _timed(data: pd.DataFrame, id_col: str | None, time_col: str | None, where: str,
           note: bool = True) -> tuple[pd.DataFrame, str | None]:
    """The frame with its time column parsed once (found when not given: never are rows
    silently taken as positions when a column holds the time) and that column's name."""
    _check_column_names(data, where)
    if time_col is None:
        time_col = find_time_column(data, where, exclude=() if id_col is None else (id_col,),
                                    note=note)
    if (time_col is not None and time_col in data.columns
            and not pd.api.types.is_datetime64_any_dtype(data[time_col].dtype)):
        times = parse_times(data[time_col], f"{where}: time column {time_col!r}")
        data = data.assign(**{time_col: times.array})  # keeps the zone
    return data, time_col


def _set_time_index(frame: pd.DataFrame, time_col: str | None, sid: str) -> pd.DataFrame:
    if time_col is not None:
        if time_col not in frame.columns:
            if frame.index.name == time_col:
                return frame
            raise ValueError(
                f"series {sid!r}: time column {time_col!r} not found; "
                f"columns are {list(frame.columns)}"
            )
        times = parse_times(frame[time_col], f"series {sid!r}: time column {time_col!r}")
        frame = frame.drop(columns=time_col).set_axis(times.rename(time_col))
    return frame


def _check_column_names(frame: pd.DataFrame, where: str) -> None:
    cols = list(frame.columns)
    bad = [c for c in cols if not isinstance(c, str)]
    if bad:
        raise TypeError(f"{where}: column names must be strings, got {bad[0]!r}; rename them "
                        "(e.g. df.columns = df.columns.astype(str))")
    dup = sorted({c for c in cols if cols.count(c) > 1})
    if dup:
        raise ValueError(f"{where}: duplicate column name(s) {dup}")


def check_index(index: pd.Index, sid: str) -> None:
    """Raise if the time index is not timestamps or integer positions, is unsorted or has
    duplicates, naming the first bad row."""
    if not isinstance(index, pd.DatetimeIndex) and not pd.api.types.is_integer_dtype(index.dtype):
        raise TypeError(
            f"series {sid!r}: the time index must be a DatetimeIndex or integer positions, "
            f"got {type(index).__name__} of dtype {index.dtype} (first value {index[0]!r}); "
            "parse it with pd.to_datetime or pass time_col="
        )
    if isinstance(index, pd.DatetimeIndex) and index.hasnans:
        row = int(np.flatnonzero(index.isna())[0])
        raise ValueError(f"series {sid!r}: missing timestamp (NaT) at row {row}")
    if not index.is_monotonic_increasing:
        vals = index.to_numpy()
        row = int(np.flatnonzero(vals[1:] < vals[:-1])[0]) + 1
        order = " (the rows run newest first)" if index.is_monotonic_decreasing else ""
        raise ValueError(
            f"series {sid!r}: timestamps are not sorted: row {row} ({index[row]}) comes after "
            f"{index[row - 1]}{order}; sort the data by time first"
        )
    if not index.is_unique:
        dup = index[index.duplicated()][0]
        raise ValueError(f"series {sid!r}: duplicate timestamp {dup}")


def _check_columns(frame: pd.DataFrame, cols: list[str], sid: str, role: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(
            f"series {sid!r}: {role} column(s) {missing} not found; "
            f"columns are {list(frame.columns)}"
        )
    for c in cols:
        dtype = frame[c].dtype
        if not (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)):
            raise TypeError(f"series {sid!r}: {role} column {c!r} is not numeric (dtype {dtype})")


def _numeric_block(frame: pd.DataFrame, cols: list[str], sid: str) -> np.ndarray:
    # A frame that is already one float32 block in this column order converts without a copy.
    if list(frame.columns) != cols:
        frame = frame[cols]
    for c in cols:  # float32 is the working precision: refuse what it cannot hold
        col = frame[c]
        if col.dtype.itemsize <= 4 and col.dtype.kind == "f":
            continue
        v = col.to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(over="ignore", under="ignore"):
            v32 = v.astype(np.float32)
        bad = (np.isfinite(v) & ~np.isfinite(v32)) | ((v != 0) & (v32 == 0))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"series {sid!r}: column {c!r} holds {col.iloc[row]!r} at row {row} "
                f"({frame.index[row]}), which float32 (the precision the models compute in) "
                "cannot hold: it would become infinite or zero; rescale the column"
            )
    return frame.to_numpy(dtype=np.float32, copy=False, na_value=np.nan)


def _fill(block: np.ndarray, policy: str | None, cols: list[str], index: pd.Index, sid: str):
    """Apply the fill policy to NaN, then reject any remaining NaN or inf with the row."""
    # checked in chunks: a full boolean mask would cost a quarter of a float32 array
    if all(np.isfinite(block[i : i + 65536]).all() for i in range(0, len(block), 65536)):
        return block
    finite = np.isfinite(block)
    inf = np.isinf(block)
    if inf.any():
        row, col = np.argwhere(inf)[0]
        raise ValueError(
            f"series {sid!r}: column {cols[col]!r} is infinite at row {row} ({index[row]})"
        )
    if policy is None:
        row, col = np.argwhere(~finite)[0]
        n = int((~finite).sum())
        raise ValueError(
            f"series {sid!r}: column {cols[col]!r} has NaN at row {row} ({index[row]}), "
            f"{n} missing value(s) in all; pass fill_missing='ffill' or 'interpolate'"
        )
    frame = pd.DataFrame(block, columns=cols)
    if policy == "ffill":
        frame = frame.ffill().bfill()
    else:
        frame = frame.interpolate(method="linear", limit_direction="both")
    filled = frame.to_numpy(dtype=np.float32)
    if not np.isfinite(filled).all():
        col = int(np.flatnonzero(~np.isfinite(filled).all(axis=0))[0])
        raise ValueError(f"series {sid!r}: column {cols[col]!r} has no observed value to fill from")
    return filled


def infer_target(frames: list[tuple[str, pd.DataFrame]], exclude: Sequence[str]) -> list[str]:
    """All numeric columns of the first series that are not covariates."""
    frame = frames[0][1]
    cols = [
        c
        for c in frame.columns
        if c not in exclude
        and pd.api.types.is_numeric_dtype(frame[c].dtype)
        and not pd.api.types.is_bool_dtype(frame[c].dtype)
    ]
    if not cols:
        raise ValueError(f"no numeric target column found; columns are {list(frame.columns)}")
    return cols


def to_series(
    data,
    target: str | Sequence[str] | None = None,
    past_covariates: str | Sequence[str] | None = None,
    future_covariates: str | Sequence[str] | None = None,
    *,
    id_col: str | None = None,
    time_col: str | None = None,
    fill_missing: str | None = None,
    causal: bool = False,
    calendar: bool = False,
    freq=None,
) -> tuple[Layout, list[SeriesData]]:
    """Validate the input and return its column layout and one float32 array per series.

    Parameters
    ----------
    data : DataFrame or dict of DataFrames
        A wide frame, a long frame with ``id_col``, or a dict of frames (one per series).
    target : str or sequence of str, optional
        Target column(s); ``None`` takes every numeric column that is not a covariate.
    past_covariates : str or sequence of str, optional
        Columns observed only up to the forecast origin.
    future_covariates : str or sequence of str, optional
        Columns known in advance (they must be supplied for the horizon at prediction
        time).
    id_col : str, optional
        Series id column of a long frame (one series per id).
    time_col : str, optional
        Time column (default: the index).
    fill_missing : {None, "ffill", "interpolate"}
        ``None`` (NaN is an error), ``"ffill"`` or ``"interpolate"``.
    causal : bool
        Fill using past values only (forward fill, whatever ``fill_missing`` says;
        leading NaN take the first observed value). Used for histories that forecasts
        are made from, so a gap just before an origin is never filled from its future.
    calendar : bool
        Append generated calendar features (known-future) built from the index.
    freq : str, optional
        Frequency used for calendar features; inferred when ``None``.

    Returns
    -------
    layout : Layout
        The column layout: targets, then past, then known-future covariates.
    series : list of SeriesData
        One float32 array per series, with its id and time index.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0]}, index=pd.date_range("2024", periods=3))
    >>> layout, series = to_series(df, "y")
    >>> series[0].values.shape
    (3, 1)
    """
    if fill_missing not in FILL_POLICIES:
        raise ValueError(f"fill_missing must be one of {FILL_POLICIES}, got {fill_missing!r}")
    past, fut = _as_list(past_covariates), _as_list(future_covariates)
    policy = "ffill" if causal and fill_missing is not None else fill_missing
    if isinstance(data, pd.DataFrame) and not data.empty:  # time found and parsed once
        data, time_col = _timed(data, id_col, time_col, "the input")
    long = (
        _split_long(data, id_col, time_col)
        if isinstance(data, pd.DataFrame) and id_col is not None else None
    )
    frames = [long.head] if long is not None else split_series(data, id_col=id_col,
                                                               time_col=time_col)
    targets = _as_list(target) or infer_target(frames, exclude=past + fut)
    names = targets + past + fut
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated and not (set(targets) & set(past + fut) or set(past) & set(fut)):
        raise ValueError(f"column(s) {repeated} listed twice")
    overlap = set(targets) & set(past + fut) or set(past) & set(fut)
    if overlap:
        raise ValueError(f"column(s) {sorted(overlap)} given in more than one role")
    cols = targets + past + fut
    pieces = long.pieces(cols) if long is not None else None
    if pieces is None:  # one series at a time: checks that name the series and row
        if long is not None:
            frames = split_series(data, id_col=id_col, time_col=time_col)
        pieces = (_checked_piece(sid, frame, targets, past, fut) for sid, frame in frames)
    cal_names: tuple[str, ...] = ()
    out = []
    for sid, index, block in pieces:
        s, cal_names = _series_data(sid, index, block, cols, len(targets), policy, calendar, freq)
        out.append(s)
    layout = Layout(tuple(targets), tuple(past), tuple(fut), cal_names)
    return layout, out


def _checked_piece(sid: str, frame: pd.DataFrame, targets: list[str], past: list[str],
                   fut: list[str]) -> tuple[str, pd.Index, np.ndarray]:
    """``(id, index, float32 block)`` of one series' frame, every check naming the series."""
    if len(frame) == 0:
        raise ValueError(f"series {sid!r} is empty (0 rows)")
    check_index(frame.index, sid)
    for role, names in (("target", targets), ("past covariate", past), ("future covariate", fut)):
        _check_columns(frame, names, sid, role)
    return sid, frame.index, _numeric_block(frame, targets + past + fut, sid)


def _series_data(sid: str, index: pd.Index, block: np.ndarray, cols: list[str], n_targets: int,
                 policy: str | None, calendar: bool, freq) -> tuple[SeriesData, tuple[str, ...]]:
    """Fill (or refuse) missing values, add calendar features: one :class:`SeriesData`."""
    nan = np.isnan(block[:, :n_targets])
    missing = nan if nan.any() else None
    block = _fill(block, policy, cols, index, sid)
    cal_names: tuple[str, ...] = ()
    if calendar:
        cal = calendar_features(index, freq=freq)
        cal_names = tuple(cal.columns)
        block = np.concatenate([block, cal.to_numpy(np.float32)], axis=1)
    return SeriesData(sid, index, np.ascontiguousarray(block), missing), cal_names


@dataclass
class _LongFrame:
    """One long DataFrame grouped by id with array operations instead of a ``groupby``."""

    data: pd.DataFrame
    index: pd.Index  # the time of every row
    ids: list[str]  # series ids, in order of first appearance (as ``groupby(sort=False)``)
    order: np.ndarray  # rows sorted by series, stable
    bounds: np.ndarray  # series k holds sorted rows bounds[k]:bounds[k + 1]
    head: tuple[str, pd.DataFrame]  # (first id, zero-row frame of the value columns)

    def pieces(self, cols: list[str]) -> list[tuple[str, pd.Index, np.ndarray]] | None:
        """``(id, index, float32 block)`` per series, or ``None`` when a check fails (the
        per-series path then raises the error that names the series and the row)."""
        sid, values = self.head  # the value columns: neither the id nor the time column
        try:
            _check_columns(values, cols, sid, "value")
            block = _numeric_block(self.data, cols, sid)[self.order]
        except (ValueError, TypeError):
            return None
        index = self.index.take(self.order)
        if isinstance(index, pd.DatetimeIndex):
            if index.hasnans:
                return None
            stamps = index.asi8
        else:
            stamps = index.to_numpy()
        # strictly increasing within each series: sorted and no duplicate timestamp
        within = np.ones(max(len(stamps) - 1, 0), dtype=bool)
        within[self.bounds[1:-1] - 1] = False
        if not (np.diff(stamps)[within] > 0).all():
            return None
        b = self.bounds
        return [(sid, index[b[k] : b[k + 1]], block[b[k] : b[k + 1]])
                for k, sid in enumerate(self.ids)]


def _split_long(data: pd.DataFrame, id_col: str, time_col: str | None) -> _LongFrame | None:
    """The long frame grouped by array operations, or ``None`` where only the per-series
    path applies (categorical or missing ids, an unparsed time column, odd columns)."""
    if data.empty or id_col not in data.columns or time_col == id_col:
        return None
    _check_column_names(data, "the input")
    ids = data[id_col]
    if isinstance(ids.dtype, pd.CategoricalDtype) or ids.isna().any():
        return None
    if time_col is not None:
        if time_col not in data.columns or not pd.api.types.is_datetime64_any_dtype(
                data[time_col].dtype):
            return None
        index = pd.DatetimeIndex(data[time_col], name=time_col)
        drop = [id_col, time_col]
    else:
        index = data.index
        if not isinstance(index, pd.DatetimeIndex) and not pd.api.types.is_integer_dtype(
                index.dtype):
            return None
        drop = [id_col]
    codes, uniques = pd.factorize(ids, sort=False)
    keys = series_labels(list(uniques), f"id column {id_col!r}")
    order = np.argsort(codes, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(uniques)))])
    head = data.iloc[:0].drop(columns=drop)
    return _LongFrame(data, index, keys, order, bounds, (keys[0], head))
