"""The data schema of a forecaster, declared once: :class:`DataSpec`.

Every forecaster (and the benchmark, when it builds forecasters) describes its input the
same way: which columns are targets, which are past or known-future covariates, how
series and time are identified, how gaps are filled and what the frequency is. A
forecaster builds one ``DataSpec`` from its constructor arguments at ``fit`` (so a refit
always starts from the arguments, never from a previous fit), validates it once, and
turns frames into arrays through :meth:`DataSpec.to_series`.

The names of forecast columns are part of the schema too: :func:`quantile_label`,
:func:`quantile_column`, :func:`interval_label` and :func:`interval_column` are the one
place they are spelled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace

from .frames import FILL_POLICIES, Layout, SeriesData, to_series

__all__ = [
    "NIXTLA_COLUMNS",
    "DataSpec",
    "as_pandas",
    "interval_bound",
    "interval_column",
    "interval_label",
    "quantile_column",
    "quantile_label",
    "quantile_level",
]

#: The long layout the Nixtla libraries share: series id, timestamp, target.
NIXTLA_COLUMNS = ("unique_id", "ds", "y")


def as_pandas(data):
    """``data`` with polars DataFrames (also as dict values) converted to pandas; the one
    place another frame library is accepted (pandas stays the internal format)."""
    if isinstance(data, Mapping):
        return {k: as_pandas(v) for k, v in data.items()}
    if type(data).__module__.split(".")[0] == "polars" and hasattr(data, "to_pandas"):
        return data.to_pandas()
    return data


_QUANTILE_LABEL = re.compile(r"^q(\d*\.?\d+)$")


def quantile_label(q: float) -> str:
    """Column label of quantile ``q`` in backtests (``0.1 -> "q0.1"``).

    Examples
    --------
    >>> quantile_label(0.1), quantile_label(0.5)
    ('q0.1', 'q0.5')
    """
    return f"q{float(q):g}"


def quantile_column(target: str, q: float) -> str:
    """Column of quantile ``q`` of ``target`` in ``predict`` output (``"TEMP_q0.1"``)."""
    return f"{target}_{quantile_label(q)}"


def quantile_level(label: object) -> float | None:
    """The level of a backtest quantile column (``"q0.9" -> 0.9``), else None.

    Examples
    --------
    >>> quantile_level("q0.9"), quantile_level("y_hat")
    (0.9, None)
    """
    match = _QUANTILE_LABEL.match(label) if isinstance(label, str) else None
    if match is None:
        return None
    q = float(match.group(1))
    return q if 0.0 < q < 1.0 else None


def _names(value, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        items = tuple(value)
        bad = [v for v in items if not isinstance(v, str)]
        if bad:
            raise TypeError(f"{field} must hold column names (strings), got {bad[0]!r}")
        return items
    raise TypeError(f"{field} must be a column name or a list of names, got {value!r}")


@dataclass(frozen=True)
class DataSpec:
    """What the columns of the input mean; validated on construction.

    Parameters
    ----------
    target : str or sequence of str, optional
        Target column(s); ``None`` takes every numeric column that is not a covariate.
    past_covariates : str or sequence of str, optional
        Columns observed only up to the forecast origin.
    future_covariates : str or sequence of str, optional
        Columns known in advance (passed to ``predict(future_covariates=)``).
    calendar_features : bool
        Add generated calendar features as known-future covariates.
    id_col : str, optional
        Series id column of a long frame.
    time_col : str, optional
        Time column (default: the index, or the one column of timestamps when the
        index holds none).
    fill_missing : {None, "ffill", "interpolate"}
        ``None`` (NaN is an error), ``"ffill"`` or ``"interpolate"``.
    freq : str or pandas offset, optional
        Frequency for future timestamps; inferred when ``None``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0]}, index=pd.date_range("2024", periods=3))
    >>> layout, series = DataSpec(target="y").to_series(df)
    >>> layout.target, series[0].values.shape
    (('y',), (3, 1))
    """

    target: str | Sequence[str] | None = None
    past_covariates: str | Sequence[str] | None = None
    future_covariates: str | Sequence[str] | None = None
    calendar_features: bool = False
    id_col: str | None = None
    time_col: str | None = None
    fill_missing: str | None = None
    freq: object = None

    def __post_init__(self) -> None:
        for name in ("target", "past_covariates", "future_covariates"):
            _names(getattr(self, name), name)
        for name in ("id_col", "time_col"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be a column name (string) or None, got {value!r}")
        if not isinstance(self.calendar_features, bool):
            raise TypeError(
                f"calendar_features must be True or False, got {self.calendar_features!r}"
            )
        if self.fill_missing not in FILL_POLICIES:
            raise ValueError(
                f"fill_missing must be one of {FILL_POLICIES}, got {self.fill_missing!r}"
            )

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_params(cls, params: Mapping[str, object]) -> DataSpec:
        """The spec of a forecaster's parameters (fields it does not have keep defaults)."""
        return cls(**{k: params[k] for k in cls.field_names() if k in params})

    def resolve(self, data) -> DataSpec:
        """The spec for ``data``: a Nixtla long frame (``unique_id, ds, y``) is read as one
        when no target, id column or time column was given.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"unique_id": ["a"] * 3, "ds": pd.date_range("2024", periods=3),
        ...                    "y": [1.0, 2.0, 3.0]})
        >>> DataSpec().resolve(df).id_col
        'unique_id'
        """
        cols = getattr(data, "columns", ())
        if (self.target is None and self.id_col is None and self.time_col is None
                and set(NIXTLA_COLUMNS) <= set(cols)):
            uid, ds, y = NIXTLA_COLUMNS
            return replace(self, target=y, id_col=uid, time_col=ds)
        return self

    def as_params(self) -> dict[str, object]:
        """The fields as forecaster constructor arguments."""
        return asdict(self)

    @property
    def covariates(self) -> tuple[str, ...]:
        return _names(self.past_covariates, "past_covariates") + _names(
            self.future_covariates, "future_covariates"
        )

    def to_series(
        self, data, layout: Layout | None = None, freq=None
    ) -> tuple[Layout, list[SeriesData]]:
        """Validate ``data`` and return its layout and one float32 array per series.

        With ``layout`` (a fitted model's), the same columns are read and histories are
        filled causally (forward fill only), as every history a forecast is made from
        must be; ``freq`` then is the fitted frequency.
        """
        data = as_pandas(data)
        if layout is None:
            return to_series(
                data, self.target, self.past_covariates, self.future_covariates,
                id_col=self.id_col, time_col=self.time_col, fill_missing=self.fill_missing,
                calendar=self.calendar_features, freq=self.freq,
            )
        return to_series(
            data, list(layout.target), list(layout.past_covariates),
            list(layout.future_covariates), id_col=self.id_col, time_col=self.time_col,
            fill_missing=self.fill_missing, causal=True, calendar=bool(layout.calendar),
            freq=freq if freq is not None else self.freq,
        )


def interval_label(side: str, level: float) -> str:
    """Column label of a prediction-interval bound in backtests (``"lo", 80 -> "lo80"``)."""
    return f"{side}{float(level):g}"


def interval_column(target: str, side: str, level: float) -> str:
    """Column of an interval bound in ``predict`` output (``"TEMP_lo80"``)."""
    return f"{target}_{interval_label(side, level)}"


_INTERVAL_LABEL = re.compile(r"^(lo|hi)(\d*\.?\d+)$")


def interval_bound(label: object) -> tuple[str, float] | None:
    """``("lo", 80.0)`` for a backtest column ``"lo80"``, else None.

    Examples
    --------
    >>> interval_bound("hi95"), interval_bound("y_hat")
    (('hi', 95.0), None)
    """
    match = _INTERVAL_LABEL.match(label) if isinstance(label, str) else None
    if match is None:
        return None
    level = float(match.group(2))
    return (match.group(1), level) if 0.0 < level < 100.0 else None
