"""k-nearest-neighbour estimators of KL and Jensen--Shannon from samples.

Ties -- exact duplicates, within a sample or across the two -- are handled
by the rules of :mod:`divergences._ties`, chosen from the data and recorded
in ``details["ties"]``: lattice-valued data with few distinct points get the
plug-in estimate of the discrete law, rounded data are dithered within
their resolution (seeded by ``rng``), and continuous values that both
samples hold are atoms (:func:`kl_knn_with_atoms`, :func:`js_knn_with_atoms`;
a set against itself gives 0), other duplicates keeping the rule of
:mod:`divergences.neighbors` (neighbours at distance zero are skipped).
Data without duplicates go through none of this.

Standard errors are ``std(terms) / sqrt(n)`` over the per-point terms of each
estimate. They treat the terms as independent, which they are not quite (the
points share neighbours), and they say nothing about the bias of the
estimator, which at moderate n and d is often larger than the standard error;
read them as the scale of the sampling noise, not as a confidence interval.
"""

import math
import warnings

import numpy as np

from . import _ties
from ._bias_bounds import (
    DENSITY_SAMPLES_BIAS_BOUNDS,
    JS_BIAS_BOUNDS,
    JS_DENSITY_BIAS_BOUNDS,
    KL_BIAS_BOUNDS,
    SAMPLES_DENSITY_BIAS_BOUNDS,
    bias_bound,
)
from ._constants import LOG2
from .exceptions import EstimatorWarning, InvalidMeasureError
from .measures import unweighted_points
from .neighbors import (
    build_tree,
    kth_neighbor_distance,
    neighbor_columns,
    neighbors_within,
    safe_scale,
    unit_ball_log_volume,
)
from ._knn_shape import SPREAD_LIMIT, log_ball_mass_ratios, marginal_gaussianization, shape_spread
from ._tail_index import heavier_tail
from .results import DivergenceResult

__all__ = [
    "DEFAULT_K",
    "DEFAULT_KL_VARIANT",
    "KL_VARIANTS",
    "check_k",
    "kl_knn",
    "js_knn",
    "kozachenko_leonenko_entropy",
    "kl_samples_density",
    "kl_density_samples",
]

#: Default number of neighbours, chosen by the bias table of benchmarks/bench_knn.py: at
#: d = 5 the bias grows with k (k = 1 is least biased) while at d = 1 k = 1 has twice
#: the spread of k = 3..5; k = 3 is within 0.01 nats of the best RMSE in both.
DEFAULT_K = 3

#: ``"corrected"``: the fixed-k estimator on marginally Gaussianized data with each
#: ball's mass corrected for the density's shape (:mod:`divergences._knn_shape`);
#: ``"fixed"``: Wang--Kulkarni--Verdu with the same k in both samples;
#: ``"adaptive"``: their bias-reduced variant with per-point neighbour counts.
KL_VARIANTS = ("corrected", "fixed", "adaptive")

#: The variant used unless another is asked for: measured in
#: benchmarks/bench_estimators.py, it removes most of the fixed estimator's bias
#: (at d = 5, n = m = 5,000: -0.10, +0.11, -0.17 on the mean-shift, scale and
#: mixture pairs of divergences.testing, against -0.02, +0.01, +0.01).
DEFAULT_KL_VARIANT = "corrected"


#: The measured bias bounds of the default KL variant on two sample sets (the table
#: and its lookup live in divergences._bias_bounds).
BIAS_BOUNDS = KL_BIAS_BOUNDS


def check_k(k, n, name, *, excludes_self):
    """Check the neighbour count ``k`` against a sample of size ``n``.

    ``excludes_self``: the query points belong to the sample, so each has only
    ``n - 1`` others and ``k`` must be below ``n``.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be a positive integer (a neighbour count), got {k!r}.")
    if k < 1:
        raise ValueError(f"k must be >= 1, got k={k}.")
    available = n - 1 if excludes_self else n
    if k > available:
        relation = "below" if excludes_self else "at most"
        bound = f"{relation} the size of {name} ({n})"
        raise InvalidMeasureError(f"k={k} is too large: k must be {bound}; use a smaller k.")
    return int(k)


def _mean_and_stderr(terms):
    n = terms.shape[0]
    mean = float(np.mean(terms))
    stderr = float(np.std(terms, ddof=1) / math.sqrt(n)) if n > 1 else None
    return mean, stderr


def _trees(x, y, workers):
    return build_tree(x, workers=workers), build_tree(y, workers=workers)


def _neighbors_for_jackknife(tree, points, k, available, name, workers, order=None):
    """One query for what the estimate and its jackknife need.

    Returns ``(dist_k, dist_k1, indices)``: the k-th positive-distance
    neighbour distances, and for the jackknife the (k+1)-th distances and the
    first ``k`` neighbours' indices -- or ``None, None`` when some point has
    no (k+1)-th neighbour (k at its limit, or duplicates).
    """
    if k + 1 > available:
        dist = neighbor_columns(tree, points, k, distances=1, indices=0, name=name,
                                workers=workers, order=order)[0]
        return dist[:, 0], None, None
    dist, index = neighbor_columns(tree, points, k + 1, distances=2, indices=k, required=k,
                                   name=name, workers=workers, order=order)
    if np.isinf(dist[:, 1]).any():  # duplicates leave some point without a (k+1)-th neighbour
        return dist[:, 0], None, None
    return dist[:, 0], dist[:, 1], index


def _deletion_shifts(log_k, log_k1, indices, size, d):
    """Per deleted tree point, the summed change of ``d log dist_k`` over the points that lose it.

    Deleting a tree point that is among a query point's first ``k`` neighbours
    moves that point's k-th neighbour to its (k+1)-th.
    """
    from ._kernels.kdtree import deletion_shifts

    # A scatter-add in the order np.bincount would take (row by row), without its
    # n * k temporaries.
    return deletion_shifts(d * (log_k1 - log_k), indices, size)


def _jackknife_variance(leave_one_out):
    size = leave_one_out.shape[0]
    return (size - 1) / size * float(np.sum((leave_one_out - leave_one_out.mean()) ** 2))


def _ball_shapes(details, *balls):
    """Summed ``sign * log C`` over ``balls``, each ``(points, radii, sample, sign)``.

    ``log C`` under the Gaussian fitted to ``sample``
    (:func:`divergences._knn_shape.log_ball_mass_ratios`); 0 -- no correction --
    where any ball set is out of the correction's domain (its
    :func:`~divergences._knn_shape.shape_spread` above
    :data:`~divergences._knn_shape.SPREAD_LIMIT`, recorded as
    ``details["shape_spread"]``) or no shape could be fitted.
    ``details["shape_correction"]`` gets the mean correction or why there is none.
    """
    spread = max(shape_spread(radii, sample) for _, radii, sample, _ in balls)
    if spread > SPREAD_LIMIT:
        # Balls that span many standard deviations of a thin direction of the fit.
        details["shape_correction"] = (f"none: the balls span {spread:.3g} nats of the "
                                       f"fitted shape's anisotropy (limit {SPREAD_LIMIT:g})")
        details["shape_spread"] = spread
        return 0.0
    shape = sum(sign * log_ball_mass_ratios(points, radii, sample)
                for points, radii, sample, sign in balls)
    if not np.isfinite(shape).all():
        # A degenerate fit (a handful of nearly collinear points): no shape to
        # correct for; the estimate is then the fixed one, and says so.
        details["shape_correction"] = "none: no Gaussian shape could be fitted"
        return 0.0
    details["shape_correction"] = float(np.mean(shape))
    return shape


def kl_knn(x, y, *, k=DEFAULT_K, variant=DEFAULT_KL_VARIANT, workers=None, stderr=True):
    """k-NN estimate of KL(P||Q) from samples ``x ~ P`` and ``y ~ Q``.

    ``"fixed"`` is the estimator of Wang, Kulkarni and Verdu (2009, eq. 5),

        D = (d/n) sum_i log(nu_k(i) / rho_k(i)) + log(m / (n - 1)),

    with ``rho_k(i)`` the distance from ``x_i`` to its k-th neighbour among
    the other ``x`` and ``nu_k(i)`` to its k-th neighbour among the ``y``.
    ``"corrected"`` (the default) first maps both samples by one increasing
    function per coordinate that makes the pooled marginals look normal (KL
    is unchanged by a bijection applied to both laws), then computes

        D = (1/n) sum_i [d log(nu_k(i) / rho_k(i)) + log C_q(i) - log C_p(i)]
            + psi(m + 1) - psi(n),

    the exact expectation of each ball's log-mass (``psi(k) - psi(n)`` and
    ``psi(k) - psi(m + 1)``: k-th order statistics of uniforms) with
    ``C_p(i)``, ``C_q(i)`` the ratio of each ball's mean density to the
    density at its centre under a Gaussian fitted to ``x``, resp. ``y``
    (:func:`divergences._knn_shape.log_ball_mass_ratios`). The fixed
    estimator takes ``C = 1`` -- a density flat across each ball -- which is
    its bias in dimension >= 2: balls holding 3 of thousands of points span a
    good part of the distribution there.
    ``"adaptive"`` is their bias-reduced form (eq. 29 there): with
    ``eps_i = max(rho_k(i), nu_k(i))``, ``k_i`` and ``l_i`` count the ``x``
    and ``y`` within ``eps_i`` and

        D = (1/n) sum_i [d log(nu_{l_i}(i) / rho_{k_i}(i)) + psi(k_i) - psi(l_i)]
            + log(m / (n - 1)),

    so both densities are estimated on balls of about the same radius. Its
    cost grows with the counts, i.e. like ``k n (1 + chi^2(P||Q))``.

    The standard error is the two-sample delete-one jackknife of the fixed-k
    estimate, computed exactly from the (k+1)-th neighbours (deleting a point
    moves the k-th neighbour of those that had it to their (k+1)-th), on the
    data the estimate uses. Unlike the spread of the per-point terms it
    includes the variance that ``y`` brings (about ``chi^2(P||Q)/m``). It is
    reported for every variant, whose sampling spreads agree closely (the
    corrections are smooth averages that move little from sample to sample).
    By the Efron--Stein inequality a jackknife variance overestimates on
    average: on Gaussians at d = 5, n = m = 5,000 it reported 0.031 against
    observed spreads of 0.026 to 0.031 over seeds, for either variant
    (benchmarks/bench_estimators.py). It does not include bias. Where a (k+1)-th neighbour does
    not exist (k at its limit) it falls back to the spread of the per-point
    terms. With ``stderr=False`` (what :func:`subsample_trend` needs) no standard
    error is computed -- the queries then stop at the k-th neighbour -- and
    ``None`` is returned in its place; the value is the same.

    Returns
    -------
    value, stderr, details
    """
    from scipy.special import digamma

    if variant == "corrected":
        x, y = marginal_gaussianization(x, y)
    n, d = x.shape
    m = y.shape[0]
    # One tree at a time (the fixed variant needs neither once queried): peak memory.
    tree_x = build_tree(x, workers=workers)
    # Both queries take x in tree_x's leaf order: consecutive queries are neighbours.
    order = tree_x.indices
    # Without a standard error the (k+1)-th neighbours are not needed: k is the jackknife's
    # "available" limit then, which makes the query stop at the k-th.
    rho, rho_next, index_x = _neighbors_for_jackknife(tree_x, x, k, n - 1 if stderr else k,
                                                      "p", workers, order)
    if variant != "adaptive":
        del tree_x
    tree_y = build_tree(y, workers=workers)
    nu, nu_next, index_y = _neighbors_for_jackknife(tree_y, x, k, m if stderr else k, "q",
                                                    workers, order)
    if variant != "adaptive":
        del tree_y
    log_rho, log_nu = np.log(rho), np.log(nu)
    fixed_terms = d * (log_nu - log_rho)
    details = {"k": k, "variant": variant, "ties": "none"}
    offset = math.log(m / (n - 1))
    if variant == "fixed":
        terms = fixed_terms
    elif variant == "corrected":
        shape = _ball_shapes(details, (x, nu, y, 1.0), (x, rho, x, -1.0))
        terms = fixed_terms + shape
        offset = float(digamma(m + 1) - digamma(n))
    else:
        radius = np.maximum(rho, nu)
        k_i, rho_i = neighbors_within(tree_x, x, radius, 2 * k, workers=workers, order=order)
        l_i, nu_i = neighbors_within(tree_y, x, radius, 2 * k, workers=workers, order=order)
        terms = d * np.log(nu_i / rho_i) + digamma(k_i) - digamma(l_i)
        details["mean_counts"] = (float(k_i.mean()), float(l_i.mean()))
    if not stderr:
        return float(np.mean(terms)) + offset, None, details
    mean, stderr = _mean_and_stderr(terms)
    if rho_next is not None and nu_next is not None and n > 2:
        total = float(np.sum(fixed_terms))
        shift_x = _deletion_shifts(log_rho, np.log(rho_next), index_x, n, d)
        del index_x, rho_next
        loo_x = (total - fixed_terms - shift_x) / (n - 1)
        del shift_x
        loo_y = (total + _deletion_shifts(log_nu, np.log(nu_next), index_y, m, d)) / n
        # The offsets of the deleted estimates are constants within each sample and
        # so do not move the jackknife variances.
        stderr = math.sqrt(_jackknife_variance(loo_x) + _jackknife_variance(loo_y))
        details["stderr"] = "two-sample delete-one jackknife (fixed k)"
    else:
        details["stderr"] = "spread of the per-point terms (no (k+1)-th neighbour)"
    return mean + offset, stderr, details


#: Seed of the split into halves and quarters behind :func:`subsample_trend`, so that
#: the diagnostic, like the estimate, is a function of the data alone.
TREND_SEED = 20261201

#: :func:`subsample_trend` flags an estimate that moved monotonically by more than
#: this many of its standard errors from n/4 to n points.
TREND_LIMIT = 2.0


def subsample_trend(x, y, value, stderr, *, k=DEFAULT_K, variant=DEFAULT_KL_VARIANT,
                    workers=None):
    """Does the k-NN KL estimate still move with the sample size? A check of convergence.

    The estimate ``value`` (on all of ``x`` and ``y``) is set beside the mean
    estimate over two disjoint halves and over four disjoint quarters of both
    samples (one random split, seeded by :data:`TREND_SEED`). A k-NN
    estimator's bias shrinks with n; one that has converged does not move
    between n/4, n/2 and n beyond its noise (the averages over the parts share
    the data with ``value``, so their differences are well below its
    ``stderr``: on the benign cells of the calibration grid about 0.6 stderr for
    one doubling). If the bias decays like ``n^-a`` with ``a <= 1`` (the k-NN
    rates), the bias left at n is at least the last move, ``value - mean(halves)``.

    The check fires when both moves have the same sign and together exceed
    :data:`TREND_LIMIT` standard errors. It catches estimates that are far from
    converged (heavy tails against light ones, where the estimate grows like
    ``log n`` towards a truth out of reach; few points in many dimensions); it
    cannot see a bias that does not change between n/4 and n.

    The quarters come first: where the move from n/4 to n is within
    :data:`TREND_LIMIT` standard errors the check cannot fire whatever the
    halves say, and they are not computed (their estimate is then ``None``).
    Costs about half an estimate then (four at n/4), one where the halves are
    needed too (two at n/2).

    Returns
    -------
    dict or None
        ``{"sizes", "estimates", "moved", "fired"}``: the three sample sizes of
        P, the three estimates (the halves' ``None`` where they were not
        needed), the move from n/4 to n in standard errors, and the verdict;
        ``None`` where the parts are too small for ``k`` or hold duplicates that
        leave too few neighbours.
    """
    n, m = x.shape[0], y.shape[0]
    if stderr is None or not stderr > 0 or n // 4 <= k + 1 or m // 4 <= k:
        return None
    generator = np.random.default_rng(TREND_SEED)
    order_x, order_y = generator.permutation(n), generator.permutation(m)

    def mean_over(parts):
        return float(np.mean([
            kl_knn(np.ascontiguousarray(x[order_x[i::parts]]),
                   np.ascontiguousarray(y[order_y[i::parts]]), k=k, variant=variant,
                   workers=workers, stderr=False)[0]
            for i in range(parts)]))

    try:
        quarters = mean_over(4)
        moved = (value - quarters) / stderr
        # The verdict needs the halves only where the whole move is large enough to fire:
        # otherwise they cannot change it, and skipping them halves the check's cost.
        halves = mean_over(2) if abs(moved) > TREND_LIMIT else None
    except InvalidMeasureError:  # duplicates within a part leave too few neighbours
        return None
    fired = halves is not None and (halves - quarters) * (value - halves) > 0
    return {
        "sizes": (n // 4, n // 2, n),
        "estimates": (quarters, halves, float(value)),
        "moved": float(moved),
        "fired": bool(fired),
    }


def _trend_warning(trend):
    """The note and warning of a fired :func:`subsample_trend`."""
    quarter, half, full = trend["estimates"]
    sizes = trend["sizes"]
    return (f"the estimate has not converged: it moved from {quarter:.4g} (n = {sizes[0]}) to "
            f"{half:.4g} (n = {sizes[1]}) to {full:.4g} (n = {sizes[2]}), "
            f"{abs(trend['moved']):.3g} standard errors, so its bias is at least "
            f"{abs(full - half):.3g}; the interval is the divergence's whole range")


def _check_tails(details, notes, x, y, *, symmetric=False):
    """The heavy-tail check of :mod:`divergences._tail_index`, recorded in ``details``.

    Where P's tail is heavier than Q's (or, ``symmetric``, either's than the
    other's: for JS) the estimate misses the divergence out in that tail, which
    only ever adds to it: ``details["reliable"] = False``, a note, and
    ``details["ci_holds"] = "lower"`` -- the interval keeps its lower end and
    reaches the top of the divergence's range.
    """
    details["heavy_tail"] = _tail_record(x, y, symmetric=symmetric)
    _flag_tails(details, notes)


def _tail_record(x, y, *, symmetric=False):
    """:func:`~divergences._tail_index.heavier_tail` of ``x`` against ``y`` (and back)."""
    checks = [heavier_tail(x, y)] + ([heavier_tail(y, x)] if symmetric else [])
    if any(check is None for check in checks):
        return None
    check = max(checks, key=lambda c: c["z"])
    if check is checks[0]:
        check["heavier"] = "p"
    else:  # y's against x's: the record keeps P's first
        check.update(heavier="q", index=check["index"][::-1],
                     tail_points=check["tail_points"][::-1])
    return check


def _flag_tails(details, notes):
    """Act on ``details["heavy_tail"]``: where it fired, unreliable with a lower bound only."""
    check = details.get("heavy_tail")
    if check is not None and check["fired"]:
        details["reliable"] = False
        details["ci_holds"] = "lower"
        notes.append(_tail_warning(check))


def _tail_warning(check):
    """The note and warning of a fired heavy-tail check."""
    heavy, light = ("P", "Q") if check["heavier"] == "p" else ("Q", "P")
    gamma_heavy, gamma_light = check["index"] if heavy == "P" else check["index"][::-1]
    return (f"{heavy}'s tail is heavier than {light}'s (tail index {gamma_heavy:.3g} against "
            f"{gamma_light:.3g}, z = {check['z']:.3g}): part of {heavy}'s mass lies beyond the "
            f"reach of {light}'s sample, where the estimate misses the divergence; it is "
            f"likely far too low, and the interval keeps only its lower end")


def _js_side_terms(points, own_tree, other_tree, k, ratio, name, workers):
    """The pooled estimator's terms at ``points``, the sample ``own_tree`` is built on.

    ``ratio`` scales the volume of each point's own k-th-neighbour ball before
    the points of ``other_tree`` (``None``: an empty sample) are counted in it.
    """
    from scipy.special import digamma

    if other_tree is None:
        return np.full(points.shape[0], LOG2)  # nothing of the other sample anywhere
    d = points.shape[1]
    order = own_tree.indices  # points in their own tree's leaf order
    radius = kth_neighbor_distance(own_tree, points, k, name=name, workers=workers, order=order)
    # Scale the ball's volume by (own - 1)/other so that both samples count at
    # the same rate per unit mass; then l ~ NegBin(k, p/(p+q)) where the
    # densities are locally flat, and E[psi(k + l)] - psi(k) = log(1 + q/p).
    scaled = radius * ratio ** (1.0 / d)
    counts, _ = neighbors_within(other_tree, points, scaled, 2 * k, workers=workers, order=order)
    return LOG2 + digamma(k) - digamma(k + counts)


def _js_from_terms(terms_x, terms_y):
    """``(value, stderr, details)`` of the pooled estimator from its per-point terms."""
    halves, variances = [], []
    for terms in (terms_x, terms_y):
        own = terms.shape[0]
        halves.append(float(np.mean(terms)))
        variances.append(float(np.var(terms, ddof=1)) / own if own > 1 else math.nan)
    raw = 0.5 * (halves[0] + halves[1])
    stderr = 0.5 * math.sqrt(variances[0] + variances[1])
    details = {
        "k": None,
        "unclipped": raw,
        "halves": tuple(halves),
        "ties": "none",
    }
    return min(max(raw, 0.0), LOG2), (None if math.isnan(stderr) else stderr), details


def kl_knn_with_atoms(x, y, ties, *, k=DEFAULT_K, variant=DEFAULT_KL_VARIANT, workers=None):
    """:func:`kl_knn` for samples that share points: the shared values are atoms.

    ``ties``: the record of :func:`divergences._ties.find_ties`. With the
    values both samples hold taken as atoms and the rest as continuous parts
    of masses ``a = n'/n`` (``x``'s unshared points) and ``b = m'/m``,

        KL = sum_v p_v log(p_v/q_v) + a (KL_rest + log(a/b)),

    ``p_v = c_p(v)/n`` and ``q_v = c_q(v)/m`` at the shared values, and
    ``KL_rest`` the estimate of :func:`kl_knn` between the unshared points.
    A sample set against itself (in any order) gives 0 exactly. The standard
    error adds in quadrature ``a`` times the rest's, the delta method of the
    atoms' sum, and their second-order spread at P = Q,
    ``(1/n + 1/m) sqrt((K - 1)/2)`` for ``K`` shared values (see
    :func:`divergences._ties.plug_in_kl`).

    Returns
    -------
    (value, stderr, details), or ``None`` where the unshared points are too
    few for ``k`` neighbours (the caller then keeps the zero-distance rule).
    """
    n, m = x.shape[0], y.shape[0]
    c_x, c_y = ties["counts"]
    shared = (c_x > 0) & (c_y > 0)
    inverse = ties["inverse"]
    rest_x, rest_y = ~shared[inverse[:n]], ~shared[inverse[n:]]
    n_rest, m_rest = int(rest_x.sum()), int(rest_y.sum())
    p, q = c_x[shared] / n, c_y[shared] / m
    log_ratio = np.log(p) - np.log(q)
    value = float(np.sum(p * log_ratio))
    ratio = p / q
    variance = ((float(np.sum(p * log_ratio**2)) - value**2) / n
                + (float(np.sum(q * ratio**2)) - float(np.sum(q * ratio)) ** 2) / m)
    variance = max(variance, 0.0) + (1.0 / n + 1.0 / m) ** 2 * (int(shared.sum()) - 1) / 2.0
    details = {"k": k, "variant": variant}
    if n_rest:
        if n_rest <= k or m_rest < k:
            return None
        try:
            rest, rest_stderr, details = kl_knn(np.ascontiguousarray(x[rest_x]),
                                                np.ascontiguousarray(y[rest_y]), k=k,
                                                variant=variant, workers=workers)
        except InvalidMeasureError:  # duplicates within the rest leave too few neighbours
            return None
        a, b = n_rest / n, m_rest / m
        value += a * (rest + math.log(a / b))
        variance += (a * (rest_stderr or 0.0)) ** 2
    details["atoms"] = {"values": int(shared.sum()), "points": (n - n_rest, m - m_rest)}
    return value, math.sqrt(variance), details


def js_knn(x, y, *, k=DEFAULT_K, workers=None):
    """Pooled-sample k-NN estimate of JS(P, Q) from ``x ~ P`` and ``y ~ Q``.

    For a point of ``x`` (``n`` points in its own sample, ``m`` in the
    other), let ``r`` be the distance to its k-th neighbour among the other
    ``x``, and ``l`` the number of ``y`` within ``r ((n - 1)/m)^(1/d)`` (the
    same ball when ``n - 1 = m``; otherwise rescaled in volume so that both
    samples count at the same rate per unit of mass). Where the densities are
    locally flat, ``l`` is negative binomial and ``E[psi(k + l)] - psi(k) =
    log(1 + q/p)`` exactly, so the point contributes

        log 2 + psi(k) - psi(k + l)               (~ log 2p/(p + q) at x_i),

    the digamma form of Ross (2014, PLoS ONE 9:e87357) for the mutual
    information between a label and the pooled sample (which JS is when
    ``n = m``). Points of ``y`` contribute symmetrically and the estimate is
    the average of the two samples' means. Every term is at most ``log 2``
    (reached when the ball holds no point of the other sample, as for
    separated supports); the final value is clipped to ``[0, log 2]``.

    The standard error is ``1/2 sqrt(var_x / n + var_y / m)`` over the
    per-point terms: JS's influence function is exactly ``1/2 log(2p/(p+q))``
    at a point of P (and likewise for Q), which the terms estimate, so this
    is the right asymptotic form. At fixed ``k`` it is nonetheless short: the
    neighbour counts of nearby points share their balls, so the terms' noise is
    positively correlated, and the spread over seeds exceeds it by 5-25%
    (sd/se 1.05-1.26 over 60-200 seeds, d = 1-5, n = 500-5,000; README). The
    measured bias bounds (:mod:`divergences._bias_bounds`) take in that
    shortfall with the bias, which the stderr does not include.

    Returns
    -------
    value, stderr, details
    """
    n = x.shape[0]
    m = y.shape[0]
    tree_x, tree_y = _trees(x, y, workers)
    terms_x = _js_side_terms(x, tree_x, tree_y, k, (n - 1) / m, "p", workers)
    terms_y = _js_side_terms(y, tree_y, tree_x, k, (m - 1) / n, "q", workers)
    value, stderr, details = _js_from_terms(terms_x, terms_y)
    details["k"] = k
    return value, stderr, details


def js_knn_with_atoms(x, y, ties, *, k=DEFAULT_K, workers=None):
    """:func:`js_knn` for samples that share points: the shared values are atoms.

    ``ties``: the record of :func:`divergences._ties.find_ties`. JS of laws
    made of atoms (the values both samples hold) and a continuous rest is the
    sum of the two parts' contributions, the atoms being null sets for the
    rest. A point at a shared value ``v`` (``c_p`` times in ``x``, ``c_q``
    in ``y``) scores ``log(2 p/(p + q))`` with ``p = c_p/n``, ``q = c_q/m``;
    the other points are scored by the pooled estimator on the unshared
    points alone, ``n'`` of ``x`` and ``m'`` of ``y``, with each ball's
    volume scaled by ``(n' - 1) n / (n' m)`` (so that the counts compare the
    sub-densities ``(n'/n) p'`` and ``(m'/m) q'``, not the rests' normalised
    densities). An unshared part of at most ``k`` points has no k-th
    neighbour: its points score ``log 2``, as atoms of their own law only.
    The standard error is that of :func:`js_knn` over all the terms plus,
    in quadrature, the atoms' second-order spread at P = Q (see
    :func:`divergences._ties.plug_in_js`), where their first-order
    influence vanishes.

    Returns
    -------
    (value, stderr, details), or ``None`` where duplicates within an
    unshared part leave a point too few neighbours (the caller then keeps
    the zero-distance rule).
    """
    n, m = x.shape[0], y.shape[0]
    terms_x, terms_y = _ties.atom_js_terms(ties, n, m)
    rest_x, rest_y = np.isnan(terms_x), np.isnan(terms_y)
    n_rest, m_rest = int(rest_x.sum()), int(rest_y.sum())
    trees = [build_tree(np.ascontiguousarray(points[rest]), workers=workers) if size else None
             for points, rest, size in ((x, rest_x, n_rest), (y, rest_y, m_rest))]
    for terms, points, rest, size, own, other, own_tree, other_tree, name in (
        (terms_x, x, rest_x, n_rest, n, m, trees[0], trees[1], "p"),
        (terms_y, y, rest_y, m_rest, m, n, trees[1], trees[0], "q"),
    ):
        if size == 0:
            continue
        if size <= k:
            terms[rest] = LOG2
            continue
        ratio = (size - 1) * own / (size * other)
        try:
            terms[rest] = _js_side_terms(np.ascontiguousarray(points[rest]), own_tree,
                                         other_tree, k, ratio, name, workers)
        except InvalidMeasureError:  # duplicates within the rest leave too few neighbours
            return None
    value, stderr, details = _js_from_terms(terms_x, terms_y)
    shared = int(np.count_nonzero((ties["counts"][0] > 0) & (ties["counts"][1] > 0)))
    floor = (1.0 / n + 1.0 / m) * math.sqrt(2.0 * max(shared - 1, 0)) / 8.0
    details["k"] = k
    details["atoms"] = {"values": shared, "points": (n - n_rest, m - m_rest)}
    return value, math.sqrt((stderr or 0.0) ** 2 + floor**2), details


def kozachenko_leonenko_entropy(x, *, k=DEFAULT_K, workers=None):
    """Kozachenko--Leonenko k-NN estimate of the differential entropy of ``x``'s law.

    ``H = psi(n) - psi(k) + log V_d + (d/n) sum_i log rho_k(i)``, with ``V_d``
    the volume of the unit ball (Kozachenko and Leonenko 1987; the k-NN form of
    Goria et al. 2005).

    Returns
    -------
    value, stderr, per_point_log_rho
    """
    from scipy.special import digamma

    n, d = x.shape
    tree = build_tree(x, workers=workers)
    rho = kth_neighbor_distance(tree, x, k, name="p", workers=workers, order=tree.indices)
    log_rho = np.log(rho)
    mean, stderr = _mean_and_stderr(d * log_rho)
    return float(digamma(n) - digamma(k) + unit_ball_log_volume(d) + mean), stderr, log_rho


_NOT_ABS_CONT = "P is not absolutely continuous with respect to Q"


def kl_samples_density(x, q, *, k=DEFAULT_K, variant=DEFAULT_KL_VARIANT, workers=None):
    """KL(P||Q) from samples ``x ~ P`` and a density ``q``: cross-entropy minus entropy.

    ``KL = -E_P log q - H(P)``: the cross-entropy is the sample mean of
    ``-log q(x_i)``, and ``H(P)`` a k-NN entropy estimate, combined point by
    point (their errors are correlated) for the standard error. ``"fixed"``
    takes the Kozachenko--Leonenko entropy (:func:`kozachenko_leonenko_entropy`),
    which reads ``log p(x_i)`` off the k-th neighbour ball as if ``p`` were flat
    across it. ``"corrected"`` (the default) makes the same two steps as
    :func:`kl_knn`'s: it maps ``x`` by one increasing function per coordinate
    that makes its marginals look normal, ``z = T(x)``, and reads

        log p(x_i) = log p_T(z_i) + log|J_T(x_i)|,
        log p_T(z_i) = psi(k) - psi(n) - log V_d - d log rho_k(i) - log C(i),

    with ``rho_k`` the k-th neighbour distance among the mapped points and
    ``C(i)`` the ratio of the ball's mean density to the density at its centre
    under a Gaussian fitted to them
    (:func:`divergences._knn_shape.log_ball_mass_ratios`; none where the balls
    are out of the correction's domain, :data:`divergences._knn_shape.SPREAD_LIMIT`).

    Returns
    -------
    value, stderr, details, note
    """
    from scipy.special import digamma

    n, d = x.shape
    log_q = np.asarray(q.logpdf(x), dtype=np.float64)
    details = {
        "k": k,
        "variant": variant,
        "entropy": "kozachenko-leonenko" if variant == "fixed" else
                   "k-NN, marginally Gaussianized, ball masses shape-corrected",
        "cross_entropy": "sample mean of -log q",
        "ties": "none",
    }
    if np.any(np.isneginf(log_q)):
        outside = int(np.count_nonzero(np.isneginf(log_q)))
        return math.inf, 0.0, details, f"{_NOT_ABS_CONT} ({outside} sample points where q = 0)"
    log_jac = shape = 0.0
    if variant == "corrected":
        x, _, log_jac = marginal_gaussianization(x, x[:0], log_jacobian=True)
    tree = build_tree(x, workers=workers)
    rho = kth_neighbor_distance(tree, x, k, name="p", workers=workers, order=tree.indices)
    if variant == "corrected":
        shape = _ball_shapes(details, (x, rho, x, -1.0))
    terms = log_jac - d * np.log(rho) + shape - log_q
    mean, stderr = _mean_and_stderr(terms)
    value = mean - (digamma(n) - digamma(k) + unit_ball_log_volume(d))
    return float(value), stderr, details, ""


def kl_density_samples(p, y, *, k=DEFAULT_K, variant=DEFAULT_KL_VARIANT, n_samples=None,
                       rng=None, workers=None):
    """KL(P||Q) from a density ``p`` and samples ``y ~ Q``.

    ``KL = E_P log p - E_P log q``: both expectations over ``n_samples`` draws
    ``x_j ~ P`` (default: as many as ``y`` has points), ``log p`` exactly and
    ``log q(x_j)`` by the k-NN density estimate on ``y`` in its digamma form,
    ``psi(k) - psi(m + 1) - log V_d - d log nu_k(x_j)``, unbiased where ``q``
    is locally uniform (the k-th neighbour ball of a new point has mass
    ``Beta(k, m - k + 1)``, of mean log ``psi(k) - psi(m + 1)``).

    The standard error adds the spread of the per-draw terms and the
    delete-one jackknife over ``y`` (see :func:`kl_knn`). That is ``"fixed"``;
    ``"corrected"`` (the default) maps the draws and ``y`` by one increasing
    function per coordinate that makes their pooled marginals look normal,
    estimates ``log q`` there with each ball's mass corrected for the shape of a
    Gaussian fitted to the mapped ``y`` (as :func:`kl_knn` does), and adds the
    log Jacobian of the map at each draw (see :func:`kl_samples_density`).

    Returns
    -------
    value, stderr, details
    """
    from scipy.special import digamma

    from ._validation import as_rng

    m, d = y.shape
    n_draws = m if n_samples is None else n_samples
    x = np.ascontiguousarray(p.sample(n_draws, rng=as_rng(rng)), dtype=np.float64)
    log_p = np.asarray(p.logpdf(x), dtype=np.float64)
    details = {
        "k": k,
        "variant": variant,
        "n_samples": n_draws,
        "log_q": "k-nearest-neighbour density estimate on q's samples" + (
            "" if variant == "fixed" else ", marginally Gaussianized, ball masses shape-corrected"),
        "ties": "none",
    }
    # P's draws against Q's sample: the check of kl_knn_method (the caller acts on it).
    details["heavy_tail"] = _tail_record(x, y)
    log_jac = shape = 0.0
    if variant == "corrected":
        y, x, log_jac = marginal_gaussianization(y, x, log_jacobian=True)
        log_jac = log_jac[m:]
    # Draws from P never coincide with y in exact arithmetic; the tie rule covers rounding.
    nu, nu_next, index = _neighbors_for_jackknife(build_tree(y, workers=workers), x, k, m, "q",
                                                workers)
    if variant == "corrected":
        shape = _ball_shapes(details, (x, nu, y, 1.0))
    log_nu = np.log(nu)
    terms = log_p + d * log_nu + shape - log_jac
    mean, stderr = _mean_and_stderr(terms)
    if nu_next is not None:
        # Draws and y are independent: add the delete-one jackknife variance over y
        # (conservative, as every jackknife variance is) to that of the draws.
        loo_y = _deletion_shifts(log_nu, np.log(nu_next), index, m, d) / n_draws
        stderr = math.sqrt(stderr**2 + _jackknife_variance(loo_y))
    value = mean - (digamma(k) - digamma(m + 1) - unit_ball_log_volume(d))
    return float(value), stderr, details


def result(value, divergence, stderr, sizes, details, note=""):
    """Package an estimate as a :class:`DivergenceResult` of method ``"knn"``."""
    return DivergenceResult(
        value=value,
        divergence=divergence,
        method="knn",
        sizes=sizes,
        stderr=stderr,
        details=details,
        note=note,
    )


def knn_applies(p, q, options=None):
    """Two sample sets, or a sample set and a density (either way round)."""
    kinds = (p.kind, q.kind)
    return "samples" in kinds and "histogram" not in kinds


def _sample_points(measure, name):
    return unweighted_points(measure, name, "the k-nearest-neighbour estimators")


_NOTHING_DRAWN = "apply only when p is a density (nothing is drawn here)"


def _reject(options, why):
    given = sorted(name for name, value in options.items() if value is not None)
    if given:
        raise TypeError(f"{', '.join(repr(g) for g in given)} {why}.")


def _untie_one(points, rule, generator):
    """Ties of one sample set facing a density: dither it, or skip (nothing else applies).

    Returns ``(points, record)``; ``record`` is ``"none"`` without duplicates.
    """
    if rule == "discrete":
        raise TypeError("ties='discrete' applies only to two sample sets (a histogram of the "
                        "samples against a density has no plug-in divergence); use 'auto'.")
    plan = _ties.plan_ties(points, points[:0], rule)
    if plan is None:
        return points, "none"
    if plan["rule"] == "dither":
        points, _ = _ties.dither(points, points[:0], plan["resolution"], generator)
        return points, _ties.public_record(plan)
    # No lattice to dither within: copies, skipped at distance zero ("discrete"
    # needs two sample sets).
    plan["rule"] = "skip" if rule == "skip" else "copies"
    return points, _ties.public_record(plan)


def _constant(details, dropped):
    """Record the coordinates :func:`divergences._ties.drop_constant` removed."""
    if dropped:
        details["constant_coordinates"] = dropped
    return details


def _check_tie_rule(ties):
    from ._validation import check_choice

    return check_choice(ties, _ties.TIE_RULES, "ties")


def kl_knn_method(p, q, *, k=DEFAULT_K, variant=None, n_samples=None, rng=None, ties="auto",
                  diagnose=True, workers=None):
    """The ``"knn"`` method of :func:`divergences.kl_divergence`.

    Samples against samples: :func:`kl_knn`; samples against a density:
    :func:`kl_samples_density`; a density against samples:
    :func:`kl_density_samples` (the only case that draws, so the only one that
    takes ``n_samples``). ``ties`` picks the tie rule
    (:data:`divergences._ties.TIE_RULES`); ``rng`` seeds the dithering of
    rounded data (and the draws from a density). ``diagnose`` (two sample
    sets): check that the estimate has converged (:func:`subsample_trend`, about
    half an estimate's time; one where the estimate moved by more than the check's
    limit); where it has not, the result warns
    (:class:`~divergences.exceptions.EstimatorWarning`), says so in ``note``,
    records ``details["reliable"] = False`` and its ``ci`` is the divergence's
    whole range. ``details["trend"]`` holds the check (``None`` where the
    samples are too small for it, or with ``diagnose=False``). With two sample
    sets, with P's density against Q's samples (P's draws against them) and
    with P's samples against Q's density (against as many draws from it,
    :func:`_density_draws`), ``diagnose`` also compares the tails
    (:mod:`divergences._tail_index`, ``details["heavy_tail"]``): where P's is
    heavier than Q's, part of P's mass lies beyond the reach of Q's sample and
    the estimate is far too low (against Q's density: a mean of terms with no
    variance, below the truth on most seeds); the result warns, notes, records
    ``details["reliable"] = False`` and its ``ci`` keeps only its lower end
    (``(low, inf)``).
    """
    from ._validation import as_rng, check_choice, check_positive_int

    if variant is not None:
        check_choice(variant, KL_VARIANTS, "variant")
    _check_tie_rule(ties)
    sizes = (p.size, q.size)
    if p.kind == "samples" and q.kind == "samples":
        _reject({"n_samples": n_samples}, _NOTHING_DRAWN)
        variant = DEFAULT_KL_VARIANT if variant is None else variant
        x, y = _sample_points(p, "p"), _sample_points(q, "q")
        check_k(k, x.shape[0], "p", excludes_self=True)
        check_k(k, y.shape[0], "q", excludes_self=False)
        x, y = safe_scale(x, y)  # the estimate is scale-invariant; squared distances are not
        x, y, dropped = _ties.drop_constant(x, y)
        plan = _ties.plan_ties(x, y, ties, cover=True)
        if plan is not None and plan["rule"] == "discrete":
            value, stderr, extra, note = _ties.plug_in_kl(plan, x.shape[0], y.shape[0])
            details = {"k": k, "variant": variant, "estimator": "plug-in (empirical histograms)",
                       **extra, "ties": _ties.public_record(plan)}
            return result(value, "kl", stderr, sizes, _constant(details, dropped), note)
        record = "none" if plan is None else _ties.public_record(plan)
        note = ""
        if plan is not None and plan["rule"] == "dither":
            x, y = _ties.dither(x, y, plan["resolution"], _ties.dither_generator(rng))
            if plan.get("uncovered"):
                note = _ties.missing_note(plan, "q is interpolated there from neighbouring "
                                                "values (dithered k-NN)")
        estimate = None
        if plan is not None and plan["rule"] == "copies" and plan["across"]:
            estimate = kl_knn_with_atoms(x, y, plan, k=k, variant=variant, workers=workers)
            if estimate is None:
                record["atoms"] = "too few unshared points: zero-distance rule on all points"
        direct = estimate is None
        if direct:
            estimate = kl_knn(x, y, k=k, variant=variant, workers=workers)
        value, stderr, details = estimate
        details["ties"] = record
        notes = [note] if note else []
        if str(details.get("shape_correction", "")).startswith("none: the balls"):
            notes.append("the shape correction is out of its domain (balls wider than the "
                         "fitted shape in some direction): the fixed estimate, with its bias")
        if direct and variant == "corrected" and "shape_spread" not in details:
            details["bias_bound"] = bias_bound(x.shape[1], min(x.shape[0], y.shape[0]),
                                               KL_BIAS_BOUNDS)
        if diagnose:
            _check_tails(details, notes, x, y)
        if diagnose and direct:
            trend = subsample_trend(x, y, value, stderr, k=k, variant=variant, workers=workers)
            details["trend"] = trend
            if trend is not None and trend["fired"]:
                details["reliable"] = False
                details.pop("ci_holds", None)  # the trend bounds nothing: the whole range
                notes.append(_trend_warning(trend))
        for text in notes[1 if note else 0:]:
            warnings.warn(f"kl_divergence (knn): {text}.", EstimatorWarning, stacklevel=4)
        return result(value, "kl", stderr, sizes, _constant(details, dropped), "; ".join(notes))
    if p.kind == "samples":
        if variant == "adaptive":
            raise TypeError("variant='adaptive' applies only to two sample sets.")
        _reject({"n_samples": n_samples}, _NOTHING_DRAWN)
        x = _sample_points(p, "p")
        check_k(k, x.shape[0], "p", excludes_self=True)
        x, record = _untie_one(x, ties, _ties.dither_generator(rng))
        value, stderr, details, note = kl_samples_density(
            x, q, k=k, variant=DEFAULT_KL_VARIANT if variant is None else variant,
            workers=workers)
        details["ties"] = record
        _density_bound(details, x.shape[1], x.shape[0], SAMPLES_DENSITY_BIAS_BOUNDS)
        notes = [note] if note else []
        if diagnose and math.isfinite(value):
            _check_tails(details, notes, x, _density_draws(q, x, rng))
        for text in notes[1 if note else 0:]:
            warnings.warn(f"kl_divergence (knn): {text}.", EstimatorWarning, stacklevel=4)
        return result(value, "kl", stderr, sizes, details, "; ".join(notes))
    if variant == "adaptive":
        raise TypeError("variant='adaptive' applies only to two sample sets.")
    y = _sample_points(q, "q")
    check_k(k, y.shape[0], "q", excludes_self=False)
    if n_samples is not None:
        n_samples = check_positive_int(n_samples, "n_samples")
    generator = as_rng(rng)
    y, record = _untie_one(y, ties, _ties.dither_generator(rng))
    value, stderr, details = kl_density_samples(
        p, y, k=k, variant=DEFAULT_KL_VARIANT if variant is None else variant,
        n_samples=n_samples, rng=generator, workers=workers
    )
    details["ties"] = record
    _density_bound(details, y.shape[1], min(y.shape[0], details["n_samples"]),
                   DENSITY_SAMPLES_BIAS_BOUNDS)
    notes = []
    if diagnose:
        _flag_tails(details, notes)
    else:
        details.pop("heavy_tail")
    for text in notes:
        warnings.warn(f"kl_divergence (knn): {text}.", EstimatorWarning, stacklevel=4)
    return result(value, "kl", stderr, sizes, details, "; ".join(notes))


def _density_draws(q, points, rng):
    """As many draws from the density ``q`` as P has points, for the heavy-tail check.

    The estimate against ``q`` draws nothing: its cross-entropy is a plain mean of
    ``-log q`` over P's points, whose spread the stderr takes from those terms --
    too small where P's tail is heavier than Q's (t_3 against N(0, I): ``|x|^2``
    has no variance), and the mean then falls below the truth on most seeds.
    The check compares P's tail with that of Q's draws; they are seeded by
    ``rng`` or, where it is ``None``, by a checksum of P's points: a repeated
    call flags alike, and different samples meet independent draws.
    """
    import zlib

    from ._validation import as_rng

    generator = as_rng(zlib.crc32(np.ascontiguousarray(points).tobytes()) if rng is None else rng)
    return np.ascontiguousarray(q.sample(points.shape[0], rng=generator),
                                dtype=np.float64).reshape(points.shape)


def _density_bound(details, d, n, table):
    """Record the measured bias bound of a default estimate against a density."""
    if details["variant"] == DEFAULT_KL_VARIANT and "shape_spread" not in details:
        details["bias_bound"] = bias_bound(d, n, table)


def _js_two_samples(x, y, k, ties, rng, workers):
    """:func:`js_knn` after the tie rule; returns ``(value, stderr, details)``."""
    n, m = x.shape[0], y.shape[0]
    plan = _ties.plan_ties(x, y, ties)
    if plan is not None and plan["rule"] == "discrete":
        value, stderr, extra = _ties.plug_in_js(plan, n, m)
        return value, stderr, {"k": k, "estimator": "plug-in (empirical histograms)", **extra,
                               "ties": _ties.public_record(plan)}
    if plan is not None and plan["rule"] == "copies" and plan["across"]:
        estimate = js_knn_with_atoms(x, y, plan, k=k, workers=workers)
        if estimate is not None:
            value, stderr, details = estimate
            details["ties"] = _ties.public_record(plan)
            return value, stderr, details
        plan["atoms"] = "too few unshared points: zero-distance rule on all points"
    if plan is not None and plan["rule"] == "dither":
        x, y = _ties.dither(x, y, plan["resolution"], _ties.dither_generator(rng))
    value, stderr, details = js_knn(x, y, k=k, workers=workers)
    details["ties"] = "none" if plan is None else _ties.public_record(plan)
    return value, stderr, details


def js_knn_method(p, q, *, k=DEFAULT_K, n_samples=None, rng=None, ties="auto", diagnose=True,
                  workers=None):
    """The ``"knn"`` method of :func:`divergences.js_divergence`.

    Two sample sets: :func:`js_knn`, after the tie rule ``ties``
    (:mod:`divergences._ties`; ``rng`` seeds the dithering); ``diagnose``:
    compare the two samples' tails (:mod:`divergences._tail_index`) -- where
    one is heavier the estimate is biased low, and the result warns, says so
    in ``note``, records ``details["reliable"] = False`` and its ``ci`` keeps
    only its lower end. A sample set and
    a density: the sample set's ties dithered (or skipped), then
    ``n_samples`` draws from the density (default: as many as the sample set
    has points), then :func:`js_knn`; the draws are recorded in ``details``.
    The estimate is then the two-sample one on those draws (its stderr takes
    their spread from their own terms, so no Monte Carlo term is missing), with
    its own measured bias bound (:data:`~divergences._bias_bounds.JS_DENSITY_BIAS_BOUNDS`),
    and ``diagnose`` compares the sample set's tail with the draws', both ways.
    """
    from ._validation import as_rng, check_positive_int

    _check_tie_rule(ties)
    sizes = (p.size, q.size)
    if p.kind == "samples" and q.kind == "samples":
        _reject({"n_samples": n_samples}, "apply only when one argument is a density")
        x, y = _sample_points(p, "p"), _sample_points(q, "q")
        check_k(k, x.shape[0], "p", excludes_self=True)
        check_k(k, y.shape[0], "q", excludes_self=True)
        x, y = safe_scale(x, y)  # the estimate is scale-invariant; squared distances are not
        x, y, dropped = _ties.drop_constant(x, y)
        value, stderr, details = _js_two_samples(x, y, k, ties, rng, workers)
        if "estimator" not in details and "atoms" not in details:  # js_knn on all points
            details["bias_bound"] = bias_bound(x.shape[1], min(x.shape[0], y.shape[0]),
                                               JS_BIAS_BOUNDS)
        notes = []
        if diagnose and "estimator" not in details:  # not the discrete plug-in
            _check_tails(details, notes, x, y, symmetric=True)
        for text in notes:
            warnings.warn(f"js_divergence (knn): {text}.", EstimatorWarning, stacklevel=4)
        return result(value, "js", stderr, sizes, _constant(details, dropped), "; ".join(notes))
    if n_samples is not None:
        n_samples = check_positive_int(n_samples, "n_samples")
    generator = as_rng(rng)
    noise = _ties.dither_generator(rng)
    if p.kind == "samples":
        x, record = _untie_one(_sample_points(p, "p"), ties, noise)
        y = np.ascontiguousarray(q.sample(n_samples or x.shape[0], rng=generator))
    else:
        y, record = _untie_one(_sample_points(q, "q"), ties, noise)
        x = np.ascontiguousarray(p.sample(n_samples or y.shape[0], rng=generator))
    check_k(k, x.shape[0], "p", excludes_self=True)
    check_k(k, y.shape[0], "q", excludes_self=True)
    value, stderr, details = js_knn(x, y, k=k, workers=workers)
    details["ties"] = record
    details["drawn_from_density"] = x.shape[0] if p.kind != "samples" else y.shape[0]
    details["bias_bound"] = bias_bound(x.shape[1], min(x.shape[0], y.shape[0]),
                                       JS_DENSITY_BIAS_BOUNDS)
    notes = []
    if diagnose:  # the sample set against the density's draws, both ways (as two samples)
        _check_tails(details, notes, x, y, symmetric=True)
    for text in notes:
        warnings.warn(f"js_divergence (knn): {text}.", EstimatorWarning, stacklevel=4)
    return result(value, "js", stderr, sizes, details, "; ".join(notes))
