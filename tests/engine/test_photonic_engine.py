"""Photonic delivery in the engine: statistics with stated confidence, delays, ideal equivalence."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import soen
from soen.circuits import default_table
from soen.hardware import Hardware
from soen.photonics import Layout, compile_links

TABLE = default_table()
NO_SPREAD = dict(source_efficiency_spread=0.0, detector_efficiency_spread=0.0, split_ratio_error_db=0.0,
                 critical_current_spread=0.0, emission_tau_ns=0.0, detector_jitter_ps=0.0, dark_count_rate_hz=0.0)


def fan_out_net(n_targets, *, period_ns=100.0, dead_time_ns=1.0):
    """One transmitter firing every ``period_ns``, fanning out to passive targets (threshold never reached)."""
    net = soen.Network()
    net.add_population("tx", 1, soen.point_neuron())
    quiet = soen.point_neuron(soma=soen.Soma(threshold=50.0), synapse=soen.Synapse(dead_time_ns=dead_time_ns))
    net.add_population("rx", n_targets, quiet)
    net.add_source(soen.RegularSource("clk", 1, period_ns=period_ns))
    net.connect("clk", "tx", soen.OneToOne(), weight=1.0, delay_ns=0.0)
    net.connect("tx", "rx", soen.AllToAll(), weight=0.1, delay_ns=0.0)
    return net


def test_ideal_hardware_reproduces_the_core_simulation():
    net = soen.Network()
    net.add_population("exc", 200, soen.tree_neuron((2, 4)))
    net.add_source(soen.PoissonSource("drive", 200, rate_hz=50e6))
    net.connect("drive", "exc", soen.FixedInDegree(4), weight=1.0)
    net.connect("exc", "exc", soen.FixedInDegree(10), weight=soen.Uniform(0.2, 0.8), delay_ns=soen.Uniform(1.0, 4.0))
    core = soen.simulate(net, 400.0, seed=3, table=TABLE)
    ideal = soen.simulate(net, 400.0, seed=3, table=TABLE, hardware=Hardware(ideal=True))
    assert core.spike_ids.size > 200
    np.testing.assert_array_equal(core.spike_times_ns, ideal.spike_times_ns)
    np.testing.assert_array_equal(core.spike_ids, ideal.spike_ids)


@pytest.mark.parametrize("photons", [3000.0, 10000.0, 30000.0])
def test_delivery_probability_is_one_minus_exp_minus_mu(photons):
    n_rx = 400
    hw = Hardware(photons_per_spike=photons, **NO_SPREAD)
    net = fan_out_net(n_rx)
    res = soen.simulate(net, 5000.0, seed=11, table=TABLE, hardware=hw)
    n_spikes = res.spike_counts("tx")[0]
    assert n_spikes == 50
    mu = compile_links(hw, None, np.zeros(n_rx, int), np.arange(1, n_rx + 1), seed=11).mu
    assert np.ptp(mu) < 1e-12  # no spread: every link alike
    p = 1.0 - np.exp(-mu[0])
    trials = n_spikes * n_rx
    delivered = res.counts["events"] - 50  # minus the clock's events on tx
    # two-sided 99.9 % binomial interval
    lo, hi = stats.binom.ppf([0.0005, 0.9995], trials, p)
    assert lo <= delivered <= hi, (mu[0], p, delivered / trials)
    assert res.counts["lost"] == trials - delivered


def test_dark_counts_occur_at_the_requested_rate_and_respect_dead_time():
    n_rx = 500
    rate = 2e6  # 2 MHz per SPD, to see enough events in a short run
    hw = Hardware(photons_per_spike=1e-6, **{**NO_SPREAD, "dark_count_rate_hz": rate})
    net = fan_out_net(n_rx, period_ns=1e5)
    res = soen.simulate(net, 4000.0, seed=5, table=TABLE, hardware=hw)
    expected = rate * 4000e-9 * n_rx
    n = res.counts["dark_counts"]
    assert abs(n - expected) < 4 * np.sqrt(expected)
    # dead time 1 ns: almost none dropped; with 400 ns dead time many are
    net2 = fan_out_net(n_rx, period_ns=1e5, dead_time_ns=400.0)
    res2 = soen.simulate(net2, 4000.0, seed=5, table=TABLE, hardware=hw)
    assert res2.counts["dark_counts"] == n  # the same dark counts (counter-based)
    p_drop = 1 - np.exp(-rate * 400e-9)  # probability that a count falls in the previous one's dead time
    assert res2.counts["dead_time_drops"] > 0.5 * p_drop * n


def test_delay_is_group_index_times_length_over_c():
    dt = 0.01
    dist_um = 30000.0  # 3 cm on one die
    layout = Layout.from_coordinates(np.array([[0.0, 0.0], [dist_um, 0.0]]), metric="euclidean")
    hw = Hardware(photons_per_spike=1e9, group_index=2.0, light_delay_ns=2.0, **NO_SPREAD)
    net = soen.Network()
    net.add_population("tx", 1, soen.point_neuron())
    net.add_population("rx", 1, soen.point_neuron(soma=soen.Soma(threshold=50.0)))
    net.add_source(soen.SpikeSource("kick", ([1.0],)))
    net.connect("kick", "tx", soen.OneToOne(), weight=1.0, delay_ns=0.0)
    net.connect("tx", "rx", soen.OneToOne(), weight=0.1, delay_ns=0.5)
    res = soen.simulate(net, 300.0, dt_ns=dt, seed=1, table=TABLE, hardware=hw, layout=layout,
                        record=("rx", [0], "soma"))
    t_spike = res.spikes("tx")[0][0]
    t, phi = res.trace(0, "phi")
    onset = t[np.flatnonzero(phi > 0)[0]] - dt  # flux is 0 at the arrival step itself
    prop_ns = 2.0 * dist_um * 1e-6 / 299_792_458.0 * 1e9  # n_g L / c = 200.1 ps
    assert onset - t_spike == pytest.approx(0.5 + 2.0 + prop_ns, abs=dt / 2 + 1e-9)


def test_jitter_has_the_requested_spread():
    dt = 0.01
    n_rx = 300
    hw = Hardware(photons_per_spike=1e9, **{**NO_SPREAD, "detector_jitter_ps": 300.0})
    net = fan_out_net(n_rx, period_ns=1e5)
    res = soen.simulate(net, 60.0, dt_ns=dt, seed=2, table=TABLE, hardware=hw, record=("rx", None, "soma"))
    onsets = np.array([np.flatnonzero(res.traces_phi[:, k] > 0)[0] for k in range(n_rx)]) * dt
    sd = onsets.std(ddof=1)
    # σ = 0.3 ns plus rounding to the step (dt²/12); chi-square 99.9 % band for n = 300
    target = np.sqrt(0.3**2 + dt**2 / 12)
    lo, hi = np.sqrt(stats.chi2.ppf([0.0005, 0.9995], n_rx - 1) / (n_rx - 1)) * target
    assert lo < sd < hi
    assert abs(stats.skew(onsets)) < 0.5  # Gaussian, not exponential


def test_fan_in_warning_names_the_overdriven_dendrite():
    net = soen.Network()
    net.add_population("n", 2, soen.point_neuron())
    net.add_source(soen.RegularSource("clk", 3, period_ns=50.0))
    net.connect("clk", "n", soen.AllToAll(), weight=0.5)  # 3 × 0.5 × 0.5 = 0.75 Φ0 > ½
    with pytest.warns(soen.FanInWarning, match=r"2 of 4 dendrites .* 0\.75 Φ0 on n\[0\]\.soma"):
        soen.simulate(net, 10.0, table=TABLE)
    ok = soen.Network()
    ok.add_population("n", 2, soen.point_neuron())
    ok.add_source(soen.RegularSource("clk", 3, period_ns=50.0))
    ok.connect("clk", "n", soen.AllToAll(), weight=0.3)  # 0.45 Φ0
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", soen.FanInWarning)
        soen.simulate(ok, 10.0, table=TABLE)


def test_time_constant_spread_is_frozen_and_has_the_requested_statistics():
    """After a kick the flux falls below threshold and each loop decays as e^(−t/τ_d): measure τ_d."""
    n = 2000
    net = soen.Network()
    net.add_population("n", n, soen.point_neuron(soma=soen.Soma(threshold=50.0, tau_ns=50.0)))
    net.add_source(soen.SpikeSource("kick", ([0.0],)))
    net.connect("kick", "n", soen.AllToAll(), weight=1.0, delay_ns=0.0)
    no_spread = {k: v for k, v in NO_SPREAD.items()}
    hw = Hardware(**{**no_spread, "time_constant_spread": 0.1})
    kw = dict(seed=3, table=TABLE, hardware=hw, record=("n", None, "soma"), record_every_ns=100.0)
    res = soen.simulate(net, 500.0, **kw)
    s300, s400 = res.traces_s[3], res.traces_s[4]
    tau = 100.0 / np.log(s300 / s400)
    ratio = tau / 50.0
    assert abs(ratio.mean() - 1.0) < 0.01  # lognormal with mean 1 (±5 standard errors)
    assert 0.09 < ratio.std() < 0.11
    again = soen.simulate(net, 500.0, **kw)
    np.testing.assert_array_equal(res.traces_s, again.traces_s)  # frozen: the same devices every run
    plain = soen.simulate(net, 500.0, **{**kw, "hardware": Hardware(**no_spread)})
    tau0 = 100.0 / np.log(plain.traces_s[3] / plain.traces_s[4])
    assert np.ptp(tau0) < 1e-9 and abs(tau0[0] - 50.0) < 0.1


def test_thermal_noise_gives_the_equipartition_variance():
    """Undriven loops (g = 0) are Ornstein–Uhlenbeck: Var s → k_B T / (L I_c²) (0.168 µA rms at 2.07 nH, 4.2 K)."""
    from soen.units import DEFAULT_JJ, K_B_J_PER_K

    n = 3000
    net = soen.Network()
    net.add_population("n", n, soen.point_neuron(soma=soen.Soma(threshold=50.0, tau_ns=20.0)))
    hw = Hardware(**{**NO_SPREAD, "thermal_noise": True})
    res = soen.simulate(net, 200.0, seed=9, table=TABLE, hardware=hw, record=("n", None, "soma"),
                        record_every_ns=200.0 - 0.1)
    s = res.traces_s[-1]  # after 10 τ: stationary
    L = DEFAULT_JJ.beta_to_inductance_nH(soen.Soma().beta) * 1e-9
    sigma = np.sqrt(K_B_J_PER_K * 4.2 / L) / DEFAULT_JJ.ic_A
    assert sigma * DEFAULT_JJ.ic_uA == pytest.approx(0.168, abs=0.002)
    lo, hi = np.sqrt(stats.chi2.ppf([0.0005, 0.9995], n - 1) / (n - 1)) * sigma
    assert lo < s.std(ddof=1) < hi
    assert abs(s.mean()) < 4 * sigma / np.sqrt(n)
    again = soen.simulate(net, 200.0, seed=9, table=TABLE, hardware=hw, record=("n", None, "soma"),
                          record_every_ns=200.0 - 0.1)
    np.testing.assert_array_equal(res.traces_s, again.traces_s)


def test_fan_in_bound_lets_excitation_and_inhibition_offset():
    """The bound is on the reachable range of the applied flux (each synapse w·A with A = ½): excitation
    up to +0.4 Φ0 and inhibition down to −0.4 Φ0 on one soma stay inside ±½ (no warning), although
    Σ|w|A = 0.8; more excitation (+0.6) does warn, and so does more inhibition (−0.6)."""
    import warnings

    def net(w_exc, n_exc, w_inh, n_inh):
        nt = soen.Network()
        nt.add_population("n", 1, soen.point_neuron())
        nt.add_source(soen.RegularSource("e", n_exc, period_ns=50.0))
        nt.add_source(soen.RegularSource("i", n_inh, period_ns=50.0))
        nt.connect("e", "n", soen.AllToAll(), weight=w_exc)
        nt.connect("i", "n", soen.AllToAll(), weight=w_inh)
        return nt

    with warnings.catch_warnings():
        warnings.simplefilter("error", soen.FanInWarning)
        soen.simulate(net(0.4, 2, -0.4, 2), 10.0, table=TABLE)
    with pytest.warns(soen.FanInWarning, match=r"1 of 2 dendrites .* 0\.6 Φ0 on n\[0\]\.soma"):
        soen.simulate(net(0.4, 3, -0.4, 2), 10.0, table=TABLE)
    with pytest.warns(soen.FanInWarning, match=r"0\.6 Φ0"):
        soen.simulate(net(0.4, 1, -0.4, 3), 10.0, table=TABLE)
