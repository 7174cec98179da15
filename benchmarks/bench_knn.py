"""k-NN KL / JS estimators: speed, memory and bias, side by side with peers.

    python benchmarks/bench_knn.py            # full run (many minutes)
    python benchmarks/bench_knn.py --quick    # small sizes, about a minute
    python benchmarks/bench_knn.py --sections speed,large   # some sections only
    python benchmarks/bench_knn.py --bias --n 5000 --reps 20   # bias table only
    python benchmarks/bench_knn.py --sections speed,stages --base main   # against a revision
    python benchmarks/bench_knn.py --sections speed --cases 5:100000,2:10000,10:10000

Sections:

1. ``speed`` -- KL at d = 5, n = m = 100,000, k = 5: divergences (the default
   corrected variant; fixed, on the Numba tree it uses in d <= 10 and forced
   onto cKDTree; adaptive), a
   bare scipy cKDTree implementation of the same formula (1 thread and all
   threads), and universal-divergence's ``estimate`` -- same inputs, same
   process; best warm wall time, first call (for us: loading the compiled
   kernels from Numba's cache), ratios, values, peak memory of one warm call.
   The Numba compile time with an empty cache is measured apart, in a
   subprocess with its own cache directory. ``--cases d:n,...`` runs it on
   several inputs; ``--base REV`` adds the default and fixed variants of a git
   revision of the library (exported with ``git archive`` and imported beside
   this checkout as ``divergences_base``, as ``bench_revisions.py`` does),
   timed in the same process on the same inputs.
2. ``stages`` -- where the default estimate's time goes: the functions it
   calls (Gaussianization, tree builds, queries, ball means, jackknife) timed
   inside one warm ``dv.kl_divergence`` call, apart for the estimate on all
   the points and for the convergence check's halves and quarters; beside
   them scipy's cKDTree build and query on the same points (1 and 2 workers),
   the speed baseline of the queries.
3. ``large`` -- n = m = 10^6 in d = 3, each contender in a fresh subprocess
   (warmed on a few points first): time of one call, and the peak memory of
   another (``_harness.peak_rss_during``: the larger of the resident-set rise
   and tracemalloc's peak).
4. ``dims`` -- neighbour search by dimension, Numba tree against cKDTree, on
   the same points: build, and a k-query in input order and in leaf order.
   This is the table behind ``divergences.neighbors.NUMBA_DIMENSIONS``.
5. ``brute`` -- cKDTree against brute force (BLAS distances in blocks), to
   show where a tree stops paying.
6. ``bias`` -- each variant and k on the same Gaussians (N(0, I_5) vs
   N(0.5 * 1, I_5), true KL 0.625) over several seeds: mean bias, spread over
   seeds, and the mean reported standard error.
7. ``interleaved`` (only when named) -- the default call and universal-divergence
   (and ``--base``'s default) in turn, ``--rounds`` times, first as the machine
   is and then with ``--load`` busy processes added: median and best wall time,
   median CPU time, their ratios.

Timings are wall-clock on whatever machine runs this; on a shared, loaded
machine they are noisy -- compare ratios taken in the same run (each table
prints the load average beside it).
"""

import argparse
import contextlib
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

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


def ours_default_no_check(x, y, k):
    """The default without its convergence check (``diagnose=False``): one estimate."""
    return dv.kl_divergence(x, y, k=k, diagnose=False).value


def ours_fixed_no_check(x, y, k):
    """The plain estimator universal-divergence computes: fixed, no convergence check."""
    return dv.kl_divergence(x, y, k=k, variant="fixed", diagnose=False).value


def universal_divergence(x, y, k):
    from universal_divergence import estimate

    return float(estimate(x, y, k=k))


OURS = "divergences knn default (corrected, Numba tree)"
CONTENDERS = {
    OURS: ours_default,
    "divergences knn default, diagnose=False (no convergence check)": ours_default_no_check,
    "divergences knn fixed (Numba tree)": ours_fixed,
    "divergences knn fixed, diagnose=False (the plain estimator)": ours_fixed_no_check,
    "divergences knn fixed (cKDTree engine)": ours_fixed_ckdtree,
    "divergences knn adaptive": ours_adaptive,
    "scipy cKDTree, bare, workers=-1": lambda x, y, k: ckdtree_bare(x, y, k, -1),
    "scipy cKDTree, bare, workers=1": lambda x, y, k: ckdtree_bare(x, y, k, 1),
    "universal-divergence": universal_divergence,
}


def base_contenders(rev):
    """The default and fixed variants of git revision ``rev`` of the library.

    The revision's ``divergences/`` is exported with ``git archive`` into a
    temporary directory and imported as ``divergences_base``
    (``bench_revisions._import_base``), beside this checkout's package.
    """
    from bench_revisions import _import_base

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    target = tempfile.mkdtemp(prefix="bench_knn_base_")
    archive = subprocess.run(["git", "-C", root, "archive", rev, "divergences"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", target], input=archive, check=True)
    base = _import_base(target)
    return {
        f"base {rev}: knn default": lambda x, y, k: base.kl_divergence(x, y, k=k).value,
        f"base {rev}: knn fixed": lambda x, y, k: base.kl_divergence(
            x, y, k=k, variant="fixed").value,
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


def section_speed(n, d, k, with_ud=True, extra=None):
    x, y = gaussian_pair(n, n, d, seed=0)
    rows, base = [], None
    load_before = os.getloadavg()[0]
    for name, fn in {**CONTENDERS, **(extra or {})}.items():
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
    print(f"\n### KL, d = {d}, n = m = {n:,}, k = {k} (true value {d * 0.125:g}); load "
          f"average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n")
    print(markdown_table(
        ["contender", "warm time", "first call", "time / ours", "estimate", "peak memory"], rows))
    print(f"\nNumba compile time of the k-NN kernels with an empty cache (a subprocess): "
          f"{fmt_seconds(cold_compile_seconds())}; once cached, the first call in a new "
          "process only loads them (the 'first call' column).")


@contextlib.contextmanager
def _stage_clock(module, names, totals, counts, phase):
    """Time every call of ``module.<name>`` for ``names``, by ``(phase[0], name)``."""
    saved = {name: getattr(module, name) for name in names}

    def wrap(name, fn):
        def timed_call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[(phase[0], name)] += time.perf_counter() - start
                counts[(phase[0], name)] += 1
        return timed_call

    for name, fn in saved.items():
        setattr(module, name, wrap(name, fn))
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(module, name, fn)


def section_stages(n, d, k):
    """Stage table of one warm default call, and cKDTree on the same points."""
    from scipy.spatial import cKDTree

    from divergences import knn_estimators

    x, y = gaussian_pair(n, n, d, seed=0)
    dv.kl_divergence(x[:2000], y[:2000], k=k)  # kernels loaded
    stages = ("marginal_gaussianization", "build_tree", "neighbor_columns", "_ball_shapes",
              "_deletion_shifts")
    totals, counts, phase = defaultdict(float), defaultdict(int), ["estimate (all points)"]
    trend = knn_estimators.subsample_trend

    def trend_timed(*args, **kwargs):
        phase[0] = "convergence check (4 quarters; 2 halves where needed)"
        start = time.perf_counter()
        try:
            return trend(*args, **kwargs)
        finally:
            totals[(phase[0], "total")] += time.perf_counter() - start
            phase[0] = "estimate (all points)"

    load_before = os.getloadavg()[0]
    with _stage_clock(knn_estimators, stages, totals, counts, phase):
        knn_estimators.subsample_trend = trend_timed
        try:
            dv.kl_divergence(x, y, k=k)  # warm-up of the wrapped path
            totals.clear()
            counts.clear()
            start = time.perf_counter()
            dv.kl_divergence(x, y, k=k)
            whole = time.perf_counter() - start
        finally:
            knn_estimators.subsample_trend = trend
    rows = [[where, name, counts[(where, name)] or "", f"{seconds:.3f}",
             f"{100 * seconds / whole:.0f} %"]
            for (where, name), seconds in sorted(totals.items(), key=lambda kv: -kv[1])]
    rows.append(["whole call", "dv.kl_divergence", 1, f"{whole:.3f}", "100 %"])
    print(f"\n### Where the default KL's time goes, d = {d}, n = m = {n:,}, k = {k} (one warm "
          f"call; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after)\n")
    print(markdown_table(["part", "function", "calls", "seconds", "share"], rows))
    # The speed baseline of the queries: cKDTree and the Numba tree on the same points.
    from divergences.neighbors import build_tree, neighbor_columns

    base_rows = []
    for workers in (1, 2):
        build_s, tree = timed(cKDTree, y, repeat=2)
        query_s, _ = timed(tree.query, x, k=k, workers=workers, repeat=2)
        numba_build_s, ours = timed(build_tree, y, workers=workers, repeat=2)
        order = build_tree(x, workers=workers).indices
        ours_s, _ = timed(neighbor_columns, ours, x, k, distances=1, indices=0,
                          workers=workers, repeat=2)
        ordered_s, _ = timed(neighbor_columns, ours, x, k, distances=1, indices=0,
                             workers=workers, order=order, repeat=2)
        base_rows.append([workers, f"{build_s:.3f}", f"{query_s:.3f}", f"{numba_build_s:.3f}",
                          f"{ours_s:.3f}", f"{ordered_s:.3f}", f"{query_s / ordered_s:.2f}x"])
    print(f"\n### k-th neighbour query of x among y, d = {d}, n = m = {n:,}, k = {k}: cKDTree "
          f"against the Numba tree, seconds (load average {os.getloadavg()[0]:.1f})\n")
    print(markdown_table(["workers", "cKDTree build", "cKDTree query", "Numba build",
                          "Numba query, input order", "Numba query, leaf order",
                          "cKDTree / Numba leaf order"], base_rows))


def section_interleaved(n, d, k, rounds, load, extra=None):
    """The default call against universal-divergence, interleaved, idle and under added load.

    Each round runs every contender once, in turn (this checkout's default, the
    ``--base`` revision's default where given, universal-divergence), so that a
    change in the machine's load falls on all of them alike; wall and CPU time
    (``time.process_time``: every thread of this process) per call, median and
    best over the rounds. Then again with ``load`` busy processes added
    (``_harness.background_load``, started and stopped here).
    """
    from _harness import conditions

    x, y = gaussian_pair(n, n, d, seed=0)
    contenders = {"divergences knn default (this checkout)": ours_default}
    contenders.update({name: fn for name, fn in (extra or {}).items() if "default" in name})
    contenders["universal-divergence"] = universal_divergence
    for fn in contenders.values():
        if fn is not universal_divergence:
            fn(x[:2000], y[:2000], k)  # kernels compiled or loaded from the cache
    peak = peak_rss_during(lambda: ours_default(x, y, k))[1]
    for condition in conditions(load):
        walls, cpus, values, loads = defaultdict(list), defaultdict(list), {}, []
        for _ in range(rounds):
            loads.append(os.getloadavg()[0])
            for name, fn in contenders.items():
                start, cpu = time.perf_counter(), time.process_time()
                values[name] = fn(x, y, k)
                walls[name].append(time.perf_counter() - start)
                cpus[name].append(time.process_time() - cpu)
        loads.append(os.getloadavg()[0])
        ud = "universal-divergence"
        rows = [[name, fmt_seconds(float(np.median(walls[name]))), fmt_seconds(min(walls[name])),
                 fmt_seconds(float(np.median(cpus[name]))),
                 f"{np.median(walls[ud]) / np.median(walls[name]):.1f}x",
                 f"{min(walls[ud]) / min(walls[name]):.1f}x",
                 f"{np.median(cpus[ud]) / np.median(cpus[name]):.1f}x", f"{values[name]:.6f}"]
                for name in contenders]
        print(f"\n### Default KL against universal-divergence, interleaved ({rounds} rounds), "
              f"d = {d}, n = m = {n:,}, k = {k}, {condition}; load average "
              f"{min(loads):.1f}-{max(loads):.1f} over the rounds\n")
        print(markdown_table(["contender", "median wall", "best wall", "median CPU",
                              "UD / it, median wall", "UD / it, best wall", "UD / it, CPU",
                              "estimate"], rows))
    print(f"\nPeak memory of one default call (this checkout): {fmt_bytes(peak)}")


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
    parser.add_argument("--sections", default="speed,stages,large,dims,brute,bias",
                        help="comma-separated: speed, stages, large, dims, brute, bias, "
                             "interleaved (not in the default run)")
    parser.add_argument("--cases", default=None,
                        help="speed section inputs as d:n,d:n,... (default: --d, --n)")
    parser.add_argument("--base", default=None,
                        help="a git revision whose default and fixed variants join the speed "
                             "table")
    parser.add_argument("--bias", action="store_true", help="only the bias table")
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--d", type=int, default=5)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --sections interleaved")
    parser.add_argument("--load", type=int, default=2,
                        help="busy processes added for the loaded half of --sections interleaved")
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
    extra = base_contenders(args.base) if args.base else None
    cases = ([tuple(int(v) for v in case.split(":")) for case in args.cases.split(",")]
             if args.cases else None)
    if args.quick:
        plan = {
            "speed": lambda: section_speed(10_000, 5, 5, extra=extra),
            "stages": lambda: section_stages(10_000, 5, 5),
            "large": lambda: section_large(100_000, 3, 5),
            "dims": lambda: section_dimensions(20_000, 5, (1, 2, 3, 5, 8, 10)),
            "brute": lambda: section_brute(5_000, 5, (2, 5, 10, 20, 50)),
            "bias": lambda: section_bias(2_000, 3, (1, 5), with_mixed=False),
        }
    else:
        plan = {
            "speed": lambda: [section_speed(n, d, args.k, extra=extra) for d, n in
                              cases or [(args.d, args.n or 100_000)]],
            "stages": lambda: section_stages(args.n or 100_000, args.d, args.k),
            "interleaved": lambda: section_interleaved(args.n or 100_000, args.d, args.k,
                                                       args.rounds, args.load, extra),
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
