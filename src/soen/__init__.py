"""soen: simulate, train and design superconducting optoelectronic neuromorphic (SOEN) hardware.

>>> import soen
>>> net = soen.Network()
>>> _ = net.add_population("exc", 4, soen.tree_neuron((3, 9)))
>>> _ = net.add_source(soen.PoissonSource("inp", n=4, rate_hz=20e6))
>>> _ = net.connect("inp", "exc", soen.OneToOne())
>>> result = soen.simulate(net, 200.0, dt_ns=0.1, seed=1)
"""

from __future__ import annotations

__version__ = "0.1.0"

from .engine.result import Result
from .model import (
    AllToAll,
    Dendrite,
    FanInWarning,
    FixedInDegree,
    FixedProbability,
    FromList,
    FromMatrix,
    Network,
    Neuron,
    Normal,
    OneToOne,
    PoissonSource,
    Population,
    Projection,
    RegularSource,
    Soma,
    SpikeSource,
    Synapse,
    Uniform,
    dag_neuron,
    exc_inh_neuron,
    point_neuron,
    tree_neuron,
)
from ._simulate import simulate
from .engine.ir import Compiled, compile  # noqa: A004
from .hardware import Hardware
from .photonics import Layout
from .plasticity import STDP, FluxStorage, Homeostasis

_LAZY = {"analysis", "circuits", "generators", "photonics", "io", "plot", "models", "units", "energy", "engines",
         "arbor", "train", "sweep", "networks"}


def __getattr__(name: str):
    """Sub-packages load on first use (``soen.analysis`` pulls in scipy.signal, for instance)."""
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"soen.{name}")
    if name == "load":
        from soen.io.results import load

        return load
    raise AttributeError(f"module 'soen' has no attribute {name!r}")

__all__ = [
    "__version__", "simulate", "compile", "Compiled", "engines", "Result", "Hardware", "Layout",
    "analysis", "circuits", "generators", "photonics",
    "Synapse", "Dendrite", "Soma", "FanInWarning", "Neuron", "point_neuron", "tree_neuron", "dag_neuron", "exc_inh_neuron",
    "Network", "Population", "Projection", "SpikeSource", "RegularSource", "PoissonSource",
    "STDP", "FluxStorage", "Homeostasis", "arbor",
    "AllToAll", "OneToOne", "FixedProbability", "FixedInDegree", "FromList", "FromMatrix", "Uniform", "Normal",
]
