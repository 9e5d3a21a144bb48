"""Dry runs (soen.engines.MPI.dry_run): one rank's share built and stepped on one machine, the
communication model and its fit. References: the partial build of the same rank, the partition of
the MPI engine, a model fitted to data it generated. Needs no MPI."""

from __future__ import annotations

import numpy as np
import pytest
from point_nets import brunel

import soen
from soen.engine.dryrun import CommModel, dry_run, owned_neurons
from soen.engine.point import compile_point_part


def test_the_fit_recovers_a_known_model_and_extrapolates_in_log2_p():
    P = np.array([1, 1, 2, 2, 4, 4, 8])
    B = np.array([0, 8e4, 0, 8e4, 0, 8e4, 1e3])
    t = 3e-6 + 5e-6 * np.log2(P) + 0.2e-9 * B
    m = CommModel.fit(P, B, t, source="synthetic")
    assert m.alpha0_s == pytest.approx(3e-6) and m.alpha_log2_s == pytest.approx(5e-6)
    assert m.beta_s_per_byte == pytest.approx(0.2e-9)
    assert m.epoch_s(1024, 0.0) == pytest.approx(3e-6 + 50e-6)
    assert m.epoch_s(16, 0.0, directed=True) == pytest.approx(3e-6 + 15 * 8e-6)  # (P − 1) pairs
    with pytest.raises(ValueError, match="two or more rank counts"):
        CommModel.fit([2, 2], [0, 1], [1e-6, 2e-6])
    with pytest.raises(ValueError, match="n_ranks must be >= 1"):
        m.epoch_s(0, 0.0)


@pytest.mark.parametrize("partition", ["round_robin", "blocks"])
def test_owned_neurons_is_the_engines_partition(partition):
    from soen.engine._mpi import partition_ranks

    net = brunel("brunel")
    rank_of = partition_ranks(net, 3, partition)
    for r in range(3):
        np.testing.assert_array_equal(owned_neurons(net, 3, r, partition), np.flatnonzero(rank_of == r))
    with pytest.raises(ValueError, match=r"rank must be an integer in 0\.\.2, got 3"):
        owned_neurons(net, 3, 3)


def test_a_dry_run_builds_the_ranks_share_and_predicts_from_it():
    net = brunel("brunel")
    d = soen.engines.MPI.dry_run(net, 4, 1, duration_ns=5e7, warmup_ns=2e7, dt_ns=1e5, seed=5)
    ref = compile_point_part(net, dt_ns=1e5, seed=5, owned=np.arange(1, 500, 4))
    assert (d.neurons_share, d.neurons_built) == (125, 125)
    assert d.synapses_built == ref.n_synapses and d.compiled_bytes == ref.nbytes()
    assert d.bytes_per_synapse == 10.0 and d.epoch_steps == 11 and d.delivery == "defer"
    assert d.epochs == pytest.approx(500 / 11, abs=1)
    # the stand-in makes the whole network's spikes at the local rates
    rate = np.mean(list(d.rates_hz.values()))
    assert 5 < rate < 100
    assert d.spikes_local > 0.5 * 125 * rate * 0.05  # the local neurons keep firing in the measured window
    assert d.spikes_received == pytest.approx(500 * rate * 0.05, rel=0.3)
    model = CommModel(3e-6, 6e-6, 0.15e-9)
    one, four = d.predict(model, 1), d.predict(model)
    assert one["comm_s_per_s"] == 0 and four["comm_s_per_s"] == pytest.approx(
        (1 / 1.1e-3) * (3e-6 + 12e-6 + 0.15e-9 * 8 * d.spikes_per_s() * 1.1e-3 * 3 / 4), rel=1e-9)
    assert one["memory"]["synapses"] == pytest.approx(4 * four["memory"]["synapses"])
    # a sample of the share: what grows with the neurons scales back to the share
    s = dry_run(net, 4, 1, duration_ns=2e7, dt_ns=1e5, seed=5, sample=0.5)
    assert s.neurons_built == 63 and s.scale == pytest.approx(125 / 63)
    assert s.memory()["synapses"] == pytest.approx(four["memory"]["synapses"], rel=0.1)
    with pytest.raises(ValueError, match=r"sample must be a fraction in \(0, 1\]"):
        dry_run(net, 4, 0, duration_ns=1e6, dt_ns=1e5, sample=0)
    with pytest.raises(ValueError, match="dry_run runs point-model networks"):
        dry_run(soen.Network(), 2, 0, duration_ns=1e6)
