"""What every fitted forecaster knows besides its own learned arrays, as one frozen object.

``fit`` (and ``load``) end by building a :class:`FittedState`; the output frames
(:mod:`.output`) and the files on disk (:mod:`.persistence`) are written from it alone,
so neither reaches into the model for its private attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data import DataSpec, Layout, SeriesData

__all__ = ["FittedState"]


@dataclass(frozen=True)
class FittedState:
    """The data schema, layout, frequency and kept history of a fitted forecaster.

    Parameters
    ----------
    spec : the :class:`~tsforecast.data.DataSpec` the data was read with.
    layout : the column layout (targets, then past, then known-future covariates).
    freq : the frequency forecasts are stamped with (``None`` for integer indexes).
    multi_series : whether the model was fitted on several series (output frames then
        carry a series column).
    horizon : forecast steps.
    history : the rows of each series that forecasts start from (with intervals, at
        least the ``SCALE_ROWS`` their local scale reads).
    quantiles : the quantile levels forecasts carry (``None``: point forecasts only).
    levels : conformal interval levels, with ``conformal_scores`` their ``[K, H, T]``
        half-widths in local-scale units (both ``None`` without intervals).

    Examples
    --------
    >>> import pandas as pd, tsforecast as tsf
    >>> df = pd.DataFrame({"y": [float(i) for i in range(30)]},
    ...                   index=pd.date_range("2024", periods=30))
    >>> tsf.NaiveForecaster(horizon=3, target="y").fit(df).state_.freq
    'D'
    """

    spec: DataSpec
    layout: Layout
    freq: Any
    multi_series: bool
    horizon: int
    history: tuple[SeriesData, ...]
    quantiles: tuple[float, ...] | None = None
    levels: tuple[float, ...] | None = None
    conformal_scores: np.ndarray | None = None

    @property
    def targets(self) -> list[str]:
        return list(self.layout.target)

    @property
    def id_col(self) -> str:
        """The name of the series column in output frames."""
        return self.spec.id_col or "series"
