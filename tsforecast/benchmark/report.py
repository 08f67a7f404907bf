"""Leaderboard, files and the Markdown report of a benchmark run (plots: :mod:`.plots`).

Files written to the output directory:

* ``forecasts.csv`` (``forecasts.parquet`` when pyarrow is importable): tidy forecasts;
* ``leaderboard.csv`` / ``.json`` / ``.md``: metrics, rank, timings, Diebold-Mariano
  p-value against the best model, rows without an actual (``n_excluded``), errors;
* ``metrics_by_series.csv``: the metrics per series and target;
* ``history.csv`` (``.parquet``): each series' last actuals before its first cutoff;
* ``plots/forecasts_<dataset>.png``, ``plots/leaderboard_<dataset>.png``;
* ``report.html`` (:mod:`.html`: built from these files alone; ``tsforecast report DIR``
  builds it again);
* ``report.md`` (its Settings table lists every option, generated from
  :data:`~.options.OPTIONS`), ``config.json`` (the resolved options: ``--config
  config.json`` repeats the run), ``environment.json`` (package versions), ``errors.log``
  (tracebacks).

Each model's own results are saved under ``runs/`` by :mod:`.store` as it finishes;
every file is written atomically.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import evaluation as M
from ..forecasters.registry import get_forecaster
from .environment import environment, settings_table
from .options import BenchmarkConfig
from .plots import HISTORY_HORIZONS, off_scale, plot_fan, plot_forecasts, plot_leaderboard
from .results import COUNT_COLUMNS, BenchmarkResult, ModelResult
from .results import short_name as _short
from .seeds import combine_seeds
from .store import dumps, frame_suffix, jsonable, safe_name, write_frame, write_text
from .summary import summary_lines

if TYPE_CHECKING:
    from .task import Task

__all__ = [
    "ReportWriter",
    "build_leaderboard",
    "dumps",
    "environment",
    "jsonable",
    "format_leaderboard",
    "markdown_table",
    "settings_table",
]

logger = logging.getLogger(__name__)

INFO_COLUMNS = [
    "dm_pvalue", "fit_seconds", "predict_seconds", "train_windows_per_second",
    "n_parameters", "epochs", "n_series", "n_windows", "n_excluded", "kept_initial",
    "n_fallbacks", "error",
]


def _family(model: str) -> str:
    """The ``family`` tag of a registered model (``"other"`` for an unknown name)."""
    try:
        return str(get_forecaster(model).get_tag("family"))
    except ValueError:
        return "other"


# -- leaderboard -------------------------------------------------------------------------------
def _dm_pvalue(loss: pd.Series, best: pd.Series, horizon: int) -> float:
    """DM p-value of equal accuracy from per-cutoff mean losses.

    ``diebold_mariano`` takes errors and a loss; passing ``sqrt(loss)`` with the squared
    loss gives back exactly the per-cutoff losses, so the test runs on the loss
    differential per forecast origin (``horizon``: autocorrelation lags of overlapping
    windows).
    """
    a, b = loss.align(best, join="inner")
    if len(a) < 3:
        return math.nan
    try:
        h = min(horizon, len(a) - 1)
        _, p = M.diebold_mariano(np.sqrt(a.to_numpy(float)), np.sqrt(b.to_numpy(float)),
                                 horizon=h, loss="mse")
    except ValueError:
        return math.nan
    return float(p)


def build_leaderboard(results: list[ModelResult], tasks: list[Task]) -> pd.DataFrame:
    """One row per data set and model: metrics, rank, DM p-value vs the best, timings
    (several seeds: their mean, ``<metric>_sd``, DM on the seeds' mean losses)."""
    results = combine_seeds(results)
    by_task = {t.name: t for t in tasks}
    frames = []
    for name, task in by_task.items():
        rs = [r for r in results if r.dataset == name]
        if not rs:
            continue
        rank_col = task.rank_metric
        metric_cols = list(dict.fromkeys(
            [*task.metric_columns, *(k for r in rs for k in r.metrics)]
        ))
        rows = []
        for r in rs:
            row: dict[str, Any] = {"dataset": name, "model": r.model}
            for col in metric_cols:
                row[col] = r.metrics.get(col, math.nan)
            for col in INFO_COLUMNS:
                row[col] = getattr(r, col, math.nan) if col != "dm_pvalue" else math.nan
            rows.append(row)
        lb = pd.DataFrame(rows)
        ok = lb["error"].isna()
        # skill vs naive: the ratio of the protocol's skill metric
        ref_col = task.protocol.skill_metric
        naive = lb.loc[ok & (lb["model"] == "naive"), ref_col]
        if len(naive) and naive.iloc[0] > 0:
            lb.loc[ok, "skill"] = 1.0 - lb.loc[ok, ref_col] / naive.iloc[0]
        lb["rank"] = lb[rank_col].where(ok).rank(method="min")
        if ok.any():
            best_i = lb.loc[ok, rank_col].idxmin()
            best = next(r for r in rs if r.model == lb.at[best_i, "model"])
            for i, r in zip(lb.index, rs, strict=True):
                if i == best_i or not r.ok:
                    continue
                lb.at[i, "dm_pvalue"] = _dm_pvalue(
                    r.evaluation.dm_loss, best.evaluation.dm_loss, task.dm_horizon
                )
        lb = lb.sort_values(["rank", "model"], na_position="last", kind="stable")
        frames.append(lb)
    if not frames:
        return pd.DataFrame(columns=["dataset", "rank", "model", "error"])
    out = pd.concat(frames, ignore_index=True)
    first = ["dataset", "rank", "model"]
    metric_cols = list(dict.fromkeys(c for t in tasks for c in t.metric_columns))
    metric_cols += [c for c in out.columns if c not in metric_cols + first + INFO_COLUMNS]
    cols = first + [c for c in metric_cols if c in out] + INFO_COLUMNS
    out = out[cols]
    out["rank"] = out["rank"].astype("Int64")
    out["error"] = out["error"].astype(object).where(out["error"].notna(), None)
    return out.reset_index(drop=True)


def metrics_by_series(results: list[ModelResult]) -> pd.DataFrame:
    """Per data set, model, series and target metrics of the models that finished."""
    frames = []
    for r in results:
        if r.ok and r.evaluation is not None:
            f = r.evaluation.by_series.copy()
            f.insert(0, "model", r.model)
            f.insert(0, "dataset", r.dataset)
            if r.seed is not None:
                f.insert(2, "seed", r.seed)
            frames.append(f)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# -- formatting ------------------------------------------------------------------------------
def _fmt(col: str, v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return ""
    if col == "error":
        return str(v)
    if col == "kept_initial":  # 1, 0 or the share of seeds
        return "yes" if v == 1 else "no" if v == 0 else f"{v:.0%} of seeds"
    if col in COUNT_COLUMNS:
        return f"{int(v):,}"
    if col in ("fit_seconds", "predict_seconds"):
        return f"{v:.2f}"
    if col == "train_windows_per_second":
        return f"{v:,.0f}"
    if col == "dm_pvalue":
        return f"{v:.3g}"
    if isinstance(v, float | np.floating):
        return f"{v:.4f}" if abs(v) < 1000 else f"{v:,.1f}"
    return str(v)



def markdown_table(frame: pd.DataFrame, short: bool = False) -> str:
    """A GitHub Markdown table of ``frame`` with readable number formats."""
    cols = list(frame.columns)
    head = [_short(c) if short else c for c in cols]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join("---" if c in ("dataset", "model", "error") else "---:"
                            for c in cols) + "|"]
    for _, row in frame.iterrows():
        cells = [_fmt(c, row[c]).replace("|", "\\|") for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_leaderboard(leaderboard: pd.DataFrame, width: int = 110) -> str:
    """Plain-text leaderboard for the terminal (errors shortened; ``n_excluded`` only when
    some rows were excluded)."""
    if leaderboard.empty:
        return "(no results)"
    hidden = ["n_series", "n_windows", "epochs"]
    for col in ("n_excluded", "kept_initial", "n_fallbacks"):  # flags: shown when raised
        if col in leaderboard and not (leaderboard[col] > 0).any():
            hidden.append(col)
    cols = [c for c in leaderboard.columns
            if c not in hidden and leaderboard[c].notna().any()]
    out = []
    for name, lb in leaderboard.groupby("dataset", sort=False):
        show = [c for c in cols if c != "dataset"]
        table = [[_short(c) for c in show]]
        for _, row in lb.iterrows():
            cells = []
            for c in show:
                s = _fmt(c, row[c])
                if c == "error" and len(s) > 60:
                    s = s[:57] + "..."
                cells.append(s)
            table.append(cells)
        widths = [max(len(r[i]) for r in table) for i in range(len(show))]
        lines = [f"== {name} =="]
        for r in table:
            lines.append("  ".join(
                cell.ljust(w) if show[i] in ("model", "error") else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(r, widths, strict=True))
            ).rstrip())
        out.append("\n".join(lines))
    return "\n\n".join(out)


# -- writer ------------------------------------------------------------------------------------
class ReportWriter:
    """Writes a run's files: config first, partial results after each model, all at the end."""

    def __init__(self, out_dir: Path, cfg: BenchmarkConfig, tasks: list[Task], notes: list[str]):
        self.out_dir = Path(out_dir)
        self.cfg = cfg
        self.tasks = tasks
        self.notes = notes
        self.started = datetime.now()
        self.env = environment()
        self.forecast_file = self.out_dir / f"forecasts{frame_suffix()}"
        self.families = {m: _family(m) for m in cfg.models}

    def start(self) -> None:
        """Write ``config.json`` and ``environment.json`` before any model runs."""
        write_text(self.out_dir / "config.json", dumps(self.cfg.to_dict(repeatable=True)) + "\n")
        write_text(self.out_dir / "environment.json", dumps(
            {**self.env, "command": sys.argv, "started": self.started.isoformat(),
             "tasks": {t.name: t.borders for t in self.tasks}}) + "\n")
        errors = self.out_dir / "errors.log"
        if errors.exists():
            errors.unlink()
        if self.cfg.save_forecasts != "none":  # what the HTML report draws before them
            history = [t.history(HISTORY_HORIZONS * t.horizon) for t in self.tasks]
            write_frame(self.out_dir / f"history{frame_suffix()}",
                        pd.concat(history, ignore_index=True))

    def _forecast_frames(self, results: list[ModelResult]) -> list[pd.DataFrame]:
        return [r.forecasts for r in results if r.ok and r.forecasts is not None]

    def _write_forecasts(self, results: list[ModelResult]) -> None:
        """All forecasts in one file (each model's are also under ``runs/``)."""
        frames = self._forecast_frames(results)
        if frames:
            write_frame(self.forecast_file, pd.concat(frames, ignore_index=True))

    def _write_leaderboard(self, lb: pd.DataFrame, by_series: pd.DataFrame) -> None:
        write_frame(self.out_dir / "leaderboard.csv", lb)
        meta = {
            "protocol": self.cfg.protocol,
            "rank_metric": {t.name: t.rank_metric for t in self.tasks},
            "units": {t.name: t.units for t in self.tasks},
            "horizon": {t.name: t.horizon for t in self.tasks},
            "positional": {t.name: t.dataset.positional for t in self.tasks},
            "families": {m: self.families.get(m) or _family(m)
                         for m in dict.fromkeys(lb["model"])} if len(lb) else {},
            "seeds": list(self.cfg.seeds or []),
            "rows": json.loads(lb.to_json(orient="records")),
        }
        write_text(self.out_dir / "leaderboard.json", dumps(meta) + "\n")
        write_text(self.out_dir / "leaderboard.md", markdown_table(lb, short=True) + "\n")
        if not by_series.empty:
            write_frame(self.out_dir / "metrics_by_series.csv", by_series)

    def update(self, results: list[ModelResult]) -> None:
        """Write partial outputs after a model finished (leaderboard, report; its forecasts
        are under ``runs/``)."""
        lb = build_leaderboard(results, self.tasks)
        self._write_leaderboard(lb, metrics_by_series(results))
        self._write_report(lb, results, plots={}, partial=True)

    def finish(self, results: list[ModelResult], interrupted: bool = False) -> BenchmarkResult:
        """Write everything (plots included) and return the :class:`BenchmarkResult`."""
        self._write_forecasts(results)
        lb = build_leaderboard(results, self.tasks)
        by_series = metrics_by_series(results)
        self._write_leaderboard(lb, by_series)
        plots: dict[str, list[str]] = {}
        for task in self.tasks:
            rs = [r for r in combine_seeds(results) if r.dataset == task.name]
            files = []
            stem = safe_name(task.name)
            try:
                if plot_leaderboard(task, lb[lb["dataset"] == task.name],
                                    self.out_dir / "plots" / f"leaderboard_{stem}.png",
                                    self.families):
                    files.append(f"plots/leaderboard_{stem}.png")
                if plot_forecasts(task, rs, self.out_dir / "plots" / f"forecasts_{stem}.png",
                                  self.cfg.plot_cutoffs,
                                  off_scale(lb[lb["dataset"] == task.name], task.rank_metric)):
                    files.append(f"plots/forecasts_{stem}.png")
                if plot_fan(task, rs, lb[lb["dataset"] == task.name],
                            self.out_dir / "plots" / f"intervals_{stem}.png"):
                    files.append(f"plots/intervals_{stem}.png")
            except Exception as exc:  # noqa: BLE001 - a plot must not lose the results
                self.notes.append(f"{task.name}: plotting failed: {exc}")
            plots[task.name] = files
        try:  # from the files written so far (leaderboard, forecasts, config)
            from .html import write_html

            write_html(self.out_dir)
        except ImportError as exc:  # plotly is the optional extra "report"
            logger.info("report.html not written: %s", exc)
        except Exception as exc:  # noqa: BLE001 - the report must not lose the results
            logger.warning("report.html not written: %s: %s", type(exc).__name__, exc)
        self._write_report(lb, results, plots, partial=interrupted)
        frames = self._forecast_frames(results)
        forecasts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return BenchmarkResult(
            leaderboard=lb, forecasts=forecasts, output_dir=self.out_dir,
            metrics_by_series=by_series, config=self.cfg, notes=self.all_notes(results),
            results=results, tasks=self.tasks, interrupted=interrupted,
        )

    def all_notes(self, results: list[ModelResult]) -> list[str]:
        notes = list(self.notes)
        covs = [t for t in self.tasks if t.dataset.covariates]
        if covs:
            ignore = [m for m in self.cfg.models if not get_forecaster(m).get_tag("covariates")]
            if ignore:
                notes.append(f"models without covariate support ignore the covariates: "
                             f"{', '.join(ignore)}")
        for task in self.tasks:
            excluded = [r.n_excluded for r in results
                        if r.dataset == task.name and r.ok and r.n_excluded > 0]
            if excluded:
                notes.append(
                    f"{task.name}: {max(excluded):,} forecast row(s) per model have no actual "
                    "value (missing in the data; the models saw the gap filled) and are "
                    "excluded from every metric (leaderboard column n_excluded)"
                )
        for r in results:
            if not r.ok:
                notes.append(f"{r.dataset} / {r.model} FAILED: {r.error}")
        for r in combine_seeds(results):
            if r.ok and r.kept_initial > 0:
                share = "" if r.kept_initial == 1 else f" (in {r.kept_initial:.0%} of seeds)"
                notes.append(f"{r.dataset} / {r.model} kept its random-walk start{share}: "
                             "no trained net beat it on the validation windows, so it forecasts "
                             "as naive does (leaderboard column kept_rw)")
        for r in results:
            if r.fallbacks:
                shown = "; ".join(f"{sid}: {what}" for sid, what in
                                  list(r.fallbacks.items())[:3])
                more = f" (+{len(r.fallbacks) - 3} more)" if len(r.fallbacks) > 3 else ""
                notes.append(f"{r.dataset} / {r.model}: {len(r.fallbacks)} of {r.n_series:g} "
                             f"series got a simpler model (the others kept theirs): "
                             f"{shown}{more}")
        for r in results:
            if r.warnings:
                shown = "; ".join(r.warnings[:3])
                more = f" (+{len(r.warnings) - 3} more)" if len(r.warnings) > 3 else ""
                notes.append(f"{r.dataset} / {r.model}: {len(r.warnings)} distinct warning(s): "
                             f"{shown}{more}")
        return notes

    # -- report.md -------------------------------------------------------------------------
    def _verdict(self, lb: pd.DataFrame, task: Task) -> str:
        d = lb[(lb["dataset"] == task.name) & lb["error"].isna()]
        naive = d[d["model"] == "naive"]
        if naive.empty:
            return "naive did not finish, so no model can be compared with it."
        col = task.rank_metric
        ref = float(naive[col].iloc[0])
        others = d[d["model"] != "naive"]
        beat = [m for m, v in zip(others["model"], others[col], strict=True) if v < ref]
        lose = [m for m, v in zip(others["model"], others[col], strict=True) if v >= ref]
        parts = [f"Against naive ({col.upper()} {ref:.4f}):"]
        parts.append(f"beat it: {', '.join(beat)}." if beat else "no model beat it.")
        if lose:
            parts.append(f"Did not beat it: {', '.join(lose)}.")
        drift = d[d["model"] == "drift"]
        if not drift.empty and task.protocol.compare_with_drift:
            dref = float(drift[col].iloc[0])
            nd = [m for m, v in zip(d["model"], d[col], strict=True)
                  if m not in ("naive", "drift") and v >= dref]
            if nd:
                parts.append(f"Did not beat drift ({dref:.4f}): {', '.join(nd)}.")
        return " ".join(parts)

    def _write_report(self, lb: pd.DataFrame, results: list[ModelResult],
                      plots: dict[str, list[str]], partial: bool) -> None:
        cfg = self.cfg
        title = cfg.suite or ", ".join(t.name for t in self.tasks)
        lines = [f"# tsforecast benchmark: {title}", ""]
        done = len(combine_seeds(results))
        total = len(self.tasks) * len(cfg.models)
        if partial:
            lines += [f"**Partial results: {done} of {total} model runs finished.**", ""]
        lines += [
            f"- started {self.started:%Y-%m-%d %H:%M:%S}; every option is listed under "
            "Settings below",
            "- repeat with `tsforecast benchmark --config config.json --output NEW_DIR` "
            "(same seed and config on CPU give the same numbers, timings aside)",
            "",
        ]
        for task in self.tasks:
            d = lb[lb["dataset"] == task.name] if not lb.empty else lb
            lines += [f"## {task.name}", ""]
            lines.append(task.protocol.describe(task, cfg))
            lines += ["", markdown_table(d.drop(columns=["dataset"]), short=True), ""]
            if not d.empty:
                lines += [self._verdict(lb, task), ""]
            for f in plots.get(task.name, []):
                lines += [f"![{f}]({f})", ""]
        if len(self.tasks) > 1 and self.tasks[0].protocol.overall_summary:
            lines += ["## Overall", "", "Series-weighted mean over the data sets "
                      "(sMAPE and MASE per data set beside it):", "",
                      *summary_lines(lb, published=cfg.suite == "m3"), ""]
        if cfg.seeds:
            lines += [f"Neural models ran once per seed ({', '.join(map(str, cfg.seeds))}): "
                      "metrics are the mean, `_sd` the standard deviation over seeds, ranks "
                      "use the mean, and so do the DM p-values (each forecast origin's loss is "
                      "the mean over seeds). Classical models ran once (deterministic, "
                      "sd 0).", ""]
        notes = self.all_notes(results)
        if notes:
            lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
        lines += ["## Settings", "", *settings_table(cfg), ""]
        saved = cfg.save_forecasts != "none"
        lines += [
            "## Files", "",
            f"- `{self.forecast_file.name}`: tidy forecasts (dataset, series, model, target, "
            "cutoff, timestamp, step, y, y_hat, quantiles)" if saved
            else "- forecasts not saved (save_forecasts='none')",
            "- `leaderboard.csv`, `leaderboard.json`, `leaderboard.md`; `metrics_by_series.csv`",
            *(["- `report.html`: this report as one page (a sortable leaderboard, its chart, "
               "a series chooser); `tsforecast report DIR` builds it again"]
              if (self.out_dir / "report.html").is_file() else []),
            "- `runs/`: each model's results, saved as it finished (`<dataset>__<model>.json` "
            "and its forecasts; `--resume` reads them back)",
            "- `config.json` (resolved options), `environment.json` (versions)"
            + (", `errors.log`" if (self.out_dir / "errors.log").exists() else ""),
            "", "## Environment", "",
        ]
        lines += [f"- {k}: {v}" for k, v in self.env.items() if v is not None]
        write_text(self.out_dir / "report.md", "\n".join(lines) + "\n")
