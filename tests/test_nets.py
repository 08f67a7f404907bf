"""Tests for tsforecast.nets: shapes, gradients, batch contract, normalisation, build_net
validation. Segments, parallel decoding and channel independence: ``test_recurrent.py``."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast.nets import (
    NETS,
    NORMALIZATIONS,
    Dims,
    DLinearConfig,
    DLinearNet,
    InstanceNormWrapper,
    NetCapabilities,
    NLinearConfig,
    NLinearNet,
    PatchTransformerConfig,
    PatchTransformerNet,
    RevIN,
    build_net,
    count_parameters,
)
from tsforecast.nets.patch_transformer import n_patches

LOOKBACK, HORIZON, N_TARGETS, N_INPUTS = 16, 4, 2, 4

# Small structural settings so the whole file runs in a few seconds; one entry per code path.
PATCH = {"patch_len": 4, "patch_stride": 2, "d_model": 8, "n_heads": 2, "n_layers": 1, "d_ff": 16,
         "zero_init": False}
CASES = {
    "lstm": ("lstm", {"hidden_size": 8, "segment_length": 5}),  # pmf, channel-independent
    "lstm-stepwise": (
        "lstm",
        {"hidden_size": 8, "num_layers": 2, "segment_length": 1, "decoder": "direct",
         "channel_independent": False},
    ),
    "lstm-direct-mixed": (
        "lstm", {"hidden_size": 8, "segment_length": 4, "decoder": "direct",
                 "channel_independent": False},
    ),
    "lstm-pmf-mixed-2layers": (
        "lstm", {"hidden_size": 8, "num_layers": 2, "segment_length": 3,
                 "channel_independent": False},
    ),
    "lstm_attention-dot": ("lstm_attention", {"hidden_size": 8, "n_heads": 2, "segment_length": 4}),
    "lstm_attention-direct-mixed": (
        "lstm_attention", {"hidden_size": 8, "n_heads": 2, "segment_length": 3, "decoder": "direct",
                           "channel_independent": False},
    ),
    "lstm_attention-stepwise-additive": (
        "lstm_attention",
        {"hidden_size": 8, "n_heads": 2, "attention": "additive", "num_layers": 2,
         "segment_length": 1, "decoder": "direct", "channel_independent": False},
    ),
    "lstm_attention-pmf-additive": (
        "lstm_attention", {"hidden_size": 8, "attention": "additive", "segment_length": 6},
    ),
    "patch_transformer": ("patch_transformer", PATCH),
    "patch_transformer-mixed": ("patch_transformer", {**PATCH, "channel_independent": False}),
    # random weights (not the default all-zero start) so that every input reaches the output
    "dlinear": ("dlinear", {"kernel_size": 5, "zero_init": False}),
    "dlinear-individual": ("dlinear", {"kernel_size": 4, "individual": True, "zero_init": False}),
    "dlinear-mixed": ("dlinear", {"kernel_size": 3, "channel_independent": False,
                                  "zero_init": False}),
    "nlinear": ("nlinear", {"zero_init": False}),
    "nlinear-individual": ("nlinear", {"individual": True, "zero_init": False}),
    "nlinear-mixed": ("nlinear", {"channel_independent": False, "zero_init": False}),
    "mlp": ("mlp", {"hidden_size": 8, "zero_init": False}),
    "mlp-mixed": ("mlp", {"hidden_size": 8, "n_layers": 1, "channel_independent": False,
                          "zero_init": False}),
}


def test_cases_cover_registry():
    assert {name for name, _ in CASES.values()} == set(NETS)


def test_capabilities_are_declared_at_registration_not_on_the_net():
    for spec in NETS.values():
        assert isinstance(spec.capabilities_of(spec.config()), NetCapabilities)
        assert not hasattr(spec.net, "uses_covariates")
    with pytest.raises(TypeError, match="NetCapabilities.masks must be a bool"):
        NetCapabilities(covariates=True, future_covariates=False, channel_independent=False,
                        masks=None, start_test=False)


def make_dims(n_future=0, n_quantiles=0, n_targets=N_TARGETS, n_inputs=N_INPUTS):
    return Dims(LOOKBACK, HORIZON, n_targets, n_inputs, n_future, n_quantiles)


def make_batch(dims, batch_size=5, seed=0, with_y=True):
    gen = torch.Generator().manual_seed(seed)
    batch = {
        "x": torch.randn(batch_size, dims.lookback, dims.n_inputs, generator=gen),
        "x_future": torch.randn(batch_size, dims.horizon, dims.n_future, generator=gen),
    }
    if with_y:
        batch["y"] = torch.randn(batch_size, dims.horizon, dims.n_targets, generator=gen)
    return batch


def make_net(case, dims, normalization):
    name, kwargs = CASES[case]
    torch.manual_seed(0)
    return build_net(name, dims, normalization=normalization, **kwargs)


def expected_shape(dims, batch_size):
    shape = (batch_size, dims.horizon, dims.n_targets)
    return shape + ((dims.n_quantiles,) if dims.n_quantiles else ())


# --------------------------------------------------------------------------- shapes / gradients


@pytest.mark.parametrize("n_future", [0, 3])
@pytest.mark.parametrize("n_quantiles", [0, 3])
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("case", list(CASES))
def test_shape_and_gradients(case, normalization, n_quantiles, n_future):
    dims = make_dims(n_future, n_quantiles)
    net = make_net(case, dims, normalization)
    net.train()
    out = net(make_batch(dims))
    assert out.shape == expected_shape(dims, 5)
    assert out.dtype == torch.float32
    assert out.is_contiguous()
    assert torch.isfinite(out).all()
    out.sum().backward()
    # Every trainable parameter takes part in the forward pass (none is legitimately unused).
    missing = [n for n, p in net.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"parameters without gradient: {missing}"
    assert isinstance(net, InstanceNormWrapper) == (normalization != "none")
    inner = net.net if isinstance(net, InstanceNormWrapper) else net
    caps = capabilities(case)
    assert caps.channel_independent == inner.config.channel_independent


def capabilities(case):
    """The declared capabilities of a case's net (read from its registration)."""
    name, kwargs = CASES[case]
    return NETS[name].capabilities_of(NETS[name].config(**kwargs))


@pytest.mark.parametrize("case", list(CASES))
def test_single_target_single_input(case):
    dims = make_dims(n_targets=1, n_inputs=1)
    out = make_net(case, dims, "revin")(make_batch(dims, batch_size=1))
    assert out.shape == (1, HORIZON, 1)


# --------------------------------------------------------------------------- batch contract


@pytest.mark.parametrize("n_future", [0, 3])
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("case", list(CASES))
def test_ignores_y_and_does_not_mutate_batch(case, normalization, n_future):
    dims = make_dims(n_future, n_quantiles=2)
    net = make_net(case, dims, normalization).eval()
    batch = make_batch(dims)
    snapshot = {k: v.clone() for k, v in batch.items()}
    objects = dict(batch)
    with torch.no_grad():
        out = net(batch)
        out_no_y = net({k: v for k, v in batch.items() if k != "y"})
        out_other_y = net({**batch, "y": torch.full_like(batch["y"], 1e6)})
    torch.testing.assert_close(out_no_y, out, rtol=0, atol=0)
    torch.testing.assert_close(out_other_y, out, rtol=0, atol=0)
    assert batch.keys() == snapshot.keys()
    for key, value in batch.items():
        assert value is objects[key], f"batch[{key!r}] was replaced"
        torch.testing.assert_close(value, snapshot[key], rtol=0, atol=0)


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("case", list(CASES))
def test_covariate_usage_matches_flag(case, normalization):
    """The declared capabilities hold: a net that does not read covariates (or x_future)
    gives the same forecast when they change; one that reads them does not."""
    dims = make_dims(n_future=2)
    net = make_net(case, dims, normalization).eval()
    batch = make_batch(dims)
    changed_past = {**batch, "x": batch["x"].clone()}
    changed_past["x"][..., N_TARGETS:] += torch.randn_like(changed_past["x"][..., N_TARGETS:])
    changed_future = {**batch, "x_future": batch["x_future"] + 1.0}
    with torch.no_grad():
        out = net(batch)
        same_past = torch.equal(net(changed_past), out)
        same_future = torch.equal(net(changed_future), out)
    caps = capabilities(case)
    assert same_past == (not caps.covariates)
    assert same_future == (not caps.future_covariates)


def test_wrong_input_shape_raises():
    dims = make_dims(n_future=2)
    net = build_net("lstm", dims)
    batch = make_batch(dims)
    with pytest.raises(ValueError, match="n_inputs"):
        net({**batch, "x": batch["x"][..., :-1]})
    with pytest.raises(ValueError, match="n_future"):
        net({**batch, "x_future": batch["x_future"][..., :1]})


# --------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize("n_quantiles", [0, 2])
@pytest.mark.parametrize("case", list(CASES))
@settings(max_examples=6, deadline=None)
@given(
    scale=st.lists(st.floats(0.05, 20.0), min_size=N_INPUTS, max_size=N_INPUTS),
    shift=st.lists(st.floats(-20.0, 20.0), min_size=N_INPUTS, max_size=N_INPUTS),
    seed=st.integers(0, 2**16),
)
def test_revin_equivariance(case, n_quantiles, scale, shift, seed):
    dims = make_dims(n_future=2, n_quantiles=n_quantiles)
    net = make_net(case, dims, "revin").eval()
    batch = make_batch(dims, seed=seed, with_y=False)
    # RevIN normalises the target channels only: moving them moves the forecast alike,
    # covariate channels stay as they are
    keep = N_INPUTS - N_TARGETS
    a = torch.tensor(scale[:N_TARGETS] + [1.0] * keep)  # [C]
    b = torch.tensor(shift[:N_TARGETS] + [0.0] * keep)  # [C]
    moved = {**batch, "x": batch["x"] * a + b}
    with torch.no_grad():
        out, out_moved = net(batch), net(moved)
    a_t, b_t = a[:N_TARGETS], b[:N_TARGETS]
    if n_quantiles:
        a_t, b_t = a_t[:, None], b_t[:, None]
    expected = out * a_t + b_t
    torch.testing.assert_close(out_moved, expected, rtol=1e-4, atol=1e-4 * (1 + a.max().item()))


@pytest.mark.parametrize("n_quantiles", [0, 2])
@pytest.mark.parametrize("case", list(CASES))
@settings(max_examples=4, deadline=None)
@given(
    shift=st.lists(st.floats(-50.0, 50.0), min_size=N_TARGETS, max_size=N_TARGETS),
    seed=st.integers(0, 2**16),
)
def test_last_value_shift_equivariance(case, n_quantiles, shift, seed):
    """Last-value anchoring: moving the target channels by b moves the forecast by b."""
    dims = make_dims(n_future=2, n_quantiles=n_quantiles)
    net = make_net(case, dims, "last_value").eval()
    batch = make_batch(dims, seed=seed, with_y=False)
    b = torch.tensor(shift + [0.0] * (N_INPUTS - N_TARGETS))  # [C]
    with torch.no_grad():
        out, out_moved = net(batch), net({**batch, "x": batch["x"] + b})
    b_t = b[:N_TARGETS, None] if n_quantiles else b[:N_TARGETS]
    torch.testing.assert_close(out_moved, out + b_t, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("n_quantiles", [0, 2])
def test_last_value_anchors_on_the_last_observation(n_quantiles):
    """A net that outputs zeros becomes the random walk: every step = the last value."""
    seen = {}

    class Zero(torch.nn.Module):
        def forward(self, batch):
            seen.update(batch)
            shape = (batch["x"].shape[0], HORIZON, N_TARGETS) + ((n_quantiles,) * bool(n_quantiles))
            return torch.zeros(shape)

    wrapper = InstanceNormWrapper(Zero(), N_TARGETS, N_INPUTS, method="last_value")
    batch = make_batch(make_dims(n_future=2))
    out = wrapper(batch)
    last = batch["x"][:, -1, :N_TARGETS]  # [B, T]
    expected = last[:, None, :, None] if n_quantiles else last[:, None, :]
    torch.testing.assert_close(out, expected.expand_as(out))
    # the net saw the targets relative to their last value; covariates untouched
    torch.testing.assert_close(seen["x"][:, -1, :N_TARGETS], torch.zeros(5, N_TARGETS))
    torch.testing.assert_close(seen["x"][..., N_TARGETS:], batch["x"][..., N_TARGETS:])
    assert seen["x_future"] is batch["x_future"]
    assert count_parameters(wrapper) == 0  # nothing to learn in the anchoring itself


def test_normalization_none_is_the_bare_net_and_unknown_is_named():
    assert isinstance(build_net("nlinear", make_dims(), normalization="none"), NLinearNet)
    with pytest.raises(ValueError, match="normalization must be one of.*'minmax'"):
        build_net("nlinear", make_dims(), normalization="minmax")
    with pytest.raises(ValueError, match="method"):
        InstanceNormWrapper(NLinearNet(make_dims()), N_TARGETS, N_INPUTS, method="none")


def test_revin_roundtrip_with_trained_affine():
    revin = RevIN(3)
    with torch.no_grad():
        revin.weight.copy_(torch.tensor([0.5, 2.0, -1.5]))
        revin.bias.copy_(torch.tensor([0.3, -1.0, 2.0]))
    x = torch.randn(4, 10, 3) * 5 + 7
    x_norm, mean, std = revin.normalize(x)
    torch.testing.assert_close(revin.denormalize(x_norm[..., :2], mean, std), x[..., :2])
    quantiles = x_norm[..., :2].unsqueeze(-1).expand(-1, -1, -1, 3)  # [B, L, 2, Q]
    torch.testing.assert_close(
        revin.denormalize(quantiles, mean, std), x[..., :2, None].expand(-1, -1, -1, 3)
    )


def test_revin_normalizes_x_only_and_passes_x_future_through():
    seen = {}

    class Spy(torch.nn.Module):
        def forward(self, batch):
            seen.update(batch)
            return batch["x"][:, -HORIZON:, :N_TARGETS]

    wrapper = InstanceNormWrapper(Spy(), n_targets=N_TARGETS, n_inputs=N_INPUTS)
    batch = make_batch(make_dims(n_future=2))
    batch["x"] = batch["x"] * 10 + 3
    wrapper(batch)
    assert seen["x_future"] is batch["x_future"]
    assert seen["y"] is batch["y"]
    targets = seen["x"][..., :N_TARGETS]
    torch.testing.assert_close(targets.mean(1), torch.zeros(5, N_TARGETS), atol=1e-5, rtol=0)
    torch.testing.assert_close(targets.std(1, unbiased=False), torch.ones(5, N_TARGETS))
    # covariate channels are on a fixed scale already: passed through unchanged
    torch.testing.assert_close(seen["x"][..., N_TARGETS:], batch["x"][..., N_TARGETS:])


def test_revin_constant_window_is_finite():
    dims = make_dims()
    net = build_net("nlinear", dims)
    batch = make_batch(dims)
    batch["x"] = torch.full_like(batch["x"], 2.5)
    out = net(batch)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, torch.full_like(out, 2.5))  # NLinear: flat in, flat out


# --------------------------------------------------------------------------- build_net / configs


def test_build_net_unknown_name():
    with pytest.raises(ValueError, match="unknown net 'gru'") as info:
        build_net("gru", make_dims())
    for name in NETS:
        assert name in str(info.value)


def test_build_net_unknown_kwarg():
    with pytest.raises(ValueError, match="hidden_sise") as info:
        build_net("lstm", make_dims(), hidden_sise=32)
    assert "hidden_size" in str(info.value) and "num_layers" in str(info.value)


@pytest.mark.parametrize(
    ("name", "kwargs", "field"),
    [
        ("lstm", {"dropout": -0.1}, "dropout"),
        ("lstm", {"dropout": 1.0}, "dropout"),
        ("lstm", {"hidden_size": 0}, "hidden_size"),
        ("lstm", {"hidden_size": 2.5}, "hidden_size"),
        ("lstm", {"num_layers": True}, "num_layers"),
        ("lstm_attention", {"attention": "cosine"}, "attention"),
        ("lstm_attention", {"hidden_size": 10, "n_heads": 3}, "n_heads"),
        ("lstm_attention", {"n_heads": 0}, "n_heads"),
        ("patch_transformer", {"d_model": 10, "n_heads": 4}, "d_model"),
        ("patch_transformer", {"patch_stride": 0}, "patch_stride"),
        ("patch_transformer", {"dropout": float("nan")}, "dropout"),
        ("dlinear", {"kernel_size": 0}, "kernel_size"),
        ("nlinear", {"individual": "yes"}, "individual"),
        ("mlp", {"n_layers": 0}, "n_layers"),
        ("mlp", {"hidden_size": 2.5}, "hidden_size"),
        ("mlp", {"dropout": 1.0}, "dropout"),
    ],
)
def test_build_net_bad_values(name, kwargs, field):
    with pytest.raises(ValueError, match=field) as info:
        build_net(name, make_dims(), **kwargs)
    value = kwargs.get(field, next(iter(kwargs.values())))
    assert repr(value) in str(info.value) or str(value) in str(info.value)


def test_build_net_accepts_numpy_scalars():
    net = build_net(
        "lstm", make_dims(), normalization="none", hidden_size=np.int64(4),
        dropout=np.float32(0)
    )
    assert net.config.hidden_size == 4 and type(net.config.hidden_size) is int


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lookback": 0}, "lookback"),
        ({"horizon": -1}, "horizon"),
        ({"n_targets": 0}, "n_targets"),
        ({"n_future": -1}, "n_future"),
        ({"n_quantiles": -2}, "n_quantiles"),
        ({"n_targets": 3, "n_inputs": 2}, "n_inputs"),
        ({"lookback": 2.0}, "lookback"),
    ],
)
def test_dims_validation(kwargs, field):
    args = {"lookback": 8, "horizon": 2, "n_targets": 1, "n_inputs": 1, **kwargs}
    with pytest.raises(ValueError, match=field):
        Dims(**args)


def test_count_parameters_counts_trainable_only():
    net = NLinearNet(make_dims(), NLinearConfig())
    assert count_parameters(net) == LOOKBACK * HORIZON + HORIZON
    net.linear.linear.bias.requires_grad_(False)
    assert count_parameters(net) == LOOKBACK * HORIZON
    revin = 2 * N_TARGETS  # affine weight and bias of the target channels
    assert count_parameters(build_net("nlinear", make_dims())) == LOOKBACK * HORIZON + HORIZON + revin


# --------------------------------------------------------------------------- net specifics


@pytest.mark.parametrize(
    ("lookback", "patch_len", "stride"),
    [(16, 16, 8), (168, 16, 8), (17, 4, 3), (10, 3, 5), (32, 1, 1), (9, 9, 1)],
)
def test_patch_count(lookback, patch_len, stride):
    dims = Dims(lookback, 3, 1, 1)
    config = PatchTransformerConfig(patch_len=patch_len, patch_stride=stride, d_model=8, n_heads=2)
    net = PatchTransformerNet(dims, config)
    assert net.n_patches == n_patches(lookback, patch_len, stride)
    assert net.n_patches == (lookback - patch_len) // stride + 2
    series = torch.arange(lookback, dtype=torch.float32).expand(2, -1)  # [N, L]
    patches = net.patchify(series)
    assert patches.shape == (2, net.n_patches, patch_len)
    torch.testing.assert_close(patches[:, 0], series[:, :patch_len])
    # The padding repeats the last value: no patch contains anything beyond it.
    assert patches.max() == lookback - 1


def test_patch_transformer_lookback_shorter_than_patch():
    with pytest.raises(ValueError, match="lookback=8.*patch_len=16"):
        build_net("patch_transformer", Dims(8, 2, 1, 1))


def test_dlinear_decomposition():
    dims = Dims(20, 3, 1, 1)
    for kernel_size in (1, 4, 5, 25):
        net = DLinearNet(dims, DLinearConfig(kernel_size=kernel_size))
        series = torch.randn(3, 2, 20)
        trend, seasonal = net.decompose(series)
        assert trend.shape == series.shape
        torch.testing.assert_close(trend + seasonal, series)
        flat = torch.full((1, 1, 20), 3.0)
        torch.testing.assert_close(net.decompose(flat)[0], flat)
    # odd kernel on a straight line: interior of the trend equals the line
    line = torch.arange(20, dtype=torch.float32).view(1, 1, 20)
    trend, _ = DLinearNet(dims, DLinearConfig(kernel_size=5)).decompose(line)
    torch.testing.assert_close(trend[..., 2:-2], line[..., 2:-2])


# --------------------------------------------------------------------------- trainability


def sine_batch(dims, n_windows=64):
    t = torch.arange(n_windows + dims.lookback + dims.horizon, dtype=torch.float32)
    series = torch.sin(2 * math.pi * t / 12) + 0.5 * torch.sin(2 * math.pi * t / 29)
    windows = series.unfold(0, dims.lookback + dims.horizon, 1)[:n_windows]  # [N, L + H]
    return {
        "x": windows[:, : dims.lookback, None],
        "x_future": torch.zeros(n_windows, dims.horizon, 0),
        "y": windows[:, dims.lookback :, None],
    }


@pytest.mark.parametrize(
    ("name", "kwargs", "threshold"),
    [
        ("nlinear", {}, 1e-3),
        ("dlinear", {}, 1e-3),
        (
            "patch_transformer",
            {"patch_len": 6, "patch_stride": 6, "d_model": 16, "n_heads": 2, "dropout": 0.0},
            2e-3,
        ),
        ("lstm", {"hidden_size": 32, "num_layers": 1, "dropout": 0.0}, 1e-2),
        ("lstm_attention", {"hidden_size": 16, "dropout": 0.0}, 3e-2),
    ],
)
def test_overfits_sine(name, kwargs, threshold):
    """100 Adam steps on CPU fit a two-tone sine (variance ~0.64) to a small MSE."""
    torch.manual_seed(0)
    dims = Dims(lookback=36, horizon=6, n_targets=1, n_inputs=1)
    batch = sine_batch(dims)
    net = build_net(name, dims, **kwargs)  # with RevIN, as users get it by default
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    initial = torch.mean((net(batch) - batch["y"]) ** 2).item()
    for _ in range(100):
        loss = torch.mean((net(batch) - batch["y"]) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < threshold < initial


def test_mlp_learns_what_no_linear_map_can():
    """The MLP path adds a nonlinear function of the window: a target that depends on the
    window's absolute change (|x_L - x_1|) is out of NLinear's reach, not of the MLP's."""
    torch.manual_seed(0)
    dims = Dims(lookback=8, horizon=1, n_targets=1, n_inputs=1)
    x = torch.randn(512, 8, 1)
    y = x[:, -1:, :] + (x[:, -1:, :] - x[:, :1, :]).abs()  # [B, 1, 1]

    def fit(name):
        net = build_net(name, dims, normalization="none")
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        for _ in range(300):
            opt.zero_grad()
            loss = ((net({"x": x, "x_future": torch.zeros(512, 1, 0)}) - y) ** 2).mean()
            loss.backward()
            opt.step()
        return loss.item()

    linear, mlp = fit("nlinear"), fit("mlp")
    assert mlp < 0.2 * linear, (mlp, linear)
