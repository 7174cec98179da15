"""Exact W_1 between uniform 2-D clouds: divergences' auction against POT and scipy.

divergences' ``method="exact"`` on two uniform clouds of equal size runs an
epsilon-scaling auction with costs computed on the fly, and certifies the
result (duality gap <= 1e-9 of the cost). It is compared with POT's network
simplex ``ot.emd2`` on the precomputed cost matrix -- with an iteration limit
large enough to reach the optimum, and at its default limit (100,000), where
it stops early with a warning -- and with scipy's ``linear_sum_assignment``.
The peers' times exclude building the cost matrix (reported apart); ours
include everything, certificate too.

A second table (not with ``--quick``) times other shapes at n = 4,000, the
auction's hard cases included: W_1 is degenerate along long transport rays,
so mass moving far between clusters, or exact ties (points on a grid), cost
the auction many more bids.

With ``--large``, also exact W_1 at n = 100,000, where the peers cannot run:
the dense cost matrix alone would take 80 GB (ours only: time and memory).

With ``--cases panel`` (or ``--panel``), instead: the panel of issue 18 -- N(0, I) against itself moved
by 0.5, 1, 2 and 10 along one axis and along the diagonal (every coordinate),
against a covariance change and against a two-component mixture; d = 2, 5;
n = 1,000, 2,000, 5,000; orders 1 and 2 (``--sizes``, ``--dims``, ``--orders``,
``--inputs`` narrow it). Each case is run ``--repeat`` times (default 1) per
solver, in this process, interleaved (POT, ours, POT, ours, ...: the load of a
shared machine moves faster than a case) and the best kept, after the kernels
are compiled (compile time reported apart): ours with ``solver="auto"`` (what it
picked is shown), POT ``emd2`` with enough iterations, cost matrix included, and
with ``--forced`` our auction and our network simplex (both certified) for the
rule that picks between them. Each row gives both times, their ratio, the same
in CPU seconds of the process (on a machine shared with other work, a solver
may get a tenth of a core: wall times then move by 2x from run to run, CPU
times by about 10%) and the 1-minute load average when it was taken.

Run: python benchmarks/bench_exact.py [--quick] [--large]
     python benchmarks/bench_exact.py --cases panel [--sizes 1000,2000] [--dims 2]
                                      [--orders 1] [--repeat 3] [--forced]
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import divergences as dv  # noqa: E402
from divergences.testing import panel_clouds, panel_inputs  # noqa: E402
from _harness import (  # noqa: E402
    fmt_bytes,
    fmt_seconds,
    machine_line,
    markdown_table,
    measure,
    peak_rss_during,
)

LSA_MAX_N = 5_000  # scipy's assignment is O(n^3) here: minutes beyond this


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--large", action="store_true", help="also n = 100,000 (ours only)")
    parser.add_argument("--panel", action="store_true", help="the panel of issue 18 only")
    parser.add_argument("--cases", choices=("default", "panel"), default="default",
                        help="'panel': the panel of issue 18 only (as --panel)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="panel: interleaved runs per solver, the best kept")
    parser.add_argument("--sizes", default="1000,2000,5000", help="panel sizes n")
    parser.add_argument("--dims", default="2,5", help="panel dimensions")
    parser.add_argument("--orders", default="1,2", help="panel orders")
    parser.add_argument("--inputs", default=None,
                        help="panel inputs separated by ';' (default: all; 'covariance x2, "
                             "x1/2' has a comma in its name); see PANEL_INPUTS")
    parser.add_argument("--forced", action="store_true",
                        help="panel: also time our auction and network simplex, forced")
    args = parser.parse_args(argv)
    if args.panel or args.cases == "panel":
        print(panel([int(v) for v in args.sizes.split(",")],
                    [int(v) for v in args.dims.split(",")],
                    [float(v) for v in args.orders.split(",")],
                    None if args.inputs is None else _input_names(args.inputs), args.forced,
                    max(args.repeat, 1)))
        return
    import ot
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist

    from divergences._kernels import auction

    compile_time = measure(auction.warm_up, repeat=0, memory=False).first
    sizes = [500, 2_000] if args.quick else [2_000, 10_000]
    rows, notes = [], []
    for n in sizes:
        rng = np.random.default_rng(n)
        x, y = rng.random((n, 2)), rng.random((n, 2))
        repeat = 3 if n <= 5_000 else 1
        start = time.perf_counter()
        cost = cdist(x, y)
        matrix_time = time.perf_counter() - start
        uniform = np.full(n, 1.0 / n)

        ours = measure(lambda: dv.wasserstein(x, y, method="exact"), repeat=repeat)
        assert ours.result.converged and ours.result.details["solver"] == "auction"
        exact = measure(lambda: ot.emd2(uniform, uniform, cost, numItermax=10**10), repeat=repeat)

        def pot_default():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                return ot.emd2(uniform, uniform, cost), bool(caught)

        default = measure(pot_default, repeat=repeat)
        value = exact.result
        ratio = lambda t: f"{t.warm / ours.warm:.2f}x"  # noqa: E731
        rel = lambda v: f"{abs(v - value) / value:.1e}"  # noqa: E731
        rows.append([f"{n:,}", "divergences exact (auction, certified)", fmt_seconds(ours.warm),
                     fmt_bytes(ours.peak), "1.00x", rel(ours.result.cost)])
        rows.append([f"{n:,}", "POT emd2, numItermax=1e10", fmt_seconds(exact.warm),
                     fmt_bytes(exact.peak), ratio(exact), "0 (reference)"])
        warned = " (warned)" if default.result[1] else ""
        rows.append([f"{n:,}", "POT emd2, default numItermax", fmt_seconds(default.warm),
                     fmt_bytes(default.peak), ratio(default), rel(default.result[0]) + warned])
        if n <= LSA_MAX_N:
            def lsa():
                r, c = linear_sum_assignment(cost)
                return cost[r, c].mean()

            scipy_lsa = measure(lsa, repeat=repeat)
            rows.append([f"{n:,}", "scipy linear_sum_assignment", fmt_seconds(scipy_lsa.warm),
                         fmt_bytes(scipy_lsa.peak), ratio(scipy_lsa), rel(scipy_lsa.result)])
        else:
            rows.append([f"{n:,}", "scipy linear_sum_assignment", "skipped (O(n^3))",
                         "", "", ""])
        details = ours.result.details
        notes.append(f"n = {n:,}: cost matrix for the peers {fmt_seconds(matrix_time)} and "
                     f"{fmt_bytes(cost.nbytes)} (not in their times); auction "
                     f"{ours.result.n_iter / n:.0f} bids and {details['n_scans'] / n:.0f} row "
                     f"scans per point; certified duality gap {details['duality_gap']:.1e} "
                     f"(relative {details['duality_gap'] / ours.result.cost:.1e}).")
        del cost

    print(f"Exact W_1, 2-D uniform clouds, n = m ({machine_line()}).")
    print(f"Warm = best of 3 (one at n > 5,000) after a first call; peak = memory allocated "
          f"during one call. Numba compilation (or cache load), once: "
          f"{fmt_seconds(compile_time)}\n")
    print(markdown_table(["n", "solver", "warm time", "peak mem", "time / ours", "rel. error"],
                         rows))
    print()
    for note in notes:
        print("- " + note)
    if not args.quick:
        print()
        print(other_shapes())
    if args.large:
        n = 100_000
        rng = np.random.default_rng(n)
        x, y = rng.random((n, 2)), rng.random((n, 2))
        start = time.perf_counter()
        result, peak = peak_rss_during(lambda: dv.wasserstein(x, y, method="exact"))
        seconds = time.perf_counter() - start
        print(f"\nn = {n:,} (dense cost matrix would be {fmt_bytes(8.0 * n * n)}; peers not run): "
              f"divergences exact {fmt_seconds(seconds)} (one run, tracemalloc on), peak memory "
              f"{fmt_bytes(peak)}, converged={result.converged}, W_1 = {result.value:.12f}, "
              f"certified duality gap {result.details['duality_gap']:.1e} "
              f"(relative {result.details['duality_gap'] / result.cost:.1e}).")


def _input_names(text):
    """``--inputs``: names separated by ';' (or by ',' where no name has one), each checked."""
    names = [name.strip() for name in text.split(";" if ";" in text else ",")]
    unknown = [name for name in names if name not in PANEL_INPUTS]
    if unknown:
        raise SystemExit(f"--inputs: unknown {unknown}; choose from {PANEL_INPUTS} "
                         "(separated by ';')")
    return names


def shapes(n, rng):
    """Named problems (x, y, order) of n points each."""
    z = rng.random(n)
    half = n // 2
    return {
        "2-D uniform, W_2": (rng.random((n, 2)), rng.random((n, 2)), 2.0),
        "3-D Gaussians, W_1": (rng.normal(size=(n, 3)), rng.normal(size=(n, 3)) * [2, 1, 0.5], 1.0),
        "10-D uniform, W_1": (rng.random((n, 10)), rng.random((n, 10)), 1.0),
        "parallel lines, W_1": (
            np.column_stack([np.zeros(n), z]), np.column_stack([np.full(n, 0.3), z]), 1.0
        ),
        "integer grid (ties), W_1": (
            rng.integers(0, 20, (n, 2)).astype(float), rng.integers(0, 20, (n, 2)).astype(float),
            1.0,
        ),
        "two far clusters, W_1": (
            rng.normal(size=(n, 2)),
            np.vstack([rng.normal(size=(half, 2)), rng.normal(size=(n - half, 2)) + [20, 0]]),
            1.0,
        ),
    }


def other_shapes(n=4_000):
    """One warm run each of ours and POT (enough iterations) on other problems."""
    import ot
    from scipy.spatial.distance import cdist

    rows = []
    for name, (x, y, order) in shapes(n, np.random.default_rng(1)).items():
        ours = measure(lambda: dv.wasserstein(x, y, order=order, method="exact"), repeat=1,
                       memory=False)
        cost = cdist(x, y) ** order
        pot = measure(lambda: ot.emd2([], [], cost, numItermax=10**10), repeat=1, memory=False)
        result = ours.result
        rows.append([name, fmt_seconds(ours.warm), fmt_seconds(pot.warm),
                     f"{pot.warm / ours.warm:.2f}x",
                     f"{abs(result.cost - pot.result) / pot.result:.1e}",
                     f"{result.n_iter / n:.0f}", str(result.converged)])
    return (f"Other shapes, n = m = {n:,} (warm, one run each; POT with numItermax=1e10, "
            "cost matrix not in its time):\n\n"
            + markdown_table(["problem", "divergences", "POT emd2", "POT / ours", "rel. diff",
                              "bids / point", "certified"], rows))


#: The panel's second clouds, against N(0, I) in dimension d (name -> draw(rng, n, d)).
#: The exact panel's inputs: divergences.testing's panel without the one-axis scale
#: change (the entropic panel's), where the two-axis covariance change stands for it.
PANEL_INPUTS = [name for name in panel_inputs(5) if name != "scale x2 axis"]


def _timed_with_peak(fn, cpu=False):
    """``(result, seconds, peak bytes)`` of one call, the clock around ``fn`` alone.

    With ``cpu``, ``seconds`` is the pair (wall, CPU seconds of this process).
    """
    clock = {}

    def timed_fn():
        clock["start"] = time.perf_counter()
        clock["cpu_start"] = time.process_time()
        out = fn()
        clock["seconds"] = time.perf_counter() - clock["start"]
        clock["cpu"] = time.process_time() - clock["cpu_start"]
        return out

    result, peak = peak_rss_during(timed_fn)
    return result, (clock["seconds"], clock["cpu"]) if cpu else clock["seconds"], peak


def panel(sizes, dims, orders, inputs=None, forced=False, repeat=1):
    """The issue-18 panel: our exact W_p (auto) against POT emd2, best of ``repeat`` each."""
    import os

    import ot
    from scipy.spatial.distance import cdist

    from divergences._kernels import auction, costs, dense_check

    compile_time = measure(lambda: (auction.warm_up(), dense_check.warm_up(), costs.warm_up()),
                           repeat=0, memory=False).first
    names = PANEL_INPUTS if inputs is None else inputs
    rows, ratios, cpu_ratios = [], [], []
    for n in sizes:
        for d in dims:
            for name in (name for name in names if name in panel_inputs(d)):
                x, y = panel_clouds(name, n, d, rng=n + d)  # no diagonal shift at d = 1
                for order in orders:
                    def pot():
                        cost = cdist(x, y) if order == 1.0 else cdist(x, y) ** order
                        return ot.emd2([], [], cost, numItermax=10**10)

                    runs = {"pot": pot,
                            "ours": lambda: dv.wasserstein(x, y, order=order, method="exact")}
                    if forced:
                        for solver in ("auction", "network_simplex"):
                            runs[solver] = (lambda solver: lambda: dv.wasserstein(
                                x, y, order=order, method="exact", solver=solver))(solver)
                    best = {k: (None, np.inf, 0) for k in runs}
                    cpu = dict.fromkeys(runs, np.inf)
                    for _ in range(repeat):
                        for key, fn in runs.items():
                            result, (seconds, cpu_seconds), peak = _timed_with_peak(fn, cpu=True)
                            cpu[key] = min(cpu[key], cpu_seconds)
                            if seconds < best[key][1]:
                                best[key] = (result, seconds, max(peak, best[key][2]))
                    truth, pot_time, pot_peak = best["pot"]
                    ours, ours_time, ours_peak = best["ours"]
                    assert ours.converged, (n, d, name, order)
                    # The chosen path's value against emd2: both are optimal costs of the
                    # same matrix, apart by the rounding of the costs (n m sums of them).
                    assert abs(ours.cost - truth) <= 1e-9 * truth, (n, d, name, order)
                    row = [f"{n:,}", str(d), name, f"{order:g}", ours.details["solver"],
                           fmt_seconds(ours_time), fmt_seconds(pot_time),
                           f"{pot_time / ours_time:.2f}x", fmt_seconds(cpu["ours"]),
                           fmt_seconds(cpu["pot"]), f"{cpu['pot'] / cpu['ours']:.2f}x",
                           fmt_bytes(ours_peak),
                           fmt_bytes(pot_peak), f"{abs(ours.cost - truth) / truth:.0e}",
                           f"{os.getloadavg()[0]:.1f}"]
                    ratios.append(pot_time / ours_time)
                    cpu_ratios.append(cpu["pot"] / cpu["ours"])
                    if forced:
                        row += [f"{fmt_seconds(best[s][1])} ({pot_time / best[s][1]:.2f}x)"
                                for s in ("auction", "network_simplex")]
                    rows.append(row)
                    print("  " + " | ".join(row), file=sys.stderr, flush=True)
    header = ["n", "d", "second cloud", "order", "ours picked", "ours", "POT emd2",
              "POT / ours", "ours CPU", "POT CPU", "POT / ours (CPU)", "ours peak", "POT peak",
              "rel. diff", "load"]
    if forced:
        header += ["auction (forced, POT / it)", "simplex (forced, POT / it)"]
    worst = min(ratios)
    return (f"Exact W_p, panel of issue 18: N(0, I) against the second cloud, n = m "
            f"({machine_line()}). Best of {repeat} interleaved run(s) each after compilation "
            f"(Numba compile or cache load, once: {fmt_seconds(compile_time)}); POT emd2 with "
            f"numItermax=1e10, its cost matrix included; peak = memory allocated during the "
            f"run; load = 1-minute load average; CPU = this process's CPU seconds (best "
            f"of the runs), what the load changes least. Ratio POT / ours: worst "
            f"{worst:.2f}x, median {np.median(ratios):.2f}x; in CPU time worst "
            f"{min(cpu_ratios):.2f}x, median {np.median(cpu_ratios):.2f}x.\n\n"
            + markdown_table(header, rows))


if __name__ == "__main__":
    main()
