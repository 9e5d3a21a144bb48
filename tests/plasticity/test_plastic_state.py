"""The run state of plasticity itself: a resumed run's checkpoint holds exactly (bit for bit) the
weights, presynaptic and postsynaptic traces, last-event steps and homeostatic offsets of an
uninterrupted run's checkpoint at the same time; and a recurrent plastic network gives identical weights
and spikes with 1 and 2 threads."""

from __future__ import annotations

import numpy as np
import pytest

import soen
from soen import models
from soen.plasticity import STDP, Homeostasis

MS = 1e6  # ns
DT = 0.1 * MS


def _net(n=300):
    """Poisson drive onto a LIF population with plastic recurrent synapses (multiplicative, nearest) and
    plastic input synapses (additive, all-to-all), with delays, and homeostasis on the population."""
    net = soen.Network()
    net.add_population(soen.Population("p", n, neuron=models.LIF(tau_ms=10.0, v_threshold_mV=1.0),
                                       homeostasis=Homeostasis(target_rate_hz=8.0, interval_ns=20 * MS, eta=0.02)))
    net.add_source(soen.PoissonSource("inp", 200, rate_hz=30.0))
    net.connect("inp", "p", soen.FixedInDegree(20), weight=soen.Uniform(5.0, 15.0), delay_ns=DT,
                plasticity=STDP(a_plus=0.3, a_minus=0.33, w_min=0.0, w_max=20.0))
    net.connect("p", "p", soen.FixedInDegree(15), weight=soen.Uniform(1.0, 8.0), delay_ns=1.3 * MS,
                plasticity=STDP(tau_plus_ns=15 * MS, tau_minus_ns=30 * MS, a_plus=0.02, a_minus=0.025,
                                w_min=0.0, w_max=10.0, form="multiplicative", pairing="nearest"))
    return net


def _state(path):
    z = np.load(path)
    return {k: z[k] for k in z.files if k.startswith("state.")}


def test_resumed_checkpoint_holds_the_same_weights_traces_and_offsets_bit_for_bit(tmp_path):
    net = _net()
    a, b1, b2 = tmp_path / "a.npz", tmp_path / "b1.npz", tmp_path / "b2.npz"
    full = soen.simulate(net, 400 * MS, dt_ns=DT, seed=7, checkpoint=a)
    soen.simulate(net, 190 * MS, dt_ns=DT, seed=7, checkpoint=b1)  # mid homeostasis interval, traces live
    rest = soen.simulate(net, 400 * MS, dt_ns=DT, seed=7, resume=b1, checkpoint=b2)
    sa, sb = _state(a), _state(b2)
    for k in ("w", "sx", "sxl", "sy", "syl", "h_thresh", "h_shift", "h_count"):  # the plasticity state is there
        assert f"state.{k}" in sa, k
    assert sa.keys() == sb.keys()
    # the dynamical state (neurons, plastic weights, both traces and their last-event steps, homeostatic
    # offsets) must match bit for bit; run counters and buffers' dead entries are not state
    for k in ("v", "x", "y", "ref", "w", "sx", "sxl", "sy", "syl", "pc", "h_thresh", "h_shift", "h_count", "ev_n"):
        np.testing.assert_array_equal(sa[f"state.{k}"], sb[f"state.{k}"], err_msg=k)
    n_live = sa["state.ev_n"]
    assert n_live.sum() > 0
    for k in ("state.ev_e", "state.ev_k"):
        for slot in range(n_live.size):
            np.testing.assert_array_equal(sa[k][slot, : n_live[slot]], sb[k][slot, : n_live[slot]], err_msg=k)
    assert np.count_nonzero(sa["state.sxl"] >= 0) > 0 and np.count_nonzero(sa["state.syl"] >= 0) > 0
    for proj in ("inp->p", "p->p"):
        assert not np.array_equal(full.weights(proj), soen.simulate(net, 1 * MS, dt_ns=DT, seed=7).weights(proj))
        np.testing.assert_array_equal(full.weights(proj), rest.weights(proj))
    np.testing.assert_array_equal(full.spike_ids, rest.spike_ids)
    np.testing.assert_array_equal(full.spike_times_ns, rest.spike_times_ns)


@pytest.mark.slow  # ~30 s on 2 busy cores, most of it compiling the parallel specialisation
def test_recurrent_plastic_network_is_identical_for_one_and_two_threads():
    net = _net(n=20_000)  # large enough for the parallel neuron update (700 k synapses)
    a = soen.simulate(net, 40 * MS, dt_ns=DT, seed=3, engine=soen.engines.CPU(threads=1))
    b = soen.simulate(net, 40 * MS, dt_ns=DT, seed=3, engine=soen.engines.CPU(threads=2))
    assert b.metadata["parallel"] and a.spike_ids.size > 1000
    for proj in ("inp->p", "p->p"):
        np.testing.assert_array_equal(a.weights(proj), b.weights(proj))
    np.testing.assert_array_equal(a.spike_ids, b.spike_ids)
