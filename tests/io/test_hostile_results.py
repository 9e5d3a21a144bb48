"""Results files treated as hostile: every example of issue 11 gives one clear line naming file and key."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

import soen
from soen.cli import main as cli_main
from soen.io import ResultWriter, load, read_info
from soen.io._safe import FileFormatError


def write_small(path, *, n_spikes=5, traces=True, title=None):
    """A complete results file of 2 populations (3 + 2 neurons), written without simulating."""
    labels = [("a", 0, "soma")] if traces else []
    with ResultWriter(
        path,
        network={},
        run=dict(duration_ns=100.0, dt_ns=0.1, seed=1, integrator="euler"),
        populations={"a": (0, 3), "b": (3, 2)},
        trace_labels=labels,
        n_traces=len(labels),
    ) as w:
        t = np.linspace(1.0, 90.0, n_spikes)
        w.append_spikes(t, np.arange(n_spikes) % 5)
        if traces:
            w.append_traces(np.arange(0.0, 10.0, 1.0), np.ones((10, 1)), np.zeros((10, 1)))
        w.finish(
            complete=True,
            message="",
            counts={"spikes": n_spikes},
            timing={},
            fluxons=np.zeros(4),
            metadata={},
        )
    if title is not None:
        with h5py.File(path, "r+") as f:
            f.attrs["title"] = title
    return path


@pytest.fixture
def good(tmp_path):
    return write_small(tmp_path / "good.h5")


def copy(src, dst, edit):
    dst.write_bytes(src.read_bytes())
    with h5py.File(dst, "r+") as f:
        edit(f)
    return dst


def one_line_error(path, match):
    with pytest.raises(ValueError, match=match) as info:
        load(path)
    msg = str(info.value)
    assert path.name in msg and "\n" not in msg, msg
    return msg


def test_the_small_file_loads(good):
    r = load(good)
    assert r.complete and r.spike_ids.size == 5 and r.traces_s.shape == (10, 1)


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda f: f.attrs.__setitem__("n_spikes", -5), r"n_spikes: must be >= 0, got -5"),
        (
            lambda f: f.attrs.__setitem__("complete", "no"),
            r"complete: expected true or false, got 'no' \(str\)",
        ),
        (lambda f: f.attrs.__setitem__("complete", 1), r"complete: expected true or false"),
        (lambda f: f.attrs.__setitem__("t_end_ns", float("nan")), r"t_end_ns: must be a finite time"),
        (lambda f: f.attrs.__setitem__("n_spikes", "5"), r"n_spikes: expected an integer"),
        (lambda f: f.attrs.__setitem__("n_spikes", 7), r"spikes/times_ns: holds 5 rows but n_spikes = 7"),
        (lambda f: f["spikes/times_ns"].resize((3,)), r"spikes/times_ns: holds 3 rows but n_spikes = 5"),
        (lambda f: f["spikes/ids"].resize((4,)), r"spikes/ids: holds 4 rows but n_spikes = 5"),
        (lambda f: f["spikes/times_ns"].__setitem__(0, -1.0), r"spikes/times_ns: times outside 0\.\.100"),
        (lambda f: f["spikes/times_ns"].__setitem__(0, np.inf), r"spikes/times_ns: non-finite times"),
        (lambda f: f["traces/times_ns"].__setitem__(2, np.nan), r"traces/times_ns: non-finite times"),
        (lambda f: f.attrs.__setitem__("n_samples", -1), r"n_samples: must be >= 0"),
    ],
)
def test_counters_flags_and_times_are_checked(good, tmp_path, edit, match):
    one_line_error(copy(good, tmp_path / "bad.h5", edit), match)


def _set_json(f, key, text):
    del f[key]
    f.create_dataset(key, data=text, dtype=h5py.string_dtype())


@pytest.mark.parametrize(
    "text, match",
    [
        ('{"a": [0, 3], "b": [2, 2]}', r"populations.b: population 'b' \(ids from 2\) overlaps 'a'"),
        ('{"a": [0, -3]}', r"populations.a: expected \[first id >= 0, size >= 1\]"),
        ('{"a": [0, 3.5]}', r"populations.a: expected"),
        ('{"a": [0, 10000000000000000]}', r"populations: declares"),
        ("[" * 5000 + "]" * 5000, r"populations: JSON nested deeper"),
        ("{not json", r"populations: malformed JSON"),
    ],
)
def test_population_table_is_checked(good, tmp_path, text, match):
    one_line_error(copy(good, tmp_path / "bad.h5", lambda f: _set_json(f, "populations", text)), match)


def test_small_file_declaring_ten_billion_rows(tmp_path, capsys):
    """A 100 KB file declaring 10^10 spikes: a clear error, no MemoryError, in load, info and report."""
    path = write_small(tmp_path / "huge.h5")
    with h5py.File(path, "r+") as f:
        for key in ("times_ns", "ids"):
            f["spikes"][key].resize((10**10,))
        f.attrs["n_spikes"] = 10**10
    assert path.stat().st_size < 200_000
    msg = one_line_error(path, r"spikes/times_ns: declares 10,000,000,000 rows .* the file holds only")
    assert "forged" in msg
    for argv in (["info", str(path)], ["report", str(path), "-o", str(tmp_path / "r.html")]):
        assert cli_main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert (
            err.startswith(f"soen {argv[0]}: error: huge.h5: spikes/times_ns: declares") and "\n" not in err
        )


def test_a_flipped_bit_in_spike_data_is_detected(tmp_path):
    path = write_small(tmp_path / "flip.h5", n_spikes=200)
    with h5py.File(path, "r") as f:
        assert f["spikes/times_ns"].fletcher32 and f["spikes/ids"].fletcher32 and f["traces/s"].fletcher32
        offset = f["spikes/times_ns"].id.get_chunk_info(0).byte_offset
    raw = bytearray(path.read_bytes())
    raw[offset + 17] ^= 0x10
    path.write_bytes(bytes(raw))
    one_line_error(path, r"spikes/times_ns: damaged data: the checksum")


def test_a_changed_json_text_is_detected(good, tmp_path):
    def edit(f):
        crc = f["run/json"].attrs["crc32"]
        text = f["run/json"][()].decode().replace('"seed": 1', '"seed": 2')
        del f["run/json"]
        f["run"].create_dataset("json", data=text, dtype=h5py.string_dtype()).attrs["crc32"] = crc

    one_line_error(copy(good, tmp_path / "crc.h5", edit), r"run/json: damaged text: its CRC-32")


def test_a_stripped_checksum_filter_is_detected(good, tmp_path):
    def edit(f):
        ids = f["spikes/ids"][()]
        del f["spikes/ids"]
        f["spikes"].create_dataset("ids", data=ids, maxshape=(None,), chunks=(4096,))

    one_line_error(copy(good, tmp_path / "nofilter.h5", edit), r"spikes/ids: has no Fletcher32 checksum")


def test_external_storage_cannot_read_other_files(good, tmp_path):
    """A results file must not make soen.load return the bytes of another local file."""
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(5, dtype=np.float64).tobytes())

    def external(f):
        del f["spikes/times_ns"]
        f["spikes"].create_dataset("times_ns", shape=(5,), dtype="f8", external=[(str(secret), 0, 40)])

    msg = one_line_error(
        copy(good, tmp_path / "ext.h5", external), r"spikes/times_ns: dataset stored in external"
    )
    assert "secret" not in msg

    def soft(f):
        f["other"] = f["spikes/times_ns"][()]
        del f["spikes/times_ns"]
        f["spikes/times_ns"] = h5py.SoftLink("/other")

    one_line_error(copy(good, tmp_path / "soft.h5", soft), r"spikes/times_ns: is a soft link")

    def extlink(f):
        del f["final"]
        f["final"] = h5py.ExternalLink(str(secret), "/x")

    one_line_error(copy(good, tmp_path / "extlink.h5", extlink), r"final(/fluxons)?: is an external link")


def test_an_array_replaced_by_a_group(good, tmp_path):
    def edit(f):
        del f["spikes/ids"]
        f["spikes"].create_group("ids")

    one_line_error(
        copy(good, tmp_path / "grp.h5", edit), r"spikes/ids: expected a dataset \(an array\), got a group"
    )


def test_wrong_dtypes_and_shapes(good, tmp_path):
    def strings(f):
        del f["spikes/ids"]
        f["spikes"].create_dataset("ids", data=np.array([b"x"] * 5), fletcher32=True)

    one_line_error(copy(good, tmp_path / "s.h5", strings), r"spikes/ids: unexpected dtype")

    def cols(f):
        del f["traces/s"]
        f["traces"].create_dataset("s", data=np.zeros((10, 3)), fletcher32=True)

    one_line_error(copy(good, tmp_path / "c.h5", cols), r"traces/s: 1 labels but data of shape \(10, 3\)")


def test_soen_info_escapes_control_characters(tmp_path, capsys):
    evil = "\x1b]0;owned\x07\x1b[31mred\r\n\u202eevil"
    path = write_small(tmp_path / "esc.h5", title=evil)
    with h5py.File(path, "r+") as f:
        f.attrs["complete"] = False
        f.attrs["message"] = evil
    assert cli_main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b]" not in out and "\x07" not in out and "\r" not in out and "\u202e" not in out
    assert "\\x1b]0;owned\\x07" in out and "\\u202e" in out


def test_errors_are_file_format_errors(tmp_path):
    p = tmp_path / "text.h5"
    p.write_text("hello")
    with pytest.raises(FileFormatError) as info:
        load(p)
    assert info.value.file.endswith("text.h5") and isinstance(info.value, ValueError)
    with pytest.raises(FileNotFoundError):
        read_info(tmp_path / "missing.h5")
    with pytest.raises(ValueError, match="not a file"):
        load(tmp_path)


def test_streamed_simulation_file_has_checksums(tmp_path):
    net = soen.Network()
    net.add_population("p", 2, soen.point_neuron())
    net.add_source(soen.RegularSource("s", 2, period_ns=10.0))
    net.connect("s", "p", soen.OneToOne(), weight=1.0)
    path = tmp_path / "run.h5"
    soen.simulate(net, 50.0, output=path, record=[("p", [0])])
    with h5py.File(path) as f:
        assert f.attrs["checksums"] == "fletcher32"
        assert all(f[k].fletcher32 for k in ("spikes/times_ns", "spikes/ids", "traces/s", "traces/phi"))
        assert "crc32" in f["run/json"].attrs
    assert load(path).complete


def test_names_from_an_embedded_network_are_escaped_in_the_report(tmp_path):
    from soen.io import write_report

    evil = "<script>alert(1)</script>"
    net = {
        "format": "soen-network",
        "format_version": 2,
        "populations": [{"name": evil, "n": 2, "neuron": {}}],
        "sources": [{"type": evil, "name": evil}],
        "projections": [{"pre": evil, "post": evil, "connector": {"type": evil}}],
    }
    path = tmp_path / "net.h5"
    with ResultWriter(
        path,
        network=net,
        run=dict(duration_ns=10.0, dt_ns=0.1, seed=0, integrator="euler"),
        populations={"p": (0, 2)},
        trace_labels=[],
        n_traces=0,
    ) as w:
        w.append_spikes(np.array([1.0]), np.array([0]))
        w.finish(complete=True, message="", counts={}, timing={}, fluxons=np.zeros(2), metadata={})
    html = write_report(path, tmp_path / "net.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "morphologies not drawn" in html
