"""LSTM encoder with a direct multi-horizon head.

The lookback window (targets + covariates) is encoded by a stacked ``nn.LSTM`` (cuDNN / fused CPU
kernel, no Python loop over time). The last layer's final hidden state summarises the window; when
known-future covariates exist, their whole horizon is flattened and projected to the same size and
concatenated. A small MLP then emits all ``H * T * Q`` outputs at once ("direct" strategy: no
autoregressive feedback, so no error accumulation and a single forward pass per batch).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from .common import Dims, check_dropout, check_int, get_inputs, shape_output
from .registry import register_net

__all__ = ["LSTMConfig", "LSTMNet"]


@dataclass(frozen=True)
class LSTMConfig:
    """Structural hyperparameters of :class:`LSTMNet`."""

    hidden_size: int = field(default=64, metadata={"doc": "LSTM state size (also the head width)."})
    num_layers: int = field(default=2, metadata={"doc": "stacked LSTM layers."})
    dropout: float = field(default=0.1, metadata={"doc": "between LSTM layers and in the head."})

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "hidden_size", check_int("LSTMConfig", "hidden_size", self.hidden_size, 1)
        )
        object.__setattr__(
            self, "num_layers", check_int("LSTMConfig", "num_layers", self.num_layers, 1)
        )
        object.__setattr__(self, "dropout", check_dropout("LSTMConfig", "dropout", self.dropout))


@register_net("lstm", forecaster="LSTMForecaster", config=LSTMConfig)
class LSTMNet(nn.Module):
    """Stacked LSTM encoder -> last hidden state (+ projected future covariates) -> MLP -> H*T*Q."""

    uses_covariates = True

    def __init__(self, dims: Dims, config: LSTMConfig | None = None) -> None:
        super().__init__()
        config = config if config is not None else LSTMConfig()
        self.dims = dims
        self.config = config
        hidden = config.hidden_size

        self.encoder = nn.LSTM(
            input_size=dims.n_inputs,
            hidden_size=hidden,
            num_layers=config.num_layers,
            batch_first=True,
            # nn.LSTM only applies dropout between layers (and warns if num_layers == 1)
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        head_in = hidden
        if dims.n_future > 0:
            self.future_proj = nn.Linear(dims.horizon * dims.n_future, hidden)
            head_in += hidden
        self.head = nn.Sequential(
            nn.Dropout(config.dropout),
            nn.Linear(head_in, hidden),
            nn.GELU(),
            nn.Dropout(config.dropout),
            nn.Linear(hidden, dims.horizon * dims.n_targets * dims.n_outputs),
        )

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        dims = self.dims
        x, x_future = get_inputs(batch, dims)  # [B, L, C_in], [B, H, F] or None
        _, (h_n, _) = self.encoder(x)  # h_n: [num_layers, B, D]
        summary = h_n[-1]  # [num_layers, B, D] -> [B, D] (top layer, last step)
        if x_future is not None:
            future = self.future_proj(x_future.flatten(1))  # [B, H, F] -> [B, H*F] -> [B, D]
            summary = torch.cat([summary, future], dim=-1)  # [B, D] + [B, D] -> [B, 2D]
        out = self.head(summary)  # [B, D or 2D] -> [B, H*T*Q]
        out = out.view(-1, dims.horizon, dims.n_targets, dims.n_outputs)  # -> [B, H, T, Q]
        return shape_output(out, dims)  # [B, H, T] or [B, H, T, Q]
