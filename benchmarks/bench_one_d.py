"""W_1 on the line: divergences' merge kernel against scipy.stats.wasserstein_distance.

Run: python benchmarks/bench_one_d.py [--quick] [--load N]

The table is printed twice: with no load added, and with ``N`` busy processes
(default one per core) that the benchmark starts and stops itself.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import divergences as dv  # noqa: E402
from _harness import (  # noqa: E402
    add_load_argument, conditions, fmt_bytes, fmt_seconds, load_average, machine_line,
    markdown_table, measure)


def table(sizes):
    """Rows of the W_1 table: ours against scipy on the same inputs, uniform and weighted."""
    rng = np.random.default_rng(0)
    rows = []
    for weighted in (False, True):
        for n in sizes:
            x, y = rng.normal(size=n), rng.standard_t(4, size=n) + 0.3
            a, b = (rng.random(n), rng.random(n)) if weighted else (None, None)
            ours = measure(lambda: float(dv.wasserstein(dv.Samples(x, a), dv.Samples(y, b))))
            theirs = measure(lambda: stats.wasserstein_distance(x, y, a, b))
            agree = abs(ours.result - theirs.result) / theirs.result
            rows.append([
                "weighted" if weighted else "uniform", f"{n:,}",
                fmt_seconds(ours.warm), fmt_bytes(ours.peak),
                fmt_seconds(theirs.warm), fmt_bytes(theirs.peak),
                f"{theirs.warm / ours.warm:.1f}x", f"{agree:.1e}",
            ])
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    add_load_argument(parser)
    args = parser.parse_args(argv)
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    from divergences._kernels import one_d

    compile_time = measure(one_d.warm_up, repeat=0, memory=False).first
    print(f"W_1 in 1-D ({machine_line()}); warm = best of 3 after a first call;")
    print(f"Numba compilation (or cache load) of the kernels, once: {fmt_seconds(compile_time)}")
    for condition in conditions(args.load):
        rows = table(sizes)
        print(f"\n## {condition} (load average {load_average()})\n")
        print(markdown_table(
            ["weights", "n = m", "divergences", "peak mem", "scipy", "peak mem",
             "speed-up", "rel. diff"], rows))


if __name__ == "__main__":
    main()
