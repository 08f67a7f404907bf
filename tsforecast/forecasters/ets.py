"""Exponential smoothing (ETS) on statsmodels, with automatic model selection.

A local univariate model: one model per series and target column, chosen by an
information criterion over a small grid and fitted on at most ``max_train_size`` recent
rows; see :mod:`.statistical` for backtests, fallbacks and saving.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from .params import Param
from .registry import register
from .statistical import STATS_PARAMS, _criterion, _fallback_fit, _Fit, _StatsForecaster, _try_fit

__all__ = ["ETSForecaster", "fit_ets"]


def _ets_label(spec: dict) -> str:
    err = "A" if spec["error"] == "add" else "M"
    trend = {None: "N", "add": "A", "mul": "M"}[spec["trend"]] + ("d" if spec["damped_trend"] else "")
    seas = {None: "N", "add": "A", "mul": "M"}[spec["seasonal"]]
    return f"ETS({err},{trend},{seas})"


def _ets_seasonal_ok(n: int, m: int) -> bool:
    """Enough rows for the heuristic initial seasonal states (statsmodels' rule)."""
    return n >= max(2 * m, 10 + 2 * (m // 2))


def _ets_candidates(n: int, cfg: dict) -> list[dict]:
    m = cfg["season_length"]
    if cfg["trend"] == "auto":
        trends = [None, "add"]
    else:
        trends = [cfg["trend"]]
    if cfg["seasonal"] == "auto":
        seasonals = [None] + (["add"] if m and _ets_seasonal_ok(n, m) else [])
    else:
        seasonals = [cfg["seasonal"]]
    out = []
    for trend in trends:
        dampings = [False] if trend is None else (
            [False, True] if cfg["damped_trend"] == "auto" else [bool(cfg["damped_trend"])]
        )
        for damped in dampings:
            for seasonal in seasonals:
                out.append({
                    "error": cfg["error"], "trend": trend, "damped_trend": damped,
                    "seasonal": seasonal, "seasonal_periods": m if seasonal else None,
                })
    return out


def _ets_model(y: np.ndarray, spec: dict):
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    # a Series (RangeIndex): statsmodels 0.15's ETS get_prediction fails on a bare ndarray
    return ETSModel(pd.Series(y), initialization_method="heuristic", **spec)


def fit_ets(y: np.ndarray, cfg: dict) -> _Fit:
    """Choose and fit an ETS model for ``y`` (see :class:`ETSForecaster`)."""
    y = np.asarray(y, dtype=np.float64)
    best, best_ic, rejected = None, np.inf, []
    with threadpool_limits(1):
        for spec in _ets_candidates(len(y), cfg):
            res, why = _try_fit(lambda spec=spec: _ets_model(y, spec), disp=False)
            if res is None:
                rejected.append(f"{_ets_label(spec)}: {why}")
                continue
            ic = _criterion(res, cfg["information_criterion"])
            if best is None or ic < best_ic:
                best, best_ic = (spec, res), ic
        if best is not None:
            spec, res = best
            return _Fit("ets", _ets_label(spec), spec, np.asarray(res.params, np.float64),
                        float(res.mse), rejected=rejected)
        simple = {"error": "add", "trend": None, "damped_trend": False, "seasonal": None,
                  "seasonal_periods": None}
        reason = f"every ETS candidate failed ({'; '.join(rejected)})"
        if _ets_label(simple) not in [r.split(":")[0] for r in rejected]:
            res, why = _try_fit(lambda: _ets_model(y, simple), disp=False)
            if res is not None:
                return _Fit("ets", _ets_label(simple), simple, np.asarray(res.params, np.float64),
                            float(res.mse), fallback=f"{reason}; using {_ets_label(simple)}",
                            rejected=rejected)
            rejected.append(f"{_ets_label(simple)}: {why}")
    return _fallback_fit("naive", reason, rejected)


def _ets_predict(fit: _Fit, y: np.ndarray, origins: np.ndarray, horizon: int, sd: bool):
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    # initial states from the rows before the first origin only (the heuristic reads up to
    # five seasons: taken over all of ``y`` it would peek past the early origins)
    init = _ets_model(y[: int(origins[0])], fit.spec)
    known = {"initial_level": init.initial_level}
    if fit.spec["trend"]:
        known["initial_trend"] = init.initial_trend
    if fit.spec["seasonal"]:
        known["initial_seasonal"] = init.initial_seasonal
    mod = ETSModel(pd.Series(y), initialization_method="known", **known, **fit.spec)
    res = mod.smooth(fit.params)
    ratio = fit.scale / res.mse if sd and res.mse > 0 else 1.0
    point = np.empty((len(origins), horizon))
    var = np.empty((len(origins), horizon)) if sd else None
    for i, o in enumerate(origins):
        o = int(o)
        if sd:
            pr = res.get_prediction(  # rng: simulated intervals (non-additive models) repeat
                start=o, end=o + horizon - 1, dynamic=0, rng=np.random.default_rng(0)
            )
            point[i] = np.asarray(pr.predicted_mean)
            var[i] = np.asarray(pr.forecast_variance) * ratio
        else:
            point[i] = np.asarray(res.predict(start=o, end=o + horizon - 1, dynamic=0))
    return point, None if var is None else np.sqrt(np.maximum(var, 0.0))


# -- ARIMA ------------------------------------------------------------------------------------


@register("ets")
class ETSForecaster(_StatsForecaster):
    """Exponential smoothing (ETS state-space model, statsmodels ``ETSModel``).

    The model is chosen per series and target by ``information_criterion`` among additive
    error models with no / additive / additive damped trend and, when ``season_length`` is
    given and the history holds enough seasons, no / additive seasonality (up to six
    candidates); smoothing parameters are estimated by maximum likelihood with heuristic
    initial states, so the model applies to any stretch of history.

    Attributes
    ----------
    models_ : chosen model per series (``(series, target)`` keys with several targets),
        e.g. ``"ETS(A,Ad,N)"``.
    fallbacks_ : why a series uses a fallback model (every candidate failed), if any.
    rejected_ : candidates that raised or did not converge.

    Examples
    --------
    >>> import tsforecast as tsf
    >>> df = tsf.datasets.load_weather().iloc[-600:]
    >>> f = ETSForecaster(horizon=24, target="TEMP", season_length=24).fit(df)
    >>> f.predict().shape
    (24, 1)
    """

    _name = "ETS"

    params = (
        Param("season_length", None, "season in steps (e.g. 24 for hourly data); None: no "
              "seasonality."),
        Param("error", "add", '"add" or "mul" (strictly positive data).'),
        Param("trend", "auto", '"auto" (none or additive, chosen), None, "add" or "mul".'),
        Param("damped_trend", "auto", '"auto" (both tried), True or False.'),
        Param("seasonal", "auto", '"auto" (none or additive when season_length is given), '
              'None, "add" or "mul".'),
        *STATS_PARAMS,
    )

    def _check_params(self) -> None:
        super()._check_params()
        checks = {
            "error": (self.error, ("add", "mul")),
            "trend": (self.trend, ("auto", None, "add", "mul")),
            "damped_trend": (self.damped_trend, ("auto", True, False)),
            "seasonal": (self.seasonal, ("auto", None, "add", "mul")),
        }
        for name, (value, valid) in checks.items():
            if not any(value is v or (isinstance(v, str) and value == v) for v in valid):
                raise ValueError(f"{name} must be one of {valid}, got {value!r}")
        if self.seasonal in ("add", "mul") and self.season_length is None:
            raise ValueError(f"seasonal={self.seasonal!r} needs season_length, got None")
        if self.damped_trend is True and self.trend is None:
            raise ValueError("damped_trend=True needs a trend, got trend=None")

    @property
    def min_history(self) -> int:
        if self.seasonal in ("add", "mul") and self.season_length:
            m = int(self.season_length)
            return max(2 * m, 10 + 2 * (m // 2))
        return 10

    def _config(self) -> dict:
        return {
            "season_length": None if self.season_length is None else int(self.season_length),
            "error": self.error, "trend": self.trend, "damped_trend": self.damped_trend,
            "seasonal": self.seasonal, "information_criterion": self.information_criterion,
        }

    _fit_func = staticmethod(fit_ets)

    def _predict_one(self, fit, y, origins, horizon, sd):
        return _ets_predict(fit, y, origins, horizon, sd)

    def _fallback_predict(self, fit, y, origins, horizon, sd):
        return super()._fallback_predict(_Fit("naive", "naive"), y, origins, horizon, sd)
