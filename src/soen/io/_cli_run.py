"""``soen run CONFIG.toml``: run an experiment described in a TOML file, write its results file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="experiment file (TOML); see examples/config_example.toml")
    parser.add_argument("-o", "--output", help="results file (.h5); overrides [output] results")
    parser.add_argument("--report", help="also write an HTML report here; overrides [output] report")
    parser.add_argument("--check", action="store_true", help="only check the config, do not run")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def main(args: argparse.Namespace) -> int:
    from soen.io.config import load_config, run_config
    from soen.io.report import write_report

    exp = load_config(args.config)
    if args.check:
        print(f"{args.config}: OK — {exp.network!r}, {exp.duration_ns:g} ns at dt = {exp.dt_ns:g} ns")
        return 0
    out = Path(args.output) if args.output else exp.results_path
    if out is None:
        out = Path(args.config).with_suffix(".h5")
    result = run_config(exp, output=out, progress=False if args.no_progress else None)
    print(result.summary())
    print(f"results: {out}")
    report = Path(args.report) if args.report else exp.report_path
    if report is not None:
        write_report(out, report)
        print(f"report: {report}")
    if not result.complete:
        print(f"soen run: the run did not complete: {result.message}", file=sys.stderr)
        return 1
    return 0
