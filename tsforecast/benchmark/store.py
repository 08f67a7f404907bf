"""A run's files on disk: the output directory and JSON values.

A run refuses an output directory that is not empty, unless ``overwrite`` (then the files
a run writes, :data:`RUN_FILES` and :data:`RUN_DIRS`, are removed first, and nothing
else). :mod:`.report` writes its files through this module.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .options import BenchmarkInputError

__all__ = ["RUN_DIRS", "RUN_FILES", "dumps", "jsonable", "prepare_output"]

#: The files a run writes in its output directory...
RUN_FILES = (
    "config.json", "environment.json", "errors.log", "report.md", "leaderboard.csv",
    "leaderboard.json", "leaderboard.md", "metrics_by_series.csv", "forecasts.csv",
    "forecasts.parquet",
)
#: ... and its folders, with the pattern of the files it writes there.
RUN_DIRS = {"plots": "*.png"}


def prepare_output(out_dir: Path, overwrite: bool) -> None:
    """Make ``out_dir`` ready for a run's files.

    Raises
    ------
    BenchmarkInputError
        ``out_dir`` is a file, or not empty and ``overwrite`` is not set, or not writable.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise BenchmarkInputError(f"output {str(out_dir)!r} is a file, not a directory")
    entries = sorted(p.name for p in out_dir.iterdir()) if out_dir.is_dir() else []
    if entries and not overwrite:
        shown = ", ".join(entries[:4]) + (", ..." if len(entries) > 4 else "")
        raise BenchmarkInputError(
            f"output directory {str(out_dir)!r} is not empty ({len(entries)} entries: "
            f"{shown}); use --overwrite to replace its results, or another --output"
        )
    try:
        if entries:
            _remove_run_files(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise BenchmarkInputError(
            f"cannot write to output directory {str(out_dir)!r}: {exc}") from exc


def _remove_run_files(out_dir: Path) -> None:
    """Remove what an earlier run wrote in ``out_dir`` (other files stay)."""
    for name in RUN_FILES:
        (out_dir / name).unlink(missing_ok=True)
    for name, pattern in RUN_DIRS.items():
        folder = out_dir / name
        if folder.is_dir():
            for f in folder.glob(pattern):
                if f.is_file():
                    f.unlink()
            if not any(folder.iterdir()):
                folder.rmdir()


def jsonable(value: Any) -> Any:
    """Recursively convert numpy scalars and NaN to JSON-friendly values."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def dumps(value: Any) -> str:
    """JSON text of ``value`` (NaN written as null)."""
    return json.dumps(jsonable(value), indent=2)
