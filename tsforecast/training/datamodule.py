"""Train/validation loaders over lazy window datasets, as a LightningDataModule."""

from __future__ import annotations

import lightning as L

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

    def train_dataloader(self):
        return make_loader(
            self.train, self.batch_size, shuffle=True, num_workers=self.num_workers,
            pin_memory=self.pin_memory, seed=self.seed, sampling=self.sampling,
        )

    def val_dataloader(self):
        if self.val is None or len(self.val) == 0:
            return []
        return make_loader(
            self.val, self.batch_size, shuffle=False, num_workers=self.num_workers,
            pin_memory=self.pin_memory,
        )
