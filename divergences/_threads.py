"""How many worker threads the library's parallel code uses: one setting, read everywhere.

Every parallel path of the library -- the Numba kernels with ``prange`` (Sinkhorn's
soft-min and plans, the auction's certificate, sliced projections) and the Python
thread pools (the k-NN queries of :mod:`divergences.neighbors`, the pairs of
:func:`divergences.pairwise`) -- asks :func:`get_threads` how many threads it may use.

* :func:`set_threads` sets it for the whole process;
* :func:`threads` sets it inside a ``with`` block, for the calling thread only
  (a :mod:`contextvars` variable: concurrent callers, such as the pairwise thread
  pool, each keep their own);
* by default it is ``NUMBA_NUM_THREADS`` when that is set, else the number of cores
  this process may run on.

A ``workers=`` argument (k-NN estimators, :func:`~divergences.pairwise`) overrides
the setting for one call; :func:`resolve_workers` is the one place it is checked.

Numba keeps its thread count per thread (``numba.set_num_threads`` is
thread-local), so :func:`run_kernel` applies the setting in the calling thread
around each launch (:func:`divergences._kernels.launch`) and puts numba's own
value back afterwards. It runs the serial twin of a kernel instead when one
thread is asked for or the problem is too small to repay waking the pool: then
numba's pool is not used at all.
"""

import contextvars
import numbers
import os

__all__ = ["get_threads", "set_threads", "threads"]  # and, privately, single_threaded_blas

_process_setting = None  # set_threads(); None: the default
_local_setting = contextvars.ContextVar("divergences_threads", default=None)


def available_cores():
    """The number of cores this process may run on (its CPU affinity where the OS says)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _default_threads():
    # NUMBA_NUM_THREADS also sizes numba's pool: a user who set it meant it for us too.
    value = os.environ.get("NUMBA_NUM_THREADS", "").strip()
    if value.isdigit() and int(value) >= 1:
        return int(value)
    return available_cores()


def _check_count(n, name):
    """``n`` as a thread count: a positive integer, or -1 for every core."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(
            f"{name} must be a positive integer (a number of threads) or -1 (all cores), "
            f"got {n!r}."
        )
    if n == -1:
        return available_cores()
    if n < 1:
        raise ValueError(
            f"{name} must be a positive integer (a number of threads) or -1 (all cores), "
            f"got {n!r}."
        )
    return int(n)


def get_threads():
    """The number of worker threads the library's parallel code uses now.

    The innermost active :func:`threads` block of the calling thread, else the
    value given to :func:`set_threads`, else ``NUMBA_NUM_THREADS`` when set,
    else the number of cores this process may run on.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> import divergences as dv
    >>> with dv.threads(1):
    ...     dv.get_threads()
    1
    """
    local = _local_setting.get()
    if local is not None:
        return local
    if _process_setting is not None:
        return _process_setting
    return _default_threads()


def set_threads(n):
    """Set the number of worker threads for the whole process.

    Parameters
    ----------
    n : int or None
        A positive number of threads, ``-1`` for every core this process may run on,
        or ``None`` to go back to the default (``NUMBA_NUM_THREADS`` when set, else
        every core). ``1`` runs everything serially: no thread pool is started.
        When several processes share the cores, give each ``cores // processes``.

    Examples
    --------
    >>> import divergences as dv
    >>> dv.set_threads(1)
    >>> dv.get_threads()
    1
    >>> dv.set_threads(None)  # back to the default
    """
    global _process_setting
    _process_setting = None if n is None else _check_count(n, "n")


class threads:  # noqa: N801 -- a context manager, named as it reads: `with dv.threads(2):`
    """A ``with`` block in which the library's parallel code uses ``n`` threads.

    It applies to the thread that enters it (and to nothing started elsewhere
    meanwhile); blocks nest, and leaving one restores what was set before.

    Parameters
    ----------
    n : int
        A positive number of threads or ``-1`` for every core.

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> x = np.random.default_rng(0).normal(size=(200, 2))
    >>> with dv.threads(1):
    ...     result = dv.sinkhorn_divergence(x, x + 1.0, eps=0.5)
    >>> round(result.value, 6)  # |shift|^2 = 2: S_eps between a cloud and its translate
    2.0
    """

    def __init__(self, n):
        self.n = _check_count(n, "n")  # checked here, so a bad value fails before the block
        self._tokens = []

    def __enter__(self):
        self._tokens.append(_local_setting.set(self.n))
        return self

    def __exit__(self, *exc):
        _local_setting.reset(self._tokens.pop())
        return False

    def __repr__(self):
        return f"threads({self.n})"


def resolve_workers(workers):
    """The thread count of a ``workers=`` argument: ``None`` means :func:`get_threads`.

    The one check of every ``workers=`` option (k-NN estimators, pairwise):
    ``0``, ``2.5`` or ``'a'`` raise an error naming ``workers``; ``-1`` is every
    core, as in scipy.
    """
    if workers is None:
        return get_threads()
    return _check_count(workers, "workers")


def kernel_threads(work, serial_below):
    """Threads for a kernel launch of size ``work``: 1 below ``serial_below``."""
    return 1 if work < serial_below else get_threads()


def run_kernel(parallel, serial, work, serial_below, *args):
    """``parallel(*args)`` on :func:`get_threads` threads, or ``serial(*args)``.

    ``parallel`` and ``serial`` are a ``prange`` kernel and its serial twin (same
    body, no ``parallel=True``); the serial one runs when one thread is asked for
    or when ``work < serial_below``, a size measured per kernel below which
    waking the pool costs more than splitting saves.
    """
    from ._kernels import launch

    return launch(parallel, serial, kernel_threads(work, serial_below), *args)


def single_threaded_blas():
    """A context manager limiting BLAS to one thread (threadpoolctl; a no-op without it).

    The small networks of :mod:`divergences._nn` (the critic solver, the GAN
    module) and the classifier estimators' logistic fits multiply matrices of a few hundred by a few tens of entries,
    thousands of times: a BLAS thread pool buys nothing at that size and, on a
    loaded machine, its spinning threads make each product many times slower.
    threadpoolctl (a dependency; the no-op fallback serves a copy of the
    package whose environment lacks it) limits the pool for a loop; the
    library's own kernels keep following :func:`get_threads`.
    """
    import contextlib

    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            return contextlib.nullcontext()
        # Finding the loaded libraries is most of threadpool_limits' cost (4 ms
        # per call measured in a process that had loaded numba; 4 us with the
        # controller kept), which small solves inside a loop pay every time.
        # numpy's BLAS is loaded with numpy, before any call here.
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


_controller = None
