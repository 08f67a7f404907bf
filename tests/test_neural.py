"""Neural forecasters through the fit/predict API (tiny epochs, CPU)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

import tsforecast as tsf
from tsforecast.forecasters import NotFittedError, list_forecasters

NEURAL = list_forecasters(tag="neural")

SMALL = {
    "lstm": {"hidden_size": 16, "num_layers": 1},
    "lstm_attention": {"hidden_size": 16},
    "patch_transformer": {"d_model": 16, "n_heads": 2, "n_layers": 1, "d_ff": 32},
    "dlinear": {},
    "nlinear": {},
    "mlp": {"hidden_size": 16},
}


def small(name, quiet, **kw):
    params = dict(lookback=48, horizon=12, max_epochs=2, batch_size=64, **SMALL[name])
    params.update(quiet)
    params.update(kw)
    return tsf.make_forecaster(name, **params)


@pytest.mark.parametrize("name", NEURAL)
def test_fits_weather_and_predicts_real_future_timestamps(name, quiet, weather):
    df = weather.iloc[-1500:]
    f = small(name, quiet, target="TEMP")
    assert f.fit(df) is f
    fc = f.predict()
    expected = pd.date_range(df.index[-1], periods=13, freq="h")[1:]
    assert fc.index.equals(expected) and list(fc.columns) == ["TEMP"]
    assert np.isfinite(fc["TEMP"]).all()
    # original units: Beijing temperatures, not z-scores
    assert df["TEMP"].min() - 15 < fc["TEMP"].mean() < df["TEMP"].max() + 15
    assert f.n_parameters_ > 0 and f.epochs_ >= 1


@pytest.mark.parametrize("name", ["lstm", "patch_transformer"])
def test_global_model_on_several_stock_series(name, quiet, stocks):
    data = stocks[stocks.ticker.isin(["AAPL", "IBM"])].groupby("ticker").tail(400)
    f = small(name, quiet, target="adj_close", id_col="ticker", horizon=5, lookback=30)
    fc = f.fit(data).predict()
    assert set(fc["ticker"]) == {"AAPL", "IBM"} and len(fc) == 10
    aapl = fc[fc.ticker == "AAPL"]
    assert (aapl.index.day_of_week < 5).all() and aapl.index[0] > data.index.max()
    last = data[data.ticker == "AAPL"]["adj_close"].iloc[-1]
    assert abs(aapl["adj_close"].iloc[0] / last - 1) < 0.5  # price level, not scaled units


def test_save_load_gives_identical_predictions(quiet, sine, tmp_path):
    f = small("lstm_attention", quiet, target="y", past_covariates="x", quantiles=[0.1, 0.9])
    f.fit(sine)
    f.save(tmp_path / "m")
    g = tsf.LSTMAttentionForecaster.load(tmp_path / "m")
    pd.testing.assert_frame_equal(f.predict(), g.predict())
    pd.testing.assert_frame_equal(f.predict(history=sine.iloc[:500]), g.predict(history=sine.iloc[:500]))
    cfg = json.loads((tmp_path / "m" / "config.json").read_text())
    assert cfg["class"] == "LSTMAttentionForecaster" and cfg["params"]["lookback"] == 48
    with pytest.raises(ValueError, match="not a NLinearForecaster"):
        tsf.NLinearForecaster.load(tmp_path / "m")


def test_same_seed_same_predictions(quiet, sine):
    a = small("lstm", quiet, target="y").fit(sine).predict()
    b = small("lstm", quiet, target="y").fit(sine).predict()
    pd.testing.assert_frame_equal(a, b)
    c = small("lstm", {**quiet, "random_state": 1}, target="y").fit(sine).predict()
    assert not np.allclose(a.values, c.values)


def test_quantiles_are_monotone_and_named(quiet, sine):
    f = small("nlinear", quiet, target="y", quantiles=[0.9, 0.1, 0.25], max_epochs=3)
    fc = f.fit(sine).predict()
    cols = ["y_q0.1", "y_q0.25", "y_q0.5", "y_q0.9"]
    assert list(fc.columns) == ["y", *cols]
    assert (np.diff(fc[cols].to_numpy(), axis=1) >= 0).all()
    np.testing.assert_array_equal(fc["y"], fc["y_q0.5"])
    bt = f.backtest(sine, start=0.9)
    assert {"q0.1", "q0.9"} <= set(bt.columns) and (bt["q0.1"] <= bt["q0.9"]).all()


def test_predict_uses_only_the_history(quiet, sine):
    f = small("dlinear", quiet, target="y").fit(sine.iloc[:1000])
    bt = f.backtest(sine, start=1100, stride=50)
    changed = sine.copy()
    changed.iloc[1100:, 0] += 1000.0  # alter everything after the first cutoff
    bt2 = f.backtest(changed, start=1100, stride=50)
    first = bt.cutoff == bt.cutoff.min()
    np.testing.assert_allclose(bt.loc[first, "y_hat"], bt2.loc[first, "y_hat"])
    # a backtest forecast equals predict() from the same history
    fc = f.predict(history=sine.iloc[:1100])
    np.testing.assert_allclose(bt.loc[first, "y_hat"].to_numpy(), fc["y"].to_numpy(), rtol=1e-5)
    assert (bt.groupby("cutoff").size() == 12).all()


def test_future_covariates_and_calendar_features(quiet, sine):
    f = small("lstm", quiet, target="y", future_covariates="x", calendar_features=True)
    f.fit(sine)
    with pytest.raises(ValueError, match="pass future_covariates="):
        f.predict()
    fut_idx = pd.date_range(sine.index[-1], periods=13, freq="h")[1:]
    fut = pd.DataFrame({"x": np.cos(2 * np.pi * np.arange(1200, 1212) / 24)}, index=fut_idx)
    fc = f.predict(future_covariates=fut)
    assert fc.index.equals(fut_idx)
    with pytest.raises(ValueError, match="needs the 12 timestamps"):
        f.predict(future_covariates=fut.iloc[:3])


def test_bf16_mixed_precision_on_cpu(quiet, sine):
    f = small("patch_transformer", quiet, target="y", precision="bf16-mixed", max_epochs=1)
    fc = f.fit(sine).predict()
    assert fc["y"].dtype == np.float32 and np.isfinite(fc["y"]).all()


def test_sklearn_conventions(quiet):
    f = tsf.LSTMForecaster(lookback=24, horizon=6, hidden_size=8, **quiet)
    g = clone(f)
    assert g.get_params() == f.get_params() and g is not f
    g.set_params(lookback=12)
    assert g.lookback == 12 and f.lookback == 24
    with pytest.raises(NotFittedError, match="not fitted yet"):
        f.predict()
    assert "lookback" in tsf.PatchTransformerForecaster().get_params()


@pytest.mark.parametrize(
    "params, match",
    [
        ({"lookback": 0}, "lookback must be an integer >= 1"),
        ({"horizon": -2}, "horizon must be an integer >= 1"),
        ({"dropout": -0.1}, "dropout"),
        ({"precision": "8-bit"}, "precision must be one of"),
        ({"hidden_size": 0}, "hidden_size must be an integer >= 1"),
        ({"scaler": "minmax"}, "scaler must be one of"),
        ({"quantiles": [0.1, 1.5]}, "quantiles must be numbers strictly between 0 and 1"),
    ],
)
def test_bad_parameters_fail_at_fit(params, match, quiet, sine):
    base = {"target": "y", "lookback": 24, "horizon": 6, "max_epochs": 1, **quiet}
    f = tsf.LSTMForecaster(**{**base, **params})
    with pytest.raises((ValueError, TypeError), match=match):
        f.fit(sine)


def test_bad_data_is_named(quiet, sine):
    with pytest.raises(ValueError, match="has 50 rows; lookback 48 \\+ horizon 12 needs at least 60"):
        small("nlinear", quiet, target="y").fit(sine.iloc[:50])
    with pytest.raises(ValueError, match="unknown forecaster 'prophet'"):
        tsf.make_forecaster("prophet")
    with pytest.warns(UserWarning, match="ignores covariates"):
        f = small("nlinear", quiet, target="y", past_covariates="x").fit(sine)
    with pytest.raises(ValueError, match="has 20 rows; forecasting from it needs at least 48"):
        f.predict(history=sine.iloc[:20])
    with pytest.raises(ValueError, match=r"past covariate column\(s\) \['x'\] not found"):
        f.predict(history=sine.drop(columns="x"))
    nan = sine.copy()
    nan.iloc[-5, 0] = np.nan
    with pytest.raises(ValueError, match="'y' has NaN at row 1195"):
        f.predict(history=nan)


DDP_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np, pandas as pd
    import tsforecast as tsf

    def panel():
        t = np.arange(300)
        return pd.concat([pd.DataFrame({
            "id": f"s{i}", "ds": pd.date_range("2024-01-01", periods=300, freq="h"),
            "y": (1 + i) * np.sin(t / (4.0 + i)) + 0.01 * i * t}) for i in range(4)])

    def forecaster(**devices):
        return tsf.NLinearForecaster(lookback=24, horizon=6, target="y", id_col="id",
                                     time_col="ds", max_epochs=3, batch_size=64,
                                     accelerator="cpu", random_state=0, verbose=False,
                                     trainer_kwargs={"logger": False}, **devices)

    if __name__ == "__main__":
        df = panel()
        f = forecaster(devices=2, strategy="ddp").fit(df.groupby("id").head(294))
        fc = f.predict()
        if f.is_global_zero_:
            json.dump({"world_size": f.world_size_, "id": fc["id"].tolist(),
                       "y": fc["y"].tolist(), "windows": f.train_windows_,
                       "steps": f.steps_}, open(sys.argv[1], "w"))
    """
)


@pytest.mark.slow
def test_ddp_on_two_cpu_processes(tmp_path):
    """A global net on a panel (an id column) trained by two processes (gloo): forecasts of
    every series, each process took half the steps of its epochs, and the accuracy on the
    held-out last horizon is that of one process (within the noise of a short fit)."""
    script = tmp_path / "ddp_fit.py"
    script.write_text(DDP_SCRIPT)
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, str(script), str(out)], cwd=tmp_path, capture_output=True, text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["world_size"] == 2
    assert result["id"] == [f"s{i}" for i in range(4) for _ in range(6)]
    assert np.isfinite(result["y"]).all()
    sys.path.insert(0, str(tmp_path))
    try:
        import ddp_fit
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("ddp_fit", None)
    df = ddp_fit.panel()
    one = ddp_fit.forecaster(devices=1).fit(df.groupby("id").head(294))
    assert result["steps"] == 3 * -(-result["windows"] // 2 // 64)  # half the windows each
    actual = df.groupby("id").tail(6)["y"].to_numpy()
    mae_ddp = np.abs(np.array(result["y"]) - actual).mean()
    mae_one = np.abs(one.predict()["y"].to_numpy() - actual).mean()
    assert mae_ddp < 1.5 * mae_one + 0.05, (mae_ddp, mae_one)


@pytest.mark.parametrize("normalization", ["revin", "last_value", "level", "seasonal", "none"])
def test_normalizations_fit_and_predict(normalization, quiet, sine):
    f = small("lstm", quiet, target="y", normalization=normalization, max_epochs=1)
    fc = f.fit(sine).predict()
    assert np.isfinite(fc["y"]).all()
    assert type(f.net_).__name__ == ("LSTMNet" if normalization == "none" else "InstanceNormWrapper")


def test_per_net_default_normalization():
    assert tsf.LSTMForecaster().normalization == "last_value"
    assert tsf.LSTMAttentionForecaster().normalization == "last_value"
    assert tsf.PatchTransformerForecaster().normalization == "last_value"
    assert tsf.DLinearForecaster().normalization == "last_value"
    assert "last_value" in tsf.LSTMForecaster.__doc__


@pytest.mark.parametrize("name", ["nlinear", "dlinear", "patch_transformer", "mlp"])
def test_linear_and_patch_nets_start_from_the_random_walk(name):
    """zero_init (the default of the linear and patch nets): the untrained net forecasts
    each window's last value."""
    from tsforecast.nets import Dims, build_net

    torch.manual_seed(0)
    dims = Dims(lookback=16, horizon=3, n_targets=2, n_inputs=2)
    x = torch.randn(5, 16, 2).cumsum(1) * 10 + 50
    batch = {"x": x, "x_future": torch.zeros(5, 3, 0)}
    net = build_net(name, dims, normalization=tsf.make_forecaster(name).normalization)
    out = net(batch)  # [B, H, T]
    torch.testing.assert_close(out, x[:, -1:, :].expand(5, 3, 2))
    uniform = build_net(name, dims, normalization="last_value", zero_init=False)(batch)
    assert not torch.allclose(uniform, out)  # the old init does not


def test_removed_shims_are_unknown_arguments():
    """0.1.0's ``revin=`` and ``model_kwargs=`` are gone (CHANGELOG.md): the net's
    hyperparameters are the per-net class's own arguments, ``normalization`` says the rest."""
    for removed in ({"revin": True}, {"model_kwargs": {"hidden_size": 8}}, {"hiden_size": 8}):
        with pytest.raises(TypeError, match=f"unexpected argument.*{next(iter(removed))}"):
            tsf.LSTMForecaster(**removed)


@pytest.mark.parametrize("name", ["lstm", "lstm_attention"])
def test_channel_independent_with_several_targets_and_covariates(name, quiet, sine):
    data = sine.assign(z=np.cos(np.arange(len(sine)) / 7.0), w=np.arange(len(sine)) % 24 / 24)
    for independent in (True, False):
        f = small(name, quiet, target=["y", "z"], past_covariates="w", future_covariates="x",
                  hidden_size=8, segment_length=6, channel_independent=independent,
                  max_epochs=1)
        fut = data[["x"]].iloc[:12].set_axis(
            pd.date_range(data.index[-1], periods=13, freq="h")[1:])
        fc = f.fit(data).predict(future_covariates=fut)
        assert list(fc.columns) == ["y", "z"] and np.isfinite(fc.to_numpy()).all()
        assert f.net_capabilities.covariates
        assert f.net_capabilities.channel_independent == independent


def test_gru_cell_fits_predicts_and_saves(quiet, sine, tmp_path):
    f = small("lstm", quiet, target="y", cell="gru", max_epochs=1).fit(sine)
    cells = [type(m) for m in f.net_.modules() if isinstance(m, torch.nn.RNNBase)]
    assert cells == [torch.nn.GRU] and f.get_params()["cell"] == "gru"
    f.save(tmp_path / "m")
    loaded = tsf.LSTMForecaster.load(tmp_path / "m")
    pd.testing.assert_frame_equal(loaded.predict(), f.predict())


def test_mixed_linear_net_uses_covariates_without_a_warning(quiet, sine):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        f = small("dlinear", quiet, target="y", past_covariates="x", channel_independent=False)
        f.fit(sine)
    assert f.net_capabilities.covariates


def test_filled_gaps_never_use_values_after_the_origin():
    df = pd.DataFrame({"y": np.arange(20.0)}, index=pd.date_range("2024", periods=20, freq="h"))
    df.iloc[9, 0] = np.nan
    df.iloc[10, 0] = 1000.0
    f = tsf.make_forecaster("naive", horizon=1, target="y", fill_missing="interpolate")
    bt = f.fit(df.iloc[:8]).backtest(df, start=10, stride=1)
    assert bt["y_hat"].iloc[0] == 8.0  # the gap at row 9 is forward-filled, not interpolated


@pytest.mark.parametrize("start", [np.float32(0.5), 0.5, 600, "2024-01-26"])
def test_backtest_start_forms(start, quiet, sine):
    f = small("nlinear", quiet, target="y", max_epochs=1).fit(sine)
    assert f.backtest(sine, start=start).cutoff.min() >= sine.index[599]


@pytest.mark.parametrize("start", [-5, 0.0, 1.0, [3]])
def test_backtest_bad_start(start, quiet, sine):
    f = small("nlinear", quiet, target="y", max_epochs=1).fit(sine)
    with pytest.raises(ValueError, match="start"):
        f.backtest(sine, start=start)


@pytest.mark.parametrize(
    "params, match",
    [({"learning_rate": float("nan")}, "learning_rate"), ({"weight_decay": -1.0}, "weight_decay"),
     ({"val_fraction": "0.1"}, "val_fraction"), ({"target": ["y", "y"]}, "listed twice")],
)
def test_more_bad_parameters(params, match, quiet, sine):
    f = tsf.NLinearForecaster(**{"target": "y", "lookback": 24, "horizon": 6, **quiet, **params})
    with pytest.raises(ValueError, match=match):
        f.fit(sine)


def test_missing_series_id_is_named(sine):
    long = sine.assign(id="a")
    long.iloc[3, long.columns.get_loc("id")] = None
    with pytest.raises(ValueError, match="id column 'id' is missing at row 3"):
        tsf.NaiveForecaster(target="y", id_col="id").fit(long)


# -- ensembles ---------------------------------------------------------------------------


def test_ensemble_members_cycle_seeds_lookbacks_and_losses(quiet, sine, tmp_path):
    f = small("nlinear", quiet, target="y", scaler="maxabs", n_ensemble=4,
              ensemble_lookbacks=(1, 1.5), ensemble_losses=("mae", "smape"), max_epochs=1)
    fc = f.fit(sine).predict()
    assert [(m.lookback, m.loss, m.random_state) for m in f.members_] == [
        (48, "mae", 0), (72, "mae", 1), (48, "smape", 2), (72, "smape", 3)]
    g = small("nlinear", quiet, target="y", scaler="maxabs", n_ensemble=5, lookback=24,
              ensemble_lookbacks=(1,), ensemble_losses=("mae", "smape"),
              ensemble_normalizations=("level", "seasonal"))
    assert [(m.loss, m.normalization) for m in g._members()] == [
        ("mae", "level"), ("smape", "level"), ("mae", "seasonal"), ("smape", "seasonal"),
        ("mae", "level")]  # losses vary before normalisations
    assert f.history_rows == 72 and f.min_history == 72
    # the forecast is the per-step median of the members' forecasts
    members = np.stack([m.predict()["y"].to_numpy() for m in f.members_])
    np.testing.assert_allclose(fc["y"], np.median(members, axis=0), rtol=1e-6)
    assert f.n_parameters_ == sum(m.n_parameters_ for m in f.members_)
    f.save(tmp_path / "ens")
    g = tsf.NLinearForecaster.load(tmp_path / "ens")
    pd.testing.assert_frame_equal(fc, g.predict())
    pd.testing.assert_frame_equal(f.predict(history=sine.iloc[:700]),
                                  g.predict(history=sine.iloc[:700]))


def test_ensemble_mean_intervals_and_quantiles(quiet, sine):
    f = small("nlinear", quiet, target="y", n_ensemble=2, ensemble_combine="mean",
              max_epochs=1, level=[80])
    fc = f.fit(sine).predict()
    assert (fc["y_lo80"] <= fc["y"]).all() and (fc["y"] <= fc["y_hi80"]).all()
    q = small("nlinear", quiet, target="y", n_ensemble=3, quantiles=[0.1, 0.9], max_epochs=1)
    cols = ["y_q0.1", "y_q0.5", "y_q0.9"]
    assert (np.diff(q.fit(sine).predict()[cols].to_numpy(), axis=1) >= 0).all()
    # the default lookbacks: the lookback, 2/3 and 4/3 of it (N-BEATS varies them so)
    assert [m.lookback for m in q.members_] == [48, 32, 64]


@pytest.mark.parametrize(("params", "match"), [
    ({"n_ensemble": 0}, "n_ensemble must be an integer >= 1, got 0"),
    ({"ensemble_lookbacks": ()}, "ensemble_lookbacks must be a non-empty tuple"),
    ({"ensemble_lookbacks": (1, -2)}, "ensemble_lookbacks must be"),
    ({"ensemble_losses": ("quantile",)}, "ensemble_losses must be"),
    ({"ensemble_normalizations": ("seasonal", "zscore")}, "ensemble_normalizations must be"),
    ({"ensemble_combine": "max"}, "ensemble_combine must be one of"),
    ({"n_ensemble": 2, "ensemble_losses": ("smape",)}, "loss='smape'"),
])
def test_bad_ensemble_parameters_are_named(params, match, quiet, sine):
    with pytest.raises(ValueError, match=match):
        small("nlinear", quiet, target="y", **params).fit(sine)


def test_series_sampling_fits_and_is_checked(quiet, sine):
    long = sine.iloc[:900].assign(k="long")
    short = sine.iloc[900:1000].assign(k="short")
    both = pd.concat([long, short])
    f = small("nlinear", quiet, target="y", id_col="k", sampling="series", max_epochs=1)
    fc = f.fit(both).predict()
    assert set(fc["k"]) == {"long", "short"} and np.isfinite(fc["y"]).all()
    with pytest.raises(ValueError, match="sampling must be one of"):
        small("nlinear", quiet, target="y", sampling="uniform").fit(sine)


def test_level_normalization_is_scale_equivariant():
    from tsforecast.nets import Dims, build_net

    for masked in (False, True):
        net = build_net("lstm", Dims(24, 6, 1, 1), normalization="level", masked=masked).eval()
        x = torch.rand(4, 24, 1) + 0.5  # [B, L, 1]
        batch = {"x": x, "x_future": torch.zeros(4, 6, 0)}
        if masked:
            mask = torch.ones(4, 24)
            mask[:, :7] = 0
            batch["mask"] = mask
        with torch.no_grad():
            torch.testing.assert_close(net({**batch, "x": 7.0 * x}), 7.0 * net(batch),
                                       rtol=1e-4, atol=1e-5)
        zeros = {**batch, "x": torch.zeros_like(x)}
        assert torch.isfinite(net(zeros)).all()  # a window of zeros keeps a finite level


@pytest.mark.parametrize("L", [36, 41])  # whole seasons, and a window that starts mid-season
def test_seasonal_profile_recovers_a_season_on_a_trend(L):
    """A linear trend plus a seasonal pattern: the window's profile is the pattern on its
    own steps and on the forecast's (phases counted from the window's last step)."""
    from tsforecast.nets.revin import seasonal_profile

    m, H = 12, 18
    t = torch.arange(L + H, dtype=torch.float64)
    season = torch.tensor([0.3, -0.1, 0.5, 0.2, -0.4, -0.6, 0.1, 0.0, 0.35, -0.25, 0.05, -0.15],
                          dtype=torch.float64)[t.long() % m]
    season = season - season[:m].mean()
    z = (5.0 + 0.04 * t + season)[None, :, None]  # [1, L + H, 1]
    past, future = seasonal_profile(z[:, :L], m, H)
    torch.testing.assert_close(past[0, :, 0], season[:L])
    torch.testing.assert_close(future[0, :, 0], season[L:])
    # padding: the padded steps' values are never read; too few observed steps: no profile
    mask = torch.ones(1, L, dtype=torch.float64)
    mask[:, : L - 2 * m] = 0
    noisy = z[:, :L].clone()
    noisy[:, : L - 2 * m] = 1e6
    torch.testing.assert_close(seasonal_profile(noisy, m, H, mask)[1][0, :, 0], season[L:])
    mask[:, : L - 2 * m + 2] = 0
    assert not seasonal_profile(noisy, m, H, mask)[1].any()
    assert not seasonal_profile(z[:, :L], 1, H)[1].any()  # season 1: nothing to take out


def test_seasonality_test_keeps_seasonal_windows_and_drops_noise_and_trends():
    """The M4 benchmarks' test at 90%: a clear season passes, white noise passes about 5% of
    the time, a trend without a season does not; padding is never read, and a window with
    fewer than three observed seasons is never seasonal."""
    from tsforecast.nets.revin import seasonality_test

    torch.manual_seed(0)
    L, m = 60, 12
    t = torch.arange(L, dtype=torch.float64)
    noise = torch.randn(400, L, 1, dtype=torch.float64)
    seasonal = torch.sin(2 * torch.pi * t / m)[None, :, None] + 0.3 * noise
    assert seasonality_test(seasonal, m).mean() > 0.95
    assert 0.01 < seasonality_test(noise, m).mean() < 0.1
    assert not seasonality_test(0.1 * t[None, :, None] + 0.3 * noise, m).any()
    assert seasonality_test(seasonal.flip(0) * 5.0 + 3.0, m).flip(0).equal(
        seasonality_test(seasonal, m))  # invariant to scale and shift
    mask = torch.ones(400, L, dtype=torch.float64)
    mask[:, :6] = 0
    padded = seasonal.clone()
    padded[:, :6] = 1e6
    assert seasonality_test(padded, m, mask).equal(seasonality_test(seasonal[:, 6:], m))
    mask[:, :L - 3 * m + 1] = 0
    assert not seasonality_test(seasonal, m, mask).any()
    assert not seasonality_test(seasonal, 1).any()


def test_seasonal_normalization_is_level_at_season_one_and_scale_equivariant():
    from tsforecast.nets import Dims, build_net

    torch.manual_seed(0)
    level = build_net("lstm", Dims(24, 6, 1, 1), normalization="level").eval()
    seasonal = build_net("lstm", Dims(24, 6, 1, 1), normalization="seasonal", season=1).eval()
    seasonal.load_state_dict(level.state_dict())
    x = torch.rand(4, 24, 1) + 0.5  # [B, L, 1]
    batch = {"x": x, "x_future": torch.zeros(4, 6, 0)}
    with torch.no_grad():
        torch.testing.assert_close(seasonal(batch), level(batch))
        monthly = build_net("lstm", Dims(24, 6, 1, 1), normalization="seasonal", season=4,
                            masked=True).eval()
        batch["mask"] = torch.ones(4, 24)
        batch["mask"][:, :5] = 0
        torch.testing.assert_close(monthly({**batch, "x": 3.0 * x}), 3.0 * monthly(batch),
                                   rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="season must be an integer >= 1"):
        build_net("lstm", Dims(24, 6, 1, 1), normalization="seasonal", season=0)


def test_seasonal_normalization_takes_its_season_from_the_frequency(quiet, tmp_path):
    """season_length None: the fitted frequency's season (monthly 12), 1 without one; the
    loaded model rebuilds the same net (same forecast)."""
    idx = pd.date_range("2000-01-31", periods=120, freq="ME")
    y = 100 + 0.5 * np.arange(120) + 10 * np.sin(2 * np.pi * np.arange(120) / 12)
    df = pd.DataFrame({"y": y}, index=idx)
    f = small("lstm", quiet, target="y", lookback=36, horizon=12, normalization="seasonal",
              max_epochs=2, scaler="maxabs")
    assert f.season_length_ == 1  # unfitted: no frequency yet
    fc = f.fit(df).predict()
    assert f.season_length_ == 12 and f.net_.season == 12
    assert tsf.LSTMForecaster(season_length=4).season_length_ == 4
    f.save(tmp_path / "m")
    again = type(f).load(tmp_path / "m")
    assert again.net_.season == 12
    np.testing.assert_allclose(again.predict()["y"], fc["y"], rtol=1e-5)
    with pytest.raises(ValueError, match="season_length"):
        tsf.LSTMForecaster(season_length=0).fit(df)


@pytest.mark.parametrize("name", ["nlinear", "lstm"])
def test_many_series_are_forecast_in_shared_batches(name, quiet, monkeypatch):
    # a global net forecasts the windows of many series together (one forward pass per
    # batch, not per series), and each series gets what it gets forecast on its own
    import tsforecast.forecasters.neural as neural

    rng = np.random.default_rng(0)
    frames = []
    for k in range(60):
        n = int(rng.integers(40, 90))
        y = 50 + k + 5 * np.sin(np.arange(n) / 2) + rng.normal(size=n).cumsum()
        frames.append(pd.DataFrame({"id": f"s{k}", "y": y},
                                   index=pd.date_range("2001-01-01", periods=n, freq="D")))
    data = pd.concat(frames)
    f = small(name, quiet, target="y", id_col="id", lookback=12, horizon=4, max_epochs=1,
              min_context=6, normalization="seasonal", season_length=7)
    f.fit(data)
    calls = []
    forward = type(f.net_).forward
    monkeypatch.setattr(type(f.net_), "forward", lambda self, b: calls.append(
        len(b["x"])) or forward(self, b))
    monkeypatch.setattr(neural, "_FORECAST_BATCH", 256)
    together = f.backtest(data, start=0.5, stride=1)
    n_windows = len(together) // 4
    assert sum(calls) == n_windows > 60 and len(calls) <= n_windows // 256 + 1
    assert max(calls) < 2 * 256 and sum(c >= 256 for c in calls) == len(calls) - 1
    alone = pd.concat([f.backtest(g, start=0.5, stride=1) for _, g in data.groupby("id")])
    key = ["series", "cutoff", "timestamp"]
    pd.testing.assert_frame_equal(together.sort_values(key).reset_index(drop=True),
                                  alone.sort_values(key).reset_index(drop=True), rtol=1e-6)
    fc = f.predict()
    assert len(fc) == 60 * 4
    pd.testing.assert_frame_equal(
        fc, pd.concat([f.predict(g) for _, g in data.groupby("id", sort=False)]), rtol=1e-6)


def test_validation_windows_are_thinned_above_max_val_windows(quiet, monkeypatch):
    # above the cap the validation windows are every k-th of each series, its last always
    # (the one nearest the forecasts), on the same rows; below it, all of them
    import tsforecast.forecasters.neural as neural

    seen = []
    real = neural.train
    monkeypatch.setattr(neural, "train", lambda net, tr, val, *a, **k: seen.append(val) or
                        real(net, tr, val, *a, **k))
    rng = np.random.default_rng(1)
    data = pd.concat([pd.DataFrame({"id": f"s{k}", "y": rng.normal(size=n).cumsum()},
                                   index=pd.date_range("2001-01-01", periods=n, freq="D"))
                      for k, n in enumerate(rng.integers(60, 200, size=12))])
    for cap in (None, 10_000, 40):
        small("nlinear", quiet, target="y", id_col="id", lookback=8, horizon=3, max_epochs=1,
              val_fraction=0.3, max_val_windows=cap).fit(data)
    full, same, thin = seen
    assert len(same) == len(full) > 40 and same.stride == full.stride == 1
    assert 40 <= len(thin) < 40 + 12 and thin.stride == -(-len(full) // 40)
    last = lambda ds: ds.locate(np.cumsum(ds.counts) - 1)  # noqa: E731
    np.testing.assert_array_equal(last(thin)[1], last(full)[1])
    first = lambda ds: ds.locate(np.cumsum(ds.counts) - ds.counts)[1]  # noqa: E731
    assert (first(thin) >= first(full)).all()
    with pytest.raises(ValueError, match="max_val_windows"):
        small("nlinear", quiet, target="y", id_col="id", max_val_windows=0).fit(data)
