"""The `soen` command line: demo writes its summary, figure and data."""

from __future__ import annotations

from soen.cli import main


def test_demo_writes_summary_figure_and_data(tmp_path, capsys):
    rc = main(["demo", "--out", str(tmp_path), "--duration-ns", "200", "--n-exc", "40"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "spikes:" in out and "steps/s" in out
    png = tmp_path / "demo_raster_traces.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    import soen

    data = soen.load(tmp_path / "demo_result.h5")
    assert data.complete and data.spike_ids.size > 0
    assert data.traces_s.shape[1] == 5
    assert main(["report", str(tmp_path / "demo_result.h5"), "-o", str(tmp_path / "r.html")]) == 0


def test_cli_reports_bad_arguments(capsys):
    rc = main(["demo", "--out", "/dev/null/x", "--duration-ns", "-5"])
    assert rc == 2
    assert "error" in capsys.readouterr().err
