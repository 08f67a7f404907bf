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


def _help(cls) -> list[str]:
    import pydoc

    return pydoc.render_doc(cls, renderer=pydoc.plaintext).splitlines()


@pytest.mark.parametrize("name", NAMES)
def test_help_leaves_out_scikit_learns_metadata_routing(name):
    """``fit``/``predict`` take data and options, not per-sample metadata: no
    ``set_fit_request``/``set_predict_request`` (nor their pages of help text)."""
    from tsforecast.forecasters import get_forecaster

    cls = get_forecaster(name)
    assert not hasattr(cls, "set_fit_request") and not hasattr(cls, "set_predict_request")
    text = "\n".join(_help(cls))
    for boilerplate in ("set_fit_request", "set_predict_request", "UNCHANGED", "PEP-487"):
        assert boilerplate not in text
    assert cls().get_metadata_routing().consumes("fit", ["data"]) == set()


def test_help_is_the_models_own_documentation():
    """``help(tsf.LSTMForecaster)``: the docstring (its Parameters generated from the
    declared parameters) and the package's own methods; of scikit-learn only the
    estimator API it adopts (``get_params``/``set_params``) and ``get_metadata_routing``,
    and no more frame around them than that content."""
    import inspect

    import tsforecast as tsf

    cls = tsf.LSTMForecaster
    lines = _help(cls)
    doc = inspect.getdoc(cls).splitlines()
    assert all(f"{p.name} : default {p.default!r}" in doc for p in cls.all_params())
    own = 0  # signature, docstring and a blank line per public member defined here
    for member_name in (n for n in dir(cls) if not n.startswith("_")):
        owner = next(k for k in cls.__mro__ if member_name in vars(k))
        member = vars(owner)[member_name]
        member = getattr(member, "__func__", member)
        if owner.__module__.startswith("tsforecast"):
            has_doc = inspect.isfunction(member) or isinstance(member, property)
            own += 2 + (len((inspect.getdoc(member) or "").splitlines()) if has_doc else 0)
    assert len(lines) < 2 * (len(doc) + own)
    sklearn_sections = [i for i, ln in enumerate(lines) if "inherited from sklearn." in ln]
    names = set()
    for i in sklearn_sections:
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith(" |  ---")),
                   len(lines))
        names |= {ln[4:].split("(")[0].strip() for ln in lines[i + 1:end]
                  if ln.startswith(" |  ") and not ln.startswith(" |   ") and ln[4:].strip()}
    public = {n for n in names if not n.startswith("_")}
    assert public == {"get_params", "set_params", "get_metadata_routing"}
