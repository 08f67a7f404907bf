"""Training: the one LightningModule, the DataModule and the fit loop around them.

Networks are plain ``nn.Module``s (:mod:`tsforecast.nets`); this package owns the loss,
optimiser, logging, trainer construction, early stopping and best-checkpoint restore.
Devices, precision, DDP and checkpointing come from Lightning.
"""

import importlib

#: public name -> submodule; imported on first use, so ``tsforecast.training.options`` (the
#: option declarations, and option parsing with them) does not import Lightning
_EXPORTS = {
    "WindowDataModule": ".datamodule",
    "ACCELERATORS": ".options", "PRECISIONS": ".options", "LOSSES": ".options",
    "OPTIMIZERS": ".options", "SCHEDULERS": ".options", "check_devices": ".options",
    "TrainOptions": ".fit", "TrainResult": ".fit", "seed": ".fit", "train": ".fit",
    "ForecastModule": ".module", "pinball_loss": ".module",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name], __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
