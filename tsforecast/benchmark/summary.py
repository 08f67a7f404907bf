"""The overall table of a holdout run over several data sets (the m3 suite's groups).

:func:`overall_table` gives, per model, the score of each data set and the overall
score: the series-weighted mean over the data sets (each group counts by its number of
series, as the competitions average over all series). With the m3 suite the report and
the command line print it beside the published overall sMAPE
(:data:`~.holdout.PUBLISHED_M3`).
"""

from __future__ import annotations

import math

import pandas as pd

from .holdout import PUBLISHED_M3

__all__ = ["overall_table", "summary_lines"]

METRICS = ("smape", "mase")


def overall_table(leaderboard: pd.DataFrame) -> pd.DataFrame:
    """One row per model: ``<metric>_<dataset>`` columns and the overall ``smape`` and
    ``mase`` (series-weighted mean over data sets; NaN where the model failed on one),
    sorted by overall sMAPE."""
    if leaderboard.empty or "smape" not in leaderboard:
        return pd.DataFrame()
    datasets = list(dict.fromkeys(leaderboard["dataset"]))
    rows = []
    for model, d in leaderboard.groupby("model", sort=False):
        d = d.set_index("dataset")
        row: dict[str, object] = {"model": model}
        ok = d["error"].isna() if "error" in d else pd.Series(True, index=d.index)
        complete = ok.all() and set(datasets) <= set(d.index)
        weights = d["n_series"].astype(float)
        for metric in METRICS:
            for name in datasets:
                short = name.removeprefix("m3-")
                row[f"{metric}_{short}"] = (
                    float(d.at[name, metric]) if name in d.index else math.nan)
            row[metric] = (float((d[metric] * weights).sum() / weights.sum())
                           if complete else math.nan)
        row["n_series"] = float(weights.sum()) if complete else math.nan
        rows.append(row)
    out = pd.DataFrame(rows)
    first = ["model", "smape", "mase", "n_series"]
    out = out[first + [c for c in out.columns if c not in first]]
    return out.sort_values("smape", na_position="last", kind="stable").reset_index(drop=True)


def summary_lines(leaderboard: pd.DataFrame, published: bool) -> list[str]:
    """Markdown lines: the overall table and, with ``published``, the M3 references."""
    table = overall_table(leaderboard)
    if table.empty:
        return []
    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in table.iterrows():
        cells = [str(r[c]) if c == "model" else "" if pd.isna(r[c])
                 else f"{int(r[c])}" if c == "n_series" else f"{r[c]:.2f}" for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    if published:
        lines += ["", "Published overall sMAPE on all 3,003 M3 series (a `--quick` run scores "
                  "a sample: compare with care):", ""]
        lines += [f"- {name}: {value:.2f}" for name, value in PUBLISHED_M3.items()]
    return lines


def format_summary(leaderboard: pd.DataFrame, published: bool) -> str:
    """The overall table as plain text for the terminal (with the references)."""
    table = overall_table(leaderboard)
    if table.empty:
        return ""
    table["n_series"] = table["n_series"].astype("Int64")
    text = table.to_string(index=False, float_format=lambda v: f"{v:.2f}",
                           na_rep="-")
    lines = ["== overall (series-weighted mean over data sets) ==", text]
    if published:
        lines.append("published overall sMAPE (all 3,003 series): " + "; ".join(
            f"{k} {v:.2f}" for k, v in PUBLISHED_M3.items()))
    return "\n".join(lines)
