"""Segment-wise recurrence, parallel multi-step decoding and channel independence."""

from __future__ import annotations

import pytest
import torch

from tsforecast.nets import Dims, LSTMAttentionNet, LSTMNet, build_net, to_segments
from tsforecast.nets.lstm import LSTMConfig
from tsforecast.nets.lstm_attention import LSTMAttentionConfig

RECURRENT = ["lstm", "lstm_attention"]


def batch_for(dims: Dims, n: int = 4, seed: int = 0) -> dict:
    gen = torch.Generator().manual_seed(seed)
    return {
        "x": torch.randn(n, dims.lookback, dims.n_inputs, generator=gen),
        "x_future": torch.randn(n, dims.horizon, dims.n_future, generator=gen),
    }


def build(name, dims, **kwargs):
    torch.manual_seed(0)
    kwargs = {"hidden_size": 8, "dropout": 0.0, **kwargs}
    if name == "lstm_attention":
        kwargs.setdefault("n_heads", 2)
    return build_net(name, dims, normalization="none", **kwargs).eval()


# --------------------------------------------------------------------------- segments


def test_segments_are_left_padded_with_the_first_step():
    x = torch.arange(10, dtype=torch.float32).view(1, 10, 1).repeat(2, 1, 2)  # [2, 10, 2]
    x[:, :, 1] += 100
    seg = to_segments(x, 4)  # pads 2 steps: [0, 0, 0, 1 | 2, 3, 4, 5 | 6, 7, 8, 9]
    assert seg.shape == (2, 3, 8)
    assert seg[0, 0].tolist() == [0, 100, 0, 100, 0, 100, 1, 101]
    assert seg[0, 2].tolist() == [6, 106, 7, 107, 8, 108, 9, 109]  # the last step stays last
    tail = to_segments(x, 4, left=False)  # a horizon: padded after its last step
    assert tail[0, 2].tolist() == [8, 108, 9, 109, 9, 109, 9, 109]
    assert torch.equal(to_segments(x, 5), x.reshape(2, 2, 10))  # a multiple: no padding
    assert torch.equal(to_segments(x, 1), x)


@pytest.mark.parametrize("name", RECURRENT)
@pytest.mark.parametrize("decoder", ["direct", "pmf"])
def test_left_padding_equals_an_explicitly_padded_window(name, decoder):
    """lookback 10 with segments of 4 == lookback 12 fed the window with its first step twice."""
    short, long = Dims(10, 5, 2, 3, 1), Dims(12, 5, 2, 3, 1)
    kwargs = {"segment_length": 4, "decoder": decoder}
    net_short, net_long = build(name, short, **kwargs), build(name, long, **kwargs)
    net_long.load_state_dict(net_short.state_dict())  # no weight depends on the lookback
    assert net_short.n_segments == net_long.n_segments == 3
    batch = batch_for(short)
    padded = torch.cat([batch["x"][:, :1], batch["x"][:, :1], batch["x"]], dim=1)  # [B, 12, C]
    with torch.no_grad():
        torch.testing.assert_close(net_short(batch), net_long({**batch, "x": padded}))


@pytest.mark.parametrize("name", RECURRENT)
def test_lstm_runs_over_segments(name):
    dims = Dims(168, 24, 1, 1)
    net = build(name, dims, segment_length=24)
    seen = []
    net.encoder.register_forward_hook(lambda m, args, out: seen.append(args[0].shape) and None)
    with torch.no_grad():
        net(batch_for(dims))
    assert seen[0] == (4, 7, 8)  # [B, 168 / 24 segments, hidden]: 7 recurrent steps
    assert seen[1:] == [(4, 1, 8)]  # PMF: the one horizon segment, one step
    assert net.embed[0].in_features == 24


# --------------------------------------------------------------------------- step-wise


def test_segment_length_one_is_the_stepwise_lstm():
    """segment_length=1, decoder="direct", channels mixed: today's step-wise LSTM, same
    parameters (old weights load) and the same function of them."""
    dims = Dims(16, 4, 2, 3, n_future=2, n_quantiles=2)
    net = build("lstm", dims, segment_length=1, decoder="direct", channel_independent=False,
                num_layers=2)
    assert net.embed is None and net.encoder.input_size == dims.n_inputs
    assert sorted(net.state_dict()) == sorted(
        [f"encoder.{w}_{k}_l{i}" for w in ("weight", "bias") for k in ("ih", "hh") for i in (0, 1)]
        + ["future_proj.weight", "future_proj.bias", "head.1.weight", "head.1.bias",
           "head.4.weight", "head.4.bias"]
    )
    batch = batch_for(dims)
    with torch.no_grad():
        _, (h_n, _) = net.encoder(batch["x"])  # the raw steps, no embedding
        summary = torch.cat([h_n[-1], net.future_proj(batch["x_future"].flatten(1))], dim=-1)
        expected = net.head(summary).view(4, 4, 2, 2)
        torch.testing.assert_close(net(batch), expected)


def test_segment_length_one_is_the_stepwise_attention_net():
    dims = Dims(16, 4, 2, 3, n_future=2)
    net = build("lstm_attention", dims, segment_length=1, decoder="direct",
                channel_independent=False)
    assert net.embed is None
    assert {k.split(".")[0] for k in net.state_dict()} == {
        "encoder", "horizon_queries", "state_proj", "future_proj", "query_norm", "attention",
        "head"}
    batch = batch_for(dims)
    with torch.no_grad():
        states, (h_n, _) = net.encoder(batch["x"])  # [B, L, D]: one state per step
        query = net.horizon_queries + net.state_proj(h_n[-1]).unsqueeze(1)
        query = net.query_norm(query + net.future_proj(batch["x_future"]))
        context, _ = net.attention(query, states, states, need_weights=False)
        expected = net.head(torch.cat([context, query], dim=-1))  # [B, H, T]
        torch.testing.assert_close(net(batch), expected)


# --------------------------------------------------------------------------- PMF


@pytest.mark.parametrize("n_future", [0, 2])
def test_pmf_decodes_each_horizon_segment_by_one_step_from_the_encoder_state(n_future):
    dims = Dims(12, 10, 1, 1, n_future=n_future)  # H=10, segments of 4 -> 3, last one cut
    net = build("lstm", dims, segment_length=4)
    assert net.n_horizon_segments == 3 and net.segment_embed.shape == (3, 8)
    batch = batch_for(dims)
    with torch.no_grad():
        out = net(batch)  # [B, 10, 1]
        _, state = net.encode(batch["x"])
        future = to_segments(batch["x_future"], 4, left=False) if n_future else None
        for m in range(3):
            step = net.segment_embed[m].expand(4, 1, -1)  # [B, 1, E]
            if future is not None:
                step = step + net.future_embed(future[:, m : m + 1])
            y, _ = net.encoder(step, state)  # one step from the encoder's final state
            expected = net.head(y[:, 0])[:, : min(4, 10 - 4 * m)]  # [B, <= 4]
            torch.testing.assert_close(out[:, 4 * m : 4 * m + expected.shape[1], 0], expected)


@pytest.mark.parametrize("name", RECURRENT)
@pytest.mark.parametrize("decoder", ["direct", "pmf"])
def test_gru_cell_encodes_and_decodes_from_its_hidden_state(name, decoder):
    dims = Dims(12, 8, 2, 3, n_future=1)
    net = build(name, dims, segment_length=4, decoder=decoder, cell="gru")
    assert isinstance(net.encoder, torch.nn.GRU)
    lstm = build(name, dims, segment_length=4, decoder=decoder)
    # same layout, 3 gates instead of 4
    assert net.encoder.weight_hh_l0.shape[0] * 4 == lstm.encoder.weight_hh_l0.shape[0] * 3
    batch = batch_for(dims)
    with torch.no_grad():
        out = net(batch)
        states, state = net.encode(torch.randn(6, 12, 2))
    assert out.shape == (4, 8, 2) and torch.isfinite(out).all()
    assert len(state) == 1 and state[0].shape == (1, 6, 8)  # (h_n,): no cell state
    if name == "lstm" and decoder == "pmf":  # each horizon segment: one GRU step from h_n
        with torch.no_grad():
            x, x_future = net.series(batch)
            _, (h_n,) = net.encode(x)
            query = net.segment_embed[1] + net.channel_embed[0]  # segment 2, first target
            query = query + net.future_embed(to_segments(x_future, 4, left=False)[0, 1])
            y, _ = net.encoder(query.view(1, 1, -1), h_n[:, :1])
            torch.testing.assert_close(out[0, 4:8, 0], net.head(y[0, 0]))


@pytest.mark.parametrize("name", RECURRENT)
def test_pmf_channel_embedding_only_where_channels_share_weights(name):
    many, one = Dims(12, 6, 3, 5), Dims(12, 6, 1, 3)
    assert build(name, many, segment_length=4).channel_embed.shape == (3, 8)
    assert not hasattr(build(name, one, segment_length=4), "channel_embed")
    assert not hasattr(build(name, many, segment_length=4, channel_independent=False),
                       "channel_embed")
    assert not hasattr(build(name, many, segment_length=4, decoder="direct"), "channel_embed")


# --------------------------------------------------------------------------- channels


@pytest.mark.parametrize("name", RECURRENT)
@pytest.mark.parametrize("decoder", ["direct", "pmf"])
def test_channel_independent_targets_do_not_mix(name, decoder):
    """3 targets + 2 covariates: target t's forecast reads target t and the covariates only."""
    dims = Dims(12, 6, 3, 5, n_future=2)
    batch = batch_for(dims)
    moved = {**batch, "x": batch["x"].clone()}
    moved["x"][..., 0] += 3.0  # target 0 only
    cov = {**batch, "x": batch["x"].clone()}
    cov["x"][..., 4] += 3.0  # a covariate: every channel sees it
    for independent in (True, False):
        net = build(name, dims, segment_length=4, decoder=decoder,
                    channel_independent=independent)
        with torch.no_grad():
            out, out_moved, out_cov = net(batch), net(moved), net(cov)
        changed = (out_moved - out).abs().amax(dim=(0, 1)) > 0  # [T]
        assert changed.tolist() == ([True, False, False] if independent else [True] * 3)
        assert ((out_cov - out).abs().amax(dim=(0, 1)) > 0).all()


@pytest.mark.parametrize("name", RECURRENT)
def test_channel_independent_is_one_shared_univariate_net(name):
    """Without a channel embedding, each channel's forecast is the 1-target net's forecast
    of [that target, covariates] with the same weights."""
    many, one = Dims(12, 6, 3, 5, n_future=2, n_quantiles=2), Dims(12, 6, 1, 3, 2, 2)
    net = build(name, many, segment_length=4, decoder="direct")
    single = build(name, one, segment_length=4, decoder="direct")
    single.load_state_dict(net.state_dict())
    batch = batch_for(many)
    with torch.no_grad():
        out = net(batch)  # [B, H, 3, Q]
        for t in range(3):
            x = torch.cat([batch["x"][..., t : t + 1], batch["x"][..., 3:]], dim=-1)
            torch.testing.assert_close(out[:, :, t : t + 1], single({**batch, "x": x}))


# --------------------------------------------------------------------------- configs


@pytest.mark.parametrize(
    ("name", "kwargs", "field"),
    [
        ("lstm", {"segment_length": 0}, "segment_length"),
        ("lstm", {"decoder": "rmf"}, "decoder"),
        ("lstm_attention", {"cell": "rnn"}, "cell"),
        ("lstm_attention", {"channel_independent": "yes"}, "channel_independent"),
        ("dlinear", {"individual": True, "channel_independent": False}, "individual"),
        ("patch_transformer", {"channel_independent": 1}, "channel_independent"),
    ],
)
def test_bad_new_options_are_named(name, kwargs, field):
    with pytest.raises(ValueError, match=field):
        build_net(name, Dims(24, 4, 1, 1), **kwargs)


def test_config_classes_share_the_recurrent_fields():
    assert LSTMConfig().segment_length == LSTMAttentionConfig().segment_length
    assert isinstance(build_net("lstm", Dims(24, 4, 1, 1), normalization="none"), LSTMNet)
    assert isinstance(build_net("lstm_attention", Dims(24, 4, 1, 1), normalization="none"),
                      LSTMAttentionNet)
