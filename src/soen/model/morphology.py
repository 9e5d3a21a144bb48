"""Neuron morphologies as data: a soma, dendrites, and signed couplings between them.

A morphology is a directed graph of dendrites whose loop currents couple into each other's flux:
an edge (i → j, J) adds ``J · s_i`` to the flux of dendrite j (PHENO; PHYSICS.md §2). Index 0 is the
soma. Trees, DAGs and loops are all allowed. Synapses created by projections attach to the
``synaptic_sites`` (by default the leaves: dendrites that receive no coupling).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .components import Dendrite, Soma, Synapse, check_real

__all__ = [
    "Neuron",
    "point_neuron",
    "tree_neuron",
    "dag_neuron",
    "exc_inh_neuron",
]


@dataclass(frozen=True)
class Neuron:
    """A neuron morphology.

    Parameters
    ----------
    soma : the :class:`Soma` (dendrite 0).
    dendrites : further dendrites, numbered 1, 2, … in order.
    couplings : tuple of ``(source, target, J)``: dendrite ``source``'s current s adds ``J·s`` (Φ0 per
        unit of I_c) to the flux of dendrite ``target``. Sources and targets are indices or names.
    synapse : default SPD synapse for connections made onto this neuron.
    synaptic_sites : indices or names of dendrites that receive synapses by default; None → the leaves.
    names : optional names of dendrites 1… (the soma is always called "soma").
    """

    soma: Soma = field(default_factory=Soma)
    dendrites: tuple[Dendrite, ...] = ()
    couplings: tuple[tuple, ...] = ()
    synapse: Synapse = field(default_factory=Synapse)
    synaptic_sites: tuple | None = None
    names: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.soma, Soma):
            raise TypeError(f"Neuron.soma must be a Soma, got {type(self.soma).__name__}")
        object.__setattr__(self, "dendrites", tuple(self.dendrites))
        for k, d in enumerate(self.dendrites):
            if not isinstance(d, Dendrite) or isinstance(d, Soma):
                raise TypeError(f"Neuron.dendrites[{k}] must be a Dendrite (not a Soma), got {d!r}")
        if not isinstance(self.synapse, Synapse):
            raise TypeError(f"Neuron.synapse must be a Synapse, got {type(self.synapse).__name__}")
        n = self.n_dendrites
        if self.names is not None:
            names = tuple(str(x) for x in self.names)
            if len(names) != n - 1:
                raise ValueError(f"Neuron.names must name the {n - 1} non-soma dendrites, got {len(names)}")
            if len(set(names)) != len(names) or "soma" in names:
                raise ValueError(f"Neuron.names must be unique and not 'soma', got {names}")
            object.__setattr__(self, "names", names)
        cpl = []
        for k, c in enumerate(self.couplings):
            if len(c) != 3:
                raise ValueError(f"Neuron.couplings[{k}] must be (source, target, J), got {c!r}")
            src, tgt = self.index(c[0]), self.index(c[1])
            J = check_real("Neuron", f"couplings[{k}].J", c[2])
            cpl.append((src, tgt, J))
        object.__setattr__(self, "couplings", tuple(cpl))
        if self.synaptic_sites is not None:
            sites = tuple(self.index(s) for s in self.synaptic_sites)
            if not sites:
                raise ValueError("Neuron.synaptic_sites must not be empty")
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

    def index(self, key) -> int:
        """Dendrite index for an index or a name."""
        n = self.n_dendrites
        if isinstance(key, str):
            names = self.dendrite_names()
            if key not in names:
                raise ValueError(f"unknown dendrite name {key!r}; this neuron has {list(names)}")
            return names.index(key)
        if isinstance(key, bool) or not isinstance(key, (int,)) and not hasattr(key, "__index__"):
            raise TypeError(f"dendrite reference must be an int index or a name, got {key!r}")
        k = int(key)
        if not 0 <= k < n:
            raise ValueError(f"dendrite index {k} out of range: this neuron has dendrites 0..{n - 1}")
        return k

    def sites(self) -> tuple[int, ...]:
        """Dendrites that receive synapses by default (the leaves, or ``synaptic_sites``)."""
        if self.synaptic_sites is not None:
            return self.synaptic_sites
        has_input = {t for (s, t, _) in self.couplings if s != t}
        leaves = tuple(k for k in range(self.n_dendrites) if k not in has_input)
        return leaves or (0,)


def point_neuron(soma: Soma | None = None, synapse: Synapse | None = None) -> Neuron:
    """A neuron whose synapses feed the soma directly."""
    return Neuron(soma=soma or Soma(), synapse=synapse or Synapse())


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
    """
    layers = tuple(int(n) for n in layers)
    if not layers or any(n < 1 for n in layers):
        raise ValueError(f"tree_neuron layers must be positive integers, got {layers}")
    for a, b in zip(layers, layers[1:]):
        if b < a:
            raise ValueError(f"tree_neuron layers must not shrink outward, got {layers}")
    Js = (coupling,) * len(layers) if not isinstance(coupling, (tuple, list)) else tuple(coupling)
    if len(Js) != len(layers):
        raise ValueError(f"tree_neuron coupling needs one J per level ({len(layers)}), got {len(Js)}")
    dend = dendrite or Dendrite()
    dendrites, couplings, names = [], [], []
    prev = [0]  # indices of the previous level
    nxt_index = 1
    for level, (n, J) in enumerate(zip(layers, Js), start=1):
        cur = []
        for i in range(n):
            parent = prev[i * len(prev) // n]
            dendrites.append(dend)
            names.append(f"L{level}_{i}")
            couplings.append((nxt_index, parent, float(J)))
            cur.append(nxt_index)
            nxt_index += 1
        prev = cur
    return Neuron(
        soma=soma or Soma(),
        dendrites=tuple(dendrites),
        couplings=tuple(couplings),
        synapse=synapse or Synapse(),
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
        soma=soma or Soma(),
        dendrites=tuple(dendrites),
        couplings=tuple(couplings),
        synapse=synapse or Synapse(),
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
    """
    if n_exc < 0 or n_inh < 0 or n_exc + n_inh == 0:
        raise ValueError(f"exc_inh_neuron needs n_exc, n_inh >= 0 and at least one branch, got {n_exc}, {n_inh}")
    if not (J_exc >= 0 and J_inh <= 0 and math.isfinite(J_exc) and math.isfinite(J_inh)):
        raise ValueError(f"exc_inh_neuron needs J_exc >= 0 and J_inh <= 0, got {J_exc}, {J_inh}")
    dend = dendrite or Dendrite()
    names = [f"exc{i}" for i in range(n_exc)] + [f"inh{i}" for i in range(n_inh)]
    couplings = [(1 + i, 0, J_exc) for i in range(n_exc)] + [(1 + n_exc + i, 0, J_inh) for i in range(n_inh)]
    return Neuron(
        soma=soma or Soma(),
        dendrites=(dend,) * (n_exc + n_inh),
        couplings=tuple(couplings),
        synapse=synapse or Synapse(),
        synaptic_sites=tuple(range(1, 1 + n_exc)) if n_exc else None,
        names=tuple(names),
    )
