"""Benchmark configuration: the options, the standard suites, config files and data loading.

A :class:`BenchmarkConfig` holds every option of ``tsforecast benchmark`` (the CLI flags
and the config-file keys are the same names). Fields left at ``None`` take the suite's or
the protocol's default; :func:`resolve_config` fills them in and validates everything
before any model runs, raising :class:`BenchmarkInputError` (the CLI turns it into a
one-line message and exit code 2).

Standard suites
---------------
``stocks``
    Bundled daily prices of all tickers (AAPL, MSFT, IBM, GOOG, FB) as several series of
    one global model (``id_col="ticker"``), target ``adj_close``, lookback 60, horizon 5,
    rolling-origin protocol; ``naive`` and ``drift`` are always included.
``weather``
    Bundled hourly Beijing weather, target ``TEMP``, lookback 168, horizon 24,
    ``fill_missing="interpolate"``; quick mode keeps the last ~6 months.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "PROTOCOLS",
    "SUITES",
    "BenchmarkConfig",
    "BenchmarkInputError",
    "Dataset",
    "load_config_file",
    "load_datasets",
    "resolve_config",
]

PROTOCOLS = ("rolling", "ltsf")
FEATURES = ("S", "M")
BORDERS = ("fractions", "ett")
SAVE_FORECASTS = ("auto", "all", "none")

#: Options of the standard suites (anything not given here takes the generic default).
SUITES: dict[str, dict[str, Any]] = {
    "stocks": {
        "protocol": "rolling",
        "target": "adj_close",
        "id_col": "ticker",
        "lookback": 60,
        "horizon": 5,
        "season_length": 5,
        "source": "bundled",
        "required_models": ["naive", "drift"],
        "directional": True,
    },
    "weather": {
        "protocol": "rolling",
        "target": "TEMP",
        "lookback": 168,
        "horizon": 24,
        "season_length": 24,
        "fill_missing": "interpolate",
    },
}

#: What ``quick`` changes (only options the user did not set explicitly; with ``--quick`` on
#: the command line these keys of a config file are ignored too).
QUICK = {
    "max_epochs": 3,
    "history": {"stocks": 750, "weather": 4380, None: 5000},  # last rows (timestamps) kept
    "train_stride": {"ltsf": 4},  # neural training-window stride in ltsf quick runs
}

DEFAULT_MAX_EPOCHS = 20


class BenchmarkInputError(ValueError):
    """Bad benchmark input (unknown suite, model, column, protocol, unreadable file...)."""


@dataclass
class BenchmarkConfig:
    """Every option of a benchmark run (the CLI flags and config-file keys).

    Parameters
    ----------
    suite : ``"stocks"`` or ``"weather"`` (bundled data); exclusive with ``data``.
    data : path(s) of CSV files with a time column and numeric columns (e.g. ETTh1.csv).
    models : registered forecaster names; default: all neural nets and all baselines
        (rolling) or the neural nets plus naive and seasonal_naive (ltsf).
    target : target column(s); suites have their own default, CSV files default to
        ``OT`` when present, else the last numeric column.
    covariates : past covariate columns (used by models that accept them).
    lookback, horizon : input window and forecast horizon in steps.
    protocol : ``"rolling"`` (rolling-origin, original units) or ``"ltsf"`` (the
        long-horizon papers' protocol, z-scored metrics).
    features : ltsf only: ``"S"`` (the target alone) or ``"M"`` (every numeric column).
    borders : ltsf only: ``"fractions"`` (split ``ltsf_split``) or ``"ett"`` (12/4/4
        months); default: ``"ett"`` for files named ``ETTh*``/``ETTm*``, else fractions.
    test_fraction : rolling only: fraction of the (common) time axis held out for test.
    ltsf_split : ltsf only: train/val/test fractions.
    max_epochs, batch_size, val_fraction : neural training budget (``val_fraction`` is
        the rolling protocol's early-stopping tail; ltsf derives it from the borders).
    accelerator, devices, precision : passed to the neural forecasters (Lightning).
    seed : random seed of every model.
    output : output directory; default ``benchmark-results/<name>-<YYYYmmdd-HHMMSS>``.
    quick : small fast run (few epochs, shortened history).
    history : keep only the last ``history`` timestamps of the data (quick sets it).
    id_col, time_col : series id column (stocks: ``ticker``) and CSV time column.
    fill_missing : ``None``, ``"ffill"`` or ``"interpolate"`` (weather: interpolate).
    season_length : season of seasonal_naive/ets/arima (stocks 5, hourly 24, ...).
    mase_season : season of the MASE scale's naive forecast (default 1).
    train_stride : step between neural training windows (default 1).
    source, tickers : stocks suite: ``load_stocks`` source (default ``"bundled"``) and
        tickers (default: all bundled tickers).
    model_params : per-model extra parameters, e.g. ``{"lstm": {"model_kwargs":
        {"hidden_size": 32}}}``.
    save_forecasts : ``"all"``, ``"none"`` or ``"auto"`` (all, except that very large
        ltsf runs keep every k-th cutoff in ``forecasts.csv``; metrics always use all).
    plot_cutoffs : forecast windows drawn per model in the forecast plot.
    progress : show the tqdm progress bar (stderr).
    directional : also score the directional accuracy of the forecast change vs the last
        observed value (for prices; on by default for the stocks suite).
    """

    suite: str | None = None
    data: list[str] | None = None
    models: list[str] | None = None
    target: list[str] | None = None
    covariates: list[str] | None = None
    lookback: int | None = None
    horizon: int | None = None
    protocol: str | None = None
    features: str | None = None
    borders: str | None = None
    test_fraction: float | None = None
    ltsf_split: list[float] | None = None
    max_epochs: int | None = None
    batch_size: int | None = None
    val_fraction: float | None = None
    accelerator: str | None = None
    devices: int | str | list[int] | None = None
    precision: str | None = None
    seed: int | None = None
    output: str | None = None
    quick: bool | None = None
    history: int | None = None
    id_col: str | None = None
    time_col: str | None = None
    fill_missing: str | None = None
    season_length: int | None = None
    mase_season: int | None = None
    train_stride: int | None = None
    source: str | None = None
    tickers: list[str] | None = None
    model_params: dict[str, dict[str, Any]] | None = None
    save_forecasts: str | None = None
    plot_cutoffs: int | None = None
    progress: bool | None = None
    directional: bool | None = None
    # set by resolve_config (not a user option)
    required_models: list[str] | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "config") -> BenchmarkConfig:
        """Build from a mapping, rejecting unknown keys (hyphens in keys are accepted)."""
        if not isinstance(d, Mapping):
            raise BenchmarkInputError(f"{where} must be a mapping of options, got {type(d).__name__}")
        known = {f.name for f in dataclasses.fields(cls)} - {"required_models", "notes"}
        clean = {}
        unknown = []
        for key, value in d.items():
            k = str(key).replace("-", "_")
            if k not in known:
                unknown.append(str(key))
            else:
                clean[k] = value
        if unknown:
            raise BenchmarkInputError(
                f"unknown option(s) {unknown} in {where}; valid options: {sorted(known)}"
            )
        return cls(**clean)

    def to_dict(self) -> dict[str, Any]:
        """All options as JSON-friendly values (the ``config.json`` of a run)."""
        out = dataclasses.asdict(self)
        out.pop("notes")
        out.pop("required_models")
        return out

    def merged(self, other: BenchmarkConfig) -> BenchmarkConfig:
        """A copy with ``other``'s non-None options taking precedence."""
        values = {
            f.name: getattr(other, f.name) if getattr(other, f.name) is not None
            else getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name != "notes"
        }
        return BenchmarkConfig(**values, notes=[*self.notes, *other.notes])


# -- config files ------------------------------------------------------------------------
def load_config_file(path: str | Path) -> BenchmarkConfig:
    """Read a TOML, YAML (or JSON) config file holding benchmark options.

    Keys are the option names of :class:`BenchmarkConfig` (the CLI flags without ``--``;
    ``max-epochs`` and ``max_epochs`` are the same). A TOML file may also put the options
    under a ``[benchmark]`` table.

    Raises
    ------
    BenchmarkInputError
        Missing or unparseable file, unknown keys.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise BenchmarkInputError(f"config file {str(p)!r} does not exist or is not a file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchmarkInputError(f"cannot read config file {str(p)!r}: {exc}") from exc
    suffix = p.suffix.lower()
    try:
        if suffix == ".toml":
            if sys.version_info >= (3, 11):
                import tomllib
            else:  # pragma: no cover
                import tomli as tomllib
            raw = tomllib.loads(text)
        elif suffix in (".yaml", ".yml", ".json"):
            import yaml

            raw = yaml.safe_load(text) if text.strip() else {}
        else:
            raise BenchmarkInputError(
                f"config file {str(p)!r}: unknown extension {p.suffix!r}; use .toml, .yaml, "
                ".yml or .json"
            )
    except BenchmarkInputError:
        raise
    except Exception as exc:  # tomllib.TOMLDecodeError, yaml.YAMLError
        msg = " ".join(str(exc).split())
        raise BenchmarkInputError(f"cannot parse config file {str(p)!r}: {msg}") from exc
    if raw is None:
        raw = {}
    if isinstance(raw, Mapping) and set(raw) == {"benchmark"} and isinstance(raw["benchmark"], Mapping):
        raw = raw["benchmark"]
    return BenchmarkConfig.from_dict(raw, where=f"config file {str(p)!r}")


# -- validation helpers --------------------------------------------------------------------
def _as_list(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",")]
    elif isinstance(value, list | tuple):
        items = [str(v).strip() for v in value]
    else:
        raise BenchmarkInputError(f"{name} must be a string or a list of strings, got {value!r}")
    items = [v for v in items if v]
    if not items:
        raise BenchmarkInputError(f"{name} is empty: {value!r}")
    return items


def _pos_int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise BenchmarkInputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _fraction(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise BenchmarkInputError(f"{name} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not 0 < v < 1:
        raise BenchmarkInputError(f"{name} must be strictly between 0 and 1, got {value!r}")
    return v


def _choice(value: Any, name: str, valid) -> Any:
    if value not in valid:
        raise BenchmarkInputError(f"unknown {name} {value!r}; valid: {list(valid)}")
    return value


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    raise BenchmarkInputError(f"{name} must be true or false, got {value!r}")


def _devices(value: Any) -> int | str | list[int]:
    if isinstance(value, str):
        v = value.strip()
        if v.isdigit():
            return int(v)
        if re.fullmatch(r"\d+(,\d+)+,?", v):
            return [int(x) for x in v.split(",") if x]
        if v == "auto":
            return v
        raise BenchmarkInputError(
            f"devices must be 'auto', a count or a comma-separated list of ids, got {value!r}"
        )
    if isinstance(value, bool):
        raise BenchmarkInputError(f"devices must be 'auto', a count or a list, got {value!r}")
    if isinstance(value, int) and value >= 1:
        return value
    if isinstance(value, list | tuple) and value and all(isinstance(v, int) for v in value):
        return list(value)
    raise BenchmarkInputError(f"devices must be 'auto', a count or a list of ids, got {value!r}")


def default_models(protocol: str) -> list[str]:
    """The models a run uses when ``models`` is not given.

    Rolling: every registered model, neural nets first. ltsf: the neural nets plus naive
    and seasonal_naive (the papers compare nets only; the two baselines keep them honest).
    """
    from ..forecasters.registry import list_forecasters

    neural = list_forecasters(tag="neural")
    if protocol == "ltsf":
        classical = set(list_forecasters(tag="neural", value=False))
        return [*neural, *(m for m in ("naive", "seasonal_naive") if m in classical)]
    return [*neural, *list_forecasters(tag="neural", value=False)]


# -- resolve -------------------------------------------------------------------------------
def resolve_config(config: BenchmarkConfig | Mapping[str, Any]) -> BenchmarkConfig:
    """Validate the options and fill in every default (suite, protocol, quick mode).

    Returns a new, fully specified config (the one written to ``config.json``); notes
    about defaults that were applied are collected in ``notes``.

    Raises
    ------
    BenchmarkInputError
        For any invalid option: unknown suite, protocol, model, feature mode...
    """
    cfg = config if isinstance(config, BenchmarkConfig) else BenchmarkConfig.from_dict(config)
    cfg = dataclasses.replace(cfg, notes=list(cfg.notes))
    notes = cfg.notes

    data = cfg.data
    if isinstance(data, str | Path):
        data = [str(data)]
    if data is not None:
        if not isinstance(data, list | tuple) or not data:
            raise BenchmarkInputError(f"data must be a path or a list of paths, got {cfg.data!r}")
        data = [str(Path(str(d)).expanduser().resolve()) for d in data]
    if cfg.suite is not None and data is not None:
        raise BenchmarkInputError(
            f"give either a suite ({cfg.suite!r}) or data files ({data}), not both"
        )
    if cfg.suite is None and data is None:
        raise BenchmarkInputError("nothing to benchmark: give a suite (stocks, weather) or --data FILE")
    suite_defaults: dict[str, Any] = {}
    if cfg.suite is not None:
        _choice(cfg.suite, "suite", list(SUITES))
        suite_defaults = SUITES[cfg.suite]

    def pick(name: str, default: Any = None) -> Any:
        value = getattr(cfg, name)
        return suite_defaults.get(name, default) if value is None else value

    protocol = _choice(pick("protocol", "rolling"), "protocol", PROTOCOLS)
    quick = _bool(pick("quick", False), "quick")
    features = _choice(str(pick("features", "S")).upper(), "features", FEATURES)
    if features == "M" and protocol != "ltsf":
        raise BenchmarkInputError("features 'M' is only supported by the ltsf protocol")
    borders = cfg.borders
    if borders is not None:
        _choice(borders, "borders", BORDERS)

    target = _as_list(pick("target"), "target")
    covariates = _as_list(cfg.covariates, "covariates")
    lookback = _pos_int(pick("lookback", 96), "lookback")
    horizon = _pos_int(pick("horizon", 24), "horizon")
    test_fraction = _fraction(pick("test_fraction", 0.2), "test_fraction")
    split = pick("ltsf_split", [0.7, 0.1, 0.2])
    if (
        not isinstance(split, list | tuple) or len(split) != 3
        or any(isinstance(f, bool) or not isinstance(f, int | float) or f < 0 for f in split)
        or abs(sum(split) - 1) > 1e-6 or split[0] <= 0 or split[2] <= 0
    ):
        raise BenchmarkInputError(
            f"ltsf_split must be three fractions (train, val, test) summing to 1, got {split!r}"
        )
    explicit_epochs = cfg.max_epochs is not None
    max_epochs = _pos_int(
        pick("max_epochs", QUICK["max_epochs"] if quick else DEFAULT_MAX_EPOCHS), "max_epochs"
    )
    batch_size = _pos_int(pick("batch_size", 256), "batch_size")
    val_fraction = pick("val_fraction", 0.1)
    try:
        val_fraction = float(val_fraction)
    except (TypeError, ValueError):
        raise BenchmarkInputError(f"val_fraction must be a number in [0, 1), got {val_fraction!r}") from None
    if not 0 <= val_fraction < 1:
        raise BenchmarkInputError(f"val_fraction must be in [0, 1), got {val_fraction!r}")

    from ..forecasters.neural import ACCELERATORS, PRECISIONS

    accelerator = _choice(str(pick("accelerator", "auto")), "accelerator", ACCELERATORS)
    precision = _choice(str(pick("precision", "32-true")), "precision", PRECISIONS)
    devices = _devices(pick("devices", 1))
    seed = _pos_int(pick("seed", 0), "seed", minimum=0)
    fill = pick("fill_missing")
    _choice(fill, "fill_missing", (None, "ffill", "interpolate"))
    season = pick("season_length")
    if season is not None:
        season = _pos_int(season, "season_length")
    mase_season = _pos_int(pick("mase_season", 1), "mase_season")
    train_stride = pick("train_stride")
    if train_stride is None and quick:
        train_stride = QUICK["train_stride"].get(protocol)
    train_stride = _pos_int(train_stride if train_stride is not None else 1, "train_stride")
    history = pick("history")
    if history is None and quick:
        history = QUICK["history"].get(cfg.suite, QUICK["history"][None])
        if protocol == "ltsf":
            history = None  # the ltsf borders are fixed; quick uses fewer epochs/windows
    if history is not None:
        history = _pos_int(history, "history", minimum=2)
    save = _choice(pick("save_forecasts", "auto"), "save_forecasts", SAVE_FORECASTS)
    plot_cutoffs = _pos_int(pick("plot_cutoffs", 3), "plot_cutoffs")
    progress = _bool(pick("progress", True), "progress")
    tickers = _as_list(cfg.tickers, "tickers")
    if cfg.suite != "stocks" and (cfg.source is not None or tickers is not None):
        raise BenchmarkInputError("source and tickers only apply to the stocks suite")
    source = pick("source") if cfg.suite == "stocks" else None
    id_col = pick("id_col")
    time_col = pick("time_col", "date")

    from ..forecasters.registry import get_forecaster, list_forecasters

    registry = list_forecasters()
    models = _as_list(cfg.models, "models")
    if models is None:
        models = default_models(protocol)
    unknown = [m for m in models if m not in registry]
    if unknown:
        raise BenchmarkInputError(
            f"unknown model(s) {unknown}; available: {sorted(registry)}"
        )
    models = list(dict.fromkeys(models))
    required = list(suite_defaults.get("required_models", []))
    if "naive" in registry:
        required = ["naive", *[m for m in required if m != "naive"]]
    added = [m for m in required if m not in models and m in registry]
    missing_req = [m for m in required if m not in registry]
    if missing_req:
        raise BenchmarkInputError(
            f"the reference model(s) {missing_req} are not registered; available: "
            f"{sorted(registry)}"
        )
    if added:
        why = (
            "a model that does not beat them must be seen not to"
            if cfg.suite == "stocks" else "naive is the reference for skill and the plots"
        )
        notes.append(f"added reference model(s) {', '.join(added)} ({why})")
        models = [*models, *added]
    if quick:
        changed = [] if explicit_epochs else [f"max_epochs={max_epochs}"]
        if cfg.history is None and history is not None:
            changed.append(f"history shortened to the last {history} timestamps")
        if cfg.train_stride is None and train_stride > 1:
            changed.append(f"neural training windows every {train_stride} steps")
        if protocol == "ltsf":
            changed.append("the ltsf borders and test windows are unchanged")
        notes.append("quick mode: " + (", ".join(changed) or "all budgets set explicitly"))

    model_params = cfg.model_params or {}
    if not isinstance(model_params, Mapping):
        raise BenchmarkInputError(f"model_params must be a mapping model -> options, got {model_params!r}")
    for name, params in model_params.items():
        if name not in registry:
            raise BenchmarkInputError(
                f"model_params: unknown model {name!r}; available: {sorted(registry)}"
            )
        if not isinstance(params, Mapping):
            raise BenchmarkInputError(f"model_params[{name!r}] must be a mapping, got {params!r}")
        valid = get_forecaster(name).param_names()
        bad = [k for k in params if k not in valid]
        if bad:
            raise BenchmarkInputError(
                f"model_params[{name!r}]: unknown parameter(s) {bad}; valid: {valid}"
            )
    output = cfg.output
    if output is not None:
        output = str(Path(str(output)).expanduser())

    return BenchmarkConfig(
        suite=cfg.suite, data=data, models=models, target=target, covariates=covariates,
        lookback=lookback, horizon=horizon, protocol=protocol, features=features,
        borders=borders, test_fraction=test_fraction, ltsf_split=[float(f) for f in split],
        max_epochs=max_epochs, batch_size=batch_size, val_fraction=val_fraction,
        accelerator=accelerator, devices=devices, precision=precision, seed=seed,
        output=output, quick=quick, history=history, id_col=id_col, time_col=time_col,
        fill_missing=fill, season_length=season, mase_season=mase_season,
        train_stride=train_stride, source=source, tickers=tickers,
        model_params={k: dict(v) for k, v in model_params.items()}, save_forecasts=save,
        plot_cutoffs=plot_cutoffs, progress=progress, required_models=required,
        directional=_bool(pick("directional", False), "directional"), notes=notes,
    )


# -- data ----------------------------------------------------------------------------------
@dataclass
class Dataset:
    """One data set of a run: the frame and how to read it.

    ``frame`` has a DatetimeIndex; with ``id_col`` it is long (one row per series and
    timestamp). ``targets`` are the target columns, ``covariates`` past covariates.
    """

    name: str
    frame: pd.DataFrame
    targets: list[str]
    covariates: list[str]
    id_col: str | None
    season_length: int
    path: str | None = None
    notes: list[str] = field(default_factory=list)


def _season_for(index: pd.Index) -> int:
    """The usual season of the sampling frequency (1 when there is none)."""
    from ..data import infer_freq
    from ..data.timeindex import season_length

    try:
        freq = infer_freq(index)
    except ValueError:
        return 1
    return season_length(freq) or 1


def _keep_last(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """Rows at the last ``n`` distinct timestamps (common to all series)."""
    stamps = frame.index.unique().sort_values()
    if len(stamps) <= n:
        return frame
    return frame[frame.index >= stamps[-n]]


def _check_columns(frame: pd.DataFrame, cols: list[str], role: str, name: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise BenchmarkInputError(
            f"{role} column(s) {missing} not found in {name}; columns: {list(frame.columns)}"
        )
    bad = [c for c in cols if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    if bad:
        raise BenchmarkInputError(f"{role} column(s) {bad} of {name} are not numeric")


def load_datasets(cfg: BenchmarkConfig) -> list[Dataset]:
    """Load and check the data sets of a resolved config.

    Raises
    ------
    BenchmarkInputError
        Unreadable CSV, unknown target/covariate/id column, too little data.
    """
    import warnings

    from .. import datasets

    out: list[Dataset] = []
    if cfg.suite == "stocks":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                frame = datasets.load_stocks(tickers=cfg.tickers, source=cfg.source)
        except (ValueError, ConnectionError) as exc:
            raise BenchmarkInputError(f"cannot load the stocks data: {exc}") from exc
        sources = [("stocks", frame, None)]
    elif cfg.suite == "weather":
        sources = [("weather", datasets.load_weather(), None)]
    else:
        sources = []
        for path in cfg.data or []:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    frame = datasets.load_csv(path, time_col=cfg.time_col)
            except ValueError as exc:
                raise BenchmarkInputError(str(exc).splitlines()[0]) from exc
            sources.append((Path(path).stem, frame, path))
    names = [s[0] for s in sources]
    for name, frame, path in sources:
        if names.count(name) > 1:
            name = f"{name}-{len(out)}"
        notes: list[str] = []
        id_col = cfg.id_col
        if id_col is not None and id_col not in frame.columns:
            raise BenchmarkInputError(
                f"id column {id_col!r} not found in {name}; columns: {list(frame.columns)}"
            )
        numeric = [
            c for c in frame.columns
            if c != id_col and pd.api.types.is_numeric_dtype(frame[c].dtype)
        ]
        covariates = list(cfg.covariates or [])
        if cfg.protocol == "ltsf" and cfg.features == "M":
            targets = [c for c in numeric if c not in covariates]
            if cfg.target:
                _check_columns(frame, cfg.target, "target", name)
                # the named target is listed first (it is the one plotted)
                targets = [*cfg.target, *[c for c in targets if c not in cfg.target]]
        elif cfg.target:
            targets = list(cfg.target)
        else:
            if not numeric:
                raise BenchmarkInputError(f"{name} has no numeric column to forecast")
            targets = ["OT"] if "OT" in numeric else [numeric[-1]]
            notes.append(f"no target given: using column {targets[0]!r}")
        _check_columns(frame, targets, "target", name)
        _check_columns(frame, covariates, "covariate", name)
        both = sorted(set(targets) & set(covariates))
        if both:
            raise BenchmarkInputError(f"column(s) {both} given as both target and covariate")
        if cfg.history is not None:
            frame = _keep_last(frame, cfg.history)
        frame = frame[([id_col] if id_col else []) + targets + covariates]
        season = cfg.season_length
        if season is None:
            first = frame if id_col is None else frame[frame[id_col] == frame[id_col].iloc[0]]
            season = _season_for(first.index)
        out.append(Dataset(name, frame, targets, covariates, id_col, season, path, notes))
    return out


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
