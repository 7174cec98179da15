"""Shape corrections for k-NN divergence estimators: marginal Gaussianization and ball masses.

A k-NN estimator reads a density off the radius ``r`` of the ball that holds
``k`` neighbours. The probability mass ``U`` of that ball has an exactly known
law (for a continuous density, the ``k``-th of ``n`` uniform order statistics:
``E log U = psi(k) - psi(n + 1)``, or ``psi(n)`` when the centre is one of the
``n`` points), so the only approximation is the step from the ball's mass to
the density at its centre,

    U = p(x) V_d r^d C(x, r),    C(x, r) = mean of p over the ball / p(x).

Taking ``C = 1`` (a density flat across the ball) is what makes the classical
estimators biased: in dimension 5 and beyond, a ball holding 3 neighbours out
of thousands spans a good part of the distribution. This module estimates
``log C`` under a Gaussian shape fitted to the sample, and makes that shape a
good description by first mapping both samples, coordinate by coordinate,
so that the pooled sample's marginals look normal: KL and JS are unchanged by
one bijection applied to both laws, while skewed, heavy-tailed or bounded
marginals become close to Gaussian and the Gaussian shape then fits. This is
the local non-uniformity correction of Gao, Ver Steeg and Galstyan (2015) with a global
Gaussian shape; measured in ``benchmarks/bench_estimators.py``.

References
----------
Gao, W., Oh, S., Viswanath, P. (2017). Density functional estimators with
k-nearest neighbor bandwidths. IEEE ISIT.

Gao, S., Ver Steeg, G., Galstyan, A. (2015). Efficient estimation of mutual
information for strongly dependent variables. AISTATS (the local
non-uniformity correction).
"""

import functools
import math

import numpy as np

__all__ = ["marginal_gaussianization", "log_ball_mass_ratios", "ball_nodes", "shape_spread",
           "SPREAD_LIMIT"]

#: The largest :func:`shape_spread` at which the correction is applied. On the
#: calibration grid of :mod:`divergences.testing` (d = 1..10, n = 500 and 5,000), where
#: the quadrature of :func:`ball_nodes` was validated, the spread is at most 2.8
#: (the mixture at d = 10, n = 500); on real data whose coordinates are nearly
#: collinear it reaches 20 (wine, 13-D, 89 points a half), 350-630 (a digit class,
#: 64-D, 90 points) and 2 10^4 (breast_cancer, 30-D, 284 points), where the
#: nodes' average of ``exp`` over a range of that many nats is dominated by one node
#: and the "corrected" estimates were +-300.
SPREAD_LIMIT = 5.0


def ball_nodes(d):
    """Quadrature nodes per ball in dimension ``d`` (each also used mirrored).

    Chosen by measurement against 2^14 nodes on the k-NN balls (k = 3) of the
    mixture and banana pairs of :mod:`divergences.testing` at n = 500 and 5,000:
    the mean error of ``log C`` over the points, which is what an estimate
    adds up, stays below 3e-4 in d <= 2 with 64 nodes, 3.3e-3 in d <= 5 with
    256 and 3.4e-3 in d = 10 with 1,024 (the typical ``|log C|`` there: 0.02,
    0.2 and 0.5).
    """
    return 64 if d <= 2 else 256 if d <= 5 else 1024


def marginal_gaussianization(x, y, *, log_jacobian=False):
    """Map ``x`` and ``y``, one coordinate at a time, so that the pooled sample looks normal.

    Per coordinate, the map sends the pooled sample's quantile at level ``t``
    to ``Phi^-1(t)`` at ``K = clip(sqrt(N), 16, 256)`` levels (``N = n + m``)
    whose normal scores are evenly spaced out to the levels ``5 / N`` and
    ``1 - 5 / N`` (so that about five points lie beyond each end and the tails
    are normalised too), is a monotone cubic (PCHIP) interpolation between them
    and continues linearly beyond the outermost ones (with the secant slope
    across the outer tenth of the knots, lowered where needed so that the
    extreme points end at most at the normal scores ``Phi^-1(1/(2N))`` and
    ``Phi^-1(1 - 1/(2N))`` of their ranks). It is one increasing, C^1
    function per coordinate applied to both samples, so the divergences between
    the laws it produces are those between the laws of ``x`` and ``y``; and,
    unlike a map through the ranks, it keeps the random spacings between
    points that the k-NN estimators' laws assume (ranks would put the pooled
    sample on a fixed grid: in 1-D that biases KL by -0.1 at n = 5,000).
    A coordinate with fewer than two distinct quantiles is left as it is.

    With ``log_jacobian=True`` it also returns, for every point of ``x`` and
    ``y`` (pooled, in that order), the log of the map's Jacobian determinant
    there, ``sum_j log T_j'(x_j)``: what a density needs to follow the map
    (``log p(x) = log p_T(T(x)) + log|J_T(x)|``), as an entropy or a
    log-density estimated on the mapped points does.

    Returns
    -------
    x_mapped, y_mapped : ndarray, shapes of ``x`` and ``y``
    log_jac : ndarray, shape (n + m,), only with ``log_jacobian=True``
    """
    from scipy.interpolate import PchipInterpolator
    from scipy.special import ndtr, ndtri

    pooled = np.concatenate([x, y])
    size, d = pooled.shape
    count = int(min(max(math.sqrt(size), 16), 256))
    # (At most the quartiles: a sample of a few points has no tails to reach.)
    reach = ndtri(min(max(5.0 / size, 0.5 / count), 0.25))
    levels = ndtr(np.linspace(reach, -reach, count))
    extreme = ndtri(0.5 / size)  # the normal score of the smallest of ``size`` points
    mapped = np.array(pooled, dtype=np.float64)
    log_jac = np.zeros(size)
    for j in range(d):
        column = pooled[:, j]
        knots, first = np.unique(np.quantile(column, levels), return_index=True)
        if knots.shape[0] < 2:
            continue
        targets = ndtri(levels[first])
        interpolant = PchipInterpolator(knots, targets, extrapolate=False)
        inside = interpolant(column)
        low, high = column < knots[0], column > knots[-1]
        # The outermost knots are quantiles of a few points each: extrapolate with the
        # secant across the outer tenth of the knots, not with the noisy last segment,
        # but never so steeply that the extreme point passes the normal score of its
        # rank (a clustered sample with one outlier would send it off to 1e5).
        span = max(knots.shape[0] // 10, 1)
        slope_low = (targets[span] - targets[0]) / (knots[span] - knots[0])
        slope_high = (targets[-1] - targets[-1 - span]) / (knots[-1] - knots[-1 - span])
        if low.any():
            reach_low = (targets[0] - extreme) / (knots[0] - column.min())
            slope_low = min(slope_low, reach_low)
        if high.any():
            reach_high = (-extreme - targets[-1]) / (column.max() - knots[-1])
            slope_high = min(slope_high, reach_high)
        inside[low] = targets[0] + slope_low * (column[low] - knots[0])
        inside[high] = targets[-1] + slope_high * (column[high] - knots[-1])
        mapped[:, j] = inside
        if log_jacobian:
            slope = interpolant.derivative()(column)
            slope[low], slope[high] = slope_low, slope_high
            log_jac += np.log(slope)
    if log_jacobian:
        return mapped[: x.shape[0]], mapped[x.shape[0]:], log_jac
    return mapped[: x.shape[0]], mapped[x.shape[0]:]


@functools.lru_cache(maxsize=16)
def _unit_ball_nodes(d, count):
    """``count`` low-discrepancy points uniform in the unit ball of R^d, and their mirrors.

    The same for every call (fixed seed), so made once per ``(d, count)``: an
    estimate asks for them twice (P's balls and Q's). Read-only.
    """
    from scipy.special import ndtri
    from scipy.stats import qmc

    cube = qmc.Sobol(d + 1, scramble=True, seed=20261201).random(count)
    directions = ndtri(cube[:, :d])
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    nodes = directions * (cube[:, d] ** (1.0 / d))[:, None]
    nodes = np.concatenate([nodes, -nodes])
    nodes.setflags(write=False)
    return nodes


def _gaussian_fit(sample):
    """Mean and precision matrix of the Gaussian fitted to ``sample``.

    The inverse of the sample covariance overestimates the precision by the
    factor ``(n - 1) / (n - d - 2)`` (the mean of an inverse Wishart matrix);
    it is removed so that small samples in high dimension are not over-corrected.
    ``None`` for ``n <= d + 2`` points, too few for that mean to exist.
    """
    n, d = sample.shape
    if n <= d + 2:
        return None  # too few points to fit a shape: no correction (the fixed estimator)
    mean = sample.mean(axis=0)
    cov = np.atleast_2d(np.cov(sample, rowvar=False))
    precision = np.linalg.pinv(cov, hermitian=True)  # a flat direction gets no correction
    return mean, precision * ((n - d - 2) / (n - 1))


def shape_spread(radii, sample):
    """How far the fitted shape's anisotropy varies across the balls: the correction's domain.

    ``median(r^2) (lambda_max - lambda_min) / 2`` with ``lambda`` the
    eigenvalues of the fitted precision (:func:`_gaussian_fit`): the range, in
    nats, over a typical ball of the anisotropic part of the log-density that
    :func:`log_ball_mass_ratios` averages on its nodes. Small where the balls are
    small next to the fitted shape in every direction; large where a ball
    spans many standard deviations of a thin direction, and then neither the
    Gaussian shape (fitted on few points in many dimensions) nor the nodes'
    average can be trusted (:data:`SPREAD_LIMIT`). 0 where no shape is fitted.
    """
    fit = _gaussian_fit(sample)
    if fit is None or radii.shape[0] == 0:
        return 0.0
    eigenvalues = np.linalg.eigvalsh(fit[1])
    return float(np.median(radii * radii) * (eigenvalues[-1] - eigenvalues[0]) / 2.0)


#: The radial rules of :func:`_log_isotropic_ball_means`: Gauss--Legendre on L nodes
#: integrates a polynomial times exp(a s) with error about a^(2L) / (2L)!, below 1e-13
#: for a <= 5 (L = 16), 12 (L = 32) and 50 (L = 64); beyond 50, 64 nodes still.
_RADIAL_RULES = ((16, 5.0), (32, 12.0), (64, math.inf))


@functools.lru_cache(maxsize=1)
def _radial_rules():
    """``(rules, lengths, limits)`` of :data:`_RADIAL_RULES` for the kernel, on [0, 1]."""
    longest = max(count for count, _ in _RADIAL_RULES)
    rules = np.ones((len(_RADIAL_RULES), 2, longest))
    for r, (count, _) in enumerate(_RADIAL_RULES):
        s, w = np.polynomial.legendre.leggauss(count)
        rules[r, 0, :count], rules[r, 1, :count] = 0.5 * (s + 1.0), 0.5 * w
    lengths = np.array([count for count, _ in _RADIAL_RULES], dtype=np.int64)
    limits = np.array([upper for _, upper in _RADIAL_RULES[:-1]])
    for a in (rules, lengths, limits):
        a.setflags(write=False)
    return rules, lengths, limits


def _log_isotropic_ball_means(d, slope, curvature):
    """Exact ``log E exp(-slope u_1 - curvature |u|^2)`` for ``u`` uniform in the unit ball of R^d.

    Over the sphere of radius ``s`` the mean of ``exp(-t u_1)`` is
    ``Gamma(d/2) (2 / (t s))^(d/2 - 1) I_(d/2 - 1)(t s)`` (``cosh(t s)`` in 1-D),
    a ``0F1`` series summed in a Numba kernel
    (:func:`divergences._kernels.ball_means.isotropic_log_means`); the radial
    integral ``d int_0^1 s^(d-1) ... ds`` is done by Gauss--Legendre on 16 to 64
    nodes, for each point as many as make it exact to rounding for its
    ``slope`` (:data:`_RADIAL_RULES`; most points need the fewest).
    """
    from ._kernels.ball_means import SERIAL_BELOW, isotropic_log_means, isotropic_log_means_serial
    from ._threads import run_kernel

    slope = np.ascontiguousarray(slope, dtype=np.float64)
    curvature = np.ascontiguousarray(curvature, dtype=np.float64)
    # About 20 series terms on each of 16 nodes per point: work ~ 16 x 20 per point.
    return run_kernel(isotropic_log_means, isotropic_log_means_serial, 320 * slope.shape[0],
                      SERIAL_BELOW, int(d), slope, curvature, *_radial_rules())


def log_ball_mass_ratios(points, radii, sample, *, nodes=None):
    """``log C(x, r)`` for each point and radius, under the Gaussian fitted to ``sample``.

    ``C(x, r)`` is the mean over the ball of radius ``r`` centred at ``x`` of
    the fitted density, divided by its value at ``x``. With the fit's mean
    ``mu`` and precision ``A``, ``log p(x + r u) - log p(x) = -r u.g - r^2
    u.Au / 2`` with ``g = A(x - mu)``, to be averaged (as ``exp``) over ``u``
    uniform in the unit ball. The average is computed on quasi-random nodes
    with a control variate: the same nodes applied to the isotropic
    ``-r u.g - alpha r^2 |u|^2 / 2`` (``alpha`` the mean eigenvalue of ``A``),
    whose exact mean is a one-dimensional integral
    (:func:`_log_isotropic_ball_means`). The nodes' error in the dominant
    term, ``r u.g``, cancels; what remains is the error on the anisotropic
    part of ``A`` alone, which the marginal Gaussianization keeps small. Exact when ``A``
    is a multiple of the identity. Cost ``O(n nodes d)`` in a Numba kernel
    (:mod:`divergences._kernels.ball_means`, centres in parallel), memory
    ``O(n + nodes)``.

    Parameters
    ----------
    points : ndarray, shape (n, d)
        The balls' centres.
    radii : ndarray, shape (n,)
        Their radii (positive).
    sample : ndarray, shape (s, d)
        The sample whose fitted Gaussian gives the shape.
    nodes : int, optional
        Quadrature nodes per ball (doubled by mirroring); default
        :func:`ball_nodes` of the dimension.

    Returns
    -------
    ndarray, shape (n,)
        ``log C``; 0 for a flat density, positive where the ball reaches
        denser regions than its centre.
    """
    from ._kernels.ball_means import SERIAL_BELOW, ball_log_means, ball_log_means_serial
    from ._threads import run_kernel

    n, d = points.shape
    nodes = ball_nodes(d) if nodes is None else nodes
    fit = _gaussian_fit(sample)
    if fit is None:
        return np.zeros(n)
    mean, precision = fit
    alpha = float(np.trace(precision)) / d
    # One node of each mirrored pair (the kernel adds the mirror), dimension-major.
    unit = _unit_ball_nodes(d, nodes)[:nodes]
    anisotropic = 0.5 * np.einsum("jd,de,je->j", unit, precision, unit)  # u.Au / 2
    isotropic = 0.5 * alpha * np.einsum("jd,jd->j", unit, unit)         # alpha |u|^2 / 2
    gradients = np.ascontiguousarray((points - mean) @ precision)      # g = A(x - mu)
    radii = np.ascontiguousarray(radii, dtype=np.float64)
    on_nodes, control_on_nodes = run_kernel(
        ball_log_means, ball_log_means_serial, 2 * n * nodes, SERIAL_BELOW,
        gradients, radii, np.ascontiguousarray(unit.T), anisotropic, isotropic)
    control_exact = _log_isotropic_ball_means(
        d, radii * np.linalg.norm(gradients, axis=1), 0.5 * alpha * radii * radii)
    return on_nodes - control_on_nodes + control_exact
