"""Brian2 side: ``.venv/brian2/bin/python bench_brian2.py CASE --variant cython|cpp_standalone``.

Integration pinned: COBA ``method="exponential_euler"`` (soen's default for CondExpLIF is the same
scheme), Brunel ``method="exact"``. Refractory periods are t_ref + dt because Brian2 counts them from
its stamp t_n of a spike found in step n while soen and NEST count from t_{n+1} (same model then;
see docs/models.md). Brian2 runs single-threaded.
"""

from __future__ import annotations

import os
import tempfile
import time

T0 = time.perf_counter()

import numpy as np  # noqa: E402
from _common import BRUNEL, CASES, COBA, DT_MS, emit, parse, peak_mb  # noqa: E402
from brian2 import (  # noqa: E402
    Hz,
    Network,
    NeuronGroup,
    PoissonInput,
    SpikeMonitor,
    Synapses,
    defaultclock,
    device,
    ms,
    mV,
    nS,  # noqa: E402
    pA,
    pF,
    prefs,
    seed,
    set_device,
)


def fixed_indegree(rng, n_pre, n_post, k, same):
    """Pre indices (k per post neuron, distinct, no autapse when ``same``) and post indices."""
    pre = np.empty((n_post, k), dtype=np.int64)
    for j in range(n_post):
        avail = n_pre - (1 if same else 0)
        p = rng.choice(avail, size=k, replace=False)
        if same:
            p = p + (p >= j)
        pre[j] = p
    return pre.ravel(), np.repeat(np.arange(n_post), k)


def coba(n, fixed, rng):
    c = COBA
    ne = int(0.8 * n)
    eqs = """dv/dt = (gL*(EL - v) + ge*(Ee - v) + gi*(Ei - v) + Ie)/Cm : volt (unless refractory)
    dge/dt = -ge/taue : siemens
    dgi/dt = -gi/taui : siemens"""
    ns = dict(
        gL=c["g_L_nS"] * nS,
        EL=c["E_L_mV"] * mV,
        Ee=c["E_ex_mV"] * mV,
        Ei=c["E_in_mV"] * mV,
        Cm=c["C_m_pF"] * pF,
        taue=c["tau_ex_ms"] * ms,
        taui=c["tau_in_ms"] * ms,
        Ie=c["I_e_pA"] * pA,
        Vt=c["V_th_mV"] * mV,
        Vr=c["V_reset_mV"] * mV,
        we=c["w_ex_nS"] * nS,
        wi=c["w_in_nS"] * nS,
    )
    P = NeuronGroup(
        n,
        eqs,
        threshold="v >= Vt",
        reset="v = Vr",
        refractory=(c["t_ref_ms"] + DT_MS) * ms,
        method="exponential_euler",
        namespace=ns,
    )
    P.v = f"({c['V0_mV'][0]} + rand()*{c['V0_mV'][1] - c['V0_mV'][0]})*mV"
    P.ge = f"clip({c['gex0_nS'][0]} + randn()*{c['gex0_nS'][1]}, 0, inf)*nS"
    P.gi = f"clip({c['gin0_nS'][0]} + randn()*{c['gin0_nS'][1]}, 0, inf)*nS"
    Pe, Pi = P[:ne], P[ne:]
    syns = []
    for pre, off, var, w, k in ((Pe, 0, "ge", "we", c["K_E"]), (Pi, ne, "gi", "wi", c["K_I"])):
        S = Synapses(pre, P, on_pre=f"{var}_post += {w}", delay=c["delay_ms"] * ms, namespace=ns)
        if fixed:
            i_all, j_all = [], []
            for post_off, n_post in ((0, ne), (ne, n - ne)):
                same = post_off == off
                i, j = fixed_indegree(rng, len(pre), n_post, k, same)
                i_all.append(i)
                j_all.append(j + post_off)
            S.connect(i=np.concatenate(i_all), j=np.concatenate(j_all))
        else:
            S.connect(condition=f"i + {off} != j", p=c["p"])
        syns.append(S)
    return P, syns


def brunel(rng):
    b = BRUNEL
    n = b["N_E"] + b["N_I"]
    ns = dict(
        tau=b["tau_ms"] * ms,
        theta=b["theta_mV"] * mV,
        Vr=b["V_r_mV"] * mV,
        J=b["J_mV"] * mV,
        JI=-b["g"] * b["J_mV"] * mV,
    )
    P = NeuronGroup(
        n,
        "dv/dt = -v/tau : volt (unless refractory)",
        threshold="v >= theta",
        reset="v = Vr",
        refractory=(b["t_ref_ms"] + DT_MS) * ms,
        method="exact",
        namespace=ns,
    )
    P.v = f"rand()*{b['theta_mV']}*mV"
    Pe, Pi = P[: b["N_E"]], P[b["N_E"] :]
    syns = []
    for pre, off, w, k in ((Pe, 0, "J", b["C_E"]), (Pi, b["N_E"], "JI", b["C_I"])):
        S = Synapses(
            pre, P, on_pre=f"v_post += {w}*int(not_refractory_post)", delay=b["D_ms"] * ms, namespace=ns
        )
        i_all, j_all = [], []
        for post_off, n_post in ((0, b["N_E"]), (b["N_E"], b["N_I"])):
            i, j = fixed_indegree(rng, len(pre), n_post, k, post_off == off)
            i_all.append(i)
            j_all.append(j + post_off)
        S.connect(i=np.concatenate(i_all), j=np.concatenate(j_all))
        syns.append(S)
    ext = PoissonInput(P, "v", N=b["C_E"], rate=b["nu_ext_hz"] * Hz, weight="J*int(not_refractory)")
    return P, syns + [ext]


def main():
    a = parse()
    case = CASES[a.case]
    variant = a.variant or "cython"
    t_import = time.perf_counter() - T0
    t0 = time.perf_counter()
    if variant == "cpp_standalone":
        set_device("cpp_standalone", directory=tempfile.mkdtemp(prefix="soen_b2_"), build_on_run=True)
        prefs.devices.cpp_standalone.openmp_threads = 0
    else:
        prefs.codegen.target = "cython"
    defaultclock.dt = DT_MS * ms
    seed(a.seed)
    rng = np.random.default_rng(a.seed)
    if case["model"] == "coba":
        P, objs = coba(case["n"], case["fixed_indegree"], rng)
        method = "exponential_euler"
    else:
        P, objs = brunel(rng)
        method = "exact"
    M = SpikeMonitor(P)
    t_setup = time.perf_counter() - t0
    t1 = time.perf_counter()
    Network(P, *objs, M).run(a.duration_ms * ms)
    t_run_call = time.perf_counter() - t1
    sim = float(device._last_run_time)  # the main loop only (both modes)
    spikes = int(M.num_spikes)
    total = time.perf_counter() - t0 + t_import
    n = case["n"]
    emit(
        simulator=f"brian2-{variant}",
        case=a.case,
        method=method,
        n=n,
        duration_ms=a.duration_ms,
        build_s=round(total - t_import - sim, 3),
        sim_s=round(sim, 3),
        total_s=round(total, 3),
        import_s=round(t_import, 3),
        setup_s=round(t_setup, 3),
        run_call_s=round(t_run_call, 3),
        spikes=spikes,
        rate_hz=round(spikes / n / (a.duration_ms * 1e-3), 3),
        peak_mb=round(peak_mb(), 1),
        threads=1,
        cython_cache=os.environ.get("SOEN_B2_CACHE_STATE", "?"),
        note="build = everything but the main loop (code generation, compilation, connect)",
    )


if __name__ == "__main__":
    main()
