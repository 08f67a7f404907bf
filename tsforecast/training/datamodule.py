"""Train/validation loaders over lazy window datasets, as a LightningDataModule."""

from __future__ import annotations

import lightning as L
import torch

from ..data.windows import WindowDataset, make_loader

__all__ = ["WindowDataModule"]


class WindowDataModule(L.LightningDataModule):
    """Train/validation loaders over lazy window datasets (validation never drops a batch).

    ``batch_size`` and ``num_workers`` are the training options of that name (declared in
    :mod:`tsforecast.training.options`; :func:`~tsforecast.training.train` passes them)."""

    def __init__(
        self,
        train: WindowDataset,
        val: WindowDataset | None = None,
        *,
        batch_size: int,
        num_workers: int,
        pin_memory: bool = False,
        seed: int | None = None,
        sampling: str = "windows",
    ):
        super().__init__()
        self.train, self.val = train, val
        self.batch_size, self.num_workers = batch_size, num_workers
        self.pin_memory, self.seed, self.sampling = pin_memory, seed, sampling

    def _shares(self) -> dict:
        """This process's rank and the number of processes (data-parallel training: the
        loaders give each process its share; the trainer adds no sampler of its own)."""
        trainer = self.trainer
        if trainer is None or trainer.world_size == 1:
            return {"rank": 0, "replicas": 1}
        return {"rank": trainer.global_rank, "replicas": trainer.world_size}

    def train_dataloader(self):
        shares, seed = self._shares(), self.seed
        if shares["replicas"] > 1 and seed is None:  # one order for all: rank 0's seed
            seed = self.trainer.strategy.broadcast(int(torch.initial_seed() % 2**63))
        return make_loader(
            self.train, self.batch_size, shuffle=True, num_workers=self.num_workers,
            pin_memory=self.pin_memory, seed=seed, sampling=self.sampling, **shares,
        )

    def val_dataloader(self):
        if self.val is None or len(self.val) == 0:
            return []
        return make_loader(
            self.val, self.batch_size, shuffle=False, num_workers=self.num_workers,
            pin_memory=self.pin_memory, **self._shares(),
        )
