"""save / load: every array checked on load, saves that roll back and clean up after
themselves (issue 26, items 4 and 9)."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tsforecast as tsf
from tsforecast.forecasters import BaseForecaster


def hourly(n: int = 120) -> pd.DataFrame:
    y = 10 + np.cumsum(np.random.default_rng(0).normal(size=n))
    return pd.DataFrame({"y": y}, index=pd.date_range("2024-01-01", periods=n, freq="h"))


def edit_config(path, change) -> None:
    cfg = json.loads((path / "config.json").read_text())
    change(cfg)
    (path / "config.json").write_text(json.dumps(cfg))


def edit_npz(path, name: str, change) -> None:
    with np.load(path / name) as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    np.savez(path / name, **arrays)


def set_params(**params):
    return lambda p: edit_config(p, lambda c: c["params"].update(params))


def set_array(name: str, key: str, value):
    return lambda p: edit_npz(p, name, lambda a: a.update({key: value(a[key])}))


def drop_array(name: str, key: str):
    return lambda p: edit_npz(p, name, lambda a: a.pop(key))


def add_array(name: str, key: str, value):
    return lambda p: edit_npz(p, name, lambda a: a.update({key: value}))


def add_series(cfg) -> None:
    cfg["series"].append("zz")
    cfg["index"].append(cfg["index"][0])


SCORES = "_conformal_scores"
MODELS = {
    "naive": lambda: tsf.NaiveForecaster(horizon=4, target="y", level=[80]),
    "lag_regression": lambda: tsf.LagRegressionForecaster(horizon=4, lags=5, target="y",
                                                          quantiles=[0.1]),
    "nlinear": lambda: tsf.NLinearForecaster(horizon=4, lookback=8, target="y", max_epochs=1,
                                             verbose=False, accelerator="cpu", devices=1,
                                             random_state=0),
}


# -- 4. an edited save is refused, naming the field ---------------------------------------------
@pytest.mark.parametrize(
    ("model", "damage", "match"),
    [
        # conformal half-widths: used to broadcast silently into the intervals
        ("naive", set_array("state.npz", SCORES, lambda s: s[:, :1]),
         r"state.npz: _conformal_scores has shape \(1, 1, 1\).*horizon 4 .*\(1, 4, 1\)"),
        ("naive", set_array("state.npz", SCORES, lambda s: np.concatenate([s, s])),
         r"_conformal_scores has shape \(2, 4, 1\).*level \[80.0\]"),
        ("naive", set_array("state.npz", SCORES, lambda s: -s),
         "_conformal_scores holds negative or non-finite"),
        ("naive", set_params(horizon=6), r"_conformal_scores has shape \(1, 4, 1\).*horizon 6"),
        ("naive", drop_array("state.npz", SCORES),
         r"_conformal_scores is missing but config.json has level=\[80\]"),
        ("naive", set_params(level=None),
         "_conformal_scores is present but config.json has level=None"),
        # the kept history
        ("naive", set_array("history.npz", "values_0", lambda v: v[:, :0]),
         r"history.npz: values_0 \(series 'series'\) has shape \(120, 0\).*\['y'\]"),
        ("naive", set_array("history.npz", "values_0", lambda v: v[:, 0]),
         r"values_0 \(series 'series'\) has shape \(120,\)"),
        ("naive", set_array("history.npz", "values_0", lambda v: v.astype("U8")),
         "values_0 .* dtype <U8.*floating-point"),
        ("naive", set_array("history.npz", "index_0", lambda i: i[1:]),
         r"index_0 \(series 'series'\) has shape \(119,\).*one time stamp per row of values_0"),
        ("naive", set_array("history.npz", "index_0", lambda i: i[::-1]),
         "index_0 .* strictly increasing"),
        ("naive", add_array("history.npz", "missing_0", np.zeros(3, bool)),
         r"missing_0 \(series 'series'\) has shape \(3,\)"),
        ("naive", add_array("history.npz", "values_7", np.zeros((2, 1), np.float32)),
         r"holds arrays no series in config.json names: \['values_7'\]"),
        ("naive", lambda p: edit_config(p, add_series), r"values_1 \(series 'zz'\) is missing"),
        # a model's own arrays
        ("lag_regression", set_params(horizon=6),
         r"state.npz: /coef_ has shape \(4, 5\).*horizon 6 .*\(6, 5\)"),
        ("lag_regression", set_array("state.npz", "/resid_sd", lambda s: s[:1]),
         r"/resid_sd has shape \(1,\)"),
        ("lag_regression", drop_array("state.npz", "/resid_sd"), "/resid_sd is missing"),
        ("lag_regression", set_params(quantiles=None), "state quantiles .* disagree"),
        # was a pandas length error in predict()
        ("nlinear", set_params(horizon=6), "state dims horizon=4, but the parameters and "
                                           "layout give horizon=6"),
    ],
)
def test_an_edited_save_is_refused_naming_the_field(model, damage, match, tmp_path):
    MODELS[model]().fit(hourly()).save(tmp_path / "m")
    damage(tmp_path / "m")
    with pytest.raises(ValueError, match=match):
        BaseForecaster.load(tmp_path / "m").predict()


def test_every_model_state_survives_the_checks(tmp_path):
    """The checks refuse damage only: an unedited save of each kind loads and predicts the
    same (intervals, quantiles, a net, missing-value flags, an integer index)."""
    gaps = hourly()
    gaps.iloc[100:103, 0] = np.nan
    cases = [f().fit(hourly()) for f in MODELS.values()]
    cases.append(tsf.NaiveForecaster(horizon=2, fill_missing="ffill", level=[90]).fit(gaps))
    cases.append(tsf.NaiveForecaster(horizon=2).fit(hourly().reset_index(drop=True)))
    for i, f in enumerate(cases):
        f.save(tmp_path / str(i))
        pd.testing.assert_frame_equal(BaseForecaster.load(tmp_path / str(i)).predict(),
                                      f.predict())


# -- 9. save(overwrite=True) rolls back, cleans up after killed saves, keeps user files ----------
def naive(horizon: int) -> tsf.NaiveForecaster:
    return tsf.NaiveForecaster(horizon=horizon, target="y").fit(hourly())


def dead_pid() -> int:
    """The id of a process that has exited (what a killed save's folders are named by)."""
    proc = subprocess.Popen([sys.executable, "-c", ""])
    proc.wait()
    return proc.pid


def siblings(path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


def test_a_failure_between_the_renames_puts_the_old_model_back(tmp_path, monkeypatch):
    path = tmp_path / "m"
    naive(2).save(path)
    rename = Path.rename

    def fail_on_the_new_model(self, target):  # the second rename: new files -> path
        if self.name.startswith(".m.tsforecast-tmp-"):
            raise OSError("disk unplugged")
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", fail_on_the_new_model)
    with pytest.raises(OSError, match="disk unplugged"):
        naive(3).save(path, overwrite=True)
    monkeypatch.undo()
    assert BaseForecaster.load(path).horizon == 2  # was: no model at the path
    assert siblings(path) == ["m"]


@pytest.mark.parametrize("extra", [None, "notes.txt"])
def test_overwrite_refuses_a_folder_that_is_not_a_saved_model(extra, tmp_path):
    path = tmp_path / "m"
    if extra is None:  # the user's own folder
        path.mkdir()
        (path / "data.csv").write_text("a,b\n1,2\n")
        kept, match = "data.csv", r"is not a saved model .*\['data.csv'\]"
    else:  # a saved model the user put a file into
        naive(2).save(path)
        (path / extra).write_text("keep me")
        kept, match = extra, r"is not a saved model .*\['notes.txt'\]"
    with pytest.raises(ValueError, match=match):
        naive(3).save(path, overwrite=True)
    assert (path / kept).exists() and siblings(path) == ["m"]


def test_save_cleans_what_killed_saves_left_and_only_that(tmp_path):
    path = tmp_path / "m"
    naive(2).save(path)
    dead, alive = dead_pid(), os.getppid()
    names = {
        f".m.tsforecast-tmp-{dead}-a1b2c3d4": True,  # a save killed while writing
        f".m.tsforecast-old-{dead}-0f0f0f0f": True,  # killed after the second rename
        ".m-x1y2z3w4": True,  # the temporary folder of the previous tsforecast
        f".m-old-{dead}": True,  # and its backup
        f".m.tsforecast-tmp-{alive}-e5f6a7b8": False,  # a save still running
        ".m-settings": False,  # a user's folder with a similar name
        ".m-abcdefgh": False,  # ... even one named like an old temporary folder
        f".n.tsforecast-tmp-{dead}-a1b2c3d4": False,  # another model's
    }
    for name, ours in names.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / ("state.npz" if ours else "mine.txt")).write_bytes(b"x" * 100)
    naive(3).save(path, overwrite=True)
    assert siblings(path) == sorted(["m", *(n for n, ours in names.items() if not ours)])
    assert BaseForecaster.load(path).horizon == 3


@pytest.mark.parametrize("legacy", [False, True])
@pytest.mark.parametrize("then", ["load", "save"])
def test_a_save_killed_between_the_renames_is_rolled_back(legacy, then, tmp_path):
    """The state a SIGKILL between the renames leaves: the old model moved aside, the new
    one complete in its temporary folder, nothing at the path. The next load or save of
    the path puts the old model back (as the save would have rolled back) and cleans up."""
    path, dead = tmp_path / "m", dead_pid()
    naive(2).save(path)
    new = tmp_path / "new"
    naive(3).save(new)
    if legacy:  # the names the previous tsforecast gave them
        path.rename(tmp_path / f".m-old-{dead}")
        new.rename(tmp_path / ".m-k3j4h5g6")
    else:
        path.rename(tmp_path / f".m.tsforecast-old-{dead}-12345678")
        new.rename(tmp_path / f".m.tsforecast-tmp-{dead}-abcdefgh")
    if then == "load":
        assert BaseForecaster.load(path).horizon == 2
    else:
        with pytest.raises(ValueError, match="not empty; pass overwrite=True"):
            naive(4).save(path)  # the old model is back: it is not overwritten silently
        naive(4).save(path, overwrite=True)
        assert BaseForecaster.load(path).horizon == 4
    assert siblings(path) == ["m"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="kills forked savers")
def test_saves_killed_at_random_moments_leave_a_model_and_no_leftovers(tmp_path):
    """A forked process saves two models in turn until it is SIGKILLed, at a random moment:
    every time the path loads a whole model, and the next save leaves no hidden folder."""
    path, models = tmp_path / "m", [naive(2), naive(3)]
    models[0].save(path)
    rng = np.random.default_rng(0)
    for _ in range(12):
        ready, started = os.pipe()
        pid = os.fork()
        if pid == 0:  # the saver: never returns into pytest
            try:
                os.close(ready)
                models[0].save(path, overwrite=True)
                os.write(started, b"1")
                for i in itertools.count():
                    models[i % 2].save(path, overwrite=True)
            finally:
                os._exit(1)
        os.close(started)
        os.read(ready, 1)
        os.close(ready)
        time.sleep(rng.uniform(0, 0.02))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        assert BaseForecaster.load(path).horizon in (2, 3)
    models[0].save(path, overwrite=True)
    assert siblings(path) == ["m"]
