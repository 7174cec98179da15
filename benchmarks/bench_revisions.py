"""This checkout against another revision of the library, side by side in one process.

A redesign of the inside must not make anything slower (issue 15). This
script imports the package of another checkout (``--base``, e.g. a
``git worktree`` of main) under the name ``divergences_base`` beside this
one, and times the same calls of both, interleaved (A, B, B, A, ...), so
that the load of a shared machine falls on both alike:

* ``dispatch``: ``dv.divergence`` on two 4-bin histograms (KL, JS, W1 in
  1-D): the cost of the record lookup, method choice and option checks
  around a computation that is almost free;
* ``pairwise``: a 6 x 6 W1 matrix of 300-point clouds, on one worker and on
  two;
* ``two_sample``: permutation tests of 999 splits with each pooled null
  (energy distance, sliced W1, k-NN KL);
* ``mmd online``: the O(n + m) kernel row sums;
* ``gan.train``: 100 steps of the sliced objective on the parallel lines.

Numba compilation is done first, for both, and reported apart. Each row
prints the best of ``--repeat`` warm calls of each and their ratio
(this checkout / base: below 1 is faster). Not a test.

Usage::

    git worktree add /tmp/base main
    NUMBA_CACHE_DIR=/tmp/numba_bench PYTHONPATH=. python benchmarks/bench_revisions.py \
        --base /tmp/base
    git worktree remove /tmp/base
"""

import argparse
import importlib
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import fmt_seconds, machine_line, markdown_table  # noqa: E402


def _import_base(checkout):
    """The package of ``checkout`` as ``divergences_base`` (its imports are relative)."""
    source = Path(checkout).resolve() / "divergences"
    if not source.is_dir():
        raise SystemExit(f"--base {checkout}: no divergences/ package there")
    target = Path(tempfile.mkdtemp(prefix="bench_revisions_")) / "divergences_base"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    sys.path.insert(0, str(target.parent))
    return importlib.import_module("divergences_base")


def _cases(dv):
    rng = np.random.default_rng(0)
    p, q = dv.Histogram([0.1, 0.2, 0.3, 0.4]), dv.Histogram([0.4, 0.3, 0.2, 0.1])
    u, v = rng.normal(size=200), rng.normal(0.5, 1.0, size=200)
    clouds = [rng.normal(0.1 * k, 1.0, size=(300, 2)) for k in range(6)]
    x, y = rng.normal(size=(200, 2)), rng.normal(0.2, 1.0, size=(200, 2))
    big_x, big_y = rng.normal(size=(2000, 2)), rng.normal(0.2, 1.0, size=(2000, 2))
    target = dv.gan.parallel_lines_target(500, rng=0)

    def dispatch():
        for _ in range(200):
            dv.divergence(p, q, "kl")
            dv.divergence(p, q, "js")
            dv.divergence(u, v, "wasserstein")

    def gan():
        dv.gan.train(dv.gan.ParallelLinesGenerator(1.0), target, divergence="sliced",
                     steps=100, batch_size=64, lr=0.05, rng=0)

    return {
        "dispatch (600 calls)": dispatch,
        "pairwise 6x6 W1, 1 worker": lambda: dv.pairwise(clouds, kind="wasserstein",
                                                          workers=1, progress=False),
        "pairwise 6x6 W1, 2 workers": lambda: dv.pairwise(clouds, kind="wasserstein",
                                                           workers=2, progress=False),
        "two_sample energy, 999 splits": lambda: dv.two_sample_test(x, y, rng=0),
        "two_sample sliced W1, 999 splits": lambda: dv.two_sample_test(
            x, y, kind="wasserstein", method="sliced", rng=0),
        "two_sample k-NN KL, 999 splits": lambda: dv.two_sample_test(x, y, kind="kl", rng=0),
        "mmd online, 2000 x 2000": lambda: dv.mmd(big_x, big_y, method="online"),
        "gan.train sliced, 100 steps": gan,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="a checkout of the other revision")
    parser.add_argument("--repeat", type=int, default=7, help="warm calls of each (best kept)")
    args = parser.parse_args(argv)

    import divergences as new

    old = _import_base(args.base)
    warnings.simplefilter("ignore")
    suites = {"base": _cases(old), "this": _cases(new)}
    rows = []
    for name in suites["this"]:
        first, best = {}, {}
        for label, cases in suites.items():
            start = time.perf_counter()
            cases[name]()
            first[label] = time.perf_counter() - start
            best[label] = float("inf")
        for turn in range(args.repeat):
            # Interleaved, and each goes first every other turn: both see the same load.
            for label in ("base", "this") if turn % 2 == 0 else ("this", "base"):
                start = time.perf_counter()
                suites[label][name]()
                best[label] = min(best[label], time.perf_counter() - start)
        rows.append([name, fmt_seconds(first["base"]), fmt_seconds(first["this"]),
                     fmt_seconds(best["base"]), fmt_seconds(best["this"]),
                     f"{best['this'] / best['base']:.2f}"])
    print(machine_line())
    with open("/proc/loadavg") as load:
        print("load average:", " ".join(load.read().split()[:3]))
    print(markdown_table(["case", "first base", "first this", "warm base", "warm this",
                          "this / base"], rows))


if __name__ == "__main__":
    main()
