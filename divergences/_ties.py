"""Ties in sample sets: how the k-NN estimators handle repeated values.

Continuous laws never repeat a value, so exact duplicates in a sample set
(within one sample or across the two) mean one of three things, and each
gets its own rule. :func:`plan_ties` finds the duplicates and picks:

``"discrete"``
    Every coordinate that varies takes values on a lattice (integer counts,
    codes of categories, heavily rounded data) and the pooled sample has few
    distinct points: at most ``min(n, m) / DISCRETE_MIN_COUNT``. The laws
    are then estimated by their empirical histograms on the union of the
    observed points and the divergence computed between those (the plug-in
    estimate of the discrete law's divergence, :func:`plug_in_kl` and
    :func:`plug_in_js`).
``"dither"``
    Some coordinates lie on a lattice (rounded data) but there are too many
    distinct points for the plug-in. Each lattice coordinate ``j`` of both
    samples gets independent noise uniform on ``[-h_j/2, h_j/2]``, where
    ``h_j``, the *resolution*, is the lattice's step (the spacing of the
    distinct values of the pooled sample), and the k-NN estimators run on
    the dithered samples. The noise is drawn from ``rng``.
``"copies"``
    The duplicated values lie on no lattice: the same continuous draws
    appear more than once (a sample compared with itself, a train/test
    split that leaks). The values both samples hold are atoms of both laws
    (below); the other points are estimated by k-NN among themselves, where
    neighbours at distance zero are skipped, as in :mod:`divergences.neighbors`.

Why dithering is exact, not an approximation. If a coordinate's values are
``h``-separated and each is spread uniformly over its own cell of width
``h``, the cells do not overlap, so the map from a (value, noise) pair to
the dithered value is one-to-one and the noise has the same law under P
and Q. KL and JS, like every f-divergence, are unchanged by such a map: the
dithered laws have *exactly* the divergence of the lattice-valued laws the
data came from. For finely rounded continuous data that is the continuous
divergence up to the rounding's own effect (O(h^2): N(0,1) against N(1,1)
rounded to 0.1 has KL 0.49958 instead of 0.5); for discrete data it is the
discrete divergence. The two rules thus aim at the same number; the plug-in
is preferred where it is the more accurate, i.e. where every distinct point
is seen often (its bias is about ``(K - 1)/(2 min(n, m))`` for ``K`` points).

Copies as atoms. A value ``v`` seen ``c_p`` times in P's sample and ``c_q``
times in Q's is an atom of masses ``p = c_p/n`` and ``q = c_q/m``; the laws
are atoms plus continuous rests, and KL and JS split into the atoms' plug-in
sum and the rests' k-NN estimate (weighted by the rests' masses; see
:func:`divergences.knn_estimators.kl_knn_with_atoms` and
:func:`~divergences.knn_estimators.js_knn_with_atoms`). A sample set against
itself, in any order, therefore gives 0 exactly (with the plug-in's
second-order spread as its standard error), where the pooled k-NN JS, each
point meeting its own copy as a neighbour from the other sample, gave 0.11;
and a set that shares half its points with the other is no longer read as
different (JS +0.026 before, +0.0004 after, 10 seeds, n = 2000). Where the
unshared points are too few for ``k`` neighbours the zero-distance rule is
kept on all points, and ``details["ties"]["atoms"]`` says so.

Mixed coordinates. The rule looks at each coordinate: where whole points
repeat, each coordinate that repeats values on a lattice is dithered and
the others are left as they are; the plug-in needs every coordinate on a
lattice. Where no whole point repeats nothing is done (unless
``ties="dither"`` is forced), although a category beside a continuous
measurement puts the points on a few hyperplanes, which k-NN reads as data
of full dimension (KL 0.48 for a truth of 0.23 on one Bernoulli coordinate
beside a Gaussian one; dithering the category gives 0.229 +- 0.025, but
moves JS of the parallel lines from log 2 exactly to 0.681, through the
cells' common edge): stratifying by the discrete coordinates is the
treatment such data need, and is not built yet.

What is recorded: ``details["ties"]`` is ``"none"`` when no point repeats
(the estimators then run exactly as without this module), else a dict
with the ``rule``, ``n_tied`` (points sharing their value with another
point of either sample), ``n_distinct`` (distinct points), ``across``
(points with a copy in the other sample), ``identical`` (the two sets are
one multiset) and, by rule, ``resolution`` (the dither width per
coordinate, ``None`` where not dithered), ``uncovered`` (values of P's
sample that Q's lacks, which sent KL from the plug-in to dithering) and
``atoms`` (where copies could not be split off). The plug-in adds
``details["estimator"]``, ``"uncorrected"`` and ``"bias_correction"``.
The dithering's seed is ``rng`` (see :func:`dither_generator`).
Coordinates that hold one value in both sample sets are removed first
(:func:`drop_constant`) and listed in ``details["constant_coordinates"]``.
"""

import math
import warnings

import numpy as np

from ._constants import LOG2
from .exceptions import EstimatorWarning

__all__ = [
    "DISCRETE_MIN_COUNT",
    "TIE_RULES",
    "DITHER_SALT",
    "dither_generator",
    "drop_constant",
    "find_ties",
    "lattice_step",
    "plan_ties",
    "dither",
    "plug_in_kl",
    "plug_in_js",
    "atom_js_terms",
]

#: The plug-in (``"discrete"``) rule needs at least this many points of the
#: smaller sample per distinct point. Measured over 20 seeds (Poisson(4) vs
#: Poisson(6), Binomial(20, .3) vs (20, .4), N(0,1) vs N(1,1) rounded to 0.1
#: and 0.5, Poisson(50) vs Poisson(55); n = m = 500 and 2000) the plug-in has
#: the smaller RMSE down to about 25 points per distinct value and breaks even
#: with dithering near 10; at 20 its bias before correction, about
#: (K - 1)/(2 min(n, m)), is at most 0.025 nats (the correction removes most of it:
#: 20 seeds of Poisson(4) vs Poisson(6) at n = m = 2000, bias -0.005 for KL, -0.002
#: for JS, against stderrs of 0.029 and 0.006).
DISCRETE_MIN_COUNT = 20

#: ``"auto"``: detect and choose as described above; ``"discrete"``,
#: ``"dither"``: force that rule where ties exist (``"dither"`` dithers every
#: coordinate that repeats values, at its smallest spacing); ``"skip"``: only
#: skip neighbours at distance zero, the rule of :mod:`divergences.neighbors`.
TIE_RULES = ("auto", "discrete", "dither", "skip")

#: Salt of the dithering's seed. Without ``rng`` the noise comes from this seed
#: alone, so the same data give the same estimate; an integer ``rng`` is mixed with
#: it. Never a plain ``default_rng(seed)``: data drawn from ``default_rng(0)`` and
#: dithered with the same stream get noise that is a function of the data (the
#: binomial draws and the noise consume the same uniforms), which was measured to
#: turn KL 0.43 into 5.7.
DITHER_SALT = 0x7D1E_5EED_0F_71E5


def dither_generator(rng):
    """The generator of the dithering noise: see :data:`DITHER_SALT`.

    ``rng``: ``None`` (a fixed seed), an integer (mixed with the salt) or a
    :class:`numpy.random.Generator` (used as it is: its stream has moved on).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng(np.random.SeedSequence(DITHER_SALT))
    from ._validation import as_rng

    if isinstance(rng, np.random.SeedSequence):
        return as_rng(rng)
    as_rng(rng)  # the same checks and error as everywhere else
    return np.random.default_rng(np.random.SeedSequence([int(rng), DITHER_SALT]))

# A lattice coordinate's values sit within this fraction of a step of the lattice
# (rounded decimals are off by a few ulps; continuous values are off by a uniform
# fraction, so a chance fit of K values has probability about (2e-6)^(K - 2)).
_LATTICE_TOLERANCE = 1e-6
# Steps tried: the smallest gap divided by 1, 2, ..., this.
_LATTICE_DIVISORS = 8
# At most this many steps across a coordinate's range: beyond about 2^53 / 1e-6 every
# float would sit on some lattice, and a chance fit must stay improbable.
_LATTICE_MAX_STEPS = 10**7


def _group(points):
    """Group equal rows: ``(inverse, n_groups)`` with ``inverse`` the group of each row.

    One lexicographic sort, O(N log N); ``-0.0`` and ``0.0`` are one value.
    """
    n = points.shape[0]
    z = points + 0.0  # -0.0 + 0.0 == +0.0: equal values compare equal below
    if z.shape[1] == 1:
        order = np.argsort(z[:, 0], kind="stable")
    else:
        order = np.lexsort(z.T[::-1])
    sorted_rows = z[order]
    new = np.ones(n, dtype=bool)
    new[1:] = np.any(sorted_rows[1:] != sorted_rows[:-1], axis=1)
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return inverse, int(np.count_nonzero(new))


def find_ties(x, y):
    """Exact duplicates within and across two sample sets, in O(N log N).

    Returns
    -------
    dict or None
        ``None`` when all ``n + m`` points are distinct; else ``n_tied``
        (points sharing their value with another point of either set),
        ``n_distinct``, ``across`` (points of either set with an exact copy
        in the other), ``identical`` (the two are the same multiset),
        ``counts`` (``(c_x, c_y)``, each distinct point's count in each set)
        and ``inverse`` (each pooled row's distinct point).

    Examples
    --------
    >>> import numpy as np
    >>> t = find_ties(np.array([[0.0], [1.0], [1.0]]), np.array([[2.0], [0.0]]))
    >>> t["n_tied"], t["n_distinct"], t["across"], t["identical"]
    (4, 3, 2, False)
    >>> find_ties(np.array([[0.0]]), np.array([[1.0]])) is None
    True
    """
    n = x.shape[0]
    pooled = np.vstack([x, y])
    # Rows can repeat only where their first coordinates do: one float sort tells
    # the common case (continuous data, no repeats) without grouping rows.
    first = np.sort(pooled[:, 0])
    if not np.any(first[1:] == first[:-1]):
        return None
    inverse, n_distinct = _group(pooled)
    if n_distinct == inverse.shape[0]:
        return None
    c_x = np.bincount(inverse[:n], minlength=n_distinct)
    c_y = np.bincount(inverse[n:], minlength=n_distinct)
    total = c_x + c_y
    shared = (c_x > 0) & (c_y > 0)
    return {
        "n_tied": int(np.sum(total[total > 1])),
        "n_distinct": n_distinct,
        "across": int(np.sum(total[shared])),
        "identical": bool(np.array_equal(c_x, c_y)),
        "counts": (c_x, c_y),
        "inverse": inverse,
    }


def lattice_step(values):
    """The step ``h`` of the lattice ``a + h Z`` that holds ``values``, or ``None``.

    ``values``: the sorted distinct values of one coordinate (at least two).
    The step is the span divided by the number of smallest gaps (or of their
    halves, thirds, ... eighths) that fit in it, which averages out the
    rounding of decimal steps such as 0.1; the values must then lie within
    ``1e-6`` steps of the lattice, and the range hold at most ``10**7`` steps.

    Examples
    --------
    >>> import numpy as np
    >>> round(lattice_step(np.round(np.array([-0.3, 0.1, 0.2, 1.5]), 1)), 12)
    0.1
    >>> lattice_step(np.array([0.0, 1.0, 2.5]))
    0.5
    >>> lattice_step(np.array([0.0, 0.3, 1.0 + 1e-3])) is None
    True
    """
    span = float(values[-1] - values[0])
    smallest = float(np.min(np.diff(values)))
    for parts in range(1, _LATTICE_DIVISORS + 1):
        # The step may divide the smallest gap (values 0, 1, 2.5 lie on 0.5 Z).
        steps = round(span * parts / smallest)
        if steps > _LATTICE_MAX_STEPS:
            return None
        step = span / steps
        offsets = (values - values[0]) / step
        if np.max(np.abs(offsets - np.round(offsets))) <= _LATTICE_TOLERANCE:
            return step
    return None


def drop_constant(x, y):
    """Remove the coordinates that hold one value across both sample sets.

    Both laws are then degenerate in that coordinate, at the same point: KL
    and JS are those of the other coordinates, exactly. The k-NN estimators
    must not count it, since their ``d`` multiplies every log-ratio of
    distances (the 10 to 16 blank pixels of scikit-learn's 64-pixel digits
    inflate the estimate by 64/48 to 64/54). Nothing is dropped when every
    coordinate is constant (the two sets are then one point mass, which
    the tie rules give 0).

    Returns
    -------
    x, y, dropped : the reduced arrays (the same objects when nothing is
        dropped) and the dropped coordinates' indices.

    Examples
    --------
    >>> import numpy as np
    >>> x, y, dropped = drop_constant(np.array([[1.0, 2.0], [1.0, 3.0]]), np.array([[1.0, 0.0]]))
    >>> x.tolist(), y.tolist(), dropped
    ([[2.0], [3.0]], [[0.0]], [0])
    """
    first = x[0]
    constant = np.all(x == first, axis=0) & np.all(y == first, axis=0)
    if not constant.any() or constant.all():
        return x, y, []
    keep = ~constant
    return (np.ascontiguousarray(x[:, keep]), np.ascontiguousarray(y[:, keep]),
            [int(j) for j in np.flatnonzero(constant)])


def _coordinate_steps(z, rule):
    """Per coordinate: ``(repeats, constant, step)``, the step ``None`` off a lattice.

    One sort per coordinate. ``rule="dither"`` (forced) takes the smallest
    spacing of every coordinate that repeats values as its step. Otherwise
    the first coordinate that never repeats ends the search (``None``): no
    whole point can repeat, and nothing is done.
    """
    out = []
    for j in range(z.shape[1]):
        values = np.sort(z[:, j])
        same = values[1:] == values[:-1]
        if not same.any():
            if rule != "dither":
                return None
            out.append((False, False, None))
            continue
        distinct = values[np.concatenate([[True], ~same])]
        if distinct.shape[0] == 1:
            out.append((True, True, None))
        elif rule == "dither":
            out.append((True, False, float(np.min(np.diff(distinct)))))
        else:
            out.append((True, False, lattice_step(distinct)))
    return out


def _no_joint_ties(n_points):
    return {"n_tied": 0, "n_distinct": n_points, "across": 0, "identical": False}


def plan_ties(x, y, rule="auto", *, cover=False):
    """Find the ties of two sample sets and choose their rule.

    Ties are looked for per coordinate (one sort each, and none of the
    grouping of whole points where some coordinate never repeats): where
    whole points repeat, a lattice coordinate that repeats values (a count,
    a rounded measurement) is dithered, coordinates off any lattice are
    left as they are, and with none on a lattice the repeats are copies. ``cover``: the plug-in needs every value
    of ``x`` to appear in ``y`` (KL; a value Q's sample lacks would make it
    infinite). Where ``"auto"`` finds discrete data that fail this, it
    dithers instead and records ``uncovered`` (see :func:`missing_note`).

    Returns
    -------
    dict or None
        ``None`` when no whole point repeats (continuous data: nothing
        changes), unless ``rule="dither"`` forces dithering of the lattice
        coordinates that repeat values. Else the record of :func:`find_ties` (joint
        duplicates) plus ``rule`` (``"discrete"``, ``"dither"``,
        ``"copies"`` or ``"skip"``) and ``resolution``: per coordinate, the
        dither width (``None`` where the coordinate is not dithered).
    """
    z = np.vstack([x, y])
    coordinates = _coordinate_steps(z, rule)
    if coordinates is None or not any(repeats for repeats, _, _ in coordinates):
        return None
    # Whole points can repeat only where every coordinate does.
    ties = find_ties(x, y) if all(repeats for repeats, _, _ in coordinates) else None
    steps = [step for _, _, step in coordinates]
    varying = [(repeats, step) for repeats, constant, step in coordinates if not constant]
    lattice = any(step is not None for _, step in varying)
    if ties is None:
        if rule != "dither" or not lattice:
            # No whole point repeats. A lattice coordinate beside continuous ones
            # (a category, the offset of parallel lines) is left to the k-NN
            # estimate, which sees data on a few hyperplanes: dithering it would
            # be exact in the target but biased at the cells' common edges (JS of
            # the parallel lines, log 2 exactly today, fell to 0.681).
            return None
        ties = _no_joint_ties(z.shape[0])
        ties.update(rule="dither", resolution=steps)
        return ties
    few = ties["n_distinct"] * DISCRETE_MIN_COUNT <= min(x.shape[0], y.shape[0])
    if rule in ("discrete", "skip", "dither"):
        chosen = rule
    elif all(repeats and step is not None for repeats, step in varying) and few:
        chosen = "discrete"
        if cover and q_missing(ties)[0]:
            # The k-NN estimate on dithered data interpolates q between the values
            # its sample shows, where the plug-in would have to invent mass.
            chosen, ties["uncovered"] = "dither", True
    elif lattice:
        chosen = "dither"
    else:
        chosen = "copies"
    if chosen == "dither" and not lattice:
        chosen = "copies"  # nothing to dither: every coordinate is constant
    ties["rule"] = chosen
    ties["resolution"] = steps if chosen == "dither" else None
    return ties


def dither(x, y, resolution, rng):
    """Add to each coordinate ``j`` of ``x`` and ``y`` noise uniform on ``±resolution[j]/2``.

    ``resolution[j] is None`` leaves coordinate ``j`` as it is. The noise of
    ``x`` is drawn first, then that of ``y``, from ``rng``.
    """
    width = np.array([0.0 if h is None else h for h in resolution])
    columns = width > 0
    out = []
    for points in (x, y):
        noise = rng.uniform(-0.5, 0.5, size=(points.shape[0], int(columns.sum())))
        moved = np.array(points, dtype=np.float64, copy=True)
        moved[:, columns] += noise * width[columns]
        out.append(np.ascontiguousarray(moved))
    return out[0], out[1]


def public_record(ties):
    """What ``details["ties"]`` shows: the record without its arrays."""
    record = {key: ties[key] for key in ("rule", "n_tied", "n_distinct", "across", "identical")}
    if ties.get("uncovered"):
        record["uncovered"] = q_missing(ties)[0]
    if ties.get("resolution") is not None:
        record["resolution"] = list(ties["resolution"])
    if ties.get("atoms") is not None:
        record["atoms"] = ties["atoms"]
    return record


def _frequencies(ties, n, m):
    c_x, c_y = ties["counts"]
    return c_x / n, c_y / m


def q_missing(ties):
    """``(values, mass)``: values seen in P's sample but not in Q's, and their share of P's."""
    c_x, c_y = ties["counts"]
    missing = (c_x > 0) & (c_y == 0)
    return int(missing.sum()), float(c_x[missing].sum()) / float(c_x.sum())


def missing_note(ties, remedy):
    """The note for values of P's sample that Q's sample never shows."""
    values, mass = q_missing(ties)
    return (
        f"q's sample has no point at {values} of the values p's holds ({mass:.2%} of p's "
        f"sample); {remedy}; if q has no mass there, KL is infinite"
    )


def plug_in_kl(ties, n, m):
    """Bias-corrected plug-in KL between the empirical histograms of two discrete samples.

    ``KL = sum_v p_v log(p_v / q_v)`` over the observed points ``v``, with
    ``p_v = c_p(v)/n`` and ``q_v = c_q(v)/m``, less its second-order bias
    (the delta method to second order, as Miller's 1955 correction of the
    entropy): with ``K`` values seen in P's sample,

        bias = (K - 1)/(2n) + (sum_v p_v/q_v - 1)/(2m),

    evaluated at the estimates; the corrected value is clipped at 0 (KL is
    never negative). Where Q's sample has no point at a value P's has, every
    count of Q is raised by one half (Krichevsky--Trofimov) before
    normalising, with an :class:`~divergences.exceptions.EstimatorWarning`
    and a note: the plain plug-in would be infinite although a law Q with
    some mass there is as likely. (``ties="auto"`` dithers such data
    instead, see the module's docstring.)

    The standard error adds, in quadrature, the delta method (the influence
    function of KL: ``log(p/q)`` at a point of P, ``-p/q`` at a point of Q,
    so ``Var_P(log p/q)/n + Var_Q(p/q)/m``) and the second-order term that
    dominates when P = Q, where the first vanishes: there the uncorrected
    estimate is about ``(1/n + 1/m) chi2_{K-1} / 2``, of standard deviation
    ``(1/n + 1/m) sqrt((K - 1)/2)``.

    Returns
    -------
    value, stderr, details, note
    """
    c_x, c_y = ties["counts"]
    n_values = c_x.shape[0]
    note = ""
    if q_missing(ties)[0]:
        note = missing_note(ties, "the plug-in gives q half a count at every value "
                                  "(Krichevsky-Trofimov)")
        warnings.warn(note, EstimatorWarning, stacklevel=5)
    p = c_x / n
    q = (c_y + 0.5) / (m + 0.5 * n_values) if note else c_y / m
    seen = c_x > 0
    log_ratio = np.log(p[seen]) - np.log(q[seen])
    raw = float(np.sum(p[seen] * log_ratio))
    ratio = p[seen] / q[seen]
    bias = (np.count_nonzero(seen) - 1) / (2.0 * n) + (float(np.sum(ratio)) - 1.0) / (2.0 * m)
    var_p = float(np.sum(p[seen] * log_ratio**2)) - raw**2
    weights = c_y[seen] / m
    var_q = float(np.sum(weights * ratio**2)) - float(np.sum(weights * ratio)) ** 2
    second = (1.0 / n + 1.0 / m) ** 2 * (np.count_nonzero(seen) - 1) / 2.0
    stderr = math.sqrt(max(var_p, 0.0) / n + max(var_q, 0.0) / m + second)
    details = {"uncorrected": raw, "bias_correction": -bias}
    return max(raw - bias, 0.0), stderr, details, note


def plug_in_js(ties, n, m):
    """Bias-corrected plug-in JS between the empirical histograms of two discrete samples.

    The plug-in value less its second-order bias (the delta method to
    second order, as for :func:`plug_in_kl`),

        bias = 1/4 sum_v [q_v (1 - p_v) / (n (p_v + q_v)) + p_v (1 - q_v) / (m (p_v + q_v))],

    about ``(K - 1)(1/n + 1/m)/8`` when P = Q, clipped to ``[0, log 2]``. The
    standard error adds, in quadrature, the delta method (JS's influence
    function, ``1/2 log(2p/(p + q))`` at a point of P and likewise for Q)
    and the second-order term of P = Q, where the uncorrected estimate is
    about ``(1/n + 1/m) chi2_{K-1} / 8`` (standard deviation
    ``(1/n + 1/m) sqrt(2 (K - 1)) / 8``).

    Returns
    -------
    value, stderr, details
    """
    p, q = _frequencies(ties, n, m)
    mixture = p + q
    halves, variance = [], 0.0
    for own, size in ((p, n), (q, m)):
        seen = own > 0
        # log(2 own / (p + q)) at the values own's sample holds; at most log 2.
        terms = LOG2 + np.log(own[seen]) - np.log(mixture[seen])
        mean = float(np.sum(own[seen] * terms))
        halves.append(mean)
        variance += 0.25 * max(float(np.sum(own[seen] * terms**2)) - mean**2, 0.0) / size
    raw = 0.5 * (halves[0] + halves[1])
    bias = 0.25 * float(np.sum((q * (1 - p) / n + p * (1 - q) / m) / mixture))
    n_values = p.shape[0]
    variance += ((1.0 / n + 1.0 / m) * math.sqrt(2.0 * (n_values - 1)) / 8.0) ** 2
    details = {"uncorrected": raw, "bias_correction": -bias}
    return min(max(raw - bias, 0.0), LOG2), math.sqrt(variance), details


def atom_js_terms(ties, n, m):
    """Per-point JS terms for points with an exact copy in the other sample.

    Returns ``(terms_x, terms_y)``: ``log(2 p/(p + q))`` (resp. with ``q``
    and ``p`` swapped) at each point of ``x`` (of ``y``) whose value the
    other sample also holds, ``nan`` elsewhere; ``p = c_p/n``, ``q = c_q/m``.
    """
    c_x, c_y = ties["counts"]
    p, q = c_x / n, c_y / m
    shared = (c_x > 0) & (c_y > 0)
    inverse = ties["inverse"]
    out = []
    for own, rows in ((p, inverse[:n]), (q, inverse[n:])):
        terms = np.full(rows.shape[0], np.nan)
        hit = shared[rows]
        value = own[rows[hit]]
        terms[hit] = LOG2 + np.log(value) - np.log(p[rows[hit]] + q[rows[hit]])
        out.append(terms)
    return out[0], out[1]
