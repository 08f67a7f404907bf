"""Parameters declared as data, and the one place their constraints are checked.

A :class:`Param` is one option: its name, default, help text and constraints. As in
scikit-learn's ``_parameter_constraints``, the constraints are a tuple and a value is
valid when it satisfies any of them; ``None`` among them allows ``None``; an empty tuple
means the value is checked elsewhere (by the code that reads it). :func:`check_param` is
the one checker: it raises ``ValueError`` naming the parameter, what it must be and the
value given ("batch_size must be an integer >= 1, got 0").

This module imports nothing heavy: option declarations (training, benchmark) build on it,
and ``tsforecast --help`` reads them.

Examples
--------
>>> from numbers import Integral
>>> p = Param("stride", 1, "step between windows.", (Interval(Integral, 1, None),))
>>> p.check(0)
Traceback (most recent call last):
...
ValueError: stride must be an integer >= 1, got 0
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Check", "Interval", "Options", "Param", "check_int", "check_param", "describe"]


@dataclass(frozen=True)
class Interval:
    """A number of ``type`` (``numbers.Integral`` or ``numbers.Real``) between ``left`` and
    ``right`` (``None``: unbounded); ``closed`` says which ends belong to it ("left",
    "right", "both", "neither"). Booleans are never numbers here; real numbers must be
    finite."""

    type: type
    left: float | None = None
    right: float | None = None
    closed: str = "left"

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, self.type):
            return False
        if not isinstance(value, numbers.Integral) and not math.isfinite(value):
            return False
        left_in = self.closed in ("left", "both")
        right_in = self.closed in ("right", "both")
        if self.left is not None and not (value >= self.left if left_in else value > self.left):
            return False
        return self.right is None or (value <= self.right if right_in else value < self.right)

    def __str__(self) -> str:
        what = "an integer" if self.type is numbers.Integral else "a finite number"
        lo = "" if self.left is None else (">= " if self.closed in ("left", "both") else "> ")
        hi = "" if self.right is None else ("<= " if self.closed in ("right", "both") else "< ")
        if self.left is not None and self.right is not None:
            lb = "[" if lo.startswith(">=") else "("
            rb = "]" if hi.startswith("<=") else ")"
            return f"{what} in {lb}{self.left}, {self.right}{rb}"
        if self.left is not None:
            return f"{what} {lo}{self.left}"
        if self.right is not None:
            return f"{what} {hi}{self.right}"
        return what

    @property
    def cli_type(self) -> type:
        return int if self.type is numbers.Integral else float


@dataclass(frozen=True)
class Options:
    """One of ``values`` (a tuple, or a function returning it when building the tuple is
    costly); ``normalise`` maps a value before the test (``str`` for precisions: 32 is
    "32")."""

    values: tuple | Callable[[], tuple]
    normalise: Callable[[Any], Any] | None = None

    def choices(self) -> tuple:
        return self.values() if callable(self.values) else self.values

    def is_satisfied_by(self, value: Any) -> bool:
        if self.normalise is not None:
            try:
                value = self.normalise(value)
            except (TypeError, ValueError):
                return False
        try:
            return value in self.choices()
        except TypeError:  # unhashable
            return False

    def __str__(self) -> str:
        return f"one of {self.choices()}"


@dataclass(frozen=True)
class Check:
    """Any other rule: ``test(value) -> bool``, described by ``text``."""

    test: Callable[[Any], bool]
    text: str

    def is_satisfied_by(self, value: Any) -> bool:
        return bool(self.test(value))

    def __str__(self) -> str:
        return self.text


def describe(constraints: Iterable) -> str:
    """What a value must be, in words: ``"an integer >= 1 or None"``."""
    return " or ".join("None" if c is None else str(c) for c in constraints)


def check_param(name: str, value: Any, constraints: Iterable) -> Any:
    """Return ``value`` if it satisfies one of ``constraints`` (none: anything goes), else
    raise ``ValueError`` naming ``name``, the rule and ``value``."""
    constraints = tuple(constraints)
    if not constraints:
        return value
    for c in constraints:
        if (value is None) if c is None else c.is_satisfied_by(value):
            return value
    raise ValueError(f"{name} must be {describe(constraints)}, got {value!r}")


def check_int(name: str, value: Any, minimum: int = 1, allow_none: bool = False) -> Any:
    """``value`` as a Python int (``None`` with ``allow_none``) if it is an integer >=
    ``minimum``, else the :func:`check_param` error."""
    rule = (Interval(numbers.Integral, minimum, None), *((None,) if allow_none else ()))
    value = check_param(name, value, rule)
    return None if value is None else int(value)


@dataclass(frozen=True)
class Param:
    """One option: name, default (immutable: a tuple, not a list), help text and the
    constraints its value must satisfy (any of them; see :func:`check_param`)."""

    name: str
    default: Any = None
    doc: str = ""
    constraints: tuple = ()

    def check(self, value: Any) -> Any:
        """``value``, checked against the constraints (``ValueError`` naming the option)."""
        return check_param(self.name, value, self.constraints)

    @property
    def type(self) -> type | None:
        """The scalar type the constraints admit (``int``, ``float``, ``str``), for a
        command-line flag; ``None`` when they admit other things."""
        kinds = set()
        for c in self.constraints:
            if isinstance(c, Interval):
                kinds.add(c.cli_type)
            elif isinstance(c, Options) and not callable(c.values):
                kinds.update(type(v) for v in c.values if v is not None)
            elif c is not None:
                return None
        return kinds.pop() if len(kinds) == 1 else None
