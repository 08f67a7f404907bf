"""Training options declared once (tsforecast.training.options): the forecasters'
parameters, the training call, the LightningModule's hyperparameters and the benchmark's
flags and config keys all derive from the declaration; constraints are checked by one
checker (tsforecast.constraints) with one error style."""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
from numbers import Integral, Real
from pathlib import Path

import pytest
import torch

import tsforecast as tsf
from tsforecast.benchmark.kinds import Declared
from tsforecast.benchmark.options import OPTIONS, BenchmarkInputError, resolve_config
from tsforecast.constraints import Interval, Options, Param, check_param
from tsforecast.forecasters import neural
from tsforecast.nets import NETS
from tsforecast.training import ForecastModule, TrainOptions
from tsforecast.training.options import (
    KEEP_INITIAL,
    MODULE_PARAMS,
    TRAIN_PARAMS,
    TRAINING_OPTIONS,
    WINDOW_PARAMS,
    check_devices,
)

ROOT = Path(__file__).resolve().parents[1]
DECLARED = (*TRAIN_PARAMS, *WINDOW_PARAMS)
#: the benchmark's own defaults for two training options (a fixed step budget; one device)
BENCHMARK_DEFAULTS = {"max_steps": 600, "devices": 1}
#: benchmark option -> the training option it sets
BENCHMARK_FLAGS = {"max_epochs": "max_epochs", "max_steps": "max_steps",
                   "batch_size": "batch_size", "val_fraction": "val_fraction",
                   "accelerator": "accelerator", "devices": "devices",
                   "precision": "precision", "train_stride": "stride"}


def test_every_training_option_is_declared_once():
    names = [p.name for p in DECLARED]
    assert len(set(names)) == len(names) and set(TRAINING_OPTIONS) == set(names)
    assert all(isinstance(p, Param) and p.doc for p in DECLARED)


@pytest.mark.parametrize("param", DECLARED, ids=lambda p: p.name)
def test_forecaster_parameters_derive_from_the_declaration(param):
    assert param in neural.NeuralForecaster.params  # the very object
    sig = inspect.signature(tsf.NeuralForecaster)
    assert sig.parameters[param.name].default == param.default
    for name, spec in NETS.items():
        cls = neural.neural_forecaster(name)
        (own,) = [p for p in cls.params if p.name == param.name]
        expected = spec.defaults.get(param.name, param.default)  # a net may change a default
        assert dataclasses.replace(own, default=param.default) == param
        assert cls().get_params()[param.name] == expected


def test_the_training_call_and_the_module_derive_from_the_declaration():
    fields = dataclasses.fields(TrainOptions)
    assert [f.name for f in fields] == [p.name for p in (*TRAIN_PARAMS, KEEP_INITIAL)]
    assert [f.default for f in fields] == [p.default for p in (*TRAIN_PARAMS, KEEP_INITIAL)]
    module = ForecastModule(torch.nn.Identity())
    assert dict(module.hparams) == {p.name: p.default for p in MODULE_PARAMS}
    assert ForecastModule(torch.nn.Identity(), loss="mae").hparams.loss == "mae"
    with pytest.raises(TypeError, match="unknown hyperparameter.*'batch_size'"):
        ForecastModule(torch.nn.Identity(), batch_size=3)


def test_the_forecaster_passes_every_training_option_to_train(monkeypatch):
    seen = {}

    class Stop(Exception):
        pass

    def fake_train(net, train_data, val_data, options, label="training"):
        seen.update(dataclasses.asdict(options))
        raise Stop

    monkeypatch.setattr(neural, "train", fake_train)
    given = dict(optimizer="sgd", learning_rate=0.02, weight_decay=0.1, lr_scheduler="cosine",
                 batch_size=7, max_epochs=3, max_steps=11, max_time=60,
                 early_stopping_patience=2, accelerator="cpu", devices=1,
                 precision="64-true", strategy="auto", num_workers=0, random_state=4,
                 trainer_kwargs={"logger": False}, verbose=False)
    f = tsf.NLinearForecaster(lookback=8, horizon=2, target="y", **given)
    with pytest.raises(Stop):
        f.fit(_frame())
    assert {k: seen[k] for k in given} == given
    assert seen["loss"] == "mse" and seen["quantiles"] is None
    assert seen["keep_initial"] is True  # NLinear starts as the last value


def _frame():
    import numpy as np
    import pandas as pd

    return pd.DataFrame({"y": np.sin(np.arange(80) / 3.0)},
                        index=pd.date_range("2024-01-01", periods=80, freq="h"))


def test_benchmark_flags_and_keys_derive_from_the_declaration():
    derived = {name: opt.param for name, opt in OPTIONS.items() if opt.param}
    assert derived == BENCHMARK_FLAGS
    for name, pname in derived.items():
        opt, param = OPTIONS[name], TRAINING_OPTIONS[pname]
        assert isinstance(opt.kind, Declared) and opt.kind.param is param
        assert opt.default == BENCHMARK_DEFAULTS.get(name, param.default)
        assert param.doc.rstrip(".") in opt.help
        number = param.type if param.type in (int, float) else None
        assert opt.cli_kwargs().get("type") == number  # argparse reads numbers itself
    from tsforecast.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command").choices["benchmark"]
    flags = {a.dest: a.option_strings for a in sub._actions}
    assert all(flags[name] == [OPTIONS[name].flag] for name in derived)
    args = sub.parse_args(["--batch-size", "7", "--train-stride", "2", "--devices", "0,1"])
    cfg = resolve_config({"suite": "stocks", **{k: v for k, v in vars(args).items()
                                                if k in OPTIONS and v is not None}})
    assert (cfg.batch_size, cfg.train_stride, cfg.devices) == (7, 2, [0, 1])


@pytest.mark.parametrize("param", [p for p in DECLARED if p.constraints], ids=lambda p: p.name)
def test_a_bad_value_is_one_error_everywhere(param):
    """The same rule and message from the forecaster and, where the benchmark sets the
    option, from the benchmark's config."""
    bad = "bad-value"
    with pytest.raises(ValueError) as info:
        tsf.LSTMForecaster(**{param.name: bad})._check_params()
    message = str(info.value)
    assert message == f"{param.name} must be {_rule(param)}, got {bad!r}"
    for name, pname in BENCHMARK_FLAGS.items():
        if pname == param.name:
            with pytest.raises(BenchmarkInputError) as info:
                resolve_config({"suite": "stocks", name: bad})
            assert str(info.value) == message.replace(param.name, name, 1)


def _rule(param):
    from tsforecast.constraints import describe

    return describe(param.constraints)


@pytest.mark.parametrize(("value", "ok"), [
    (1, True), (0, False), (True, False), (2.0, False), ("1", False), (None, True),
])
def test_the_interval_rule(value, ok):
    rule = (Interval(Integral, 1), None)
    if ok:
        assert check_param("n", value, rule) == value
    else:
        with pytest.raises(ValueError, match=re.escape(f"n must be an integer >= 1 or None, "
                                                       f"got {value!r}")):
            check_param("n", value, rule)


def test_choices_and_intervals_describe_themselves():
    assert str(Interval(Real, 0, 1)) == "a finite number in [0, 1)"
    assert str(Options(("a", "b"))) == "one of ('a', 'b')"
    with pytest.raises(ValueError, match=r"x must be a finite number > 0, got nan"):
        check_param("x", float("nan"), (Interval(Real, 0, None, closed="neither"),))


def test_devices_above_the_core_count_are_refused_before_lightning():
    cores = os.cpu_count() or 1
    with pytest.raises(ValueError, match=f"devices={cores + 1} but this machine has {cores}"):
        check_devices(cores + 1, "cpu")
    with pytest.raises(ValueError, match="devices must be 'auto', a count >= 1 or a list"):
        check_devices(0, "cpu")
    check_devices(1, "cpu")
    check_devices("auto", "cpu")


def test_no_rule_is_written_twice():
    """The integer, interval and device rules have one home each: no other module spells
    out their messages or their type tests."""
    for path in (ROOT / "tsforecast").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT).as_posix()
        if name != "tsforecast/constraints.py":
            assert "must be an integer" not in text, name
            assert "int | np.integer" not in text.replace("freq, int | np.integer", ""), name
        if name != "tsforecast/training/options.py":
            assert "a count >= 1" not in text, name
            assert "def check_devices" not in text, name
    literal = re.compile(r"\bbatch_size\b[^\n]{0,20}\b256\b")
    hits = [p for p in (ROOT / "tsforecast").rglob("*.py")
            if literal.search(p.read_text(encoding="utf-8"))]
    assert [p.relative_to(ROOT).as_posix() for p in hits] == ["tsforecast/training/options.py"]
