"""Series shorter than the lookback: left-padded, masked windows (``min_context``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast.data import WindowDataset, count_windows
from tsforecast.nets import NETS, NORMALIZATIONS, Dims, RevIN, build_net

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


# -- the wrapper -----------------------------------------------------------------------------
def padded_batch(B=5, L=16, H=4, C=3, n_pad=(0, 3, 9, 12, 15), seed=0, fill=0.0):
    """A batch whose window ``b`` has ``n_pad[b]`` padded steps holding ``fill``."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, L, C, generator=g) * 3 + 7
    mask = torch.ones(B, L)
    for b, n in enumerate(n_pad):
        mask[b, :n] = 0
    x = torch.where(mask.bool().unsqueeze(-1), x, torch.full_like(x, fill))
    return {"x": x, "x_future": torch.randn(B, H, 1, generator=g), "mask": mask}


def test_revin_statistics_ignore_padding():
    batch = padded_batch(fill=1e4)
    mean, std = RevIN(3).statistics(batch["x"], batch["mask"])
    for b in range(5):
        real = batch["x"][b][batch["mask"][b].bool()]  # [n_observed, C]
        torch.testing.assert_close(mean[b, 0], real.mean(0))
        torch.testing.assert_close(std[b, 0], real.std(0, unbiased=False).clamp_min(1e-5))
    with_pads, _ = RevIN(3).statistics(batch["x"])  # unmasked: the pads pull the mean away
    assert (with_pads[1:] - mean[1:]).abs().min() > 100


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("name", sorted(NETS))
def test_the_net_never_sees_what_is_in_the_padding(name, normalization):
    dims = Dims(lookback=16, horizon=4, n_targets=2, n_inputs=3, n_future=1)
    kwargs = {"patch_len": 8, "patch_stride": 4} if name == "patch_transformer" else {}
    torch.manual_seed(0)
    net = build_net(name, dims, normalization=normalization, masked=True, **kwargs).eval()
    seen = []
    net.net.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    with torch.no_grad():
        zeros = net(padded_batch(fill=0.0))
        garbage = net(padded_batch(fill=-3e3))
    torch.testing.assert_close(zeros, garbage)
    inner, mask = seen[0], padded_batch()["mask"]
    torch.testing.assert_close(inner["mask"], mask)  # the mask reaches the net
    assert inner["x"].shape == (5, 16, 4)  # one more channel: the mask itself
    torch.testing.assert_close(inner["x"][..., -1], mask)
    assert (inner["x"][..., :-1][mask == 0] == 0).all()  # padded cells are 0 after normalising
    assert net.dims == dims and net.net.dims.n_inputs == 4


def test_masked_revin_is_scale_and_shift_equivariant_over_the_observed_steps():
    dims = Dims(lookback=16, horizon=4, n_targets=3, n_inputs=3)
    torch.manual_seed(0)
    net = build_net("nlinear", dims, normalization="revin", masked=True).eval()
    batch = padded_batch(fill=5.0)
    moved = dict(batch, x=torch.where(batch["mask"].bool().unsqueeze(-1), batch["x"] * 4 - 2,
                                      batch["x"]))  # the padding keeps its old values
    with torch.no_grad():
        torch.testing.assert_close(net(moved), net(batch) * 4 - 2, rtol=1e-4, atol=1e-3)


def test_masked_dlinear_trend_averages_observed_steps_only():
    net = build_net("dlinear", Dims(8, 2, 1, 1), normalization="none", kernel_size=3)
    series = torch.tensor([[[0.0, 0.0, 0.0, 4.0, 6.0, 8.0, 8.0, 8.0]]])
    mask = torch.tensor([[0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]])
    trend, seasonal = net.decompose(series, mask)
    torch.testing.assert_close(trend[0, 0], torch.tensor([0, 0, 0, 5, 6, 22 / 3, 8, 8]))
    assert (seasonal[0, 0, :3] == 0).all()
    plain = net.decompose(series[..., 3:])  # where all is observed: the plain decomposition
    full = net.decompose(series[..., 3:], torch.ones(1, 5))
    torch.testing.assert_close(plain[0], full[0])


def test_masked_needs_a_bool_and_a_mask_of_the_window_shape():
    with pytest.raises(ValueError, match="masked must be True or False"):
        build_net("nlinear", Dims(8, 2, 1, 1), masked="yes")
    net = build_net("nlinear", Dims(8, 2, 1, 1), masked=True)
    with pytest.raises(ValueError, match=r'batch\["mask"\] must have shape \[2, 8\]'):
        net({"x": torch.zeros(2, 8, 1), "x_future": torch.zeros(2, 2, 0),
             "mask": torch.ones(2, 7)})
