"""The debiased Sinkhorn divergence against GeomLoss, online and tensorized, idle and loaded.

    python benchmarks/bench_sinkhorn_divergence.py                  # n = 5,000 and 10,000
    python benchmarks/bench_sinkhorn_divergence.py --sizes 2000 --blurs 0.3 --load 0
    python benchmarks/bench_sinkhorn_divergence.py --threads 1      # every library on 1 thread

The cases of issue 18: 2-D clouds, X uniform on the unit square and Y the same
law shifted by (0.25, 0) (independent draws, seeds 1 and 2), n = m = 5,000 and
10,000, blur 0.05 and 0.3. Contenders, in one process on the same inputs:

- ``dv.sinkhorn_divergence(x, y, eps=2 * blur**2)`` at its default ``tol`` and at
  ``tol=1e-3``;
- GeomLoss ``SamplesLoss("sinkhorn", p=2, blur=blur, debias=True)`` with
  ``backend="online"`` (KeOps, compiled for the CPU) and ``"tensorized"`` (dense
  torch matrices; skipped where its matrices would pass ``--dense-limit``), float64;
- OTT-JAX ``sinkhorn_divergence`` on ``PointCloud`` geometries, float64, CPU, jitted,
  at the same ``eps`` and at our default ``tol`` as its ``threshold`` (``_peers.py``).

GeomLoss's ground cost for ``p=2`` is |x - y|^2 / 2 and its eps is blur^p, so its
value is S_eps / 2 at our ``eps = 2 blur^2`` (GeomLoss documentation,
``geomloss.SamplesLoss``); it is doubled here. Every value is scored against
S_eps converged to ``tol=1e-9`` by this library (the oracle is the same fixed point
whatever solver reaches it). First calls (Numba compilation and cache loading,
KeOps compilation) are timed apart; the times are the best of ``--repeat`` warm
calls, wall and CPU (the process's, every thread's) each. Each table is printed with no load added and with ``--load`` busy
processes started and stopped by the benchmark. torch and the library use the same
number of threads (``--threads``, default: every core).

Needs ``pip install torch geomloss pykeops ott-jax`` (not dependencies of the
library); a contender whose package is missing is skipped.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import divergences as dv  # noqa: E402
from _harness import (  # noqa: E402
    add_load_argument, conditions, fmt_seconds, load_average, machine_line, markdown_table,
    max_rss_mib, measure)
from _peers import ott_sinkhorn_divergence  # noqa: E402


def clouds(n):
    """The issue's pair: uniform on the unit square, and the same law shifted by (0.25, 0)."""
    x = np.random.default_rng(1).random((n, 2))
    y = np.random.default_rng(2).random((n, 2)) + [0.25, 0.0]
    return x, y


def geomloss_contenders(backends):
    """name -> callable (x, y, blur) -> S_eps at eps = 2 blur^2, for the GeomLoss backends that load."""
    try:
        import torch
        from geomloss import SamplesLoss
    except ImportError as exc:
        print(f"GeomLoss skipped ({exc}); pip install torch geomloss pykeops", file=sys.stderr)
        return {}
    contenders = {}
    for backend in backends:
        def run(x, y, blur, backend=backend):
            loss = SamplesLoss("sinkhorn", p=2, blur=blur, debias=True, backend=backend)
            return 2.0 * float(loss(torch.from_numpy(x), torch.from_numpy(y)))
        contenders[f"GeomLoss {backend}"] = run
    return contenders


def table(sizes, blurs, repeat, dense_limit, peers, references, use_ott):
    rows = []
    for n in sizes:
        x, y = clouds(n)
        for blur in blurs:
            eps = 2.0 * blur**2
            key = (n, blur)
            if key not in references:  # the oracle, once per case, outside the timings
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    references[key] = float(dv.sinkhorn_divergence(x, y, eps=eps, tol=1e-9))
            reference = references[key]
            timings = {}
            for tol in (None, 1e-3):
                options = {} if tol is None else {"tol": tol}
                label = "divergences" + ("" if tol is None else f", tol={tol:g}")
                timing = measure(lambda: dv.sinkhorn_divergence(x, y, eps=eps, **options),
                                 repeat=repeat, memory=False)
                iters = timing.result.details.get("n_iter_each", {})
                timings[label] = (timing.first, timing.warm, timing.cpu, float(timing.result),
                                  "+".join(str(iters[k]) for k in ("ab", "aa", "bb") if k in iters))
            for name, run in peers.items():
                if "tensorized" in name and 3 * 8 * n * n > dense_limit:
                    continue
                timing = measure(lambda: run(x, y, blur), repeat=repeat, memory=False)
                timings[name] = (timing.first, timing.warm, timing.cpu, timing.result, "")
            ott = ott_sinkhorn_divergence(eps, tol=1e-6) if use_ott else None
            if ott is not None:
                timing = measure(lambda: ott(x, y), repeat=repeat, memory=False)
                timings["OTT-JAX, threshold 1e-6"] = (timing.first, timing.warm, timing.cpu,
                                                      timing.result, "")
            ours, ours_cpu = timings["divergences"][1:3]
            for name, (first, warm, cpu, value, iters) in timings.items():
                rows.append([f"{n:,}", f"{blur:g}", name, fmt_seconds(warm), fmt_seconds(cpu),
                             fmt_seconds(first), iters or "-",
                             f"{abs(value - reference) / abs(reference):.0e}",
                             f"{warm / ours:.2f}", f"{cpu / ours_cpu:.2f}"])
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,10000")
    parser.add_argument("--blurs", default="0.05,0.3")
    parser.add_argument("--repeat", type=int, default=2, help="warm calls timed (best kept)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for torch and the library (default: every core)")
    parser.add_argument("--backends", default="online,tensorized",
                        help="GeomLoss backends (comma-separated; empty for none)")
    parser.add_argument("--dense-limit", type=float, default=4e9,
                        help="bytes of dense matrices beyond which tensorized is skipped")
    parser.add_argument("--no-ott", action="store_true", help="leave OTT-JAX out")
    add_load_argument(parser)
    args = parser.parse_args(argv)
    threads = args.threads or os.cpu_count() or 1
    dv.set_threads(threads)
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass
    peers = geomloss_contenders([b for b in args.backends.split(",") if b])
    sizes = [int(s) for s in args.sizes.split(",")]
    blurs = [float(b) for b in args.blurs.split(",")]
    print(f"# Sinkhorn divergence, 2-D, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"{machine_line()}; {threads} thread(s) each\n")
    references = {}
    for condition in conditions(args.load):
        rows = table(sizes, blurs, args.repeat, args.dense_limit, peers, references,
                     not args.no_ott)
        print(f"## {condition} (load average {load_average()})\n")
        print(markdown_table(["n = m", "blur", "contender", "warm", "warm CPU", "first call",
                              "iterations (ab+aa+bb)", "rel. error vs converged",
                              "time / divergences", "CPU / divergences"], rows))
        print()
    print(f"peak RSS of the process: {max_rss_mib():.0f} MiB (torch's allocator is not traced)")


if __name__ == "__main__":
    main()
