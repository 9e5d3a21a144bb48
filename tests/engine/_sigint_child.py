"""Child process for the Ctrl-C tests: runs a long simulation (or ``soen run``) until SIGINT arrives.

usage: python _sigint_child.py FOLDER simulate|point
Prints one JSON line with the returned Result's state when simulate returns.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(folder: str, mode: str) -> None:
    import soen
    from soen import models

    out = Path(folder)
    net = soen.Network()
    if mode == "point":
        net.add_population(soen.Population("e", 500, neuron=models.DeltaLIF()))
        net.add_source(soen.PoissonSource("ext", 500, rate_hz=20000.0))
        net.connect("ext", "e", soen.OneToOne(), weight=1.0)
        kw = dict(dt_ns=1e5)
        duration = 1e14  # far longer than the test waits
    else:
        net.add_population("exc", 50, soen.point_neuron())
        net.add_source(soen.PoissonSource("drive", 50, rate_hz=40e6))
        net.connect("drive", "exc", soen.FixedInDegree(3), weight=1.0)
        kw = dict(dt_ns=0.1)
        duration = 1e9
    res = soen.simulate(net, duration, seed=3, progress=False, output=out / "run.h5", checkpoint=out / "run.npz",
                        **kw)
    print(json.dumps(dict(complete=res.complete, t_end_ns=res.t_end_ns, message=res.message,
                          n_spikes=int(res.spike_ids.size))), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
