"""Benchmark harness: protocols, outputs, failures, interrupts, determinism (tiny, offline)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tsforecast.benchmark import (
    BenchmarkConfig,
    BenchmarkInputError,
    BenchmarkInterrupted,
    load_config_file,
    resolve_config,
    run_benchmark,
)
from tsforecast.benchmark.datasets import load_datasets
from tsforecast.benchmark.options import QUICK
from tsforecast.benchmark.protocols.ltsf import ltsf_borders, prepare_ltsf
from tsforecast.datasets import load_stocks
from tsforecast.forecasters import DriftForecaster, NLinearForecaster

TINY = {"max_epochs": 1, "batch_size": 64, "progress": False, "accelerator": "cpu"}


def synthetic_csv(path, n=1500, seed=0):
    """Hourly ``date`` + three numeric columns (a daily cycle, a trend, noise)."""
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "date": pd.date_range("2021-01-01", periods=n, freq="h"),
        "a": np.sin(2 * np.pi * t / 24) + 0.1 * rng.normal(size=n),
        "b": 2 * np.cos(2 * np.pi * t / 24) + 5 + 0.1 * rng.normal(size=n),
        "OT": 0.01 * t + np.sin(2 * np.pi * t / 24) + 0.2 * rng.normal(size=n),
    })
    df.to_csv(path, index=False)
    return df


def read_forecasts(out):
    """forecasts.parquet when pyarrow is installed, else forecasts.csv."""
    if (out / "forecasts.parquet").is_file():
        return pd.read_parquet(out / "forecasts.parquet")
    return pd.read_csv(out / "forecasts.csv")


@pytest.fixture(scope="module")
def stocks_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("stocks")
    cfg = {"suite": "stocks", "quick": True, "models": "nlinear", "output": str(out), **TINY}
    return run_benchmark(cfg)


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "synth.csv"
    synthetic_csv(path)
    return path


# -- rolling on the bundled stocks --------------------------------------------------------
def test_stocks_quick_writes_every_output(stocks_run):
    out = stocks_run.output_dir
    assert (out / "forecasts.csv").is_file() or (out / "forecasts.parquet").is_file()
    for name in ("leaderboard.csv", "leaderboard.json", "leaderboard.md",
                 "report.md", "config.json", "environment.json", "metrics_by_series.csv",
                 "plots/forecasts_stocks.png", "plots/leaderboard_stocks.png"):
        assert (out / name).is_file(), name
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["suite"] == "stocks" and cfg["lookback"] == 60 and cfg["horizon"] == 5
    assert cfg["target"] == ["adj_close"] and cfg["max_epochs"] == 1 and cfg["quick"] is True
    env = json.loads((out / "environment.json").read_text())
    assert {"python", "tsforecast", "torch", "lightning", "pandas", "numpy", "sklearn",
            "statsforecast"} <= set(env)
    report = (out / "report.md").read_text()
    assert "| rank | model | mase" in report and "plots/forecasts_stocks.png" in report
    assert "beat" in report and "FB" in report  # the skipped series is explained
    lb_json = json.loads((out / "leaderboard.json").read_text())
    assert {r["model"] for r in lb_json["rows"]} == {"nlinear", "naive", "drift"}
    on_disk = read_forecasts(out)
    assert len(on_disk) == len(stocks_run.forecasts)
    assert list(on_disk.columns[:9]) == ["dataset", "series", "model", "target", "cutoff",
                                         "timestamp", "step", "y", "y_hat"]


def test_stocks_adds_naive_and_drift_and_skips_short_series(stocks_run):
    lb = stocks_run.leaderboard
    assert set(lb["model"]) == {"nlinear", "naive", "drift"}
    assert lb["error"].isna().all()
    assert any("added reference model" in n and "drift" in n for n in stocks_run.notes)
    assert any("skipped series FB" in n for n in stocks_run.notes)
    assert set(stocks_run.forecasts["series"]) == {"AAPL", "MSFT", "IBM", "GOOG"}
    assert {"mase", "mae", "rmse", "smape", "skill", "directional_accuracy", "dm_pvalue",
            "fit_seconds", "predict_seconds", "train_windows_per_second", "n_parameters",
            "error"} <= set(lb.columns)
    nl = lb.set_index("model").loc["nlinear"]
    assert nl["n_parameters"] > 0 and nl["train_windows_per_second"] > 0
    # ranked by MASE, ties shared (NLinear may keep its random-walk start: naive's forecast)
    assert lb["rank"].tolist() == lb["mase"].rank(method="min").tolist()
    assert lb["rank"].min() == 1 and lb["dm_pvalue"].isna().sum() == 1
    assert (lb.loc[lb["dm_pvalue"].isna(), "rank"] == 1).all()  # the reference is a best
    others = lb["dm_pvalue"].dropna()
    assert len(others) == 2 and ((others >= 0) & (others <= 1)).all()


def test_every_model_has_the_same_cutoffs(stocks_run):
    fc = stocks_run.forecasts
    windows = {
        m: set(map(tuple, g[["series", "cutoff"]].drop_duplicates().to_numpy()))
        for m, g in fc.groupby("model")
    }
    first = next(iter(windows.values()))
    assert all(w == first for w in windows.values())
    rows = fc.groupby("model").size()
    assert (rows == len(first) * 5).all()  # horizon 5, one target
    # stride = horizon: consecutive windows of a series never overlap
    aapl = fc[(fc.model == "naive") & (fc.series == "AAPL")]
    assert not aapl["timestamp"].duplicated().any()


def test_naive_mase_skill_and_direction_by_hand(stocks_run):
    fc = stocks_run.forecasts
    naive = fc[fc.model == "naive"]
    test_start = pd.Timestamp(naive["timestamp"].min())
    data = load_stocks(source="bundled")
    data = data[data.index >= data.index.unique().sort_values()[-750]]  # quick history
    abs_scaled = []
    for sid, g in naive.groupby("series"):
        s = data.loc[data.ticker == sid, "adj_close"]
        train = s[s.index < test_start].to_numpy(np.float32).astype(float)
        scale = np.mean(np.abs(np.diff(train)))
        abs_scaled.append(np.abs(g["y"] - g["y_hat"]) / scale)
    mase = float(np.mean(np.concatenate(abs_scaled)))
    lb = stocks_run.leaderboard.set_index("model")
    assert lb.at["naive", "mase"] == pytest.approx(mase, rel=1e-9)
    assert lb.at["naive", "skill"] == 0.0
    mae = np.mean(np.abs(naive["y"] - naive["y_hat"]))
    assert lb.at["naive", "mae"] == pytest.approx(mae, rel=1e-12)
    assert lb.at["drift", "skill"] == pytest.approx(1 - lb.at["drift", "mae"] / mae)
    # naive forecasts "no change": never the right direction when the price moved
    assert lb.at["naive", "directional_accuracy"] == 0.0


# -- ltsf -----------------------------------------------------------------------------------
@pytest.mark.parametrize("features", ["S", "M"])
def test_ltsf_keeps_every_test_window_and_scores_z_values(features, csv_path, tmp_path):
    raw = pd.read_csv(csv_path, parse_dates=["date"]).set_index("date")
    H, L = 24, 48
    res = run_benchmark({
        "data": str(csv_path), "protocol": "ltsf", "features": features, "target": "OT",
        "lookback": L, "horizon": H, "models": ["naive"], "output": str(tmp_path / "o"), **TINY,
    })
    n = len(raw)
    n_train, n_test = int(n * 0.7), int(n * 0.2)
    test_start = n - n_test
    fc = res.forecasts
    assert fc["cutoff"].nunique() == n_test - H + 1  # stride 1, none dropped
    cols = ["OT"] if features == "S" else ["OT", "a", "b"]
    assert sorted(fc["target"].unique()) == sorted(cols)
    assert len(fc) == (n_test - H + 1) * H * len(cols)
    # by hand: z-score with the training rows' statistics, naive = last value at each cutoff
    z = (raw[cols] - raw[cols].iloc[:n_train].mean()) / raw[cols].iloc[:n_train].std(ddof=0)
    origins = np.arange(test_start, n - H + 1)
    zv = z.to_numpy()
    y = zv[origins[:, None] + np.arange(H)]  # [windows, H, cols]
    y_hat = np.repeat(zv[origins - 1][:, None, :], H, axis=1)
    lb = res.leaderboard.set_index("model")
    assert lb.at["naive", "mse"] == pytest.approx(np.mean((y - y_hat) ** 2), rel=1e-5)
    assert lb.at["naive", "mae"] == pytest.approx(np.mean(np.abs(y - y_hat)), rel=1e-5)
    assert "mse" in res.leaderboard.columns and "mase" not in res.leaderboard.columns


def test_ltsf_borders_and_exact_validation_windows(csv_path):
    cfg = resolve_config({"data": str(csv_path), "protocol": "ltsf", "lookback": 48,
                          "horizon": 24, "models": ["naive"]})
    assert ltsf_borders(17420, "ETTh1.csv", cfg)[:3] == (8640, 11520, 14400)
    assert ltsf_borders(69680, "/x/ETTm2.csv", cfg)[:3] == (34560, 46080, 57600)
    assert ltsf_borders(1000, "other.csv", cfg)[:3] == (700, 800, 1000)
    with pytest.raises(BenchmarkInputError, match="ETT borders"):
        ltsf_borders(5000, "ETTh1.csv", cfg)
    task = prepare_ltsf(load_datasets(cfg)[0], cfg)
    train_end, val_end = task.borders["train_end"], task.borders["val_end"]
    # NeuralForecaster's validation start with this val_fraction == the val segment's start
    n, L, H = val_end, 48, 24
    n_val_windows = int((n - L - H + 1) * task.val_fraction)
    assert n - H + 1 - n_val_windows == train_end
    assert abs(task.fit_data["OT"].iloc[:train_end].mean()) < 1e-9  # z-scored on train


# -- failures, interrupts, determinism --------------------------------------------------------
def test_a_failing_model_is_reported_and_the_rest_complete(monkeypatch, csv_path, tmp_path):
    def boom(self, data, y=None):
        raise RuntimeError("boom in fit")

    monkeypatch.setattr(DriftForecaster, "fit", boom)
    res = run_benchmark({"data": str(csv_path), "lookback": 24, "horizon": 12,
                         "models": ["naive", "drift", "mean"], "output": str(tmp_path / "out"),
                         **TINY})
    lb = res.leaderboard.set_index("model")
    assert "boom in fit" in lb.at["drift", "error"] and pd.isna(lb.at["drift", "rank"])
    assert np.isnan(lb.at["drift", "mase"])
    assert lb.loc[["naive", "mean"], "error"].isna().all()
    assert lb.loc[["naive", "mean"], "mase"].notna().all()
    assert "boom in fit" in (tmp_path / "out" / "report.md").read_text()
    assert "boom in fit" in pd.read_csv(tmp_path / "out" / "leaderboard.csv").to_string()
    assert (tmp_path / "out" / "errors.log").is_file()
    assert set(res.forecasts["model"]) == {"naive", "mean"}


def test_keyboard_interrupt_keeps_finished_results(monkeypatch, csv_path, tmp_path):
    def interrupt(self, data, y=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(NLinearForecaster, "fit", interrupt)
    with pytest.raises(BenchmarkInterrupted) as info:
        run_benchmark({"data": str(csv_path), "lookback": 24, "horizon": 12,
                       "models": ["naive", "mean", "nlinear", "drift"],
                       "output": str(tmp_path / "out"), **TINY})
    res = info.value.result
    assert res.interrupted and [r.model for r in res.results] == ["naive", "mean"]
    lb = pd.read_csv(tmp_path / "out" / "leaderboard.csv")
    assert sorted(lb["model"]) == ["mean", "naive"]
    assert set(read_forecasts(tmp_path / "out")["model"]) == {"naive", "mean"}
    assert "Partial results: 2 of 4" in (tmp_path / "out" / "report.md").read_text()


def test_same_seed_same_leaderboard(csv_path, tmp_path):
    cfg = {"data": str(csv_path), "lookback": 24, "horizon": 12, "max_epochs": 2,
           "models": ["lstm", "nlinear"], "seed": 7, "progress": False, "accelerator": "cpu",
           "model_params": {"lstm": {"hidden_size": 8, "num_layers": 1}}}
    a = run_benchmark({**cfg, "output": str(tmp_path / "a")}).leaderboard
    b = run_benchmark({**cfg, "output": str(tmp_path / "b")}).leaderboard
    cols = ["model", "rank", "mase", "mae", "rmse", "smape", "skill", "dm_pvalue"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert a["error"].isna().all()


# -- configuration ----------------------------------------------------------------------------
def test_config_validation_and_committed_configs(tmp_path, csv_path):
    with pytest.raises(BenchmarkInputError, match="unknown option"):
        BenchmarkConfig.from_dict({"suite": "stocks", "epochs": 3})
    with pytest.raises(BenchmarkInputError, match="unknown model"):
        resolve_config({"suite": "stocks", "models": "naive,prophet"})
    with pytest.raises(BenchmarkInputError, match="horizon 500 is longer than the test"):
        run_benchmark({"data": str(csv_path), "horizon": 500, "models": ["naive"], **TINY,
                       "output": str(tmp_path)})
    cfg = resolve_config({"suite": "weather", "quick": True, "models": ["dlinear"]})
    assert cfg.target == ["TEMP"] and cfg.lookback == 168 and cfg.horizon == 24
    assert cfg.fill_missing == "interpolate" and cfg.history == 4380 and cfg.max_epochs is None
    assert cfg.max_steps == QUICK["max_steps"]
    assert cfg.models == ["dlinear", "naive"]  # naive: the reference of skill
    ltsf = resolve_config({"data": str(csv_path), "protocol": "ltsf"})
    assert "ets" not in ltsf.models and {"naive", "seasonal_naive", "nlinear"} <= set(ltsf.models)
    from pathlib import Path

    configs = Path(__file__).resolve().parents[1] / "benchmarks" / "configs"
    for name in ("stocks.toml", "weather.toml", "ettH1_ltsf.toml"):
        resolved = resolve_config(load_config_file(configs / name))
        assert resolved.models
    assert resolve_config(load_config_file(configs / "ettH1_ltsf.toml")).protocol == "ltsf"
