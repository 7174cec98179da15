"""Threads on a shared machine: one thread against the default, idle and under load.

    python benchmarks/bench_threads.py [--quick] [--repeat R] [--load N] [--cases a,b]
    python benchmarks/bench_threads.py --layers [--quick]
    python benchmarks/bench_threads.py --crossover

1. **Threads** (the default section). Each case runs with ``dv.threads(1)`` and
   with the default thread count (:func:`divergences.get_threads`), the two
   interleaved, ``R`` times each, in one process on the same inputs; first
   with no load added by the benchmark ("idle-ish": other users' work may be
   running -- the load average is printed), then with ``N`` busy Python
   processes (default: one per core) that the benchmark starts and stops
   itself. It prints the medians and their ratio default / one thread; the
   goal is a ratio of at most 1.3 under load. Cases:

   - ``sinkhorn``: ``dv.wasserstein(method="sinkhorn")``, 2-D, n = m = 1,000,
     N(0, I) against N(0, I) + (1, 0), seed 0, eps = 1% of the median squared
     distance (about 2,000 iterations);
   - ``divergence``: ``dv.sinkhorn_divergence`` on the first 500 points of each;
   - ``gan``: one step of ``dv.gan.train(divergence="sinkhorn")``, batches of 256
     (the mean of 5 steps);
   - ``knn``: ``dv.kl_divergence(method="knn")``, d = 5, n = m = 100,000;
   - ``sliced``: sliced W_2, n = m = 100,000, 100 projections;
   - ``exact``: exact W_2 (auction), 2-D, n = m = 2,000.

2. ``--layers``: the threads section, under load only, in one child process per
   numba threading layer and wait policy (``NUMBA_THREADING_LAYER`` and
   ``OMP_WAIT_POLICY`` / ``GOMP_SPINCOUNT`` set in the child's environment,
   which the library respects): GNU OpenMP as numba leaves it (idle threads spin
   ``GOMP_SPINCOUNT=300000`` rounds, libgomp's default), OpenMP with the passive
   policy (what the library sets), numba's workqueue, and TBB when it loads.
   This is the measurement behind :func:`divergences._kernels.configure_threading`.

3. ``--crossover``: each parallel kernel serial against two threads on small
   problems: the sizes below which the library runs the serial twin
   (``SOFTMIN_SERIAL_BELOW`` and friends in ``divergences/_kernels``).

The machine is usually shared: read ratios measured side by side, not seconds,
and note the load average printed with each table.
"""

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import divergences as dv  # noqa: E402
from _harness import background_load, fmt_seconds, machine_line, markdown_table  # noqa: E402

ALL_CASES = ("sinkhorn", "divergence", "gan", "knn", "sliced", "exact")
QUICK_CASES = ("sinkhorn", "divergence", "gan", "knn")
# The cases that run numba's parallel kernels (k-NN uses a Python thread pool).
LAYER_CASES = ("sinkhorn", "divergence", "gan")


def _shifted_gaussians(n, d, shift, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = rng.standard_normal((n, d))
    y[:, 0] += shift
    return x, y


def _median_squared_distance(x, y):
    return float(np.median(((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)))


def make_cases(names, quick):
    """Name -> (label, zero-argument function), inputs built once."""
    cases = {}
    n = 500 if quick else 1000
    x, y = _shifted_gaussians(n, 2, 1.0)
    eps = 0.01 * _median_squared_distance(x, y)
    if "sinkhorn" in names:
        cases["sinkhorn"] = (
            f"Sinkhorn, 2-D, n = {n}, eps 1% of median",
            lambda: dv.wasserstein(x, y, method="sinkhorn", eps=eps, order=2),
        )
    if "divergence" in names:
        half_x, half_y = x[: n // 2], y[: n // 2]
        cases["divergence"] = (
            f"sinkhorn_divergence, n = {n // 2}",
            lambda: dv.sinkhorn_divergence(half_x, half_y, eps=eps, order=2),
        )
    if "gan" in names:
        target = dv.gan.parallel_lines_target(4096, rng=0)
        steps = 5

        def gan_step():
            generator = dv.gan.ParallelLinesGenerator(1.0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a step's loose tolerance may warn
                dv.gan.train(generator, target, divergence="sinkhorn", steps=steps,
                             batch_size=256, rng=0)
            return steps

        cases["gan"] = ("GAN step, Sinkhorn objective, batch 256", gan_step)
    if "knn" in names:
        size = 20_000 if quick else 100_000
        kx, ky = _shifted_gaussians(size, 5, 0.5)
        cases["knn"] = (f"k-NN KL, d = 5, n = m = {size:,}",
                        lambda: dv.kl_divergence(kx, ky, method="knn"))
    if "sliced" in names:
        sx, sy = _shifted_gaussians(100_000, 2, 1.0)
        cases["sliced"] = ("sliced W_2, n = 100,000, 100 projections",
                           lambda: dv.wasserstein(sx, sy, order=2, method="sliced", rng=0))
    if "exact" in names:
        ex, ey = _shifted_gaussians(2000, 2, 1.0)
        cases["exact"] = ("exact W_2 (auction), 2-D, n = 2,000",
                          lambda: dv.wasserstein(ex, ey, order=2, method="exact"))
    return cases


def _run(fn):
    start = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - start
    return elapsed / out if isinstance(out, int) else elapsed  # gan: per step


def time_case(fn, default, repeat):
    """Medians of ``repeat`` interleaved runs with one thread and with ``default``."""
    for count in (1, default):  # compile / warm both paths first
        with dv.threads(count):
            fn()
    one, many = [], []
    for _ in range(repeat):
        with dv.threads(1):
            one.append(_run(fn))
        with dv.threads(default):
            many.append(_run(fn))
    return statistics.median(one), statistics.median(many)


def threads_section(names, quick, repeat, load, conditions):
    default = dv.get_threads()
    cases = make_cases(names, quick)
    results = []
    for condition in conditions:
        context = background_load(load) if condition == "loaded" else contextlib.nullcontext()
        with context:
            label = (f"{load} busy processes added" if condition == "loaded"
                     else "no load added")
            for name, (title, fn) in cases.items():
                before = os.getloadavg()[0]
                one, many = time_case(fn, default, repeat)
                results.append({"case": name, "title": title, "condition": condition,
                                "label": label, "one": one, "many": many,
                                "ratio": many / one, "load": before})
                print(f"  [{condition}] {title}: 1 thread {fmt_seconds(one)}, "
                      f"{default} threads {fmt_seconds(many)} (x{many / one:.2f}), "
                      f"load average {before:.1f}", file=sys.stderr, flush=True)
    return default, results


def print_threads(default, results):
    rows = [[r["title"], r["label"], f"{r['load']:.1f}", fmt_seconds(r["one"]),
             fmt_seconds(r["many"]), f"{r['ratio']:.2f}"] for r in results]
    print(markdown_table(["case", "condition", "load avg", "1 thread",
                          f"{default} threads (default)", "default / 1"], rows))
    loaded = [r["ratio"] for r in results if r["condition"] == "loaded"]
    if loaded:
        worst = max(loaded)
        print(f"\nUnder load, worst ratio default / one thread: {worst:.2f} "
              f"({'meets' if worst <= 1.3 else 'misses'} the goal of 1.3).")


# The layers compared; each entry is the environment of one child process.
LAYERS = {
    "omp, idle threads spin (numba's default)": {"NUMBA_THREADING_LAYER": "omp",
                                                 "GOMP_SPINCOUNT": "300000"},
    "omp, OMP_WAIT_POLICY=passive (the library's)": {"NUMBA_THREADING_LAYER": "omp",
                                                     "OMP_WAIT_POLICY": "PASSIVE"},
    "workqueue": {"NUMBA_THREADING_LAYER": "workqueue"},
    "tbb": {"NUMBA_THREADING_LAYER": "tbb"},
}


def layers_section(names, quick, repeat, load):
    rows = []
    with background_load(load):
        for title, env in LAYERS.items():
            args = [sys.executable, os.path.abspath(__file__), "--child", "--repeat", str(repeat),
                    "--cases", ",".join(names)] + (["--quick"] if quick else [])
            print(f"{title}:", file=sys.stderr, flush=True)
            # The child's progress and errors go to this stderr as they come.
            out = subprocess.run(args, env={**os.environ, **env}, stdout=subprocess.PIPE,
                                 text=True)
            if out.returncode != 0:
                rows.append([title, "", "", "", "did not run (its error is above)"])
                continue
            child = json.loads(out.stdout.strip().splitlines()[-1])
            for r in child["results"]:
                rows.append([title + f" [{child['layer']}]", r["title"], fmt_seconds(r["one"]),
                             fmt_seconds(r["many"]), f"{r['ratio']:.2f}"])
    print(markdown_table(["threading layer", "case", "1 thread", "default threads",
                          "default / 1"], rows))


def child(names, quick, repeat):
    """One layer's run (the parent set the environment); prints JSON."""
    default, results = threads_section(names, quick, repeat, 0, ("idle",))
    import numba

    print(json.dumps({"layer": numba.threading_layer(), "default": default, "results": results}))


def crossover_section():
    from divergences._kernels import launch
    from divergences._kernels import sinkhorn as sk
    from divergences._kernels import sliced as sl
    from divergences.ot.sinkhorn import _Cloud

    rng = np.random.default_rng(0)
    rows = []
    for n in (32, 64, 128, 256, 512, 1024):
        x, y = _shifted_gaussians(n, 2, 1.0, seed=n)
        w = np.full(n, 1.0 / n)
        cx, cy = _Cloud(x, w), _Cloud(y, w)
        h, out, log_w = np.zeros(n), np.empty(n), np.log(w)
        directions = rng.standard_normal((32, 2))
        directions /= np.linalg.norm(directions, axis=1)[:, None]
        kernels = {
            "softmin": (sk.softmin, sk.softmin_serial),
            "dense_plan": (sk.dense_plan, sk.dense_plan_serial),
            "sliced, 32 directions": (sl.projected_costs, sl.projected_costs_serial),
        }
        arguments = {
            "softmin": (cx.points, cy.points_t, cy.starts, cy.lo, cy.hi, cy.log_weights, h, 0.05,
                        2.0, 0, 2.0, out, np.empty(0)),
            "dense_plan": (x, y, log_w, log_w, h, h, 0.05, 2.0, 0, 2.0),
            "sliced, 32 directions": (x, w, y, w, directions, 2.0, True),
        }
        for name, pair in kernels.items():
            serial = _best_launch(launch, pair, arguments[name], 1)
            parallel = _best_launch(launch, pair, arguments[name], 2)
            rows.append([name, str(n), fmt_seconds(serial), fmt_seconds(parallel),
                         f"{parallel / serial:.2f}"])
    print(markdown_table(["kernel", "n = m", "serial", "2 threads", "2 threads / serial"], rows))


def _best_launch(launch, pair, args, count, rounds=30):
    """Best of ``rounds`` launches of a (parallel, serial) kernel pair on ``count`` threads."""
    launch(pair[0], pair[1], count, *args)  # compile or load
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        launch(pair[0], pair[1], count, *args)
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller cases")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs per setting")
    parser.add_argument("--load", type=int, default=os.cpu_count() or 1,
                        help="busy processes of the loaded condition (default: one per core)")
    parser.add_argument("--cases", default=None, help="comma-separated: " + ",".join(ALL_CASES))
    parser.add_argument("--layers", action="store_true", help="compare numba threading layers")
    parser.add_argument("--crossover", action="store_true", help="serial against 2 threads")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cases:
        names = tuple(args.cases.split(","))
    else:
        names = LAYER_CASES if args.layers else QUICK_CASES if args.quick else ALL_CASES
    if args.child:
        child(names, args.quick, args.repeat)
        return
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine_line()}; "
          f"load average at start {os.getloadavg()[0]:.1f}\n")
    if args.crossover:
        crossover_section()
    elif args.layers:
        layers_section(names, args.quick, args.repeat, args.load)
    else:
        default, results = threads_section(names, args.quick, args.repeat, args.load,
                                           ("idle", "loaded"))
        print_threads(default, results)


if __name__ == "__main__":
    main()
