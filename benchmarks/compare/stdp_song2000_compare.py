"""Song, Miller & Abbott (2000) STDP side by side: soen (this environment) and Brian2 (its venv, built
by ``setup_venvs.sh``) with the same model, in one run. Prints one line per simulator and a verdict:
the fractions of weights in the top and bottom 10 % of [0, g_max] (agreement within 5 percentage
points), the output rate over the run and over its last fifth (within 10 %), the wall times.

    python3 benchmarks/compare/stdp_song2000_compare.py [--seconds 100] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "examples"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=100.0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    import stdp_song2000

    mine = stdp_song2000.run(a.seconds, a.seed)
    mine.pop("result")
    print("RESULT " + json.dumps(mine), flush=True)
    py = HERE / ".venv" / "brian2" / "bin" / "python"
    if not py.exists():
        print(f"# no Brian2 environment at {py} (run benchmarks/compare/setup_venvs.sh)")
        return
    p = subprocess.run([str(py), str(HERE / "stdp_song2000_brian2.py"), "--seconds", str(a.seconds), "--seed",
                        str(a.seed)], capture_output=True, text=True, check=True)
    line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")][-1]
    theirs = json.loads(line[7:])
    theirs.pop("w_hist", None)
    print("RESULT " + json.dumps(theirs), flush=True)
    verdict = dict(
        top10_diff_pp=round(100 * (mine["top10"] - theirs["top10"]), 2),
        bottom10_diff_pp=round(100 * (mine["bottom10"] - theirs["bottom10"]), 2),
        rate_diff_pct=round(100 * (mine["rate_hz"] / theirs["rate_hz"] - 1), 1),
        rate_last_fifth_diff_pct=round(100 * (mine["rate_last_fifth_hz"] / theirs["rate_last_fifth_hz"] - 1), 1),
        wall_ratio_brian2_over_soen=round(theirs["wall_s"] / mine["wall_s"], 2),
    )
    verdict["agree"] = (abs(verdict["top10_diff_pp"]) <= 5 and abs(verdict["bottom10_diff_pp"]) <= 5
                        and abs(verdict["rate_diff_pct"]) <= 10)
    print("VERDICT " + json.dumps(verdict), flush=True)


if __name__ == "__main__":
    main()
