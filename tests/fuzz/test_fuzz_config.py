"""Property-based fuzzing of TOML experiment configs: random mutations of a valid config are parsed and
checked (``soen run --check``'s path: ``parse_config`` then ``check_experiment``).

Mutations replace values (numbers of every kind, strings with and without units, booleans, arrays,
inline tables, control characters), delete lines, insert keys, tables and raw characters. The only
exceptions allowed are ValueError (ConfigError), TypeError and OSError, with one-line messages; every
example runs under a hard time limit.
"""

from __future__ import annotations

import re

from _hostile import call_allowing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soen.io.config import check_experiment, parse_config

CONFIGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

GOOD = """\
title = "fuzz"
[simulation]
duration_ns = 20.0
dt_ns = 0.1
seed = 2
threads = 1

[[populations]]
name = "exc"
n = 6
morphology = "tree"
layers = [2, 4]
coupling = 0.5
[populations.soma]
threshold = 0.5

[[populations]]
name = "inh"
n = 3
morphology = "exc_inh"
n_exc = 1
n_inh = 1

[[populations]]
name = "d"
n = 2
morphology = "dag"
n_dendrites = 2
couplings = [[1, 0, 0.5], ["d2", "soma", -0.3]]

[[sources]]
name = "inp"
type = "poisson"
n = 6
rate_hz = "40 MHz"

[[sources]]
name = "cue"
type = "spikes"
times_ns = [[1.0, "5 ns"], []]

[[projections]]
pre = "inp"
post = "exc"
connector = { type = "fixed_in_degree", k = 3 }
weight = 0.1
delay_ns = "1 ns"

[[projections]]
pre = "cue"
post = "inh"
connector = { type = "from_list", pre = [0, 1], post = [2, 0] }
weight = [0.2, 0.1]
target = "exc0"

[[projections]]
pre = "exc"
post = "inh"
connector = { type = "fixed_probability", p = 0.5 }
weight = { distribution = "normal", mean = 0.1, std = 0.05, low = 0.0 }
delay_ns = { distribution = "uniform", low = 1.0, high = 1.0 }

[record]
every_ns = 1.0
[[record.traces]]
population = "exc"
neurons = [0]
dendrites = ["soma", "L1_0"]

[output]
results = "r.h5"
"""

VALUES = [
    "0",
    "-1",
    "1",
    "2",
    "3",
    "999",
    "10000000000",
    "9223372036854775807",
    "-9223372036854775808",
    "0.5",
    "-0.0",
    "1e400",
    "-1e400",
    "inf",
    "nan",
    "1e-300",
    "true",
    "false",
    '"x"',
    '""',
    '"1e400 ns"',
    '"2 us"',
    '"5 MHz"',
    '"0.15 ns"',
    '"\\u001b[31m"',
    '"soma"',
    '"all"',
    '"sites"',
    "[]",
    "[1, 2]",
    "[0, 999]",
    "[[1]]",
    "[1.5, 2]",
    '["a", 1]',
    "{}",
    '{ type = "from_list", pre = [0, 999], post = [0, 1] }',
    '{ type = "fixed_in_degree", k = 99 }',
    '{ type = "one_to_one" }',
    '{ type = "magic" }',
    '"all_to_all"',
    '"fixed_probability"',
    '{ distribution = "normal", mean = 1, std = -1 }',
    '{ distribution = "uniform", low = 2, high = 1 }',
    '{ distribution = "gamma" }',
    "1979-05-27",
    '"../../escape.h5"',
    '"/abs/x.h5"',
    '"r.html"',
]
LINES = [
    "threads = 99",
    "dt_ns = 5",
    "dt_ns = 0.15",
    "duration_ns = 20.05",
    "seed = -3",
    "same_step = true",
    'same_step = "no"',
    "k = 999",
    "[populations.dendrite]\ntau_ns = 0.001",
    "[populations.synapse]\ntau_fall_ns = 0.01",
    '[output]\nreport = "../r.html"',
    "every_ns = 0.15",
    "target = 99",
    'target = "nowhere"',
    "x = [" * 50 + "]" * 50,
    'integrator = "rk4"',
    '[[projections]]\npre = "exc"\npost = "exc"',
    "\ufeff",
    "[simulation]",
    "=",
    "[[",
]

values = st.one_of(
    st.sampled_from(VALUES),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=8).map(lambda s: '"' + s.replace("\\", "").replace('"', "") + '"'),
)


NUMBERS = [
    "0",
    "1",
    "2",
    "3",
    "-1",
    "0.5",
    "0.05",
    "1.0",
    "2.5",
    "10",
    "99",
    "999",
    "1e-9",
    "1e400",
    '"1e400 ns"',
    "0.15",
    "2147483648",
    "100000000",
    "true",
    '"3"',
    "[1, 2, 3]",
]
numbers = st.one_of(st.sampled_from(NUMBERS), st.integers(-5, 50).map(str), st.floats(-2, 60).map(repr))


@st.composite
def mutated(draw, actions=("value", "value", "value", "delete", "insert", "chars"), most=4):
    lines = GOOD.splitlines()
    for _ in range(draw(st.integers(1, most))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(actions))
        if action == "number" and re.match(r"^\s*[\w.]+\s*=\s*(-?\d|\"\d)", lines[i]):
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {draw(numbers)}"
        elif action == "value" and re.match(r"^\s*[\w.]+\s*=", lines[i]):
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {draw(values)}"
        elif action == "delete":
            del lines[i]
        elif action == "insert":
            lines.insert(i, draw(st.sampled_from(LINES)))
        elif action == "set":  # a whole-line setting in a table that does not have it yet
            line = draw(
                st.sampled_from(
                    [
                        "threads = 99",
                        "threads = 2",
                        'integrator = "heun"',
                        "same_step = true",
                        "target = 2",
                        'target = "soma"',
                        "allow_self = true",
                        "synaptic_sites = [1]",
                        'names = ["a", "b"]',
                    ]
                )
            )
            key = line.split(" ")[0]
            heads = [j for j, x in enumerate(lines) if x.startswith("[")]
            j = draw(st.sampled_from(heads)) if heads else 0
            end = next((h for h in heads if h > j), len(lines))
            if not any(x.startswith(key + " ") for x in lines[j:end]):
                lines.insert(j + 1, line)
        elif action == "chars":
            j = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:j] + draw(st.text(max_size=3)) + lines[i][j:]
        if not lines:
            break
    return "\n".join(lines) + "\n"


def test_the_base_config_checks():
    check_experiment(parse_config(GOOD, base_dir="."))


def _parse_and_check(text):
    exp = call_allowing(parse_config, text, source="fuzz.toml")
    if not isinstance(exp, Exception):
        call_allowing(check_experiment, exp)


@CONFIGS
@given(text=mutated())
def test_fuzz_config(text):
    _parse_and_check(text)


@CONFIGS
@given(text=mutated(actions=("number", "number", "number", "set"), most=2))
def test_fuzz_config_values(text):
    """Mostly well-formed configs with odd numbers: these reach the run checks (compile, grid, threads)."""
    _parse_and_check(text)
