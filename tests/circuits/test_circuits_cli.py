"""`soen tables build/check` on a tiny grid."""

import json

from soen.circuits import RateTable
from soen.cli import main


def test_tables_build_and_check(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOEN_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "t.npz"
    grid = ["--n-i", "5", "--n-phi", "3", "--i-min", "1.5", "--i-max", "2.5"]
    rc = main(["tables", "build", "--out", str(out), *grid])
    assert rc == 0 and out.exists()
    t = RateTable.load(out)
    assert t.g.shape == (5, 3) and t.model == "rcsj"
    capsys.readouterr()
    # coarse grid: nodes reproduce exactly, but interpolation between them is poor -> failure exit code
    rc = main(["tables", "check", "--table", str(out), "--points", "6", "--tol-interp", "1e-6"])
    rep = json.loads(capsys.readouterr().out)
    assert rc == 1 and rep["ok"] is False and rep["max_dev_node"] < 1e-9
    rc = main(["tables", "check", "--table", str(out), "--points", "6", "--tol-interp", "1.0"])
    assert rc == 0


def test_tables_check_shipped(capsys):
    assert main(["tables", "check", "--points", "10"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["max_dev_node"] < 1e-9 and rep["max_dev_interp"] < 5e-3


def test_tables_bad_args(tmp_path, capsys):
    assert main(["tables", "build", "--out", str(tmp_path / "x.npz"), "--n-i", "1"]) == 2
    assert "n_i" in capsys.readouterr().err
    assert main(["tables", "check", "--points", "0"]) == 2
