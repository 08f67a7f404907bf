"""The one registry of forecasters: name -> class.

Classical forecasters register with the :func:`register` decorator in their own module;
neural forecasters are registered by their net (``@register_net`` in
:mod:`tsforecast.nets`), so adding a model never means editing a list here. Lookups import
the model families lazily: asking for ``"naive"`` never imports torch.

The public names ``tsforecast.<Name>Forecaster`` are the registered classes' own names
(:func:`public_names`, :func:`get_forecaster_class`): a model registered at runtime is
reachable as ``tsforecast.<its class name>`` too.

Examples
--------
>>> from tsforecast.forecasters.registry import get_forecaster
>>> get_forecaster("naive").__name__
'NaiveForecaster'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = [
    "FORECASTERS",
    "get_forecaster",
    "get_forecaster_class",
    "list_forecasters",
    "make_forecaster",
    "public_names",
    "register",
    "unregister",
]

#: Modules whose import registers forecasters, cheapest first.
_CLASSICAL_MODULES = (
    "tsforecast.forecasters.naive",
    "tsforecast.forecasters.regression",
    "tsforecast.forecasters.statistical",
    "tsforecast.forecasters.combination",
)
_NEURAL_MODULE = "tsforecast.forecasters.neural"

_REGISTRY: dict[str, type] = {}


def register(name: str) -> Callable[[type], type]:
    """Class decorator: make a forecaster available as ``make_forecaster(name)``."""

    def wrap(cls: type) -> type:
        known = _REGISTRY.get(name)
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise ValueError(f"forecaster name {name!r} is already taken by {known.__name__}")
        twins = [n for n, c in _REGISTRY.items() if c.__name__ == cls.__name__ and n != name]
        if twins:
            raise ValueError(f"class name {cls.__name__!r} (the public name "
                             f"tsforecast.{cls.__name__}) is already taken by {twins[0]!r}")
        _REGISTRY[name] = cls
        cls.registry_name = name
        return cls

    return wrap


def unregister(name: str) -> None:
    """Remove ``name`` (tests that register a model for their own duration use it)."""
    _REGISTRY.pop(name, None)


def _load(neural: bool) -> None:
    for module in _CLASSICAL_MODULES:
        importlib.import_module(module)
    if neural:
        importlib.import_module(_NEURAL_MODULE).register_all()


def get_forecaster(name: str) -> type:
    """The forecaster class registered as ``name`` (``ValueError`` naming the choices)."""
    if not is_registered(name):
        raise ValueError(f"unknown forecaster {name!r}; available: {list_forecasters()}")
    return _REGISTRY[name]


def is_registered(name: str) -> bool:
    """Whether ``name`` is a forecaster; the neural module (and Lightning with it) is imported
    only when ``name`` is not a classical model."""
    if name not in _REGISTRY:
        _load(neural=False)
    if name not in _REGISTRY:
        _load(neural=True)
    return name in _REGISTRY


def list_forecasters(tag: str | None = None, value: Any = True) -> list[str]:
    """Registered names, neural nets first, each group alphabetical (an order that does not
    depend on which module happened to be imported first); optionally only those whose
    ``tag`` equals ``value``.

    Examples
    --------
    >>> "naive" in list_forecasters(tag="neural", value=False)
    True
    """
    _load(neural=True)
    names = sorted(_REGISTRY, key=lambda n: (not _REGISTRY[n].get_tag("neural"), n))
    if tag is None:
        return names
    return [n for n in names if _REGISTRY[n].get_tag(tag) == value]


def public_names() -> list[str]:
    """The public class name of every registered forecaster, in :func:`list_forecasters`
    order: each is ``tsforecast.<name>`` (imports the neural module, hence torch)."""
    return [_REGISTRY[n].__name__ for n in list_forecasters()]


def get_forecaster_class(class_name: str) -> type:
    """The registered forecaster whose class is called ``class_name`` (``KeyError`` when
    none is); a classical class is found without importing torch.

    Examples
    --------
    >>> get_forecaster_class("NaiveForecaster").registry_name
    'naive'
    """
    for neural in (False, True):
        _load(neural=neural)
        for cls in _REGISTRY.values():
            if cls.__name__ == class_name:
                return cls
    raise KeyError(class_name)


def make_forecaster(name: str, **params):
    """Build a registered forecaster by name.

    Examples
    --------
    >>> make_forecaster("naive", horizon=12).horizon
    12
    """
    klass = get_forecaster(name)
    try:
        return klass(**params)
    except TypeError as exc:
        raise TypeError(f"{name!r} ({klass.__name__}): {exc}") from exc


class _Forecasters(Mapping):
    """Read-only ``name -> class`` view of the registry (the old ``FORECASTERS`` dict)."""

    def __getitem__(self, name: str) -> type:
        try:
            return get_forecaster(name)
        except ValueError:
            raise KeyError(name) from None

    def __iter__(self) -> Iterator[str]:
        return iter(list_forecasters())

    def __len__(self) -> int:
        return len(list_forecasters())

    def __repr__(self) -> str:
        return f"FORECASTERS({list_forecasters()})"


FORECASTERS: Mapping[str, type] = _Forecasters()
