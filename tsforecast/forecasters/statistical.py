"""Exponential smoothing (ETS) and ARIMA baselines on statsmodels.

Both are local univariate models: one model per series and target column, chosen
automatically by an information criterion over a small grid and fitted on at most the
``max_train_size`` most recent rows (long hourly series make state-space fits slow).

Backtests do not refit by default (``refit_every=None``): the fitted parameters are kept
and the model's state is run forward over the new observations (one Kalman filter /
exponential smoothing pass over the series, then a dynamic forecast from each origin, which
reads only the rows before it). ``refit_every=k`` fits the model again from scratch (same
automatic selection as ``fit``) on the rows before every k-th origin.

Failures never crash a benchmark: a candidate model that raises or does not converge is
skipped; when every candidate fails, the forecaster warns and falls back to a simpler
model (ARIMA: random walk with drift, ETS: ``ETS(A,N,N)`` then the naive forecast) and
records why in ``fallbacks_``. statsmodels' warnings are recorded, not printed.

Saving writes JSON and ``.npz`` only: loading refits on the saved history (the last
``max_train_size`` rows, exactly the rows fitted), which is deterministic, so the loaded
model predicts identically.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from ..data import Layout, SeriesData
from .base import BaseForecaster, check_quantiles
from .baselines import _check_int, drift_forecast, gaussian_quantiles, naive_forecast

_ICS = ("aicc", "aic", "bic")


@dataclass
class _Fit:
    """One fitted univariate model (picklable: returned from joblib workers)."""

    kind: str  # "ets", "arima", "naive" or "drift"
    label: str
    spec: dict = field(default_factory=dict)
    params: np.ndarray | None = None
    scale: float | None = None  # ETS innovation variance at fit
    fallback: str | None = None  # why a fallback model is used
    rejected: list[str] = field(default_factory=list)  # candidates that failed


def _try_fit(make, **fit_kwargs):
    """Fit one candidate; returns ``(results, None)`` or ``(None, reason)``."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = make().fit(**fit_kwargs)
        except Exception as exc:  # any statsmodels/numpy failure: skip this candidate
            return None, f"{type(exc).__name__}: {exc}"
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        return None, "did not converge"
    retvals = getattr(res, "mle_retvals", None) or {}
    if not retvals.get("converged", True):
        return None, "did not converge"
    if not np.all(np.isfinite(np.asarray(res.params, dtype=np.float64))):
        return None, "non-finite parameters"
    return res, None


def _criterion(res, ic: str) -> float:
    value = float(getattr(res, ic))
    return value if np.isfinite(value) else np.inf


def _fallback_fit(kind: str, reason: str, rejected: list[str]) -> _Fit:
    label = "random walk with drift" if kind == "drift" else "naive"
    return _Fit(kind, label, fallback=f"{reason}; using the {label} forecast", rejected=rejected)


# -- ETS --------------------------------------------------------------------------------------


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


# -- the forecasters ----------------------------------------------------------------------------


class _StatsForecaster(BaseForecaster):
    """Shared machinery: per-series/target fits in parallel, state updates, refits."""

    _name = ""

    def _check_params(self) -> None:
        super()._check_params()
        check_quantiles(self.quantiles)
        _check_int("season_length", self.season_length, 2, allow_none=True)
        _check_int("max_train_size", self.max_train_size, 10, allow_none=True)
        _check_int("refit_every", self.refit_every, 1, allow_none=True)
        if self.n_jobs is not None and (not isinstance(self.n_jobs, int) or self.n_jobs == 0):
            raise ValueError(f"n_jobs must be a non-zero integer or None, got {self.n_jobs!r}")
        if self.information_criterion not in _ICS:
            raise ValueError(
                f"information_criterion must be one of {_ICS}, got {self.information_criterion!r}"
            )

    def _config(self) -> dict:
        raise NotImplementedError

    @staticmethod
    def _fit_func(y: np.ndarray, cfg: dict) -> _Fit:
        raise NotImplementedError

    def _predict_one(self, fit: _Fit, y, origins, horizon, sd):
        raise NotImplementedError

    def _min_fit_rows(self) -> int:
        return self._min_history  # fitting needs no rows beyond what a forecast needs

    def _fit_need_text(self) -> str:
        return f"fitting {type(self).__name__}"

    def _history_rows(self) -> int | None:
        return self.max_train_size

    def _key(self, sid: str, target: str):
        return sid if self.layout_.n_targets == 1 else (sid, target)

    def _fit_series(self, layout: Layout, series: list[SeriesData]) -> None:
        self.quantiles_ = check_quantiles(self.quantiles)
        cfg, W = self._config(), self.max_train_size
        tasks = [(s, t) for s in series for t in range(layout.n_targets)]
        fits = Parallel(n_jobs=self.n_jobs)(
            delayed(self._fit_func)(s.values[-W if W else 0 :, t], cfg) for s, t in tasks
        )
        self.fits_: dict[str, list[_Fit]] = {}
        self.models_, self.fallbacks_, self.rejected_ = {}, {}, {}
        for (s, t), fit in zip(tasks, fits, strict=True):
            self.fits_.setdefault(s.id, []).append(fit)
            key = self._key(s.id, layout.target[t])
            self.models_[key] = fit.label
            if fit.rejected:
                self.rejected_[key] = fit.rejected
            if fit.fallback:
                self.fallbacks_[key] = fit.fallback
                warnings.warn(
                    f"{self._name} for series {s.id!r}, target {layout.target[t]!r}: "
                    f"{fit.fallback}",
                    UserWarning,
                    stacklevel=4,
                )
        self._record_extra()

    def _record_extra(self) -> None:
        pass

    def _fallback_predict(self, fit: _Fit, y, origins, horizon, sd):
        y2 = y[:, None]
        if fit.kind == "drift" and origins.min() >= 2 + sd:
            point, s = drift_forecast(y2, origins, horizon, sd)
        else:
            point, s = naive_forecast(y2, origins, horizon, sd)
        return point[..., 0], None if s is None else s[..., 0]

    def _predict_fit(self, fit: _Fit, y, origins, sid, target):
        H, sd = self.horizon, self.quantiles_ is not None
        if fit.kind in ("naive", "drift"):
            return self._fallback_predict(fit, y, origins, H, sd)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                point, s = self._predict_one(fit, y, origins, H, sd)
            if np.all(np.isfinite(point)) and (s is None or np.all(np.isfinite(s))):
                return point, s
            reason = "non-finite forecasts"
        except Exception as exc:  # never crash a backtest: fall back for this block
            reason = f"{type(exc).__name__}: {exc}"
        kind = "drift" if fit.kind == "arima" else "naive"
        warnings.warn(
            f"{self._name} {fit.label} for series {sid!r}, target {target!r} failed to forecast "
            f"({reason}); using the {kind} forecast for these origins",
            UserWarning,
            stacklevel=5,
        )
        return self._fallback_predict(_Fit(kind, kind), y, origins, H, sd)

    def backtest(self, data, start=0.8, stride: int | None = None):
        """Historical forecasts (see :meth:`BaseForecaster.backtest`); the fitted parameters
        are kept and the state runs over the newer rows, unless ``refit_every`` is set."""
        self._in_backtest = True
        try:
            return super().backtest(data, start=start, stride=stride)
        finally:
            del self._in_backtest

    def _forecast(self, values: np.ndarray, sid: str, origins: np.ndarray) -> np.ndarray:
        lay, H, W = self.layout_, self.horizon, self.max_train_size
        origins = np.asarray(origins, dtype=np.int64)
        fits = self.fits_.get(sid)
        if fits is None and not self.multi_series_ and len(self.fits_) == 1:
            fits = next(iter(self.fits_.values()))
        k = self.refit_every if getattr(self, "_in_backtest", False) else None  # not predict()
        blocks = [origins] if k is None else [origins[i : i + k] for i in range(0, len(origins), k)]
        point = np.empty((len(origins), H, lay.n_targets))
        sd = np.empty_like(point) if self.quantiles_ is not None else None
        cfg = self._config()
        with threadpool_limits(1):
            for t in range(lay.n_targets):
                y = np.asarray(values[: int(origins.max()), t], dtype=np.float64)
                row = 0
                for block in blocks:
                    first = int(block[0])
                    start = max(0, first - W) if W else 0
                    if fits is None or k is not None:
                        # a series never fitted, or a scheduled refit: fit on the rows before it
                        fit = self._fit_func(y[start:first], cfg)
                        if fit.fallback:
                            warnings.warn(
                                f"{self._name} refit for series {sid!r}, target "
                                f"{lay.target[t]!r} at row {first}: {fit.fallback}",
                                UserWarning,
                                stacklevel=4,
                            )
                    else:
                        fit = fits[t]
                    seg = y[start : int(block[-1])]
                    p, s = self._predict_fit(fit, seg, block - start, sid, lay.target[t])
                    point[row : row + len(block), :, t] = p
                    if sd is not None:
                        sd[row : row + len(block), :, t] = s
                    row += len(block)
        return gaussian_quantiles(point, sd, self.quantiles_)

    def _load_extra(self, path: Path, state: dict) -> None:
        # deterministic refit on the saved history (exactly the rows fitted): no pickles
        self._fit_series(self.layout_, self.history_)


class ETSForecaster(_StatsForecaster):
    """Exponential smoothing (ETS state-space model, statsmodels ``ETSModel``).

    The model is chosen per series and target by ``information_criterion`` among additive
    error models with no / additive / additive damped trend and, when ``season_length`` is
    given and the history holds enough seasons, no / additive seasonality (up to six
    candidates); smoothing parameters are estimated by maximum likelihood with heuristic
    initial states, so the model applies to any stretch of history.

    Parameters
    ----------
    horizon : steps to forecast (default 24).
    season_length : season in steps (e.g. 24 for hourly data); ``None``: no seasonality.
    error : ``"add"`` (default) or ``"mul"`` (strictly positive data).
    trend : ``"auto"`` (none or additive, chosen), ``None``, ``"add"`` or ``"mul"``.
    damped_trend : ``"auto"`` (both tried), ``True`` or ``False``.
    seasonal : ``"auto"`` (none or additive when ``season_length`` is given), ``None``,
        ``"add"`` or ``"mul"``.
    information_criterion : ``"aicc"`` (default), ``"aic"`` or ``"bic"``.
    max_train_size : fit on at most this many most recent rows (default 1000; ``None``:
        all); also the rows kept for ``predict()`` and saving.
    refit_every : ``None`` (default): backtests never refit -- the fitted parameters are
        kept and the smoothing states are run over the newer observations; ``k``: fit again
        (with model selection) on the rows before every k-th origin of a backtest
        (``predict()`` never refits).
    quantiles : optional quantiles: Gaussian intervals from the model's forecast variance
        (exact for the additive models, simulated otherwise); the median is the point.
    n_jobs : joblib jobs for fitting several series/targets (default 1).
    target, id_col, time_col, fill_missing, freq : as for every forecaster; each target
        column gets its own model.

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

    def __init__(
        self,
        horizon: int = 24,
        season_length: int | None = None,
        error: str = "add",
        trend: str | None = "auto",
        damped_trend="auto",
        seasonal: str | None = "auto",
        information_criterion: str = "aicc",
        max_train_size: int | None = 1000,
        refit_every: int | None = None,
        quantiles=None,
        n_jobs: int | None = 1,
        target=None,
        id_col: str | None = None,
        time_col: str | None = None,
        fill_missing: str | None = None,
        freq=None,
    ):
        self.horizon = horizon
        self.season_length = season_length
        self.error = error
        self.trend = trend
        self.damped_trend = damped_trend
        self.seasonal = seasonal
        self.information_criterion = information_criterion
        self.max_train_size = max_train_size
        self.refit_every = refit_every
        self.quantiles = quantiles
        self.n_jobs = n_jobs
        self.target = target
        self.id_col = id_col
        self.time_col = time_col
        self.fill_missing = fill_missing
        self.freq = freq

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
    def _min_history(self) -> int:
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


class ARIMAForecaster(_StatsForecaster):
    """ARIMA / seasonal ARIMA (statsmodels ``SARIMAX``) with automatic order selection.

    Per series and target: ``d`` by repeated KPSS tests (up to ``max_d``), the seasonal
    difference ``D`` (when ``season_length`` is given) by the STL seasonal strength, then
    ``p, q`` in ``0..max_p``, ``0..max_q`` by ``information_criterion``; with a season, the
    seasonal ``(P, Q)`` in ``(1, 0), (0, 1)`` are tried on the best order (a seasonal
    state-space model with ``m = 24`` has ~50 states: each such fit takes seconds); a constant
    (mean, or drift when ``d + D = 1``) is included when ``d + D <= 1`` and dropped for
    ``d + D = 1`` if that improves the criterion.

    Parameters
    ----------
    horizon : steps to forecast (default 24).
    season_length : season in steps; ``None``: non-seasonal ARIMA.
    order : fixed ``(p, d, q)``; ``None`` (default): chosen automatically.
    seasonal_order : fixed ``(P, D, Q)`` (needs ``season_length``); ``None``: automatic.
    trend : ``"auto"`` (see above), ``"c"`` (constant/drift) or ``"n"`` (none).
    max_p, max_q, max_d : bounds of the automatic search (2, 2, 2).
    information_criterion : ``"aicc"`` (default), ``"aic"`` or ``"bic"``.
    max_train_size : fit on at most this many most recent rows (default 1000; ``None``:
        all): long (hourly) series make SARIMAX slow. Also the rows kept for ``predict()``.
    refit_every : ``None`` (default): backtests never refit -- the fitted parameters are
        kept and the Kalman filter runs over the newer observations (statsmodels' results
        ``extend``/``apply`` semantics); ``k``: fit again (with order selection) on the rows
        before every k-th origin of a backtest (``predict()`` never refits).
    quantiles : optional quantiles from the model's forecast variance (the bounds of
        ``get_forecast(...).conf_int(alpha)`` with ``alpha = 2 min(q, 1 - q)``).
    n_jobs : joblib jobs for fitting several series/targets (default 1).
    target, id_col, time_col, fill_missing, freq : as for every forecaster.

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

    def __init__(
        self,
        horizon: int = 24,
        season_length: int | None = None,
        order=None,
        seasonal_order=None,
        trend: str = "auto",
        max_p: int = 2,
        max_q: int = 2,
        max_d: int = 2,
        information_criterion: str = "aicc",
        max_train_size: int | None = 1000,
        refit_every: int | None = None,
        quantiles=None,
        n_jobs: int | None = 1,
        target=None,
        id_col: str | None = None,
        time_col: str | None = None,
        fill_missing: str | None = None,
        freq=None,
    ):
        self.horizon = horizon
        self.season_length = season_length
        self.order = order
        self.seasonal_order = seasonal_order
        self.trend = trend
        self.max_p = max_p
        self.max_q = max_q
        self.max_d = max_d
        self.information_criterion = information_criterion
        self.max_train_size = max_train_size
        self.refit_every = refit_every
        self.quantiles = quantiles
        self.n_jobs = n_jobs
        self.target = target
        self.id_col = id_col
        self.time_col = time_col
        self.fill_missing = fill_missing
        self.freq = freq

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
            _check_int(name, getattr(self, name), 0)
        if self.trend not in ("auto", "c", "n"):
            raise ValueError(f"trend must be one of ('auto', 'c', 'n'), got {self.trend!r}")

    @property
    def _min_history(self) -> int:
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


__all__ = ["ARIMAForecaster", "ETSForecaster", "fit_arima", "fit_ets"]
