"""Tolerances of the theory tests, each derived from the error of the computation.

Notation: ``EPS`` is the float64 machine epsilon, ``u = EPS / 2`` the unit
roundoff. A sum of ``n`` terms computed left to right is within
``(n - 1) u sum |t_i|`` of the exact sum (Higham, *Accuracy and Stability of
Numerical Algorithms*, 2nd ed., eq. 4.4); each term computed with a few
correctly rounded operations (a product, a quotient, a logarithm) adds a few
``u`` relative to the quantities it combines. The helpers below turn that
into bounds with margin ``2x`` on the constants -- never tuned to a failure.
"""

import math

import numpy as np

from divergences._discrete import aligned_probabilities

EPS = float(np.finfo(np.float64).eps)
LOG2 = math.log(2.0)

# exact.py certifies a solution when the duality gap and the largest dual
# violation are each <= 1e-9 * max C; together they bound the distance from the
# returned cost to the LP optimum: primal - OPT <= gap + violation.
LP_CERTIFICATE = 2e-9


def aligned(p, q):
    """The two histograms' probabilities on their common atoms (float64 arrays)."""
    a, b = aligned_probabilities(p, q)
    return np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)


def total_variation(a, b):
    """TV = 1/2 ||a - b||_1, in [0, 1]; off by at most ``tv_tol(len(a))``."""
    return 0.5 * float(np.sum(np.abs(a - b)))


def tv_tol(n):
    # n rounded subtractions and an n-term sum of numbers adding up to <= 2.
    return 2 * (n + 2) * EPS


def kl_tol(a, b):
    """Rounding bound for sum a_i (log a_i - log b_i) over a_i > 0.

    Each log is good to ``u |log x|``, the product and the subtraction add
    ``2u`` of the term, and the sum ``n u`` of the total magnitude.
    """
    mask = a > 0
    if np.any(b[mask] == 0):
        return 0.0
    ai, bi = a[mask], b[mask]
    magnitude = float(np.sum(ai * (np.abs(np.log(ai)) + np.abs(np.log(bi)) + 1.0)))
    return 2 * (len(a) + 4) * EPS * magnitude


def js_tol(a, b):
    """Rounding bound for the two half-sums of JS: terms ``a log(a / m)`` with ``m = (a+b)/2``.

    ``m`` and ``a / m`` carry two roundings, which the logarithm turns into an
    absolute error of ``2u``; the log itself adds ``u |log(a/m)|``.
    """
    mixture = 0.5 * (a + b)
    magnitude = 0.0
    for probs in (a, b):
        mask = probs > 0
        ratio = probs[mask] / mixture[mask]
        magnitude += float(np.sum(probs[mask] * (np.abs(np.log(ratio)) + 3.0)))
    return 2 * (len(a) + 4) * EPS * magnitude


def root_tol(cost, cost_tol, order):
    """Bound on |(c + d)^(1/p) - c^(1/p)| for |d| <= cost_tol, c the computed cost.

    Two valid bounds, the smaller is used: subadditivity of t -> t^(1/p)
    gives ``d^(1/p)``; the mean-value theorem at the smallest admissible cost
    ``c - d`` gives ``d / (p (c - d)^(1 - 1/p))``.
    """
    if cost_tol <= 0:
        return 0.0
    if order == 1.0:
        return cost_tol
    bound = cost_tol ** (1.0 / order)
    low = cost - cost_tol
    if low > 0:
        bound = min(bound, cost_tol / (order * low ** (1.0 - 1.0 / order)))
    return bound


def max_cost(x, y, order):
    """``max_ij ||x_i - y_j||^order``: the scale of the exact solver's certificate."""
    diff = x[:, None, :] - y[None, :, :]
    return float(np.sqrt(np.sum(diff * diff, axis=-1)).max() ** order)


def lp_cost_tol(x, y, order):
    """How far the exact solver's cost may be from the true W_p^p between the point sets.

    The certificate (``LP_CERTIFICATE * max C``) plus the rounding of the cost
    matrix itself: a distance is good to ``(d + 2) u`` relative and its p-th
    power to ``p`` times that, and a perturbation of C by at most ``delta``
    entrywise moves the LP optimum by at most ``delta``.
    """
    scale = max_cost(x, y, order)
    d = x.shape[1]
    return LP_CERTIFICATE * scale + (order + 1) * (d + 2) * EPS * scale


def cloud(measure):
    """Points and weights of a discrete measure with locations."""
    if measure.kind == "samples":
        return np.asarray(measure.points), np.asarray(measure.weights)
    return np.asarray(measure.support), np.asarray(measure.probabilities)
