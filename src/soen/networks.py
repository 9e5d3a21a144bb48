r"""Published point-model networks, built from their papers' tables (:mod:`soen.models` neurons).

:func:`cortical_microcircuit`
    Potjans & Diesmann (2014), "The cell-type specific cortical microcircuit: relating structure and
    activity in a full-scale spiking network model", Cereb. Cortex 24:785–806,
    doi:10.1093/cercor/bhs358: 1 mm² of early sensory cortex, 8 populations (excitatory and
    inhibitory of layers 2/3, 4, 5, 6), 77,169 LIF neurons with exponential synaptic currents and
    about 0.3·10⁹ synapses, driven by Poisson background input.

The numbers (population sizes, connection probabilities, external in-degrees, neuron, synapse and
delay parameters) are the paper's Tables 4–5; the code is written here from them. ``scale`` shrinks
the populations for tests and previews while keeping the connection probabilities (the synapse count
then shrinks as scale²; no compensation of the lost input is made, so the activity of a scaled
network differs from the full model's).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "MICROCIRCUIT_CONN_PROB",
    "MICROCIRCUIT_K_EXT",
    "MICROCIRCUIT_POPULATIONS",
    "MICROCIRCUIT_SIZES",
    "cortical_microcircuit",
    "microcircuit_synapses",
]

#: the 8 populations of Potjans & Diesmann (2014), Table 5
MICROCIRCUIT_POPULATIONS = ("L23e", "L23i", "L4e", "L4i", "L5e", "L5i", "L6e", "L6i")
#: full-scale population sizes (neurons), Table 5 (77,169 in all)
MICROCIRCUIT_SIZES = (20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948)
#: connection probabilities C[target][source], Table 5 (rows and columns in the order of
#: :data:`MICROCIRCUIT_POPULATIONS`)
MICROCIRCUIT_CONN_PROB = (
    (0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0),
    (0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0),
    (0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0),
    (0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0),
    (0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0),
    (0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0),
    (0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252),
    (0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443),
)
#: external (background) in-degrees K_ext per population, Table 5
MICROCIRCUIT_K_EXT = (1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100)


def _check_scale(scale) -> float:
    if isinstance(scale, bool) or not isinstance(scale, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(scale)) or not 0.0 < float(scale) <= 1.0:
        raise ValueError(f"scale must be a number in (0, 1] (the fraction of the full 77,169 neurons), got {scale!r}")
    return float(scale)


def _sizes(scale: float) -> list[int]:
    return [max(1, int(round(n * scale))) for n in MICROCIRCUIT_SIZES]


def microcircuit_synapses(scale: float = 1.0) -> np.ndarray:
    r"""In-degree ``k[target][source]`` of every pair of populations at ``scale``, and so the
    synapse count of the built network (``(k * sizes[:, None]).sum()``).

    The paper draws K = ln(1 − C) / ln(1 − 1/(N_pre·N_post)) synapses between two populations
    (the number that connects a pair with probability C when drawn with multapses); here each target
    neuron gets k = round(K / N_post) distinct sources (:class:`soen.FixedInDegree`). At full scale
    the total is Σ K ≈ 0.30·10⁹ (the paper's "~0.3 billion synapses")."""
    n = np.array(_sizes(_check_scale(scale)), dtype=float)
    c = np.array(MICROCIRCUIT_CONN_PROB)
    k = np.zeros(c.shape, dtype=np.int64)
    for a in range(8):
        for b in range(8):
            if c[a, b] > 0.0:
                total = math.log(1.0 - c[a, b]) / math.log(1.0 - 1.0 / (n[a] * n[b]))
                k[a, b] = int(round(total / n[a]))
    return k


def cortical_microcircuit(scale: float = 1.0, *, dt_ms: float = 0.1, background_rate_hz: float = 8.0,
                          delay_rel_std: float = 0.5, weight_rel_std: float = 0.1, poisson_delay_ms: float = 1.5):
    r"""The cortical microcircuit of Potjans & Diesmann (2014, Cereb. Cortex 24:785,
    doi:10.1093/cercor/bhs358) as a :class:`soen.Network` of :class:`soen.models.CubaLIF` neurons.

    * Populations ``L23e, L23i, L4e, L4i, L5e, L5i, L6e, L6i`` with the sizes of Table 5 × ``scale``
      (77,169 neurons at scale 1).
    * Neurons (Table 5): C_m = 250 pF, τ_m = 10 ms (R = τ_m/C_m = 40 MΩ), E_L = V_reset = −65 mV,
      V_th = −50 mV, τ_ref = 2 ms, exponential synaptic currents τ_syn = 0.5 ms. A weight w (nA)
      arriving in a step of ``dt_ms`` drives the synaptic current with ``w_in = τ_syn / dt``, so that
      its charge is w·τ_syn, that of a current jump w decaying with τ_syn. Initial V ~ N(−58, 10) mV.
    * Connections: every pair with C > 0 as :class:`soen.FixedInDegree` with the in-degrees of
      :func:`microcircuit_synapses` (≈ 0.30·10⁹ synapses at scale 1).
    * Weights: w = 87.8 pA (a 0.15 mV PSP) from excitatory, −4·w from inhibitory neurons, 2·w for
      L4e → L23e; drawn per synapse from N(w, ``weight_rel_std``·|w|), clipped at 0 (signs kept).
    * Delays: 1.5 ms (excitatory) and 0.75 ms (inhibitory), drawn from N(d, ``delay_rel_std``·d)
      clipped below at ``dt_ms`` (``delay_rel_std=0``: fixed delays; the MPI engine then exchanges
      spikes every 0.75 ms instead of every few steps).
    * Background: K_ext independent Poisson inputs at ``background_rate_hz`` (8 Hz) per neuron with
      weight w, as one Poisson channel of rate K_ext·8 Hz per neuron (``ext_<pop>`` sources, one-to-one,
      delay ``poisson_delay_ms``).

    Simulate with ``dt_ns = dt_ms · 1e6`` (0.1 ms). Units: ms, mV, nA, MΩ (see :mod:`soen.models`)."""
    import soen
    from soen import models

    scale = _check_scale(scale)
    for name, v, low in (("dt_ms", dt_ms, 0.0), ("background_rate_hz", background_rate_hz, -1e-300),
                         ("poisson_delay_ms", poisson_delay_ms, -1e-300)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not v > low:
            raise ValueError(f"{name} must be a finite number > {max(low, 0.0):g}, got {v!r}")
    for name, v in (("delay_rel_std", delay_rel_std), ("weight_rel_std", weight_rel_std)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    tau_syn_ms = 0.5
    neuron = models.CubaLIF(tau_syn_ms=tau_syn_ms, tau_mem_ms=10.0, r_MOhm=10.0 / 250.0 * 1e3, v_leak_mV=-65.0,
                            v_threshold_mV=-50.0, v_reset_mV=-65.0, t_ref_ms=2.0, w_in=tau_syn_ms / dt_ms,
                            v_init_mV=soen.Normal(-58.0, 10.0))
    sizes = _sizes(scale)
    k = microcircuit_synapses(scale)
    w_e = 87.8e-3  # nA
    net = soen.Network()
    for name, n in zip(MICROCIRCUIT_POPULATIONS, sizes):
        net.add_population(soen.Population(name, n, neuron=neuron))
    ms = 1e6  # ns
    for a, post in enumerate(MICROCIRCUIT_POPULATIONS):
        for b, pre in enumerate(MICROCIRCUIT_POPULATIONS):
            if k[a, b] == 0:
                continue
            exc = pre.endswith("e")
            w = w_e * (2.0 if (pre, post) == ("L4e", "L23e") else 1.0) * (1.0 if exc else -4.0)
            sd = weight_rel_std * abs(w)
            weight = (soen.Normal(w, sd, low=0.0) if exc else soen.Normal(w, sd, high=0.0)) if sd > 0 else w
            d = (1.5 if exc else 0.75) * ms
            delay = soen.Normal(d, delay_rel_std * d, low=dt_ms * ms) if delay_rel_std > 0 else d
            net.connect(pre, post, soen.FixedInDegree(int(k[a, b])), weight=weight, delay_ns=delay)
        src = f"ext_{post}"
        net.add_source(soen.PoissonSource(src, n=sizes[a], rate_hz=MICROCIRCUIT_K_EXT[a] * background_rate_hz))
        net.connect(src, post, soen.OneToOne(), weight=w_e, delay_ns=poisson_delay_ms * ms)
    return net
