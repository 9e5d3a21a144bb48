"""``soen tables``: build or check dendrite rate tables from the RCSJ circuit model."""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from soen.circuits._params import SquidParams
from soen.circuits.rate_table import DEFAULT_GRID, RateTable, _make_grid, default_path
from soen.circuits.squid import squid_rate


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``build`` and ``check`` sub-actions."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    b = sub.add_parser("build", help="build a rate table with the RCSJ solver and save it as NPZ")
    b.add_argument(
        "--out", type=Path, default=None, help=f"output file (default: the shipped {default_path().name})"
    )
    b.add_argument("--n-i", type=int, default=int(DEFAULT_GRID["n_i"]), help="rows of i_sq (default 200)")
    b.add_argument(
        "--n-phi", type=int, default=int(DEFAULT_GRID["n_phi"]), help="columns of phi 0..0.5 (default 201)"
    )
    b.add_argument("--i-min", type=float, default=DEFAULT_GRID["i_min"], help="lowest i_sq (default 0.95)")
    b.add_argument("--i-max", type=float, default=DEFAULT_GRID["i_max"], help="highest i_sq (default 2.5)")
    b.add_argument("--beta-c", type=float, default=0.3, help="Stewart-McCumber beta_c (default 0.3)")
    b.add_argument("--beta-1", type=float, default=math.pi / 2, help="arm inductance beta_1 (default pi/2)")
    b.add_argument("--beta-2", type=float, default=math.pi / 2, help="arm inductance beta_2 (default pi/2)")
    b.add_argument("--dt", type=float, default=0.1, help="RK4 step in tau0 (default 0.1)")
    b.add_argument("--use-cache", action="store_true", help="reuse a cached table with the same parameters")
    b.add_argument("--float32", action="store_true", help="store g as float32 (smaller file)")
    c = sub.add_parser("check", help="recompute random points fresh and compare with a stored table")
    c.add_argument("--table", type=Path, default=None, help="table file (default: the shipped table)")
    c.add_argument("--points", type=int, default=200, help="number of random points (default 200)")
    c.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    c.add_argument(
        "--tol-node", type=float, default=1e-5, help="max |Δg| allowed at grid nodes (default 1e-5)"
    )
    c.add_argument(
        "--tol-interp", type=float, default=5e-3, help="max |Δg| allowed between nodes (default 5e-3)"
    )


def _build(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    out = args.out if args.out is not None else default_path()
    # validate before the progress bar appears
    SquidParams(beta_c=args.beta_c, beta_1=args.beta_1, beta_2=args.beta_2)
    _make_grid(args.i_min, args.i_max, args.n_i, args.n_phi)
    t0 = time.perf_counter()
    with Progress(
        TextColumn("[bold]rate table"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} points"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ) as bar:
        task = bar.add_task("build", total=args.n_i * args.n_phi)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        table = RateTable.build(
            i_min=args.i_min,
            i_max=args.i_max,
            n_i=args.n_i,
            n_phi=args.n_phi,
            cache=args.use_cache,
            progress=progress,
            numerics={"dt": args.dt},
            beta_c=args.beta_c,
            beta_1=args.beta_1,
            beta_2=args.beta_2,
        )
    elapsed = time.perf_counter() - t0
    table.save(out, dtype="float32" if args.float32 else "float64")
    size = out.stat().st_size
    print(f"wrote {out} ({size / 1024:.0f} KiB) in {elapsed:.1f} s: {table!r}")
    return 0


def _check(args: argparse.Namespace) -> int:
    if args.points < 1:
        raise ValueError(f"--points must be >= 1, got {args.points}")
    table = RateTable.load(args.table if args.table is not None else default_path())
    if table.model != "rcsj":
        raise ValueError(f"can only check RCSJ tables, this one is {table.model!r}")
    num = dict(table.meta.get("numerics", {}))
    rng = np.random.default_rng(args.seed)
    n_half = max(1, args.points // 2)
    # (1) grid nodes: the fresh solve must reproduce the stored value
    ki = rng.integers(0, table.i_grid.size, n_half)
    kp = rng.integers(0, table.phi_grid.size, n_half)
    fresh = squid_rate(table.phi_grid[kp], table.i_grid[ki], **num, **table.params)
    dev_node = np.abs(fresh - table.g[ki, kp])
    # (2) random points between nodes: interpolation error
    n_off = max(1, args.points - n_half)
    i_r = rng.uniform(table.i_grid[0], table.i_grid[-1], n_off)
    p_r = rng.uniform(0.0, 0.5, n_off)
    fresh_r = squid_rate(p_r, i_r, **num, **table.params)
    dev_int = np.abs(fresh_r - table(p_r, i_r))
    k = int(np.argmax(dev_int))
    report = {
        "table": str(args.table or default_path()),
        "points_node": int(n_half),
        "max_dev_node": float(dev_node.max()),
        "points_interp": int(n_off),
        "max_dev_interp": float(dev_int.max()),
        "worst_interp_point": {"phi": float(p_r[k]), "i_sq": float(i_r[k]), "fresh": float(fresh_r[k])},
        "tol_node": args.tol_node,
        "tol_interp": args.tol_interp,
    }
    ok = report["max_dev_node"] <= args.tol_node and report["max_dev_interp"] <= args.tol_interp
    report["ok"] = bool(ok)
    print(json.dumps(report, indent=2))
    return 0 if ok else 1


def main(args: argparse.Namespace) -> int:
    """Run ``soen tables build`` or ``soen tables check``."""
    if args.action == "build":
        return _build(args)
    return _check(args)
