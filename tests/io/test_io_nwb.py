"""NWB export (optional extra): spikes and traces round-trip through pynwb."""

from __future__ import annotations

import numpy as np
import pytest

pynwb = pytest.importorskip("pynwb", reason="NWB export needs the optional extra: pip install soen[nwb]")

import soen  # noqa: E402
from soen.io.nwb_export import read_nwb_spikes, to_nwb  # noqa: E402


def test_nwb_round_trip(tmp_path):
    net = soen.Network()
    net.add_population("exc", 20, soen.point_neuron())
    net.add_population("inh", 5, soen.point_neuron())
    net.add_source(soen.PoissonSource("drive", 25, rate_hz=30e6))
    net.connect("drive", "exc", soen.FixedInDegree(1), weight=1.0)
    res = soen.simulate(net, 300.0, seed=2, record=("exc", [0, 1], "soma"), record_every_ns=1.0)
    assert res.spike_ids.size > 10
    path = to_nwb(res, tmp_path / "run.nwb")
    t, i = read_nwb_spikes(path)
    np.testing.assert_array_equal(i, res.spike_ids)
    np.testing.assert_allclose(t, res.spike_times_ns, rtol=0, atol=1e-6)
    from pynwb import NWBHDF5IO

    with NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        assert len(nwb.units) == 25
        assert list(nwb.units["population"][:3]) == ["exc"] * 3
        ts = nwb.acquisition["loop_current_s"]
        np.testing.assert_allclose(np.asarray(ts.data[:]), res.traces_s)
        np.testing.assert_allclose(np.asarray(ts.timestamps[:]) * 1e9, res.trace_times_ns)
