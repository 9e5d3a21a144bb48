"""The arbor rule on the nine-pixel task: one loop neuron, then a three-neuron winner-take-all layer.

O'Loughlin, Primavera & Shainline (ICONS 2023, doi:10.1145/3589737.3605972) train the flux offsets of
a neuron's dendritic arbor with Δφ_offset,d = η (target − observed spike count) ⟨s_d⟩ and classify three
3 × 3 images (z, v, n) with a single neuron. Here each pixel that is on sends a photon every 25 ns to
its own leaf of a 3-then-9 dendritic tree for 500 ns.

1. One neuron: the targets are 1, 4 and 7 spikes for z, v and n; a sample is classified by the
   nearest target. (Targets it cannot reach, such as 3, 8 and 13 in 500 ns, never converge; 2, 6 and
   10 reach 100 % and then drift away again: pick counts the neuron can produce.)
2. Winner-take-all: three such neurons inhibit each other's somas; the target is 6 spikes for the
   neuron of the sample's class and 0 for the others; a sample is classified by the most active neuron.

The figure shows the accuracy per epoch of both, the spike counts of the single neuron per pattern
over training, and the trained offsets of its arbor.

    python examples/arbor_rule_nine_pixels.py [out.png]      # default: soen_out/arbor_rule_nine_pixels.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import soen
from soen.arbor import ArborRule, fit_arbor, nine_pixel_patterns

DURATION_NS = 500.0
PERIOD_NS = 25.0


def samples():
    t = np.arange(5.0, DURATION_NS - 5.0, PERIOD_NS)
    return [[t if on else np.empty(0) for on in p.ravel()] for p in nine_pixel_patterns().values()]


def network(names, inhibition: float = 0.5):
    net = soen.Network()
    for name in names:
        net.add_population(name, 1, soen.tree_neuron((3, 9), coupling=0.5))
    net.add_source(soen.SpikeSource("px", [np.empty(0)] * 9))
    for name in names:  # pixel i onto leaf i (the sites are filled round-robin)
        net.connect("px", name, soen.FromList(np.arange(9), np.zeros(9, dtype=int)), weight=0.5)
    for a in names:
        for b in names:
            if a != b:
                net.connect(a, b, soen.AllToAll(), weight=-inhibition, target="soma")
    return net


def main(out: str = "soen_out/arbor_rule_nine_pixels.png") -> None:
    rule = ArborRule(eta=0.005, offset_bound=0.5)
    single = fit_arbor(network(["out"]), samples(), [[1.0], [4.0], [7.0]], populations="out", source="px",
                       duration_ns=DURATION_NS, rule=rule, epochs=200, stop_when_converged=False)
    wta_names = ["nz", "nv", "nn"]
    wta = fit_arbor(network(wta_names), samples(), 6.0 * np.eye(3), populations=wta_names, source="px",
                    duration_ns=DURATION_NS, rule=rule, epochs=200, stop_when_converged=False)
    for name, fit in (("one neuron", single), ("winner-take-all", wta)):
        print(f"{name}: 100 % first after epoch {fit.converged_epoch}, final accuracy {fit.accuracy[-1]:.0%}, "
              f"{len(fit.accuracy)} epochs in {fit.wall_s:.1f} s")
    fig = Figure(figsize=(12, 3.6), layout="constrained")
    ax = fig.subplots(1, 3)
    for name, fit in (("one neuron", single), ("winner-take-all", wta)):
        ax[0].plot(np.arange(1, len(fit.accuracy) + 1), 100 * np.array(fit.accuracy), label=name)
    ax[0].set(xlabel="epoch", ylabel="accuracy on z, v, n (%)", ylim=(0, 105), title="arbor rule")
    ax[0].legend()
    counts = np.array(single.counts)[:, :, 0]
    for k, letter in enumerate("zvn"):
        ax[1].plot(np.arange(1, counts.shape[0] + 1), counts[:, k], label=f"{letter} (target {1 + 3 * k})")
    ax[1].set(xlabel="epoch", ylabel="spikes in 500 ns", title="one neuron: spike count per pattern")
    ax[1].legend(loc="center right")
    off = single.d_offset[1:13]  # the arbor of the single neuron: 3 inner dendrites, 9 leaves
    ax[2].bar(np.arange(off.size), off, color=["C0"] * 3 + ["C1"] * 9)
    ax[2].set(xlabel="dendrite (3 inner, 9 leaves)", ylabel="trained flux offset (Φ0)", title="trained arbor")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
