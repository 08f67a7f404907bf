"""The fit/predict facade: the forecaster contract, the registry and the model families.

* :mod:`.base`: the contract (hooks, tags) and what every forecaster inherits;
* :mod:`.registry`: ``make_forecaster``/``list_forecasters``/``get_forecaster``;
* :mod:`.neural`: one forecaster per registered net (torch, imported on first use);
* :mod:`.naive`, :mod:`.regression`, :mod:`.statistical` (statsforecast): classical
  families.

Names are resolved lazily, so ``import tsforecast.forecasters`` imports neither torch nor
statsforecast; ``tsforecast.forecasters.LSTMForecaster`` imports torch on first use.
"""

from __future__ import annotations

import importlib

from .base import BaseForecaster, NotFittedError
from .registry import FORECASTERS, get_forecaster, list_forecasters, make_forecaster

#: public class name -> module that defines it (neural ones are made from the net registry)
_CLASSES = {
    "NaiveForecaster": "naive",
    "SeasonalNaiveForecaster": "naive",
    "DriftForecaster": "naive",
    "MeanForecaster": "naive",
    "LagRegressionForecaster": "regression",
    "ETSForecaster": "statistical",
    "ARIMAForecaster": "statistical",
    "ThetaForecaster": "statistical",
    "MSTLForecaster": "statistical",
    "CombinationForecaster": "combination",
    "NeuralForecaster": "neural",
    "LSTMForecaster": "neural",
    "LSTMAttentionForecaster": "neural",
    "PatchTransformerForecaster": "neural",
    "DLinearForecaster": "neural",
    "NLinearForecaster": "neural",
    "MLPForecaster": "neural",
}


def __getattr__(name: str):
    if name in _CLASSES:
        return getattr(importlib.import_module(f"{__name__}.{_CLASSES[name]}"), name)
    if name in ("NEURAL", "BASELINES"):  # the old tuples of names, now read from the tags
        return tuple(list_forecasters(tag="neural", value=name == "NEURAL"))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FORECASTERS",
    "BaseForecaster",
    "NotFittedError",
    "get_forecaster",
    "list_forecasters",
    "make_forecaster",
    *_CLASSES,
]
