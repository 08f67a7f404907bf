"""Classical baselines behind the shared forecaster interface.

* :class:`NaiveForecaster` -- repeat the last value (the random walk);
* :class:`SeasonalNaiveForecaster` -- repeat the last season;
* :class:`DriftForecaster` -- random walk with drift (the line through the first and last
  value, extrapolated);
* :class:`MeanForecaster` -- the mean of the last ``window`` values (or all history);
* :class:`LagRegressionForecaster` -- any scikit-learn regressor on lagged targets and
  covariates, direct multi-horizon, global across series by default.

The four simple baselines are local and univariate (each target column on its own) and
have nothing to learn: a forecast from origin ``t`` reads only ``values[:t]``, so
backtests are exact rolling-origin forecasts, computed for all origins at once with
NumPy (prefix sums, no Python loop over origins). With ``quantiles`` they add Gaussian
prediction intervals whose width comes from the in-sample residuals of the history
before each origin (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*,
3rd ed., section 5.5); the 0.5 quantile is the point forecast.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.stats import norm
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.multioutput import MultiOutputRegressor
from sklearn.utils import get_tags

from ..data import Layout, SeriesData, SeriesScaler
from ..data.scaling import SCALERS
from .base import BaseForecaster, check_quantiles

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


# -- parameter checks -----------------------------------------------------------------------


def _is_int(v) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


def _check_int(name: str, value, minimum: int, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not _is_int(value) or value < minimum:
        extra = " or None" if allow_none else ""
        raise ValueError(f"{name} must be an integer >= {minimum}{extra}, got {value!r}")


_SEASONS = {"h": 24, "D": 7, "B": 5, "C": 5, "W": 52, "M": 12, "ME": 12, "MS": 12, "BME": 12,
            "BMS": 12, "SME": 24, "SMS": 24, "Q": 4, "QE": 4, "QS": 4, "BQE": 4, "BQS": 4,
            "min": 1440, "T": 1440}


def season_from_freq(freq) -> int | None:
    """The usual season length of a frequency: 24 for hourly, 7 daily, 5 business days,
    52 weekly, 12 monthly, 4 quarterly, 1440 per minute (divided by multiples such as
    ``"2h"``); None when there is no obvious one (yearly, seconds, integer steps).

    Examples
    --------
    >>> season_from_freq("h"), season_from_freq("B"), season_from_freq("2h")
    (24, 5, 12)
    """
    import pandas as pd

    if freq is None or _is_int(freq):
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


# -- the simple local baselines ----------------------------------------------------------------


class _SimpleBaseline(BaseForecaster):
    """Local univariate baselines without parameters to learn (vectorised over origins)."""

    def _check_params(self) -> None:
        super()._check_params()
        check_quantiles(self.quantiles)

    def _min_fit_rows(self) -> int:
        # nothing is learned: fitting only stores the history a forecast needs
        return self._min_history

    def _fit_need_text(self) -> str:
        return "a forecast from it"

    @property
    def _q_extra(self) -> int:
        """Extra history rows needed to estimate the residual spread for quantiles."""
        return 0 if self.quantiles is None else 1

    def _fit_series(self, layout: Layout, series: list[SeriesData]) -> None:
        self.quantiles_ = check_quantiles(self.quantiles)
        self.n_series_ = len(series)

    def _load_extra(self, path: Path, state: dict) -> None:
        self.quantiles_ = check_quantiles(self.quantiles)
        self.n_series_ = len(self.history_)

    def _point_sd(self, y: np.ndarray, origins: np.ndarray, sd: bool):
        raise NotImplementedError

    def _forecast(self, values: np.ndarray, sid: str, origins: np.ndarray) -> np.ndarray:
        y = np.asarray(values[: int(origins.max()), : self.layout_.n_targets], dtype=np.float64)
        point, sd = self._point_sd(y, np.asarray(origins, dtype=np.int64), self.quantiles_ is not None)
        return gaussian_quantiles(point, sd, self.quantiles_)


class NaiveForecaster(_SimpleBaseline):
    """Naive forecast: the last observed value for every step (the random walk).

    Parameters
    ----------
    horizon : steps to forecast (default 24).
    quantiles : optional quantiles (e.g. ``(0.1, 0.9)``): Gaussian prediction intervals from
        the residuals of the history before each origin; the median (the point forecast) is
        always added.
    target : target column(s); ``None`` takes every numeric column. Each target column is
        forecast on its own.
    id_col, time_col : long-format series id column and time column.
    fill_missing : ``None`` (NaN is an error), ``"ffill"`` or ``"interpolate"``.
    freq : frequency for future timestamps; inferred when ``None``.
    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 3.0, 2.0]}, index=pd.date_range("2024", periods=3))
    >>> NaiveForecaster(horizon=2).fit(df).predict()["y"].tolist()
    [2.0, 2.0]
    """

    def __init__(
        self,
        horizon: int = 24,
        quantiles=None,
        target=None,
        id_col: str | None = None,
        time_col: str | None = None,
        fill_missing: str | None = None,
        freq=None,
    ):
        self.horizon = horizon
        self.quantiles = quantiles
        self.target = target
        self.id_col = id_col
        self.time_col = time_col
        self.fill_missing = fill_missing
        self.freq = freq

    @property
    def _min_history(self) -> int:
        return 1 + self._q_extra

    def _point_sd(self, y, origins, sd):
        return naive_forecast(y, origins, self.horizon, sd)


class SeasonalNaiveForecaster(_SimpleBaseline):
    """Seasonal naive forecast: the value one season earlier (``y[t + h - m * k]``).

    Parameters
    ----------
    season_length : the season ``m`` in steps; ``None`` infers it from the frequency at fit
        (24 hourly, 7 daily, 5 business days, 52 weekly, 12 monthly, 4 quarterly; see
        :func:`season_from_freq`), an error when there is no obvious one. The history must
        hold at least one full season (one more row with ``quantiles``).
    horizon : steps to forecast (default 24).
    quantiles : optional quantiles (e.g. ``(0.1, 0.9)``): Gaussian prediction intervals from
        the residuals of the history before each origin; the median (the point forecast) is
        always added.
    target : target column(s); ``None`` takes every numeric column. Each target column is
        forecast on its own.
    id_col, time_col : long-format series id column and time column.
    fill_missing : ``None`` (NaN is an error), ``"ffill"`` or ``"interpolate"``.
    freq : frequency for future timestamps; inferred when ``None``.
    Attributes
    ----------
    season_length_ : the season length used.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0]},
    ...                   index=pd.date_range("2024", periods=5))
    >>> SeasonalNaiveForecaster(season_length=2, horizon=3).fit(df).predict()["y"].tolist()
    [4.0, 5.0, 4.0]
    """

    def __init__(
        self,
        season_length: int | None = None,
        horizon: int = 24,
        quantiles=None,
        target=None,
        id_col: str | None = None,
        time_col: str | None = None,
        fill_missing: str | None = None,
        freq=None,
    ):
        self.season_length = season_length
        self.horizon = horizon
        self.quantiles = quantiles
        self.target = target
        self.id_col = id_col
        self.time_col = time_col
        self.fill_missing = fill_missing
        self.freq = freq

    def _check_params(self) -> None:
        super()._check_params()
        _check_int("season_length", self.season_length, 1, allow_none=True)

    def fit(self, data, y=None):
        """Validate ``data``, infer the season length when not given; returns self."""
        self.__dict__.pop("season_length_", None)  # a refit infers it again
        return super().fit(data, y)

    @property
    def _season(self) -> int | None:
        if self.season_length is not None:
            return int(self.season_length)
        return getattr(self, "season_length_", None)

    @property
    def _min_history(self) -> int:
        return (self._season or 1) + self._q_extra

    def _check_length(self, series: list[SeriesData], need: int, what: str) -> None:
        m = self._season
        if m is not None:
            for s in series:
                if len(s) < m + self._q_extra:
                    extra = " plus one row for the quantiles" if self._q_extra else ""
                    raise ValueError(
                        f"season_length {m} is larger than the history of series {s.id!r} "
                        f"({len(s)} rows): it needs at least one full season{extra} "
                        f"({m + self._q_extra} rows)"
                    )
        super()._check_length(series, need, what)

    def _fit_series(self, layout: Layout, series: list[SeriesData]) -> None:
        super()._fit_series(layout, series)
        if self.season_length is None:
            m = season_from_freq(self.freq_)
            if m is None:
                raise ValueError(
                    f"cannot infer season_length from the frequency {self.freq_!r}; "
                    "pass season_length="
                )
            self.season_length_ = m
            self._check_length(series, m, "season_length")
        else:
            self.season_length_ = int(self.season_length)

    def _point_sd(self, y, origins, sd):
        return seasonal_naive_forecast(y, origins, self.horizon, self.season_length_, sd)

    def _extra_state(self) -> dict:
        return {"season_length": self.season_length_}

    def _load_extra(self, path: Path, state: dict) -> None:
        super()._load_extra(path, state)
        self.season_length_ = int(state["season_length"])


class DriftForecaster(_SimpleBaseline):
    """Random walk with drift: ``last + h * (last - first) / (n - 1)`` over the history.

    Parameters
    ----------
    horizon : steps to forecast (default 24).
    quantiles : optional quantiles (e.g. ``(0.1, 0.9)``): Gaussian prediction intervals from
        the residuals of the history before each origin; the median (the point forecast) is
        always added.
    target : target column(s); ``None`` takes every numeric column. Each target column is
        forecast on its own.
    id_col, time_col : long-format series id column and time column.
    fill_missing : ``None`` (NaN is an error), ``"ffill"`` or ``"interpolate"``.
    freq : frequency for future timestamps; inferred when ``None``.
    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 4.0]}, index=pd.date_range("2024", periods=3))
    >>> DriftForecaster(horizon=2).fit(df).predict()["y"].tolist()
    [5.5, 7.0]
    """

    def __init__(
        self,
        horizon: int = 24,
        quantiles=None,
        target=None,
        id_col: str | None = None,
        time_col: str | None = None,
        fill_missing: str | None = None,
        freq=None,
    ):
        self.horizon = horizon
        self.quantiles = quantiles
        self.target = target
        self.id_col = id_col
        self.time_col = time_col
        self.fill_missing = fill_missing
        self.freq = freq

    @property
    def _min_history(self) -> int:
        return 2 + self._q_extra

    def _point_sd(self, y, origins, sd):
        return drift_forecast(y, origins, self.horizon, sd)


class MeanForecaster(_SimpleBaseline):
    """Mean forecast: the mean of the last ``window`` values, or of all history.

    Parameters
    ----------
    window : number of most recent values to average (the history must hold that many);
        ``None`` averages the whole history.
    horizon : steps to forecast (default 24).
    quantiles : optional quantiles (e.g. ``(0.1, 0.9)``): Gaussian prediction intervals from
        the residuals of the history before each origin; the median (the point forecast) is
        always added.
    target : target column(s); ``None`` takes every numeric column. Each target column is
        forecast on its own.
    id_col, time_col : long-format series id column and time column.
    fill_missing : ``None`` (NaN is an error), ``"ffill"`` or ``"interpolate"``.
    freq : frequency for future timestamps; inferred when ``None``.
    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 6.0]}, index=pd.date_range("2024", periods=4))
    >>> MeanForecaster(window=2, horizon=2).fit(df).predict()["y"].tolist()
    [4.5, 4.5]
    """

    def __init__(
        self,
        window: int | None = None,
        horizon: int = 24,
        quantiles=None,
        target=None,
        id_col: str | None = None,
        time_col: str | None = None,
        fill_missing: str | None = None,
        freq=None,
    ):
        self.window = window
        self.horizon = horizon
        self.quantiles = quantiles
        self.target = target
        self.id_col = id_col
        self.time_col = time_col
        self.fill_missing = fill_missing
        self.freq = freq

    def _check_params(self) -> None:
        super()._check_params()
        _check_int("window", self.window, 1, allow_none=True)
        if self.quantiles is not None and self.window == 1:
            raise ValueError(
                "window must be >= 2 with quantiles (the spread of one value is unknown), "
                f"got window={self.window!r}"
            )

    @property
    def _min_history(self) -> int:
        return int(self.window) if self.window else 1 + self._q_extra

    def _history_rows(self) -> int | None:
        return int(self.window) if self.window else None

    def _fit_need_text(self) -> str:
        return f"window {self.window}" if self.window else "a forecast from it"

    def _point_sd(self, y, origins, sd):
        return mean_forecast(y, origins, self.horizon, self.window, sd)


# -- lag regression ----------------------------------------------------------------------------


def _lag_array(lags) -> np.ndarray:
    if _is_int(lags):
        if lags < 1:
            raise ValueError(f"lags must be an integer >= 1 or a list of them, got {lags!r}")
        return np.arange(1, int(lags) + 1, dtype=np.int64)
    if isinstance(lags, str) or not isinstance(lags, Sequence | np.ndarray) or len(lags) == 0:
        raise ValueError(f"lags must be an integer >= 1 or a list of them, got {lags!r}")
    if not all(_is_int(v) and v >= 1 for v in lags):
        raise ValueError(f"lags must be integers >= 1, got {lags!r}")
    return np.unique(np.asarray(lags, dtype=np.int64))


def _multi_output(regressor) -> bool:
    try:
        return bool(get_tags(regressor).target_tags.multi_output)
    except Exception:  # an estimator without scikit-learn tags: assume single-output
        return False


class LagRegressionForecaster(BaseForecaster):
    """A scikit-learn regressor on lagged targets and covariates, direct multi-horizon.

    For a forecast origin ``t`` the features are the targets and past covariates at
    ``t - l`` for each lag ``l`` plus the known-future covariates (and calendar features)
    at every target step ``t .. t + horizon - 1``; one multi-output regressor predicts all
    ``horizon x n_targets`` values at once (a regressor without native multi-output support
    is wrapped in :class:`~sklearn.multioutput.MultiOutputRegressor`). Every column is
    standardised per series with statistics from that series' training rows only.

    Parameters
    ----------
    horizon : steps to forecast (default 24).
    lags : number of lags (``24`` means lags 1..24) or an explicit list of lags.
    regressor : a scikit-learn regressor (cloned at fit, never modified); ``None``:
        ``Ridge(alpha=1.0)``. Only ``None`` or a ``Ridge`` can be saved (its parameters go
        to JSON and it is refitted on load: no pickles).
    global_model : one regressor over the windows of all series (default) or one per
        series.
    relative : learn the change from the last observed target value (the target lags are
        also taken relative to it), which makes the model level-invariant like NLinear;
        ``False`` learns levels.
    scaler : per-series scaler fitted on the training rows: ``"standard"`` (default),
        ``"robust"`` or ``"none"``.
    quantiles : optional quantiles: Gaussian intervals from the in-sample residual spread
        of each step and target; the median is the point forecast.
    target, past_covariates, future_covariates : column names; future covariates must
        be passed to ``predict(future_covariates=...)``.
    calendar_features : add generated calendar features as known-future covariates.
    id_col, time_col, fill_missing, freq : see :class:`NaiveForecaster`.
    n_jobs : jobs for :class:`~sklearn.multioutput.MultiOutputRegressor` when used.

    Attributes
    ----------
    regressor_ : the fitted regressor (``global_model=True``) or ``regressors_`` : dict of
        them by series id.
    scaler_ : the per-series :class:`~tsforecast.data.SeriesScaler`.
    n_windows_ : training windows used.

    Examples
    --------
    >>> import tsforecast as tsf
    >>> df = tsf.datasets.load_stocks(source="bundled")
    >>> f = LagRegressionForecaster(horizon=5, lags=10, target="close", id_col="ticker")
    >>> f.fit(df).predict().shape
    (25, 2)
    """

    _global = True

    def __init__(
        self,
        horizon: int = 24,
        lags=24,
        regressor=None,
        global_model: bool = True,
        relative: bool = True,
        scaler: str = "standard",
        quantiles=None,
        target=None,
        past_covariates=None,
        future_covariates=None,
        calendar_features: bool = False,
        id_col: str | None = None,
        time_col: str | None = None,
        fill_missing: str | None = None,
        freq=None,
        n_jobs: int | None = 1,
    ):
        self.horizon = horizon
        self.lags = lags
        self.regressor = regressor
        self.global_model = global_model
        self.relative = relative
        self.scaler = scaler
        self.quantiles = quantiles
        self.target = target
        self.past_covariates = past_covariates
        self.future_covariates = future_covariates
        self.calendar_features = calendar_features
        self.id_col = id_col
        self.time_col = time_col
        self.fill_missing = fill_missing
        self.freq = freq
        self.n_jobs = n_jobs

    # -- validation ------------------------------------------------------------------------
    def _check_params(self) -> None:
        super()._check_params()
        _lag_array(self.lags)
        check_quantiles(self.quantiles)
        if self.regressor is not None and not (
            hasattr(self.regressor, "fit") and hasattr(self.regressor, "predict")
        ):
            raise ValueError(
                f"regressor must be a scikit-learn regressor (with fit and predict) or None, "
                f"got {self.regressor!r}"
            )
        for name in ("global_model", "relative", "calendar_features"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.scaler not in SCALERS:
            raise ValueError(f"scaler must be one of {SCALERS}, got {self.scaler!r}")

    @property
    def _max_lag(self) -> int:
        return int(_lag_array(self.lags).max())

    @property
    def _min_history(self) -> int:
        return self._max_lag

    def _fit_need_text(self) -> str:
        return f"the largest lag {self._max_lag} + horizon {self.horizon}"

    # -- features --------------------------------------------------------------------------
    def _design(self, x: np.ndarray, origins: np.ndarray) -> np.ndarray:
        """Feature rows ``[n, F]`` for forecasts from ``origins`` on scaled values ``x``."""
        lay = self.layout_
        T, n_hist = lay.n_targets, lay.n_inputs - lay.n_future
        hist = x[origins[:, None] - self.lags_[None, :], :n_hist]  # [n, L, T + P]
        if self.relative:
            hist = hist.copy()
            hist[..., :T] -= x[origins - 1, None, :T]
        parts = [hist.reshape(len(origins), -1)]
        if lay.n_future:
            fut = x[origins[:, None] + np.arange(self.horizon)[None, :], n_hist:]  # [n, H, F]
            parts.append(fut.reshape(len(origins), -1))
        return np.concatenate(parts, axis=1)

    def _targets(self, x: np.ndarray, origins: np.ndarray) -> np.ndarray:
        T = self.layout_.n_targets
        y = x[origins[:, None] + np.arange(self.horizon)[None, :], :T]  # [n, H, T]
        if self.relative:
            y = y - x[origins - 1, None, :T]
        return y.reshape(len(origins), -1)

    def _scaled(self, values: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return (np.asarray(values, dtype=np.float64) - loc) / scale

    def _train_rows(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        origins = np.arange(self._max_lag, len(x) - self.horizon + 1, dtype=np.int64)
        return self._design(x, origins), self._targets(x, origins)

    def _new_regressor(self):
        reg = Ridge(alpha=1.0) if self.regressor is None else clone(self.regressor)
        if not _multi_output(reg):
            reg = MultiOutputRegressor(reg, n_jobs=self.n_jobs)
        return reg

    def _fit_regressor(self, X: np.ndarray, Y: np.ndarray):
        reg = self._new_regressor().fit(X, Y)
        resid = Y - np.asarray(reg.predict(X)).reshape(Y.shape)
        sd = np.sqrt(np.mean(resid**2, axis=0)) if self.quantiles_ is not None else None
        return reg, sd

    # -- fit / forecast --------------------------------------------------------------------
    def _fit_series(self, layout: Layout, series: list[SeriesData]) -> None:
        self.lags_ = _lag_array(self.lags)
        self.quantiles_ = check_quantiles(self.quantiles)
        self.scaler_ = SeriesScaler(self.scaler).fit(
            [s.id for s in series], [s.values for s in series], [len(s) for s in series]
        )
        blocks = []
        for s in series:
            loc, scale = self.scaler_.params(s.id)
            blocks.append(self._train_rows(self._scaled(s.values, loc, scale)))
        self.n_windows_ = int(sum(len(X) for X, _ in blocks))
        if self.global_model:
            X = np.concatenate([b[0] for b in blocks])
            Y = np.concatenate([b[1] for b in blocks])
            self.regressor_, self.resid_sd_ = self._fit_regressor(X, Y)
        else:
            self.regressors_, self.resid_sds_ = {}, {}
            for s, (X, Y) in zip(series, blocks, strict=True):
                self.regressors_[s.id], self.resid_sds_[s.id] = self._fit_regressor(X, Y)

    def _only_one(self) -> bool:
        return not self.multi_series_ and len(self.scaler_.loc_) == 1

    def _forecast(self, values: np.ndarray, sid: str, origins: np.ndarray) -> np.ndarray:
        first = int(origins.min())
        loc, scale = self.scaler_.params_or_fit(
            sid, values, first, reuse_single=not self.multi_series_
        )
        loc, scale = np.asarray(loc, np.float64), np.asarray(scale, np.float64)
        x = self._scaled(values, loc, scale)
        if self.global_model:
            reg, sd = self.regressor_, self.resid_sd_
        elif sid in self.regressors_ or self._only_one():
            key = sid if sid in self.regressors_ else next(iter(self.regressors_))
            reg, sd = self.regressors_[key], self.resid_sds_[key]
        else:  # local model for a new series: fit on the fly on its history before the origins
            if first < self._max_lag + self.horizon:
                raise ValueError(
                    f"series {sid!r} was not seen at fit and has {first} rows before the first "
                    f"origin; a local model needs the largest lag {self._max_lag} + horizon "
                    f"{self.horizon} rows to be fitted on the fly"
                )
            reg, sd = self._fit_regressor(*self._train_rows(x[:first]))
        T, H = self.layout_.n_targets, self.horizon
        pred = np.asarray(reg.predict(self._design(x, origins))).reshape(len(origins), H, T)
        if self.relative:
            pred = pred + x[origins - 1, None, :T]
        if self.quantiles_ is not None:
            pred = gaussian_quantiles(pred, np.broadcast_to(sd.reshape(H, T), pred.shape),
                                      self.quantiles_)
            return pred * scale[:T, None] + loc[:T, None]
        return pred * scale[:T] + loc[:T]

    # -- persistence -----------------------------------------------------------------------
    def save(self, path) -> None:
        """Save like every forecaster; the regressor is stored as ``Ridge`` parameters in
        JSON and refitted on the saved history at load (identical predictions).

        Raises
        ------
        ValueError
            When ``regressor`` is neither None nor a ``Ridge`` (no pickles are written).
        """
        self._check_fitted()
        reg = self.regressor
        if reg is not None and type(reg) is not Ridge:
            raise ValueError(
                f"cannot save a LagRegressionForecaster with regressor {reg!r}: only None or "
                "sklearn.linear_model.Ridge can be saved (its parameters are stored as JSON and "
                "it is refitted on load; tsforecast writes no pickles)"
            )
        shallow = copy.copy(self)
        shallow.regressor = None
        shallow._ridge_params = None if reg is None else reg.get_params()
        BaseForecaster.save(shallow, path)

    def _extra_state(self) -> dict:
        return {"ridge_params": getattr(self, "_ridge_params", None)}

    def _load_extra(self, path: Path, state: dict) -> None:
        params = state.get("ridge_params")
        if params is not None:
            self.regressor = Ridge(**params)
        self._fit_series(self.layout_, self.history_)


__all__ = [
    "DriftForecaster",
    "LagRegressionForecaster",
    "MeanForecaster",
    "NaiveForecaster",
    "SeasonalNaiveForecaster",
    "drift_forecast",
    "gaussian_quantiles",
    "mean_forecast",
    "naive_forecast",
    "season_from_freq",
    "seasonal_naive_forecast",
]
