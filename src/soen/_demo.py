"""``soen demo``: a showcase network of SOEN loop neurons with dendritic trees, driven by Poisson light
(excitatory and inhibitory trees, within the fan-in limit)."""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path



def build_demo_network(n_exc: int = 240, n_inh: int = 60):
    """An excitatory–inhibitory network of SOEN neurons that respects the fan-in limit everywhere.

    Both populations are 3-then-9 dendritic trees. Every coupling is J = ½ / (3 s_max), with
    s_max = i_b − i_c(½) the largest loop current of a child: three children at their maximum apply
    exactly Φ0/2 to their parent, never more (PS21a's fan-in limit; no ``FanInWarning``). Each leaf
    receives one synapse of weight 1 (peak flux ½). Such a tree passes on strong activity only, so the
    somas spike at s = 0.25 (instead of 0.5). Excitatory trees are driven by Poisson light on their nine
    leaves; each inhibitory tree listens to nine excitatory neurons; each excitatory soma receives two
    inhibitory synapses of weight −0.25 (down to −¼ Φ0), i.e. feedback inhibition."""
    import soen
    from soen.circuits.rate_table import default_table

    dend = soen.Dendrite()
    s_max = dend.bias - float(default_table().i_c(0.5))
    J = 0.5 / (3 * s_max)
    soma = soen.Soma(threshold=0.25)
    net = soen.Network()
    net.add_population("exc", n_exc, soen.tree_neuron((3, 9), coupling=J, dendrite=dend, soma=soma))
    net.add_population("inh", n_inh, soen.tree_neuron((3, 9), coupling=J, dendrite=dend, soma=soma))
    net.add_source(soen.PoissonSource("drive", n_exc, rate_hz=20e6))
    net.connect("drive", "exc", soen.FixedInDegree(9), weight=1.0, delay_ns=0.0)
    net.connect("exc", "inh", soen.FixedInDegree(9), weight=1.0, delay_ns=soen.Uniform(1.0, 5.0))
    net.connect("inh", "exc", soen.FixedInDegree(2), weight=-0.25, delay_ns=2.0, target="soma")
    return net


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="soen_demo", help="output folder (default: ./soen_demo)")
    p.add_argument("--duration-ns", type=float, default=2000.0, help="simulated time in ns (default 2000)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--n-exc", type=int, default=240, help="excitatory neurons (default 240)")


def _figure(res, path: Path) -> None:
    """Raster on top, then the recorded loop currents and fluxes (``soen.plot.spikes``)."""
    from matplotlib.figure import Figure

    from soen.plot.spikes import plot_raster, plot_traces

    fig = Figure(figsize=(10, 9), layout="constrained")
    ax_r, ax_s, ax_phi = fig.subplots(3, 1, height_ratios=(2, 1, 1))
    plot_raster(res, ax=ax_r)
    plot_traces(res, axes=(ax_s, ax_phi))
    ax_s.axhline(0.25, color="k", ls=":", lw=0.8)  # the soma threshold of the demo network
    fig.savefig(path, dpi=110)


def main(args) -> int:
    import soen

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    net = build_demo_network(args.n_exc, max(1, args.n_exc // 4))
    record = [("exc", [0], ["soma", "L1_0", "L2_0", "refractory"]), ("exc", [1], "soma")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", soen.FanInWarning)
        res = soen.simulate(net, args.duration_ns, dt_ns=0.1, seed=args.seed, record=record, record_every_ns=0.5,
                            output=out / "demo_result.h5")
    wall = time.perf_counter() - t0
    n_steps = res.timing["steps"]
    print(res.summary())
    print(f"  total wall time (build + compile + run): {wall:.2f} s; {n_steps:,} steps of "
          f"{res.n_neurons} neurons ({res.metadata['n_dendrites']} dendrites, {res.metadata['n_synapses']} synapses)"
          f" at {n_steps / res.timing['run_s']:,.0f} steps/s")
    fig_path = out / "demo_raster_traces.png"
    _figure(res, fig_path)
    data_path = out / "demo_result.h5"
    for w in caught:
        if issubclass(w.category, soen.FanInWarning):
            print(f"  note (fan-in): {w.message}")
    print(f"  wrote {fig_path} and {data_path} (results file: `soen report {data_path} -o report.html`)")
    return 0
