"""Kinds of benchmark option values: how each is read and checked.

A :class:`Kind` turns a config-file value or a command-line string into the value a run
uses, or raises :class:`BenchmarkInputError` naming the option and the bad value. Every
option of :class:`~tsforecast.benchmark.options.BenchmarkConfig` declares its kind. The
rules are :mod:`tsforecast.constraints`' (one checker, one error style); a training
option's kind is :class:`Declared`: its rule is the option's own declaration.
Light to import: no pandas, numpy or torch (the model registry is imported only to
check model names).
"""

from __future__ import annotations

import argparse
import json
import numbers
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import Any

from ..constraints import Interval, Options, Param, check_param
from ..training.options import DEVICES

__all__ = [
    "BenchmarkInputError",
    "Choice",
    "Declared",
    "Directory",
    "Flag",
    "Fraction",
    "Integer",
    "Jobs",
    "Kind",
    "ModelNames",
    "ModelParams",
    "Names",
    "Paths",
    "Seeds",
    "Split",
    "Text",
]


class BenchmarkInputError(ValueError):
    """Bad benchmark input (unknown suite, model, column, protocol, unreadable file...)."""



class Kind:
    """How the values of one kind of option are read and checked.

    ``parse(value, name)`` takes a config-file value or a command-line string and returns
    the value to use, or raises :class:`BenchmarkInputError` naming the option and value.
    ``cli`` holds the argparse arguments of its flag (an ``int`` type makes argparse
    reject ``--lookback abc`` itself).
    """

    cli: Mapping[str, Any] = {}

    def parse(self, value: Any, name: str) -> Any:
        raise NotImplementedError

    def choices(self) -> tuple:
        """Valid values shown in ``--help`` (none by default)."""
        return ()


def checked(name: str, value: Any, constraints: tuple) -> Any:
    """``value`` if it satisfies ``constraints`` (:func:`tsforecast.constraints.check_param`,
    the one checker), else its error as a :class:`BenchmarkInputError`."""
    try:
        return check_param(name, value, constraints)
    except ValueError as exc:
        raise BenchmarkInputError(str(exc)) from None


def _number(value: Any, kind: type) -> Any:
    """A command-line string as ``kind`` (int or float) where it reads as one."""
    if isinstance(value, str):
        try:
            return kind(value.strip())
        except ValueError:
            return value
    return value


@dataclass(frozen=True)
class Integer(Kind):
    minimum: int = 1
    cli = {"type": int, "metavar": "N"}

    def parse(self, value, name):
        return int(checked(name, _number(value, int), (Interval(Integral, self.minimum),)))


@dataclass(frozen=True)
class Jobs(Integer):
    """A process count from 1 to the CPU cores this process may use
    (:func:`~tsforecast.resources.cpu_cores`: never more processes than cores)."""

    def parse(self, value, name):
        from ..resources import cpu_cores

        n, cores = super().parse(value, name), cpu_cores()
        if n > cores:
            raise BenchmarkInputError(
                f"{name} must be at most the {cores} CPU core(s) of this machine, got {n}")
        return n


@dataclass(frozen=True)
class Seeds(Kind):
    """Random seeds >= 0 (``0,1,2`` on the command line), duplicates dropped."""

    cli = {"metavar": "S,S,..."}

    def parse(self, value, name):
        items = value.split(",") if isinstance(value, str) else (
            [value] if isinstance(value, numbers.Integral) else value)
        try:
            seeds = [int(str(v).strip()) for v in items]
        except (TypeError, ValueError):
            raise BenchmarkInputError(f"{name} must be integers >= 0, got {value!r}") from None
        if not seeds or min(seeds) < 0 or any(isinstance(v, bool) for v in items):
            raise BenchmarkInputError(f"{name} must be integers >= 0, got {value!r}")
        return list(dict.fromkeys(seeds))


@dataclass(frozen=True)
class Fraction(Kind):
    """A number strictly between 0 and 1, or in [0, 1) with ``zero_ok``."""

    zero_ok: bool = False
    cli = {"type": float, "metavar": "F"}

    def parse(self, value, name):
        rule = Interval(Real, 0, 1, closed="left" if self.zero_ok else "neither")
        return float(checked(name, _number(value, float), (rule,)))


@dataclass(frozen=True)
class Choice(Kind):
    """One of ``values`` (a tuple, or a function returning it when listing it is costly)."""

    values: tuple | Callable[[], tuple]
    normalise: Callable[[Any], Any] | None = None

    def choices(self) -> tuple:
        return () if callable(self.values) else self.values

    def parse(self, value, name):
        checked(name, value, (Options(self.values, self.normalise),))
        return value if self.normalise is None else self.normalise(value)


@dataclass(frozen=True)
class Declared(Kind):
    """The value of a declared option (:class:`~tsforecast.constraints.Param`: a training
    option), checked against its constraints; command-line strings are read as its type
    (and devices as ``0,1``)."""

    param: Param

    @property
    def cli(self) -> Mapping[str, Any]:
        kind = self.param.type
        if kind in (int, float):
            return {"type": kind, "metavar": "N" if kind is int else "F"}
        return {}

    def choices(self) -> tuple:
        return next((c.choices() for c in self.param.constraints
                     if isinstance(c, Options) and not callable(c.values)), ())

    def parse(self, value, name):
        if self.param.type in (int, float):
            value = _number(value, self.param.type)
        elif DEVICES in self.param.constraints:
            value = _devices(value)
        value = checked(name, value, self.param.constraints)
        normalise = next((c.normalise for c in self.param.constraints
                          if isinstance(c, Options) and c.normalise is not None), None)
        return value if normalise is None else normalise(value)


@dataclass(frozen=True)
class Names(Kind):
    """Names as a list, or one comma-separated string (the command line's form)."""

    def parse(self, value, name):
        if isinstance(value, str):
            items = [v.strip() for v in value.split(",")]
        elif isinstance(value, list | tuple):
            items = [str(v).strip() for v in value]
        else:
            raise BenchmarkInputError(
                f"{name} must be a string or a list of strings, got {value!r}")
        items = [v for v in items if v]
        if not items:
            raise BenchmarkInputError(f"{name} is empty: {value!r}")
        return items


@dataclass(frozen=True)
class ModelNames(Names):
    """Registered forecaster names (duplicates dropped)."""

    def parse(self, value, name):
        from ..forecasters.registry import is_registered, list_forecasters

        models = super().parse(value, name)
        unknown = [m for m in models if not is_registered(m)]
        if unknown:
            raise BenchmarkInputError(
                f"unknown model(s) {unknown}; available: {sorted(list_forecasters())}")
        return list(dict.fromkeys(models))


@dataclass(frozen=True)
class ModelParams(Kind):
    """``{model: {parameter: value}}``; JSON text on the command line."""

    cli = {"metavar": "JSON"}

    def parse(self, value, name):
        from ..forecasters.registry import get_forecaster, is_registered, list_forecasters

        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise BenchmarkInputError(f"{name} is not valid JSON ({exc}): {value!r}") from None
        if not isinstance(value, Mapping):
            raise BenchmarkInputError(f"{name} must be a mapping model -> options, got {value!r}")
        for model, params in value.items():
            if not is_registered(model):
                raise BenchmarkInputError(f"{name}: unknown model {model!r}; available: "
                                          f"{sorted(list_forecasters())}")
            if not isinstance(params, Mapping):
                raise BenchmarkInputError(f"{name}[{model!r}] must be a mapping, got {params!r}")
            valid = get_forecaster(model).param_names()
            if "lookback" in valid:  # a lookback in horizons of each holdout data set
                valid = [*valid, "lookback_horizons"]
            bad = [k for k in params if k not in valid]
            if bad:
                raise BenchmarkInputError(
                    f"{name}[{model!r}]: unknown parameter(s) {bad}; valid: {valid}")
        return {k: dict(v) for k, v in value.items()}


@dataclass(frozen=True)
class Levels(Kind):
    """Prediction-interval levels in percent (``--level 80 95``)."""

    cli = {"nargs": "+", "type": float, "metavar": "L"}

    def parse(self, value, name):
        levels = [value] if isinstance(value, numbers.Real) else value
        if isinstance(levels, str):
            levels = levels.replace(",", " ").split()
        try:
            levels = [float(v) for v in levels]
        except (TypeError, ValueError):
            raise BenchmarkInputError(f"{name} must be percentages in (0, 100), got {value!r}"
                                      ) from None
        bad = [v for v in levels if not 0 < v < 100]
        if not levels or bad:
            raise BenchmarkInputError(
                f"{name} must be percentages strictly between 0 and 100, got "
                f"{bad[0] if bad else value!r}")
        return sorted(set(levels))


@dataclass(frozen=True)
class Split(Kind):
    """Train/val/test fractions summing to 1 (``0.7,0.1,0.2`` on the command line)."""

    cli = {"metavar": "TRAIN,VAL,TEST"}

    def parse(self, value, name):
        split = value
        if isinstance(split, str):
            try:
                split = [float(v) for v in split.split(",")]
            except ValueError:
                pass
        if (
            not isinstance(split, list | tuple) or len(split) != 3
            or any(isinstance(f, bool) or not isinstance(f, numbers.Real) or f < 0 for f in split)
            or abs(sum(split) - 1) > 1e-6 or split[0] <= 0 or split[2] <= 0
        ):
            raise BenchmarkInputError(
                f"{name} must be three fractions (train, val, test) summing to 1, got {value!r}")
        return [float(f) for f in split]


@dataclass(frozen=True)
class Flag(Kind):
    cli = {"action": argparse.BooleanOptionalAction}

    def parse(self, value, name):
        if isinstance(value, bool):
            return value
        raise BenchmarkInputError(f"{name} must be true or false, got {value!r}")


def _devices(value: Any) -> Any:
    """Devices as a command line writes them: ``"2"`` is a count, ``"0,1"`` ids."""
    if isinstance(value, str):
        v = value.strip()
        if v.isdigit():
            return int(v)
        if re.fullmatch(r"\d+(,\d+)+,?", v):
            return [int(x) for x in v.split(",") if x]
        return v
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Text(Kind):
    def parse(self, value, name):
        if not isinstance(value, str):
            raise BenchmarkInputError(f"{name} must be a string, got {value!r}")
        return value


@dataclass(frozen=True)
class Paths(Kind):
    """File paths (made absolute); the flag may be repeated."""

    cli = {"action": "append", "metavar": "FILE"}

    def parse(self, value, name):
        if isinstance(value, str | Path):
            value = [value]
        if not isinstance(value, list | tuple) or not value:
            raise BenchmarkInputError(f"{name} must be a path or a list of paths, got {value!r}")
        return [str(Path(str(d)).expanduser().resolve()) for d in value]


@dataclass(frozen=True)
class Directory(Kind):
    cli = {"metavar": "DIR"}

    def parse(self, value, name):
        return str(Path(str(value)).expanduser())
