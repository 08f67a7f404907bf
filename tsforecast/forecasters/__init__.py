"""The fit/predict facade: neural forecasters and classical baselines, one registry."""

from __future__ import annotations

from .base import BaseForecaster, NotFittedError
from .neural import (
    DLinearForecaster,
    LSTMAttentionForecaster,
    LSTMForecaster,
    NeuralForecaster,
    NLinearForecaster,
    PatchTransformerForecaster,
)

#: Registered forecasters by name (the benchmark loops over this explicit dict).
FORECASTERS: dict[str, type[BaseForecaster]] = {
    "lstm": LSTMForecaster,
    "lstm_attention": LSTMAttentionForecaster,
    "patch_transformer": PatchTransformerForecaster,
    "dlinear": DLinearForecaster,
    "nlinear": NLinearForecaster,
}

NEURAL = ("lstm", "lstm_attention", "patch_transformer", "dlinear", "nlinear")


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
    "FORECASTERS",
    "NEURAL",
    "BaseForecaster",
    "DLinearForecaster",
    "LSTMAttentionForecaster",
    "LSTMForecaster",
    "NLinearForecaster",
    "NeuralForecaster",
    "NotFittedError",
    "PatchTransformerForecaster",
    "list_forecasters",
    "make_forecaster",
]
