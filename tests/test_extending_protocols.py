"""Adding a benchmark protocol takes one class and one registration: a protocol defined
and registered here runs through ``run_benchmark`` and ``tsforecast benchmark
--protocol``; and no code outside the registry compares a protocol's name."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tsforecast.benchmark import run_benchmark
from tsforecast.benchmark.protocols import (
    get_protocol,
    protocol_names,
    register_protocol,
    unregister_protocol,
)
from tsforecast.benchmark.protocols.base import Protocol
from tsforecast.benchmark.task import Evaluation, Task, scored_rows
from tsforecast.cli import main

PACKAGE = Path(__file__).resolve().parents[1] / "tsforecast"


class LastWindow(Protocol):
    """A test protocol: the last ``horizon`` rows of a single series held out, one
    forecast, scored by MAE."""

    name = "lastwindow"
    skill_metric = "mae"

    def prepare(self, ds, cfg, min_train_rows):
        H, frame = cfg.horizon, ds.frame
        return Task(
            dataset=ds, protocol=self, horizon=H, fit_data=frame.iloc[:-H], eval_data=frame,
            start=frame.index[-H], stride=H,
            expected=pd.DataFrame({"series": ["series"], "cutoff": [frame.index[-H - 1]]}),
            units="original units", val_fraction=cfg.val_fraction, dm_horizon=1,
            rank_metric="mae", metric_columns=["mae", "skill"],
            notes=[f"{ds.name}: the last {H} rows held out"],
        )

    def evaluate(self, task, frame):
        frame, n_excluded = scored_rows(frame)
        ae = (frame["y"] - frame["y_hat"]).abs()
        by = (frame.assign(mae=ae).groupby(["series", "target"], sort=True)["mae"].mean()
              .reset_index())
        loss = pd.Series(ae.to_numpy(), index=pd.Index(frame["step"], name="step"))
        return Evaluation({"mae": float(ae.mean())}, loss, by, 1, 1, n_excluded)

    def describe(self, task, cfg):
        return f"Last window: MAE over the last {task.horizon} rows."


@pytest.fixture(scope="module")
def lastwindow():
    """The one registration, for this module's duration only."""
    register_protocol(LastWindow())
    yield "lastwindow"
    unregister_protocol("lastwindow")


@pytest.fixture
def csv_path(tmp_path):
    n = 300
    t = np.arange(n)
    pd.DataFrame({"date": pd.date_range("2022-01-01", periods=n, freq="h"),
                  "OT": np.sin(2 * np.pi * t / 24) + 0.01 * t}).to_csv(tmp_path / "s.csv",
                                                                       index=False)
    return tmp_path / "s.csv"


ARGS = {"lookback": 24, "horizon": 12, "models": "naive,seasonal_naive,nlinear",
        "max_steps": 3}


def test_a_registered_protocol_runs_through_run_benchmark(lastwindow, csv_path, tmp_path):
    assert lastwindow in protocol_names()
    res = run_benchmark({"data": str(csv_path), "protocol": lastwindow, **ARGS,
                         "progress": False, "output": str(tmp_path / "o")})
    lb = res.leaderboard.set_index("model")
    assert lb["error"].isna().all(), lb["error"]
    assert set(lb.index) == {"naive", "seasonal_naive", "nlinear"}
    assert lb.at["naive", "skill"] == 0.0 and lb.at["seasonal_naive", "mae"] < lb.at["naive", "mae"]
    assert (res.forecasts.groupby("model").size() == 12).all()
    report = (tmp_path / "o" / "report.md").read_text()
    assert "Last window: MAE over the last 12 rows." in report
    assert "s: the last 12 rows held out" in report


def test_a_registered_protocol_runs_from_the_command_line(lastwindow, csv_path, tmp_path,
                                                          capsys):
    argv = ["benchmark", "--data", str(csv_path), "--protocol", lastwindow, "--no-progress",
            "--output", str(tmp_path / "c"),
            *[f"--{k.replace('_', '-')}={v}" for k, v in ARGS.items()]]
    assert main(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "seasonal_naive" in out and str(tmp_path / "c") in out


def test_an_unknown_protocol_is_a_usage_error(capsys, csv_path, tmp_path):
    assert main(["benchmark", "--data", str(csv_path), "--protocol", "nosuch", "--models",
                 "naive", "--output", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "protocol" in err and "'nosuch'" in err and "holdout" in err  # the valid ones


def test_every_registered_protocol_is_a_protocol_of_its_own_module():
    for name in protocol_names():
        p = get_protocol(name)
        assert isinstance(p, Protocol) and p.name == name
        module = type(p).__module__
        if module.startswith("tsforecast."):  # built in: a module of its own
            assert module == f"tsforecast.benchmark.protocols.{name}"
        for method in ("prepare", "evaluate", "describe"):
            assert getattr(type(p), method) is not getattr(Protocol, method), (name, method)


def _protocol_name_uses(tree: ast.AST, names: set[str]) -> list[int]:
    """Lines comparing a value with a protocol's name (``==``, ``!=``, ``in``), or
    comparing anything called ``protocol``; dict literals keyed by several protocols'
    names (a table of per-protocol values)."""

    def named(node) -> bool:
        if isinstance(node, ast.Constant):
            return node.value in names
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return any(named(e) for e in node.elts)
        return False

    def is_protocol(node) -> bool:
        return (isinstance(node, ast.Name) and node.id == "protocol"
                or isinstance(node, ast.Attribute) and node.attr == "protocol")

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(named(s) or is_protocol(s) for s in sides):
                found.append(node.lineno)
        elif isinstance(node, ast.Dict) and sum(named(k) for k in node.keys if k) > 1:
            found.append(node.lineno)  # a table by protocol
    return found


def test_no_protocol_name_is_compared_outside_the_registry():
    names = set(protocol_names())
    registry = PACKAGE / "benchmark" / "protocols" / "__init__.py"
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == registry:
            continue
        lines = _protocol_name_uses(ast.parse(path.read_text()), names)
        if lines:
            found[str(path.relative_to(PACKAGE))] = lines
    assert found == {}
    # the check itself finds what it is for
    assert _protocol_name_uses(ast.parse("if cfg.protocol == x: pass\n"
                                         "y = p in ('ltsf', 'holdout')\n"
                                         "z = {'rolling': 1, 'ltsf': 2}.get(p)"), names) == [1, 2, 3]
