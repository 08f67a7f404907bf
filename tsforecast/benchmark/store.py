"""A run's files on disk: the output directory, atomic writes, one record per model.

* A run holds the output directory for its whole length (:func:`output_lock`: an
  ``flock`` on :data:`LOCK_FILE`, released on every exit path, by the system if the
  process dies): a second run on the same directory is refused, naming the holder.
* A run refuses an output directory that is not empty, unless ``overwrite`` (then the
  files a run writes, :data:`RUN_FILES` and those of :data:`RUN_DIRS` named as a run
  names them, are removed first, and nothing else) or ``resume`` (then it must hold a
  run with the same options). Symbolic links are never followed out of the directory:
  ``overwrite`` removes a link that stands where a run writes (the link, not what it
  points to), ``resume`` refuses naming it.
* Every file is written to a temporary name beside it and moved into place with
  ``os.replace`` (:func:`atomic_write`): a reader, or a run killed half-way, finds the
  previous version or the new one, never a part.
* Each model's results are saved as it finishes (:func:`save_run`):
  ``runs/<dataset>__<model>.json`` (metrics, timings, error, warnings, fallbacks, the per-cutoff
  Diebold-Mariano loss, metrics by series, the plotted windows) and, beside it, its
  forecasts (``.forecasts.parquet``, ``.csv`` without pyarrow). No pickles. The JSON is
  written last: it marks the model as finished. ``resume`` reads these records back
  (:func:`load_runs`) instead of running those models again.

:mod:`.report` writes its files through this module.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import math
import os
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .options import ONCE, BenchmarkConfig, BenchmarkInputError
from .results import ModelResult
from .task import Evaluation

if TYPE_CHECKING:
    from .task import Task

__all__ = [
    "LOCK_FILE", "RESUME_FREE", "RUN_DIRS", "RUN_FILES", "atomic_write", "dumps",
    "frame_suffix", "jsonable", "load_runs", "output_lock", "prepare_output", "read_frame",
    "safe_name", "save_run", "write_frame", "write_text",
]

#: The files a run writes in its output directory...
RUN_FILES = (
    "config.json", "environment.json", "errors.log", "report.md", "report.html",
    "leaderboard.csv", "leaderboard.json", "leaderboard.md", "metrics_by_series.csv",
    "forecasts.csv", "forecasts.parquet", "history.csv", "history.parquet",
)
#: ... and its folders, with the patterns of the files it writes there (plots per data
#: set; per model ``<dataset>__<model>[__seed<k>]`` records and forecasts; and the
#: temporary names of :func:`atomic_write` that a killed run leaves).
RUN_DIRS = {
    "plots": ("leaderboard_*.png", "forecasts_*.png", "intervals_*.png"),
    "runs": ("*__*.json", "*__*.forecasts.parquet", "*__*.forecasts.csv", ".*__*.tmp"),
}
#: The lock a run holds on its output directory (not a result: an output directory
#: holding only this file is empty).
LOCK_FILE = ".tsforecast-run.lock"
#: Options that may differ between a run and its resumption: they change no result.
RESUME_FREE = ("output", "progress", "models", "jobs", "backend", "address", *ONCE)


def prepare_output(out_dir: Path, cfg: BenchmarkConfig) -> None:
    """Make ``out_dir`` ready for a run's files (``cfg.overwrite``, ``cfg.resume``); call
    it holding :func:`output_lock`.

    Raises
    ------
    BenchmarkInputError
        ``out_dir`` is a file or not writable; it is not empty and neither overwrite nor
        resume is set; resume and it holds no run, or one with other options, or a
        symbolic link where a run writes.
    """
    _check_directory(out_dir)
    entries = sorted(p.name for p in out_dir.iterdir() if p.name != LOCK_FILE
                     ) if out_dir.is_dir() else []
    if entries and cfg.resume:
        _check_resumable(out_dir, cfg)
    elif entries and not cfg.overwrite:
        shown = ", ".join(entries[:4]) + (", ..." if len(entries) > 4 else "")
        raise BenchmarkInputError(
            f"output directory {str(out_dir)!r} is not empty ({len(entries)} entries: "
            f"{shown}); use --overwrite to replace its results, --resume to finish the run "
            "in it, or another --output"
        )
    try:
        if entries and cfg.overwrite:
            _remove_run_files(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BenchmarkInputError(
            f"cannot write to output directory {str(out_dir)!r}: {exc}") from exc


def _check_directory(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise BenchmarkInputError(f"output {str(out_dir)!r} is a file, not a directory")


@contextlib.contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold ``out_dir`` for one run: an exclusive ``flock`` on ``out_dir/``:data:`LOCK_FILE`
    (which names the holder), released and the file removed when the block ends, however
    it ends; the system releases it if the process dies.

    Raises
    ------
    BenchmarkInputError
        Another run holds ``out_dir`` (the message names its process), or ``out_dir``
        is a file or cannot be created.
    """
    _check_directory(out_dir)
    path = out_dir / LOCK_FILE
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd = _locked(path)
    except OSError as exc:
        raise BenchmarkInputError(
            f"cannot write to output directory {str(out_dir)!r}: {exc}") from exc
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}, started {datetime.now().isoformat(' ', 'seconds')}"
                 .encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # still ours: nobody can lock it while we hold it
        os.close(fd)  # releases the lock


def _locked(path: Path) -> int:
    """A descriptor of ``path`` holding its exclusive lock (the file made if missing; a
    file left by a killed run is locked again: the system released its lock)."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise
            try:
                holder = path.read_text(encoding="utf-8").strip() or "unknown process"
            except OSError:
                holder = "unknown process"
            out_dir = str(path.parent)
            raise BenchmarkInputError(
                f"output directory {out_dir!r} is in use by another benchmark run ({holder}; "
                f"lock {str(path)!r}); wait for it to finish or use another --output"
            ) from None
        try:  # the holder before us may have removed the file: lock the one on disk
            if os.fstat(fd).st_ino == os.stat(path, follow_symlinks=False).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def _check_resumable(out_dir: Path, cfg: BenchmarkConfig) -> None:
    """The run in ``out_dir`` had the options of ``cfg`` (but :data:`RESUME_FREE`), and no
    symbolic link stands where the run writes."""
    links = _run_links(out_dir)
    if links:
        raise BenchmarkInputError(
            f"cannot resume the run in {str(out_dir)!r}: {', '.join(links)} "
            f"{'is a symbolic link' if len(links) == 1 else 'are symbolic links'} (a run "
            "writes only inside its output directory); remove them, or use --overwrite")
    try:
        saved = json.loads((out_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BenchmarkInputError(
            f"output directory {str(out_dir)!r} holds no benchmark run to resume (no "
            f"readable config.json: {exc})") from exc
    now = json.loads(dumps(cfg.to_dict()))
    differ = [k for k in saved if k in now and k not in RESUME_FREE and saved[k] != now[k]]
    if differ:
        raise BenchmarkInputError(
            f"cannot resume the run in {str(out_dir)!r}: options differ (" + ", ".join(
                f"{k} {saved[k]!r} -> {now[k]!r}".replace("'", "") for k in differ)
            + "); give the same options, or use --overwrite")


def _run_entries(out_dir: Path) -> Iterator[Path]:
    """What a run writes that ``out_dir`` holds: its files, its folders, and the files in
    them named as a run names them (a linked folder's contents are not looked at)."""
    for name in RUN_FILES:
        path = out_dir / name
        if path.is_symlink() or path.exists():
            yield path
        yield from sorted(out_dir.glob(f".{name}.*.tmp"))
    for name, patterns in RUN_DIRS.items():
        folder = out_dir / name
        if folder.is_symlink():
            yield folder
        elif folder.is_dir():
            for pattern in patterns:
                yield from sorted(folder.glob(pattern))


def _run_links(out_dir: Path) -> list[str]:
    """The symbolic links, relative to ``out_dir``, that stand where a run writes."""
    return [str(p.relative_to(out_dir)) for p in _run_entries(out_dir) if p.is_symlink()]


def _remove_run_files(out_dir: Path) -> None:
    """Remove what an earlier run wrote in ``out_dir``, and nothing else: other files stay,
    and a symbolic link is removed itself, never followed."""
    for path in _run_entries(out_dir):
        if path.is_symlink() or path.is_file():
            path.unlink()
    for name in RUN_DIRS:
        folder = out_dir / name
        if not folder.is_symlink() and folder.is_dir() and not any(folder.iterdir()):
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


def read_frame(path: Path) -> pd.DataFrame:
    """A frame written by :func:`write_frame` (forecasts: ids as text, times parsed)."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    text = {c: str for c in ("dataset", "series", "model", "target")}
    frame = pd.read_csv(path, dtype=text, float_precision="round_trip")
    for c in ("cutoff", "timestamp"):
        if c in frame.columns:
            frame[c] = pd.to_datetime(frame[c])
    return frame


def write_frame(path: Path, frame: pd.DataFrame) -> None:
    """A frame as parquet or CSV (by ``path``'s suffix), without its index."""
    if path.suffix == ".parquet":
        atomic_write(path, lambda p: frame.to_parquet(p, index=False))
    else:
        atomic_write(path, lambda p: frame.to_csv(p, index=False))


# -- one record per model --------------------------------------------------------------------
_SCALARS = ("fit_seconds", "predict_seconds", "train_windows_per_second", "n_parameters",
            "epochs", "n_series", "n_windows", "n_excluded", "kept_initial")


def run_file(out_dir: Path, dataset: str, model: str, seed: int | None = None) -> Path:
    """``runs/<dataset>__<model>.json`` of ``out_dir`` (``__seed<k>`` before ``.json`` for
    one seed of a multi-seed run)."""
    tag = "" if seed is None else f"__seed{int(seed)}"
    return out_dir / "runs" / f"{safe_name(dataset)}__{safe_name(model)}{tag}.json"


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
    path = run_file(out_dir, res.dataset, res.model, res.seed)
    path.parent.mkdir(exist_ok=True)
    forecasts = None
    if res.ok and res.forecasts is not None:
        forecasts = path.name.removesuffix(".json") + ".forecasts" + frame_suffix()
        write_frame(path.parent / forecasts, res.forecasts)
    ev = res.evaluation
    record = {
        "dataset": res.dataset, "model": res.model, "seed": res.seed, "task": task_fingerprint(task),
        "error": res.error, "warnings": res.warnings, "fallbacks": res.fallbacks,
        "metrics": res.metrics,
        **{k: getattr(res, k) for k in _SCALARS},
        "dm_loss": None if ev is None else _loss_json(ev.dm_loss),
        "by_series": None if ev is None else _frame_json(ev.by_series),
        "plot_frame": _frame_json(res.plot_frame),
        "forecasts": forecasts,
    }
    write_text(path, dumps(record) + "\n")


def _loss_json(loss: pd.Series) -> dict[str, Any]:
    """The DM loss by cutoff (timestamps) or, for the holdout protocol, by series."""
    if isinstance(loss.index, pd.DatetimeIndex):
        return {"cutoff": [t.isoformat() for t in loss.index], "loss": loss.tolist()}
    return {"series": [str(s) for s in loss.index], "loss": loss.tolist()}


def _loss_from_json(d: dict[str, Any]) -> pd.Series:
    loss = [math.nan if v is None else v for v in d["loss"]]
    index = (pd.Index(d["series"], name="series") if "series" in d
             else pd.DatetimeIndex(pd.to_datetime(d["cutoff"])))
    return pd.Series(loss, index=index, dtype=float)


def _frame_from_json(d: dict[str, Any] | None) -> pd.DataFrame | None:
    if d is None:
        return None
    frame = pd.DataFrame(d["columns"])
    for c, dtype in d["dtypes"].items():
        values = pd.to_datetime(frame[c]) if dtype.startswith("datetime64") else frame[c]
        frame[c] = values.astype(dtype)
    return frame


def load_runs(out_dir: Path, units: list[tuple[Task, str, int | None]]
              ) -> dict[tuple[str, str, int | None], ModelResult]:
    """The results saved by :func:`save_run` for these (task, model, seed) units, by (data
    set, model, seed); failed runs and incomplete records are left out (they run again).

    Raises
    ------
    BenchmarkInputError
        A record was computed on other data or borders than its task now has.
    """
    done = {}
    prints: dict[str, dict[str, Any]] = {}
    for task, model, seed in units:
        if task.name not in prints:
            prints[task.name] = task_fingerprint(task)
        res = _load_run(run_file(out_dir, task.name, model, seed), task, model,
                        prints[task.name])
        if res is not None:
            res.seed = seed
            done[(task.name, model, seed)] = res
    return done


def _load_run(path: Path, task: Task, model: str, fingerprint: dict[str, Any]
              ) -> ModelResult | None:
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # not saved (or not by us): run the model
        return None
    if rec.get("error") is not None or (rec.get("dataset"), rec.get("model")) != (task.name,
                                                                                 model):
        return None
    if rec.get("task") != fingerprint:
        raise BenchmarkInputError(
            f"cannot resume: {str(path)!r} was computed on other data or borders than "
            f"{task.name!r} has now; use --overwrite")
    forecasts = None
    if rec["forecasts"] is not None:
        if not (path.parent / rec["forecasts"]).is_file():
            return None
        forecasts = read_frame(path.parent / rec["forecasts"])
    ints = ("n_series", "n_windows", "n_excluded")
    # a record saved before a scalar existed reads it as NaN (unknown)
    scalars = {k: math.nan if rec.get(k) is None else int(rec[k]) if k in ints
               else float(rec[k]) for k in _SCALARS}
    ev = Evaluation(
        metrics=dict(rec["metrics"]),
        dm_loss=_loss_from_json(rec["dm_loss"]),
        by_series=_frame_from_json(rec["by_series"]), n_windows=scalars["n_windows"],
        n_series=scalars["n_series"], n_excluded=scalars["n_excluded"],
    )
    return ModelResult(task.name, model, metrics=dict(rec["metrics"]), **scalars,
                       evaluation=ev, forecasts=forecasts, warnings=list(rec["warnings"]),
                       fallbacks=dict(rec.get("fallbacks") or {}),
                       plot_frame=_frame_from_json(rec["plot_frame"]))
