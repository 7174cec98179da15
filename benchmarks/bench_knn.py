"""k-NN KL / JS estimators: speed, memory and bias, side by side with peers.

    python benchmarks/bench_knn.py            # full run (several minutes)
    python benchmarks/bench_knn.py --quick    # small sizes, seconds
    python benchmarks/bench_knn.py --bias --n 5000 --reps 20   # bias table only

Sections:

1. KL at d = 5, n = m = 100,000, k = 5: divergences (fixed and adaptive),
   a bare scipy cKDTree implementation of the same formula (1 thread and all
   threads), and universal-divergence's ``estimate`` -- same inputs, same
   process; warm wall times, ratios, values. There are no Numba kernels on
   this path (scipy's cKDTree does the neighbour search), so there is no
   compile time to separate: the "compile" column is 0 by construction.
2. n = m = 10^6 in d = 3, each contender in a fresh subprocess for its peak
   resident memory.
3. Neighbour search by dimension: cKDTree against brute force (BLAS
   distances in blocks), to show where a tree stops paying.
4. The bias table: each variant and k on the same Gaussians (N(0, I_5) vs
   N(0.5 * 1, I_5), true KL 0.625) over several seeds: mean bias, spread over
   seeds, and the mean reported standard error.
"""

import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import divergences as dv  # noqa: E402
from _harness import markdown_table, max_rss_mib, run_child, timed, traced_peak_mib  # noqa: E402

TRUE_KL_D5 = 0.625  # |mu|^2 / 2 with mu = 0.5 * ones(5)


def gaussian_pair(n, m, d, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal((m, d)) + 0.5


# --------------------------------------------------------------------------- contenders


def ours_fixed(x, y, k):
    return dv.kl_divergence(x, y, k=k).value


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


CONTENDERS = {
    "divergences knn (fixed)": ours_fixed,
    "divergences knn (adaptive)": ours_adaptive,
    "scipy cKDTree, bare, workers=-1": lambda x, y, k: ckdtree_bare(x, y, k, -1),
    "scipy cKDTree, bare, workers=1": lambda x, y, k: ckdtree_bare(x, y, k, 1),
    "universal-divergence": universal_divergence,
}


def child(name, n, d, k):
    """Subprocess entry: one contender on fresh data; prints time, value, RSS growth."""
    import json

    x, y = gaussian_pair(n, n, d, seed=0)
    before = max_rss_mib()
    seconds, value = timed(CONTENDERS[name], x, y, k)
    print(json.dumps({"seconds": seconds, "value": value, "rss_mib": max_rss_mib() - before}))


# --------------------------------------------------------------------------- sections


def section_speed(n, d, k, skip_ud_above):
    x, y = gaussian_pair(n, n, d, seed=0)
    rows, base = [], None
    for name, fn in CONTENDERS.items():
        if name == "universal-divergence" and n > skip_ud_above:
            continue
        fn(x[:200], y[:200], k)  # warm: imports, first-call overheads
        seconds, value = timed(fn, x, y, k, repeat=1 if "universal" in name else 2)
        peak = traced_peak_mib(fn, x, y, k) if "universal" not in name else float("nan")
        base = seconds if base is None else base
        rows.append([name, f"{seconds:.2f}", "0", f"{seconds / base:.1f}x", f"{value:.4f}",
                     f"{peak:.0f}"])
    print(f"\n### KL, d = {d}, n = m = {n:,}, k = {k} (true value {TRUE_KL_D5})\n")
    print(markdown_table(
        ["contender", "warm time (s)", "compile (s)", "time / ours", "estimate",
         "tracemalloc peak (MiB)"], rows))


def section_large(n, d, k):
    script = os.path.abspath(__file__)
    rows = []
    for name in ("divergences knn (fixed)", "scipy cKDTree, bare, workers=-1"):
        out = run_child(script, ["--child", name, "--n", str(n), "--d", str(d), "--k", str(k)])
        rows.append([name, f"{out['seconds']:.1f}", f"{out['value']:.4f}", f"{out['rss_mib']:.0f}"])
    print(f"\n### KL, d = {d}, n = m = {n:,}, k = {k}, each in a fresh process\n")
    print(markdown_table(["contender", "time (s)", "estimate", "peak RSS growth (MiB)"], rows))


def brute_kth(x, y, k, block=2048):
    """k-th neighbour distances of x among y by BLAS distances in blocks."""
    y_sq = np.einsum("ij,ij->i", y, y)
    out = np.empty(x.shape[0])
    for start in range(0, x.shape[0], block):
        xb = x[start:start + block]
        sq = np.einsum("ij,ij->i", xb, xb)[:, None] + y_sq[None, :] - 2.0 * xb @ y.T
        out[start:start + block] = np.sqrt(np.maximum(np.partition(sq, k - 1, axis=1)[:, k - 1], 0))
    return out


def section_dimensions(n, k, dims):
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
    for variant in ("fixed", "adaptive"):
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
    parser.add_argument("--bias", action="store_true", help="only the bias table")
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--d", type=int, default=5)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.n, args.d, args.k)
        return
    if args.bias:
        section_bias(args.n or 100_000, args.reps or 10, (1, 3, 5, 10), with_mixed=True)
        return
    if args.quick:
        section_speed(10_000, 5, 5, skip_ud_above=10_000)
        section_large(100_000, 3, 5)
        section_dimensions(5_000, 5, (2, 5, 10, 20, 50))
        section_bias(2_000, 3, (1, 5), with_mixed=False)
        return
    section_speed(args.n or 100_000, 5, args.k, skip_ud_above=10**9)
    section_large(1_000_000, 3, args.k)
    section_dimensions(20_000, 5, (2, 3, 5, 10, 20, 50, 100))
    section_bias(100_000, args.reps or 5, (1, 3, 5, 10), with_mixed=False)


if __name__ == "__main__":
    main()
