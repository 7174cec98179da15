"""Is P's tail heavier than Q's? A check for k-NN estimates that cannot see P's tail.

A k-NN estimate of KL(P||Q) reads ``log q`` at each point of P off the
distance to its k-th neighbour in Q's sample. Where P's tail is heavier than
Q's (a Student t against a Gaussian), a share of P's sample lies beyond the
reach of Q's: there ``log p/q`` keeps growing (for t_3 against N(0, I) like
``|x|^2/2``), while the distance to Q's sample grows only like ``|x|``. The
estimate then misses most of the divergence (0.5 against a truth of 3.52 at
d = 5) and grows like ``log n`` too slowly for its own trend to tell
(:func:`divergences.knn_estimators.subsample_trend`).

The check compares the tail indices of the two samples' radii. Each sample is
centred at its own coordinate-wise median and divided by its own
per-coordinate median absolute deviation -- so that a shift or a change of
scale, which leave the shape of the tail alone, change nothing -- and the
Hill (1975) estimate of the extreme-value index ``gamma`` (1/nu for t_nu; it
tends to 0 for Gaussian tails) is taken over the ``ceil(sqrt(n))`` largest
radii. With ``gamma``'s asymptotic standard error ``gamma / sqrt(k)``, the
one-sided z statistic

    z = (gamma_P - gamma_Q) / sqrt(gamma_P^2 / k_P + gamma_Q^2 / k_Q)

above :data:`TAIL_Z` (the 99% normal quantile), with a gap ``gamma_P - gamma_Q``
of at least :data:`MIN_GAP` (light tails' indices all tend to 0, so a test of
their difference alone would flag any two light tails of different shapes once n
is large enough), says that P's tail is heavier.
The radius (one test, not one per coordinate) is used because it is the most
powerful of the forms measured: a heavy tail in any direction dominates it.

Measured on the calibration pairs of :mod:`divergences.testing`
(``benchmarks/bench_estimators.py``'s draws, 20 seeds a cell, d in {1, 2, 5,
10}, n = m in {500, 5,000}): on the pairs without heavy tails (mean shift,
scale change, mixture, log-normal, banana) it fired on 1 of 760 draws (banana,
d = 5, n = 500), none of the 380 at n = 5,000; both ways round (as JS uses it) on
4 of 760, 2 of 380 at n = 5,000 (at most 1 of 20 a cell), and on 1 of 90 at
n = 50,000 (d = 1, 2; 5 seeds). On t_3 against N(0, I) it fired on 65-100% of
seeds at n = 500 and on all at n = 5,000; on t_5 on 20-85% at n = 500 and
90-100% at n = 5,000 (README, "When an estimate cannot be right").

References
----------
Hill, B. M. (1975). A simple general approach to inference about the tail of
a distribution. Annals of Statistics 3(5), 1163-1174.
"""

import math

import numpy as np

__all__ = ["TAIL_Z", "MIN_GAP", "hill_index", "standardized_radii", "heavier_tail"]

#: ``z`` above which P's tail is called heavier than Q's: the one-sided 99% normal
#: quantile (a false-alarm rate of 1% where the asymptotic normal law of the Hill
#: estimate holds; measured: 1 of 760 draws on the calibration grid).
TAIL_Z = 2.3263478740408408

#: Smallest gap ``gamma_P - gamma_Q`` the check calls heavier. Hill's index of a
#: light tail tends to 0 (slowly: about 0.07-0.1 for a Gaussian's radius at n = 5,000),
#: so two light tails of different shapes differ by a vanishing gap whose z grows with
#: sqrt(k): N(0, 1) against the mixture's 1-D law gave z = 4-5 at n = 50,000 with a gap
#: of 0.027 (0.02 at n = 5,000). t_5 against N(0, I) has a gap of 0.11-0.14.
MIN_GAP = 0.05

#: Fewest tail points the check uses: below, the Hill estimate's normal law is too rough.
MIN_TAIL = 10


def tail_size(n):
    """The number of largest radii the Hill estimate uses: ``ceil(sqrt(n))``."""
    return int(math.ceil(math.sqrt(n)))


def standardized_radii(points):
    """Distances to the coordinate-wise median, each coordinate divided by its own spread.

    The spread is the median absolute deviation, or the mean absolute
    deviation where more than half the values sit at the median (rounded
    data); ``None`` if some coordinate has neither (a constant).
    """
    centre = np.median(points, axis=0)
    deviation = np.abs(points - centre)
    spread = np.median(deviation, axis=0)
    flat = spread <= 0
    if flat.any():
        spread[flat] = np.mean(deviation[:, flat], axis=0)
    if not (spread > 0).all():
        return None
    return np.sqrt(np.sum((deviation / spread) ** 2, axis=1))


def hill_index(values, k):
    """Hill's estimate of the extreme-value index from the ``k`` largest of ``values``.

    ``mean(log X_(i), i <= k) - log X_(k+1)`` over the order statistics
    ``X_(1) >= X_(2) >= ...``; ``None`` where ``X_(k+1)`` is not positive.

    Examples
    --------
    >>> import numpy as np
    >>> pareto = np.random.default_rng(0).pareto(2.0, 100000) + 1.0   # index 1/2
    >>> round(hill_index(pareto, 1000), 2)            # standard error 0.5 / sqrt(1000)
    0.52
    """
    top = -np.partition(-np.asarray(values, dtype=np.float64), k)[:k + 1]
    top.sort()
    threshold = top[0]  # the (k+1)-th largest
    if not threshold > 0:
        return None
    return float(np.mean(np.log(top[1:])) - math.log(threshold))


def heavier_tail(x, y):
    """Compare the tail of ``x``'s law with ``y``'s: is P's heavier?

    Returns
    -------
    dict or None
        ``{"index": (gamma_P, gamma_Q), "tail_points": (k_P, k_Q), "z", "fired"}``;
        ``None`` where a sample is too small (fewer than :data:`MIN_TAIL`
        tail points) or has no spread to standardize by.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> heavier_tail(rng.standard_t(3, (5000, 2)), rng.normal(size=(5000, 2)))["fired"]
    True
    >>> heavier_tail(rng.normal(size=(5000, 2)), rng.normal(1.0, 2.0, (5000, 2)))["fired"]
    False
    """
    k_p, k_q = tail_size(x.shape[0]), tail_size(y.shape[0])
    if min(k_p, k_q) < MIN_TAIL or k_p >= x.shape[0] or k_q >= y.shape[0]:
        return None
    radii_p, radii_q = standardized_radii(x), standardized_radii(y)
    if radii_p is None or radii_q is None:
        return None
    gamma_p, gamma_q = hill_index(radii_p, k_p), hill_index(radii_q, k_q)
    if gamma_p is None or gamma_q is None:
        return None
    scale = math.sqrt(gamma_p**2 / k_p + gamma_q**2 / k_q)
    z = (gamma_p - gamma_q) / scale if scale > 0 else 0.0
    return {"index": (gamma_p, gamma_q), "tail_points": (k_p, k_q), "z": float(z),
            "fired": bool(z > TAIL_Z and gamma_p - gamma_q > MIN_GAP)}
