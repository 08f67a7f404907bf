"""The ensembling parameters of the neural forecasters (``n_ensemble`` and the cycles its
members vary over): declared here, read by :mod:`.neural`."""

from __future__ import annotations

from numbers import Integral

from ..nets import NORMALIZATIONS
from .params import Check, Interval, Options, Param

__all__ = ["ENSEMBLE_PARAMS"]


def _positive_numbers(value) -> bool:
    return (isinstance(value, tuple | list) and len(value) > 0 and all(
        isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in value))


def _losses(value) -> bool:
    from ..training.options import LOSSES

    return (isinstance(value, tuple | list) and len(value) > 0
            and all(v in LOSSES and v != "quantile" for v in value))


def _normalizations(value) -> bool:
    return (isinstance(value, tuple | list) and len(value) > 0
            and all(isinstance(v, str) and v in NORMALIZATIONS for v in value))


#: Ensembling (the N-BEATS recipe from one class): members over seeds, lookbacks, losses
#: and normalisations.
ENSEMBLE_PARAMS = (
    Param("n_ensemble", 1, "nets trained and combined (1: a single net). Member k trains "
          "from seed random_state + k, with the k-th lookback factor, loss and normalisation "
          "of the cycles below (lookbacks vary fastest, then losses).",
          (Interval(Integral, 1),)),
    Param("ensemble_lookbacks", (1.0, 2 / 3, 4 / 3), "factors of lookback the members cycle "
          "through (default: lookback, 2/3 and 4/3 of it, as N-BEATS varies its lookbacks); a "
          "member's lookback is round(factor * lookback), at least 1.",
          (Check(_positive_numbers, "a non-empty tuple of numbers > 0"),)),
    Param("ensemble_losses", None, 'losses the members cycle through, e.g. ("smape", "mae"); '
          "None: every member trains with loss.",
          (Check(_losses, "a non-empty tuple of losses other than quantile"), None)),
    Param("ensemble_normalizations", None, "normalisations the members cycle through, e.g. "
          '("level", "seasonal"); None: every member uses normalization.',
          (Check(_normalizations, "a non-empty tuple of " + ", ".join(NORMALIZATIONS)), None)),
    Param("ensemble_combine", "median", '"median" or "mean" of the members\' forecasts '
          "(per step, and per quantile).", (Options(("median", "mean")),)),
)
