"""``soen run CONFIG.toml``: run an experiment described in a TOML file, write its results file.

The config is checked completely before anything runs (``--check`` stops there): every key, and
everything the run will need (connections, time step, grid, recording, threads, memory). Output paths
from the config's ``[output]`` table must stay inside the config's folder (``--force`` allows others;
paths given here with ``-o``/``--report`` are taken as given); an existing file is not replaced
without ``--overwrite``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="experiment file (TOML); see examples/config_example.toml")
    parser.add_argument("-o", "--output", help="results file (.h5); overrides [output] results")
    parser.add_argument("--report", help="also write an HTML report here; overrides [output] report")
    parser.add_argument("--check", action="store_true", help="only check the config (and what the run needs)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--overwrite", action="store_true", help="replace existing results/report files")
    parser.add_argument(
        "--force", action="store_true", help="allow [output] paths of the config outside the config's folder"
    )


def _writable(what: str, path: Path, overwrite: bool) -> None:
    from soen.io._safe import printable

    shown = printable(str(path))
    if path.is_dir():
        raise IsADirectoryError(f"{what} {shown!r} is a folder; give a file path")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{what} {shown!r} exists; pass --overwrite to replace it")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(f"{what} {shown!r}: no folder {printable(str(parent))!r}")
    if not os.access(parent, os.W_OK):
        raise PermissionError(f"{what} {shown!r}: the folder cannot be written")


def main(args: argparse.Namespace) -> int:
    from soen.io._safe import printable
    from soen.io.config import check_experiment, load_config, run_config
    from soen.io.report import write_report

    exp = load_config(args.config, allow_outside=args.force)
    check_experiment(exp)
    if args.check:
        print(
            printable(f"{args.config}: OK — {exp.network!r}, {exp.duration_ns:g} ns at dt = {exp.dt_ns:g} ns")
        )
        return 0
    out = Path(args.output) if args.output else exp.results_path
    if out is None:
        out = Path(args.config).with_suffix(".h5")
    report = Path(args.report) if args.report else exp.report_path
    _writable("results file", out, args.overwrite)
    if report is not None:
        _writable("report file", report, args.overwrite)
        if report.resolve() == out.resolve():
            raise ValueError(f"the report and the results file are the same file: {printable(str(out))!r}")
    result = run_config(exp, output=out, progress=False if args.no_progress else None)
    if result.metadata.get("interrupted"):
        print(
            f"soen run: interrupted at t = {result.t_end_ns:g} ns; {printable(str(out))} holds the data "
            "up to there",
            file=sys.stderr,
        )
        return 130
    print(result.summary())
    print(f"results: {printable(str(out))}")
    if report is not None:
        write_report(out, report)
        print(f"report: {printable(str(report))}")
    if not result.complete:
        print(f"soen run: the run did not complete: {printable(result.message)}", file=sys.stderr)
        return 1
    return 0
