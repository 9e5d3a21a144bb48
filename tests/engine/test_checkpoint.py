"""Checkpoint at half time → resume → exactly the spikes of an uninterrupted run."""

from __future__ import annotations

import numpy as np
import pytest

import soen
from soen.circuits import default_table
from soen.hardware import Hardware

TABLE = default_table()


def busy_net():
    net = soen.Network()
    net.add_population("exc", 150, soen.tree_neuron((2, 4)))
    net.add_source(soen.PoissonSource("drive", 150, rate_hz=50e6))
    net.connect("drive", "exc", soen.FixedInDegree(4), weight=1.0)
    net.connect("exc", "exc", soen.FixedInDegree(8), weight=soen.Uniform(0.2, 0.8), delay_ns=soen.Uniform(1.0, 6.0))
    return net


@pytest.mark.parametrize("photonic", [False, True])
def test_resume_gives_the_uninterrupted_spikes(tmp_path, photonic):
    net = busy_net()
    hw = Hardware(photons_per_spike=3000.0, dark_count_rate_hz=1e5) if photonic else None
    kw = dict(seed=4, table=TABLE, hardware=hw, record=("exc", [0, 1], "all"), record_every_ns=0.5)
    full = soen.simulate(net, 1500.0, **kw)
    ck = tmp_path / "half.npz"
    half = soen.simulate(net, 750.0, checkpoint=ck, **kw)
    assert half.spike_ids.size > 100
    rest = soen.simulate(net, 1500.0, resume=ck, **kw)
    assert rest.metadata["resumed_from_ns"] == pytest.approx(750.0)
    np.testing.assert_array_equal(full.spike_times_ns, rest.spike_times_ns)
    np.testing.assert_array_equal(full.spike_ids, rest.spike_ids)
    np.testing.assert_array_equal(full.traces_s, rest.traces_s)
    np.testing.assert_allclose(full.fluxons, rest.fluxons, rtol=0, atol=0)
    assert full.counts == rest.counts


def test_resume_refuses_a_different_network(tmp_path):
    net = busy_net()
    ck = tmp_path / "ck.npz"
    soen.simulate(net, 100.0, seed=1, table=TABLE, checkpoint=ck)
    with pytest.raises(ValueError, match="different network, seed"):
        soen.simulate(net, 200.0, seed=2, table=TABLE, resume=ck)
    (tmp_path / "junk.npz").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable soen checkpoint"):
        soen.simulate(net, 200.0, seed=1, table=TABLE, resume=tmp_path / "junk.npz")
