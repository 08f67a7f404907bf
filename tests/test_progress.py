"""Progress that fits where it runs: a bar where someone watches (a terminal, a Jupyter
kernel), Lightning's messages only with ``verbose=True``, one bar over a benchmark's units."""

from __future__ import annotations

import logging
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tsforecast as tsf
from tsforecast import progress

QUIET_FIT = {"horizon": 4, "lookback": 16, "max_epochs": 2, "accelerator": "cpu",
             "devices": 1, "random_state": 0}
#: what Lightning says besides the bar: banner, tip, model summary, why it stopped
BANNER = ("GPU available", "TPU available", "Tip", "Trainable params", "stopped")


@pytest.fixture
def hourly():
    t = np.arange(240)
    return pd.DataFrame({"y": np.sin(t / 5) + 0.01 * t},
                        index=pd.date_range("2024-01-01", periods=t.size, freq="h"))


@pytest.fixture
def lightning_messages():
    """The messages Lightning logs during the test (its own handler aside)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append
    logger = logging.getLogger("lightning.pytorch")
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def _ipython(config: dict | None):
    shell = None if config is None else types.SimpleNamespace(config=config)
    return types.SimpleNamespace(get_ipython=lambda: shell)


@pytest.mark.parametrize(("module", "expected"), [
    (_ipython({"IPKernelApp": {"connection_file": "kernel-1.json"}}), True),  # Jupyter
    (_ipython({"TerminalInteractiveShell": {}}), False),  # IPython in a terminal
    (_ipython(None), False),  # IPython imported, no shell running
    (None, False),  # plain Python
])
def test_in_notebook_detects_a_jupyter_kernel(monkeypatch, module, expected):
    if module is None:
        monkeypatch.delitem(sys.modules, "IPython", raising=False)
    else:
        monkeypatch.setitem(sys.modules, "IPython", module)
    assert progress.in_notebook() is expected


@pytest.mark.parametrize("notebook", [True, False])
def test_the_default_shows_a_bar_in_a_notebook_or_a_terminal(monkeypatch, notebook):
    monkeypatch.setattr(sys, "stderr", types.SimpleNamespace(isatty=lambda: False))
    monkeypatch.setattr(progress, "in_notebook", lambda: notebook)
    assert progress.show(None) is notebook
    assert progress.show(False) is False and progress.show(True) is True
    monkeypatch.setattr(sys, "stderr", types.SimpleNamespace(isatty=lambda: True))
    assert progress.show(None) is True


@pytest.mark.parametrize("verbose", [False, None])  # None: pytest's stderr is no terminal
def test_a_quiet_fit_prints_nothing(capfd, hourly, lightning_messages, verbose):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tsf.NLinearForecaster(**QUIET_FIT, verbose=verbose).fit(hourly)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert lightning_messages == []
    assert [str(w.message) for w in caught if "lightning" in w.filename] == []


def test_a_watched_fit_shows_the_bar_alone(capfd, monkeypatch, hourly, lightning_messages):
    monkeypatch.setattr(progress, "interactive", lambda: True)
    tsf.NLinearForecaster(**QUIET_FIT).fit(hourly)
    out, err = capfd.readouterr()
    assert out == ""  # the bar is on stderr
    assert "nlinear epoch 1" in err and "100%" in err
    assert not [m for m in BANNER if m in err]
    assert lightning_messages == []


def test_verbose_shows_the_bar_and_lightnings_messages(capfd, hourly, lightning_messages):
    tsf.NLinearForecaster(**QUIET_FIT, verbose=True).fit(hourly)
    _, err = capfd.readouterr()
    assert "nlinear epoch 1" in err
    said = " ".join(r.getMessage() for r in lightning_messages)
    assert "GPU available" in said and "Trainable params" in said


@pytest.mark.parametrize("own_bar", [False, True])
def test_the_callers_trainer_settings_decide_the_bar(capfd, hourly, own_bar):
    """``trainer_kwargs`` may turn the bar off or bring its own (ours then stays out)."""
    from lightning.pytorch.callbacks import TQDMProgressBar

    class Own(TQDMProgressBar):
        def on_train_epoch_start(self, trainer, *args):
            super().on_train_epoch_start(trainer, *args)
            self.train_progress_bar.set_description("own bar")

    kwargs = {"callbacks": [Own()]} if own_bar else {"enable_progress_bar": False}
    tsf.NLinearForecaster(**QUIET_FIT, verbose=True, trainer_kwargs=kwargs).fit(hourly)
    out, err = capfd.readouterr()
    assert "nlinear epoch" not in out + err
    assert ("own bar" in out + err) is own_bar


def test_calibration_and_ensemble_fits_name_their_bars(capfd, monkeypatch, hourly):
    monkeypatch.setattr(progress, "interactive", lambda: True)
    tsf.NLinearForecaster(**QUIET_FIT, level=[80], n_ensemble=2).fit(hourly)
    _, err = capfd.readouterr()
    for label in ("nlinear (calibration, member 1/2) epoch", "nlinear (calibration, member 2/2)",
                  "nlinear (member 1/2) epoch", "nlinear (member 2/2) epoch"):
        assert label in err
    # the model on all rows first, then its calibration copy (which may reuse its choices)
    assert err.index("nlinear (member 2/2)") < err.index("(calibration, member 1/2)")


def test_stages_nest_and_end():
    assert progress.describe("lstm") == "lstm"
    with progress.stage("calibration"), progress.stage("member 1/3"):
        assert progress.describe("lstm") == "lstm (calibration, member 1/3)"
    assert progress.describe("lstm") == "lstm"


# -- a benchmark: one bar over its units ---------------------------------------------------
def _panel(path):
    rng = np.random.default_rng(0)
    rows = [(f"s{i}", t, 10 + t % 4 + rng.normal()) for i in range(3) for t in range(24)]
    pd.DataFrame(rows, columns=["unique_id", "ds", "y"]).to_csv(path, index=False)


@pytest.mark.parametrize(("watched", "flag", "shown"), [
    (True, None, True), (False, None, False), (False, True, True), (True, False, False)])
def test_a_benchmark_shows_one_bar_where_watched(capfd, monkeypatch, tmp_path, watched, flag,
                                                  shown):
    from tsforecast.benchmark import run_benchmark

    _panel(tmp_path / "p.csv")
    monkeypatch.setattr(progress, "interactive", lambda: watched)
    run_benchmark({"data": str(tmp_path / "p.csv"), "protocol": "holdout", "horizon": 4,
                   "mase_season": 4, "models": "naive,mean", "progress": flag,
                   "save_forecasts": "none", "output": str(tmp_path / "o")})
    _, err = capfd.readouterr()
    assert ("benchmark: 100%" in err and "2/2" in err) is shown
    assert ("benchmark:" in err) is shown


@pytest.mark.slow
def test_a_fit_in_a_notebook_shows_a_bar(monkeypatch, tmp_path):
    """A real Jupyter kernel (stderr there is no terminal): the default shows the bar, as a
    widget with ipywidgets or as text, and nothing else of Lightning's."""
    import nbformat
    from nbclient import NotebookClient

    repo = str(Path(__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", repo)  # the kernel imports this checkout's package
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import numpy as np, pandas as pd, tsforecast as tsf\n"
        "t = np.arange(240)\n"
        "df = pd.DataFrame({'y': np.sin(t / 5)}, "
        "index=pd.date_range('2024-01-01', periods=240, freq='h'))\n"
        f"tsf.NLinearForecaster(**{QUIET_FIT!r}).fit(df);")])
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json"
               in o.get("data", {})]
    assert "nlinear epoch 1" in text or widgets
    assert not [m for m in BANNER if m in text]
