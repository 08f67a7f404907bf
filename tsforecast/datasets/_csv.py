"""Reading data files: "time column + numeric columns" CSV or Parquet files (ETT, Weather,
Exchange, long panels of many series)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.timeindex import parse_times

__all__ = ["PARQUET_SUFFIXES", "load_csv", "read_table"]

#: File suffixes read as Parquet (anything else is read as CSV, compression by suffix)
PARQUET_SUFFIXES = (".parquet", ".pq")


def _release_arrow_memory() -> None:
    """Hand the memory Arrow freed while converting a Parquet file back to the system:
    its allocator (mimalloc or jemalloc) keeps it otherwise, about the file's size
    in memory again (0.7 GiB after a 23.7-million-row panel)."""
    import pyarrow

    pyarrow.default_memory_pool().release_unused()


def read_table(path: str | os.PathLike[str], id_col: str | None = None) -> pd.DataFrame:
    """The rows of a data file as they are: Parquet by its suffix (``.parquet``, ``.pq``;
    read with pyarrow), else CSV (``.csv.gz`` and other compressions by suffix). The
    series id column ``id_col``, when the file has it, is read as strings (ids ``1``,
    ``01`` stay ``"1"``, ``"01"``); each distinct id is one string object, however many
    rows share it.

    Raises
    ------
    ValueError
        A missing, unreadable or empty file, or one with a header and no rows (naming the
        path).
    """
    p = Path(path).expanduser()
    parquet = p.suffix.lower() in PARQUET_SUFFIXES
    kind = "Parquet" if parquet else "CSV"
    if not p.is_file():
        raise ValueError(f"{kind} file {str(p)!r} does not exist or is not a file")
    try:
        if parquet:
            raw = pd.read_parquet(p)
            _release_arrow_memory()
        else:
            raw = pd.read_csv(p, dtype={id_col: str} if id_col is not None else None)
    except pd.errors.EmptyDataError as exc:
        raise ValueError(f"{kind} file {str(p)!r} is empty") from exc
    except ImportError as exc:  # pyarrow is a dependency; a broken install says so here
        raise ValueError(f"cannot read Parquet file {str(p)!r}: {exc}") from exc
    except (OSError, UnicodeDecodeError, ValueError, TypeError, NotImplementedError,
            pd.errors.ParserError) as exc:  # pyarrow's errors derive from these
        raise ValueError(f"cannot read {kind} file {str(p)!r}: {exc}") from exc
    if raw.empty:
        raise ValueError(f"{kind} file {str(p)!r} has a header but no data rows")
    if parquet and id_col is not None and id_col in raw.columns:
        ids = raw[id_col]
        if not pd.api.types.is_string_dtype(ids):  # e.g. integer ids: as a CSV reads them
            raw[id_col] = ids.astype(str).where(ids.notna())
    return raw


def load_csv(
    path: str | os.PathLike[str],
    time_col: str = "date",
    columns: Sequence[str] | None = None,
    id_col: str | None = None,
) -> pd.DataFrame:
    """Read a CSV with a timestamp column and numeric columns, such as the long-horizon
    benchmark files (ETTh1/ETTm1, Weather, Exchange: ``date`` plus numeric columns).

    Parameters
    ----------
    path : path-like
        CSV file (compressed files are inferred from the extension), or a Parquet file
        (``.parquet``, ``.pq``; see :func:`read_table`).
    time_col : str
        Name of the timestamp column; it becomes the index (named ``time_col``).
    id_col : str, optional
        Series id column of a long file; kept (as strings) whatever its type.
    columns : sequence of str, optional
        Value columns to keep, in this order. ``None`` keeps every numeric column and
        drops non-numeric ones with a ``UserWarning`` naming them; an explicitly requested
        column that is missing or non-numeric raises ``ValueError``.

    Returns
    -------
    pandas.DataFrame
        ``DatetimeIndex`` named ``time_col`` and float64 value columns. Rows keep the
        file's order: nothing is sorted or de-duplicated here (ordering and regularity are
        checked by the windowing layer). With ``id_col`` (a long file of several series)
        that column is kept first, read as strings (ids ``1``, ``01`` stay ``"1"``,
        ``"01"``: never floats).

    Raises
    ------
    ValueError
        Missing, unreadable or empty file (naming the path); missing time column (listing
        the available columns); unparseable timestamp (naming the first bad row and value);
        missing or non-numeric requested column. Timestamps whose UTC offset changes at
        daylight saving (``+01:00`` then ``+02:00``) are read as UTC, with a logged warning.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "small.csv"
    >>> _ = path.write_text("date,HUFL,OT\\n2016-07-01 00:00,5.8,30.5\\n2016-07-01 01:00,5.7,27.8\\n")
    >>> load_csv(path).columns.tolist()
    ['HUFL', 'OT']
    """
    p = Path(path).expanduser()
    raw = read_table(p, id_col)
    if time_col not in raw.columns:
        raise ValueError(f"time column {time_col!r} not found in {str(p)!r}; "
                         f"available columns: {list(raw.columns)}")
    if id_col is not None and id_col not in raw.columns:
        raise ValueError(f"id column {id_col!r} not found in {str(p)!r}; "
                         f"available columns: {list(raw.columns)}")
    if id_col is not None and raw[id_col].isna().any():
        i = int(raw[id_col].isna().to_numpy().argmax())
        raise ValueError(f"id column {id_col!r} of {str(p)!r} is empty at data row {i} "
                         f"(file line {i + 2})")

    # UTC offsets that change at daylight saving are read as UTC (with a logged warning)
    stamps = parse_times(raw[time_col], f"time column {time_col!r} of {str(p)!r}",
                         errors="coerce")
    bad = np.asarray(stamps.isna())
    if bad.any():
        i = int(bad.argmax())
        raise ValueError(f"unparseable timestamp in column {time_col!r} of {str(p)!r}: "
                         f"data row {i} (file line {i + 2}) has value {raw[time_col].iloc[i]!r}")

    candidates = [c for c in raw.columns if c not in (time_col, id_col)]
    numeric = [c for c in candidates if pd.api.types.is_numeric_dtype(raw[c])]
    if columns is None:
        if dropped := [c for c in candidates if c not in numeric]:
            warnings.warn(f"load_csv({str(p)!r}): dropping non-numeric column(s) {dropped}",
                          UserWarning, stacklevel=2)
        keep = numeric
    else:
        keep = [columns] if isinstance(columns, str) else [
            c for c in columns if c not in (time_col, id_col)]
        if missing := [c for c in keep if c not in raw.columns]:
            raise ValueError(f"column(s) {missing} not found in {str(p)!r}; "
                             f"available columns: {list(raw.columns)}")
        if non_numeric := [c for c in keep if c not in numeric]:
            raise ValueError(f"requested column(s) {non_numeric} in {str(p)!r} are not numeric "
                             f"(dtypes: {[str(raw[c].dtype) for c in non_numeric]})")
    if not keep:
        raise ValueError(f"file {str(p)!r} has no numeric value columns besides {time_col!r}")
    df = raw[keep].astype("float64")
    if id_col is not None:
        df.insert(0, id_col, raw[id_col].astype(str))
    df.index = pd.DatetimeIndex(stamps, name=time_col).as_unit("ns")
    return df
