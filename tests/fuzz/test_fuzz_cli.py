"""Property-based fuzzing of the `soen` command line: random argument lists for every sub-command.

Each example runs ``soen.cli.main(argv)`` in-process under a hard time limit. The exit status must
be 0, 1, 2 or 130; with status 2, stderr is exactly one line ``soen CMD: error: ...`` (or
``soen: error: ...``) that does not report an unexpected exception type; no traceback ever. Commands
that would do long work when every argument is valid (``demo``, ``tables build``, ``run`` without
``--check``) always get at least one invalid value, so each example stays short.
"""

from __future__ import annotations

import contextlib
import io
import pathlib
import shutil
import tempfile

import numpy as np
from _hostile import hard_limit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soen.cli import _COMMANDS
from soen.cli import main as cli_main

CLI = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_BASE = pathlib.Path(tempfile.mkdtemp(prefix="soen-fuzz-cli-"))
WEIRD = [
    "",
    "-",
    "--",
    "x",
    "-1",
    "0",
    "nan",
    "inf",
    "-inf",
    "1e400",
    "2" * 30,
    "\x1b[31mred",
    "a\nb",
    "é",
    "=",
    "--help",
    "--debug",
    "/dev/null",
    "/dev/null/x",
    "/",
    ".",
]
BAD_NUMBERS = ["-5", "0", "nan", "inf", "x", "1e400", "", "-1e-300"]


def _files() -> dict[str, str]:
    files = {
        "garbage.h5": b"\x89HDF\r\n\x1a\n" + b"\x00" * 64,
        "text.h5": b"not hdf5",
        "empty.h5": b"",
        "bad.toml": b"[simulation\n",
        "bom.toml": b'\xef\xbb\xbf[simulation]\nduration_ns = 10\n[[populations]]\nname = "a"\nn = 2\n',
        "escape.toml": b'[simulation]\nduration_ns = 10\n[[populations]]\nname = "a"\nn = 2\n'
        b'[output]\nresults = "../../x.h5"\n',
        "garbage.npz": b"PK\x03\x04garbage",
    }
    out = {}
    for name, data in files.items():
        p = _BASE / name
        if not p.exists():
            p.write_bytes(data)
        out[name] = str(p)
    good = _BASE / "good.h5"
    if not good.exists():
        from soen.io import ResultWriter

        with ResultWriter(
            good,
            network={},
            run=dict(duration_ns=10.0, dt_ns=0.1, seed=0, integrator="euler"),
            populations={"p": (0, 2)},
            trace_labels=[],
            n_traces=0,
        ) as w:
            w.append_spikes(np.array([1.0, 2.0]), np.array([0, 1]))
            w.finish(
                complete=False,
                message="\x1b]0;title\x07",
                counts={},
                timing={},
                fluxons=np.zeros(2),
                metadata={},
            )
    out["good.h5"] = str(good)
    out["folder"] = str(_BASE)
    out["missing"] = str(_BASE / "missing.h5")
    return out


def _options(cmd: str) -> list[str]:
    from soen.cli import build_parser

    p = build_parser()
    sub = p._subparsers._group_actions[0].choices[cmd]
    opts = []
    for a in sub._actions:
        opts += [s for s in a.option_strings if s not in ("-h", "--help")]
        if getattr(a, "choices", None) and not a.option_strings:
            opts += [c for c in a.choices if isinstance(c, str)]
    return opts


@st.composite
def argv(draw):
    files = _files()
    cmd = draw(st.sampled_from(sorted(_COMMANDS) + ["bogus"]))
    opts = _options(cmd) if cmd in _COMMANDS else ["--x"]
    values = st.one_of(
        st.sampled_from(WEIRD),
        st.sampled_from(list(files.values())),
        st.text(max_size=5),
        st.integers(-10, 10**6).map(str),
        st.floats(allow_nan=True).map(str),
    )
    tokens = draw(st.lists(st.one_of(st.sampled_from(opts), values), max_size=6))
    args = [cmd, *tokens]
    if cmd == "demo":  # never a whole demo run: one invalid value, last (argparse keeps the last)
        args += [
            draw(st.sampled_from(["--duration-ns", "--n-exc", "--seed"])),
            draw(st.sampled_from(BAD_NUMBERS)),
        ]
    elif cmd == "tables":
        action = draw(st.sampled_from(["build", "check", "other"]))
        bad = (
            ["--n-i", draw(st.sampled_from(BAD_NUMBERS))]
            if action == "build"
            # (a garbage .npz table: tests/io/test_cli_errors.py::test_tables_check_of_a_garbage_table)
            else ["--table", draw(st.sampled_from([files["missing"], files["garbage.h5"], files["folder"]]))]
        )
        args = [cmd, action, *tokens, *bad]
    elif cmd == "run":
        args = [
            cmd,
            draw(
                st.sampled_from(
                    [
                        files["bad.toml"],
                        files["bom.toml"],
                        files["escape.toml"],
                        files["missing"],
                        files["good.h5"],
                    ]
                )
            ),
            *tokens,
            "--check",
        ]
    elif cmd in ("report", "info"):
        args = [cmd, draw(st.sampled_from(list(files.values()))), *tokens]
        if cmd == "report":
            args += ["-o", str(pathlib.Path(tempfile.gettempdir()) / "soen-fuzz-report.html")]
    return args


def run_cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), hard_limit(30.0):
        rc = cli_main(list(args))
    return rc, out.getvalue(), err.getvalue()


@CLI
@given(args=argv())
def test_fuzz_cli(args):
    if "--debug" in args:  # --debug re-raises: then the exception itself must be one of the allowed types
        try:
            rc, _, err = run_cli(args)
        except (ValueError, TypeError, OSError, KeyboardInterrupt):
            return
    else:
        rc, _, err = run_cli(args)
    assert rc in (0, 1, 2, 130), (args, rc, err)
    assert "Traceback" not in err, (args, err)
    if rc == 2:
        lines = err.rstrip("\n").split("\n")
        assert len(lines) == 1, (args, err)
        cmd = args[0] if args[0] in _COMMANDS else None
        assert lines[0].startswith(f"soen {cmd}: error: " if cmd else "soen: error: "), (args, err)
        assert "(unexpected; rerun with --debug" not in lines[0], (args, err)
    shutil.rmtree(_BASE / "out", ignore_errors=True)
