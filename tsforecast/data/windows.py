"""Lazy, leak-free training windows and chronological splits.

A :class:`WindowDataset` holds each series once (no copy of the caller's float32 arrays)
plus, per series, the arithmetic of its window origins: first origin, count and stride.
A window is built only when indexed: ``__getitems__`` gathers a whole batch with one
fancy index per series (one for the whole batch when the series are row ranges of one
array, as ``DataSpec.to_series`` gives a panel) and applies the training-set scaling to
that batch alone, so the ``N x lookback`` copies are never materialised.

A window with origin ``t`` reads inputs ``[t - lookback, t)`` and targets
``[t, t + horizon)``. For a segment ``[start, end)`` the origins satisfy
``t >= max(start, lookback)`` and ``t + horizon <= end``: the inputs may look back into
the previous segment (as the long-horizon papers do) but no target step is ever shared
between segments. Origins are anchored at the segment end, so the most recent window is
always present and the count is ``(last - first) // stride + 1``.

Short series (``min_context < lookback``): an origin then needs only ``min_context`` rows
before it, ``t >= max(start, min_context)``. The input steps before row 0 are *padding*:
0 in scaled units, and ``batch["mask"]`` ``[B, L]`` (float32, 1 = observed, 0 = padded)
says which they are. Padding is only ever on the left of the inputs; targets and the
known-future part are always real rows. The mask is computed per batch from the origins,
like the windows themselves (nothing is materialised).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from .splits import check_min_context, check_sizes, count_windows


def gather_windows(array: np.ndarray, origins: np.ndarray, steps: np.ndarray,
                   loc: np.ndarray | None = None, scale: np.ndarray | None = None,
                   pad: bool = False, offsets: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray | None]:
    """Rows ``origins[:, None] + steps`` of ``[T, C]`` ``array``: ``[n, len(steps), C]``
    float32, scaled as ``(x - loc) / scale`` when ``loc`` is given (``[C]``, or ``[n, 1,
    C]``: each window its own).

    With ``pad``, rows before 0 are allowed: they come back as 0 (in scaled units) and the
    second result is the ``[n, len(steps)]`` boolean mask of real rows (else None).
    ``offsets`` (``[n]``): window k's rows are counted from row ``offsets[k]`` of
    ``array`` (the windows of several series stacked in one array; padding is before
    each series' own row 0).

    >>> a = np.arange(1, 5, dtype=np.float32)[:, None]
    >>> block, mask = gather_windows(a, np.array([1]), np.arange(-3, 1), pad=True)
    >>> block[0, :, 0].tolist(), mask[0].tolist()
    ([0.0, 0.0, 1.0, 2.0], [False, False, True, True])
    """
    idx = origins[:, None] + steps  # [n, S]
    valid = None
    if pad:
        valid = idx >= 0
        idx = np.maximum(idx, 0)
    if offsets is not None:
        idx = idx + offsets[:, None]
    block = np.asarray(array[idx], dtype=np.float32)  # fancy index: a fresh [n, S, C] copy
    if loc is not None:
        block -= loc
        block /= scale
    if pad:
        block[~valid] = 0.0
    return block, valid


def window_batches(items, steps: np.ndarray, pad: bool = False, size: int = 1024):
    """The windows of many series in batches of about ``size`` windows (one batch may
    hold the windows of many short series; a long series' are cut every ``size``).

    ``items``: ``(array, origins, loc, scale)`` per series (as :func:`gather_windows`
    takes them). Yields ``(owners, block, valid)``: ``owners`` the ``(item, windows)``
    pairs of the batch in order, ``block`` ``[b, len(steps), C]`` and ``valid`` the mask
    (``None`` without ``pad``). A series without origins owns 0 windows of a batch.
    """
    owners, blocks, masks, held = [], [], [], 0
    for i, (array, origins, loc, scale) in enumerate(items):
        for at in range(0, max(len(origins), 1), size):
            chunk = origins[at : at + size]
            block, valid = gather_windows(array, chunk, steps, loc, scale, pad=pad)
            owners.append((i, len(chunk)))
            blocks.append(block)
            masks.append(valid)
            held += len(chunk)
            if held >= size:
                yield owners, np.concatenate(blocks), None if not pad else np.concatenate(masks)
                owners, blocks, masks, held = [], [], [], 0
    if owners:
        yield owners, np.concatenate(blocks), None if not pad else np.concatenate(masks)


def _shared_block(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """``(block, first rows)`` when the arrays of several series are row ranges of one
    C-contiguous float32 array (what ``DataSpec.to_series`` gives a panel): a batch of
    windows from many series is then one fancy index into it, without a copy of the
    values; else ``None`` (a batch takes one fancy index per series)."""
    base = arrays[0].base if len(arrays) > 1 else None
    if not (isinstance(base, np.ndarray) and base.ndim == 2 and base.dtype == np.float32
            and base.flags.c_contiguous):
        return None
    origin, row = base.__array_interface__["data"][0], base.strides[0]
    starts = np.empty(len(arrays), dtype=np.int64)
    for k, a in enumerate(arrays):
        offset = a.__array_interface__["data"][0] - origin
        if (a.base is not base or a.dtype != base.dtype or a.ndim != 2
                or a.shape[1] != base.shape[1] or not a.flags.c_contiguous or offset % row):
            return None
        starts[k] = offset // row
    return base, starts


class WindowDataset(Dataset):
    """Lazy windows over one or more ``[T, C]`` float32 arrays.

    Each batch is a dict: ``x [B, L, C]``, ``x_future [B, H, n_future]``,
    ``y [B, H, n_targets]``, ``series [B]`` (series position) and ``origin [B]``, plus
    ``mask [B, L]`` (1 = observed) when ``min_context < lookback``.

    Parameters
    ----------
    arrays : sequence of numpy.ndarray
        One ``[T_i, C]`` float32 array per series; held by reference, never copied.
    lookback, horizon, stride : int
        Window geometry.
    n_targets : int
        The first ``n_targets`` columns are the targets.
    n_future : int
        The last ``n_future`` columns are known-future covariates.
    bounds : sequence of (int, int), optional
        Per series, the ``[start, end)`` rows targets may come from (default: all).
    loc, scale : sequence of numpy.ndarray, optional
        Per series ``[C]`` arrays; each batch is ``(x - loc) / scale``.
    min_context : int, optional
        The fewest real input rows a window needs (``None``: ``lookback``); below
        ``lookback`` the inputs of early windows are left-padded (module docstring).

    Examples
    --------
    >>> arr = np.arange(20, dtype=np.float32).reshape(10, 2)
    >>> ds = WindowDataset([arr], lookback=4, horizon=2, n_targets=1)
    >>> len(ds), ds[0]["x"].shape, ds[0]["y"].shape
    (5, torch.Size([4, 2]), torch.Size([2, 1]))
    """

    def __init__(
        self,
        arrays: Sequence[np.ndarray],
        lookback: int,
        horizon: int,
        *,
        n_targets: int,
        n_future: int = 0,
        stride: int = 1,
        bounds: Sequence[tuple[int, int]] | None = None,
        loc: Sequence[np.ndarray] | None = None,
        scale: Sequence[np.ndarray] | None = None,
        min_context: int | None = None,
    ):
        check_sizes(lookback, horizon, stride)
        self.arrays = list(arrays)
        self.lookback, self.horizon, self.stride = lookback, horizon, stride
        self.min_context = check_min_context(min_context, lookback)
        #: windows may start before row 0 (left padding, with a mask in every batch)
        self.padded = self.min_context < lookback
        self.n_targets, self.n_future = n_targets, n_future
        bounds = bounds if bounds is not None else [(0, len(a)) for a in self.arrays]
        counts = np.array(
            [count_windows(s, e, self.min_context, horizon, stride) for s, e in bounds],
            dtype=np.int64,
        )
        # origin of the k-th window of series i: first[i] + k * stride (anchored at the end)
        self._first = np.array(
            [e - horizon - (c - 1) * stride for (s, e), c in zip(bounds, counts, strict=True)],
            dtype=np.int64,
        )
        self._counts = counts
        self._offsets = np.concatenate([[0], np.cumsum(counts)])
        self._steps = np.arange(-lookback, horizon, dtype=np.int64)  # [L + H]
        self.loc = None if loc is None else [np.asarray(v, np.float32) for v in loc]
        self.scale = None if scale is None else [np.asarray(v, np.float32) for v in scale]
        self._block = _shared_block(self.arrays)
        if self._block is not None and self.loc is not None:  # [n_series, C] for a batch
            self._loc, self._scale = np.stack(self.loc), np.stack(self.scale)

    def __len__(self) -> int:
        return int(self._offsets[-1])

    @property
    def counts(self) -> np.ndarray:
        """Windows per series."""
        return self._counts.copy()

    def locate(self, indices) -> tuple[np.ndarray, np.ndarray]:
        """Series position and origin row of each window index."""
        idx = np.asarray(indices, dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= len(self)):
            raise IndexError(f"window index out of range for {len(self)} windows")
        sid = np.searchsorted(self._offsets, idx, side="right") - 1
        return sid, self._first[sid] + (idx - self._offsets[sid]) * self.stride

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        batch = self.__getitems__([i])
        return {k: v[0] for k, v in batch.items()}

    def __getitems__(self, indices) -> dict[str, torch.Tensor]:
        sid, origin = self.locate(indices)
        L, T, F = self.lookback, self.n_targets, self.n_future
        if self._block is not None:  # every series at once, from their shared block
            block, starts = self._block
            win, valid = gather_windows(  # [B, L+H, C], [B, L+H] or None
                block, origin, self._steps,
                None if self.loc is None else self._loc[sid][:, None, :],
                None if self.scale is None else self._scale[sid][:, None, :],
                pad=self.padded, offsets=starts[sid])
            mask = None if valid is None else valid[:, :L].astype(np.float32)
        else:
            first = self.arrays[int(sid[0])] if len(sid) else self.arrays[0]
            win = np.empty((len(sid), len(self._steps), first.shape[1]), dtype=np.float32)
            mask = np.empty((len(sid), L), dtype=np.float32) if self.padded else None
            for s in np.unique(sid):
                rows = sid == s
                block, valid = gather_windows(  # [b, L+H, C], [b, L+H] or None
                    self.arrays[s], origin[rows], self._steps,
                    None if self.loc is None else self.loc[s],
                    None if self.scale is None else self.scale[s], pad=self.padded)
                win[rows] = block
                if mask is not None:
                    mask[rows] = valid[:, :L]  # the horizon part is always real
        batch = {
            "x": torch.from_numpy(win[:, :L]),  # [B, L, C]
            "x_future": torch.from_numpy(win[:, L:, win.shape[2] - F :]),  # [B, H, F]
            "y": torch.from_numpy(win[:, L:, :T]),  # [B, H, T]
            "series": torch.from_numpy(sid),  # [B]
            "origin": torch.from_numpy(origin),  # [B]
        }
        if mask is not None:
            batch["mask"] = torch.from_numpy(mask)  # [B, L], 1 = observed
        return batch


def _as_batch(batch):
    return batch


class ShuffleSampler(Sampler[int]):
    """A fresh random order each epoch, held as one int32 array (not a Python list).

    ``torch``'s ``RandomSampler`` turns the permutation into a Python list (~36 bytes a
    window: 320 MB for 9 million windows); this keeps it at 4 bytes a window.

    With ``replicas > 1`` (data-parallel training) every process draws the same order
    (the same ``seed``) and keeps every ``replicas``-th window from its ``rank``: the
    shares are disjoint and of equal length (the order wraps around to fill the last
    round, as ``DistributedSampler`` pads), so every process takes the same number of
    steps. Lightning's wrapper of a custom sampler costs ~1 µs a window more.
    """

    def __init__(self, n: int, seed: int | None = None, rank: int = 0, replicas: int = 1):
        self.n, self.rank, self.replicas = n, rank, replicas
        self._rng = np.random.default_rng(seed if seed is not None else torch.initial_seed())

    def __len__(self) -> int:
        return -(-self.n // self.replicas)

    def __iter__(self):
        perm = np.arange(self.n, dtype=np.int32 if self.n < 2**31 else np.int64)
        self._rng.shuffle(perm)
        if self.replicas > 1:
            perm = np.resize(perm, len(self) * self.replicas)[self.rank :: self.replicas]
        for start in range(0, len(perm), 65536):
            yield from perm[start : start + 65536].tolist()


class SeriesSampler(Sampler[int]):
    """Every series weighs the same: each draw picks a series uniformly (among those with
    windows), then one of its windows uniformly, as N-BEATS samples its training windows;
    an epoch is ``len(dataset)`` draws (with replacement). Long series no longer dominate
    a panel's loss by their number of windows. ``rank`` / ``replicas``: this process's
    share of the draws, as in :class:`ShuffleSampler`."""

    def __init__(self, counts: np.ndarray, seed: int | None = None, rank: int = 0,
                 replicas: int = 1):
        counts = np.asarray(counts, dtype=np.int64)
        self.n = int(counts.sum())
        self.rank, self.replicas = rank, replicas
        self._series = np.flatnonzero(counts > 0)
        self._counts = counts[self._series]
        self._offsets = np.concatenate([[0], np.cumsum(counts)])[self._series]
        self._rng = np.random.default_rng(seed if seed is not None else torch.initial_seed())

    def __len__(self) -> int:
        return -(-self.n // self.replicas)

    def __iter__(self):
        total = len(self) * self.replicas
        for start in range(0, total, 65536):
            k = min(65536, total - start)
            pick = self._rng.integers(0, len(self._series), size=k)  # series, uniformly
            within = (self._rng.random(k) * self._counts[pick]).astype(np.int64)
            draws = self._offsets[pick] + within
            # draw start + j is the share of process (start + j) % replicas
            yield from draws[(self.rank - start) % self.replicas :: self.replicas].tolist()


class ShardSampler(Sampler[int]):
    """This process's share of the windows in order (every ``replicas``-th from ``rank``),
    without padding: validation needs no equal shares (no step is synchronised), and a
    padded window would count twice in the validation loss (the logged loss is the mean
    of the processes' means, whose shares differ by one window at most)."""

    def __init__(self, n: int, rank: int, replicas: int):
        self.n, self.rank, self.replicas = n, rank, replicas

    def __len__(self) -> int:
        return len(range(self.rank, self.n, self.replicas))

    def __iter__(self):
        return iter(range(self.rank, self.n, self.replicas))


def make_loader(
    dataset: WindowDataset,
    batch_size: int,
    shuffle: bool = False,
    num_workers: int = 0,
    pin_memory: bool = False,
    seed: int | None = None,
    sampling: str = "windows",
    rank: int = 0,
    replicas: int = 1,
) -> DataLoader:
    """A DataLoader that assembles whole batches lazily (``__getitems__``).

    ``shuffle``: a random order each epoch; ``sampling="series"`` (the training option
    declared in :mod:`tsforecast.training.options`, checked there) draws every series
    equally often instead (:class:`SeriesSampler`). Never drops the last incomplete batch.
    ``rank`` / ``replicas``: data-parallel training, this process's share of the windows
    (shuffled: equal shares of one order, which needs the same ``seed`` in every process;
    else :class:`ShardSampler`).
    """
    sampler = None
    if shuffle:
        sampler = (SeriesSampler(dataset.counts, seed, rank, replicas) if sampling == "series"
                   else ShuffleSampler(len(dataset), seed, rank, replicas))
    elif replicas > 1:
        sampler = ShardSampler(len(dataset), rank, replicas)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=num_workers,
        pin_memory=pin_memory,
        drop_last=False,
        collate_fn=_as_batch,
        persistent_workers=num_workers > 0,
    )
