"""Rules of :func:`~.options.resolve_config` that tie options together: the default
models and the reference models every run includes (a protocol's own rules:
:meth:`~.protocols.base.Protocol.check`).
Light to import (the model registry only inside functions)."""

from __future__ import annotations

from typing import Any

from .kinds import BenchmarkInputError
from .protocols import get_protocol
from .suites import SUITES

__all__ = ["add_reference_models", "default_models"]


def default_models(protocol: str) -> list[str]:
    """The models a run uses when ``models`` is not given: every neural net, then the
    protocol's classical models (its ``default_classical``; default: every one)."""
    from ..forecasters.registry import list_forecasters

    neural = list_forecasters(tag="neural")
    classical = list_forecasters(tag="neural", value=False)
    chosen = get_protocol(protocol).default_classical
    if chosen is not None:
        classical = [m for m in chosen if m in set(classical)]
    return [*neural, *classical]


def add_reference_models(values: dict[str, Any], suite: str | None, notes: list[str]
                          ) -> list[str]:
    """Add naive (the reference of skill and plots) and the suite's required models to
    ``values["models"]``; return the required ones."""
    from ..forecasters.registry import is_registered, list_forecasters

    required = list(SUITES.get(suite, {}).get("required_models", []))
    if is_registered("naive"):
        required = ["naive", *[m for m in required if m != "naive"]]
    missing = [m for m in required if not is_registered(m)]
    if missing:
        raise BenchmarkInputError(f"the reference model(s) {missing} are not registered; "
                                  f"available: {sorted(list_forecasters())}")
    added = [m for m in required if m not in values["models"]]
    if added:
        why = (
            "a model that does not beat them must be seen not to"
            if suite == "stocks" else "naive is the reference for skill and the plots"
        )
        notes.append(f"added reference model(s) {', '.join(added)} ({why})")
        values["models"] = [*values["models"], *added]
    return required
