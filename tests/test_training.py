"""Training budgets and learning-rate schedules (tsforecast.training, through the forecasters)."""

from __future__ import annotations

import math
import time

import lightning as L
import numpy as np
import pytest

import tsforecast as tsf
from tsforecast.data import WindowDataset
from tsforecast.nets import Dims, build_net
from tsforecast.training import TrainOptions, train
from tsforecast.training.module import WARMUP_FRACTION, lr_factor


class LRRecorder(L.Callback):
    """The learning rate each optimiser step uses."""

    def __init__(self):
        self.lrs = []

    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        self.lrs.append(trainer.optimizers[0].param_groups[0]["lr"])


def fit_windows(n_rows=400, lookback=24, horizon=6, **options):
    """Train a tiny NLinear on a sine's windows without validation; returns (result, lrs)."""
    t = np.arange(n_rows, dtype=np.float32)
    arr = np.stack([np.sin(t / 4)], axis=1)  # [n, 1]
    ds = WindowDataset([arr], lookback, horizon, n_targets=1)
    net = build_net("nlinear", Dims(lookback, horizon, 1, 1))
    recorder = LRRecorder()
    opts = TrainOptions(accelerator="cpu", devices=1, random_state=0, batch_size=32,
                        trainer_kwargs={"callbacks": [recorder], "logger": False}, **options)
    return train(net, ds, None, opts), recorder.lrs, len(ds)


# --------------------------------------------------------------------------- schedules


def test_lr_factor_warmup_then_cosine():
    total = 100
    warmup = round(WARMUP_FRACTION * total)
    factors = [lr_factor("warmup_cosine", s, total) for s in range(total)]
    np.testing.assert_allclose(factors[:warmup], np.arange(1, warmup + 1) / warmup)
    assert factors[warmup - 1] == 1.0 == max(factors)
    assert all(a >= b for a, b in zip(factors[warmup:], factors[warmup + 1 :], strict=False))
    assert factors[-1] < 0.01
    np.testing.assert_allclose(lr_factor("cosine", 50, 100), 0.5)
    assert lr_factor("warmup_cosine", 0, 1) == 1.0  # a one-step budget still learns
    with pytest.raises(ValueError, match="onecycle"):
        lr_factor("onecycle", 0, 10)


def test_warmup_cosine_learning_rates_in_a_fit():
    result, lrs, _ = fit_windows(lr_scheduler="warmup_cosine", learning_rate=0.01, max_steps=30,
                                 max_epochs=None)
    assert result.steps == 30 and len(lrs) == 30
    np.testing.assert_allclose(lrs, [0.01 * lr_factor("warmup_cosine", s, 30) for s in range(30)])
    assert lrs[0] == pytest.approx(0.01 / 3) and max(lrs) == pytest.approx(0.01)


def test_onecycle_warms_up_to_the_learning_rate_and_anneals():
    result, lrs, n_windows = fit_windows(lr_scheduler="onecycle", learning_rate=0.01, max_epochs=3)
    steps = 3 * math.ceil(n_windows / 32)  # the schedule spans the whole epoch budget
    assert result.steps == steps == len(lrs)
    peak = int(np.argmax(lrs))
    assert lrs[0] == pytest.approx(0.01 / 25) and max(lrs) == pytest.approx(0.01, rel=1e-3)
    assert 0.2 * steps <= peak <= 0.4 * steps  # 30% of the steps warm up
    assert np.all(np.diff(lrs[: peak + 1]) > 0) and np.all(np.diff(lrs[peak:]) < 0)
    assert lrs[-1] < 0.01 / 100


def test_cosine_is_per_step_over_the_step_budget():
    _, lrs, _ = fit_windows(lr_scheduler="cosine", learning_rate=0.01, max_steps=10, max_epochs=50)
    np.testing.assert_allclose(lrs, [0.01 * lr_factor("cosine", s, 10) for s in range(10)])


def test_a_schedule_needs_a_finite_budget():
    with pytest.raises(ValueError, match="finite budget"):
        fit_windows(lr_scheduler="warmup_cosine", max_epochs=None, max_time={"seconds": 5})


# --------------------------------------------------------------------------- budgets


def test_max_steps_stops_mid_epoch():
    result, lrs, n_windows = fit_windows(max_steps=7, max_epochs=100)
    assert result.steps == 7 == len(lrs) and n_windows > 7 * 32  # an epoch has 12 steps
    # throughput counts the windows trained on, not whole epochs
    assert result.windows_per_second * result.fit_seconds == pytest.approx(7 * 32)


class ValidationSteps(L.Callback):
    def __init__(self):
        self.steps = []

    def on_validation_end(self, trainer, module):
        self.steps.append(trainer.global_step)


def test_a_step_budget_ending_inside_an_epoch_is_validated(quiet, sine):
    seen = ValidationSteps()
    quiet = {**quiet, "trainer_kwargs": {**quiet["trainer_kwargs"], "callbacks": [seen]}}
    f = small(quiet, max_steps=40, max_epochs=None, early_stopping_patience=0).fit(sine)
    per_epoch = math.ceil(f.train_windows_ / 32)
    assert per_epoch < 40 < 2 * per_epoch  # the budget ends inside the second epoch
    assert seen.steps == [per_epoch, 40]  # epoch end, then the budget's last step


def small(quiet, **kw):
    params = dict(lookback=24, horizon=6, target="y", batch_size=32, hidden_size=8)
    return tsf.LSTMForecaster(**{**params, **quiet, **kw})


def test_forecaster_max_steps_honoured(quiet, sine):
    f = small(quiet, max_steps=5, max_epochs=20).fit(sine)
    assert f.steps_ == 5 and f.train_windows_ > 5 * 32
    g = small(quiet, max_steps=40, max_epochs=None, early_stopping_patience=0).fit(sine)
    assert g.steps_ == 40 and g.epochs_ >= 1  # no epoch limit: the steps decide
    h = small(quiet, max_steps=10_000, max_epochs=1).fit(sine)
    assert h.epochs_ == 1 and h.steps_ == math.ceil(h.train_windows_ / 32)  # epochs decide


def test_forecaster_max_time_honoured(quiet, sine):
    start = time.perf_counter()
    f = small(quiet, max_epochs=None, max_time=1.0, early_stopping_patience=0).fit(sine)
    assert time.perf_counter() - start < 20 and f.steps_ >= 1
    assert f.fit_seconds_ < 5


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"max_steps": 0}, "max_steps must be an integer >= 1"),
        ({"max_steps": 2.5}, "max_steps"),
        ({"max_epochs": None}, "max_epochs=None needs a budget"),
        ({"lr_scheduler": "linear"}, "lr_scheduler must be one of"),
        ({"trainer_kwargs": {"max_steps": 3}}, "trainer_kwargs must not set 'max_steps'"),
        ({"trainer_kwargs": {"num_nodes": 2}}, "trainer_kwargs must not set 'num_nodes'"),
        ({"num_nodes": 0}, "num_nodes must be an integer >= 1"),
        ({"normalization": "minmax"}, "normalization must be one of"),
        ({"loss": "smape"}, "loss='smape'.*scaler='standard'.*'maxabs'"),
        ({"loss": "smape", "scaler": "robust"}, "scaler='robust'"),
    ],
)
def test_bad_budget_and_normalisation_are_named(params, match, quiet, sine):
    with pytest.raises(ValueError, match=match):
        small(quiet, **params).fit(sine)


# ------------------------------------------------------------------ best weights, initial too
def test_the_untrained_weights_are_kept_when_training_never_beats_them(quiet, sine):
    """NLinear starts as the last-value forecast (zero-initialised). Trained with a learning
    rate that wrecks it, it keeps that start; trained sensibly on a seasonal series, it
    learns (the start is only a candidate the validation windows judge). Nets that start
    from random weights never keep them."""
    params = dict(lookback=48, horizon=6, target="y", max_epochs=3, **quiet)
    wrecked = tsf.make_forecaster("nlinear", learning_rate=1e4, **params).fit(sine)
    assert wrecked.kept_initial_
    last = sine["y"].iloc[-1]
    np.testing.assert_allclose(wrecked.predict()["y"], last, rtol=1e-5)
    learned = tsf.make_forecaster("nlinear", learning_rate=0.05, **{**params,
                                                                    "max_epochs": 10}).fit(sine)
    assert not learned.kept_initial_
    assert np.ptp(learned.predict()["y"]) > 0.5  # the daily cycle, not a flat line
    no_val = tsf.make_forecaster("nlinear", learning_rate=1e4, val_fraction=0.0, **params)
    assert not no_val.fit(sine).kept_initial_  # nothing to judge by: the trained weights
    random_start = tsf.make_forecaster("lstm", learning_rate=1e4, hidden_size=8, **params)
    assert not random_start.fit(sine).kept_initial_  # a random start is no forecast to keep


def test_training_must_beat_the_untrained_start_beyond_chance():
    """A lower validation loss by chance (noise around the same level) keeps the start; a
    consistent gain replaces it; overlapping windows (lags) make the test stricter."""
    from tsforecast.training.fit import beats_initial

    rng = np.random.default_rng(0)
    initial = rng.gamma(2.0, 1.0, size=400)
    noise = initial * np.exp(rng.normal(0, 0.3, size=400))
    slightly = noise * (0.99 * initial.mean() / noise.mean())  # 1% lower mean, all noise
    assert slightly.mean() < initial.mean() and not beats_initial(slightly, initial, lags=1)
    clearly = initial * 0.7 + rng.normal(0, 0.01, size=400) ** 2
    assert beats_initial(clearly, initial, lags=1) and beats_initial(clearly, initial, lags=5)
    assert not beats_initial(initial * 1.1, initial, lags=1)  # worse: never
    assert beats_initial(np.array([0.5]), np.array([1.0]), lags=1)  # too few to test: the mean
    # runs of 20 windows that gain 15% or lose 10% in turn (2.5% on average): beyond chance
    # as 400 independent windows, not as 20 runs of overlapping ones
    flat = np.ones(400)
    runs = flat - 0.05 * np.repeat(np.tile([3.0, -2.0], 10), 20)
    assert beats_initial(runs, flat, lags=1) and not beats_initial(runs, flat, lags=20)
    # the runs as 20 series (a global model's validation windows): lag products stay within
    # a series, so the opposite gains of neighbouring series no longer shrink the variance
    from tsforecast.evaluation.dm import diebold_mariano

    series = np.full(20, 20)
    p_plain = diebold_mariano(np.sqrt(runs), np.sqrt(flat), horizon=20)[1]
    p_series = diebold_mariano(np.sqrt(runs), np.sqrt(flat), horizon=20, groups=series)[1]
    assert p_series > p_plain and not beats_initial(runs, flat, lags=20, groups=series)
    assert beats_initial(clearly, initial, lags=5, groups=np.array([100, 0, 300]))


def test_smape_loss_hand_computed_and_scale_free(quiet, sine):
    import torch

    from tsforecast.training.module import ForecastModule

    module = ForecastModule(torch.nn.Identity(), loss="smape")
    y = torch.tensor([[[2.0], [0.0], [-1.0]]])  # [1, 3, 1]
    pred = torch.tensor([[[1.0], [0.0], [1.0]]])
    # 2|y - p| / (|y| + |p|): 2/3, 0 (both zero), 2
    expected = (2 / 3 + 0 + 2) / 3
    torch.testing.assert_close(module.compute_loss(pred, y), torch.tensor(expected))
    torch.testing.assert_close(module.compute_loss(pred * 7.5, y * 7.5), torch.tensor(expected))
    zero = torch.zeros(1, 3, 1, requires_grad=True)
    module.compute_loss(zero, torch.zeros(1, 3, 1)).backward()
    assert torch.isfinite(zero.grad).all()  # 0/0 is 0, with a finite gradient
    f = small(quiet, loss="smape", scaler="maxabs", max_epochs=2).fit(sine + 10.0)
    assert np.isfinite(f.predict().to_numpy()).all()


@pytest.mark.parametrize("loss", ["mse", "mae", "smape", "quantile"])
def test_window_losses_average_to_the_training_loss(loss):
    import torch

    from tsforecast.training.module import ForecastModule

    quantiles = (0.1, 0.5, 0.9) if loss == "quantile" else None
    module = ForecastModule(torch.nn.Identity(), loss=loss, quantiles=quantiles)
    gen = torch.Generator().manual_seed(0)
    y = torch.randn(7, 4, 2, generator=gen)
    pred = torch.randn(7, 4, 2, *((3,) if quantiles else ()), generator=gen)
    per = module.window_losses(pred, y)
    assert per.shape == (7,)
    torch.testing.assert_close(per.mean(), module.compute_loss(pred, y))


class ValidationLosses(L.Callback):
    """The validation loss of each epoch."""

    def __init__(self):
        self.losses = []

    def on_validation_end(self, trainer, module):
        self.losses.append(float(trainer.callback_metrics["val_loss"]))


def test_best_epochs_are_those_of_the_weights_kept(quiet, sine):
    """``best_epochs_`` counts the epochs up to the lowest validation loss (the weights
    restored), not the epochs run."""
    seen = ValidationLosses()
    quiet = {**quiet, "trainer_kwargs": {**quiet["trainer_kwargs"], "callbacks": [seen]}}
    f = small(quiet, max_epochs=6, early_stopping_patience=0, learning_rate=0.05).fit(sine)
    assert f.epochs_ == len(seen.losses) == 6
    assert f.best_epochs_ == int(np.argmin(seen.losses)) + 1 < 6


@pytest.mark.parametrize("n_ensemble", [1, 2])
def test_a_calibration_copy_trains_at_most_the_best_epochs(quiet, sine, monkeypatch, n_ensemble):
    """With ``level`` the calibration copy (fitted second) is given at most the epochs that
    gave the net fitted on all rows its weights (each ensemble member its twin's), not
    ``max_epochs`` searched again with early stopping."""
    from tsforecast.forecasters import neural

    budgets, real = [], neural.train

    def spy(net, train_data, val_data, options, label="training"):
        budgets.append(options.max_epochs)
        return real(net, train_data, val_data, options, label)

    monkeypatch.setattr(neural, "train", spy)
    f = small(quiet, max_epochs=6, early_stopping_patience=0, learning_rate=0.05,
              level=[80], n_ensemble=n_ensemble).fit(sine)
    fitted = f.members_ if n_ensemble > 1 else [f]
    assert budgets == [6] * n_ensemble + [m.best_epochs_ for m in fitted]
    assert all(m.best_epochs_ < 6 for m in fitted)
