"""tsforecast: time-series forecasting with neural networks and honest baselines.

Importing the package is cheap: submodules and forecaster classes load on first use, so
``import tsforecast`` (and ``tsforecast --help``) never imports torch or Lightning.

Examples
--------
>>> import tsforecast as tsf
>>> tsf.list_forecasters()[:3]
['dlinear', 'lstm', 'lstm_attention']
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = ("data", "datasets", "evaluation", "forecasters", "metrics", "nets", "training",
               "benchmark")
_FORECASTER_NAMES = (
    "FORECASTERS", "BaseForecaster", "NotFittedError", "get_forecaster", "list_forecasters",
    "make_forecaster", "NaiveForecaster", "SeasonalNaiveForecaster", "DriftForecaster",
    "MeanForecaster", "LagRegressionForecaster", "ETSForecaster", "ARIMAForecaster",
    "ThetaForecaster", "MSTLForecaster", "CombinationForecaster",
    "NeuralForecaster", "LSTMForecaster", "LSTMAttentionForecaster",
    "PatchTransformerForecaster", "DLinearForecaster", "NLinearForecaster", "MLPForecaster",
)


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _FORECASTER_NAMES:
        return getattr(importlib.import_module(f"{__name__}.forecasters"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_SUBMODULES, *_FORECASTER_NAMES])


__all__ = ["__version__", "data", "datasets", "metrics", "evaluation", *_FORECASTER_NAMES]
