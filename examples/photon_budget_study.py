"""How many photons must a neuron emit? The same network at decreasing photons per spike.

For each photon budget the network runs with physical links (loss, split, detector efficiency,
Poisson photon counts, jitter, dark counts, device spread) on a grid layout. The figure shows the
fraction of synapse events delivered, the firing rate relative to the ideal network and the
wall-plug power, against photons per spike. Delivery follows 1 − e^(−μ) link by link; the rate does not
simply follow delivery, because this network over-drives its dendrites (see ``build``).

    python examples/photon_budget_study.py            # writes photon_budget_study.png
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

import soen


def build(n: int = 400):
    net = soen.Network()
    # Strong recurrent excitation: 5 synapses per leaf with weights up to 1 can drive a leaf far past
    # Φ0/2, and soen says so (FanInWarning). That is part of the lesson: past ½ the SQUID response folds
    # back, so losing photons can *raise* the firing rate of an over-driven network.
    net.add_population("exc", n, soen.tree_neuron((2, 4), coupling=0.6))
    net.add_source(soen.PoissonSource("drive", n, rate_hz=20e6))
    net.connect("drive", "exc", soen.FixedInDegree(2), weight=1.0)
    net.connect("exc", "exc", soen.FixedInDegree(20), weight=soen.Uniform(0.4, 1.0), delay_ns=1.0)
    return net


def main(out: str = "photon_budget_study.png", duration_ns: float = 1000.0) -> None:
    net = build()
    layout = soen.Layout.grid(net.n_neurons, pitch_um=111.1)
    ideal = soen.simulate(net, duration_ns, seed=1, hardware=soen.Hardware(ideal=True))
    photons = np.logspace(1.5, 4.5, 9)
    delivered, rate_ratio, wall_W = [], [], []
    for n_ph in photons:
        hw = soen.Hardware(photons_per_spike=float(n_ph))
        res = soen.simulate(net, duration_ns, seed=1, hardware=hw, layout=layout)
        sent = res.counts["events"] + res.counts["lost"] + res.counts["dead_time_drops"]
        delivered.append((sent - res.counts["lost"]) / max(sent, 1))
        rate_ratio.append(res.spike_ids.size / max(ideal.spike_ids.size, 1))
        wall_W.append(res.energy_ledger().to_dict()["power_wall_W"])
        print(f"{n_ph:9.0f} photons/spike: delivered {delivered[-1]:6.1%}, rate × {rate_ratio[-1]:.2f} of ideal, "
              f"wall power {wall_W[-1] * 1e3:.3f} mW")
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    ax.semilogx(photons, delivered, "o-", label="synapse events delivered")
    ax.semilogx(photons, rate_ratio, "s-", label="firing rate / ideal")
    ax.set_xlabel("photons emitted per spike")
    ax.set_ylabel("fraction")
    ax.set_ylim(0, max(1.05, 1.1 * max(rate_ratio)))
    ax2 = ax.twinx()
    ax2.loglog(photons, np.array(wall_W) * 1e3, "^-", color="tab:red", label="wall-plug power")
    ax2.set_ylabel("wall-plug power (mW)", color="tab:red")
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], loc="upper left")
    ax.set_title(f"{net.n_neurons} neurons, fan-out 20, {duration_ns:g} ns")
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
