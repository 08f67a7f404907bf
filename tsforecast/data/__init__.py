"""pandas -> validated float32 arrays -> lazy windows.

One place for each step: :mod:`.frames` validates input, :mod:`.timeindex` handles
frequencies and calendar features, :mod:`.scaling` fits scalers on training rows only,
:mod:`.windows` builds lazy windows and chronological splits.
"""

from .frames import FILL_POLICIES, Layout, SeriesData, check_index, split_series, to_series
from .scaling import SCALERS, SeriesScaler
from .timeindex import calendar_features, future_index, infer_freq
from .windows import (
    SEGMENTS,
    WindowDataset,
    check_sizes,
    count_windows,
    make_loader,
    segment_bounds,
    split_borders,
)

__all__ = [
    "FILL_POLICIES",
    "SCALERS",
    "SEGMENTS",
    "Layout",
    "SeriesData",
    "SeriesScaler",
    "WindowDataset",
    "calendar_features",
    "check_index",
    "check_sizes",
    "count_windows",
    "future_index",
    "infer_freq",
    "make_loader",
    "segment_bounds",
    "split_borders",
    "split_series",
    "to_series",
]
