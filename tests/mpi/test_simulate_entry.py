"""soen.simulate(network, engine=soen.engines.MPI()) hands the network to the partitioned engine (one
rank here: the same spikes as the CPU engine on a network whose event order cannot matter)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import soen

pytest.importorskip("mpi4py", reason="the MPI engine needs the optional extra soen[mpi] (mpi4py, mpich)")


def test_simulate_hands_the_network_to_the_mpi_engine():
    net = soen.Network()
    net.add_population("a", 30, soen.point_neuron())
    net.add_source(soen.RegularSource("d", 30, period_ns=20.0))
    net.connect("d", "a", soen.OneToOne(), weight=1.0)
    net.connect("a", "a", soen.FixedInDegree(3), weight=0.05, delay_ns=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = soen.simulate(net, 300.0, seed=2, engine=soen.engines.MPI())
        ref = soen.simulate(net, 300.0, seed=2)
    assert r.spike_ids.size > 50
    np.testing.assert_array_equal(r.spike_ids, ref.spike_ids)
    np.testing.assert_array_equal(r.spike_times_ns, ref.spike_times_ns)
    with pytest.raises(TypeError, match="pass the soen.Network"):
        soen.simulate(soen.compile(net, dt_ns=0.1), 10.0, engine=soen.engines.MPI())
