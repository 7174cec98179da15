"""Pairwise matrices: exact W_1 between every pair of sample sets, three ways.

    python benchmarks/bench_pairwise.py              # 64 sets of 2,000 points: 2,016 pairs
    python benchmarks/bench_pairwise.py --quick      # 6 sets: 15 pairs
    python benchmarks/bench_pairwise.py --sets 12 --loop-pairs 10

Contenders, on the same sets in one process:

1. a plain Python loop over ``ot.emd2`` (POT's network simplex, given an
   iteration budget large enough to finish) on ``ot.dist`` costs -- one core;
2. ``dv.pairwise(..., kind="wasserstein")`` on threads (one per core);
3. ``dv.pairwise(..., client=...)`` on a 2-worker ``LocalCluster`` (loopback,
   one thread per worker process).

Reported: wall time, pairs per second, speed-up over the loop, the values'
largest disagreement with the loop, and for the cluster the per-task
overhead -- wall time times worker threads, less the time spent inside tasks,
per task (scheduling, transfers, and idle time at the end) -- next to the
round trip of a no-op task, and the peak resident memory of each worker.
Cluster start-up and the workers' first imports (POT imports torch through
geomloss here, seconds per process) are timed apart, on a warm-up matrix.

``--loop-pairs K`` times the loop on K pairs only and extrapolates (said so
in the table): at full size the loop alone takes about an hour on one core.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import divergences as dv  # noqa: E402
from divergences._threads import available_cores  # noqa: E402
from _harness import (  # noqa: E402
    fmt_bytes,
    fmt_seconds,
    machine_line,
    markdown_table,
    peak_rss_during,
    task_round_trip_seconds,
    worker_max_rss_mib,
)


def make_sets(count, points, seed=0):
    """Gaussian clouds in 2-D with drifting means and random covariances."""
    rng = np.random.default_rng(seed)
    sets = []
    for _ in range(count):
        mixing = rng.normal(size=(2, 2)) * 0.5 + np.eye(2)
        sets.append(rng.normal(size=(points, 2)) @ mixing + rng.normal(scale=2.0, size=2))
    return sets


def loop_emd2(sets, pairs):
    import ot

    values = {}
    for i, j in pairs:
        x, y = sets[i], sets[j]
        a, b = np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y))
        values[i, j] = ot.emd2(a, b, ot.dist(x, y, metric="euclidean"), numItermax=10**8)
    return values


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 sets (15 pairs)")
    parser.add_argument("--sets", type=int, default=None, help="number of sets (default 64)")
    parser.add_argument("--points", type=int, default=2000, help="points per set")
    parser.add_argument("--loop-pairs", type=int, default=None,
                        help="time the plain loop on this many pairs and extrapolate")
    parser.add_argument("--solver", default=None,
                        help="exact solver for dv.pairwise (default: auto, the auction for "
                             "these uniform clouds; 'network_simplex' is POT's, as in the loop)")
    args = parser.parse_args(argv)
    options = {} if args.solver is None else {"solver": args.solver}
    count = args.sets or (6 if args.quick else 64)
    sets = make_sets(count, args.points)
    pairs = [(i, j) for i in range(count) for j in range(i + 1, count)]
    cores = available_cores()
    print(f"# pairwise exact W_1: {count} sets of {args.points} points in 2-D, "
          f"{len(pairs)} pairs, dv.pairwise solver: {args.solver or 'auto'}\n\n"
          f"{machine_line()}; {cores} cores usable here\n", flush=True)

    # 1. The plain loop (POT imported and warmed on one small pair first).
    loop_emd2([sets[0][:50], sets[1][:50]], [(0, 1)])
    timed_pairs = pairs if args.loop_pairs is None else pairs[: args.loop_pairs]
    start = time.perf_counter()
    loop_values, loop_peak = peak_rss_during(lambda: loop_emd2(sets, timed_pairs))
    loop_wall = (time.perf_counter() - start) * len(pairs) / len(timed_pairs)
    loop_note = "" if len(timed_pairs) == len(pairs) else (
        f" (extrapolated from {len(timed_pairs)} pairs)")

    def disagreement(matrix):
        return max(abs(matrix[i, j] - value) for (i, j), value in loop_values.items())

    # 2. Threads in this process.
    start = time.perf_counter()
    threads, threads_peak = peak_rss_during(
        lambda: dv.pairwise(sets, kind="wasserstein", progress=False, **options))
    threads_wall = time.perf_counter() - start

    # 3. A 2-worker LocalCluster: start-up and first imports timed apart.
    import distributed

    from divergences._pairwise.cluster import local_cluster

    start = time.perf_counter()
    cluster = local_cluster(n_workers=2, threads_per_worker=1)
    client = distributed.Client(cluster)
    startup = time.perf_counter() - start
    start = time.perf_counter()
    dv.pairwise([s[:100] for s in sets[:4]], kind="wasserstein", client=client, progress=False,
                **options)
    warmup = time.perf_counter() - start
    round_trip = task_round_trip_seconds(client)
    rss_before = worker_max_rss_mib(client)
    start = time.perf_counter()
    clustered = dv.pairwise(sets, kind="wasserstein", client=client, progress=False, **options)
    cluster_wall = time.perf_counter() - start
    rss_after = worker_max_rss_mib(client)
    client.close()
    cluster.close()

    details = clustered.details
    slots = details["threads"]
    # The probe pairs run in this process before any task goes out: not task overhead.
    busy = (cluster_wall - details["probe_seconds"]) * slots
    overhead = (busy - details["task_seconds"]) / details["tasks"]
    worker_peaks = ", ".join(f"{rss_after[w]:.0f} MiB (+{rss_after[w] - rss_before[w]:.0f})"
                             for w in sorted(rss_after))
    rows = [
        ["loop over ot.emd2, 1 core", fmt_seconds(loop_wall) + loop_note,
         f"{len(pairs) / loop_wall:.2f}", "1.00", "0", "-", fmt_bytes(loop_peak)],
        [f"dv.pairwise, {threads.details['workers']} threads", fmt_seconds(threads_wall),
         f"{len(pairs) / threads_wall:.2f}", f"{loop_wall / threads_wall:.2f}",
         f"{disagreement(threads.values):.1e}",
         f"{threads.details['tasks']} tasks x {threads.details['pairs_per_task']} pairs",
         fmt_bytes(threads_peak)],
        [f"dv.pairwise, LocalCluster {details['workers']} workers", fmt_seconds(cluster_wall),
         f"{len(pairs) / cluster_wall:.2f}", f"{loop_wall / cluster_wall:.2f}",
         f"{disagreement(clustered.values):.1e}",
         f"{details['tasks']} tasks x {details['pairs_per_task']} pairs; "
         f"{fmt_seconds(overhead)} overhead/task", worker_peaks],
    ]
    print(markdown_table(
        ["contender", "wall", "pairs/s", "speed-up", "max |diff| vs loop", "tasks",
         "peak memory (per worker: max RSS, +rise during the run)"], rows))
    print(f"\nCluster start-up {fmt_seconds(startup)}; warm-up matrix (workers' first imports) "
          f"{fmt_seconds(warmup)}; no-op task round trip {fmt_seconds(round_trip)}; "
          f"scatter broadcast: {details['broadcast']}; time inside tasks "
          f"{fmt_seconds(details['task_seconds'])} of {fmt_seconds(busy)} worker-seconds after "
          f"the {fmt_seconds(details['probe_seconds'])} of probe pairs "
          f"({details['task_seconds'] / busy:.0%}).")
    probe = threads.details["probe_seconds_per_pair"]
    agree = max(disagreement(threads.values), disagreement(clustered.values))
    print(f"Per-pair time (probe, this process): {fmt_seconds(probe)}; the loop and "
          f"dv.pairwise agree to {agree:.1e}.")
    np.testing.assert_allclose(threads.values, clustered.values, rtol=0, atol=1e-12)


if __name__ == "__main__":
    main()
