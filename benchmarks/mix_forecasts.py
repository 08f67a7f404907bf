"""sMAPE of two benchmark runs' forecasts and of their mean, per model, with no training:
what combining two variants' ensembles would score (``notes/2026-12-02-panel-nets.md``,
section 8).

    python benchmarks/mix_forecasts.py OUT_A OUT_B --models lstm,lstm_attention

``OUT_A`` and ``OUT_B`` are ``--output`` folders of holdout runs of the same data (e.g.
``panel_validation.py``'s ``out-<variant>-<competition>-<group>``); the seed-0 forecasts
of each model are read from their ``runs/``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from tsforecast.evaluation import smape


def _forecasts(out: Path, model: str) -> pd.DataFrame:
    paths = sorted((out / "runs").glob(f"*__{model}__seed0.forecasts.parquet"))
    if len(paths) != 1:
        raise SystemExit(f"{out}: expected one seed-0 forecast file of {model!r}, "
                         f"found {len(paths)}")
    return pd.read_parquet(paths[0]).set_index(["series", "step"]).sort_index()


def smape_by_series(y: pd.Series, f: pd.Series) -> float:
    """The competitions' sMAPE (percent), mean over series of each series' sMAPE."""
    both = pd.DataFrame({"y": y, "f": f})
    return float(np.mean([smape(g["y"], g["f"]) for _, g in both.groupby(level="series")]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--models", default="lstm,lstm_attention")
    args = parser.parse_args()
    rows = []
    for model in args.models.split(","):
        a, b = _forecasts(args.a, model), _forecasts(args.b, model)
        if not a.index.equals(b.index) or not np.array_equal(a["y"], b["y"]):
            raise SystemExit(f"{model}: the two runs did not forecast the same series")
        rows.append({"model": model, "a": smape_by_series(a["y"], a["y_hat"]),
                     "b": smape_by_series(a["y"], b["y_hat"]),
                     "mean": smape_by_series(a["y"], (a["y_hat"] + b["y_hat"]) / 2)})
    print(pd.DataFrame(rows).set_index("model").round(3).to_string())


if __name__ == "__main__":
    main()
