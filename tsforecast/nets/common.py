"""Shared pieces for the networks: problem dimensions, validation helpers, output shaping.

Every net in :mod:`tsforecast.nets` is a plain ``torch.nn.Module`` with the same contract:

* ``batch["x"]``        ``[B, L, C_in]``  lookback window; the ``n_targets`` target columns come
  first, then past covariates, then the lookback part of the known-future covariates.
* ``batch["x_future"]`` ``[B, H, F]``     known-future covariates over the horizon (``F`` may be 0).
* ``batch["y"]``        ``[B, H, T]``     training targets; nets never read it.

``forward(batch)`` returns ``[B, H, T]`` for point forecasts (``n_quantiles == 0``) or
``[B, H, T, Q]`` for quantile forecasts.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

from torch import Tensor, nn

__all__ = [
    "Dims",
    "count_parameters",
    "check_int",
    "check_dropout",
    "get_inputs",
    "shape_output",
]


def check_int(owner: str, name: str, value: object, minimum: int) -> int:
    """Return ``value`` as a Python int, or raise ``ValueError`` naming ``owner.name`` and value."""
    if isinstance(value, bool):
        raise ValueError(f"{owner}.{name} must be an integer >= {minimum}, got {value!r}")
    try:
        as_int = operator.index(value)  # accepts int and numpy integers, rejects floats/str
    except TypeError:
        raise ValueError(f"{owner}.{name} must be an integer >= {minimum}, got {value!r}") from None
    if as_int < minimum:
        raise ValueError(f"{owner}.{name} must be >= {minimum}, got {value!r}")
    return as_int


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
