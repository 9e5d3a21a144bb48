"""``soen budget``: the photon-budget planner on the command line.

Example::

    soen budget --fan-out 1000 --mu 3 --transmission 0.5
    soen budget --fan-out 700 --length-um 5000 --crossings 50 --planes 2 --rate-hz 2e7 --set material=Si
"""

from __future__ import annotations

import argparse
import json
import math

from soen.hardware import PARAMETERS, Hardware

from .budget import BudgetReport, plan_budget

__all__ = ["configure", "main"]

# CLI flag → registry name (the most common loss figures; any other via --set NAME=VALUE)
_HW_FLAGS = {
    "loss_db_per_cm": "waveguide propagation loss, dB/cm",
    "crossing_loss_db": "loss per crossing, dB",
    "interplane_loss_db": "loss per plane change, dB",
    "split_excess_loss_db": "excess loss per 1×2 split stage, dB",
    "detector_efficiency": "SPD detection efficiency (0, 1]",
    "led_efficiency": "LED efficiency η_LED (0, 1]",
    "wavelength_um": "wavelength, µm",
}


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the planner's arguments to ``parser``."""
    parser.add_argument("--fan-out", type=int, default=700,
                        help="targets per transmitter F (default 700, PRA17)")
    g = parser.add_mutually_exclusive_group()
    g.add_argument("--probability", type=float, default=None,
                   help="delivery probability per target (default 0.95)")
    g.add_argument("--mu", type=float, default=None, help="mean detected photons per target instead of P")
    parser.add_argument("--length-um", type=float, default=None, help="waveguide length, µm (default 1000)")
    parser.add_argument("--crossings", type=float, default=0.0, help="waveguide crossings on the path")
    parser.add_argument("--planes", type=float, default=0.0, help="interplane transitions on the path")
    parser.add_argument("--fibre-facets", type=float, default=0.0, help="chip–fibre facets on the path")
    parser.add_argument("--transmission", type=float, default=None,
                        help="whole non-splitting path efficiency (overrides the geometry)")
    parser.add_argument("--rate-hz", type=float, default=1e6,
                        help="firing rate for power figures (default 1 MHz)")
    parser.add_argument("--power-density-limit", type=float, default=None,
                        help="power-density limit at 4 K, W/cm² (default 1e-3, PRA17)")
    for name, help_text in _HW_FLAGS.items():
        parser.add_argument("--" + name.replace("_", "-"), dest=name, type=float, default=None,
                            help=help_text)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override any hardware registry parameter (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _parse_set(items: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--set expects NAME=VALUE, got {item!r}")
        name, value = item.split("=", 1)
        name = name.strip()
        if name not in PARAMETERS:
            raise ValueError(f"--set: unknown hardware parameter {name!r}; allowed: {', '.join(PARAMETERS)}")
        kind = PARAMETERS[name].kind
        if kind == "str":
            out[name] = value.strip()
        elif kind == "bool":
            out[name] = value.strip().lower() in ("1", "true", "yes")
        else:
            out[name] = float(value)
    return out


def _print_rich(r: BudgetReport) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    ok = "[bold green]feasible[/]" if r.feasible else "[bold red]IMPOSSIBLE[/]"
    con.print(f"[bold]Photon budget[/]: fan-out {r.fan_out}, target P = {r.target_probability:.6g} "
              f"(μ = {r.mu_required:.4g} detected photons per target) — {ok}")
    t = Table(show_header=True, header_style="bold")
    t.add_column("quantity")
    t.add_column("value", justify="right")
    for k, v in [
        ("split stages ⌈log2 F⌉", f"{r.split_stages}"),
        ("η_split (incl. 1/F)", f"{r.split_efficiency:.4g}"),
        ("path efficiency (excl. 1/F)", f"{r.path_efficiency:.4g} ({r.path_loss_db:.3f} dB)"),
        ("photons per spike N_emit", f"{r.photons_per_spike:.4g}"),
        ("light energy per spike (4 K)", f"{r.light_energy_per_spike_J:.4g} J"),
        ("energy per spike (4 K)", f"{r.energy_per_spike_4K_J:.4g} J"),
        ("energy per spike (wall)", f"{r.energy_per_spike_wall_J:.4g} J  ({r.cooling_W_per_W:.4g} W/W)"),
        ("SPD energy per spike (F·P·E_spd)", f"{r.synapse_energy_per_spike_J:.4g} J"),
        ("power per neuron at rate (4 K)", f"{r.power_per_neuron_4K_W:.4g} W at {r.firing_rate_hz:.4g} Hz"),
        ("power density (4 K)", f"{r.power_density_4K_W_per_cm2:.4g} W/cm² (limit "
                                f"{r.power_density_limit_W_per_cm2:.4g})"),
        ("max rate: power limit", f"{r.max_rate_power_hz:.4g} Hz"),
        ("max rate: detector reset", f"{r.max_rate_detector_hz:.4g} Hz"),
        ("extra photons per +1 dB", f"{r.extra_photons_per_db:.4g}"),
    ]:
        t.add_row(k, v)
    con.print(t)
    s = Table(title="loss budget and sensitivity", show_header=True, header_style="bold")
    for c in ("term", "loss (dB)", "share", "step", "extra photons per step"):
        s.add_column(c, justify="left" if c in ("term", "step") else "right")
    for lt in r.loss_terms:
        s.add_row(lt.name, f"{lt.loss_db:.3f}", f"{100 * lt.share:.1f} %", lt.unit,
                  f"{lt.extra_photons_per_unit:.4g}")
    con.print(s)
    for p in r.problems:
        con.print(f"[bold red]PROBLEM:[/] {p}")
    for w in r.warnings:
        con.print(f"[yellow]warning:[/] {w}")


def _jsonable(x: object) -> object:
    """Non-finite floats as strings ("inf", "nan") so the output is strict JSON."""
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x


def main(args: argparse.Namespace) -> int:
    """Run the planner; exit status 0 if feasible, 1 if the target is impossible."""
    overrides = _parse_set(list(args.set))
    for name in _HW_FLAGS:
        v = getattr(args, name, None)
        if v is not None:
            overrides[name] = v
    hw = Hardware(**overrides)
    r = plan_budget(hw, fan_out=args.fan_out, target_probability=args.probability, target_mu=args.mu,
                    length_um=args.length_um, n_crossings=args.crossings, n_planes=args.planes,
                    n_fibre_facets=args.fibre_facets, transmission=args.transmission,
                    firing_rate_hz=args.rate_hz, power_density_limit_W_per_cm2=args.power_density_limit)
    if args.json:
        print(json.dumps(_jsonable(r.to_dict()), indent=1))
    else:
        _print_rich(r)
    return 0 if r.feasible else 1
