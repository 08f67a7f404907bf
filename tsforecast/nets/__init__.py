"""Forecasting networks as plain ``torch.nn.Module``s, plus a registry and ``build_net``.

Batch contract (dict of float32 tensors): ``x [B, L, C_in]`` (targets first), ``x_future
[B, H, F]`` (F may be 0), optional ``y`` (never read). Output: ``[B, H, T]``, or ``[B, H, T, Q]``
when ``dims.n_quantiles > 0``.
"""

from __future__ import annotations

import dataclasses

from torch import nn

from .common import Dims, count_parameters
from .linear import DLinearConfig, DLinearNet, NLinearConfig, NLinearNet
from .lstm import LSTMConfig, LSTMNet
from .lstm_attention import LSTMAttentionConfig, LSTMAttentionNet
from .patch_transformer import PatchTransformerConfig, PatchTransformerNet
from .revin import InstanceNormWrapper, RevIN

__all__ = [
    "NETS",
    "build_net",
    "Dims",
    "count_parameters",
    "RevIN",
    "InstanceNormWrapper",
    "LSTMConfig",
    "LSTMNet",
    "LSTMAttentionConfig",
    "LSTMAttentionNet",
    "PatchTransformerConfig",
    "PatchTransformerNet",
    "DLinearConfig",
    "DLinearNet",
    "NLinearConfig",
    "NLinearNet",
]

#: name -> (net class, config dataclass)
NETS: dict[str, tuple[type[nn.Module], type]] = {
    "lstm": (LSTMNet, LSTMConfig),
    "lstm_attention": (LSTMAttentionNet, LSTMAttentionConfig),
    "patch_transformer": (PatchTransformerNet, PatchTransformerConfig),
    "dlinear": (DLinearNet, DLinearConfig),
    "nlinear": (NLinearNet, NLinearConfig),
}


def build_net(name: str, dims: Dims, revin: bool = True, **kwargs) -> nn.Module:
    """Build registered net ``name`` for ``dims``; ``kwargs`` are fields of its config dataclass.

    With ``revin=True`` (default) the net is wrapped in :class:`InstanceNormWrapper` (per-window
    normalisation of the inputs, forecasts mapped back to the input scale).

    Raises ``ValueError`` for an unknown name, an unknown config key, or an invalid value.
    """
    if name not in NETS:
        raise ValueError(f"unknown net {name!r}; available nets: {sorted(NETS)}")
    if not isinstance(dims, Dims):
        raise TypeError(f"dims must be a Dims instance, got {type(dims).__name__}")
    net_cls, config_cls = NETS[name]
    valid = [f.name for f in dataclasses.fields(config_cls)]
    unknown = [key for key in kwargs if key not in valid]
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for net {name!r}; valid options: {valid}")
    config = config_cls(**kwargs)  # validates values (ValueError naming field and value)
    net = net_cls(dims, config)
    if revin:
        net = InstanceNormWrapper(net, n_targets=dims.n_targets, n_inputs=dims.n_inputs)
    return net
