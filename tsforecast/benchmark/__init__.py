"""Benchmark harness: every model on the same data, cutoffs and metrics, with a report.

The package's main job: ``tsforecast benchmark --suite stocks`` (or ``weather``, or
``--data FILE.csv --protocol ltsf``) runs the neural forecasters and the classical
baselines under one protocol and writes a leaderboard, tidy forecasts, plots and a
Markdown report. From Python::

    from tsforecast.benchmark import run_benchmark
    result = run_benchmark({"suite": "stocks", "quick": True})
    result.leaderboard

Modules: :mod:`.options` (the options, declared once; config files; validation),
:mod:`.rules` (rules tying options together), :mod:`.suites` (the standard suites),
:mod:`.datasets` (data loading), :mod:`.task` (a data set prepared for a protocol),
:mod:`.holdout` (the competitions' long files, the m3 suite), :mod:`.protocols` (one
module per protocol: split, backtest, scores, report text; found through its registry),
:mod:`.runner` (the run), :mod:`.results`, :mod:`.report` and :mod:`.plots` (outputs),
:mod:`.store` (the run's files on disk). Each imports only modules listed before it
(``results`` before ``report``), never the reverse; ``store`` is imported by ``report``
and ``runner``.

The options and result types are imported here; the rest (pandas, torch) only when one
of its names is first used, so that ``tsforecast --help`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .options import (
    BenchmarkConfig,
    BenchmarkInputError,
    default_models,
    load_config_file,
    resolve_config,
)
from .results import BenchmarkInterrupted, BenchmarkResult, ModelResult
from .suites import SUITES

if TYPE_CHECKING:
    from .protocols import get_protocol, protocol_names, register_protocol
    from .protocols.base import Protocol
    from .protocols.ltsf import prepare_ltsf
    from .protocols.rolling import prepare_rolling
    from .report import build_leaderboard, format_leaderboard
    from .runner import model_params, run_benchmark
    from .task import Task

#: Names imported on first use, by module.
_LAZY = {
    "Task": "task",
    "Protocol": "protocols.base",
    "get_protocol": "protocols",
    "protocol_names": "protocols",
    "register_protocol": "protocols",
    "prepare_ltsf": "protocols.ltsf",
    "prepare_rolling": "protocols.rolling",
    "build_leaderboard": "report",
    "format_leaderboard": "report",
    "model_params": "runner",
    "run_benchmark": "runner",
}

__all__ = [
    "SUITES",
    "BenchmarkConfig",
    "BenchmarkInputError",
    "BenchmarkInterrupted",
    "BenchmarkResult",
    "ModelResult",
    "Protocol",
    "Task",
    "build_leaderboard",
    "default_models",
    "format_leaderboard",
    "get_protocol",
    "load_config_file",
    "model_params",
    "prepare_ltsf",
    "prepare_rolling",
    "protocol_names",
    "register_protocol",
    "resolve_config",
    "run_benchmark",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
