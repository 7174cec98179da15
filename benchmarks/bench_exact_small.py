"""Exact W_p below 1,000 points: the auction against the network simplex, for solver="auto"'s rule.

For each panel input (:data:`bench_exact.PANEL_INPUTS`), d = 2 and 5, orders 1
and 2 and each size: our auction and our network simplex (both forced, both
certified) and POT ``emd2`` (enough iterations, cost matrix included), in this
process, interleaved, best of 5 (3 from 1,000 points) in CPU and in wall
seconds, with the 1-minute load average. The measured crossover is written in
:func:`divergences.ot.exact._auto_solver`.

Run: python benchmarks/bench_exact_small.py [sizes, default 100,200,300,400,500,700,1000]
"""

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import divergences as dv  # noqa: E402
from bench_exact import PANEL_INPUTS  # noqa: E402
from divergences.testing import panel_clouds  # noqa: E402


def main(argv=None):
    import ot
    from scipy.spatial.distance import cdist

    from divergences._kernels import auction, costs, dense_check

    argv = sys.argv[1:] if argv is None else argv
    sizes = [int(s) for s in (argv[0] if argv else "100,200,300,400,500,700,1000").split(",")]
    auction.warm_up()
    dense_check.warm_up()
    costs.warm_up()
    print("n d order input | cpu ms: auction simplex pot | wall ms: auction simplex pot | load",
          flush=True)
    for n in sizes:
        for d in (2, 5):
            for order in (1.0, 2.0):
                for name in PANEL_INPUTS:
                    x, y = panel_clouds(name, n, d, rng=n + d)

                    def solve(solver, x=x, y=y, order=order):
                        return dv.wasserstein(x, y, order=order, method="exact", solver=solver)

                    def pot(x=x, y=y, order=order):
                        return ot.emd2([], [], cdist(x, y) ** order, numItermax=10**10)

                    runs = {"auction": lambda: solve("auction"),
                            "simplex": lambda: solve("network_simplex"), "pot": pot}
                    cpu, wall = dict.fromkeys(runs, np.inf), dict.fromkeys(runs, np.inf)
                    for _ in range(5 if n <= 500 else 3):
                        for key, fn in runs.items():
                            start, start_cpu = time.perf_counter(), time.process_time()
                            fn()
                            cpu[key] = min(cpu[key], time.process_time() - start_cpu)
                            wall[key] = min(wall[key], time.perf_counter() - start)
                    print(f"{n} {d} {order:g} {name} | "
                          + " ".join(f"{cpu[k] * 1e3:.2f}" for k in runs) + " | "
                          + " ".join(f"{wall[k] * 1e3:.2f}" for k in runs)
                          + f" | {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
