"""Per-window normalisation around a net: RevIN, last-value anchoring, or none.

``normalization`` (a training option of the neural forecasters, see :data:`NORMALIZATIONS`):

* ``"revin"``: reversible instance normalisation (RevIN, Kim et al., ICLR 2022), below.
* ``"last_value"``: subtract each target channel's last observed value from the window and
  add it back to the forecast (as in NLinear and SegRNN). The net learns the *change* from
  the last value, so a net that outputs zeros is the random walk: the right prior for prices
  and other integrated series. Exactly shift-equivariant: ``wrapper(x + b) == wrapper(x) + b``
  on the target channels, for any per-channel ``b``.
* ``"level"``: subtract the last value and divide by the window's mean absolute level
  (:func:`window_level`): windows of every scale look alike (the panel rule).
* ``"seasonal"``: ``"level"``, then each window's own seasonal profile at season ``season``
  (:func:`seasonal_profile`) taken out of its steps and put back into the forecast's: the
  net forecasts the deseasonalised window. Only windows that pass the seasonality test of
  the M4 benchmarks and Theta (:func:`seasonality_test`) are deseasonalised; the others,
  and every window at ``season`` 1, are normalised as ``"level"``.
* ``"none"``: the bare net (inputs are still z-scored per series by the forecaster's scaler).

RevIN: each lookback window is normalised per channel by its own mean and standard deviation, the net
forecasts in that normalised space, and the forecast is mapped back with the target channels'
statistics. This removes level/scale shifts between windows (distribution shift), which matters a
lot for the linear and patch nets and helps the recurrent ones.

With the affine parameters at their initial values (weight 1, bias 0) the wrapped net is exactly
scale/shift-equivariant: ``wrapper(a * x + b) == a * wrapper(x) + b`` on the target channels for
any per-channel ``a > 0`` and ``b`` (as long as ``a * std`` stays above ``eps``).

Padded windows (``masked=True``, the forecasters' ``min_context < lookback``): the batch
carries ``mask [B, L]`` (1 = observed). The wrapper is then the one place that handles
padding for every net: the RevIN statistics are taken over the observed steps only (the
last-value anchor is always observed: padding is on the left), every padded input cell is
0 after normalisation, and the mask goes to the net as one extra input channel (the last
one of ``x``; nets that read covariates see it, channel-independent ones ignore it) and as
``batch["mask"]``. With ``normalization="none"`` a masked net is wrapped too (``method
"none"``): no normalisation, the same zeroing and mask channel.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor, nn

from .common import check_int

__all__ = ["NORMALIZATIONS", "RevIN", "InstanceNormWrapper", "observed_mask",
           "seasonal_profile", "seasonality_test", "window_level"]

#: Per-window normalisations :func:`~.registry.build_net` can wrap a net in.
NORMALIZATIONS = ("revin", "last_value", "level", "seasonal", "none")


class RevIN(nn.Module):
    """Per-window, per-channel normalisation with an optional learnable affine transform.

    ``normalize(x)`` returns the normalised window together with its statistics; ``denormalize``
    maps a forecast of the first ``n`` channels back to the original scale using those statistics.
    The statistics are detached (as in the reference implementation): they are data, not
    something to learn through.
    """

    def __init__(self, n_channels: int, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        if n_channels < 1:
            raise ValueError(f"RevIN.n_channels must be >= 1, got {n_channels!r}")
        if not eps > 0:
            raise ValueError(f"RevIN.eps must be > 0, got {eps!r}")
        self.n_channels = n_channels
        self.eps = float(eps)
        self.affine = affine
        if affine:
            self.weight = nn.Parameter(torch.ones(n_channels))  # [C]
            self.bias = nn.Parameter(torch.zeros(n_channels))  # [C]

    def statistics(self, x: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Per-window mean and std over the time axis: ``[B, L, C] -> ([B, 1, C], [B, 1, C])``;
        with ``mask [B, L]`` (1 = observed) over the observed steps only."""
        x = x.detach()
        if mask is None:
            mean = x.mean(dim=1, keepdim=True)  # [B, L, C] -> [B, 1, C]
            var = x.var(dim=1, keepdim=True, unbiased=False)  # [B, L, C] -> [B, 1, C]
        else:
            w = mask.detach().to(x.dtype).unsqueeze(-1)  # [B, L, 1]
            n = w.sum(dim=1, keepdim=True).clamp_min(1.0)  # [B, 1, 1] observed steps
            mean = (x * w).sum(dim=1, keepdim=True) / n  # [B, 1, C]
            var = ((x - mean).square() * w).sum(dim=1, keepdim=True) / n  # [B, 1, C]
        # Floor (rather than "+ eps" under the sqrt) keeps the transform exactly equivariant to
        # rescaling for every non-degenerate window; constant windows just map to zeros.
        std = var.sqrt().clamp_min(self.eps)  # [B, 1, C]
        return mean, std

    def normalize(self, x: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """``[B, L, C] -> ([B, L, C], mean [B, 1, C], std [B, 1, C])``; statistics over the
        steps where ``mask [B, L]`` is 1 when given."""
        if x.dim() != 3 or x.shape[2] != self.n_channels:
            raise ValueError(
                f"RevIN expects input of shape [B, L, {self.n_channels}] (n_inputs channels), "
                f"got {list(x.shape)}"
            )
        mean, std = self.statistics(x, mask)  # [B, 1, C] each
        x_norm = (x - mean) / std  # [B, L, C]
        if self.affine:
            x_norm = x_norm * self.weight + self.bias  # [B, L, C]
        return x_norm, mean, std

    def denormalize(self, y: Tensor, mean: Tensor, std: Tensor) -> Tensor:
        """Undo ``normalize`` for the first ``n`` channels, where ``n = y.shape[2]``.

        ``y`` is ``[B, H, n]`` or ``[B, H, n, Q]`` (a trailing quantile dim is broadcast over);
        ``mean``/``std`` are the ``[B, 1, C]`` statistics returned by ``normalize``.
        """
        n = y.shape[2]
        mean, std = mean[..., :n], std[..., :n]  # [B, 1, C] -> [B, 1, n]
        if y.dim() == 4:
            mean, std = mean.unsqueeze(-1), std.unsqueeze(-1)  # [B, 1, n] -> [B, 1, n, 1]
        if self.affine:
            weight, bias = self.weight[:n], self.bias[:n]  # [C] -> [n]
            if y.dim() == 4:
                weight, bias = weight.unsqueeze(-1), bias.unsqueeze(-1)  # [n] -> [n, 1]
            # eps**2 guards against a weight trained to exactly zero (as in the reference code)
            y = (y - bias) / (weight + self.eps**2)  # [B, H, n(, Q)]
        return y * std + mean  # [B, H, n(, Q)]


def observed_mask(batch: dict[str, Tensor], x: Tensor) -> Tensor:
    """``batch["mask"]`` as ``[B, L]`` in ``x``'s dtype (1 = observed); all ones without one."""
    mask = batch.get("mask")
    if mask is None:
        return x.new_ones(x.shape[:2])  # [B, L]
    if mask.shape != x.shape[:2]:
        raise ValueError(f'batch["mask"] must have shape {list(x.shape[:2])} (batch, '
                         f"lookback), got {list(mask.shape)}")
    return mask.to(x.dtype)


def window_level(x: Tensor, mask: Tensor | None = None, eps: float = 1e-6) -> Tensor:
    """Each window's level: the mean absolute value over its (observed) steps, at least
    ``eps`` (a window of zeros): ``[B, L, C] -> [B, 1, C]``. Inputs with a level are at
    most ``2 L`` in absolute value after ``(x - last) / level``."""
    a = x.abs()  # [B, L, C]
    if mask is None:
        level = a.mean(dim=1, keepdim=True)  # [B, 1, C]
    else:
        w = mask.to(x.dtype).unsqueeze(-1)  # [B, L, 1]
        level = (a * w).sum(dim=1, keepdim=True) / w.sum(dim=1, keepdim=True).clamp_min(1.0)
    return level.clamp_min(eps)  # [B, 1, C]


def seasonal_profile(z: Tensor, season: int, horizon: int,
                     mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Each window's additive seasonal profile at period ``season``, on its input steps and
    on the ``horizon`` steps after it: ``z [B, L, C] -> ([B, L, C], [B, H, C])``.

    The profile is the mean, per phase of the season, of each step's deviation from the
    mean of the ``season`` steps ending at it (a trailing moving average, which removes the
    seasonal pattern; the lag it has on a linear trend is the same for every phase, so
    centring the profile to mean zero removes it too). Phases count back from the window's
    last step, so the input step ``t`` and the forecast step ``h`` get phases ``(t - L + 1)
    mod season`` and ``h mod season``. Only steps whose whole trailing season is observed
    (``mask``) count; a window without one such step for every phase (fewer than
    ``2 season - 1`` observed steps) gets a profile of zeros, and so does ``season`` 1.
    """
    B, L, C = z.shape
    m = int(season)
    if m <= 1 or L < 2 * m - 1:
        return z.new_zeros(B, L, C), z.new_zeros(B, horizon, C)
    w = z.new_ones(B, L) if mask is None else mask.to(z.dtype)  # [B, L]
    zero = z.new_zeros(B, 1, C)
    csum = torch.cat([zero, torch.cumsum(z * w.unsqueeze(-1), dim=1)], dim=1)  # [B, L + 1, C]
    cnt = torch.cat([w.new_zeros(B, 1), torch.cumsum(w, dim=1)], dim=1)  # [B, L + 1]
    ma = (csum[:, m:] - csum[:, :-m]) / m  # [B, L - m + 1, C] the season ending at t
    full = (cnt[:, m:] - cnt[:, :-m]) >= m - 0.5  # [B, L - m + 1] all of it observed
    dev = (z[:, m - 1 :] - ma) * full.unsqueeze(-1)  # [B, L - m + 1, C]
    phase = torch.remainder(torch.arange(m - 1, L, device=z.device) - (L - 1), m)  # [L - m + 1]
    onehot = nn.functional.one_hot(phase, m).to(z.dtype)  # [L - m + 1, m]
    sums = torch.einsum("btc,tp->bpc", dev, onehot)  # [B, m, C]
    counts = full.to(z.dtype) @ onehot  # [B, m]
    prof = sums / counts.clamp_min(1.0).unsqueeze(-1)  # [B, m, C]
    prof = prof - prof.mean(dim=1, keepdim=True)  # centred: the trend's lag is gone
    prof = prof * (counts.min(dim=1).values > 0).to(z.dtype)[:, None, None]  # every phase seen
    past = torch.remainder(torch.arange(L, device=z.device) - (L - 1), m)  # [L]
    future = torch.remainder(torch.arange(1, horizon + 1, device=z.device), m)  # [H]
    return prof[:, past], prof[:, future]  # [B, L, C], [B, H, C]


def seasonality_test(z: Tensor, season: int, mask: Tensor | None = None,
                     z_crit: float = 1.645) -> Tensor:
    """Whether each window is seasonal at period ``season``: ``z [B, L, C] -> [B, 1, C]``
    (1.0 or 0.0), the test the M4 benchmarks and the Theta method deseasonalise by.

    The autocorrelation at lag ``season``, ``r_m``, over the window's observed steps
    (``mask``; padding is on the left, so they are one contiguous stretch of ``n`` steps),
    must exceed ``z_crit * sqrt((1 + 2 * sum_{k<m} r_k^2) / n)`` in absolute value
    (Bartlett's standard error; 1.645: 90%, one-sided), and the window must hold at least
    three seasons (``n >= 3 season``). Invariant to a positive rescaling and a shift of the
    window, so it is the same on the raw and on the normalised window.
    """
    B, L, C = z.shape
    m = int(season)
    if m <= 1 or L < 3 * m:
        return z.new_zeros(B, 1, C)
    w = (z.new_ones(B, L) if mask is None else mask.to(z.dtype)).unsqueeze(-1)  # [B, L, 1]
    n = w.sum(dim=1, keepdim=True)  # [B, 1, 1] observed steps
    mean = (z * w).sum(dim=1, keepdim=True) / n.clamp_min(1.0)  # [B, 1, C]
    d = (z - mean) * w  # [B, L, C] deviations, 0 on padding
    denom = d.square().sum(dim=1, keepdim=True)  # [B, 1, C]
    r = torch.stack([(d[:, k:] * d[:, :-k]).sum(dim=1, keepdim=True) for k in range(1, m + 1)],
                    dim=-1) / denom.clamp_min(1e-12).unsqueeze(-1)  # [B, 1, C, m] lags 1..m
    limit = z_crit * torch.sqrt((1 + 2 * r[..., : m - 1].square().sum(dim=-1)) / n.clamp_min(1.0))
    seasonal = (r[..., m - 1].abs() > limit) & (n >= 3 * m) & (denom > 0)  # [B, 1, C]
    return seasonal.to(z.dtype)


class InstanceNormWrapper(nn.Module):
    """Wrap a net so it sees per-window normalised inputs and returns forecasts in the input scale.

    ``method`` is ``"revin"`` (per-window mean/std, :class:`RevIN`), ``"last_value"``
    (subtract the window's last value, add it back to the forecast) or ``"none"`` (only
    with ``masked``: the padding handling alone). Only the target channels of
    ``batch["x"]`` (the first ``n_targets``) are normalised; covariate and calendar channels
    are already on a fixed scale and pass through unchanged (normalising a sine calendar
    feature per window would distort it). The net runs on a shallow copy of the batch (the
    caller's dict is never mutated, ``x_future`` is passed through unchanged) and its output
    is mapped back with the targets' statistics.

    ``masked``: windows may be left-padded (module docstring); the wrapped net must then be
    built for ``n_inputs + 1`` input channels (the mask channel), as
    :func:`~.registry.build_net` does.
    """

    def __init__(self, net: nn.Module, n_targets: int, n_inputs: int,
                 method: str = "revin", masked: bool = False, season: int = 1) -> None:
        super().__init__()
        if not 1 <= n_targets <= n_inputs:
            raise ValueError(
                f"InstanceNormWrapper needs 1 <= n_targets <= n_inputs, "
                f"got n_targets={n_targets!r}, n_inputs={n_inputs!r}"
            )
        if method not in NORMALIZATIONS or (method == "none" and not masked):
            raise ValueError(f"InstanceNormWrapper.method must be 'revin' or 'last_value' "
                             f"(or 'none' with masked=True), got {method!r}")
        self.net = net
        self.n_targets = n_targets
        self.n_inputs = n_inputs
        season = check_int("InstanceNormWrapper", "season", season, 1)
        self.method = method
        self.masked = bool(masked)
        self.season = season
        if method == "revin":
            self.revin = RevIN(n_targets)

    @property
    def dims(self):
        """The problem's dimensions (without the mask channel the wrapper adds)."""
        dims = self.net.dims
        return dataclasses.replace(dims, n_inputs=self.n_inputs) if self.masked else dims

    @property
    def config(self):
        return self.net.config

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        x = batch["x"]  # [B, L, C_in]
        targets = x[..., : self.n_targets]  # [B, L, T]
        mask = observed_mask(batch, x) if self.masked else None  # [B, L] or None
        if self.method == "revin":
            x_norm, mean, std = self.revin.normalize(targets, mask)  # [B, L, T], [B, 1, T] x2
        elif self.method == "last_value":
            last = targets[:, -1:].detach()  # [B, 1, T] (always observed: padding is left)
            x_norm = targets - last  # [B, L, T]
        elif self.method in ("level", "seasonal"):
            last = targets[:, -1:].detach()  # [B, 1, T]
            level = window_level(targets.detach(), mask)  # [B, 1, T]
            x_norm = (targets - last) / level  # [B, L, T]
            if self.method == "seasonal":
                past, future = seasonal_profile(x_norm.detach(), self.season,
                                                self.net.dims.horizon, mask)  # [B, L|H, T]
                keep = seasonality_test(x_norm.detach(), self.season, mask)  # [B, 1, T]
                past, future = past * keep, future * keep  # non-seasonal windows: "level"
                x_norm = x_norm - past  # [B, L, T] deseasonalised
        else:
            x_norm = targets
        inner = dict(batch)  # shallow copy: the caller's dict stays untouched
        if mask is None:
            inner["x"] = torch.cat([x_norm, x[..., self.n_targets :]], dim=-1)  # [B, L, C_in]
        else:
            keep = mask.unsqueeze(-1)  # [B, L, 1]
            inner["x"] = torch.cat([x_norm * keep, x[..., self.n_targets :] * keep, keep],
                                   dim=-1)  # [B, L, C_in + 1], padded cells 0
            inner["mask"] = mask
        out = self.net(inner)  # [B, H, T] or [B, H, T, Q]
        if self.method == "revin":
            return self.revin.denormalize(out, mean, std)  # same shape, original scale
        if self.method == "none":
            return out
        if out.dim() == 4:
            last = last.unsqueeze(-1)  # [B, 1, T, 1]
        if self.method == "seasonal":
            out = out + (future.unsqueeze(-1) if out.dim() == 4 else future)  # reseasonalised
        if self.method in ("level", "seasonal"):
            out = out * (level.unsqueeze(-1) if out.dim() == 4 else level)  # [B, H, T(, Q)]
        return out + last  # + [B, 1, T(, 1)]
