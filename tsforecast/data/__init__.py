"""pandas -> validated float32 arrays -> lazy windows.

One place for each step: :mod:`.spec` declares the data schema (:class:`DataSpec`),
:mod:`.frames` validates input, :mod:`.timeindex` handles frequencies, seasons and
calendar features, :mod:`.scaling` fits scalers on training rows only, :mod:`.splits`
does the window arithmetic of chronological splits and :mod:`.windows` builds lazy
windows for torch (imported on first use, so ``import tsforecast.data`` needs no torch).
"""

from .frames import FILL_POLICIES, Layout, SeriesData, check_index, split_series, to_series
from .scaling import SCALERS, SeriesScaler
from .spec import DataSpec, quantile_column, quantile_label, quantile_level
from .splits import (
    SEGMENTS,
    check_min_context,
    check_sizes,
    count_windows,
    segment_bounds,
    split_borders,
)
from .timeindex import calendar_features, future_index, infer_freq, season_length

_TORCH_NAMES = ("WindowDataset", "make_loader")


def __getattr__(name: str):
    if name in _TORCH_NAMES:
        from . import windows

        return getattr(windows, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FILL_POLICIES",
    "SCALERS",
    "SEGMENTS",
    "DataSpec",
    "Layout",
    "SeriesData",
    "SeriesScaler",
    "WindowDataset",
    "calendar_features",
    "check_index",
    "check_min_context",
    "check_sizes",
    "count_windows",
    "future_index",
    "infer_freq",
    "make_loader",
    "quantile_column",
    "quantile_label",
    "quantile_level",
    "season_length",
    "segment_bounds",
    "split_borders",
    "split_series",
    "to_series",
]
