"""Series shorter than the lookback: left-padded, masked windows (``min_context``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from contract import NEURAL_FAST, ForecasterContract
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast as tsf
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
    with pytest.raises(ValueError, match=rf"min_context must be None or an integer in \[1, 4\], got {bad!r}"):
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


# -- the forecasters -------------------------------------------------------------------------
LENGTHS = {"a": 9, "b": 14, "c": 60, "d": 150}
LEVELS = {"a": 50.0, "b": 800.0, "c": 3000.0, "d": 20000.0}


def short_and_long_panel(seed=0):
    rng = np.random.default_rng(seed)
    frames = []
    for sid, n in LENGTHS.items():
        t = np.arange(n)
        level = LEVELS[sid]
        y = level * (1 + 0.01 * t + 0.05 * np.sin(2 * np.pi * t / 4)
                     + 0.01 * rng.normal(size=n))
        frames.append(pd.DataFrame({"unique_id": sid, "y": y},
                                   index=pd.date_range("2000-01-01", periods=n, freq="QS")))
    return pd.concat(frames)


def padded_model(name="nlinear", quiet=None, **kw):
    params = dict(lookback=24, min_context=4, horizon=4, target="y", id_col="unique_id",
                  max_epochs=3, batch_size=32, **(quiet or {}))
    if name == "patch_transformer":
        params.update(patch_len=8, patch_stride=4, d_model=16, n_heads=2, n_layers=1, d_ff=32)
    return tsf.make_forecaster(name, **{**params, **kw})


@pytest.mark.parametrize("name", ["nlinear", "dlinear", "lstm", "patch_transformer"])
def test_global_fit_on_short_and_long_series_forecasts_every_series(name, quiet):
    data = short_and_long_panel()
    f = padded_model(name, quiet, val_fraction=0.0).fit(data)
    # every series with min_context + horizon rows trains, on every origin it has
    assert f.train_windows_ == sum(n - 4 - 4 + 1 for n in LENGTHS.values())
    assert f.min_history == 4 and f.min_fit_rows == 8 and f.history_rows == 24
    fc = f.predict()
    assert fc.groupby("unique_id").size().to_dict() == dict.fromkeys(LENGTHS, 4)
    for sid, rows in fc.groupby("unique_id"):
        last = data.loc[data["unique_id"] == sid, "y"].iloc[-1]
        assert np.isfinite(rows["y"]).all()
        np.testing.assert_allclose(rows["y"], last, rtol=0.5)  # original units, not scaled
    bt = f.backtest(data, start=4)  # the short series' first cutoff has 4 rows of context
    assert bt.groupby("series")["cutoff"].min().nunique() == 1


def test_the_mask_reaches_the_wrapper_in_training_and_prediction(quiet):
    from torch.nn.modules.module import register_module_forward_pre_hook

    from tsforecast.nets import InstanceNormWrapper

    trained = []

    def record(module, args):
        if isinstance(module, InstanceNormWrapper) and module.training:
            trained.append(args[0])

    handle = register_module_forward_pre_hook(record)
    try:
        f = padded_model("nlinear", quiet, val_fraction=0.0).fit(short_and_long_panel())
    finally:
        handle.remove()
    assert trained and all("mask" in b for b in trained)
    short = torch.cat([b["mask"][b["series"] == 0] for b in trained])  # series a, 9 rows
    assert short.shape[1] == 24 and (short.sum(1) < 24).all()  # every window padded
    seen = []
    f.net_.net.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    f.predict()
    masks = torch.cat([b["mask"] for b in seen])  # one window per series, in LENGTHS order
    assert masks.sum(1).tolist() == [9, 14, 24, 24]  # the short ones padded to the lookback


def test_padded_save_load_gives_identical_predictions(quiet, tmp_path):
    f = padded_model("lstm", quiet, hidden_size=8, segment_length=4)
    f.fit(short_and_long_panel())
    f.save(tmp_path / "m")
    loaded = type(f).load(tmp_path / "m")
    pd.testing.assert_frame_equal(f.predict(), loaded.predict())
    assert loaded.min_context == 4


def test_too_short_series_are_named(quiet):
    data = short_and_long_panel()
    with pytest.raises(ValueError, match=r"series 'a' has 9 rows; min_context 6 \+ horizon 4 "
                                         r"needs at least 10"):
        padded_model(quiet=quiet, min_context=6).fit(data)
    f = padded_model(quiet=quiet).fit(data)
    with pytest.raises(ValueError, match="series 'a' has 3 rows; forecasting from it needs "
                                         "at least 4"):
        f.predict(data.groupby("unique_id").head(3))


@pytest.mark.parametrize("bad, match", [
    (0, "got 0"), (25, r"in \[1, 24\], got 25"), (2.5, "got 2.5"), (True, "got True"),
    ("4", "got '4'"),
])
def test_bad_min_context_is_a_clear_value_error(bad, match, quiet):
    with pytest.raises(ValueError, match=rf"min_context must be None or an integer.*{match}"):
        padded_model(quiet=quiet, min_context=bad).fit(short_and_long_panel())


def test_min_context_none_keeps_the_full_lookback(quiet):
    f = padded_model(quiet=quiet, min_context=None)
    assert f.min_history == 24 and f.history_rows == 24
    assert "min_context" in f.get_params() and "min_context" in type(f).__doc__


class TestPaddedContract(ForecasterContract):
    """The whole forecaster contract with padding on (lookback 24, min_context 8)."""

    @pytest.fixture(params=["nlinear", "lstm"])
    def name(self, request, monkeypatch):
        monkeypatch.setitem(NEURAL_FAST, "min_context", 8)
        return request.param
