"""A residual MLP around NLinear: the window's change from its last value goes through a
linear map (NLinear) plus a small multilayer perceptron, whose sum is added to the last value.

The linear path is NLinear's; the MLP adds what a single linear map cannot express (a trend
extrapolated more or less depending on the window's shape, as N-BEATS' and TiDE's MLPs
do), and each window's observed-step mask goes into the MLP beside the values, so padded steps
are told apart from values equal to the last one. With ``zero_init`` (the default) the
linear map and the MLP's output layer start at zero: the untrained forecast is the last value
(the random walk), and training moves away from it only as far as the validation windows pay
for it, as for the linear nets.

Channel-independent by default (each target channel its own series through the same
weights; covariates ignored); ``channel_independent=False`` feeds every channel of the window,
covariates and the mask included, to one MLP and one Linear that emit all targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from .common import (
    INDEPENDENT_DOC,
    Dims,
    apply_linear,
    centered_window,
    channels_to_output,
    check_dropout,
    check_int,
    check_linear_config,
    linear_map,
    random_walk_capabilities,
)
from .registry import register_net

__all__ = ["MLPConfig", "MLPNet"]


@dataclass(frozen=True)
class MLPConfig:
    """Structural hyperparameters of :class:`MLPNet`."""

    hidden_size: int = field(default=256, metadata={"doc": "width of the hidden layers."})
    n_layers: int = field(default=2, metadata={"doc": "hidden layers (ReLU)."})
    dropout: float = field(default=0.0, metadata={"doc": "dropout after each hidden layer."})
    channel_independent: bool = field(default=True, metadata={"doc": INDEPENDENT_DOC})
    zero_init: bool = field(default=True, metadata={"doc": (
        "start the linear map and the MLP's output layer at zero: the untrained net forecasts "
        "the last value (the random walk); False: nn.Linear's uniform init.")})

    @property
    def individual(self) -> bool:
        """One Linear shared by the channels (the linear nets' ``individual=False``)."""
        return False

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden_size",
                           check_int("MLPConfig", "hidden_size", self.hidden_size, 1))
        object.__setattr__(self, "n_layers", check_int("MLPConfig", "n_layers", self.n_layers, 1))
        object.__setattr__(self, "dropout", check_dropout("MLPConfig", "dropout", self.dropout))
        check_linear_config(self)


@register_net("mlp", forecaster="MLPForecaster", config=MLPConfig,
              capabilities=random_walk_capabilities)
class MLPNet(nn.Module):
    """NLinear plus a residual MLP over the window's change from its last value."""

    def __init__(self, dims: Dims, config: MLPConfig | None = None) -> None:
        super().__init__()
        config = config if config is not None else MLPConfig()
        self.dims = dims
        self.config = config
        self.linear = linear_map(dims, config)
        n_out = dims.horizon * dims.n_outputs
        if config.channel_independent:  # values and mask of one channel -> its horizon
            n_in, n_last = 2 * dims.lookback, n_out
        else:  # every channel (the mask is one when windows are padded) -> every target
            n_in, n_last = dims.n_inputs * dims.lookback, dims.n_targets * n_out
        layers: list[nn.Module] = []
        for i in range(config.n_layers):
            layers += [nn.Linear(n_in if i == 0 else config.hidden_size, config.hidden_size),
                       nn.ReLU(), nn.Dropout(config.dropout)]
        self.hidden = nn.Sequential(*layers)
        self.head = nn.Linear(config.hidden_size, n_last)
        if config.zero_init:
            with torch.no_grad():
                self.head.weight.zero_()
                self.head.bias.zero_()

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        dims, independent = self.dims, self.config.channel_independent
        centered, last, mask = centered_window(batch, dims, independent)  # [B, C, L], [B, C, 1]
        if independent:
            observed = (mask.unsqueeze(1) if mask is not None
                        else torch.ones_like(centered[:, :1])).expand_as(centered)  # [B, T, L]
            features = torch.cat([centered, observed], dim=-1)  # [B, T, 2L]
            deep = self.head(self.hidden(features))  # [B, T, H*Q]
        else:
            flat = centered.flatten(1)  # [B, C_in*L]
            deep = self.head(self.hidden(flat)).view(centered.shape[0], dims.n_targets, -1)
        out = apply_linear(self.linear, centered, dims, independent) + deep  # [B, T, H*Q]
        out = out + last[:, : dims.n_targets]  # the targets' last values: [B, T, 1]
        return channels_to_output(out, dims)  # [B, H, T] or [B, H, T, Q]
