"""The Song, Miller & Abbott (2000) STDP experiment in Brian2 (run in Brian2's own venv), with the
parameters of ``examples/stdp_song2000.py``: prints one ``RESULT {json}`` line with the fractions of
weights in the top and bottom 10 % of [0, g_max], the output rates and the wall times.

    benchmarks/compare/.venv/brian2/bin/python benchmarks/compare/stdp_song2000_brian2.py [--seconds 100]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=100.0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    t0 = time.perf_counter()
    import brian2 as b

    b.prefs.codegen.target = "cython"
    b.seed(a.seed)
    b.defaultclock.dt = 0.1 * b.ms
    # the names below are read by Brian2 from this namespace (its equations and on_pre/on_post code)
    tau_m, E_L, V_th, V_r, E_ex, tau_ex = 10 * b.ms, -74 * b.mV, -54 * b.mV, -60 * b.mV, 0 * b.mV, 5 * b.ms  # noqa: F841
    g_max = 0.01  # in units of the leak conductance
    a_plus = 0.01 * g_max
    a_minus = 1.05 * a_plus  # noqa: F841
    tau_pre = tau_post = 20 * b.ms  # noqa: F841
    neuron = b.NeuronGroup(1, """dv/dt = (g_ex * (E_ex - v) + E_L - v) / tau_m : volt
                                 dg_ex/dt = -g_ex / tau_ex : 1""",
                           threshold="v >= V_th", reset="v = V_r", method="exponential_euler")
    neuron.v = -60 * b.mV
    inputs = b.PoissonGroup(1000, rates=15 * b.Hz)
    syn = b.Synapses(inputs, neuron,
                     """w : 1
                        dxtrace/dt = -xtrace / tau_pre : 1 (event-driven)
                        dytrace/dt = -ytrace / tau_post : 1 (event-driven)""",
                     on_pre="""g_ex += w
                               w = clip(w - a_minus * ytrace, 0, g_max)
                               xtrace += 1""",
                     on_post="""w = clip(w + a_plus * xtrace, 0, g_max)
                                ytrace += 1""")
    syn.connect()
    syn.w = "rand() * g_max"
    spikes = b.SpikeMonitor(neuron)
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    b.run(a.seconds * b.second)
    t_sim = time.perf_counter() - t1
    w = np.asarray(syn.w) / g_max
    ts = np.asarray(spikes.t / b.second)
    tail = 0.8 * a.seconds
    print("RESULT " + json.dumps(dict(
        simulator="brian2-cython", seconds=a.seconds, top10=float(np.mean(w > 0.9)), bottom10=float(np.mean(w < 0.1)),
        rate_hz=float(ts.size / a.seconds), rate_last_fifth_hz=float(np.count_nonzero(ts >= tail) / (a.seconds - tail)),
        wall_s=round(time.perf_counter() - t0, 2), sim_s=round(t_sim, 2), build_s=round(t_build, 2),
        w_hist=np.histogram(w, bins=20, range=(0, 1))[0].tolist())))


if __name__ == "__main__":
    main()
