"""k-NN KL / JS estimators: speed, memory and bias, side by side with peers.

    python benchmarks/bench_knn.py            # full run (many minutes)
    python benchmarks/bench_knn.py --quick    # small sizes, about a minute
    python benchmarks/bench_knn.py --sections speed,large   # some sections only
    python benchmarks/bench_knn.py --bias --n 5000 --reps 20   # bias table only

Sections:

1. ``speed`` -- KL at d = 5, n = m = 100,000, k = 5: divergences (the default
   corrected variant; fixed, on the Numba tree it uses in d <= 10 and forced
   onto cKDTree; adaptive), a
   bare scipy cKDTree implementation of the same formula (1 thread and all
   threads), and universal-divergence's ``estimate`` -- same inputs, same
   process; best warm wall time, first call (for us: loading the compiled
   kernels from Numba's cache), ratios, values, peak memory of one warm call.
   The Numba compile time with an empty cache is measured apart, in a
   subprocess with its own cache directory.
2. ``large`` -- n = m = 10^6 in d = 3, each contender in a fresh subprocess
   (warmed on a few points first): time of one call, and the peak memory of
   another (``_harness.peak_rss_during``: the larger of the resident-set rise
   and tracemalloc's peak).
3. ``dims`` -- neighbour search by dimension, Numba tree against cKDTree, on
   the same points: build, and a k-query in input order and in leaf order.
   This is the table behind ``divergences.neighbors.NUMBA_DIMENSIONS``.
4. ``brute`` -- cKDTree against brute force (BLAS distances in blocks), to
   show where a tree stops paying.
5. ``bias`` -- each variant and k on the same Gaussians (N(0, I_5) vs
   N(0.5 * 1, I_5), true KL 0.625) over several seeds: mean bias, spread over
   seeds, and the mean reported standard error.

Timings are wall-clock on whatever machine runs this; on a shared, loaded
machine they are noisy -- compare ratios taken in the same run.
"""

import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import divergences as dv  # noqa: E402
from _harness import (  # noqa: E402
    fmt_bytes,
    fmt_seconds,
    machine_line,
    markdown_table,
    measure,
    peak_rss_during,
    run_child,
    timed,
)

TRUE_KL_D5 = 0.625  # |mu|^2 / 2 with mu = 0.5 * ones(5)


def gaussian_pair(n, m, d, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal((m, d)) + 0.5


# --------------------------------------------------------------------------- contenders


def ours_default(x, y, k):
    """The library's default: the corrected variant."""
    return dv.kl_divergence(x, y, k=k).value


def ours_fixed(x, y, k):
    return dv.kl_divergence(x, y, k=k, variant="fixed").value


def ours_fixed_ckdtree(x, y, k):
    """The fixed estimator with every query on scipy's cKDTree (the dispatch switched off)."""
    from divergences import neighbors

    saved = neighbors.NUMBA_DIMENSIONS
    neighbors.NUMBA_DIMENSIONS = range(0)
    try:
        return dv.kl_divergence(x, y, k=k, variant="fixed").value
    finally:
        neighbors.NUMBA_DIMENSIONS = saved


def ours_adaptive(x, y, k):
    return dv.kl_divergence(x, y, k=k, variant="adaptive").value


def ckdtree_bare(x, y, k, workers):
    """The WKV formula on scipy's cKDTree and nothing else: no tie rule, no stderr."""
    from scipy.spatial import cKDTree

    n, d = x.shape
    rho = cKDTree(x).query(x, k=k + 1, workers=workers)[0][:, -1]
    nu = cKDTree(y).query(x, k=k, workers=workers)[0]
    nu = nu if nu.ndim == 1 else nu[:, -1]
    return d * float(np.mean(np.log(nu / rho))) + math.log(y.shape[0] / (n - 1))


def universal_divergence(x, y, k):
    from universal_divergence import estimate

    return float(estimate(x, y, k=k))


OURS = "divergences knn default (corrected, Numba tree)"
CONTENDERS = {
    OURS: ours_default,
    "divergences knn fixed (Numba tree)": ours_fixed,
    "divergences knn fixed (cKDTree engine)": ours_fixed_ckdtree,
    "divergences knn adaptive": ours_adaptive,
    "scipy cKDTree, bare, workers=-1": lambda x, y, k: ckdtree_bare(x, y, k, -1),
    "scipy cKDTree, bare, workers=1": lambda x, y, k: ckdtree_bare(x, y, k, 1),
    "universal-divergence": universal_divergence,
}


def child(name, n, d, k):
    """Subprocess entry: one contender on fresh data; prints time, value, RSS growth."""
    import json

    x, y = gaussian_pair(n, n, d, seed=0)
    CONTENDERS[name](x[:500], y[:500], k)  # imports, and Numba kernels from the cache
    seconds, value = timed(CONTENDERS[name], x, y, k)
    peak = peak_rss_during(lambda: CONTENDERS[name](x, y, k))[1]
    print(json.dumps({"seconds": seconds, "value": value, "peak_mib": peak / 2**20}))


def compile_child():
    """Subprocess entry, run with an empty NUMBA_CACHE_DIR: compile time of the k-NN kernels."""
    import json
    import time

    x, y = gaussian_pair(2000, 2000, 5, seed=0)
    start = time.perf_counter()
    dv.kl_divergence(x, y, k=5)
    first = time.perf_counter() - start
    start = time.perf_counter()
    dv.kl_divergence(x, y, k=5)
    print(json.dumps({"compile": first - (time.perf_counter() - start)}))


def cold_compile_seconds():
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        os.environ["NUMBA_CACHE_DIR"] = cache
        try:
            return run_child(os.path.abspath(__file__), ["--compile-child"])["compile"]
        finally:
            del os.environ["NUMBA_CACHE_DIR"]


# --------------------------------------------------------------------------- sections


def section_speed(n, d, k, with_ud=True):
    x, y = gaussian_pair(n, n, d, seed=0)
    rows, base = [], None
    for name, fn in CONTENDERS.items():
        if name == "universal-divergence" and not with_ud:
            continue
        if "universal" in name:
            # Pure Python per point and no compilation: one call is its warm time.
            seconds, value = timed(fn, x, y, k)
            t_first, t_warm, peak = float("nan"), seconds, float("nan")
        else:
            t = measure(lambda: fn(x, y, k), repeat=2)
            t_first, t_warm, peak, value = t.first, t.warm, t.peak, t.result
        base = t_warm if base is None else base
        rows.append([name, fmt_seconds(t_warm), fmt_seconds(t_first), f"{t_warm / base:.1f}x",
                     f"{value:.6f}", fmt_bytes(peak)])
    print(f"\n### KL, d = {d}, n = m = {n:,}, k = {k} (true value {TRUE_KL_D5})\n")
    print(markdown_table(
        ["contender", "warm time", "first call", "time / ours", "estimate", "peak memory"], rows))
    print(f"\nNumba compile time of the k-NN kernels with an empty cache (a subprocess): "
          f"{fmt_seconds(cold_compile_seconds())}; once cached, the first call in a new "
          "process only loads them (the 'first call' column).")


def section_large(n, d, k):
    script = os.path.abspath(__file__)
    rows, base = [], None
    for name in (OURS, "scipy cKDTree, bare, workers=-1"):
        out = run_child(script, ["--child", name, "--n", str(n), "--d", str(d), "--k", str(k)])
        base = out["seconds"] if base is None else base
        rows.append([name, f"{out['seconds']:.1f}", f"{out['seconds'] / base:.1f}x",
                     f"{out['value']:.6f}", f"{out['peak_mib']:.0f}"])
    print(f"\n### KL, d = {d}, n = m = {n:,}, k = {k}, each in a fresh process\n")
    print(markdown_table(
        ["contender", "time (s)", "time / ours", "estimate", "peak memory (MiB)"], rows))


def section_dimensions(n, k, dims):
    from divergences.neighbors import build_tree, neighbor_columns

    rows = []
    for d in dims:
        x, y = gaussian_pair(n, n, d, seed=1)
        order = build_tree(x, engine="numba").indices  # x in leaf order
        cells = [d]
        times = {}
        for engine in ("numba", "scipy"):
            build_s, tree = timed(build_tree, y, engine=engine, repeat=2)
            neighbor_columns(tree, x[:100], k)  # kernels loaded
            plain_s, _ = timed(neighbor_columns, tree, x, k, repeat=2)
            ordered_s, _ = timed(neighbor_columns, tree, x, k, order=order, repeat=2)
            times[engine] = (build_s, plain_s, ordered_s)
            cells += [f"{build_s:.3f}", f"{plain_s:.3f}", f"{ordered_s:.3f}"]
        numba_total = times["numba"][0] + times["numba"][2]
        cells += [f"{(times['scipy'][0] + times['scipy'][2]) / numba_total:.2f}x",
                  f"{(times['scipy'][0] + times['scipy'][1]) / numba_total:.2f}x"]
        rows.append(cells)
    print(f"\n### Neighbour search by dimension, n = m = {n:,}, k = {k} (positive-distance "
          "neighbours, all cores), seconds\n")
    print(markdown_table(
        ["d", "Numba build", "Numba query", "Numba query, leaf order", "cKDTree build",
         "cKDTree query", "cKDTree query, leaf order",
         "cKDTree / Numba (both leaf order)", "cKDTree input order / Numba"], rows))


def brute_kth(x, y, k, block=2048):
    """k-th neighbour distances of x among y by BLAS distances in blocks."""
    y_sq = np.einsum("ij,ij->i", y, y)
    out = np.empty(x.shape[0])
    for start in range(0, x.shape[0], block):
        xb = x[start:start + block]
        sq = np.einsum("ij,ij->i", xb, xb)[:, None] + y_sq[None, :] - 2.0 * xb @ y.T
        out[start:start + block] = np.sqrt(np.maximum(np.partition(sq, k - 1, axis=1)[:, k - 1], 0))
    return out


def section_brute(n, k, dims):
    from scipy.spatial import cKDTree

    rows = []
    for d in dims:
        x, y = gaussian_pair(n, n, d, seed=1)
        tree_s, _ = timed(lambda: cKDTree(y).query(x, k=k, workers=-1), repeat=2)
        brute_s, _ = timed(brute_kth, x, y, k, repeat=2)
        rows.append([d, f"{tree_s:.3f}", f"{brute_s:.3f}", f"{brute_s / tree_s:.1f}x"])
    print(f"\n### k-th neighbour search, n = m = {n:,}, k = {k}: cKDTree vs brute force\n")
    print(markdown_table(["d", "cKDTree (s)", "brute force BLAS (s)", "brute / tree"], rows))


def section_bias(n, reps, ks, with_mixed):
    from divergences.kl import kl_gaussians

    rows = []
    for variant in ("corrected", "fixed", "adaptive"):
        for k in ks:
            values, errors = [], []
            for seed in range(reps):
                x, y = gaussian_pair(n, n, 5, seed=1000 + seed)
                r = dv.kl_divergence(x, y, k=k, variant=variant)
                values.append(r.value)
                errors.append(r.stderr)
            values = np.array(values)
            rows.append([f"knn {variant}", k, f"{values.mean() - TRUE_KL_D5:+.4f}",
                         f"{values.std(ddof=1):.4f}", f"{np.mean(errors):.4f}",
                         f"{math.sqrt((values.mean() - TRUE_KL_D5) ** 2 + values.var()):.4f}"])
    if with_mixed:
        p, q = dv.Gaussian(np.zeros(5), 1.0), dv.Gaussian(np.full(5, 0.5), 1.0)
        assert abs(kl_gaussians(p, q) - TRUE_KL_D5) < 1e-12
        for label, make in (
            ("knn samples vs density", lambda s: dv.kl_divergence(p.sample(n, rng=s), q, k=5)),
            ("knn density vs samples",
             lambda s: dv.kl_divergence(p, q.sample(n, rng=s), k=5, rng=s)),
        ):
            results = [make(1000 + s) for s in range(reps)]
            values = np.array([r.value for r in results])
            bias = values.mean() - TRUE_KL_D5
            rows.append([label, 5, f"{bias:+.4f}", f"{values.std(ddof=1):.4f}",
                         f"{np.mean([r.stderr for r in results]):.4f}",
                         f"{math.sqrt((values.mean() - TRUE_KL_D5) ** 2 + values.var()):.4f}"])
    print(f"\n### Bias at d = 5, n = m = {n:,}, true KL {TRUE_KL_D5}, {reps} seeds\n")
    print(markdown_table(
        ["estimator", "k", "mean bias", "sd over seeds", "mean reported stderr", "RMSE"], rows))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--sections", default="speed,large,dims,brute,bias",
                        help="comma-separated: speed, large, dims, brute, bias")
    parser.add_argument("--bias", action="store_true", help="only the bias table")
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--d", type=int, default=5)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--compile-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.n, args.d, args.k)
        return
    if args.compile_child:
        compile_child()
        return
    if args.bias:
        section_bias(args.n or 100_000, args.reps or 10, (1, 3, 5, 10), with_mixed=True)
        return
    sections = set(args.sections.split(","))
    print(f"Machine: {machine_line()}")
    if args.quick:
        plan = {
            "speed": lambda: section_speed(10_000, 5, 5),
            "large": lambda: section_large(100_000, 3, 5),
            "dims": lambda: section_dimensions(20_000, 5, (1, 2, 3, 5, 8, 10)),
            "brute": lambda: section_brute(5_000, 5, (2, 5, 10, 20, 50)),
            "bias": lambda: section_bias(2_000, 3, (1, 5), with_mixed=False),
        }
    else:
        plan = {
            "speed": lambda: section_speed(args.n or 100_000, args.d, args.k),
            "large": lambda: section_large(1_000_000, 3, args.k),
            "dims": lambda: (section_dimensions(100_000, 5, (1, 2, 3, 5, 8, 10)),
                             section_dimensions(1_000_000, 5, (3,))),
            "brute": lambda: section_brute(20_000, 5, (2, 3, 5, 10, 20, 50, 100)),
            "bias": lambda: section_bias(100_000, args.reps or 5, (1, 3, 5, 10), with_mixed=False),
        }
    for name, run in plan.items():
        if name in sections:
            run()


if __name__ == "__main__":
    main()
