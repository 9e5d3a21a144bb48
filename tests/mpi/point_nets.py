"""Point-model (LIF) test networks of the MPI tests: Brunel's (2000, J. Comput. Neurosci. 8:183,
doi:10.1023/A:1008925309027) sparse excitatory-inhibitory network with Poisson drive, small enough
for a test (current-based LIF instead of delta synapses; drawn delays)."""

from __future__ import annotations

import soen
from soen import models

MS = 1e6  # ns per ms
W_EXT = 1.35  # nA per Poisson event (held one 0.1 ms step: 0.27 mV)
J_E = 0.8  # nA per excitatory spike (0.16 mV); inhibitory −5·J_E


def brunel(name: str = "brunel", n_e: int = 400, n_i: int = 100) -> soen.Network:
    """``"brunel"``: delays drawn in 1.0–2.5 ms, the Poisson drive with the neurons' delay (1.5 ms:
    its events are pushed after the exchange); ``"brunel_fast"``: the drive with 0.1 ms (pushed by the
    kernel at once); ``"brunel_fixed"``: every delay 1.5 ms; plus a regular clock source."""
    lif = models.LIF(tau_ms=20.0, r_MOhm=40.0, v_leak_mV=0.0, v_threshold_mV=20.0, v_reset_mV=10.0, t_ref_ms=2.0,
                     v_init_mV=soen.Uniform(0.0, 20.0))
    net = soen.Network()
    net.add_population(soen.Population("e", n_e, neuron=lif))
    net.add_population(soen.Population("i", n_i, neuron=lif))
    fast = name == "brunel_fast"
    net.add_source(soen.PoissonSource("ext", n=n_e + n_i, rate_hz=4000.0))
    net.add_source(soen.RegularSource("clk", 8, period_ns=3.7 * MS, start_ns=0.5 * MS))
    d_ext = (0.1 if fast else 1.5) * MS
    import numpy as np

    net.connect("ext", "e", soen.FromList(np.arange(n_e), np.arange(n_e)), weight=W_EXT, delay_ns=d_ext)
    net.connect("ext", "i", soen.FromList(np.arange(n_e, n_e + n_i), np.arange(n_i)), weight=W_EXT, delay_ns=d_ext)
    net.connect("clk", "e", soen.FixedProbability(0.05), weight=2.0, delay_ns=d_ext)
    delay = 1.5 * MS if name == "brunel_fixed" else soen.Uniform(1.0 * MS, 2.5 * MS)
    for pre, w, k in (("e", J_E, 40), ("i", -5.0 * J_E, 10)):
        for post in ("e", "i"):
            net.connect(pre, post, soen.FixedInDegree(k), weight=w, delay_ns=delay)
    return net


def local_blocks(n_blocks: int = 3, n_e: int = 480, n_i: int = 120, k_e: int = 40, k_i: int = 10,
                 n_cross: int = 8) -> soen.Network:
    """A Brunel-type network with local connectivity: every population split into ``n_blocks``
    blocks of consecutive ids (what ``partition="blocks"`` gives each of ``n_blocks`` ranks) and
    every neuron draws its ``k_e`` excitatory and ``k_i`` inhibitory inputs within its own block;
    the first ``n_cross`` excitatory neurons of each block also reach 4 excitatory neurons of the
    next block (so some spikes must still cross ranks). Drawn delays 1.0–2.5 ms, Poisson drive."""
    import numpy as np

    lif = models.LIF(tau_ms=20.0, r_MOhm=40.0, v_leak_mV=0.0, v_threshold_mV=20.0, v_reset_mV=10.0, t_ref_ms=2.0,
                     v_init_mV=soen.Uniform(0.0, 20.0))
    net = soen.Network()
    net.add_population(soen.Population("e", n_e, neuron=lif))
    net.add_population(soen.Population("i", n_i, neuron=lif))
    net.add_source(soen.PoissonSource("ext", n=n_e + n_i, rate_hz=4000.0))
    d_ext = 1.5 * MS
    net.connect("ext", "e", soen.FromList(np.arange(n_e), np.arange(n_e)), weight=W_EXT, delay_ns=d_ext)
    net.connect("ext", "i", soen.FromList(np.arange(n_e, n_e + n_i), np.arange(n_i)), weight=W_EXT, delay_ns=d_ext)
    rng = np.random.default_rng(11)
    size = {"e": n_e, "i": n_i}

    def block(pop, b):  # the ids partition="blocks" gives rank b of n_blocks
        ids = np.arange(size[pop])
        return ids[(ids * n_blocks) // size[pop] == b]

    delay = soen.Uniform(1.0 * MS, 2.5 * MS)
    for pre, w, k in (("e", J_E, k_e), ("i", -5.0 * J_E, k_i)):
        for post in ("e", "i"):
            src, dst = [], []
            for b in range(n_blocks):
                pb, qb = block(pre, b), block(post, b)
                for j in qb:
                    src.append(rng.choice(pb, size=k, replace=False))
                    dst.append(np.full(k, j))
                if pre == post == "e":  # the crossing connections
                    nxt = block("e", (b + 1) % n_blocks)
                    for u in pb[:n_cross]:
                        src.append(np.full(4, u))
                        dst.append(rng.choice(nxt, size=4, replace=False))
            net.connect(pre, post, soen.FromList(np.concatenate(src), np.concatenate(dst)), weight=w, delay_ns=delay)
    return net
