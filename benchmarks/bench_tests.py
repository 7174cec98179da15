"""Two-sample tests: calibration, power and the time of the permutations, against peers.

    python benchmarks/bench_tests.py --sections timing            # n = m = 5,000, d = 10
    python benchmarks/bench_tests.py --sections calibration --splits 500
    python benchmarks/bench_tests.py --sections power
    python benchmarks/bench_tests.py --quick                      # everything, small
    python benchmarks/bench_tests.py --sections timing --load 2   # timings idle, then loaded

Sections:

1. ``timing`` -- 1,000 permutations of the energy distance and of MMD
   (Gaussian kernel, median bandwidth) at n = m = 5,000 in d = 10:
   ``dv.two_sample_test`` against hyppo's permutation tests
   ``Energy().test(..., auto=False)`` and ``MMD().test(..., auto=False)``
   (when hyppo is installed; 20 of its permutations timed, the 1,000
   extrapolated), same inputs, same process;
   the first call (Numba compilation included) is reported apart; and the
   k-NN KL and JS tests' 1,000 permutations (pooled neighbour lists) against
   20 fresh estimates of each (``knn-timing`` alone).
2. ``calibration`` -- the type-I error at nominal 5%: ``--splits`` null
   splits (two random halves of one standard normal sample, n = 100 each,
   d = 5), 199 permutations each, for every statistic (the default whitened
   energy test and the raw one; MMD; sliced, exact and Sinkhorn W1; k-NN KL
   and JS; the classifier's JS).
3. ``power`` -- the rejection rate at 5% on shifts of known size (1-D and
   10-D mean shifts, a covariance change, one feature of scikit-learn's
   breast_cancer shifted by 0.5 sd), against ``scipy.stats.ks_2samp`` per
   feature with Bonferroni's correction; the energy test whitened (default),
   scaled and raw.

With ``--load N`` (N > 0) the timing sections run twice: with no load added and
with ``N`` busy processes the benchmark starts and stops itself.
Timings are wall-clock on whatever machine runs this; on a shared, loaded
machine they are noisy -- compare ratios taken in the same run.
"""

import argparse
import math
import os
import sys
import time
import warnings

import numpy as np
from scipy import stats

sys.path.insert(0, ".")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import divergences as dv  # noqa: E402
from _harness import conditions, load_average  # noqa: E402

STATISTICS = {
    "energy": dict(kind="energy_distance"),  # the default test: whitened
    "energy scale": dict(kind="energy_distance", standardize="scale"),
    "energy raw": dict(kind="energy_distance", standardize="none"),
    "mmd": dict(kind="mmd"),
    "sliced W1": dict(kind="wasserstein", method="sliced", n_projections=50),
    "exact W1": dict(kind="wasserstein"),
    "sinkhorn W1": dict(kind="wasserstein", method="sinkhorn", eps=0.2),  # |x - y| ~ 3
    "knn KL": dict(kind="kl"),
    "knn JS": dict(kind="js"),
    "classifier JS": dict(kind="js", method="classifier"),
}
# The type-I error table needs one standardisation only besides the default (the
# null data are standard normal); "scale" and "raw" differ in power, shown below.
CALIBRATION_DEFAULT = [name for name in STATISTICS if name != "energy scale"]
POWER_DEFAULT = [name for name in STATISTICS
                 if name not in ("sinkhorn W1", "classifier JS", "exact W1")]


def _seconds(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def timing(n, d, permutations, hyppo_reps=20):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    small = dv.two_sample_test(x[:50], y[:50], n_permutations=5)  # compile the kernels
    del small
    rows = []
    for name, kind in (("energy", "energy_distance"), ("mmd", "mmd")):
        seconds, ours = _seconds(lambda: dv.two_sample_test(
            x, y, kind=kind, n_permutations=permutations, rng=1))
        rows.append((f"divergences {name}", seconds, ours.pvalue))
        print(f"divergences {name}: {seconds:.1f} s, p = {ours.pvalue:.3f}", flush=True)
    try:
        from hyppo.ksample import MMD, Energy
    except ImportError:
        print("hyppo is not installed: no comparison (pip install hyppo)")
        return rows
    for name, test in (("energy", Energy()), ("mmd", MMD())):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # hyppo's default (auto=True) above 20 points is a chi-square approximation
            # with no permutation at all; its permutation test is auto=False. At this size
            # each of its permutations recomputes the statistic on the N x N matrices, so
            # `hyppo_reps` of them are timed and the 1,000 extrapolated linearly from the
            # cost per permutation (the statistic itself timed apart).
            stat_seconds, _ = _seconds(lambda: test.statistic(x, y))
            kwargs = {"reps": hyppo_reps, "workers": -1, "auto": False, "random_state": 1}
            seconds, (stat, pvalue) = _seconds(lambda: test.test(x, y, **kwargs))
            approx_seconds, (_, approx_p) = _seconds(lambda: test.test(x, y, auto=True))
        per_permutation = max(seconds - stat_seconds, 0.0) / hyppo_reps
        extrapolated = stat_seconds + permutations * per_permutation
        rows.append((f"hyppo {name}", extrapolated, pvalue))
        print(f"hyppo {name}: {hyppo_reps} permutations {seconds:.1f} s (the statistic alone "
              f"{stat_seconds:.1f} s): {permutations} permutations ~ {extrapolated:.0f} s; "
              f"its chi-square approximation (no permutations) {approx_seconds:.1f} s, "
              f"p = {approx_p:.3f}", flush=True)
    for name in ("energy", "mmd"):
        ours = next(s for label, s, _ in rows if label == f"divergences {name}")
        theirs = next(s for label, s, _ in rows if label == f"hyppo {name}")
        print(f"{name}, {permutations} permutations: hyppo / divergences = {theirs / ours:.1f}x "
              f"(hyppo extrapolated from {hyppo_reps})")
    return rows


def knn_timing(n, d, permutations, fresh=20):
    """1,000 permutations of the k-NN KL and JS tests against ``fresh`` fresh estimates."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    for kind, estimate in (("kl", dv.kl_divergence), ("js", dv.js_divergence)):
        dv.two_sample_test(x[:50], y[:50], kind=kind, n_permutations=5)  # compile
        seconds, test = _seconds(lambda: dv.two_sample_test(
            x, y, kind=kind, n_permutations=permutations, rng=1))
        print(f"divergences knn {kind.upper()}, {permutations} permutations ({test.method}, "
              f"{test.details.get('recomputed', 'all')} recomputed): {seconds:.1f} s, "
              f"p = {test.pvalue:.3f}")
        single, _ = _seconds(lambda: [estimate(x, y) for _ in range(fresh)])
        print(f"{fresh} fresh k-NN {kind.upper()} estimates: {single:.1f} s "
              f"(permutations / fresh = {seconds / single:.2f})", flush=True)


def calibration(splits, n, d, permutations, names):
    rng = np.random.default_rng(2024)
    print(f"type-I error at 5%: {splits} null splits, n = m = {n}, d = {d}, "
          f"{permutations} permutations")
    # A binomial(splits, 0.05) count: its 95% range, for reading the table.
    half = 1.96 * math.sqrt(0.05 * 0.95 / splits)
    print(f"(a calibrated test lands in [{0.05 - half:.3f}, {0.05 + half:.3f}] 95% of the time)")
    for name in names:
        options = STATISTICS[name]
        start = time.perf_counter()
        rejected = 0
        for _ in range(splits):
            pooled = rng.normal(size=(2 * n, d))
            x, y = pooled[:n], pooled[n:]
            r = dv.two_sample_test(x, y, n_permutations=permutations, rng=rng, **options)
            rejected += r.pvalue <= 0.05
        print(f"  {name:10s} {rejected / splits:.3f}   ({time.perf_counter() - start:.0f} s)",
              flush=True)


def _ks_bonferroni(x, y):
    pvalues = [stats.ks_2samp(x[:, j], y[:, j]).pvalue for j in range(x.shape[1])]
    return min(1.0, min(pvalues) * x.shape[1])


def _breast_cancer_shift(rng, feature=0, shift=0.5):
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer().data
    perm = rng.permutation(len(data))
    half = len(data) // 2
    x, y = data[perm[:half]].copy(), data[perm[half:]].copy()
    y[:, feature] += shift * data[:, feature].std()
    return x, y


def _peers(permutations):
    """The peers' tests on the same data, as ``name -> (x, y, rng) -> p-value``."""
    peers = {"KS-Bonf": lambda x, y, rng: _ks_bonferroni(x, y)}

    def scipy_energy(x, y, rng):
        # scipy's permutation engine around the library's raw energy statistic: an
        # independent check of the reused-sums null (same statistic, other shuffles).
        # scipy permutes 1-D samples, so it permutes row indices into the pooled points.
        pooled = np.concatenate([x, y])

        def statistic(first, second):
            return dv.energy_distance(dv.Samples(pooled[first.astype(int)]),
                                      dv.Samples(pooled[second.astype(int)])).value

        rows = (np.arange(len(x)), np.arange(len(x), len(pooled)))
        return stats.permutation_test(rows, statistic, n_resamples=permutations,
                                      vectorized=False, alternative="greater",
                                      random_state=rng).pvalue

    peers["scipy perm"] = scipy_energy
    try:
        from hyppo.ksample import MMD, Energy
    except ImportError:
        print("hyppo is not installed: no hyppo columns (pip install hyppo)")
        return peers
    for name, test in (("hyppo Energy", Energy()), ("hyppo MMD", MMD())):
        def run(x, y, rng, test=test):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return test.test(x, y, reps=permutations, workers=1, auto=False,
                                 random_state=int(rng.integers(2**31)))[1]

        peers[name] = run
    return peers


def power(reps, permutations, names):
    scenarios = {
        "1-D mean +0.3": lambda rng: (rng.normal(size=(100, 1)), rng.normal(0.3, 1, (100, 1))),
        "10-D mean +0.3 e1": lambda rng: (rng.normal(size=(100, 10)),
                                         rng.normal(size=(100, 10)) + np.eye(10)[0] * 0.3),
        "10-D cov x1.5 in e1": lambda rng: (rng.normal(size=(100, 10)),
                                           rng.normal(size=(100, 10)) * np.r_[1.5, [1] * 9]),
        "breast_cancer f0 +0.5 sd": _breast_cancer_shift,
    }
    peers = _peers(permutations)
    columns = [*names, *peers]
    print(f"power at 5% ({reps} repetitions, {permutations} permutations); the peers "
          f"(KS per feature with Bonferroni, scipy.stats.permutation_test of the raw "
          f"energy distance, hyppo's Energy and MMD) on the same data")
    header = "  ".join(f"{n:>13s}" for n in columns)
    print(f"{'':26s}{header}")
    for label, draw in scenarios.items():
        rng = np.random.default_rng(7)
        counts = dict.fromkeys(columns, 0)
        for _ in range(reps):
            x, y = draw(rng)
            for name in names:
                r = dv.two_sample_test(x, y, n_permutations=permutations, rng=rng,
                                       **STATISTICS[name])
                counts[name] += r.pvalue <= 0.05
            for name, test in peers.items():
                counts[name] += test(x, y, rng) <= 0.05
        row = "  ".join(f"{counts[n] / reps:13.2f}" for n in counts)
        print(f"{label:26s}{row}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default="timing,calibration,power")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--splits", type=int, default=500)
    parser.add_argument("--statistics", default=None,
                        help="comma-separated names of STATISTICS (default: all for "
                        "calibration; all but the recomputed ones for power)")
    parser.add_argument("--permutations", type=int, default=199)
    parser.add_argument("--load", type=int, default=0,
                        help="also time with this many busy processes (default 0: idle only)")
    args = parser.parse_args(argv)
    chosen = None if args.statistics is None else args.statistics.split(",")
    sections = args.sections.split(",")
    timed = bool({"timing", "knn-timing"} & set(sections))
    for condition in conditions(args.load if timed else 0):
        if timed:
            print(f"\n## Timings, {condition} (load average {load_average()})\n", flush=True)
        if "timing" in sections:
            timing(500 if args.quick else 5000, 10, 100 if args.quick else 1000)
        if "timing" in sections or "knn-timing" in sections:
            knn_timing(500 if args.quick else 5000, 10, 100 if args.quick else 1000)
    if "calibration" in sections:
        calibration(50 if args.quick else args.splits, 100, 5, args.permutations,
                    chosen or CALIBRATION_DEFAULT)
    if "power" in sections:
        power(10 if args.quick else 100, args.permutations, chosen or POWER_DEFAULT)


if __name__ == "__main__":
    main()
