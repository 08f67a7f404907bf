"""What the recurrent nets share: segment-wise recurrence and parallel multi-step decoding.

Segment-wise recurrence (SegRNN, Lin et al. 2023, arXiv 2308.11200): the lookback window is
cut into ``S = ceil(L / segment_length)`` segments of ``segment_length`` steps (left-padded by
repeating the first step when ``L`` is not a multiple), each segment is embedded by one
``Linear(segment_length * C, D) + ReLU``, and the LSTM runs over the ``S`` segment embeddings
instead of the ``L`` steps. ``segment_length=1`` skips the embedding: the LSTM reads the raw
steps, exactly the step-wise model.

Parallel multi-step forecasting ("PMF", ``decoder="pmf"``): the horizon is cut into
``M = ceil(H / segment_length)`` segments; each gets a learned embedding (plus a channel
embedding when channels share the weights, plus its known-future covariates projected), and
all ``M`` are decoded by *one* batched step of the encoder LSTM started from the encoder's
final state. Horizon segments do not feed into each other: no error accumulation, and the
cost is one recurrent step however long the horizon. Steps past ``H`` in the last segment
are dropped.

:class:`SegmentRecurrentNet` holds these pieces; :class:`~.lstm.LSTMNet` and
:class:`~.lstm_attention.LSTMAttentionNet` add their heads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from .common import (
    Dims,
    NetCapabilities,
    check_bool,
    check_choice,
    check_dropout,
    check_int,
    get_inputs,
    merge_channels,
    shape_output,
    split_channels,
)

__all__ = ["CELLS", "DECODERS", "RecurrentConfig", "SegmentRecurrentNet", "recurrent_capabilities",
           "to_segments"]

#: ``"direct"``: the net's own head on the encoder summary; ``"pmf"``: parallel decoding.
DECODERS = ("direct", "pmf")
#: The recurrent cell: ``nn.LSTM`` or ``nn.GRU`` (SegRNN's reference cell).
CELLS = ("lstm", "gru")


def to_segments(x: Tensor, length: int, left: bool = True) -> Tensor:
    """``[N, L, C] -> [N, ceil(L / length), length * C]``, padded by repeating the edge step.

    ``left=True`` pads before the first step (a lookback window: the most recent step stays
    last); ``left=False`` pads after the last one (a horizon).
    """
    n, steps, channels = x.shape
    pad = -steps % length
    if pad:
        edge = x[:, :1] if left else x[:, -1:]  # [N, 1, C]
        filler = edge.expand(n, pad, channels)  # [N, pad, C]
        x = torch.cat([filler, x] if left else [x, filler], dim=1)  # -> [N, S*length, C]
    return x.reshape(n, x.shape[1] // length, length * channels)  # -> [N, S, length*C]


@dataclass(frozen=True)
class RecurrentConfig:
    """Structural hyperparameters shared by the recurrent nets."""

    hidden_size: int = field(default=128, metadata={"doc": "LSTM state size D."})
    num_layers: int = field(default=1, metadata={"doc": "stacked LSTM layers."})
    dropout: float = field(default=0.1, metadata={"doc": "between LSTM layers and in the head."})
    segment_length: int = field(default=24, metadata={
        "doc": "steps per segment: the LSTM runs over ceil(lookback / segment_length) segment "
               "embeddings (window left-padded with its first step); 1: step-wise, raw steps."})
    decoder: str = field(default="pmf", metadata={
        "doc": '"pmf": horizon segments decoded in parallel by one LSTM step; "direct": the '
               "net's head on the encoder state."})
    channel_independent: bool = field(default=True, metadata={
        "doc": "each target channel is its own series through shared weights (covariates are "
               "appended to every channel); False: all channels in one series."})
    cell: str = field(default="lstm", metadata={
        "doc": '"lstm" (nn.LSTM) or "gru" (nn.GRU, SegRNN\'s cell: no cell state, 3/4 the '
               "recurrent weights)."})

    def __post_init__(self) -> None:
        name = type(self).__name__
        for key in ("hidden_size", "num_layers", "segment_length"):
            object.__setattr__(self, key, check_int(name, key, getattr(self, key), 1))
        object.__setattr__(self, "dropout", check_dropout(name, "dropout", self.dropout))
        check_choice(name, "decoder", self.decoder, DECODERS)
        check_choice(name, "cell", self.cell, CELLS)
        check_bool(name, "channel_independent", self.channel_independent)


def recurrent_capabilities(config: RecurrentConfig) -> NetCapabilities:
    """The recurrent nets read every covariate (appended to each channel's series when
    channel-independent) and ``x_future``; they start from random weights (no start test)."""
    return NetCapabilities(covariates=True, future_covariates=True,
                           channel_independent=config.channel_independent, masks=True,
                           start_test=False)


class SegmentRecurrentNet(nn.Module):
    """Segment embedding + LSTM encoder + PMF decoding step; subclasses add a head.

    With ``channel_independent`` the LSTM sees ``N = B*T`` univariate series of ``1 + K``
    channels (:func:`~.common.split_channels`), else ``N = B`` series of ``C_in`` channels.
    """

    def __init__(self, dims: Dims, config: RecurrentConfig) -> None:
        super().__init__()
        self.dims = dims
        self.config = config
        seg, hidden = config.segment_length, config.hidden_size
        independent = config.channel_independent
        #: target channels of one series (1 when channel-independent) and channels per step
        self.series_targets = 1 if independent else dims.n_targets
        series_inputs = dims.n_inputs - dims.n_targets + 1 if independent else dims.n_inputs
        self.n_out = self.series_targets * dims.n_outputs  # outputs per series and step
        self.n_segments = math.ceil(dims.lookback / seg)
        self.n_horizon_segments = math.ceil(dims.horizon / seg)

        if seg > 1:
            self.embed = nn.Sequential(nn.Linear(seg * series_inputs, hidden), nn.ReLU())
            step_size = hidden
        else:
            self.embed = None  # step-wise: the raw steps go into the LSTM
            step_size = series_inputs
        self.encoder = (nn.LSTM if config.cell == "lstm" else nn.GRU)(
            input_size=step_size,
            hidden_size=hidden,
            num_layers=config.num_layers,
            batch_first=True,
            # nn.LSTM only applies dropout between layers (and warns if num_layers == 1)
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        if config.decoder == "pmf":
            # one embedding per horizon segment, in the LSTM's input space  [M, E]
            self.segment_embed = nn.Parameter(torch.randn(self.n_horizon_segments, step_size))
            if independent and dims.n_targets > 1:
                self.channel_embed = nn.Parameter(torch.randn(dims.n_targets, step_size))  # [T, E]
            if dims.n_future > 0:
                self.future_embed = nn.Linear(seg * dims.n_future, step_size)

    def series(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor | None]:
        """The batch as the LSTM's series: ``x [N, L, C']`` and ``x_future [N, H, F]`` or None."""
        x, x_future = get_inputs(batch, self.dims)  # [B, L, C_in], [B, H, F] or None
        if self.config.channel_independent:
            x, x_future = split_channels(x, x_future, self.dims.n_targets)  # [B*T, L, 1+K], ...
        return x, x_future

    def encode(self, x: Tensor) -> tuple[Tensor, tuple[Tensor, ...]]:
        """``[N, L, C'] -> (states [N, S, D], (h_n, c_n) or (h_n,))``, each ``[num_layers, N, D]``
        (``(h_n,)`` for the GRU)."""
        if self.embed is not None:
            x = self.embed(to_segments(x, self.config.segment_length))  # [N, S, seg*C'] -> [N, S, D]
        states, state = self.encoder(x)  # S = L when step-wise
        return states, state if isinstance(state, tuple) else (state,)

    def decode_segments(self, state: tuple[Tensor, ...], x_future: Tensor | None) -> Tensor:
        """PMF: all horizon segments in one batched recurrent step from ``state`` -> ``[N, M, D]``."""
        n_series, n_seg = state[0].shape[1], self.n_horizon_segments
        queries = self.segment_embed.expand(n_series, -1, -1)  # [M, E] -> [N, M, E]
        if hasattr(self, "channel_embed"):
            channels = self.channel_embed.repeat(n_series // self.dims.n_targets, 1)  # [N, E]
            queries = queries + channels.unsqueeze(1)  # [N, M, E]
        if x_future is not None:
            future = to_segments(x_future, self.config.segment_length, left=False)  # [N, M, seg*F]
            queries = queries + self.future_embed(future)  # -> [N, M, E]
        start = tuple(s.repeat_interleave(n_seg, dim=1) for s in state)  # each [layers, N*M, D]
        out, _ = self.encoder(queries.reshape(n_series * n_seg, 1, -1),
                              start if len(start) == 2 else start[0])  # [N*M, 1, D]
        return out.view(n_series, n_seg, -1)  # -> [N, M, D]

    def output(self, out: Tensor) -> Tensor:
        """Per-series ``[N, >= H, T' * Q]`` -> ``[B, H, T]`` or ``[B, H, T, Q]``."""
        dims = self.dims
        out = out[:, : dims.horizon].reshape(out.shape[0], dims.horizon, self.series_targets,
                                             dims.n_outputs)  # -> [N, H, T', Q]
        if self.config.channel_independent:
            out = merge_channels(out, dims.n_targets)  # [B*T, H, 1, Q] -> [B, H, T, Q]
        return shape_output(out.contiguous(), dims)  # [B, H, T] or [B, H, T, Q]
