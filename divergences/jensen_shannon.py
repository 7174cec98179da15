"""The Jensen--Shannon divergence and distance.

JS(P, Q) = 1/2 KL(P||M) + 1/2 KL(Q||M) with M = (P + Q)/2. It is symmetric,
always finite, 0 <= JS <= log 2, and its square root is a metric.
"""

import dataclasses
import math

import numpy as np

from ._constants import LOG2
from ._dispatch import Method, Permutation, resolve_method, run_method
from ._discrete import aligned_probabilities, is_alignable
from ._estimator_options import CLASSIFIER_OPTIONS, JS_KNN_OPTIONS, MONTE_CARLO_OPTIONS
from ._validation import check_base, check_same_dim
from .classifier import classifier_applies, js_classifier_method
from .density_estimators import js_monte_carlo, js_quadrature
from .knn_estimators import js_knn_method, knn_applies
from .measures import Uniform, as_measure
from .results import DivergenceResult, in_base

__all__ = ["js_divergence", "js_distance", "JS_METHODS"]


def js_histograms(p_probs, q_probs):
    """JS between two probability vectors on the same atoms, in nats.

    Each half is summed where its own measure is positive, so ``0 log 0 = 0``
    needs no special case; the result is clipped to ``[0, log 2]``, which
    only ever removes rounding. Mutually singular vectors (no atom charged by
    both) get ``log 2`` exactly, rather than ``log 2 * sum(p)`` rounded.
    """
    if not np.any((p_probs > 0) & (q_probs > 0)):
        return LOG2
    mixture = 0.5 * (p_probs + q_probs)
    total = 0.0
    for probs in (p_probs, q_probs):
        support = probs > 0
        total += 0.5 * float(np.sum(probs[support] * np.log(probs[support] / mixture[support])))
    return min(max(total, 0.0), LOG2)


def js_uniforms(p, q):
    """Closed-form JS between two uniform boxes.

    Where only one box has mass, its half contributes ``log 2`` per unit of
    mass; on the overlap, of volume V, each density ``a`` meets the other's
    ``b`` and contributes ``log(2a/(a+b))``.
    """
    overlap = float(np.prod(np.clip(np.minimum(p.high, q.high) - np.maximum(p.low, q.low), 0, None)))
    a, b = 1.0 / p.volume, 1.0 / q.volume
    total = 0.0
    for own, other, volume in ((a, b, p.volume), (b, a, q.volume)):
        shared = overlap / volume
        total += 0.5 * ((1.0 - shared) * LOG2 + shared * math.log(2 * own / (own + other)))
    return min(max(total, 0.0), LOG2)


def _exact_applies(p, q, options):
    if is_alignable(p, q):
        return True
    if {p.kind, q.kind} == {"histogram", "density"}:
        return True
    return isinstance(p, Uniform) and isinstance(q, Uniform)


def _js_exact(p, q):
    note = ""
    if p.kind == "histogram" and q.kind == "histogram":
        value = js_histograms(*aligned_probabilities(p, q))
    elif p.kind == "histogram" or q.kind == "histogram":
        value, note = LOG2, "P and Q are mutually singular (atoms against a density)"
    else:
        value = js_uniforms(p, q)
    return DivergenceResult(
        value=value, divergence="js", method="exact", sizes=(p.size, q.size), stderr=0.0, note=note
    )


JS_METHODS = (
    Method(
        "exact",
        _exact_applies,
        _js_exact,
        "two histograms on comparable bins, two uniform boxes, or a histogram and a density",
    ),
    Method(
        "knn",
        knn_applies,
        js_knn_method,
        "two sample sets, or a sample set and a density (either way round)",
        options=JS_KNN_OPTIONS,
        permutation=Permutation(null="pooled neighbour counts"),
    ),
    Method(
        "quadrature",
        lambda p, q, options: p.kind == q.kind == "density" and p.has_ppf and q.has_ppf,
        js_quadrature,
        "two 1-D densities with quantile functions",
    ),
    Method(
        "monte-carlo",
        lambda p, q, options: p.kind == q.kind == "density",
        js_monte_carlo,
        "two densities",
        options=MONTE_CARLO_OPTIONS,
    ),
    Method(
        "classifier",
        classifier_applies,
        js_classifier_method,
        "sample sets or densities (densities are drawn from)",
        auto=False,
        options=CLASSIFIER_OPTIONS,
        permutation=Permutation(seeded=True),  # its folds and features: one seed per test
    ),
)


def js_divergence(p, q, /, *, method="auto", base=None, **options):
    """Jensen--Shannon divergence JS(P, Q) = 1/2 KL(P||M) + 1/2 KL(Q||M), M = (P+Q)/2.

    Parameters
    ----------
    p, q : Measure, array_like or frozen scipy.stats distribution
        The two distributions; arrays are sample sets (see :func:`as_measure`).
    method : str, optional
        ``"auto"`` (default) picks by the kinds of ``p`` and ``q``:

        * ``"exact"`` -- two histograms, two uniform boxes, or a histogram and
          a density (mutually singular: ``log 2``);
        * ``"knn"`` -- two sample sets: the pooled-sample k-nearest-neighbour
          estimate (see :func:`divergences.knn_estimators.js_knn`); a sample
          set and a density: the same after drawing from the density;
        * ``"quadrature"`` -- two 1-D densities with quantile functions
          (adaptive quadrature, accurate to about 1e-10);
        * ``"monte-carlo"`` -- two densities in any dimension;
        * ``"classifier"`` (by name only) -- sample sets or densities (drawn
          from): ``(V(D) + log 4)/2`` with ``V`` the held-out value of the GAN
          game for a trained discriminator ``D``; see
          :mod:`divergences.classifier`.
    base : float, optional
        Logarithm base; ``None`` (default) gives nats (bound ``log 2``), ``2``
        gives bits (bound 1).
    **options
        Options of the chosen method; unknown ones are an error.

        * ``"knn"``: ``k`` (default 3), ``ties`` and ``rng`` (the tie rule
          and the seed of its dithering, as for
          :func:`divergences.kl_divergence`: a sample set against itself
          gives 0), ``diagnose`` (default True: where one sample's tail --
          or the density's, read off its draws -- is heavier than the
          other's, the estimate is biased
          low -- an ``EstimatorWarning``, ``details["reliable"] = False`` and
          ``ci`` keeps only its lower end; see :mod:`divergences._tail_index`),
          ``workers``, and with a density ``n_samples`` (default: the sample
          set's size);
        * ``"monte-carlo"``: ``n_samples`` (draws from each density, default
          100000) and ``rng``;
        * ``"classifier"``: as for :func:`divergences.kl_divergence`.

    Returns
    -------
    DivergenceResult
        Always finite, in ``[0, log 2]`` nats: estimates (``"knn"``,
        ``"monte-carlo"``, ``"classifier"``) are clipped to that range, as the divergence itself
        is; ``details["unclipped"]`` keeps the raw estimate. Estimates carry
        ``sizes`` and a ``stderr`` (sampling noise only, not bias); for
        ``"knn"`` (two sample sets, or a sample set and a density) ``ci`` is
        widened by the bias bound measured on the calibration grid
        (``details["bias_bound"]``, see :mod:`divergences._bias_bounds`).

    Examples
    --------
    >>> import divergences as dv
    >>> p, q = dv.Histogram([1.0, 0.0]), dv.Histogram([0.0, 1.0])
    >>> float(dv.js_divergence(p, q, base=2))
    1.0
    >>> r = dv.js_divergence(dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 1.0))
    >>> r.method, round(r.value, 6)
    ('quadrature', 0.111421)
    """
    p = as_measure(p, "p")
    q = as_measure(q, "q")
    check_same_dim(p, q)
    check_base(base)
    chosen = resolve_method(JS_METHODS, method, p, q, options, "js_divergence")
    return in_base(run_method(chosen, p, q, options, "js_divergence"), base)


def js_distance(p, q, /, **options):
    """Jensen--Shannon distance, the square root of :func:`js_divergence`.

    Takes the same arguments as :func:`js_divergence`. The distance is a metric
    (it satisfies the triangle inequality); it matches
    :func:`scipy.spatial.distance.jensenshannon` for histograms.

    Examples
    --------
    >>> import divergences as dv
    >>> p, q = dv.Histogram([1.0, 0.0]), dv.Histogram([0.5, 0.5])
    >>> round(float(dv.js_distance(p, q)), 6)
    0.464501
    """
    result = js_divergence(p, q, **options)
    value = math.sqrt(result.value)
    stderr = result.stderr
    if stderr:
        # Delta method: d sqrt(x) = dx / (2 sqrt(x)); undefined at 0, where we report None.
        stderr = stderr / (2 * value) if value > 0 else None
    return dataclasses.replace(result, value=value, stderr=stderr, divergence="js_distance")
