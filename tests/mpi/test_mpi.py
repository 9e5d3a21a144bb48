"""The MPI engine: spikes, traces and counts identical for any number of ranks and threads (the
reference: the 1-rank run), the CPU engine where the order of events within a step cannot matter,
partial builds that together are the whole network, checkpoints across ranks.

Runs are launched as ``mpiexec -n P python3 child.py`` subprocesses; skipped without mpi4py or
mpiexec."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason="the MPI engine needs mpi4py (pip install 'soen[mpi]')")

CHILD = Path(__file__).with_name("child.py")
MPIEXEC = shutil.which("mpiexec", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
needs_mpiexec = pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec on PATH (pip install mpich)")


def launch(tmp_path, n_ranks, net, *args, name=None):
    """Run child.py on ``n_ranks`` ranks; rank 0's npz."""
    out = tmp_path / (name or f"{net}-{n_ranks}-{'-'.join(a.strip('-') for a in args)}.npz")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = [MPIEXEC, "-n", str(n_ranks), sys.executable, str(CHILD), net, str(out), *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert p.returncode == 0, f"{' '.join(cmd)} failed:\n{p.stderr[-4000:]}"
    return load(out)


def load(path):
    z = np.load(path)
    d = {k: z[k] for k in ("t", "i", "s", "phi", "fluxons")}
    d.update(counts=json.loads(str(z["counts"])), inputs=json.loads(str(z["inputs"])),
             stats=json.loads(str(z["stats"])), parallel=bool(z["parallel"]))
    return d


def assert_identical(a, b):
    assert a["t"].size > 100  # a busy network: the comparison means something
    np.testing.assert_array_equal(a["t"], b["t"])
    np.testing.assert_array_equal(a["i"], b["i"])
    np.testing.assert_array_equal(a["s"], b["s"])
    np.testing.assert_array_equal(a["phi"], b["phi"])
    np.testing.assert_array_equal(a["fluxons"], b["fluxons"])
    assert a["counts"] == b["counts"]
    assert a["inputs"] == b["inputs"]


@needs_mpiexec
def test_two_ranks_give_the_one_rank_run_bit_for_bit_with_photonic_noise(tmp_path):
    # photon counts, emission times and jitter, dark counts, thermal noise, junction and τ spread
    one = launch(tmp_path, 1, "photonic")
    two = launch(tmp_path, 2, "photonic")
    assert one["counts"]["dark_counts"] > 0 and one["counts"]["photons_detected"] > 0
    assert two["stats"]["ranks"] == 2 and two["stats"]["exchanges"] > 10
    assert_identical(one, two)


@needs_mpiexec
def test_one_rank_equals_the_cpu_engine_where_event_order_cannot_matter(tmp_path):
    # one synapse per dendrite: the order of events within a step cannot change a sum
    mpi = launch(tmp_path, 1, "sparse")
    import child_ref

    cpu = child_ref.run_cpu("sparse")
    assert_identical(cpu, mpi)


@needs_mpiexec
@pytest.mark.slow
@pytest.mark.parametrize("net", ["rec", "photonic"])
@pytest.mark.parametrize("n_ranks, threads", [(2, 1), (3, 1), (4, 1), (1, 2), (2, 2)])
def test_any_ranks_and_threads_give_the_one_rank_run(tmp_path, net, n_ranks, threads):
    ref = launch(tmp_path, 1, net, name="ref.npz")
    run = launch(tmp_path, n_ranks, net, "--threads", str(threads))
    assert run["parallel"] == (threads > 1)  # (parallel_min_dendrites=0: the threaded kernel is used)
    assert_identical(ref, run)


@needs_mpiexec
@pytest.mark.slow
def test_one_rank_agrees_with_the_cpu_engine_to_round_off(tmp_path):
    import child_ref

    cpu = child_ref.run_cpu("rec")
    mpi = launch(tmp_path, 1, "rec")
    np.testing.assert_array_equal(cpu["t"], mpi["t"])
    np.testing.assert_array_equal(cpu["i"], mpi["i"])
    np.testing.assert_allclose(cpu["s"], mpi["s"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(cpu["fluxons"], mpi["fluxons"], rtol=1e-9)


@needs_mpiexec
@pytest.mark.slow
@pytest.mark.parametrize("args", [("--partition", "blocks"), ("--heun",)])
def test_other_partitions_and_integrators(tmp_path, args):
    ref = launch(tmp_path, 1, "photonic", *args, name="ref.npz")
    assert_identical(ref, launch(tmp_path, 3, "photonic", *args))


@needs_mpiexec
@pytest.mark.slow
def test_checkpoint_on_two_ranks_resumes_to_the_uninterrupted_run(tmp_path):
    full = launch(tmp_path, 2, "photonic", name="full.npz")
    ck = tmp_path / "ck.npz"
    launch(tmp_path, 2, "photonic", "--duration", "300", "--checkpoint", str(ck), name="half.npz")
    rest = launch(tmp_path, 2, "photonic", "--resume", str(ck), name="rest.npz")
    assert_identical(full, rest)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    p = subprocess.run([MPIEXEC, "-n", "3", sys.executable, str(CHILD), "photonic", str(tmp_path / "x.npz"),
                        "--resume", str(ck)], capture_output=True, text=True, timeout=600, env=env)
    assert p.returncode != 0 and "engine differs" in p.stderr and "ranks=2" in p.stderr


def test_bad_options_are_refused_before_any_run():
    from child import network

    import soen

    with pytest.raises(ValueError, match="partition must be one of"):
        soen.engines.MPI(partition="random")
    with pytest.raises(ValueError, match="threads must be an integer"):
        soen.engines.MPI(threads=0)
    with pytest.raises(ValueError, match=r"partition as an array must hold one integer rank per neuron \(shape \(61,\)\)"):
        soen.engines.MPI(partition=np.zeros(5, dtype=int)).compile(network("rec"))
    plastic = network("sparse")
    plastic.connect("a", "a", soen.FixedInDegree(2), weight=0.1, plasticity=soen.STDP())
    with pytest.raises(ValueError, match=r"does not run plastic projections yet \(plasticity= on a->a"):
        soen.engines.MPI().simulate(plastic, 10.0)
    # the engine compiles its own part on every rank: a compiled network is refused (tests/mpi/test_simulate_entry.py)
    with pytest.raises(TypeError, match="pass the soen.Network"):
        soen.simulate(soen.compile(network("sparse"), dt_ns=0.1), 10.0, engine=soen.engines.MPI())


def test_the_epoch_is_the_shortest_possible_event_delay_plus_one_step():
    from child import hardware, network

    import soen
    from soen.engine._mpi import Z_MAX, min_event_delay_steps

    net = network("photonic")
    c = soen.compile(net, dt_ns=0.1, seed=1, hardware=hardware("photonic"))
    n = c.n_neurons
    e = int(c.structure["out_ptr"][n])
    jit = np.asarray(c.params["out_jitter_ns"][:e]) / 0.1
    nominal = np.asarray(c.structure["out_delay"][:e], dtype=np.int64)
    # the kernel: d + floor(emission + jitter·z + 0.5), emission ≥ 0, |z| ≤ 8.652 (53-bit Box–Muller)
    assert 8.65 < Z_MAX < 8.66
    worst = nominal + np.floor(-8.6525 * jit + 0.5).astype(np.int64)
    assert min_event_delay_steps(c) == max(0, int(worst.min())) < int(nominal.min())
    ideal = soen.compile(net, dt_ns=0.1, seed=1)
    assert min_event_delay_steps(ideal) == int(np.asarray(ideal.structure["out_delay"][:int(
        ideal.structure["out_ptr"][n])]).min()) == 10  # the shortest delay, 1 ns


@needs_mpiexec
@pytest.mark.slow
def test_a_results_file_written_by_rank_0_holds_the_run(tmp_path):
    import soen

    mem = launch(tmp_path, 2, "photonic", name="mem.npz")
    h5 = tmp_path / "run.h5"
    filed = launch(tmp_path, 2, "photonic", "--output", str(h5), name="filed.npz")
    assert_identical(mem, filed)
    back = soen.io.load(h5)
    np.testing.assert_array_equal(back.spike_ids, mem["i"])
    np.testing.assert_array_equal(back.spike_times_ns, mem["t"])
    assert back.complete and back.metadata["engine"] == "mpi-soen|euler|ranks=2|round_robin"
