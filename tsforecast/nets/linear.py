"""DLinear and NLinear (Zeng et al., AAAI 2023, "Are Transformers Effective for Time Series
Forecasting?"): strong, tiny, fast baselines. Both are channel-independent over the target
channels (covariates are ignored) and map the lookback window to the horizon with one linear layer
per component, shared across channels unless ``individual=True``.

* DLinear: split the window into a moving-average trend (edges padded by replicating the first and
  last values so the trend has the same length) and the seasonal remainder; forecast = Linear(trend)
  + Linear(seasonal).
* NLinear: subtract the window's last value, apply a Linear, add the last value back.

For quantile forecasts each linear layer outputs ``H * Q`` values per channel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .common import Dims, check_int, get_inputs, shape_output
from .registry import register_net

__all__ = ["ChannelLinear", "DLinearConfig", "DLinearNet", "NLinearConfig", "NLinearNet"]


def _check_bool(owner: str, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{owner}.{name} must be a bool, got {value!r}")
    return value


class ChannelLinear(nn.Module):
    """Linear map over the last axis of ``[B, T, in]``, shared or separate per channel T."""

    def __init__(self, n_channels: int, in_features: int, out_features: int, individual: bool):
        super().__init__()
        self.individual = individual
        if individual:
            bound = 1.0 / math.sqrt(in_features)  # same init range as nn.Linear
            weight = torch.empty(n_channels, in_features, out_features).uniform_(-bound, bound)
            self.weight = nn.Parameter(weight)  # [T, in, out]
            self.bias = nn.Parameter(torch.empty(n_channels, out_features).uniform_(-bound, bound))
        else:
            self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: Tensor) -> Tensor:
        if self.individual:
            return torch.einsum("bti,tio->bto", x, self.weight) + self.bias  # -> [B, T, out]
        return self.linear(x)  # [B, T, in] -> [B, T, out]


def _targets(batch: dict[str, Tensor], dims: Dims) -> Tensor:
    x, _ = get_inputs(batch, dims)  # [B, L, C_in]
    return x[..., : dims.n_targets].transpose(1, 2)  # [B, L, T] -> [B, T, L]


def _to_output(out: Tensor, dims: Dims) -> Tensor:
    out = out.view(out.shape[0], dims.n_targets, dims.horizon, dims.n_outputs)  # [B, T, H, Q]
    out = out.permute(0, 2, 1, 3).contiguous()  # [B, T, H, Q] -> [B, H, T, Q]
    return shape_output(out, dims)  # [B, H, T] or [B, H, T, Q]


@dataclass(frozen=True)
class DLinearConfig:
    """Structural hyperparameters of :class:`DLinearNet`."""

    kernel_size: int = field(default=25, metadata={"doc": "moving-average window of the trend."})
    individual: bool = field(
        default=False, metadata={"doc": "one Linear per target channel instead of one shared."}
    )

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "kernel_size", check_int("DLinearConfig", "kernel_size", self.kernel_size, 1)
        )
        _check_bool("DLinearConfig", "individual", self.individual)


@register_net("dlinear", forecaster="DLinearForecaster", config=DLinearConfig)
class DLinearNet(nn.Module):
    """Trend/seasonal decomposition, one Linear L -> H*Q for each part."""

    uses_covariates = False

    def __init__(self, dims: Dims, config: DLinearConfig | None = None) -> None:
        super().__init__()
        config = config if config is not None else DLinearConfig()
        self.dims = dims
        self.config = config
        n_out = dims.horizon * dims.n_outputs
        self.trend = ChannelLinear(dims.n_targets, dims.lookback, n_out, config.individual)
        self.seasonal = ChannelLinear(dims.n_targets, dims.lookback, n_out, config.individual)

    def decompose(self, series: Tensor) -> tuple[Tensor, Tensor]:
        """``[B, T, L] -> (trend [B, T, L], seasonal [B, T, L])``."""
        k = self.config.kernel_size
        batch, n_chan, length = series.shape
        flat = series.reshape(batch * n_chan, 1, length)  # [B*T, 1, L]
        padded = F.pad(flat, ((k - 1) // 2, k // 2), mode="replicate")  # [B*T, 1, L + k - 1]
        trend = F.avg_pool1d(padded, kernel_size=k, stride=1)  # -> [B*T, 1, L]
        trend = trend.view(batch, n_chan, length)  # -> [B, T, L]
        return trend, series - trend

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        series = _targets(batch, self.dims)  # [B, T, L]
        trend, seasonal = self.decompose(series)  # [B, T, L] each
        out = self.trend(trend) + self.seasonal(seasonal)  # -> [B, T, H*Q]
        return _to_output(out, self.dims)  # [B, H, T] or [B, H, T, Q]


@dataclass(frozen=True)
class NLinearConfig:
    """Structural hyperparameters of :class:`NLinearNet`."""

    individual: bool = field(
        default=False, metadata={"doc": "one Linear per target channel instead of one shared."}
    )

    def __post_init__(self) -> None:
        _check_bool("NLinearConfig", "individual", self.individual)


@register_net("nlinear", forecaster="NLinearForecaster", config=NLinearConfig)
class NLinearNet(nn.Module):
    """Last-value normalisation around a single Linear L -> H*Q."""

    uses_covariates = False

    def __init__(self, dims: Dims, config: NLinearConfig | None = None) -> None:
        super().__init__()
        config = config if config is not None else NLinearConfig()
        self.dims = dims
        self.config = config
        n_out = dims.horizon * dims.n_outputs
        self.linear = ChannelLinear(dims.n_targets, dims.lookback, n_out, config.individual)

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        series = _targets(batch, self.dims)  # [B, T, L]
        last = series[..., -1:]  # [B, T, 1]
        out = self.linear(series - last) + last  # [B, T, L] -> [B, T, H*Q]
        return _to_output(out, self.dims)  # [B, H, T] or [B, H, T, Q]
