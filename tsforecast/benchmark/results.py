"""What a benchmark run produces: one :class:`ModelResult` per model and data set, the
:class:`BenchmarkResult` of the run, and :class:`BenchmarkInterrupted` for Ctrl-C and
SIGTERM.

Plain containers: the runner fills them and the report reads them, so neither of those
modules needs the other. Light to import (no pandas at import time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from .options import BenchmarkConfig
    from .task import Evaluation, Task

__all__ = ["COUNT_COLUMNS", "TIMING_COLUMNS", "BenchmarkInterrupted", "BenchmarkResult",
           "ModelResult", "short_name", "without_timings"]

#: Leaderboard columns that count something (parameters, epochs, series, scored windows,
#: seeds): printed as integers, though a missing value makes their column float.
COUNT_COLUMNS = ("rank", "n_parameters", "epochs", "n_series", "n_windows", "n_excluded",
                 "n_seeds", "n_fallbacks")

#: Leaderboard columns that time the run: they differ between two runs of the same
#: benchmark (machine load, backend), every other column is the same (same seed, on CPU).
TIMING_COLUMNS = ("fit_seconds", "predict_seconds", "train_windows_per_second")


def without_timings(board: pd.DataFrame) -> pd.DataFrame:
    """A leaderboard without its :data:`TIMING_COLUMNS`: what two runs of one benchmark
    on different backends (local, a Ray cluster) must agree on."""
    return board.drop(columns=[c for c in TIMING_COLUMNS if c in board.columns])


_SHORT = {
    "directional_accuracy": "dir_acc", "train_windows_per_second": "win/s",
    "n_parameters": "params", "fit_seconds": "fit_s", "predict_seconds": "pred_s",
    "dm_pvalue": "dm_p", "n_windows": "windows", "n_series": "series",
    "n_excluded": "excluded", "kept_initial": "kept_rw", "n_fallbacks": "fallbacks",
}
_PREFIX = {"coverage_": "cov", "width_": "wid", "winkler_": "wink"}


def short_name(col: str) -> str:
    """The header of a leaderboard column in the terminal, Markdown and HTML tables.

    >>> short_name("coverage_80"), short_name("directional_accuracy"), short_name("mase")
    ('cov80', 'dir_acc', 'mase')
    """
    for prefix, short in _PREFIX.items():
        if col.startswith(prefix):
            return short + col[len(prefix):]
    return _SHORT.get(col, col)


@dataclass
class ModelResult:
    """One model on one data set: its scores, timings and error (if it failed)."""

    dataset: str
    model: str
    metrics: dict[str, float] = field(default_factory=dict)
    fit_seconds: float = float("nan")
    predict_seconds: float = float("nan")
    train_windows_per_second: float = float("nan")
    n_parameters: float = float("nan")
    epochs: float = float("nan")
    n_series: float = float("nan")
    n_windows: float = float("nan")
    n_excluded: float = float("nan")  # forecast rows without an actual: not scored
    #: a net that kept its random-walk start (``kept_initial_``: it forecasts as naive);
    #: 1 or 0, the share of seeds in a multi-seed run, NaN for models without one
    kept_initial: float = float("nan")
    error: str | None = None
    evaluation: Evaluation | None = None
    forecasts: pd.DataFrame | None = None  # rows written to forecasts.csv
    plot_frame: pd.DataFrame | None = None  # the windows drawn in the forecast plot
    warnings: list[str] = field(default_factory=list)
    #: series given a simpler model than asked for (too short for the season, or the
    #: fit failed): series id (``id/target`` with several targets) -> what it used
    fallbacks: dict[str, str] = field(default_factory=dict)
    seed: int | None = None  # multi-seed runs: the seed of this result

    @property
    def n_fallbacks(self) -> int:
        """How many series got a simpler model (:attr:`fallbacks`): a leaderboard flag."""
        return len(self.fallbacks)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class BenchmarkResult:
    """What a run produced.

    Attributes
    ----------
    leaderboard : pandas.DataFrame
        One row per data set and model (metrics, rank, timings, DM p-value, error).
    forecasts : pandas.DataFrame
        The tidy forecasts (``dataset, series, model, target, cutoff, timestamp, step, y,
        y_hat`` + quantile columns) as written to disk.
    output_dir : pathlib.Path
        Where the files are.
    metrics_by_series : pandas.DataFrame
        The metrics per data set, model, series and target.
    config : BenchmarkConfig
        The resolved configuration (``config.json``).
    notes : list of str
        What the report says about skipped series, added models, failures...
    results : list of ModelResult
        Each unit's result (one per data set, model and seed).
    tasks : list of Task
        Each data set as the protocol prepared it.
    interrupted : bool
        True when the run was stopped by Ctrl-C (partial results).
    """

    leaderboard: pd.DataFrame
    forecasts: pd.DataFrame
    output_dir: Path
    metrics_by_series: pd.DataFrame
    config: BenchmarkConfig
    notes: list[str]
    results: list[ModelResult]
    tasks: list[Task]
    interrupted: bool = False


class BenchmarkInterrupted(KeyboardInterrupt):
    """Raised after an interrupted run has written what finished; ``.result`` holds it and
    ``.signum`` the signal that stopped it (2: SIGINT, Ctrl-C; 15: SIGTERM)."""

    def __init__(self, result: BenchmarkResult, signum: int = 2):
        super().__init__(f"benchmark interrupted; partial results in {result.output_dir}")
        self.result = result
        self.signum = int(signum)
