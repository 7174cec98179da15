"""Log-sum-exp along one grid axis, exact for any eps (the separable Sinkhorn's small-eps pass).

``out[r, j] = log sum_l exp(h[r, l] + log_kernel[j, l])``, the largest term
factored out of each sum, so nothing underflows however small eps is (the
BLAS pass of :mod:`divergences.ot.grid` exponentiates the kernel and would).

With ``monotone=True`` (``log_kernel[j, l] = -C(|j - l|) / eps`` decreasing
away from the diagonal) each sum covers only a window around ``j``, with a
proof: every term is at most ``max_l h[r, l] + log_kernel[j, l]``, so once
that bound falls 50 below the largest term found so far, every term further
out is below ``e^-50`` of it (the kernel only decreases): even ``10^6`` of
them change the sum by ``2e-16`` of itself. At small eps the windows are a
few cells wide, so a pass costs O(rows x n x window) instead of O(rows x n^2).

``-inf`` entries (cells without mass, pairs never reached) are allowed, so no
``fastmath``. The exponentials are :func:`~divergences._kernels.fast_exp.exp_nonpositive`
(every argument is at most 0 once the largest term is factored out): plain
arithmetic that LLVM vectorises, where libm's ``exp`` would be one call per term.
"""

import math

import numpy as np
from numba import njit, prange

from .fast_exp import exp_nonpositive

__all__ = ["axis_logsumexp", "axis_logsumexp_serial"]

_NEGLIGIBLE = 50.0


# Below this many kernel entries per pass (rows x n x n) the serial twin runs: the
# rule of the other row kernels, whose thread start-up costs tens of microseconds.
SERIAL_BELOW = 1 << 16


@njit(cache=True, nogil=True, parallel=True)
def axis_logsumexp(h, log_kernel, out, monotone):
    """``out[r, j] = log sum_l exp(h[r, l] + log_kernel[j, l])`` for every row, rows in parallel."""
    for r in prange(h.shape[0]):
        _row_logsumexp(h, log_kernel, out, monotone, r)
    return out


@njit(cache=True, nogil=True)
def axis_logsumexp_serial(h, log_kernel, out, monotone):
    """:func:`axis_logsumexp` on the calling thread (small passes, ``dv.threads(1)``)."""
    for r in range(h.shape[0]):
        _row_logsumexp(h, log_kernel, out, monotone, r)
    return out


@njit(cache=True, nogil=True)
def _row_logsumexp(h, log_kernel, out, monotone, r):
    n = h.shape[1]
    peak = -np.inf
    for l in range(n):
        peak = max(peak, h[r, l])
    for j in range(n):
        lo, hi = 0, n
        if monotone:
            top = h[r, j] + log_kernel[j, j]
            lo = j
            while lo > 0:
                if peak + log_kernel[j, lo - 1] < top - _NEGLIGIBLE:
                    break
                lo -= 1
                top = max(top, h[r, lo] + log_kernel[j, lo])
            hi = j + 1
            while hi < n:
                if peak + log_kernel[j, hi] < top - _NEGLIGIBLE:
                    break
                top = max(top, h[r, hi] + log_kernel[j, hi])
                hi += 1
        else:
            top = -np.inf
            for l in range(n):
                top = max(top, h[r, l] + log_kernel[j, l])
        if top == -np.inf:
            out[r, j] = -np.inf
            continue
        s = 0.0
        for l in range(lo, hi):
            s += exp_nonpositive(h[r, l] + log_kernel[j, l] - top)
        out[r, j] = top + math.log(s)
