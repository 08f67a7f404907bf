"""The simple baselines: naive, seasonal naive, drift and mean.

They are local and univariate (each target column on its own) and have nothing to learn:
a forecast from origin ``t`` reads only ``values[:t]``, so backtests are exact
rolling-origin forecasts, computed for all origins at once with NumPy (prefix sums, no
Python loop over origins). With ``quantiles`` they add Gaussian prediction intervals whose
width comes from the in-sample residuals of the history before each origin (Hyndman &
Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., section 5.5); the 0.5
quantile is the point forecast.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import norm

from ..constraints import check_int
from ..data import Layout, SeriesData
from ..data.timeindex import resolve_season
from .base import BaseForecaster, FallbackWarning, check_quantiles
from .params import Param
from .registry import register

__all__ = [
    "DriftForecaster",
    "MeanForecaster",
    "NaiveForecaster",
    "SeasonalNaiveForecaster",
    "drift_forecast",
    "gaussian_quantiles",
    "mean_forecast",
    "naive_forecast",
    "seasonal_naive_forecast",
]

QUANTILES = Param("quantiles", None, "quantiles (e.g. ``(0.1, 0.9)``): Gaussian intervals "
                  "from the residuals of the history before each origin; the median (the "
                  "point forecast) is always added.")

# -- vectorised point forecasts and residual standard deviations ---------------------------
# ``y`` is ``[N, T]`` float64, ``origins`` ``[n]`` int (``y[:origin]`` is the history);
# each returns ``point [n, H, T]`` and ``sd [n, H, T]`` (``None`` unless asked for).


def _prefix(x: np.ndarray) -> np.ndarray:
    """Prefix sums with a leading zero row: ``out[k] = x[:k].sum(0)``."""
    return np.concatenate([np.zeros((1, *x.shape[1:])), np.cumsum(x, axis=0)])


def _sigma(sum_sq: np.ndarray, dof: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(np.maximum(sum_sq, 0.0) / dof[:, None])


def naive_forecast(y: np.ndarray, origins: np.ndarray, horizon: int, sd: bool = False):
    """Last value repeated; ``sd_h = sigma * sqrt(h)`` from the one-step differences."""
    last = y[origins - 1]
    point = np.repeat(last[:, None, :], horizon, axis=1)
    if not sd:
        return point, None
    k = origins - 1  # residuals available before each origin
    sigma = _sigma(_prefix(np.diff(y, axis=0) ** 2)[k], k)
    return point, sigma[:, None, :] * np.sqrt(np.arange(1, horizon + 1))[None, :, None]


def seasonal_naive_forecast(
    y: np.ndarray, origins: np.ndarray, horizon: int, season: int, sd: bool = False
):
    """Value one season back; ``sd_h = sigma * sqrt(floor((h - 1) / m) + 1)``."""
    steps = np.arange(horizon)
    point = y[origins[:, None] - season + (steps % season)[None, :]]
    if not sd:
        return point, None
    k = origins - season
    sigma = _sigma(_prefix((y[season:] - y[:-season]) ** 2)[k], k)
    return point, sigma[:, None, :] * np.sqrt(steps // season + 1)[None, :, None]


def drift_forecast(y: np.ndarray, origins: np.ndarray, horizon: int, sd: bool = False):
    """``last + h * (last - first) / (n - 1)``; ``sd_h = sigma * sqrt(h (1 + h / (n - 1)))``."""
    k = origins - 1  # n - 1
    last = y[origins - 1]
    slope = (last - y[0]) / k[:, None]
    h = np.arange(1, horizon + 1)[None, :, None]
    point = last[:, None, :] + h * slope[:, None, :]
    if not sd:
        return point, None
    # residuals are the differences minus their mean (the slope), ddof 1
    sum_sq = _prefix(np.diff(y, axis=0) ** 2)[k] - k[:, None] * slope**2
    sigma = _sigma(sum_sq, k - 1)
    return point, sigma[:, None, :] * np.sqrt(h * (1 + h / k[:, None, None]))


def mean_forecast(
    y: np.ndarray, origins: np.ndarray, horizon: int, window: int | None, sd: bool = False
):
    """Mean of the last ``window`` values (all history when None); ``sd = s * sqrt(1 + 1/k)``."""
    c = y - y[0]  # shifted: prefix sums of squares without cancellation
    k = np.full(len(origins), window, dtype=np.int64) if window else origins.astype(np.int64)
    lo = origins - k
    cs = _prefix(c)
    s1 = cs[origins] - cs[lo]
    mean = s1 / k[:, None]
    point = np.repeat((mean + y[0])[:, None, :], horizon, axis=1)
    if not sd:
        return point, None
    cs2 = _prefix(c**2)
    sum_sq = cs2[origins] - cs2[lo] - s1 * mean
    sigma = _sigma(sum_sq, k - 1) * np.sqrt(1 + 1 / k)[:, None]
    return point, np.repeat(sigma[:, None, :], horizon, axis=1)


def gaussian_quantiles(point: np.ndarray, sd: np.ndarray | None, quantiles) -> np.ndarray:
    """``point`` plus ``sd * z_q`` along a new last axis (``z_0.5 = 0``: the median is the point)."""
    if quantiles is None:
        return point
    z = norm.ppf(np.asarray(quantiles, dtype=np.float64))
    return point[..., None] + sd[..., None] * z


# -- the forecasters -----------------------------------------------------------------------------


class _SimpleBaseline(BaseForecaster):
    """Local univariate baselines with nothing to learn (vectorised over origins)."""

    tags = {"scope": "local", "quantiles": True, "family": "baseline"}
    params = (QUANTILES,)

    def _check_params(self) -> None:
        super()._check_params()
        check_quantiles(self.quantiles)

    @property
    def min_fit_rows(self) -> int:
        return self.min_history  # nothing is learned: fit stores what a forecast needs

    @property
    def _q_extra(self) -> int:
        """Extra history rows needed to estimate the residual spread for quantiles."""
        return 0 if self.quantiles is None else 1

    def _fit(self, layout: Layout, series: list[SeriesData]) -> None:
        self.quantiles_ = check_quantiles(self.quantiles)

    def _set_state(self, state: dict, arrays: dict) -> None:
        self.quantiles_ = check_quantiles(self.quantiles)

    def _point_sd(self, y: np.ndarray, origins: np.ndarray, sd: bool):
        raise NotImplementedError

    def _forecast(self, values: np.ndarray, sid: str, origins: np.ndarray) -> np.ndarray:
        y = np.asarray(values[: int(origins.max()), : self.layout_.n_targets], dtype=np.float64)
        origins = np.asarray(origins, dtype=np.int64)
        point, sd = self._point_sd(y, origins, self.quantiles_ is not None)
        return gaussian_quantiles(point, sd, self.quantiles_)


@register("naive")
class NaiveForecaster(_SimpleBaseline):
    """Naive forecast: the last observed value for every step (the random walk).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 3.0, 2.0]}, index=pd.date_range("2024", periods=3))
    >>> NaiveForecaster(horizon=2).fit(df).predict()["y"].tolist()
    [2.0, 2.0]
    """

    @property
    def min_history(self) -> int:
        return 1 + self._q_extra

    def _point_sd(self, y, origins, sd):
        return naive_forecast(y, origins, self.horizon, sd)


@register("seasonal_naive")
class SeasonalNaiveForecaster(_SimpleBaseline):
    """Seasonal naive forecast: the value one season earlier (``y[t + h - m * k]``).

    A history shorter than one full season (one more row with ``quantiles``) gets the
    naive forecast instead: the other series keep theirs, a
    :class:`~.base.FallbackWarning` names the series too short at fit and
    ``fallbacks_`` records them (by series id).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0]},
    ...                   index=pd.date_range("2024", periods=5))
    >>> SeasonalNaiveForecaster(season_length=2, horizon=3).fit(df).predict()["y"].tolist()
    [4.0, 5.0, 4.0]
    """

    params = (
        Param("season_length", None, "the season ``m`` in steps; ``None`` infers it from the "
              "frequency at fit (24 hourly, 7 daily, 5 business days, 52 weekly, 12 monthly, "
              "4 quarterly), an error when there is no obvious one."),
        QUANTILES,
    )

    def _check_params(self) -> None:
        super()._check_params()
        check_int("season_length", self.season_length, 1, allow_none=True)

    @property
    def season_length_(self) -> int:
        """The season used: ``season_length``, or the one of the fitted frequency."""
        m = resolve_season(self.season_length, getattr(self, "freq_", None), default=None)
        if m is None:
            raise ValueError(
                f"cannot infer season_length from the frequency {getattr(self, 'freq_', None)!r}; "
                "pass season_length="
            )
        return m

    @property
    def min_history(self) -> int:
        return 1 + self._q_extra  # the naive forecast's: a shorter season falls back to it

    @property
    def _seasonal_rows(self) -> int:
        """The history a seasonal forecast needs: a full season (and one more row for the
        spread of the quantiles)."""
        return self.season_length_ + self._q_extra

    def _fit(self, layout: Layout, series: list[SeriesData]) -> None:
        super()._fit(layout, series)
        self._record_fallbacks(series, warn=True)

    def _set_state(self, state: dict, arrays: dict) -> None:
        super()._set_state(state, arrays)
        self._record_fallbacks(self.history_, warn=False)  # reported at fit

    def _record_fallbacks(self, series: list[SeriesData], warn: bool) -> None:
        need = self._seasonal_rows
        self.fallbacks_ = {s.id: f"naive forecast: {len(s)} rows, season "
                           f"{self.season_length_} needs {need}"
                           for s in series if len(s) < need}
        if self.fallbacks_ and warn:
            ids = list(self.fallbacks_)
            shown = ", ".join(repr(i) for i in ids[:5]) + (", ..." if len(ids) > 5 else "")
            warnings.warn(
                f"{type(self).__name__}: {len(ids)} of {len(series)} series shorter than "
                f"season {self.season_length_} (fewer than {need} rows) get the naive "
                f"forecast: {shown} (fallbacks_)", FallbackWarning, stacklevel=4)

    def _point_sd(self, y, origins, sd):
        seasonal = origins >= self.season_length_ + sd  # the others: too little history
        if seasonal.all():
            return seasonal_naive_forecast(y, origins, self.horizon, self.season_length_, sd)
        point, spread = naive_forecast(y, origins, self.horizon, sd)
        if seasonal.any():
            p, s = seasonal_naive_forecast(y, origins[seasonal], self.horizon,
                                           self.season_length_, sd)
            point[seasonal] = p
            if sd:
                spread[seasonal] = s
        return point, spread


@register("drift")
class DriftForecaster(_SimpleBaseline):
    """Random walk with drift: ``last + h * (last - first) / (n - 1)`` over the history.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 4.0]}, index=pd.date_range("2024", periods=3))
    >>> DriftForecaster(horizon=2).fit(df).predict()["y"].tolist()
    [5.5, 7.0]
    """

    @property
    def min_history(self) -> int:
        return 2 + self._q_extra

    def _point_sd(self, y, origins, sd):
        return drift_forecast(y, origins, self.horizon, sd)


@register("mean")
class MeanForecaster(_SimpleBaseline):
    """Mean forecast: the mean of the last ``window`` values, or of all history.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 6.0]}, index=pd.date_range("2024", periods=4))
    >>> MeanForecaster(window=2, horizon=2).fit(df).predict()["y"].tolist()
    [4.5, 4.5]
    """

    params = (
        Param("window", None, "number of most recent values to average (the history must hold "
              "that many); ``None`` averages the whole history."),
        QUANTILES,
    )
    history_name = "a window of"

    def _check_params(self) -> None:
        super()._check_params()
        check_int("window", self.window, 1, allow_none=True)
        if self.quantiles is not None and self.window == 1:
            raise ValueError(
                "window must be >= 2 with quantiles (the spread of one value is unknown), "
                f"got window={self.window!r}"
            )

    @property
    def min_history(self) -> int:
        return int(self.window) if self.window else 1 + self._q_extra

    @property
    def history_rows(self) -> int | None:
        return int(self.window) if self.window else None

    def _point_sd(self, y, origins, sd):
        return mean_forecast(y, origins, self.horizon, self.window, sd)
