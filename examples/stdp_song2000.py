"""Competitive Hebbian learning through STDP (Song, Miller & Abbott 2000, Nat. Neurosci. 3:919,
doi:10.1038/78829): 1,000 Poisson inputs at 15 Hz onto one conductance-based LIF neuron, with
additive, hard-bounded pair STDP whose depression slightly outweighs potentiation (A− = 1.05 A+).

The weights start uniform in [0, g_max] and end bimodal: most near 0 or near g_max, while the output
rate is pulled down and regulated. The parameters are those of the paper's model as Brian2 also
uses them: τ_m = 10 ms, E_L = −74 mV, V_th = −54 mV, V_reset = −60 mV, E_ex = 0 mV, τ_ex = 5 ms,
g_max = 0.01 g_L, A+ = 0.01 g_max, τ± = 20 ms, dt = 0.1 ms.

    python examples/stdp_song2000.py [out.png] [--seconds 100]     # default: soen_out/stdp_song2000.png
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import soen
from soen import models
from soen.plasticity import STDP

MS = 1e6  # ns per ms
G_L_NS = 10.0
G_MAX_NS = 0.01 * G_L_NS  # g_max = 0.01 in units of the leak conductance
A_PLUS_NS = 0.01 * G_MAX_NS
N_INPUTS, RATE_HZ = 1000, 15.0


def network() -> soen.Network:
    neuron = models.CondExpLIF(C_m_pF=100.0, g_L_nS=G_L_NS, E_L_mV=-74.0, V_th_mV=-54.0, V_reset_mV=-60.0,
                               t_ref_ms=0.0, tau_syn_ex_ms=5.0, E_ex_mV=0.0, V_init_mV=-60.0)
    rule = STDP(tau_plus_ns=20 * MS, tau_minus_ns=20 * MS, a_plus=A_PLUS_NS, a_minus=1.05 * A_PLUS_NS,
                w_min=0.0, w_max=G_MAX_NS, form="additive", pairing="all")
    net = soen.Network()
    net.add_population(soen.Population("out", 1, neuron=neuron))
    net.add_source(soen.PoissonSource("inputs", N_INPUTS, rate_hz=RATE_HZ))
    net.connect("inputs", "out", soen.AllToAll(), weight=soen.Uniform(0.0, G_MAX_NS), delay_ns=0.0,
                target="exc", plasticity=rule)
    return net


def summary(w: np.ndarray, spike_times_s: np.ndarray, duration_s: float, w_max: float) -> dict:
    """The comparison's figures: fractions of the weights in the top and bottom 10 % of [0, w_max], the
    output rate over the whole run and over its last fifth."""
    tail = duration_s * 0.8
    return dict(top10=float(np.mean(w > 0.9 * w_max)), bottom10=float(np.mean(w < 0.1 * w_max)),
                rate_hz=float(spike_times_s.size / duration_s),
                rate_last_fifth_hz=float(np.count_nonzero(spike_times_s >= tail) / (duration_s - tail)))


def run(seconds: float = 100.0, seed: int = 1) -> dict:
    t0 = time.perf_counter()
    snaps = np.linspace(0.0, seconds * 1e3, 11) * MS
    r = soen.simulate(network(), seconds * 1e3 * MS, dt_ns=0.1 * MS, seed=seed, weights_at_ns=snaps)
    wall = time.perf_counter() - t0
    out = summary(r.weights("inputs->out") / G_MAX_NS, r.spike_times_ns / 1e9, seconds, 1.0)
    out.update(simulator="soen", seconds=seconds, wall_s=round(wall, 2), sim_s=round(r.timing["run_s"], 2))
    out["result"] = r
    return out


def figure(res: dict, path: str) -> None:
    from matplotlib.figure import Figure

    r = res["result"]
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    ax = fig.subplots(1, 3)
    snaps = r.weight_snapshots["inputs->out"]
    ax[0].hist(snaps["w"][0] / G_MAX_NS, bins=40, range=(0, 1), alpha=0.5, label="start")
    ax[0].hist(snaps["w"][-1] / G_MAX_NS, bins=40, range=(0, 1), alpha=0.7, label="end")
    ax[0].set(xlabel="w / g_max", ylabel="synapses", title="weights become bimodal")
    ax[0].legend()
    t_s = r.spike_times_ns / 1e9
    bins = np.linspace(0, res["seconds"], 51)
    ax[1].plot(bins[:-1], np.histogram(t_s, bins)[0] / np.diff(bins))
    ax[1].set(xlabel="time (s)", ylabel="output rate (Hz)", title="the rate is regulated")
    ax[2].imshow(snaps["w"].T[np.argsort(snaps["w"][-1])] / G_MAX_NS, aspect="auto", cmap="viridis",
                 extent=(0, res["seconds"], 0, N_INPUTS), origin="lower")
    ax[2].set(xlabel="time (s)", ylabel="synapse (sorted by final w)", title="w / g_max over time")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default="soen_out/stdp_song2000.png")
    ap.add_argument("--seconds", type=float, default=100.0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    res = run(a.seconds, a.seed)
    print(f"soen: {a.seconds:g} s simulated in {res['wall_s']} s; weights in the top 10 %: {res['top10']:.1%}, "
          f"bottom 10 %: {res['bottom10']:.1%}; output rate {res['rate_hz']:.2f} Hz "
          f"(last fifth {res['rate_last_fifth_hz']:.2f} Hz)")
    figure(res, a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
