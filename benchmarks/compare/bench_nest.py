"""NEST side: ``.venv/nest/bin/python bench_nest.py CASE``.

Models: COBA ``iaf_cond_exp`` (integrated by NEST with GSL's adaptive Runge–Kutta–Fehlberg 4(5);
NEST offers no fixed-step scheme for it, so compare with soen's ``rk4`` and ``exponential_euler`` —
both are reported), Brunel ``iaf_psc_delta`` (exact integration; jumps in mV, inputs discarded while
refractory). One thread (like Brian2 here).
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import nest  # noqa: E402
import numpy as np  # noqa: E402
from _common import BRUNEL, CASES, COBA, DT_MS, emit, parse, peak_mb  # noqa: E402


def coba(n, fixed, rng):
    c = COBA
    ne = int(0.8 * n)
    params = dict(
        C_m=c["C_m_pF"],
        g_L=c["g_L_nS"],
        E_L=c["E_L_mV"],
        V_th=c["V_th_mV"],
        V_reset=c["V_reset_mV"],
        t_ref=c["t_ref_ms"],
        tau_syn_ex=c["tau_ex_ms"],
        tau_syn_in=c["tau_in_ms"],
        E_ex=c["E_ex_mV"],
        E_in=c["E_in_mV"],
        I_e=c["I_e_pA"],
    )
    P = nest.Create("iaf_cond_exp", n, params=params)
    P.set(
        V_m=list(rng.uniform(*c["V0_mV"], n)),
        g_ex=list(np.clip(rng.normal(*c["gex0_nS"], n), 0, None)),
        g_in=list(np.clip(rng.normal(*c["gin0_nS"], n), 0, None)),
    )
    Pe, Pi = P[:ne], P[ne:]
    for pre, w, k in ((Pe, c["w_ex_nS"], c["K_E"]), (Pi, -c["w_in_nS"], c["K_I"])):
        conn = (
            dict(rule="fixed_indegree", indegree=k, allow_autapses=False, allow_multapses=False)
            if fixed
            else dict(rule="pairwise_bernoulli", p=c["p"], allow_autapses=False)
        )
        if fixed:
            for post in (Pe, Pi):
                nest.Connect(pre, post, conn, dict(weight=w, delay=c["delay_ms"]))
        else:
            nest.Connect(pre, P, conn, dict(weight=w, delay=c["delay_ms"]))
    return P


def brunel(rng):
    b = BRUNEL
    n = b["N_E"] + b["N_I"]
    params = dict(
        C_m=1.0,
        tau_m=b["tau_ms"],
        t_ref=b["t_ref_ms"],
        E_L=0.0,
        V_th=b["theta_mV"],
        V_reset=b["V_r_mV"],
        refractory_input=False,
    )
    P = nest.Create("iaf_psc_delta", n, params=params)
    P.set(V_m=list(rng.uniform(0.0, b["theta_mV"], n)))
    Pe, Pi = P[: b["N_E"]], P[b["N_E"] :]
    pg = nest.Create("poisson_generator", params=dict(rate=b["C_E"] * b["nu_ext_hz"]))
    nest.Connect(pg, P, syn_spec=dict(weight=b["J_mV"], delay=b["D_ms"]))
    for pre, w, k in ((Pe, b["J_mV"], b["C_E"]), (Pi, -b["g"] * b["J_mV"], b["C_I"])):
        for post in (Pe, Pi):
            nest.Connect(
                pre,
                post,
                dict(rule="fixed_indegree", indegree=k, allow_autapses=False, allow_multapses=False),
                dict(weight=w, delay=b["D_ms"]),
            )
    return P


def main():
    a = parse()
    case = CASES[a.case]
    t_import = time.perf_counter() - T0
    t0 = time.perf_counter()
    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:  # NEST < 3.10
        nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus(dict(resolution=DT_MS, local_num_threads=1, rng_seed=a.seed + 1, print_time=False))
    rng = np.random.default_rng(a.seed)
    if case["model"] == "coba":
        P = coba(case["n"], case["fixed_indegree"], rng)
        method = "iaf_cond_exp: GSL RKF45 adaptive (NEST's only scheme)"
    else:
        P = brunel(rng)
        method = "iaf_psc_delta: exact"
    sr = nest.Create("spike_recorder")
    nest.Connect(P, sr)
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    nest.Simulate(a.duration_ms)
    t_sim = time.perf_counter() - t1
    spikes = int(sr.n_events)
    n = case["n"]
    emit(
        simulator="nest",
        case=a.case,
        method=method,
        n=n,
        duration_ms=a.duration_ms,
        build_s=round(t_build, 3),
        sim_s=round(t_sim, 3),
        total_s=round(time.perf_counter() - t0 + t_import, 3),
        import_s=round(t_import, 3),
        spikes=spikes,
        rate_hz=round(spikes / n / (a.duration_ms * 1e-3), 3),
        synapses=int(nest.GetKernelStatus("num_connections")),
        peak_mb=round(peak_mb(), 1),
        threads=1,
        note="build = create + connect; sim = nest.Simulate (includes its prepare step)",
    )


if __name__ == "__main__":
    main()
