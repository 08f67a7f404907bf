"""Forecasting networks as plain ``torch.nn.Module``s, registered with ``@register_net``.

Batch contract (dict of float32 tensors): ``x [B, L, C_in]`` (targets first), ``x_future
[B, H, F]`` (F may be 0), optional ``y`` (never read). Output: ``[B, H, T]``, or ``[B, H, T, Q]``
when ``dims.n_quantiles > 0``. Importing this package registers the built-in nets.
"""

from __future__ import annotations

# Import order is registration order (the recurrent nets first), hence not sorted.
from .common import Dims, NetCapabilities, count_parameters
from .registry import NETS, NetSpec, build_net, register_net
from .revin import NORMALIZATIONS, InstanceNormWrapper, RevIN
from .recurrent import DECODERS, RecurrentConfig, SegmentRecurrentNet, to_segments
from .lstm import LSTMConfig, LSTMNet
from .lstm_attention import LSTMAttentionConfig, LSTMAttentionNet
from .patch_transformer import PatchTransformerConfig, PatchTransformerNet
from .linear import DLinearConfig, DLinearNet, NLinearConfig, NLinearNet
from .mlp import MLPConfig, MLPNet

__all__ = [
    "NETS",
    "NetCapabilities",
    "NetSpec",
    "build_net",
    "register_net",
    "Dims",
    "count_parameters",
    "NORMALIZATIONS",
    "RevIN",
    "DECODERS",
    "RecurrentConfig",
    "SegmentRecurrentNet",
    "to_segments",
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
    "MLPConfig",
    "MLPNet",
]
