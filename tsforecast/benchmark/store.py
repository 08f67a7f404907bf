"""A run's files on disk: the output directory, atomic writes, one record per model.

* A run refuses an output directory that is not empty, unless ``overwrite`` (then the
  files a run writes, :data:`RUN_FILES` and :data:`RUN_DIRS`, are removed first, and
  nothing else).
* Every file is written to a temporary name beside it and moved into place with
  ``os.replace`` (:func:`atomic_write`): a reader, or a run killed half-way, finds the
  previous version or the new one, never a part.
* Each model's results are saved as it finishes (:func:`save_run`):
  ``runs/<dataset>__<model>.json`` (metrics, timings, error, warnings, the per-cutoff
  Diebold-Mariano loss, metrics by series, the plotted windows) and, beside it, its
  forecasts (``.forecasts.parquet``, ``.csv`` without pyarrow). No pickles. The JSON is
  written last: it marks the model as finished.

:mod:`.report` writes its files through this module.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .options import BenchmarkInputError

if TYPE_CHECKING:
    from .results import ModelResult
    from .task import Task

__all__ = [
    "RUN_DIRS", "RUN_FILES", "atomic_write", "dumps", "frame_suffix", "jsonable",
    "prepare_output", "safe_name", "save_run", "write_frame", "write_text",
]

#: The files a run writes in its output directory...
RUN_FILES = (
    "config.json", "environment.json", "errors.log", "report.md", "leaderboard.csv",
    "leaderboard.json", "leaderboard.md", "metrics_by_series.csv", "forecasts.csv",
    "forecasts.parquet",
)
#: ... and its folders, with the pattern of the files it writes there.
RUN_DIRS = {"plots": "*.png", "runs": "*"}


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


def safe_name(name: str) -> str:
    """``name`` with every run of characters other than ``A-Za-z0-9_.-`` replaced by ``_``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


# -- atomic writes ---------------------------------------------------------------------------
def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Create ``path`` with ``write(temporary_path)``, then move it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def frame_suffix() -> str:
    """``.parquet`` when pyarrow is importable, else ``.csv``: the format of forecasts."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return ".csv"
    return ".parquet"


def write_frame(path: Path, frame: pd.DataFrame) -> None:
    """A frame as parquet or CSV (by ``path``'s suffix), without its index."""
    if path.suffix == ".parquet":
        atomic_write(path, lambda p: frame.to_parquet(p, index=False))
    else:
        atomic_write(path, lambda p: frame.to_csv(p, index=False))


# -- one record per model --------------------------------------------------------------------
_SCALARS = ("fit_seconds", "predict_seconds", "train_windows_per_second", "n_parameters",
            "epochs", "n_series", "n_windows", "n_excluded")


def run_file(out_dir: Path, dataset: str, model: str) -> Path:
    """``runs/<dataset>__<model>.json`` of ``out_dir``."""
    return out_dir / "runs" / f"{safe_name(dataset)}__{safe_name(model)}.json"


def task_fingerprint(task: Task) -> dict[str, Any]:
    """What a saved result was computed on: the borders and a hash of the data."""
    digest = pd.util.hash_pandas_object(task.eval_data, index=True).to_numpy()
    return jsonable({"borders": task.borders, "windows": len(task.expected),
                     "data_hash": str(int(digest.sum(dtype=np.uint64)))})


def _frame_json(frame: pd.DataFrame | None) -> dict[str, Any] | None:
    """A small frame as columns of JSON values (timestamps as ISO text) and its dtypes."""
    if frame is None:
        return None
    cols = {}
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            cols[str(c)] = [None if pd.isna(t) else t.isoformat() for t in s]
        else:
            cols[str(c)] = s.tolist()
    return {"dtypes": {str(c): str(frame[c].dtype) for c in frame.columns}, "columns": cols}


def save_run(out_dir: Path, res: ModelResult, task: Task) -> None:
    """Save one model's results on ``task`` (forecasts first, then the JSON record)."""
    path = run_file(out_dir, res.dataset, res.model)
    path.parent.mkdir(exist_ok=True)
    forecasts = None
    if res.ok and res.forecasts is not None:
        forecasts = path.name.removesuffix(".json") + ".forecasts" + frame_suffix()
        write_frame(path.parent / forecasts, res.forecasts)
    ev = res.evaluation
    record = {
        "dataset": res.dataset, "model": res.model, "task": task_fingerprint(task),
        "error": res.error, "warnings": res.warnings, "metrics": res.metrics,
        **{k: getattr(res, k) for k in _SCALARS},
        "dm_loss": None if ev is None else {
            "cutoff": [t.isoformat() for t in pd.DatetimeIndex(ev.dm_loss.index)],
            "loss": ev.dm_loss.tolist()},
        "by_series": None if ev is None else _frame_json(ev.by_series),
        "plot_frame": _frame_json(res.plot_frame),
        "forecasts": forecasts,
    }
    write_text(path, dumps(record) + "\n")
