"""The cost of one neural ensemble member on a large panel, in this process: its fit and
its holdout backtest, timed apart (what a ``--jobs`` piece of a holdout run does for one
member of the panel rule's ensemble).

    python benchmarks/synthetic_panel.py 10000 panel-10k.parquet
    python benchmarks/bench_panel_member.py panel-10k.parquet --model nlinear

Prints the seconds of ``fit`` and of the backtest, and the number of forecast rows.
``--save`` writes the backtest (pickle) to compare two commits' forecasts.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", help="a holdout panel file (unique_id, ds, y): Parquet or CSV")
    p.add_argument("--model", default="nlinear")
    p.add_argument("--member", type=int, default=0, help="which ensemble member")
    p.add_argument("--horizon", type=int, default=6)
    p.add_argument("--season-length", type=int, default=12)
    p.add_argument("--max-steps", type=int, default=None, help="default: the benchmark's")
    p.add_argument("--save", default=None, help="write the backtest here (pickle)")
    args = p.parse_args()
    warnings.filterwarnings("ignore")

    from tsforecast.benchmark.options import resolve_config
    from tsforecast.benchmark.protocols import get_protocol
    from tsforecast.benchmark.unit import model_params
    from tsforecast.forecasters.registry import make_forecaster

    cfg = resolve_config(dict(protocol="holdout", data=args.data, horizon=args.horizon,
                              season_length=args.season_length, mase_season=1,
                              models=[args.model], seed=0, jobs=1, max_steps=args.max_steps))
    protocol = get_protocol(cfg.protocol)
    task = protocol.prepare(protocol.load(cfg)[0], cfg, 0)
    with tempfile.TemporaryDirectory() as workdir:
        model = make_forecaster(args.model, **model_params(args.model, cfg, task.dataset, task,
                                                           workdir))
        if getattr(model, "n_ensemble", 1) > 1:
            model = model.ensemble_member(args.member)
        t0 = time.perf_counter()
        model.fit(task.fit_data)
        fit = time.perf_counter() - t0
        t0 = time.perf_counter()
        frame = task.backtest(model)
        backtest = time.perf_counter() - t0
    print(f"{args.model} member {args.member}: fit {fit:.2f} s, backtest {backtest:.2f} s, "
          f"{len(frame):,} forecast rows")
    if args.save:
        frame.to_pickle(args.save)


if __name__ == "__main__":
    main()
