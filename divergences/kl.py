"""The Kullback--Leibler divergence KL(P||Q) = E_P[log p/q]."""

import math

import numpy as np

from ._dispatch import Method, Permutation, resolve_method, run_method
from ._discrete import aligned_probabilities, is_alignable
from ._estimator_options import CLASSIFIER_OPTIONS, KL_KNN_OPTIONS, MONTE_CARLO_OPTIONS
from ._validation import check_base, check_same_dim
from .classifier import classifier_applies, kl_classifier_method
from .density_estimators import kl_monte_carlo, kl_quadrature
from .knn_estimators import kl_knn_method, knn_applies
from .measures import Gaussian, Uniform, as_measure
from .results import DivergenceResult, in_base

__all__ = ["kl_divergence", "KL_METHODS"]

_NOT_ABS_CONT = "P is not absolutely continuous with respect to Q"


def _sizes(p, q):
    return (p.size, q.size)


def _exact_result(value, p, q, note=""):
    return DivergenceResult(
        value=value, divergence="kl", method="exact", sizes=_sizes(p, q), stderr=0.0, note=note
    )


def kl_histograms(p_probs, q_probs):
    """KL between two probability vectors on the same atoms, in nats.

    Uses ``0 log 0 = 0``; returns ``inf`` when some atom has ``p > 0 = q``.
    """
    support = p_probs > 0
    if np.any(q_probs[support] == 0):
        return math.inf
    ps, qs = p_probs[support], q_probs[support]
    # Clamp at 0: rounding can leave a tiny negative sum for nearly equal inputs.
    return max(0.0, float(np.sum(ps * (np.log(ps) - np.log(qs)))))


def kl_gaussians(p, q):
    """Closed-form KL(N(m0, S0) || N(m1, S1)) in nats.

    ``1/2 [tr(S1^-1 S0) + (m1-m0)^T S1^-1 (m1-m0) - d + log det S1 - log det S0]``,
    with every inverse applied through the Cholesky factor of ``S1``.
    """
    from scipy.linalg import solve_triangular

    inv_l1 = solve_triangular(q.cholesky, np.eye(q.dim), lower=True)
    trace_term = float(np.sum((inv_l1 @ p.cholesky) ** 2))
    mahalanobis = float(np.sum((inv_l1 @ (q.mean - p.mean)) ** 2))
    value = 0.5 * (trace_term + mahalanobis - p.dim + q.logdet_cov() - p.logdet_cov())
    return max(0.0, value)


def kl_uniform_gaussian(p, q):
    """Closed-form KL(Uniform box || Gaussian) in nats: cross-entropy minus entropy."""
    from scipy.linalg import solve_triangular

    centre = 0.5 * (p.low + p.high)
    inv_l = solve_triangular(q.cholesky, np.eye(q.dim), lower=True)
    precision = inv_l.T @ inv_l
    # E_U[(x-m)^T A (x-m)] = (c-m)^T A (c-m) + tr(A Cov_U), Cov_U = diag(width^2 / 12).
    offset = centre - q.mean
    quadratic = offset @ precision @ offset + np.sum(np.diag(precision) * (p.high - p.low) ** 2 / 12)
    cross_entropy = 0.5 * (q.dim * math.log(2 * math.pi) + q.logdet_cov() + quadratic)
    return max(0.0, float(cross_entropy - p.entropy()))


def _exact_applies(p, q, options):
    if is_alignable(p, q):
        return True
    kinds = {p.kind, q.kind}
    if kinds == {"histogram", "density"}:
        return True  # atoms against a continuous law: infinite either way
    pair = (type(p), type(q))
    return pair in {(Gaussian, Gaussian), (Uniform, Uniform), (Uniform, Gaussian), (Gaussian, Uniform)}


def _kl_exact(p, q):
    if p.kind == "histogram" and q.kind == "histogram":
        value = kl_histograms(*aligned_probabilities(p, q))
        return _exact_result(value, p, q, _NOT_ABS_CONT if math.isinf(value) else "")
    if p.kind == "histogram":
        return _exact_result(math.inf, p, q, _NOT_ABS_CONT + " (P has atoms, Q has a density)")
    if q.kind == "histogram":
        return _exact_result(math.inf, p, q, _NOT_ABS_CONT + " (P has a density, Q is discrete)")
    if isinstance(p, Gaussian) and isinstance(q, Gaussian):
        return _exact_result(kl_gaussians(p, q), p, q)
    if isinstance(p, Gaussian):
        return _exact_result(math.inf, p, q, _NOT_ABS_CONT + " (a Gaussian has mass outside the box)")
    if isinstance(q, Gaussian):
        return _exact_result(kl_uniform_gaussian(p, q), p, q)
    inside = np.all(p.low >= q.low) and np.all(p.high <= q.high)
    if not inside:
        return _exact_result(math.inf, p, q, _NOT_ABS_CONT + " (P's box is not inside Q's)")
    return _exact_result(math.log(q.volume / p.volume), p, q)


def _quadrature_applies(p, q, options):
    return p.kind == q.kind == "density" and p.has_ppf and q.has_ppf


KL_METHODS = (
    Method(
        "exact",
        _exact_applies,
        _kl_exact,
        "two histograms on comparable bins, two Gaussians, two uniforms, a uniform and "
        "a Gaussian, or a histogram and a density",
    ),
    Method(
        "knn",
        knn_applies,
        kl_knn_method,
        "two sample sets, or a sample set and a density (either way round)",
        options=KL_KNN_OPTIONS,
        # Any statistic gives an exact permutation test; the fixed-k one's null comes from
        # one pooled neighbour list, where the (less biased) default estimate would cost a
        # fresh estimate per permutation. A variant the call asks for is kept.
        permutation=Permutation(null="pooled neighbour lists", defaults={"variant": "fixed"}),
    ),
    Method(
        "quadrature",
        _quadrature_applies,
        kl_quadrature,
        "two 1-D densities with quantile functions",
    ),
    Method(
        "monte-carlo",
        lambda p, q, options: p.kind == q.kind == "density",
        kl_monte_carlo,
        "two densities",
        options=MONTE_CARLO_OPTIONS,
    ),
    Method(
        "classifier",
        classifier_applies,
        kl_classifier_method,
        "sample sets or densities (densities are drawn from)",
        auto=False,
        options=CLASSIFIER_OPTIONS,
        permutation=Permutation(seeded=True),  # its folds and features: one seed per test
    ),
)


def kl_divergence(p, q, /, *, method="auto", base=None, **options):
    """Kullback--Leibler divergence KL(P||Q) = E_P[log p/q].

    Parameters
    ----------
    p, q : Measure, array_like or frozen scipy.stats distribution
        The two distributions; arrays are sample sets (see :func:`as_measure`).
    method : str, optional
        ``"auto"`` (default) picks by the kinds of ``p`` and ``q``:

        * ``"exact"`` -- two histograms (bin by bin, or on the union of their
          support points), two Gaussians (closed form), two uniform boxes, a
          uniform and a Gaussian, or a histogram and a density (infinite);
        * ``"knn"`` -- two sample sets: the k-nearest-neighbour estimator of
          Wang, Kulkarni and Verdu (2009), shape-corrected by default; a
          sample set and a density: a k-NN entropy plus a Monte Carlo
          cross-entropy (or, with P the density, draws from P and a k-NN
          estimate of ``log q``), shape-corrected the same way by default;
        * ``"quadrature"`` -- two 1-D densities with quantile functions;
        * ``"monte-carlo"`` -- two densities in any dimension;
        * ``"classifier"`` (by name only) -- sample sets or densities (drawn
          from): the held-out mean over P of a trained discriminator's
          log-odds, ``log D/(1 - D) = log p/q`` at ``D = p/(p + q)``; see
          :mod:`divergences.classifier`.
    base : float, optional
        Logarithm base of the result; ``None`` (default) gives nats, ``2`` bits.
    **options
        Options of the chosen method; an option the method does not take is
        an error, never silently ignored.

        * ``"knn"``: ``k`` (default 3), ``variant`` (``"corrected"``, default
          -- each ball's mass corrected for the density's shape after a
          marginal Gaussianization, which removes most of the bias of the
          others in dimension >= 2; ``"fixed"``, the Wang--Kulkarni--Verdu
          estimator (Kozachenko--Leonenko against a density); or, two sample
          sets only, ``"adaptive"``, its bias-reduced form with per-point
          neighbour counts; see :func:`divergences.knn_estimators.kl_knn`),
          ``diagnose`` (default True; two sample sets: check that the
          estimate has converged, by its trend over nested subsamples -- where
          it has not, an ``EstimatorWarning``, ``details["reliable"] = False``
          and ``ci`` the whole range; see
          :func:`divergences.knn_estimators.subsample_trend` -- and, also with
          one side a density, that P's tail is not heavier than Q's -- where
          it is, the estimate misses P's mass beyond the reach of Q's sample
          (or, against Q's density, averages terms with no variance): the same
          warning and flag, and ``ci`` keeps only its lower end; see
          :mod:`divergences._tail_index`), ``ties`` (how exact duplicates are
          handled: ``"auto"``, default, picks by the data -- the plug-in
          estimate of the discrete law for lattice data with few distinct
          points, dithering within the rounding resolution for rounded data,
          atoms for values both samples share -- or force ``"discrete"``,
          ``"dither"`` or ``"skip"`` (neighbours at distance zero skipped);
          see :mod:`divergences._ties`; ``details["ties"]`` records what was
          done, ``"none"`` without duplicates), ``rng`` (seed of the
          dithering, default a fixed one: same data, same value; and of the
          draws when ``p`` is a density), ``workers`` (threads of the
          neighbour queries: default the library's setting,
          :func:`divergences.get_threads`; ``-1`` = all cores), and, when
          ``p`` is a density, ``n_samples`` (draws from it; default: the size
          of ``q``);
        * ``"monte-carlo"``: ``n_samples`` (default 100000) and ``rng``;
        * ``"classifier"``: ``features`` (``"quadratic"``, default,
          ``"linear"`` or ``"fourier"``), ``penalty``, ``n_features``,
          ``bandwidth``, ``folds`` (cross-fitting, default 2), ``model`` (any
          discriminator instead of the built-in logistic one), ``rng``, and
          with a density ``n_samples``.

    Returns
    -------
    DivergenceResult
        ``value`` is ``inf`` when P is not absolutely continuous with respect
        to Q, and ``note`` then says so. Estimates carry ``sizes`` and a
        ``stderr`` (for ``"knn"`` the spread of the per-point terms over
        ``sqrt(n)``: sampling noise only, not bias; for ``"quadrature"`` the
        integrator's error estimate); ``details`` records the choices made.

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> r = dv.kl_divergence(dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 1.0))
    >>> float(r), r.method
    (0.5, 'exact')
    >>> float(dv.kl_divergence(dv.Histogram([0.5, 0.5]), dv.Histogram([1.0, 0.0])))
    inf

    From samples (the true value here is 0.5):

    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0, 1, 20000), rng.normal(1, 1, 20000)
    >>> r = dv.kl_divergence(x, y)
    >>> r.method, r.sizes, abs(r.value - 0.5) < 5 * r.stderr
    ('knn', (20000, 20000), True)

    Rounded data are dithered within their resolution (KL of the rounded laws:
    0.4996), counts compared by their histograms:

    >>> r = dv.kl_divergence(np.round(x[:3000], 1), np.round(y[:3000], 1), rng=1)
    >>> ties = r.details["ties"]
    >>> ties["rule"], ties["resolution"], abs(r.value - 0.4996) < 4 * r.stderr
    ('dither', [0.1], True)
    >>> r = dv.kl_divergence(rng.poisson(4.0, 5000), rng.poisson(6.0, 5000))
    >>> r.details["ties"]["rule"], abs(r.value - 0.378) < 4 * r.stderr
    ('discrete', True)
    """
    p = as_measure(p, "p")
    q = as_measure(q, "q")
    check_same_dim(p, q)
    check_base(base)
    chosen = resolve_method(KL_METHODS, method, p, q, options, "kl_divergence")
    return in_base(run_method(chosen, p, q, options, "kl_divergence"), base)

