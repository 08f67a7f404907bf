"""What the statsmodels baselines (ETS in :mod:`.ets`, ARIMA in :mod:`.arima`) share.

Both are local univariate models: one model per series and target column, chosen
automatically by an information criterion over a small grid and fitted on at most the
``max_train_size`` most recent rows (long hourly series make state-space fits slow).

Backtests do not refit by default (``refit_every=None``): the fitted parameters are kept
and the model's state is run forward over the new observations (one Kalman filter /
exponential smoothing pass over the series, then a dynamic forecast from each origin, which
reads only the rows before it). ``refit_every=k`` fits the model again from scratch (same
automatic selection as ``fit``) on the rows before every k-th origin, except where those
rows are exactly the rows it was fitted on (the refit would be the same model: this is
why ``predict()`` after ``fit`` never refits).

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

import numpy as np
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from ..data import Layout, SeriesData
from .base import BaseForecaster, check_int, check_quantiles
from .naive import QUANTILES, drift_forecast, gaussian_quantiles, naive_forecast
from .params import Param

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


#: Parameters every statsmodels baseline has.
STATS_PARAMS = (
    Param("information_criterion", "aicc", '"aicc", "aic" or "bic".'),
    Param("max_train_size", 1000, "fit on at most this many most recent rows (None: all)."),
    Param("refit_every", None, "None: backtests keep the fitted parameters and run the state "
          "over newer rows; k: refit (with model selection) before every k-th backtest origin."),
    QUANTILES,
    Param("n_jobs", 1, "joblib jobs for fitting several series/targets."),
)



class _StatsForecaster(BaseForecaster):
    """Shared machinery: per-series/target fits in parallel, state updates, refits."""

    tags = {"scope": "local", "quantiles": True}
    _name = ""

    def _check_params(self) -> None:
        super()._check_params()
        check_quantiles(self.quantiles)
        check_int("season_length", self.season_length, 2, allow_none=True)
        check_int("max_train_size", self.max_train_size, 10, allow_none=True)
        check_int("refit_every", self.refit_every, 1, allow_none=True)
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

    @property
    def min_fit_rows(self) -> int:
        return self.min_history  # fitting needs no rows beyond what a forecast needs

    @property
    def history_rows(self) -> int | None:
        return self.max_train_size  # the rows fitted: a load refits on exactly them

    def _fitted_on(self, sid: str, t: int, y: np.ndarray, end: int) -> bool:
        """Whether the rows before ``end`` end with exactly the rows ``sid`` was fitted on
        (a refit there would give the same model: it is skipped)."""
        rows = self.fitted_rows_.get(sid)
        if rows is None or end < len(rows):
            return False
        return bool(np.array_equal(y[end - len(rows) : end], rows[:, t]))

    def _key(self, sid: str, target: str):
        return sid if self.layout_.n_targets == 1 else (sid, target)

    def _fit(self, layout: Layout, series: list[SeriesData]) -> None:
        self.quantiles_ = check_quantiles(self.quantiles)
        cfg, W = self._config(), self.max_train_size
        self.fitted_rows_ = {
            s.id: np.asarray(s.values[-W if W else 0 :, : layout.n_targets], np.float64)
            for s in series
        }
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

    def _forecast(self, values: np.ndarray, sid: str, origins: np.ndarray) -> np.ndarray:
        lay, H, W = self.layout_, self.horizon, self.max_train_size
        origins = np.asarray(origins, dtype=np.int64)
        fits = self.fits_.get(sid)
        if fits is None and not self.multi_series_ and len(self.fits_) == 1:
            fits = next(iter(self.fits_.values()))
        k = self.refit_every
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
                    if fits is None or (k is not None and not self._fitted_on(sid, t, y, first)):
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

    def _set_state(self, state: dict, arrays: dict) -> None:
        # deterministic refit on the saved history (exactly the rows fitted): no pickles
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # fallbacks were reported at fit
            self._fit(self.layout_, self.history_)


__all__ = ["STATS_PARAMS"]
