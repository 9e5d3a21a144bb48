"""Training SOEN and point-neuron networks with gradients (JAX; ``pip install 'soen[jax]'``).

A :class:`Model` wraps a :class:`soen.Compiled` (from :func:`soen.compile`) as a pure function
``forward(params, inputs) -> outputs`` of a parameter pytree made from ``Compiled.params`` (weights,
couplings, flux offsets, biases, thresholds), run by the JAX engine's forward pass
(:mod:`soen.engine._jax_core`: ``lax.scan`` over time steps, surrogate gradients at the thresholds,
``vmap`` over a batch). :func:`fit` trains it with an optax optimiser, projecting the parameters into
their physical bounds after every step; :meth:`Model.to_compiled` writes them back for the CPU engine.
Encoders are in :mod:`soen.train.encoders`, losses in :mod:`soen.train.losses` and generated tasks (the
random-manifold spike-timing task) in :mod:`soen.train.tasks` (all importable without JAX);
:mod:`soen.train.photonic` trains a feed-forward SOEN network with its photonic links in the loop
(finite photons per spike, dark counts, device spread). See docs/training.md.

>>> import soen, soen.train
>>> net = soen.Network()
>>> _ = net.add_population(soen.Population("out", 2, neuron=soen.models.LIF(tau_ms=1e-5)))
>>> _ = net.add_source(soen.SpikeSource("x", ([1.0], [2.0])))
>>> _ = net.connect("x", "out", soen.AllToAll(), weight=1.0)
>>> m = soen.train.Model(soen.compile(net, dt_ns=1.0))
>>> m.n_inputs, m.n_neurons
(2, 2)
"""

from __future__ import annotations

from . import encoders, losses, photonic, tasks
from ._fit import FitResult, evaluate, fit, load_params, save_params
from ._model import Model

__all__ = ["Model", "fit", "evaluate", "FitResult", "save_params", "load_params", "encoders", "losses",
           "tasks", "photonic"]
