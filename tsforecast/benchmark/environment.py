"""What a run's numbers depend on: the versions of the packages (:func:`environment`,
``environment.json``) and every option's resolved value (:func:`settings_table`, the
Settings table of ``report.md``)."""

from __future__ import annotations

import importlib.metadata
import json
import platform
from typing import Any

from .options import OPTIONS, BenchmarkConfig

__all__ = ["environment", "settings_table"]


def environment() -> dict[str, Any]:
    """Versions of Python and the packages that determine the numbers."""
    env: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    # installed versions, read without importing (Lightning alone takes seconds to import)
    for dist, key in (("tsforecast", "tsforecast"), ("torch", "torch"),
                      ("lightning", "lightning"), ("pandas", "pandas"), ("numpy", "numpy"),
                      ("scikit-learn", "sklearn"), ("statsforecast", "statsforecast"),
                      ("scipy", "scipy"), ("matplotlib", "matplotlib"),
                      ("plotly", "plotly")):
        try:
            env[key] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:  # a missing optional package
            env[key] = None
    try:
        import torch

        env["torch_threads"] = torch.get_num_threads()
        env["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:  # noqa: BLE001
        pass
    return env


def settings_table(cfg: BenchmarkConfig) -> list[str]:
    """Markdown table of every option and its resolved value (generated from
    :data:`~.options.OPTIONS`, so a new option is listed without touching the report)."""
    rows = ["| option | value |", "|---|---|"]
    for name in OPTIONS:
        value = getattr(cfg, name)
        if value is None or value == {}:
            shown = "-"
        elif isinstance(value, bool):
            shown = str(value).lower()
        elif isinstance(value, list | tuple):
            shown = ", ".join(map(str, value))
        elif isinstance(value, dict):
            shown = json.dumps(value, default=str)
        else:
            shown = str(value)
        cell = shown.replace("|", "\\|")
        rows.append(f"| {name} | {cell} |")
    return rows
