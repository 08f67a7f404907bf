"""Every registered forecaster against the one contract (see ``contract.py``)."""

from __future__ import annotations

import pytest
from contract import ForecasterContract

from tsforecast.forecasters import list_forecasters

NAMES = list_forecasters()


class TestEveryForecaster(ForecasterContract):
    @pytest.fixture(params=NAMES)
    def name(self, request):
        return request.param


def test_registry_covers_the_documented_models():
    assert {"lstm", "lstm_attention", "patch_transformer", "dlinear", "nlinear", "naive",
            "seasonal_naive", "drift", "mean", "lag_regression", "ets", "arima"} <= set(NAMES)
