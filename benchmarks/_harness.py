"""Shared helpers for the benchmarks: warm timing, peak memory, markdown tables."""

import gc
import resource
import time
import tracemalloc

__all__ = ["measure", "max_rss_mib", "markdown_table"]


def max_rss_mib():
    """This process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(fn, *, repeat=3):
    """Run ``fn()`` ``repeat`` times; return (result, best wall seconds, peak traced MiB).

    The peak is tracemalloc's, over one extra traced run: the Python and numpy
    allocations of the call (numpy registers its buffers with tracemalloc), not
    memory that compiled kernels allocate outside of it. Timed runs are
    untraced, since tracing slows allocation-heavy code down.
    """
    if repeat == 1:
        # A slow peer run once: time it traced (tracemalloc costs little on
        # code that makes a few large numpy allocations).
        gc.collect()
        tracemalloc.start()
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return result, elapsed, peak / 2**20
    best = float("inf")
    result = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, best, peak / 2**20


def markdown_table(headers, rows):
    """A markdown table from a header row and rows of already formatted cells."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
