"""The `soen` command: any bad input is one line ``soen CMD: error: ...`` and exit status 2."""

from __future__ import annotations

import subprocess
import sys

import pytest
import numpy as np

import soen.cli
from soen.cli import main as cli_main

BAD = [
    ["demo", "--duration-ns", "-5", "--out", "{tmp}/d"],
    ["demo", "--duration-ns", "x"],
    ["demo", "--n-exc", "0", "--out", "{tmp}/d"],
    ["tables", "build", "--n-i", "-3", "--out", "{tmp}/t.npz"],
    ["tables", "check", "--table", "{tmp}/missing.npz"],
    ["tables"],
    ["budget", "--fan-out", "-1"],
    ["budget", "--probability", "2"],
    ["budget", "--set", "foo=bar"],
    ["budget", "--frobnicate"],
    ["run", "{tmp}/missing.toml"],
    ["run", "{tmp}/garbage.toml", "--check"],
    ["report", "{tmp}/missing.h5"],
    ["report", "{tmp}/garbage.h5", "-o", "{tmp}/r.html"],
    ["info", "{tmp}/garbage.h5"],
    ["info"],
    ["info", "{tmp}"],
    ["nosuchcommand"],
    [],
]


@pytest.mark.parametrize("argv", BAD, ids=[" ".join(a) or "(none)" for a in BAD])
def test_bad_input_is_one_line_and_status_2(argv, tmp_path, capsys):
    (tmp_path / "garbage.toml").write_text("[simulation\nduration_ns = ")
    (tmp_path / "garbage.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, err
    cmd = argv[0] if argv and argv[0] in soen.cli._COMMANDS else None
    assert lines[0].startswith(f"soen {cmd}: error: " if cmd else "soen: error: "), err
    assert "Traceback" not in err


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(FileNotFoundError):
        cli_main(["--debug", "info", str(tmp_path / "missing.h5")])
    with pytest.raises(FileNotFoundError):
        cli_main(["info", str(tmp_path / "missing.h5"), "--debug"])


def test_unexpected_errors_and_interrupts(monkeypatch, capsys):
    def boom(args):
        raise RuntimeError("something\nsoen did not foresee")

    def interrupt(args):
        raise KeyboardInterrupt

    parser = soen.cli.build_parser
    for fn, rc, text in (
        (
            boom,
            2,
            "soen info: error: RuntimeError: something\\nsoen did not foresee (unexpected; "
            "rerun with --debug for the traceback)",
        ),
        (interrupt, 130, "soen info: interrupted"),
    ):

        def patched(fn=fn):
            p = parser()
            p._subparsers._group_actions[0].choices["info"].set_defaults(_main=fn)
            return p

        monkeypatch.setattr(soen.cli, "build_parser", patched)
        assert cli_main(["info", "x.h5"]) == rc
        assert capsys.readouterr().err.strip() == text


def test_no_traceback_from_a_real_process(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\xff" * 1000)
    proc = subprocess.run(
        [sys.executable, "-m", "soen.cli", "info", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("soen info: error: bad.h5: ")


def test_file_names_with_control_characters_are_escaped(tmp_path, capsys):
    name = tmp_path / "evil\x1b[2Jname.h5"
    assert cli_main(["info", str(name)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2J" in err


def test_tables_check_of_a_garbage_table(tmp_path, capsys):
    bad = tmp_path / "garbage.npz"
    bad.write_bytes(b"PK\x03\x04garbage")
    assert cli_main(["tables", "check", "--table", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "unexpected" not in err and str(bad) in err and "not a readable soen rate table" in err


def test_loading_a_damaged_or_foreign_table_names_the_file(tmp_path):
    from soen.circuits.rate_table import RateTable

    cases = {"garbage.npz": b"PK\x03\x04garbage", "empty.npz": b"", "text.npz": b"not an archive at all\n"}
    for name, data in cases.items():
        bad = tmp_path / name
        bad.write_bytes(data)
        with pytest.raises(ValueError, match=r"not a readable soen rate table") as exc:
            RateTable.load(bad)
        assert str(bad) in str(exc.value)
    single = tmp_path / "single.npz"  # one .npy array under an .npz name
    with open(single, "wb") as fh:
        np.save(fh, np.zeros(3))
    with pytest.raises(ValueError, match=r"single.npz: not a soen rate table \(a single .npy array"):
        RateTable.load(single)
    other = tmp_path / "other.npz"  # a valid archive, but not a rate table
    np.savez(other, x=np.zeros(3))
    with pytest.raises(ValueError, match=r"not a soen rate table, missing arrays"):
        RateTable.load(other)
