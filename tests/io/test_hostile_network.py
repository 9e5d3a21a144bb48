"""Network files treated as hostile; the schema derived from the model dataclasses; same_step stored."""

from __future__ import annotations

import dataclasses
import json

import h5py
import numpy as np
import pytest

import soen
from soen.io import load_network, network_from_dict, network_to_dict, save_network
from soen.io._schema import field_specs


def net_with_lists() -> soen.Network:
    net = soen.Network()
    net.add_population("a", 4, soen.tree_neuron((2,)))
    net.add_source(soen.SpikeSource("cue", ([1.0], [2.0], [3.0])))
    net.connect(
        "cue", "a", soen.FromList(np.array([0, 1, 2]), np.array([0, 1, 3])), weight=np.array([1.0, 0.5, 0.2])
    )
    return net


def json_file(tmp_path, edit, net=None):
    d = json.loads(save_network(net or net_with_lists(), tmp_path / "ok.json").read_text())
    edit(d)
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(d))
    return p


def fails(path, match):
    with pytest.raises(ValueError, match=match) as info:
        load_network(path)
    msg = str(info.value)
    assert msg.startswith(path.name + ": ") and "\n" not in msg, msg
    return msg


def pre_array(d):
    return d["projections"][0]["connector"]["pre"]["$array"]


def test_integer_arrays_holding_fractions_are_refused_not_truncated(tmp_path):
    p = json_file(tmp_path, lambda d: pre_array(d).update(data=[0.7, 1.9, 2.0]))
    fails(p, r"projections\[0\]\.connector\.pre: \$array of dtype i8 holds a non-integer, 0\.7")
    p = tmp_path / "frac.h5"
    save_network(net_with_lists(), p)
    with h5py.File(p, "r+") as f:
        arrays = f["network/arrays"]
        name = json.loads(f["network/json"][()])["projections"][0]["connector"]["pre"]["$ref"]
        del arrays[name]
        arrays.create_dataset(name, data=np.array([0.7, 1.9, 2.0]))
    fails(p, r"projections\[0\]\.connector\.pre: expected integers, got an array of dtype float64")


@pytest.mark.parametrize(
    "edit, match",
    [
        (
            lambda d: d["populations"][0].update(n=1e30),
            r"populations\[0\]\.n: expected an integer, got 1e\+30 \(float\)",
        ),
        (
            lambda d: d["populations"][0].update(n=10**30),
            r"populations\[0\]\.n: integer out of the 64-bit range",
        ),
        (
            lambda d: pre_array(d).update(data=[1e30, 0, 1]),
            r"connector\.pre: \$array of dtype i8 holds a non-integer",
        ),
        (
            lambda d: pre_array(d).update(data=[2**70, 0, 1]),
            r"connector\.pre: \$array of dtype i8 holds a value outside",
        ),
        (lambda d: d["projections"][0].update(weight=1e400), r"projections\[0\]\.weight: must be finite"),
        (
            lambda d: d["projections"][0].update(same_step="yes"),
            r"projections\[0\]\.same_step: expected true or false, got 'yes'",
        ),
        (
            lambda d: d["populations"][0]["neuron"]["soma"].update(tau_ns=True),
            r"soma\.tau_ns: expected a number, got True",
        ),
        (
            lambda d: d["populations"][0]["neuron"].update(couplings=[[1, 0, "x"]]),
            r"couplings\[0\]\[2\]: expected a number",
        ),
        (lambda d: d["populations"][0].update(neuron=None), r"populations\[0\]\.neuron: missing"),
        (
            lambda d: d["projections"][0].update(connector={"type": "FixedInDegree", "k": 1.5}),
            r"connector\.k: expected an integer, got 1\.5",
        ),
        (
            lambda d: d["projections"][0].update(delay_ns={"distribution": "Gamma"}),
            r"delay_ns\.distribution: must be one of",
        ),
    ],
)
def test_numbers_and_types_name_the_key(tmp_path, edit, match):
    fails(json_file(tmp_path, edit), match)


def test_deeply_nested_json_is_a_clear_error(tmp_path):
    p = tmp_path / "deep.json"
    p.write_text(
        '{"format": "soen-network", "format_version": 2, "populations": '
        + "[" * 100_000
        + "]" * 100_000
        + "}"
    )
    fails(p, r"not valid JSON \(JSON nested deeper than 64 levels\)")
    p.write_text(
        '{"format": "soen-network", "format_version": 2, "populations": ' + "[" * 200 + "]" * 200 + "}"
    )
    fails(p, r"nested deeper than 64 levels")


def test_an_array_replaced_by_a_group_names_the_key(tmp_path):
    p = save_network(net_with_lists(), tmp_path / "g.h5")
    with h5py.File(p, "r+") as f:
        skeleton = json.loads(f["network/json"][()])
        name = skeleton["projections"][0]["connector"]["pre"]["$ref"]
        del f["network/arrays"][name]
        f["network/arrays"].create_group(name)
    fails(
        p,
        r"projections\[0\]\.connector\.pre \(network/arrays/a\d+\): "
        r"expected a dataset \(an array\), got a group",
    )


def test_links_and_forged_sizes_in_network_files(tmp_path):
    p = save_network(net_with_lists(), tmp_path / "l.h5")
    with h5py.File(p, "r+") as f:
        name = next(iter(f["network/arrays"]))
        data = f["network/arrays"][name][()]
        f["elsewhere"] = data
        del f["network/arrays"][name]
        f["network/arrays"][name] = h5py.SoftLink("/elsewhere")
    fails(p, r"is a soft link")
    p = save_network(net_with_lists(), tmp_path / "big.h5")
    with h5py.File(p, "r+") as f:
        name = next(iter(f["network/arrays"]))
        del f["network/arrays"][name]
        f["network/arrays"].create_dataset(name, shape=(10**10,), dtype="f8", chunks=(4096,))
    fails(p, r"declares 10,000,000,000 rows")


def test_repeats_are_bounded(tmp_path):
    net = soen.Network()
    net.add_population("t", 2, soen.tree_neuron((3, 9)))
    d = json.loads(save_network(net, tmp_path / "t.json").read_text())
    dends = d["populations"][0]["neuron"]["dendrites"]
    assert len(dends) == 1 and dends[0]["$repeat"][0] == 12  # 12 equal dendrites stored once
    assert load_network(tmp_path / "t.json").populations["t"].neuron.n_dendrites == 13
    dends[0]["$repeat"][0] = 10**12
    p = tmp_path / "bomb.json"
    p.write_text(json.dumps(d))
    fails(p, r"dendrites\[0\]: repeats expand to more than 10,000,000 entries")
    dends[0]["$repeat"] = [True, {}]
    p.write_text(json.dumps(d))
    fails(p, r"malformed \$repeat")


@pytest.mark.parametrize("suffix", [".json", ".h5"])
def test_same_step_is_saved_and_loaded(tmp_path, suffix):
    models = pytest.importorskip("soen.models")
    net = soen.Network()
    net.add_population("a", 3, models.LIF())
    net.add_population("b", 3, models.LIF())
    net.connect("a", "b", soen.OneToOne(), weight=1.0, delay_ns=0.0, same_step=True)
    net.connect("b", "a", soen.OneToOne(), weight=1.0)
    back = load_network(save_network(net, tmp_path / f"s{suffix}"))
    assert [p.same_step for p in back.projections] == [True, False]


def test_version_1_files_load_with_defaults():
    d = network_to_dict(net_with_lists())
    d["format_version"] = 1
    for p in d["projections"]:
        del p["same_step"]
    assert network_from_dict(d).projections[0].same_step is False


def test_schema_keys_are_the_dataclass_fields():
    """The network dict's keys are derived from the model classes: nothing hand-written to drift."""
    d = network_to_dict(net_with_lists())
    for obj, cls in ((d["projections"][0], soen.Projection), (d["populations"][0], soen.Population)):
        assert list(obj) == [f.name for f in dataclasses.fields(cls)]
    soma = d["populations"][0]["neuron"]["soma"]
    assert list(soma) == [f.name for f in dataclasses.fields(soen.Soma)]
    assert [s.name for s in field_specs(soen.Synapse)] == [f.name for f in dataclasses.fields(soen.Synapse)]
    models = pytest.importorskip("soen.models")
    for cls in models.POINT_MODELS:  # every point model's every field has a rule
        assert [s.name for s in field_specs(cls)] == [f.name for f in dataclasses.fields(cls)]


def test_bom_and_non_utf8_json(tmp_path):
    p = save_network(net_with_lists(), tmp_path / "b.json")
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    assert list(load_network(p).populations) == ["a"]
    p.write_bytes(b"\xff\xfe{}")
    fails(p, r"not valid JSON \(not UTF-8")
