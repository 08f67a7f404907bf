"""Evaluation: accuracy metrics, the Diebold-Mariano test and the tidy-frame evaluator.

Pure NumPy/pandas; nothing here knows about models.
"""

from .dm import diebold_mariano
from .evaluate import evaluate
from .intervals import crps_from_quantiles, interval_width, msis, winkler_score
from .metrics import (
    METRICS,
    VALID_METRICS,
    coverage,
    directional_accuracy,
    mae,
    mape,
    mase,
    mse,
    naive_scale,
    pinball,
    rmse,
    skill,
    smape,
)

__all__ = [
    "METRICS",
    "VALID_METRICS",
    "coverage",
    "crps_from_quantiles",
    "diebold_mariano",
    "directional_accuracy",
    "evaluate",
    "interval_width",
    "mae",
    "mape",
    "mase",
    "mse",
    "msis",
    "naive_scale",
    "pinball",
    "rmse",
    "skill",
    "smape",
    "winkler_score",
]
