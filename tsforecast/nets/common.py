"""Shared pieces for the networks: problem dimensions, validation helpers, output shaping.

Every net in :mod:`tsforecast.nets` is a plain ``torch.nn.Module`` with the same contract:

* ``batch["x"]``        ``[B, L, C_in]``  lookback window; the ``n_targets`` target columns come
  first, then past covariates, then the lookback part of the known-future covariates.
* ``batch["x_future"]`` ``[B, H, F]``     known-future covariates over the horizon (``F`` may be 0).
* ``batch["y"]``        ``[B, H, T]``     training targets; nets never read it.

``forward(batch)`` returns ``[B, H, T]`` for point forecasts (``n_quantiles == 0``) or
``[B, H, T, Q]`` for quantile forecasts.

Capabilities (:class:`NetCapabilities`) are declared where a net registers, never read
from the net object. The linear-map pieces at the end are shared by NLinear, DLinear and
the MLP.

Channel independence (``channel_independent=True`` in a net's config): each target channel
is its own univariate series, every channel through the same weights. :func:`split_channels`
turns ``x [B, L, C_in]`` into ``[B*T, L, 1 + K]`` (one target channel followed by the ``K``
covariate channels, which are appended to every channel's series) and :func:`merge_channels`
turns the per-series output back into ``[B, H, T, Q]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch
from torch import Tensor, nn

from ..constraints import check_int as _check_int

__all__ = [
    "INDEPENDENT_DOC",
    "ChannelLinear",
    "Dims",
    "NetCapabilities",
    "apply_linear",
    "centered_window",
    "channels_to_output",
    "check_linear_config",
    "linear_map",
    "random_walk_capabilities",
    "series_mask",
    "window_series",
    "count_parameters",
    "check_bool",
    "check_choice",
    "check_int",
    "check_dropout",
    "get_inputs",
    "merge_channels",
    "shape_output",
    "split_channels",
]


def check_int(owner: str, name: str, value: object, minimum: int) -> int:
    """Return ``value`` as a Python int, or raise ``ValueError`` naming ``owner.name`` and value
    (:func:`tsforecast.constraints.check_int`)."""
    return _check_int(f"{owner}.{name}", value, minimum)


def check_bool(owner: str, name: str, value: object) -> bool:
    """Return ``value`` if it is a bool, or raise ``ValueError`` naming ``owner.name`` and value."""
    if not isinstance(value, bool):
        raise ValueError(f"{owner}.{name} must be a bool, got {value!r}")
    return value


def check_choice(owner: str, name: str, value: object, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, or raise ``ValueError`` naming them."""
    if value not in choices:
        raise ValueError(f"{owner}.{name} must be one of {list(choices)}, got {value!r}")
    return value


def check_dropout(owner: str, name: str, value: object) -> float:
    """Return ``value`` as a float in ``[0, 1)``, or raise ``ValueError`` naming field and value."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value_f = float(value)  # numpy floats
        except (TypeError, ValueError):
            raise ValueError(f"{owner}.{name} must be a float in [0, 1), got {value!r}") from None
    else:
        value_f = float(value)
    if not 0.0 <= value_f < 1.0:  # also rejects NaN
        raise ValueError(f"{owner}.{name} must be in [0, 1), got {value!r}")
    return value_f


@dataclass(frozen=True)
class Dims:
    """Problem dimensions shared by every net.

    lookback:    L, number of past time steps in ``batch["x"]``.
    horizon:     H, number of future steps to forecast.
    n_targets:   T, number of target columns (the first T channels of ``x``).
    n_inputs:    C_in, total channels of ``x`` (targets + covariates), ``>= n_targets``.
    n_future:    F, channels of ``batch["x_future"]`` (0 when there are no known-future covariates).
    n_quantiles: Q, 0 for point forecasts, else number of quantiles per target and step.
    """

    lookback: int
    horizon: int
    n_targets: int
    n_inputs: int
    n_future: int = 0
    n_quantiles: int = 0

    def __post_init__(self) -> None:
        minimums = {
            "lookback": 1,
            "horizon": 1,
            "n_targets": 1,
            "n_inputs": 1,
            "n_future": 0,
            "n_quantiles": 0,
        }
        for name, minimum in minimums.items():
            # frozen dataclass: normalise numpy ints etc. to plain ints
            object.__setattr__(self, name, check_int("Dims", name, getattr(self, name), minimum))
        if self.n_inputs < self.n_targets:
            raise ValueError(
                f"Dims.n_inputs must be >= n_targets ({self.n_targets}), got {self.n_inputs}"
            )

    @property
    def n_outputs(self) -> int:
        """Outputs per target and horizon step: Q for quantile forecasts, else 1."""
        return max(self.n_quantiles, 1)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable (``requires_grad``) parameters of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def get_inputs(batch: dict[str, Tensor], dims: Dims) -> tuple[Tensor, Tensor | None]:
    """Fetch ``x`` and (when ``dims.n_future > 0``) ``x_future`` from a batch, checking shapes.

    Returns ``(x, x_future)`` with ``x_future`` None when there are no known-future covariates.
    """
    x = batch["x"]  # [B, L, C_in]
    if x.dim() != 3 or x.shape[1] != dims.lookback or x.shape[2] != dims.n_inputs:
        raise ValueError(
            f'batch["x"] must have shape [B, {dims.lookback}, {dims.n_inputs}] '
            f"(lookback, n_inputs), got {list(x.shape)}"
        )
    if dims.n_future == 0:
        return x, None
    x_future = batch["x_future"]  # [B, H, F]
    if x_future.dim() != 3 or x_future.shape[1:] != (dims.horizon, dims.n_future):
        raise ValueError(
            f'batch["x_future"] must have shape [B, {dims.horizon}, {dims.n_future}] '
            f"(horizon, n_future), got {list(x_future.shape)}"
        )
    return x, x_future


def shape_output(out: Tensor, dims: Dims) -> Tensor:
    """``[B, H, T, max(Q, 1)]`` -> ``[B, H, T]`` for point forecasts, unchanged for quantiles."""
    if dims.n_quantiles == 0:
        return out.squeeze(-1)  # [B, H, T, 1] -> [B, H, T]
    return out  # [B, H, T, Q]


def split_channels(x: Tensor, x_future: Tensor | None, n_targets: int
                   ) -> tuple[Tensor, Tensor | None]:
    """One univariate series per target channel, covariates appended to each.

    ``x [B, L, C_in]`` -> ``[B*T, L, 1 + K]`` (series ``b * T + t`` is target ``t`` of window
    ``b`` followed by the window's ``K = C_in - T`` covariate channels); ``x_future [B, H, F]``
    -> ``[B*T, H, F]`` (the same known-future covariates for every channel).
    """
    batch, length, _ = x.shape
    targets = x[..., :n_targets].transpose(1, 2).reshape(batch * n_targets, length, 1)
    covariates = x[..., n_targets:].repeat_interleave(n_targets, dim=0)  # [B*T, L, K]
    series = torch.cat([targets, covariates], dim=-1)  # [B*T, L, 1 + K]
    if x_future is not None:
        x_future = x_future.repeat_interleave(n_targets, dim=0)  # [B, H, F] -> [B*T, H, F]
    return series, x_future


def merge_channels(out: Tensor, n_targets: int) -> Tensor:
    """Per-series output ``[B*T, H, 1, Q]`` -> ``[B, H, T, Q]`` (inverse of the split)."""
    n_series, horizon, _, n_out = out.shape
    out = out.view(n_series // n_targets, n_targets, horizon, n_out)  # [B, T, H, Q]
    return out.permute(0, 2, 1, 3).contiguous()  # -> [B, H, T, Q]


# --------------------------------------------------------------------- capabilities


@dataclass(frozen=True)
class NetCapabilities:
    """What a net built with one config does, declared at its registration (see
    :func:`~.registry.register_net`); every field is declared, none has a default.

    covariates:          reads the covariate channels of ``x`` (past covariates and the
                         lookback part of known-future ones); when False the forecaster warns
                         that the covariates it was given are ignored.
    future_covariates:   reads ``x_future`` (known-future covariates over the horizon).
    channel_independent: each target channel is its own series through shared weights.
    masks:               trains and forecasts on left-padded windows (``min_context <
                         lookback``: the mask comes as an extra channel and ``batch["mask"]``).
    start_test:          the untrained net forecasts the last value (zero-initialised
                         output): training keeps that start unless it beats it on the
                         validation windows (one-sided Diebold-Mariano test).
    """

    covariates: bool
    future_covariates: bool
    channel_independent: bool
    masks: bool
    start_test: bool

    def __post_init__(self) -> None:
        for f in fields(self):
            if not isinstance(getattr(self, f.name), bool):
                raise TypeError(f"NetCapabilities.{f.name} must be a bool, "
                                f"got {getattr(self, f.name)!r}")


def random_walk_capabilities(config) -> NetCapabilities:
    """Capabilities of the linear, MLP and patch nets: channel-independent ones read the
    targets only, mixing ones (``channel_independent=False``) the covariates' lookback part
    too, none reads ``x_future``; ``zero_init`` starts them at the random walk."""
    return NetCapabilities(covariates=not config.channel_independent, future_covariates=False,
                           channel_independent=config.channel_independent, masks=True,
                           start_test=config.zero_init)


# ------------------------------------------------- linear maps (NLinear, DLinear, MLP)

INDEPENDENT_DOC = ("each target channel its own series through shared weights (covariates "
                   "ignored); False: one Linear over all channels and covariates.")


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


def check_linear_config(config) -> None:
    """Check the fields a linear-map config shares (``individual``, ``channel_independent``,
    ``zero_init``), raising ``ValueError`` naming the config, field and value."""
    name = type(config).__name__
    check_bool(name, "individual", config.individual)
    check_bool(name, "channel_independent", config.channel_independent)
    check_bool(name, "zero_init", config.zero_init)
    if config.individual and not config.channel_independent:
        raise ValueError(f"{name}.individual=True needs channel_independent=True "
                         "(one Linear per channel)")


def linear_map(dims: Dims, config) -> ChannelLinear:
    """The net's Linear: per target channel ``L -> H*Q``, or mixing ``C_in*L -> T*H*Q``."""
    n_out = dims.horizon * dims.n_outputs
    if config.channel_independent:
        return ChannelLinear(dims.n_targets, dims.lookback, n_out, config.individual,
                             config.zero_init)
    return ChannelLinear(1, dims.n_inputs * dims.lookback, dims.n_targets * n_out, False,
                         config.zero_init)


def window_series(batch: dict[str, Tensor], dims: Dims, independent: bool) -> Tensor:
    """The window as series over time: the targets ``[B, T, L]``, or mixing every channel
    ``[B, C_in, L]``."""
    x, _ = get_inputs(batch, dims)  # [B, L, C_in]
    if independent:
        return x[..., : dims.n_targets].transpose(1, 2)  # [B, L, T] -> [B, T, L]
    return x.transpose(1, 2)  # [B, L, C_in] -> [B, C_in, L]


def series_mask(batch: dict[str, Tensor], independent: bool) -> Tensor | None:
    """The batch's ``mask [B, L]`` when the series must be masked: channel-independent nets
    (targets only); a mixing net reads the mask as its own channel and keeps it as is."""
    mask = batch.get("mask")
    return mask if independent and mask is not None else None


def centered_window(batch: dict[str, Tensor], dims: Dims,
                    independent: bool) -> tuple[Tensor, Tensor, Tensor | None]:
    """NLinear's input: the window less its last value, padded steps 0 (``[B, C, L]``), the
    last value (``[B, C, 1]``) and the mask that was applied (``[B, L]`` or None)."""
    series = window_series(batch, dims, independent)  # [B, C, L] (C = T, or C_in when mixing)
    last = series[..., -1:]  # [B, C, 1]
    centered = series - last  # [B, C, L]
    mask = series_mask(batch, independent)
    if mask is not None:  # padded steps stay 0
        centered = centered * mask.unsqueeze(1)
    return centered, last, mask


def apply_linear(linear: ChannelLinear, series: Tensor, dims: Dims, independent: bool) -> Tensor:
    """``[B, T, L]`` -> ``[B, T, H*Q]``; mixing: ``[B, C_in, L]`` -> ``[B, 1, C_in*L]`` -> same."""
    if independent:
        return linear(series)  # [B, T, L] -> [B, T, H*Q]
    out = linear(series.flatten(1).unsqueeze(1))  # [B, 1, C_in*L] -> [B, 1, T*H*Q]
    return out.view(series.shape[0], dims.n_targets, -1)  # -> [B, T, H*Q]


def channels_to_output(out: Tensor, dims: Dims) -> Tensor:
    """``[B, T, H*Q]`` -> ``[B, H, T]`` or ``[B, H, T, Q]``."""
    out = out.view(out.shape[0], dims.n_targets, dims.horizon, dims.n_outputs)  # [B, T, H, Q]
    out = out.permute(0, 2, 1, 3).contiguous()  # [B, T, H, Q] -> [B, H, T, Q]
    return shape_output(out, dims)  # [B, H, T] or [B, H, T, Q]
