"""Saving and loading forecasters as JSON plus ``.npz`` files: no pickles anywhere.

A saved model is a directory with

* ``config.json``: format version, registered name, constructor parameters, column
  layout, frequency, series ids and the model's JSON state;
* ``history.npz``: the history each series' forecasts start from (values and index);
* ``state.npz``: the model's learned arrays (network weights, coefficients...).

Arrays are read with ``allow_pickle=False`` and every one is checked on load against
what the config says it must be (its shape and kind, named in the error), so an edited or
mixed-up file is refused instead of broadcasting into forecasts. Scikit-learn estimators
given as parameters are stored by class name and parameters, for an explicit list of classes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data import Layout, SeriesData
from .conformal import check_levels
from .fitted import FittedState

FORMAT_VERSION = 2
#: the conformal half-widths' name in ``state.npz``.
CONFORMAL_KEY = "_conformal_scores"

#: scikit-learn estimators that may appear as parameters of a saved forecaster.
ESTIMATORS = {
    "sklearn.linear_model.Ridge",
    "sklearn.linear_model.LinearRegression",
    "sklearn.linear_model.Lasso",
    "sklearn.linear_model.ElasticNet",
}


_KINDS = {"f": "floating-point", "b": "boolean", "M": "datetime64", "i": "integer",
          "u": "unsigned integer"}


def check_array(name: str, value, shapes, need: str, kinds: str = "f") -> np.ndarray:
    """``value`` read from a saved file, refused with a ``ValueError`` naming ``name``
    unless its shape is one of ``shapes`` (a ``None`` entry matches any length) and its
    dtype kind is one of ``kinds`` (NumPy kind letters); ``need`` says why."""
    arr = np.asarray(value)
    shapes = [tuple(shape) for shape in shapes]
    fits = any(len(shape) == arr.ndim and all(n is None or n == m for n, m in
                                              zip(shape, arr.shape, strict=True))
               for shape in shapes)
    if not fits or arr.dtype.kind not in kinds:
        want = " or ".join(str(tuple("rows" if n is None else n for n in shape))
                           for shape in shapes)
        kind = " or ".join(_KINDS[k] for k in kinds)
        raise ValueError(f"{name} has shape {arr.shape} and dtype {arr.dtype}; {need} "
                         f"needs {kind} values of shape {want}")
    return arr


def json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, tuple | np.ndarray):
        return list(o)
    name = f"{type(o).__module__.split('._')[0]}.{type(o).__name__}"
    if name in ESTIMATORS and hasattr(o, "get_params"):
        return {"__estimator__": name, "params": o.get_params(deep=False)}
    raise TypeError(
        f"cannot save a value of type {type(o).__name__}: {o!r} (tsforecast writes no "
        f"pickles; scikit-learn estimators that can be saved: {sorted(ESTIMATORS)})"
    )


def _encode(value: Any) -> Any:
    """Parameters as JSON, tuples marked so that they load as tuples (params compare equal)."""
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"__tuple__"}:
        return tuple(_decode(v) for v in value["__tuple__"])
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict) and "__estimator__" not in value:
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, dict) and "__estimator__" in value:
        name = value["__estimator__"]
        if name not in ESTIMATORS:
            raise ValueError(f"saved estimator {name!r} is not one tsforecast loads")
        module, cls = name.rsplit(".", 1)
        import importlib

        return getattr(importlib.import_module(module), cls)(**value["params"])
    return value


def _index_to_array(index: pd.Index) -> np.ndarray:
    """Timestamps keep their unit; tz-aware ones are stored as UTC (tz in the config)."""
    if isinstance(index, pd.DatetimeIndex) and index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.to_numpy()


def _array_to_index(arr: np.ndarray, tz: str | None = None, name=None) -> pd.Index:
    if np.issubdtype(arr.dtype, np.datetime64):
        index = pd.DatetimeIndex(arr, name=name)
        return index.tz_localize("UTC").tz_convert(tz) if tz else index
    return pd.Index(arr, name=name)


def save(path: Path, fitted: FittedState, model_class: type, params: dict, state: dict,
         arrays: dict[str, np.ndarray], overwrite: bool = False) -> None:
    """Write a fitted ``model_class`` with constructor ``params``, its ``fitted`` state and
    its own learned ``state`` and ``arrays`` to ``path``.

    Files are written to a temporary sibling directory that then replaces ``path``, so a
    failed save leaves ``path`` as it was and no file of another model survives in it. A
    folder that is not a saved model is never overwritten, and what earlier saves killed
    midway left next to ``path`` is cleaned first.
    """
    config = {
        "format_version": FORMAT_VERSION,
        "class": model_class.__name__,
        "name": model_class.registry_name,
        "params": {k: _encode(v) for k, v in params.items()},
        "layout": fitted.layout.to_dict(),
        "freq": fitted.freq,
        "multi_series": fitted.multi_series,
        "series": [s.id for s in fitted.history],
        "index": [
            {"name": s.index.name, "tz": str(getattr(s.index, "tz", None) or "") or None}
            for s in fitted.history
        ],
        "state": state,
    }
    if fitted.conformal_scores is not None:
        arrays = {**arrays, CONFORMAL_KEY: fitted.conformal_scores}
    text = json.dumps(config, indent=2, default=json_default)  # fails before any file is written
    if path.exists() and not path.is_dir():
        raise ValueError(f"cannot save to {path}: it is a file, not a directory")
    if path.parent.is_dir():
        clean_leftovers(path)  # may put back the model a killed save had moved aside
    if path.is_dir() and any(path.iterdir()):
        if not overwrite:
            raise ValueError(
                f"{path} is not empty; pass overwrite=True to replace it (its files are removed)"
            )
        _check_replaceable(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}{_TAG}tmp-{os.getpid()}-", dir=path.parent))
    try:
        (tmp / "config.json").write_text(text)
        history = {}
        for i, s in enumerate(fitted.history):
            history[f"values_{i}"] = s.values
            history[f"index_{i}"] = _index_to_array(s.index)
            if s.missing is not None:
                history[f"missing_{i}"] = s.missing
        np.savez(tmp / "history.npz", **history)
        np.savez(tmp / "state.npz", **arrays)
        _replace(path, tmp)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


#: The files of a saved model: the only ones ``save(overwrite=True)`` ever removes.
MODEL_FILES = frozenset({"config.json", "history.npz", "state.npz"})
#: Marks the hidden sibling folders a save writes: ``.<name>.tsforecast-tmp-<pid>-<random>``
#: (the new files) and ``.<name>.tsforecast-old-<pid>-<random>`` (the replaced model).
_TAG = ".tsforecast-"


def _replace(path: Path, tmp: Path) -> None:
    """Put the complete model in ``tmp`` at ``path``. An existing ``path`` is first moved
    aside; if the second rename fails it is moved back (the old model stays at ``path``), and
    a save killed between the two renames is rolled back by the next save or load of
    ``path`` (:func:`clean_leftovers`)."""
    if not path.is_dir():
        tmp.rename(path)
        return
    old = path.with_name(f".{path.name}{_TAG}old-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    path.rename(old)
    try:
        tmp.rename(path)
    except BaseException:
        old.rename(path)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _check_replaceable(path: Path) -> None:
    """Refuse to overwrite a folder that is not a saved model: its other files would be lost."""
    names = sorted(p.name for p in path.iterdir())
    foreign = [n for n in names if n not in MODEL_FILES]
    if foreign or "config.json" not in names:
        what = f"files a saved model does not have: {foreign[:5]}" if foreign else "no config.json"
        raise ValueError(
            f"{path} is not a saved model ({what}); overwrite=True replaces only a folder "
            "written by save(), so nothing else is deleted: remove those files yourself or "
            "save to another path"
        )


def _leftovers(path: Path) -> list[tuple[Path, str, int | None]]:
    """``(folder, "tmp" | "old", pid)`` for each hidden sibling of ``path`` that a save of
    ``path`` names: this code's names, and those of earlier versions (``.<name>-<8 random>``
    and ``.<name>-old-<pid>``, matched only when they hold nothing but a model's files)."""
    name = re.escape(path.name)
    ours = re.compile(rf"\.{name}{re.escape(_TAG)}(tmp|old)-(\d+)-\w+")
    earlier = re.compile(rf"\.{name}-(?:(old)-(\d+)|[a-z0-9_]{{8}})")
    out = []
    for p in path.parent.iterdir():
        m = ours.fullmatch(p.name)
        if m is None and (m := earlier.fullmatch(p.name)) is not None:
            if not p.is_dir() or p.is_symlink() or not {c.name for c in p.iterdir()} <= MODEL_FILES:
                continue
        if m is None or not p.is_dir() or p.is_symlink():
            continue
        kind, pid = m.group(1) or "tmp", m.group(2)
        out.append((p, kind, None if pid is None else int(pid)))
    return out


def _running(pid: int | None) -> bool:
    """Whether a save by process ``pid`` may still be running (never touch its folders)."""
    if pid is None:
        return False
    if pid == os.getpid() or os.name != "posix":
        return True  # this process's own saves clean up after themselves; elsewhere: unsure
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_leftovers(path: Path) -> None:
    """Remove what killed saves of ``path`` left next to it, after putting the model that
    one moved aside back at ``path`` when ``path`` is missing (a kill between the renames):
    the newest such backup, as if that save had rolled back. Folders of saves still running
    are left alone."""
    left = [x for x in _leftovers(path) if not _running(x[2])]
    backups = sorted((p for p, kind, _ in left if kind == "old"), key=lambda p: p.stat().st_mtime)
    if not path.exists() and backups:
        backups.pop().rename(path)
    for p, _, _ in left:
        if p.exists():
            shutil.rmtree(p, ignore_errors=True)


def load(path: Path, base: type):
    """``(model, fitted, state, arrays)`` from a directory written by :func:`save`: the
    model built from its parameters, its :class:`FittedState` (without ``quantiles``, which
    the model's own ``state`` holds) and its own learned state and arrays."""
    if not path.exists() and path.parent.is_dir():
        clean_leftovers(path)  # a save killed between its renames: its backup comes back
    cfg_file = path / "config.json"
    if not cfg_file.is_file():
        raise ValueError(f"{path} does not hold a saved forecaster (no config.json)")
    try:
        config = json.loads(cfg_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{cfg_file} is not valid JSON: {exc}") from exc
    if not isinstance(config, dict):
        raise ValueError(f"{cfg_file} does not hold a saved forecaster's config")
    missing = [k for k in _KEYS if k not in config]
    if missing:
        raise ValueError(f"{cfg_file} is incomplete: missing {missing}")
    try:
        return _load(path, base, config)
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"{path}: the saved files do not agree with config.json "
                         f"({type(exc).__name__}: {exc})") from exc


_KEYS = ("format_version", "class", "name", "params", "layout", "freq", "multi_series",
         "series", "index", "state")


def _arrays(file: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(file, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except FileNotFoundError as exc:
        raise ValueError(f"{file.parent} is incomplete: {file.name} is missing") from exc
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise ValueError(f"{file} is corrupt or truncated ({type(exc).__name__}: {exc})") from exc


def _load(path: Path, base: type, config: dict):
    from .registry import get_forecaster

    version = config.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"{path} was saved in format {version!r}; this tsforecast reads format "
            f"{FORMAT_VERSION}"
        )
    if config["name"] is None:
        raise ValueError(f"{path} holds an unregistered {config['class']}; only registered "
                         "forecasters can be loaded")
    klass = get_forecaster(config["name"])
    if not issubclass(klass, base):
        raise ValueError(f"{path} holds a {config['class']}, not a {base.__name__}")
    model = klass(**{k: _decode(v) for k, v in config["params"].items()})
    model._check_params()
    layout = Layout.from_dict(config["layout"])
    history = _history(path, config, layout)
    arrays = _arrays(path / "state.npz")
    scores = arrays.pop(CONFORMAL_KEY, None)
    levels = check_levels(model.level)
    where = f"{path / 'state.npz'}: {CONFORMAL_KEY}"
    if (scores is None) != (levels is None):
        raise ValueError(
            f"{where} is {'missing' if scores is None else 'present'} but config.json has "
            f"level={model.level!r}: intervals need both (the half-widths per level) or neither"
        )
    if scores is not None:
        need = (len(levels), model.horizon, layout.n_targets)
        check_array(where, scores, [need], f"level {list(levels)} x horizon {model.horizon} "
                    f"x {layout.n_targets} target(s)")
        if not (np.isfinite(scores) & (scores >= 0)).all():
            raise ValueError(f"{where} holds negative or non-finite half-widths")
    fitted = FittedState(
        spec=_spec(model),
        layout=layout,
        freq=config["freq"],
        multi_series=config["multi_series"],
        horizon=model.horizon,
        history=history,
        levels=levels,
        conformal_scores=scores,
    )
    return model, fitted, config["state"], arrays


def _history(path: Path, config: dict, layout: Layout) -> tuple[SeriesData, ...]:
    """The kept history of each series in ``config["series"]``, every array of
    ``history.npz`` checked against the layout (and none left unread)."""
    ids, meta = config["series"], config["index"]
    if (not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids)
            or len(set(ids)) != len(ids)):
        raise ValueError(f"{path / 'config.json'}: series must be a non-empty list of distinct "
                         f"series ids (strings), got {ids!r}")
    if not isinstance(meta, list) or len(meta) != len(ids):
        raise ValueError(f"{path / 'config.json'}: index must hold one entry per series "
                         f"({len(ids)}), got {meta!r}")
    file = path / "history.npz"
    npz = _arrays(file)
    out = []
    for i, sid in enumerate(ids):
        for key in (f"values_{i}", f"index_{i}"):
            if key not in npz:
                raise ValueError(f"{file}: {key} (series {sid!r}) is missing")
        values = check_array(f"{file}: values_{i} (series {sid!r})", npz.pop(f"values_{i}"),
                             [(None, layout.n_inputs)], f"the layout's columns "
                             f"{list(layout.columns)}")
        n = len(values)
        index = check_array(f"{file}: index_{i} (series {sid!r})", npz.pop(f"index_{i}"),
                            [(n,)], f"one time stamp per row of values_{i}", kinds="Miu")
        missing = npz.pop(f"missing_{i}", None)
        if missing is not None:
            missing = check_array(f"{file}: missing_{i} (series {sid!r})", missing,
                                  [(n, layout.n_targets)], f"one flag per row of values_{i} "
                                  "and target", kinds="b")
        idx = _array_to_index(index, **meta[i])
        if n == 0 or not (idx.is_monotonic_increasing and idx.is_unique):
            raise ValueError(f"{file}: index_{i} (series {sid!r}) must hold at least one time "
                             "stamp, strictly increasing")
        out.append(SeriesData(sid, idx, values.astype(np.float32, copy=False), missing))
    if npz:
        raise ValueError(f"{file} holds arrays no series in config.json names: {sorted(npz)}")
    return tuple(out)


def _spec(model):
    from ..data import DataSpec

    return DataSpec.from_params(model.get_params(deep=False))
