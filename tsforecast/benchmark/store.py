"""A run's files on disk: JSON values.

Light to import beyond numpy and pandas; :mod:`.report` writes its files through it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["dumps", "jsonable"]


def jsonable(value: Any) -> Any:
    """Recursively convert numpy scalars and NaN to JSON-friendly values."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def dumps(value: Any) -> str:
    """JSON text of ``value`` (NaN written as null)."""
    return json.dumps(jsonable(value), indent=2)
