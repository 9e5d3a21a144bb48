"""``soen run --check``: everything a config's run will need, checked without running it.

The checks are the ones :func:`soen.simulate` makes before its first step, reached through soen's own
compile path, each reported at the config key (and line) it concerns:

* every projection's connections are drawn as the run would draw them (indices inside the
  populations, in-degrees not above the available pre neurons, one weight/delay per connection);
* the memory the network and its connections need is estimated first (a config asking for more
  than this machine holds is refused before anything is allocated);
* :func:`soen.compile`: the time step against the dendrite and synapse dynamics, delays on the grid;
* the duration and the trace sampling interval as whole numbers of steps; the recorded elements;
  ``threads`` against the cores available.
"""

from __future__ import annotations

import re

import numpy as np

from soen.model.network import AllToAll, FixedInDegree, FixedProbability, FromList, FromMatrix, OneToOne

from . import _safe
from ._config_lines import line_of

__all__ = ["check_experiment"]

_BYTES_PER_CONNECTION = 48  # pre, post, weight, delay and the engine's synapse rows
_BYTES_PER_DENDRITE = 160
_MAX_STEPS = 2.0**53  # step counts are exact integers in float64 below this


def _error(exp, key: str | None, message: str):
    from .config import ConfigError

    return ConfigError(message, key=key, line=line_of(exp.lines, key) if key else None, source=exp.source)


def _n_of(net, name: str) -> int:
    return net.populations[name].n if name in net.populations else net.sources[name].n


def _expected_connections(proj, n_pre: int, n_post: int) -> float:
    c = proj.connector
    if isinstance(c, AllToAll):
        return float(n_pre) * n_post
    if isinstance(c, OneToOne):
        return float(n_post)
    if isinstance(c, FixedProbability):
        return float(c.p) * n_pre * n_post
    if isinstance(c, FixedInDegree):
        return float(c.k) * n_post
    if isinstance(c, FromList):
        return float(np.size(c.pre))
    if isinstance(c, FromMatrix):
        return float(getattr(c.matrix, "nnz", np.size(c.matrix)))
    return 0.0


def _check_memory(exp) -> None:
    net = exp.network
    need = 0.0
    for p in net.populations.values():
        n_d = getattr(p.neuron, "n_dendrites", 1) + 1
        need += _BYTES_PER_DENDRITE * float(p.n) * n_d
    worst, worst_need = None, 0.0
    for i, proj in enumerate(net.projections):
        b = _BYTES_PER_CONNECTION * _expected_connections(proj, _n_of(net, proj.pre), _n_of(net, proj.post))
        need += b
        if b > worst_need:
            worst, worst_need = i, b
    have = _safe._memory_bytes() // 2
    if need > have:
        key = (
            f"projections[{worst}].connector"
            if worst is not None and worst_need > need / 2
            else "populations"
        )
        raise _error(
            exp,
            key,
            f"the network needs about {need / 2**30:,.1f} GiB, more than half of this machine's "
            f"memory ({2 * have / 2**30:.1f} GiB); make it smaller",
        )


def _projection_key(exp, i: int, msg: str) -> str:
    proj = exp.network.projections[i]
    base = f"projections[{i}]"
    if re.search(r"\bweights?\b", msg):
        return f"{base}.weight"
    if "delay" in msg:
        return f"{base}.delay_ns"
    from ._schema import field_specs

    for s in field_specs(type(proj.connector)):
        if re.search(rf"(\.|\b){re.escape(s.name)}\b", msg):
            return f"{base}.connector.{s.name}"
    return f"{base}.connector"


def _locate(exp, msg: str) -> str | None:
    """The config key a compile message is about (``Projection 'a'->'b' delay_ns ...``, ``dt_ns=...``)."""
    m = re.search(r"Projection '([^']*)'->'([^']*)'", msg)
    if m:
        for i, proj in enumerate(exp.network.projections):
            if (proj.pre, proj.post) == m.groups():
                return _projection_key(exp, i, msg[m.end() :])
    if "dt_ns" in msg:
        return "simulation.dt_ns"
    m = re.search(r"population '([^']*)'", msg)
    if m:
        for i, name in enumerate(exp.network.populations):
            if name == m.group(1):
                return f"populations[{i}]"
    return None


def check_experiment(exp) -> None:
    """Raise :class:`~soen.io.ConfigError` (at the key and line concerned) for anything the run of ``exp``
    would refuse; return None when it would start."""
    import soen
    from soen.engine._validate import check_threads, steps_of
    from soen.engine.compile import resolve_projection
    from soen.engine.driver import resolve_record

    net = exp.network
    try:
        check_threads(exp.threads)
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise _error(exp, "simulation.threads", str(exc)) from None
    for key, value in (("simulation.duration_ns", exp.duration_ns), ("record.every_ns", exp.record_every_ns)):
        if value is not None:
            try:
                steps_of(
                    key.split(".")[1] if key.startswith("sim") else "record_every_ns", value, exp.dt_ns, low=1
                )
            except (TypeError, ValueError, ArithmeticError) as exc:
                raise _error(exp, key, str(exc)) from None
    steps = exp.duration_ns / exp.dt_ns
    if steps > _MAX_STEPS:
        raise _error(
            exp,
            "simulation.dt_ns",
            f"dt_ns={exp.dt_ns!r} makes {steps:.3g} steps of a {exp.duration_ns:g} ns "
            f"run (at most {_MAX_STEPS:.3g})",
        )
    _check_memory(exp)
    for i in range(len(net.projections)):
        try:
            resolve_projection(net, i, exp.seed)
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise _error(exp, _projection_key(exp, i, str(exc)), str(exc)) from None
    try:
        compiled = soen.compile(net, dt_ns=exp.dt_ns, seed=exp.seed)
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise _error(exp, _locate(exp, str(exc)), str(exc)) from None
    if exp.record:
        try:
            resolve_record(exp.record, compiled)
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise _error(exp, "record.traces", str(exc)) from None
