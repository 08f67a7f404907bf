"""tsforecast: time-series forecasting with neural networks and honest baselines.

Examples
--------
>>> import tsforecast as tsf
>>> sorted(tsf.list_forecasters())[:3]
['arima', 'dlinear', 'drift']
"""

from . import data, datasets, metrics
from .forecasters import *  # noqa: F403
from .forecasters import __all__ as _forecasters_all

__version__ = "0.1.0"

__all__ = ["data", "datasets", "metrics", "__version__", *_forecasters_all]
