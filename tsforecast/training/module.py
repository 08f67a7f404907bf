"""The one LightningModule: loss, optimiser, schedule and logging for every net.

The network is a plain ``nn.Module`` passed in; this module only knows the batch
contract (``batch["y"]`` is ``[B, H, T]``, the net returns ``[B, H, T]`` or
``[B, H, T, Q]``). Devices, precision, DDP, checkpointing and early stopping all come
from Lightning.
"""

from __future__ import annotations

import math

import lightning as L
import torch
from torch import nn

from .options import MODULE_PARAMS

__all__ = ["ForecastModule", "lr_factor", "pinball_loss"]

#: Share of the optimiser steps that ``"warmup_cosine"`` spends warming up linearly.
WARMUP_FRACTION = 0.1


def lr_factor(schedule: str, step: int, total: int) -> float:
    """Multiplier of the base learning rate before optimiser step ``step`` (0-based) of ``total``.

    ``"cosine"``: ``0.5 (1 + cos(pi step / total))``, from 1 down to 0 over the budget.
    ``"warmup_cosine"``: rises linearly over the first ``W = max(1, round(0.1 total))`` steps
    (``(step + 1) / W``, so the first step already learns), then the cosine over the rest.

    >>> [round(lr_factor("warmup_cosine", s, 20), 3) for s in (0, 1, 2, 11, 19)]
    [0.5, 1.0, 1.0, 0.5, 0.008]
    """
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * min(step, total) / total))
    if schedule == "warmup_cosine":
        warmup = max(1, round(WARMUP_FRACTION * total))
        if step < warmup:
            return (step + 1) / warmup
        rest = max(total - warmup, 1)
        return 0.5 * (1.0 + math.cos(math.pi * min(step - warmup, rest) / rest))
    raise ValueError(f"lr_factor knows 'cosine' and 'warmup_cosine', got {schedule!r}")


def _smape(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Symmetric absolute percentage error of each element, ``2 |y - pred| / (|y| + |pred|)``
    (0 where both are 0), the M-competitions' sMAPE / 100; scale-free, so a per-series
    scaler that only divides (``maxabs``, ``none``) leaves it unchanged."""
    return 2.0 * (pred - y).abs() / (pred.abs() + y.abs()).clamp_min(1e-8)


def _pinball(pred: torch.Tensor, y: torch.Tensor, quantiles: torch.Tensor) -> torch.Tensor:
    """Quantile (pinball) loss of each element, ``[B, H, T, Q]``; ``y [B, H, T]``."""
    diff = y.unsqueeze(-1) - pred  # [B, H, T, Q]
    return torch.maximum(quantiles * diff, (quantiles - 1) * diff)


def pinball_loss(pred: torch.Tensor, y: torch.Tensor, quantiles: torch.Tensor) -> torch.Tensor:
    """Mean quantile (pinball) loss; ``pred [B, H, T, Q]``, ``y [B, H, T]``."""
    return _pinball(pred, y, quantiles).mean()


class ForecastModule(L.LightningModule):
    """Trains any forecasting net on window batches.

    ``net`` is an ``nn.Module`` with ``forward(batch) -> [B, H, T]`` (or ``[B, H, T, Q]``);
    the keyword arguments are the hyperparameters declared in
    :data:`~tsforecast.training.options.MODULE_PARAMS` (defaults from there; saved as
    ``self.hparams``):

    - ``loss``: ``"mse"`` (also for ``None``), ``"mae"``, ``"smape"`` (:func:`_smape`:
      scale-free, for data scaled without a shift) or ``"quantile"`` (needs ``quantiles``);
    - ``optimizer``: ``"adam"``, ``"adamw"`` or ``"sgd"``;
    - ``lr_scheduler``: ``None``; per optimiser step over the whole budget (``max_steps`` or
      ``max_epochs`` x batches, whichever is smaller): ``"cosine"`` (annealing to 0),
      ``"warmup_cosine"`` (linear warm-up over the first 10% of the steps, then cosine; see
      :func:`lr_factor`), ``"onecycle"`` (``torch.optim.lr_scheduler.OneCycleLR`` peaking at
      ``learning_rate``); per epoch: ``"plateau"`` (halve after 2 epochs without a better
      validation loss).
    """

    def __init__(self, net: nn.Module, **hparams):
        super().__init__()
        declared = {p.name: p.default for p in MODULE_PARAMS}
        unknown = sorted(set(hparams) - set(declared))
        if unknown:
            raise TypeError(f"ForecastModule got unknown hyperparameter(s) {unknown}; "
                            f"valid: {sorted(declared)}")
        self.save_hyperparameters({**declared, **hparams})
        self.net = net
        self.register_buffer("quantiles", torch.tensor(self.hparams.quantiles or (),
                                                       dtype=torch.float32), persistent=False)
        #: training windows seen (an epoch cut short by ``max_steps`` counts what it did)
        self.windows_seen = 0

    def forward(self, batch: dict) -> torch.Tensor:
        return self.net(batch)

    def compute_loss(self, pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        pred = pred.float()  # loss in float32 under mixed precision
        if self.hparams.loss == "quantile":
            return pinball_loss(pred, y, self.quantiles)
        if self.hparams.loss == "mae":
            return nn.functional.l1_loss(pred, y)
        if self.hparams.loss == "smape":
            return _smape(pred, y).mean()
        return nn.functional.mse_loss(pred, y)

    def window_losses(self, pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The loss of each window, ``[B]`` (their mean is :meth:`compute_loss`)."""
        pred = pred.float()
        if self.hparams.loss == "quantile":
            per = _pinball(pred, y, self.quantiles)  # [B, H, T, Q]
        elif self.hparams.loss == "smape":
            per = _smape(pred, y)  # [B, H, T]
        else:
            diff = pred - y  # [B, H, T]
            per = diff.abs() if self.hparams.loss == "mae" else diff.square()
        return per.flatten(1).mean(1)

    # Losses are summed on the device and logged once per epoch: ``self.log`` on every
    # step costs about a millisecond, as much as a whole step of a linear net on a CPU.
    def _accumulate(self, name: str, loss: torch.Tensor, n: int) -> None:
        total = self._sums.get(name)
        step = torch.stack([loss.detach().float() * n, torch.tensor(float(n), device=loss.device)])
        self._sums[name] = step if total is None else total + step

    def _log_epoch(self, name: str) -> None:
        total = self._sums.pop(name, None)
        if total is not None:
            self.log(name, total[0] / total[1], prog_bar=True, sync_dist=True)

    def on_fit_start(self) -> None:
        self._sums: dict[str, torch.Tensor] = {}

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        n = batch["y"].shape[0]
        loss = self.compute_loss(self.net(batch), batch["y"])
        self._accumulate("train_loss", loss, n)
        self.windows_seen += n
        return loss

    def on_train_epoch_end(self) -> None:
        self._log_epoch("train_loss")

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        loss = self.compute_loss(self.net(batch), batch["y"])
        self._accumulate("val_loss", loss, batch["y"].shape[0])

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val_loss")

    def configure_optimizers(self):
        params = self.net.parameters()
        if self.hparams.optimizer == "adamw":
            opt = torch.optim.AdamW(params, lr=self.hparams.learning_rate, weight_decay=self.hparams.weight_decay)
        elif self.hparams.optimizer == "sgd":
            opt = torch.optim.SGD(
                params, lr=self.hparams.learning_rate, momentum=0.9, weight_decay=self.hparams.weight_decay
            )
        else:
            opt = torch.optim.Adam(params, lr=self.hparams.learning_rate, weight_decay=self.hparams.weight_decay)
        if self.hparams.lr_scheduler in ("cosine", "warmup_cosine", "onecycle"):
            total = self.trainer.estimated_stepping_batches
            if not math.isfinite(total) or total < 1:
                raise ValueError(f"lr_scheduler={self.hparams.lr_scheduler!r} needs a finite budget: "
                                 "set max_epochs or max_steps")
            total = int(total)
            if self.hparams.lr_scheduler == "onecycle":
                sched = torch.optim.lr_scheduler.OneCycleLR(
                    opt, max_lr=self.hparams.learning_rate, total_steps=total
                )
            else:
                kind = self.hparams.lr_scheduler
                sched = torch.optim.lr_scheduler.LambdaLR(
                    opt, lambda step: lr_factor(kind, step, total)
                )
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
        if self.hparams.lr_scheduler == "plateau":
            sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2)
            return {
                "optimizer": opt,
                "lr_scheduler": {"scheduler": sched, "monitor": "val_loss"},
            }
        return opt
