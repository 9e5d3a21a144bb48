"""Shared definitions of the benchmark networks (plain numbers; no simulator imports).

COBA: Brette et al., J. Comput. Neurosci. 23, 349 (2007), benchmark 1 (after Vogels & Abbott 2005):
N = 4000 (80 % exc, 20 % inh), p = 2 %, C_m = 200 pF, g_L = 10 nS, E_L = −60 mV, V_th = −50 mV,
V_reset = −60 mV, t_ref = 5 ms, τ_ex = 5 ms, τ_in = 10 ms, E_ex = 0 mV, E_in = −80 mV, Δg_ex = 6 nS,
Δg_in = 67 nS (Brian2's example writes them relative to g_L: 0.6 and 6.7), a constant bias
I_e = 200 pA (the example's I = 20 mV · g_L; without it the activity dies out within ~100 ms);
V(0) ~ U(−60, −50) mV, g_ex(0) ~ N(40, 15) nS, g_in(0) ~ N(200, 120) nS, clipped at 0. Scaled versions keep
the in-degree of N = 4000 fixed (K_E = 64, K_I = 16). All synaptic delays 0.1 ms (NEST's minimum at
dt = 0.1 ms). No autapses.

Brunel model A: Brunel, J. Comput. Neurosci. 8, 183 (2000): N_E = 8000, N_I = 2000, in-degree C_E = 1000,
C_I = 250 (fixed), J = 0.1 mV, g = 5 (J_I = −0.5 mV), D = 1.5 ms, τ = 20 ms, θ = 20 mV, V_r = 10 mV,
τ_rp = 2 ms, external Poisson drive ν_ext = η ν_thr with η = 2, ν_thr = θ / (J C_E τ) = 10 Hz, i.e.
C_E ν_ext = 20 kHz of jumps J per neuron; V(0) ~ U(0, 20) mV.
"""

from __future__ import annotations

import json
import resource
import sys

DT_MS = 0.1

COBA = dict(
    C_m_pF=200.0,
    g_L_nS=10.0,
    E_L_mV=-60.0,
    V_th_mV=-50.0,
    V_reset_mV=-60.0,
    t_ref_ms=5.0,
    tau_ex_ms=5.0,
    tau_in_ms=10.0,
    E_ex_mV=0.0,
    E_in_mV=-80.0,
    w_ex_nS=6.0,
    w_in_nS=67.0,
    p=0.02,
    K_E=64,
    K_I=16,
    delay_ms=0.1,
    I_e_pA=200.0,
    V0_mV=(-60.0, -50.0),
    gex0_nS=(40.0, 15.0),
    gin0_nS=(200.0, 120.0),
)
BRUNEL = dict(
    N_E=8000,
    N_I=2000,
    C_E=1000,
    C_I=250,
    J_mV=0.1,
    g=5.0,
    D_ms=1.5,
    tau_ms=20.0,
    theta_mV=20.0,
    V_r_mV=10.0,
    t_ref_ms=2.0,
    eta=2.0,
)
BRUNEL["nu_thr_hz"] = BRUNEL["theta_mV"] / (BRUNEL["J_mV"] * BRUNEL["C_E"] * BRUNEL["tau_ms"] * 1e-3)
BRUNEL["nu_ext_hz"] = BRUNEL["eta"] * BRUNEL["nu_thr_hz"]

CASES = {
    "coba4000": dict(model="coba", n=4000, fixed_indegree=False),
    "coba16000": dict(model="coba", n=16000, fixed_indegree=True),
    "coba64000": dict(model="coba", n=64000, fixed_indegree=True),
    "brunel10000": dict(model="brunel", n=10000),
}


def peak_mb() -> float:
    """Peak resident memory of this process and its children (MB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0


def emit(**row) -> None:
    print("RESULT " + json.dumps(row), flush=True)


def parse(argv=None):
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--duration-ms", type=float, default=1000.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--variant", default="")
    return ap.parse_args(argv if argv is not None else sys.argv[1:])
