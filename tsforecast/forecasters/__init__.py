"""The fit/predict facade: neural forecasters and classical baselines, one registry."""

from __future__ import annotations

from .base import BaseForecaster, NotFittedError
from .baselines import (
    DriftForecaster,
    LagRegressionForecaster,
    MeanForecaster,
    NaiveForecaster,
    SeasonalNaiveForecaster,
)
from .neural import (
    DLinearForecaster,
    LSTMAttentionForecaster,
    LSTMForecaster,
    NeuralForecaster,
    NLinearForecaster,
    PatchTransformerForecaster,
)
from .statistical import ARIMAForecaster, ETSForecaster

#: Registered forecasters by name (the benchmark loops over this explicit dict).
FORECASTERS: dict[str, type[BaseForecaster]] = {
    "lstm": LSTMForecaster,
    "lstm_attention": LSTMAttentionForecaster,
    "patch_transformer": PatchTransformerForecaster,
    "dlinear": DLinearForecaster,
    "nlinear": NLinearForecaster,
    "naive": NaiveForecaster,
    "seasonal_naive": SeasonalNaiveForecaster,
    "drift": DriftForecaster,
    "mean": MeanForecaster,
    "ets": ETSForecaster,
    "arima": ARIMAForecaster,
    "lag_regression": LagRegressionForecaster,
}

NEURAL = ("lstm", "lstm_attention", "patch_transformer", "dlinear", "nlinear")
BASELINES = ("naive", "seasonal_naive", "drift", "mean", "ets", "arima", "lag_regression")


def list_forecasters() -> list[str]:
    """Names accepted by :func:`make_forecaster`."""
    return list(FORECASTERS)


def make_forecaster(name: str, **params) -> BaseForecaster:
    """Build a registered forecaster by name.

    Examples
    --------
    >>> make_forecaster("nlinear", lookback=48, horizon=12).horizon
    12
    """
    if name not in FORECASTERS:
        raise ValueError(f"unknown forecaster {name!r}; available: {list_forecasters()}")
    klass = FORECASTERS[name]
    try:
        return klass(**params)
    except TypeError as exc:
        raise TypeError(f"{name!r} ({klass.__name__}): {exc}") from exc


__all__ = [
    "BASELINES",
    "FORECASTERS",
    "NEURAL",
    "ARIMAForecaster",
    "BaseForecaster",
    "DLinearForecaster",
    "DriftForecaster",
    "ETSForecaster",
    "LagRegressionForecaster",
    "LSTMAttentionForecaster",
    "LSTMForecaster",
    "MeanForecaster",
    "NLinearForecaster",
    "NaiveForecaster",
    "NeuralForecaster",
    "NotFittedError",
    "PatchTransformerForecaster",
    "SeasonalNaiveForecaster",
    "list_forecasters",
    "make_forecaster",
]
