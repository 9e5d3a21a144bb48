"""What a user describes, as plain data: components, morphologies, networks. No simulation code."""

from .components import Dendrite, FanInWarning, Soma, Synapse
from .morphology import Neuron, dag_neuron, exc_inh_neuron, point_neuron, tree_neuron
from .network import (
    AllToAll,
    FixedInDegree,
    FixedProbability,
    FromList,
    FromMatrix,
    Network,
    Normal,
    OneToOne,
    PoissonSource,
    Population,
    Projection,
    RegularSource,
    SpikeSource,
    Uniform,
)

__all__ = [
    "Synapse", "Dendrite", "Soma", "FanInWarning", "Neuron", "point_neuron", "tree_neuron", "dag_neuron", "exc_inh_neuron",
    "Network", "Population", "Projection", "SpikeSource", "RegularSource", "PoissonSource",
    "AllToAll", "OneToOne", "FixedProbability", "FixedInDegree", "FromList", "FromMatrix", "Uniform", "Normal",
]
