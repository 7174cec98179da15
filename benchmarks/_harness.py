"""Shared timing and memory helpers for the benchmarks (not part of the package).

Timings: the first call of a function is reported apart (for Numba code it
includes compilation), then the best of ``repeat`` warm calls. Peak memory:
see :func:`peak_rss_during`, measured on one more warm call.
"""

import contextlib
import gc
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc

__all__ = [
    "Timing",
    "measure",
    "peak_rss_during",
    "timed",
    "timed_with_peak",
    "traced_peak_mib",
    "max_rss_mib",
    "run_child",
    "markdown_table",
    "fmt_seconds",
    "fmt_bytes",
    "machine_line",
    "worker_max_rss_mib",
    "task_round_trip_seconds",
    "background_load",
    "conditions",
    "add_load_argument",
    "load_average",
]


def _read_status(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not found in /proc/self/status")


def peak_rss_during(fn):
    """Run ``fn()`` and return ``(its result, peak memory it allocated, in bytes)``.

    The peak is the larger of two lower bounds: the rise in peak RSS (sees C,
    C++ and Numba allocations, but not memory the allocator reuses without
    growing the process) and tracemalloc's peak (sees every numpy and Python
    allocation, reused or not).
    """
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        baseline = _read_status("VmRSS")
    except OSError:
        baseline = None
    tracemalloc.start()
    try:
        result = fn()
        traced = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    rss = 0 if baseline is None else max(_read_status("VmHWM") - baseline, 0)
    return result, max(rss, traced)


class Timing:
    """First-call time, best warm time, peak memory and the last result of a function.

    ``cpu`` is the least process CPU time (every thread's) of the warm calls,
    NaN where not measured.
    """

    def __init__(self, first, warm, peak, result, cpu=float("nan")):
        self.first, self.warm, self.peak, self.result = first, warm, peak, result
        self.cpu = cpu

    @property
    def compile(self):
        """First call minus a warm call: an estimate of JIT compilation time."""
        return max(self.first - self.warm, 0.0)


def measure(fn, *, repeat=3, memory=True):
    """Time ``fn()``: first call, best of ``repeat`` warm calls (wall and CPU), peak memory of
    one warm call."""
    start = time.perf_counter()
    result = fn()
    first = time.perf_counter() - start
    warm = cpu = float("inf")
    for _ in range(repeat):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = fn()
        warm = min(warm, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - cpu_start)
    peak = peak_rss_during(fn)[1] if memory else float("nan")
    return Timing(first, warm, peak, result, cpu if repeat > 0 else float("nan"))


def timed(fn, *args, repeat=1, **kwargs):
    """Run ``fn`` ``repeat`` times; return (best wall time in s, last result)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result


def timed_with_peak(fn, *, repeat=3):
    """Run ``fn()``; return (result, best wall seconds, peak traced MiB).

    With ``repeat == 1`` (a slow peer, run once) the single run is timed while
    traced; tracemalloc costs little on code making a few large allocations.
    Otherwise the timed runs are untraced and one extra run is traced.
    """
    if repeat == 1:
        gc.collect()
        tracemalloc.start()
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return result, elapsed, peak / 2**20
    elapsed, result = timed(fn, repeat=repeat)
    return result, elapsed, traced_peak_mib(fn)


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
    """Run ``python script *args`` and parse the JSON it prints on its last line.

    Used where a contender's peak memory must be measured in a fresh process.
    """
    out = subprocess.run(
        [sys.executable, script, *args], capture_output=True, text=True, timeout=timeout, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def fmt_seconds(seconds):
    if seconds != seconds:
        return "n/a"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_bytes(size):
    if size != size:
        return "n/a"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024


def markdown_table(header, rows):
    """Format rows (lists of strings) as a GitHub markdown table."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
                     + [line(r) for r in rows])


def machine_line():
    """One line describing where the numbers were taken."""
    import platform

    import numpy

    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, numpy {numpy.__version__}")


def worker_max_rss_mib(client):
    """Each dask worker process's maximum resident set so far, in MiB, by worker address."""

    def rss():
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    return client.run(rss)


def task_round_trip_seconds(client, count=500):
    """Mean wall time per no-op task submitted and gathered in one batch: the scheduler's
    per-task cost (serialisation, scheduling, messages) with no work in the task."""
    # abs: a builtin, so that the workers need not import anything to run it.
    client.gather(client.map(abs, range(count), pure=False))  # warm the path first
    start = time.perf_counter()
    client.gather(client.map(abs, range(count), pure=False))
    return (time.perf_counter() - start) / count


@contextlib.contextmanager
def background_load(count):
    """``count`` busy Python processes for the duration of the block (stopped by pid).

    Each spins on one core, as another user's job would; they are started and
    killed by the benchmark itself, so an interrupted run leaves none behind.
    """
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        time.sleep(0.5)  # let them reach the run queue before anything is timed
        yield
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait()


def load_average():
    """The 1-minute load average, as a string for the tables."""
    return f"{os.getloadavg()[0]:.1f}"


def conditions(load):
    """Yield the conditions a benchmark runs under, in turn, each while it holds.

    First ``"no load added"`` (other users' work may still be running: print
    :func:`load_average` with it), then, if ``load > 0``, ``"N busy processes
    added"`` with :func:`background_load` running for the whole loop body.
    Use as ``for condition in conditions(args.load): ...``; leaving the loop
    early (break, exception) stops the busy processes.
    """
    yield "no load added"
    if load > 0:
        with background_load(load):
            yield f"{load} busy process{'es' if load > 1 else ''} added"


def add_load_argument(parser):
    """``--load N``: also run with N busy processes (default: one per core; 0: idle only)."""
    parser.add_argument(
        "--load", type=int, default=os.cpu_count() or 1,
        help="busy processes started for the loaded run (default: one per core; 0: skip it)")
