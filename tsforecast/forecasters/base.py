"""The fit/predict facade every forecaster shares.

A subclass implements three things and inherits the rest (validation, the output
frames with real timestamps, backtesting, save/load):

* ``_fit_series(layout, series)``: learn from validated float32 arrays;
* ``_forecast(values, sid, origins)``: forecasts in original units for each origin
  (``values[:origin]`` is the history; rows ``origin .. origin + horizon`` may be read for
  known-future covariates only), shape ``[n, H, n_targets]`` or
  ``[n, H, n_targets, n_quantiles]`` when ``quantiles_`` is set;
* ``_min_history``: the rows a forecast needs.

Conventions follow scikit-learn: ``__init__`` stores its arguments unchanged and
validates nothing, ``fit`` validates and returns ``self``, learned state ends in ``_``.
"""

from __future__ import annotations

import json
import numbers
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ..data import FILL_POLICIES, Layout, SeriesData, future_index, infer_freq, to_series
from ..data.frames import check_index
from ..data.timeindex import calendar_features

FORMAT_VERSION = 1


class NotFittedError(ValueError, AttributeError):
    """Raised when ``predict``/``backtest``/``save`` is called before ``fit``."""


def _quantile_label(q: float) -> str:
    return f"q{q:g}"


def check_quantiles(quantiles) -> tuple[float, ...] | None:
    """Sorted quantiles with the median added (it is the point forecast)."""
    if quantiles is None:
        return None
    qs = list(quantiles)
    if not qs or not all(
        isinstance(q, numbers.Real) and not isinstance(q, bool) and 0 < q < 1 for q in qs
    ):
        raise ValueError(f"quantiles must be numbers strictly between 0 and 1, got {quantiles!r}")
    return tuple(sorted(set(float(q) for q in qs) | {0.5}))


class BaseForecaster(BaseEstimator):
    """Shared behaviour of all forecasters; see the module docstring."""

    #: True when the model learns across series (one global model).
    _global = False

    # -- subclass hooks --------------------------------------------------------------
    def _fit_series(self, layout: Layout, series: list[SeriesData]) -> None:
        raise NotImplementedError

    def _forecast(self, values: np.ndarray, sid: str, origins: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @property
    def _min_history(self) -> int:
        return 1

    def _min_fit_rows(self) -> int:
        return self._min_history + self.horizon

    def _check_params(self) -> None:
        """Validate constructor arguments at fit time; subclasses extend."""
        h = self.horizon
        if isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 1:
            raise ValueError(f"horizon must be an integer >= 1, got {h!r}")
        if self.fill_missing not in FILL_POLICIES:
            raise ValueError(
                f"fill_missing must be one of {FILL_POLICIES}, got {self.fill_missing!r}"
            )

    def _extra_state(self) -> dict:
        return {}

    def _save_extra(self, path: Path) -> None:
        pass

    def _load_extra(self, path: Path, state: dict) -> None:
        pass

    # -- data --------------------------------------------------------------------------
    def _to_series(self, data, layout: Layout | None = None) -> tuple[Layout, list[SeriesData]]:
        layout = layout or getattr(self, "layout_", None)
        if layout is None:
            return to_series(
                data,
                self.target,
                getattr(self, "past_covariates", None),
                getattr(self, "future_covariates", None),
                id_col=self.id_col,
                time_col=self.time_col,
                fill_missing=self.fill_missing,
                calendar=getattr(self, "calendar_features", False),
                freq=self.freq,
            )
        return to_series(
            data,
            list(layout.target),
            list(layout.past_covariates),
            list(layout.future_covariates),
            id_col=self.id_col,
            time_col=self.time_col,
            fill_missing=self.fill_missing,
            causal=True,
            calendar=bool(layout.calendar),
            freq=self.freq_,
        )

    def _check_length(self, series: list[SeriesData], need: int, what: str) -> None:
        for s in series:
            if len(s) < need:
                raise ValueError(f"series {s.id!r} has {len(s)} rows; {what} needs at least {need}")

    # -- public API ----------------------------------------------------------------------
    def fit(self, data, y=None):
        """Validate ``data`` (see :func:`tsforecast.data.to_series`) and learn; returns self."""
        self._check_params()
        layout, series = self._to_series(data, layout=None)
        self.freq_ = self.freq if self.freq is not None else _try_freq(series[0].index)
        self._check_length(series, self._min_fit_rows(), self._fit_need_text())
        self.layout_ = layout
        self.multi_series_ = isinstance(data, dict) or self.id_col is not None
        self._fit_series(layout, series)
        keep = self._history_rows()
        self.history_ = [
            SeriesData(s.id, s.index[-keep:] if keep else s.index, s.values[-keep:] if keep else s.values)
            for s in series
        ]
        return self

    def _fit_need_text(self) -> str:
        return f"a history of {self._min_history} + horizon {self.horizon}"

    def _history_rows(self) -> int | None:
        """Rows of each training series kept for ``predict()`` (None: all)."""
        return None

    def _check_fitted(self) -> None:
        if not hasattr(self, "layout_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(data) first"
            )

    def predict(self, history=None, future_covariates=None) -> pd.DataFrame:
        """Forecast the ``horizon`` steps after the end of each series.

        Parameters
        ----------
        history : optional new history (same format and columns as at fit) to forecast
            from; default: the end of the training data.
        future_covariates : DataFrame (or dict of DataFrames for several series) holding
            the known-future covariate columns for the ``horizon`` future timestamps;
            required when the model was fitted with ``future_covariates``.

        Returns
        -------
        DataFrame indexed by the future timestamps with one column per target in the
        original units (plus ``<target>_q<q>`` columns with quantiles); with several
        series, a ``series`` column (or the ``id_col`` name) says which.
        """
        self._check_fitted()
        if history is None:
            series = self.history_
        else:
            _, series = self._to_series(history)
        self._check_length(series, self._min_history, "forecasting from it")
        frames = []
        for s in series:
            fidx = future_index(s.index, self.horizon, self.freq_)
            ext = self._extend(s, fidx, future_covariates)
            fc = self._forecast(ext, s.id, np.array([len(s)], dtype=np.int64))[0]
            frames.append(self._forecast_frame(fc, fidx, s.id))
        out = pd.concat(frames) if len(frames) > 1 else frames[0]
        return out

    def _extend(self, s: SeriesData, fidx: pd.Index, future_covariates) -> np.ndarray:
        """History plus ``horizon`` rows holding only the known-future covariates."""
        lay = self.layout_
        ext = np.full((self.horizon, lay.n_inputs), np.nan, dtype=np.float32)
        n_given = len(lay.future_covariates)
        start = lay.n_inputs - lay.n_future
        if n_given:
            fut = future_covariates
            if isinstance(fut, dict):
                fut = fut.get(s.id)
            if fut is None:
                raise ValueError(
                    f"series {s.id!r}: the model uses future covariates "
                    f"{list(lay.future_covariates)}; pass future_covariates= with their values "
                    f"for the {self.horizon} future timestamps starting {fidx[0]}"
                )
            if self.id_col is not None and self.id_col in getattr(fut, "columns", []):
                fut = fut[fut[self.id_col].astype(str) == s.id]
            if self.time_col is not None and self.time_col in fut.columns:
                fut = fut.set_index(pd.DatetimeIndex(pd.to_datetime(fut[self.time_col])))
            missing = [c for c in lay.future_covariates if c not in fut.columns]
            if missing:
                raise ValueError(f"future_covariates is missing column(s) {missing}")
            if isinstance(fut.index, pd.DatetimeIndex) and isinstance(fidx, pd.DatetimeIndex):
                absent = fidx.difference(fut.index)
                if len(absent):
                    raise ValueError(
                        f"series {s.id!r}: future_covariates has no row for {absent[0]}; it "
                        f"needs the {self.horizon} timestamps {fidx[0]} .. {fidx[-1]}"
                    )
                fut = fut[~fut.index.duplicated()].reindex(fidx)
            elif len(fut) < self.horizon:
                raise ValueError(
                    f"series {s.id!r}: future_covariates has {len(fut)} rows; it needs the "
                    f"{self.horizon} timestamps {fidx[0]} .. {fidx[-1]}"
                )
            vals = fut[list(lay.future_covariates)].to_numpy(np.float32)[: self.horizon]
            if not np.isfinite(vals).all():
                raise ValueError(f"series {s.id!r}: future_covariates contain NaN or inf")
            ext[:, start : start + n_given] = vals
        if lay.calendar:
            ext[:, start + n_given :] = calendar_features(fidx, self.freq_).to_numpy(np.float32)
        return np.concatenate([s.values, ext])

    def _forecast_frame(self, fc: np.ndarray, index: pd.Index, sid: str) -> pd.DataFrame:
        """``[H, T]`` or ``[H, T, Q]`` forecast -> DataFrame with real timestamps."""
        targets = list(self.layout_.target)
        qs = getattr(self, "quantiles_", None)
        if qs is None:
            out = pd.DataFrame(fc, index=index, columns=targets)
        else:
            cols = {t: fc[:, i, qs.index(0.5)] for i, t in enumerate(targets)}
            for i, t in enumerate(targets):
                for j, q in enumerate(qs):
                    cols[f"{t}_{_quantile_label(q)}"] = fc[:, i, j]
            out = pd.DataFrame(cols, index=index)
        if self.multi_series_:
            out.insert(0, self.id_col or "series", sid)
        return out

    def backtest(self, data, start=0.8, stride: int | None = None) -> pd.DataFrame:
        """Historical forecasts with the fitted model (no refit), in original units.

        Cutoffs run from ``start`` (a fraction of each series, a row position, or a
        timestamp) to the end of each series every ``stride`` steps (default: horizon);
        each forecast uses only the rows before its first target step.

        Returns
        -------
        Tidy DataFrame with columns ``series, target, cutoff, timestamp, step, y, y_hat``
        (plus ``q<q>`` columns with quantiles), one row per series, cutoff, step and target.
        """
        self._check_fitted()
        stride = self.horizon if stride is None else stride
        if isinstance(stride, bool) or not isinstance(stride, int | np.integer) or stride < 1:
            raise ValueError(f"stride must be an integer >= 1, got {stride!r}")
        _, series = self._to_series(data)
        frames = []
        for s in series:
            origins = self._backtest_origins(s, start, stride)
            fc = self._forecast(s.values, s.id, origins)
            frames.append(self._tidy(s, origins, fc))
        return pd.concat(frames, ignore_index=True)

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
        first = max(first, self._min_history)
        origins = np.arange(first, n - self.horizon + 1, stride, dtype=np.int64)
        if origins.size == 0:
            raise ValueError(
                f"series {s.id!r} has {n} rows: no cutoff from row {first} leaves room for "
                f"horizon {self.horizon} (needs at least {first + self.horizon} rows)"
            )
        return origins

    def _tidy(self, s: SeriesData, origins: np.ndarray, fc: np.ndarray) -> pd.DataFrame:
        n, H = len(origins), self.horizon
        targets = list(self.layout_.target)
        T = len(targets)
        rows = origins[:, None] + np.arange(H)  # [n, H]
        y = s.values[rows][..., :T]  # [n, H, T]
        qs = getattr(self, "quantiles_", None)
        point = fc if qs is None else fc[..., qs.index(0.5)]
        shape = (n, H, T)
        frame = {
            "series": np.full(n * H * T, s.id, dtype=object),
            "target": np.broadcast_to(np.array(targets, dtype=object), shape).ravel(),
            "cutoff": np.broadcast_to(
                np.asarray(s.index)[origins - 1][:, None, None], shape
            ).ravel(),
            "timestamp": np.broadcast_to(np.asarray(s.index)[rows][..., None], shape).ravel(),
            "step": np.broadcast_to(np.arange(1, H + 1)[None, :, None], shape).ravel(),
            "y": y.ravel().astype(np.float64),
            "y_hat": np.asarray(point, dtype=np.float64).ravel(),
        }
        if qs is not None:
            for j, q in enumerate(qs):
                frame[_quantile_label(q)] = np.asarray(fc[..., j], dtype=np.float64).ravel()
        return pd.DataFrame(frame)

    # -- persistence ---------------------------------------------------------------------
    def save(self, path) -> None:
        """Save to a directory: JSON config and state, ``history.npz``, model extras.

        No pickles: arrays go to ``.npz`` (loaded with ``allow_pickle=False``) and
        network weights to a ``state_dict`` file loaded with ``weights_only=True``.
        """
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        state = {
            "format_version": FORMAT_VERSION,
            "class": type(self).__name__,
            "params": _jsonable_params(self),
            "layout": self.layout_.to_dict(),
            "freq": self.freq_ if not isinstance(self.freq_, np.integer) else int(self.freq_),
            "multi_series": self.multi_series_,
            "series": [s.id for s in self.history_],
            "index": [
                {"name": s.index.name, "tz": str(getattr(s.index, "tz", None) or "") or None}
                for s in self.history_
            ],
            "extra": self._extra_state(),
        }
        (path / "config.json").write_text(json.dumps(state, indent=2, default=_json_default))
        arrays = {}
        for i, s in enumerate(self.history_):
            arrays[f"values_{i}"] = s.values
            arrays[f"index_{i}"] = _index_to_array(s.index)
        np.savez(path / "history.npz", **arrays)
        self._save_extra(path)

    @classmethod
    def load(cls, path) -> BaseForecaster:
        """Load a forecaster saved with :meth:`save`; predictions are identical."""
        from . import FORECASTERS

        path = Path(path)
        cfg_file = path / "config.json"
        if not cfg_file.is_file():
            raise ValueError(f"{path} does not hold a saved forecaster (no config.json)")
        state = json.loads(cfg_file.read_text())
        klass = {c.__name__: c for c in FORECASTERS.values()}.get(state["class"])
        if klass is None or (cls is not BaseForecaster and not issubclass(klass, cls)):
            raise ValueError(f"{path} holds a {state['class']}, not a {cls.__name__}")
        model = klass(**state["params"])
        model.layout_ = Layout.from_dict(state["layout"])
        model.freq_ = state["freq"]
        model.multi_series_ = state["multi_series"]
        with np.load(path / "history.npz", allow_pickle=False) as npz:
            model.history_ = [
                SeriesData(
                    sid,
                    _array_to_index(npz[f"index_{i}"], **state["index"][i]),
                    npz[f"values_{i}"],
                )
                for i, sid in enumerate(state["series"])
            ]
        model._load_extra(path, state["extra"])
        return model


def _try_freq(index: pd.Index):
    try:
        return infer_freq(index)
    except ValueError:
        return None


def _jsonable_params(model: BaseEstimator) -> dict:
    params = model.get_params(deep=False)
    try:
        json.dumps(params, default=_json_default)
    except TypeError as exc:
        raise TypeError(f"{type(model).__name__} parameters are not JSON-serialisable: {exc}") from exc
    return params


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, tuple | np.ndarray):
        return list(o)
    raise TypeError(f"cannot save a value of type {type(o).__name__}: {o!r}")


def _index_to_array(index: pd.Index) -> np.ndarray:
    """Timestamps keep their unit; tz-aware ones are stored as UTC (tz in the config)."""
    if isinstance(index, pd.DatetimeIndex) and index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.to_numpy()


def _array_to_index(arr: np.ndarray, tz: str | None = None, name=None) -> pd.Index:
    if np.issubdtype(arr.dtype, np.datetime64):
        index = pd.DatetimeIndex(arr, name=name)
        return index.tz_localize("UTC").tz_convert(tz) if tz else index
    return pd.Index(arr, name=name)


__all__ = ["BaseForecaster", "NotFittedError", "check_index", "check_quantiles"]
