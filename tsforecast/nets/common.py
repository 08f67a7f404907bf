"""Shared pieces for the networks: problem dimensions, validation helpers, output shaping.

Every net in :mod:`tsforecast.nets` is a plain ``torch.nn.Module`` with the same contract:

* ``batch["x"]``        ``[B, L, C_in]``  lookback window; the ``n_targets`` target columns come
  first, then past covariates, then the lookback part of the known-future covariates.
* ``batch["x_future"]`` ``[B, H, F]``     known-future covariates over the horizon (``F`` may be 0).
* ``batch["y"]``        ``[B, H, T]``     training targets; nets never read it.

``forward(batch)`` returns ``[B, H, T]`` for point forecasts (``n_quantiles == 0``) or
``[B, H, T, Q]`` for quantile forecasts.

Channel independence (``channel_independent=True`` in a net's config): each target channel
is its own univariate series, every channel through the same weights. :func:`split_channels`
turns ``x [B, L, C_in]`` into ``[B*T, L, 1 + K]`` (one target channel followed by the ``K``
covariate channels, which are appended to every channel's series) and :func:`merge_channels`
turns the per-series output back into ``[B, H, T, Q]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..constraints import check_int as _check_int

__all__ = [
    "Dims",
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
