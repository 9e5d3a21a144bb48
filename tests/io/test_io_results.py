"""Results files: round trips, streaming in chunks, incomplete files, bad files."""

from __future__ import annotations

import inspect

import h5py
import numpy as np
import pytest

import soen
from soen.io import ResultWriter, load, network_from_dict, read_info, save_result
from soen.io.results import unit_of


def assert_same_result(a: soen.Result, b: soen.Result) -> None:
    for name in ("spike_times_ns", "spike_ids", "trace_times_ns", "traces_s", "traces_phi", "fluxons"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name)
    for name in (
        "populations",
        "duration_ns",
        "dt_ns",
        "seed",
        "integrator",
        "trace_labels",
        "counts",
        "timing",
        "complete",
        "t_end_ns",
        "message",
        "metadata",
    ):
        assert getattr(a, name) == getattr(b, name), name


def test_save_load_round_trip(result, results_file):
    back = load(results_file)
    assert_same_result(result, back)
    assert back.complete and back.spike_ids.size > 20 and back.traces_s.shape[1] == len(result.trace_labels)


def test_load_without_traces(result, results_file):
    quick = load(results_file, traces=False)
    assert quick.trace_labels == result.trace_labels and quick.traces_s.shape == (0, len(result.trace_labels))
    np.testing.assert_array_equal(quick.spike_ids, result.spike_ids)


def test_info_has_parameters_units_network_and_energy(results_file, network):
    info = read_info(results_file)
    assert info["run"]["dt_ns"] == 0.1 and info["units"]["dt_ns"] == "ns" and info["units"]["seed"] == "1"
    assert info["units"]["integrator"] == ""
    assert info["file"]["format"] == "soen-results" and info["file"]["soen_version"] == soen.__version__
    assert info["energy"]["energy_by_component_J"]["light"] > 0
    rebuilt = network_from_dict(info["network"])
    assert list(rebuilt.populations) == list(network.populations)
    assert len(rebuilt.projections) == len(network.projections)
    with h5py.File(results_file) as f:  # readable with plain h5py, every parameter with its unit
        assert f["run"].attrs["duration_ns"] == 300.0
        assert f["spikes/times_ns"].attrs["unit"] == "ns"
        assert f["traces/phi"].attrs["unit"] == "Phi0"


@pytest.mark.skipif(
    "output" not in inspect.signature(soen.simulate).parameters, reason="soen.simulate has no output= yet"
)
def test_simulate_streams_an_equal_file(network, result, run_kwargs, tmp_path):
    path = tmp_path / "streamed.h5"
    res = soen.simulate(network, 300.0, output=path, **run_kwargs)
    back = load(path)
    np.testing.assert_array_equal(back.spike_times_ns, res.spike_times_ns)
    np.testing.assert_array_equal(back.spike_ids, res.spike_ids)
    np.testing.assert_array_equal(back.traces_phi, res.traces_phi)
    assert back.trace_labels == res.trace_labels and back.counts == res.counts and back.complete
    np.testing.assert_array_equal(back.spike_ids, result.spike_ids)  # same seed, same spikes


def _writer(path, n_traces=2):
    labels = [("p", i, "soma") for i in range(n_traces)]
    return ResultWriter(
        path,
        network={},
        run=dict(duration_ns=100.0, dt_ns=0.1, seed=5, integrator="heun"),
        populations={"p": (0, 3)},
        trace_labels=labels,
        n_traces=n_traces,
    )


def test_writer_appends_in_chunks(tmp_path):
    path = tmp_path / "chunks.h5"
    rng = np.random.default_rng(0)
    times = np.sort(rng.uniform(0, 100, 500)).round(1)
    ids = rng.integers(0, 3, 500)
    tt = np.arange(0, 100, 0.5)
    s, phi = rng.random((tt.size, 2)), rng.random((tt.size, 2))
    with _writer(path) as w:
        for lo, hi in ((0, 7), (7, 7), (7, 300), (300, 500)):
            w.append_spikes(times[lo:hi], ids[lo:hi])
        for lo, hi in ((0, 1), (1, 150), (150, 200)):
            w.append_traces(tt[lo:hi], s[lo:hi], phi[lo:hi])
        w.finish(
            complete=True,
            message="",
            counts={"spikes": 500},
            timing={"run_s": float("inf")},
            fluxons=np.arange(3.0),
            metadata={"note": "x"},
        )
    r = load(path)
    order = np.lexsort((ids, times))
    np.testing.assert_array_equal(r.spike_times_ns, times[order])
    np.testing.assert_array_equal(r.spike_ids, ids[order])
    np.testing.assert_array_equal(r.traces_s, s)
    np.testing.assert_array_equal(r.traces_phi, phi)
    assert r.complete and r.t_end_ns == 100.0 and r.integrator == "heun" and r.seed == 5
    assert r.timing["run_s"] == float("inf") and r.metadata == {"note": "x"}


def test_unfinished_file_loads_as_incomplete(tmp_path):
    path = tmp_path / "unfinished.h5"
    w = _writer(path)
    w.append_spikes(np.array([1.0, 2.0]), np.array([0, 2]))
    w.append_traces(np.array([0.0, 0.5]), np.ones((2, 2)), np.zeros((2, 2)))
    w.close()
    r = load(path)
    assert not r.complete and "not finished" in r.message
    assert r.spike_ids.tolist() == [0, 2] and r.traces_s.shape == (2, 2) and r.t_end_ns == 2.0


def test_interrupted_finish_is_incomplete(tmp_path):
    path = tmp_path / "interrupted.h5"
    with _writer(path) as w:
        w.append_spikes(np.array([1.0]), np.array([1]), t_end_ns=42.0)
        w.finish(
            complete=False,
            message="interrupted at t = 42 ns",
            counts={},
            timing={},
            fluxons=np.zeros(3),
            metadata={},
        )
    r = load(path)
    assert not r.complete and r.message == "interrupted at t = 42 ns" and r.t_end_ns == 42.0


def test_writer_checks_its_inputs(tmp_path):
    with pytest.raises(ValueError, match="integrator"):
        ResultWriter(
            tmp_path / "a.h5",
            network={},
            run=dict(duration_ns=1.0, dt_ns=0.1, seed=0),
            populations={},
            trace_labels=[],
            n_traces=0,
        )
    with pytest.raises(ValueError, match="n_traces"):
        _writer(tmp_path / "b.h5", n_traces=2).__class__(
            tmp_path / "c.h5",
            network={},
            run=dict(duration_ns=1.0, dt_ns=0.1, seed=0, integrator="euler"),
            populations={},
            trace_labels=[("p", 0, "soma")],
            n_traces=2,
        )
    with _writer(tmp_path / "d.h5") as w:
        with pytest.raises(ValueError, match="differ in length"):
            w.append_spikes(np.array([1.0, 2.0]), np.array([0]))
        with pytest.raises(TypeError, match="integers"):
            w.append_spikes(np.array([1.0]), np.array([0.5]))
        with pytest.raises(ValueError, match=r"phi must have shape \(2, 2\)"):
            w.append_traces(np.array([0.0, 1.0]), np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="closed"):
        w.append_spikes(np.array([1.0]), np.array([0]))


def test_unit_of_names():
    assert [unit_of(k) for k in ("dt_ns", "rate_hz", "run_s", "area_um2", "seed")] == [
        "ns",
        "Hz",
        "s",
        "µm²",
        "1",
    ]


def test_bad_files_raise_clear_value_errors(tmp_path, results_file):
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"this is not an HDF5 file at all" * 10)
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(results_file.read_bytes()[: results_file.stat().st_size // 3])
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = np.arange(3)
    wrong_version = tmp_path / "future.h5"
    wrong_version.write_bytes(results_file.read_bytes())
    with h5py.File(wrong_version, "r+") as f:
        f.attrs["format_version"] = 99
    bad_ids = tmp_path / "bad_ids.h5"
    bad_ids.write_bytes(results_file.read_bytes())
    with h5py.File(bad_ids, "r+") as f:
        f["spikes/ids"][0] = 10**6
    cases = [
        (garbage, "not an HDF5"),
        (empty, "not an HDF5"),
        (truncated, "truncated|damaged|unreadable|HDF5"),
        (other, "not a soen results file"),
        (wrong_version, "version 99"),
        (bad_ids, "neuron ids outside"),
    ]
    for path, pattern in cases:
        with pytest.raises(ValueError, match=pattern) as info:
            load(path)
        assert path.name in str(info.value)
    with pytest.raises(ValueError, match="not a soen results file"):
        read_info(other)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.h5")


def test_save_result_refuses_non_results(tmp_path):
    with pytest.raises(TypeError, match="soen.Result"):
        save_result({"spikes": []}, tmp_path / "x.h5")


def test_load_is_reexported():
    import soen.io

    assert soen.io.load is load
