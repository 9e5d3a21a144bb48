"""Experiments as TOML files: populations, sources, projections, run parameters, recording, outputs.

A config file is data (parsed with :mod:`tomllib`, never executed). Every key is checked; an unknown
key, a value of the wrong type or unit, a missing field or malformed TOML raises :class:`ConfigError`
naming the file, the line and the key, e.g.::

    exp.toml:14: projections[0].connector.k: expected an integer, got 'nine' (str)

Quantities whose key ends in ``_ns`` or ``_hz`` are numbers in that unit, or strings with a unit:
``duration_ns = "2 us"``, ``rate_hz = "20 MHz"``. See ``examples/config_example.toml`` and
``docs/results.md`` for the full schema.

>>> exp = load_config("examples/config_example.toml")     # doctest: +SKIP
>>> result = run_config(exp)                              # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import inspect
import math
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from soen.engine.result import Result
from soen.model.components import Dendrite, Soma, Synapse
from soen.model.morphology import Neuron, dag_neuron, exc_inh_neuron, point_neuron, tree_neuron
from soen.model.network import (
    AllToAll,
    FixedInDegree,
    FixedProbability,
    FromList,
    Network,
    Normal,
    OneToOne,
    PoissonSource,
    RegularSource,
    SpikeSource,
    Uniform,
)

__all__ = ["ConfigError", "Experiment", "load_config", "parse_config", "run_config"]

_REQUIRED = object()

_TIME_NS = {"fs": 1e-6, "ps": 1e-3, "ns": 1.0, "us": 1e3, "µs": 1e3, "μs": 1e3, "ms": 1e6, "s": 1e9}
_FREQ_HZ = {"Hz": 1.0, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9, "THz": 1e12}


class ConfigError(ValueError):
    """A bad experiment config; ``key`` is the dotted key path, ``line`` its line (or None)."""

    def __init__(
        self, message: str, *, key: str | None = None, line: int | None = None, source: str = "config"
    ):
        self.key, self.line, self.source = key, line, source
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")


# --------------------------------------------------------------------------------------------
# where is a key? (TOML gives line numbers only for syntax errors)
# --------------------------------------------------------------------------------------------
def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def _index_lines(text: str) -> dict[str, int]:
    """Map key paths (``projections[1].connector.k``) to the line that defines them (1-based)."""
    index: dict[str, int] = {}
    counts: dict[str, int] = defaultdict(int)

    def resolve(dotted: str) -> str:
        parts = [p.strip().strip("\"'") for p in dotted.split(".")]
        path = ""
        for p in parts:
            path = f"{path}.{p}" if path else p
            if counts.get(path):
                path = f"{path}[{counts[path] - 1}]"
        return path

    current = ""
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw)
        m = re.match(r"^\s*\[\[\s*([^\]]+?)\s*\]\]", line)
        if m:
            parts = m.group(1).rsplit(".", 1)
            base = (
                (resolve(parts[0]) + "." + parts[1].strip().strip("\"'"))
                if len(parts) == 2
                else m.group(1).strip()
            )
            current = f"{base}[{counts[base]}]"
            counts[base] += 1
            index.setdefault(base, lineno)
            index[current] = lineno
            continue
        m = re.match(r"^\s*\[\s*([^\]]+?)\s*\]", line)
        if m:
            current = resolve(m.group(1))
            index.setdefault(current, lineno)
            continue
        m = re.match(r"^\s*([A-Za-z0-9_\-\.\"']+)\s*=", line)
        if m:
            key = ".".join(p.strip().strip("\"'") for p in m.group(1).split("."))
            full = f"{current}.{key}" if current else key
            index.setdefault(full, lineno)
            for sub in re.finditer(r"([A-Za-z0-9_\-]+)\s*=", line[m.end() :]):
                index.setdefault(f"{full}.{sub.group(1)}", lineno)
    return index


class _Ctx:
    def __init__(self, text: str, source: str, base_dir: Path) -> None:
        self.source = source
        self.base_dir = base_dir
        self.lines = _index_lines(text)

    def line_of(self, path: str) -> int | None:
        p = path
        while p:
            if p in self.lines:
                return self.lines[p]
            cut = max(p.rfind("."), p.rfind("["))
            p = p[:cut] if cut > 0 else ""
        return None

    def error(self, path: str, message: str) -> ConfigError:
        return ConfigError(message, key=path, line=self.line_of(path), source=self.source)


def _describe(v) -> str:
    return f"{v!r} ({type(v).__name__})"


class _Table:
    """A TOML table being read: typed access by key, and a check that no unknown key is left."""

    def __init__(self, ctx: _Ctx, data, path: str) -> None:
        if not isinstance(data, dict):
            raise ctx.error(path, f"expected a table, got {_describe(data)}")
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
            raise self.ctx.error(self.key(k), f"expected a string, got {_describe(v)}")
        if choices is not None and v not in choices:
            raise self.ctx.error(self.key(k), f"must be one of {sorted(choices)}, got {v!r}")
        return v

    def int(self, k, default=_REQUIRED, *, low: int | None = None) -> int:
        v = self.raw(k, default)
        if v is default and default is not _REQUIRED:
            return v
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.ctx.error(self.key(k), f"expected an integer, got {_describe(v)}")
        if low is not None and v < low:
            raise self.ctx.error(self.key(k), f"must be >= {low}, got {v}")
        return v

    def bool(self, k, default=_REQUIRED) -> bool:
        v = self.raw(k, default)
        if not isinstance(v, bool):
            raise self.ctx.error(self.key(k), f"expected true or false, got {_describe(v)}")
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
                self.key(k), f"expected an array of tables ([[{self.key(k)}]]), got {_describe(v)}"
            )
        return [_Table(self.ctx, x, f"{self.key(k)}[{i}]") for i, x in enumerate(v)]

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
        return float(m.group(1)) * table[m.group(2)]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        unit = (
            " in ns (or a string like '2 us')"
            if unit_kind == "time"
            else (" in Hz (or a string like '20 MHz')" if unit_kind == "freq" else "")
        )
        raise ctx.error(path, f"expected a number{unit}, got {_describe(v)}")
    if not math.isfinite(float(v)):
        raise ctx.error(path, f"must be finite, got {v!r}")
    return float(v)


def _construct(ctx: _Ctx, path: str, fn, kwargs: dict):
    """Call a model constructor; turn its validation error into a ConfigError at the right key."""
    try:
        return fn(**kwargs)
    except (TypeError, ValueError) as exc:
        msg = str(exc)
        sub = next(
            (k for k in sorted(kwargs, key=len, reverse=True) if re.search(rf"(\.|\b){re.escape(k)}\b", msg)),
            None,
        )
        raise ctx.error(f"{path}.{sub}" if sub else path, msg) from None


# --------------------------------------------------------------------------------------------
# the schema
# --------------------------------------------------------------------------------------------
_SOMA_KEYS = [
    "tau_ns",
    "beta",
    "bias",
    "phi_offset",
    "self_coupling",
    "threshold",
    "refractory_ns",
    "refractory_tau_ns",
    "refractory_phi_peak",
    "refractory_coupling",
]
_DENDRITE_KEYS = ["tau_ns", "beta", "bias", "phi_offset", "self_coupling"]
_SYNAPSE_KEYS = ["tau_rise_ns", "tau_fall_ns", "hotspot_ns", "phi_peak", "dead_time_ns"]


def _params(t: _Table | None, keys: list[str], cls):
    if t is None:
        return None
    kw = {k: t.float(k) for k in keys if t.has(k)}
    t.done()
    return _construct(t.ctx, t.path, cls, kw)


def _neuron(p: _Table) -> Neuron:
    morph = p.str("morphology", "point", choices={"point", "tree", "exc_inh", "dag"})
    soma = _params(p.table("soma"), _SOMA_KEYS, Soma)
    dend = _params(p.table("dendrite"), _DENDRITE_KEYS, Dendrite)
    syn = _params(p.table("synapse"), _SYNAPSE_KEYS, Synapse)
    if morph == "point":
        return point_neuron(soma=soma, synapse=syn)
    if morph == "tree":
        layers = p.raw("layers", [3, 9])
        if (
            not isinstance(layers, list)
            or not layers
            or not all(isinstance(x, int) and not isinstance(x, bool) for x in layers)
        ):
            raise p.ctx.error(
                p.key("layers"), f"expected a list of integers (dendrites per level), got {layers!r}"
            )
        c = p.raw("coupling", 0.5)
        coupling = (
            tuple(_number(p.ctx, f"{p.key('coupling')}[{i}]", x, "coupling") for i, x in enumerate(c))
            if isinstance(c, list)
            else _number(p.ctx, p.key("coupling"), c, "coupling")
        )
        return _construct(
            p.ctx,
            p.path,
            tree_neuron,
            dict(layers=tuple(layers), coupling=coupling, dendrite=dend, soma=soma, synapse=syn),
        )
    if morph == "exc_inh":
        kw = dict(
            n_exc=p.int("n_exc", 2, low=0),
            n_inh=p.int("n_inh", 1, low=0),
            J_exc=p.float("J_exc", 0.5),
            J_inh=p.float("J_inh", -0.5),
        )
        return _construct(p.ctx, p.path, exc_inh_neuron, dict(**kw, dendrite=dend, soma=soma, synapse=syn))
    # dag: n_dendrites copies of [dendrite], couplings [[source, target, J], ...]
    n_d = p.int("n_dendrites", low=1)
    cpl = p.raw("couplings")
    if not isinstance(cpl, list):
        raise p.ctx.error(p.key("couplings"), f"expected a list of [source, target, J], got {_describe(cpl)}")
    for i, c in enumerate(cpl):
        if not (
            isinstance(c, list)
            and len(c) == 3
            and all(isinstance(x, (int, str)) and not isinstance(x, bool) for x in c[:2])
            and isinstance(c[2], (int, float))
            and not isinstance(c[2], bool)
        ):
            raise p.ctx.error(f"{p.key('couplings')}[{i}]", f"expected [source, target, J], got {c!r}")
    sites = p.raw("synaptic_sites", None)
    if sites is not None and not isinstance(sites, list):
        raise p.ctx.error(
            p.key("synaptic_sites"), f"expected a list of dendrite indices or names, got {sites!r}"
        )
    names = p.raw("names", None)
    if names is not None and not (isinstance(names, list) and all(isinstance(x, str) for x in names)):
        raise p.ctx.error(p.key("names"), f"expected a list of strings, got {names!r}")
    return _construct(
        p.ctx,
        p.path,
        dag_neuron,
        dict(
            dendrites=(dend or Dendrite(),) * n_d,
            couplings=[tuple(c) for c in cpl],
            soma=soma,
            synapse=syn,
            synaptic_sites=None if sites is None else tuple(sites),
            names=None if names is None else tuple(names),
        ),
    )


def _source(s: _Table):
    typ = s.str("type", choices={"poisson", "regular", "spikes"})
    name = s.str("name")
    if typ == "poisson":
        kw = dict(
            name=name, n=s.int("n", low=1), rate_hz=s.float("rate_hz"), start_ns=s.float("start_ns", 0.0)
        )
        cls = PoissonSource
    elif typ == "regular":
        kw = dict(
            name=name, n=s.int("n", low=1), period_ns=s.float("period_ns"), start_ns=s.float("start_ns", 0.0)
        )
        cls = RegularSource
    else:
        times = s.raw("times_ns")
        if not isinstance(times, list) or not times or not all(isinstance(ch, list) for ch in times):
            raise s.ctx.error(
                s.key("times_ns"),
                "expected a list of channels, each a list of times in ns: "
                f"[[1.0, 5.0], [2.5]], got {times!r}",
            )
        chans = [
            np.array(
                [_number(s.ctx, f"{s.key('times_ns')}[{c}][{j}]", x, "times_ns") for j, x in enumerate(ch)],
                dtype=float,
            )
            for c, ch in enumerate(times)
        ]
        kw = dict(name=name, times_ns=tuple(chans))
        cls = SpikeSource
    s.done()
    return _construct(s.ctx, s.path, cls, kw)


_CONNECTORS = {"all_to_all", "one_to_one", "fixed_probability", "fixed_in_degree", "from_list"}


def _connector(pr: _Table):
    v = pr.raw("connector", "all_to_all")
    if isinstance(v, str):
        if v not in _CONNECTORS:
            raise pr.ctx.error(pr.key("connector"), f"must be one of {sorted(_CONNECTORS)}, got {v!r}")
        if v in ("fixed_probability", "fixed_in_degree", "from_list"):
            raise pr.ctx.error(
                pr.key("connector"),
                f"{v!r} needs parameters: write it as an inline table, "
                'e.g. connector = { type = "fixed_in_degree", k = 9 }',
            )
        return AllToAll() if v == "all_to_all" else OneToOne()
    c = _Table(pr.ctx, v, pr.key("connector"))
    typ = c.str("type", choices=_CONNECTORS)
    if typ == "all_to_all":
        out = (AllToAll, dict(allow_self=c.bool("allow_self", False)))
    elif typ == "one_to_one":
        out = (OneToOne, {})
    elif typ == "fixed_probability":
        out = (FixedProbability, dict(p=c.float("p"), allow_self=c.bool("allow_self", False)))
    elif typ == "fixed_in_degree":
        out = (FixedInDegree, dict(k=c.int("k", low=0), allow_self=c.bool("allow_self", False)))
    else:
        pre, post = c.raw("pre"), c.raw("post")
        for nm, arr in (("pre", pre), ("post", post)):
            if not isinstance(arr, list) or not all(
                isinstance(x, int) and not isinstance(x, bool) for x in arr
            ):
                raise c.ctx.error(c.key(nm), f"expected a list of neuron indices, got {arr!r}")
        if len(pre) != len(post):
            raise c.ctx.error(
                c.key("post"), f"must have as many entries as pre ({len(pre)}), got {len(post)}"
            )
        out = (FromList, dict(pre=np.array(pre, dtype=np.int64), post=np.array(post, dtype=np.int64)))
    c.done()
    return _construct(c.ctx, c.path, out[0], out[1])


def _value(pr: _Table, key: str, default: float):
    """A weight or delay: a number (or quantity), a list (one per connection) or a distribution table."""
    v = pr.raw(key, default)
    path = pr.key(key)
    if isinstance(v, dict):
        d = _Table(pr.ctx, v, path)
        dist = d.str("distribution", choices={"uniform", "normal"})
        if dist == "uniform":
            kw, cls = dict(low=d.float("low"), high=d.float("high")), Uniform
        else:
            kw = dict(
                mean=d.float("mean"),
                std=d.float("std"),
                low=d.float("low", -math.inf),
                high=d.float("high", math.inf),
            )
            cls = Normal
        d.done()
        return _construct(pr.ctx, path, cls, kw)
    if isinstance(v, list):
        return np.array([_number(pr.ctx, f"{path}[{i}]", x, key) for i, x in enumerate(v)], dtype=float)
    return _number(pr.ctx, path, v, key)


@dataclass
class Experiment:
    """A parsed config: the network and how to run it (see :func:`load_config`)."""

    network: Network
    duration_ns: float
    dt_ns: float = 0.1
    seed: int = 0
    integrator: str = "euler"
    threads: int | None = None
    record: list = field(default_factory=list)
    record_every_ns: float | None = None
    results_path: Path | None = None
    report_path: Path | None = None
    title: str = ""
    source: str = "config"

    def simulate_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`soen.simulate` (besides the network and duration)."""
        return dict(
            dt_ns=self.dt_ns,
            seed=self.seed,
            integrator=self.integrator,
            threads=self.threads,
            record=self.record or None,
            record_every_ns=self.record_every_ns,
        )


def parse_config(text: str, *, source: str = "config", base_dir: str | Path = ".") -> Experiment:
    """Parse a TOML experiment from a string (``source`` names it in errors; outputs are relative to
    ``base_dir``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError(
            f"malformed TOML: {exc}", line=int(m.group(1)) if m else None, source=source
        ) from None
    ctx = _Ctx(text, source, Path(base_dir))
    top = _Table(ctx, data, "")
    title = top.str("title", "")
    sim = top.table("simulation", required=True)
    duration = sim.float("duration_ns")
    if duration <= 0:
        raise ctx.error(sim.key("duration_ns"), f"must be > 0, got {duration}")
    dt = sim.float("dt_ns", 0.1)
    if not 0 < dt <= duration:
        raise ctx.error(sim.key("dt_ns"), f"must be > 0 and <= duration_ns ({duration}), got {dt}")
    seed = sim.int("seed", 0, low=0)
    integrator = sim.str("integrator", "euler", choices={"euler", "heun"})
    threads = sim.int("threads", None, low=1) if sim.has("threads") else sim.raw("threads", None)
    sim.done()

    net = Network()
    for p in top.tables("populations"):
        name, n = p.str("name"), p.int("n", low=1)
        neuron = _neuron(p)
        p.done()
        try:
            net.add_population(name, n, neuron)
        except (TypeError, ValueError) as exc:
            raise ctx.error(p.key("name"), str(exc)) from None
    for s in top.tables("sources"):
        src = _source(s)
        try:
            net.add_source(src)
        except ValueError as exc:
            raise ctx.error(s.key("name"), str(exc)) from None
    for pr in top.tables("projections"):
        pre, post = pr.str("pre"), pr.str("post")
        for k, v in (("pre", pre), ("post", post)):
            known = net.populations if k == "post" else {**net.populations, **net.sources}
            if v not in known:
                raise ctx.error(
                    pr.key(k),
                    f"{v!r} is not a {'population' if k == 'post' else 'population or source'}"
                    f" defined above; known: {sorted(known)}",
                )
        conn = _connector(pr)
        weight = _value(pr, "weight", 1.0)
        delay = _value(pr, "delay_ns", 1.0)
        target = pr.raw("target", "sites")
        if isinstance(target, bool) or not isinstance(target, (str, int)):
            raise ctx.error(
                pr.key("target"), f"expected 'sites', a dendrite name or index, got {_describe(target)}"
            )
        if target != "sites":
            try:
                net.populations[post].neuron.index(target)
            except (TypeError, ValueError) as exc:
                raise ctx.error(pr.key("target"), str(exc)) from None
        syn = _params(pr.table("synapse"), _SYNAPSE_KEYS, Synapse)
        pr.done()
        kw = dict(
            pre=pre, post=post, connector=conn, weight=weight, delay_ns=delay, target=target, synapse=syn
        )
        _construct(ctx, pr.path, net.connect, kw)

    record, every = [], None
    rec = top.table("record")
    if rec is not None:
        every = rec.float("every_ns", None) if rec.has("every_ns") else rec.raw("every_ns", None)
        if every is not None and every <= 0:
            raise ctx.error(rec.key("every_ns"), f"must be > 0, got {every}")
        for tr in rec.tables("traces"):
            pop = tr.str("population")
            if pop not in net.populations:
                raise ctx.error(
                    tr.key("population"), f"unknown population {pop!r}; known: {sorted(net.populations)}"
                )
            n = net.populations[pop].n
            ids = tr.raw("neurons", None)
            if ids is not None:
                if not isinstance(ids, list) or not all(
                    isinstance(i, int) and not isinstance(i, bool) and 0 <= i < n for i in ids
                ):
                    raise ctx.error(
                        tr.key("neurons"), f"expected a list of neuron indices in 0..{n - 1}, got {ids!r}"
                    )
            which = tr.raw("dendrites", "soma")
            choices = [which] if not isinstance(which, list) else which
            for w in choices:
                if w in ("all", "refractory"):
                    continue
                try:
                    net.populations[pop].neuron.index(w)
                except (TypeError, ValueError) as exc:
                    raise ctx.error(tr.key("dendrites"), str(exc)) from None
            tr.done()
            record.append((pop, ids, which if not isinstance(which, list) else list(which)))
        rec.done()

    results_path = report_path = None
    out = top.table("output")
    if out is not None:
        r = out.str("results", None) if out.has("results") else None
        h = out.str("report", None) if out.has("report") else None
        out.done()
        if r is not None:
            if not r.endswith((".h5", ".hdf5")):
                raise ctx.error(out.key("results"), f"results file must end in .h5 or .hdf5, got {r!r}")
            results_path = ctx.base_dir / r
        if h is not None:
            if not h.endswith((".html", ".htm")):
                raise ctx.error(out.key("report"), f"report file must end in .html, got {h!r}")
            report_path = ctx.base_dir / h
    top.done()
    if not net.populations:
        raise ConfigError(
            "no [[populations]] defined: a network needs at least one", key="populations", source=source
        )
    return Experiment(
        network=net,
        duration_ns=duration,
        dt_ns=dt,
        seed=seed,
        integrator=integrator,
        threads=threads,
        record=record,
        record_every_ns=every,
        results_path=results_path,
        report_path=report_path,
        title=title,
        source=source,
    )


def load_config(path: str | Path) -> Experiment:
    """Read and check an experiment config file (TOML); outputs are relative to the file's folder."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such config file: {str(p)!r}")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not a UTF-8 text file ({exc})", source=p.name) from None
    return parse_config(text, source=p.name, base_dir=p.parent)


def run_config(
    experiment: Experiment | str | Path, *, output: str | Path | None = None, progress: bool | None = None
) -> Result:
    """Run an experiment (an :class:`Experiment` or a config path) and write its results file.

    ``output`` overrides the config's ``[output] results`` path. Returns the :class:`~soen.Result`.
    """
    import soen

    exp = experiment if isinstance(experiment, Experiment) else load_config(experiment)
    out = Path(output) if output is not None else exp.results_path
    kw = exp.simulate_kwargs()
    kw["progress"] = progress
    streams = "output" in inspect.signature(soen.simulate).parameters
    if out is not None and streams:
        kw["output"] = str(out)
    result = soen.simulate(exp.network, exp.duration_ns, **kw)
    if out is not None and not streams:  # a simulate without streaming output: write at the end
        from soen.io.results import save_result

        save_result(
            result, out, network=exp.network, run=dict(record_every_ns=exp.record_every_ns or exp.dt_ns)
        )
    if out is not None and exp.title:
        import h5py

        with h5py.File(out, "r+") as f:
            f.attrs["title"] = exp.title
            f.attrs["config"] = exp.source
    return result
