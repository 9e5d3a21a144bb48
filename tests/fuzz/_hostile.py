"""Shared pieces of the file/CLI/config/NIR fuzz tests: a hard time limit per example, the allowed
exception types, random values, and random structural mutations of HDF5 files (the attacker's edits)."""

from __future__ import annotations

import contextlib
import math
import signal

import h5py
import numpy as np
from hypothesis import strategies as st

#: the only exceptions a loader may raise on bad input (soen's own errors derive from these)
ALLOWED = (ValueError, TypeError, OSError)
HARD_LIMIT_S = 10.0


@contextlib.contextmanager
def hard_limit(seconds: float = HARD_LIMIT_S):
    """Fail (instead of hanging) when one example runs longer than ``seconds``."""

    class Hang(BaseException):  # not an Exception: no loader may swallow it
        pass

    def _boom(signum, frame):
        raise Hang(f"example ran longer than {seconds} s (a hang)")

    old = signal.signal(signal.SIGALRM, _boom)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def call_allowing(fn, *args, **kwargs):
    """Run ``fn``; return its result or the allowed exception; anything else propagates (a finding).
    soen's own messages must be one line."""
    try:
        with hard_limit():
            return fn(*args, **kwargs)
    except ALLOWED as exc:
        if type(exc).__module__.startswith("soen"):
            assert "\n" not in str(exc), f"multi-line message: {exc!r}"
        return exc


def in_child(fn, *args, **kwargs) -> None:
    """``call_allowing(fn, ...)`` in a forked child process: a crash of a C library (HDF5 on a damaged
    file) fails the example with the signal instead of killing the test run."""
    import os
    import sys
    import traceback

    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            call_allowing(fn, *args, **kwargs)
        except BaseException:
            traceback.print_exc()
            code = 3
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        name = getattr(fn, "__name__", fn)
        raise AssertionError(f"{name} crashed the process (signal {os.WTERMSIG(status)})")
    assert os.WEXITSTATUS(status) == 0, (
        f"{getattr(fn, '__name__', fn)} raised a disallowed exception (stderr)"
    )


SPECIAL = [
    0,
    1,
    -1,
    -5,
    2,
    7,
    2**31,
    2**63 - 1,
    -(2**63),
    10**10,
    0.5,
    -0.0,
    1e30,
    1e-300,
    math.nan,
    math.inf,
    -math.inf,
    True,
    False,
    "",
    "no",
    "yes",
    "\x1b[31m",
    "1e400",
    "NaN",
    "a\nb",
]
scalars = st.one_of(
    st.sampled_from(SPECIAL), st.integers(-10, 100), st.floats(allow_nan=True), st.text(max_size=8)
)
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=6),
        st.sampled_from([1e30, -1, 0, 10**10, "$array", "$ref", "$repeat"]),
    ),
    lambda c: st.one_of(
        st.lists(c, max_size=4),
        st.dictionaries(
            st.one_of(
                st.text(max_size=5),
                st.sampled_from(["$array", "$ref", "$repeat", "type", "distribution", "model", "n"]),
            ),
            c,
            max_size=4,
        ),
    ),
    max_leaves=12,
)
arrays = st.one_of(
    st.sampled_from(
        [
            np.zeros(0),
            np.arange(5.0),
            -np.arange(5.0),
            np.array([np.nan, 1.0]),
            np.array([np.inf]),
            np.array([0.7, 1.9]),
            np.arange(6, dtype=np.int64),
            np.array([-1, 10**9], dtype=np.int64),
            np.zeros((3, 2)),
            np.zeros((2, 3, 4)),
            np.array([b"x", b"yy"]),
            np.array([True, False]),
            np.array([2**64 - 1], dtype=np.uint64),
            np.arange(3, dtype=np.int8),
        ]
    ),
    st.lists(st.floats(allow_nan=True), max_size=6).map(np.array),
    st.lists(st.integers(-3, 10**6), max_size=6).map(lambda x: np.array(x, dtype=np.int64)),
)


def all_paths(f) -> list[str]:
    out = ["/"]
    f.visit(lambda name: out.append("/" + name))
    return out


def _attr_value(draw):
    v = draw(st.one_of(scalars, arrays))
    if isinstance(v, str):
        return v
    return v


def mutate_hdf5(path, draw, n_max: int = 3) -> list[str]:
    """Apply 1..n_max random structural edits to the HDF5 file at ``path``; return what was done."""
    done = []
    for _ in range(draw(st.integers(1, n_max))):
        try:
            with h5py.File(path, "r+") as f:
                paths = all_paths(f)
                target = draw(st.sampled_from(paths))
                obj = f[target]
                action = draw(
                    st.sampled_from(
                        [
                            "attr",
                            "replace",
                            "delete",
                            "group",
                            "resize",
                            "json",
                            "link",
                            "external",
                            "bitflip_attr",
                        ]
                    )
                )
                done.append(f"{action} {target}")
                if action == "attr" or (action == "bitflip_attr" and not obj.attrs):
                    names = list(obj.attrs) + [
                        "complete",
                        "n_spikes",
                        "n_samples",
                        "t_end_ns",
                        "format_version",
                        "checksums",
                        "crc32",
                        "title",
                    ]
                    obj.attrs[draw(st.sampled_from(names))] = _attr_value(draw)
                elif action == "bitflip_attr":
                    name = draw(st.sampled_from(list(obj.attrs)))
                    v = obj.attrs[name]
                    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
                        obj.attrs[name] = int(v) ^ (1 << draw(st.integers(0, 62)))
                    else:
                        obj.attrs[name] = _attr_value(draw)
                elif target != "/" and action in ("replace", "delete", "group", "link", "external"):
                    parent, name = target.rsplit("/", 1)
                    parent = f[parent or "/"]
                    del parent[name]
                    if action == "replace":
                        parent.create_dataset(name, data=draw(arrays))
                    elif action == "group":
                        parent.create_group(name)
                    elif action == "link":
                        parent[name] = h5py.SoftLink(draw(st.sampled_from(paths)))
                    elif action == "external":
                        if draw(st.booleans()):
                            parent[name] = h5py.ExternalLink("/etc/hostname", "/x")
                        else:
                            parent.create_dataset(
                                name, shape=(8,), dtype="u1", external=[("/etc/hostname", 0, 8)]
                            )
                elif (
                    action == "resize"
                    and isinstance(obj, h5py.Dataset)
                    and obj.maxshape
                    and obj.maxshape[0] is None
                ):
                    obj.resize(draw(st.sampled_from([0, 1, 3, 10**6, 10**10])), axis=0)
                elif (
                    action == "json"
                    and isinstance(obj, h5py.Dataset)
                    and obj.shape == ()
                    and obj.dtype.kind == "O"
                ):
                    import json

                    text = draw(
                        st.one_of(
                            json_values.map(lambda v: json.dumps(v)),
                            st.text(max_size=20),
                            st.just("[" * 3000 + "]" * 3000),
                        )
                    )
                    crc = obj.attrs.get("crc32")
                    parent, name = target.rsplit("/", 1)
                    parent = f[parent or "/"]
                    del parent[name]
                    ds = parent.create_dataset(name, data=text, dtype=h5py.string_dtype())
                    if crc is not None and draw(st.booleans()):
                        import zlib

                        ds.attrs["crc32"] = np.int64(zlib.crc32(text.encode()))
        except (OSError, ValueError, TypeError, KeyError, RuntimeError):
            done.append("(edit refused by h5py)")
    return done


def flip_bytes(path, draw) -> None:
    raw = bytearray(path.read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(raw) - 1))
        raw[i] ^= 1 << draw(st.integers(0, 7))
    if draw(st.booleans()):
        raw = raw[: draw(st.integers(0, len(raw)))]
    path.write_bytes(bytes(raw))
