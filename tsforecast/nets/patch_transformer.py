"""PatchTST-style transformer (Nie et al., ICLR 2023), channel-independent by default.

Each target channel is an independent univariate sequence (all channels share the weights;
covariates are ignored). With ``channel_independent=False`` a token embeds the same patch of
every channel, covariates included (``C_in * patch_len -> d_model``), and the head emits all
``H * T * Q`` outputs: channels mix.
The lookback window is padded at the end by repeating its last value ``patch_stride`` times and cut into
overlapping patches of ``patch_len`` steps every ``patch_stride`` steps, so there are
``(L - patch_len) // patch_stride + 2`` patches. Patches are linearly embedded, get a learnable
positional embedding, go through a pre-norm ``nn.TransformerEncoder``, and a flatten head maps all
patch tokens to the ``H * Q`` outputs of that channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .common import (
    Dims,
    check_bool,
    check_dropout,
    check_int,
    get_inputs,
    random_walk_capabilities,
    shape_output,
)
from .registry import register_net

__all__ = ["PatchTransformerConfig", "PatchTransformerNet", "n_patches"]


def n_patches(lookback: int, patch_len: int, stride: int) -> int:
    """Number of patches after end-padding by ``stride`` repeats: ``(L - P) // S + 2``."""
    return (lookback - patch_len) // stride + 2


@dataclass(frozen=True)
class PatchTransformerConfig:
    """Structural hyperparameters of :class:`PatchTransformerNet`."""

    patch_len: int = field(default=16, metadata={"doc": "steps per patch."})
    patch_stride: int = field(default=8, metadata={"doc": "steps between patch starts."})
    d_model: int = field(default=64, metadata={"doc": "token size."})
    n_heads: int = field(default=4, metadata={"doc": "attention heads (divides d_model)."})
    n_layers: int = field(default=2, metadata={"doc": "Transformer encoder layers."})
    d_ff: int = field(default=128, metadata={"doc": "feed-forward width."})
    dropout: float = field(default=0.1, metadata={"doc": "dropout everywhere."})
    channel_independent: bool = field(default=True, metadata={
        "doc": "each target channel its own series through shared weights (covariates "
               "ignored); False: a token holds the patch of every channel and covariate."})
    zero_init: bool = field(default=True, metadata={
        "doc": "start the output layer at zero: under last-value normalisation the untrained "
               "net forecasts the last value (the random walk); False: PyTorch's init."})

    def __post_init__(self) -> None:
        name = "PatchTransformerConfig"
        check_bool(name, "channel_independent", self.channel_independent)
        check_bool(name, "zero_init", self.zero_init)
        for key in ("patch_len", "patch_stride", "d_model", "n_heads", "n_layers", "d_ff"):
            object.__setattr__(self, key, check_int(name, key, getattr(self, key), 1))
        object.__setattr__(self, "dropout", check_dropout(name, "dropout", self.dropout))
        if self.d_model % self.n_heads != 0:
            raise ValueError(
                f"{name}.d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})"
            )


@register_net("patch_transformer", forecaster="PatchTransformerForecaster",
              config=PatchTransformerConfig, capabilities=random_walk_capabilities,
              defaults={"normalization": "last_value"})
class PatchTransformerNet(nn.Module):
    """Patch transformer over the target channels (channel-independent by default)."""

    def __init__(self, dims: Dims, config: PatchTransformerConfig | None = None) -> None:
        super().__init__()
        config = config if config is not None else PatchTransformerConfig()
        if dims.lookback < config.patch_len:
            raise ValueError(
                f"PatchTransformerNet needs lookback >= patch_len, got lookback={dims.lookback} "
                f"and patch_len={config.patch_len}"
            )
        self.dims = dims
        self.config = config
        self.n_patches = n_patches(dims.lookback, config.patch_len, config.patch_stride)

        independent = config.channel_independent
        #: channels per token and outputs per sequence (one sequence per target, or per window)
        self.token_channels = 1 if independent else dims.n_inputs
        n_out = dims.horizon * dims.n_outputs * (1 if independent else dims.n_targets)
        self.patch_embed = nn.Linear(config.patch_len * self.token_channels, config.d_model)
        self.pos_embed = nn.Parameter(torch.randn(self.n_patches, config.d_model) * 0.02)
        self.embed_dropout = nn.Dropout(config.dropout)
        layer = nn.TransformerEncoderLayer(
            d_model=config.d_model,
            nhead=config.n_heads,
            dim_feedforward=config.d_ff,
            dropout=config.dropout,
            activation="gelu",
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer,
            num_layers=config.n_layers,
            norm=nn.LayerNorm(config.d_model),  # pre-norm stacks need a final norm
            enable_nested_tensor=False,  # no padding masks here; also silences a norm_first warning
        )
        self.head = nn.Sequential(
            nn.Flatten(start_dim=1),
            nn.Dropout(config.dropout),
            nn.Linear(self.n_patches * config.d_model, n_out),
        )
        if config.zero_init:
            nn.init.zeros_(self.head[-1].weight)
            nn.init.zeros_(self.head[-1].bias)

    def patchify(self, series: Tensor) -> Tensor:
        """``[N, L] -> [N, n_patches, patch_len]`` (end padded by repeating the last value)."""
        stride = self.config.patch_stride
        padded = F.pad(series.unsqueeze(1), (0, stride), mode="replicate")  # [N, 1, L + S]
        return padded.squeeze(1).unfold(-1, self.config.patch_len, stride)  # [N, P#, P]

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        dims = self.dims
        x, _ = get_inputs(batch, dims)  # [B, L, C_in]
        n_batch, n_chan = x.shape[0], self.token_channels
        if self.config.channel_independent:
            series = x[..., : dims.n_targets].transpose(1, 2)  # [B, L, T] -> [B, T, L]
            series = series.reshape(n_batch * dims.n_targets, dims.lookback)  # -> [B*T, L]
            patches = self.patchify(series)  # [B*T, L] -> [B*T, P#, P]
        else:
            series = x.transpose(1, 2).reshape(n_batch * n_chan, dims.lookback)  # [B*C_in, L]
            patches = self.patchify(series).view(n_batch, n_chan, self.n_patches, -1)
            patches = patches.transpose(1, 2).flatten(2)  # [B, C_in, P#, P] -> [B, P#, C_in*P]
        tokens = self.patch_embed(patches) + self.pos_embed  # -> [N, P#, d_model]
        tokens = self.encoder(self.embed_dropout(tokens))  # [N, P#, d_model]
        out = self.head(tokens)  # [N, P#, d_model] -> [N, H*Q] (N = B*T) or [B, T*H*Q]
        out = out.view(n_batch, dims.n_targets, dims.horizon, dims.n_outputs)  # [B, T, H, Q]
        out = out.permute(0, 2, 1, 3).contiguous()  # [B, T, H, Q] -> [B, H, T, Q]
        return shape_output(out, dims)  # [B, H, T] or [B, H, T, Q]
