"""ARIMA / seasonal ARIMA on statsmodels (SARIMAX), with automatic order selection.

A local univariate model: one model per series and target column; see
:mod:`.statistical` for backtests, fallbacks and saving.
"""

from __future__ import annotations

import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from .base import check_int
from .params import Param
from .registry import register
from .statistical import STATS_PARAMS, _criterion, _fallback_fit, _Fit, _StatsForecaster, _try_fit

__all__ = ["ARIMAForecaster", "fit_arima"]


def _ndiffs(y: np.ndarray, max_d: int, alpha: float = 0.05) -> int:
    """Number of differences making ``y`` stationary by repeated KPSS tests (level 5%)."""
    from statsmodels.tsa.stattools import kpss

    d, x = 0, y
    while d < max_d and len(x) >= 10 and np.ptp(x) > 0:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # InterpolationWarning: p-value off the table
                p_value = kpss(x, regression="c", nlags="auto")[1]
        except Exception:
            break
        if p_value >= alpha:
            break
        x, d = np.diff(x), d + 1
    return d


def _nsdiffs(y: np.ndarray, m: int) -> int:
    """Seasonal differencing (0 or 1) by the STL seasonal strength (> 0.64, as in R)."""
    from statsmodels.tsa.seasonal import STL

    if len(y) < 3 * m or np.ptp(y) == 0:
        return 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = STL(y, period=m).fit()
    except Exception:
        return 0
    denom = np.var(res.seasonal + res.resid)
    strength = 1.0 - np.var(res.resid) / denom if denom > 0 else 0.0
    return int(strength > 0.64)


def _arima_label(spec: dict) -> str:
    p, d, q = spec["order"]
    out = f"ARIMA({p},{d},{q})"
    if spec["seasonal_order"][3]:
        out += "({},{},{})[{}]".format(*spec["seasonal_order"])
    if spec["trend"] == "c":
        out += " with drift" if d + spec["seasonal_order"][1] == 1 else " with mean"
    return out


def _arima_model(y: np.ndarray, spec: dict):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    return SARIMAX(y, order=spec["order"], seasonal_order=spec["seasonal_order"],
                   trend=spec["trend"])


def fit_arima(y: np.ndarray, cfg: dict) -> _Fit:
    """Choose and fit an ARIMA model for ``y`` (see :class:`ARIMAForecaster`)."""
    y = np.asarray(y, dtype=np.float64)
    m = cfg["season_length"] or 0
    ic_name, rejected = cfg["information_criterion"], []
    tried: dict[str, object] = {}

    def attempt(order, seasonal_order, trend):
        spec = {"order": tuple(int(v) for v in order),
                "seasonal_order": tuple(int(v) for v in seasonal_order), "trend": trend}
        label = _arima_label(spec)
        if label not in tried:
            res, why = _try_fit(lambda: _arima_model(y, spec), disp=False)
            if res is None:
                rejected.append(f"{label}: {why}")
            tried[label] = (spec, res)
        return tried[label]

    def best_of(items):
        ok = [(spec, res) for spec, res in items if res is not None]
        return min(ok, key=lambda sr: _criterion(sr[1], ic_name)) if ok else (None, None)

    def auto_trend(d_total):
        if cfg["trend"] != "auto":
            return cfg["trend"]
        return "c" if d_total <= 1 else "n"

    with threadpool_limits(1):
        seasonal = m > 1 and (cfg["seasonal_order"] is not None or len(y) >= 3 * m + 10)
        if cfg["seasonal_order"] is not None:
            P, D, Q = cfg["seasonal_order"]
        else:
            P, D, Q = 0, (_nsdiffs(y, m) if seasonal else 0), 0
        x = y[m:] - y[:-m] if D else y
        d = cfg["order"][1] if cfg["order"] is not None else _ndiffs(x, cfg["max_d"])
        sorder = (P, D, Q, m if seasonal else 0)
        trend = auto_trend(d + D)
        if cfg["order"] is not None:
            orders = [tuple(cfg["order"])]
        else:
            orders = [(p, d, q) for p in range(cfg["max_p"] + 1) for q in range(cfg["max_q"] + 1)]
        spec, res = best_of(attempt(o, sorder, trend) for o in orders)
        if spec is not None and seasonal and cfg["seasonal_order"] is None:
            for sP, sQ in ((1, 0), (0, 1)):
                spec, res = best_of([(spec, res), attempt(spec["order"], (sP, D, sQ, m), trend)])
        if spec is not None and cfg["trend"] == "auto" and spec["trend"] == "c" and d + D == 1:
            spec, res = best_of([(spec, res), attempt(spec["order"], spec["seasonal_order"], "n")])
        if spec is not None:
            return _Fit("arima", _arima_label(spec), spec, np.asarray(res.params, np.float64),
                        rejected=rejected)
        reason = f"every ARIMA candidate failed ({'; '.join(rejected)})"
        for order, trend in (((0, d, 0), auto_trend(d)), ((0, 1, 0), "c")):
            spec, res = attempt(order, (0, 0, 0, 0), trend)
            if res is not None:
                return _Fit("arima", _arima_label(spec), spec, np.asarray(res.params, np.float64),
                            fallback=f"{reason}; using {_arima_label(spec)}", rejected=rejected)
    return _fallback_fit("drift", reason, rejected)


def _arima_predict(fit: _Fit, y: np.ndarray, origins: np.ndarray, horizon: int, sd: bool):
    res = _arima_model(y, fit.spec).filter(fit.params)
    point = np.empty((len(origins), horizon))
    var = np.empty((len(origins), horizon)) if sd else None
    for i, o in enumerate(origins):
        pr = res.get_prediction(start=int(o), end=int(o) + horizon - 1, dynamic=0)
        point[i] = np.asarray(pr.predicted_mean)
        if sd:
            var[i] = np.asarray(pr.var_pred_mean)
    return point, None if var is None else np.sqrt(np.maximum(var, 0.0))


@register("arima")
class ARIMAForecaster(_StatsForecaster):
    """ARIMA / seasonal ARIMA (statsmodels ``SARIMAX``) with automatic order selection.

    Per series and target: ``d`` by repeated KPSS tests (up to ``max_d``), the seasonal
    difference ``D`` (when ``season_length`` is given) by the STL seasonal strength, then
    ``p, q`` in ``0..max_p``, ``0..max_q`` by ``information_criterion``; with a season, the
    seasonal ``(P, Q)`` in ``(1, 0), (0, 1)`` are tried on the best order (a seasonal
    state-space model with ``m = 24`` has ~50 states: each such fit takes seconds); a constant
    (mean, or drift when ``d + D = 1``) is included when ``d + D <= 1`` and dropped for
    ``d + D = 1`` if that improves the criterion.

    Attributes
    ----------
    orders_, seasonal_orders_ : chosen ``(p, d, q)`` and ``(P, D, Q, m)`` per series
        (``(series, target)`` keys with several targets); ``None`` after a fallback to drift.
    models_ : readable model names, e.g. ``"ARIMA(1,1,0) with drift"``.
    fallbacks_ : why a series uses a fallback model (every candidate failed), if any.
    rejected_ : candidates that raised or did not converge.

    Examples
    --------
    >>> import tsforecast as tsf
    >>> df = tsf.datasets.load_stocks(source="bundled")
    >>> f = ARIMAForecaster(horizon=5, target="close", max_train_size=300)
    >>> f.fit(df[df.ticker == "IBM"]).predict().shape
    (5, 1)
    """

    _name = "ARIMA"

    params = (
        Param("season_length", None, "season in steps; None: non-seasonal ARIMA."),
        Param("order", None, "fixed (p, d, q); None: chosen automatically."),
        Param("seasonal_order", None, "fixed (P, D, Q) (needs season_length); None: automatic."),
        Param("trend", "auto", '"auto", "c" (constant/drift) or "n" (none).'),
        Param("max_p", 2, "largest p of the automatic search."),
        Param("max_q", 2, "largest q of the automatic search."),
        Param("max_d", 2, "largest d of the automatic search."),
        *STATS_PARAMS,
    )

    def _check_params(self) -> None:
        super()._check_params()
        for name in ("order", "seasonal_order"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, str) or len(value) != 3
                or not all(_is_nonneg_int(v) for v in value)
            ):
                raise ValueError(f"{name} must be None or three integers >= 0, got {value!r}")
        if self.seasonal_order is not None and self.season_length is None:
            raise ValueError(f"seasonal_order={self.seasonal_order!r} needs season_length")
        for name in ("max_p", "max_q", "max_d"):
            check_int(name, getattr(self, name), 0)
        if self.trend not in ("auto", "c", "n"):
            raise ValueError(f"trend must be one of ('auto', 'c', 'n'), got {self.trend!r}")

    @property
    def min_history(self) -> int:
        if self.seasonal_order is not None and self.season_length:
            return max(10, 2 * int(self.season_length) + 1)
        return 10

    def _config(self) -> dict:
        return {
            "season_length": None if self.season_length is None else int(self.season_length),
            "order": None if self.order is None else tuple(int(v) for v in self.order),
            "seasonal_order": (None if self.seasonal_order is None
                               else tuple(int(v) for v in self.seasonal_order)),
            "trend": self.trend, "max_p": int(self.max_p), "max_q": int(self.max_q),
            "max_d": int(self.max_d), "information_criterion": self.information_criterion,
        }

    _fit_func = staticmethod(fit_arima)

    def _predict_one(self, fit, y, origins, horizon, sd):
        return _arima_predict(fit, y, origins, horizon, sd)

    def _record_extra(self) -> None:
        self.orders_, self.seasonal_orders_ = {}, {}
        for sid, fits in self.fits_.items():
            for t, fit in enumerate(fits):
                key = self._key(sid, self.layout_.target[t])
                arima = fit.kind == "arima"
                self.orders_[key] = fit.spec["order"] if arima else None
                self.seasonal_orders_[key] = fit.spec["seasonal_order"] if arima else None


def _is_nonneg_int(v) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= 0
