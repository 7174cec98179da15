"""Permutation two-sample tests: is the divergence between two sample sets real?

Under the null hypothesis P = Q the two sets are exchangeable: any split of
the pooled sample into sets of the original sizes is as likely as the
observed one. The test recomputes the divergence on ``n_permutations``
random splits and reports where the observed value falls among them,

    p = (1 + #{null >= observed}) / (1 + n_permutations),

which is a valid p-value (P(p <= alpha) <= alpha under the null) and never 0
(Phipson and Smyth 2010, "Permutation p-values should never be zero").

A permutation only relabels the pooled points, so what does not depend on
the labels is computed once:

* **energy distance and MMD** (uniform weights): the statistic is a function
  of ``s^T K s`` and ``s^T K 1`` for the indicator ``s`` of the first set and
  the pooled kernel matrix ``K``. The rows of ``K`` are computed block by
  block (never the whole N x N matrix) and multiplied by the matrix of all
  the permutations' indicators at once (BLAS), so 1,000 permutations cost
  one pass of kernel evaluations and one N x N x 1,000 matrix product;
* **sliced Wasserstein** (uniform weights): the projections of the pooled
  points on the (fixed) directions are sorted once; a permutation's two
  sorted projections are read off the pooled order by their labels, with no
  new sort;
* **k-NN KL and JS** (KL's fixed-k estimate, uniform weights): each pooled
  point's nearest pooled neighbours are listed once; a split finds every
  point's k-th neighbour in its own set and in the other (KL), or its own
  k-th neighbour and the other set's points within a rescaled radius (JS),
  by walking that list and counting labels (a split whose lists run out is
  recomputed);
* everything else (exact and entropic OT, classifier estimates, weighted
  samples) is recomputed from scratch for every permutation: exact
  OT has nothing that survives a relabelling (the optimal plan of one split
  says nothing about another's), so its test costs ``n_permutations``
  solves -- pick ``kind="energy_distance"`` or ``method="sliced"`` for a
  cheaper one.

Which of these a statistic allows is declared on its method
(:class:`divergences._dispatch.Permutation`: the pooled structure, whether it
draws random numbers, options the test sets or holds fixed), so the test reads
the method it runs, never the divergence's name; a divergence added with no
declaration is tested by recomputing.
"""

from dataclasses import dataclass, field

import math

import numpy as np

from ._constants import LOG2
from ._standardize import check_standardize, standardized_points
from ._threads import run_kernel
from ._validation import as_rng, check_positive_int, check_same_dim
from .exceptions import MethodError
from .measures import Samples, as_measure
from .registry import divergence_info

__all__ = ["two_sample_test", "TwoSampleTestResult"]

# The permutations' indicator matrix (N x B float64) is built in batches of at
# most this many bytes.
_INDICATOR_BYTES = 256 * 2**20
# Kernel rows are computed in blocks of at most this many bytes.
_BLOCK_BYTES = 64 * 2**20


@dataclass(frozen=True, kw_only=True)
class TwoSampleTestResult:
    """The outcome of :func:`two_sample_test`; ``float(result)`` is the p-value.

    Attributes
    ----------
    statistic : DivergenceResult
        The divergence between the two sets as given (the full result).
    pvalue : float
        ``(1 + #{null >= observed}) / (1 + n_permutations)``; values within
        rounding of the observed one (relative ``1e-12``) count as ``>=``.
    n_permutations : int
        The number of random splits of the pooled sample.
    null : ndarray, shape (n_permutations,)
        The test statistic on each split (read-only): the divergence's
        estimate before any clipping to its range. JS and MMD estimates fall
        below 0 by chance when P = Q, and their results report 0 there; the
        test ranks the unclipped values (as signed roots for ``js_distance``
        and ``mmd(squared=False)``, in the statistic's units) instead, since a
        null full of tied zeros would make it conservative -- for the
        classifier's JS, which is clipped on almost every split when P = Q,
        p = 1 always. So null values may be negative.
    kind : str
        The divergence, by its registry name.
    method : str
        How the null was computed: ``"pooled kernel sums"``, ``"pooled sorted
        projections"``, ``"pooled neighbour lists"`` (k-NN KL), ``"pooled
        neighbour counts"`` (k-NN JS) or ``"recomputed"`` (a fresh estimate per
        split).
    details : dict
        ``observed`` (the test statistic of the split as given, as the null
        computes it: ``statistic.value`` up to rounding where no clipping
        took place), ``standardize`` and method-specific facts.
    """

    statistic: object
    pvalue: float
    n_permutations: int
    null: np.ndarray = field(repr=False, compare=False)
    kind: str
    method: str
    details: dict = field(default_factory=dict, compare=False, repr=False)

    def __float__(self):
        return self.pvalue

    def __repr__(self):
        s = self.statistic
        rule = self.details.get("standardize", {}).get("rule", "none")
        standardized = "" if rule == "none" else f", standardize={rule!r}"
        return (
            f"{type(self).__name__}({self.kind}: statistic={s.value:.6g} {s.unit} "
            f"({s.method}), pvalue={self.pvalue:.4g}, n_permutations={self.n_permutations}, "
            f"null={self.method!r}{standardized})"
        )


def _sample_set(value, name):
    measure = as_measure(value, name)
    if measure.kind != "samples":
        raise MethodError(
            f"two_sample_test permutes the pooled sample points, so {name} must be a sample "
            f"set, got {measure!r}; draw samples from a density with .sample(n, rng=...)."
        )
    return measure


def _pooled(p, q):
    """The pooled points and per-point weights (1 for an unweighted set)."""
    points = np.concatenate([p.points, q.points])
    weights = np.concatenate([p.weights * p.size, q.weights * q.size])
    return points, weights


def _standardized(p, q, rule):
    """Both sets transformed by :func:`~divergences._standardize.standardized_points`."""
    points, record = standardized_points(np.concatenate([p.points, q.points]), rule)
    n = p.size
    sets = tuple(
        Samples(part, weights=None if s.is_uniform else s.weights)
        for part, s in ((points[:n], p), (points[n:], q))
    )
    return sets, record


def _permutations(rng, total, count):
    return [rng.permutation(total) for _ in range(count)]


def two_sample_test(x, y, /, *, kind="energy_distance", n_permutations=999, rng=None,
                    standardize="whiten", **options):
    """A permutation test of P = Q, with any divergence computable from samples as statistic.

    Parameters
    ----------
    x, y : array_like or Samples
        The two sample sets, of shapes ``(n, d)`` and ``(m, d)`` (or ``(n,)``
        in 1-D), optionally weighted (:class:`~divergences.Samples`;
        weights travel with their points).
    kind : str, optional
        The statistic, by the names of :func:`divergences.divergence`:
        ``"energy_distance"`` (default: no tuning parameter, and the fast
        path), ``"mmd"``, ``"wasserstein"`` (any sample method: ``"exact"``,
        ``"sinkhorn"``, ``"sliced"``), ``"sinkhorn"``, ``"kl"``, ``"js"``,
        ``"js_distance"`` (k-NN or ``method="classifier"``).
    n_permutations : int, optional
        Random splits of the pooled sample (default 999: p-values in steps of
        0.001).
    rng : None, int or numpy.random.Generator
        Seed of the permutations (and of the statistic's own random numbers:
        sliced directions, classifier folds, drawn once and held fixed across
        the permutations). The same seed gives the same p-value.
    standardize : {"whiten", "scale", "none"} or bool, optional
        How both sets are put on the pooled sample's scale before the
        statistic is computed (:mod:`divergences._standardize`). The pooled
        sample does not depend on the split, so the test stays exact whatever
        the choice.

        * ``"whiten"`` (default): every coordinate scaled by its pooled
          standard deviation, then decorrelated by the inverse square root of
          the pooled correlation matrix (its Ledoit--Wolf shrinkage estimate,
          well conditioned in any dimension). The test is then unchanged by
          any affine change of the data's units, and sees a change that
          breaks a correlation between features -- one feature moved while
          the features that track it are not -- as clearly as a change along
          a feature.
        * ``"scale"`` (or ``True``): every coordinate centred and divided by
          its pooled standard deviation only.
        * ``"none"`` (or ``False``): the sets as given; then the statistic is
          the divergence of the data themselves, and coordinates of larger
          units weigh more in a distance-based statistic.

        The statistic is the divergence between the transformed sets;
        ``details["standardize"]`` records the rule (and the shrinkage
        weight).
    **options
        Options of the divergence (``method=``, ``bandwidth=``, ``k=``,
        ``eps=``, ...). For ``"mmd"`` without ``bandwidth`` the median
        heuristic of the pooled sample is computed once and used for every
        split. For k-NN KL the statistic is the fixed-k estimate
        (``variant="fixed"``) unless another variant is given: the test is exact
        for any statistic, and that one's null is read off one pooled
        neighbour list.

    Returns
    -------
    TwoSampleTestResult
        ``statistic`` (the divergence result), ``pvalue``, ``null``,
        ``n_permutations``, ``kind`` and ``method`` (what was reused).

    Raises
    ------
    ValueError
        For ``n_permutations < 1``.
    InvalidMeasureError
        For an empty sample set, NaN or infinite values, or sets of different
        dimensions.
    MethodError
        For an unknown kind, a density instead of samples, or a method that
        does not apply to samples (``method="gaussian"``).

    Notes
    -----
    The cost per permutation: energy distance and MMD, one N x N matrix
    product column (N = n + m) after one pass over the pooled kernel matrix;
    sliced W, a linear scan per direction; k-NN KL and JS, a walk of about
    ``k N / min(n, m)`` listed neighbours per point; every other statistic, a fresh
    estimate -- exact OT, in particular, reuses nothing, and its test costs
    ``n_permutations`` exact solves.

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(200, 3)), rng.normal(size=(150, 3))
    >>> same = dv.two_sample_test(x, y, n_permutations=199, rng=1)
    >>> same.kind, same.method, same.pvalue > 0.05
    ('energy_distance', 'pooled kernel sums', True)
    >>> shifted = dv.two_sample_test(x, y + [1.0, 0.0, 0.0], n_permutations=199, rng=1)
    >>> shifted.pvalue  # no split of the pooled sample is as far apart: 1 / 200
    0.005
    """
    n_permutations = check_positive_int(n_permutations, "n_permutations")
    p, q = _sample_set(x, "x"), _sample_set(y, "y")
    check_same_dim(p, q)
    (p, q), standardization = _standardized(p, q, check_standardize(standardize))
    info = divergence_info(kind)
    function = info.function
    rng = as_rng(rng)
    # What the method allows is declared on it (divergences._dispatch.Permutation).
    requested = options.get("method", "auto")
    named = _method_named(info, requested)
    if named is not None and named.permutation.seeded:
        # rng= is the test's own keyword, so the statistic's seed always comes from it.
        options["rng"] = int(rng.integers(2**63))
    planned = _auto_pick(info, p, q, options) if requested == "auto" else named
    for option, value in planned.permutation.defaults if planned is not None else ():
        options.setdefault(option, value)
    statistic = function(p, q, **options)
    ran = _method_named(info, statistic.method)
    for option in ran.permutation.held_fixed if ran is not None else ():
        if option in statistic.details:
            options[option] = statistic.details[option]
    permutations = _permutations(rng, p.size + q.size, n_permutations)
    null, observed, how, details = _null(ran, statistic, p, q, permutations, function, options)
    # Ties within rounding count as >=, as scipy.stats.permutation_test does.
    tolerance = 1e-12 * max(abs(observed), details.pop("scale", 0.0))
    pvalue = (1.0 + np.count_nonzero(null >= observed - tolerance)) / (1.0 + n_permutations)
    null.setflags(write=False)
    details["observed"] = observed
    details["standardize"] = standardization
    return TwoSampleTestResult(
        statistic=statistic,
        pvalue=float(pvalue),
        n_permutations=n_permutations,
        null=null,
        kind=kind,
        method=how,
        details=details,
    )


def _method_named(info, name):
    """The method of ``info``'s table called ``name``, or None."""
    return next((m for m in info.methods if m.name == name), None)


def _auto_pick(info, p, q, options):
    """The method ``method="auto"`` takes for these sets: the first that applies (or None)."""
    own = {key: value for key, value in options.items()
           if key != "method" and key not in info.options}
    return next((m for m in info.methods if m.auto and m.applies(p, q, own)), None)


def _null(method, statistic, p, q, permutations, function, options):
    """The null distribution: read off the pooled structure ``method`` declares, or recomputed."""
    shortcut = method.permutation.null if method is not None else None
    if shortcut is not None and p.is_uniform and q.is_uniform:
        applies, compute = _SHORTCUTS[shortcut]
        if applies(statistic, options):
            return compute(statistic, p, q, permutations, function, options)
    return _recomputed_null(statistic, p, q, permutations, function, options)


def _signed_root(values):
    return np.sign(values) * np.sqrt(np.abs(values))


def _ranked(result, options):
    """The value a test ranks: ``result``'s estimate before clipping to its range.

    A JS estimate below 0 is reported as 0 and an MMD^2 below 0 gives MMD 0;
    both record the unclipped estimate (``details["unclipped"]`` in nats,
    ``details["mmd2"]``). A root is taken with its sign, so the value is in
    the statistic's own units and equals it wherever nothing was clipped.
    """
    details = result.details
    if result.divergence in ("js", "js_distance") and "unclipped" in details:
        base = options.get("base")
        value = details["unclipped"] / (1.0 if base is None else math.log(base))
        return float(_signed_root(value)) if result.divergence == "js_distance" else value
    if result.divergence == "mmd" and "mmd2" in details and result.unit.startswith("sqrt"):
        return float(_signed_root(details["mmd2"]))
    return result.value


def _recomputed_null(statistic, p, q, permutations, function, options):
    points, weights = _pooled(p, q)
    n = p.size
    null = np.empty(len(permutations))
    for b, perm in enumerate(permutations):
        first, second = perm[:n], perm[n:]
        null[b] = _ranked(function(
            _split(points, weights, first, p.is_uniform and q.is_uniform),
            _split(points, weights, second, p.is_uniform and q.is_uniform),
            **options,
        ), options)
    return null, _ranked(statistic, options), "recomputed", {}


def _split_labels(permutations, total, n, observed=False):
    """``labels[b, i]``: pooled point ``i`` is in the first set of split ``b``.

    With ``observed``, row 0 is the split as given (the first ``n`` points), so
    that the observed statistic is computed exactly like the null's.
    """
    offset = int(observed)
    labels = np.zeros((len(permutations) + offset, total), dtype=np.bool_)
    if observed:
        labels[0, :n] = True
    for b, perm in enumerate(permutations, start=offset):
        labels[b, perm[:n]] = True
    return labels


def _split(points, weights, index, uniform):
    return Samples(points[index], weights=None if uniform else weights[index])


# --------------------------------------------------------------------------- kernel statistics


def _kernel_null(statistic, p, q, permutations, function, options):
    """The energy distance or MMD on every split, from the pooled kernel matrix's sums."""
    from .kernel_distances import _inverse_scale, _kernel_at_zero, _kernel_code

    kernel = statistic.details["kernel"]
    bandwidth = statistic.details.get("bandwidth")
    unbiased = statistic.details["unbiased"]
    points = np.concatenate([p.points, q.points])
    total, n, m = points.shape[0], p.size, q.size
    code, inv = _kernel_code(kernel), _inverse_scale(kernel, bandwidth)

    labels = _split_labels(permutations, total, n, observed=True)

    quadratic, row_sums = _pooled_sums(points, labels, code, inv)
    linear = labels.astype(np.float64) @ row_sums  # s^T K 1
    grand = float(row_sums.sum())
    values = _kernel_statistic(quadratic, linear, grand, n, m, _kernel_at_zero(kernel), unbiased)
    if statistic.unit.startswith("sqrt"):
        values = _signed_root(values)  # the ranked value: see _ranked
    # Rounding of sums of N^2 kernel values is relative to their mean size, not to the
    # (much smaller) statistic: the tie tolerance is scaled by it.
    scale = abs(grand) / (total * total)
    details = {"scale": scale, "kernel": kernel}
    return values[1:], float(values[0]), "pooled kernel sums", details


def _pooled_sums(points, labels, code, inv):
    """``s^T K s`` for every row ``s`` of ``labels``, and the row sums ``K 1``.

    ``K`` is symmetric, so only its upper block triangle is computed: row
    block ``I`` against the columns from ``I`` on, whose off-diagonal part
    counts twice. Memory: one block of rows (``_BLOCK_BYTES``) and one batch
    of the indicator matrix (``_INDICATOR_BYTES``), never the N x N matrix.
    """
    from ._kernels import kernel_sums

    total = points.shape[0]
    transposed = np.ascontiguousarray(points.T)
    quadratic = np.zeros(labels.shape[0])
    row_sums = np.zeros(total)
    batch = max(1, _INDICATOR_BYTES // (8 * total))
    block = max(1, _BLOCK_BYTES // (8 * total))
    buffer = np.empty(min(block, total) * total)
    for c0 in range(0, labels.shape[0], batch):
        indicators = np.ascontiguousarray(labels[c0:c0 + batch].T, dtype=np.float64)
        for r0 in range(0, total, block):
            r1 = min(r0 + block, total)
            height = r1 - r0
            k = buffer[: height * (total - r0)].reshape(height, total - r0)
            run_kernel(kernel_sums.gram_rows_transposed, kernel_sums.gram_rows_transposed_serial,
                       k.size, kernel_sums.SERIAL_BELOW, points[r0:r1], transposed, r0, code,
                       inv, k)
            if c0 == 0:
                row_sums[r0:r1] += k.sum(axis=1)
                row_sums[r1:] += k[:, height:].sum(axis=0)
            mine = indicators[r0:r1]
            both = k @ indicators[r0:]  # the diagonal block and the blocks to its right
            diagonal = k[:, :height] @ mine
            quadratic[c0:c0 + batch] += np.einsum("ib,ib->b", mine, 2.0 * both - diagonal)
    return quadratic, row_sums


def _kernel_statistic(quadratic, linear, grand, n, m, k0, unbiased):
    """MMD^2 from ``Q = s^T K s``, ``L = s^T K 1`` and ``T = 1^T K 1``.

    Within the first set the sum is Q, across the sets L - Q, within the
    second T - 2L + Q; the U-statistic drops the diagonals (``k0`` each).
    """
    within_x, across, within_y = quadratic, linear - quadratic, grand - 2.0 * linear + quadratic
    if unbiased:
        kxx = (within_x - n * k0) / (n * (n - 1))
        kyy = (within_y - m * k0) / (m * (m - 1))
    else:
        kxx, kyy = within_x / (n * n), within_y / (m * m)
    return (kxx + kyy) - 2.0 * across / (n * m)


# --------------------------------------------------------------------------- sliced W


def _sliced_null(statistic, p, q, permutations, function, options):
    """Sliced W_p on every split, from the pooled projections sorted once."""
    from ._kernels import sliced_permutations as kernels
    from .ot.sliced import _DEFAULT_PROJECTIONS, _as_directions, random_directions

    order = float(options.get("order", 1.0))
    dim = p.dim
    if options.get("directions") is not None:
        directions = _as_directions(options["directions"], dim)
    else:
        count = options.get("n_projections", _DEFAULT_PROJECTIONS)
        directions = random_directions(count, dim, as_rng(options.get("rng")))
    points = np.concatenate([p.points, q.points])
    projections = directions @ points.T  # (L, N)
    order_index = np.argsort(projections, axis=1, kind="stable")
    sorted_projections = np.take_along_axis(projections, order_index, axis=1)
    n = p.size
    labels = _split_labels(permutations, points.shape[0], n, observed=True)
    costs = run_kernel(kernels.permuted_sliced_costs, kernels.permuted_sliced_costs_serial,
                       labels.size * directions.shape[0], kernels.SERIAL_BELOW,
                       sorted_projections, order_index, labels, n, order)
    values = np.maximum(costs, 0.0) ** (1.0 / order)
    details = {"n_projections": directions.shape[0]}
    return values[1:], float(values[0]), "pooled sorted projections", details


# --------------------------------------------------------------------------- k-NN KL


def _pooled_neighbour_list(points, k, n, m):
    """Each pooled point's nearest pooled points, ascending (see :func:`_knn_kl_null`)."""
    from scipy.spatial import cKDTree

    total = points.shape[0]
    duplicates = total - np.unique(points, axis=0).shape[0]
    width = min(total, 4 * k * -(-total // min(n, m)) + 20 + duplicates)
    distances, indices = cKDTree(points).query(points, width)
    distances = np.ascontiguousarray(distances.reshape(total, width))
    indices = np.ascontiguousarray(indices.reshape(total, width)).astype(np.intp)
    # A missing neighbour (width > N - 1) has index N and distance inf: end of the list.
    return distances, indices


def _varying_dim(points):
    """The number of coordinates not constant over the pooled points: the estimators' ``d``.

    The k-NN estimators drop coordinates that hold one value across both sets
    (:func:`divergences._ties.drop_constant`), and the pooled null must use the
    same ``d`` as the statistic it stands for.
    """
    varying = int(np.count_nonzero(np.ptp(points, axis=0) > 0))
    return varying if varying else points.shape[1]


def _recompute_incomplete(null, complete, permutations, points, n, function, options):
    for b in np.flatnonzero(~complete):
        perm = permutations[b]
        null[b] = _ranked(function(Samples(points[perm[:n]]), Samples(points[perm[n:]]),
                                   **options), options)
    return int((~complete).sum())


def _knn_kl_null(statistic, p, q, permutations, function, options):
    """The fixed-k k-NN KL on every split, from one pooled neighbour list.

    Each point's nearest pooled neighbours are listed once (scipy's cKDTree),
    long enough that a random split almost always finds both k-th neighbours
    in it: about ``k N / min(n, m)`` entries are needed on average, and the
    list is four times that plus 20 (plus room for duplicates at distance 0).
    A split for which some point's list runs out is recomputed from scratch,
    so the null is exact either way.
    """
    from ._kernels import knn_permutations as kernels

    k = statistic.details["k"]
    points = np.concatenate([p.points, q.points])
    total, n, m = points.shape[0], p.size, q.size
    distances, indices = _pooled_neighbour_list(points, k, n, m)
    labels = _split_labels(permutations, total, n)
    sums, complete = run_kernel(kernels.permuted_knn_log_ratios,
                                kernels.permuted_knn_log_ratios_serial,
                                labels.size * distances.shape[1], kernels.SERIAL_BELOW,
                                distances, indices, labels, k)
    null = _varying_dim(points) / n * sums + np.log(m / (n - 1))
    recomputed = _recompute_incomplete(null, complete, permutations, points, n, function, options)
    details = {"k": k, "neighbour_list": distances.shape[1], "recomputed": recomputed}
    return null, statistic.value, "pooled neighbour lists", details


# --------------------------------------------------------------------------- k-NN JS


def _knn_js_null(statistic, p, q, permutations, function, options):
    """The pooled k-NN JS (or its root) on every split, from one pooled neighbour list.

    The estimate of :func:`divergences.knn_estimators.js_knn` needs, at each
    point, its k-th nearest point of its own set and a count of the other
    set's points within a rescaled radius: both are read off the pooled list
    by labels, as for :func:`_knn_kl_null` (a split whose list ends inside
    some point's ball is recomputed). The observed split is computed the same
    way, so that it and the null are one function of the labels.
    """
    from scipy.special import digamma

    from ._kernels import knn_permutations as kernels

    k = statistic.details["k"]
    points = np.concatenate([p.points, q.points])
    total, n, m = points.shape[0], p.size, q.size
    distances, indices = _pooled_neighbour_list(points, k, n, m)
    dim = _varying_dim(points)
    stretch = np.array([((n - 1) / m) ** (1.0 / dim), ((m - 1) / n) ** (1.0 / dim)])
    table = LOG2 + digamma(k) - digamma(k + np.arange(distances.shape[1] + 1))
    labels = _split_labels(permutations, total, n, observed=True)
    # A labelling walks about as many list entries per point as the KL walk does.
    sums, complete = run_kernel(kernels.permuted_knn_js_sums, kernels.permuted_knn_js_sums_serial,
                                labels.size * distances.shape[1], kernels.SERIAL_BELOW,
                                distances, indices, labels, k, stretch, table)
    # Unclipped, in the statistic's units, as _ranked gives the recomputed value.
    values = 0.5 * (sums[:, 0] / n + sums[:, 1] / m)
    base = options.get("base")
    if base is not None:
        values = values / math.log(base)
    if statistic.divergence == "js_distance":
        values = _signed_root(values)
    recomputed = _recompute_incomplete(values, complete, [np.arange(total)] + permutations,
                                       points, n, function, options)
    details = {"k": k, "neighbour_list": distances.shape[1], "recomputed": recomputed}
    return values[1:], float(values[0]), "pooled neighbour counts", details


def _untied(statistic, options):
    # The pooled lists follow the zero-distance rule: with duplicates, only where the
    # statistic did too (ties="skip"); the default tie rules recompute.
    return statistic.details.get("ties") == "none" or options.get("ties") == "skip"


def _neighbour_lists_apply(statistic, options):
    return _untied(statistic, options) and statistic.details.get("variant") == "fixed"


#: The pooled structures a method may declare (``Permutation.null``):
#: ``name -> (applies(statistic, options), null(statistic, p, q, permutations, function, options))``.
_SHORTCUTS = {
    "pooled kernel sums": (lambda statistic, options: True, _kernel_null),
    "pooled sorted projections": (lambda statistic, options: True, _sliced_null),
    "pooled neighbour lists": (_neighbour_lists_apply, _knn_kl_null),
    "pooled neighbour counts": (_untied, _knn_js_null),
}
