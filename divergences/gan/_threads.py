"""Keep BLAS single-threaded around loops of small matrix products.

The networks here multiply matrices of a few hundred by a few tens of
entries, thousands of times: a BLAS thread pool buys nothing at that size
and, on a loaded machine, its spinning threads make each product many times
slower. threadpoolctl (optional) limits the pool for the duration of a loop.
"""

import contextlib

__all__ = ["single_threaded_blas"]


def single_threaded_blas():
    """A context manager limiting BLAS to one thread (a no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
