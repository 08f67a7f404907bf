"""The committed m3 config resolves to the m3 suite's holdout protocol."""

from __future__ import annotations

from pathlib import Path

from tsforecast.benchmark import load_config_file, resolve_config

CONFIG = Path(__file__).resolve().parents[1] / "benchmarks" / "configs" / "m3.toml"


def test_m3_config_resolves():
    cfg = resolve_config(load_config_file(CONFIG))
    assert (cfg.suite, cfg.protocol, cfg.jobs, cfg.backend) == ("m3", "holdout", 1, "local")
    assert cfg.models[:2] == ["naive", "seasonal_naive"]
