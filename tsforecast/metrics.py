"""Alias of :mod:`tsforecast.evaluation` (kept so ``tsf.metrics.mae`` keeps working)."""

from .evaluation import *  # noqa: F403
from .evaluation import __all__  # noqa: F401
