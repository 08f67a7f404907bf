"""Benchmark options, declared once: :class:`BenchmarkConfig`.

Each field of :class:`BenchmarkConfig` carries an :class:`Option` in its metadata: help
text, command-line group, generic default and the :class:`~.kinds.Kind` of value
(positive integer, fraction, choice, comma-separated names, flag, devices...). Everything
else is derived from that one declaration:

* the ``tsforecast benchmark`` flags (``--max-epochs`` for ``max_epochs``; see
  :func:`tsforecast.cli.build_parser`) and their ``--help`` text;
* the keys a config file may hold (:meth:`BenchmarkConfig.from_dict` rejects others);
* the validation of :func:`resolve_config`, which keeps as explicit code only the rules
  that tie options together (suite or data files, features ``M`` only with ltsf, the
  suites' reference models, quick-mode defaults);
* the "Settings" section of ``report.md``.

Fields left at ``None`` take the suite's value (:data:`~.suites.SUITES`), else the
option's default; :func:`resolve_config` fills them in and validates everything before
any model runs, raising :class:`BenchmarkInputError` (the CLI prints it as one line and
exits 2). This module is light: ``tsforecast --help`` imports neither pandas nor torch.

Examples
--------
>>> cfg = resolve_config({"suite": "stocks", "models": "naive", "quick": True})
>>> cfg.lookback, cfg.horizon, cfg.models
(60, 5, ['naive', 'drift'])
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..training.options import TRAINING_OPTIONS
from .configfile import read_config
from .kinds import (
    BenchmarkInputError,
    Choice,
    Declared,
    Directory,
    Flag,
    Fraction,
    Integer,
    Jobs,
    Kind,
    Levels,
    ModelNames,
    ModelParams,
    Names,
    Paths,
    Seeds,
    Split,
    Text,
)
from .panel import LOOKBACK_HORIZONS
from .protocols import get_protocol, protocol_names
from .rules import add_reference_models, default_models
from .suites import SUITES

__all__ = [
    "ONCE",
    "OPTIONS",
    "QUICK",
    "BenchmarkConfig",
    "BenchmarkInputError",
    "Option",
    "config_from_cli",
    "default_models",
    "load_config_file",
    "resolve_config",
]

FEATURES = ("S", "M")
BORDERS = ("fractions", "ett")
SAVE_FORECASTS = ("auto", "all", "none")
BACKENDS = ("local", "ray")
GROUPS = ("data", "protocol", "models", "run")  # command-line groups, in --help order

#: What ``quick`` changes (only options the user did not set explicitly; with ``--quick`` on
#: the command line these keys of a config file are ignored too).
QUICK = {
    # every neural net gets the same number of optimiser steps, whatever its data's size
    # (3 epochs of the quick weather data were ~40 steps: too few for any net)
    "max_steps": 300,
    "history": {"stocks": 750, "weather": 4380, None: 5000},  # last rows (timestamps) kept
}


# -- the options -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Option:
    """One benchmark option: its help, command-line group, kind and generic default;
    ``param``: the neural forecasters' parameter it sets (a training option)."""

    help: str
    group: str
    kind: Kind
    default: Any = None
    name: str = ""  # set from the field name
    param: str | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def parse(self, value: Any) -> Any:
        """The value to use: ``value``, else the default, checked (``None`` stays ``None``)."""
        value = self.default if value is None else value
        return None if value is None else self.kind.parse(value, self.name)

    def cli_kwargs(self) -> dict[str, Any]:
        """``add_argument`` keywords of the flag (its ``dest`` is the option's name)."""
        kwargs = {"dest": self.name, "default": None, "help": self.help_text(), **self.kind.cli}
        if self.kind.choices() and "metavar" not in kwargs:
            kwargs["metavar"] = "{" + ",".join(map(str, self.kind.choices())) + "}"
        return kwargs

    def help_text(self) -> str:
        """``help`` plus the default, the suites' values and quick mode's."""
        extra = []
        if _show(self.default):
            extra.append(f"default {_show(self.default)}")
        by_suite = [f"{s} {_show(v[self.name])}" for s, v in SUITES.items() if self.name in v]
        if by_suite:
            extra.append("suites: " + ", ".join(by_suite))
        quick = QUICK.get(self.name)
        if isinstance(quick, dict):
            extra.append("quick: " + ", ".join(f"{k or 'other'} {v}" for k, v in quick.items()))
        elif quick is not None:
            extra.append(f"quick: {quick}")
        text = self.help + (f" ({'; '.join(extra)})" if extra else "")
        return text.replace("%", "%%")  # argparse formats help with %


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return "" if value is None or isinstance(value, Mapping) else str(value)


def _option(help: str, group: str, kind: Kind, default: Any = None) -> Any:
    return field(default=None, metadata={"option": Option(help, group, kind, default)})


_NO_DEFAULT = object()


def _training(param: str, note: str = "", default: Any = _NO_DEFAULT) -> Any:
    """An option that sets the neural forecasters' training option ``param``: its help,
    constraints and default come from that declaration
    (:data:`~tsforecast.training.options.TRAINING_OPTIONS`); ``note`` adds what the
    benchmark does with it, ``default`` a benchmark default of its own."""
    p = TRAINING_OPTIONS[param]
    text = "neural training: " + p.doc.rstrip(".") + (f"; {note}" if note else "")
    option = Option(text, "models", Declared(p), p.default if default is _NO_DEFAULT else default,
                    param=param)
    return field(default=None, metadata={"option": option})


@dataclass
class BenchmarkConfig:
    """Every option of a benchmark run (the CLI flags and the config-file keys).

    ``None`` means "not set": the suite's value or the option's default applies (see
    :func:`resolve_config`). The options (this list is generated from their declaration):
    """

    suite: str | None = _option(
        "a standard data set with defaults of its own (tsforecast datasets describes "
        "them); exclusive with --data", "data",
        Choice(tuple(SUITES)))
    data: list[str] | None = _option(
        "CSV or Parquet file (.parquet) with a time column and numeric columns, e.g. "
        "ETTh1.csv, or a long panel (unique_id, ds, y) for the holdout protocol (repeatable)",
        "data", Paths())
    models: list[str] | None = _option(
        "registered forecasters, comma-separated; default: every neural net and baseline, "
        "with ltsf the neural nets, naive and seasonal_naive", "models", ModelNames())
    target: list[str] | None = _option(
        "target column(s), comma-separated; CSV files: OT when present, else the last "
        "numeric column", "data", Names())
    covariates: list[str] | None = _option(
        "past covariate columns, comma-separated; used by the models that accept them",
        "data", Names())
    lookback: int | None = _option(
        "input window length in steps; holdout: when not set, "
        f"{LOOKBACK_HORIZONS} horizons of each data set "
        "(at most its median training part), series shorter than it left-padded and masked",
        "protocol", Integer(), 96)
    horizon: int | None = _option("forecast horizon in steps", "protocol", Integer(), 24)
    protocol: str | None = _option(
        "rolling: rolling-origin, original units; ltsf: the long-horizon papers' protocol, "
        "z-scored metrics; holdout: the competitions' last-horizon-rows hold-out of a long "
        "file (unique_id, ds, y), sMAPE and MASE; or a protocol registered with "
        "register_protocol", "protocol", Choice(protocol_names), "rolling")
    features: str | None = _option(
        "ltsf only: S (the target alone) or M (every numeric column)", "protocol",
        Choice(FEATURES, normalise=lambda v: str(v).upper()), "S")
    borders: str | None = _option(
        "ltsf only: fractions (--ltsf-split) or ett (12/4/4 months); when not set: ett for "
        "files named ETTh*/ETTm* (any case), else fractions", "protocol", Choice(BORDERS))
    test_fraction: float | None = _option(
        "rolling only: fraction of the common time axis held out for test", "protocol",
        Fraction(), 0.2)
    ltsf_split: list[float] | None = _option(
        "ltsf only: train, val and test fractions", "protocol", Split(), (0.7, 0.1, 0.2))
    max_epochs: int | None = _training(
        "max_epochs", "set alone, it is the whole budget (no step limit)")
    max_steps: int | None = _training(
        "max_steps", "set alone, it is the whole budget (no epoch limit); by default both "
        "limits apply", default=600)
    batch_size: int | None = _training("batch_size")
    val_fraction: float | None = _training(
        "val_fraction", "rolling only; ltsf derives it from the borders")
    accelerator: str | None = _training("accelerator")
    devices: int | str | list[int] | None = _training(
        "devices", "comma-separated on the command line (0,1)", default=1)
    precision: str | None = _training("precision")
    seed: int | None = _option("random seed of every model", "models", Integer(minimum=0), 0)
    seeds: list[int] | None = _option(
        "train every neural model once per seed, e.g. 0,1,2 (classical models are "
        "deterministic: run once, at seed); the leaderboard shows mean and sd over seeds",
        "models", Seeds())
    level: list[float] | None = _option(
        "prediction-interval levels in percent, e.g. 80 95: every model adds split-conformal "
        "intervals; the leaderboard scores coverage, width, Winkler score and CRPS",
        "models", Levels())
    output: str | None = _option(
        "output directory; when not set: benchmark-results/<name>-<YYYYmmdd-HHMMSS>", "run",
        Directory())
    overwrite: bool | None = _option(
        "replace the results in a non-empty output directory (only the files a run writes "
        "are removed); without it such a directory is refused", "run", Flag(), False)
    resume: bool | None = _option(
        "finish an interrupted run in the output directory: the (data set, model, seed) "
        "units saved in its runs/ are read back, not rerun (failed ones are rerun); the other "
        "options must be those of its config.json (models may differ)", "run", Flag(), False)
    quick: bool | None = _option(
        "small fast run: a budget of optimiser steps per neural net, shortened history, for "
        "the options not set", "run", Flag(), False)
    history: int | None = _option(
        "keep only the last N timestamps of the data", "data", Integer(minimum=2))
    id_col: str | None = _option(
        "series id column of long data, one series per id", "data", Text())
    time_col: str | None = _option("time column of CSV files", "data", Text(), "date")
    fill_missing: str | None = _option(
        "fill gaps in the data; when not set a gap is an error", "data",
        Choice(("ffill", "interpolate")))
    season_length: int | None = _option(
        "season of seasonal_naive, ets and arima; when not set: from the frequency, e.g. 24 "
        "hourly, 7 daily, 5 business days", "protocol", Integer())
    mase_season: int | None = _option(
        "season of the naive forecast that scales MASE; when not set: 1 (rolling, ltsf), the "
        "data's season (holdout, as the competitions score it)", "protocol", Integer())
    train_stride: int | None = _training("stride")
    source: str | None = _option(
        "stocks only: where load_stocks reads prices: auto, bundled or yfinance", "data",
        Text())
    tickers: list[str] | None = _option(
        "stocks only: tickers, comma-separated; when not set: all bundled tickers", "data",
        Names())
    model_params: dict[str, dict[str, Any]] | None = _option(
        "extra constructor parameters per model, e.g. "
        '\'{"lstm": {"hidden_size": 32}}\'; holdout runs: a net\'s '
        '"lookback_horizons": k looks back k horizons of each data set (also in a '
        "combination's members)", "models", ModelParams(), {})
    save_forecasts: str | None = _option(
        "forecasts written to disk: all, none, or auto: all but only every k-th cutoff of very "
        "large ltsf runs; metrics always use all", "run", Choice(SAVE_FORECASTS), "auto")
    plot_cutoffs: int | None = _option(
        "forecast windows drawn per model in the forecast plot", "run", Integer(), 3)
    progress: bool | None = _option(
        "a progress bar over the model runs on stderr; when not set: when stderr is a "
        "terminal or in a Jupyter notebook", "run", Flag())
    jobs: int | None = _option(
        "run the (data set, model, seed) units on N processes (at most the CPU count); "
        "a local model's series are split into up to 4 chunks per process, one piece of "
        "work each; results equal the serial run's", "run", Jobs(), 1)
    backend: str | None = _option(
        "where the units run: local (serial, or joblib/loky processes with --jobs) or ray "
        '(Ray tasks; pip install "tsforecast[ray]")', "run", Choice(BACKENDS), "local")
    address: str | None = _option(
        "ray only: address of an existing Ray cluster (its CPUs are the workers); when not "
        "set ray.init() starts a local one with --jobs CPUs", "run", Text())
    directional: bool | None = _option(
        "also score the direction of the forecast change vs the last observed value, for "
        "prices", "protocol", Flag(), False)
    # set by resolve_config (not options)
    required_models: list[str] | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "config") -> BenchmarkConfig:
        """Build from a mapping, rejecting unknown keys (hyphens in keys are accepted)."""
        if not isinstance(d, Mapping):
            raise BenchmarkInputError(f"{where} must be a mapping of options, got {type(d).__name__}")
        clean = {str(k).replace("-", "_"): v for k, v in d.items()}
        unknown = [str(k) for k in d if str(k).replace("-", "_") not in OPTIONS]
        if unknown:
            raise BenchmarkInputError(
                f"unknown option(s) {unknown} in {where}; valid options: {sorted(OPTIONS)}"
            )
        return cls(**clean)

    def to_dict(self, repeatable: bool = False) -> dict[str, Any]:
        """All options as JSON-friendly values; ``repeatable``: those of :data:`ONCE` at
        their defaults (the ``config.json`` of a run, which ``--config`` repeats)."""
        values = dataclasses.asdict(self)
        if repeatable:
            values.update((name, OPTIONS[name].default) for name in ONCE)
        return {name: values[name] for name in OPTIONS}

    def merged(self, other: BenchmarkConfig) -> BenchmarkConfig:
        """A copy with ``other``'s non-None options taking precedence."""
        values = {
            f.name: getattr(other, f.name) if getattr(other, f.name) is not None
            else getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name != "notes"
        }
        return BenchmarkConfig(**values, notes=[*self.notes, *other.notes])


#: Options about one invocation, not the benchmark: ``config.json`` holds their defaults, so
#: that ``--config config.json`` repeats the benchmark without replacing a folder.
ONCE = ("overwrite", "resume")

#: The options by name, in declaration order.
OPTIONS: dict[str, Option] = {
    f.name: dataclasses.replace(f.metadata["option"], name=f.name)
    for f in dataclasses.fields(BenchmarkConfig) if "option" in f.metadata
}
if BenchmarkConfig.__doc__:  # None under python -OO
    BenchmarkConfig.__doc__ += "\n    Parameters\n    ----------\n" + "".join(
        f"    {name}\n" + textwrap.fill(opt.help_text().replace("%%", "%"), 88,
                                      initial_indent=" " * 8, subsequent_indent=" " * 8) + "\n"
        for name, opt in OPTIONS.items()
    )


# -- config files and the command line ------------------------------------------------------
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
    raw = read_config(p)
    if isinstance(raw, Mapping) and set(raw) == {"benchmark"} and isinstance(raw["benchmark"], Mapping):
        raw = raw["benchmark"]
    return BenchmarkConfig.from_dict(raw, where=f"config file {str(p)!r}")


def config_from_cli(values: Mapping[str, Any], config_file: str | Path | None = None
                    ) -> BenchmarkConfig:
    """The options of a command line: its flags (``values``) over the config file's.

    With ``quick`` set on the command line the file's training budget (the keys of
    :data:`QUICK`, ``train_stride`` (a protocol's quick stride) and ``max_epochs``) is
    dropped too, so quick mode's small budget applies unless a flag sets it.
    """
    given = {k: v for k, v in values.items() if k in OPTIONS and v is not None}
    base = load_config_file(config_file) if config_file else BenchmarkConfig()
    if given.get("quick"):
        base = dataclasses.replace(base, **dict.fromkeys([*QUICK, "train_stride",
                                                          "max_epochs"]))
    return base.merged(BenchmarkConfig(**given))


# -- resolve -------------------------------------------------------------------------------
def _quick_defaults(suite: str | None, protocol) -> dict[str, Any]:
    """The values quick mode gives options that are not set (``None``: leave unset)."""
    return {
        "max_steps": QUICK["max_steps"],
        "history": QUICK["history"].get(suite, QUICK["history"][None])
        if protocol.quick_history else None,
        "train_stride": protocol.quick_train_stride,
    }


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
    notes = list(cfg.notes)
    suite = OPTIONS["suite"].parse(cfg.suite)
    preset = SUITES.get(suite, {})
    raw = {name: preset.get(name) if getattr(cfg, name) is None else getattr(cfg, name)
           for name in OPTIONS}
    protocol = get_protocol(OPTIONS["protocol"].parse(raw["protocol"]))
    quick_set = []
    if OPTIONS["quick"].parse(raw["quick"]):
        for name, value in _quick_defaults(suite, protocol).items():
            if raw[name] is None and value is not None:
                raw[name] = value
                quick_set.append(name)
    for name, value in protocol.column_defaults.items():
        raw[name] = value if raw[name] is None else raw[name]
    values = {name: opt.parse(raw[name]) for name, opt in OPTIONS.items()}
    # a budget set alone is the whole budget: the other limit's default is lifted
    if raw["max_steps"] is not None and raw["max_epochs"] is None:
        values["max_epochs"] = None
    elif raw["max_epochs"] is not None and raw["max_steps"] is None:
        values["max_steps"] = None
    if protocol.lookback_per_dataset and raw["lookback"] is None:
        values["lookback"] = None  # per data set, e.g. from its horizon (holdout._lookback)

    # -- rules that tie options together
    if suite is not None and values["data"] is not None:
        raise BenchmarkInputError(
            f"give either a suite ({suite!r}) or data files ({values['data']}), not both")
    if suite is None and values["data"] is None:
        raise BenchmarkInputError(
            f"nothing to benchmark: give a suite ({', '.join(SUITES)}) or --data FILE")
    if values["features"] == "M" and not protocol.multivariate:
        raise BenchmarkInputError(
            "features 'M' is only supported by the "
            + " or ".join(n for n in protocol_names() if get_protocol(n).multivariate)
            + " protocol")
    if suite != "stocks" and (values["source"] is not None or values["tickers"] is not None):
        raise BenchmarkInputError("source and tickers only apply to the stocks suite")
    protocol.check(values, suite, cfg)
    if values["address"] is not None and values["backend"] != "ray":
        raise BenchmarkInputError("address is the Ray cluster of backend 'ray'; set backend ray")
    if values["resume"] and values["overwrite"]:
        raise BenchmarkInputError(
            "resume and overwrite exclude each other: resume keeps the finished results in "
            "the output directory, overwrite deletes them")
    if values["resume"] and values["output"] is None:
        raise BenchmarkInputError("resume needs output: the directory of the run to finish")
    if values["models"] is None:
        values["models"] = default_models(protocol.name)
    required = add_reference_models(values, suite, notes)
    if values["quick"]:
        changed = [f"max_steps={values['max_steps']}"] if "max_steps" in quick_set else []
        if "history" in quick_set:
            changed.append(f"history shortened to the last {values['history']} timestamps")
        if "train_stride" in quick_set and values["train_stride"] > 1:
            changed.append(f"neural training windows every {values['train_stride']} steps")
        if protocol.quick_note:
            changed.append(protocol.quick_note)
        notes.append("quick mode: " + (", ".join(changed) or "all budgets set explicitly"))
    return BenchmarkConfig(**values, required_models=required, notes=notes)
