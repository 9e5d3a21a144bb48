"""``soen run --check`` validates everything the run needs; outputs stay in the config's folder."""

from __future__ import annotations

import pytest
from test_io_config import GOOD, line_of  # tests/io is on sys.path (no package)

from soen.cli import main as cli_main
from soen.io import ConfigError, load_config
from soen.io.config import check_experiment, parse_config


def check(text: str, **kw):
    exp = parse_config(text, source="exp.toml", **kw)
    check_experiment(exp)
    return exp


@pytest.mark.parametrize(
    "old, new, key, needle, what",
    [
        ("k = 3 }", "k = 12 }", "projections[0].connector.k", "connector =", "FixedInDegree"),
        (
            'connector = { type = "fixed_in_degree", k = 3 }',
            'connector = { type = "from_list", pre = [0, 999], post = [0, 1] }\nweight = [1.0, 2.0]',
            "projections[0].connector.pre",
            "connector =",
            "999",
        ),
        (
            'connector = { type = "fixed_in_degree", k = 3 }',
            'connector = { type = "one_to_one" }\nweight = [1.0, 0.5, 0.2]',
            "projections[0].weight",
            "weight = [",
            "weight",
        ),
        (
            "seed = 2",
            "seed = 2\nthreads = 99",
            "simulation.threads",
            "threads = 99",
            "threads must be an integer in 1..",
        ),
        ("dt_ns = 0.1", "dt_ns = 5", "simulation.dt_ns", "dt_ns = 5", "too large"),
        (
            "duration_ns = 200.0",
            "duration_ns = 200.05",
            "simulation.duration_ns",
            "duration_ns =",
            "not a whole number of time steps",
        ),
        (
            "every_ns = 1.0",
            "every_ns = 0.15",
            "record.every_ns",
            "every_ns",
            "not a whole number of time steps",
        ),
        ('delay_ns = "1 ns"', 'delay_ns = "1.05 ns"', "projections[0].delay_ns", "delay_ns", "whole number"),
    ],
)
def test_check_finds_what_the_run_would_refuse(old, new, key, needle, what):
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    if "from_list" in new:
        text = text.replace("weight = 1.0\n", "", 1)
    if "one_to_one" in new:
        text = text.replace("weight = 1.0\n", "", 1)
    if new == "dt_ns = 5":
        text = text.replace("every_ns = 1.0", "every_ns = 5.0").replace('"1 ns"', "5.0")
    parse_config(text, source="exp.toml")  # every key is fine ...
    with pytest.raises(ConfigError) as info:  # ... but the run would fail
        check(text)
    err = info.value
    assert err.key == key and what in str(err), str(err)
    assert err.line == line_of(text, needle), (str(err), err.line)
    assert str(err).startswith(f"exp.toml:{err.line}: {key}: ") and "\n" not in str(err)


def test_infinite_quantities_are_refused():
    for text in (
        GOOD.replace("duration_ns = 200.0", 'duration_ns = "1e400 ns"'),
        GOOD.replace('rate_hz = "40 MHz"', 'rate_hz = "1e400 MHz"'),
        GOOD.replace("duration_ns = 200.0", "duration_ns = inf"),
    ):
        with pytest.raises(ConfigError, match="must be finite"):
            parse_config(text)


def test_a_utf8_bom_is_accepted(tmp_path):
    p = tmp_path / "bom.toml"
    p.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert load_config(p).duration_ns == 200.0


def test_deep_nesting_and_huge_numbers(tmp_path):
    with pytest.raises(ConfigError, match="nested deeper"):
        parse_config("x = " + "[" * 50_000 + "]" * 50_000)
    with pytest.raises(ConfigError, match=r"populations\[0\]\.n: must be <= 2147483647"):
        parse_config(GOOD.replace("n = 10\nmorphology", "n = 100000000000000\nmorphology"))
    with pytest.raises(ConfigError, match=r"must be one of"):
        parse_config(GOOD.replace('type = "poisson"', "type = true"))


def test_output_paths_stay_in_the_config_folder(tmp_path, capsys):
    folder = tmp_path / "exp"
    folder.mkdir()
    for bad in ("../escaped.h5", "sub/../../escaped.h5", str(tmp_path / "abs.h5")):
        cfg = folder / "c.toml"
        cfg.write_text(GOOD + f'\n[output]\nresults = "{bad}"\n')
        with pytest.raises(ConfigError, match=r"output\.results: .* resolves outside the config's folder"):
            load_config(cfg)
        assert cli_main(["run", str(cfg), "--check"]) == 2
        assert "resolves outside" in capsys.readouterr().err
        assert cli_main(["run", str(cfg), "--check", "--force"]) == 0
        capsys.readouterr()
    cfg.write_text(GOOD + '\n[output]\nreport = "../r.html"\n')
    with pytest.raises(ConfigError, match=r"output\.report"):
        load_config(cfg)
    assert load_config(cfg, allow_outside=True).report_path.name == "r.html"


def test_existing_files_are_not_overwritten(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        GOOD.replace("duration_ns = 200.0", "duration_ns = 20.0") + '\n[output]\nresults = "r.h5"\n'
    )
    (tmp_path / "r.h5").write_bytes(b"precious")
    assert cli_main(["run", str(cfg), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("soen run: error: results file") and "exists; pass --overwrite" in err
    assert (tmp_path / "r.h5").read_bytes() == b"precious"
    elsewhere = tmp_path / "out"
    elsewhere.mkdir()
    assert (
        cli_main(["run", str(cfg), "--no-progress", "-o", str(elsewhere / "x.h5")]) == 0
    )  # given here: any path
    assert cli_main(["run", str(cfg), "--no-progress", "--overwrite"]) == 0
    assert (tmp_path / "r.h5").read_bytes()[:4] == b"\x89HDF"
    capsys.readouterr()
    assert (
        cli_main(["run", str(cfg), "--no-progress", "--overwrite", "--report", str(tmp_path / "r.h5")]) == 2
    )
    assert "are the same file" in capsys.readouterr().err
