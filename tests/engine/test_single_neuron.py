"""Engine correctness against independent references (analytic kernels, scipy ODE solves)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import soen
from soen.circuits import default_table
from soen.units import DEFAULT_JJ

TABLE = default_table()


def one_neuron(times_ns, *, weight=1.0, delay_ns=0.0, soma=None, synapse=None, neuron=None):
    net = soen.Network()
    morph = neuron or soen.point_neuron(soma=soma or soen.Soma(threshold=50.0), synapse=synapse)
    net.add_population("n", 1, morph)
    net.add_source(soen.SpikeSource("inp", (np.asarray(times_ns, float),)))
    net.connect("inp", "n", soen.OneToOne(), weight=weight, delay_ns=delay_ns)
    return net


def reference_flux(t_ns, arrivals_ns, syn: soen.Synapse, weight: float):
    """Independent reference for the SPD flux: the circuit's piecewise-linear ODE, solved finely.

    dφ/dt = (A − φ)/τ_r while a hotspot is open (t_hs after each accepted photon), −φ/τ_f otherwise.
    """
    A, tr, tf, ths = syn.amplitude, syn.tau_rise_ns, syn.tau_fall_ns, syn.t_hs_ns
    accepted, last = [], -np.inf
    for t in sorted(arrivals_ns):
        if t - last >= syn.dead_time_ns - 1e-9:
            accepted.append(t)
            last = t
    edges = sorted(set([0.0, *accepted, *[a + ths for a in accepted], float(t_ns[-1])]))
    phi0, out = 0.0, np.zeros_like(t_ns)
    for a, b in zip(edges[:-1], edges[1:]):
        hot = any(x <= a < x + ths - 1e-12 for x in accepted)
        rhs = (lambda t, y: [(A - y[0]) / tr]) if hot else (lambda t, y: [-y[0] / tf])
        sol = solve_ivp(rhs, (a, b), [phi0], rtol=1e-11, atol=1e-14, dense_output=True)
        m = (t_ns >= a) & (t_ns <= b)
        out[m] = sol.sol(t_ns[m])[0]
        phi0 = sol.y[0, -1]
    return weight * out


def test_flux_is_exact_kernel_at_every_step_including_saturation():
    syn = soen.Synapse(tau_fall_ns=20.0, dead_time_ns=5.0)
    arrivals = [3.0, 10.0, 12.0, 40.05]  # 12.0 falls in the dead time of 10.0
    net = one_neuron(arrivals, weight=0.7, synapse=syn)
    res = soen.simulate(net, 80.0, dt_ns=0.05, record=("n", [0], "soma"), table=TABLE)
    t, phi = res.trace(0, "phi")
    ref = reference_flux(t, arrivals, syn, 0.7)
    # the refractory loop is silent (no spike), so the soma flux is the synaptic flux alone
    assert np.max(np.abs(phi - ref)) < 1e-9
    assert res.counts["events"] == 3 and res.counts["dead_time_drops"] == 1


def test_spike_arrival_timing_exact_to_the_step():
    dt = 0.1
    net = one_neuron([13.37], weight=1.0, delay_ns=2.5)
    res = soen.simulate(net, 30.0, dt_ns=dt, record=("n", [0], "soma"), table=TABLE)
    t, phi = res.trace(0, "phi")
    arrival_step = round(13.37 / dt) + round(2.5 / dt)  # 134 + 25
    assert np.all(phi[: arrival_step + 1] == 0.0)
    assert phi[arrival_step + 1] > 0.0
    syn = soen.Synapse()
    np.testing.assert_allclose(phi[arrival_step:], syn.kernel(t[arrival_step:] - arrival_step * dt), atol=1e-12)


def dendrite_reference(t_eval, flux_fn, *, tau_ns, beta, bias):
    """β ds/dτ = g(φ(t), i_b − s) − α s solved by scipy (RK45, tight tolerances) in ns."""
    jj = DEFAULT_JJ
    alpha = jj.alpha_from_tau(tau_ns, beta)
    tau0 = jj.tau0_ns

    def rhs(t, y):
        g = float(TABLE(flux_fn(t), bias - y[0]))
        return [(g - alpha * y[0]) / beta / tau0]

    sol = solve_ivp(rhs, (0.0, float(t_eval[-1])), [0.0], t_eval=t_eval, rtol=1e-10, atol=1e-12, max_step=0.02)
    return sol.y[0]


@pytest.fixture(scope="module")
def single_response():
    syn = soen.Synapse()
    arrivals = [5.0, 60.0, 120.0]
    soma = soen.Soma(threshold=50.0, tau_ns=50.0)
    t_eval = np.arange(0.0, 200.0, 0.4)

    fine_t = np.arange(0.0, 200.001, 0.001)
    fine_phi = reference_flux(fine_t, arrivals, syn, 1.0)

    def flux(t):
        return np.interp(t, fine_t, fine_phi)

    ref = dendrite_reference(t_eval, flux, tau_ns=50.0, beta=soma.beta, bias=soma.bias)
    return arrivals, soma, t_eval, ref


@pytest.mark.parametrize("integrator,dt,tol_all,tol_far", [("euler", 0.1, 0.06, 5e-3), ("heun", 0.01, 1e-3, 1e-4)])
def test_synapse_dendrite_response_matches_fine_ode_solve(single_response, integrator, dt, tol_all, tol_far):
    """Photon pulses saturate the loop within ~1 ns, so a 0.1-ns step lags by at most one step there
    (Δs ≤ h g/β ≈ 0.06); away from the 2-ns onsets the solution follows the fine solve closely."""
    arrivals, soma, t_eval, ref = single_response
    assert ref.max() > 0.2  # the pulses really drive the dendrite
    net = one_neuron(arrivals, soma=soma)
    res = soen.simulate(net, 200.0, dt_ns=dt, integrator=integrator, record=("n", [0], "soma"), table=TABLE)
    t, s = res.trace(0)
    err = np.abs(s[np.rint(t_eval / dt).astype(int)] - ref)
    far = np.all([(t_eval < a) | (t_eval > a + 2.0) for a in arrivals], axis=0)
    assert err.max() < tol_all, err.max()
    assert err[far].max() < tol_far, err[far].max()


@pytest.mark.parametrize("integrator,lo,hi", [("euler", 0.85, 1.3), ("heun", 1.8, 3.2)])
def test_integrator_convergence_order(integrator, lo, hi):
    """Smooth drive (constant flux): errors against a scipy solve fall as dt^1 (Euler), dt^2 (Heun)."""
    soma = soen.Soma(threshold=50.0, tau_ns=50.0, phi_offset=0.3)
    t_eval = np.arange(0.0, 100.0, 0.8)
    ref = dendrite_reference(t_eval, lambda t: 0.3, tau_ns=50.0, beta=soma.beta, bias=soma.bias)
    net = soen.Network()
    net.add_population("n", 1, soen.point_neuron(soma=soma))
    errs = []
    for dt in (0.2, 0.1, 0.05, 0.025):
        res = soen.simulate(net, 100.0, dt_ns=dt, integrator=integrator, record=("n", [0], "soma"), table=TABLE)
        t, s = res.trace(0)
        errs.append(np.abs(s[np.rint(t_eval / dt).astype(int)] - ref).max())
    orders = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all((orders > lo) & (orders < hi)), (errs, orders)


def test_refractory_period_respected_and_regular_firing_at_20_MHz():
    soma = soen.Soma(refractory_ns=10.0)
    net = soen.Network()
    net.add_population("n", 1, soen.point_neuron(soma=soma))
    net.add_source(soen.RegularSource("inp", 1, period_ns=50.0))  # 20 MHz
    net.connect("inp", "n", soen.OneToOne(), weight=1.0)
    res = soen.simulate(net, 2000.0, table=TABLE)
    t, _ = res.spikes()
    assert t.size >= 15
    isi = np.diff(t[3:])
    assert isi.min() >= 10.0
    assert isi.std() / isi.mean() < 0.02  # regular firing
    # strong drive: many photons, refractory limits the rate
    net2 = soen.Network()
    net2.add_population("n", 1, soen.point_neuron(soma=soma))
    net2.add_source(soen.RegularSource("inp", 20, period_ns=2.0, start_ns=0.0))
    net2.connect("inp", "n", soen.AllToAll(), weight=1.0, delay_ns=soen.Uniform(0.0, 2.0))
    res2 = soen.simulate(net2, 1000.0, table=TABLE)
    assert np.diff(res2.spike_times_ns).min() >= soma.refractory_ns


def test_tree_couplings_follow_the_equations():
    """Soma flux equals Σ J s_child at every step; excitation raises, inhibition lowers the soma."""
    socks = {}
    for J in (0.4, 0.0, -0.4):
        neuron = soen.dag_neuron([soen.Dendrite(bias=2.0)], [(1, 0, J)], soma=soen.Soma(threshold=50.0, phi_offset=0.2))
        net = soen.Network()
        net.add_population("n", 1, neuron)
        net.add_source(soen.RegularSource("inp", 1, period_ns=20.0))
        net.connect("inp", "n", soen.OneToOne(), weight=1.0, target=1)
        res = soen.simulate(net, 300.0, record=("n", [0], "all"), table=TABLE)
        _, s_child = res.trace(("n", 0, "d1"))
        _, phi_soma = res.trace(("n", 0, "soma"), "phi")
        _, s_soma = res.trace(("n", 0, "soma"))
        np.testing.assert_allclose(phi_soma, 0.2 + J * s_child, atol=1e-12)
        socks[J] = s_soma
    assert socks[0.4][-1] > socks[0.0][-1] + 0.05
    assert socks[-0.4][-1] < socks[0.0][-1] - 0.01


def test_rate_rises_with_input_rate_and_saturates():
    """10 Poisson synapses (w = 0.15 each) onto a point neuron, input rate 5 → 500 MHz per synapse."""
    inputs_mhz = (5, 10, 20, 50, 100, 200, 500)
    rates = []
    for r in inputs_mhz:
        net = soen.Network()
        net.add_population("n", 1, soen.point_neuron(synapse=soen.Synapse(dead_time_ns=1.0)))
        net.add_source(soen.PoissonSource("inp", 10, rate_hz=r * 1e6))
        net.connect("inp", "n", soen.AllToAll(), weight=0.15)
        res = soen.simulate(net, 5000.0, table=TABLE, seed=3)
        rates.append(res.rates_hz()[0])
    rates = np.array(rates)
    assert np.all(np.diff(rates) > 0), rates  # rises with input rate
    assert rates[-1] / rates[-2] < 1.35  # saturates: 2.5× more input, far less than 2.5× more output
    assert rates[-1] < 1e9 / soen.Soma().refractory_ns  # bounded by the refractory period


def test_inhibition_delays_or_prevents_firing():
    def first_spike(J_inh):
        neuron = soen.exc_inh_neuron(1, 1, J_exc=0.5, J_inh=min(J_inh, 0.0), dendrite=soen.Dendrite(bias=2.0))
        net = soen.Network()
        net.add_population("n", 1, neuron)
        net.add_source(soen.RegularSource("exc", 1, period_ns=10.0))
        net.connect("exc", "n", soen.OneToOne(), target="exc0")
        if J_inh < 0:
            net.add_source(soen.RegularSource("inh", 1, period_ns=10.0))
            net.connect("inh", "n", soen.OneToOne(), target="inh0")
        res = soen.simulate(net, 1000.0, table=TABLE)
        t, _ = res.spikes()
        return (t[0] if t.size else np.inf), t.size

    t_free, n_free = first_spike(0.0)
    t_weak, n_weak = first_spike(-0.05)
    t_strong, n_strong = first_spike(-0.2)
    assert np.isfinite(t_free) and n_free > 0
    assert t_weak > t_free + 10.0 and 0 < n_weak < n_free  # weak inhibition delays and thins firing
    assert n_strong == 0  # strong inhibition prevents it
