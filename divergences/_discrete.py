"""Discrete measures as aligned probability vectors.

KL and JS between discrete measures are sums over atoms, so both measures
must be written on one common list of atoms first. Histograms without
support points are aligned bin by bin; histograms with support points are
aligned on the union of their atoms, repeated atoms merged.
"""

import numpy as np

from .exceptions import InvalidMeasureError

__all__ = ["aligned_probabilities", "is_alignable"]


def is_alignable(p, q):
    """True when both are histograms (whether their bins match is checked on use)."""
    return p.kind == "histogram" and q.kind == "histogram"


def aligned_probabilities(p, q):
    """Return the probability vectors of histograms ``p`` and ``q`` on common atoms.

    Returns
    -------
    p_probs, q_probs : ndarray
        Vectors of equal length, entry ``i`` being the mass each measure puts
        on atom ``i``.
    """
    if p.support is None and q.support is None:
        if p.size != q.size:
            raise InvalidMeasureError(
                f"p and q have different numbers of bins ({p.size} and {q.size}) and no "
                "support points to align them by; give both the same bins, or support= for both."
            )
        return p.probabilities, q.probabilities
    if p.support is None or q.support is None:
        raise InvalidMeasureError(
            "one histogram has support points and the other has none; give support= to both "
            "(to compare by location) or to neither (to compare bin by bin)."
        )
    atoms, index = np.unique(np.vstack([p.support, q.support]), axis=0, return_inverse=True)
    index = index.reshape(-1)
    p_probs = np.bincount(index[: p.size], weights=p.probabilities, minlength=atoms.shape[0])
    q_probs = np.bincount(index[p.size :], weights=q.probabilities, minlength=atoms.shape[0])
    return p_probs, q_probs
