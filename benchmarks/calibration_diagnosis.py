"""Why the 80% conformal intervals over-cover on panels: the calibration of the naive
forecast (nothing fitted, so a copy fitted on fewer rows cannot be worse) on the validation
windows of ``panel_validation.py`` (each series' competition hold-out removed, the last
horizon of what is left the target), computed directly with the package's
``local_scale`` and the finite-sample quantile.

    python benchmarks/calibration_diagnosis.py --competition m3
    python benchmarks/calibration_diagnosis.py --competition tourism

For each group and calibration rule it prints the series that give calibration forecasts
(and their median length against all series'), the calibration forecasts, the 80% and 95%
quantiles of the scaled errors (mean over steps) and the coverage they give on the
validation targets; ``oracle`` is the quantile of the targets' own scaled errors. Rules:
``20%`` (the forecasters' default), ``20%, last origin``: the same series, one origin each
(the one nearest the end), ``1h`` / ``2h``: the last one or two horizons of every series
(at most all but 3 rows, as ``panel_validation.py`` caps them), ``20%, >= 1h``: 20%, at
least one horizon (the benchmark's panel rule). ``--hold-out`` describes
the competition's hold-out the same way (the benchmark's calibration on each whole training
part): reporting, never a choice.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from panel_validation import CALIBRATION_KEEP, groups_of, validation_data

from tsforecast.forecasters.conformal import calibration_rows, local_scale


def naive_errors(y: np.ndarray, origins: np.ndarray, h: int) -> np.ndarray:
    """``[n, h]`` absolute naive errors from ``origins``, scaled as the package scales them."""
    rows = origins[:, None] + np.arange(h)
    err = np.abs(y[rows] - y[origins - 1][:, None])
    return err / local_scale(y[:, None], origins)[:, :1]


def quantile(e: np.ndarray, level: float) -> float:
    e = np.sort(e)
    return e[min(len(e), math.ceil((len(e) + 1) * level / 100)) - 1]


def calibration(series: list[np.ndarray], h: int, rule: str):
    """Scaled calibration errors ``[n, h]`` under ``rule`` and the lengths of the series
    that gave them."""
    errs, lengths = [], []
    for y in series:
        n = len(y)
        if rule == "20%, >= 1h":  # the panel rule, PANEL_CALIBRATION
            c = min(calibration_rows((0.2, h), n), max(n - CALIBRATION_KEEP, 0))
        elif rule.startswith("20%"):
            c = calibration_rows(0.2, n)
        else:
            c = min(int(rule[0]) * h, max(n - CALIBRATION_KEEP, 0))
        origins = np.arange(max(n - c, 1), n - h + 1)
        if origins.size == 0:
            continue
        if rule == "20%, last origin":
            origins = origins[-1:]
        errs.append(naive_errors(y, origins, h))
        lengths.append(n)
    return np.concatenate(errs), lengths


def hold_out_data(competition: str) -> dict:
    """Every series whole, per group: the last horizon is the competition's hold-out."""
    from tsforecast.datasets._competitions import _load

    return {g: _load(competition, g) for g in groups_of(competition)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--competition", default="m3", choices=("m3", "tourism"))
    parser.add_argument("--hold-out", action="store_true", help="describe the competition's "
                        "hold-out instead (reporting only: no rule is chosen on it)")
    args = parser.parse_args()
    data = validation_data(args.competition) if not args.hold_out else hold_out_data(
        args.competition)
    print("group | rule | series calibrating | median length (all) | forecasts | "
          "q80 | q95 | cov80 | cov95")
    for g, (h, _) in groups_of(args.competition).items():
        d = data[g]
        full = [v["y"].to_numpy(float) for _, v in d.groupby("unique_id")]
        train = [y[:-h] for y in full]  # the validation target: the last horizon
        target = np.concatenate([naive_errors(y, np.array([len(y) - h]), h) for y in full])
        med = int(np.median([len(y) for y in train]))
        print(f"{g} | oracle | {len(full)} | {med} | {len(target)} | "
              f"{np.mean([quantile(target[:, k], 80) for k in range(h)]):.2f} | "
              f"{np.mean([quantile(target[:, k], 95) for k in range(h)]):.2f} | 0.80 | 0.95")
        for rule in ("20%", "20%, last origin", "1h", "2h", "20%, >= 1h"):
            err, lengths = calibration(train, h, rule)
            q = {lv: np.array([quantile(err[:, k], lv) for k in range(h)]) for lv in (80, 95)}
            cov = {lv: float(np.mean(target <= q[lv][None])) for lv in (80, 95)}
            print(f"{g} | {rule} | {len(lengths)} | {int(np.median(lengths))} ({med}) | "
                  f"{len(err)} | {q[80].mean():.2f} | {q[95].mean():.2f} | "
                  f"{cov[80]:.3f} | {cov[95]:.3f}")


if __name__ == "__main__":
    main()
