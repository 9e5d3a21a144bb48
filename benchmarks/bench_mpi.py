"""Communication cost of the MPI engine's epoch exchange, and a whole run on 1 … P ranks.

Model (docs/scale-out.md): one epoch's exchange costs t = α + β · B, with B the bytes every rank
receives (16 B per spike: stamp step and global neuron id, int64). The micro-benchmark times the
engine's two collectives (``Allgather`` of a 4 × int64 header, ``Allgatherv`` of the spikes) for
several spikes per rank per epoch and fits α and β by least squares; the run benchmark steps a
recurrent SOEN network and reports the wall time, the share spent in exchanges and the spike payload
bytes the ranks sent to each other (``Result.metadata["mpi"]``). ``--exchange alltoall`` times the
directed exchange instead (``Alltoall`` of the 6 × int64 header per pair, ``Alltoallv`` with the k
spikes of a rank sent to every other rank: the worst case, every sender with targets everywhere) and
runs the network with ``MPI(exchange="alltoall")``.

    python3 benchmarks/bench_mpi.py                 # P = 1 … 4, prints a table and a JSON line per P
    python3 benchmarks/bench_mpi.py --ranks 1 2 --neurons 4000 --duration-ns 200
    python3 benchmarks/bench_mpi.py --ranks 2 --exchange alltoall
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np


def micro(comm, spikes_per_rank, reps, words_per_spike=2, exchange="allgather"):
    """Median seconds of one exchange (header + spikes) for each number of spikes per rank (the
    slowest rank's median). ``words_per_spike``: int64 words per spike (the engine packs one, 8 B;
    the default 2 is the format this benchmark's published table was measured with); the header is
    the engine's 6 × int64."""
    from mpi4py import MPI

    P = comm.Get_size()
    out = []
    w = int(words_per_spike)
    for k in spikes_per_rank:
        send = np.arange(w * k, dtype=np.int64)
        head = np.array([k, 0, 0, 0, 0, 0], dtype=np.int64)
        heads = np.empty((P, 6), dtype=np.int64)
        recv = np.empty(w * k * P, dtype=np.int64)
        counts = np.full(P, w * k, dtype=np.int64)
        displs = np.arange(P, dtype=np.int64) * w * k
        head_pp = np.tile(head, (P, 1))  # (alltoall: one header per destination rank)
        send_pp = np.tile(send, P)  # (alltoall: the same k spikes to every rank)
        ts = []
        for r in range(reps + 10):
            comm.Barrier()
            t0 = time.perf_counter()
            if exchange == "alltoall":
                comm.Alltoall([head_pp, MPI.INT64_T], [heads, MPI.INT64_T])
                if k:
                    comm.Alltoallv([send_pp, (counts, displs), MPI.INT64_T], [recv, (counts, displs), MPI.INT64_T])
            else:
                comm.Allgather([head, MPI.INT64_T], [heads, MPI.INT64_T])
                if k:
                    comm.Allgatherv([send, MPI.INT64_T], [recv, (counts, displs), MPI.INT64_T])
            t = time.perf_counter() - t0
            if r >= 10:
                ts.append(t)
        # the slowest rank sets the pace of the epoch
        out.append(comm.allreduce(float(np.median(ts)), op=MPI.MAX))
    return out


def network(n):
    import soen

    net = soen.Network()
    n_exc = int(0.8 * n)
    net.add_population("exc", n_exc, soen.point_neuron())
    net.add_population("inh", n - n_exc, soen.point_neuron())
    net.add_source(soen.PoissonSource("drive", n_exc, rate_hz=40e6))
    net.connect("drive", "exc", soen.OneToOne(), weight=0.9)
    net.connect("exc", "exc", soen.FixedInDegree(20), weight=soen.Uniform(0.01, 0.03), delay_ns=soen.Uniform(1.0, 3.0))
    net.connect("exc", "inh", soen.FixedInDegree(20), weight=0.03, delay_ns=1.0)
    net.connect("inh", "exc", soen.FixedInDegree(5), weight=-0.05, delay_ns=1.0)
    return net


def worker(a):
    import warnings

    from mpi4py import MPI

    import soen

    warnings.simplefilter("ignore")
    comm = MPI.COMM_WORLD
    sizes = [0, 10, 100, 1000, 10000]
    t_ex = micro(comm, sizes, a.reps, exchange=a.exchange)
    P = comm.Get_size()
    B = [16 * k * P for k in sizes]
    beta, alpha = np.polyfit(B, t_ex, 1)
    eng = soen.engines.MPI(threads=1, exchange=a.exchange)
    net = network(a.neurons)
    eng.simulate(net, 20.0, seed=1)  # JIT warm-up (Numba's disk cache)
    comm.Barrier()
    t0 = time.perf_counter()
    res = eng.simulate(net, a.duration_ns, seed=1)
    wall = time.perf_counter() - t0
    ex = comm.allreduce(eng.stats["exchange_s"], op=MPI.MAX)
    if comm.Get_rank() == 0:
        print(json.dumps(dict(ranks=P, exchange=a.exchange, bytes_sent=res.metadata["mpi"]["bytes_sent"],
                              header_bytes=res.metadata["mpi"]["header_bytes"], alpha_us=alpha * 1e6, beta_ns_per_byte=beta * 1e9,
                              exchange_us={str(k): t * 1e6 for k, t in zip(sizes, t_ex)},
                              neurons=a.neurons, duration_ns=a.duration_ns, spikes=int(res.spike_ids.size),
                              epoch_steps=eng.stats["epoch_steps"], exchanges=eng.stats["exchanges"],
                              run_s=res.timing["run_s"], wall_s=wall, exchange_s_max=ex)), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 3, 4])
    ap.add_argument("--neurons", type=int, default=2000)
    ap.add_argument("--duration-ns", type=float, default=300.0)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--exchange", choices=["allgather", "alltoall"], default="allgather")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        return worker(a)
    mpiexec = shutil.which("mpiexec", path=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    if mpiexec is None:
        raise SystemExit("bench_mpi: no mpiexec (pip install 'soen[mpi]')")
    rows = []
    for P in a.ranks:
        cmd = [mpiexec, "-n", str(P), sys.executable, __file__, "--worker", "--neurons", str(a.neurons),
               "--duration-ns", str(a.duration_ns), "--reps", str(a.reps), "--exchange", a.exchange]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        if p.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{p.stderr[-3000:]}")
        line = [x for x in p.stdout.splitlines() if x.startswith("{")][-1]
        print(line, flush=True)
        rows.append(json.loads(line))
    print(f"\n{'P':>2} {'α (µs)':>8} {'β (ns/B)':>9} {'t(0)':>7} {'t(1e4/rank) µs':>15} {'run s':>7} "
          f"{'exchange s':>10} {'epochs':>7} {'bytes sent per rank'}")
    for r in rows:
        print(f"{r['ranks']:>2} {r['alpha_us']:>8.2f} {r['beta_ns_per_byte']:>9.3f} {r['exchange_us']['0']:>7.2f} "
              f"{r['exchange_us']['10000']:>15.1f} {r['run_s']:>7.2f} {r['exchange_s_max']:>10.3f} {r['exchanges']:>7} {r['bytes_sent']}")


if __name__ == "__main__":
    main()
