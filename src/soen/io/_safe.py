"""Reading files from elsewhere as hostile data: one-line errors, bounded sizes, no links out.

Every loader of soen (results files, network files, NIR files, configs) reads through these helpers:

* :class:`FileFormatError` (a ``ValueError``): one line naming the file, the key path and the problem.
* :func:`printable`: text safe for a terminal or a one-line message (control characters escaped).
* HDF5: :func:`open_hdf5` opens read-only; :func:`node` resolves a key path through hard links only
  (soft and external links, external-storage and virtual datasets are refused, so a file cannot make
  soen read another file); :func:`read_array` checks shape, dtype and the declared size against the
  bytes the file really holds before reading (a small file declaring 10¹⁰ rows is refused, not
  allocated); Fletcher32 checksums of the datasets soen writes are verified by HDF5 on read, and a
  mismatch is reported as damage; :func:`read_attr` reads typed scalar attributes (a bool is a bool:
  the string ``"no"`` is refused, not read as true).
* JSON texts: :func:`loads_json` bounds the nesting depth and turns every parse failure into a
  :class:`FileFormatError`; texts written by :func:`write_json` carry a CRC-32 checked on read.
"""

from __future__ import annotations

import json
import math
import os
import unicodedata
import zlib
from contextlib import contextmanager
from pathlib import Path

import numpy as np

__all__ = [
    "FileFormatError",
    "printable",
    "one_line",
    "open_hdf5",
    "node",
    "read_array",
    "read_attr",
    "read_json",
    "write_json",
    "loads_json",
    "check_depth",
    "MAX_DEPTH",
]

#: deepest nesting of lists/objects accepted in a JSON text, a TOML config or an HDF5 group tree
MAX_DEPTH = 64
#: HDF5 filters a soen reader decompresses: deflate, shuffle, Fletcher32, scale-offset, LZF
_FILTERS = {1: "gzip", 2: "shuffle", 3: "fletcher32", 6: "scaleoffset", 32000: "lzf"}
_COMPRESSING = {1, 6, 32000}
_MAX_RATIO = 1100  # deflate cannot expand data more than ~1032×
_SLACK_BYTES = 1 << 16
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


class FileFormatError(ValueError):
    """A file that is not what it claims to be (or is damaged).

    ``file`` (the file's name), ``key`` (the key path inside it, e.g. ``spikes/times_ns`` or
    ``projections[2].connector.k``) and ``problem`` are kept as attributes; the message is one line
    ``"<file>: <key>: <problem>"``.
    """

    def __init__(self, problem: str, *, file=None, key: str | None = None) -> None:
        self.file = None if file is None else str(file)
        self.key, self.problem = key, problem
        name = None if file is None else Path(str(file)).name
        super().__init__(one_line(": ".join(str(p) for p in (name, key, problem) if p)))


def as_file_error(exc: BaseException, path, what: str) -> BaseException:
    """The one-line :class:`FileFormatError` naming ``path`` for an error raised while reading it
    (``what``: "results file", "network file" …); a missing file stays a FileNotFoundError, and an
    error of an unexpected kind is returned unchanged (the caller re-raises it)."""
    from soen.io._schema import SchemaError

    if isinstance(exc, FileNotFoundError):
        return exc
    if isinstance(exc, FileFormatError):
        return exc if exc.file is not None else FileFormatError(exc.problem, file=path, key=exc.key)
    if isinstance(exc, SchemaError):
        return FileFormatError(exc.problem, file=path, key=exc.key)
    if isinstance(exc, MemoryError):
        return FileFormatError("declares more data than this machine can hold", file=path)
    if isinstance(exc, (OSError, KeyError, TypeError, ValueError, RuntimeError, ArithmeticError)):
        return FileFormatError(f"damaged or unreadable {what} ({type(exc).__name__}: {exc})", file=path)
    return exc


def printable(text, max_len: int | None = None) -> str:
    """``text`` with every control, format or separator character escaped (``\\x1b``, ``\\u202e``).

    Terminal escape sequences, carriage returns and bidirectional overrides from a file are shown,
    not obeyed. ``max_len`` cuts long texts (marked with ``…``).
    """
    s = str(text)
    out = []
    for ch in s:
        cat = unicodedata.category(ch)
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif cat[0] == "C" or cat in ("Zl", "Zp"):
            o = ord(ch)
            out.append(f"\\x{o:02x}" if o < 0x100 else (f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"))
        else:
            out.append(ch)
    s = "".join(out)
    if max_len is not None and len(s) > max_len:
        s = s[: max(0, max_len - 1)] + "…"
    return s


def one_line(text, max_len: int = 2000) -> str:
    """A message as one printable line (newlines and control characters escaped, long texts cut)."""
    return printable(text, max_len=max_len)


def describe(v) -> str:
    """A short, printable ``repr`` with the type: ``'no' (str)``."""
    r = repr(v)
    if len(r) > 80:
        r = r[:77] + "..."
    return f"{printable(r)} ({type(v).__name__})"


# --------------------------------------------------------------------------------------------
# HDF5
# --------------------------------------------------------------------------------------------
def _memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 8 << 30


@contextmanager
def open_hdf5(path, *, what: str = "results file"):
    """Open an HDF5 file read-only; a missing, non-HDF5 or unreadable file raises a clear error.

    A file being written by a running soen (locked) is opened without locking, to read what it
    has committed so far.
    """
    import h5py

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such {what}: {printable(str(p))!r}")
    if not p.is_file():
        raise FileFormatError(f"not a file (a {what} was expected)", file=p)
    if not h5py.is_hdf5(p):
        raise FileFormatError(f"not an HDF5 file (not a soen {what})", file=p)
    try:
        try:
            f = h5py.File(p, "r")
        except OSError as exc:
            if "lock" not in str(exc).lower():
                raise
            f = h5py.File(p, "r", locking=False)
    except OSError as exc:
        raise FileFormatError(f"damaged or unreadable HDF5 file ({exc})", file=p) from None
    try:
        yield f
    finally:
        f.close()


def _check_dataset(ds, where: str) -> None:
    if ds.external:
        raise FileFormatError(
            "dataset stored in external files, which soen refuses (a file must not make soen read "
            "other files)",
            key=where,
        )
    if ds.is_virtual:
        raise FileFormatError("virtual dataset (mapped from other files), which soen refuses", key=where)
    plist = ds.id.get_create_plist()
    for i in range(plist.get_nfilters()):
        code = plist.get_filter(i)[0]
        if code not in _FILTERS:
            raise FileFormatError(
                f"dataset uses HDF5 filter {code}, which soen does not read (allowed: "
                f"{', '.join(_FILTERS.values())})",
                key=where,
            )


def node(group, key: str, *, kind: str | None = None, where: str | None = None):
    """The object at ``key`` (a ``/``-separated path) below ``group``, through hard links only.

    ``kind``: ``"dataset"`` or ``"group"`` to require one. Raises :class:`FileFormatError` naming the
    key for a missing object, a soft/external link, external or virtual storage, or the wrong kind.
    """
    import h5py

    where = where or key
    obj = group
    for part in [p for p in key.split("/") if p]:
        if not isinstance(obj, h5py.Group):
            raise FileFormatError("expected a group on the path, got a dataset", key=where)
        try:
            link = obj.get(part, getlink=True)
        except (KeyError, OSError, RuntimeError, TypeError, ValueError) as exc:
            raise FileFormatError(f"unreadable link ({exc})", key=where) from None
        if link is None:
            raise FileFormatError("missing", key=where)
        if isinstance(link, h5py.SoftLink):
            raise FileFormatError(
                f"is a soft link (to {printable(link.path)!r}); soen files hold no links", key=where
            )
        if isinstance(link, h5py.ExternalLink):
            raise FileFormatError(
                f"is an external link (to {printable(link.filename)!r}); soen refuses links to other files",
                key=where,
            )
        if not isinstance(link, h5py.HardLink):
            raise FileFormatError(f"is a {type(link).__name__}; soen files hold no links", key=where)
        try:
            obj = obj[part]
        except (KeyError, OSError, RuntimeError, TypeError, ValueError) as exc:
            raise FileFormatError(f"unreadable object ({exc})", key=where) from None
    if isinstance(obj, h5py.Dataset):
        _check_dataset(obj, where)
        if kind == "group":
            raise FileFormatError("expected a group, got a dataset", key=where)
    elif kind == "dataset":
        raise FileFormatError("expected a dataset (an array), got a group", key=where)
    return obj


def has(group, key: str) -> bool:
    """Whether ``key`` names a link below ``group`` (links are not followed)."""
    import h5py

    obj = group
    for part in [p for p in key.split("/") if p]:
        if not isinstance(obj, h5py.Group):
            return False
        try:
            link = obj.get(part, getlink=True)
        except (KeyError, OSError, RuntimeError, TypeError, ValueError):
            return False
        if link is None:
            return False
        if not isinstance(link, h5py.HardLink):
            return True  # present; node() refuses it with a clear message
        try:
            obj = obj[part]
        except (KeyError, OSError, RuntimeError, TypeError, ValueError):
            return True  # present but damaged: node() reports it
    return True


def _check_size(ds, rows: int, where: str) -> None:
    shape = ds.shape
    row_items = math.prod(int(s) for s in shape[1:]) if len(shape) > 1 else 1
    want = int(rows) * row_items * int(ds.dtype.itemsize)
    if want <= _SLACK_BYTES:
        return
    try:
        stored = int(ds.id.get_storage_size())
    except (OSError, RuntimeError, ValueError):  # pragma: no cover - storage unknown
        stored = 0
    plist = ds.id.get_create_plist()
    codes = {plist.get_filter(i)[0] for i in range(plist.get_nfilters())}
    ratio = _MAX_RATIO if codes & _COMPRESSING else 1
    if want > stored * ratio + _SLACK_BYTES:
        raise FileFormatError(
            f"declares {rows:,} rows of shape {tuple(shape[1:])} ({want / 2**20:,.1f} MiB) but the file "
            "holds "
            f"only {stored:,} bytes of it (truncated or forged)",
            key=where,
        )
    mem = _memory_bytes()
    if want > mem // 2:
        raise FileFormatError(
            f"{want / 2**30:,.1f} GiB to read, more than half of this machine's memory "
            f"({mem / 2**30:.1f} GiB)",
            key=where,
        )


def read_array(
    group,
    key: str,
    *,
    ndim: int,
    kinds: str,
    rows: int | None = None,
    where: str | None = None,
    cols: int | None = None,
) -> np.ndarray:
    """Read the first ``rows`` rows (default all) of a dataset, checked before reading.

    ``kinds``: allowed numpy dtype kinds (``"f"``, ``"iu"``, ...); ``cols``: the required size of
    axis 1. Raises :class:`FileFormatError` for a wrong shape/dtype, a declared size the file cannot
    back, more rows requested than stored, or damaged data (failed Fletcher32 checksum).
    """
    where = where or key
    ds = node(group, key, kind="dataset", where=where)
    shape = ds.shape
    if shape is None or len(shape) != ndim:
        raise FileFormatError(f"expected a {ndim}-D array, got shape {shape}", key=where)
    if ds.dtype.kind not in kinds:
        raise FileFormatError(f"unexpected dtype {ds.dtype} (allowed kinds: {kinds!r})", key=where)
    if cols is not None and ndim >= 2 and shape[1] != cols:
        raise FileFormatError(f"expected {cols} columns, got shape {shape}", key=where)
    n = shape[0] if ndim else 0
    if rows is not None:
        if rows > n:
            raise FileFormatError(f"the file declares {rows:,} rows but the dataset holds {n:,}", key=where)
        n = rows
    _check_size(ds, n, where)
    try:
        return np.asarray(ds[()] if ndim == 0 else ds[:n])
    except OSError as exc:
        if "filter" in str(exc).lower():
            raise FileFormatError("damaged data: the checksum or decompression failed", key=where) from None
        raise FileFormatError(f"unreadable data ({exc})", key=where) from None
    except (TypeError, ValueError, RuntimeError) as exc:
        raise FileFormatError(f"unreadable data ({exc})", key=where) from None


_MISSING = object()


def read_attr(obj, name: str, kind: str, *, default=_MISSING, where: str | None = None):
    """A scalar attribute as ``kind`` (``"bool"``, ``"int"``, ``"float"``, ``"str"``) or ``default``.

    Booleans must be stored as booleans, integers as integers (no strings, no floats for ints).
    """
    where = where or name
    try:
        present = name in obj.attrs
    except (OSError, RuntimeError) as exc:
        raise FileFormatError(f"unreadable attributes ({exc})", key=where) from None
    if not present:
        if default is _MISSING:
            raise FileFormatError("missing attribute", key=where)
        return default
    try:
        shape = obj.attrs.get_id(name).shape
        if shape not in ((), (1,)):
            raise FileFormatError(f"expected a single value, got an array of shape {shape}", key=where)
        v = obj.attrs[name]
    except FileFormatError:
        raise
    except (OSError, RuntimeError, TypeError, ValueError, KeyError) as exc:
        raise FileFormatError(f"unreadable attribute ({exc})", key=where) from None
    if isinstance(v, np.ndarray):
        v = v.reshape(-1)[0]
    return typed(v, kind, where)


def typed(v, kind: str, where: str):
    """``v`` (a value read from a file) as a Python ``kind``, or a :class:`FileFormatError`."""
    if isinstance(v, np.generic):
        v = v.item()
    if kind == "bool":
        if not isinstance(v, bool):
            raise FileFormatError(f"expected true or false, got {describe(v)}", key=where)
        return v
    if kind == "int":
        if isinstance(v, bool) or not isinstance(v, int):
            raise FileFormatError(f"expected an integer, got {describe(v)}", key=where)
        return v
    if kind == "float":
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise FileFormatError(f"expected a number, got {describe(v)}", key=where)
        return float(v)
    if kind == "str":
        if isinstance(v, bytes):
            try:
                v = v.decode("utf-8")
            except UnicodeDecodeError:
                raise FileFormatError("not UTF-8 text", key=where) from None
        if not isinstance(v, str):
            raise FileFormatError(f"expected a text, got {describe(v)}", key=where)
        return v
    raise ValueError(f"typed: unknown kind {kind!r}")  # pragma: no cover - programming error


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------
def check_depth(obj, where: str, max_depth: int = MAX_DEPTH) -> None:
    """Refuse lists/dicts nested deeper than ``max_depth`` (checked without recursion)."""
    containers = (list, tuple, dict)
    if type(obj) not in containers:
        return
    stack = [(obj, 1)]
    while stack:
        o, d = stack.pop()
        if d > max_depth:
            raise FileFormatError(f"nested deeper than {max_depth} levels", key=where)
        for v in o.values() if type(o) is dict else o:
            if type(v) in containers:
                stack.append((v, d + 1))


def loads_json(text: str, where: str, *, file=None):
    """Parse a JSON text; malformed, too deep or too large numbers give one-line errors."""
    try:
        obj = json.loads(text)
    except RecursionError:
        raise FileFormatError(f"JSON nested deeper than {MAX_DEPTH} levels", file=file, key=where) from None
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"malformed JSON ({exc})", file=file, key=where) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise FileFormatError(f"unreadable JSON ({exc})", file=file, key=where) from None
    try:
        check_depth(obj, where)
    except FileFormatError as exc:
        raise FileFormatError(exc.problem, file=file, key=where) from None
    return obj


def read_json(group, name: str, where: str, *, default=_MISSING):
    """A JSON text stored as a scalar string dataset ``name`` of ``group`` (CRC-32 checked if stored)."""
    key = f"{where}/{name}" if where and where != "/" else name
    if not has(group, name):
        if default is _MISSING:
            raise FileFormatError("missing", key=key)
        return default
    ds = node(group, name, kind="dataset", where=key)
    if ds.shape != () or ds.dtype.kind not in "OSU":
        raise FileFormatError(f"expected a JSON text, got a {ds.dtype} array of shape {ds.shape}", key=key)
    try:
        raw = ds[()]
    except (OSError, RuntimeError, TypeError, ValueError) as exc:
        raise FileFormatError(f"unreadable text ({exc})", key=key) from None
    data = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogatepass")
    crc = read_attr(ds, "crc32", "int", default=None, where=f"{key}.crc32")
    if crc is not None and zlib.crc32(data) != crc:
        raise FileFormatError("damaged text: its CRC-32 checksum does not match", key=key)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FileFormatError("not UTF-8 text", key=key) from None
    return loads_json(text, key)


def write_json(group, name: str, obj_text: str) -> None:
    """Store a JSON text as a scalar string dataset with its CRC-32 (see :func:`read_json`)."""
    import h5py

    if name in group:
        del group[name]
    ds = group.create_dataset(name, data=obj_text, dtype=h5py.string_dtype())
    ds.attrs["crc32"] = np.int64(zlib.crc32(obj_text.encode("utf-8")))
