"""Experiments as TOML files: populations, sources, projections, run parameters, recording, outputs.

A config file is data (parsed with :mod:`tomllib`, never executed). Sources, projections, connectors,
distributions and the soma/dendrite/synapse parameters follow the network schema derived from the
model dataclasses (``soen.io._schema``: the same keys as network files, plus short aliases such as
``type = "fixed_in_degree"``). Every key is checked; an unknown key, a value of the wrong type or
unit, a missing field or malformed TOML raises :class:`ConfigError` naming the file, the line and the
key, e.g.::

    exp.toml:14: projections[0].connector.k: expected an integer, got 'nine' (str)

Quantities whose key ends in ``_ns`` or ``_hz`` are numbers in that unit, or strings with a unit:
``duration_ns = "2 us"``, ``rate_hz = "20 MHz"``. :func:`check_experiment` (``soen run --check``)
also checks everything the run will need without running it: connections (indices, in-degrees,
per-connection lists), the time step against the dendrite dynamics, durations on the time grid,
recorded elements, threads, memory. ``[output]`` paths must stay inside the config's folder (unless
``allow_outside=True``). See ``examples/config_example.toml`` and ``docs/results.md``.

>>> exp = load_config("examples/config_example.toml")     # doctest: +SKIP
>>> result = run_config(exp)                              # doctest: +SKIP
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from soen.engine.result import Result
from soen.model.components import Dendrite, Soma, Synapse
from soen.model.morphology import Neuron, dag_neuron, exc_inh_neuron, point_neuron, tree_neuron
from soen.model.network import Network, Projection

from . import _safe
from ._config_table import ConfigError, _construct, _Ctx, _number, _Table
from ._schema import decode_object, decode_source

__all__ = ["ConfigError", "Experiment", "load_config", "parse_config", "run_config", "check_experiment"]


# --------------------------------------------------------------------------------------------
# populations: a morphology builder and the schema's Soma / Dendrite / Synapse tables
# --------------------------------------------------------------------------------------------
def _neuron(p: _Table) -> Neuron:
    morph = p.str("morphology", "point", choices={"point", "tree", "exc_inh", "dag"})
    soma, dend, syn = p.obj("soma", Soma), p.obj("dendrite", Dendrite), p.obj("synapse", Synapse)
    if morph == "point":
        return point_neuron(soma=soma, synapse=syn)
    if morph == "tree":
        layers = p.raw("layers", [3, 9])
        if not isinstance(layers, list) or not layers or not all(type(x) is int for x in layers):
            raise p.ctx.error(
                p.key("layers"), f"expected a list of integers (dendrites per level), got {layers!r}"
            )
        if sum(layers) > 10**7:
            raise p.ctx.error(
                p.key("layers"), f"at most 10,000,000 dendrites per neuron, got {sum(layers):,}"
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
            n_exc=p.int("n_exc", 2, low=0, high=10**6),
            n_inh=p.int("n_inh", 1, low=0, high=10**6),
            J_exc=p.float("J_exc", 0.5),
            J_inh=p.float("J_inh", -0.5),
        )
        return _construct(p.ctx, p.path, exc_inh_neuron, dict(**kw, dendrite=dend, soma=soma, synapse=syn))
    # dag: n_dendrites copies of [dendrite]; couplings, synaptic_sites and names as in Neuron's fields
    n_d = p.int("n_dendrites", low=1, high=10**7)
    plain = {
        k: p.raw(k) if k == "couplings" else p.raw(k, None) for k in ("couplings", "synaptic_sites", "names")
    }
    fields_ = p.ctx.schema(
        decode_object, _NeuronParts, {k: v for k, v in plain.items() if v is not None}, p.path, p.ctx.opts
    )
    return _construct(
        p.ctx,
        p.path,
        dag_neuron,
        dict(
            dendrites=(dend or Dendrite(),) * n_d,
            couplings=list(fields_.couplings),
            soma=soma,
            synapse=syn,
            synaptic_sites=fields_.synaptic_sites,
            names=fields_.names,
        ),
    )


@dataclass(frozen=True)
class _NeuronParts:
    """The graph fields of :class:`Neuron` a ``morphology = "dag"`` table gives (decoded by the schema)."""

    couplings: tuple[tuple, ...] = ()
    synaptic_sites: tuple | None = None
    names: tuple[str, ...] | None = None


# --------------------------------------------------------------------------------------------
# the experiment
# --------------------------------------------------------------------------------------------
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
    lines: dict = field(default_factory=dict, repr=False)

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


def parse_config(
    text: str, *, source: str = "config", base_dir: str | Path = ".", allow_outside: bool = False
) -> Experiment:
    """Parse a TOML experiment from a string (``source`` names it in errors; outputs are relative to
    ``base_dir`` and must resolve inside it unless ``allow_outside``)."""
    text = text.removeprefix("\ufeff")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError(
            f"malformed TOML: {exc}", line=int(m.group(1)) if m else None, source=source
        ) from None
    except RecursionError:
        raise ConfigError(f"TOML nested deeper than {_safe.MAX_DEPTH} levels", source=source) from None
    try:
        _safe.check_depth(data, "")
    except _safe.FileFormatError as exc:
        raise ConfigError(exc.problem, source=source) from None
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
        name, n = p.str("name"), p.int("n", low=1, high=2**31 - 1)
        neuron = _neuron(p)
        p.done()
        try:
            net.add_population(name, n, neuron)
        except (TypeError, ValueError) as exc:
            raise ctx.error(p.key("name"), str(exc)) from None
    for s in top.tables("sources"):
        src = ctx.schema(decode_source, s.data, s.path, ctx.opts)
        try:
            net.add_source(src)
        except (TypeError, ValueError) as exc:
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
        proj = ctx.schema(decode_object, Projection, pr.data, pr.path, ctx.opts)
        if proj.target != "sites":
            try:
                net.populations[post].neuron.index(proj.target)
            except (TypeError, ValueError) as exc:
                raise ctx.error(pr.key("target"), str(exc)) from None
        try:
            net.add_projection(proj)
        except (TypeError, ValueError) as exc:
            raise ctx.error(pr.path, str(exc)) from None

    record, every = [], None
    rec = top.table("record")
    if rec is not None:
        every = rec.float("every_ns", None) if rec.has("every_ns") else rec.raw("every_ns", None)
        if every is not None and every <= 0:
            raise ctx.error(rec.key("every_ns"), f"must be > 0, got {every}")
        for tr in rec.tables("traces"):
            record.append(_trace(tr, net))
        rec.done()

    results_path = report_path = None
    out = top.table("output")
    if out is not None:
        r = out.str("results", None) if out.has("results") else None
        h = out.str("report", None) if out.has("report") else None
        out.done()
        if r is not None:
            results_path = _output(ctx, out.key("results"), r, (".h5", ".hdf5"), allow_outside)
        if h is not None:
            report_path = _output(ctx, out.key("report"), h, (".html", ".htm"), allow_outside)
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
        lines=ctx.lines,
    )


def _trace(tr: _Table, net: Network):
    pop = tr.str("population")
    if pop not in net.populations:
        raise tr.ctx.error(
            tr.key("population"), f"unknown population {pop!r}; known: {sorted(net.populations)}"
        )
    n = net.populations[pop].n
    ids = tr.raw("neurons", None)
    if ids is not None and not (isinstance(ids, list) and all(type(i) is int and 0 <= i < n for i in ids)):
        raise tr.ctx.error(tr.key("neurons"), f"expected a list of neuron indices in 0..{n - 1}, got {ids!r}")
    which = tr.raw("dendrites", "soma")
    for w in [which] if not isinstance(which, list) else which:
        if w in ("all", "refractory"):
            continue
        try:
            net.populations[pop].neuron.index(w)
        except (TypeError, ValueError) as exc:
            raise tr.ctx.error(tr.key("dendrites"), str(exc)) from None
    tr.done()
    return (pop, ids, which if not isinstance(which, list) else list(which))


def _output(ctx: _Ctx, key: str, name: str, suffixes: tuple, allow_outside: bool) -> Path:
    what = "results" if ".h5" in suffixes else "report"
    if not name.endswith(suffixes):
        raise ctx.error(key, f"{what} file must end in {' or '.join(suffixes)}, got {name!r}")
    path = ctx.base_dir / name
    if not allow_outside:
        folder = ctx.base_dir.resolve()
        target = path.resolve()
        if target != folder and folder not in target.parents:
            raise ctx.error(
                key,
                f"{name!r} resolves outside the config's folder ({str(folder)!r}); give the path "
                "on the command line (-o/--report) or pass --force to allow it",
            )
    return path


def load_config(path: str | Path, *, allow_outside: bool = False) -> Experiment:
    """Read and check an experiment config file (TOML, UTF-8 with or without a BOM); outputs are relative
    to the file's folder and must stay inside it unless ``allow_outside``."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such config file: {_safe.printable(str(p))!r}")
    if p.stat().st_size > 256 * 2**20:
        raise ConfigError("larger than 256 MiB: not an experiment config", source=p.name)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not a UTF-8 text file ({exc})", source=p.name) from None
    return parse_config(text, source=p.name, base_dir=p.parent, allow_outside=allow_outside)


def check_experiment(exp: Experiment) -> None:
    """Check everything :func:`run_config` will need, without running: see ``soen.io._config_check``."""
    from ._config_check import check_experiment as check

    check(exp)


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
    if out is not None:
        kw["output"] = str(out)
    result = soen.simulate(exp.network, exp.duration_ns, **kw)
    if out is not None and exp.title:
        import h5py

        with h5py.File(out, "r+") as f:
            f.attrs["title"] = exp.title
            f.attrs["config"] = exp.source
    return result
