"""Lag regression: any scikit-learn regressor on lagged targets and covariates.

For a forecast origin ``t`` the features are the targets and past covariates at ``t - l``
for each lag ``l`` plus the known-future covariates (and calendar features) at every target
step ``t .. t + horizon - 1``; one multi-output regressor predicts all ``horizon x
n_targets`` values at once (a regressor without native multi-output support is wrapped in
:class:`~sklearn.multioutput.MultiOutputRegressor`). Every column is standardised per
series with statistics from that series' training rows only.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.multioutput import MultiOutputRegressor
from sklearn.utils import get_tags

from ..constraints import Check, Interval, check_param
from ..data import Layout, SeriesData, SeriesScaler
from ..data.scaling import SCALERS
from ..resources import clamp_jobs
from .base import BaseForecaster, check_quantiles
from .naive import QUANTILES, gaussian_quantiles
from .params import Param
from .persistence import ESTIMATORS, check_array
from .registry import register

__all__ = ["LagRegressionForecaster"]

#: Fitted attributes of the linear regressors that can be saved (see ``persistence``).
_LINEAR_STATE = ("coef_", "intercept_", "n_features_in_")


_LAG = Interval(Integral, 1)
_LAGS = (_LAG, Check(lambda v: not isinstance(v, str) and isinstance(v, Sequence | np.ndarray)
                     and len(v) > 0 and all(_LAG.is_satisfied_by(x) for x in v),
                     "a list of them"))


def _largest_lag(lags) -> int:
    """The largest lag of valid ``lags``, checked without building the lags (``lags=10**9``
    is refused against the data at fit, before ``_lag_array`` would hold a billion)."""
    check_param("lags", lags, _LAGS)
    return int(lags) if _LAG.is_satisfied_by(lags) else int(max(lags))


def _lag_array(lags) -> np.ndarray:
    check_param("lags", lags, _LAGS)
    if _LAG.is_satisfied_by(lags):
        return np.arange(1, int(lags) + 1, dtype=np.int64)
    return np.unique(np.asarray(lags, dtype=np.int64))


def _nonzero_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and value != 0


def _multi_output(regressor) -> bool:
    try:
        return bool(get_tags(regressor).target_tags.multi_output)
    except Exception:  # an estimator without scikit-learn tags: assume single-output
        return False


@register("lag_regression")
class LagRegressionForecaster(BaseForecaster):
    """A scikit-learn regressor on lagged targets and covariates, direct multi-horizon.

    Attributes
    ----------
    regressor_ : scikit-learn regressor
        The fitted regressor (``global_model=True``).
    regressors_ : dict
        The fitted regressors by series id (``global_model=False``).
    scaler_ : SeriesScaler
        The per-series :class:`~tsforecast.data.SeriesScaler`.
    n_windows_ : int
        Training windows used.

    Examples
    --------
    >>> import tsforecast as tsf
    >>> df = tsf.datasets.load_stocks(source="bundled")
    >>> f = LagRegressionForecaster(horizon=5, lags=10, target="close", id_col="ticker")
    >>> f.fit(df).predict().shape
    (25, 2)
    """

    tags = {"scope": "global", "quantiles": True, "covariates": True, "family": "regression"}
    params = (
        Param("lags", 24, "number of lags (``24`` means lags 1..24) or a list of lags."),
        Param("regressor", None, "a scikit-learn regressor (cloned at fit, never modified); "
              "``None``: ``Ridge(alpha=1.0)``. Linear models (Ridge, LinearRegression, Lasso, "
              "ElasticNet) can be saved; others cannot (tsforecast writes no pickles)."),
        Param("global_model", True, "one regressor over the windows of all series, or one "
              "per series."),
        Param("relative", True, "learn the change from the last observed target value (the "
              "target lags also relative to it): level-invariant like NLinear."),
        Param("scaler", "standard", 'per-series scaler fitted on the training rows: '
              '"standard", "robust", "maxabs" (by the largest absolute value: errors '
              'relative to the level) or "none".'),
        QUANTILES,
        Param("n_jobs", 1, "processes for MultiOutputRegressor when it is used (joblib's "
              "meaning: -1 every core); never more than the CPU cores nor the horizon x "
              "targets regressors it fits.", (Check(_nonzero_int, "a nonzero integer"), None)),
    )
    history_name = "the largest lag"

    # -- validation ------------------------------------------------------------------------
    def _check_params(self) -> None:
        super()._check_params()
        _largest_lag(self.lags)
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
    def max_lag(self) -> int:
        return _largest_lag(self.lags)

    @property
    def min_history(self) -> int:
        return self.max_lag

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
        origins = np.arange(self.max_lag, len(x) - self.horizon + 1, dtype=np.int64)
        return self._design(x, origins), self._targets(x, origins)

    def _new_regressor(self, n_outputs: int):
        """A fresh regressor for ``n_outputs`` targets; the processes it may start (its
        own ``n_jobs``, the wrapper's) clamped to the cores and to the work."""
        reg = Ridge(alpha=1.0) if self.regressor is None else clone(self.regressor)
        own = reg.get_params(deep=False).get("n_jobs") if hasattr(reg, "get_params") else None
        if _nonzero_int(own):  # e.g. a random forest's trees (their count is not known here)
            reg.set_params(n_jobs=clamp_jobs(own))
        if not _multi_output(reg):
            reg = MultiOutputRegressor(reg, n_jobs=clamp_jobs(self.n_jobs, n_outputs))
        return reg

    def _fit_regressor(self, X: np.ndarray, Y: np.ndarray):
        reg = self._new_regressor(Y.shape[1]).fit(X, Y)
        resid = Y - np.asarray(reg.predict(X)).reshape(Y.shape)
        sd = np.sqrt(np.mean(resid**2, axis=0)) if self.quantiles_ is not None else None
        return reg, sd

    # -- fit / forecast --------------------------------------------------------------------
    def _fit(self, layout: Layout, series: list[SeriesData]) -> None:
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
        loc, scale = self._scaling(sid, values, origins)
        loc, scale = np.asarray(loc, np.float64), np.asarray(scale, np.float64)
        x = self._scaled(values, loc, scale)
        if self.global_model:
            reg, sd = self.regressor_, self.resid_sd_
        elif sid in self.regressors_ or self._only_one():
            key = sid if sid in self.regressors_ else next(iter(self.regressors_))
            reg, sd = self.regressors_[key], self.resid_sds_[key]
        else:  # local model for a new series: fit on the fly on its history before the origins
            if first < self.max_lag + self.horizon:
                raise ValueError(
                    f"series {sid!r} was not seen at fit and has {first} rows before the first "
                    f"origin; a local model needs the largest lag {self.max_lag} + horizon "
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
        return self._unscale(pred, loc, scale)

    # -- state -----------------------------------------------------------------------------
    def _get_state(self):
        regs = {"": self.regressor_} if self.global_model else self.regressors_
        sds = {"": self.resid_sd_} if self.global_model else self.resid_sds_
        arrays = {}
        for key, reg in regs.items():
            name = f"{type(reg).__module__.split('._')[0]}.{type(reg).__name__}"
            if name not in ESTIMATORS:
                raise ValueError(
                    f"cannot save a LagRegressionForecaster with regressor {reg!r}: only "
                    f"{sorted(ESTIMATORS)} can be saved (tsforecast writes no pickles)"
                )
            for attr in _LINEAR_STATE:
                arrays[f"{key}/{attr}"] = np.asarray(getattr(reg, attr))
            if sds[key] is not None:
                arrays[f"{key}/resid_sd"] = sds[key]
        return {"scaler": self.scaler_.to_dict(), "series": list(regs),
                "quantiles": self.quantiles_}, arrays

    def _set_state(self, state: dict, arrays: dict) -> None:
        self.scaler_ = SeriesScaler.from_dict(state["scaler"])
        self.quantiles_ = tuple(state["quantiles"]) if state["quantiles"] else None
        if self.quantiles_ != check_quantiles(self.quantiles):
            raise ValueError(f"config.json: state quantiles {self.quantiles_} disagree with "
                             f"the parameter quantiles={self.quantiles!r}")
        self.lags_ = _lag_array(self.lags)
        lay, H = self.layout_, self.horizon
        n_out = H * lay.n_targets
        n_in = len(self.lags_) * (lay.n_inputs - lay.n_future) + H * lay.n_future
        need = (f"horizon {H} x {lay.n_targets} target(s) from {n_in} features (lags "
                f"{self.lags!r}, columns {list(lay.columns)})")
        shapes = {"coef_": [(n_out, n_in)] + ([(n_in,)] if n_out == 1 else []),
                  "intercept_": [(n_out,), ()], "n_features_in_": [()], "resid_sd": [(n_out,)]}
        regs, sds = {}, {}
        for key in state["series"]:
            reg = Ridge() if self.regressor is None else clone(self.regressor)
            for attr in _LINEAR_STATE:
                value = check_array(f"state.npz: {key}/{attr}", arrays[f"{key}/{attr}"],
                                    shapes[attr], need,
                                    kinds="iu" if attr == "n_features_in_" else "f")
                setattr(reg, attr, int(value) if attr == "n_features_in_" else value)
            if reg.n_features_in_ != n_in:
                raise ValueError(f"state.npz: {key}/n_features_in_ is {reg.n_features_in_}; "
                                 f"{need} needs {n_in}")
            sd = arrays.get(f"{key}/resid_sd")
            if (sd is None) != (self.quantiles_ is None):
                raise ValueError(f"state.npz: {key}/resid_sd is "
                                 f"{'missing' if sd is None else 'present'} but quantiles="
                                 f"{self.quantiles!r}: quantiles need it, point forecasts not")
            if sd is not None:
                check_array(f"state.npz: {key}/resid_sd", sd, shapes["resid_sd"], need)
            regs[key], sds[key] = reg, sd
        if self.global_model:
            self.regressor_, self.resid_sd_ = regs[""], sds[""]
        else:
            self.regressors_, self.resid_sds_ = regs, sds
