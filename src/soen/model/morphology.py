"""Neuron morphologies as data: a soma, dendrites, and signed couplings between them.

A morphology is a directed graph of dendrites whose loop currents couple into each other's flux:
an edge (i → j, J) adds ``J · s_i`` to the flux of dendrite j (PHENO; Shainline, Primavera & Khan, Phys. Rev. Research 5, 013164 (2023), arXiv:2210.09976). Index 0 is the
soma. Trees, DAGs and loops are all allowed. Synapses created by projections attach to the
``synaptic_sites`` (by default the leaves: dendrites that receive no coupling).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from soen._validate import check_instance, check_int, check_name, check_real, check_sequence, show

from .components import Dendrite, Soma, Synapse

#: Most dendrites (soma included) one neuron may have.
MAX_DENDRITES = 10_000_000

__all__ = [
    "Neuron",
    "point_neuron",
    "tree_neuron",
    "dag_neuron",
    "exc_inh_neuron",
    "MAX_DENDRITES",
]


@dataclass(frozen=True)
class Neuron:
    """A neuron morphology.

    Parameters
    ----------
    soma : the :class:`Soma` (dendrite 0).
    dendrites : further dendrites, numbered 1, 2, … in order (at most ``MAX_DENDRITES`` − 1).
    couplings : tuple of ``(source, target, J)``: dendrite ``source``'s current s adds ``J·s`` (Φ0 per
        unit of I_c, finite) to the flux of dendrite ``target``. Sources and targets are indices or names.
    synapse : default SPD synapse for connections made onto this neuron.
    synaptic_sites : indices or names of dendrites that receive synapses by default; None → the leaves.
    names : optional names of dendrites 1… (identifier-like, unique; the soma is always called "soma").
    """

    soma: Soma = field(default_factory=Soma)
    dendrites: tuple[Dendrite, ...] = ()
    couplings: tuple[tuple, ...] = ()
    synapse: Synapse = field(default_factory=Synapse)
    synaptic_sites: tuple | None = None
    names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        check_instance("Neuron.soma", self.soma, Soma)
        dends = check_sequence("Neuron.dendrites", self.dendrites, "a sequence of Dendrite objects")
        if len(dends) + 1 > MAX_DENDRITES:
            raise ValueError(f"Neuron.dendrites must hold at most {MAX_DENDRITES - 1} dendrites; got {len(dends)}")
        object.__setattr__(self, "dendrites", dends)
        for k, d in enumerate(dends):
            if not isinstance(d, Dendrite) or isinstance(d, Soma):
                raise TypeError(f"Neuron.dendrites[{k}] must be a Dendrite (not a Soma); got {show(d)} "
                                f"({type(d).__name__})")
        check_instance("Neuron.synapse", self.synapse, Synapse)
        n = self.n_dendrites
        if self.names is not None:
            names = check_sequence("Neuron.names", self.names, "a sequence of names or None")
            names = tuple(check_name(f"Neuron.names[{k}]", x) for k, x in enumerate(names))
            if len(names) != n - 1:
                raise ValueError(f"Neuron.names must name the {n - 1} non-soma dendrites; got {len(names)} names")
            if len(set(names)) != len(names) or "soma" in names:
                raise ValueError(f"Neuron.names must be unique and not 'soma'; got {show(names)}")
            object.__setattr__(self, "names", names)
        cpl = []
        couplings = check_sequence("Neuron.couplings", self.couplings, "a sequence of (source, target, J)")
        for k, c in enumerate(couplings):
            what = f"Neuron.couplings[{k}]"
            c = check_sequence(what, c, "a (source, target, J) triple")
            if len(c) != 3:
                raise ValueError(f"{what} must be a (source, target, J) triple; got {show(c)}")
            src, tgt = self.index(c[0], f"{what} source"), self.index(c[1], f"{what} target")
            J = check_real(f"{what} J", c[2])
            cpl.append((src, tgt, J))
        object.__setattr__(self, "couplings", tuple(cpl))
        if self.synaptic_sites is not None:
            sites = check_sequence("Neuron.synaptic_sites", self.synaptic_sites,
                                   "a sequence of dendrite indices or names, or None")
            sites = tuple(self.index(s, f"Neuron.synaptic_sites[{k}]") for k, s in enumerate(sites))
            if not sites:
                raise ValueError("Neuron.synaptic_sites must name at least one dendrite (or be None for the leaves); "
                                 "got an empty sequence")
            object.__setattr__(self, "synaptic_sites", sites)

    @property
    def n_dendrites(self) -> int:
        """Number of dendrites including the soma."""
        return 1 + len(self.dendrites)

    @property
    def all_dendrites(self) -> tuple[Dendrite, ...]:
        return (self.soma, *self.dendrites)

    def dendrite_names(self) -> tuple[str, ...]:
        rest = self.names or tuple(f"d{k}" for k in range(1, self.n_dendrites))
        return ("soma", *rest)

    def index(self, key, what: str = "dendrite reference") -> int:
        """Dendrite index for an index or a name (``what`` names the reference in error messages)."""
        n = self.n_dendrites
        if isinstance(key, str):
            names = self.dendrite_names()
            if key not in names:
                shown = list(names) if n <= 20 else [*names[:10], "...", *names[-5:]]
                raise ValueError(f"unknown dendrite name {key!r} ({what}); this neuron has {shown}")
            return names.index(key)
        if isinstance(key, (bool, np.bool_)) or not isinstance(key, (int, np.integer)):
            raise TypeError(f"{what} must be a dendrite index (int) or name (str); got {show(key)} "
                            f"({type(key).__name__})")
        k = int(key)
        if not 0 <= k < n:
            raise ValueError(f"dendrite index {k} out of range ({what}): this neuron has dendrites 0..{n - 1}")
        return k

    def sites(self) -> tuple[int, ...]:
        """Dendrites that receive synapses by default (the leaves, or ``synaptic_sites``)."""
        if self.synaptic_sites is not None:
            return self.synaptic_sites
        has_input = {t for (s, t, _) in self.couplings if s != t}
        leaves = tuple(k for k in range(self.n_dendrites) if k not in has_input)
        return leaves or (0,)


def _part(owner: str, name: str, value, cls, default):
    """An optional component argument: None → the default, else it must be an instance of ``cls``."""
    if value is None:
        return default
    if not isinstance(value, cls) or (cls is Dendrite and isinstance(value, Soma)):
        what = "a Dendrite (not a Soma)" if cls is Dendrite else f"a {cls.__name__}"
        raise TypeError(f"{owner}.{name} must be {what} or None; got {show(value)} ({type(value).__name__})")
    return value


def point_neuron(soma: Soma | None = None, synapse: Synapse | None = None) -> Neuron:
    """A neuron whose synapses feed the soma directly."""
    return Neuron(soma=_part("point_neuron", "soma", soma, Soma, Soma()),
                  synapse=_part("point_neuron", "synapse", synapse, Synapse, Synapse()))


def tree_neuron(
    layers=(3, 9),
    coupling: float | tuple = 0.5,
    *,
    dendrite: Dendrite | None = None,
    soma: Soma | None = None,
    synapse: Synapse | None = None,
) -> Neuron:
    """A dendritic tree: ``layers`` gives the number of dendrites per level from the soma outward.

    Each dendrite of level k+1 couples to the dendrite ``i * n_k // n_{k+1}`` of level k (children
    split as evenly as possible). ``coupling`` is one J for every edge, or one per level. Synapses
    attach to the outermost level. ``tree_neuron((3, 9))`` is the 3-then-9 tree of the benchmarks.
    ``layers`` holds positive integers (not shrinking outward, at most ``MAX_DENDRITES - 1`` in all).
    """
    seq = check_sequence("tree_neuron.layers", layers, "a sequence of positive integers (dendrites per level)")
    if not seq:
        raise ValueError("tree_neuron.layers must hold at least one level (positive integers); "
                         "got an empty sequence")
    layers = tuple(check_int(f"tree_neuron.layers[{k}]", n, low=1, high=MAX_DENDRITES - 1)
                   for k, n in enumerate(seq))
    if sum(layers) + 1 > MAX_DENDRITES:
        raise ValueError(f"tree_neuron.layers must sum to at most {MAX_DENDRITES - 1} dendrites; got {sum(layers)}")
    for a, b in zip(layers, layers[1:]):
        if b < a:
            raise ValueError(f"tree_neuron.layers must not shrink outward; got {layers}")
    if isinstance(coupling, (tuple, list, np.ndarray)):
        Js = check_sequence("tree_neuron.coupling", coupling)
        if len(Js) != len(layers):
            raise ValueError(f"tree_neuron.coupling needs one J per level ({len(layers)}); got {len(Js)}")
        Js = tuple(check_real(f"tree_neuron.coupling[{k}]", J) for k, J in enumerate(Js))
    else:
        Js = (check_real("tree_neuron.coupling", coupling),) * len(layers)
    dend = _part("tree_neuron", "dendrite", dendrite, Dendrite, Dendrite())
    soma = _part("tree_neuron", "soma", soma, Soma, Soma())
    synapse = _part("tree_neuron", "synapse", synapse, Synapse, Synapse())
    dendrites, couplings, names = [], [], []
    prev = [0]  # indices of the previous level
    nxt_index = 1
    for level, (n, J) in enumerate(zip(layers, Js), start=1):
        cur = []
        for i in range(n):
            parent = prev[i * len(prev) // n]
            dendrites.append(dend)
            names.append(f"L{level}_{i}")
            couplings.append((nxt_index, parent, J))
            cur.append(nxt_index)
            nxt_index += 1
        prev = cur
    return Neuron(
        soma=soma,
        dendrites=tuple(dendrites),
        couplings=tuple(couplings),
        synapse=synapse,
        synaptic_sites=tuple(prev),
        names=tuple(names),
    )


def dag_neuron(
    dendrites,
    couplings,
    *,
    soma: Soma | None = None,
    synapse: Synapse | None = None,
    synaptic_sites=None,
    names=None,
) -> Neuron:
    """Any graph of dendrites: ``couplings`` = ``[(source, target, J), ...]`` with 0 = soma."""
    return Neuron(
        soma=_part("dag_neuron", "soma", soma, Soma, Soma()),
        dendrites=check_sequence("dag_neuron.dendrites", dendrites, "a sequence of Dendrite objects"),
        couplings=check_sequence("dag_neuron.couplings", couplings, "a sequence of (source, target, J)"),
        synapse=_part("dag_neuron", "synapse", synapse, Synapse, Synapse()),
        synaptic_sites=synaptic_sites,
        names=names,
    )


def exc_inh_neuron(
    n_exc: int = 2,
    n_inh: int = 1,
    J_exc: float = 0.5,
    J_inh: float = -0.5,
    *,
    dendrite: Dendrite | None = None,
    soma: Soma | None = None,
    synapse: Synapse | None = None,
) -> Neuron:
    """A soma with ``n_exc`` excitatory (J > 0) and ``n_inh`` inhibitory (J < 0) branches.

    Branches are named ``exc0…`` and ``inh0…``; projections choose one with ``target="inh0"``.
    ``n_exc``, ``n_inh``: integers >= 0, at least one branch; ``J_exc`` >= 0, ``J_inh`` <= 0 (finite).
    """
    n_exc = check_int("exc_inh_neuron.n_exc", n_exc, low=0, high=MAX_DENDRITES - 1)
    n_inh = check_int("exc_inh_neuron.n_inh", n_inh, low=0, high=MAX_DENDRITES - 1)
    if n_exc + n_inh == 0 or n_exc + n_inh + 1 > MAX_DENDRITES:
        raise ValueError(f"exc_inh_neuron.n_exc + n_inh must be in [1, {MAX_DENDRITES - 1}] (at least one branch); "
                         f"got {n_exc} + {n_inh}")
    J_exc = check_real("exc_inh_neuron.J_exc", J_exc, low=0.0)
    J_inh = check_real("exc_inh_neuron.J_inh", J_inh, high=0.0)
    dend = _part("exc_inh_neuron", "dendrite", dendrite, Dendrite, Dendrite())
    names = [f"exc{i}" for i in range(n_exc)] + [f"inh{i}" for i in range(n_inh)]
    couplings = [(1 + i, 0, J_exc) for i in range(n_exc)] + [(1 + n_exc + i, 0, J_inh) for i in range(n_inh)]
    return Neuron(
        soma=_part("exc_inh_neuron", "soma", soma, Soma, Soma()),
        dendrites=(dend,) * (n_exc + n_inh),
        couplings=tuple(couplings),
        synapse=_part("exc_inh_neuron", "synapse", synapse, Synapse, Synapse()),
        synaptic_sites=tuple(range(1, 1 + n_exc)) if n_exc else None,
        names=tuple(names),
    )
