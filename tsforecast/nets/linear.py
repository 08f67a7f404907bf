"""DLinear and NLinear (Zeng et al., AAAI 2023, "Are Transformers Effective for Time Series
Forecasting?"): strong, tiny, fast baselines. By default both are channel-independent over the
target channels (covariates are ignored, with a warning from the forecaster) and map the
lookback window to the horizon with one linear layer per component, shared across channels
unless ``individual=True``. With ``channel_independent=False`` one linear layer maps the whole
window, every channel (covariates included), to the ``H * T`` outputs: channels mix.

* DLinear: split the window into a moving-average trend (edges padded by replicating the first and
  last values so the trend has the same length) and the seasonal remainder; forecast = Linear(trend)
  + Linear(seasonal).
* NLinear: subtract the window's last value, apply a Linear, add the last value back.

For quantile forecasts each linear layer outputs ``H * Q`` values per channel.

Both start from all-zero weights (``zero_init=True``): NLinear's untrained forecast is the last
value, and so is DLinear's under its default last-value normalisation. Training moves them away
from the random walk only as far as the data pay for it; early stopping on the validation windows
keeps them there on data without structure (prices). Chosen on validation data:
``benchmarks/ablate_rnn.py --model nlinear`` / ``--model dlinear``.

Left-padded windows (``batch["mask"]``, see :mod:`.revin`): NLinear keeps the padded steps at
0 after subtracting the last value, and DLinear's moving average runs over the observed
steps only (a masked average), so neither turns the padding back into values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .common import Dims, check_bool, check_int, get_inputs, shape_output
from .registry import register_net

__all__ = ["ChannelLinear", "DLinearConfig", "DLinearNet", "NLinearConfig", "NLinearNet"]

_INDEPENDENT_DOC = ("each target channel its own series through shared weights (covariates "
                    "ignored); False: one Linear over all channels and covariates.")
_ZERO_INIT_DOC = ("start from all-zero weights, i.e. from the random walk: NLinear then "
                  "forecasts the last value, DLinear too under last-value normalisation; "
                  "False: nn.Linear's uniform init.")


class ChannelLinear(nn.Module):
    """Linear map over the last axis of ``[B, T, in]``, shared or separate per channel T.

    ``zero_init``: all weights and biases start at 0 (else ``nn.Linear``'s uniform range).
    """

    def __init__(self, n_channels: int, in_features: int, out_features: int, individual: bool,
                 zero_init: bool = False):
        super().__init__()
        self.individual = individual
        if individual:
            bound = 1.0 / math.sqrt(in_features)  # same init range as nn.Linear
            weight = torch.empty(n_channels, in_features, out_features).uniform_(-bound, bound)
            self.weight = nn.Parameter(weight)  # [T, in, out]
            self.bias = nn.Parameter(torch.empty(n_channels, out_features).uniform_(-bound, bound))
        else:
            self.linear = nn.Linear(in_features, out_features)
        if zero_init:
            with torch.no_grad():
                for param in self.parameters():
                    param.zero_()

    def forward(self, x: Tensor) -> Tensor:
        if self.individual:
            return torch.einsum("bti,tio->bto", x, self.weight) + self.bias  # -> [B, T, out]
        return self.linear(x)  # [B, T, in] -> [B, T, out]


def _check_linear_config(config) -> None:
    name = type(config).__name__
    check_bool(name, "individual", config.individual)
    check_bool(name, "channel_independent", config.channel_independent)
    check_bool(name, "zero_init", config.zero_init)
    if config.individual and not config.channel_independent:
        raise ValueError(f"{name}.individual=True needs channel_independent=True "
                         "(one Linear per channel)")


def _linear(dims: Dims, config) -> ChannelLinear:
    """The net's Linear: per target channel ``L -> H*Q``, or mixing ``C_in*L -> T*H*Q``."""
    n_out = dims.horizon * dims.n_outputs
    if config.channel_independent:
        return ChannelLinear(dims.n_targets, dims.lookback, n_out, config.individual,
                             config.zero_init)
    return ChannelLinear(1, dims.n_inputs * dims.lookback, dims.n_targets * n_out, False,
                         config.zero_init)


def _series(batch: dict[str, Tensor], dims: Dims, independent: bool) -> Tensor:
    x, _ = get_inputs(batch, dims)  # [B, L, C_in]
    if independent:
        return x[..., : dims.n_targets].transpose(1, 2)  # [B, L, T] -> [B, T, L]
    return x.transpose(1, 2)  # [B, L, C_in] -> [B, C_in, L]


def _observed(batch: dict[str, Tensor], independent: bool) -> Tensor | None:
    """The batch's ``mask [B, L]`` when the series must be masked: channel-independent nets
    (targets only); a mixing net reads the mask as its own channel and keeps it as is."""
    mask = batch.get("mask")
    return mask if independent and mask is not None else None


def _centered(batch: dict[str, Tensor], dims: Dims,
              independent: bool) -> tuple[Tensor, Tensor, Tensor | None]:
    """NLinear's input: the window less its last value, padded steps 0 (``[B, C, L]``), the
    last value (``[B, C, 1]``) and the mask that was applied (``[B, L]`` or None)."""
    series = _series(batch, dims, independent)  # [B, C, L] (C = T, or C_in when mixing)
    last = series[..., -1:]  # [B, C, 1]
    centered = series - last  # [B, C, L]
    mask = _observed(batch, independent)
    if mask is not None:  # padded steps stay 0
        centered = centered * mask.unsqueeze(1)
    return centered, last, mask


def _apply(linear: ChannelLinear, series: Tensor, dims: Dims, independent: bool) -> Tensor:
    """``[B, T, L]`` -> ``[B, T, H*Q]``; mixing: ``[B, C_in, L]`` -> ``[B, 1, C_in*L]`` -> same."""
    if independent:
        return linear(series)  # [B, T, L] -> [B, T, H*Q]
    out = linear(series.flatten(1).unsqueeze(1))  # [B, 1, C_in*L] -> [B, 1, T*H*Q]
    return out.view(series.shape[0], dims.n_targets, -1)  # -> [B, T, H*Q]


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
    channel_independent: bool = field(default=True, metadata={"doc": _INDEPENDENT_DOC})
    zero_init: bool = field(default=True, metadata={"doc": _ZERO_INIT_DOC})

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "kernel_size", check_int("DLinearConfig", "kernel_size", self.kernel_size, 1)
        )
        _check_linear_config(self)


@register_net("dlinear", forecaster="DLinearForecaster", config=DLinearConfig,
              defaults={"normalization": "last_value"})
class DLinearNet(nn.Module):
    """Trend/seasonal decomposition, one Linear L -> H*Q for each part."""

    def __init__(self, dims: Dims, config: DLinearConfig | None = None) -> None:
        super().__init__()
        config = config if config is not None else DLinearConfig()
        self.dims = dims
        self.config = config
        self.trend = _linear(dims, config)
        self.seasonal = _linear(dims, config)

    @property
    def uses_covariates(self) -> bool:
        return not self.config.channel_independent

    def decompose(self, series: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``[B, T, L] -> (trend [B, T, L], seasonal [B, T, L])``; with ``mask [B, L]``
        (1 = observed) the average is over observed steps and padded steps stay 0."""
        k = self.config.kernel_size
        batch, n_chan, length = series.shape
        edges = ((k - 1) // 2, k // 2)

        def smooth(x: Tensor) -> Tensor:  # [N, L] -> [N, L]
            padded = F.pad(x.unsqueeze(1), edges, mode="replicate")  # [N, 1, L + k - 1]
            return F.avg_pool1d(padded, kernel_size=k, stride=1).squeeze(1)  # -> [N, L]

        if mask is None:
            trend = smooth(series.reshape(batch * n_chan, length))  # [B*T, L]
            trend = trend.view(batch, n_chan, length)  # -> [B, T, L]
            return trend, series - trend
        m = mask.unsqueeze(1)  # [B, 1, L]
        total = smooth((series * m).reshape(batch * n_chan, length)).view(batch, n_chan, length)
        share = smooth(mask).clamp_min(1e-6).unsqueeze(1)  # [B, 1, L] observed share per window
        trend = total / share * m  # [B, T, L], 0 where padded
        return trend, (series - trend) * m

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        dims, independent = self.dims, self.config.channel_independent
        series = _series(batch, dims, independent)  # [B, C, L] (C = T, or C_in when mixing)
        trend, seasonal = self.decompose(series, _observed(batch, independent))  # [B, C, L]
        out = (_apply(self.trend, trend, dims, independent)
               + _apply(self.seasonal, seasonal, dims, independent))  # -> [B, T, H*Q]
        return _to_output(out, dims)  # [B, H, T] or [B, H, T, Q]


@dataclass(frozen=True)
class NLinearConfig:
    """Structural hyperparameters of :class:`NLinearNet`."""

    individual: bool = field(
        default=False, metadata={"doc": "one Linear per target channel instead of one shared."}
    )
    channel_independent: bool = field(default=True, metadata={"doc": _INDEPENDENT_DOC})
    zero_init: bool = field(default=True, metadata={"doc": _ZERO_INIT_DOC})

    def __post_init__(self) -> None:
        _check_linear_config(self)


@register_net("nlinear", forecaster="NLinearForecaster", config=NLinearConfig)
class NLinearNet(nn.Module):
    """Last-value normalisation around a single Linear L -> H*Q."""

    def __init__(self, dims: Dims, config: NLinearConfig | None = None) -> None:
        super().__init__()
        config = config if config is not None else NLinearConfig()
        self.dims = dims
        self.config = config
        self.linear = _linear(dims, config)

    @property
    def uses_covariates(self) -> bool:
        return not self.config.channel_independent

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        dims, independent = self.dims, self.config.channel_independent
        centered, last, _ = _centered(batch, dims, independent)  # [B, C, L], [B, C, 1]
        out = _apply(self.linear, centered, dims, independent)  # -> [B, T, H*Q]
        out = out + last[:, : dims.n_targets]  # the targets' last values: [B, T, 1]
        return _to_output(out, dims)  # [B, H, T] or [B, H, T, Q]
