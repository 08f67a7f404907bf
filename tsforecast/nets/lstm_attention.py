"""LSTM encoder + attention decoder with one learnable query per horizon step.

The LSTM encodes the lookback window into states ``[B, L, D]``. Each of the ``H`` horizon steps
gets a query built from

* a learnable embedding for that step (what "k steps ahead" should look for),
* a projection of the final hidden state (what the window looks like now), and
* a projection of that step's known-future covariates, when there are any.

All ``H`` queries attend over the encoder states in one batched call, and a head shared across
steps maps ``[context, query]`` to the ``T * Q`` outputs of that step. Two scoring functions:

* ``"dot"``: scaled dot-product multi-head attention (``nn.MultiheadAttention``, fused kernel).
* ``"additive"``: Bahdanau attention, ``score = v . tanh(W_q q + W_k k)`` per head. It builds an
  ``[B, H, L, D]`` energy tensor, so it costs several times more than "dot" on CPU.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from .common import Dims, check_dropout, check_int, get_inputs, shape_output
from .registry import register_net

__all__ = ["LSTMAttentionConfig", "LSTMAttentionNet", "AdditiveAttention"]

_ATTENTION_KINDS = ("dot", "additive")


@dataclass(frozen=True)
class LSTMAttentionConfig:
    """Structural hyperparameters of :class:`LSTMAttentionNet`."""

    hidden_size: int = field(default=64, metadata={"doc": "LSTM state / attention size D."})
    num_layers: int = field(default=1, metadata={"doc": "stacked LSTM layers."})
    dropout: float = field(
        default=0.1, metadata={"doc": "between LSTM layers, on attention weights, in the head."}
    )
    attention: str = field(default="dot", metadata={"doc": '"dot" or "additive" scoring.'})
    n_heads: int = field(default=1, metadata={"doc": "attention heads (divides hidden_size)."})

    def __post_init__(self) -> None:
        name = "LSTMAttentionConfig"
        object.__setattr__(self, "hidden_size", check_int(name, "hidden_size", self.hidden_size, 1))
        object.__setattr__(self, "num_layers", check_int(name, "num_layers", self.num_layers, 1))
        object.__setattr__(self, "dropout", check_dropout(name, "dropout", self.dropout))
        object.__setattr__(self, "n_heads", check_int(name, "n_heads", self.n_heads, 1))
        if self.attention not in _ATTENTION_KINDS:
            raise ValueError(
                f"{name}.attention must be one of {list(_ATTENTION_KINDS)}, got {self.attention!r}"
            )
        if self.hidden_size % self.n_heads != 0:
            raise ValueError(
                f"{name}.hidden_size ({self.hidden_size}) must be divisible by "
                f"n_heads ({self.n_heads})"
            )


class AdditiveAttention(nn.Module):
    """Multi-head Bahdanau attention: ``score_h(q, k) = v_h . tanh(W_q q + W_k k)_h``.

    Fully vectorised: the ``[B, Hq, L, heads, d]`` score tensor is built by broadcasting.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.d_head = d_model // n_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=False)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.score = nn.Parameter(torch.randn(n_heads, self.d_head) / self.d_head**0.5)
        self.dropout = nn.Dropout(dropout)
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, query: Tensor, keys: Tensor) -> Tensor:
        """``query [B, Hq, D]``, ``keys [B, L, D]`` -> context ``[B, Hq, D]``."""
        batch, n_query, _ = query.shape
        n_key = keys.shape[1]
        q = self.q_proj(query).view(batch, n_query, self.n_heads, self.d_head)  # [B, Hq, h, d]
        k = self.k_proj(keys).view(batch, n_key, self.n_heads, self.d_head)  # [B, L, h, d]
        # The [B, Hq, L, h, d] energy tensor dominates the cost; in-place tanh saves one copy
        # (tanh's backward only needs its output) and einsum avoids materialising the product.
        energy = (q.unsqueeze(2) + k.unsqueeze(1)).tanh_()  # -> [B, Hq, L, h, d]
        scores = torch.einsum("bqlhd,hd->bqlh", energy, self.score)  # -> [B, Hq, L, h]
        weights = self.dropout(scores.softmax(dim=2))  # normalise over L: [B, Hq, L, h]
        v = self.v_proj(keys).view(batch, n_key, self.n_heads, self.d_head)  # [B, L, h, d]
        context = torch.einsum("bqlh,blhd->bqhd", weights, v)  # -> [B, Hq, h, d]
        return self.out_proj(context.reshape(batch, n_query, -1))  # [B, Hq, D]


@register_net("lstm_attention", forecaster="LSTMAttentionForecaster",
              config=LSTMAttentionConfig)
class LSTMAttentionNet(nn.Module):
    """LSTM encoder; H horizon queries attend over its states; shared per-step head -> T*Q."""

    uses_covariates = True

    def __init__(self, dims: Dims, config: LSTMAttentionConfig | None = None) -> None:
        super().__init__()
        config = config if config is not None else LSTMAttentionConfig()
        self.dims = dims
        self.config = config
        hidden = config.hidden_size

        self.encoder = nn.LSTM(
            input_size=dims.n_inputs,
            hidden_size=hidden,
            num_layers=config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.horizon_queries = nn.Parameter(torch.randn(dims.horizon, hidden) * 0.02)  # [H, D]
        self.state_proj = nn.Linear(hidden, hidden)
        if dims.n_future > 0:
            self.future_proj = nn.Linear(dims.n_future, hidden)
        self.query_norm = nn.LayerNorm(hidden)
        if config.attention == "dot":
            self.attention = nn.MultiheadAttention(
                hidden, config.n_heads, dropout=config.dropout, batch_first=True
            )
        else:
            self.attention = AdditiveAttention(hidden, config.n_heads, config.dropout)
        self.head = nn.Sequential(
            nn.Linear(2 * hidden, hidden),
            nn.GELU(),
            nn.Dropout(config.dropout),
            nn.Linear(hidden, dims.n_targets * dims.n_outputs),
        )

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        dims = self.dims
        x, x_future = get_inputs(batch, dims)  # [B, L, C_in], [B, H, F] or None
        states, (h_n, _) = self.encoder(x)  # states: [B, L, D], h_n: [num_layers, B, D]
        last = self.state_proj(h_n[-1]).unsqueeze(1)  # [B, D] -> [B, 1, D]
        query = self.horizon_queries + last  # [H, D] + [B, 1, D] -> [B, H, D]
        if x_future is not None:
            query = query + self.future_proj(x_future)  # [B, H, F] -> [B, H, D]
        query = self.query_norm(query)  # [B, H, D]
        if isinstance(self.attention, nn.MultiheadAttention):
            context, _ = self.attention(query, states, states, need_weights=False)  # [B, H, D]
        else:
            context = self.attention(query, states)  # [B, H, D]
        out = self.head(torch.cat([context, query], dim=-1))  # [B, H, 2D] -> [B, H, T*Q]
        out = out.view(-1, dims.horizon, dims.n_targets, dims.n_outputs)  # -> [B, H, T, Q]
        return shape_output(out, dims)  # [B, H, T] or [B, H, T, Q]
