"""Benchmark options declared once: CLI flags, help, config keys and report derived from
them; module structure (no import cycles, nothing heavy for --help)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsforecast.benchmark import (
    BenchmarkConfig,
    BenchmarkInputError,
    default_models,
    resolve_config,
    run_benchmark,
)
from tsforecast.benchmark.options import OPTIONS, QUICK, config_from_cli
from tsforecast.benchmark.report import settings_table
from tsforecast.benchmark.task import interval_metrics
from tsforecast.cli import build_parser
from tsforecast.forecasters.registry import list_forecasters

ROOT = Path(__file__).resolve().parents[1]
NOT_OPTIONS = {"required_models", "notes"}  # set by resolve_config


def _benchmark_parser():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices["benchmark"]


@pytest.fixture
def csv_path(tmp_path):
    n = 600
    t = np.arange(n)
    pd.DataFrame({
        "date": pd.date_range("2022-01-01", periods=n, freq="h"),
        "x": np.cos(2 * np.pi * t / 24),
        "OT": np.sin(2 * np.pi * t / 24) + 0.01 * t,
    }).to_csv(tmp_path / "synth.csv", index=False)
    return tmp_path / "synth.csv"


# -- one declaration -> CLI, help, config keys, report --------------------------------------
def test_every_option_is_a_flag_and_in_the_help():
    fields = {f.name for f in dataclasses.fields(BenchmarkConfig)}
    assert set(OPTIONS) == fields - NOT_OPTIONS
    bench = _benchmark_parser()
    by_dest = {a.dest: a for a in bench._actions}
    text = bench.format_help()
    for name, option in OPTIONS.items():
        flag = "--" + name.replace("_", "-")
        assert name in by_dest, f"no flag for option {name!r}"
        assert flag in by_dest[name].option_strings, (name, by_dest[name].option_strings)
        assert flag in text, flag
        assert option.help.split()[0] in text, name


@pytest.mark.parametrize(
    ("argv", "dest", "value"),
    [
        (["--max-epochs", "4"], "max_epochs", 4),
        (["--batch-size", "8"], "batch_size", 8),
        (["--time-col", "ts"], "time_col", "ts"),
        (["--test-fraction", "0.3"], "test_fraction", 0.3),
        (["--save-forecasts", "none"], "save_forecasts", "none"),
        (["--data", "a.csv", "--data", "b.csv"], "data", ["a.csv", "b.csv"]),
        (["--quick"], "quick", True),
        (["--no-progress"], "progress", False),
        (["--config", "c.toml"], "config", "c.toml"),
        (["--output", "out"], "output", "out"),
        (["--models", "naive,drift"], "models", "naive,drift"),
        (["--ltsf-split", "0.6,0.2,0.2"], "ltsf_split", "0.6,0.2,0.2"),
        (["--no-directional"], "directional", False),
    ],
)
def test_flag_names_and_dests(argv, dest, value):
    args = build_parser().parse_args(["benchmark", *argv])
    assert getattr(args, dest) == value
    unset = [k for k, v in vars(args).items() if v is not None and k not in (dest, "command")]
    assert unset == []  # flags not given stay None: the config file or default applies


def test_command_line_values_resolve_like_config_values(csv_path, tmp_path):
    argv = ["benchmark", "--data", str(csv_path), "--protocol", "ltsf", "--features", "m",
            "--ltsf-split", "0.6,0.2,0.2", "--lookback", "48", "--horizon", "12",
            "--devices", "0,1", "--seed", "3", "--val-fraction", "0", "--mase-season", "24",
            "--model-params", '{"nlinear": {"max_epochs": 2}}', "--models", "nlinear,naive",
            "--no-directional", "--plot-cutoffs", "2", "--train-stride", "2"]
    args = build_parser().parse_args(argv)
    from_cli = resolve_config(config_from_cli(vars(args)))
    toml = tmp_path / "same.toml"
    toml.write_text(
        f'data = "{csv_path.as_posix()}"\nprotocol = "ltsf"\nfeatures = "M"\n'
        "ltsf_split = [0.6, 0.2, 0.2]\nlookback = 48\nhorizon = 12\ndevices = [0, 1]\n"
        "seed = 3\nval_fraction = 0.0\nmase_season = 24\nmodels = [\"nlinear\", \"naive\"]\n"
        "directional = false\nplot-cutoffs = 2\ntrain_stride = 2\n"
        "[model_params.nlinear]\nmax_epochs = 2\n"
    )
    from_file = resolve_config(config_from_cli({}, toml))
    assert from_cli.to_dict() == from_file.to_dict()
    assert from_cli.ltsf_split == [0.6, 0.2, 0.2] and from_cli.devices == [0, 1]
    assert from_cli.model_params == {"nlinear": {"max_epochs": 2}}


def test_quick_flag_drops_the_config_files_training_budget(tmp_path, csv_path):
    toml = tmp_path / "run.toml"
    toml.write_text(f'data = "{csv_path.as_posix()}"\nmax_epochs = 10\nlookback = 24\n')
    assert resolve_config(config_from_cli({}, toml)).max_epochs == 10
    quick = resolve_config(config_from_cli({"quick": True}, toml))
    # quick: a step budget alone, the file's epoch limit dropped
    assert quick.max_steps == QUICK["max_steps"] and quick.max_epochs is None
    assert quick.lookback == 24
    flag = resolve_config(config_from_cli({"quick": True, "max_epochs": 5}, toml))
    assert flag.max_epochs == 5 and flag.max_steps == QUICK["max_steps"]  # whichever first


def test_a_budget_set_alone_lifts_the_other_default_limit(csv_path):
    steps = resolve_config({"data": str(csv_path), "max_steps": 50})
    assert steps.max_steps == 50 and steps.max_epochs is None
    epochs = resolve_config({"data": str(csv_path), "max_epochs": 4})
    assert epochs.max_epochs == 4 and epochs.max_steps is None
    both = resolve_config({"data": str(csv_path), "max_steps": 50, "max_epochs": 4})
    assert (both.max_steps, both.max_epochs) == (50, 4)
    plain = resolve_config({"data": str(csv_path)})  # defaults: whichever comes first
    assert (plain.max_steps, plain.max_epochs) == (OPTIONS["max_steps"].default,
                                                    OPTIONS["max_epochs"].default)


def test_config_keys_are_the_options():
    assert set(BenchmarkConfig().to_dict()) == set(OPTIONS)
    cfg = BenchmarkConfig.from_dict({"max-epochs": 2, "time_col": "ts"})
    assert cfg.max_epochs == 2 and cfg.time_col == "ts"
    for bad in ("epochs", "required_models", "notes"):
        with pytest.raises(BenchmarkInputError, match=r"unknown option\(s\)"):
            BenchmarkConfig.from_dict({bad: 1})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("lookback", 0), ("horizon", "x"), ("seed", -1), ("history", 1), ("max_epochs", True),
        ("test_fraction", 1.5), ("val_fraction", 1), ("ltsf_split", [0.5, 0.5]),
        ("protocol", "walkforward"), ("features", "X"), ("borders", "x"),
        ("save_forecasts", "some"), ("fill_missing", "bfill"), ("accelerator", "abacus"),
        ("precision", "8"), ("devices", "x"), ("quick", "yes"), ("progress", 1),
        ("models", 3), ("target", []), ("time_col", 5), ("data", 3),
        ("model_params", [1]), ("model_params", "{not json"), ("plot_cutoffs", 0),
    ],
)
def test_bad_values_name_the_option_and_the_value(csv_path, name, value):
    base = {} if name == "data" else {"data": str(csv_path)}
    with pytest.raises(BenchmarkInputError) as info:
        resolve_config({**base, name: value})
    msg = str(info.value)
    assert name in msg and (repr(value) in msg or str(value).upper() in msg), msg


def test_cross_option_rules(csv_path):
    with pytest.raises(BenchmarkInputError, match="not both"):
        resolve_config({"suite": "stocks", "data": str(csv_path)})
    with pytest.raises(BenchmarkInputError, match="only supported by the ltsf protocol"):
        resolve_config({"data": str(csv_path), "features": "M"})
    with pytest.raises(BenchmarkInputError, match="only apply to the stocks suite"):
        resolve_config({"data": str(csv_path), "tickers": "AAPL"})
    with pytest.raises(BenchmarkInputError, match=r"model_params\['naive'\]: unknown"):
        resolve_config({"data": str(csv_path), "model_params": {"naive": {"hidden": 1}}})
    assert default_models("rolling") == list_forecasters(tag="neural") + list_forecasters(
        tag="neural", value=False)
    assert default_models("ltsf") == [*list_forecasters(tag="neural"), "naive",
                                      "seasonal_naive"]
    cfg = resolve_config({"suite": "stocks", "models": "nlinear", "quick": True})
    assert cfg.models == ["nlinear", "naive", "drift"] and cfg.history == 750
    assert cfg.required_models == ["naive", "drift"]
    assert any(n.startswith(f"quick mode: max_steps={QUICK['max_steps']}, history")
               for n in cfg.notes)


def test_report_settings_list_every_resolved_option(csv_path, tmp_path):
    cfg = resolve_config({"data": str(csv_path), "models": "naive", "mase_season": 24,
                          "model_params": {"naive": {"horizon": 24}}})
    rows = settings_table(cfg)
    assert [r.split("|")[1].strip() for r in rows[2:]] == list(OPTIONS)
    assert "| mase_season | 24 |" in rows and "| models | naive |" in rows
    assert '| model_params | {"naive": {"horizon": 24}} |' in rows
    res = run_benchmark({"data": str(csv_path), "models": "naive", "lookback": 24,
                         "horizon": 12, "progress": False, "output": str(tmp_path / "o")})
    report = (res.output_dir / "report.md").read_text()
    settings = report.split("## Settings", 1)[1].split("## Files", 1)[0]
    for name in OPTIONS:
        value = getattr(res.config, name)
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        if value is not None and not isinstance(value, bool | dict):
            assert f"| {name} | {shown} |" in settings, name
        else:
            assert f"| {name} |" in settings, name


# -- one function each -----------------------------------------------------------------------
def test_constant_training_part_is_an_input_error(tmp_path):
    n = 300
    path = tmp_path / "flat.csv"
    y = np.r_[np.ones(240), np.arange(60.0)]
    pd.DataFrame({"date": pd.date_range("2022-01-01", periods=n, freq="h"), "OT": y}).to_csv(
        path, index=False)
    with pytest.raises(BenchmarkInputError, match=r"zero or undefined MASE scale \(constant"):
        run_benchmark({"data": str(path), "models": "naive", "lookback": 12, "horizon": 6,
                       "progress": False, "output": str(tmp_path / "o")})


def test_interval_metrics_use_the_quantile_columns():
    frame = pd.DataFrame({"series": "s", "target": "y", "cutoff": pd.Timestamp("2024-01-01"),
                          "y": [1.0, 2.0, 3.0, 4.0], "y_hat": [1.0, 2.0, 3.0, 4.0],
                          "q0.1": [0.0, 1.0, 2.0, 3.5], "q0.9": [2.0, 3.0, 4.0, 5.0],
                          "quality": [1, 1, 1, 1]})
    out = interval_metrics(frame)
    assert out["coverage"] == 1.0 and out["pinball"] > 0
    assert interval_metrics(frame.drop(columns=["q0.1", "q0.9"])) == {}


def test_resolved_config_json_round_trip(csv_path):
    cfg = resolve_config({"data": str(csv_path), "models": "naive"})
    again = resolve_config(BenchmarkConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))))
    assert again.to_dict() == cfg.to_dict()
