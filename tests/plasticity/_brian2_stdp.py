"""Run by tests/plasticity/test_stdp_vs_brian2.py inside the Brian2 virtual environment (not imported by
pytest). Reads a JSON job from stdin: scenarios, each one synapse between two spike generators (given
pre and post spike times, a delay on the presynaptic pathway) with pair STDP written here from the
equations of Song, Miller & Abbott (2000) and Morrison, Diesmann & Gerstner (2008); prints JSON: the
final weight of each scenario.

Traces are Brian2 event-driven variables (decayed exactly to the current time before each update);
``on_pre`` runs before ``on_post`` within a time step (Brian2's pathway order).
"""

import json
import sys

import numpy as np
from brian2 import Network, SpikeGeneratorGroup, Synapses, defaultclock, ms, prefs, start_scope


def main():
    job = json.loads(sys.stdin.read())
    prefs.codegen.target = "numpy"
    start_scope()
    defaultclock.dt = job["dt_ms"] * ms
    sc = job["scenarios"]
    n = len(sc)

    def group(key):
        ids = np.concatenate([np.full(len(s[key]), k) for k, s in enumerate(sc)]).astype(int)
        times = np.concatenate([np.asarray(s[key], dtype=float) for s in sc])
        return SpikeGeneratorGroup(n, ids, times * ms)

    pre, post = group("pre_ms"), group("post_ms")
    model = """w : 1
               a_p : 1 (constant)
               a_m : 1 (constant)
               w_lo : 1 (constant)
               w_hi : 1 (constant)
               mult : 1 (constant)
               near : 1 (constant)
               tau_p : second (constant)
               tau_m : second (constant)
               dx/dt = -x / tau_p : 1 (event-driven)
               dy/dt = -y / tau_m : 1 (event-driven)"""
    # depression at the presynaptic arrival from the postsynaptic trace, then the pre trace; potentiation
    # at the postsynaptic spike from the presynaptic trace, then the post trace; hard bounds
    on_pre = """w = clip(w - a_m * y * (mult * (w - w_lo) + (1 - mult)), w_lo, w_hi)
                x = near + (1 - near) * (x + 1)"""
    on_post = """w = clip(w + a_p * x * (mult * (w_hi - w) + (1 - mult)), w_lo, w_hi)
                 y = near + (1 - near) * (y + 1)"""
    syn = Synapses(pre, post, model, on_pre=on_pre, on_post=on_post)
    syn.connect(j="i")
    syn.w = [s["w0"] for s in sc]
    syn.a_p = [s["a_plus"] for s in sc]
    syn.a_m = [s["a_minus"] for s in sc]
    syn.w_lo = [s["w_min"] for s in sc]
    syn.w_hi = [s["w_max"] for s in sc]
    syn.mult = [float(s["form"] == "multiplicative") for s in sc]
    syn.near = [float(s["pairing"] == "nearest") for s in sc]
    syn.tau_p = [s["tau_plus_ms"] for s in sc] * ms
    syn.tau_m = [s["tau_minus_ms"] for s in sc] * ms
    syn.pre.delay = [s["delay_ms"] for s in sc] * ms
    net = Network(pre, post, syn)
    net.run(job["duration_ms"] * ms)
    print(json.dumps({"w": np.asarray(syn.w).tolist()}))


if __name__ == "__main__":
    main()
