"""Point models (soen.models) against analytic solutions; engine semantics (delays, threads)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import soen
from soen import models

MS = 1e6  # ns per ms
DT = 0.1  # ms


def run_one(neuron, duration_ms, *, record=True, dt_ms=DT, net=None, **kw):
    if net is None:
        net = soen.Network()
        net.add_population(soen.Population("a", 1, neuron=neuron))
    return soen.simulate(net, duration_ms * MS, dt_ns=dt_ms * MS, record="a" if record else None, **kw)


def first_step_at_or_after(t_ms, dt_ms=DT):
    """Grid index of the first t_k >= t (the spike stamp of a threshold crossing at t)."""
    return math.ceil(t_ms / dt_ms - 1e-12)


def test_lif_constant_current_exact():
    tau, r, i0, vl = 12.5, 3.0, 2.0, -1.0
    res = run_one(
        models.LIF(tau_ms=tau, r_MOhm=r, v_leak_mV=vl, v_threshold_mV=1e9, i_offset_nA=i0, v_init_mV=4.0),
        200.0,
    )
    t, v = res.trace(("a", 0, "v"))
    t_ms = t / MS
    ana = vl + r * i0 + (4.0 - vl - r * i0) * np.exp(-t_ms / tau)
    np.testing.assert_allclose(v, ana, rtol=1e-9, atol=0)


def test_lif_first_passage_and_refractory():
    tau, r, i0, th = 10.0, 2.0, 10.0, 15.0
    t_ref = 2.0
    res = run_one(
        models.LIF(tau_ms=tau, r_MOhm=r, v_threshold_mV=th, i_offset_nA=i0, t_ref_ms=t_ref),
        100.0,
        record=False,
    )
    T = -tau * math.log(1 - th / (r * i0))  # 13.86 ms
    k = first_step_at_or_after(T)
    times = res.spike_times_ns / MS
    assert np.isclose(times[0], k * DT)
    # after a spike at step k: held for t_ref, then the same first passage from v_reset = 0
    k_ref = round(t_ref / DT)
    isi_steps = k_ref + first_step_at_or_after(T)
    np.testing.assert_allclose(np.diff(times), isi_steps * DT, rtol=0, atol=1e-9)


def test_lif_euler_is_forward_euler():
    tau, r, i0 = 10.0, 1.0, 3.0
    res = run_one(
        models.LIF(tau_ms=tau, r_MOhm=r, v_threshold_mV=1e9, i_offset_nA=i0, integration="euler"), 5.0
    )
    _, v = res.trace(("a", 0, "v"))
    beta = 1 - DT / tau
    ref = np.array([r * i0 * (1 - beta**n) for n in range(v.size)])
    np.testing.assert_allclose(v, ref, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("ts,tm", [(5.0, 10.0), (10.0, 10.0), (2.0, 20.0)])
def test_cubalif_constant_input_exact(ts, tm):
    r, u, w_in = 2.0, 1.5, 0.7
    res = run_one(
        models.CubaLIF(tau_syn_ms=ts, tau_mem_ms=tm, r_MOhm=r, w_in=w_in, v_threshold_mV=1e9, i_offset_nA=u),
        100.0,
    )
    t, v = res.trace(("a", 0, "v"))
    _, i_syn = res.trace(("a", 0, "v"), "phi")
    t = t / MS
    A = w_in * u
    np.testing.assert_allclose(i_syn, A * (1 - np.exp(-t / ts)), rtol=1e-9, atol=1e-12)
    if ts == tm:
        ana = r * A * (1 - np.exp(-t / tm) - t / tm * np.exp(-t / tm))
    else:
        ana = r * A * (1 - np.exp(-t / tm)) - r * A * ts / (ts - tm) * (np.exp(-t / ts) - np.exp(-t / tm))
    np.testing.assert_allclose(v[1:], ana[1:], rtol=1e-9)


@pytest.mark.parametrize("order", ["simultaneous", "current_first"])
def test_cubalif_euler_orders(order):
    """Forward Euler of CubaLIF: the voltage step uses I_n ("simultaneous") or the already updated
    I_{n+1} ("current_first": snnTorch's Synaptic, mem ← β mem + syn after syn ← α syn + x)."""
    ts, tm, r, w_in, u = 2.0, 5.0, 1.5, 0.8, 1.2
    m = models.CubaLIF(
        ts, tm, r_MOhm=r, w_in=w_in, v_threshold_mV=1e9, i_offset_nA=u, integration="euler", euler_order=order
    )
    res = run_one(m, 3.0)
    _, v = res.trace(("a", 0, "v"))
    _, i_syn = res.trace(("a", 0, "v"), "phi")
    iv, vv = [0.0], [0.0]
    for _ in range(v.size - 1):
        i_new = iv[-1] + DT / ts * (w_in * u - iv[-1])
        i_used = i_new if order == "current_first" else iv[-1]
        vv.append(vv[-1] + DT / tm * (-vv[-1] + r * i_used))
        iv.append(i_new)
    np.testing.assert_allclose(i_syn, iv, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(v, vv, rtol=1e-12, atol=1e-14)


def test_if_and_integrator_linear_growth():
    r, u, th = 0.5, 2.0, 3.3
    res = run_one(models.I(r_mV_per_ms_nA=r, i_offset_nA=u), 10.0)
    t, v = res.trace(("a", 0, "v"))
    np.testing.assert_allclose(v, r * u * t / MS, rtol=1e-12, atol=1e-12)
    res = run_one(models.IF(r_mV_per_ms_nA=r, v_threshold_mV=th, i_offset_nA=u), 20.0, record=False)
    T = th / (r * u)  # 3.3 ms
    steps = first_step_at_or_after(T)
    assert np.isclose(res.spike_times_ns[0] / MS, steps * DT)
    assert np.allclose(np.diff(res.spike_times_ns / MS), steps * DT)


def test_li_never_spikes_and_threshold_unit():
    res = run_one(models.LI(tau_ms=5.0, i_offset_nA=1e6), 5.0)
    assert res.spike_ids.size == 0
    res = run_one(models.Threshold(threshold_nA=1.0, i_offset_nA=1.0), 1.0, record=False)
    assert res.spike_ids.size == 10
    res = run_one(
        models.Threshold(threshold_nA=1.0, i_offset_nA=1.0, threshold_strict=True), 1.0, record=False
    )
    assert res.spike_ids.size == 0


def test_delta_lif_jump_delay_and_decay():
    net = soen.Network()
    net.add_population(soen.Population("a", 1, neuron=models.DeltaLIF(V_init_mV=0.0)))
    net.add_source(soen.SpikeSource("s", times_ns=[[1.0 * MS]]))
    net.connect("s", "a", soen.OneToOne(), weight=0.5, delay_ns=2.0 * MS)
    res = soen.simulate(net, 10 * MS, dt_ns=DT * MS, record="a")
    t, v = res.trace(("a", 0, "v"))
    t = t / MS
    # the jump arrives at t = 1 + 2 ms (applied at the start of that step), then decays with τ = 20 ms
    ana = np.where(t > 3.0 + 1e-9, 0.5 * np.exp(-(t - 3.0) / 20.0), 0.0)
    np.testing.assert_allclose(v, ana, rtol=1e-9, atol=1e-15)


def test_delta_lif_first_passage_with_constant_drive():
    # a regular train of jumps every step is not needed: check threshold/reset/refractory on one big jump
    net = soen.Network()
    net.add_population(soen.Population("a", 1, neuron=models.DeltaLIF()))
    net.add_source(soen.SpikeSource("s", times_ns=[[1.0 * MS, 1.5 * MS, 3.5 * MS]]))
    net.connect("s", "a", soen.OneToOne(), weight=25.0, delay_ns=0.0)
    res = soen.simulate(net, 10 * MS, dt_ns=DT * MS)
    # the first jump crosses θ: spike stamped one step later; the jump at 1.5 ms falls in the 2 ms
    # refractory period (discarded); the one at 3.5 ms makes a second spike
    np.testing.assert_allclose(res.spike_times_ns / MS, [1.1, 3.6])


def test_cond_exp_lif_constant_current_exact_and_first_passage():
    m = models.CondExpLIF(I_e_pA=250.0)  # V_inf = −60 + 25 = −35 mV > V_th
    res = run_one(m, 30.0)
    t, v = res.trace(("a", 0, "v"))
    t = t / MS
    ana = -35.0 + (-60.0 + 35.0) * np.exp(-t / 20.0)
    k0 = first_step_at_or_after(-20.0 * math.log(15.0 / 25.0))  # V reaches −50 mV at 10.2 ms
    np.testing.assert_allclose(v[:k0], ana[:k0], rtol=1e-9)
    assert np.isclose(res.spike_times_ns[0] / MS, k0 * DT)
    # refractory: held at V_reset for 5 ms
    assert np.all(v[k0 : k0 + 50] == -60.0)


def _cond_reference(method, dt_ms):
    net = soen.Network()
    net.add_population(soen.Population("a", 1, neuron=models.CondExpLIF(V_th_mV=0.0, method=method)))
    net.add_source(soen.SpikeSource("s", times_ns=[[1.0 * MS, 3.0 * MS]]))
    net.connect("s", "a", soen.OneToOne(), weight=6.0, delay_ns=0.0, target="exc")
    net.add_source(soen.SpikeSource("i", times_ns=[[6.0 * MS]]))
    net.connect("i", "a", soen.OneToOne(), weight=20.0, delay_ns=0.0, target="inh")
    return soen.simulate(net, 20 * MS, dt_ns=dt_ms * MS, record="a")


def test_cond_exp_lif_synaptic_response_converges():
    fine = _cond_reference("rk4", 0.001)
    tf, vf = fine.trace(0)
    for method, tol in (("rk4", 1e-4), ("exponential_euler", 0.1)):
        res = _cond_reference(method, DT)
        t, v = res.trace(0)
        ref = np.interp(t, tf, vf)
        assert np.max(np.abs(v - ref)) < tol, method
    # depolarised by excitation, hyperpolarised by inhibition
    assert vf.max() > -59.0 and vf.min() < -60.5


def _random_net():
    net = soen.Network()
    exc = models.CondExpLIF(V_init_mV=soen.Uniform(-60.0, -50.0))
    net.add_population(soen.Population("e", 2400, neuron=exc))
    net.add_population(soen.Population("i", 600, neuron=exc))
    net.add_source(soen.PoissonSource("ext", n=3000, rate_hz=300.0))
    net.connect("ext", "e", soen.FromList(np.arange(2400), np.arange(2400)), weight=8.0, target="exc")
    net.connect("ext", "i", soen.FromList(np.arange(2400, 3000), np.arange(600)), weight=8.0, target="exc")
    for pre, w, tgt in (("e", 6.0, "exc"), ("i", 67.0, "inh")):
        for post in ("e", "i"):
            net.connect(pre, post, soen.FixedProbability(0.02), weight=w, target=tgt, delay_ns=0.0)
    return net


def test_results_identical_across_thread_counts(monkeypatch):
    import numba

    from soen.engine import point

    monkeypatch.setattr(point, "_PARALLEL_MIN_NEURONS", 1000)  # use the parallel kernels at this size
    net = _random_net()
    r1 = soen.simulate(net, 50 * MS, dt_ns=DT * MS, seed=3, threads=1)
    r2 = soen.simulate(net, 50 * MS, dt_ns=DT * MS, seed=3, threads=min(2, numba.config.NUMBA_NUM_THREADS))
    assert r1.spike_ids.size > 100
    assert r2.metadata["parallel"] or numba.config.NUMBA_NUM_THREADS == 1
    np.testing.assert_array_equal(r1.spike_ids, r2.spike_ids)
    np.testing.assert_array_equal(r1.spike_times_ns, r2.spike_times_ns)
    assert r1.metadata["bytes_per_synapse"] <= 12


def test_poisson_source_rate_and_determinism():
    net = soen.Network()
    net.add_population(soen.Population("a", 200, neuron=models.IF(v_threshold_mV=1e9)))
    net.add_source(soen.PoissonSource("p", n=200, rate_hz=1000.0))
    net.connect("p", "a", soen.OneToOne(), weight=1.0)
    r = soen.simulate(net, 100 * MS, dt_ns=DT * MS, seed=1)
    assert abs(r.counts["input_spikes"] / (200 * 0.1 * 1000.0) - 1) < 0.05
    r2 = soen.simulate(net, 100 * MS, dt_ns=DT * MS, seed=1)
    assert r.counts == r2.counts


def test_validation():
    with pytest.raises(ValueError, match="tau_ms"):
        models.LIF(tau_ms=0.0)
    with pytest.raises(ValueError, match="integration"):
        models.LIF(integration="rk45")
    with pytest.raises(ValueError, match="method"):
        models.CondExpLIF(method="euler")
    with pytest.raises(ValueError, match="reset"):
        models.IF(reset="hard")
    # shared fields are validated once, in the bases, and the message names the model
    with pytest.raises(ValueError, match=r"CubaLIF\.t_ref_ms must be .*>= 0"):
        models.CubaLIF(t_ref_ms=-1.0)
    with pytest.raises(ValueError, match=r"IF\.reset_timing"):
        models.IF(reset_timing="later")
    with pytest.raises(ValueError, match=r"Threshold\.i_offset_nA"):
        models.Threshold(i_offset_nA=[[0.1]])
    with pytest.raises(ValueError, match=r"LI\.v_leak_mV"):
        models.LI(v_leak_mV=math.nan)
    with pytest.raises(ValueError, match="euler_order"):
        models.CubaLIF(euler_order="current_first")  # needs integration="euler"
    with pytest.raises(TypeError):
        models.LIF(10.0, 2.0)  # only the first parameter is positional (tau_ms, as before)
    assert models.LIF(5.0).tau_ms == 5.0 and models.CubaLIF(2.0, 7.0).tau_mem_ms == 7.0
    net = soen.Network()
    net.add_population(soen.Population("a", 2, neuron=models.LIF()))
    net.connect("a", "a", soen.AllToAll(), target="exc")
    with pytest.raises(ValueError, match="target"):
        soen.simulate(net, MS, dt_ns=DT * MS)
    net = soen.Network()
    net.add_population(soen.Population("a", 2, neuron=models.CondExpLIF()))
    net.connect("a", "a", soen.AllToAll(), target="exc", weight=-1.0)
    with pytest.raises(ValueError, match=">= 0"):
        soen.simulate(net, MS, dt_ns=DT * MS)


def test_same_step_loop_refused():
    def net_with(same):
        net = soen.Network()
        net.add_population(soen.Population("a", 2, neuron=models.LIF()))
        net.add_population(soen.Population("b", 2, neuron=models.LIF()))
        net.connect("a", "b", soen.OneToOne(), delay_ns=0.0, same_step=0 in same)
        net.connect("b", "a", soen.OneToOne(), delay_ns=0.0, same_step=1 in same)
        return net

    soen.simulate(net_with(()), MS, dt_ns=DT * MS)  # causal zero delay: fine
    with pytest.raises(ValueError, match="loop"):
        soen.simulate(net_with((0, 1)), MS, dt_ns=DT * MS)
    r = soen.simulate(net_with((0,)), MS, dt_ns=DT * MS)
    assert r.metadata["phase_order"] == ["a", "b"]


def test_non_finite_state_stops():
    net = soen.Network()
    net.add_population(soen.Population("a", 1, neuron=models.I(i_offset_nA=1e308, r_mV_per_ms_nA=1e10)))
    with pytest.raises(FloatingPointError, match="non-finite"):
        soen.simulate(net, MS, dt_ns=DT * MS)


@pytest.mark.parametrize("parallel", [False, True])
def test_poisson_channels_deliver_the_reference_counts(monkeypatch, parallel):
    """Every Poisson channel path of the kernel — table draw (λ = 0.05 and 2 per step), the normal
    approximation (λ = 800 per step), one target per channel (direct delivery) and two targets (the CSR
    loop), serial and parallel — delivers exactly the counts of ``soen._rng.poisson`` keyed by
    (seed, poisson_input, id(source) ≪ 32 | channel, step), id = the source's stable name id: integrators
    sum them, weighted."""
    import numba

    from soen import _rng
    from soen.engine._connect import name_id
    from soen.engine import point

    if parallel:
        monkeypatch.setattr(point, "_PARALLEL_MIN_NEURONS", 1)
    n_steps, seed = 300, 7
    rates = {"low": 500.0, "mid": 20000.0, "big": 8e6}  # Hz; λ = rate · 0.1 ms
    net = soen.Network()
    net.add_population(soen.Population("a", 30, neuron=models.I(r_mV_per_ms_nA=1.0 / DT)))
    for s, (name, rate) in enumerate(rates.items()):
        net.add_source(soen.PoissonSource(name, n=10, rate_hz=rate))
        net.connect(name, "a", soen.FromList(np.arange(10), np.arange(10) + 10 * s), weight=0.5)
    # the "mid" channels also reach a second neuron (two connections: the CSR path)
    net.connect("mid", "a", soen.FromList(np.arange(10), (np.arange(10) + 3) % 10), weight=0.25)
    r = soen.simulate(
        net, n_steps * DT * MS, dt_ns=DT * MS, seed=seed, record=("a", None, "v"),
        record_every_ns=n_steps * DT * MS / 2, threads=2 if parallel else 1,
    )
    assert r.metadata["parallel"] == (parallel and numba.config.NUMBA_NUM_THREADS > 1)
    counts = {
        name: np.array(
            [[_rng.poisson(rate * DT * 1e-3, seed, 1, (name_id(name) << 32) | c, n) for n in range(n_steps)]
             for c in range(10)]
        )
        for s, (name, rate) in enumerate(rates.items())
    }
    expected = np.concatenate([0.5 * counts[k].sum(axis=1) for k in rates])
    expected[:10] += 0.25 * counts["mid"].sum(axis=1)[(np.arange(10) - 3) % 10]
    # v after n_steps steps: a run one step longer samples it at step n_steps (before that step's inputs)
    r_end = soen.simulate(
        net, (n_steps + 1) * DT * MS, dt_ns=DT * MS, seed=seed, record=("a", None, "v"),
        record_every_ns=n_steps * DT * MS, threads=2 if parallel else 1,
    )
    v_end = r_end.traces_s[1]
    np.testing.assert_allclose(v_end, expected, rtol=1e-12)
    assert counts["low"].sum() > 50 and abs(counts["big"].mean() / 800.0 - 1) < 0.01
    assert r.counts["input_spikes"] == sum(int(c[:, : n_steps].sum()) for c in counts.values())
