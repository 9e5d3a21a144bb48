"""Property-based fuzzing of the file loaders: random mutations of valid results and network files.

Every example mutates a copy of a valid file (structural HDF5 edits: attributes of any type, datasets
replaced, deleted, resized to 10^10 rows, turned into groups, soft/external links, external storage,
JSON texts replaced; or flipped and truncated bytes; or edits of a network file's JSON tree) and
loads it with ``soen.load``, ``soen.io.read_info`` or ``soen.io.load_network``. The only exceptions
allowed are ValueError, TypeError and OSError (soen's own errors derive from them, one line each);
every example runs under a hard time limit. Examples: the "default" Hypothesis profile, or
``SOEN_HYPOTHESIS_PROFILE=slow`` (10×).
"""

from __future__ import annotations

import json
import pathlib
import shutil
import tempfile

import numpy as np
import pytest
from _hostile import call_allowing, flip_bytes, in_child, json_values, mutate_hdf5
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import soen
from soen.io import ResultWriter, load, load_network, read_info, save_network

FILES = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_BASE = pathlib.Path(tempfile.mkdtemp(prefix="soen-fuzz-"))


def _network() -> soen.Network:
    net = soen.Network()
    net.add_population("exc", 4, soen.tree_neuron((2, 4)))
    net.add_population("inh", 2, soen.exc_inh_neuron())
    net.add_source(soen.SpikeSource("cue", ([1.0, 4.0], [2.0])))
    net.add_source(soen.PoissonSource("drive", 4, rate_hz=2e7))
    net.connect("cue", "exc", soen.FromList(np.array([0, 1]), np.array([0, 3])), weight=np.array([1.0, 0.5]))
    net.connect("drive", "exc", soen.FixedInDegree(2), weight=soen.Uniform(0.2, 0.8))
    net.connect("exc", "inh", soen.FromMatrix(np.ones((4, 2))), weight=None, target="exc0")
    net.connect("inh", "exc", soen.AllToAll(), weight=soen.Normal(-0.3, 0.1, high=0.0), delay_ns=2.0)
    return net


def _results_file() -> pathlib.Path:
    path = _BASE / "base.h5"
    if not path.exists():
        from soen.io.network_io import network_to_dict

        with ResultWriter(
            path,
            network=network_to_dict(_network()),
            run=dict(duration_ns=50.0, dt_ns=0.1, seed=1, integrator="euler"),
            populations={"exc": (0, 4), "inh": (4, 2)},
            trace_labels=[("exc", 0, "soma")],
            n_traces=1,
        ) as w:
            w.append_spikes(np.array([1.0, 2.0, 3.0, 40.0]), np.array([0, 5, 1, 2]))
            w.append_traces(np.arange(0.0, 5.0, 0.5), np.ones((10, 1)), np.zeros((10, 1)))
            w.finish(
                complete=True,
                message="done",
                counts={"spikes": 4},
                timing={"run_s": 0.1},
                fluxons=np.ones(20),
                metadata={},
                energy={"total_energy_J": 1e-15},
            )
    return path


def _network_files() -> tuple[pathlib.Path, pathlib.Path]:
    j, h = _BASE / "base.json", _BASE / "base_net.h5"
    if not j.exists():
        save_network(_network(), j)
        save_network(_network(), h)
    return j, h


def _copy(src: pathlib.Path, tmp: pathlib.Path) -> pathlib.Path:
    dst = tmp / src.name
    shutil.copy(src, dst)
    return dst


def test_the_base_files_load():
    r = load(_results_file())
    assert r.complete and r.spike_ids.size == 4
    assert read_info(_results_file())["network"]["populations"][0]["name"] == "exc"
    for p in _network_files():
        assert list(load_network(p).populations) == ["exc", "inh"]


@FILES
@given(data=st.data())
def test_fuzz_results_file_structure(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = _copy(_results_file(), pathlib.Path(tmp))
        mutate_hdf5(path, data.draw)
        for fn in (load, read_info, lambda p: load(p, traces=False)):
            call_allowing(fn, path)


@FILES
@given(data=st.data())
def test_fuzz_results_file_bytes(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = _copy(_results_file(), pathlib.Path(tmp))
        flip_bytes(path, data.draw)
        for fn in (load, read_info):
            in_child(fn, path)  # a damaged file may crash the HDF5 library itself: in a child process


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


@FILES
@given(data=st.data())
def test_fuzz_network_json(data):
    j, _ = _network_files()
    tree = json.loads(j.read_text())
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.sampled_from(list(_paths(tree))[1:]))
        parent = tree
        for k in where[:-1]:
            parent = parent[k]
        action = data.draw(st.sampled_from(["set", "delete", "add"]))
        if action == "set":
            parent[where[-1]] = data.draw(json_values)
        elif action == "delete":
            del parent[where[-1]]
        elif isinstance(parent, dict):
            parent[data.draw(st.text(max_size=6))] = data.draw(json_values)
        else:
            parent.append(data.draw(json_values))
    with tempfile.TemporaryDirectory() as tmp:
        p = pathlib.Path(tmp) / "n.json"
        p.write_text(json.dumps(tree))
        result = call_allowing(load_network, p)
        if isinstance(result, soen.Network):  # what loads must be a usable network description
            call_allowing(save_network, result, pathlib.Path(tmp) / "again.json")


@FILES
@given(data=st.data())
def test_fuzz_network_hdf5(data):
    _, h = _network_files()
    with tempfile.TemporaryDirectory() as tmp:
        path = _copy(h, pathlib.Path(tmp))
        if data.draw(st.booleans()):
            mutate_hdf5(path, data.draw)
            call_allowing(load_network, path)
        else:
            flip_bytes(path, data.draw)
            in_child(load_network, path)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{}",
        "[]",
        "null",
        "1e999",
        '{"format": "soen-network"}',
        "\ufeff{}",
        '{"format": "soen-network", "format_version": 2, "populations": {}}',
    ],
)
def test_small_json_texts(tmp_path, text):
    p = tmp_path / "t.json"
    p.write_text(text)
    assert isinstance(call_allowing(load_network, p), ValueError)
