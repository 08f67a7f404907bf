"""Forecast combination: the mean or median of several member forecasters.

The classic M3 lesson: a combination of good, different models is more accurate than
any of them on average. Members are given by registered name and parameters (JSON-able,
so the combination saves and clones like any forecaster); each is fitted on the same
validated arrays and forecasts the same origins. Members may be neural: nets of several
lookbacks and losses averaged are the N-BEATS ensemble recipe (each net sets its own
``random_state``, budget and lookback in its parameters). ``fallbacks_`` gathers what the
members record of the series they gave a simpler model.
"""

from __future__ import annotations

import numpy as np

from ..data import Layout, SeriesData
from .base import BaseForecaster
from .conformal import CALIBRATION_ORIGINS
from .params import Param
from .registry import get_forecaster, make_forecaster, register

__all__ = ["CombinationForecaster", "combine_forecasts", "member_items", "members_state",
           "restore_members"]


def combine_forecasts(stacked: np.ndarray, how: str) -> np.ndarray:
    """The ``"mean"`` or ``"median"`` over the first axis of members' stacked forecasts
    (``[M, ...] -> [...]``): the one place a combination, an ensemble and the benchmark's
    ensemble pieces combine their members. In float64 whatever the members' dtype (nets
    forecast float32), so members combined from their tidy (float64) outputs give the same
    numbers, bit for bit."""
    if how not in ("mean", "median"):
        raise ValueError(f'combine must be "mean" or "median", got {how!r}')
    stacked = np.asarray(stacked, dtype=np.float64)
    return np.mean(stacked, axis=0) if how == "mean" else np.median(stacked, axis=0)


def member_items(members) -> list[tuple[str, dict]]:
    """``(name, params)`` of each member given by name or as a ``(name, params)`` pair."""
    out = []
    for item in members:
        name, params = ((item, {}) if isinstance(item, str) else tuple(item)
                        if isinstance(item, list | tuple) and len(item) == 2 else (None, None))
        if not isinstance(name, str) or not isinstance(params, dict):
            raise ValueError(f"members must hold names or (name, params) pairs, got {item!r}")
        if name == "combination":
            raise ValueError("a combination cannot contain another combination")
        out.append((name, params))
    return out


def members_state(members) -> tuple[dict, dict]:
    """The saved state of fitted member forecasters: their states in order, their arrays
    under ``member<i>/``."""
    state, arrays = {"members": []}, {}
    for i, m in enumerate(members):
        s, a = m._get_state()
        state["members"].append(s)
        arrays.update({f"member{i}/{k}": v for k, v in a.items()})
    return state, arrays


def restore_members(owner: BaseForecaster, members, state: dict, arrays: dict) -> None:
    """Load ``state``/``arrays`` (:func:`members_state`) into the unfitted ``members`` of
    the loaded ``owner``: its data schema, frequency and each member's share of its
    history, then the member's own state."""
    for i, (m, s) in enumerate(zip(members, state["members"], strict=True)):
        m.spec_, m.layout_, m.freq_ = owner.spec_, owner.layout_, owner.freq_
        m.multi_series_ = owner.multi_series_
        keep = m.history_rows
        m.history_ = [SeriesData(h.id, h.index[-keep:], h.values[-keep:], None)
                      if keep else h for h in owner.history_]
        prefix = f"member{i}/"
        m._set_state(s, {k[len(prefix):]: v for k, v in arrays.items()
                         if k.startswith(prefix)})


@register("combination")
class CombinationForecaster(BaseForecaster):
    """Mean or median of member forecasts (default: AutoETS, AutoTheta and AutoARIMA).

    Examples
    --------
    >>> import tsforecast as tsf
    >>> df = tsf.datasets.load_weather().iloc[-400:]
    >>> f = CombinationForecaster(horizon=6, target="TEMP", fill_missing="ffill",
    ...                           members=("naive", ("seasonal_naive", {"season_length": 24})))
    >>> f.fit(df).predict().shape
    (6, 1)
    """

    #: calibration_origins: its members forecast one origin at a time (statsforecast's)
    tags = {"scope": "local", "family": "combination",
            "calibration_origins": CALIBRATION_ORIGINS}
    params = (
        Param("members", ("ets", "theta", "arima"), "registered names, or (name, params) "
              "pairs, of the forecasters to combine."),
        Param("combine", "mean", '"mean" or "median" of the member point forecasts.'),
    )

    def _members(self) -> list[BaseForecaster]:
        """Unfitted members with this forecaster's horizon and data schema."""
        shared = {k: v for k, v in self.get_params(deep=False).items()
                  if k not in ("members", "combine", "level", "calibration_size")}
        out = []
        for name, params in member_items(self.members):
            klass = get_forecaster(name)
            own = {k: v for k, v in shared.items() if k in klass.param_names()}
            out.append(make_forecaster(name, **{**own, **params}))
        return out

    def _check_params(self) -> None:
        super()._check_params()
        if isinstance(self.members, str) or not self.members:
            raise ValueError(f"members must be a non-empty list of forecaster names, got "
                             f"{self.members!r}")
        if self.combine not in ("mean", "median"):
            raise ValueError(f'combine must be "mean" or "median", got {self.combine!r}')
        for member in self._members():
            member._check_params()

    def _sized_members(self) -> list[BaseForecaster]:
        """The members, knowing the fitted frequency (their sizes may depend on it)."""
        members = getattr(self, "members_", None) or self._members()
        if hasattr(self, "freq_"):
            for m in members:
                m.freq_ = self.freq_
        return members

    @property
    def min_history(self) -> int:
        return max(m.min_history for m in self._sized_members())

    @property
    def min_fit_rows(self) -> int:
        return max(m.min_fit_rows for m in self._sized_members())

    def _fit(self, layout: Layout, series: list[SeriesData]) -> None:
        self.members_ = self._members()
        full = getattr(self, "full_fit_", None)  # the calibration copy's model on all rows
        for i, m in enumerate(self.members_):
            if full is not None:
                m._calibrating(full.members_[i])
            m._fit_validated(self.spec_, layout, series, self.multi_series_, self.freq_)
        self.fallbacks_ = self._fallbacks()

    def _fallbacks(self) -> dict:
        """The members' ``fallbacks_`` by series: ``"<member>: <what it used>; ..."``."""
        found: dict = {}
        for (name, _), m in zip(member_items(self.members), self.members_, strict=True):
            for key, what in getattr(m, "fallbacks_", {}).items():
                found.setdefault(key, []).append(f"{name}: {what}")
        return {key: "; ".join(whats) for key, whats in found.items()}

    def _forecast(self, values: np.ndarray, sid: str, origins: np.ndarray) -> np.ndarray:
        return self._forecast_many([(values, sid, origins)])[0]

    def _forecast_many(self, items: list) -> list[np.ndarray]:
        points = []  # per member, per item
        for m in self.members_:
            q = getattr(m, "quantiles_", None)
            points.append([fc if q is None else fc[..., q.index(0.5)]
                           for fc in m._forecast_many(items)])
        # per item: [M, n, H, T] -> [n, H, T]
        return [combine_forecasts(np.stack(member), self.combine)
                for member in zip(*points, strict=True)]

    def _get_state(self):
        return members_state(self.members_)

    def _set_state(self, state: dict, arrays: dict) -> None:
        self.members_ = self._members()
        restore_members(self, self.members_, state, arrays)
        self.fallbacks_ = self._fallbacks()
