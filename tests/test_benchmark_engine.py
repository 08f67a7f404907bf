"""The execution engine: serial, joblib processes and Ray give the same results."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from test_benchmark_holdout import panel

from tsforecast.benchmark import BenchmarkInputError, resolve_config, run_benchmark
from tsforecast.benchmark.engine import RAY_MISSING

TIMINGS = ["fit_seconds", "predict_seconds", "train_windows_per_second"]


def _config(tmp_path, name, **extra):
    return {"data": str(tmp_path / "p.csv"), "protocol": "holdout", "horizon": 4,
            "mase_season": 4, "progress": False, "output": str(tmp_path / name),
            # seasonal_naive told a frequency its data contradicts fails in its unit (at
            # fit, on the data): reported, never fatal; a bad parameter is refused before
            # any model fits (test_resources)
            "models": "naive,drift,seasonal_naive,mean",
            "model_params": {"seasonal_naive": {"freq": "W"}}, **extra}


@pytest.fixture
def data(tmp_path):
    panel(tmp_path / "p.csv", lengths=(30, 25, 40, 33, 28))
    return tmp_path


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal leaderboards; a failed unit's error names the first series that failed in
    the piece that failed first, which depends on the chunks: not compared."""
    a, b = (f.drop(columns=TIMINGS).assign(
        error=f["error"].str.split(" of series ").str[0])
        for f in (a, b))
    pd.testing.assert_frame_equal(a, b)


def _rolling(tmp_path, name, **extra):
    """A rolling-origin run over a 3-series long file: its units go to the processes."""
    n = 200
    t = np.arange(n)
    pd.concat([pd.DataFrame({"date": pd.date_range("2022-01-01", periods=n, freq="h"),
                             "id": f"s{k}", "y": np.sin(2 * np.pi * t / 24) + k + 0.01 * t})
               for k in range(3)]).to_csv(tmp_path / "long.csv", index=False)
    return {**_config(tmp_path, name, **extra), "data": str(tmp_path / "long.csv"),
            "protocol": "rolling", "id_col": "id", "target": "y", "lookback": 24,
            "horizon": 6, "mase_season": 24}


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 CPU cores")
def test_two_processes_give_the_serial_leaderboard(data):
    serial = run_benchmark(_rolling(data, "serial"))
    parallel = run_benchmark(_rolling(data, "parallel", jobs=2))
    _same(serial.leaderboard, parallel.leaderboard)
    failed = serial.leaderboard.set_index("model").at["seasonal_naive", "error"]
    assert failed and "freq 'W' contradicts" in failed
    saved = sorted(p.name for p in (data / "parallel" / "runs").glob("*.json"))
    assert saved == sorted(p.name for p in (data / "serial" / "runs").glob("*.json"))
    assert "2 local processes" in (data / "parallel" / "report.md").read_text()
    resumed = run_benchmark(_rolling(data, "parallel", jobs=2, resume=True))
    _same(parallel.leaderboard, resumed.leaderboard)


def test_jobs_and_backend_are_checked():
    with pytest.raises(BenchmarkInputError, match="at most the"):
        resolve_config({"suite": "m3", "jobs": (os.cpu_count() or 1) + 1})
    with pytest.raises(BenchmarkInputError, match="integer >= 1"):
        resolve_config({"suite": "m3", "jobs": 0})
    with pytest.raises(BenchmarkInputError, match="backend ray"):
        resolve_config({"suite": "m3", "address": "ray://x:10001"})


def test_ray_missing_is_a_clear_input_error(data, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(BenchmarkInputError, match="pip install \"tsforecast\\[ray\\]\""):
        run_benchmark(_config(data, "ray", backend="ray"))
    assert not (data / "ray").exists()
    assert "tsforecast[ray]" in RAY_MISSING


def test_ray_gives_the_serial_leaderboard(data, monkeypatch):
    """On a local 2-CPU Ray the leaderboard is the serial run's; the data set enters the
    object store once, however many pieces (chunks of series) use it."""
    ray = pytest.importorskip("ray")
    serial = run_benchmark(_config(data, "serial"))
    puts = []
    real_put = ray.put
    monkeypatch.setattr(ray, "put", lambda value, **kw: puts.append(value) or real_put(value,
                                                                                     **kw))
    on_ray = run_benchmark(_config(data, "ray", backend="ray", jobs=2))  # 2 local workers
    _same(serial.leaderboard, on_ray.leaderboard)
    assert len(puts) == 1 and puts[0].name == "p"
    assert "pieces (chunks of series)" in (data / "ray" / "report.md").read_text()


def test_seeds_give_mean_and_sd_and_rank_by_the_mean(data):
    import json

    cfg = {**_config(data, "seeds"), "models": "nlinear,naive", "model_params": {},
           "seeds": "0,1", "max_epochs": 1, "batch_size": 16, "accelerator": "cpu"}
    res = run_benchmark(cfg)
    lb = res.leaderboard.set_index("model")
    runs = data / "seeds" / "runs"
    per_seed = [json.loads((runs / f"p__nlinear__seed{s}.json").read_text())["metrics"]["smape"]
                for s in (0, 1)]
    assert lb.at["nlinear", "smape"] == pytest.approx(sum(per_seed) / 2)
    assert lb.at["nlinear", "smape_sd"] == pytest.approx(abs(per_seed[0] - per_seed[1]) / 2**0.5)
    assert lb.at["nlinear", "n_seeds"] == 2 and lb.at["naive", "n_seeds"] == 1
    assert lb.at["naive", "smape_sd"] == 0
    assert not (runs / "p__naive__seed0.json").exists()  # classical: once
    assert list(lb.sort_values("smape").index) == list(res.leaderboard["model"])
    assert set(res.forecasts.loc[res.forecasts["model"] == "nlinear", "seed"]) == {0, 1}
    assert "the mean over seeds" in (data / "seeds" / "report.md").read_text()
    with pytest.raises(BenchmarkInputError, match="seeds must be integers"):
        resolve_config({"suite": "m3", "seeds": "0,-1"})


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 CPU cores")
def test_jobs_split_the_local_models_series_into_pieces(data):
    """With jobs > 1 the engine splits a local model's series into chunks (pieces of work
    on the processes); the forecasts, rows and order included, equal the serial run's.
    No model is told where it runs: none gets n_jobs."""
    from tsforecast.benchmark.engine import plan_pieces, plan_units
    from tsforecast.benchmark.panel import PANEL_ENSEMBLE
    from tsforecast.benchmark.unit import model_params

    models = {"models": "naive,theta,combination,nlinear", "max_steps": 2,
              "model_params": {"combination": {"members": ["theta", "naive"]}}}
    serial = run_benchmark(_config(data, "one", **models))
    split = run_benchmark(_config(data, "split", jobs=2, **models))
    _same(serial.leaderboard, split.leaderboard)
    pd.testing.assert_frame_equal(serial.forecasts, split.forecasts)
    cfg = resolve_config(_config(data, "x", jobs=2, **models))
    units = plan_units(split.tasks, cfg)
    pieces = plan_pieces(units, cfg)
    by_model = {units[w.unit].model: [] for w in pieces}
    for w in pieces:
        by_model[units[w.unit].model].append(w.series)
    # a global model is never split by series (the panel rule's ensemble: a piece a member)
    assert by_model["nlinear"] == [None] * PANEL_ENSEMBLE
    assert 1 < len(by_model["theta"]) <= 5  # at most 4 x 2 chunks of 5 series
    chunks = sum(w.series is not None for w in pieces)
    assert f"ran as {chunks} pieces (chunks of series)" in (
        data / "split" / "report.md").read_text()
    order = split.tasks[0].protocol.series_order(split.tasks[0])
    assert [s for chunk in by_model["theta"] for s in chunk] == order
    ds = split.tasks[0].dataset
    params = model_params("combination", cfg, ds, None, str(data))
    assert "n_jobs" not in params
    # members named alone get the data set's season (not the made-up daily index's)
    assert params["members"] == [("theta", {"season_length": ds.season_length}), "naive"]


def test_chunks_are_sized_from_the_rows_and_the_workers(tmp_path):
    """A local model's series are cut into PIECES_PER_WORKER chunks per worker, in the
    protocol's order, of about equal rows (the longest series bounds the imbalance); a
    global model, or one worker, keeps its unit whole."""
    from tsforecast.benchmark.engine import PIECES_PER_WORKER, plan_pieces, plan_units

    lengths = [10 + (37 * k) % 190 for k in range(60)]
    panel(tmp_path / "p.csv", lengths=lengths)
    res = run_benchmark(_config(tmp_path, "r", models="naive,nlinear", max_steps=1,
                                model_params={}))
    cfg = resolve_config(_config(tmp_path, "x", models="naive,nlinear", model_params={}))
    units = plan_units(res.tasks, cfg)
    task = res.tasks[0]
    order = task.protocol.series_order(task)
    sizes = dict(zip(order, task.series_sizes(order), strict=True))
    for workers in (2, 3, 16):
        pieces = plan_pieces(units, cfg, workers)
        chunks = [w.series for w in pieces if units[w.unit].model == "naive"]
        assert 1 < len(chunks) <= min(PIECES_PER_WORKER * workers, len(order))
        assert [s for c in chunks for s in c] == order
        rows = [sum(sizes[s] for s in c) for c in chunks]
        assert max(rows) - min(rows) <= 2 * max(sizes.values())
        assert [w.series for w in pieces if units[w.unit].model == "nlinear"] == [None]
    assert len([w for w in plan_pieces(units, cfg, 2) if w.series]) == 2 * PIECES_PER_WORKER
    assert all(w.series is None for w in plan_pieces(units, cfg, 1))


def test_a_chunk_holds_its_series_only(tmp_path):
    """The task a chunk's process is sent holds its series' rows and per-series state
    only (the data set's frame included: not the whole panel once per chunk), and scores
    its series as the whole task does."""
    import pickle

    from tsforecast.benchmark.unit import fit_backtest

    panel(tmp_path / "p.csv", lengths=[20 + 7 * k for k in range(12)])
    res = run_benchmark(_config(tmp_path, "r", models="naive", model_params={}))
    task = res.tasks[0]
    order = task.protocol.series_order(task)
    chunk = order[3:7]
    sub = task.subset(chunk)
    ids = task.dataset.id_col
    for frame in (sub.dataset.frame, sub.fit_data, sub.eval_data):
        assert set(frame[ids].astype(str)) == set(chunk)
    pd.testing.assert_frame_equal(sub.fit_data, task.series_rows("fit_data", chunk))
    assert list(sub.expected["series"]) == chunk
    assert {k[0] for k in sub.scales} == set(chunk) and not sub.y_train  # holdout: scales
    assert set(sub.start) == set(chunk)
    assert len(pickle.dumps(sub)) < 0.6 * len(pickle.dumps(task))
    cfg = resolve_config(_config(tmp_path, "x", models="naive", model_params={}))
    frame = fit_backtest("naive", sub, cfg, str(tmp_path)).backtest
    whole = fit_backtest("naive", task, cfg, str(tmp_path)).backtest
    got = sub.evaluate(frame).by_series.reset_index(drop=True)
    want = task.evaluate(whole).by_series
    pd.testing.assert_frame_equal(got, want[want["series"].isin(chunk)].reset_index(drop=True))


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 CPU cores")
def test_jobs_keep_a_calibrating_local_model_whole(data):
    """Conformal intervals pool the held-out errors of every series: with --level a local
    model is not split into chunks of series (a chunk of short series would have nothing
    to calibrate on, and every chunk its own intervals), so they equal the serial run's."""
    from tsforecast.benchmark.engine import plan_pieces, plan_units

    models = {"models": "naive,theta", "level": [80]}
    serial = run_benchmark(_config(data, "lv1", **models))
    split = run_benchmark(_config(data, "lv2", jobs=2, **models))
    pd.testing.assert_frame_equal(serial.forecasts, split.forecasts)
    assert {"lo80", "hi80"} <= set(split.forecasts.columns)
    cfg = resolve_config(_config(data, "x", jobs=2, **models))
    pieces = plan_pieces(plan_units(split.tasks, cfg), cfg)
    assert all(w.series is None for w in pieces)


def test_a_rolling_run_in_pieces_equals_the_serial_run(tmp_path):
    """Chunks of a rolling task's series (in the protocol's order) concatenate to the
    whole task's backtest, row for row, so pooled metrics are bit-identical."""
    from tsforecast.benchmark.engine import Unit, execute

    cfg = resolve_config(_rolling(tmp_path, "r", models="naive,theta"))
    res = run_benchmark(cfg)
    task = res.tasks[0]
    units = [Unit(task, "theta")]
    whole = dict(execute(units, cfg, str(tmp_path)))[0]
    three = resolve_config({**_rolling(tmp_path, "r2", models="naive,theta"), "jobs": 2})
    pieces = dict(execute(units, three, str(tmp_path)))[0]
    assert pieces.metrics == whole.metrics
    pd.testing.assert_frame_equal(pieces.forecasts, whole.forecasts)


def test_seeds_dm_loss_is_the_mean_over_seeds():
    """The DM test of a multi-seed row compares what its rank compares: the seeds' mean."""
    from tsforecast.benchmark.results import ModelResult
    from tsforecast.benchmark.seeds import combine_seeds
    from tsforecast.benchmark.task import Evaluation

    def result(seed, losses):
        loss = pd.Series(losses, index=pd.date_range("2020-01-01", periods=len(losses)))
        ev = Evaluation({"mae": float(loss.mean())}, loss, pd.DataFrame(), len(loss), 1)
        return ModelResult("d", "lstm", seed=seed, metrics=dict(ev.metrics), evaluation=ev)

    (one,) = combine_seeds([result(0, [1.0, 2.0, 3.0]), result(1, [3.0, 2.0, 5.0])])
    assert one.evaluation.dm_loss.tolist() == [2.0, 2.0, 4.0]
    assert one.metrics["mae"] == pytest.approx(one.evaluation.dm_loss.mean())


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 CPU cores")
@pytest.mark.parametrize("combine", ["median", "mean"])
def test_jobs_run_an_ensembles_members_as_pieces(data, combine):
    """With jobs > 1 each member of an ensemble of nets is a piece of work of its own; the
    members' forecasts, combined as the ensemble combines them, equal the serial run's
    one-piece ensemble, bit for bit (quantile columns included)."""
    from tsforecast.benchmark.engine import Work, plan_pieces, plan_units

    ens = {"n_ensemble": 3, "ensemble_combine": combine, "ensemble_losses": ["mae", "mse"]}
    models = {"models": "naive,nlinear,lstm", "max_steps": 3,
              "model_params": {"nlinear": ens,
                               "lstm": {**ens, "loss": "quantile", "ensemble_losses": None,
                                        "quantiles": [0.1, 0.9], "hidden_size": 4}}}
    serial = run_benchmark(_config(data, f"e1{combine}", **models))
    split = run_benchmark(_config(data, f"e2{combine}", jobs=2, **models))
    assert serial.leaderboard["error"].isna().all()
    pd.testing.assert_frame_equal(serial.forecasts, split.forecasts)
    _same(serial.leaderboard.drop(columns=["epochs"]), split.leaderboard.drop(columns=["epochs"]))
    assert {"q0.1", "q0.9"} <= set(split.forecasts.columns)
    report = (data / f"e2{combine}" / "report.md").read_text()
    assert "the 2 ensemble unit(s) ran as 6 pieces (one per member)" in report
    cfg = resolve_config(_config(data, "x", jobs=2, **models))
    units = plan_units(split.tasks, cfg)
    pieces = plan_pieces(units, cfg)
    assert [w for w in pieces if units[w.unit].model == "nlinear"] == [
        Work(1, None, k) for k in range(3)]
    # the members' own parameters: the ensemble's k-th seed, lookback and loss
    one = resolve_config(_config(data, "y", **models))
    assert all(w.member is None for w in plan_pieces(plan_units(split.tasks, one), one))


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs 2 CPU cores")
def test_jobs_keep_a_calibrating_ensemble_whole(data):
    """With --level the conformal calibration scores the ensemble's combined forecast:
    an ensemble stays one piece of work."""
    from tsforecast.benchmark.engine import plan_pieces, plan_units

    cfg = resolve_config(_config(data, "x", jobs=2, models="nlinear", level=[80],
                                 model_params={"nlinear": {"n_ensemble": 2}}))
    res = run_benchmark(cfg)
    units = plan_units(res.tasks, cfg)
    assert [units[w.unit].model for w in plan_pieces(units, cfg)] == [u.model for u in units]
    assert all(w.member is None for w in plan_pieces(units, cfg))


def test_members_that_forecast_other_rows_are_an_error():
    from tsforecast.benchmark.unit import Piece, _joined

    rows = pd.DataFrame({"series": ["a", "a"], "target": ["y", "y"],
                         "cutoff": [3, 3], "step": [1, 2], "y": [1.0, 2.0],
                         "y_hat": [1.0, 2.0]})
    a, b = Piece(member=0, backtest=rows, combine="median"), Piece(
        member=1, backtest=rows.assign(step=[1, 3]), combine="median")
    with pytest.raises(ValueError, match="ensemble member 1 forecast other rows"):
        _joined([a, b])
    c = Piece(member=1, backtest=rows.assign(y_hat=[3.0, 4.0]), combine="mean")
    c2 = Piece(member=0, backtest=rows, combine="mean")
    assert _joined([c2, c])["y_hat"].tolist() == [2.0, 3.0]


def test_seed_counts_print_as_integers():
    """``n_seeds`` and the other counts print as integers in the terminal and Markdown
    leaderboards (a failed row's NaN makes their column float)."""
    from tsforecast.benchmark.report import format_leaderboard, markdown_table
    from tsforecast.benchmark.results import COUNT_COLUMNS, ModelResult
    from tsforecast.benchmark.seeds import combine_seeds

    seeds = [0, 1, 2]
    (combined,) = combine_seeds([ModelResult("d", "lstm", metrics={"mae": 1.5 + s}, seed=s)
                                 for s in seeds])
    assert combined.metrics["n_seeds"] == len(seeds)
    row = {"dataset": "d", "model": "lstm", **combined.metrics,
           **{c: float(len(seeds)) for c in COUNT_COLUMNS if c not in combined.metrics}}
    failed = {"dataset": "d", "model": "nlinear", "error": "boom"}
    board = pd.DataFrame([row, failed])
    assert board["n_seeds"].dtype == float
    text = format_leaderboard(board)
    header, first = text.splitlines()[1:3]
    cells = dict(zip(header.split(), first.split()))  # noqa: B905 - its error cell is empty
    assert cells["n_seeds"] == str(len(seeds)) and cells["mae"] == f"{2.5:.4f}"
    md_header, _, md_first = markdown_table(board).splitlines()[:3]
    md = dict(zip([c.strip() for c in md_header.strip("|").split("|")],
                  [c.strip() for c in md_first.strip("|").split("|")], strict=True))
    assert {c: md[c] for c in COUNT_COLUMNS} == dict.fromkeys(COUNT_COLUMNS, str(len(seeds)))


def test_an_unreachable_ray_cluster_is_refused_at_once(data):
    """--address naming a port nothing listens on is an input error before any model
    runs (ray.init would retry for minutes)."""
    import socket
    import time

    pytest.importorskip("ray")
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    with pytest.raises(BenchmarkInputError, match=f"cannot reach the Ray cluster at "
                       f"'127.0.0.1:{port}'"):
        run_benchmark(_config(data, "r", backend="ray", address=f"127.0.0.1:{port}"))
    assert time.monotonic() - t0 < 30
    assert not (data / "r").exists()


def _history_by_series(task, rows):
    """The report's history the plain way: each series' frame, cut at its first cutoff."""
    first = task.expected.groupby("series", sort=False)["cutoff"].min()
    frame, id_col = task.eval_data, task.dataset.id_col
    out = []
    for sid, cutoff in first.items():
        part = frame if id_col is None else frame[frame[id_col].astype(str) == sid]
        part = part[part.index <= cutoff].iloc[-rows:]
        out += [pd.DataFrame({"dataset": task.name, "series": str(sid), "target": t,
                              "timestamp": part.index, "y": part[t].to_numpy(float)})
                for t in task.dataset.targets]
    return pd.concat(out, ignore_index=True)


def test_a_chunks_process_is_sent_its_chunk_not_the_panel(tmp_path, monkeypatch):
    """What the local processes are sent for each chunk: its own rows (about an eighth of
    the panel for one of eight chunks), never the whole task beside them (a unit holds
    it); the results are the serial run's."""
    import pickle

    import joblib

    from tsforecast.benchmark.engine import execute, plan_units

    sent = []

    class Recording:  # joblib.Parallel, run here, measuring what each call would ship
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def __call__(self, calls):
            for func, args, kwargs in calls:
                sent.append(len(pickle.dumps((args, kwargs))))
                yield func(*args, **kwargs)

    panel(tmp_path / "p.csv", lengths=[40 + 9 * k for k in range(16)])
    serial = run_benchmark(_config(tmp_path, "s", models="naive", model_params={}))
    task = serial.tasks[0]
    cfg = resolve_config(_config(tmp_path, "x", models="naive", model_params={}, jobs=2))
    monkeypatch.setattr(joblib, "Parallel", Recording)
    done = dict(execute(plan_units(serial.tasks, cfg), cfg, str(tmp_path)))
    whole = len(pickle.dumps(task))
    assert len(sent) == 8 and max(sent) < 0.3 * whole and sum(sent) < 1.3 * whole
    pd.testing.assert_frame_equal(done[0].forecasts, serial.results[0].forecasts)


@pytest.mark.parametrize("rows", [3, 50])
def test_the_reports_history_is_each_series_last_rows_before_its_first_cutoff(tmp_path, rows):
    """One selection for the whole panel gives what a frame per series gives: a holdout
    panel, a rolling run's series (several cutoffs each), and two targets on a
    tz-aware index."""
    import dataclasses

    panel(tmp_path / "p.csv", lengths=(30, 25, 40, 33, 28))
    holdout = run_benchmark(_config(tmp_path, "h", models="naive", model_params={})).tasks[0]
    rolling = run_benchmark(_rolling(tmp_path, "r", models="naive", model_params={})).tasks[0]
    frame = rolling.eval_data.assign(y2=lambda f: -f["y"]).tz_localize("Europe/Paris")
    two = dataclasses.replace(
        rolling, eval_data=frame, dataset=dataclasses.replace(rolling.dataset, targets=["y", "y2"]),
        expected=rolling.expected.assign(cutoff=rolling.expected["cutoff"].dt.tz_localize(
            "Europe/Paris")))
    for task in (holdout, rolling, two):
        got = task.history(rows)
        pd.testing.assert_frame_equal(got, _history_by_series(task, rows))
        assert got.groupby(["series", "target"]).size().max() <= rows
