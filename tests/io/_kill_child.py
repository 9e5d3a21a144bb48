"""Child process for the kill test: writes a results file until it is killed.

usage: python _kill_child.py PATH simulate|writer
"""

from __future__ import annotations

import sys
import time

import numpy as np


def network():
    import soen

    net = soen.Network()
    net.add_population("exc", 20, soen.point_neuron())
    net.add_source(soen.PoissonSource("drive", 20, rate_hz=40e6))
    net.connect("drive", "exc", soen.FixedInDegree(3), weight=1.0)
    return net


SIM = dict(dt_ns=0.1, seed=11, record=[("exc", [0])], record_every_ns=1.0, progress=False)
CHUNK_NS = 100.0


def chunk(k: int):
    """Deterministic synthetic chunk k: spikes and one trace over [k, k+1) × CHUNK_NS."""
    rng = np.random.default_rng(k)
    t = np.sort(rng.uniform(k * CHUNK_NS, (k + 1) * CHUNK_NS, 50))
    ids = rng.integers(0, 20, 50)
    tt = np.arange(k * CHUNK_NS, (k + 1) * CHUNK_NS, 1.0)
    return t, ids, tt, np.sin(tt)[:, None], np.cos(tt)[:, None]


def main(path: str, mode: str) -> None:
    if mode == "simulate":
        import soen

        soen.simulate(network(), 3e5, output=path, **SIM)  # far longer than the test waits
        return
    from soen.io import ResultWriter

    with ResultWriter(
        path,
        network={},
        run=dict(duration_ns=1e9, dt_ns=0.1, seed=0, integrator="euler"),
        populations={"exc": (0, 20)},
        trace_labels=[("exc", 0, "soma")],
        n_traces=1,
    ) as w:
        for k in range(10**9):
            t, ids, tt, s, phi = chunk(k)
            w.append_spikes(t, ids)
            w.append_traces(tt, s, phi)
            time.sleep(0.01)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
