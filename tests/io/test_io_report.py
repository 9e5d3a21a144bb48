"""HTML reports: self-contained, escaped, and rendered by a real browser (headless Chromium)."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess

import numpy as np
import pytest

from soen.cli import main as cli_main
from soen.io import ResultWriter, write_report
from soen.io.report import summary_statistics

EVIL = "<script>alert('x')</script>&<i id=evil>"


def test_report_is_self_contained(report_html):
    text = report_html.read_text()
    assert text.startswith("<!DOCTYPE html>") and "</html>" in text
    imgs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(imgs) >= 6  # energy, raster, rates, spectrum, ISI, traces, morphologies
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in imgs)
    assert not re.search(r'(src|href)="(http|//)', text)  # nothing fetched from elsewhere
    for needle in (
        "Energy ledger",
        "energy_per_spike_J",
        "Activity",
        "synchrony",
        "exc → exc",
        "FixedInDegree",
    ):
        assert needle in text, needle


def test_every_user_label_is_escaped(tmp_path):
    path = tmp_path / "evil.h5"
    with ResultWriter(
        path,
        network={},
        run=dict(duration_ns=50.0, dt_ns=0.1, seed=0, integrator="euler", comment=EVIL),
        populations={"p": (0, 2)},
        trace_labels=[("p", 0, EVIL)],
        n_traces=1,
    ) as w:
        w.append_spikes(np.array([1.0, 2.0, 30.0]), np.array([0, 1, 1]))
        w.append_traces(np.arange(0, 50, 1.0), np.zeros((50, 1)), np.zeros((50, 1)))
        w.finish(complete=False, message=EVIL, counts={EVIL: 1}, timing={}, fluxons=np.zeros(2), metadata={})
    text = write_report(path, tmp_path / "evil.html", title=EVIL).read_text()
    assert "<script>" not in text and "<i id=evil>" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;&lt;i id=evil&gt;" in text
    assert "Incomplete run" in text


def test_summary_statistics_use_analysis(result):
    rows = summary_statistics(result)
    assert [r["population"] for r in rows] == ["exc", "inh"]
    exc = rows[0]
    assert exc["spikes"] == result.spikes("exc")[0].size
    assert exc["mean_rate_MHz"] == pytest.approx(result.rates_hz("exc").mean() / 1e6)


def test_cli_report_and_info(results_file, tmp_path, capsys):
    out = tmp_path / "cli.html"
    assert cli_main(["report", str(results_file), "-o", str(out)]) == 0
    assert out.stat().st_size > 10_000
    assert cli_main(["info", str(results_file)]) == 0
    text = capsys.readouterr().out
    assert "complete" in text and "exc" in text and "energy" in text
    bad = tmp_path / "bad.h5"
    bad.write_text("nope")
    assert cli_main(["info", str(bad)]) == 2
    assert "not an HDF5 file" in capsys.readouterr().err


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome", "headless_shell"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_report_renders_in_headless_chromium(report_html, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip(
            "headless Chromium not found (Debian: apt-get install chromium); the HTML report is not "
            "rendered in a browser in this run"
        )
    Image = pytest.importorskip("PIL.Image")
    html = report_html
    shot = tmp_path / "shot.png"
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1200,3000",
        html.resolve().as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    assert shot.is_file(), proc.stderr.decode(errors="replace")[-2000:]
    with Image.open(shot) as im:
        rgb = np.asarray(im.convert("RGB"))
    assert rgb.shape[:2] == (3000, 1200)
    non_white = (rgb.min(axis=2) < 235).mean()
    colours = np.unique(rgb.reshape(-1, 3), axis=0).shape[0]
    blue = (np.abs(rgb.astype(int) - [31, 119, 180]).max(axis=2) < 30).sum()  # matplotlib's C0: the figures
    assert non_white > 0.05 and colours > 1000 and blue > 500, (non_white, colours, blue)
