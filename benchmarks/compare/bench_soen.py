"""soen side of the comparison: ``python3 bench_soen.py CASE [--variant rk4] [--threads N]``."""

from __future__ import annotations

import time

T0 = time.perf_counter()

import numpy as np  # noqa: E402
from _common import BRUNEL, CASES, COBA, DT_MS, emit, parse, peak_mb  # noqa: E402

import soen  # noqa: E402
from soen import models  # noqa: E402

MS = 1e6
THREADS = int(__import__("os").environ.get("SOEN_BENCH_THREADS", "1"))  # Brian2 and NEST run single-threaded


def coba(n: int, fixed_indegree: bool, method: str) -> soen.Network:
    c = COBA
    m = models.CondExpLIF(
        C_m_pF=c["C_m_pF"],
        g_L_nS=c["g_L_nS"],
        E_L_mV=c["E_L_mV"],
        V_th_mV=c["V_th_mV"],
        V_reset_mV=c["V_reset_mV"],
        t_ref_ms=c["t_ref_ms"],
        tau_syn_ex_ms=c["tau_ex_ms"],
        tau_syn_in_ms=c["tau_in_ms"],
        E_ex_mV=c["E_ex_mV"],
        E_in_mV=c["E_in_mV"],
        I_e_pA=c["I_e_pA"],
        V_init_mV=soen.Uniform(*c["V0_mV"]),
        g_ex_init_nS=soen.Normal(*c["gex0_nS"], low=0.0),
        g_in_init_nS=soen.Normal(*c["gin0_nS"], low=0.0),
        method=method,
    )
    net = soen.Network()
    ne = int(0.8 * n)
    net.add_population(soen.Population("e", ne, neuron=m))
    net.add_population(soen.Population("i", n - ne, neuron=m))
    for pre, w, tgt, k in (("e", c["w_ex_nS"], "exc", c["K_E"]), ("i", c["w_in_nS"], "inh", c["K_I"])):
        for post in ("e", "i"):
            conn = soen.FixedInDegree(k) if fixed_indegree else soen.FixedProbability(c["p"])
            net.connect(pre, post, conn, weight=w, target=tgt, delay_ns=c["delay_ms"] * MS)
    return net


def brunel() -> soen.Network:
    b = BRUNEL
    m = models.DeltaLIF(
        tau_m_ms=b["tau_ms"],
        theta_mV=b["theta_mV"],
        V_reset_mV=b["V_r_mV"],
        t_ref_ms=b["t_ref_ms"],
        V_init_mV=soen.Uniform(0.0, b["theta_mV"]),
    )
    net = soen.Network()
    n = b["N_E"] + b["N_I"]
    net.add_population(soen.Population("e", b["N_E"], neuron=m))
    net.add_population(soen.Population("i", b["N_I"], neuron=m))
    net.add_source(soen.PoissonSource("ext", n=n, rate_hz=b["C_E"] * b["nu_ext_hz"]))
    net.connect(
        "ext",
        "e",
        soen.FromList(np.arange(b["N_E"]), np.arange(b["N_E"])),
        weight=b["J_mV"],
        delay_ns=b["D_ms"] * MS,
    )
    net.connect(
        "ext",
        "i",
        soen.FromList(np.arange(b["N_E"], n), np.arange(b["N_I"])),
        weight=b["J_mV"],
        delay_ns=b["D_ms"] * MS,
    )
    for pre, w, k in (("e", b["J_mV"], b["C_E"]), ("i", -b["g"] * b["J_mV"], b["C_I"])):
        for post in ("e", "i"):
            net.connect(pre, post, soen.FixedInDegree(k), weight=w, delay_ns=b["D_ms"] * MS)
    return net


def warm_net(net: soen.Network) -> soen.Network:
    w = soen.Network()
    for name, p in net.populations.items():
        w.add_population(soen.Population(name, 100, neuron=p.neuron))
    if net.sources:
        w.add_source(soen.PoissonSource("ext", n=10, rate_hz=100.0))
    for pr in net.projections:
        conn = soen.OneToOne() if pr.pre == "ext" else soen.FixedProbability(0.1)
        w.connect(
            "ext" if pr.pre == "ext" else pr.pre,
            pr.post,
            conn if pr.pre != "ext" else soen.FixedProbability(0.1),
            weight=pr.weight,
            delay_ns=pr.delay_ns,
            target=pr.target,
        )
    return w


def main():
    a = parse()
    case = CASES[a.case]
    cold = a.variant == "cold"  # run_compare.py points NUMBA_CACHE_DIR at an empty directory
    method = ("" if cold else a.variant) or ("exponential_euler" if case["model"] == "coba" else "exact")
    t_import = time.perf_counter() - T0
    t0 = time.perf_counter()
    net = coba(case["n"], case["fixed_indegree"], method) if case["model"] == "coba" else brunel()
    # warm-up: 10 steps of a 200-neuron network of the same models trigger (or load from the
    # on-disk cache) the JIT compilation of the kernels
    tw = time.perf_counter()
    soen.simulate(warm_net(net), 10 * DT_MS * MS, dt_ns=DT_MS * MS, seed=a.seed, threads=THREADS)
    t_jit = time.perf_counter() - tw
    res = soen.simulate(net, a.duration_ms * MS, dt_ns=DT_MS * MS, seed=a.seed, threads=THREADS)
    t_build = res.timing["compile_s"]
    t_sim = res.timing["run_s"]
    total = time.perf_counter() - t0
    n = res.n_neurons
    emit(
        simulator="soen",
        case=a.case,
        method=method,
        n=n,
        duration_ms=a.duration_ms,
        build_s=round(t_build, 3),
        jit_s=round(t_jit, 3),
        sim_s=round(t_sim, 3),
        total_s=round(total + t_import, 3),
        import_s=round(t_import, 3),
        spikes=int(res.spike_ids.size),
        rate_hz=round(res.spike_ids.size / n / (a.duration_ms * 1e-3), 3),
        synapses=res.metadata["n_synapses"],
        bytes_per_synapse=res.metadata["bytes_per_synapse"],
        synapse_mb=round(res.metadata["synapse_bytes"] / 2**20, 2),
        peak_mb=round(peak_mb(), 1),
        threads=THREADS,
        numba_cache="cold" if cold else "warm",
        note="total = import + JIT warm-up (tiny network) + build + sim",
    )


if __name__ == "__main__":
    main()
