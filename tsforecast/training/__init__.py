"""Training: the one LightningModule, the DataModule and the fit loop around them.

Networks are plain ``nn.Module``s (:mod:`tsforecast.nets`); this package owns the loss,
optimiser, logging, trainer construction, early stopping and best-checkpoint restore.
Devices, precision, DDP and checkpointing come from Lightning.
"""

from .datamodule import WindowDataModule
from .fit import (
    ACCELERATORS,
    PRECISIONS,
    TrainOptions,
    TrainResult,
    check_devices,
    seed,
    train,
)
from .module import LOSSES, OPTIMIZERS, SCHEDULERS, ForecastModule, pinball_loss

__all__ = [
    "ACCELERATORS",
    "LOSSES",
    "OPTIMIZERS",
    "PRECISIONS",
    "SCHEDULERS",
    "ForecastModule",
    "TrainOptions",
    "TrainResult",
    "WindowDataModule",
    "check_devices",
    "pinball_loss",
    "seed",
    "train",
]
