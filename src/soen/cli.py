"""The ``soen`` command line.

Each sub-command lives in the module that owns its feature; that module exposes
``configure(parser)`` (adds arguments) and ``main(args) -> int``. This file only wires them, and
gives every failure one answer: a bad argument, a bad file or any other error prints exactly one line
``soen CMD: error: ...`` to stderr and exits with status 2 (``--debug`` shows the traceback instead);
Ctrl-C prints one line and exits with 130. Warnings are printed as one line each
(``soen CMD: warning: ...``). Everything printed from a file or an argument is escaped: control
characters (terminal escape sequences) are shown, not sent.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

#: sub-command name -> (module, one-line help)
_COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("soen._demo", "simulate a showcase network and write a summary, figure and data"),
    "tables": ("soen.circuits._cli", "build or check dendrite rate tables from the circuit model"),
    "budget": ("soen.photonics._cli", "photon-budget planner: photons, energy and power per spike"),
    "run": ("soen.io._cli_run", "run an experiment described in a TOML config file; write its results file"),
    "report": ("soen.io._cli_report", "write a self-contained HTML report of a results file"),
    "info": ("soen.io._cli_info", "summarise a results file in the terminal"),
}


def _line(text) -> str:
    from soen.io._safe import one_line

    return one_line(text)


class _UsageError(ValueError):
    """An argument the parser refused (reported as one line, exit status 2, also under --debug)."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``soen CMD: error: ...``), not usage text and a message."""

    def error(self, message: str):  # noqa: D102 - argparse API
        raise _UsageError(self.prog, message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="soen", description=__doc__.splitlines()[0])
    from soen import __version__

    parser.add_argument("--version", action="version", version=f"soen {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module_name, help_text) in _COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:  # a feature module not present in this build
            if exc.name and exc.name.startswith("soen"):
                continue
            raise
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument(
            "--debug",
            action="store_true",
            default=argparse.SUPPRESS,
            help="show the full traceback of an error",
        )
        module.configure(p)
        p.set_defaults(_main=module.main)
    return parser


def _command_of(argv: list[str]) -> str | None:
    """The sub-command named in ``argv`` (the first argument that is not an option of ``soen`` itself)."""
    for a in argv:
        if not a.startswith("-"):
            return a if a in _COMMANDS else None
    return None


def _show_warning(cmd: str):
    def show(message, category, filename, lineno, file=None, line=None):
        print(_line(f"soen {cmd}: warning: {message} ({category.__name__})"), file=sys.stderr)

    return show


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            prog = f"soen {args.command}" if getattr(args, "command", None) else "soen"
            raise _UsageError(prog, f"unrecognized arguments: {' '.join(extra)}")
    except _UsageError as exc:
        cmd = _command_of(argv)
        print(_line(f"{f'soen {cmd}' if cmd else exc.prog}: error: {exc}"), file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else 0
    cmd = args.command or "soen"
    debug = bool(getattr(args, "debug", False))
    if not getattr(args, "_main", None):
        print(
            _line(f"soen: error: no command given; choose one of {', '.join(_COMMANDS)} (soen --help)"),
            file=sys.stderr,
        )
        return 2
    old_show = warnings.showwarning
    warnings.showwarning = _show_warning(cmd)
    try:
        rc = args._main(args)
        return int(rc or 0) if isinstance(rc, (int, type(None))) else 0
    except KeyboardInterrupt:
        print(f"soen {cmd}: interrupted", file=sys.stderr)
        return 130
    except _UsageError as exc:  # a command that reports a bad argument combination itself
        print(_line(f"soen {cmd}: error: {exc}"), file=sys.stderr)
        return 2
    except SystemExit as exc:  # a command that stops on its own
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    except Exception as exc:
        if debug:
            raise
        known = isinstance(exc, (ValueError, TypeError, OSError))
        text = str(exc) or type(exc).__name__
        if not known:  # a failure soen did not foresee: say so, and how to see more
            text = f"{type(exc).__name__}: {text} (unexpected; rerun with --debug for the traceback)"
        print(_line(f"soen {cmd}: error: {text}"), file=sys.stderr)
        return 2
    finally:
        warnings.showwarning = old_show


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
