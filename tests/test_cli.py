"""The ``tsforecast`` command: bad input exits 2 with one line, configs, datasets, --help."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tsforecast.cli import main
from tsforecast.forecasters import MeanForecaster, get_forecaster


@pytest.fixture
def csv_path(tmp_path):
    n = 1200
    t = np.arange(n)
    rng = np.random.default_rng(1)
    pd.DataFrame({
        "date": pd.date_range("2022-01-01", periods=n, freq="h"),
        "x": np.cos(2 * np.pi * t / 24),
        "OT": np.sin(2 * np.pi * t / 24) + 0.1 * rng.normal(size=n),
    }).to_csv(tmp_path / "synth.csv", index=False)
    return tmp_path / "synth.csv"


def _one_line_error(capsys, argv, expect: str) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith("tsforecast: error:") and expect in err, err
    return err


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["--suite", "crypto"], "suite must be one of"),
        (["--suite", "stocks", "--models", "naive,prophet"], "unknown model(s) ['prophet']"),
        (["--suite", "stocks", "--target", "price"], "target column(s) ['price'] not found"),
        (["--suite", "weather", "--covariates", "wind"], "covariate column(s) ['wind']"),
        (["--suite", "stocks", "--protocol", "walkforward"], "got 'walkforward'"),
        (["--suite", "stocks", "--lookback", "abc"], "invalid int value: 'abc'"),
        (["--suite", "stocks", "--lookback", "0"], "lookback must be an integer >= 1"),
        (["--suite", "stocks", "--accelerator", "abacus"], "got 'abacus'"),
        (["--suite", "stocks", "--unknown-flag"], "unrecognized arguments"),
        ([], "nothing to benchmark"),
        (["--suite", "stocks", "--resume", "--overwrite", "--output", "o"],
         "resume and overwrite exclude each other"),
        (["--suite", "stocks", "--resume"], "resume needs output"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, args, expect):
    _one_line_error(capsys, ["benchmark", *args], expect)


def test_bad_files_exit_2(capsys, tmp_path, csv_path):
    _one_line_error(capsys, ["benchmark", "--data", str(tmp_path / "missing.csv")],
                    "does not exist")
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\x00\xff\xfe binary \x00\n\x01")
    _one_line_error(capsys, ["benchmark", "--data", str(garbage)], "garbage.csv")
    _one_line_error(capsys, ["benchmark", "--data", str(csv_path), "--horizon", "300",
                             "--models", "naive", "--output", str(tmp_path / "o")],
                    "horizon 300 is longer than the test segment")
    _one_line_error(capsys, ["benchmark", "--data", str(csv_path), "--protocol", "ltsf",
                             "--horizon", "300", "--models", "naive"],
                    "horizon 300 is longer than the test segment")
    _one_line_error(capsys, ["benchmark", "--data", str(csv_path), "--target", "nope"],
                    "target column(s) ['nope'] not found")
    _one_line_error(capsys, ["benchmark", "--data", str(csv_path), "--models", "naive",
                             "--output", str(tmp_path)], "is not empty")
    bad = tmp_path / "bad.toml"
    bad.write_text('suite = "stocks"\nepochs = 3\n')
    _one_line_error(capsys, ["benchmark", "--config", str(bad)], "unknown option(s) ['epochs']")
    broken = tmp_path / "broken.yaml"
    broken.write_text("suite: [stocks\n")
    _one_line_error(capsys, ["benchmark", "--config", str(broken)], "cannot parse config file")


def test_config_files_toml_and_yaml_with_cli_override(capsys, tmp_path, csv_path):
    toml = tmp_path / "run.toml"
    toml.write_text(
        f'data = "{csv_path.as_posix()}"\nmodels = ["naive", "mean"]\nlookback = 24\n'
        f'horizon = 12\nprogress = false\noutput = "{(tmp_path / "t").as_posix()}"\n'
    )
    assert main(["benchmark", "--config", str(toml)]) == 0
    out = capsys.readouterr().out
    assert "== synth ==" in out and "naive" in out and "mean" in out
    assert (tmp_path / "t" / "leaderboard.csv").is_file()
    yaml_file = tmp_path / "run.yaml"
    yaml_file.write_text(
        f"data: {csv_path.as_posix()}\nmodels: naive\nmax-epochs: 1\nlookback: 24\n"
        f"horizon: 12\nprogress: false\n"
    )
    code = main(["benchmark", "--config", str(yaml_file), "--horizon", "6",
                 "--output", str(tmp_path / "y")])
    assert code == 0, capsys.readouterr().err
    cfg = json.loads((tmp_path / "y" / "config.json").read_text())
    assert cfg["horizon"] == 6 and cfg["lookback"] == 24 and cfg["max_epochs"] == 1
    # the written config.json repeats the run
    assert main(["benchmark", "--config", str(tmp_path / "y" / "config.json"),
                 "--output", str(tmp_path / "z")]) == 0
    a = pd.read_csv(tmp_path / "y" / "leaderboard.csv")
    b = pd.read_csv(tmp_path / "z" / "leaderboard.csv")
    pd.testing.assert_series_equal(a["mase"], b["mase"])


def test_interrupt_exits_130_with_partial_results(monkeypatch, capsys, tmp_path, csv_path):
    def interrupt(self, data, y=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(MeanForecaster, "fit", interrupt)
    code = main(["benchmark", "--data", str(csv_path), "--models", "naive,mean", "--lookback",
                 "24", "--horizon", "12", "--output", str(tmp_path / "o"), "--no-progress"])
    assert code == 130
    assert "interrupted" in capsys.readouterr().err
    assert list(pd.read_csv(tmp_path / "o" / "leaderboard.csv")["model"]) == ["naive"]


def test_datasets_lists_every_suites_data_under_the_suite_name(capsys):
    from tsforecast.benchmark.suites import SUITES

    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    headings = [line.split(":")[0] for line in out.splitlines() if not line.startswith(" ")]
    assert headings == list(SUITES)  # m3 and tourism too; weather, not beijing_weather
    for suite in SUITES:
        assert f"--suite {suite} " in out
    assert "load_m3()" in out and "load_tourism()" in out and "beijing" not in out.split(":")[0]


def test_benchmark_help_names_only_what_exists(capsys):
    """Every identifier the help mentions is an option, a model, a parameter a model
    accepts, a function of the package or a column of a suite's data: no stale names
    (a removed parameter, a renamed option)."""
    import re

    import tsforecast.benchmark
    import tsforecast.datasets
    from tsforecast.benchmark.options import OPTIONS, BenchmarkInputError
    from tsforecast.datasets import list_datasets
    from tsforecast.forecasters import list_forecasters

    assert main(["benchmark", "--help"]) == 0
    text = capsys.readouterr().out
    columns = {c for cols in list_datasets()["columns"] for c in cols.split(", ")}
    known = {*OPTIONS, *list_forecasters(), *dir(tsforecast.benchmark),
             *dir(tsforecast.datasets), *columns}

    def model_parameter(name: str) -> bool:
        for model in list_forecasters():
            try:
                OPTIONS["model_params"].parse({model: {name: None}})
            except BenchmarkInputError:
                continue
            return True
        return False

    names = set(re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", text))
    assert names, "the help names no parameters at all"
    assert [n for n in sorted(names) if n not in known and not model_parameter(n)] == []


def test_nothing_to_benchmark_names_every_suite(capsys):
    from tsforecast.benchmark.suites import SUITES

    assert main(["benchmark"]) == 2
    err = capsys.readouterr().err
    assert "nothing to benchmark" in err and all(suite in err for suite in SUITES)


def test_python_m_tsforecast_help():
    proc = subprocess.run([sys.executable, "-m", "tsforecast", "--help"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and "benchmark" in proc.stdout and "datasets" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "tsforecast", "benchmark", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "--quick" in proc.stdout and "--protocol" in proc.stdout


def _tsforecast(*args):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # one write per line: the pipe breaks early
    return [sys.executable, "-m", "tsforecast", *args], env


def test_a_closed_stdout_pipe_exits_quietly():
    cmd, env = _tsforecast("datasets")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()  # the reader is gone before the first line is written
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 141, err  # 128 + SIGPIPE, like a C tool killed by it
    assert err == "", err
    # the everyday form: `tsforecast datasets | head -1`
    shell = f"{shlex.join(cmd)} | head -1"
    out = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.startswith("stocks:"), out
    assert out.stdout.count("\n") == 1 and out.stderr == "", out.stderr


@pytest.mark.parametrize("failing", [["mean"], ["naive", "mean"]])
def test_a_failed_model_exits_1_with_a_summary_line(monkeypatch, capsys, tmp_path, csv_path,
                                                    failing):
    def boom(self, data, y=None):
        raise RuntimeError("boom in fit")

    for name in failing:
        monkeypatch.setattr(get_forecaster(name), "fit", boom)
    code = main(["benchmark", "--data", str(csv_path), "--models", "naive,mean", "--lookback",
                 "24", "--horizon", "12", "--output", str(tmp_path / "o"), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 1, captured.err
    summary = [ln for ln in captured.err.splitlines() if "failed" in ln]
    assert len(summary) == 1, captured.err
    assert all(f"synth/{m}" in summary[0] for m in failing), summary
    assert f"{len(failing)} of 2 model run(s) failed" in summary[0], summary
    lb = pd.read_csv(tmp_path / "o" / "leaderboard.csv")  # still written
    assert sorted(lb["model"]) == ["mean", "naive"]
    assert "== synth ==" in captured.out
