"""Daily stock prices: the bundled snapshot, or Yahoo Finance via yfinance with a verified cache."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import warnings
from collections.abc import Iterable
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd
import yfinance

__all__ = ["BUNDLED_TICKERS", "COLUMNS", "SOURCES", "default_cache_dir", "load_stocks"]

BUNDLED_TICKERS = ("AAPL", "MSFT", "IBM", "GOOG", "FB")
COLUMNS = ["ticker", "open", "high", "low", "close", "adj_close", "volume"]
SOURCES = ("auto", "bundled", "yfinance")
_FIELDS = {"Open": "open", "High": "high", "Low": "low", "Close": "close",
           "Adj Close": "adj_close", "Volume": "volume"}
_PRICES = ["open", "high", "low", "close", "adj_close"]


class _CacheError(ValueError):
    """A cache file that exists but fails verification (corrupt, truncated, no metadata)."""


def load_stocks(
    tickers: str | Iterable[str] | None = None,
    start: str | date | pd.Timestamp | None = None,
    end: str | date | pd.Timestamp | None = None,
    source: str = "auto",
    cache_dir: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Load daily OHLCV prices in long format.

    Parameters
    ----------
    tickers : str or list of str, optional
        Ticker symbol(s), case-insensitive. ``None`` means all bundled tickers
        (AAPL, MSFT, IBM, GOOG, FB), also for ``source="yfinance"``.
    start, end : date-like, optional
        Date range, normalised to midnight. Like ``yfinance.download`` the range is
        **inclusive of start and exclusive of end**: ``start <= date < end``. ``None``
        means unbounded (for yfinance: the whole history / up to today).
    source : {"auto", "bundled", "yfinance"}
        ``"bundled"``: the shipped offline snapshot (Quandl WIKI prices, public domain,
        2000-03-01..2013-03-01). ``"yfinance"``: download from Yahoo Finance, caching one
        verified file per ticker and range. ``"auto"``: yfinance (or its exact cache); if
        that fails, any verified cache file covering the range; else the bundled snapshot.
        ``"auto"`` always emits a ``UserWarning`` naming the source actually used and why.
    cache_dir : path, optional
        yfinance cache directory. Default: ``$TSFORECAST_CACHE_DIR``, else
        ``$XDG_CACHE_HOME/tsforecast``, else ``~/.cache/tsforecast``. Files are written
        atomically with a JSON sidecar holding their sha256 and row count; a file that
        fails the check is re-fetched, or reported by name if fetching fails, never used.

    Returns
    -------
    pandas.DataFrame
        Index ``date`` (tz-naive ``DatetimeIndex``, trading days only, no NaN rows
        invented); columns ``ticker`` (str) and ``open, high, low, close, adj_close,
        volume`` (float64); sorted by ticker, then date. ``close`` is the raw close,
        ``adj_close`` is split- and dividend-adjusted.

    Raises
    ------
    ValueError
        Unknown ``source``, unknown bundled ticker, bad or empty date range.
    ConnectionError
        yfinance returned no data (offline, unknown symbol) or raised.

    Examples
    --------
    >>> df = load_stocks("AAPL", start="2010-01-01", end="2011-01-01", source="bundled")
    >>> df.columns.tolist()
    ['ticker', 'open', 'high', 'low', 'close', 'adj_close', 'volume']
    >>> len(df)
    252
    """
    if source not in SOURCES:
        raise ValueError(f"source={source!r} is not valid; choose one of {list(SOURCES)}")
    names = _as_tickers(tickers)
    t0, t1 = _as_date(start, "start"), _as_date(end, "end")
    if t0 is not None and t1 is not None and t0 >= t1:
        raise ValueError(f"empty date range: start={t0.date()} must be before end={t1.date()}")
    if source == "bundled":
        return _load_bundled(names, t0, t1)
    wanted = names or list(BUNDLED_TICKERS)
    cdir = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    if source == "yfinance":
        return _load_yfinance(wanted, t0, t1, cdir)[0]

    try:
        df, n_cached = _load_yfinance(wanted, t0, t1, cdir)
    except (ConnectionError, ValueError) as exc:
        yf_error = exc
    else:
        how = f"{len(wanted) - n_cached} downloaded, {n_cached} read from the cache in {cdir}"
        warnings.warn(f"load_stocks(source='auto'): using yfinance ({how})", UserWarning, 2)
        return df
    df, files = _load_any_cache(wanted, t0, t1, cdir)
    if df is not None:
        warnings.warn(f"load_stocks(source='auto'): using cached yfinance file(s) "
                      f"{[str(f) for f in files]} because yfinance failed: {yf_error}",
                      UserWarning, 2)
        return df
    try:
        df = _load_bundled(names, t0, t1)
    except ValueError as exc:
        raise ValueError(f"load_stocks(source='auto'): no source has {wanted} for "
                         f"{_fmt_range(t0, t1)}. yfinance failed: {yf_error}. No matching "
                         f"cache in {cdir}. Bundled snapshot: {exc}") from exc
    warnings.warn("load_stocks(source='auto'): using the bundled offline snapshot (Quandl WIKI, "
                  f"2000-03-01..2013-03-01) because yfinance failed and no matching cache file "
                  f"exists in {cdir}: {yf_error}", UserWarning, 2)
    return df


def default_cache_dir() -> Path:
    """Return the yfinance cache directory.

    ``$TSFORECAST_CACHE_DIR``, else ``$XDG_CACHE_HOME/tsforecast``, else ``~/.cache/tsforecast``.
    """
    if env := os.environ.get("TSFORECAST_CACHE_DIR"):
        return Path(env).expanduser()
    if xdg := os.environ.get("XDG_CACHE_HOME"):
        return Path(xdg).expanduser() / "tsforecast"
    return Path.home() / ".cache" / "tsforecast"


# --------------------------------------------------------------------------- helpers
def _as_tickers(tickers: str | Iterable[str] | None) -> list[str] | None:
    if tickers is None:
        return None
    items = [tickers] if isinstance(tickers, str) else list(tickers)
    for t in items:
        if not isinstance(t, str) or not t.strip():
            raise TypeError(f"tickers must be non-empty strings, got {t!r}")
    out = list(dict.fromkeys(t.strip().upper() for t in items))
    if not out:
        raise ValueError("tickers is an empty list; pass None for all bundled tickers")
    return out


def _as_date(value: object, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}={value!r} is not a valid date") from exc
    if ts is pd.NaT:
        raise ValueError(f"{name}={value!r} is not a valid date")
    return (ts.tz_localize(None) if ts.tz is not None else ts).normalize()


def _fmt_range(t0: pd.Timestamp | None, t1: pd.Timestamp | None) -> str:
    lo = t0.date() if t0 is not None else "earliest"
    hi = t1.date() if t1 is not None else "latest"
    return f"[{lo}, {hi})"


def _filter(df: pd.DataFrame, t0: pd.Timestamp | None, t1: pd.Timestamp | None) -> pd.DataFrame:
    keep = np.ones(len(df), dtype=bool)
    if t0 is not None:
        keep &= df.index >= t0
    if t1 is not None:
        keep &= df.index < t1
    return df[keep]


def _finalise(df: pd.DataFrame) -> pd.DataFrame:
    """Normalise index/dtypes/column order and sort by ticker, then date."""
    df = df.copy()
    df.index = pd.DatetimeIndex(df.index).normalize().as_unit("ns")
    df.index.name = "date"
    df["ticker"] = df["ticker"].astype(str)
    df[COLUMNS[1:]] = df[COLUMNS[1:]].astype("float64")
    df = df[COLUMNS].rename_axis(columns=None).reset_index()
    df = df.sort_values(["ticker", "date"], kind="stable")
    return df.set_index("date")


def _concat(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    return _finalise(pd.concat(list(frames)))


# --------------------------------------------------------------------------- bundled
@cache
def _bundled_frame() -> pd.DataFrame:
    with (resources.files(__package__) / "_data" / "stocks_daily.csv.gz").open("rb") as fh:
        raw = pd.read_csv(fh, compression="gzip", parse_dates=["Date"])
    return _finalise(raw.rename(columns={"Ticker": "ticker", **_FIELDS}).set_index("Date"))


def _load_bundled(names: list[str] | None, t0: pd.Timestamp | None,
                  t1: pd.Timestamp | None) -> pd.DataFrame:
    names = names or list(BUNDLED_TICKERS)
    unknown = [t for t in names if t not in BUNDLED_TICKERS]
    if unknown:
        raise ValueError(f"ticker(s) {unknown} not in the bundled snapshot; available: "
                         f"{list(BUNDLED_TICKERS)} (use source='yfinance' for others)")
    full = _bundled_frame()
    sub = full[full["ticker"].isin(names).to_numpy()]
    out = _filter(sub, t0, t1)
    if out.empty:
        raise ValueError(f"no bundled data for {names} in {_fmt_range(t0, t1)}; the snapshot "
                         f"covers {sub.index.min().date()}..{sub.index.max().date()} for them")
    if absent := sorted(set(names) - set(out["ticker"])):
        msg = f"no bundled data for {absent} in {_fmt_range(t0, t1)}; omitted"
        warnings.warn(msg, UserWarning, 3)
    return out.copy()


# --------------------------------------------------------------------------- yfinance
def _load_yfinance(tickers: list[str], t0: pd.Timestamp | None, t1: pd.Timestamp | None,
                   cdir: Path) -> tuple[pd.DataFrame, int]:
    """Return (frame, number of tickers read from the exact-match cache)."""
    frames: dict[str, pd.DataFrame] = {}
    corrupt: dict[str, _CacheError] = {}
    for t in tickers:
        try:
            df = _read_cache(*_cache_paths(cdir, t, t0, t1), t)
        except _CacheError as exc:
            corrupt[t] = exc
            warnings.warn(f"{exc}; re-fetching {t} from yfinance", UserWarning, 3)
            continue
        if df is not None:
            frames[t] = df
    n_cached = len(frames)
    missing = [t for t in tickers if t not in frames]
    if missing:
        fetched, failed = _download(missing, t0, t1)
        for t, df in fetched.items():
            frames[t] = df
            try:
                _write_cache(df, *_cache_paths(cdir, t, t0, t1), t, t0, t1)
            except OSError as exc:
                msg = f"could not write the yfinance cache in {cdir}: {exc}"
                warnings.warn(msg, UserWarning, 3)
        if failed:
            by_reason: dict[str, list[str]] = {}
            for t, why in failed.items():
                by_reason.setdefault(why, []).append(t)
            reasons = "; ".join(f"{', '.join(ts)}: {why}" for why, ts in by_reason.items())
            msg = (f"yfinance returned no data for {list(failed)} in {_fmt_range(t0, t1)} "
                   f"({reasons}); check the ticker symbols and the internet connection")
            if bad := [str(corrupt[t]) for t in failed if t in corrupt]:
                msg += ". The cache was not used: " + "; ".join(bad)
            raise ConnectionError(msg)
    return _concat(frames[t] for t in tickers), n_cached


def _download(tickers: list[str], t0: pd.Timestamp | None,
              t1: pd.Timestamp | None) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Call yfinance once; return ({ticker: frame}, {failed ticker: reason})."""
    kwargs: dict[str, object] = dict(auto_adjust=False, actions=False, progress=False,
                                     group_by="column", threads=True)
    kwargs["start"] = str(t0.date()) if t0 is not None else None
    kwargs["end"] = str(t1.date()) if t1 is not None else None
    if t0 is None:
        kwargs["period"] = "max"  # yfinance would otherwise fetch only one month
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", module="yfinance")
            raw = yfinance.download(tickers, **kwargs)
    except Exception as exc:  # noqa: BLE001 - any failure of the remote call is reported
        return {}, {t: f"{type(exc).__name__}: {exc}" for t in tickers}
    per_ticker, failed = _split_download(raw, tickers)
    out = {}
    for t, sub in per_ticker.items():
        absent = [c for c in _FIELDS if c not in sub.columns]
        if absent:
            failed[t] = f"result lacks column(s) {absent}"
            continue
        df = sub[list(_FIELDS)].rename(columns=_FIELDS).apply(pd.to_numeric, errors="coerce")
        df = df.dropna(how="all", subset=_PRICES)
        idx = pd.DatetimeIndex(df.index)
        df.index = idx.tz_localize(None) if idx.tz is not None else idx
        df = _filter(_finalise(df.assign(ticker=t)), t0, t1)
        if df.empty:
            failed[t] = "empty or all-NaN result"
        else:
            out[t] = df
    return out, failed


def _split_download(raw: pd.DataFrame | None,
                    tickers: list[str]) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Split a yfinance result (MultiIndex or flat columns) into per-ticker frames."""
    if raw is None or raw.empty:
        return {}, {t: "empty result (offline, rate-limited or unknown symbol)" for t in tickers}
    cols = raw.columns
    if not isinstance(cols, pd.MultiIndex):
        if len(tickers) == 1:
            return {tickers[0]: raw}, {}
        return {}, {t: f"flat columns {list(cols)} for several tickers" for t in tickers}
    field_level = [i for i in range(cols.nlevels) if set(_FIELDS) & set(cols.get_level_values(i))]
    if cols.nlevels != 2 or len(field_level) != 1:
        return {}, {t: f"unexpected columns {list(cols)[:4]}..." for t in tickers}
    tick_level = 1 - field_level[0]
    present = {str(v).upper(): v for v in cols.get_level_values(tick_level)}
    found = {t: raw.xs(present[t], axis=1, level=tick_level) for t in tickers if t in present}
    return found, {t: "missing from the result" for t in tickers if t not in present}


# --------------------------------------------------------------------------- cache
def _cache_paths(cdir: Path, ticker: str, t0: pd.Timestamp | None,
                 t1: pd.Timestamp | None) -> tuple[Path, Path]:
    lo = str(t0.date()) if t0 is not None else "min"
    hi = str(t1.date()) if t1 is not None else f"open{date.today()}"  # open end: valid one day
    stem = f"yf_{quote(ticker, safe='')}_{lo}_{hi}"
    return cdir / f"{stem}.csv", cdir / f"{stem}.json"


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_cache(df: pd.DataFrame, csv_path: Path, meta_path: Path, ticker: str,
                 t0: pd.Timestamp | None, t1: pd.Timestamp | None) -> None:
    data = df[COLUMNS[1:]].to_csv(date_format="%Y-%m-%d").encode()
    meta = {"format": 1, "ticker": ticker, "file": csv_path.name,
            "start": str(t0.date()) if t0 is not None else None,
            "end": str(t1.date()) if t1 is not None else None,
            "fetched": str(date.today()), "rows": len(df),
            "sha256": hashlib.sha256(data).hexdigest()}
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(csv_path, data)
    _atomic_write(meta_path, json.dumps(meta, indent=1).encode())


def _read_cache(csv_path: Path, meta_path: Path, ticker: str) -> pd.DataFrame | None:
    """Return the verified cached frame; None if not cached; _CacheError if checks fail."""
    if not csv_path.exists() and not meta_path.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text())
        data = csv_path.read_bytes()
    except (OSError, ValueError) as exc:
        raise _CacheError(f"yfinance cache file {csv_path} is unusable ({exc})") from exc
    if not isinstance(meta, dict) or hashlib.sha256(data).hexdigest() != meta.get("sha256"):
        raise _CacheError(f"yfinance cache file {csv_path} is corrupt or truncated "
                          f"(sha256 differs from {meta_path.name})")
    try:
        df = pd.read_csv(io.BytesIO(data), index_col="date", parse_dates=["date"])
    except (ValueError, pd.errors.ParserError) as exc:
        raise _CacheError(f"yfinance cache file {csv_path} cannot be parsed ({exc})") from exc
    if len(df) != meta.get("rows") or list(df.columns) != COLUMNS[1:]:
        raise _CacheError(f"yfinance cache file {csv_path} has {len(df)} rows / columns "
                          f"{list(df.columns)}, metadata says {meta.get('rows')} rows")
    return _finalise(df.assign(ticker=ticker))


def _load_any_cache(tickers: list[str], t0: pd.Timestamp | None, t1: pd.Timestamp | None,
                    cdir: Path) -> tuple[pd.DataFrame | None, list[Path]]:
    """Fallback: for every ticker the verified cache file covering the range with most rows."""
    frames, used = [], []
    for t in tickers:
        best: tuple[pd.DataFrame, Path] | None = None
        for meta_path in sorted(cdir.glob(f"yf_{quote(t, safe='')}_*.json")):
            try:
                meta = json.loads(meta_path.read_text())
                if meta.get("ticker") != t or not _covers(meta, t0, t1):
                    continue
                csv_path = meta_path.with_suffix(".csv")
                df = _filter(_read_cache(csv_path, meta_path, t), t0, t1)
            except (OSError, ValueError, AttributeError, TypeError):
                continue
            if not df.empty and (best is None or len(df) > len(best[0])):
                best = (df, csv_path)
        if best is None:
            return None, []
        frames.append(best[0])
        used.append(best[1])
    return _concat(frames), used


def _covers(meta: dict, t0: pd.Timestamp | None, t1: pd.Timestamp | None) -> bool:
    lo, hi = meta.get("start"), meta.get("end")
    ok_lo = lo is None or (t0 is not None and pd.Timestamp(lo) <= t0)
    ok_hi = hi is None or (t1 is not None and pd.Timestamp(hi) >= t1)
    return ok_lo and ok_hi
