"""Point-model (LIF) networks on the MPI engine: spikes (times and ids), traces and counts
bit-identical to the single-process ``soen.simulate`` (the independent reference, run in this
process on the CPU engine) for any number of ranks and threads, on Brunel-type networks
(excitatory + inhibitory LIF, Poisson drive, drawn or fixed delays, a clock source). Partial builds
(``compile_point_part``, what each rank compiles) are checked against the whole build."""

from __future__ import annotations

import numpy as np
import pytest
from point_nets import brunel

import soen
from soen.engine.point import compile_point, compile_point_part

DT_NS = 1e5  # 0.1 ms


def rows_of(c, owned, n_glob):
    """(sender node, local type, global post, delay, weight) of every connection of a build, sorted."""
    st = c.structure
    n = c.n_neurons
    tgt = st["out_tgt"].astype(np.int64)
    if "snd_ids" in st:  # a partial build: neuron senders by snd_ptr, channel j by out_ptr[n + j]
        snd = np.repeat(st["snd_ids"].astype(np.int64), np.diff(st["snd_ptr"]))
        ptr = st["out_ptr"][n:]
        src = np.repeat(st["src_nodes"], np.diff(ptr))
        sender = np.concatenate([snd, src])
    else:
        sender = np.repeat(np.arange(st["out_ptr"].size - 1), np.diff(st["out_ptr"]))
    rows = np.stack([sender, tgt // n, owned[tgt % n], st["out_d"].astype(np.int64),
                     c.params["out_w"].astype(np.float64)], axis=1)
    return rows


@pytest.mark.parametrize("name", ["brunel", "brunel_fast"])
@pytest.mark.parametrize("partition", ["round_robin", "blocks"])
def test_partial_builds_together_are_the_whole_network_in_each_senders_order(name, partition):
    from soen.engine._mpi import partition_ranks

    net = brunel(name)
    full = compile_point(net, dt_ns=DT_NS, seed=3)
    n = full.n_neurons
    ref = rows_of(full, np.arange(n), n)
    rank_of = partition_ranks(net, 3, partition)
    got = []
    for r in range(3):
        owned = np.flatnonzero(rank_of == r)
        c = compile_point_part(net, dt_ns=DT_NS, seed=3, owned=owned, input_share=(r, 3))
        assert c.n_neurons == owned.size and c.meta["n_neurons_total"] == n
        np.testing.assert_array_equal(c.params["v0"], full.params["v0"][owned])
        part = rows_of(c, owned, n)
        got.append(part)
        # the connections of each sender onto this part keep the whole build's order (sums into a
        # ring slot are then formed in the same order)
        keep = np.isin(ref[:, 2], owned)
        mine = ref[keep]
        for s in np.unique(mine[:, 0])[:40]:
            np.testing.assert_array_equal(part[part[:, 0] == s][:, 2:], mine[mine[:, 0] == s][:, 2:])
        # every channel j ≡ r (mod 3) is drawn here (counted by one rank at least)
        n_in = c.meta["n_nodes_total"] - n
        assert set(range(r, n_in, 3)) <= set((c.structure["src_nodes"] - n).tolist())
    got = np.concatenate(got)
    o_ref, o_got = np.lexsort(ref.T[::-1]), np.lexsort(got.T[::-1])
    np.testing.assert_array_equal(got[o_got], ref[o_ref])
    assert got.shape[0] == full.n_synapses > 20000


def test_the_epoch_and_when_inputs_are_pushed_after_the_exchange():
    from soen.engine._mpi import point_epoch

    # neuron delays 16 (1.5 ms + the stamp step), Poisson 15: kernel pushes would allow D = 1 only
    assert point_epoch([16], [15]) == (15, "defer")
    # drive with 0.1 ms (1 step): no neuron delay lies in (1, 1 + D) for D ≤ 15: the kernel pushes it
    assert point_epoch([16, 20], [1]) == (15, "kernel")
    assert point_epoch([11, 12, 25], [1]) == (10, "kernel")
    assert point_epoch([11, 12, 25], [15]) == (11, "defer")
    assert point_epoch([16], []) == (16, "kernel")
    assert point_epoch([], [3]) == (None, "kernel")
    assert point_epoch([16], [0, 30]) == (16, "kernel")  # a gap of 16 ≥ D; 30 ≥ every neuron delay
    assert point_epoch([16], [0, 10]) == (6, "kernel")  # 16 − 10: D ≤ 6 (defer: D ≤ 0)


def test_partial_builds_refuse_what_they_cannot_split():
    net = brunel("brunel")
    with pytest.raises(ValueError, match="owned: neuron ids must be sorted and distinct"):
        compile_point_part(net, dt_ns=DT_NS, seed=1, owned=[3, 1])
    with pytest.raises(ValueError, match=r"owned: neuron ids must lie in 0\.\.499, got 0\.\.500"):
        compile_point_part(net, dt_ns=DT_NS, seed=1, owned=[0, 500])
    with pytest.raises(ValueError, match=r"input_share must be \(rank, n_ranks\)"):
        compile_point_part(net, dt_ns=DT_NS, seed=1, owned=[0], input_share=(2, 2))
    plastic = brunel("brunel")
    plastic.connect("e", "e", soen.FixedInDegree(2), weight=0.1, plasticity=soen.STDP())
    with pytest.raises(ValueError, match=r"does not support plastic projections yet \(plasticity= on e->e\)"):
        compile_point_part(plastic, dt_ns=DT_NS, seed=1, owned=[0, 1])
    same = brunel("brunel")
    same.connect("e", "i", soen.FixedInDegree(2), weight=0.1, same_step=True)
    with pytest.raises(ValueError, match=r"same-step projections between neurons \(e->i\)"):
        compile_point_part(same, dt_ns=DT_NS, seed=1, owned=[0, 1])


def test_the_mpi_engine_refuses_plastic_point_networks():
    pytest.importorskip("mpi4py", reason="the MPI engine needs mpi4py")
    plastic = brunel("brunel")
    plastic.connect("e", "e", soen.FixedInDegree(2), weight=0.1, plasticity=soen.STDP())
    with pytest.raises(ValueError, match=r"does not run plastic projections yet \(plasticity= on e->e"):
        soen.engines.MPI().simulate(plastic, 1e6, dt_ns=DT_NS)


# ---- runs under mpiexec -------------------------------------------------------------------------
try:
    from test_mpi import assert_identical, launch, needs_mpiexec
except pytest.skip.Exception:  # (no mpi4py: test_mpi skips itself at import)
    needs_mpiexec = pytest.mark.skip(reason="the MPI engine needs mpi4py")


@pytest.fixture(scope="module")
def reference():
    """The single-process soen.simulate runs (CPU engine), one per network."""
    import child_ref

    cache = {}

    def get(name, duration_ns=None):
        if (name, duration_ns) not in cache:
            cache[name, duration_ns] = child_ref.run_cpu(name, duration_ns)
        return cache[name, duration_ns]

    return get


@needs_mpiexec
def test_two_ranks_give_the_single_process_run_bit_for_bit(tmp_path, reference):
    run = launch(tmp_path, 2, "brunel", "--duration", "1.5e8")  # 150 ms
    assert run["stats"]["ranks"] == 2 and run["stats"]["delivery"] == "defer"
    assert run["stats"]["exchanges"] > 100 and run["stats"]["bytes_sent"] <= 8 * run["stats"]["spikes_exchanged"]
    ref = reference("brunel", 1.5e8)
    assert ref["t"].size / 500 / 0.15 > 5  # a busy network (Hz per neuron)
    assert_identical(ref, run)


@needs_mpiexec
@pytest.mark.slow
@pytest.mark.parametrize("name", ["brunel", "brunel_fast"])
@pytest.mark.parametrize("n_ranks, threads", [(1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (3, 2), (4, 1), (4, 2)])
def test_any_ranks_and_threads_give_the_single_process_run(tmp_path, reference, name, n_ranks, threads):
    run = launch(tmp_path, n_ranks, name, "--threads", str(threads))
    assert run["parallel"] == (threads > 1)  # (parallel_min_neurons=0: the threaded kernel is used)
    assert run["stats"]["delivery"] == ("kernel" if name == "brunel_fast" else "defer")
    assert_identical(reference(name), run)


@needs_mpiexec
@pytest.mark.slow
def test_fixed_delays_and_block_partition(tmp_path, reference):
    run = launch(tmp_path, 3, "brunel_fixed", "--partition", "blocks")
    assert run["stats"]["epoch_steps"] == 15
    assert_identical(reference("brunel_fixed"), run)


@needs_mpiexec
@pytest.mark.slow
def test_a_checkpoint_on_two_ranks_resumes_to_the_uninterrupted_run(tmp_path, reference):
    ck = tmp_path / "ck.npz"
    launch(tmp_path, 2, "brunel", "--duration", "1.234e8", "--checkpoint", str(ck), name="half.npz")  # mid-epoch
    rest = launch(tmp_path, 2, "brunel", "--resume", str(ck), name="rest.npz")
    assert_identical(reference("brunel"), rest)
