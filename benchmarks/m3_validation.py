"""Choose the M3 neural settings on validation data, never on the competition hold-out.

The m3 suite's quick sample (every 10th series of each group, by id) without its test
rows; each series' last horizon of what is left is the validation target (the holdout
protocol run on the training parts). Series whose validation training part would hold
fewer than horizon + 2 rows are dropped (7 quarterly ones), so every model can train.

    python benchmarks/m3_validation.py --variant 2h            # one variant, all groups
    python benchmarks/m3_validation.py --variant all           # every variant
    python benchmarks/m3_validation.py --table /tmp/m3q-run    # tables of any m3 run dir
    python benchmarks/m3_validation.py --every 1 --default-budget --seeds 0,1,2 \
        --nets nlinear,dlinear --variant 2h_maxabs      # all 3,003 series, 3 seeds

Each run prints sMAPE per group and overall (series-weighted), mean ± sd over seeds;
``--table`` prints mean ± sd over seeds of benchmark output directories (``runs/*.json``).
Budget of every variant: 100 epochs at most (early stopping on the last 10% of each
series' windows), batch 32; with ``--default-budget`` the forecasters' own (what the m3
suite runs). ``--every 1`` validates on every series instead of the quick sample.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

GROUPS = ("yearly", "quarterly", "monthly", "other")
NETS = ("nlinear", "dlinear", "lstm", "patch_transformer")
BUDGET = {"max_epochs": 100, "batch_size": 32}


def _each(params: dict, nets=NETS) -> dict:
    return {net: dict(params) for net in nets}


def _horizons(k: int) -> dict:
    from tsforecast.datasets import M3_GROUPS

    return {g: {"lookback": k * M3_GROUPS[g][0]} for g in GROUPS}


def _main_rule(data: dict[str, pd.DataFrame]) -> dict:
    """main's rule before padding: the shortest training part less a horizon."""
    from tsforecast.datasets import M3_GROUPS

    out = {}
    for g in GROUPS:
        h = M3_GROUPS[g][0]
        shortest = int(data[g].groupby("unique_id").size().min()) - h
        out[g] = {"lookback": max(1, shortest - h)}
    return out


def _members(nets, losses, horizons=(1, 2, 3)) -> list:
    """Combination members: every net x loss x lookback (in horizons); MSE is the default."""
    return [[net, {"lookback_horizons": k, **({} if loss == "mse" else {"loss": loss})}]
            for net in nets for loss in losses for k in horizons]


def _ensemble(members: list) -> tuple:
    """A variant running the mean of ``members`` (run with ``--nets combination``)."""
    return (2, {"models": "naive,combination",
                "model_params": {"combination": {"members": members}}})


#: name -> (per-group options, options for every group); lookbacks in horizons unless said
VARIANTS = {
    "main_rule": ("main_rule", {"model_params": {
        "patch_transformer": {"patch_len": 2, "patch_stride": 1}}}),
    "1h": (1, {}),
    "2h": (2, {}),
    "3h": (3, {}),
    # the longer end of N-BEATS' lookbacks (2 to 7 horizons)
    "4h": (4, {}),
    "5h": (5, {}),
    "3h_last_value": (3, {"models": "naive,nlinear,dlinear,patch_transformer",
                          "model_params": _each({"normalization": "last_value"},
                                                ("nlinear", "dlinear", "patch_transformer"))}),
    "3h_min_context_1": (3, {"model_params": _each({"min_context": 1})}),
    "2h_mae": (2, {"model_params": {**_each({"loss": "mae"}), "patch_transformer": {
        "loss": "mae", "patch_len": 8, "patch_stride": 4}}}),
    "2h_patch8": (2, {"models": "naive,patch_transformer", "model_params": {
        "patch_transformer": {"patch_len": 8, "patch_stride": 4}}}),
    # the loss weighs errors relative to each series' level, as sMAPE does (maxabs is the
    # holdout protocol's scaler since this ablation; 2h_standard is the run before it)
    "2h_maxabs": (2, {"model_params": _each({"scaler": "maxabs"})}),
    # 4x the default step budget (600 steps, 20 epochs)
    "2h_steps2400": (2, {"max_steps": 2400, "max_epochs": 80}),
    "2h_standard": (2, {"model_params": _each({"scaler": "standard"}, (*NETS, "lstm_attention"))}),
    "2h_maxabs_mae": (2, {"model_params": _each({"scaler": "maxabs", "loss": "mae"})}),
    "1h_maxabs": (1, {"model_params": _each({"scaler": "maxabs"})}),
    "3h_maxabs": (3, {"model_params": _each({"scaler": "maxabs"})}),
    "2h_maxabs_uniform_init": (2, {"model_params": _each(
        {"scaler": "maxabs", "zero_init": False}, ("nlinear", "dlinear", "patch_transformer"))}),
    "2h_uniform_init": (2, {"model_params": _each({"zero_init": False},
                                                  ("nlinear", "dlinear", "patch_transformer"))}),
    # the mean of six NLinear nets: lookbacks of 1, 2 and 3 horizons x MSE and MAE losses
    # (run with --nets combination; nlinear_ensemble_smape below is what
    # benchmarks/configs/m3_nlinear_ensemble.toml now holds)
    "nlinear_ensemble": _ensemble(_members(("nlinear",), ("mse", "mae"))),
    # the competition's own metric as the loss (scale-free; the holdout scaler, maxabs,
    # only divides): one net, and the ensemble with sMAPE members beside or instead of MSE
    "2h_smape": (2, {"model_params": _each({"loss": "smape"}, ("nlinear", "dlinear"))}),
    "nlinear_ensemble_smape": _ensemble(_members(("nlinear",), ("mse", "mae", "smape"))),
    # the nine NLinear nets and three residual MLPs (lookbacks of 1, 2 and 3 horizons, MSE):
    # what benchmarks/configs/m3_nlinear_mlp_ensemble.toml held at commit df5b63f
    "nlinear_mlp_ensemble": _ensemble(_members(("nlinear",), ("mse", "mae", "smape"))
                                      + _members(("mlp",), ("mse",))),
    # nine of each: NLinear and the MLP, 1, 2 and 3 horizons x MSE, MAE and sMAPE losses
    # (what benchmarks/configs/m3_nlinear_mlp_ensemble.toml holds)
    "nlinear_mlp_ensemble_18": _ensemble(_members(("nlinear", "mlp"), ("mse", "mae", "smape"))),
    "nlinear_ensemble_mae_smape": _ensemble(_members(("nlinear",), ("mae", "smape"))),
}


def validation_data(every: int = 10) -> dict[str, pd.DataFrame]:
    """The quick sample's training parts (the competition hold-out removed) per group
    (``panel_validation.validation_data`` on M3)."""
    from panel_validation import validation_data as panel_data

    return panel_data("m3", every)


def run_variant(name: str, data: dict[str, pd.DataFrame], workdir: Path, seed: int = 0,
                nets: tuple[str, ...] = NETS, budget: dict | None = None,
                jobs: int = 1) -> pd.DataFrame:
    from tsforecast.benchmark import run_benchmark
    from tsforecast.datasets import M3_GROUPS

    lookbacks, common = VARIANTS[name]
    per_group = _main_rule(data) if lookbacks == "main_rule" else _horizons(lookbacks)
    models = common.get("models", "naive," + ",".join(nets)).split(",")
    models = ",".join(m for m in models if m == "naive" or m in nets)
    rows = []
    for g in GROUPS:
        h, season = M3_GROUPS[g]
        path = workdir / f"{g}.csv"
        data[g].to_csv(path, index=False)
        cfg = {"protocol": "holdout", "data": str(path), "horizon": h, "mase_season": season,
               "season_length": season, "progress": False, "accelerator": "cpu",
               "output": str(workdir / f"out-{name}-{g}"), "overwrite": True,
               **(BUDGET if budget is None else budget), **common, "models": models,
               "seeds": [seed], "jobs": jobs, **per_group[g]}
        res = run_benchmark(cfg)
        for _, r in res.leaderboard.iterrows():
            rows.append({"group": g, "model": r["model"], "smape": r["smape"], "seed": seed,
                         "n": r["n_series"], "error": r["error"]})
    return pd.DataFrame(rows)


def print_variant(name: str, df: pd.DataFrame, seconds: float) -> None:
    n = df.groupby("group")["n"].max()[list(GROUPS)]
    per_seed = df.pivot_table(index=["model", "seed"], columns="group", values="smape")
    per_seed = per_seed.reindex(columns=list(GROUPS))
    per_seed["overall"] = (per_seed * n).sum(axis=1, min_count=len(GROUPS)) / n.sum()
    table = per_seed.groupby(level="model").mean()
    seeds = df["seed"].nunique()
    if seeds > 1:
        table["overall_sd"] = per_seed["overall"].groupby(level="model").std(ddof=1)
    print(f"== {name} ({seconds:.0f} s; validation sMAPE, mean over {seeds} seed(s))")
    print(table.sort_values("overall").round(2).to_string())
    errors = df[df["error"].notna()]
    for _, r in errors.iterrows():
        print(f"   {r['group']}/{r['model']}: {r['error'][:120]}")


def seed_table(run_dir: Path) -> str:
    """Markdown: sMAPE per group and overall (series-weighted), mean ± sd over seeds."""
    rows = []
    for f in sorted((run_dir / "runs").glob("*.json")):
        r = json.loads(f.read_text())
        ok = not r.get("error") and r.get("metrics")
        rows.append({"model": r["model"], "group": r["dataset"].removeprefix("m3-"),
                     "seed": r.get("seed") or 0,
                     "smape": r["metrics"]["smape"] if ok else np.nan,
                     "n": r["n_series"] if ok else np.nan})
    df = pd.DataFrame(rows)
    n = df.groupby("group")["n"].max()[list(GROUPS)]
    lines = ["| model | seeds | overall sMAPE | " + " | ".join(GROUPS) + " |",
             "|---|---|---|" + "---|" * len(GROUPS)]
    out = []
    for model, g in df.groupby("model"):
        per = g.pivot(index="seed", columns="group", values="smape")
        per = per.reindex(columns=list(GROUPS)).ffill().bfill()  # deterministic: one run
        overall = (per * n).sum(axis=1, min_count=len(GROUPS)) / n.sum()

        def cell(s: pd.Series) -> str:
            if s.isna().any():
                return "-"
            return f"{s.mean():.2f}" + (f" ± {s.std(ddof=1):.2f}" if len(s) > 1 else "")

        key = overall.mean() if overall.notna().all() else np.inf
        cells = [cell(overall)] + [cell(per[c]) for c in GROUPS]
        out.append((key, f"| {model} | {len(per)} | " + " | ".join(cells) + " |"))
    return "\n".join(lines + [line for _, line in sorted(out)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", help=f"all, or names separated by commas: {', '.join(VARIANTS)}")
    parser.add_argument("--workdir", default="m3-validation", type=Path)
    parser.add_argument("--table", nargs="+", type=Path, help="benchmark output directories")
    parser.add_argument("--every", type=int, default=10, help="every n-th series of each group "
                        "(10: the quick sample; 1: all 3,003 series)")
    parser.add_argument("--seeds", default="0", help="seeds, comma-separated")
    parser.add_argument("--nets", default=",".join(NETS), help="nets to run, comma-separated")
    parser.add_argument("--default-budget", action="store_true",
                        help="the forecasters' own training budget instead of 100 epochs, batch 32")
    parser.add_argument("--jobs", type=int, default=1, help="benchmark --jobs (at most 2 here)")
    args = parser.parse_args()
    if args.table:
        for d in args.table:
            print(f"{d}\n\n{seed_table(d)}\n")
        return
    if args.variant is None:
        parser.error("give --variant or --table")
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = validation_data(args.every)
    nets = tuple(args.nets.split(","))
    budget = {} if args.default_budget else None
    for name in VARIANTS if args.variant == "all" else args.variant.split(","):
        t0 = time.perf_counter()
        df = pd.concat([run_variant(name, data, args.workdir, int(s), nets, budget, args.jobs)
                        for s in args.seeds.split(",")])
        print_variant(name, df, time.perf_counter() - t0)


if __name__ == "__main__":
    main()
