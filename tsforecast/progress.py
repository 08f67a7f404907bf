"""Progress that fits where it runs: when to show a bar, the bar itself, what it names.

A bar is shown where someone watches: stderr attached to a terminal, or a Jupyter
kernel (whose cells show stderr though it is no terminal), unless told otherwise
(:func:`show`). :func:`bar` is a ``tqdm.auto`` bar on stderr: a widget in a notebook
with ipywidgets, text elsewhere. A fit names its bar after the model and the stages it
runs in (:func:`stage`, :func:`describe`): ``lstm (calibration) epoch 3`` is the
conformal calibration fit of an LSTM, ``lstm (member 2/5)`` an ensemble member.

Light to import: tqdm loads when a bar is made, IPython is only looked up.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

__all__ = ["bar", "describe", "in_notebook", "interactive", "show", "stage"]

_STAGES: ContextVar[tuple[str, ...]] = ContextVar("tsforecast_progress_stages", default=())


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (notebooks, JupyterLab, VS Code, Colab): an
    IPython shell started by ``IPKernelApp``. A terminal IPython is not one (its stderr is
    a terminal)."""
    ipython = sys.modules.get("IPython")  # a kernel has imported it; never imported here
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def interactive() -> bool:
    """Whether someone watches the output: stderr is a terminal, or a notebook."""
    isatty = getattr(sys.stderr, "isatty", None)
    return in_notebook() or bool(isatty and isatty())


def show(verbose: bool | None) -> bool:
    """Whether to show a progress bar: ``verbose``, or when ``None``, :func:`interactive`."""
    return interactive() if verbose is None else bool(verbose)


def bar(total: int | None = None, **kwargs: Any):
    """A ``tqdm.auto`` bar on stderr (``kwargs`` go to tqdm, e.g. ``desc``, ``disable``)."""
    with warnings.catch_warnings():
        # tqdm.auto's notes on import: it picked the notebook bar, or found no ipywidgets
        # and draws text (which a notebook shows as well)
        warnings.simplefilter("ignore")
        from tqdm.auto import tqdm
    return tqdm(total=total, file=sys.stderr, dynamic_ncols=True, **kwargs)


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Bars opened inside say that they belong to ``name`` (e.g. ``"calibration"``)."""
    token = _STAGES.set((*_STAGES.get(), name))
    try:
        yield
    finally:
        _STAGES.reset(token)


def describe(name: str) -> str:
    """``name`` with the stages it runs in: ``"lstm (calibration, member 2/5)"``."""
    stages = _STAGES.get()
    return f"{name} ({', '.join(stages)})" if stages else name
