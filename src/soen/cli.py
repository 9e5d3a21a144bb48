"""The ``soen`` command line.

Each sub-command lives in the module that owns its feature; that module exposes
``configure(parser)`` (adds arguments) and ``main(args) -> int``. This file only wires them.
"""

from __future__ import annotations

import argparse
import importlib
import sys

#: sub-command name -> (module, one-line help)
_COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("soen._demo", "simulate a showcase network and write a summary, figure and data"),
    "tables": ("soen.circuits._cli", "build or check dendrite rate tables from the circuit model"),
    "budget": ("soen.photonics._cli", "photon-budget planner: photons, energy and power per spike"),
    "run": ("soen.io._cli_run", "run an experiment described in a TOML config file; write its results file"),
    "report": ("soen.io._cli_report", "write a self-contained HTML report of a results file"),
    "info": ("soen.io._cli_info", "summarise a results file in the terminal"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="soen", description=__doc__.splitlines()[0])
    from soen import __version__

    parser.add_argument("--version", action="version", version=f"soen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in _COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # a feature module not present in this build
            if exc.name and exc.name.startswith("soen"):
                continue
            raise
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.configure(p)
        p.set_defaults(_main=module.main)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_main", None):
        parser.print_help()
        return 2
    try:
        return int(args._main(args) or 0)
    except (ValueError, TypeError, OSError) as exc:
        print(f"soen {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"soen {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
