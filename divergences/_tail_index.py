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
radii. P's tail is called heavier where the gap ``gamma_P - gamma_Q`` exceeds

    threshold = max(TAIL_Z * se, MIN_GAP),  se = sqrt(gamma_P^2 / k_P + gamma_Q^2 / k_Q)

(:func:`gap_threshold`). The two parts guard against two different errors:

* *Sampling noise*, ``TAIL_Z * se``. Given the ``k`` largest radii, Hill's
  estimate is ``gamma`` times a mean of ``k`` standard exponentials (exactly
  for a Pareto tail, asymptotically for any tail in a domain of attraction),
  so its standard deviation is ``gamma / sqrt(k)``, and the two samples are
  independent: ``gap / se`` is a z statistic, and ``TAIL_Z`` its one-sided 1%
  quantile. This part shrinks like ``1 / sqrt(k) = n^(-1/4)`` by itself.
  Measured over seeds on the benign pairs of equal shape (``z`` of the mean
  shift and log-normal pairs, 200-400 seeds, n = 5,000 and 50,000, d = 2):
  sd 0.88-0.96, so the level is at most the nominal 1%.
* *Bias of light tails*, ``MIN_GAP``. A light tail has ``gamma = 0``, but
  Hill's estimate at ``k`` is not 0: for a Weibull-type tail ``P(R > r) ~
  exp(-r^tau)``, ``log R_(i) ~ (1/tau) log log(n/i)``, so the estimate is
  about ``1 / (tau log(n/k))`` -- 0.12 (n = 5,000), 0.09 (n = 50,000) for a
  Gaussian radius (tau = 2); measured 0.098 and 0.079 at d = 2. Two light
  tails of different shapes differ by a gap that decays like ``1 / log(n/k)``,
  far slower than the noise: a threshold scaled like ``1/sqrt(k)`` would call
  them different once n is large (the mixture against N(0, I) gives
  ``|z| > 2.33`` on 31% of seeds at n = 50,000 on a gap of 0.013). A fixed
  gap is the conservative choice, since that bias only shrinks with n; one
  scaled like ``1 / log(n/k)`` (0.05 at n = 5,000) raised the false alarms at
  n = 50,000 (3 of 1,000 draws one way, against 1) and caught nothing more.

Measured (``benchmarks/bench_estimators.py``'s draws; 2026-12-02): on the
five pairs without heavy tails (mean shift, scale change, mixture,
log-normal, banana), 100 seeds a cell at d = 2 and 5, the check fired on 1, 0
and 1 of 1,000 draws at n = 500, 5,000 and 50,000; both ways round (as JS
uses it) on 4, 3 and 2 of 1,000 -- at most 1 of 100 in any cell. On t_3
against N(0, I) (40 seeds a cell) it fired on 55%, 82%, 100%, 100% of seeds at
n = 500 for d = 1, 2, 5, 10 and on all at n = 5,000; on t_5 on 12%, 45%, 72%,
90% at n = 500 and 95-100% at n = 5,000 (README, "When an estimate cannot be
right").

References
----------
Hill, B. M. (1975). A simple general approach to inference about the tail of
a distribution. Annals of Statistics 3(5), 1163-1174.
"""

import math

import numpy as np

__all__ = ["TAIL_Z", "MIN_GAP", "gap_threshold", "hill_index", "standardized_radii",
           "heavier_tail"]

#: The one-sided 99% normal quantile: the gap must exceed this many standard errors
#: (a false-alarm rate of at most 1% where Hill's estimate is normal; measured below).
TAIL_Z = 2.3263478740408408

#: Smallest gap ``gamma_P - gamma_Q`` the check calls heavier: the allowance for two
#: light tails of different shapes (module docstring). Light tails' indices differ by
#: 0.013-0.027 (N(0, I) against the mixture, n = 5,000-50,000); t_5 against N(0, I)
#: has a gap of 0.11-0.16, t_3 of 0.26-0.28.
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


def gap_threshold(gamma_p, gamma_q, k_p, k_q):
    """The gap ``gamma_P - gamma_Q`` above which P's tail is called heavier.

    ``max(TAIL_Z * se, MIN_GAP)`` with ``se`` Hill's standard error of the gap,
    ``sqrt(gamma_P^2 / k_P + gamma_Q^2 / k_Q)`` (see the module docstring for
    both parts).

    Examples
    --------
    >>> round(gap_threshold(0.3, 0.3, 224, 224), 3)     # log-normal tails, n = 50,000
    0.066
    >>> gap_threshold(0.08, 0.08, 224, 224) == MIN_GAP  # Gaussian tails: noise 0.018
    True
    """
    se = math.sqrt(gamma_p**2 / k_p + gamma_q**2 / k_q)
    return max(TAIL_Z * se, MIN_GAP)


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
        ``{"index": (gamma_P, gamma_Q), "tail_points": (k_P, k_Q), "z", "threshold",
        "fired"}``: ``z`` the gap in standard errors, ``threshold`` the gap
        above which it fires (:func:`gap_threshold`);
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
    gap = gamma_p - gamma_q
    scale = math.sqrt(gamma_p**2 / k_p + gamma_q**2 / k_q)
    threshold = gap_threshold(gamma_p, gamma_q, k_p, k_q)
    return {"index": (gamma_p, gamma_q), "tail_points": (k_p, k_q),
            "z": float(gap / scale) if scale > 0 else 0.0, "threshold": float(threshold),
            "fired": bool(gap > threshold)}
