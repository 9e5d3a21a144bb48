"""Run soen, Brian2 (cython runtime and C++ standalone) and NEST side by side; print JSON lines.

    bash benchmarks/compare/setup_venvs.sh                 # once: the Brian2 and NEST environments
    python3 benchmarks/compare/run_compare.py              # all cases (≈ 15 min on 2 cores)
    python3 benchmarks/compare/run_compare.py coba4000 --skip nest
    python3 benchmarks/compare/run_compare.py --from-logs old.log new.log   # ratios from saved lines

Every simulator runs in its own process (peak memory is per process); each prints one ``RESULT {json}``
line, echoed here, followed by one ``RATIO {json}`` line per case with soen's ratios
(other / soen for times, so > 1 means soen is faster) and rate differences in %. Nothing is asserted.
soen runs twice per case: with its Numba cache as found (normally warm: the compiled kernels are
loaded from disk) and "cold", with an empty cache directory (NUMBA_CACHE_DIR), so that the total
includes compiling every kernel the run uses, as Brian2's C++ standalone total includes its compiler.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import CASES  # noqa: E402

PY = {
    "soen": sys.executable,
    "brian2": str(HERE / ".venv" / "brian2" / "bin" / "python"),
    "nest": str(HERE / ".venv" / "nest" / "bin" / "python"),
}


def run(sim: str, script: str, case: str, variant: str, duration_ms: float, timeout: float):
    py = PY[sim]
    if not pathlib.Path(py).exists():
        print(f"# {sim}: no environment at {py} (run setup_venvs.sh); skipped", flush=True)
        return None
    cmd = [py, str(HERE / script), case, "--duration-ms", str(duration_ms)] + (
        ["--variant", variant] if variant else []
    )
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    if sim == "soen" and variant == "cold":  # an empty Numba cache: every kernel is compiled in the run
        env["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="soen_cold_numba_")
    try:
        p = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        print(f"# {sim} {variant} {case}: timed out after {timeout:.0f} s", flush=True)
        return None
    rows = [json.loads(line[7:]) for line in p.stdout.splitlines() if line.startswith("RESULT ")]
    if p.returncode != 0 or not rows:
        print(
            f"# {sim} {variant} {case}: failed (exit {p.returncode}): {p.stderr.strip()[-800:]}", flush=True
        )
        return None
    print(json.dumps(rows[-1]), flush=True)
    return rows[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cases", nargs="*", default=list(CASES))
    ap.add_argument("--duration-ms", type=float, default=1000.0)
    ap.add_argument(
        "--skip",
        nargs="*",
        default=[],
        help="simulators to skip: soen brian2-cython brian2-cpp_standalone nest, or sim:case",
    )
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument(
        "--from-logs", nargs="+", metavar="LOG", help="only recompute RATIO lines from saved output"
    )
    a = ap.parse_args()
    if a.from_logs:
        from_logs(a.from_logs)
        return
    for case in a.cases:
        model = CASES[case]["model"]
        jobs = [("soen", "bench_soen.py", ""), ("soen", "bench_soen.py", "cold")]
        if model == "coba":
            jobs.append(("soen", "bench_soen.py", "rk4"))
        jobs += [
            ("brian2", "bench_brian2.py", "cython"),
            ("brian2", "bench_brian2.py", "cpp_standalone"),
            ("nest", "bench_nest.py", ""),
        ]
        rows = []
        if "soen" not in a.skip:  # fill soen's Numba cache (a no-op when it is warm) so "warm" is warm
            subprocess.run([PY["soen"], str(HERE / "bench_soen.py"), case, "--duration-ms", "1"],
                           cwd=HERE, capture_output=True, timeout=a.timeout)
        for sim, script, variant in jobs:
            name = f"{sim}-{variant}" if sim == "brian2" else sim
            if name in a.skip or f"{name}:{case}" in a.skip:
                continue
            r = run(sim, script, case, variant, a.duration_ms, a.timeout)
            if r is not None:
                rows.append(r)
        ratio = ratios(case, rows)
        if ratio is not None:
            print("RATIO " + json.dumps(ratio), flush=True)


def ratios(case: str, rows: list):
    """soen's ratios against every other row of a case (other / soen for times: > 1 = soen faster)."""
    base = next(
        (
            r
            for r in rows
            if r["simulator"] == "soen"
            and r["method"] in ("exponential_euler", "exact")
            and r.get("numba_cache", "warm") == "warm"
        ),
        None,
    )
    if base is None:
        return None
    out = dict(
        case=case,
        soen_method=base["method"],
        soen_sim_s=base["sim_s"],
        soen_total_s=base["total_s"],
        soen_bytes_per_synapse=base.get("bytes_per_synapse"),
    )
    for r in rows:
        if r is base:
            continue
        key = r["simulator"] + ("-" + r["method"] if r["simulator"] == "soen" else "")
        key += "-cold" if r.get("numba_cache") == "cold" else ""
        out[key] = dict(
            sim_ratio=round(r["sim_s"] / base["sim_s"], 2) if base["sim_s"] else None,
            total_ratio=round(r["total_s"] / base["total_s"], 2),
            rate_diff_pct=round(100 * (base["rate_hz"] - r["rate_hz"]) / r["rate_hz"], 2)
            if r["rate_hz"]
            else None,
        )
    return out


def from_logs(paths):
    """Recompute the RATIO lines from saved output (the last row per simulator, method and case wins)."""
    rows: dict = {}
    for path in paths:
        for line in pathlib.Path(path).read_text().splitlines():
            line = line.strip()
            if line.startswith("{"):
                r = json.loads(line)
                rows[(r["case"], r["simulator"], r["method"], r.get("numba_cache"))] = r
    for case in CASES:
        sel = [r for (c, *_), r in rows.items() if c == case]
        ratio = ratios(case, sel)
        if ratio is not None:
            print("RATIO " + json.dumps(ratio))


if __name__ == "__main__":
    main()
