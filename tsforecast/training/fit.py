"""Train a net on window datasets with Lightning: the one training loop of the package.

:func:`train` builds the :class:`~.module.ForecastModule` and the data module, the
trainer (devices, precision, strategy from :class:`TrainOptions`), early stopping and
checkpointing on the validation loss, runs ``Trainer.fit`` and restores the best
weights on the validation windows (with ``keep_initial`` the untrained ones stay unless
training beats them beyond chance: :func:`beats_initial`). The
forecasters call it; they never touch a ``Trainer`` themselves.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
import warnings
from dataclasses import dataclass, field, make_dataclass
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.fabric.utilities.warnings import PossibleUserWarning
from lightning.pytorch.callbacks import (
    EarlyStopping,
    ModelCheckpoint,
    ProgressBar,
    TQDMProgressBar,
)
from torch import nn

from .. import progress
from ..data.windows import WindowDataset, make_loader
from ..evaluation.dm import diebold_mariano
from .datamodule import WindowDataModule
from .module import ForecastModule
from .options import KEEP_INITIAL, MODULE_PARAMS, TRAIN_PARAMS, lightning_max_time

__all__ = ["TrainOptions", "TrainResult", "seed", "train"]


#: How to train: loss, optimiser, budget, devices (validated by the forecaster). Its fields
#: are the declared training options (:data:`~.options.TRAIN_PARAMS`, same names and
#: defaults) and :data:`~.options.KEEP_INITIAL`.
TrainOptions = make_dataclass(
    "TrainOptions",
    [(p.name, Any, field(default=p.default)) for p in (*TRAIN_PARAMS, KEEP_INITIAL)],
    frozen=True,
)
TrainOptions.__module__ = __name__
TrainOptions.__doc__ = "How to train (fields: the declared training options, see ``options``)."


@dataclass
class TrainResult:
    """What training did: the net with its best weights on validation (on the CPU, eval
    mode), and its statistics."""

    net: nn.Module
    epochs: int
    steps: int
    fit_seconds: float
    windows_per_second: float
    is_global_zero: bool
    world_size: int
    #: whether the untrained weights were kept (training did not beat them beyond chance)
    kept_initial: bool = False
    #: epochs trained up to the weights kept (the best validation's epoch, counted from
    #: 1; without validation: every epoch)
    best_epochs: int = 0


def seed(value: int | None) -> None:
    """Seed Python, NumPy and torch (and dataloader workers) for a reproducible fit."""
    if value is not None:
        L.seed_everything(value, workers=True, verbose=False)


def train(net: nn.Module, train_data: WindowDataset, val_data: WindowDataset | None,
          options: TrainOptions, label: str = "training") -> TrainResult:
    """Fit ``net`` on ``train_data``, early-stopping on ``val_data`` (if it has windows).

    ``options.random_state`` seeds the order of the training windows; seed the global
    generators (:func:`seed`) before building the net so its initial weights are
    reproducible too. ``options.verbose``: ``True`` shows a progress bar named ``label``
    and Lightning's messages (banner, model summary, warnings), ``False`` nothing, ``None``
    the bar alone where someone watches (:func:`tsforecast.progress.show`).
    """
    module = ForecastModule(net, **{p.name: getattr(options, p.name) for p in MODULE_PARAMS})
    show_bar, chatty = progress.show(options.verbose), options.verbose is True
    has_val = val_data is not None and len(val_data) > 0
    gpu = options.accelerator in ("gpu", "cuda") or (
        options.accelerator == "auto" and torch.cuda.is_available()
    )
    data = WindowDataModule(
        train_data, val_data if has_val else None, batch_size=options.batch_size,
        num_workers=options.num_workers, pin_memory=gpu, seed=options.random_state,
        sampling=options.sampling,
    )
    # a net that starts as a simple forecast (zero initialised: the random walk) keeps that
    # start unless training beats it on the validation windows beyond chance
    initial = ({k: v.detach().clone() for k, v in net.state_dict().items()},
               validation_losses(module, val_data, options.batch_size)
               ) if has_val and options.keep_initial else None
    with tempfile.TemporaryDirectory(prefix="tsforecast-") as workdir, _quiet(not chatty):
        callbacks: list = []
        if has_val:
            callbacks.append(_ValidateAtStepBudget())
            callbacks.append(ModelCheckpoint(
                dirpath=workdir, monitor="val_loss", mode="min", save_top_k=1,
                save_weights_only=True,
            ))
            if options.early_stopping_patience:
                # checked after each validation (not at the end of a training epoch, which
                # max_steps may cut short before it validated)
                callbacks.append(EarlyStopping(
                    monitor="val_loss", mode="min", patience=options.early_stopping_patience,
                    check_on_train_epoch_end=False,
                ))
        kwargs = dict(
            accelerator=options.accelerator, devices=options.devices,
            num_nodes=options.num_nodes, precision=options.precision,
            strategy=lightning_strategy(options.strategy),
            max_epochs=options.max_epochs, callbacks=callbacks,
            max_time=None if options.max_time is None else lightning_max_time(options.max_time),
            max_steps=-1 if options.max_steps is None else options.max_steps,
            enable_progress_bar=show_bar, enable_model_summary=chatty,
            enable_checkpointing=has_val, num_sanity_val_steps=0,
            limit_val_batches=None if has_val else 0, deterministic=False,
            use_distributed_sampler=False,  # the data module shares the windows out
            logger=False, default_root_dir=workdir,
        )
        extra = dict(options.trainer_kwargs or {})
        callbacks.extend(extra.pop("callbacks", None) or [])  # the caller's come on top of ours
        kwargs.update(extra)
        if kwargs["enable_progress_bar"] and not any(isinstance(c, ProgressBar)
                                                     for c in callbacks):
            callbacks.append(_ProgressBar(label))  # unless the caller brought a bar
        trainer = L.Trainer(**kwargs)
        start = time.perf_counter()
        trainer.fit(module, datamodule=data)
        seconds = time.perf_counter() - start
        best = trainer.checkpoint_callback.best_model_path if has_val else ""
        best_epochs = int(trainer.current_epoch)
        if best:
            saved = torch.load(best, map_location="cpu", weights_only=True)
            module.load_state_dict(saved["state_dict"])
            best_epochs = int(saved["epoch"]) + 1
    module = module.cpu().float()
    kept_initial = initial is not None and not beats_initial(
        validation_losses(module, val_data, options.batch_size), initial[1],
        -(-val_data.horizon // val_data.stride), val_data.counts)
    if kept_initial:
        module.net.load_state_dict(initial[0])
    return TrainResult(
        net=module.net.eval(),
        epochs=int(trainer.current_epoch),
        steps=int(trainer.global_step),
        fit_seconds=seconds,
        windows_per_second=module.windows_seen * trainer.world_size / max(seconds, 1e-9),
        is_global_zero=trainer.is_global_zero,
        world_size=trainer.world_size,
        kept_initial=kept_initial,
        best_epochs=best_epochs,
    )


def lightning_strategy(strategy: Any) -> Any:
    """The strategy the trainer gets: ``"ddp"`` becomes Lightning's ``DDPStrategy``
    without the broadcast of the module's buffers before every forward pass (a collective
    per step: ~1 ms with gloo here, as much as a linear net's step; the nets hold no
    buffer that training changes) and with gradients as views of the all-reduce buckets
    (no copy). Any other value is passed on as it is."""
    if strategy != "ddp":
        return strategy
    import inspect

    from lightning.pytorch.strategies import DDPStrategy
    from torch.nn.parallel import DistributedDataParallel

    no_sync = ("forward_sync_buffers" if "forward_sync_buffers" in inspect.signature(
        DistributedDataParallel).parameters else "broadcast_buffers")  # torch < 2.13
    return DDPStrategy(gradient_as_bucket_view=True, **{no_sync: False})


#: Significance level of the one-sided test that training beat a net's untrained start.
KEEP_INITIAL_ALPHA = 0.05


def validation_losses(module: ForecastModule, data: WindowDataset,
                      batch_size: int) -> np.ndarray:
    """The module's loss on each window of ``data``, in order: its net in eval mode, on the
    CPU in float32 (how the trained and the initial weights are compared). The global
    random state is left as it was (a loader draws from it), so training is the same with
    or without this pass."""
    net = module.net
    training = net.training
    net.eval()
    out = []
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        for batch in make_loader(data, batch_size):
            out.append(module.window_losses(net(batch), batch["y"]).numpy())
    net.train(training)
    return np.concatenate(out).astype(np.float64)


def beats_initial(trained: np.ndarray, initial: np.ndarray, lags: int,
                  groups: np.ndarray | None = None) -> bool:
    """Whether the trained weights' window losses are lower than the untrained weights'
    beyond chance: a lower mean and a one-sided Diebold-Mariano test (Newey-West over
    ``lags`` lags: overlapping windows share targets; with ``groups``, the windows per
    series, only within a series) at :data:`KEEP_INITIAL_ALPHA`. With too few windows for
    the test, a lower mean is enough."""
    if not trained.mean() < initial.mean():
        return False
    try:  # the losses' square roots as errors: the test's squared loss is the loss itself
        stat, p = diebold_mariano(np.sqrt(trained), np.sqrt(initial), horizon=max(1, lags),
                                  groups=groups)
    except ValueError:
        return True
    return stat < 0 and p / 2 < KEEP_INITIAL_ALPHA


class _ValidateAtStepBudget(L.Callback):
    """Validate after the last step of a ``max_steps`` budget that ends inside an epoch.

    Lightning validates at epoch ends; an epoch cut short by ``max_steps`` would leave its
    steps unvalidated (and the restored best weights would ignore them). Asking the trainer
    to stop at the budget's last step makes it validate first, as it does for a ``max_time``
    stop.
    """

    def on_train_batch_end(self, trainer, *args) -> None:
        if 0 < trainer.max_steps <= trainer.global_step:
            trainer.should_stop = True


class _ProgressBar(TQDMProgressBar):
    """Lightning's bar drawn by :func:`tsforecast.progress.bar` (a widget in a notebook,
    text in a terminal, on stderr), named after the fit: ``lstm (calibration) epoch 3``."""

    def __init__(self, label: str):
        super().__init__()
        self.label = label

    def init_train_tqdm(self):
        return progress.bar(desc=self.label, disable=self.is_disabled, leave=True,
                            smoothing=0, bar_format=self.BAR_FORMAT)

    def init_validation_tqdm(self):
        return progress.bar(desc=self.validation_description, disable=self.is_disabled,
                            leave=False, position=1, bar_format=self.BAR_FORMAT)

    def on_train_epoch_start(self, trainer, *args) -> None:
        super().on_train_epoch_start(trainer, *args)
        self.train_progress_bar.set_description(f"{self.label} epoch {trainer.current_epoch}")


@contextlib.contextmanager
def _quiet(enabled: bool):
    """Silence Lightning's messages (banner, tips, "fit stopped") and its warnings unless
    verbose; the loggers' levels are restored after."""
    if not enabled:
        yield
        return
    loggers = [logging.getLogger(n) for n in (
        "lightning", "lightning.pytorch", "lightning.fabric",
        "lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=PossibleUserWarning)
            for message in (".*does not have many workers.*", ".*GPU available but not used.*",
                            ".*LeafSpec.*", ".*on a single-threaded.*", ".*tensorboardX.*"):
                warnings.filterwarnings("ignore", message=message)
            yield
    finally:
        for lg, lvl in zip(loggers, levels, strict=True):
            lg.setLevel(lvl)
