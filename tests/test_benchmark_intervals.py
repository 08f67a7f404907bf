"""--level: conformal intervals for every model and their scores in the leaderboard."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tsforecast.benchmark import BenchmarkInputError, resolve_config, run_benchmark
from tsforecast.cli import main


@pytest.fixture
def csv_path(tmp_path):
    n = 900
    t = np.arange(n)
    rng = np.random.default_rng(0)
    pd.DataFrame({
        "date": pd.date_range("2022-01-01", periods=n, freq="h"),
        "OT": np.sin(2 * np.pi * t / 24) + 0.3 * rng.normal(size=n),
    }).to_csv(tmp_path / "synth.csv", index=False)
    return tmp_path / "synth.csv"


def test_level_adds_interval_scores_for_every_model(csv_path, tmp_path):
    res = run_benchmark({"data": str(csv_path), "models": "naive,seasonal_naive,theta",
                         "horizon": 12, "lookback": 48, "level": [80, 95], "progress": False,
                         "output": str(tmp_path / "out")})
    lb = res.leaderboard.set_index("model")
    for col in ("coverage_80", "width_80", "winkler_80", "coverage_95", "width_95",
                "winkler_95", "crps"):
        assert lb[col].notna().all(), col
    assert lb["coverage_80"].between(0, 1).all() and (lb["width_95"] > lb["width_80"]).all()
    # Winkler score >= width (the penalty is never negative); CRPS below the MAE here
    assert (lb["winkler_80"] >= lb["width_80"]).all()
    assert (lb["crps"] < lb["mae"]).all()
    fc = res.forecasts
    assert {"lo80", "hi80", "lo95", "hi95"} <= set(fc.columns)
    assert (tmp_path / "out" / "plots" / "intervals_synth.png").is_file()
    assert "intervals_synth.png" in (tmp_path / "out" / "report.md").read_text()


def test_level_on_the_command_line_and_bad_values(csv_path, tmp_path, capsys):
    assert resolve_config({"data": str(csv_path), "level": "80,95"}).level == [80.0, 95.0]
    code = main(["benchmark", "--data", str(csv_path), "--models", "naive", "--level", "80",
                 "95", "--horizon", "12", "--lookback", "48", "--no-progress",
                 "--output", str(tmp_path / "cli")])
    assert code == 0
    assert "cov80" in capsys.readouterr().out
    for bad in ([0], [100], "eighty"):
        with pytest.raises(BenchmarkInputError, match="level must be percentages"):
            resolve_config({"data": str(csv_path), "level": bad})
