"""The quickstart notebook runs top to bottom (one epoch per model)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"


@pytest.mark.slow
def test_quickstart_notebook_executes(tmp_path, monkeypatch):
    monkeypatch.setenv("TSFORECAST_NOTEBOOK_EPOCHS", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    # the kernel's inline backend (Agg underneath): figures become image outputs
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={
        "metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = " ".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "naive" in text and "lstm" in text  # the leaderboards were rendered
    assert "TEMP_lo95" in text and "TEMP_hi95" in text  # a forecast with its intervals
    assert "dm_pvalue" in text  # the small benchmark's leaderboard
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3  # plot() twice and plot_backtest


def test_quickstart_notebook_draws_with_the_package_and_states_its_run_time():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "matplotlib" not in code and "plt." not in code  # no hand-drawn charts
    assert ".plot(" in code and "plot_backtest(" in code and "level=[80, 95]" in code
    assert "run_benchmark(" in code
    assert re.search(r"Run time: about [^*]*minutes", nb.cells[0].source)
