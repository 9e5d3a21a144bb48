"""Config-driven runs: the example runs; bad configs name the key and the line."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import soen
from soen.cli import main as cli_main
from soen.io import ConfigError, load, load_config, run_config
from soen.io.config import parse_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "config_example.toml"

GOOD = """\
[simulation]
duration_ns = 200.0
dt_ns = 0.1
seed = 2

[[populations]]
name = "exc"
n = 10
morphology = "tree"
layers = [2, 4]

[[sources]]
name = "inp"
type = "poisson"
n = 10
rate_hz = "40 MHz"

[[projections]]
pre = "inp"
post = "exc"
connector = { type = "fixed_in_degree", k = 3 }
weight = 1.0
delay_ns = "1 ns"

[record]
every_ns = 1.0
[[record.traces]]
population = "exc"
neurons = [0]
dendrites = ["soma", "L1_0"]
"""


def test_example_config_runs_like_the_api(tmp_path):
    exp = load_config(EXAMPLE)
    assert exp.title.startswith("Example") and exp.results_path.name == "config_example.h5"
    assert exp.network.sources["drive"].rate_hz == 20e6
    exp.duration_ns = 150.0  # keep the test fast
    out = tmp_path / "ex.h5"
    res = run_config(exp, output=out)
    back = load(out)
    np.testing.assert_array_equal(back.spike_ids, res.spike_ids)
    assert back.complete and res.spike_ids.size > 50 and len(back.trace_labels) == 2 * 14


def test_config_equals_hand_built_network():
    exp = parse_config(GOOD)
    net = soen.Network()
    net.add_population("exc", 10, soen.tree_neuron((2, 4)))
    net.add_source(soen.PoissonSource("inp", 10, rate_hz=40e6))
    net.connect("inp", "exc", soen.FixedInDegree(3), weight=1.0, delay_ns=1.0)
    a = soen.simulate(exp.network, exp.duration_ns, **exp.simulate_kwargs())
    b = soen.simulate(
        net, 200.0, dt_ns=0.1, seed=2, record=[("exc", [0], ["soma", "L1_0"])], record_every_ns=1.0
    )
    np.testing.assert_array_equal(a.spike_times_ns, b.spike_times_ns)
    np.testing.assert_array_equal(a.traces_s, b.traces_s)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    "old, new, key, needle, what",
    [
        ("seed = 2", "seed = 2\nsede = 3", "simulation.sede", "sede = 3", "unknown key; did you mean 'seed'"),
        ("duration_ns = 200.0", "duration_us = 0.2", "simulation.duration_us", "duration_us", "unknown key"),
        ('rate_hz = "40 MHz"', 'rate_hz = "40 ns"', "sources[0].rate_hz", "rate_hz", "not a frequency unit"),
        ('delay_ns = "1 ns"', 'delay_ns = "1 MHz"', "projections[0].delay_ns", "delay_ns", "not a time unit"),
        ("k = 3 }", 'k = "three" }', "projections[0].connector.k", "connector =", "expected an integer"),
        ("n = 10\nmorphology", "n = 10.5\nmorphology", "populations[0].n", "n = 10.5", "expected an integer"),
        ('pre = "inp"\n', "", "projections[0].pre", "[[projections]]", "missing (required)"),
        ("duration_ns = 200.0\n", "", "simulation.duration_ns", "[simulation]", "missing (required)"),
        ('post = "exc"', 'post = "exk"', "projections[0].post", 'post = "exk"', "'exk' is not a population"),
        (
            "layers = [2, 4]",
            "layers = [2, 4]\n[populations.soma]\nthreshold = -0.5",
            "populations[0].soma.threshold",
            "threshold = -0.5",
            "threshold",
        ),
        (
            'dendrites = ["soma", "L1_0"]',
            'dendrites = ["soma", "L9_9"]',
            "record.traces[0].dendrites",
            "dendrites =",
            "unknown dendrite name",
        ),
        ('type = "poisson"', 'type = "poison"', "sources[0].type", 'type = "poison"', "must be one of"),
    ],
)
def test_bad_config_names_key_and_line(old, new, key, needle, what):
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    with pytest.raises(ConfigError) as info:
        parse_config(text, source="exp.toml")
    err = info.value
    assert err.key == key and what in str(err), str(err)
    assert err.line == line_of(text, needle), (str(err), text)
    assert str(err).startswith(f"exp.toml:{err.line}: {key}: ")


def test_malformed_toml_gives_the_line():
    text = GOOD.replace("dt_ns = 0.1", "dt_ns = = 0.1")
    with pytest.raises(ConfigError, match="malformed TOML") as info:
        parse_config(text, source="exp.toml")
    assert info.value.line == line_of(text, "dt_ns = =")
    assert str(info.value).startswith(f"exp.toml:{info.value.line}:")


def test_second_table_of_an_array_is_located():
    extra = (
        '[[projections]]\npre = "inp"\npost = "exc"\n'
        + 'connector = { type = "fixed_probability", p = 2.0 }\n'
    )
    text = GOOD + "\n" + extra
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    assert info.value.key == "projections[1].connector.p" and info.value.line == text.count("\n")


def test_cli_run_writes_results_and_report(tmp_path, capsys):
    cfg = tmp_path / "exp.toml"
    cfg.write_text(GOOD + '\n[output]\nresults = "out/r.h5"\nreport = "r.html"\n')
    (tmp_path / "out").mkdir()
    assert cli_main(["run", str(cfg), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "soen result: 10 neurons" in printed and "r.h5" in printed
    assert load(tmp_path / "out" / "r.h5").complete and (tmp_path / "r.html").stat().st_size > 10_000
    assert cli_main(["info", str(tmp_path / "out" / "r.h5")]) == 0
    assert "complete" in capsys.readouterr().out


def test_cli_reports_bad_config(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(GOOD.replace("seed = 2", "seed = -2"))
    assert cli_main(["run", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml:4: simulation.seed: must be >= 0" in err
    assert cli_main(["run", str(cfg), "--check"]) == 2
    good = tmp_path / "good.toml"
    shutil.copy(EXAMPLE, good)
    assert cli_main(["run", str(good), "--check"]) == 0
    assert not (tmp_path / "config_example.h5").exists()


KITCHEN_SINK = """\
[simulation]
duration_ns = "0.1 us"
integrator = "heun"
threads = 1

[[populations]]
name = "a"
n = 3
morphology = "dag"
n_dendrites = 2
couplings = [[1, 0, 0.5], ["d2", "soma", -0.3], [2, 2, 0.1]]
synaptic_sites = [1]
[populations.dendrite]
tau_ns = 100.0

[[populations]]
name = "b"
n = 2
morphology = "exc_inh"
n_exc = 1
n_inh = 1

[[sources]]
name = "cue"
type = "spikes"
times_ns = [[1.0, "5 ns"], []]

[[sources]]
name = "clock"
type = "regular"
n = 3
period_ns = 20

[[projections]]
pre = "cue"
post = "a"
connector = { type = "from_list", pre = [0, 1], post = [2, 0] }
weight = [1.0, 0.5]

[[projections]]
pre = "clock"
post = "b"
connector = { type = "all_to_all" }
weight = { distribution = "normal", mean = 0.8, std = 0.1, low = 0.0 }
target = "exc0"
[projections.synapse]
tau_fall_ns = 20.0

[[projections]]
pre = "a"
post = "a"
connector = "one_to_one"
"""


def test_every_kind_of_entry_builds_the_right_model():
    exp = parse_config(KITCHEN_SINK)
    net = exp.network
    assert exp.duration_ns == 100.0 and exp.integrator == "heun" and exp.threads == 1 and exp.dt_ns == 0.1
    a = net.populations["a"].neuron
    assert a.n_dendrites == 3 and a.couplings[1] == (2, 0, -0.3) and a.sites() == (1,)
    assert a.dendrites[0].tau_ns == 100.0
    assert net.populations["b"].neuron.dendrite_names() == ("soma", "exc0", "inh0")
    assert [list(t) for t in net.sources["cue"].times_ns] == [[1.0, 5.0], []]
    p0, p1, p2 = net.projections
    assert p0.connector.pre.tolist() == [0, 1] and p0.weight.tolist() == [1.0, 0.5]
    assert (
        isinstance(p1.weight, soen.Normal)
        and p1.weight.high == float("inf")
        and p1.synapse.tau_fall_ns == 20.0
    )
    assert isinstance(p2.connector, soen.OneToOne)
    res = soen.simulate(net, exp.duration_ns, **exp.simulate_kwargs())
    assert res.complete
