"""Series shorter than the lookback: left-padded, masked windows (``min_context``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast.data import WindowDataset, count_windows

# -- windows ---------------------------------------------------------------------------------


def test_short_series_windows_are_left_padded_with_mask_zeros_where_no_data_exist():
    short = np.arange(1, 6, dtype=np.float32)[:, None] * 10  # rows 10, 20, .., 50
    long_ = np.arange(1, 21, dtype=np.float32)[:, None]
    ds = WindowDataset([short, long_], lookback=6, horizon=2, n_targets=1, min_context=2,
                       loc=[np.array([5.0]), np.array([0.0])],
                       scale=[np.array([5.0]), np.array([1.0])])
    # the short series' origins are 2 and 3 (two real rows before, a full horizon after)
    assert ds.counts.tolist() == [2, 20 - 2 - 2 + 1]
    batch = ds.__getitems__(np.arange(len(ds)))
    first = int(np.flatnonzero((batch["series"] == 0).numpy() & (batch["origin"] == 2).numpy())[0])
    np.testing.assert_array_equal(batch["mask"][first].numpy(), [0, 0, 0, 0, 1, 1])
    # padded cells are exactly 0 in scaled units, observed ones scaled as usual
    np.testing.assert_allclose(batch["x"][first, :, 0].numpy(), [0, 0, 0, 0, 1, 3])
    np.testing.assert_allclose(batch["y"][first, :, 0].numpy(), [5, 7])  # never padded
    # a window of the long series with a full lookback is all observed
    full = (batch["series"] == 1).numpy() & (batch["origin"] >= 6).numpy()
    assert batch["mask"][full].eq(1).all()
    np.testing.assert_array_equal(short[:, 0], [10, 20, 30, 40, 50])  # source untouched


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(1, 5), st.integers(1, 4), st.data())
def test_every_padded_window_is_the_slice_it_claims(L, H, stride, data):
    C = data.draw(st.integers(1, L))
    lengths = data.draw(st.lists(st.integers(1, 30), min_size=1, max_size=3))
    arrays = [np.arange(n, dtype=np.float32)[:, None] + 1 + 1000 * i
              for i, n in enumerate(lengths)]
    ds = WindowDataset(arrays, L, H, n_targets=1, stride=stride, min_context=C)
    assert len(ds) == sum(count_windows(0, n, C, H, stride) for n in lengths)
    if len(ds) == 0:
        return
    batch = ds.__getitems__(np.arange(len(ds)))
    assert ("mask" in batch) == (C < L)  # a mask exactly when windows may be padded
    mask = batch.get("mask", torch.ones(len(ds), L))
    for i in range(len(ds)):
        s, t = int(batch["series"][i]), int(batch["origin"][i])
        rows = np.arange(t - L, t)
        observed = rows >= 0
        assert t >= C and t + H <= lengths[s]
        np.testing.assert_array_equal(mask[i].numpy(), observed)
        x = batch["x"][i, :, 0].numpy()
        np.testing.assert_array_equal(x[observed], arrays[s][rows[observed], 0])
        assert (x[~observed] == 0).all()
        np.testing.assert_array_equal(batch["y"][i, :, 0].numpy(), arrays[s][t : t + H, 0])


def test_without_padding_there_is_no_mask_and_nothing_changes():
    arr = np.arange(20, dtype=np.float32)[:, None]
    plain = WindowDataset([arr], 4, 2, n_targets=1)
    same = WindowDataset([arr], 4, 2, n_targets=1, min_context=4)
    assert "mask" not in plain[0] and "mask" not in same[0] and len(plain) == len(same)
    np.testing.assert_array_equal(plain[3]["x"].numpy(), same[3]["x"].numpy())


@pytest.mark.parametrize("bad", [0, -1, 5, 1.5, True, "2"])
def test_bad_min_context_in_the_dataset_is_a_value_error(bad):
    with pytest.raises(ValueError, match=rf"min_context .*lookback \(4\), got {bad!r}"):
        WindowDataset([np.zeros((10, 1), np.float32)], 4, 2, n_targets=1, min_context=bad)
