"""Networks as files: round trips give identical simulations; bad files name the key."""

from __future__ import annotations

import json

import numpy as np
import pytest

import soen
from soen.io import load_network, network_from_dict, network_to_dict, save_network


@pytest.mark.parametrize("suffix", [".json", ".h5"])
def test_round_trip_simulates_identically(tmp_path, network, result, run_kwargs, suffix):
    path = save_network(network, tmp_path / f"net{suffix}")
    back = load_network(path)
    assert list(back.populations) == list(network.populations)
    assert list(back.sources) == list(network.sources)
    res = soen.simulate(back, 300.0, **run_kwargs)
    assert result.spike_ids.size > 20
    np.testing.assert_array_equal(res.spike_times_ns, result.spike_times_ns)
    np.testing.assert_array_equal(res.spike_ids, result.spike_ids)
    np.testing.assert_array_equal(res.traces_s, result.traces_s)
    assert res.counts == result.counts


def test_dict_is_plain_data(network):
    d = network_to_dict(network)
    exc = d["populations"][0]
    assert exc["neuron"]["names"][0] == "L1_0" and exc["neuron"]["couplings"][0] == [1, 0, 0.6]
    assert d["projections"][1]["weight"] == {"distribution": "Uniform", "low": 0.2, "high": 0.8}
    assert d["projections"][2]["weight"]["high"] is None  # +inf clip stored as null
    assert isinstance(d["projections"][4]["weight"], np.ndarray)
    rebuilt = network_to_dict(network_from_dict(d))
    assert json.dumps(rebuilt, default=lambda a: a.tolist()) == json.dumps(d, default=lambda a: a.tolist())


def test_json_file_is_text_without_pickle(tmp_path, network):
    path = save_network(network, tmp_path / "net.json")
    text = path.read_text()
    assert text.lstrip().startswith("{") and '"$array"' in text
    json.loads(text)


def _bad(tmp_path, mutate, name="bad.json"):
    d = json.loads(save_network(small(), tmp_path / "ok.json").read_text())
    mutate(d)
    p = tmp_path / name
    p.write_text(json.dumps(d))
    return p


def small():
    net = soen.Network()
    net.add_population("exc", 4, soen.tree_neuron((2,)))
    net.add_source(soen.SpikeSource("cue", ([1.0], [2.0])))
    net.connect("cue", "exc", soen.FixedInDegree(1), weight=1.0)
    return net


@pytest.mark.parametrize(
    "mutate, key, what",
    [
        (lambda d: d["populations"][0].update(colour="red"), "populations[0].colour", "unknown key"),
        (lambda d: d["populations"][0].update(n="four"), "populations[0].n", "expected an integer"),
        (lambda d: d["populations"][0].pop("neuron"), "populations[0].neuron", "missing"),
        (
            lambda d: d["populations"][0]["neuron"]["soma"].update(threshold=-1.0),
            "populations[0].neuron.soma",
            "threshold",
        ),
        (lambda d: d["projections"][0]["connector"].update(k=1.5), "projections[0].connector.k", "integer"),
        (
            lambda d: d["projections"][0]["connector"].update(type="Magic"),
            "projections[0].connector.type",
            "Magic",
        ),
        (lambda d: d["projections"][0].update(post="nowhere"), "projections[0]", "nowhere"),
        (lambda d: d["sources"][0]["counts"]["$array"].update(data=[1, 5]), "sources[0].counts", "summing"),
        (
            lambda d: d["sources"][0]["times_ns"]["$array"].update(shape=[7]),
            "sources[0].times_ns",
            "flat list",
        ),
        (lambda d: d.update(format="something-else"), "format", "not a soen network"),
        (lambda d: d.update(format_version=7), "format_version", "version"),
    ],
)
def test_bad_network_files_name_the_key(tmp_path, mutate, key, what):
    path = _bad(tmp_path, mutate)
    with pytest.raises(ValueError) as info:
        load_network(path)
    msg = str(info.value)
    assert key in msg and what in msg, msg


def test_bad_files(tmp_path):
    p = tmp_path / "x.json"
    p.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_network(p)
    p = tmp_path / "x.h5"
    p.write_bytes(b"\x89HDF garbage")
    with pytest.raises(ValueError, match="x.h5"):
        load_network(p)
    with pytest.raises(ValueError, match=".json, .h5"):
        save_network(small(), tmp_path / "net.pickle")
    with pytest.raises(FileNotFoundError):
        load_network(tmp_path / "missing.json")


def test_unsupported_parts(network):
    class Custom:
        def pairs(self, n_pre, n_post, same, rng):
            return np.array([0]), np.array([0])

    net = soen.Network()
    net.add_population("a", 2, soen.point_neuron())
    net.connect("a", "a", Custom())
    with pytest.raises(TypeError, match=r"projections\[0\].connector: cannot store Custom"):
        network_to_dict(net)
    d = network_to_dict(net, strict=False)
    assert d["projections"][0]["connector"]["type"] == "unsupported"
    with pytest.raises(ValueError, match=r"projections\[0\].connector: the stored connector \(Custom\)"):
        network_from_dict(d)


def test_point_models_round_trip(tmp_path):
    models = pytest.importorskip("soen.models")
    net = soen.Network()
    net.add_population("a", 5, models.LIF(v_init_mV=soen.Uniform(0.0, 2.0)))
    net.add_population("b", 3, models.CubaLIF())
    net.add_source(soen.PoissonSource("inp", 5, rate_hz=2e8))
    net.connect("inp", "a", soen.OneToOne(), weight=3.0)
    net.connect("a", "b", soen.AllToAll(), weight=2.0)
    back = load_network(save_network(net, tmp_path / "point.json"))
    assert back.populations["a"].neuron.v_init_mV == soen.Uniform(0.0, 2.0)
    a = soen.simulate(net, 100.0, seed=1)
    b = soen.simulate(back, 100.0, seed=1)
    assert a.spike_ids.size > 0
    np.testing.assert_array_equal(a.spike_times_ns, b.spike_times_ns)
    np.testing.assert_array_equal(a.spike_ids, b.spike_ids)
    d = network_to_dict(net)
    d["populations"][0]["neuron"]["model"] = "os.system"
    with pytest.raises(ValueError, match=r"populations\[0\].neuron.model: unknown point model 'os.system'"):
        network_from_dict(d)
