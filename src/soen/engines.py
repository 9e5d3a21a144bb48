"""Engines: objects that step a compiled network (:class:`soen.Compiled`) under the one driver.

``soen.simulate(network, duration_ns, engine=...)`` takes ``"cpu"`` (the default) or an engine
object. An engine implements ``prepare(compiled, record_elements, buffer_rows)`` and returns a run
object with ``advance(n0, n1, input_steps, input_nodes, record_every)``, ``read()``, ``error()``,
``counts()``, ``state()`` and ``load_state()`` (see :mod:`soen.engine.driver`).

``MPI(threads=1, partition="round_robin", exchange="allgather")`` (optional extra ``soen[mpi]``) runs a
SOEN or point-model network on several processes: call ``soen.engines.MPI().simulate(network,
duration_ns, ...)`` on every rank (``mpiexec -n 4 python3 script.py``); ``exchange="alltoall"`` sends
each spike only to the ranks with connections from its neuron (same results; fewer bytes with local
connectivity, ``Result.metadata["mpi"]["bytes_sent"]`` per rank); see ``docs/scale-out.md``.

>>> import soen
>>> eng = soen.engines.CPU(threads=1)
>>> eng.describe()
'cpu|euler'
"""

from __future__ import annotations

from soen.engine._mpi import MPI  # (mpi4py is imported only when an MPI engine is made: soen[mpi])
from soen.engine._soen_cpu import INTEGRATORS, SoenCPU
from soen.engine.point import PointCPU

__all__ = ["CPU", "MPI", "SoenCPU", "PointCPU", "INTEGRATORS"]


class CPU:
    """The CPU engines (Numba): SOEN networks on :class:`SoenCPU`, point models (:mod:`soen.models`)
    on :class:`PointCPU`, chosen by the compiled network's kind.

    Parameters
    ----------
    threads : worker threads (default: Numba's default); results do not depend on it.
    integrator : ``"euler"`` (forward Euler, as the phenomenological model) or ``"heun"`` (explicit
        trapezoid, 2nd order) for the SOEN dendrite ODE.
    delivery : point models: ``"dense"`` (weights summed into a ring of inputs when a spike is sent) or
        ``"events"`` (synapse events in the ring, weights read at arrival); SOEN synapses always read
        their weight when the photon arrives.
    """

    def __init__(self, threads=None, integrator: str = "euler", delivery: str = "dense"):
        self._soen = SoenCPU(threads=threads, integrator=integrator)
        self._point = PointCPU(threads=threads, delivery=delivery)
        self.delivery = delivery
        self.threads = self._soen.threads
        self.integrator = integrator

    def _for(self, compiled):
        return self._point if compiled.kind == "point" else self._soen

    def describe(self, compiled=None) -> str:
        if compiled is not None:
            return self._for(compiled).describe()
        return f"cpu|{self.integrator}"

    def prepare(self, compiled, rec_idx, rec_rows: int):
        return self._for(compiled).prepare(compiled, rec_idx, rec_rows)

    def __repr__(self) -> str:
        return f"CPU(threads={self.threads}, integrator={self.integrator!r}, delivery={self.delivery!r})"


def __getattr__(name):
    # the JAX engine is optional (pip install 'soen[jax]'); its module imports JAX only when a run is prepared
    if name == "JAX":
        from soen.engine._jax_engine import JAX

        return JAX
    raise AttributeError(f"module 'soen.engines' has no attribute {name!r}")
