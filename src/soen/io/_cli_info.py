"""``soen info RESULTS.h5``: a terminal summary of a results file.

Every text taken from the file (title, message, names, labels) is printed with its control
characters escaped (:func:`soen.io._safe.printable`): a file cannot send terminal escape sequences.
"""

from __future__ import annotations

import argparse


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", help="results file (.h5) written by soen")


def _fmt(v) -> str:
    from soen.io._safe import printable

    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:.6g}"
    return printable(v, max_len=200)


def _t(v, style: str | None = None):
    """Escaped text for rich (no markup, no control characters)."""
    from rich.text import Text

    from soen.io._safe import printable

    return Text(printable(v, max_len=500), style=style or "")


def main(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from soen.io.report import summary_statistics
    from soen.io.results import load, read_info

    result, info = load(args.results, traces=False), read_info(args.results)
    con = Console(highlight=False)
    f = info["file"]
    status = (
        Text("complete", style="bold green")
        if result.complete
        else _t(f"INCOMPLETE: data up to {result.t_end_ns:g} ns — {result.message}", "bold red")
    )
    head = _t(args.results, "bold")
    head.append_text(
        _t(
            f" — soen results (format {f.get('format_version')}), soen {f.get('soen_version')}, "
            f"created {f.get('created_utc')}"
        )
    )
    con.print(head)
    if f.get("title"):
        con.print(_t(f["title"], "italic"))
    con.print(status)
    run = Table(title="run", show_header=True, header_style="bold")
    for h in ("parameter", "value", "unit"):
        run.add_column(h)
    for k, v in info["run"].items():
        run.add_row(_t(k), _t(_fmt(v)), _t(info["units"].get(k, "")))
    con.print(run)
    stats = Table(title="activity", header_style="bold")
    for h in ("population", "neurons", "spikes", "mean rate (MHz)", "max (MHz)", "ISI CV", "χ"):
        stats.add_column(h, justify="right")
    for s in summary_statistics(result):
        stats.add_row(
            _t(s["population"]),
            _fmt(s["neurons"]),
            _fmt(s["spikes"]),
            f"{s['mean_rate_MHz']:.4g}",
            f"{s['max_rate_MHz']:.4g}",
            f"{s['isi_cv']:.3g}",
            f"{s['synchrony_chi']:.3g}",
        )
    con.print(stats)
    if result.counts:
        con.print(_t("counts: " + ", ".join(f"{k} {_fmt(v)}" for k, v in result.counts.items())))
    if result.trace_labels:
        n_samples = f.get("n_samples", 0)
        con.print(_t(f"traces: {len(result.trace_labels)} elements × {_fmt(n_samples)} samples"))
    if info.get("energy"):
        e = info["energy"]
        line = (
            f"energy: total {_fmt(e.get('total_energy_J'))} J, "
            f"per spike {_fmt(e.get('energy_per_spike_J'))} J, power at 4 K {_fmt(e.get('power_4K_W'))} W, "
            f"wall {_fmt(e.get('power_wall_W'))} W"
        )
        con.print(_t(line))
    return 0
