"""The ``tsforecast`` command line: parse options and call the benchmark runner.

::

    tsforecast benchmark --suite stocks            # bundled daily prices, all tickers
    tsforecast benchmark --suite weather --quick   # bundled hourly weather, small run
    tsforecast benchmark --data ETTh1.csv --target OT --protocol ltsf --lookback 96 --horizon 96
    tsforecast benchmark --config benchmarks/configs/stocks.toml --models nlinear,naive
    tsforecast benchmark --suite stocks --output out --resume   # finish an interrupted run
    tsforecast benchmark --suite m3 --quick --jobs 2            # M3 hold-out, 2 processes
    tsforecast benchmark --data panel.csv --protocol holdout --horizon 8 --mase-season 4
    tsforecast benchmark --suite m3 --models nlinear,naive --seeds 0,1,2 --backend ray
    tsforecast datasets                            # the suites' data
    tsforecast report benchmark-results/stocks-20240101-120000   # rebuild its report.html

Bad input (unknown suite, model, column or protocol, a horizon longer than the test
segment, an unreadable CSV, unknown config keys or YAML aliases in a config, a model
parameter or device count its checks refuse, a non-empty --output without
--overwrite or --resume, an --output that another run is using, naming its holder)
prints one line (cut after 2,000 characters) to stderr and exits 2 before any model
runs; a run in which any model failed writes its leaderboard, names the failures in one
stderr line and exits 1; Ctrl-C keeps the finished models' results and exits 130
(SIGTERM: 143); a closed stdout pipe (``tsforecast datasets | head -1``) exits 141
without a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence

from .benchmark.options import GROUPS, OPTIONS, BenchmarkInputError, config_from_cli

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a C tool killed by the signal returns


class _UsageError(Exception):
    """An argparse error, turned into one line on stderr and exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # noqa: D102 - argparse hook
        raise _UsageError(message)


#: The most characters of a message printed (a bad value can be long; the rest is cut).
MAX_MESSAGE = 2000


def _one_line(text: object) -> str:
    """``text`` on one line, cut after :data:`MAX_MESSAGE` characters (saying how many)."""
    text = str(text)
    line = " ".join(text[:MAX_MESSAGE].split())
    cut = len(text) - MAX_MESSAGE
    return line if cut <= 0 else f"{line} ... ({cut:,} more characters)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``tsforecast`` command.

    The ``benchmark`` flags are derived from the declaration of
    :class:`~tsforecast.benchmark.options.BenchmarkConfig`: one flag per option
    (``--max-epochs`` for ``max_epochs``), its help, group and type from there.
    """
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
    groups = {name: b.add_argument_group(name) for name in GROUPS}
    groups["run"].add_argument("--config", metavar="FILE",
                               help="TOML or YAML file with these options")
    for option in OPTIONS.values():
        groups[option.group].add_argument(option.flag, **option.cli_kwargs())
    r = sub.add_parser(
        "report", help="build report.html again from a finished run's output folder",
        description="Write DIR/report.html (one self-contained page: sortable leaderboard, "
        "charts, a series chooser) from the files a benchmark run wrote in DIR. Needs "
        "plotly: pip install 'tsforecast[report]'.")
    r.add_argument("dir", metavar="DIR", help="the output folder of a benchmark run")
    sub.add_parser("datasets", help="list the data of the benchmark suites",
                   description="List the data of every benchmark suite, under the suite's "
                   "name: stocks and weather are bundled, m3 and tourism come with pip "
                   "install 'tsforecast[m3]'.")
    return parser


class _Stderr(logging.Handler):
    """The library's log records as ``tsforecast: message`` lines on the current stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"tsforecast: {self.format(record)}", file=sys.stderr)


@contextlib.contextmanager
def _shown_logs(level: int = logging.INFO):
    """Show what the library logs (``tsforecast.*`` at ``level`` and above) while the
    command runs: the library logs, the command line prints."""
    logger = logging.getLogger("tsforecast")
    handler, previous = _Stderr(level), logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def _benchmark(args: argparse.Namespace) -> int:
    from .benchmark.results import BenchmarkInterrupted

    try:
        cfg = config_from_cli(vars(args), args.config)
        from .benchmark.runner import run_benchmark  # torch, lightning, pandas: only now

        with _shown_logs():
            result = run_benchmark(cfg)
    except BenchmarkInputError as exc:
        print(f"tsforecast: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except BenchmarkInterrupted as exc:
        from .benchmark.report import format_leaderboard

        res = exc.result
        print(format_leaderboard(res.leaderboard))
        print(f"\ninterrupted: results of the {sum(r.ok for r in res.results)} finished model "
              f"run(s) are in {res.output_dir}; to finish the run, repeat the command with "
              f"--output {res.output_dir} --resume", file=sys.stderr)
        return 128 + exc.signum  # 130 for Ctrl-C, 143 for SIGTERM
    except KeyboardInterrupt:
        print("\ninterrupted before any model finished", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - one line unless debugging
        if os.environ.get("TSFORECAST_DEBUG"):
            raise
        print(f"tsforecast: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(set TSFORECAST_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_ERROR
    from .benchmark.report import format_leaderboard

    print(format_leaderboard(result.leaderboard))
    if len(result.tasks) > 1 and result.tasks[0].protocol.overall_summary:
        from .benchmark.summary import format_summary

        print("\n" + format_summary(result.leaderboard, published=result.config.suite == "m3"))
    html = result.output_dir / "report.html"
    shown = f"{result.output_dir / 'report.md'}" + (f", {html}" if html.is_file() else "")
    print(f"\nresults: {result.output_dir}  (report: {shown})")
    failed = [r for r in result.results if not r.ok]
    if failed:  # the leaderboard is written, but the run did not do what was asked
        sys.stdout.flush()
        print(f"tsforecast: error: {len(failed)} of {len(result.results)} model run(s) failed: "
              + ", ".join(f"{r.dataset}/{r.model}" for r in failed)
              + f" (tracebacks: {result.output_dir / 'errors.log'})", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from .benchmark.html import write_html

    try:
        path = write_html(args.dir)
    except BenchmarkInputError as exc:
        print(f"tsforecast: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except ImportError as exc:
        print(f"tsforecast: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    print(f"report: {path}")
    return EXIT_OK


def _datasets() -> int:
    from .benchmark.suites import SUITES
    from .datasets import list_datasets

    catalog = list_datasets().set_index("name")
    for suite, preset in SUITES.items():  # every suite, under its name
        row = catalog.loc[suite]
        print(f"{suite}: {row['description']}")
        print(f"    frequency {row['frequency']}, {row['rows']:,} rows, {row['period']}; "
              f"columns: {row['columns']}")
        print(f"    source: {row['source']} ({row['licence']}); loader: "
              f"tsforecast.datasets.{row['loader']}()")
        defaults = ", ".join(f"{k} {preset[k]}" for k in ("protocol", "target", "lookback",
                                                          "horizon") if k in preset)
        print(f"    suite: tsforecast benchmark --suite {suite}  ({defaults})")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tsforecast`` command with ``argv`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for bad input (or an --output in use by another run), 130 when
        interrupted (143 by SIGTERM), 1 when a model failed or for an unexpected error,
        141 when the reader of stdout went away (``tsforecast datasets | head -1``).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except _UsageError as exc:
        print(f"tsforecast: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help
        return int(exc.code or 0) if isinstance(exc.code, int) or exc.code is None else EXIT_USAGE
    commands = {"benchmark": lambda: _benchmark(args), "datasets": _datasets,
                "report": lambda: _report(args)}
    if args.command not in commands:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        code = commands[args.command]()
        sys.stdout.flush()  # a reader that went away shows up here, not at interpreter exit
    except BrokenPipeError:  # `tsforecast datasets | head -1`: the reader has what it wants
        # the standard pattern: later writes (and the flush at exit) go to /dev/null
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
