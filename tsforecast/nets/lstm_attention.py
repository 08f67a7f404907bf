"""Segment LSTM encoder + attention decoder: horizon queries attend over the segment states.

The LSTM encodes the lookback window segment by segment (see :mod:`.recurrent`;
``segment_length=1``: step by step) into states ``[B, S, D]``. Queries then attend over those
states in one batched call, and a head shared across queries maps ``[context, query]`` to the
outputs. Two decoders build the queries:

* ``"direct"``: one query per horizon step: a learnable embedding for that step (what "k steps
  ahead" should look for) + a projection of the final hidden state (what the window looks like
  now) + a projection of that step's known-future covariates, when there are any; the head
  emits that step's ``T * Q`` outputs.
* ``"pmf"`` (default): one query per horizon segment: the segment embeddings decoded in
  parallel by one LSTM step from the encoder state (SegRNN's PMF, see :mod:`.recurrent`); the
  head emits the segment's ``segment_length * T * Q`` outputs.

Two scoring functions:

* ``"dot"``: scaled dot-product multi-head attention (``nn.MultiheadAttention``, fused kernel).
* ``"additive"``: Bahdanau attention, ``score = v . tanh(W_q q + W_k k)`` per head. It builds an
  ``[B, Hq, S, D]`` energy tensor, so it costs several times more than "dot" on CPU.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from .common import Dims, check_choice, check_int
from .recurrent import RecurrentConfig, SegmentRecurrentNet, recurrent_capabilities
from .registry import register_net

__all__ = ["LSTMAttentionConfig", "LSTMAttentionNet", "AdditiveAttention"]

_ATTENTION_KINDS = ("dot", "additive")


@dataclass(frozen=True)
class LSTMAttentionConfig(RecurrentConfig):
    """Structural hyperparameters of :class:`LSTMAttentionNet` (see :class:`.RecurrentConfig`)."""

    hidden_size: int = field(default=128, metadata={"doc": "LSTM state / attention size D."})
    dropout: float = field(
        default=0.1, metadata={"doc": "between LSTM layers, on attention weights, in the head."}
    )
    attention: str = field(default="dot", metadata={"doc": '"dot" or "additive" scoring.'})
    n_heads: int = field(default=1, metadata={"doc": "attention heads (divides hidden_size)."})

    def __post_init__(self) -> None:
        super().__post_init__()
        name = "LSTMAttentionConfig"
        object.__setattr__(self, "n_heads", check_int(name, "n_heads", self.n_heads, 1))
        check_choice(name, "attention", self.attention, _ATTENTION_KINDS)
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
              config=LSTMAttentionConfig, capabilities=recurrent_capabilities,
              defaults={"normalization": "last_value"})
class LSTMAttentionNet(SegmentRecurrentNet):
    """Segment LSTM encoder; horizon queries attend over its states; shared head -> T*Q."""

    def __init__(self, dims: Dims, config: LSTMAttentionConfig | None = None) -> None:
        config = config if config is not None else LSTMAttentionConfig()
        super().__init__(dims, config)
        hidden = config.hidden_size
        per_query = self.n_out  # outputs of one horizon step
        if config.decoder == "direct":
            self.horizon_queries = nn.Parameter(torch.randn(dims.horizon, hidden) * 0.02)  # [H, D]
            self.state_proj = nn.Linear(hidden, hidden)
            if dims.n_future > 0:
                self.future_proj = nn.Linear(dims.n_future, hidden)
        else:
            per_query *= config.segment_length  # outputs of one horizon segment
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
            nn.Linear(hidden, per_query),
        )

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        x, x_future = self.series(batch)  # [N, L, C'], [N, H, F] or None
        states, state = self.encode(x)  # states: [N, S, D], h_n: [num_layers, N, D]
        if self.config.decoder == "pmf":
            query = self.decode_segments(state, x_future)  # [N, M, D]
        else:
            last = self.state_proj(state[0][-1]).unsqueeze(1)  # [N, D] -> [N, 1, D]
            query = self.horizon_queries + last  # [H, D] + [N, 1, D] -> [N, H, D]
            if x_future is not None:
                query = query + self.future_proj(x_future)  # [N, H, F] -> [N, H, D]
        query = self.query_norm(query)  # [N, Hq, D] (Hq = H or M)
        if isinstance(self.attention, nn.MultiheadAttention):
            context, _ = self.attention(query, states, states, need_weights=False)  # [N, Hq, D]
        else:
            context = self.attention(query, states)  # [N, Hq, D]
        out = self.head(torch.cat([context, query], dim=-1))  # [N, Hq, 2D] -> [N, Hq, per_query]
        return self.output(out.reshape(x.shape[0], -1, self.n_out))  # -> [B, H, T(, Q)]
