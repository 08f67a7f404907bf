"""The fit/predict facade: the forecaster contract, the registry and the model families.

* :mod:`.base`: the contract (hooks, tags) and what every forecaster inherits;
* :mod:`.registry`: ``make_forecaster``/``list_forecasters``/``get_forecaster``;
* :mod:`.neural`: one forecaster per registered net (torch, imported on first use);
* :mod:`.naive`, :mod:`.regression`, :mod:`.statistical` (statsforecast): classical
  families.

The model classes (``NaiveForecaster``, ``LSTMForecaster``, ...) are not listed here: each
registered forecaster is reachable by its class name, found in the registry on first use
(:func:`~.registry.get_forecaster_class`), so ``import tsforecast.forecasters`` imports
neither torch nor statsforecast and a model registered at runtime gets its name too.
"""

from __future__ import annotations

import importlib

# re-exported names; ``__all__`` is derived from the registry in ``__getattr__``
from .base import BaseForecaster, NotFittedError  # noqa: F401
from .registry import (  # noqa: F401
    FORECASTERS,
    get_forecaster,
    get_forecaster_class,
    list_forecasters,
    make_forecaster,
    public_names,
)

#: the public names that are not registered models
_FIXED = ["FORECASTERS", "BaseForecaster", "NeuralForecaster", "NotFittedError",
          "get_forecaster", "list_forecasters", "make_forecaster"]


def __getattr__(name: str):
    if name == "NeuralForecaster":  # the generic neural class (``model=`` names the net)
        return importlib.import_module(f"{__name__}.neural").NeuralForecaster
    if name == "__all__":  # derived: importing every model family
        return [*_FIXED, *public_names()]
    if name.endswith("Forecaster"):
        try:
            return get_forecaster_class(name)
        except KeyError:
            pass
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_FIXED, *public_names()})
