"""A self-contained HTML report of a results file: run parameters, statistics, energy, figures.

Figures are embedded as base64 PNG, so the page is one file that opens anywhere without network
access. Every text taken from the file (labels, names, messages) is HTML-escaped: a results file is
data from elsewhere.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
from pathlib import Path
from typing import Any

import numpy as np

from soen.engine.result import Result

__all__ = ["write_report", "render_report", "summary_statistics"]


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _fmt(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.6g}"
    text = str(v)
    return text if len(text) <= 500 else text[:499] + "…"


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return base64.b64encode(buf.getvalue()).decode("ascii")


#: synchrony χ is computed when neurons × bins stays below this (its count matrix is dense)
_CHI_MAX_CELLS = 20_000_000
#: at most this many morphology figures in a report
_MAX_MORPHOLOGIES = 12


def summary_statistics(result: Result) -> list[dict[str, Any]]:
    """Per-population statistics: neurons, spikes, rates, ISI CV (:mod:`soen.analysis`), synchrony χ.

    The rate is over the simulated time reached; ISI CV is the mean over neurons with ≥ 3 spikes;
    χ uses bins of max(dt, span/500) (and is NaN for populations too large for its dense count
    matrix). Memory grows with the number of spikes, not with the declared population sizes.
    """
    from soen.analysis import isi_cv, synchrony_chi

    span = result.t_end_ns if result.t_end_ns > 0 else result.duration_ns
    if result.spike_times_ns.size:
        span = max(span, float(result.spike_times_ns.max()))
    span_s = span * 1e-9
    rows = []
    for name, (_, n) in result.populations.items():
        t, ids = result.spikes(name)
        active, local, counts = np.unique(ids, return_inverse=True, return_counts=True)
        cv = isi_cv(t, local, active.size) if active.size else np.empty(0)
        cv = cv[np.isfinite(cv)]
        chi = float("nan")
        bin_ns = max(result.dt_ns, span / 500.0)
        if t.size >= 2 and n >= 2 and n * (span / bin_ns + 1) <= _CHI_MAX_CELLS:
            chi = synchrony_chi(t, ids, n, span, bin_ns=bin_ns)
        rows.append(
            dict(
                population=name,
                neurons=n,
                spikes=int(t.size),
                mean_rate_MHz=t.size / (n * span_s) / 1e6,
                max_rate_MHz=(float(counts.max()) / span_s / 1e6) if counts.size else 0.0,
                active_fraction=active.size / n,
                isi_cv=float(cv.mean()) if cv.size else float("nan"),
                synchrony_chi=chi,
            )
        )
    return rows


def _table(rows: list[tuple[str, Any]], head: tuple[str, ...] = ("", "")) -> str:
    out = ["<table>", "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{_e(_fmt(c))}</td>" for c in r) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _figure_block(title: str, make) -> str:
    """A figure as <figure> with an embedded PNG, or a note if it could not be drawn."""
    try:
        fig = make()
    except Exception as exc:
        return f'<p class="note">{_e(title)}: not drawn ({_e(type(exc).__name__)}: {_e(exc)})</p>'
    if fig is None:
        return ""
    return (
        f'<figure><img alt="{_e(title)}" src="data:image/png;base64,{_png(fig)}">'
        f"<figcaption>{_e(title)}</figcaption></figure>"
    )


_CSS = """
body { font-family: system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1100px; color: #222; background: #fff; line-height: 1.4; }
h1 { font-size: 1.6em; border-bottom: 3px solid #2a6f97; padding-bottom: .2em; }
h2 { font-size: 1.25em; color: #2a6f97; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .92em; }
th, td { border: 1px solid #ccd; padding: .25em .7em; text-align: left; }
th { background: #e8f0f7; }
tr:nth-child(even) td { background: #f7f9fc; }
.ok { background: #d8f3dc; border-left: 6px solid #2d6a4f; padding: .5em 1em; }
.bad { background: #ffe5d9; border-left: 6px solid #c1121f; padding: .5em 1em; }
.note { color: #666; font-style: italic; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #555; font-size: .9em; }
.grid { display: flex; flex-wrap: wrap; gap: 2em; }
"""


def render_report(result: Result, info: dict[str, Any] | None = None, *, title: str | None = None) -> str:
    """The HTML text of a report on ``result`` (``info`` from :func:`soen.io.read_info`, optional)."""
    from soen.plot.analysis import plot_isi_histogram, plot_population_rate
    from soen.plot.spikes import plot_morphology, plot_raster, plot_rates, plot_traces

    info = info or {}
    run = info.get("run") or dict(
        duration_ns=result.duration_ns, dt_ns=result.dt_ns, seed=result.seed, integrator=result.integrator
    )
    units = info.get("units") or {}
    title = title or str((info.get("file") or {}).get("title") or "soen run")
    parts = [
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>',
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
    ]
    if result.complete:
        parts.append(f'<p class="ok">Complete run: {_e(_fmt(result.duration_ns))} ns simulated.</p>')
    else:
        parts.append(
            f'<p class="bad"><b>Incomplete run</b>: data up to t = {_e(_fmt(result.t_end_ns))} ns of '
            f"{_e(_fmt(result.duration_ns))} ns. {_e(result.message)}</p>"
        )
    # ---- run parameters
    parts.append("<h2>Run</h2>")
    rows = [(k, v, units.get(k, "")) for k, v in run.items() if not isinstance(v, (dict, list))]
    f = info.get("file") or {}
    for k in ("soen_version", "created_utc", "format_version"):
        if k in f:
            rows.append((k, f[k], ""))
    parts.append(_table(rows, ("parameter", "value", "unit")))
    # ---- statistics
    parts.append("<h2>Activity</h2>")
    stats = summary_statistics(result)
    head = (
        "population",
        "neurons",
        "spikes",
        "mean rate (MHz)",
        "max rate (MHz)",
        "active fraction",
        "mean ISI CV",
        "synchrony χ",
    )
    parts.append(_table([tuple(s.values()) for s in stats], head))
    if result.counts:
        parts.append("<h3>Counts</h3>" + _table(list(result.counts.items()), ("counter", "value")))
    if result.timing:
        parts.append("<h3>Wall time</h3>" + _table(list(result.timing.items()), ("quantity", "value")))
    # ---- energy
    energy = info.get("energy")
    if energy:
        parts.append("<h2>Energy ledger</h2>")
        comp = energy.get("energy_by_component_J") or {}
        if isinstance(comp, dict) and comp:
            parts.append(_table([(k, v) for k, v in comp.items()], ("component", "energy (J)")))
        parts.append(
            _table(
                [(k, v) for k, v in energy.items() if not isinstance(v, (dict, list))], ("quantity", "value")
            )
        )

        def energy_fig():
            from soen.energy import Ledger
            from soen.plot.energy import plot_energy_breakdown

            return plot_energy_breakdown(Ledger(**energy))

        parts.append(_figure_block("energy by component and power", energy_fig))
    # ---- figures
    parts.append("<h2>Spikes</h2>")
    span = result.t_end_ns if result.t_end_ns > 0 else result.duration_ns
    parts.append(_figure_block("spike raster (colour: population)", lambda: plot_raster(result)))
    parts.append(_figure_block("population rates", lambda: plot_rates(result)))
    if result.spike_ids.size >= 2:
        parts.append(
            _figure_block(
                "population rate and spectrum (all neurons)",
                lambda: plot_population_rate(
                    result.spike_times_ns,
                    result.n_neurons,
                    max(span, result.spike_times_ns.max()),
                    bin_ns=max(result.dt_ns, span / 500.0),
                ),
            )
        )
        active, local = np.unique(result.spike_ids, return_inverse=True)
        parts.append(
            _figure_block(
                "inter-spike intervals",
                lambda: plot_isi_histogram(result.spike_times_ns, local, active.size),
            )
        )
    if result.trace_labels and result.trace_times_ns.size:
        parts.append("<h2>Traces</h2>")
        parts.append(_figure_block("recorded s and φ", lambda: plot_traces(result)))
    # ---- network
    net = info.get("network")
    if net:
        parts.append("<h2>Network</h2>")
        parts.append(_network_tables(net))
        try:
            from soen.io.network_io import network_from_dict

            network = network_from_dict(net)
        except (TypeError, ValueError) as exc:
            parts.append(f'<p class="note">morphologies not drawn: {_e(exc)}</p>')
        else:
            parts.append('<div class="grid">')
            from soen.model.morphology import Neuron

            pops = [p for p in network.populations.values() if isinstance(p.neuron, Neuron)]
            for pop in pops[:_MAX_MORPHOLOGIES]:
                parts.append(
                    _figure_block(
                        f"morphology of {pop.name}",
                        lambda pop=pop: plot_morphology(pop.neuron, title=f"{pop.name}"),
                    )
                )
            parts.append("</div>")
            if len(pops) > _MAX_MORPHOLOGIES:
                parts.append(
                    f'<p class="note">morphologies of {len(pops) - _MAX_MORPHOLOGIES} more populations '
                    "not drawn</p>"
                )
    stamp = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    parts.append(f'<p class="note">Report generated by soen at {_e(stamp)}.</p></body></html>')
    return "\n".join(parts)


def _dicts(v) -> list[dict]:
    """The dict entries of a list from a file (anything else is skipped: the file is only described)."""
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []


def _network_tables(net: dict) -> str:
    pops = []
    for p in _dicts(net.get("populations")):
        neuron = p.get("neuron")
        dendrites = neuron.get("dendrites") if isinstance(neuron, dict) else None
        model = neuron.get("model") if isinstance(neuron, dict) else None
        pops.append(
            (p.get("name"), p.get("n"), 1 + len(dendrites) if isinstance(dendrites, list) else (model or "?"))
        )
    out = [_table(pops, ("population", "neurons", "dendrites per neuron (or model)"))]
    srcs = []
    for s in _dicts(net.get("sources")):
        detail = ", ".join(
            f"{k} = {_fmt(v)}"
            for k, v in s.items()
            if k not in ("type", "name") and not isinstance(v, (np.ndarray, list, dict))
        )
        srcs.append((s.get("name"), s.get("type"), detail))
    if srcs:
        out.append(_table(srcs, ("source", "type", "parameters")))
    projs = []
    for p in _dicts(net.get("projections")):
        c = p.get("connector") if isinstance(p.get("connector"), dict) else {}
        cdesc = ", ".join(
            f"{k} = {_fmt(v)}"
            for k, v in c.items()
            if k != "type" and not isinstance(v, (np.ndarray, list, dict))
        )
        projs.append(
            (
                f"{p.get('pre')} → {p.get('post')}",
                f"{c.get('type')}" + (f" ({cdesc})" if cdesc else ""),
                _value_desc(p.get("weight")),
                _value_desc(p.get("delay_ns")),
                p.get("target"),
            )
        )
    if projs:
        out.append(_table(projs, ("projection", "connector", "weight", "delay (ns)", "target")))
    return "\n".join(out)


def _value_desc(v) -> str:
    if isinstance(v, dict):
        return ", ".join(
            f"{k} = {_fmt(x)}" for k, x in v.items() if not isinstance(x, (dict, list, np.ndarray))
        )
    if isinstance(v, np.ndarray):
        if v.size and v.dtype.kind in "fiu":
            return f"{v.size} values, mean {np.mean(v):.4g}"
        return f"{v.size} values"
    return _fmt(v)


def write_report(results: str | Path | Result, out_html: str | Path, *, title: str | None = None) -> Path:
    """Write a self-contained HTML report of a results file (or a :class:`~soen.Result`) to ``out_html``.

    Parameters
    ----------
    results : path of a results file (``.h5``) or a Result.
    out_html : the HTML file to write.
    title : page title (default: the run's title, or "soen run").

    Returns
    -------
    pathlib.Path
        ``out_html``.
    """
    from soen.io.results import load, read_info

    if isinstance(results, Result):
        result, info = results, {}
    else:
        result, info = load(results), read_info(results)
        if title is None and not (info.get("file") or {}).get("title"):
            title = f"soen run: {Path(results).name}"
    out = Path(out_html)
    out.write_text(render_report(result, info, title=title), encoding="utf-8")
    return out
