"""Frequencies, future timestamps and calendar features.

Windows are built by position, so the calendar is only needed at the edges: to stamp
forecasts with real future timestamps and to generate known-future calendar features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


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


def future_index(index: pd.Index, horizon: int, freq=None) -> pd.Index:
    """The ``horizon`` timestamps after the end of ``index``.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=5, freq="h")
    >>> future_index(idx, 2).tolist()
    [Timestamp('2024-01-01 05:00:00'), Timestamp('2024-01-01 06:00:00')]
    """
    freq = infer_freq(index) if freq is None else freq
    if not isinstance(index, pd.DatetimeIndex):
        step = int(freq)
        return pd.Index(index[-1] + step * np.arange(1, horizon + 1), name=index.name)
    out = pd.date_range(start=index[-1], periods=horizon + 1, freq=freq)[1:]
    return out.rename(index.name)


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
