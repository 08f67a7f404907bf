"""Adding a model takes one file: a net registered here runs the full contract.

The toy net forecasts the last value plus a learned per-step offset; registering it with
``@register_net`` is all it takes to get ``ToyForecaster`` with its hyperparameter as a
constructor argument, ``make_forecaster("toy")`` and every contract test.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import pytest
import torch
from contract import ForecasterContract
from torch import nn

import tsforecast as tsf
from tsforecast.forecasters import list_forecasters, registry
from tsforecast.nets import NETS, Dims, NetCapabilities, register_net
from tsforecast.nets.common import get_inputs, shape_output


@dataclass(frozen=True)
class ToyConfig:
    scale: float = field(default=1.0, metadata={"doc": "multiplies the learned offsets."})


class ToyNet(nn.Module):
    """Last value plus a learned offset per horizon step (a test net)."""

    def __init__(self, dims: Dims, config: ToyConfig):
        super().__init__()
        self.dims, self.config = dims, config
        self.offset = nn.Parameter(torch.zeros(dims.horizon, dims.n_targets, dims.n_outputs))

    def forward(self, batch):
        x, _ = get_inputs(batch, self.dims)  # [B, L, C]
        last = x[:, -1:, : self.dims.n_targets].unsqueeze(-1)  # [B, 1, T, 1]
        spread = torch.linspace(-1, 1, self.dims.n_outputs) if self.dims.n_quantiles else 0.0
        out = last + self.config.scale * self.offset + spread  # [B, H, T, Q]
        return shape_output(out, self.dims)  # [B, H, T] or [B, H, T, Q]


#: what the toy net does, declared once at registration (it reads the targets only)
CAPABILITIES = NetCapabilities(covariates=False, future_covariates=False,
                               channel_independent=False, masks=True, start_test=False)


@pytest.fixture(scope="module")
def toy():
    """The one line that registers the net, for this module's duration only."""
    register_net("toy", forecaster="ToyForecaster", config=ToyConfig, capabilities=CAPABILITIES)(
        ToyNet)
    yield "toy"
    NETS.pop("toy")
    registry.unregister("toy")


class TestToyContract(ForecasterContract):
    @pytest.fixture(params=["toy"])
    def name(self, request, toy):
        return request.param


def test_registration_makes_a_forecaster_with_explicit_hyperparameters(toy):
    assert "toy" in list_forecasters(tag="neural")
    f = tsf.make_forecaster("toy", scale=0.5)
    assert type(f).__name__ == "ToyForecaster" and f.get_params()["scale"] == 0.5
    assert "scale" in inspect.signature(type(f)).parameters
    assert "multiplies the learned offsets" in type(f).__doc__
    from tsforecast.forecasters.neural import ToyForecaster

    assert ToyForecaster is type(f)


def test_registration_makes_a_public_name(toy):
    """The public name comes from the registry: no list to edit."""
    assert tsf.ToyForecaster is tsf.get_forecaster("toy")
    assert tsf.forecasters.ToyForecaster is tsf.ToyForecaster
    assert "ToyForecaster" in dir(tsf) and "ToyForecaster" in tsf.__all__


def test_declared_capabilities_are_what_the_forecaster_reads(toy, sine, quiet):
    f = tsf.ToyForecaster(lookback=24, horizon=6, target="y", past_covariates="x",
                          max_epochs=1, **quiet)
    assert f.net_capabilities is CAPABILITIES
    with pytest.warns(UserWarning, match=r"'toy' ignores covariates \['x'\]$"):
        f.fit(sine)


def test_a_registered_net_runs_from_the_command_line(toy, tmp_path, capsys):
    """The registered net is a model of the benchmark like any other: its name on the
    command line, its own hyperparameter in --model-params."""
    import json

    import numpy as np
    import pandas as pd

    from tsforecast.cli import main

    t = np.arange(400)
    pd.DataFrame({"date": pd.date_range("2022-01-01", periods=400, freq="h"),
                  "OT": np.sin(2 * np.pi * t / 24) + 0.01 * t}).to_csv(tmp_path / "s.csv",
                                                                       index=False)
    argv = ["benchmark", "--data", str(tmp_path / "s.csv"), "--models", "toy,naive",
            "--lookback", "24", "--horizon", "6", "--max-steps", "3", "--no-progress",
            "--accelerator", "cpu", "--output", str(tmp_path / "o"),
            "--model-params", json.dumps({"toy": {"scale": 0.5}})]
    assert main(argv) == 0, capsys.readouterr().err
    lb = pd.read_csv(tmp_path / "o" / "leaderboard.csv").set_index("model")
    assert lb.loc["toy", "error"] != lb.loc["toy", "error"]  # NaN: no error
    cfg = json.loads((tmp_path / "o" / "config.json").read_text())
    assert cfg["model_params"]["toy"] == {"scale": 0.5}
