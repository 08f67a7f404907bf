"""The benchmark's protocols, found by name: the only place a protocol's name is looked up.

Each protocol is a :class:`~.base.Protocol` in a module of its own (:mod:`.rolling`,
:mod:`.ltsf`, :mod:`.holdout`); the built-in ones are registered below by module, imported
when first asked for (``tsforecast --help`` needs only their names). Adding one::

    from tsforecast.benchmark.protocols import register_protocol
    from tsforecast.benchmark.protocols.base import Protocol

    class Expanding(Protocol):
        name = "expanding"
        ...

    register_protocol(Expanding())
    run_benchmark({"protocol": "expanding", ...})   # tsforecast benchmark --protocol expanding
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import Protocol

__all__ = ["get_protocol", "prepare_task", "protocol_names", "register_protocol",
           "unregister_protocol"]

#: The registry: a protocol object, or the module (under this package) whose ``PROTOCOL``
#: it is, imported on first use. The built-in protocols, one registration each.
_REGISTRY: dict[str, Any] = {
    "rolling": ".rolling",
    "ltsf": ".ltsf",
    "holdout": ".holdout",
}


def register_protocol(protocol: Protocol) -> Protocol:
    """Make ``protocol`` available as ``protocol=protocol.name`` (``--protocol``)."""
    name = getattr(protocol, "name", "")
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"a protocol needs a name usable as --protocol, got {name!r}")
    if name in _REGISTRY:
        raise ValueError(f"protocol {name!r} is already registered")
    _REGISTRY[name] = protocol
    return protocol


def unregister_protocol(name: str) -> None:
    """Remove protocol ``name`` (tests that register their own)."""
    _REGISTRY.pop(name)


def protocol_names() -> tuple[str, ...]:
    """The registered protocols' names, built-in ones first (imports none of them)."""
    return tuple(_REGISTRY)


def get_protocol(name: str) -> Protocol:
    """The protocol registered as ``name``."""
    entry = _REGISTRY.get(name)
    if entry is None:
        raise ValueError(f"unknown protocol {name!r}; registered: {', '.join(_REGISTRY)}")
    if isinstance(entry, str):
        entry = _REGISTRY[name] = importlib.import_module(entry, __name__).PROTOCOL
    return entry


def prepare_task(ds, cfg, min_train_rows: int):
    """Prepare data set ``ds`` for the configured protocol (:meth:`.base.Protocol.prepare`)."""
    return get_protocol(cfg.protocol).prepare(ds, cfg, min_train_rows)
