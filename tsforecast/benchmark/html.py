"""``report.html``: a benchmark run's report as one self-contained page (Plotly, inlined).

Built from the files a run writes, and from nothing else (:func:`write_html`), so a
finished run's folder rebuilds it (``tsforecast report DIR``):

* ``leaderboard.json``: the leaderboard rows and what the charts need (rank metric,
  units, horizon, families, positional time axes);
* ``forecasts`` and ``history`` (parquet or CSV): the tidy forecasts and each series'
  actuals before its first cutoff;
* ``config.json``, ``environment.json``: the settings and versions.

Per data set the page shows the leaderboard as a table sorted by a click on a header
(skill, DM p-value, mean +- sd over seeds, fit time, flags: kept the random-walk start,
failed, fell back), the dot plot of :func:`~.plots.leaderboard_points` and a chooser of
series drawing the history, each model's last forecast windows and their outermost
interval. plotly.js is inlined once: the page opens offline and references no network
address. Needs the ``report`` extra (``pip install 'tsforecast[report]'``).
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .kinds import BenchmarkInputError
from .plots import (
    FAMILY_COLORS,
    HISTORY_HORIZONS,
    OUTLIER_FACTOR,
    STEP_LABEL,
    TIED_P,
    forecast_windows,
    leaderboard_points,
    metric_label,
    off_scale,
    outer_interval,
)
from .results import short_name
from .store import read_frame, write_text

__all__ = ["MAX_SERIES", "build_html", "write_html"]

#: At most this many series (or series and targets) of a data set in its chooser.
MAX_SERIES = 100
#: Columns shown in the table after the metrics (the rest are in leaderboard.csv).
_INFO = {"dm_pvalue": "DM p", "fit_seconds": "fit s", "n_parameters": "params"}
_HIDDEN = {"dataset", "rank", "model", "error", "predict_seconds", "train_windows_per_second",
           "epochs", "n_series", "n_windows", "n_excluded", "kept_initial", "n_fallbacks",
           "n_seeds", *_INFO}
_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#bcbd22", "#17becf", "#7f7f7f"]
_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def write_html(out_dir: Path | str) -> Path:
    """Write ``report.html`` into the output folder of a run (from its files); returns its
    path.

    Raises
    ------
    BenchmarkInputError
        ``out_dir`` holds no finished run (no readable ``leaderboard.json``).
    ImportError
        plotly is not installed (the ``report`` extra).
    """
    out_dir = Path(out_dir)
    path = out_dir / "report.html"
    write_text(path, build_html(out_dir))
    return path


def _read_json(path: Path, required: bool) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        if required:
            raise BenchmarkInputError(
                f"{str(path.parent)!r} holds no benchmark run to report on ({path.name}: "
                f"{exc}); give the output folder of a run") from exc
        return {}


def _read_tidy(out_dir: Path, stem: str) -> pd.DataFrame | None:
    for suffix in (".parquet", ".csv"):
        path = out_dir / f"{stem}{suffix}"
        if path.is_file():
            frame = read_frame(path)
            for col in ("dataset", "series", "model", "target"):
                if col in frame:
                    frame[col] = frame[col].astype(str)
            return frame
    return None


def build_html(out_dir: Path | str) -> str:
    """The text of ``report.html`` for the run in ``out_dir`` (see :func:`write_html`)."""
    try:
        from plotly.offline import get_plotlyjs
    except ImportError as exc:
        raise ImportError("report.html needs plotly: pip install 'tsforecast[report]'") from exc
    out_dir = Path(out_dir)
    meta = _read_json(out_dir / "leaderboard.json", required=True)
    config = _read_json(out_dir / "config.json", required=False)
    env = _read_json(out_dir / "environment.json", required=False)
    lb = pd.DataFrame(meta.get("rows") or [])
    if len(lb) and "error" not in lb:
        lb["error"] = None
    forecasts = _read_tidy(out_dir, "forecasts")
    history = _read_tidy(out_dir, "history")
    datasets = list(dict.fromkeys(lb["dataset"])) if len(lb) else []
    title = config.get("suite") or ", ".join(datasets) or "benchmark"
    body = [f"<h1>tsforecast benchmark: {_e(title)}</h1>", _summary(meta, config, env)]
    body.append("<nav>" + " · ".join(f'<a href="#ds-{i}">{_e(d)}</a>'
                                     for i, d in enumerate(datasets)) + "</nav>")
    for i, name in enumerate(datasets):
        body.append(_dataset_section(i, name, lb[lb["dataset"] == name], meta, config,
                                     forecasts, history))
    body.append(_settings(config, env))
    return _PAGE.format(title=_e(f"tsforecast benchmark: {title}"), plotlyjs=get_plotlyjs(),
                        style=_STYLE, script=_SCRIPT, body="\n".join(body))


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _summary(meta: dict, config: dict, env: dict) -> str:
    started = env.get("started", "")
    seeds = meta.get("seeds") or []
    parts = [f"protocol <b>{_e(meta.get('protocol', '?'))}</b>"]
    if started:
        parts.append(f"started {_e(started[:19].replace('T', ' '))}")
    if seeds:
        parts.append(f"neural models ran once per seed ({_e(', '.join(map(str, seeds)))}): "
                     "metrics are the mean over seeds, ± one sd")
    parts.append("repeat with <code>tsforecast benchmark --config config.json --output "
                 "NEW_DIR</code>")
    return "<p>" + "; ".join(parts) + ".</p>"


# -- the leaderboard ---------------------------------------------------------------------------
def _num(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f


def _cell(text: str, value: float | str | None = None) -> str:
    """A table cell; ``value`` is what a click on the header sorts by."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"<td>{text}</td>"
    return f'<td data-value="{_e(value)}">{text}</td>'


def _fmt(v: float) -> str:
    return "" if math.isnan(v) else f"{v:.4f}" if abs(v) < 1000 else f"{v:,.1f}"


def _flags(row: pd.Series) -> list[tuple[str, str, str]]:
    """``(class, text, explanation)`` of each flag raised on a leaderboard row."""
    flags = []
    if isinstance(row.get("error"), str) and row["error"]:
        flags.append(("failed", "failed", row["error"]))
    kept = _num(row.get("kept_initial"))
    if kept > 0:
        share = "" if kept == 1 else f" ({kept:.0%} of seeds)"
        flags.append(("kept", f"kept RW start{share}", "no trained net beat the random-walk "
                      "start on the validation windows: it forecasts as naive does"))
    fell = _num(row.get("n_fallbacks"))
    if fell > 0:
        flags.append(("fell", f"fell back: {int(fell):,} series", "these series got a simpler "
                      "model than asked for (too short for the season, or the fit failed); "
                      "report.md names them"))
    return flags


def _table(i: int, lb: pd.DataFrame, families: dict[str, str], rank_metric: str) -> str:
    metrics = [c for c in lb.columns if c not in _HIDDEN and not c.endswith("_sd")
               and pd.api.types.is_numeric_dtype(lb[c]) and lb[c].notna().any()]
    metrics.sort(key=lambda c: (c != rank_metric, c == "skill"))
    info = [c for c in _INFO if c in lb and lb[c].notna().any()]
    heads = ["rank", "model", "family", *map(short_name, metrics), *(_INFO[c] for c in info),
             "flags"]
    rows = []
    for _, r in lb.iterrows():
        rank = _num(r.get("rank"))
        model = str(r["model"])
        cells = [_cell("" if math.isnan(rank) else f"{int(rank)}", rank),
                 _cell(_e(model), model), _cell(_e(families.get(model, "other")),
                                                families.get(model, "other"))]
        for c in metrics:
            v, sd = _num(r[c]), _num(r.get(f"{c}_sd"))
            text = _fmt(v) + (f" ± {sd:.4f}" if not math.isnan(sd) and _num(r.get("n_seeds")) > 1
                              else "")
            cells.append(_cell(text, v))
        for c in info:
            v = _num(r[c])
            text = ("" if math.isnan(v) else f"{v:.3g}" if c == "dm_pvalue"
                    else f"{v:.2f}" if c == "fit_seconds" else f"{int(v):,}")
            cells.append(_cell(text, v))
        flags = _flags(r)
        cells.append(_cell(" ".join(f'<span class="flag {c}" title="{_e(why)}">{_e(text)}</span>'
                                    for c, text, why in flags),
                           "; ".join(text for _, text, _ in flags) or None))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(f'<th onclick="sortTable(this)" title="click to sort">{_e(h)}</th>'
                   for h in heads)
    return (f'<div class="scroll"><table id="lb-{i}" class="leaderboard"><thead><tr>{head}'
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def _dot_plot(i: int, lb: pd.DataFrame, metric: str, units: str,
              families: dict[str, str]) -> str:
    import plotly.graph_objects as go
    import plotly.io as pio

    points, (low, high) = leaderboard_points(lb, metric, families)
    if points.empty:
        return ""
    fig = go.Figure()
    for family, p in points.groupby("family", sort=False):
        color = FAMILY_COLORS.get(family, FAMILY_COLORS["other"])
        x = np.where(p["clipped"], high, p["value"])
        symbol = np.where(p["clipped"], "triangle-right",
                          np.where(p["tied"], "circle", "circle-open"))
        hover = [f"<b>{m}</b> ({family})<br>{metric}: {v:.4f}"
                 + (f" ± {s:.4f} (sd over seeds)" if s > 0 else "")
                 + ("" if math.isnan(pv) else f"<br>DM p vs best: {pv:.3g}")
                 + ("<br>tied with the best" if t else "<br>worse than the best")
                 + ("<br>kept the random-walk start" if k else "")
                 for m, v, s, pv, t, k in zip(p["model"], p["value"], p["sd"], p["dm_pvalue"],
                                             p["tied"], p["kept_initial"], strict=True)]
        fig.add_trace(go.Scatter(
            x=x, y=[m + (" *" if k else "") for m, k in zip(p["model"], p["kept_initial"],
                                                          strict=True)],
            mode="markers+text", name=family, hovertext=hover, hoverinfo="text",
            text=[f"{v:.4g} ▸" if c else "" for v, c in zip(p["value"], p["clipped"],
                                                               strict=True)],
            textposition="middle left", textfont={"color": color},
            marker={"color": color, "symbol": symbol, "size": 11,
                    "line": {"color": color, "width": 2}},
            error_x={"type": "data", "array": np.where(p["clipped"], 0, p["sd"]),
                     "visible": bool((p["sd"] > 0).any()), "color": color},
        ))
    order = [m + (" *" if k else "") for m, k in zip(points["model"], points["kept_initial"],
                                                     strict=True)]
    notes = ["filled: tied with the best (DM p ≥ 0.05); open: worse (p < 0.05)"]
    if points["clipped"].any():
        notes.append(f"▸ beyond {OUTLIER_FACTOR:g}× the median: clipped, value shown")
    if points["kept_initial"].any():
        notes.append("* kept the random-walk start")
    if (points["sd"] > 0).any():
        notes.append("bars: ± 1 sd over seeds")
    naive = points[points["model"] == "naive"]
    shapes = [] if naive.empty or bool(naive["clipped"].iloc[0]) else [{
        "type": "line", "x0": float(naive["value"].iloc[0]), "x1": float(naive["value"].iloc[0]),
        "yref": "paper", "y0": 0, "y1": 1, "line": {"dash": "dash", "color": "#999",
                                                    "width": 1}}]
    fig.update_layout(
        height=140 + 28 * len(points), margin={"l": 10, "r": 10, "t": 30, "b": 60},
        title={"text": "leaderboard", "font": {"size": 14}}, shapes=shapes,
        xaxis={"title": {"text": metric_label(metric, units) + "<br><sub>"
                         + "; ".join(notes) + "</sub>"},
               "range": [low, high + 0.02 * (high - low)], "zeroline": False},
        yaxis={"categoryorder": "array", "categoryarray": order[::-1], "automargin": True},
        template="plotly_white", legend={"title": {"text": "family"}},
    )
    return pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=f"dots-{i}",
                       config=_PLOTLY_CONFIG)


# -- forecasts ---------------------------------------------------------------------------------
def _x(values: pd.Series, positional: bool) -> list:
    if positional:
        from .holdout import positions

        return positions(values).tolist()
    return [t.isoformat() for t in pd.DatetimeIndex(values)]


def _floats(values: pd.Series) -> list[float | None]:
    """Values for JSON: a missing one (NaN) as null, a gap in the line."""
    return [None if math.isnan(v) else v for v in values.to_numpy(np.float64).tolist()]


def _rgba(color: str, alpha: float) -> str:
    r, g, b = (int(color[k:k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _series_traces(f: pd.DataFrame, hist: pd.DataFrame | None, models: list[str],
                   n_cutoffs: int, horizon: int, positional: bool,
                   hidden: set[str]) -> list[dict]:
    """The traces of one series and target: actuals, and each model's windows (those of
    the ``hidden`` models shown by a click on their legend entry)."""
    first = f[f["model"] == models[0]]
    cuts = forecast_windows(first, n_cutoffs)
    actual = first.drop_duplicates("timestamp")[["timestamp", "y"]]
    if hist is not None and len(hist):
        actual = pd.concat([hist[["timestamp", "y"]], actual], ignore_index=True)
    actual = actual.drop_duplicates("timestamp").sort_values("timestamp")
    start = int(actual["timestamp"].searchsorted(min(cuts), side="right")) - 1
    actual = actual.iloc[max(0, start - HISTORY_HORIZONS * horizon):]
    traces = [{"type": "scatter", "mode": "lines", "name": "actual", "x": _x(actual["timestamp"],
               positional), "y": _floats(actual["y"]), "line": {"color": "black", "width": 1.4}}]
    for k, model in enumerate(models):
        color = _PALETTE[k % len(_PALETTE)]
        m = f[(f["model"] == model) & f["cutoff"].isin(cuts)]
        lo, hi = outer_interval(m.columns)
        visible = "legendonly" if model in hidden else True
        for j, (_, win) in enumerate(m.groupby("cutoff", sort=True)):
            x = _x(win["timestamp"], positional)
            if lo is not None:
                traces.append({"type": "scatter", "mode": "lines", "x": x + x[::-1],
                               "y": _floats(win[hi]) + _floats(win[lo])[::-1], "fill": "toself",
                               "fillcolor": _rgba(color, 0.12), "line": {"width": 0},
                               "hoverinfo": "skip", "legendgroup": model, "showlegend": False,
                               "name": f"{model} {lo}–{hi}", "visible": visible})
            traces.append({"type": "scatter", "mode": "lines", "name": model, "x": x,
                           "y": _floats(win["y_hat"]), "legendgroup": model,
                           "showlegend": j == 0, "line": {"color": color, "width": 1.8},
                           "visible": visible})
    return traces


def _forecast_chart(i: int, name: str, meta: dict, config: dict,
                    forecasts: pd.DataFrame | None, history: pd.DataFrame | None,
                    models: list[str], hidden: set[str]) -> str:
    f = None if forecasts is None else forecasts[forecasts["dataset"] == name]
    if f is None or f.empty:
        return "<p>No forecasts to draw: the run saved none (save_forecasts none).</p>"
    if "seed" in f and f["seed"].notna().any():  # multi-seed runs: each model's first seed
        first_seed = f.groupby("model")["seed"].transform("min")
        f = f[f["seed"].isna() | (f["seed"] == first_seed)]
    models = [m for m in models if m in set(f["model"])]
    positional = bool(meta.get("positional", {}).get(name, False))
    horizon = int(meta.get("horizon", {}).get(name) or f["step"].max())
    n_cutoffs = int(config.get("plot_cutoffs") or 3)
    h = None if history is None else history[history["dataset"] == name]
    keys = list(f.groupby(["series", "target"], sort=False).groups)
    multi_target = len({t for _, t in keys}) > 1
    charts = {}
    for sid, target in keys[:MAX_SERIES]:
        part = f[(f["series"] == sid) & (f["target"] == target)]
        hist = None if h is None else h[(h["series"] == sid) & (h["target"] == target)]
        label = f"{sid} / {target}" if multi_target else sid
        charts[label] = _series_traces(part, hist, models, n_cutoffs, horizon, positional,
                                       hidden)
    units = meta.get("units", {}).get(name, "")
    layout = {"template": "plotly_white", "height": 420, "margin": {"l": 10, "r": 10, "t": 10,
                                                                   "b": 40},
              "xaxis": {"title": {"text": STEP_LABEL if positional else "time"},
                        "automargin": True},
              "yaxis": {"title": {"text": f"{keys[0][1] if not multi_target else 'value'} "
                                          f"({units})"}, "automargin": True},
              "legend": {"orientation": "h", "y": -0.18}}
    options = "".join(f'<option value="{_e(k)}">{_e(k)}</option>' for k in charts)
    more = (f" (the first {MAX_SERIES} of {len(keys)})" if len(keys) > MAX_SERIES else "")
    data = json.dumps({"charts": charts, "layout": layout, "config": _PLOTLY_CONFIG},
                      allow_nan=False).replace("</", "<\\/")
    return (f'<p><label>series{more}: <select id="series-{i}" class="series" '
            f'data-chart="forecast-{i}">{options}</select></label> '
            f"last {n_cutoffs} non-overlapping test window(s) of each model, their outermost "
            "interval shaded; click a legend entry to hide or show a model"
            + (f" (hidden at first, off the leaderboard's scale: {_e(', '.join(sorted(hidden)))})"
               if hidden else "") + "</p>"
            f'<div id="forecast-{i}" class="forecast"></div>'
            f'<script type="application/json" id="forecast-{i}-data">{data}</script>')


def _dataset_section(i: int, name: str, lb: pd.DataFrame, meta: dict, config: dict,
                     forecasts: pd.DataFrame | None, history: pd.DataFrame | None) -> str:
    metric = meta.get("rank_metric", {}).get(name) or "mase"
    units = meta.get("units", {}).get(name, "")
    families = meta.get("families", {})
    parts = [f'<section id="ds-{i}"><h2>{_e(name)}</h2>',
             f"<p>ranked by <b>{_e(metric)}</b> ({_e(metric_label(metric, units))}); DM p: "
             f"Diebold-Mariano test of equal accuracy against the best model (p ≥ {TIED_P:g}: "
             "tied with it); click a column header to sort.</p>",
             _table(i, lb, families, metric) if len(lb) else "<p>(no results)</p>",
             _dot_plot(i, lb, metric, units, families) if metric in lb else "",
             f"<h3>forecasts: {_e(name)}</h3>",
             _forecast_chart(i, name, meta, config, forecasts, history,
                             list(dict.fromkeys(lb.loc[lb["error"].isna(), "model"])),
                             off_scale(lb, metric) if metric in lb else set()),
             "</section>"]
    return "\n".join(parts)


# -- settings and versions ---------------------------------------------------------------------
def _value(v: Any) -> str:
    if v is None or v == {} or v == []:
        return "-"
    if isinstance(v, list | dict | bool):
        return _e(json.dumps(v))
    return _e(v)


def _settings(config: dict, env: dict) -> str:
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{_value(v)}</td></tr>" for k, v in config.items())
    versions = "".join(f"<tr><td>{_e(k)}</td><td>{_value(v)}</td></tr>" for k, v in env.items()
                       if k not in ("command", "tasks", "started") and v is not None)
    command = " ".join(map(str, env.get("command") or []))
    return ("<section><h2>settings and versions</h2>"
            + (f"<p>command: <code>{_e(command)}</code></p>" if command else "")
            + f'<details><summary>every option of the run (config.json)</summary>'
            f'<table class="plain">{rows}</table></details>'
            f'<details><summary>versions (environment.json)</summary>'
            f'<table class="plain">{versions}</table></details></section>')


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px;
       padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 0.9em; margin: 0.6em 0; }
th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #eee; text-align: right;
         white-space: nowrap; }
.scroll { overflow-x: auto; }
td:nth-child(2), td:nth-child(3), th:nth-child(2), th:nth-child(3) { text-align: left; }
table.plain td { text-align: left; }
table.leaderboard th { cursor: pointer; background: #f6f6f6; position: sticky; top: 0; }
th[aria-sort=ascending]::after { content: " ▲"; } th[aria-sort=descending]::after { content: " ▼"; }
.flag { border-radius: 3px; padding: 0 0.3em; font-size: 0.85em; white-space: nowrap; }
.flag.kept { background: #fff3cd; } .flag.failed { background: #f8d7da; }
.flag.fell { background: #e2e3f3; }
select { font-size: 1em; }
"""

_SCRIPT = """
function sortTable(th) {
  const table = th.closest("table"), body = table.tBodies[0];
  const col = Array.from(th.parentNode.children).indexOf(th);
  const asc = th.getAttribute("aria-sort") !== "ascending";
  for (const other of th.parentNode.children) other.removeAttribute("aria-sort");
  th.setAttribute("aria-sort", asc ? "ascending" : "descending");
  const key = (row) => row.cells[col].dataset.value;
  const rows = Array.from(body.rows).sort((a, b) => {
    const x = key(a), y = key(b);
    if (x === undefined || y === undefined) return (x === undefined) - (y === undefined);
    const nx = Number(x), ny = Number(y);
    const c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
    return asc ? c : -c;
  });
  for (const row of rows) body.appendChild(row);
}
function drawSeries(select) {
  const div = document.getElementById(select.dataset.chart);
  const spec = JSON.parse(document.getElementById(div.id + "-data").textContent);
  Plotly.react(div, spec.charts[select.value], spec.layout, spec.config);
}
document.addEventListener("DOMContentLoaded", () => {
  for (const select of document.querySelectorAll("select.series")) {
    select.addEventListener("change", () => drawSeries(select));
    drawSeries(select);
  }
});
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
<script type="text/javascript">{plotlyjs}</script>
<script type="text/javascript">{script}</script>
</head>
<body>
{body}
</body>
</html>
"""
