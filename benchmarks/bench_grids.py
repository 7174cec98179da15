"""Cost matrices and images on grids: divergences against POT (and scipy's HiGHS).

Cases, each on the same inputs for every library, in one process:

1. **Digits** (scikit-learn's 8 x 8 images as histograms on the pixel grid),
   200 random pairs, exact W1 with the Euclidean ground distance:
   ``dv.wasserstein`` (certified) against a loop over ``ot.emd2`` on the
   precomputed cost matrix; also from ``Histogram.from_grid`` and with
   ``cost=M`` (the same matrix). Rounds interleaved, best of five.
2. **A given cost matrix**: POT's ``test_dual_variables`` problem (Gaussians on
   500 and 600 bins, M = |x - y|): ``cost=M`` exact against ``ot.emd2``, and
   entropic (reg 1) against ``ot.sinkhorn2(method="sinkhorn_log")``.
3. **Exact W1, L1 ground metric, two images** (smooth random images, some
   empty pixels): the grid flow against ``ot.emd2`` on the dense cityblock
   matrix (32 x 32 and, for one kind, 64 x 64; equal to 1e-9) and against
   scipy's HiGHS on the same sparse flow LP (64 x 64); larger sizes ours only
   (the dense matrix of 256 x 256 would be 34 GB). Four kinds of images:
   smooth random, uniform noise, Gaussian blobs, two digits upsampled.
4. **Entropic OT, squared Euclidean cost, two images on [0, 1]^2**: the
   separable Sinkhorn against the dense log-domain solvers (ours on the
   cells' coordinates at 32 x 32 and 64 x 64, POT's
   ``sinkhorn2(method="sinkhorn_log")`` on the dense matrix at 32 x 32), and
   the time per iteration of POT's
   ``convolutional_barycenter2d`` (the same separable kernel, Solomon et al.
   2015, in POT's barycenter loop) at the largest size.

Times are the best of the warm calls (Numba compile reported apart, as the
first call minus a warm one); peak memory per call (RSS rise or tracemalloc,
the larger). Run: python benchmarks/bench_grids.py [--quick] [--large]
(--large: 256 x 256 flow and 512 x 512 Sinkhorn), or
``--cases digits [--repeat N]`` for the digits case alone, each round's ratio printed.
"""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import divergences as dv  # noqa: E402
from _harness import (  # noqa: E402
    Timing, fmt_bytes, fmt_seconds, machine_line, markdown_table, measure, peak_rss_during)


def images(n, seed, shape=None):
    """Two smooth random images with some empty pixels."""
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    shape = shape or (n, n)
    out = []
    for _ in range(2):
        x = gaussian_filter(rng.random(shape), n / 16) ** 4
        x[rng.random(shape) < 0.1] = 0.0
        out.append(x / x.sum())
    return out


def test_images(kind, n, seed=0):
    """Two n x n images of a kind: "smooth" (as :func:`images`), "noise" (uniform random
    pixels), "blobs" (three Gaussian blobs each) or "digits" (a 3 and an 8 of
    scikit-learn's digits, upsampled bilinearly)."""
    from scipy.ndimage import zoom

    rng = np.random.default_rng(seed)
    if kind == "smooth":
        return images(n, seed=n)
    if kind == "noise":
        pair = [rng.random((n, n)) for _ in range(2)]
    elif kind == "blobs":
        centres = (np.arange(n) + 0.5) / n
        X, Y = np.meshgrid(centres, centres, indexing="ij")
        pair = []
        for _ in range(2):
            image = np.zeros((n, n))
            for _ in range(3):
                (cx, cy), s = rng.random(2), 0.05 + 0.1 * rng.random()
                image += np.exp(-((X - cx) ** 2 + (Y - cy) ** 2) / (2 * s * s))
            pair.append(image)
    else:
        from sklearn.datasets import load_digits

        digits = load_digits()
        first = [np.flatnonzero(digits.target == d)[0] for d in (3, 8)]
        pair = [np.clip(zoom(digits.images[k], n / 8, order=1), 0.0, None) for k in first]
    return [x / x.sum() for x in pair]


def once(fn):
    """One timed call with its peak memory, for peers too slow to repeat."""
    start = time.perf_counter()
    result, peak = peak_rss_during(fn)
    elapsed = time.perf_counter() - start
    return Timing(elapsed, elapsed, peak, result)


def row(case, ours, peer, peer_name, agree):
    ratio = f"{ours.warm / peer.warm:.2f}x" if peer is not None else "--"
    return [case, fmt_seconds(ours.warm), fmt_seconds(ours.compile), fmt_bytes(ours.peak),
            peer_name, fmt_seconds(peer.warm) if peer else "--",
            fmt_bytes(peer.peak) if peer else "--", ratio, agree]


def digits_case(repeat, verbose=False):
    import ot
    from scipy.spatial.distance import cdist
    from sklearn.datasets import load_digits

    X = load_digits().images
    pairs = np.random.default_rng(0).integers(0, len(X), size=(200, 2))
    grid = np.stack(np.meshgrid(np.arange(8.0), np.arange(8.0), indexing="ij"), -1).reshape(-1, 2)
    M = cdist(grid, grid)
    hist = [x.ravel() / x.sum() for x in X]

    def ours():
        return [dv.wasserstein(dv.Histogram(hist[i], support=grid),
                               dv.Histogram(hist[j], support=grid)).value for i, j in pairs]

    def ours_grid():
        return [dv.wasserstein(dv.Histogram.from_grid(X[i] / X[i].sum()),
                               dv.Histogram.from_grid(X[j] / X[j].sum())).value for i, j in pairs]

    def ours_cost():
        return [dv.wasserstein(dv.Histogram(hist[i]), dv.Histogram(hist[j]), cost=M).value
                for i, j in pairs]

    def pot():
        return [ot.emd2(hist[i], hist[j], M) for i, j in pairs]

    # Interleaved rounds, best of 5 x repeat: the load of a shared machine changes faster
    # than a round, so that it hits all alike.
    timings = {f: measure(f, repeat=1) for f in (ours, ours_grid, ours_cost, pot)}
    rounds = []
    for _ in range(5 * repeat - 1):
        seconds = []
        for f, t in timings.items():
            start = time.perf_counter()
            f()
            seconds.append(time.perf_counter() - start)
            t.warm = min(t.warm, seconds[-1])
        rounds.append((seconds, os.getloadavg()[0]))
    if verbose:
        # Each round's ours / POT (as the table's column), to show how it moves with the load.
        for seconds, load in rounds:
            print(f"  digits round: POT loop {fmt_seconds(seconds[3])}; ours / POT: support=grid "
                  f"{seconds[0] / seconds[3]:.2f}x, from_grid {seconds[1] / seconds[3]:.2f}x, "
                  f"cost=M {seconds[2] / seconds[3]:.2f}x; load {load:.1f}", file=sys.stderr)
    t_ours, t_grid, t_cost, t_pot = timings.values()

    def gap(t):
        return f"{np.max(np.abs(np.array(t.result) - t_pot.result)):.1e}"

    return [row("digits, 200 pairs, W1 (support=grid)", t_ours, t_pot, "ot.emd2 loop", gap(t_ours)),
            row("digits, 200 pairs, W1 (from_grid)", t_grid, t_pot, "ot.emd2 loop", gap(t_grid)),
            row("digits, 200 pairs, cost=M", t_cost, t_pot, "ot.emd2 loop", gap(t_cost))]


def cost_matrix_case(repeat):
    import ot
    from ot.datasets import make_1D_gauss as gauss

    n, m = 500, 600
    a, b = gauss(n, m=300, s=5), gauss(m, m=400, s=10)
    M = np.abs(np.arange(n, dtype=float)[:, None] - np.arange(m, dtype=float)[None, :])
    P, Q = dv.Histogram(a), dv.Histogram(b)
    exact = measure(lambda: dv.wasserstein(P, Q, cost=M).value, repeat=repeat)
    pot = measure(lambda: ot.emd2(a, b, M, numItermax=10**7), repeat=repeat)
    reg = 1.0
    entropic = measure(lambda: dv.wasserstein(P, Q, cost=M, method="sinkhorn", eps=reg,
                                              tol=1e-9).value, repeat=repeat)
    pot_sk = measure(lambda: float(ot.sinkhorn2(a, b, M, reg, method="sinkhorn_log",
                                                stopThr=1e-9, numItermax=100000)), repeat=repeat)
    return [row("cost=M 500x600 exact", exact, pot, "ot.emd2", f"{abs(exact.result - pot.result):.1e}"),
            row("cost=M 500x600 sinkhorn reg=1", entropic, pot_sk, "ot.sinkhorn2 (log)",
                f"{abs(entropic.result - pot_sk.result):.1e}")]


FLOW_KINDS = ("smooth", "noise", "blobs", "digits")


def flow_case(sizes, repeat):
    import ot
    import scipy.sparse as sp
    from scipy.optimize import linprog
    from scipy.spatial.distance import cdist

    from divergences.ot.grid import grid_edges

    rows = []
    for n in sizes:
        for kind in FLOW_KINDS:
            a, b = test_images(kind, n)
            P = dv.Histogram.from_grid(a, spacing=1.0 / n)
            Q = dv.Histogram.from_grid(b, spacing=1.0 / n)
            ours = measure(lambda: dv.wasserstein(P, Q, metric="cityblock"), repeat=repeat)
            r = ours.result
            case = f"W1 L1 {n}x{n} {kind}"
            certified = (f"certified={r.converged}, {r.details['n_pivots']} pivots "
                         f"(+{sum(r.details['coarse_pivots'])} coarser)")
            # POT's dense simplex: every kind at 32 x 32, one at 64 x 64 (half a minute a call).
            if n <= 32 or (n <= 64 and kind == "smooth"):
                M = cdist(P.support, P.support, "cityblock")
                peer = (measure if n <= 32 else lambda f, repeat: once(f))(
                    lambda: ot.emd2(a.ravel(), b.ravel(), M, numItermax=10**8), repeat=repeat)
                rows.append(row(case, ours, peer, "ot.emd2 (dense cityblock M)",
                                f"{abs(r.value - peer.result) / peer.result:.1e} rel"))
            else:
                rows.append(row(case, ours, None, "--", certified))
            if n == 64 and kind == "smooth":
                src, dst, cost = grid_edges((n, n), (1.0 / n, 1.0 / n))
                E = src.shape[0]
                A = sp.csr_array((np.r_[np.ones(E), -np.ones(E)],
                                  (np.r_[src, dst], np.r_[np.arange(E), np.arange(E)])),
                                 shape=(n * n, E))
                highs = once(lambda: linprog(cost, A_eq=A, b_eq=(a - b).ravel(), bounds=(0, None),
                                             method="highs-ipm").fun)
                rows.append(row(case, ours, highs, "scipy HiGHS (ipm), sparse LP",
                                f"{abs(r.value - highs.result):.1e}"))
    return rows


def sinkhorn_case(sizes, eps, repeat):
    import ot
    from scipy.spatial.distance import cdist

    rows = []
    for n in sizes:
        a, b = images(n, seed=n + 1)
        h = 1.0 / (n - 1)
        P, Q = dv.Histogram.from_grid(a, spacing=h), dv.Histogram.from_grid(b, spacing=h)
        ours = measure(lambda: dv.wasserstein(P, Q, order=2, method="sinkhorn", eps=eps),
                       repeat=repeat)
        r = ours.result
        per_iter = ours.warm / r.n_iter
        if n <= 64:
            Pc = dv.Histogram(a.ravel(), support=P.support)
            Qc = dv.Histogram(b.ravel(), support=P.support)
            dense = measure(lambda: dv.wasserstein(Pc, Qc, order=2, method="sinkhorn", eps=eps),
                            repeat=1)
            rows.append(row(f"sinkhorn {n}x{n} eps={eps:g}", ours, dense,
                            "dv point-cloud log-domain",
                            f"{abs(r.cost - dense.result.cost) / dense.result.cost:.1e} rel"))
        if n <= 32:
            # POT's dense log-domain Sinkhorn: a logsumexp over all N^2 entries per iteration.
            M = cdist(P.support, P.support, "sqeuclidean")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # log(0) of its empty pixels
                pot = once(lambda: float(ot.sinkhorn2(a.ravel(), b.ravel(), M, eps,
                                                      method="sinkhorn_log", stopThr=1e-6,
                                                      numItermax=100000)))
            rows.append(row(f"sinkhorn {n}x{n} eps={eps:g}", ours, pot,
                            "ot.sinkhorn2 (log, dense M)",
                            f"{abs(r.details['transport_cost'] - pot.result) / pot.result:.1e} rel"))
        else:
            rows.append(row(f"sinkhorn {n}x{n} eps={eps:g}", ours, None, "--",
                            f"converged={r.converged}, {r.n_iter} it"))
        # POT's separable kernel in its barycenter loop: time per iteration. Its log-domain
        # convolution holds n^3 terms (6 GB at 512 x 512): a few iterations, up to 256.
        if n > 256:
            continue
        A = np.stack([a, b])
        iters = 50 if n <= 64 else 3
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pot_run = once(lambda: ot.bregman.convolutional_barycenter2d(
                A, eps, method="sinkhorn_log", numItermax=iters, stopThr=0.0))
        pot_iter = pot_run.warm / iters
        rows.append([f"sinkhorn {n}x{n}: time per iteration", fmt_seconds(per_iter), "", "",
                     "ot.bregman.convolutional_barycenter2d (log)", fmt_seconds(pot_iter),
                     fmt_bytes(pot_run.peak), f"{per_iter / pot_iter:.2f}x",
                     "(2 soft-mins vs 2 images)"])
    return rows


HEADER = ["case", "divergences", "compile", "peak mem", "peer", "peer time", "peer mem",
          "ours / peer", "agreement"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--large", action="store_true", help="also 256x256 flow, 512x512 Sinkhorn")
    parser.add_argument("--cases", choices=("all", "digits"), default="all",
                        help="'digits': the digits case only, each round's ratio printed")
    parser.add_argument("--repeat", type=int, default=None,
                        help="rounds factor (default 3, 1 with --quick); digits: 5 x this")
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 3)
    if args.cases == "digits":
        print(machine_line())
        print(markdown_table(HEADER, digits_case(repeat, verbose=True)))
        return
    flow_sizes = [32, 64] if args.quick else [32, 64, 128]
    sk_sizes = [32, 64] if args.quick else [32, 64, 256]
    if args.large:
        flow_sizes.append(256)
        sk_sizes.append(512)
    print(machine_line())
    rows = []
    for part in (lambda: digits_case(repeat), lambda: cost_matrix_case(repeat),
                 lambda: flow_case(flow_sizes, repeat), lambda: sinkhorn_case(sk_sizes, 2e-3, repeat)):
        rows += part()
        print(f"... {len(rows)} rows, {time.strftime('%H:%M:%S')}", file=sys.stderr, flush=True)
    print(markdown_table(HEADER, rows))


if __name__ == "__main__":
    main()
