"""No code in src/ that turns data into code: no pickle, eval/exec, shell=True (issue 11).

The source is tokenized, so comments and docstrings that say "we never use pickle" are allowed; only
code tokens count: the names ``pickle``/``cPickle``/``dill``/``marshal``/``shelve``, calls of ``eval``,
``exec``, ``os.system``, ``os.popen``, and the keyword arguments ``shell=True`` and ``allow_pickle=True``.
"""

from __future__ import annotations

import io
import pathlib
import tokenize

SRC = pathlib.Path(__file__).resolve().parents[1] / "src"
_MODULES = {"pickle", "cPickle", "_pickle", "dill", "marshal", "shelve", "cloudpickle"}
_CALLS = {"eval", "exec"}
_OS_CALLS = {"system", "popen"}
_TRUE_KEYWORDS = {"shell", "allow_pickle"}


def unsafe_uses(text: str) -> list[tuple[int, str]]:
    """(line, what) of every unsafe construct in Python source ``text`` (comments/strings ignored)."""
    toks = [
        t
        for t in tokenize.generate_tokens(io.StringIO(text).readline)
        if t.type
        not in (
            tokenize.COMMENT,
            tokenize.NL,
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.STRING,
        )
    ]
    found = []
    for i, t in enumerate(toks):
        if t.type != tokenize.NAME:
            continue
        nxt = toks[i + 1].string if i + 1 < len(toks) else ""
        prev = toks[i - 1].string if i > 0 else ""
        prev2 = toks[i - 2].string if i > 1 else ""
        if t.string in _MODULES:
            found.append((t.start[0], t.string))
        elif t.string in _CALLS and nxt == "(" and prev != ".":
            found.append((t.start[0], f"{t.string}("))
        elif t.string in _OS_CALLS and nxt == "(" and prev == "." and prev2 == "os":
            found.append((t.start[0], f"os.{t.string}("))
        elif t.string in _TRUE_KEYWORDS and nxt == "=" and i + 2 < len(toks) and toks[i + 2].string == "True":
            found.append((t.start[0], f"{t.string}=True"))
    return found


def test_the_detector_finds_unsafe_code_and_ignores_prose():
    code = (
        'import pickle\n"""we never use pickle or eval(x)"""\n# exec(never)\n'
        "x = eval(s)\nexec(code)\nsubprocess.run(c, shell=True)\nnp.load(p, allow_pickle=True)\n"
        "np.load(p, allow_pickle=False)\nos.system('ls')\nobj.eval()\nsubprocess.run(c, shell=False)\n"
    )
    assert [w for _, w in unsafe_uses(code)] == [
        "pickle",
        "eval(",
        "exec(",
        "shell=True",
        "allow_pickle=True",
        "os.system(",
    ]


def test_no_unsafe_code_in_src():
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 20
    bad = [
        f"{f.relative_to(SRC)}:{line}: {what}"
        for f in files
        for line, what in unsafe_uses(f.read_text(encoding="utf-8"))
    ]
    assert not bad, "unsafe constructs in src/:\n" + "\n".join(bad)
