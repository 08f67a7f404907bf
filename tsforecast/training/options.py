"""The training options, declared once: name, default, help and constraints of each.

Everything else is derived from these :class:`~tsforecast.constraints.Param` entries:

* the neural forecasters' constructor parameters (:mod:`tsforecast.forecasters.neural`
  adds them to its own: scaler, normalisation, validation tail, window stride...);
* the fields of :class:`~tsforecast.training.fit.TrainOptions`, the training call's
  options (:data:`TRAIN_PARAMS` and :data:`KEEP_INITIAL`);
* the hyperparameters of :class:`~tsforecast.training.module.ForecastModule`
  (:data:`MODULE_PARAMS`, saved as ``module.hparams``);
* the benchmark's flags and config keys that set them
  (:mod:`tsforecast.benchmark.options`).

Their constraints are checked by :func:`tsforecast.constraints.check_param`, the one
checker; the device check against this machine is :func:`check_devices`. Light to
import: no torch or Lightning (``tsforecast --help`` lists the choices).
"""

from __future__ import annotations

import datetime
import re
from numbers import Integral, Real
from typing import Any

from ..constraints import Check, Interval, Options, Param, check_param
from ..resources import cpu_cores

__all__ = [
    "ACCELERATORS", "DEVICES", "KEEP_INITIAL", "LOSSES", "MODULE_PARAMS", "OPTIMIZERS",
    "PRECISIONS", "SCHEDULERS", "TRAINER_PARAMS", "TRAINING_OPTIONS", "TRAIN_PARAMS",
    "WINDOW_PARAMS", "check_devices",
    "lightning_max_time",
]

LOSSES = ("mse", "mae", "smape", "quantile")
OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULERS = (None, "cosine", "warmup_cosine", "onecycle", "plateau")
PRECISIONS = ("32-true", "32", "64-true", "16-mixed", "bf16-mixed")
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps", "tpu")

_COUNT = Interval(Integral, 1, None)
_DICT = Check(lambda v: isinstance(v, dict), "a dict")


def _is_devices(value: Any) -> bool:
    """``"auto"``, a count >= 1 (an int or its digits) or a non-empty list of ids >= 0."""
    if value == "auto" and isinstance(value, str):
        return True
    if isinstance(value, str):
        return value.strip().isdigit() and int(value) >= 1
    if isinstance(value, list | tuple):
        return bool(value) and all(Interval(Integral, 0).is_satisfied_by(d) for d in value)
    return _COUNT.is_satisfied_by(value)


#: The form of a ``devices`` value (what the machine has is :func:`check_devices`'s job).
DEVICES = Check(_is_devices, "'auto', a count >= 1 or a list of ids")


def lightning_max_time(value: Any):
    """``max_time`` as Lightning takes it ("DD:HH:MM:SS", a timedelta dict, a timedelta),
    or ``None`` when it is none of the forms :data:`TRAINER_PARAMS` allows (seconds > 0
    become ``{"seconds": s}``)."""
    if isinstance(value, datetime.timedelta):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d+:\d{1,2}:\d{1,2}:\d{1,2}", value.strip()):
        return value.strip()
    if isinstance(value, dict) and value and all(
        k in ("days", "hours", "minutes", "seconds") and Interval(Real, 0).is_satisfied_by(v)
        for k, v in value.items()
    ):
        return value
    if Interval(Real, 0, None, closed="neither").is_satisfied_by(value):
        return {"seconds": float(value)}
    return None


#: The LightningModule's hyperparameters (loss and optimiser).
MODULE_PARAMS = (
    Param("loss", None, '"mse", "mae", "smape" (scale-free: needs scaler "maxabs" or "none") or '
                        '"quantile"; default: quantile with quantiles, else MSE.',
          (Options(LOSSES), None)),
    Param("quantiles", None, "quantiles to forecast (pinball loss; the median is always added "
          "and is the point forecast)."),  # checked by forecasters.base.check_quantiles
    Param("optimizer", "adam", '"adam", "adamw" or "sgd".', (Options(OPTIMIZERS),)),
    Param("learning_rate", 1e-3, "learning rate.", (Interval(Real, 0, None, closed="neither"),)),
    Param("weight_decay", 0.0, "weight decay.", (Interval(Real, 0),)),
    Param("lr_scheduler", None, 'None; per step over the budget: "cosine", "warmup_cosine" '
          '(linear warm-up over the first 10% of the steps, then cosine), "onecycle"; per '
          'epoch: "plateau".', (Options(SCHEDULERS),)),
)

#: The trainer's options: batches, budget, hardware, seed, messages.
TRAINER_PARAMS = (
    Param("batch_size", 256, "windows per batch.", (_COUNT,)),
    Param("sampling", "windows", 'how an epoch draws its training windows: "windows" (a '
          'shuffle of all of them: a long series weighs by its number of windows) or "series" '
          "(a series uniformly, then one of its windows: every series weighs the same, as "
          "N-BEATS samples).", (Options(("windows", "series")),)),
    Param("max_epochs", 20, "epochs at most (None: no epoch limit; then set max_steps or "
          "max_time).", (_COUNT, None)),
    Param("max_steps", None, "optimiser steps at most (None: no step limit); training stops "
          "at whichever of max_epochs, max_steps and max_time comes first.", (_COUNT, None)),
    Param("max_time", None, 'wall-clock budget ("DD:HH:MM:SS", a dict or seconds).',
          (Check(lambda v: lightning_max_time(v) is not None,
                 "'DD:HH:MM:SS', a dict like {'minutes': 5} or seconds > 0"), None)),
    Param("early_stopping_patience", 5, "epochs without validation improvement before "
          "stopping.", (Interval(Integral, 0),)),
    Param("accelerator", "auto", "Lightning accelerator: auto, cpu, gpu, cuda, mps.",
          (Options(ACCELERATORS, normalise=str),)),
    Param("devices", "auto", "Lightning devices: auto, a count or a list of ids (per machine "
          "with num_nodes).", (DEVICES,)),
    Param("num_nodes", 1, "machines that train together (Lightning's num_nodes: DDP with "
          "devices processes on each; start the script on every machine, e.g. with SLURM's "
          "srun or torchrun).", (_COUNT,)),
    Param("precision", "32-true", "32-true, bf16-mixed, 16-mixed, 64-true.",
          (Options(PRECISIONS, normalise=str),)),
    Param("strategy", "auto", 'Lightning strategy, e.g. "ddp" (data-parallel: each process '
          "trains on its share of the windows, batch_size windows a step; the nets have no "
          "running buffers, so it skips DDP's buffer broadcast before every step)."),
    Param("num_workers", 0, "DataLoader workers (batches are assembled vectorised: 0 is fast).",
          (Interval(Integral, 0),)),
    Param("random_state", None, "seed; a CPU run with the same seed predicts the same numbers.",
          (Interval(Integral, 0), None)),
    Param("trainer_kwargs", None, "anything else for lightning.Trainer (a dict).", (_DICT, None)),
    Param("verbose", None, "True: a progress bar and Lightning's messages (banner, model "
          "summary, warnings); False: nothing; None: the progress bar alone, when stderr is a "
          "terminal or in a Jupyter notebook."),
)

#: What the training call takes from a forecaster's parameters.
TRAIN_PARAMS = MODULE_PARAMS + TRAINER_PARAMS

#: How a neural forecaster cuts its series into training and validation windows.
WINDOW_PARAMS = (
    Param("val_fraction", 0.1, "last fraction of each series' windows used for early stopping "
          "and to pick the best weights (0 disables validation); a zero-initialised net keeps "
          "its untrained start (the last value) unless training beats it there beyond chance "
          "(one-sided Diebold-Mariano test at 5%).", (Interval(Real, 0, 1),)),
    Param("stride", 1, "step between training windows.", (_COUNT,)),
    Param("max_val_windows", 100_000, "validation windows at most (None: all): above it, "
          "every k-th validation window of each series (its last always), k the smallest "
          "that fits, so that a panel of 100k series validates on about as many windows, "
          "not millions (each validation pass reads them all).", (_COUNT, None)),
)

#: Every training option by name (what the benchmark's training flags derive from).
TRAINING_OPTIONS = {p.name: p for p in (*TRAIN_PARAMS, *WINDOW_PARAMS)}

#: The training call's own option: set by the net's registration, not by the user.
KEEP_INITIAL = Param(
    "keep_initial", False, "keep the untrained weights unless the trained ones beat them on "
    "the validation windows beyond chance (one-sided Diebold-Mariano test); for nets that "
    "start as a simple forecast (zero-initialised: the last value).",
    (Check(lambda v: isinstance(v, bool), "True or False"),))


def check_devices(devices: Any, accelerator: str) -> None:
    """Refuse an accelerator this machine lacks, and device counts that would start more
    processes than there are CPU cores or GPUs, before Lightning sees them (it would
    spawn them). The value's form is :data:`DEVICES`; torch is imported only to count
    GPUs."""
    import torch

    check_param("devices", devices, (DEVICES, None))
    if accelerator in ("gpu", "cuda") and not torch.cuda.is_available():
        raise ValueError(f"accelerator={accelerator!r} but torch sees no CUDA GPU here; use "
                         "accelerator='cpu' or 'auto'")
    if accelerator == "mps" and not torch.backends.mps.is_available():
        raise ValueError("accelerator='mps' but this machine has no Apple MPS device")
    if accelerator == "tpu":
        raise ValueError("accelerator='tpu' is not supported by tsforecast's install")
    if devices == "auto" or devices is None:
        return
    if isinstance(devices, str):
        devices = int(devices)
    gpu = accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())
    available = torch.cuda.device_count() if gpu else cpu_cores()
    if isinstance(devices, list | tuple):
        if len(devices) > available or (gpu and max(devices) >= available):
            raise ValueError(f"devices={list(devices)} but this machine has {available} device(s)")
    elif devices > available:
        where = "GPU(s)" if gpu else "CPU core(s)"
        raise ValueError(f"devices={devices} but this machine has {available} {where}")
