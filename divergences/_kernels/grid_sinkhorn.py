"""Log-sum-exp along one grid axis, exact for any eps (the separable Sinkhorn's fallback).

``out[r, j] = log sum_l exp(h[r, l] + log_kernel[j, l])``, the largest term
factored out of each sum, so nothing underflows however small eps is (the
BLAS pass of :mod:`divergences.ot.grid` exponentiates the kernel and would).
``-inf`` entries (cells without mass, pairs never reached) are allowed, so no
``fastmath``.
"""

import math

import numpy as np
from numba import njit, prange

__all__ = ["axis_logsumexp"]


@njit(cache=True, nogil=True, parallel=True)
def axis_logsumexp(h, log_kernel, out):
    rows, n = h.shape
    for r in prange(rows):
        for j in range(n):
            top = -np.inf
            for l in range(n):
                t = h[r, l] + log_kernel[j, l]
                if t > top:
                    top = t
            if top == -np.inf:
                out[r, j] = -np.inf
                continue
            s = 0.0
            for l in range(n):
                s += math.exp(h[r, l] + log_kernel[j, l] - top)
            out[r, j] = top + math.log(s)
    return out
