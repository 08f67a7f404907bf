"""Timestamps, frequencies, future timestamps and calendar features.

Windows are built by position, so the calendar is only needed at the edges: to read the
time of the input (:func:`parse_times`, :func:`find_time_column`), to stamp forecasts with
real future timestamps and to generate known-future calendar features.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import warnings
from collections.abc import Collection

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

#: Text that starts like a date, year first (``2024-01-31``, ``2024/1/31``): unambiguous.
_ISO_DATE = re.compile(r"\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(\D|$)")
#: Text that starts like a date, day or month first (``31.01.2024``, ``1/31/24``).
_DMY_DATE = re.compile(r"\s*\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(\D|$)")


def parse_times(values, where: str, errors: str = "raise") -> pd.DatetimeIndex:
    """Timestamps of a column (text, dates, datetimes), the one place time is parsed.

    Timestamps whose UTC offset changes within the column (``+01:00`` in winter,
    ``+02:00`` in summer, as written across a daylight-saving change) have no common
    fixed offset: they are read as UTC, with a logged warning, and forecasts are stamped
    in UTC. Mixing timestamps with and without an offset is refused. ``where`` names the
    column (and file) in every message; ``errors="coerce"`` turns unparseable values into
    ``NaT`` for the caller to report by row.

    Examples
    --------
    >>> times = parse_times(["2024-03-31 01:00+01:00", "2024-03-31 03:00+02:00"], "column 't'")
    >>> times.strftime("%H:%M %Z").tolist()
    ['00:00 UTC', '01:00 UTC']
    """
    if pd.api.types.is_datetime64_any_dtype(getattr(values, "dtype", None)):
        return pd.DatetimeIndex(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format" chatter
        warnings.simplefilter("ignore", FutureWarning)  # pandas 2 on mixed offsets: see below
        try:
            stamps = pd.to_datetime(values, errors=errors)
            first_error = None
        except (ValueError, TypeError) as exc:  # pandas 3 on mixed offsets, or bad values
            stamps, first_error = None, exc
        if stamps is not None and pd.api.types.is_datetime64_any_dtype(stamps.dtype):
            return pd.DatetimeIndex(stamps)
        # several UTC offsets (pandas 2 returns objects, pandas 3 raises): read as UTC
        _check_all_aware(values, where)
        try:
            stamps = pd.to_datetime(values, errors=errors, utc=True)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"cannot parse {where}: {first_error or exc}") from exc
    logger.warning("%s holds timestamps with different UTC offsets (as across a daylight-saving "
                   "change): read as UTC, so forecasts are stamped in UTC", where)
    return pd.DatetimeIndex(stamps)


def _check_all_aware(values, where: str) -> None:
    """Refuse datetimes with and without a UTC offset in one column (``utc=True`` would
    silently read the naive ones as UTC)."""
    if pd.api.types.infer_dtype(values, skipna=True) == "string":
        return  # text: pandas refuses a format without an offset after one with it
    arr = np.asarray(values, dtype=object)
    aware = np.array([isinstance(v, dt.datetime) and v.tzinfo is not None for v in arr])
    naive = np.array([isinstance(v, dt.datetime) and v.tzinfo is None for v in arr])
    if aware.any() and naive.any():
        row = int(np.flatnonzero(naive)[0])
        raise ValueError(f"{where} mixes timestamps with and without a UTC offset: row {row} "
                         f"({arr[row]!r}) has none; give every timestamp an offset or none")


def find_time_column(frame: pd.DataFrame, where: str, exclude: Collection[str] = (),
                     note: bool = True) -> str | None:
    """The column that holds the time of a frame given without ``time_col``.

    ``None`` when the index is a DatetimeIndex (it is the time) or no column holds
    timestamps (rows are then positions); the one column of datetimes (or, failing that,
    of year-first date text such as ``"2024-01-31"``) otherwise, with a logged note
    (unless ``note`` is false: a dict of frames notes its first only).
    Several such columns are refused (``time_col=`` must say which one is the time), and
    so is a column of day- or month-first date text (``"01/02/2024"``: which is the day
    is for the caller to say).

    Examples
    --------
    >>> df = pd.DataFrame({"date": pd.date_range("2024", periods=3), "y": [1.0, 2.0, 3.0]})
    >>> find_time_column(df, "the input")
    'date'
    """
    if isinstance(frame.index, pd.DatetimeIndex):
        return None
    cols = [c for c in frame.columns if c not in exclude]
    found = [c for c in cols if pd.api.types.is_datetime64_any_dtype(frame[c].dtype)]
    if not found:
        found = [c for c in cols if _looks_like_times(frame[c], _ISO_DATE)]
    if not found:
        for c in cols:
            if _looks_like_times(frame[c], _DMY_DATE):
                first = frame[c].dropna().iloc[0]
                raise ValueError(
                    f"{where}: column {c!r} holds dates as text ({first!r}) and the index "
                    "holds no timestamps; parse it, saying which number is the day "
                    f"(pd.to_datetime(df[{c!r}], format=...)), and pass time_col={c!r}"
                )
    if len(found) > 1:
        raise ValueError(
            f"{where}: columns {found} all hold timestamps and the index is not a "
            f"DatetimeIndex; pass time_col= to say which one is the time "
            f"(e.g. time_col={found[0]!r})"
        )
    if found and note:
        logger.info("%s: no time_col given and the index holds no timestamps: using column "
                    "%r as the time (pass time_col= to choose)", where, found[0])
    return found[0] if found else None


def _looks_like_times(values: pd.Series, text: re.Pattern) -> bool:
    """Whether a column of objects or text holds dates (its first non-missing values),
    as date or datetime objects or as text that ``text`` matches."""
    if values.dtype != object and not pd.api.types.is_string_dtype(values.dtype):
        return False
    head = values.iloc[:64] if isinstance(values, pd.Series) else values[:64]
    sample = [v for v in head.tolist() if not pd.isna(v)][:5]
    if not sample:
        return False
    if all(isinstance(v, dt.date) for v in sample):  # datetime.date or datetime.datetime
        return True
    return all(isinstance(v, str) and text.match(v) for v in sample)


def infer_freq(index: pd.Index):
    """Infer the sampling frequency of a time index.

    Tries :func:`pandas.infer_freq` first. Daily data that lives on weekdays only
    (trading days, with holidays missing) is recognised as business days (``"B"``).
    Otherwise the most common step is used when it covers at least 80% of the steps.
    An integer (positional) index returns its step as an ``int``.

    Raises
    ------
    ValueError
        When no frequency can be inferred; pass ``freq=`` explicitly then.

    Examples
    --------
    >>> infer_freq(pd.DatetimeIndex(["2024-01-05", "2024-01-08", "2024-01-09", "2024-01-10"]))
    'B'
    """
    if not isinstance(index, pd.DatetimeIndex):
        if pd.api.types.is_integer_dtype(index.dtype) and len(index) >= 2:
            steps = np.diff(index.to_numpy())
            vals, counts = np.unique(steps, return_counts=True)
            return int(vals[np.argmax(counts)])
        raise ValueError(
            f"cannot infer a frequency from a {type(index).__name__} of dtype {index.dtype}; "
            "use a DatetimeIndex or pass freq="
        )
    if len(index) < 3:
        raise ValueError(f"cannot infer a frequency from {len(index)} timestamps; pass freq=")
    if index.freq is not None:
        return index.freqstr
    offset = _pandas_infer_freq(index)
    if offset is not None:
        return offset
    steps = np.diff(index.to_numpy())  # timedelta64 in the index's own unit
    vals, counts = np.unique(steps, return_counts=True)
    step = pd.Timedelta(vals[np.argmax(counts)])
    if step == pd.Timedelta(days=1) and (index.day_of_week < 5).all():
        days = index.to_numpy().astype("datetime64[D]")
        if (np.busday_count(days[:-1], days[1:]) == 1).mean() >= 0.8:
            return "B"  # trading days: weekdays, a few holidays missing
    if counts.max() >= 0.8 * len(steps):
        return pd.tseries.frequencies.to_offset(step).freqstr
    raise ValueError(
        f"cannot infer the frequency of the time index ({index[0]} .. {index[-1]}): "
        f"the most common step {step} covers only {counts.max()} of {len(steps)} steps; "
        "pass freq= (e.g. 'h', 'D', 'B')"
    )


def check_freq(freq, index: pd.Index, series: str = "the series"):
    """The frequency to stamp forecasts of ``series`` (time ``index``) with: ``freq``, or
    the inferred one (None if none can be); a given ``freq`` that contradicts the data
    (hourly data, ``freq="D"``) is an error naming both."""
    try:
        inferred = infer_freq(index)
    except ValueError:
        inferred = None
    if freq is None or inferred is None:
        return inferred if freq is None else freq
    if isinstance(index, pd.DatetimeIndex):
        try:
            given = pd.tseries.frequencies.to_offset(freq)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"freq {freq!r} is not a pandas frequency: {exc}") from exc
        same = given == pd.tseries.frequencies.to_offset(inferred)
    else:
        same = freq == inferred
    if not same:
        raise ValueError(
            f"freq {freq!r} contradicts the time index of series {series!r}, whose steps are "
            f"{inferred!r} ({index[0]} .. {index[-1]}); pass freq={inferred!r} or None"
        )
    return freq


def future_index(index: pd.Index, horizon: int, freq=None) -> pd.Index:
    """The ``horizon`` timestamps after the end of ``index``.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=5, freq="h")
    >>> future_index(idx, 2).tolist()
    [Timestamp('2024-01-01 05:00:00'), Timestamp('2024-01-01 06:00:00')]
    """
    freq = infer_freq(index) if freq is None else freq
    check_horizon(index, horizon, freq)
    if not isinstance(index, pd.DatetimeIndex):
        step = int(freq)
        return pd.Index(index[-1] + step * np.arange(1, horizon + 1), name=index.name)
    out = pd.date_range(start=index[-1], periods=horizon + 1, freq=freq)[1:]
    return out.rename(index.name)


def check_horizon(index: pd.Index, horizon: int, freq=None, n_columns: int = 1) -> None:
    """Refuse, naming ``horizon``, a horizon whose forecasts after the end of ``index``
    cannot be made: ``n_columns`` float64 values and a timestamp per step larger than the
    machine's memory, or timestamps past the last one pandas represents (2262-04-11) or
    an integer index's largest int64. Cheap: nothing of the horizon's size is built.

    Examples
    --------
    >>> check_horizon(pd.date_range("2024-01-01", periods=3, freq="D"), 10**6)
    Traceback (most recent call last):
    ...
    ValueError: horizon=1000000 steps of 'D' after 2024-01-03 00:00:00 go past 2262-04-11 \
23:47:16.854775807, the last timestamp pandas represents; forecast fewer steps
    """
    from ..resources import memory_bytes

    if freq is None and len(index):
        try:
            freq = infer_freq(index)
        except ValueError:
            pass  # no step known: only the memory is checked
    if len(index) and not isinstance(index, pd.DatetimeIndex) and freq is not None:
        if int(index[-1]) + int(freq) * horizon > np.iinfo(np.int64).max:
            raise ValueError(f"horizon={horizon} steps of {freq} after {index[-1]} go past "
                             "the largest int64; forecast fewer steps")
    elif len(index) and freq is not None:
        _check_timestamps(index[-1], horizon, freq)
    need, have = 8 * horizon * (1 + n_columns), memory_bytes()
    if have is not None and need > have:
        raise ValueError(f"horizon={horizon}: its forecasts need at least {need / 2**30:.1f} "
                         f"GiB, more than this machine's {have / 2**30:.1f} GiB of memory")


def _check_timestamps(last: pd.Timestamp, horizon: int, freq) -> None:
    """Refuse a horizon whose last timestamp after ``last`` pandas cannot represent."""
    start, limit = last.tz_localize(None), pd.Timestamp.max
    offset = pd.tseries.frequencies.to_offset(freq)
    try:
        step = (start + offset) - start  # the first step; anchored ones may be short
        # far past the limit, the offset arithmetic itself overflows (or wraps): refuse first
        end = None if horizon > 2 * ((limit - start) / step) else start + offset * horizon
    except (OverflowError, TypeError, ValueError):  # OutOfBoundsDatetime is a ValueError
        end = None
    if end is None or not start < end <= limit:
        raise ValueError(f"horizon={horizon} steps of {freq!r} after {last} go past {limit}, "
                         "the last timestamp pandas represents; forecast fewer steps")


def calendar_features(index: pd.Index, freq=None) -> pd.DataFrame:
    """Known-future calendar features (sine/cosine encodings) for a DatetimeIndex.

    Sub-daily data gets hour of day; data finer than weekly gets day of week; all get
    day of year. Each is encoded as a sine/cosine pair in [-1, 1].

    Examples
    --------
    >>> calendar_features(pd.date_range("2024-01-01", periods=3, freq="h")).columns.tolist()
    ['cal_hour_sin', 'cal_hour_cos', 'cal_dow_sin', 'cal_dow_cos', 'cal_doy_sin', 'cal_doy_cos']
    """
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError("calendar features need a DatetimeIndex (got a positional index)")
    freq = freq if freq is not None else (infer_freq(index) if len(index) >= 3 else "D")
    step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq).nanos) if _fixed(freq) else None
    parts: dict[str, np.ndarray] = {}
    if step is not None and step < pd.Timedelta(days=1):
        parts["hour"] = (index.hour + index.minute / 60.0) / 24.0
    if step is None or step < pd.Timedelta(days=7):
        parts["dow"] = index.day_of_week / 7.0
    parts["doy"] = (index.day_of_year - 1) / 365.25
    cols = {}
    for name, phase in parts.items():
        angle = 2 * np.pi * np.asarray(phase, dtype=np.float64)
        cols[f"cal_{name}_sin"] = np.sin(angle)
        cols[f"cal_{name}_cos"] = np.cos(angle)
    return pd.DataFrame(cols, index=index).astype(np.float32)


def _pandas_infer_freq(index: pd.DatetimeIndex) -> str | None:
    """``pd.infer_freq`` without pandas 3's deprecation warning (the option is new in 3.0)."""
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            offset = pd.infer_freq(index)
        return None if offset is None else offset.freqstr
    except (KeyError, pd.errors.OptionError):
        return pd.infer_freq(index)


def _fixed(freq) -> bool:
    try:
        pd.tseries.frequencies.to_offset(freq).nanos  # noqa: B018
    except ValueError:
        return False
    return True


_SEASONS = {"h": 24, "D": 7, "B": 5, "C": 5, "W": 52, "M": 12, "ME": 12, "MS": 12, "BME": 12,
            "BMS": 12, "SME": 24, "SMS": 24, "Q": 4, "QE": 4, "QS": 4, "BQE": 4, "BQS": 4,
            "min": 1440, "T": 1440, "s": 86400, "S": 86400}


def season_length(freq) -> int | None:
    """The usual season of a frequency, the one place it is computed.

    24 for hourly, 7 daily, 5 business (trading) days, 52 weekly, 12 monthly, 4
    quarterly, 1440 per minute, divided by multiples such as ``"2h"`` (12) or
    ``"15min"`` (96); ``None`` when there is no obvious one (yearly, integer steps, a
    multiple that does not divide the cycle).

    Examples
    --------
    >>> season_length("h"), season_length("B"), season_length("2h"), season_length("YE")
    (24, 5, 12, None)
    """
    if freq is None or (isinstance(freq, int | np.integer) and not isinstance(freq, bool)):
        return None
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except (TypeError, ValueError):
        return None
    base = _SEASONS.get(offset.rule_code.split("-")[0])
    if base is None or base % offset.n:
        return None
    period = base // offset.n
    return period if period > 1 else None


def resolve_season(explicit: int | None, freq, default: int | None = 1) -> int | None:
    """The season a forecaster uses: its ``season_length`` argument when given, else the
    fitted frequency's (:func:`season_length`), else ``default``.

    >>> resolve_season(None, "QE"), resolve_season(7, "QE"), resolve_season(None, "YE")
    (4, 7, 1)
    """
    if explicit is not None:
        return int(explicit)
    m = season_length(freq)
    return default if m is None else m


def seasonal_periods(freq) -> tuple[int, ...]:
    """The seasonal cycles of a frequency, shortest first (for multi-seasonal models).

    Hourly data have a daily and a weekly cycle (24, 168), sub-hourly data the same in
    their own steps, daily data a weekly and a yearly one (7, 365), trading days a weekly
    one (5), weekly data a yearly one (52), monthly 12, quarterly 4; ``()`` when there is
    no obvious cycle.

    Examples
    --------
    >>> seasonal_periods("h"), seasonal_periods("15min"), seasonal_periods("B")
    ((24, 168), (96, 672), (5,))
    """
    m = season_length(freq)
    if m is None:
        return ()
    try:
        step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq).nanos)
    except (TypeError, ValueError):
        return (m,)
    if step < pd.Timedelta(days=1):
        return (m, 7 * m)  # daily and weekly
    if step == pd.Timedelta(days=1) and m == 7:
        return (7, 365)
    return (m,)
