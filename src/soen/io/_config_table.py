"""Reading a TOML config: typed access to its tables, key paths, lines and units (for ``soen.io.config``)."""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path

from . import _safe
from ._config_lines import index_lines, line_of
from ._safe import describe
from ._schema import Options, SchemaError, construct, decode_object

__all__ = ["ConfigError"]

_REQUIRED = object()
_TIME_NS = {"fs": 1e-6, "ps": 1e-3, "ns": 1.0, "us": 1e3, "µs": 1e3, "μs": 1e3, "ms": 1e6, "s": 1e9}
_FREQ_HZ = {"Hz": 1.0, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9, "THz": 1e12}
_INT64 = 2**63


class ConfigError(ValueError):
    """A bad experiment config; ``key`` is the dotted key path, ``line`` its line (or None)."""

    def __init__(
        self, message: str, *, key: str | None = None, line: int | None = None, source: str = "config"
    ):
        self.key, self.line, self.source = key, line, source
        where = f"{source}:{line}" if line else source
        super().__init__(_safe.one_line(f"{where}: {key}: {message}" if key else f"{where}: {message}"))


class _Ctx:
    def __init__(self, text: str, source: str, base_dir: Path) -> None:
        self.source, self.base_dir, self.lines = source, base_dir, index_lines(text)
        self.opts = Options(quantity=self.quantity, files=False)

    def error(self, path: str | None, message: str) -> ConfigError:
        line = line_of(self.lines, path) if path else None
        return ConfigError(message, key=path or None, line=line, source=self.source)

    def quantity(self, text: str, path: str, key: str) -> float:
        return _number(self, path, text, key)

    def schema(self, fn, *args):
        """Run a schema decoder; its error becomes a ConfigError at the key (and line) it names."""
        try:
            return fn(*args)
        except SchemaError as exc:
            raise self.error(exc.key, exc.problem) from None


class _Table:
    """A TOML table being read: typed access by key, and a check that no unknown key is left."""

    def __init__(self, ctx: _Ctx, data, path: str) -> None:
        if not isinstance(data, dict):
            raise ctx.error(path, f"expected a table, got {describe(data)}")
        self.ctx, self.data, self.path, self.used = ctx, data, path, set()

    def key(self, k: str) -> str:
        return f"{self.path}.{k}" if self.path else k

    def has(self, k: str) -> bool:
        return k in self.data

    def raw(self, k: str, default=_REQUIRED):
        self.used.add(k)
        if k not in self.data:
            if default is _REQUIRED:
                stem = k.rsplit("_", 1)[0]
                for other in self.data:  # the right quantity in another unit (duration_us for duration_ns)?
                    if other not in self.used and other != k and "_" in k and other.rsplit("_", 1)[0] == stem:
                        raise self.ctx.error(
                            self.key(other), f"unknown key; did you mean {k!r}?" + _unit_hint(other)
                        )
                raise self.ctx.error(self.key(k), "missing (required)")
            return default
        return self.data[k]

    def str(self, k, default=_REQUIRED, *, choices=None) -> str:
        v = self.raw(k, default)
        if v is default and default is not _REQUIRED:
            return v
        if not isinstance(v, str):
            raise self.ctx.error(self.key(k), f"expected a string, got {describe(v)}")
        if choices is not None and v not in choices:
            raise self.ctx.error(self.key(k), f"must be one of {sorted(choices)}, got {v!r}")
        return v

    def int(self, k, default=_REQUIRED, *, low: int | None = None, high: int | None = None) -> int:
        v = self.raw(k, default)
        if v is default and default is not _REQUIRED:
            return v
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.ctx.error(self.key(k), f"expected an integer, got {describe(v)}")
        if low is not None and v < low:
            raise self.ctx.error(self.key(k), f"must be >= {low}, got {v}")
        hi = _INT64 - 1 if high is None else high
        if v > hi:
            raise self.ctx.error(self.key(k), f"must be <= {hi}, got {v}")
        return v

    def float(self, k, default=_REQUIRED):
        v = self.raw(k, default)
        if v is default and default is not _REQUIRED:
            return v
        return _number(self.ctx, self.key(k), v, k)

    def table(self, k, *, required: bool = False) -> _Table | None:
        if k not in self.data and not required:
            self.used.add(k)
            return None
        return _Table(self.ctx, self.raw(k), self.key(k))

    def tables(self, k) -> list[_Table]:
        v = self.raw(k, [])
        if not isinstance(v, list):
            raise self.ctx.error(
                self.key(k), f"expected an array of tables ([[{self.key(k)}]]), got {describe(v)}"
            )
        return [_Table(self.ctx, x, f"{self.key(k)}[{i}]") for i, x in enumerate(v)]

    def obj(self, k, cls):
        """A schema object (Soma, Dendrite, Synapse parameters) from table ``k``, or None if absent."""
        self.used.add(k)
        if k not in self.data:
            return None
        return self.ctx.schema(decode_object, cls, self.data[k], self.key(k), self.ctx.opts)

    def done(self) -> None:
        unknown = [k for k in self.data if k not in self.used]
        if unknown:
            k = unknown[0]
            near = difflib.get_close_matches(k, sorted(self.used), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; allowed here: {sorted(self.used)}"
            raise self.ctx.error(self.key(k), f"unknown key{hint}{_unit_hint(k)}")


def _unit_hint(key: str) -> str:
    if re.search(r"_(us|ms|s|ps|fs|khz|mhz|ghz|thz)$", key, re.IGNORECASE):
        return ' (times are given as *_ns and rates as *_hz; a string like "2 us" carries its own unit)'
    return ""


def _number(ctx: _Ctx, path: str, v, key: str) -> float:
    """A number, or for *_ns / *_hz keys a string with a unit; checked to be finite."""
    unit_kind = "time" if key.endswith("_ns") else ("freq" if key.endswith("_hz") else None)
    if isinstance(v, str) and unit_kind:
        m = re.fullmatch(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµμ]+)\s*", v)
        if not m:
            raise ctx.error(path, f"expected a number or a quantity like '2 us', got {v!r}")
        table, target = (_TIME_NS, "ns") if unit_kind == "time" else (_FREQ_HZ, "Hz")
        if m.group(2) not in table:
            kind = "a time" if unit_kind == "time" else "a frequency"
            raise ctx.error(
                path,
                f"unit {m.group(2)!r} is not {kind} unit; use one of {list(table)} "
                f"(or a plain number in {target})",
            )
        x = float(m.group(1)) * table[m.group(2)]
        if not math.isfinite(x):
            raise ctx.error(path, f"must be finite, got {v!r} (= {x} {target})")
        return x
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        unit = (
            " in ns (or a string like '2 us')"
            if unit_kind == "time"
            else (" in Hz (or a string like '20 MHz')" if unit_kind == "freq" else "")
        )
        raise ctx.error(path, f"expected a number{unit}, got {describe(v)}")
    try:
        x = float(v)
    except OverflowError:
        raise ctx.error(path, f"number out of range, got {v!r}") from None
    if not math.isfinite(x):
        raise ctx.error(path, f"must be finite, got {v!r}")
    return x


def _construct(ctx: _Ctx, path: str, fn, kwargs: dict):
    return ctx.schema(construct, fn, kwargs, path)
