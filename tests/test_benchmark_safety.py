"""Benchmark regressions of issue 12, "nothing leaked, nothing lost", and of issue 26 (the
output folder, SIGTERM): each case here was reproduced on main before it was fixed (tiny,
offline)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

from tsforecast.benchmark import (
    BenchmarkInputError,
    BenchmarkInterrupted,
    resolve_config,
    run_benchmark,
    store,
)
from tsforecast.benchmark.datasets import load_datasets
from tsforecast.benchmark.protocols import prepare_task
from tsforecast.benchmark.protocols.ltsf import ltsf_borders
from tsforecast.benchmark.runner import model_params
from tsforecast.forecasters import (
    MeanForecaster,
    NaiveForecaster,
    NLinearForecaster,
    make_forecaster,
)

QUIET = {"progress": False, "accelerator": "cpu"}


def write_csv(path, n=600, seed=0, **cols):
    """Hourly ``date`` + ``x`` and ``OT`` (a daily cycle with a trend) + ``cols``."""
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "date": pd.date_range("2022-01-01", periods=n, freq="h"),
        "x": np.cos(2 * np.pi * t / 24),
        "OT": np.sin(2 * np.pi * t / 24) + 0.01 * t + 0.1 * rng.normal(size=n),
        **cols,
    })
    df.to_csv(path, index=False)
    return df


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "data" / "synth.csv"
    path.parent.mkdir()
    write_csv(path)
    return path


# -- 6. the ETT rule: case-insensitive, explicit, printed -------------------------------------
def test_ett_borders_ignore_the_file_names_case(csv_path):
    cfg = resolve_config({"data": str(csv_path), "protocol": "ltsf", "models": "naive"})
    for name in ("ETTh1.csv", "etth1.csv", "/x/Etth2.CSV"):
        train_end, val_end, test_end, rule = ltsf_borders(17420, name, cfg)
        assert (train_end, val_end, test_end) == (8640, 11520, 14400), name
        assert rule.startswith("ETT borders") and "case-insensitive" in rule, rule
    assert ltsf_borders(69680, "/x/ettm2.csv", cfg)[:3] == (34560, 46080, 57600)
    rule = ltsf_borders(1000, "weather.csv", cfg)[3]
    assert rule.startswith("fractions") and "not named ETTh*/ETTm*" in rule, rule
    explicit = resolve_config({"data": str(csv_path), "protocol": "ltsf", "models": "naive",
                               "borders": "fractions"})
    train_end, _, _, rule = ltsf_borders(17420, "ETTh1.csv", explicit)
    assert train_end == int(17420 * 0.7) and "--borders fractions" in rule


def test_an_ltsf_run_logs_its_border_rule_once_and_the_cli_prints_it(csv_path, tmp_path,
                                                                     capfd, caplog):
    """The library logs (nothing on stderr of its own); the command line prints."""
    import logging

    from tsforecast.cli import main

    args = {"data": str(csv_path), "protocol": "ltsf", "lookback": 24, "horizon": 12,
            "models": "naive"}
    with caplog.at_level(logging.INFO, logger="tsforecast"):
        res = run_benchmark({**args, "output": str(tmp_path / "o"), **QUIET})
    assert "ltsf" not in capfd.readouterr().err
    logged = [r.getMessage() for r in caplog.records if "ltsf" in r.getMessage()]
    assert len(logged) == 1 and logged[0].startswith("ltsf borders of synth: "), logged
    rule = logged[0].split(": ", 1)[1]
    assert "fractions 0.7/0.1/0.2" in rule and any(rule in note for note in res.notes)
    caplog.clear()
    argv = [f"--{k.replace('_', '-')}={v}" for k, v in args.items()]
    assert main(["benchmark", *argv, "--no-progress", "--output", str(tmp_path / "c")]) == 0
    lines = [ln for ln in capfd.readouterr().err.splitlines() if "ltsf" in ln]
    assert lines == [f"tsforecast: ltsf borders of synth: {rule}"]


# -- 5. input checks ---------------------------------------------------------------------------
def long_csv(path, ids=("A", "B"), n=400):
    """A long file: ``date, id, OT`` with one series per id."""
    frames = []
    for k, sid in enumerate(ids):
        df = write_csv(path, n=n, seed=k)
        frames.append(df.assign(id=sid)[["date", "id", "OT"]])
    pd.concat(frames, ignore_index=True).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("ids", [("A", "B"), ("01", "2")])
def test_a_csv_id_column_is_read_as_series_ids(tmp_path, ids):
    path = long_csv(tmp_path / "long.csv", ids)
    res = run_benchmark({"data": str(path), "id_col": "id", "lookback": 24, "horizon": 12,
                         "models": "naive", "output": str(tmp_path / "o"), **QUIET})
    assert sorted(res.forecasts["series"].unique()) == sorted(ids)
    assert res.leaderboard["error"].isna().all()


def test_a_constant_series_is_skipped_with_a_note(tmp_path):
    path = long_csv(tmp_path / "long.csv", ("A", "FLAT", "B"))
    df = pd.read_csv(path)
    df.loc[df["id"] == "FLAT", "OT"] = 3.0  # zero MASE scale
    df.to_csv(path, index=False)
    res = run_benchmark({"data": str(path), "id_col": "id", "lookback": 24, "horizon": 12,
                         "models": "naive,mean", "output": str(tmp_path / "o"), **QUIET})
    assert sorted(res.forecasts["series"].unique()) == ["A", "B"]
    assert res.leaderboard["error"].isna().all()
    assert any("skipped series FLAT" in n and "MASE scale" in n for n in res.notes), res.notes
    # nothing left: an input error naming the reason
    df["OT"] = 3.0
    df.to_csv(path, index=False)
    with pytest.raises(BenchmarkInputError, match=r"FLAT: .*zero or undefined MASE scale"):
        run_benchmark({"data": str(path), "id_col": "id", "lookback": 24, "horizon": 12,
                       "models": "naive", "output": str(tmp_path / "o2"), **QUIET})


@pytest.mark.parametrize("protocol", ["rolling", "ltsf"])
def test_a_missing_target_without_fill_missing_stops_before_any_model(
        protocol, tmp_path, monkeypatch):
    path = tmp_path / "gappy.csv"
    df = write_csv(path)
    df.loc[[560, 571], "OT"] = np.nan  # in the test part of both protocols
    df.to_csv(path, index=False)
    fitted = []
    monkeypatch.setattr(NaiveForecaster, "fit", lambda self, *a, **k: fitted.append(1))
    with pytest.raises(BenchmarkInputError) as info:
        run_benchmark({"data": str(path), "protocol": protocol, "lookback": 24, "horizon": 12,
                       "models": "naive", "output": str(tmp_path / "o"), **QUIET})
    msg = str(info.value)
    assert "gappy" in msg and "'series'" in msg and "'OT'" in msg, msg
    assert "2022-01-24 08:00:00" in msg and "2 missing" in msg and "fill_missing" in msg, msg
    assert fitted == []


# -- 2. rows without an actual are excluded from every metric ---------------------------------
def naive_backtest(cfg_dict, tmp_path):
    """The task of a one-file config and the naive model's backtest on it."""
    cfg = resolve_config(cfg_dict)
    ds = load_datasets(cfg)[0]
    task = prepare_task(ds, cfg, cfg.lookback + cfg.horizon)
    model = make_forecaster("naive", **model_params("naive", cfg, ds, task, str(tmp_path)))
    bt = model.fit(task.fit_data).backtest(task.eval_data, start=task.start, stride=task.stride)
    return task, bt


@pytest.mark.parametrize("protocol", ["rolling", "ltsf"])
def test_every_metric_skips_rows_without_an_actual(protocol, csv_path, tmp_path):
    cfg = {"data": str(csv_path), "protocol": protocol, "lookback": 24, "horizon": 12,
           "models": "naive"}
    if protocol == "rolling":
        cfg["directional"] = True  # the directional accuracy too
    task, bt = naive_backtest(cfg, tmp_path)
    gaps = bt.copy()
    rows = np.random.default_rng(0).choice(len(bt), size=40, replace=False)
    gaps.loc[rows, "y"] = np.nan
    whole_window = gaps["cutoff"] == gaps["cutoff"].iloc[0]
    gaps.loc[whole_window, "y"] = np.nan  # a window with no actual at all
    got = task.evaluate(gaps)
    want = task.evaluate(gaps.dropna(subset=["y"]).reset_index(drop=True))
    assert set(got.metrics) == set(want.metrics) and len(got.metrics) >= 2
    for name, value in want.metrics.items():
        assert np.isfinite(value) and got.metrics[name] == pytest.approx(value, rel=1e-12), name
    assert got.dm_loss.notna().all() and len(got.dm_loss) == bt["cutoff"].nunique() - 1
    pd.testing.assert_series_equal(got.dm_loss, want.dm_loss)
    pd.testing.assert_frame_equal(got.by_series, want.by_series)
    assert got.n_excluded == int(gaps["y"].isna().sum()) and want.n_excluded == 0


def test_the_leaderboard_counts_excluded_rows_and_the_report_says_so(tmp_path):
    path = tmp_path / "gappy.csv"
    df = write_csv(path)
    df.loc[[560, 561, 571], "OT"] = np.nan  # 3 test rows without an actual
    df.to_csv(path, index=False)
    res = run_benchmark({"data": str(path), "lookback": 24, "horizon": 12, "fill_missing":
                         "ffill", "models": "naive,mean", "output": str(tmp_path / "o"),
                         **QUIET})
    lb = res.leaderboard.set_index("model")
    assert lb["n_excluded"].tolist() == [3, 3]
    assert pd.read_csv(tmp_path / "o" / "leaderboard.csv")["n_excluded"].tolist() == [3, 3]
    note = "3 forecast row(s) per model have no actual value"
    assert any(note in n for n in res.notes), res.notes
    assert note in (tmp_path / "o" / "report.md").read_text()
    fc = res.forecasts
    assert fc["y"].isna().sum() == 6 and fc.loc[fc["y"].isna(), "timestamp"].nunique() == 3


# -- 1. ltsf: split first, then fill each segment from its past only ----------------------------
LTSF = {"protocol": "ltsf", "lookback": 24, "horizon": 12, "models": "naive"}


def ltsf_task(path, fill):
    cfg = resolve_config({"data": str(path), **LTSF, "fill_missing": fill})
    return prepare_task(load_datasets(cfg)[0], cfg, 0)


@pytest.mark.parametrize("fill", ["interpolate", "ffill"])
def test_ltsf_fills_nothing_from_a_later_segment(tmp_path, fill):
    # 600 rows: train 0-419, val 420-479, test 480-599
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    df = write_csv(a)
    df.loc[[0, 200, 419, 478, 479, 500, 501], "OT"] = np.nan  # gaps at both borders
    df.to_csv(a, index=False)
    df.loc[480:, ["OT", "x"]] += 100.0  # b differs from a in the test segment only
    df.to_csv(b, index=False)
    ta, tb = ltsf_task(a, fill), ltsf_task(b, fill)
    assert ta.borders["val_end"] == 480
    pd.testing.assert_frame_equal(ta.fit_data, tb.fit_data)  # nothing from the test segment
    pd.testing.assert_frame_equal(ta.eval_data.iloc[:480], tb.eval_data.iloc[:480])
    ot = ta.eval_data["OT"]
    assert ot.iloc[478] == ot.iloc[477] and ot.iloc[479] == ot.iloc[477]  # val: from its past
    assert ot.iloc[500] == ot.iloc[499] and ot.iloc[501] == ot.iloc[499]  # test: forward fill
    assert ot.notna().all()
    # z-scored with the observed training values' statistics
    raw = pd.read_csv(a)["OT"].iloc[:420]
    assert ta.borders["mean"]["OT"] == pytest.approx(raw.mean())


def test_ltsf_scores_no_filled_test_value(tmp_path):
    path = tmp_path / "gappy.csv"
    df = write_csv(path)
    df.loc[[500, 501, 590], "OT"] = np.nan
    df.to_csv(path, index=False)
    res = run_benchmark({"data": str(path), **LTSF, "fill_missing": "interpolate",
                         "output": str(tmp_path / "o"), **QUIET})
    fc = res.forecasts
    missing = pd.to_datetime(df.loc[[500, 501, 590], "date"])
    gone = fc["timestamp"].isin(missing)
    assert gone.any() and fc.loc[gone, "y"].isna().all() and fc.loc[~gone, "y"].notna().all()
    assert res.leaderboard["n_excluded"].tolist() == [int(gone.sum())]
    lb = res.leaderboard.iloc[0]
    scored = fc[~gone]
    assert lb["mse"] == pytest.approx(np.mean((scored["y"] - scored["y_hat"]) ** 2))


# -- 3. the output directory: nothing replaced silently, results saved as they finish -----------
def base(path, out, **kw):
    return {"data": str(path), "lookback": 24, "horizon": 12, "models": "naive,mean",
            "output": None if out is None else str(out), **QUIET, **kw}


def files(out):
    return {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_a_non_empty_output_is_refused_unless_overwrite(csv_path, tmp_path):
    out = tmp_path / "o"
    run_benchmark(base(csv_path, out))
    before = files(out)
    with pytest.raises(BenchmarkInputError, match=r"is not empty.*--overwrite.*--resume"):
        run_benchmark(base(csv_path, out, models="drift"))
    assert files(out) == before
    foreign = tmp_path / "f"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(BenchmarkInputError, match="is not empty"):
        run_benchmark(base(csv_path, foreign))
    # overwrite: the previous run's files are replaced (and only those)
    (out / "notes.txt").write_text("mine")
    res = run_benchmark(base(csv_path, out, models="drift", overwrite=True))
    assert sorted(pd.read_csv(out / "leaderboard.csv")["model"]) == ["drift", "naive"]
    assert (out / "notes.txt").read_text() == "mine"
    assert not [name for name in files(out) if "mean" in name]
    assert res.config.overwrite is True
    assert json.loads((out / "config.json").read_text())["overwrite"] is False  # not repeated


def test_each_model_is_saved_as_it_finishes(csv_path, tmp_path, monkeypatch):
    out, seen = tmp_path / "o", {}
    fit = MeanForecaster.fit

    def look_then_fit(self, *args, **kwargs):  # the second model: naive has finished
        seen["runs"] = sorted(p.name for p in (out / "runs").iterdir())
        seen["leaderboard"] = list(pd.read_csv(out / "leaderboard.csv")["model"])
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(MeanForecaster, "fit", look_then_fit)
    res = run_benchmark(base(csv_path, out))
    assert seen["leaderboard"] == ["naive"]
    assert "synth__naive.json" in seen["runs"], seen
    assert any(n.startswith("synth__naive.forecasts.") for n in seen["runs"]), seen
    saved = json.loads((out / "runs" / "synth__mean.json").read_text())
    assert saved["dataset"] == "synth" and saved["model"] == "mean" and saved["error"] is None
    assert saved["metrics"] == pytest.approx(dict(res.leaderboard.set_index("model").loc[
        "mean", list(saved["metrics"])]))
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_an_interrupted_write_leaves_the_previous_file_whole(csv_path, tmp_path, monkeypatch):
    out, calls = tmp_path / "o", []
    to_csv = pd.DataFrame.to_csv

    def disk_full(self, path=None, *args, **kwargs):
        if path is not None and "leaderboard.csv" in str(path):
            calls.append(path)
            if len(calls) == 2:  # the leaderboard after the second model
                with open(path, "w") as fh:
                    fh.write("dataset,mod")
                raise OSError(28, "No space left on device")
        return to_csv(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    with pytest.raises(OSError, match="No space left"):
        run_benchmark(base(csv_path, out))
    assert list(pd.read_csv(out / "leaderboard.csv")["model"]) == ["naive"]
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


TIMINGS = ["fit_seconds", "predict_seconds", "train_windows_per_second"]


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_resume_finishes_a_run_as_if_never_interrupted(csv_path, tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(store, "frame_suffix", lambda: suffix)
    cfg = base(csv_path, None, models="naive,nlinear,mean", max_epochs=1, batch_size=64)
    full = run_benchmark({**cfg, "output": str(tmp_path / "full")})
    part = tmp_path / "part"
    with monkeypatch.context() as m:
        m.setattr(MeanForecaster, "fit", lambda self, *a, **k: (_ for _ in ()).throw(
            KeyboardInterrupt))
        with pytest.raises(BenchmarkInterrupted):
            run_benchmark({**cfg, "output": str(part)})

    def refit(self, *args, **kwargs):
        raise AssertionError("a finished model was run again")

    monkeypatch.setattr(NaiveForecaster, "fit", refit)
    monkeypatch.setattr(NLinearForecaster, "fit", refit)
    resumed = run_benchmark({**cfg, "output": str(part), "resume": True})
    assert resumed.leaderboard["error"].isna().all()
    pd.testing.assert_frame_equal(resumed.leaderboard.drop(columns=TIMINGS),
                                  full.leaderboard.drop(columns=TIMINGS))
    key = ["model", "series", "cutoff", "step"]
    pd.testing.assert_frame_equal(
        resumed.forecasts.sort_values(key).reset_index(drop=True),
        full.forecasts.sort_values(key).reset_index(drop=True))
    pd.testing.assert_frame_equal(resumed.metrics_by_series, full.metrics_by_series)
    assert any("2 of 3 model run(s) read back" in n for n in resumed.notes), resumed.notes
    on_disk = pd.read_csv(part / "leaderboard.csv").drop(columns=TIMINGS)
    pd.testing.assert_frame_equal(on_disk, pd.read_csv(tmp_path / "full" / "leaderboard.csv")
                                  .drop(columns=TIMINGS))
    assert (part / "plots" / "forecasts_synth.png").is_file()
    assert len(list((part / "runs").glob(f"*.forecasts{suffix}"))) == 3


def test_resume_rules(csv_path, tmp_path):
    with pytest.raises(BenchmarkInputError, match="resume and overwrite"):
        resolve_config(base(csv_path, tmp_path / "o", resume=True, overwrite=True))
    with pytest.raises(BenchmarkInputError, match="resume needs output"):
        resolve_config(base(csv_path, None, resume=True))
    out = tmp_path / "o"
    run_benchmark(base(csv_path, out, models="naive"))
    with pytest.raises(BenchmarkInputError, match=r"options differ .*horizon 12 -> 6"):
        run_benchmark(base(csv_path, out, horizon=6, resume=True))
    # more models, no progress bar: fine (they do not change the finished results)
    res = run_benchmark(base(csv_path, out, models="naive,mean", resume=True))
    assert sorted(res.leaderboard["model"]) == ["mean", "naive"]
    foreign = tmp_path / "f"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(BenchmarkInputError, match="no benchmark run to resume"):
        run_benchmark(base(csv_path, foreign, resume=True))
    res = run_benchmark(base(csv_path, tmp_path / "new", resume=True))  # nothing to resume
    assert any("nothing to read back" in n for n in res.notes)
    # the data changed under a finished run: its results are not mixed with new ones
    write_csv(csv_path, seed=5)
    with pytest.raises(BenchmarkInputError, match="other data"):
        run_benchmark(base(csv_path, out, resume=True))


# -- issue 26: the output folder is the run's own (no links followed, locked) ------------------

def _earlier_run_with_links(out, elsewhere):
    """``out`` as an earlier run left it, but with ``plots/`` and ``report.md`` linked to
    the user's files in ``elsewhere``, and files of the user's own in ``runs/``."""
    elsewhere.mkdir()
    for name in ("forecasts_synth.png", "leaderboard_synth.png", "holiday.png", "report.md"):
        (elsewhere / name).write_text(f"the user's {name}")
    (out / "runs").mkdir(parents=True)
    (out / "config.json").write_text("{}")
    (out / "plots").symlink_to(elsewhere, target_is_directory=True)
    (out / "report.md").symlink_to(elsewhere / "report.md")
    (out / "runs" / "notes.txt").write_text("mine")  # not named as a run names its files
    (out / "runs" / "summary.json").write_text("{}")
    earlier = [out / "runs" / "synth__drift.json", out / "runs" / ".synth__drift.json.7.tmp"]
    for p in earlier:  # a record of an earlier run, and the temporary file of a killed one
        p.write_text("{}")
    return earlier


def test_overwrite_removes_only_what_a_run_writes_and_never_follows_a_link(csv_path, tmp_path):
    out, elsewhere = tmp_path / "o", tmp_path / "elsewhere"
    earlier = _earlier_run_with_links(out, elsewhere)
    kept = files(elsewhere)
    res = run_benchmark(base(csv_path, out, models="naive", overwrite=True))
    assert files(elsewhere) == kept  # nothing deleted or written through the links
    for name in ("plots", "report.md"):
        assert not (out / name).is_symlink(), name  # the link itself was replaced
    assert (out / "plots" / "forecasts_synth.png").is_file()
    assert (out / "report.md").read_text() != kept["report.md"].decode()
    assert (out / "runs" / "notes.txt").read_text() == "mine"
    assert (out / "runs" / "summary.json").read_text() == "{}"
    assert not [p for p in earlier if p.exists()]
    assert list(res.leaderboard["model"]) == ["naive"]


def test_resume_refuses_a_link_where_the_run_writes(csv_path, tmp_path):
    out, elsewhere = tmp_path / "o", tmp_path / "elsewhere"
    _earlier_run_with_links(out, elsewhere)
    before, mine = files(elsewhere), files(out)
    with pytest.raises(BenchmarkInputError, match=r"cannot resume .*: report.md, plots are "
                                                  "symbolic links"):
        run_benchmark(base(csv_path, out, models="naive", resume=True))
    assert files(elsewhere) == before and files(out) == mine


@pytest.mark.slow
def test_a_second_run_on_the_same_output_is_refused_while_the_first_runs(
        csv_path, tmp_path, monkeypatch, capsys):
    from tsforecast.cli import main

    out = tmp_path / "o"
    started, release, first = threading.Event(), threading.Event(), {}
    fit = MeanForecaster.fit

    def held(self, *args, **kwargs):  # the first run waits inside its second model
        started.set()
        release.wait(60)
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(MeanForecaster, "fit", held)
    thread = threading.Thread(target=lambda: first.update(res=run_benchmark(base(csv_path, out))))
    thread.start()
    try:
        assert started.wait(120)
        before = files(out)
        holder = rf"in use by another benchmark run \(pid {os.getpid()}, started "
        with pytest.raises(BenchmarkInputError, match=re.escape(repr(str(out))) + " is " + holder):
            run_benchmark(base(csv_path, out, models="naive", overwrite=True))
        argv = ["benchmark", "--data", str(csv_path), "--models", "naive", "--lookback", "24",
                "--horizon", "12", "--output", str(out), "--overwrite", "--no-progress"]
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and re.search(holder, err) and str(out) in err, err
        assert files(out) == before  # neither second run wrote or removed anything
    finally:
        release.set()
        thread.join(120)
    assert sorted(first["res"].leaderboard["model"]) == ["mean", "naive"]
    assert not (out / store.LOCK_FILE).exists()
    run_benchmark(base(csv_path, out, models="naive", overwrite=True))  # released


def test_the_lock_is_released_on_every_way_out(csv_path, tmp_path, monkeypatch):
    out = tmp_path / "o"
    run_benchmark(base(csv_path, out, models="naive"))
    with pytest.raises(BenchmarkInputError, match="options differ"):
        run_benchmark(base(csv_path, out, models="naive", horizon=6, resume=True))
    assert not (out / store.LOCK_FILE).exists()
    with monkeypatch.context() as m:
        m.setattr(MeanForecaster, "fit", lambda self, *a, **k: (_ for _ in ()).throw(
            KeyboardInterrupt))
        with pytest.raises(BenchmarkInterrupted):
            run_benchmark(base(csv_path, out, models="naive,mean", resume=True))
    assert not (out / store.LOCK_FILE).exists()
    # a killed run leaves its lock file, but the system released the lock: the next run
    # takes it, and the file alone does not make a folder "not empty"
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / store.LOCK_FILE).write_text("pid 999999, started 2026-01-01 00:00:00")
    run_benchmark(base(csv_path, fresh, models="naive"))
    assert not (fresh / store.LOCK_FILE).exists()


@pytest.mark.slow
def test_sigterm_keeps_the_finished_models_and_leaves_no_temporary_folder(csv_path, tmp_path):
    """A real SIGTERM (default disposition before the fix: the process died at once)."""
    tmp, out, marker = tmp_path / "tmp", tmp_path / "o", tmp_path / "in-mean"
    tmp.mkdir()
    script = (
        "import pathlib, sys, time\n"
        "from tsforecast.forecasters import MeanForecaster\n"
        "def stuck(self, *a, **k):\n"
        "    pathlib.Path(sys.argv[1]).touch()\n"
        "    time.sleep(300)\n"
        "MeanForecaster.fit = stuck\n"
        "from tsforecast.cli import main\n"
        "sys.exit(main(sys.argv[2:]))\n"
    )
    argv = ["benchmark", "--data", str(csv_path), "--models", "naive,mean", "--lookback", "24",
            "--horizon", "12", "--output", str(out), "--no-progress"]
    env = {**os.environ, "TMPDIR": str(tmp)}
    proc = subprocess.Popen([sys.executable, "-c", script, str(marker), *argv], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), proc.communicate(timeout=60)
        assert [p.name for p in tmp.glob("tsforecast-bench-*")]  # the run's folder is here
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "interrupted" in stderr and "--resume" in stderr, stderr
    assert not list(tmp.glob("tsforecast-bench-*"))
    assert list(pd.read_csv(out / "leaderboard.csv")["model"]) == ["naive"]
    assert (out / "runs" / "synth__naive.json").is_file()
    assert not (out / store.LOCK_FILE).exists()
