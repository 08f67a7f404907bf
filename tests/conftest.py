"""Shared test fixtures: quiet, small, CPU-only, single-threaded training."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

# Tiny models train faster on one thread, and it keeps parallel test runs from thrashing.
torch.set_num_threads(1)
os.environ.setdefault("TSFORECAST_CACHE_DIR", os.path.join(os.path.dirname(__file__), ".cache"))
warnings.filterwarnings("ignore", message=".*does not have many workers.*")


@pytest.fixture
def quiet(tmp_path):
    """Keyword arguments for a fast, silent CPU fit that writes logs under tmp_path."""
    return {
        "accelerator": "cpu",
        "devices": 1,
        "verbose": False,
        "random_state": 0,
        "trainer_kwargs": {"logger": False, "default_root_dir": str(tmp_path)},
    }


@pytest.fixture(scope="session")
def weather():
    from tsforecast.datasets import load_weather

    return load_weather()


@pytest.fixture(scope="session")
def stocks():
    from tsforecast.datasets import load_stocks

    return load_stocks(source="bundled")


@pytest.fixture
def sine():
    """A 1,200-step hourly sine with a trend and a covariate."""
    t = np.arange(1200)
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "y": 10 + np.sin(2 * np.pi * t / 24) + 0.01 * t + 0.1 * rng.normal(size=t.size),
            "x": np.cos(2 * np.pi * t / 24),
        },
        index=pd.date_range("2024-01-01", periods=t.size, freq="h", name="date"),
    )
