"""Export to neo: one SpikeTrain per neuron with the Result's spikes, traces as AnalogSignals."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

import soen
from soen.io import load, to_neo

neo = pytest.importorskip("neo")
pq = pytest.importorskip("quantities")


def test_spiketrains_match_the_result(result):
    block = to_neo(result)
    seg = block.segments[0]
    assert len(seg.spiketrains) == result.n_neurons
    counts = result.spike_counts()
    for gid, st in enumerate(seg.spiketrains):
        assert st.annotations["global_id"] == gid
        assert len(st) == counts[gid]
        np.testing.assert_array_equal(
            st.rescale(pq.ns).magnitude, result.spike_times_ns[result.spike_ids == gid]
        )
        assert float(st.t_stop.rescale(pq.ns)) == result.duration_ns
    assert [g.name for g in block.groups] == list(result.populations)
    assert len(block.groups[1].spiketrains) == result.populations["inh"][1]
    assert seg.spiketrains[result.populations["inh"][0]].annotations == {
        "population": "inh",
        "neuron": 0,
        "global_id": result.populations["inh"][0],
    }


def test_traces_become_analog_signals(result):
    sig_s, sig_phi = to_neo(result).segments[0].analogsignals
    assert sig_s.name == "s" and sig_phi.name == "phi" and sig_phi.annotations["unit"] == "Phi0"
    assert sig_s.shape == result.traces_s.shape
    np.testing.assert_array_equal(sig_phi.magnitude, result.traces_phi)
    assert float(sig_s.sampling_period.rescale(pq.ns)) == pytest.approx(0.5)
    assert sig_s.units == pq.dimensionless
    assert list(sig_s.array_annotations["dendrite"][:2]) == [
        result.trace_labels[0][2],
        result.trace_labels[1][2],
    ]


def test_incomplete_file_exports_up_to_its_end(tmp_path):
    from soen.io import ResultWriter

    path = tmp_path / "part.h5"
    with ResultWriter(
        path,
        network={},
        run=dict(duration_ns=1000.0, dt_ns=0.1, seed=0, integrator="euler"),
        populations={"p": (0, 2)},
        trace_labels=[],
        n_traces=0,
    ) as w:
        w.append_spikes(np.array([3.0, 7.0]), np.array([1, 1]), t_end_ns=10.0)
    block = to_neo(load(path))
    sts = block.segments[0].spiketrains
    assert [len(s) for s in sts] == [0, 2] and float(sts[1].t_stop) == 10.0
    assert block.annotations["soen_complete"] is False


def test_elephant_reads_it(result):
    stats = pytest.importorskip("elephant.statistics")
    st = to_neo(result).segments[0].spiketrains[0]
    rate = stats.mean_firing_rate(st).rescale("Hz").magnitude
    assert rate == pytest.approx(result.rates_hz()[0])


def test_missing_neo_names_the_extra(monkeypatch, result):
    real_import = builtins.__import__

    def fake(name, *args, **kwargs):
        if name == "neo" or name.startswith("neo."):
            raise ImportError("no neo here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(ImportError, match=r"pip install soen\[io\]"):
        to_neo(result)


def test_rejects_non_results():
    with pytest.raises(TypeError, match="soen.Result"):
        to_neo(soen.Network())
