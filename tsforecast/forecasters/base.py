"""The forecaster contract: what a model implements, and everything it inherits.

A model is a subclass of :class:`BaseForecaster` that declares

* ``params``: its own hyperparameters as :class:`~tsforecast.forecasters.params.Param`
  entries (``horizon`` and the :class:`~tsforecast.data.DataSpec` fields are added, the
  covariate ones only when the ``covariates`` tag is set); ``__init__``, ``get_params``
  and the docstring's "Parameters" section come from this one declaration;
* ``tags``: its capabilities as data, read by generic code (base, benchmark, contract
  tests) instead of mode flags:

  - ``scope``: ``"local"`` (one fit per series, keeps the whole history) or
    ``"global"`` (learns across series, keeps ``min_history`` rows);
  - ``neural``: trained by Lightning (takes trainer options);
  - ``quantiles``: accepts ``quantiles=`` and returns them;
  - ``covariates``: accepts past/known-future covariates and calendar features;
  - ``saveable``: ``save()`` works for every parameter value (see ``_get_state``);
  - ``family``: what reports colour it by: ``"baseline"``, ``"statistical"``,
    ``"regression"``, ``"neural"``, ``"combination"`` (default ``"other"``);
  - ``calibration_origins``: with ``level``, the most origins of a series whose held-out
    errors calibrate the intervals, evenly spaced (default ``None``: every origin; a
    number for models that run once per origin, e.g. statsforecast's ``forward``);

and implements these hooks, the complete list:

``_check_params()``
    Validate the constructor arguments (call ``super()`` first). Called by ``fit``.
``min_history`` (property)
    Rows before an origin that a forecast needs (may read ``freq_``, known at fit).
``min_fit_rows`` (property)
    Rows each training series needs; default ``min_history + horizon``.
``history_rows`` (property)
    Rows of each series kept after ``fit`` for ``predict()`` and ``save``; default:
    ``min_history`` for global models, all (``None``) for local ones. With ``level``,
    at least the ``SCALE_ROWS`` rows the intervals' local scale reads are kept.
``_fit(layout, series)``
    Learn from validated float32 arrays (:class:`~tsforecast.data.SeriesData`).
``_forecast(values, sid, origins)``
    Forecasts in original units for each origin: ``values[:origin]`` is the history
    (rows ``origin .. origin + horizon`` may be read for known-future covariates only);
    returns ``[n, H, T]``, or ``[n, H, T, Q]`` when ``quantiles_`` is set.
``_forecast_many(items)`` (optional)
    ``_forecast`` of many series, ``items`` of ``(values, sid, origins)``, in order; what
    ``predict``, ``backtest`` and calibration call. Default: one series after the other.
``_get_state()`` / ``_set_state(state, arrays)``
    The learned state as JSON-able values and NumPy arrays (no pickles), and back.
``_calibrating(fitted)`` (optional)
    With ``level``: called on the calibration copy before its fit, with the model fitted
    on all rows, to reuse what is costly to choose (default: kept as ``full_fit_``, which
    the copy's ``_fit`` may read).

Everything else lives here, once: validation of the input through ``DataSpec``, the
output frames with real future timestamps, ``backtest``, scaling helpers, ``save`` and
``load``. Conventions follow scikit-learn: ``__init__`` stores its arguments unchanged,
``fit`` validates and always starts from the constructor arguments (never from a
previous fit) and returns ``self``, learned state ends in ``_``. ``fit`` and ``load`` end
by freezing what every model learns (schema, layout, frequency, kept history, quantile
and interval levels) into ``state_``, a :class:`~.fitted.FittedState`; the output
frames and the saved files are written from it, never from the model's attributes.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from .. import progress
from ..constraints import check_int
from ..data import DataSpec, Layout, SeriesData, future_index
from ..data.spec import as_pandas
from ..data.timeindex import check_freq, check_horizon
from . import output, persistence
from .conformal import SCALE_ROWS, calibration_series, check_levels, conformal_scores
from .fitted import FittedState
from .params import (
    COVARIATE_PARAMS,
    DATA_PARAMS,
    HORIZON,
    INTERVAL_PARAMS,
    Param,
    check_declared,
    insert_section,
    make_init,
)
from .params import params_doc as _params_doc

__all__ = ["BaseForecaster", "FallbackWarning", "NotFittedError", "check_quantiles"]


class NotFittedError(ValueError, AttributeError):
    """Raised when ``predict``/``backtest``/``save`` is called before ``fit``."""


class FallbackWarning(UserWarning):
    """A model gave some series a simpler model than asked for (too short for the season,
    or the fit failed); the fitted model's ``fallbacks_`` says which and what they got."""


def check_quantiles(quantiles) -> tuple[float, ...] | None:
    """Sorted quantiles with the median added (it is the point forecast)."""
    if quantiles is None:
        return None
    if isinstance(quantiles, numbers.Number | str):
        raise ValueError(f"quantiles must be a list of numbers in (0, 1), got {quantiles!r}")
    qs = list(quantiles)
    if not qs or not all(
        isinstance(q, numbers.Real) and not isinstance(q, bool) and 0 < q < 1 for q in qs
    ):
        raise ValueError(f"quantiles must be numbers strictly between 0 and 1, got {quantiles!r}")
    return tuple(sorted(set(float(q) for q in qs) | {0.5}))


def _not_metadata(method) -> dict[str, str]:
    """``method``'s arguments marked unused for scikit-learn's metadata routing, which
    otherwise takes every argument but ``X`` and ``y`` for per-sample metadata."""
    from sklearn.utils.metadata_routing import UNUSED

    names = list(inspect.signature(method).parameters)[1:]
    return {name: UNUSED for name in names if name not in ("X", "y")}


class BaseForecaster(BaseEstimator):
    """Shared behaviour of all forecasters; the module docstring states the contract."""

    tags: ClassVar[dict[str, Any]] = {
        "scope": "local",
        "neural": False,
        "quantiles": False,
        "covariates": False,
        "saveable": True,
        "family": "other",
        "calibration_origins": None,
    }
    params: ClassVar[tuple[Param, ...]] = ()
    #: How error messages name ``min_history`` ("lookback 96 + horizon 24 needs ...").
    history_name: ClassVar[str] = "a history of"
    registry_name: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs):
        """Derive ``__init__`` and the docstring's Parameters from the declaration."""
        super().__init_subclass__(**kwargs)
        declared = cls.all_params()
        cls.__init__ = make_init(declared)
        # named as the class's own method, as dataclasses name the __init__ they make:
        # tracebacks, help() and the API documentation then find it on the class
        cls.__init__.__module__ = cls.__module__
        cls.__init__.__qualname__ = f"{cls.__qualname__}.__init__"
        own_doc = cls.__dict__.get("__doc__")
        if own_doc:
            cls.__doc__ = insert_section(own_doc, _params_doc(declared))

    # -- declarations --------------------------------------------------------------------
    @classmethod
    def get_tag(cls, name: str) -> Any:
        """A capability tag (merged over the class hierarchy)."""
        merged: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            merged.update(klass.__dict__.get("tags", {}))
        if name not in merged:
            raise ValueError(f"unknown tag {name!r}; tags: {sorted(merged)}")
        return merged[name]

    @classmethod
    def all_params(cls) -> tuple[Param, ...]:
        """Every constructor parameter: horizon, the model's own, the interval options,
        then the data schema."""
        own = tuple(cls.params)
        names = {p.name for p in own}
        data = tuple(
            p for p in DATA_PARAMS
            if p.name not in names and (cls.get_tag("covariates") or p.name not in COVARIATE_PARAMS)
        )
        head = () if "horizon" in names else (HORIZON,)
        intervals = tuple(p for p in INTERVAL_PARAMS if p.name not in names)
        return head + own + intervals + data

    @classmethod
    def param_names(cls) -> list[str]:
        """Constructor parameter names (what ``get_params`` returns)."""
        return [p.name for p in cls.all_params()]

    @classmethod
    def _get_param_names(cls) -> list[str]:  # scikit-learn's hook, same answer
        return sorted(cls.param_names())

    # -- hooks (see the module docstring) ------------------------------------------------------
    def _check_params(self) -> None:
        check_declared(self, self.all_params())
        DataSpec.from_params(self.get_params(deep=False))
        check_levels(self.level)
        if self.level is not None:
            from .conformal import calibration_rows

            calibration_rows(self.calibration_size, 100)

    @property
    def min_history(self) -> int:
        return 1

    @property
    def min_fit_rows(self) -> int:
        return self.min_history + self.horizon

    @property
    def history_rows(self) -> int | None:
        return self.min_history if self.get_tag("scope") == "global" else None

    def _fit(self, layout: Layout, series: list[SeriesData]) -> None:
        raise NotImplementedError

    def _forecast(self, values: np.ndarray, sid: str, origins: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _forecast_many(self, items: list[tuple[np.ndarray, str, np.ndarray]]
                       ) -> list[np.ndarray]:
        return [self._forecast(values, sid, origins) for values, sid, origins in items]

    def _get_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        return {}, {}

    def _set_state(self, state: dict, arrays: dict[str, np.ndarray]) -> None:
        pass

    # -- fit -------------------------------------------------------------------------------------
    def fit(self, data, y=None):
        """Validate ``data`` (a frame, a long frame with ``id_col`` or a dict of frames) and
        learn; returns ``self``. Every fit starts from the constructor arguments."""
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, name)  # nothing of a previous fit survives a refit
        self._check_params()
        data = as_pandas(data)
        spec = DataSpec.from_params(self.get_params(deep=False)).resolve(data)
        layout, series = spec.to_series(data)
        multi = isinstance(data, Mapping) or spec.id_col is not None
        freq = check_freq(self.freq, series[0].index, series[0].id)
        # before anything of the horizon's size is made; the latest end binds
        latest = max(series, key=lambda s: s.index[-1])
        check_horizon(latest.index, self.horizon, freq, layout.n_targets)
        levels, scores = check_levels(self.level), None
        if levels is not None:  # too little history to hold out: said before any fit
            calibrated = clone(self).set_params(level=None)
            calibrated.freq_ = freq
            held_out = calibration_series(calibrated, series)
        self._fit_validated(spec, layout, series, multi, freq)
        if levels is not None:
            # a copy fitted without the end of each series forecasts that end: its errors
            # calibrate the intervals of the model fitted on everything above
            calibrated._calibrating(self)
            with progress.stage("calibration"):
                calibrated._fit_validated(spec, layout, held_out, multi, freq)
            scores = conformal_scores(calibrated, series, levels)
        self.state_ = self._freeze(levels, scores)
        return self

    def _calibrating(self, fitted: BaseForecaster) -> None:
        """Called on the calibration copy, before its fit, with the model fitted on all
        rows: a model may take from it what is costly to choose and chosen the same way
        on either rows (AutoARIMA: the orders of its search; a net: the epochs early
        stopping kept; a combination or an ensemble: each member its twin). Default: kept
        as ``full_fit_``, which the copy's ``_fit`` reads (absent on a model fitted for
        itself)."""
        self.full_fit_ = fitted

    def _freeze(self, levels=None, scores=None) -> FittedState:
        """The fitted state output and persistence read, built once at the end of ``fit``
        (and of ``load``); ``quantiles_`` is set by ``_fit`` of models with that tag."""
        return FittedState(
            spec=self.spec_, layout=self.layout_, freq=self.freq_,
            multi_series=self.multi_series_, horizon=self.horizon,
            history=tuple(self.history_),
            quantiles=self.quantiles_ if self.get_tag("quantiles") else None,
            levels=levels, conformal_scores=scores,
        )

    def _fit_validated(self, spec: DataSpec, layout: Layout, series: list[SeriesData],
                       multi: bool, freq) -> None:
        self.spec_ = spec
        self.freq_ = freq
        self.layout_ = layout
        self.multi_series_ = multi
        self._check_length(series, self.min_fit_rows, f"{self._need_text()}")
        self._fit(layout, series)
        keep = self._kept_rows()
        self.history_ = [
            SeriesData(s.id, s.index[-keep:], s.values[-keep:]) if keep else s for s in series
        ]

    def _kept_rows(self) -> int | None:
        """Rows of each series kept after ``fit``: ``history_rows``, and with intervals at
        least the rows their local scale reads, so ``predict()`` scales the half-widths as
        calibration did (a global model's few rows would give a noisier, smaller scale)."""
        keep = self.history_rows
        if keep is None or check_levels(self.level) is None:
            return keep
        return max(keep, SCALE_ROWS)

    def _need_text(self) -> str:
        text = f"{self.history_name} {self.min_history}"
        extra = self.min_fit_rows - self.min_history
        return text if extra == 0 else f"{text} + horizon {extra}"

    def _check_length(self, series: list[SeriesData], need: int, what: str) -> None:
        for s in series:
            if len(s) < need:
                raise ValueError(f"series {s.id!r} has {len(s)} rows; {what} needs at least {need}")

    def _check_fitted(self) -> None:
        if not hasattr(self, "state_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(data) first"
            )

    def _series(self, data) -> list[SeriesData]:
        """A new history, read with the fitted columns and filled causally."""
        return self.spec_.to_series(data, layout=self.layout_, freq=self.freq_)[1]

    # -- scaling helpers (models that learn in scaled units) -------------------------------------
    def _scaling(self, sid: str, values: np.ndarray, origins: np.ndarray):
        """``(loc, scale)`` of series ``sid``: its training statistics, or statistics fitted
        on the rows before its first origin for a series never seen at fit."""
        return self.scaler_.params_or_fit(
            sid, values, int(origins.min()), reuse_single=not self.multi_series_
        )

    def _unscale(self, out: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """Scaled ``[n, H, T]`` or ``[n, H, T, Q]`` forecasts -> original units."""
        T = self.layout_.n_targets
        if out.ndim == 4:
            return out * scale[:T, None] + loc[:T, None]
        return out * scale[:T] + loc[:T]

    # -- predict ---------------------------------------------------------------------------------
    def predict(self, history=None, future_covariates=None, format: str = "wide"
                ) -> pd.DataFrame:
        """Forecast the ``horizon`` steps after the end of each series.

        Parameters
        ----------
        history : DataFrame or dict of DataFrames, optional
            A new history (same format and columns as at fit) to forecast from; default:
            the end of the training data.
        future_covariates : DataFrame or dict of DataFrames, optional
            The known-future covariate columns for the ``horizon`` future timestamps (a
            dict for several series); required when the model was fitted with
            ``future_covariates``.
        format : {"wide", "nixtla"}
            ``"wide"`` (below) or ``"nixtla"``: the long layout of the Nixtla libraries,
            ``unique_id, ds, <model>, <model>-lo-80, ...``.

        Returns
        -------
        DataFrame
            Indexed by the future timestamps with one column per target in the original
            units (plus ``<target>_q<q>`` columns with quantiles); with several series, a
            ``series`` column (or the ``id_col`` name) says which.
        """
        self._check_fitted()
        _check_format(format, ("wide", "nixtla"))
        state = self.state_
        series = state.history if history is None else self._series(history)
        self._check_length(series, self.min_history, "forecasting from it")
        fidx = [future_index(s.index, state.horizon, state.freq) for s in series]
        fcs = self._forecast_many([
            (output.extend_history(state, s, f, future_covariates), s.id,
             np.array([len(s)], dtype=np.int64)) for s, f in zip(series, fidx, strict=True)])
        frames = [output.forecast_frame(state, fc[0], f, s.id, s.values)
                  for s, f, fc in zip(series, fidx, fcs, strict=True)]
        out = pd.concat(frames) if len(frames) > 1 else frames[0]
        if format == "nixtla":
            return output.to_nixtla(state, out, "forecast", output.model_alias(type(self)))
        return out

    # -- backtest --------------------------------------------------------------------------------
    def backtest(self, data, start=0.8, stride: int | None = None, format: str = "tidy"
                 ) -> pd.DataFrame:
        """Historical forecasts with the fitted model (no refit), in original units.

        Cutoffs run from ``start`` (a fraction of each series, a row position, or a
        timestamp) to the end of each series every ``stride`` steps (default: horizon);
        each forecast uses only the rows before its first target step.

        Returns
        -------
        DataFrame
            Tidy, with columns ``series, target, cutoff, timestamp, step, y, y_hat`` (plus
            ``q<q>`` columns with quantiles, ``lo<level>``/``hi<level>`` with levels), one
            row per series, cutoff, step and target; with ``format="nixtla"``:
            ``unique_id, ds, cutoff, y, <model>, ...`` like statsforecast's
            ``cross_validation``.
        """
        self._check_fitted()
        _check_format(format, ("tidy", "nixtla"))
        stride = self.horizon if stride is None else stride
        check_int("stride", stride, 1)
        series = self._series(data)
        origins = [self._backtest_origins(s, start, stride) for s in series]
        fcs = self._forecast_many([(s.values, s.id, o) for s, o in zip(series, origins,
                                                                        strict=True)])
        out = output.tidy_frame(self.state_, list(zip(series, origins, fcs, strict=True)))
        if format == "nixtla":
            return output.to_nixtla(self.state_, out, "backtest", output.model_alias(type(self)))
        return out

    def _backtest_origins(self, s: SeriesData, start, stride: int) -> np.ndarray:
        n = len(s)
        if isinstance(start, numbers.Integral) and not isinstance(start, bool) and start >= 0:
            first = int(start)
        elif isinstance(start, numbers.Real) and not isinstance(start, bool) and 0 < start < 1:
            first = int(n * float(start))
        elif isinstance(start, str | pd.Timestamp | np.datetime64) or hasattr(start, "year"):
            try:
                first = int(s.index.searchsorted(pd.Timestamp(start)))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"start {start!r} is not a valid timestamp: {exc}") from exc
        else:
            raise ValueError(
                "start must be a fraction in (0, 1), a row position >= 0 or a timestamp, "
                f"got {start!r}"
            )
        first = max(first, self.min_history)
        origins = np.arange(first, n - self.horizon + 1, stride, dtype=np.int64)
        if origins.size == 0:
            raise ValueError(
                f"series {s.id!r} has {n} rows: no cutoff from row {first} leaves room for "
                f"horizon {self.horizon} (needs at least {first + self.horizon} rows)"
            )
        return origins

    def plot(self, history=None, series: str | None = None, target: str | None = None,
             n_history: int | None = None, ax=None):
        """Plot the forecast from the end of ``history`` (default: the training data) with
        its intervals, after the last ``n_history`` rows (default ``5 * horizon``).
        Returns the matplotlib axes; for backtests see
        :func:`tsforecast.forecasters.plotting.plot_backtest`."""
        from .plotting import plot_forecast

        fc = self.predict(history)
        series_list = self.state_.history if history is None else self._series(history)
        sid = series if series is not None else series_list[0].id
        s = next((x for x in series_list if x.id == str(sid)), None)
        if s is None:
            raise ValueError(f"unknown series {sid!r}; known: {[x.id for x in series_list]}")
        t = target if target is not None else self.layout_.target[0]
        if t not in self.layout_.target:
            raise ValueError(f"unknown target {t!r}; targets: {list(self.layout_.target)}")
        n = n_history if n_history is not None else 5 * self.horizon
        col = self.layout_.target.index(t)
        past = pd.Series(s.values[-n:, col], index=s.index[-n:])
        return plot_forecast(fc, history=past, target=t, series=s.id, ax=ax)

    # -- persistence -----------------------------------------------------------------------------
    def save(self, path, overwrite: bool = False) -> None:
        """Save to a directory: ``config.json`` (parameters, layout, learned JSON state),
        ``history.npz`` and ``state.npz`` (learned arrays). No pickles anywhere.

        A directory that is not empty is refused unless ``overwrite=True``; it is then
        replaced as a whole (written next to it, then renamed), never mixed with old files,
        and only if it holds a saved model (a folder with other files is refused, never
        emptied). A save that fails or is killed midway leaves the previous model at
        ``path`` (a kill is rolled back, and its hidden folders removed, by the next save or
        load of ``path``).
        """
        self._check_fitted()
        state, arrays = self._get_state()
        persistence.save(Path(path), self.state_, type(self), self.get_params(deep=False),
                         state, arrays, overwrite=overwrite)

    @classmethod
    def load(cls, path) -> BaseForecaster:
        """Load a forecaster saved with :meth:`save`; predictions are identical."""
        model, fitted, state, arrays = persistence.load(Path(path), cls)
        model.spec_, model.layout_, model.freq_ = fitted.spec, fitted.layout, fitted.freq
        model.multi_series_, model.history_ = fitted.multi_series, list(fitted.history)
        try:
            model._set_state(state, arrays)
        except ValueError as exc:  # the model names the field that does not fit
            raise ValueError(f"{path}: {exc}") from exc
        except (KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"{path}: the saved state does not fit the saved config "
                             f"({type(exc).__name__}: {exc})") from exc
        model.state_ = model._freeze(fitted.levels, fitted.conformal_scores)
        return model

    # fit's and predict's arguments are data and options, not the per-sample metadata of
    # scikit-learn's routing: none is routed (no set_fit_request / set_predict_request)
    __metadata_request__fit = _not_metadata(fit)
    __metadata_request__predict = _not_metadata(predict)


def _check_format(value, valid: tuple[str, ...]) -> None:
    if value not in valid:
        raise ValueError(f"format must be one of {valid}, got {value!r}")

