"""The directed spike exchange of the MPI engine (``soen.engines.MPI(exchange="alltoall")``: every
rank sends each spike only to the ranks that hold connections from its neuron, ``Alltoallv``):
spikes (times and ids), traces and counts bit-identical to ``exchange="allgather"`` and to one
process, on point-model (Brunel-type) and SOEN (photonic noise) networks at 2 and 3 ranks; fewer
bytes on a network with local connectivity; failures stop every rank as with Allgather.

Runs are ``mpiexec -n P python3 child_directed.py`` subprocesses, each running the network once per
exchange mode; skipped without mpi4py or mpiexec."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason="the MPI engine needs mpi4py (pip install 'soen[mpi]')")

from test_mpi import MPIEXEC, assert_identical, load, needs_mpiexec

CHILD = Path(__file__).with_name("child_directed.py")
POINT_NS = 1.5e8  # 150 ms of the point networks (dt 0.1 ms)


def launch(tmp_path, n_ranks, net, modes, *args):
    """Run child_directed.py on ``n_ranks`` ranks, once per mode; {mode: rank 0's run}."""
    prefix = tmp_path / f"{net}-{n_ranks}-{'-'.join(a.strip('-') for a in args)}"
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = [MPIEXEC, "-n", str(n_ranks), sys.executable, str(CHILD), net, str(prefix), ",".join(modes), *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert p.returncode == 0, f"{' '.join(cmd)} failed:\n{p.stderr[-4000:]}"
    out = {}
    for m in modes:
        path = f"{prefix}-{m}.npz"
        d = load(path)
        z = np.load(path)
        d.update(mpi=json.loads(str(z["mpi"])), message=str(z["message"]))
        out[m] = d
    return out


def cpu_run(net_name, duration_ns):
    """The single-process soen.simulate run (CPU engine) of a point network of child_directed.py."""
    import child_directed
    from child import run_kwargs

    import soen

    message = ""
    try:
        res = soen.simulate(child_directed.build(net_name), duration_ns, engine=soen.engines.CPU(threads=1),
                            **run_kwargs("brunel"))
    except FloatingPointError as exc:
        res, message = exc.result, str(exc)
    return dict(t=res.spike_times_ns, i=res.spike_ids, s=res.traces_s, phi=res.traces_phi, fluxons=res.fluxons,
                counts=json.loads(json.dumps(res.counts)),
                inputs={k: v.tolist() for k, v in res.input_counts.items()}, message=message)


def test_a_bad_exchange_is_refused_before_any_run():
    import soen

    for bad in ("alltoallv", "Allgather", None, 2):
        with pytest.raises(ValueError, match=r"exchange must be one of \('allgather', 'alltoall'\), got "
                                             + repr(bad).replace("(", r"\(")):
            soen.engines.MPI(exchange=bad)
    assert soen.engines.MPI(exchange="alltoall").exchange == "alltoall"
    assert "exchange='alltoall'" in repr(soen.engines.MPI(exchange="alltoall"))


@needs_mpiexec
def test_point_network_alltoall_is_allgather_and_the_single_process_run_bit_for_bit(tmp_path):
    import child_ref

    ref = child_ref.run_cpu("brunel", POINT_NS)
    two = launch(tmp_path, 2, "brunel", ["alltoall"], "--duration", str(POINT_NS))
    three = launch(tmp_path, 3, "brunel", ["allgather", "alltoall"], "--duration", str(POINT_NS))
    for run in (two["alltoall"], three["allgather"], three["alltoall"]):
        assert_identical(ref, run)
    a, g = three["alltoall"]["mpi"], three["allgather"]["mpi"]
    assert a["exchange"] == "alltoall" and g["exchange"] == "allgather" and a["ranks"] == 3
    assert a["exchanges"] == g["exchanges"] > 100
    # random connectivity, 50 inputs per neuron: almost every sender has targets on every rank
    assert sum(a["bytes_sent"]) <= sum(g["bytes_sent"])
    for m in (a, g):  # 8 B per spike and receiving rank
        assert m["bytes_sent"] == [8 * n for n in m["spikes_sent"]]
    assert sum(g["spikes_sent"]) == 2 * g["spikes_received"][0]  # every spike to the 2 other ranks


@needs_mpiexec
def test_soen_network_with_photonic_noise_alltoall_is_the_one_rank_run_bit_for_bit(tmp_path):
    one = launch(tmp_path, 1, "photonic", ["allgather"])["allgather"]
    two = launch(tmp_path, 2, "photonic", ["alltoall"])["alltoall"]
    three = launch(tmp_path, 3, "photonic", ["allgather", "alltoall"])
    assert one["counts"]["dark_counts"] > 0 and one["counts"]["photons_detected"] > 0
    for run in (two, three["allgather"], three["alltoall"]):
        assert_identical(one, run)
    a, g = three["alltoall"]["mpi"], three["allgather"]["mpi"]
    assert a["exchange"] == "alltoall" and a["exchanges"] == g["exchanges"] > 10
    # the 13 inhibitory neurons reach only 20 % of the excitatory ones: some ranks need none of them
    assert sum(a["bytes_sent"]) < sum(g["bytes_sent"])
    assert sum(a["spikes_received"]) < sum(g["spikes_received"])
    assert three["alltoall"]["stats"]["send_table_bytes"] > 0 and three["allgather"]["stats"]["send_table_bytes"] == 0


@needs_mpiexec
def test_local_connectivity_sends_far_fewer_bytes_with_the_same_spikes(tmp_path):
    # connections within blocks that partition="blocks" puts on one rank each, plus a few crossing
    ref = cpu_run("local", 1e8)
    runs = launch(tmp_path, 3, "local", ["allgather", "alltoall"], "--partition", "blocks", "--duration", "1e8")
    g, a = runs["allgather"]["mpi"], runs["alltoall"]["mpi"]
    for run in runs.values():
        assert_identical(ref, run)
    assert min(g["bytes_sent"]) > 4000
    for q in range(3):  # each rank sends only the spikes of its 8 crossing neurons, to one rank
        assert 0 < a["bytes_sent"][q] < g["bytes_sent"][q] / 10
        assert a["header_bytes"][q] == g["header_bytes"][q]  # (the header: 48 B per epoch and other rank)
        assert a["spikes_received"][q] < g["spikes_received"][q] / 2
    print(f"\nlocal network, 3 ranks: bytes sent per rank: allgather {g['bytes_sent']}, alltoall {a['bytes_sent']}; "
          f"header bytes {g['header_bytes']}; {g['exchanges']} epochs")


@needs_mpiexec
def test_a_failure_on_another_rank_stops_both_modes_as_the_single_process_run(tmp_path):
    # the overflowing neuron is on rank 1: its flag reaches rank 0 through the epoch header
    ref = cpu_run("blowup", 1e8)
    assert ref["message"] == "non-finite state in neuron x[0] at t = 2.01e+07 ns"
    runs = launch(tmp_path, 2, "blowup", ["allgather", "alltoall"], "--duration", "1e8")
    assert ref["t"].size > 50
    for run in runs.values():
        assert run["message"] == ref["message"]
        for k in ("t", "i", "s", "phi"):  # (counts: the other rank stepped on to the epoch end, in both modes)
            np.testing.assert_array_equal(ref[k], run[k])
    assert runs["allgather"]["counts"] == runs["alltoall"]["counts"]
    assert runs["allgather"]["inputs"] == runs["alltoall"]["inputs"]
