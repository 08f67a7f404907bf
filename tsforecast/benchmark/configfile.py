"""Config files read safely: TOML, YAML or JSON, of a bounded size, without YAML aliases.

:func:`read_config` returns the file's mapping of options; what the options mean is
:mod:`.options`' business (:func:`~.options.load_config_file`). A config file is a few
lines written by a person, so anything that could make reading it run away is refused
with a :class:`~.kinds.BenchmarkInputError` naming the file: more than
:data:`MAX_CONFIG_BYTES`, or a YAML alias (``*name`` repeats a whole value, and a few
lines of them expand beyond any memory: the "billion laughs").
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .kinds import BenchmarkInputError

__all__ = ["MAX_CONFIG_BYTES", "read_config"]

#: The largest config file read (options are a few lines; model parameters a few more).
MAX_CONFIG_BYTES = 1 << 20


def read_config(p: Path) -> Any:
    """The parsed content of config file ``p`` (``{}`` when it is empty)."""
    if not p.is_file():
        raise BenchmarkInputError(f"config file {str(p)!r} does not exist or is not a file")
    if (size := p.stat().st_size) > MAX_CONFIG_BYTES:
        raise BenchmarkInputError(
            f"config file {str(p)!r} has {size:,} bytes; a config file holds options and "
            f"may have at most {MAX_CONFIG_BYTES:,}")
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
            raw = _load_yaml(text, p) if text.strip() else {}
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
    return {} if raw is None else raw


def _load_yaml(text: str, path: Path) -> Any:
    """YAML (or JSON) read with the safe loader, refusing aliases at the first one."""
    import yaml

    class NoAliases(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                mark = event.start_mark
                raise BenchmarkInputError(
                    f"config file {str(path)!r}: line {mark.line + 1}, column "
                    f"{mark.column + 1}: YAML aliases (*{event.anchor}) are not allowed in "
                    "a config file (they can expand beyond memory); write the value out")
            return super().compose_node(parent, index)

    return yaml.load(text, Loader=NoAliases)  # a SafeLoader: plain data only
