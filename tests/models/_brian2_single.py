"""Run by tests/models/test_vs_brian2.py inside the Brian2 virtual environment (not imported by pytest).

Reads a JSON job from stdin, simulates single neurons with Brian2 (runtime, numpy target) and prints
JSON: spike times (ms) per scenario. Input spike times are given in Brian2's stamps (soen's − dt).
Refractory periods are t_ref + dt: Brian2 counts them from its stamp t_n of a spike found in step n,
soen and NEST from t_{n+1}; with the extra step both hold V for the same steps.
"""

import json
import sys

import numpy as np
from brian2 import (
    Mohm,
    Network,
    NeuronGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    Synapses,
    defaultclock,
    ms,
    mV,
    nA,
    nS,
    pA,
    pF,
    prefs,
    start_scope,
)

prefs.codegen.target = "numpy"
job = json.load(sys.stdin)
dt = job["dt_ms"] * ms
T = job["duration_ms"] * ms
out = {}

def constant_drive(key, eqs, method, namespace, v0, refractory=True):
    """One neuron under constant input: its spike times (ms) into out[key]. With ``refractory`` the
    group holds v for job[key]["t_ref_ms"] + dt (Brian2 counts from its earlier stamp)."""
    start_scope()
    defaultclock.dt = dt
    p = job[key]
    extra = dict(refractory=(p["t_ref_ms"] + job["dt_ms"]) * ms) if refractory else {}
    ns = dict(v_th=p["v_th_mV"] * mV, v_reset=p["v_reset_mV"] * mV, I0=p["i_nA"] * nA, **namespace)
    G = NeuronGroup(1, eqs, threshold="v >= v_th", reset="v = v_reset", method=method, namespace=ns, **extra)
    G.v = v0 * mV
    M = SpikeMonitor(G)
    Network(G, M).run(T)
    out[key] = list(np.asarray(M.t / ms))


# 1. LIF, constant current, exact integration, refractory
p = job["lif"]
constant_drive(
    "lif",
    "dv/dt = (v_leak - v + R*I0)/tau : volt (unless refractory)",
    "exact",
    dict(v_leak=p["v_leak_mV"] * mV, R=p["r_MOhm"] * Mohm, tau=p["tau_ms"] * ms),
    p["v_leak_mV"],
)

# 2. conductance-based LIF (COBA), exponential Euler, exc/inh input spikes
start_scope()
defaultclock.dt = dt
p = job["coba"]
eqs = """dv/dt = (gL*(EL - v) + ge*(Ee - v) + gi*(Ei - v) + Ie)/C : volt (unless refractory)
dge/dt = -ge/taue : siemens
dgi/dt = -gi/taui : siemens"""
ns = dict(
    gL=10 * nS,
    EL=-60 * mV,
    Ee=0 * mV,
    Ei=-80 * mV,
    C=200 * pF,
    taue=5 * ms,
    taui=10 * ms,
    Ie=p["I_e_pA"] * pA,
    Vt=-50 * mV,
    Vr=-60 * mV,
)
G = NeuronGroup(
    1,
    eqs,
    threshold="v >= Vt",
    reset="v = Vr",
    refractory=(5 + job["dt_ms"]) * ms,
    method="exponential_euler",
    namespace=ns,
)
G.v = -60 * mV
objs = [G]
for key, var, w in (("exc", "ge", p["w_exc_nS"]), ("inh", "gi", p["w_inh_nS"])):
    times = np.asarray(p[key + "_ms"])
    S = SpikeGeneratorGroup(1, np.zeros(times.size, dtype=int), times * ms)
    syn = Synapses(S, G, on_pre=f"{var}_post += {w}*nS", delay=p["delay_ms"] * ms)
    syn.connect()
    objs += [S, syn]
M = SpikeMonitor(G)
Network(*objs, M).run(T)
out["coba"] = list(np.asarray(M.t / ms))

# 3. delta-current LIF (Brunel model A), inputs discarded while refractory
start_scope()
defaultclock.dt = dt
p = job["delta"]
G = NeuronGroup(
    1,
    "dv/dt = -v/tau : volt (unless refractory)",
    threshold="v >= theta",
    reset="v = Vr",
    refractory=(2 + job["dt_ms"]) * ms,
    method="exact",
    namespace=dict(tau=20 * ms, theta=20 * mV, Vr=10 * mV),
)
times = np.asarray(p["times_ms"])
S = SpikeGeneratorGroup(1, np.zeros(times.size, dtype=int), times * ms)
syn = Synapses(S, G, on_pre=f"v_post += {p['J_mV']}*mV*int(not_refractory_post)", delay=p["delay_ms"] * ms)
syn.connect()
M = SpikeMonitor(G)
Network(G, S, syn, M).run(T)
out["delta"] = list(np.asarray(M.t / ms))
# 4. current-based LIF (NIR CubaLIF), constant input, exact integration of the linear 2-d system
#    (no refractory period: Brian2's exact solver cannot integrate the coupled system "unless
#    refractory")
p = job["cuba"]
constant_drive(
    "cuba",
    """dv/dt = (v_leak - v + R*I)/tau_mem : volt
    dI/dt = (w_in*I0 - I)/tau_syn : amp""",
    "exact",
    dict(
        v_leak=p["v_leak_mV"] * mV,
        R=p["r_MOhm"] * Mohm,
        w_in=p["w_in"],
        tau_mem=p["tau_mem_ms"] * ms,
        tau_syn=p["tau_syn_ms"] * ms,
    ),
    p["v_leak_mV"],
    refractory=False,
)

# 5. integrate-and-fire without leak (NIR IF), constant input; forward Euler is exact for a constant
#    right-hand side (Brian2's exact solver refuses dv/dt = const "unless refractory")
constant_drive(
    "if", "dv/dt = R*I0 : volt (unless refractory)", "euler", dict(R=job["if"]["r_mV_per_ms_nA"] * mV / ms / nA), 0.0
)
print(json.dumps(out))
