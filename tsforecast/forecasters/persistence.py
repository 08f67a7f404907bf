"""Saving and loading forecasters as JSON plus ``.npz`` files: no pickles anywhere.

A saved model is a directory with

* ``config.json``: format version, registered name, constructor parameters, column
  layout, frequency, series ids and the model's JSON state;
* ``history.npz``: the history each series' forecasts start from (values and index);
* ``state.npz``: the model's learned arrays (network weights, coefficients...).

Arrays are read with ``allow_pickle=False``. Scikit-learn estimators given as
parameters are stored by class name and parameters, for an explicit list of classes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data import Layout, SeriesData

FORMAT_VERSION = 2

#: scikit-learn estimators that may appear as parameters of a saved forecaster.
ESTIMATORS = {
    "sklearn.linear_model.Ridge",
    "sklearn.linear_model.LinearRegression",
    "sklearn.linear_model.Lasso",
    "sklearn.linear_model.ElasticNet",
}


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


def _decode(value: Any) -> Any:
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


def save(model, path: Path, state: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write ``model`` (fitted) with its learned ``state`` and ``arrays`` to ``path``."""
    config = {
        "format_version": FORMAT_VERSION,
        "class": type(model).__name__,
        "name": model.registry_name,
        "params": model.get_params(deep=False),
        "layout": model.layout_.to_dict(),
        "freq": model.freq_,
        "multi_series": model.multi_series_,
        "series": [s.id for s in model.history_],
        "index": [
            {"name": s.index.name, "tz": str(getattr(s.index, "tz", None) or "") or None}
            for s in model.history_
        ],
        "state": state,
    }
    text = json.dumps(config, indent=2, default=json_default)  # fails before any file is written
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text(text)
    history = {}
    for i, s in enumerate(model.history_):
        history[f"values_{i}"] = s.values
        history[f"index_{i}"] = _index_to_array(s.index)
    np.savez(path / "history.npz", **history)
    np.savez(path / "state.npz", **arrays)


def load(path: Path, base: type):
    """``(model, state, arrays)`` from a directory written by :func:`save`."""
    from .registry import get_forecaster

    cfg_file = path / "config.json"
    if not cfg_file.is_file():
        raise ValueError(f"{path} does not hold a saved forecaster (no config.json)")
    config = json.loads(cfg_file.read_text())
    version = config.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"{path} was saved in format {version!r}; this tsforecast reads format "
            f"{FORMAT_VERSION}"
        )
    klass = get_forecaster(config["name"])
    if not issubclass(klass, base):
        raise ValueError(f"{path} holds a {config['class']}, not a {base.__name__}")
    model = klass(**{k: _decode(v) for k, v in config["params"].items()})
    model._check_params()
    model.spec_ = _spec(model)
    model.layout_ = Layout.from_dict(config["layout"])
    model.freq_ = config["freq"]
    model.multi_series_ = config["multi_series"]
    with np.load(path / "history.npz", allow_pickle=False) as npz:
        model.history_ = [
            SeriesData(sid, _array_to_index(npz[f"index_{i}"], **config["index"][i]),
                       npz[f"values_{i}"])
            for i, sid in enumerate(config["series"])
        ]
    with np.load(path / "state.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return model, config["state"], arrays


def _spec(model):
    from ..data import DataSpec

    return DataSpec.from_params(model.get_params(deep=False))
