"""Classifier (density-ratio) estimators of KL and JS: accuracy, calibration and time.

    python benchmarks/bench_classifier.py            # n = 5000, 20 seeds
    python benchmarks/bench_classifier.py --quick    # n = 1000, 5 seeds

On Gaussian pairs with different means and covariances in d = 1, 3, 5 (KL in
closed form, JS by quadrature in 1-D and by 400,000-draw Monte Carlo above),
each estimator's mean error over seeds, the spread of its estimates over seeds,
and the mean standard error it reports (calibrated when the two agree), with
the k-NN estimator on the same samples for comparison, and the best-of-3 warm
wall time of one call. No Numba on these paths: nothing to compile.
"""

import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import divergences as dv  # noqa: E402
from _harness import machine_line, markdown_table, timed, traced_peak_mib  # noqa: E402
from divergences.kl import kl_gaussians  # noqa: E402


def gaussian_pair(d):
    if d == 1:
        return dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 2.0)
    return dv.Gaussian(np.zeros(d), 1.0), dv.Gaussian(np.full(d, 0.5), np.diag(np.linspace(0.7, 1.5, d)))


def js_truth(p, q):
    if p.dim == 1:
        return dv.js_divergence(p, q).value
    return dv.js_divergence(p, q, method="monte-carlo", n_samples=400_000, rng=0).value


CONTENDERS = (
    ("classifier, quadratic", {"method": "classifier", "features": "quadratic"}),
    ("classifier, linear", {"method": "classifier", "features": "linear"}),
    ("classifier, fourier", {"method": "classifier", "features": "fourier"}),
    ("knn (k = 3)", {"method": "knn"}),
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--reps", type=int, default=None)
    args = parser.parse_args()
    n = args.n or (1000 if args.quick else 5000)
    reps = args.reps or (5 if args.quick else 20)
    print(f"# Classifier estimators, n = m = {n}, {reps} seeds ({machine_line()})\n")
    rows = []
    for d in (1, 3, 5):
        p, q = gaussian_pair(d)
        truths = {"kl": kl_gaussians(p, q), "js": js_truth(p, q)}
        for divergence, function in (("kl", dv.kl_divergence), ("js", dv.js_divergence)):
            for name, options in CONTENDERS:
                values, stderrs = [], []
                for seed in range(reps):
                    x, y = p.sample(n, rng=1000 + seed), q.sample(n, rng=2000 + seed)
                    extra = {"rng": seed} if options["method"] == "classifier" else {}
                    r = function(x, y, **options, **extra)
                    values.append(r.value)
                    stderrs.append(r.stderr)
                warm, _ = timed(function, x, y, repeat=3, **options, **extra)
                peak = traced_peak_mib(function, x, y, **options, **extra)
                values = np.array(values)
                rows.append([
                    str(d), divergence, name, f"{truths[divergence]:.4f}",
                    f"{values.mean() - truths[divergence]:+.4f}",
                    f"{values.std(ddof=1):.4f}", f"{np.mean(stderrs):.4f}",
                    f"{warm * 1e3:.0f} ms", f"{peak:.1f} MiB",
                ])
    header = ["d", "div", "estimator", "truth", "mean error", "sd over seeds",
              "mean stderr", "warm time", "peak (traced)"]
    print(markdown_table(header, rows))
    print("\nmean error: over seeds (its own noise is sd / sqrt(seeds)); a reported stderr is"
          " calibrated when it matches the sd over seeds.")


if __name__ == "__main__":
    main()
