"""Helpers shared by the transport solvers."""

import numpy as np

__all__ = ["point_cloud", "is_point_cloud", "is_uniform", "dense_memory_limit", "check_dense_fits"]


def is_point_cloud(measure):
    """True for measures made of weighted atoms with locations."""
    return measure.kind == "samples" or (measure.kind == "histogram" and measure.support is not None)


def point_cloud(measure):
    """The atoms and weights of a discrete measure: ``(points (n, d), weights (n,))``."""
    if measure.kind == "samples":
        return measure.points, measure.weights
    return measure.support, measure.probabilities


def is_uniform(measure):
    """True when every atom carries the same mass (no weights given)."""
    return measure.kind == "samples" and measure.is_uniform



def dense_memory_limit():
    """Bytes a dense method may use: half of this machine's physical memory."""
    import os

    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def check_dense_fits(n, m, matrices, method, alternative, max_memory=None):
    """Refuse a dense method whose ``matrices`` n-by-m float64 arrays would not fit."""
    from ..exceptions import DenseMemoryError

    limit = dense_memory_limit() if max_memory is None else max_memory
    needed = 8 * n * m * matrices
    if needed > limit:
        raise DenseMemoryError(
            f"method={method!r} needs {matrices} dense {n}x{m} matrices ({needed / 2**30:.1f} GiB), "
            f"more than the {limit / 2**30:.1f} GiB allowed; use method={alternative!r}, "
            "which computes costs on the fly in O(n + m) memory."
        )
