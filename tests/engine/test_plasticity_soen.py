"""Plasticity on SOEN synapses: pair STDP against its analytic window (Δt from the spikes the engine
made), flux-storage synapses that take only their levels, whose update photons are detected with
probability 1 − e^(−μ) (binomial 99.9 % interval) and whose photons the energy ledger charges as
photons × photon energy / η_LED."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import soen
from soen.circuits import default_table
from soen.plasticity import STDP, FluxStorage

TABLE = default_table()


def _pair(lag_ns, rule, delay_ns=2.0):
    net = soen.Network()
    net.add_population("post", 1, soen.point_neuron())
    t_pre = 100.0
    net.add_source(soen.SpikeSource("pre", [[t_pre]]))
    net.add_source(soen.SpikeSource("kick", [[t_pre + delay_ns + lag_ns - 5.0]]))
    net.connect("pre", "post", soen.OneToOne(), weight=0.2, delay_ns=delay_ns, plasticity=rule)
    net.connect("kick", "post", soen.OneToOne(), weight=1.0, delay_ns=0.0)
    return net, t_pre + delay_ns


def test_soen_pair_stdp_follows_the_analytic_window():
    rule = STDP(tau_plus_ns=20.0, tau_minus_ns=15.0, a_plus=0.01, a_minus=0.012, w_min=0.0, w_max=1.0)
    for lag in (-30.0, -10.0, -3.0, 2.0, 5.0, 20.0, 40.0):
        net, t_arrival = _pair(lag, rule)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the kick over-drives the soma on purpose
            r = soen.simulate(net, 400.0, seed=1, table=TABLE)
        assert r.spike_ids.size == 1
        d = r.spike_times_ns[0] - t_arrival
        dw = 0.01 * np.exp(-d / 20.0) if d >= 0 else -0.012 * np.exp(d / 15.0)
        assert abs(r.weights("pre->post")[0] - (0.2 + dw)) < 1e-12, lag


def _flux_net(rule, n_in=300):
    net = soen.Network()
    net.add_population("post", 1, soen.tree_neuron((3, 9), coupling=0.5))
    net.add_source(soen.PoissonSource("inp", n_in, rate_hz=5e6))
    net.add_source(soen.RegularSource("drive", 1, period_ns=40.0))
    net.connect("inp", "post", soen.AllToAll(), weight=soen.Uniform(0.0, 0.1), delay_ns=1.0, plasticity=rule)
    net.connect("drive", "post", soen.OneToOne(), weight=1.0, target="soma")
    return net


@pytest.mark.parametrize("mu", [0.3, 1.5])
def test_flux_storage_levels_detection_fraction_and_energy(mu):
    rule = FluxStorage(n_levels=8, w_min=0.0, w_max=0.1, tau_plus_ns=30.0, tau_minus_ns=30.0, p_plus=1.0,
                       p_minus=1.0, photons_per_update=mu)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = soen.simulate(_flux_net(rule), 4000.0, seed=3, table=TABLE, weights_at_ns=[0.0])
    w = r.weights("inp->post")
    levels = rule.levels()
    assert np.all(np.min(np.abs(w[:, None] - levels[None, :]), axis=1) < 1e-12)  # only the allowed levels
    assert np.all((w >= 0.0) & (w <= 0.1))
    c = r.counts
    n, k = c["update_attempts"], c["updates_detected"]
    assert n > 2000 and c["steps_up"] + c["steps_down"] == k
    p = 1.0 - np.exp(-mu)
    half = 3.29 * np.sqrt(p * (1 - p) / n)  # the binomial 99.9 % interval (normal approximation, n large)
    assert abs(k / n - p) < half, (k / n, p, half)
    # the ledger: the update photons (attempts × photons per update) at the spike light's cost
    assert c["update_photons"] == pytest.approx(n * mu)
    hw = soen.Hardware()
    led = r.energy_ledger(hardware=hw)
    assert led.energy_by_component_J["plasticity"] == pytest.approx(n * mu * hw.photon_energy_J / hw.led_efficiency)


def test_flux_storage_with_photonic_links_detects_at_the_link_efficiency():
    rule = FluxStorage(n_levels=4, w_min=0.0, w_max=0.3, tau_plus_ns=30.0, tau_minus_ns=30.0, photons_per_update=2.0)
    net = soen.Network()
    net.add_population("a", 60, soen.point_neuron())
    net.add_population("b", 1, soen.point_neuron())
    net.add_source(soen.RegularSource("drive", 60, period_ns=20.0))
    net.add_source(soen.RegularSource("kick", 1, period_ns=35.0))
    net.connect("drive", "a", soen.OneToOne(), weight=1.0)
    net.connect("a", "b", soen.AllToAll(), weight=0.15, plasticity=rule)
    net.connect("kick", "b", soen.OneToOne(), weight=1.0)
    hw = soen.Hardware(photons_per_spike=30.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = soen.compile(net, dt_ns=0.1, seed=2, table=TABLE, hardware=hw)
        r = soen.simulate(c, 3000.0)
    st, p = c.structure, c.params
    plastic = np.flatnonzero(st["rule_of"][: c.meta["n_connections"]] >= 0)
    eta = p["out_mu"][plastic] / 30.0  # detected photons per photon sent, link by link (with device spread)
    q = 1.0 - np.exp(-2.0 * eta)  # each synapse's detection probability of an update
    n, k = r.counts["update_attempts"], r.counts["updates_detected"]
    assert n > 1000 and np.ptp(q) > 0.05
    # every pre neuron fires alike, so the attempts are spread evenly: the fraction is the mean of q
    qm = q.mean()
    assert abs(k / n - qm) < 3.29 * np.sqrt(qm * (1 - qm) / n), (k / n, qm)


def test_soen_plasticity_resumes_bit_identically(tmp_path):
    rule = STDP(tau_plus_ns=20.0, tau_minus_ns=20.0, a_plus=0.002, a_minus=0.0021, w_max=0.1)
    net = _flux_net(rule, n_in=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = soen.simulate(net, 600.0, seed=4, table=TABLE)
        soen.simulate(net, 300.0, seed=4, table=TABLE, checkpoint=tmp_path / "c.npz")
        rest = soen.simulate(net, 600.0, seed=4, table=TABLE, resume=tmp_path / "c.npz")
    np.testing.assert_array_equal(full.spike_times_ns, rest.spike_times_ns)
    np.testing.assert_array_equal(full.weights("inp->post"), rest.weights("inp->post"))
    assert full.counts["stdp_updates"] > 100
