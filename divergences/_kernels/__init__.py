"""Numba kernels: ``@njit(cache=True)`` functions on plain arrays.

Nothing here validates input or touches Python objects; the callers in the
package have already checked everything. Importing :mod:`divergences` does
not import this package, so nothing is compiled until a kernel is first used.

Importing this package imports every kernel module at once (which decorates
the kernels but compiles none), inside :func:`._cache.package_cache_dir`:
Numba fixes a cached kernel's folder when it is decorated, so this is what
keeps the cache out of the package directory (see :mod:`._cache`). A kernel
module added here is covered without further ado. The first compilation in
a process is announced on the ``divergences`` logger (see :mod:`._cache`).

Importing this package (before any kernel module) also chooses how numba's
worker threads wait, which must happen before numba starts them; see
:func:`configure_threading`. :func:`launch` runs a ``prange`` kernel or its
serial twin on a given number of threads.
"""

import importlib as _importlib
import os
import pkgutil as _pkgutil

from ._cache import announce_first_compile as _announce_first_compile
from ._cache import package_cache_dir as _package_cache_dir

__all__ = ["configure_threading", "launch"]

# The settings a user may have made for numba's threads or for OpenMP; any of
# them set means the user chose, and the library leaves the choice alone.
_USER_SETTINGS = ("NUMBA_THREADING_LAYER", "NUMBA_THREADING_LAYER_PRIORITY",
                  "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")


def configure_threading():
    """Make numba's idle worker threads sleep instead of spinning.

    Numba picks the OpenMP layer when TBB is absent, and GNU OpenMP's idle
    threads spin for a while after each parallel region before they sleep. On
    a machine whose cores are shared (other processes, or several of ours) the
    spinning threads take the cores the working ones need: benchmarks/
    bench_threads.py measured a Sinkhorn solve several times slower on two
    threads than on one under load. With ``OMP_WAIT_POLICY=PASSIVE`` they
    sleep at once.

    The policy is set only for numba's OpenMP runtime: ``OMP_WAIT_POLICY`` is
    put in the environment just while numba's OpenMP pool is loaded (GNU
    OpenMP reads it once, when loaded) and taken out again, so libraries
    loaded later see the environment the user left (a GNU OpenMP that
    something else loaded earlier keeps its own policy). Nothing is done
    when the user set any of ``NUMBA_THREADING_LAYER``,
    ``NUMBA_THREADING_LAYER_PRIORITY``, ``OMP_WAIT_POLICY``, ``GOMP_SPINCOUNT``
    or ``KMP_BLOCKTIME``, or chose a layer in code, or when numba's threads
    are already running.
    """
    if any(name in os.environ for name in _USER_SETTINGS):
        return
    from numba.np.ufunc import parallel

    if parallel._is_initialized:  # started by the user's own parallel code: too late
        return
    import numba

    if numba.config.THREADING_LAYER != "default":  # chosen in code, not by environment
        return
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        # Loading numba's OpenMP pool loads the OpenMP runtime, which reads the
        # policy now; no thread starts until the first parallel kernel runs.
        import numba.np.ufunc.omppool  # noqa: F401
    except ImportError:  # numba built without OpenMP: its other layers do not spin
        pass
    finally:
        del os.environ["OMP_WAIT_POLICY"]


def launch(parallel, serial, count, *args):
    """``parallel(*args)`` on ``count`` threads, or ``serial(*args)`` when ``count == 1``.

    ``parallel`` and ``serial`` are a ``prange`` kernel and its serial twin.
    ``numba.set_num_threads`` is per calling thread, so it is applied around
    the launch and numba's previous value put back after.
    """
    if count > 1:
        import numba

        count = min(count, numba.config.NUMBA_NUM_THREADS)  # the pool's size caps it
    if count <= 1:
        return serial(*args)
    before = numba.get_num_threads()
    if count == before:
        return parallel(*args)
    numba.set_num_threads(count)
    try:
        return parallel(*args)
    finally:
        numba.set_num_threads(before)


def _import_kernel_modules():
    with _package_cache_dir():
        for info in _pkgutil.iter_modules(__path__):
            if not info.name.startswith("_"):
                _importlib.import_module(f"{__name__}.{info.name}")


# The order matters: the wait policy before numba can start its threads, then the
# kernel modules (their `from . import launch` needs the names above).
configure_threading()
_import_kernel_modules()
_announce_first_compile()
