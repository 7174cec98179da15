"""Run every headline benchmark once, in turn, and keep what each printed, dated.

    python benchmarks/run_all.py                    # the headline cases (about an hour)
    python benchmarks/run_all.py --only one_d,exact --load 0
    python benchmarks/run_all.py --list

The README's performance tables are taken from one such run, so that their numbers
were measured on the same machine, on the same day, under the same conditions. Each
benchmark runs in its own process (its Numba compilation is reported apart by the
benchmark itself), one after the other so that none loads another's cores; those
that take ``--load`` print their tables with no load added and again with ``N`` busy
processes they start and stop themselves.

Output: ``benchmarks/results/<UTC date and time>/<name>.md``, one file a benchmark,
and ``README.md`` in that folder: the date, the machine, the git revision, the load
average before and after each benchmark, its wall time and exit status.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import machine_line, markdown_table  # noqa: E402

# name -> (script, arguments): the cases the README quotes, at the sizes it quotes.
HEADLINE = {
    "one_d": ("bench_one_d.py", []),
    "threads": ("bench_threads.py", []),
    "sinkhorn": ("bench_sinkhorn.py", []),
    "sinkhorn_divergence": ("bench_sinkhorn_divergence.py", []),
    "exact": ("bench_exact.py", []),
    "knn": ("bench_knn.py", ["--sections", "speed,large"]),
    "grids": ("bench_grids.py", []),
    "pairwise": ("bench_pairwise.py", ["--sets", "12", "--loop-pairs", "10"]),
    "tests": ("bench_tests.py", ["--sections", "timing"]),
}


def takes_load(script):
    """Whether the benchmark declares a ``--load`` option (read from its source, not run)."""
    source = (HERE / script).read_text()
    return '"--load"' in source or "add_load_argument(" in source


def git_revision():
    out = subprocess.run(["git", "-C", str(HERE), "describe", "--always", "--dirty"],
                         capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=None, help="comma-separated names (see --list)")
    parser.add_argument("--load", type=int, default=os.cpu_count() or 1,
                        help="busy processes for the loaded runs (default: one per core)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per benchmark")
    parser.add_argument("--list", action="store_true", help="print the benchmarks and stop")
    args = parser.parse_args(argv)
    names = list(HEADLINE) if args.only is None else args.only.split(",")
    unknown = sorted(set(names) - set(HEADLINE))
    if unknown:
        parser.error(f"--only: unknown benchmark(s) {unknown}; choose from {sorted(HEADLINE)}")
    if args.list:
        for name in names:
            script, extra = HEADLINE[name]
            print(name, script, *extra)
        return
    stamp = time.strftime("%Y-%m-%d_%H%M", time.gmtime())
    folder = HERE / "results" / stamp
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(HERE.parent) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    rows = []
    for name in names:
        script, extra = HEADLINE[name]
        command = [sys.executable, str(HERE / script), *extra]
        if takes_load(script):
            command += ["--load", str(args.load)]
        before = os.getloadavg()[0]
        start = time.perf_counter()
        print(f"[{time.strftime('%H:%M:%S')}] {name}: {' '.join(command[1:])}", flush=True)
        try:
            out = subprocess.run(command, capture_output=True, text=True, env=env,
                                 timeout=args.timeout)
            status, text = str(out.returncode), out.stdout + (
                f"\n\n<details><summary>stderr</summary>\n\n```\n{out.stderr[-5000:]}\n```\n</details>\n"
                if out.returncode else "")
        except subprocess.TimeoutExpired as expired:
            status = f"timed out after {args.timeout:.0f} s"
            text = (expired.stdout or b"").decode() if isinstance(expired.stdout, bytes) else (
                expired.stdout or "")
        wall = time.perf_counter() - start
        (folder / f"{name}.md").write_text(f"# {name}: `{' '.join(command[1:])}`\n\n{text}")
        rows.append([name, " ".join([script, *command[2:]]), f"{wall:.0f} s", status,
                     f"{before:.1f}", f"{os.getloadavg()[0]:.1f}"])
    summary = (f"# Benchmark run {stamp} UTC\n\n{machine_line()}; git {git_revision()}\n\n"
               + markdown_table(["benchmark", "command", "wall", "exit", "load before",
                                 "load after"], rows) + "\n")
    (folder / "README.md").write_text(summary)
    print(summary)
    print(f"outputs in {folder}")


if __name__ == "__main__":
    main()
