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

from dataclasses import dataclass, field

import torch.nn.functional as F
from torch import Tensor, nn

from .common import (
    INDEPENDENT_DOC,
    Dims,
    apply_linear,
    centered_window,
    channels_to_output,
    check_int,
    check_linear_config,
    linear_map,
    random_walk_capabilities,
    series_mask,
    window_series,
)
from .registry import register_net

__all__ = ["DLinearConfig", "DLinearNet", "NLinearConfig", "NLinearNet"]

_ZERO_INIT_DOC = ("start from all-zero weights, i.e. from the random walk: NLinear then "
                  "forecasts the last value, DLinear too under last-value normalisation; "
                  "False: nn.Linear's uniform init.")


@dataclass(frozen=True)
class DLinearConfig:
    """Structural hyperparameters of :class:`DLinearNet`."""

    kernel_size: int = field(default=25, metadata={"doc": "moving-average window of the trend."})
    individual: bool = field(
        default=False, metadata={"doc": "one Linear per target channel instead of one shared."}
    )
    channel_independent: bool = field(default=True, metadata={"doc": INDEPENDENT_DOC})
    zero_init: bool = field(default=True, metadata={"doc": _ZERO_INIT_DOC})

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "kernel_size", check_int("DLinearConfig", "kernel_size", self.kernel_size, 1)
        )
        check_linear_config(self)


@register_net("dlinear", forecaster="DLinearForecaster", config=DLinearConfig,
              capabilities=random_walk_capabilities, defaults={"normalization": "last_value"})
class DLinearNet(nn.Module):
    """Trend/seasonal decomposition, one Linear L -> H*Q for each part."""

    def __init__(self, dims: Dims, config: DLinearConfig | None = None) -> None:
        super().__init__()
        config = config if config is not None else DLinearConfig()
        self.dims = dims
        self.config = config
        self.trend = linear_map(dims, config)
        self.seasonal = linear_map(dims, config)

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
        series = window_series(batch, dims, independent)  # [B, C, L] (C = T, or C_in when mixing)
        trend, seasonal = self.decompose(series, series_mask(batch, independent))  # [B, C, L]
        out = (apply_linear(self.trend, trend, dims, independent)
               + apply_linear(self.seasonal, seasonal, dims, independent))  # -> [B, T, H*Q]
        return channels_to_output(out, dims)  # [B, H, T] or [B, H, T, Q]


@dataclass(frozen=True)
class NLinearConfig:
    """Structural hyperparameters of :class:`NLinearNet`."""

    individual: bool = field(
        default=False, metadata={"doc": "one Linear per target channel instead of one shared."}
    )
    channel_independent: bool = field(default=True, metadata={"doc": INDEPENDENT_DOC})
    zero_init: bool = field(default=True, metadata={"doc": _ZERO_INIT_DOC})

    def __post_init__(self) -> None:
        check_linear_config(self)


@register_net("nlinear", forecaster="NLinearForecaster", config=NLinearConfig,
              capabilities=random_walk_capabilities)
class NLinearNet(nn.Module):
    """Last-value normalisation around a single Linear L -> H*Q."""

    def __init__(self, dims: Dims, config: NLinearConfig | None = None) -> None:
        super().__init__()
        config = config if config is not None else NLinearConfig()
        self.dims = dims
        self.config = config
        self.linear = linear_map(dims, config)

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        dims, independent = self.dims, self.config.channel_independent
        centered, last, _ = centered_window(batch, dims, independent)  # [B, C, L], [B, C, 1]
        out = apply_linear(self.linear, centered, dims, independent)  # -> [B, T, H*Q]
        out = out + last[:, : dims.n_targets]  # the targets' last values: [B, T, 1]
        return channels_to_output(out, dims)  # [B, H, T] or [B, H, T, Q]
