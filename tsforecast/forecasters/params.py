"""Constructor parameters declared once, as data.

A forecaster lists its own hyperparameters as :class:`Param` entries (name, default,
help, constraints: :mod:`tsforecast.constraints`); the shared ones
(``horizon``, the :class:`~tsforecast.data.DataSpec` fields) are added by the base class
according to the forecaster's tags. From that one declaration come the ``__init__``
signature (what ``get_params``, ``clone``, ``help()`` and tuners read), the "Parameters"
section of the class docstring and the defaults.

``__init__`` follows scikit-learn: it stores each argument unchanged and validates
nothing; ``fit`` validates: the base class checks every declared constraint
(:func:`check_declared`), the forecaster the rules that tie parameters together.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import MISSING, fields
from numbers import Integral

from ..constraints import Check, Interval, Options, Param

__all__ = [
    "DATA_PARAMS", "HORIZON", "Check", "Interval", "Options", "Param", "make_init", "params_doc",
    "params_from_config",
]


HORIZON = Param("horizon", 24, "steps to forecast.", (Interval(Integral, 1),))

#: The :class:`~tsforecast.data.DataSpec` fields; the covariate ones only for forecasters
#: tagged ``covariates``.
DATA_PARAMS = (
    Param("target", None, "target column(s); ``None`` takes every numeric column that is "
          "not a covariate."),
    Param("past_covariates", None, "columns observed only up to the forecast origin.",),
    Param("future_covariates", None, "columns known in advance; pass their values for the "
          "horizon to ``predict(future_covariates=...)``."),
    Param("calendar_features", False, "add generated calendar features (known-future)."),
    Param("id_col", None, "series id column of a long frame (one series per id)."),
    Param("time_col", None, "time column (default: the index, or the one column of "
          "timestamps when the index holds none)."),
    Param("fill_missing", None, "``None`` (NaN is an error), ``\"ffill\"`` or "
          "``\"interpolate\"`` for training data; histories forecasts are made from are "
          "only forward-filled."),
    Param("freq", None, "frequency for future timestamps; inferred when ``None``."),
)
COVARIATE_PARAMS = ("past_covariates", "future_covariates", "calendar_features")

#: Conformal prediction intervals, available on every forecaster.
INTERVAL_PARAMS = (
    Param("level", None, "prediction-interval levels in percent, e.g. ``[80, 95]``: split "
          "conformal intervals from held-out rolling-origin errors per horizon step; adds "
          "``<target>_lo80``/``<target>_hi80`` columns."),
    Param("calibration_size", 0.2, "rows held out at the end of each training series to "
          "calibrate the intervals: a fraction, a number of rows, or a pair ``(fraction, "
          "rows)``: that fraction, at least that many rows."),
)


def check_declared(obj, params: Iterable[Param]) -> None:
    """Check ``obj``'s value of each of ``params`` against its declared constraints (the
    one place they are checked; a ``ValueError`` naming the first bad one)."""
    for p in params:
        p.check(getattr(obj, p.name))


def params_from_config(config_cls: type) -> tuple[Param, ...]:
    """Params from a config dataclass; each field's doc is ``metadata["doc"]``."""
    out = []
    for f in fields(config_cls):
        default = f.default if f.default is not MISSING else None
        out.append(Param(f.name, default, f.metadata.get("doc", "")))
    return tuple(out)


def make_init(params: Iterable[Param]):
    """An ``__init__(self, *, name=default, ...)`` storing every argument unchanged."""
    params = tuple(params)
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise TypeError(f"parameter(s) {dup} declared twice")
    signature = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default)
           for p in params]
    )
    defaults = {p.name: p.default for p in params}

    def __init__(self, **kwargs):
        unknown = [k for k in kwargs if k not in defaults]
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got unexpected argument(s) {unknown}; "
                f"valid: {sorted(defaults)}"
            )
        for name, default in defaults.items():
            setattr(self, name, kwargs.get(name, default))

    __init__.__signature__ = signature
    return __init__


def params_doc(params: Iterable[Param]) -> str:
    """The numpydoc "Parameters" section for ``params``."""
    lines = ["Parameters", "----------"]
    for p in params:
        lines.append(f"{p.name} : default {p.default!r}")
        if p.doc:
            lines.append(f"    {p.doc}")
    return "\n".join(lines)


def insert_section(doc: str | None, section: str) -> str:
    """Put ``section`` before the docstring's Examples (or at its end)."""
    doc = inspect.cleandoc(doc or "")
    marker = "\nExamples\n--------"
    if marker in doc:
        head, tail = doc.split(marker, 1)
        return f"{head.rstrip()}\n\n{section}\n{marker}{tail}"
    return f"{doc.rstrip()}\n\n{section}\n"
