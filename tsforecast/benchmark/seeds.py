"""Multi-seed runs: one leaderboard row per data set and model from its seeds' results.

With ``seeds`` every neural model runs once per seed (one :class:`~.results.ModelResult`
each, ``seed`` set); :func:`combine_seeds` turns them into one result whose metrics are
the mean over seeds, with the sample standard deviation beside each (``<metric>_sd``), and
``n_seeds``. Ranks use the mean, and so does the Diebold-Mariano test: its loss per
forecast origin is the mean over seeds of the seeds' losses there (the test compares what
the ranks compare; one seed's losses could rank two nets the other way round). Classical
models run once (they are deterministic): their ``_sd`` is 0. A seed that failed makes
the model's row fail, naming the seed.
"""

from __future__ import annotations

import dataclasses
import math
import statistics

import pandas as pd

from .results import TIMING_COLUMNS, ModelResult

__all__ = ["combine_seeds"]

#: averaged over seeds (``kept_initial``: the share of seeds whose net kept its start)
_TIMINGS = (*TIMING_COLUMNS, "epochs", "kept_initial")


def combine_seeds(results: list[ModelResult]) -> list[ModelResult]:
    """One result per (data set, model), in first-seen order (unchanged without seeds)."""
    if all(r.seed is None for r in results):
        return results
    groups: dict[tuple[str, str], list[ModelResult]] = {}
    for r in results:
        groups.setdefault((r.dataset, r.model), []).append(r)
    return [_combine(rs) for rs in groups.values()]


def _combine(rs: list[ModelResult]) -> ModelResult:
    first = rs[0]
    failed = [r for r in rs if not r.ok]
    if failed:
        r = failed[0]
        where = "" if r.seed is None else f"seed {r.seed}: "
        return dataclasses.replace(first, metrics={}, error=where + str(r.error),
                                   evaluation=None)
    metrics: dict[str, float] = {}
    for key in first.metrics:
        values = [float(r.metrics.get(key, math.nan)) for r in rs]
        metrics[key] = statistics.fmean(values)
        metrics[f"{key}_sd"] = statistics.stdev(values) if len(values) > 1 else 0.0
    metrics["n_seeds"] = float(len(rs))
    timings = {k: statistics.fmean(getattr(r, k) for r in rs) for k in _TIMINGS}
    evaluation = first.evaluation
    if evaluation is not None and len(rs) > 1:
        losses = pd.concat([r.evaluation.dm_loss for r in rs], axis=1, join="inner")
        evaluation = dataclasses.replace(evaluation, dm_loss=losses.mean(axis=1))
    return dataclasses.replace(first, metrics=metrics, evaluation=evaluation, **timings,
                               warnings=list(dict.fromkeys(w for r in rs for w in r.warnings)))
