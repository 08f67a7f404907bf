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
    e1: ArrayLike, e2: ArrayLike, horizon: int = 1, loss: str = "mse"
) -> tuple[float, float]:
    """Diebold-Mariano test of equal accuracy, with the HLN small-sample correction.

    With loss differential ``d_t = L(e1_t) - L(e2_t)`` (``n`` values, mean ``d̄``),
    autocovariances ``γ_k = (1/n) Σ_t (d_t - d̄)(d_{t-k} - d̄)`` and long-run
    variance ``V = γ_0 + 2 Σ_{k=1}^{h-1} γ_k``, the statistic is::

        DM  = d̄ / sqrt(V / n)
        DM* = DM * sqrt((n + 1 - 2h + h(h - 1)/n) / n)    # Harvey, Leybourne & Newbold (1997)

    and the two-sided p-value comes from Student's t with ``n - 1`` degrees of
    freedom. A **negative** statistic means ``e1`` has the lower loss.

    Pairs where ``e1`` or ``e2`` is NaN are dropped. If the loss differential is
    identically zero (e.g. identical errors) the forecasts are equally accurate
    and ``(0.0, 1.0)`` is returned.

    Parameters
    ----------
    e1, e2 : array-like, 1-D
        Forecast errors of the two competing forecasts, aligned in time.
    horizon : int, default 1
        Forecast horizon ``h``; autocovariances up to lag ``h - 1`` are used.
    loss : {"mse", "mae"}, default "mse"
        Squared or absolute error loss.

    Returns
    -------
    statistic : float
    p_value : float

    Raises
    ------
    ValueError
        If fewer than 2 pairs remain, ``horizon`` is not below that count, the
        differential is constant but non-zero (zero variance), or the long-run
        variance estimate is not positive (possible for ``horizon > 1``).

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
    e1_arr, e2_arr = _aligned(("e1", e1), ("e2", e2))
    d = _DM_LOSSES[loss](e1_arr) - _DM_LOSSES[loss](e2_arr)
    n = d.size
    if n < 2:
        raise ValueError(f"need at least 2 non-NaN error pairs, got {n}")
    if horizon >= n:
        raise ValueError(f"horizon={horizon} must be smaller than the number of pairs n={n}")
    if not np.any(d):
        return 0.0, 1.0
    if np.all(d == d[0]):
        raise ValueError(
            "loss differential is constant and non-zero (zero variance): the DM test is undefined"
        )
    dev = d - d.mean()
    gammas = [float(dev[k:] @ dev[: n - k]) / n for k in range(horizon)]
    lrv = gammas[0] + 2.0 * sum(gammas[1:])
    if lrv <= 0:
        raise ValueError(
            f"non-positive long-run variance estimate ({lrv:.3g}) with horizon={horizon}; "
            "try a smaller horizon or more data"
        )
    dm = d.mean() / np.sqrt(lrv / n)
    correction = np.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    statistic = float(correction * dm)
    p_value = float(2.0 * stats.t.sf(abs(statistic), df=n - 1))
    return statistic, p_value
