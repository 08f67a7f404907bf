"""Statistical models on statsforecast: AutoARIMA, AutoETS, AutoTheta and MSTL.

All four are local univariate models: one model per series and target column, fitted on
at most the ``max_train_size`` most recent rows. Their season comes from the data's
frequency unless given (hourly 24, daily 7, trading days 5, monthly 12, quarterly 4;
MSTL takes every cycle: hourly 24 and 168).

Backtests do not refit by default: the fitted model is run forward over the newer rows
(statsforecast's ``forward``: the fitted parameters applied to the history before each
origin, which is all a forecast from that origin reads). ``refit_every=k`` fits again on
the rows before every k-th origin, except where those rows are exactly the rows fitted
(the refit would be the same model; this is why ``predict()`` after ``fit`` never refits).

A series whose fitted rows do not hold two full seasons gets the non-seasonal model
(season 1; MSTL: the cycles it holds twice, AutoETS alone if none), and a model that
fails to fit a series (degenerate) falls back to the seasonal naive forecast (naive
without a season); either way the other series keep their models, a
:class:`~.base.FallbackWarning` says so and ``fallbacks_`` records what each such
series got (by series id; by ``(id, target)`` with several targets).
Saving writes JSON and ``.npz`` only: loading refits on the saved history (exactly the
rows fitted, and the fits are deterministic), so predictions are identical.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np

from ..constraints import Check, Interval, check_int, check_param
from ..data import Layout, SeriesData
from ..data.timeindex import resolve_season, seasonal_periods
from .base import BaseForecaster, FallbackWarning, check_quantiles
from .conformal import CALIBRATION_ORIGINS
from .naive import QUANTILES, gaussian_quantiles, naive_forecast, seasonal_naive_forecast
from .params import Param
from .registry import register

__all__ = ["ARIMAForecaster", "ETSForecaster", "MSTLForecaster", "ThetaForecaster"]

SEASON = Param("season_length", None, "season in steps; None: from the data's frequency "
               "(hourly 24, daily 7, trading days 5, monthly 12, quarterly 4; 1 if none).")
COMMON = (
    Param("max_train_size", 1000, "fit on at most this many most recent rows (None: all)."),
    Param("refit_every", None, "None: backtests run the fitted model forward; k: refit "
          "before every k-th backtest origin."),
    QUANTILES,
)


def _levels(quantiles) -> list[float]:
    """statsforecast interval levels whose bounds are ``quantiles`` (0.1, 0.9 -> 80)."""
    return sorted({round(100 * (1 - 2 * min(q, 1 - q)), 10) for q in quantiles if q != 0.5})


def _bound(out: dict, q: float) -> np.ndarray:
    level = round(100 * (1 - 2 * min(q, 1 - q)), 10)
    side = "lo" if q < 0.5 else "hi"
    key = next(k for k in out if k.startswith(f"{side}-") and float(k[3:]) == level)
    return np.asarray(out[key], dtype=np.float64)


class _StatsForecastModel(BaseForecaster):
    """Shared machinery: one statsforecast model per series and target."""

    #: calibration_origins: one forward run per origin
    tags = {"scope": "local", "quantiles": True, "family": "statistical",
            "calibration_origins": CALIBRATION_ORIGINS}

    def _check_params(self) -> None:
        super()._check_params()
        check_quantiles(self.quantiles)
        check_int("max_train_size", self.max_train_size, 10, allow_none=True)
        check_int("refit_every", self.refit_every, 1, allow_none=True)
        if getattr(self, "season_length", None) is not None:
            check_int("season_length", self.season_length, 1)

    # -- what a subclass provides ----------------------------------------------------------
    def _new_model(self, seasons: tuple[int, ...]):
        """An unfitted statsforecast model with these seasonal cycles (none: non-seasonal)."""
        raise NotImplementedError

    def _seasons_for(self, rows: int | float) -> tuple[int, ...]:
        """The cycles a series of ``rows`` fitted rows is given: the season when the rows
        hold it twice (statsforecast's own rule for a seasonal Theta or ARIMA), else none."""
        m = self.season_length_
        return (m,) if m > 1 and rows >= 2 * m else ()

    def _season_text(self, seasons: tuple[int, ...]) -> str:
        return f"season {seasons[0] if seasons else 1}"

    @property
    def season_length_(self) -> int:
        return resolve_season(getattr(self, "season_length", None), getattr(self, "freq_", None))

    #: The fewest rows fitted: statsforecast chooses among the models a short series allows
    #: (AutoETS from 7 rows, AutoTheta from 4, seasonal models from two seasons); where it
    #: fails, the seasonal naive forecast stands in and the fallback is recorded.
    MIN_ROWS = 3
    #: What a series too short for the season gets (the warning's words).
    SHORT = "the non-seasonal model (season 1)"

    @property
    def min_history(self) -> int:
        return self.MIN_ROWS

    @property
    def min_fit_rows(self) -> int:
        return self.min_history  # fitting needs no rows beyond what a forecast needs

    @property
    def history_rows(self) -> int | None:
        return self.max_train_size  # the rows fitted: a load refits on exactly them

    def _like(self, fitted, seasons: tuple[int, ...]):
        """An unfitted model of the kind ``fitted`` chose (fitted on all rows; seasons
        ``seasons``), for the calibration copy to refit, or ``None``: search as usual."""
        return None

    # -- fit -------------------------------------------------------------------------------
    def _fit_one(self, y: np.ndarray, like=None):
        """``(model, point, None)``: the fitted model and its point forecast from the end of
        ``y`` (what :meth:`_one` returns for this history), or ``(None, None, why)`` when
        fitting failed. ``like``: a model fitted on all rows whose choice to refit
        (:meth:`_like`)."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                seasons = self._seasons_for(len(y))
                new = None if like is None else self._like(like, seasons)
                model = (new if new is not None else self._new_model(seasons)).fit(y)
                out = np.asarray(model.forward(y=y, h=self.horizon)["mean"], np.float64)
            if not np.all(np.isfinite(out)):
                return None, None, "non-finite forecasts"
            return model, out, None
        except Exception as exc:  # noqa: BLE001 - any failure: the recorded fallback
            return None, None, f"{type(exc).__name__}: {exc}"

    def _fit(self, layout: Layout, series: list[SeriesData]) -> None:
        self.quantiles_ = check_quantiles(self.quantiles)
        W = self.max_train_size
        tasks = [(s, t) for s in series for t in range(layout.n_targets)]
        # one series and target after another: where the work runs (chunks of series on
        # processes or Ray) is the benchmark engine's business, not the model's
        # a calibration copy refits the choice of the model fitted on all rows (_like)
        full, nothing = getattr(self, "full_fit_", None), [None] * layout.n_targets
        rows = [np.asarray(s.values[-W if W else 0 :, t], np.float64) for s, t in tasks]
        fits = ([self._fit_one(y) for y in rows] if full is None else
                [self._fit_one(y, full.models_.get(s.id, nothing)[t])
                 for y, (s, t) in zip(rows, tasks, strict=True)])
        self.models_, self.fallbacks_ = {}, {}
        # point forecasts from the end of the fitted rows, computed with the fit: a holdout
        # forecasts from exactly there
        self.fit_points_: dict[str, list] = {}
        self.fitted_rows_ = {
            s.id: np.asarray(s.values[-W if W else 0 :, : layout.n_targets], np.float64)
            for s in series
        }
        wanted, short = self._seasons_for(np.inf), []
        for (s, t), (model, point, why) in zip(tasks, fits, strict=True):
            self.models_.setdefault(s.id, []).append(model)
            self.fit_points_.setdefault(s.id, []).append(point)
            key = s.id if layout.n_targets == 1 else (s.id, layout.target[t])
            rows = len(self.fitted_rows_[s.id])
            got = self._seasons_for(rows)
            if why is not None:
                self.fallbacks_[key] = f"seasonal naive forecast (fit failed: {why})"
                warnings.warn(f"{type(self).__name__} for series {s.id!r}, target "
                              f"{layout.target[t]!r} failed to fit ({why}); using the "
                              "seasonal naive forecast", FallbackWarning, stacklevel=4)
            elif got != wanted:
                need = 2 * max(c for c in wanted if c not in got)
                self.fallbacks_[key] = (f"{self._season_text(got)}: {rows} rows fitted, "
                                        f"{self._season_text(wanted)} needs {need}")
                short.append(s.id)
        if short:
            ids = list(dict.fromkeys(short))
            shown = ", ".join(repr(i) for i in ids[:5]) + (", ..." if len(ids) > 5 else "")
            warnings.warn(
                f"{type(self).__name__}: {len(ids)} of {len(series)} series too short for "
                f"{self._season_text(wanted)} (fewer than two seasons of rows) got "
                f"{self.SHORT}: {shown} (what each got: fallbacks_)", FallbackWarning,
                stacklevel=4)

    # -- forecast --------------------------------------------------------------------------
    def _forecast(self, values: np.ndarray, sid: str, origins: np.ndarray) -> np.ndarray:
        lay, H, W, k = self.layout_, self.horizon, self.max_train_size, self.refit_every
        origins = np.asarray(origins, dtype=np.int64)
        fitted = self.models_.get(sid)
        if fitted is None and not self.multi_series_ and len(self.models_) == 1:
            fitted = next(iter(self.models_.values()))
        qs = self.quantiles_
        out = np.empty((len(origins), H, lay.n_targets, len(qs) if qs else 1))
        for t in range(lay.n_targets):
            y = np.asarray(values[: int(origins.max()), t], dtype=np.float64)
            model = None
            for i, origin in enumerate(origins):
                start = max(0, origin - W) if W else 0
                if i == 0 or (k is not None and i % k == 0):
                    # a series never fitted, or a scheduled refit: fit on the rows before
                    # the origin, unless they are exactly the rows fitted (same model)
                    if fitted is not None and (k is None or self._fitted_on(sid, t, y, origin)):
                        model = fitted[t]
                    else:
                        model, _, _ = self._fit_one(y[start:origin])
                point = self._fit_point(sid, t, y, start, origin) if qs is None else None
                out[i, :, t] = (point[:, None] if point is not None
                                else self._one(model, y[start:origin], qs))
        return out if qs else out[..., 0]

    def _one(self, model, y: np.ndarray, qs) -> np.ndarray:
        """``[H, Q]`` (or ``[H, 1]``) forecast from history ``y``."""
        H = self.horizon
        if model is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fc = model.forward(y=y, h=H, level=_levels(qs) if qs else None)
                point = np.asarray(fc["mean"], dtype=np.float64)
                if qs is None:
                    if np.all(np.isfinite(point)):
                        return point[:, None]
                else:
                    q = np.stack([point if q == 0.5 else _bound(fc, q) for q in qs], axis=-1)
                    if np.all(np.isfinite(q)):
                        return np.sort(q, axis=-1)
            except Exception:  # noqa: BLE001 - this origin falls back, the backtest goes on
                pass
        return self._fallback(y, qs)

    def _fallback(self, y: np.ndarray, qs) -> np.ndarray:
        m, y2, origin = self.season_length_, y[:, None], np.array([len(y)])
        sd = qs is not None and len(y) > m + 1
        if m > 1 and len(y) >= m + sd:
            point, s = seasonal_naive_forecast(y2, origin, self.horizon, m, sd)
        else:
            point, s = naive_forecast(y2, origin, self.horizon, sd and len(y) > 2)
        if qs is None:
            return point[0]
        if s is None:
            s = np.zeros_like(point)
        return gaussian_quantiles(point, s, qs)[0, :, 0, :]

    def _fit_point(self, sid: str, t: int, y: np.ndarray, start: int, end: int):
        """The point forecast computed at fit when ``y[start:end]`` are exactly the rows
        fitted (the same model on the same history: the same forecast), else ``None``."""
        points, rows = self.fit_points_.get(sid), self.fitted_rows_.get(sid)
        if points is None or points[t] is None or end - start != len(rows):
            return None
        return points[t] if self._fitted_on(sid, t, y, end) else None

    def _fitted_on(self, sid: str, t: int, y: np.ndarray, end: int) -> bool:
        rows = self.fitted_rows_.get(sid)
        if rows is None or end < len(rows):
            return False
        return bool(np.array_equal(y[end - len(rows) : end], rows[:, t]))

    def _set_state(self, state: dict, arrays: dict) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # fallbacks were reported at fit
            self._fit(self.layout_, self.history_)


@register("arima")
class ARIMAForecaster(_StatsForecastModel):
    """AutoARIMA (statsforecast): orders chosen by stepwise search on an information
    criterion, seasonal when the season is > 1.

    Examples
    --------
    >>> import tsforecast as tsf
    >>> df = tsf.datasets.load_stocks(source="bundled")
    >>> f = ARIMAForecaster(horizon=5, target="close", max_train_size=300)
    >>> f.fit(df[df.ticker == "IBM"]).predict().shape
    (5, 1)
    """

    params = (
        SEASON,
        Param("max_p", 5, "largest p of the search."),
        Param("max_q", 5, "largest q of the search."),
        Param("max_d", 2, "largest d."),
        Param("information_criterion", "aicc", '"aicc", "aic" or "bic".'),
        Param("stepwise", True, "stepwise search (False: every model up to the bounds)."),
        *COMMON,
    )

    def _check_params(self) -> None:
        super()._check_params()
        for name in ("max_p", "max_q", "max_d"):
            check_int(name, getattr(self, name), 0)
        if self.information_criterion not in ("aicc", "aic", "bic"):
            raise ValueError(f"information_criterion must be one of ('aicc', 'aic', 'bic'), "
                             f"got {self.information_criterion!r}")

    def _like(self, fitted, seasons: tuple[int, ...]):
        """The orders AutoARIMA chose on all rows, refitted without the search (its stepwise
        search took ~100 s of the ~105 s of a calibration copy on 1,000 hourly rows)."""
        from statsforecast.models import ARIMA

        p, q, P, Q, m, d, D = fitted.model_["arma"]
        if m != max(seasons, default=1):  # the copy's rows hold another season
            return None
        coef = fitted.model_["coef"]
        return ARIMA(order=(p, d, q), season_length=m, seasonal_order=(P, D, Q),
                     include_mean="intercept" in coef, include_drift="drift" in coef)

    def _new_model(self, seasons: tuple[int, ...]):
        from statsforecast.models import AutoARIMA

        return AutoARIMA(season_length=max(seasons, default=1), max_p=self.max_p,
                         max_q=self.max_q, max_d=self.max_d, ic=self.information_criterion,
                         stepwise=bool(self.stepwise))


@register("ets")
class ETSForecaster(_StatsForecastModel):
    """AutoETS (statsforecast): error, trend and season types chosen by AICc.

    Examples
    --------
    >>> import tsforecast as tsf
    >>> df = tsf.datasets.load_weather().iloc[-600:]
    >>> ETSForecaster(horizon=24, target="TEMP").fit(df).predict().shape
    (24, 1)
    """

    params = (
        SEASON,
        Param("model", "ZZZ", 'ETS spec: error, trend, season in "A", "M", "N" or "Z" '
              '(chosen).'),
        Param("damped", None, "damped trend: None (chosen), True or False."),
        *COMMON,
    )

    def _check_params(self) -> None:
        super()._check_params()
        if not (isinstance(self.model, str) and len(self.model) == 3
                and set(self.model) <= set("ANMZ")):
            raise ValueError(f'model must be three letters of "A", "M", "N", "Z" (error, '
                             f'trend, season), got {self.model!r}')
        if self.damped not in (None, True, False):
            raise ValueError(f"damped must be None, True or False, got {self.damped!r}")

    def _new_model(self, seasons: tuple[int, ...]):
        from statsforecast.models import AutoETS

        return AutoETS(season_length=max(seasons, default=1), model=self.model,
                       damped=self.damped)


@register("theta")
class ThetaForecaster(_StatsForecastModel):
    """AutoTheta (statsforecast): the best of the standard, optimised and dynamic Theta
    models on seasonally adjusted data.

    Examples
    --------
    >>> import tsforecast as tsf
    >>> df = tsf.datasets.load_weather().iloc[-600:]
    >>> ThetaForecaster(horizon=24, target="TEMP").fit(df).predict().shape
    (24, 1)
    """

    params = (
        SEASON,
        Param("decomposition_type", "multiplicative", '"multiplicative" or "additive" '
              "seasonal adjustment (multiplicative falls back to additive for data <= 0)."),
        *COMMON,
    )

    def _check_params(self) -> None:
        super()._check_params()
        if self.decomposition_type not in ("multiplicative", "additive"):
            raise ValueError(f'decomposition_type must be "multiplicative" or "additive", '
                             f"got {self.decomposition_type!r}")

    def _new_model(self, seasons: tuple[int, ...]):
        from statsforecast.models import AutoTheta

        return AutoTheta(season_length=max(seasons, default=1),
                         decomposition_type=self.decomposition_type)


@register("mstl")
class MSTLForecaster(_StatsForecastModel):
    """MSTL (statsforecast): several seasonal cycles removed by STL, the rest forecast by
    AutoETS without a season.

    Examples
    --------
    >>> import tsforecast as tsf
    >>> df = tsf.datasets.load_weather().iloc[-800:]
    >>> f = MSTLForecaster(horizon=24, target="TEMP").fit(df)
    >>> f.season_lengths_, f.predict().shape
    ((24, 168), (24, 1))
    """

    #: half the calibration origins of the other statsforecast models: a forward run
    #: decomposes its window anew, each cycle twice (~0.25 s on 1,000 hourly rows, 98% of
    #: it statsmodels' STL; AutoARIMA's ~0.05 s)
    tags = {"calibration_origins": CALIBRATION_ORIGINS // 2}
    params = (
        Param("season_lengths", None, "seasonal cycles in steps; None: every cycle of the "
              "frequency (hourly 24 and 168, daily 7 and 365) that the fitted rows hold "
              "twice."),
        *COMMON,
    )

    def _check_params(self) -> None:
        super()._check_params()
        cycle = Interval(Integral, 2)
        check_param("season_lengths", self.season_lengths, (None, Check(
            lambda m: not isinstance(m, str) and hasattr(m, "__len__") and len(m) > 0
            and all(cycle.is_satisfied_by(v) for v in m), "a list of integers >= 2")))

    #: The fewest rows fitted (the AutoETS of the trend, or alone when no cycle fits).
    MIN_ROWS = 10
    SHORT = "the cycles their rows hold twice (AutoETS alone if none)"

    @property
    def season_lengths_(self) -> tuple[int, ...]:
        """The cycles used: given, or those of the frequency that the fitted rows (the
        longest series' last ``max_train_size``) hold at least twice; a shorter series
        takes those it holds twice (none: AutoETS alone, recorded in ``fallbacks_``)."""
        if self.season_lengths is not None:
            return tuple(int(v) for v in self.season_lengths)
        rows = getattr(self, "rows_", None) or self.max_train_size or np.inf
        found = tuple(m for m in seasonal_periods(getattr(self, "freq_", None)) if 2 * m <= rows)
        return found or (1,)

    @property
    def season_length_(self) -> int:
        return self.season_lengths_[0]

    def _seasons_for(self, rows: int | float) -> tuple[int, ...]:
        return tuple(m for m in self.season_lengths_ if m > 1 and 2 * m <= rows)

    def _season_text(self, seasons: tuple[int, ...]) -> str:
        return (f"cycles {', '.join(map(str, seasons))}" if seasons
                else "no cycle (AutoETS alone)")

    def _fit(self, layout: Layout, series: list[SeriesData]) -> None:
        self.rows_ = max(len(s) for s in series)
        if self.max_train_size:
            self.rows_ = min(self.rows_, int(self.max_train_size))
        super()._fit(layout, series)

    def _new_model(self, seasons: tuple[int, ...]):
        from statsforecast.models import MSTL, AutoETS

        if not self._seasons_for(np.inf):
            raise ValueError("MSTL needs a season >= 2; pass season_lengths=")
        trend = AutoETS(model="ZZN")
        return MSTL(season_length=list(seasons), trend_forecaster=trend) if seasons else trend
