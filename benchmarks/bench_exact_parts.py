"""Where the time of solver="network_simplex" goes, against POT emd2 (cost matrix included).

For W_1 in 2-D on panel inputs (where solver="auto" takes the simplex), in this
process, interleaved, best of ``--repeat`` in CPU seconds (wall in brackets):
our whole call, POT's ``emd2`` on scipy's ``cdist``, and the parts of ours --
the cost matrix (:func:`divergences._kernels.costs.dense_costs`, scaled to a
largest entry in [1/2, 1)), POT's solver alone (``emd_c`` on that matrix), the
certificate (:func:`divergences._kernels.dense_check.complete_and_certify`) --
and scipy's ``cdist`` for comparison.

Run: python benchmarks/bench_exact_parts.py [--sizes 1000,2000] [--repeat 5]
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import divergences as dv  # noqa: E402
from divergences.testing import panel_clouds  # noqa: E402

INPUTS = ("shift 1 axis", "shift 10 diagonal", "mixture +-2 axis")


def main(argv=None):
    import ot
    from scipy.spatial.distance import cdist

    from divergences._kernels import costs, dense_check
    from divergences.ot import exact
    from divergences.ot._common import LengthScale
    from divergences.ot._simplex import _binding

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,2000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    costs.warm_up()
    dense_check.warm_up()
    emd_c, extra = _binding()
    print("n | input | ours | POT emd2 | POT / ours | matrix | cdist | emd_c | certificate "
          "| rest of ours | load  (CPU ms, wall ms in brackets)")
    for n in (int(v) for v in args.sizes.split(",")):
        for name in INPUTS:
            x, y = panel_clouds(name, n, 2, rng=n + 2)
            a = np.full(n, 1.0 / n)
            length = LengthScale(x, y, 1.0, 1.0)
            xs, ys = length.points(x), length.points(y)
            state = {}

            def matrix():
                state["cost"], _, _ = costs.dense_costs(0, 2.0, 1.0, xs, ys,
                                                        exact._largest_exponent)

            def solve():
                state["out"] = emd_c(a, a, state["cost"], 2**40, *extra)

            def certify():
                plan, _, f, g, _ = state["out"]
                dense_check.complete_and_certify(plan, state["cost"], a, a, f.copy(), g.copy())

            runs = {
                "ours": lambda: dv.wasserstein(x, y, solver="network_simplex"),
                "pot": lambda: ot.emd2([], [], cdist(x, y), numItermax=10**10),
                "matrix": matrix, "cdist": lambda: cdist(x, y), "emd_c": solve,
                "certificate": certify,
            }
            cpu, wall = dict.fromkeys(runs, np.inf), dict.fromkeys(runs, np.inf)
            for _ in range(args.repeat):
                for key, fn in runs.items():
                    start, start_cpu = time.perf_counter(), time.process_time()
                    fn()
                    cpu[key] = min(cpu[key], time.process_time() - start_cpu)
                    wall[key] = min(wall[key], time.perf_counter() - start)
            rest = cpu["ours"] - cpu["matrix"] - cpu["emd_c"] - cpu["certificate"]
            cells = [f"{cpu[k] * 1e3:.1f} ({wall[k] * 1e3:.1f})" for k in runs]
            print(f"{n} | {name} | {cells[0]} | {cells[1]} | {cpu['pot'] / cpu['ours']:.2f}x | "
                  + " | ".join(cells[2:]) + f" | {rest * 1e3:.1f} | {os.getloadavg()[0]:.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
