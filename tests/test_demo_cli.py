"""The `soen` command line: demo writes its summary, figure and data."""

from __future__ import annotations

import numpy as np

from soen.cli import main


def test_demo_writes_summary_figure_and_data(tmp_path, capsys):
    rc = main(["demo", "--out", str(tmp_path), "--duration-ns", "200", "--n-exc", "40"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "spikes:" in out and "steps/s" in out
    png = tmp_path / "demo_raster_traces.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    data = np.load(tmp_path / "demo_result.npz", allow_pickle=False)
    assert data["spike_ids"].size > 0
    assert data["traces_s"].shape[1] == 5


def test_cli_reports_bad_arguments(capsys):
    rc = main(["demo", "--out", "/dev/null/x", "--duration-ns", "-5"])
    assert rc == 2
    assert "error" in capsys.readouterr().err
