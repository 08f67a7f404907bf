"""Runaway resources (issue 26, items 5-8): processes clamped to the cores and the work,
sizes checked against the data before anything of their size is allocated, config files
that cannot explode, model parameters and devices refused before any model fits."""

from __future__ import annotations

import time
import tracemalloc

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import SGDRegressor

import tsforecast as tsf
from tsforecast import resources


def daily(n=150, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = 10 + np.cumsum(rng.normal(size=n))
    return pd.DataFrame({"y": y}, index=pd.date_range("2024-01-01", periods=n, freq="D"))


# -- processes ---------------------------------------------------------------------------
@pytest.fixture
def requested_pools(monkeypatch):
    """The ``n_jobs`` of every joblib pool asked for (scikit-learn's included)."""
    asked: list = []
    original = joblib.Parallel.__init__

    def recording(self, *args, **kwargs):
        asked.append(kwargs.get("n_jobs", args[0] if args else None))
        original(self, *args, **kwargs)

    monkeypatch.setattr(joblib.Parallel, "__init__", recording)
    return asked


@pytest.mark.parametrize(("n_jobs", "work", "cores", "expected"), [
    (8, None, 2, 2), (8, 3, 4, 3), (8, 1, 4, 1), (-1, None, 4, 4), (-2, None, 4, 3),
    (-8, None, 4, 1), (None, None, 4, 1), (3, 10, 4, 3),
])
def test_clamp_jobs_never_exceeds_the_cores_or_the_work(monkeypatch, n_jobs, work, cores,
                                                        expected):
    monkeypatch.setattr(resources, "cpu_cores", lambda: cores)
    assert resources.clamp_jobs(n_jobs, work) == expected


def test_cpu_cores_reads_the_affinity_mask(monkeypatch):
    if not hasattr(resources.os, "sched_getaffinity"):
        pytest.skip("no affinity masks on this system")
    monkeypatch.setattr(resources.os, "sched_getaffinity", lambda pid: {3})
    monkeypatch.setattr(resources.os, "cpu_count", lambda: 64)
    assert resources.cpu_cores() == 1


@pytest.mark.parametrize(("horizon", "cores", "expected"), [(1, 64, 1), (3, 1, 1)])
def test_lag_regression_n_jobs_asks_for_no_more_processes_than_cores_or_outputs(
        requested_pools, monkeypatch, horizon, cores, expected):
    """n_jobs=8 used to start 8 processes whatever the machine and the work."""
    monkeypatch.setattr(resources, "cpu_cores", lambda: cores)
    f = tsf.LagRegressionForecaster(horizon=horizon, lags=3, n_jobs=8,
                                    regressor=SGDRegressor(max_iter=5, tol=None))
    f.fit({"a": daily(60), "b": daily(60, seed=1)})
    assert requested_pools and set(requested_pools) == {expected}


def test_a_regressors_own_n_jobs_is_clamped_to_the_cores(requested_pools, monkeypatch):
    monkeypatch.setattr(resources, "cpu_cores", lambda: 1)
    given = RandomForestRegressor(n_estimators=2, n_jobs=8, random_state=0)
    f = tsf.LagRegressionForecaster(horizon=2, lags=3, regressor=given).fit(daily(60))
    assert requested_pools and max(requested_pools) == 1
    assert given.n_jobs == 8  # the user's regressor is cloned, never changed
    assert f.regressor_.n_jobs == 1


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2", True])
def test_lag_regression_refuses_a_bad_n_jobs_by_name(n_jobs):
    with pytest.raises(ValueError, match="n_jobs must be"):
        tsf.LagRegressionForecaster(horizon=2, lags=3, n_jobs=n_jobs).fit(daily(60))


# -- sizes checked before allocating -------------------------------------------------------
def _refused(make, data, match, peak_mib=20):
    """``make().fit(data)`` raises ``ValueError`` matching ``match`` at once, having
    allocated (NumPy, Python) less than ``peak_mib``."""
    model = make()
    tracemalloc.start()
    try:
        t0 = time.perf_counter()
        with pytest.raises(ValueError, match=match):
            model.fit(data)
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < peak_mib * 2**20, f"{peak / 2**20:.0f} MiB allocated before the refusal"
    assert seconds < 5


def test_a_huge_lookback_is_refused_against_the_data_not_by_the_allocator():
    """lookback=10**9 allocated 3.8 GiB for the net before its ValueError; 10**11 failed
    in torch's allocator (400 GB)."""
    _refused(lambda: tsf.NLinearForecaster(lookback=10**11, horizon=3, max_epochs=1),
             daily(), r"150 rows; lookback 100000000000 \+ horizon 3")


def test_huge_lags_are_refused_before_the_lags_are_built():
    """lags=10**9 built the array of a billion lags (7.5 GiB) before its ValueError."""
    _refused(lambda: tsf.LagRegressionForecaster(lags=10**8, horizon=3), daily(),
             r"150 rows; the largest lag 100000000 \+ horizon 3")


@pytest.mark.parametrize("name", ["naive", "seasonal_naive", "theta", "lag_regression",
                                  "nlinear"])
def test_a_horizon_past_the_last_timestamp_is_refused_at_fit_by_name(name):
    """horizon=10**12 fitted (Theta made room for 8 TB of forecasts) and failed with
    OutOfBoundsDatetime at predict."""
    extra = {"lookback": 10, "max_epochs": 1} if name == "nlinear" else {}
    _refused(lambda: tsf.make_forecaster(name, horizon=10**7, **extra), daily(),
             r"horizon=10000000 steps of 'D' after 2024-05-29 .* go past 2262-04-11")


def test_predict_from_a_later_history_names_the_horizon():
    horizon = 1000
    f = tsf.NaiveForecaster(horizon=horizon).fit(daily())
    later = pd.DataFrame({"y": [1.0, 2.0, 3.0]},
                         index=pd.date_range("2262-01-01", periods=3, freq="D"))
    with pytest.raises(ValueError, match=f"horizon={horizon} steps of 'D' after 2262-01-03"):
        f.predict(history=later)


def test_a_horizon_larger_than_the_memory_is_refused_by_name(monkeypatch):
    monkeypatch.setattr(resources, "memory_bytes", lambda: 2**30)
    horizon = 2**30 // 8  # one float64 target and one timestamp per step: 2 GiB
    data = pd.DataFrame({"y": np.arange(50.0)})  # positional index: no last timestamp
    _refused(lambda: tsf.NaiveForecaster(horizon=horizon), data,
             rf"horizon={horizon}: its forecasts need at least 2.0 GiB, more than this "
             r"machine's 1.0 GiB")


# -- the command line: configs that cannot explode, parameters refused before any fit ------
@pytest.fixture
def csv_path(tmp_path):
    n = 120
    t = np.arange(n)
    pd.DataFrame({"date": pd.date_range("2022-01-01", periods=n, freq="h"),
                  "OT": np.sin(2 * np.pi * t / 24)}).to_csv(tmp_path / "s.csv", index=False)
    return tmp_path / "s.csv"


def _exit_2(capsys, argv, expect: str) -> str:
    from tsforecast.cli import main

    t0 = time.perf_counter()
    code = main(["benchmark", *argv])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith("tsforecast: error:") and "\n" not in err and expect in err, err
    assert time.perf_counter() - t0 < 30  # the torch import at most; no model ran
    return err


def _alias_bomb(depth: int) -> str:
    """A YAML "billion laughs": each level repeats the one below nine times (9**depth)."""
    levels = ['&l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"&l{k} [" + ", ".join([f"*l{k - 1}"] * 9) + "]" for k in range(1, depth)]
    return "models: [" + ", ".join(levels) + "]\n"


def test_a_yaml_alias_bomb_is_refused_at_once(capsys, tmp_path):
    """A few lines of aliases expanded until memory ran out (and the error printer then
    failed with MemoryError); the first alias is now refused."""
    config = tmp_path / "bomb.yaml"
    config.write_text(_alias_bomb(7))  # 9**7 leaves: tens of MB once expanded
    err = _exit_2(capsys, ["--config", str(config)], "YAML aliases (*l0) are not allowed")
    assert "line 1, column" in err and len(err) < 300


def test_a_config_file_too_large_to_be_options_is_refused(capsys, tmp_path):
    from tsforecast.benchmark.configfile import MAX_CONFIG_BYTES

    config = tmp_path / "big.yaml"
    config.write_text("models: naive\n" + "#" * MAX_CONFIG_BYTES + "\n")
    _exit_2(capsys, ["--config", str(config)], f"may have at most {MAX_CONFIG_BYTES:,}")


def test_a_long_bad_value_is_printed_cut(capsys, csv_path):
    name = "x" * 100_000
    err = _exit_2(capsys, ["--data", str(csv_path), "--models", name], "unknown model(s)")
    assert len(err) < len(name) // 20 and err.endswith("more characters)")


@pytest.mark.parametrize(("flags", "expect"), [
    (["--devices", "64"], "model 'nlinear' on s: devices=64 but this machine has"),
    (["--model-params", '{"nlinear": {"lookback": -4}}'],
     "model 'nlinear' on s: lookback must be an integer >= 1, got -4"),
    (["--model-params", '{"combination": {"members": ["naive", "nlinear"]}}',
      "--devices", "64"], "model 'combination' on s: devices=64"),
])
def test_bad_model_parameters_and_devices_exit_2_before_any_fit(capsys, tmp_path, csv_path,
                                                                flags, expect):
    """They were refused only when each model fitted: exit 1 after running the rest."""
    out = tmp_path / "out"
    models = "naive,combination" if "combination" in str(flags) else "naive,nlinear"
    _exit_2(capsys, ["--data", str(csv_path), "--target", "OT", "--models", models,
                     "--horizon", "4", "--lookback", "12", "--output", str(out),
                     "--no-progress", *flags], expect)
    assert not out.exists()  # nothing ran, nothing was written


@pytest.mark.parametrize("models", [
    ["--models", "nlinear,dlinear"],  # two units
    ["--models", "nlinear", "--model-params", '{"nlinear": {"n_ensemble": 2}}'],  # members
])
def test_jobs_times_devices_never_start_more_processes_than_cores(capsys, monkeypatch,
                                                                  tmp_path, csv_path, models):
    """Each of --jobs processes training a net on --devices processes of its own."""
    import os

    cores = 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    argv = ["--data", str(csv_path), "--target", "OT", "--horizon", "4", "--lookback", "12",
            "--accelerator", "cpu", "--no-progress", "--output", str(tmp_path / "out")]
    _exit_2(capsys, [*argv, *models, "--jobs", "2", "--devices", "2"],
            f"jobs 2 x devices 2: 2 nets trained at once on 2 processes each would start 4 "
            f"processes on {cores} CPU core(s)")
    assert not (tmp_path / "out").exists()
