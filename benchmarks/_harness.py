"""Shared helpers for the benchmarks: timing, peak memory, markdown tables.

Every benchmark times its contenders in one process on the same inputs. Peak
memory is reported two ways: ``tracemalloc`` (Python and numpy allocations,
not C++ internals such as a k-d tree's nodes) and the growth of the process's
maximum resident set (``ru_maxrss``), measured in a fresh subprocess so that
earlier contenders do not mask later ones.
"""

import json
import resource
import subprocess
import sys
import time
import tracemalloc


def timed(fn, *args, repeat=1, **kwargs):
    """Run ``fn`` ``repeat`` times; return (best wall time in s, last result)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result


def traced_peak_mib(fn, *args, **kwargs):
    """Peak of tracemalloc-tracked allocations during one call, in MiB."""
    tracemalloc.start()
    try:
        fn(*args, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def max_rss_mib():
    """The process's maximum resident set so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(script, args, timeout=900):
    """Run ``python script *args`` and parse the JSON it prints on its last line."""
    out = subprocess.run(
        [sys.executable, script, *args], capture_output=True, text=True, timeout=timeout, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def markdown_table(header, rows):
    """Format ``rows`` (lists of cells) under ``header`` as a markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
