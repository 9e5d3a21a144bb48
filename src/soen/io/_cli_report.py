"""``soen report RESULTS.h5 -o report.html``: a self-contained HTML report of a results file."""

from __future__ import annotations

import argparse
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", help="results file (.h5) written by soen")
    parser.add_argument("-o", "--output", help="HTML file to write (default: RESULTS with .html)")
    parser.add_argument("--title", help="page title")


def main(args: argparse.Namespace) -> int:
    from soen.io.report import write_report

    out = Path(args.output) if args.output else Path(args.results).with_suffix(".html")
    write_report(args.results, out, title=args.title)
    print(f"report: {out}")
    return 0
