"""`soen report` of a results file holding a neuron of 300,000 dendrites finishes in < 10 s (issue 11):
large morphologies are summarised (dendrites, sites and couplings per level), not drawn node by node."""

from __future__ import annotations

import resource
import subprocess
import sys
import time

import numpy as np

import soen
from soen.io import network_to_dict, save_result
from soen.plot.spikes import plot_morphology

N_DENDRITES = 300_000


def big_network_dict() -> dict:
    """A 2-neuron population whose neuron is a 3-level tree of 300,000 dendrites (as a file holds it)."""
    small = soen.Network()
    small.add_population("big", 2, soen.tree_neuron((1,)))
    d = network_to_dict(small)
    neuron = d["populations"][0]["neuron"]
    layers = (100, 3000, N_DENDRITES - 1 - 3100)
    couplings, parents, first = [], [0], 1
    for n in layers:
        level = list(range(first, first + n))
        couplings += [[k, parents[i * len(parents) // n], 0.5] for i, k in enumerate(level)]
        parents, first = level, first + n
    neuron["dendrites"] = [neuron["dendrites"][0]] * (N_DENDRITES - 1)
    neuron["couplings"] = couplings
    neuron["names"] = [f"d{k}" for k in range(1, N_DENDRITES)]
    neuron["synaptic_sites"] = parents
    return d


def test_report_of_a_300k_dendrite_neuron_is_fast(tmp_path):
    res = soen.Result(
        spike_times_ns=np.array([1.0, 2.0, 3.5]),
        spike_ids=np.array([0, 1, 0]),
        populations={"big": (0, 2)},
        duration_ns=10.0,
        dt_ns=0.1,
        seed=0,
        integrator="euler",
    )
    path = save_result(res, tmp_path / "big.h5", network=big_network_dict())
    out = tmp_path / "big.html"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "soen.cli", "report", str(path), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert proc.returncode == 0, proc.stderr
    # CPU time of the whole command (start-up included): the wall time also counts other processes on a
    # shared machine, so it only has to stay reasonable
    assert cpu < 10.0 and wall < 60.0, (cpu, wall)
    html = out.read_text()
    assert "morphology of big" in html and "not drawn" not in html


def test_large_morphologies_are_summarised_small_ones_drawn():
    big = soen.tree_neuron((10, 100, 1000))
    fig = plot_morphology(big)
    assert "summarised" in fig.axes[0].get_title()
    assert "level 3" in [t.get_text() for t in fig.axes[0].get_yticklabels()]
    small = plot_morphology(soen.tree_neuron((3, 9)), title="$x$ <b>")
    assert small.axes[0].get_title() == r"\$x\$ <b>"  # a label from a file is plain text, not mathtext
    assert len(small.axes[0].collections) >= 3
