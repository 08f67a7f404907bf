"""What a benchmark protocol is: :class:`Protocol`, the one object that knows how a data set
is split, what the models see, how their forecasts are scored and how the report says so.

Everything that differs between protocols is a declared attribute or a method here; the
options, the runner, the execution layer and the report read them, never the protocol's
name. A new protocol is a subclass in a module of its own plus one registration
(:func:`~tsforecast.benchmark.protocols.register_protocol`). Light to import: pandas and
the data modules are imported by the methods that need them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import pandas as pd

    from ..datasets import Dataset
    from ..options import BenchmarkConfig
    from ..task import Evaluation, Task

__all__ = ["Protocol"]


class Protocol:
    """One evaluation protocol of the benchmark (subclass it; instances are stateless).

    Declarations (class attributes) read by the option rules, the models' parameters and
    the report; methods that prepare, backtest, score and describe a :class:`~..task.Task`.
    The base class gives the defaults of a protocol on single- or multi-series data in
    original units; a subclass overrides what differs.
    """

    #: the value of ``--protocol``
    name: ClassVar[str] = ""

    # -- options (read by :func:`~..options.resolve_config`) --------------------------------
    #: options the protocol gives a value when the user set none (holdout: the long layout)
    column_defaults: ClassVar[Mapping[str, Any]] = {}
    #: the nets' lookback comes from each data set (``lookback`` stays unset by default)
    lookback_per_dataset: ClassVar[bool] = False
    #: ``features="M"`` (every numeric column a target) is allowed
    multivariate: ClassVar[bool] = False
    #: quick mode keeps only the last timestamps of the data (``history``)
    quick_history: ClassVar[bool] = True
    #: quick mode's neural training-window stride (None: the option's default)
    quick_train_stride: ClassVar[int | None] = None
    #: what quick mode leaves alone, said in the run's notes
    quick_note: ClassVar[str | None] = None
    #: the classical models of a run without ``models`` (None: every classical model)
    default_classical: ClassVar[tuple[str, ...] | None] = None

    # -- models and the run -------------------------------------------------------------
    #: the models fill gaps themselves (``fill_missing`` is passed on to them)
    models_fill_missing: ClassVar[bool] = True
    #: the models get the data set's season even when it is 1 (made-up time index)
    explicit_season: ClassVar[bool] = False
    #: ``prepare`` needs the rows a series must hold before the test (lookback + horizon,
    #: or what a model needs more); computing them builds every model first
    needs_min_train_rows: ClassVar[bool] = True

    # -- report -------------------------------------------------------------------------
    #: the metric of ``skill = 1 - metric / metric(naive)``
    skill_metric: ClassVar[str] = "mae"
    #: the verdict also names the models that did not beat drift
    compare_with_drift: ClassVar[bool] = False
    #: a run over several data sets ends with the series-weighted overall table
    overall_summary: ClassVar[bool] = False

    def __repr__(self) -> str:
        return f"<protocol {self.name}>"

    # -- options --------------------------------------------------------------------------
    def check(self, values: dict[str, Any], suite: str | None, given: Any) -> None:
        """Raise :class:`~..kinds.BenchmarkInputError` when resolved option ``values`` do
        not fit the protocol (``given``: the config as set, before defaults)."""

    # -- data -----------------------------------------------------------------------------
    def load(self, cfg: BenchmarkConfig) -> list[Dataset]:
        """The data sets of a run (the suite's or the CSV files of ``cfg``)."""
        from ..datasets import load_datasets

        return load_datasets(cfg)

    def prepare(self, ds: Dataset, cfg: BenchmarkConfig, min_train_rows: int) -> Task:
        """Split ``ds``: what the models fit on, the windows they forecast, the scales."""
        raise NotImplementedError

    def announce(self, tasks: Sequence[Task]) -> list[str]:
        """Lines logged once before any model runs (e.g. the borders a rule chose)."""
        return []

    # -- forecasting ------------------------------------------------------------------------
    def backtest(self, task: Task, model) -> pd.DataFrame:
        """The fitted ``model``'s forecasts of the task's windows (tidy frame)."""
        return model.backtest(task.eval_data, start=task.start, stride=task.stride)

    def series_order(self, task: Task) -> list[str]:
        """The series of ``task`` in the order :meth:`backtest` returns them (contiguous
        slices of it are the execution layer's chunks of a local model's work)."""
        return task.series_ids

    def subset(self, task: Task, series: Sequence[str]) -> Task:
        """``task`` restricted to ``series``, for a chunk of a local model's work: their
        rows (the data set's frame is theirs too) and what the task keeps per series
        (windows, MASE scales, training values), nothing of the other series'. A process
        sent a chunk receives what its work reads, not the panel (scoring joins the chunks'
        forecasts and uses the whole task)."""
        import dataclasses

        keep = set(series)

        def rows(frame: pd.DataFrame | None) -> pd.DataFrame | None:
            return None if frame is None else frame[frame["series"].isin(keep)]

        eval_data = task.series_rows("eval_data", series)
        return dataclasses.replace(
            task, dataset=dataclasses.replace(task.dataset, frame=eval_data),
            fit_data=task.series_rows("fit_data", series), eval_data=eval_data,
            expected=rows(task.expected).reset_index(drop=True),
            y_train={k: v for k, v in task.y_train.items() if k[0] in keep},
            scales={k: v for k, v in task.scales.items() if k[0] in keep},
            last_values=rows(task.last_values), missing_actuals=rows(task.missing_actuals))

    # -- scoring and the report ---------------------------------------------------------------
    def evaluate(self, task: Task, frame: pd.DataFrame) -> Evaluation:
        """Score a backtest frame (already checked against the task's windows)."""
        raise NotImplementedError

    def describe(self, task: Task, cfg: BenchmarkConfig) -> str:
        """The paragraph of ``report.md`` that says how ``task`` was scored."""
        raise NotImplementedError
