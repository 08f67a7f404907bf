"""The ``tsforecast`` command line: parse options and call the benchmark runner.

::

    tsforecast benchmark --suite stocks            # bundled daily prices, all tickers
    tsforecast benchmark --suite weather --quick   # bundled hourly weather, small run
    tsforecast benchmark --data ETTh1.csv --target OT --protocol ltsf --lookback 96 --horizon 96
    tsforecast benchmark --config benchmarks/configs/stocks.toml --models nlinear,naive
    tsforecast datasets                            # list the bundled data

Bad input (unknown suite, model, column or protocol, a horizon longer than the test
segment, an unreadable CSV, unknown config keys) prints one line to stderr and exits 2;
Ctrl-C keeps the finished models' results and exits 130.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _UsageError(Exception):
    """An argparse error, turned into one line on stderr and exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # noqa: D102 - argparse hook
        raise _UsageError(message)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``tsforecast`` command."""
    parser = _Parser(
        prog="tsforecast",
        description="Time-series forecasting benchmarks: neural nets vs honest baselines.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    b = sub.add_parser(
        "benchmark",
        help="run models on a suite or a CSV file and write a leaderboard and report",
        description="Fit every model on the same data, evaluate them on the same cutoffs and "
        "write forecasts, a leaderboard, plots and report.md. Options may also come from "
        "--config FILE (TOML or YAML, same names); flags given here override it.",
    )
    what = b.add_argument_group("data")
    what.add_argument("--suite", help="bundled suite: stocks or weather")
    what.add_argument("--data", action="append", metavar="CSV",
                      help="CSV file with a time column and numeric columns (repeatable)")
    what.add_argument("--target", help="target column(s), comma-separated")
    what.add_argument("--covariates", help="past covariate columns, comma-separated")
    what.add_argument("--time-col", dest="time_col", help="time column of CSV files "
                      "(default: date)")
    what.add_argument("--history", type=int, help="keep only the last N timestamps")
    proto = b.add_argument_group("protocol")
    proto.add_argument("--protocol", help="rolling (default) or ltsf")
    proto.add_argument("--features", help="ltsf: S (target only) or M (every numeric column)")
    proto.add_argument("--borders", help="ltsf: fractions (70/10/20) or ett (12/4/4 months); "
                       "default: ett for ETTh*/ETTm* files")
    proto.add_argument("--test-fraction", dest="test_fraction", type=float,
                       help="rolling: fraction of the time axis held out (default 0.2)")
    proto.add_argument("--lookback", type=int, help="input window length (steps)")
    proto.add_argument("--horizon", type=int, help="forecast horizon (steps)")
    models = b.add_argument_group("models")
    models.add_argument("--models", help="comma-separated registered names (default: all neural "
                        "nets and baselines)")
    models.add_argument("--max-epochs", dest="max_epochs", type=int)
    models.add_argument("--batch-size", dest="batch_size", type=int)
    models.add_argument("--accelerator", help="auto, cpu, gpu, cuda, mps")
    models.add_argument("--devices", help="device count, ids (0,1) or auto (default 1)")
    models.add_argument("--precision", help="32-true (default), bf16-mixed, 16-mixed, ...")
    models.add_argument("--seed", type=int, help="random seed (default 0)")
    run = b.add_argument_group("run")
    run.add_argument("--config", metavar="FILE", help="TOML or YAML file with these options")
    run.add_argument("--output", metavar="DIR",
                     help="output directory (default benchmark-results/<name>-<time>)")
    run.add_argument("--quick", action="store_true", default=None,
                     help="small fast run: few epochs, shortened history")
    run.add_argument("--save-forecasts", dest="save_forecasts",
                     help="auto (default), all or none")
    run.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                     help="no progress bar")
    sub.add_parser("datasets", help="list the bundled data sets",
                   description="List the bundled data sets and the suites built on them.")
    return parser


_NOT_OPTIONS = {"command", "config"}
#: Options that ``--quick`` sets, overriding a config file's values for them.
QUICK_KEYS = ("max_epochs", "history", "train_stride")


def _benchmark(args: argparse.Namespace) -> int:
    from .benchmark import (
        BenchmarkConfig,
        BenchmarkInputError,
        BenchmarkInterrupted,
        format_leaderboard,
        load_config_file,
        run_benchmark,
    )

    names = {f.name for f in dataclasses.fields(BenchmarkConfig)}
    given = {k: v for k, v in vars(args).items()
             if k not in _NOT_OPTIONS and k in names and v is not None}
    try:
        base = load_config_file(args.config) if args.config else BenchmarkConfig()
        if args.quick:
            # --quick beats the config file's training budget (not explicit flags)
            base = dataclasses.replace(base, **{k: None for k in QUICK_KEYS})
        cfg = base.merged(BenchmarkConfig(**given))
        result = run_benchmark(cfg)
    except BenchmarkInputError as exc:
        print(f"tsforecast: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except BenchmarkInterrupted as exc:
        res = exc.result
        print(format_leaderboard(res.leaderboard))
        print(f"\ninterrupted: results of the {sum(r.ok for r in res.results)} finished model "
              f"run(s) are in {res.output_dir}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("\ninterrupted before any model finished", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - one line unless debugging
        if os.environ.get("TSFORECAST_DEBUG"):
            raise
        print(f"tsforecast: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(set TSFORECAST_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_ERROR
    print(format_leaderboard(result.leaderboard))
    failed = [r for r in result.results if not r.ok]
    if failed:
        print(f"\n{len(failed)} model run(s) failed: "
              + ", ".join(f"{r.dataset}/{r.model}" for r in failed), file=sys.stderr)
    print(f"\nresults: {result.output_dir}  (report: {result.output_dir / 'report.md'})")
    return EXIT_OK


def _datasets() -> int:
    from .benchmark import SUITES
    from .datasets import list_datasets

    table = list_datasets()
    suite_of = {"stocks": "stocks", "beijing_weather": "weather"}
    for _, row in table.iterrows():
        suite = suite_of.get(row["name"])
        print(f"{row['name']}: {row['description']}")
        print(f"    frequency {row['frequency']}, {row['rows']:,} rows, {row['period']}; "
              f"columns: {row['columns']}")
        print(f"    source: {row['source']} ({row['licence']}); loader: "
              f"tsforecast.datasets.{row['loader']}()")
        if suite in SUITES:
            s = SUITES[suite]
            print(f"    suite: tsforecast benchmark --suite {suite}  (target {s['target']}, "
                  f"lookback {s['lookback']}, horizon {s['horizon']})")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tsforecast`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for bad input, 130 when interrupted, 1 for an unexpected error.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except _UsageError as exc:
        print(f"tsforecast: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help
        return int(exc.code or 0) if isinstance(exc.code, int) or exc.code is None else EXIT_USAGE
    if args.command == "benchmark":
        return _benchmark(args)
    if args.command == "datasets":
        return _datasets()
    parser.print_help(sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
