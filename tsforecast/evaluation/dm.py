"""The Diebold-Mariano test of equal forecast accuracy."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from .metrics import _aligned, _check_positive_int

__all__ = ["diebold_mariano"]


_DM_LOSSES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mse": np.square,
    "mae": np.abs,
}


def diebold_mariano(
    e1: ArrayLike, e2: ArrayLike, horizon: int = 1, loss: str = "mse",
    groups: ArrayLike | None = None,
) -> tuple[float, float]:
    """Diebold-Mariano test of equal accuracy, with the HLN small-sample correction.

    With loss differential ``d_t = L(e1_t) - L(e2_t)`` (``n`` values, mean ``d̄``),
    autocovariances ``γ_k = (1/n) Σ_t (d_t - d̄)(d_{t-k} - d̄)`` and the Newey-West
    long-run variance ``V = γ_0 + 2 Σ_{k=1}^{h-1} (1 - k/h) γ_k`` (Bartlett weights keep
    it non-negative; the unweighted sum can go negative for ``h > 1``), the statistic is::

        DM  = d̄ / sqrt(V / n)
        DM* = DM * sqrt((n + 1 - 2h + h(h - 1)/n) / n)    # Harvey, Leybourne & Newbold (1997)

    and the two-sided p-value comes from Student's t with ``n - 1`` degrees of
    freedom. A **negative** statistic means ``e1`` has the lower loss.

    With ``groups`` (the sizes of consecutive runs of pairs from independent series, as
    a global model's errors on many series come), the autocovariances pair values of the
    same series only: ``γ_k`` sums ``(d_t - d̄)(d_{t-k} - d̄)`` over pairs ``t, t-k`` of one
    group (still divided by ``n``). Values of different series are independent; lagging
    across a series boundary would only add noise to ``V``.

    Pairs where ``e1`` or ``e2`` is NaN are dropped. Documented edge cases:

    * a differential that is zero, or zero up to floating-point rounding of the losses
      (``max |d| <= 1e-9 * mean loss``), means equally accurate forecasts: ``(0.0, 1.0)``;
    * a constant non-zero differential (one forecast better by exactly the same amount
      everywhere) has no variance: ``(±inf, 0.0)``, the sign saying which is better.

    Parameters
    ----------
    e1, e2 : 1-D array_like
        Forecast errors of the two competing forecasts, aligned in time.
    horizon : int, default 1
        Forecast horizon ``h``; autocovariances up to lag ``h - 1`` are used.
    loss : {"mse", "mae"}, default "mse"
        Squared or absolute error loss.
    groups : array_like of int, optional
        Sizes of consecutive groups (series) of pairs, summing to ``len(e1)``; counted
        before NaN pairs are dropped. Default: one series.

    Returns
    -------
    statistic : float
    p_value : float

    Raises
    ------
    ValueError
        If fewer than 2 pairs remain or ``horizon`` is not below that count.

    Examples
    --------
    >>> stat, p = diebold_mariano([1, -2, 3, 0, 2], [0, 1, 1, -1, 1])
    >>> round(stat, 4), round(p, 4)
    (1.8708, 0.1347)
    """
    if loss not in _DM_LOSSES:
        raise ValueError(f"loss must be one of {sorted(_DM_LOSSES)}, got {loss!r}")
    horizon = _check_positive_int(horizon, "horizon")
    for name, e in (("e1", e1), ("e2", e2)):
        if np.ndim(e) != 1:
            raise ValueError(f"{name} must be 1-D, got shape {np.shape(e)}")
    if groups is None:
        e1_arr, e2_arr = _aligned(("e1", e1), ("e2", e2))
        labels = None
    else:
        sizes = np.asarray(groups)
        if (sizes.ndim != 1 or not np.issubdtype(sizes.dtype, np.integer) or np.any(sizes < 0)
                or int(sizes.sum()) != np.size(e1)):
            raise ValueError(f"groups must be non-negative integer sizes summing to len(e1)="
                             f"{np.size(e1)}, got {groups!r}")
        # each pair's series, dropped with the pair where e1 or e2 is NaN
        e1_arr, e2_arr, labels = _aligned(("e1", e1), ("e2", e2),
                                          ("groups", np.repeat(np.arange(sizes.size), sizes)))
    l1, l2 = _DM_LOSSES[loss](e1_arr), _DM_LOSSES[loss](e2_arr)
    d = l1 - l2
    n = d.size
    if n < 2:
        raise ValueError(f"need at least 2 non-NaN error pairs, got {n}")
    if horizon >= n:
        raise ValueError(f"horizon={horizon} must be smaller than the number of pairs n={n}")
    scale = max(float(np.mean(l1)), float(np.mean(l2)))
    if not np.any(d) or float(np.max(np.abs(d))) <= 1e-9 * scale:
        return 0.0, 1.0
    dev = d - d.mean()
    if labels is None:
        gammas = [float(dev[k:] @ dev[: n - k]) / n for k in range(horizon)]
    else:  # lag products within a series only
        gammas = [float((dev[k:] * dev[: n - k])[labels[k:] == labels[: n - k]].sum()) / n
                  for k in range(horizon)]
    lrv = gammas[0] + 2.0 * sum((1 - k / horizon) * g for k, g in enumerate(gammas) if k)
    if np.all(d == d[0]) or lrv <= 1e-12 * gammas[0] or lrv <= 0:
        return float(np.copysign(np.inf, d.mean())), 0.0
    dm = d.mean() / np.sqrt(lrv / n)
    correction = np.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    statistic = float(correction * dm)
    p_value = float(2.0 * stats.t.sf(abs(statistic), df=n - 1))
    return statistic, p_value
