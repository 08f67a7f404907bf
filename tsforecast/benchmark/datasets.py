"""The data sets of a benchmark run: the bundled suites' data or CSV files, checked.

:func:`load_datasets` reads what a resolved
:class:`~tsforecast.benchmark.options.BenchmarkConfig` names, picks the target and
covariate columns, applies ``history`` and infers each data set's season length.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..data import infer_freq
from ..data.timeindex import season_length
from .options import BenchmarkConfig, BenchmarkInputError

__all__ = ["Dataset", "load_datasets"]


@dataclass
class Dataset:
    """One data set of a run: the frame and how to read it.

    ``frame`` has a DatetimeIndex; with ``id_col`` it is long (one row per series and
    timestamp). ``targets`` are the target columns, ``covariates`` past covariates.
    """

    name: str
    frame: pd.DataFrame
    targets: list[str]
    covariates: list[str]
    id_col: str | None
    season_length: int
    path: str | None = None
    notes: list[str] = field(default_factory=list)
    #: per-data-set horizon, MASE season and lookback (m3 groups); None: the config's
    horizon: int | None = None
    mase_season: int | None = None
    lookback: int | None = None
    #: the neural nets' ``min_context`` (holdout: shorter inputs are padded); None: lookback
    min_context: int | None = None
    #: parameters the neural nets get on this data set (holdout: ``PANEL_NET_PARAMS``)
    #: unless the run's ``model_params`` set them; empty: their defaults
    net_params: dict = field(default_factory=dict)
    #: every model's ``calibration_size`` (with ``level``) on this data set (holdout:
    #: ``PANEL_CALIBRATION``, 20% of each series, at least a horizon) unless the run's
    #: ``model_params`` set it; None: the forecasters' default
    calibration_size: int | float | tuple | None = None
    #: the time index stands for integer positions (holdout ``ds`` 0, 1, 2, ...; M3,
    #: Tourism): plots label the axis by step, never by the made-up dates
    positional: bool = False


def _keep_last(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """Rows at the last ``n`` distinct timestamps (common to all series)."""
    stamps = frame.index.unique().sort_values()
    if len(stamps) <= n:
        return frame
    return frame[frame.index >= stamps[-n]]


def _check_columns(frame: pd.DataFrame, cols: list[str], role: str, name: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise BenchmarkInputError(
            f"{role} column(s) {missing} not found in {name}; columns: {list(frame.columns)}"
        )
    bad = [c for c in cols if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    if bad:
        raise BenchmarkInputError(f"{role} column(s) {bad} of {name} are not numeric")


def load_datasets(cfg: BenchmarkConfig) -> list[Dataset]:
    """Load and check the data sets of a resolved config.

    Raises
    ------
    BenchmarkInputError
        Unreadable CSV, unknown target/covariate/id column, too little data.
    """
    import warnings

    from .. import datasets

    out: list[Dataset] = []
    if cfg.suite == "stocks":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                frame = datasets.load_stocks(tickers=cfg.tickers, source=cfg.source)
        except (ValueError, ConnectionError) as exc:
            raise BenchmarkInputError(f"cannot load the stocks data: {exc}") from exc
        sources = [("stocks", frame, None)]
    elif cfg.suite == "weather":
        sources = [("weather", datasets.load_weather(), None)]
    else:
        sources = []
        for path in cfg.data or []:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    # the id column is kept as strings (else dropped or read as floats)
                    frame = datasets.load_csv(path, time_col=cfg.time_col, id_col=cfg.id_col)
            except ValueError as exc:
                raise BenchmarkInputError(str(exc).splitlines()[0]) from exc
            sources.append((Path(path).stem, frame, path))
    names = [s[0] for s in sources]
    for name, frame, path in sources:
        if names.count(name) > 1:
            name = f"{name}-{len(out)}"
        notes: list[str] = []
        id_col = cfg.id_col
        if id_col is not None and id_col not in frame.columns:
            raise BenchmarkInputError(
                f"id column {id_col!r} not found in {name}; columns: {list(frame.columns)}"
            )
        numeric = [
            c for c in frame.columns
            if c != id_col and pd.api.types.is_numeric_dtype(frame[c].dtype)
        ]
        covariates = list(cfg.covariates or [])
        if cfg.features == "M":  # a multivariate protocol's (checked by resolve_config)
            targets = [c for c in numeric if c not in covariates]
            if cfg.target:
                _check_columns(frame, cfg.target, "target", name)
                # the named target is listed first (it is the one plotted)
                targets = [*cfg.target, *[c for c in targets if c not in cfg.target]]
        elif cfg.target:
            targets = list(cfg.target)
        else:
            if not numeric:
                raise BenchmarkInputError(f"{name} has no numeric column to forecast")
            targets = ["OT"] if "OT" in numeric else [numeric[-1]]
            notes.append(f"no target given: using column {targets[0]!r}")
        _check_columns(frame, targets, "target", name)
        _check_columns(frame, covariates, "covariate", name)
        both = sorted(set(targets) & set(covariates))
        if both:
            raise BenchmarkInputError(f"column(s) {both} given as both target and covariate")
        if cfg.history is not None:
            frame = _keep_last(frame, cfg.history)
        frame = frame[([id_col] if id_col else []) + targets + covariates]
        season = cfg.season_length
        if season is None:
            first = frame if id_col is None else frame[frame[id_col] == frame[id_col].iloc[0]]
            try:
                season = season_length(infer_freq(first.index)) or 1
            except ValueError:  # no regular frequency: no season
                season = 1
        out.append(Dataset(name, frame, targets, covariates, id_col, season, path, notes))
    return out
