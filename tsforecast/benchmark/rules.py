"""Rules of :func:`~.options.resolve_config` that tie options together: the default
models, the holdout protocol's rules and the reference models every run includes.
Light to import (the model registry only inside functions)."""

from __future__ import annotations

from typing import Any

from .kinds import BenchmarkInputError
from .suites import SUITES

__all__ = ["add_reference_models", "check_holdout", "default_models"]


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


def check_holdout(values: dict[str, Any], suite: str | None, given: Any) -> None:
    """The holdout protocol's rules (``given``: the config as set, before defaults)."""
    if values["features"] == "M" or values["covariates"]:
        raise BenchmarkInputError("the holdout protocol scores one target (y): no covariates")
    if len(values["target"]) != 1:
        raise BenchmarkInputError(f"the holdout protocol has one target, got {values['target']}")
    if suite == "m3":
        given = [n for n in ("horizon", "mase_season") if getattr(given, n) is not None]
        if given:
            raise BenchmarkInputError(
                f"the m3 suite uses the competition's horizon and MASE season of each group "
                f"(yearly 6/1, quarterly 8/4, monthly 18/12, other 8/1); do not set {given}")


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
