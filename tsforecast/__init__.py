"""tsforecast: time-series forecasting with neural networks and honest baselines.

Importing the package is cheap: submodules and forecaster classes load on first use, so
``import tsforecast`` (and ``tsforecast --help``) never imports torch or Lightning. Every
registered forecaster is ``tsforecast.<its class name>`` (``tsf.NaiveForecaster``,
``tsf.LSTMForecaster``, a net registered at runtime too), looked up in the registry.

Examples
--------
>>> import tsforecast as tsf
>>> tsf.list_forecasters()[:3]
['dlinear', 'lstm', 'lstm_attention']
>>> tsf.NaiveForecaster is tsf.get_forecaster("naive")
True
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = ("data", "datasets", "evaluation", "forecasters", "nets", "training", "benchmark")
#: names of tsforecast.forecasters that are not model classes (those come from the registry)
_FIXED = ("FORECASTERS", "BaseForecaster", "NeuralForecaster", "NotFittedError",
          "get_forecaster", "list_forecasters", "make_forecaster")


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _FIXED or name.endswith("Forecaster") or name == "__all__":
        forecasters = importlib.import_module(f"{__name__}.forecasters")
        if name == "__all__":  # derived from the registry: importing every model family
            return ["__version__", "data", "datasets", "evaluation", *forecasters.__all__]
        try:
            return getattr(forecasters, name)
        except AttributeError:
            pass
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    forecasters = importlib.import_module(f"{__name__}.forecasters")
    return sorted({"__version__", *_SUBMODULES, *forecasters.__all__})
