"""soen.networks.cortical_microcircuit against the published tables of Potjans & Diesmann (2014,
Cereb. Cortex 24:785, doi:10.1093/cercor/bhs358, Table 5): population sizes, the synapse count
from the connection probabilities, external drive, weights."""

from __future__ import annotations

import math

import numpy as np
import pytest

import soen
from soen.networks import cortical_microcircuit, microcircuit_synapses

# Table 5, typed in again here as the test's own reference
SIZES = {"L23e": 20683, "L23i": 5834, "L4e": 21915, "L4i": 5479, "L5e": 4850, "L5i": 1065, "L6e": 14395, "L6i": 2948}
C = [[0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
     [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
     [0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0],
     [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
     [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
     [0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0],
     [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
     [0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443]]
K_EXT = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]


def expected_synapses(n):
    """Σ over pairs of N_post · round(K / N_post), K = ln(1 − C) / ln(1 − 1/(N_pre N_post))."""
    total = 0
    for a in range(8):
        for b in range(8):
            if C[a][b] > 0:
                k = math.log(1 - C[a][b]) / math.log(1 - 1 / (n[a] * n[b]))
                total += n[a] * round(k / n[a])
    return total


def test_full_scale_sizes_and_synapse_count_match_the_paper():
    net = cortical_microcircuit()
    assert {k: p.n for k, p in net.populations.items()} == SIZES
    assert sum(SIZES.values()) == 77169
    n = list(SIZES.values())
    k = microcircuit_synapses(1.0)
    total = int((k * np.array(n)[:, None]).sum())
    assert total == expected_synapses(n)
    assert 2.95e8 < total < 3.05e8  # "~0.3 billion synapses"
    # the in-degree from each source population is the connection probability (for small C: ≈ C·N_pre)
    for a in range(8):
        for b in range(8):
            assert k[a, b] == pytest.approx(-math.log(1 - C[a][b]) * n[b], abs=1.0)
    # background drive: K_ext × 8 Hz per neuron, one channel per neuron
    for (name, src), kx, size in zip(net.sources.items(), K_EXT, n):
        assert src.n == size and src.rate_hz == kx * 8.0


def test_a_scaled_build_has_the_expected_synapses_and_weights():
    net = cortical_microcircuit(scale=0.05)
    sizes = [p.n for p in net.populations.values()]
    assert sizes == [round(0.05 * s) for s in SIZES.values()]
    c = soen.compile(net, dt_ns=1e5, seed=2)
    assert c.n_neurons == sum(sizes) == 3858
    assert c.n_synapses == expected_synapses(sizes) + sum(sizes)  # + one background channel per neuron
    res = soen.simulate(net, 2e6, dt_ns=1e5, seed=2)  # 2 ms: it runs
    assert res.complete
    # weights (nA): 87.8 pA from excitatory, −4× from inhibitory, 2× on L4e → L23e, spread 10 %
    w = np.asarray(c.params["out_w"], dtype=float)
    st = c.structure
    sender = np.repeat(np.arange(st["out_ptr"].size - 1), np.diff(st["out_ptr"]))
    off = c.meta["pop_offset"]
    exc = np.zeros(c.n_neurons, dtype=bool)
    for name, size in zip(SIZES, sizes):
        exc[off[name]:off[name] + size] = name.endswith("e")
    from_neuron = sender < c.n_neurons
    assert np.all(w[from_neuron][exc[sender[from_neuron]]] >= 0)
    assert np.all(w[from_neuron][~exc[sender[from_neuron]]] <= 0)
    inh = from_neuron & ~exc[np.minimum(sender, c.n_neurons - 1)]
    assert np.mean(w[inh]) == pytest.approx(-4 * 0.0878, rel=0.02)
    l4e = (sender >= off["L4e"]) & (sender < off["L4e"] + sizes[2])
    post = st["out_tgt"] % c.n_neurons
    to23e = post < sizes[0]
    assert np.mean(w[l4e & to23e]) == pytest.approx(2 * 0.0878, rel=0.02)
    assert np.mean(w[l4e & ~to23e]) == pytest.approx(0.0878, rel=0.02)
    assert np.std(w[l4e & ~to23e]) == pytest.approx(0.00878, rel=0.1)


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match=r"scale must be a number in \(0, 1\]"):
        cortical_microcircuit(scale=2)
    with pytest.raises(ValueError, match="delay_rel_std must be a finite number >= 0"):
        cortical_microcircuit(scale=0.01, delay_rel_std=-1)
