"""Segment LSTM: an LSTM over lookback segments, decoded in parallel or by a direct head.

The lookback window (targets + covariates) is cut into segments, each embedded linearly, and
an ``nn.LSTM`` (fused kernel, no Python loop over time) runs over the segments (see
:mod:`.recurrent`; ``segment_length=1`` runs it over the raw steps, the classic step-wise
LSTM). Two decoders:

* ``"pmf"`` (default): one learned embedding per horizon segment (plus a channel embedding
  when channels share weights, plus that segment's known-future covariates) decoded by one
  batched LSTM step from the encoder's final state; a linear layer maps each decoded state to
  the segment's ``segment_length * T * Q`` outputs (SegRNN's parallel multi-step forecasting).
* ``"direct"``: the top layer's final hidden state (concatenated with the whole horizon of
  known-future covariates, flattened and projected, when there are any) goes through a small
  MLP that emits all ``H * T * Q`` outputs at once.

Neither feeds forecasts back in: no error accumulation, one forward pass per batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .common import Dims
from .recurrent import RecurrentConfig, SegmentRecurrentNet, recurrent_capabilities
from .registry import register_net

__all__ = ["LSTMConfig", "LSTMNet"]


@dataclass(frozen=True)
class LSTMConfig(RecurrentConfig):
    """Structural hyperparameters of :class:`LSTMNet` (see :class:`.RecurrentConfig`)."""


@register_net("lstm", forecaster="LSTMForecaster", config=LSTMConfig,
              capabilities=recurrent_capabilities, defaults={"normalization": "last_value"})
class LSTMNet(SegmentRecurrentNet):
    """Segment LSTM encoder -> parallel segment decoding (or a direct MLP head) -> H*T*Q."""

    def __init__(self, dims: Dims, config: LSTMConfig | None = None) -> None:
        config = config if config is not None else LSTMConfig()
        super().__init__(dims, config)
        hidden, seg = config.hidden_size, config.segment_length
        if config.decoder == "pmf":
            self.head = nn.Sequential(
                nn.Dropout(config.dropout),
                nn.Linear(hidden, seg * self.n_out),
            )
            return
        head_in = hidden
        if dims.n_future > 0:
            self.future_proj = nn.Linear(dims.horizon * dims.n_future, hidden)
            head_in += hidden
        self.head = nn.Sequential(
            nn.Dropout(config.dropout),
            nn.Linear(head_in, hidden),
            nn.GELU(),
            nn.Dropout(config.dropout),
            nn.Linear(hidden, dims.horizon * self.n_out),
        )

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        x, x_future = self.series(batch)  # [N, L, C'], [N, H, F] or None
        n_series = x.shape[0]
        _, state = self.encode(x)  # (h_n, c_n), GRU (h_n,): [num_layers, N, D] each
        if self.config.decoder == "pmf":
            decoded = self.decode_segments(state, x_future)  # [N, M, D]
            out = self.head(decoded)  # -> [N, M, seg*T'*Q]
            return self.output(out.reshape(n_series, -1, self.n_out))  # [N, M*seg, T'*Q] -> out
        summary = state[0][-1]  # [num_layers, N, D] -> [N, D] (top layer, last step)
        if x_future is not None:
            future = self.future_proj(x_future.flatten(1))  # [N, H, F] -> [N, H*F] -> [N, D]
            summary = torch.cat([summary, future], dim=-1)  # [N, D] + [N, D] -> [N, 2D]
        out = self.head(summary)  # [N, D or 2D] -> [N, H*T'*Q]
        return self.output(out.view(n_series, self.dims.horizon, self.n_out))  # [B, H, T(, Q)]
