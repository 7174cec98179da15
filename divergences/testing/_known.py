"""Pairs of measures whose divergences are known exactly, by construction.

Each strategy returns a :class:`KnownPair`: the two measures and the values
of the divergences that the construction determines. They are oracles for
any implementation: compare its output with the known value, allowing for
the method's own error and for ``KnownPair.rounding`` (how far the
floating-point construction may move the true value from the stated one).
"""

import math

import numpy as np
from hypothesis import strategies as st

from .._constants import LOG2
from ..measures import Histogram, Samples, point_cloud
from ._strategies import (
    _sizes,
    _strategy,
    histograms,
    points,
    probability_vectors,
    samples,
    well_scaled_floats,
)

__all__ = [
    "KnownPair",
    "shifted_copies",
    "planted_permutations",
    "parallel_lines",
    "diracs",
    "dirac_and_samples",
    "disjoint_histograms",
]

_EPS = np.finfo(np.float64).eps


class KnownPair:
    """Two measures and the divergences between them that are known exactly.

    Attributes
    ----------
    p, q : Measure
        The two measures.
    description : str
        What the construction is (shown when a property fails).
    kl, js, tv : float or None
        ``KL(p||q)``, ``JS(p, q)`` (nats) and the total variation distance, or
        ``None`` where the construction does not determine them.
    rounding : float
        A bound on how far rounding in the construction (e.g. computing
        ``x + a``) may move the true W_p from :meth:`wasserstein`'s value.
    details : dict
        Construction parameters (the shift, the planted permutation, ...).

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> from divergences.testing import KnownPair
    >>> p, q = dv.Samples(np.zeros(2)), dv.Samples(np.full(2, 3.0))
    >>> pair = KnownPair(p, q, "two point masses 3 apart", wasserstein=lambda order: 3.0)
    >>> pair.wasserstein(2)
    3.0
    """

    def __init__(
        self, p, q, description, *, wasserstein=None, kl=None, js=None, tv=None,
        rounding=0.0, details=None,
    ):
        self.p = p
        self.q = q
        self.description = description
        self._wasserstein = wasserstein
        self.kl = kl
        self.js = js
        self.tv = tv
        self.rounding = float(rounding)
        self.details = dict(details or {})

    @property
    def knows_wasserstein(self):
        """True when :meth:`wasserstein` has a value."""
        return self._wasserstein is not None

    def wasserstein(self, order=1.0):
        """The exact W_p(p, q) for ``order`` p >= 1.

        Raises
        ------
        ValueError
            If the construction does not determine W_p.
        """
        if self._wasserstein is None:
            raise ValueError(f"W_p is not known for this pair ({self.description}).")
        return float(self._wasserstein(float(order)))

    def __repr__(self):
        known = []
        if self._wasserstein is not None:
            known.append(f"W_1={self.wasserstein(1.0):.17g}, W_2={self.wasserstein(2.0):.17g}")
        for name in ("kl", "js", "tv"):
            value = getattr(self, name)
            if value is not None:
                known.append(f"{name}={value!r}")
        shown = {k: v for k, v in self.details.items() if np.ndim(v) == 0}
        return (
            f"KnownPair({self.description}; {', '.join(known)}; p={self.p!r}, q={self.q!r}, "
            f"details={shown})"
        )


def _moved(measure, new_points):
    if isinstance(measure, Samples):
        return Samples(new_points, weights=None if measure.is_uniform else measure.weights)
    return Histogram(measure.probabilities, support=new_points)


@st.composite
def shifted_copies(draw, base=None, *, dim=1, shift_scale=5.0, max_size=8):
    """A point cloud and its translate by a vector ``a``: W_p = ||a|| for every p.

    Proof: the translation coupling costs ``||a||^p``; and any coupling costs at
    least ``||E[X - Y]||^p = ||a||^p`` by Jensen's inequality.

    Parameters
    ----------
    base : SearchStrategy of Samples or Histogram with support, optional
        The measure to shift; by default weighted or unweighted samples, or a
        histogram with support points, in ``dim`` dimensions.
    dim : int or SearchStrategy of int
        Dimension of the default base.
    shift_scale : float
        Coordinates of ``a`` lie in ``[-shift_scale, shift_scale]``.
    max_size : int
        Largest number of atoms of the default base.

    Returns
    -------
    SearchStrategy of KnownPair
        ``details["shift"]`` is ``a``; ``kl`` and ``js`` are known (zero) only
        when ``a = 0``. ``rounding`` bounds the effect of computing ``x + a``.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import divergences as dv
    >>> from divergences.testing import shifted_copies
    >>> @settings(max_examples=20, deadline=None)
    ... @given(shifted_copies(dim=2))
    ... def test_shift(pair):
    ...     w = float(dv.wasserstein(pair.p, pair.q, order=2))
    ...     assert abs(w - pair.wasserstein(2)) <= 1e-6 + pair.rounding
    >>> test_shift()
    """
    if base is None:
        base = st.one_of(
            samples(dim=dim, max_size=max_size), histograms(dim=dim, max_size=max_size)
        )
    p = draw(base)
    x, _ = point_cloud(p)
    shift = np.array(
        draw(st.lists(well_scaled_floats(shift_scale), min_size=x.shape[1], max_size=x.shape[1]))
    )
    y = x + shift
    norm = float(np.linalg.norm(shift))
    # |fl(x + a) - (x + a)| <= eps/2 |x + a| per coordinate, and W moves by at most
    # the largest displacement of an atom; the norm itself is good to a few ulps.
    rounding = _EPS * (float(np.linalg.norm(y, axis=1).max()) + 2.0 * norm)
    zero = norm == 0.0
    return KnownPair(
        p,
        _moved(p, y),
        "shifted copy",
        wasserstein=lambda order: norm,
        kl=0.0 if zero else None,
        js=0.0 if zero else None,
        tv=0.0 if zero else None,
        rounding=rounding,
        details={"shift": shift, "shift_norm": norm},
    )


@st.composite
def planted_permutations(
    draw, size=None, *, min_size=1, max_size=8, dim=1, spacing=1.0, weighted=False
):
    """Point clouds whose optimal coupling is a known (hidden) permutation.

    Atoms ``x_i`` of ``p`` sit on distinct points of a lattice of mesh
    ``spacing``; ``q`` has one atom ``x_i + delta_i`` per atom, with
    ``||delta_i|| <= 0.2 * spacing``, listed in a shuffled order. Matching
    ``x_i`` to its own displaced copy costs at most ``(spacing/4)^p`` per unit
    of mass, any other match at least ``(3 spacing/4)^p``, so the planted
    matching is optimal for every order p >= 1 and
    ``W_p^p = sum_i a_i ||delta_i||^p``.

    Parameters
    ----------
    size, min_size, max_size : int or SearchStrategy of int
        Number of atoms.
    dim : int or SearchStrategy of int
    spacing : float
        Lattice mesh.
    weighted : bool
        Whether the atoms carry random weights (``q``'s atoms carry their
        partners' weights); otherwise each weighs ``1/n``.

    Returns
    -------
    SearchStrategy of KnownPair
        ``details["permutation"][i]`` is the index in ``q`` of the partner of
        atom ``i`` of ``p``.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import divergences as dv
    >>> from divergences.testing import planted_permutations
    >>> @settings(max_examples=20, deadline=None)
    ... @given(planted_permutations(dim=2))
    ... def test_planted(pair):
    ...     w = float(dv.wasserstein(pair.p, pair.q, method="exact"))
    ...     assert abs(w - pair.wasserstein(1)) <= 1e-8 + pair.rounding
    >>> test_planted()
    """
    n = draw(_sizes(size, min_size, max_size))
    d = draw(_strategy(dim))
    reach = max(2, n)
    lattice = draw(
        st.lists(
            st.tuples(*[st.integers(-reach, reach)] * d), min_size=n, max_size=n, unique=True
        )
    )
    x = spacing * np.array(lattice, dtype=np.float64).reshape(n, d)
    # Each coordinate within 0.2 spacing / sqrt(d) keeps ||delta|| <= 0.2 spacing < spacing / 4.
    bound = 0.2 * spacing / math.sqrt(d)
    delta = np.array(
        draw(st.lists(well_scaled_floats(bound), min_size=n * d, max_size=n * d))
    ).reshape(n, d)
    moved = x + delta
    permutation = np.array(draw(st.permutations(range(n))), dtype=np.intp)
    y = np.empty_like(moved)
    y[permutation] = moved
    weights = draw(probability_vectors(n)) if weighted else np.full(n, 1.0 / n)
    q_weights = np.empty_like(weights)
    q_weights[permutation] = weights
    # The displacement the measures really have, after rounding x + delta.
    lengths = np.linalg.norm(moved - x, axis=1)

    def w_p(order):
        return float(np.sum(weights * lengths**order)) ** (1.0 / order)

    if weighted:
        p, q = Samples(x, weights=weights), Samples(y, weights=q_weights)
    else:
        p, q = Samples(x), Samples(y)
    return KnownPair(
        p,
        q,
        "planted permutation",
        wasserstein=w_p,
        # Summing n terms and taking a root: a few ulps per term of the scale.
        rounding=4.0 * n * _EPS * (spacing + float(lengths.max())),
        details={"permutation": permutation, "displacements": delta},
    )


@st.composite
def parallel_lines(draw, theta=None, *, size=None, min_size=1, max_size=8, kind=None):
    """The parallel-lines example, discretised: P on ``{0} x Z``, Q on ``{theta} x Z``.

    Both laws put equal masses on the same heights ``z_1, ..., z_n`` in
    ``[0, 1]``, so for every theta: ``W_p = |theta|`` for all p (the horizontal
    gap is paid by any coupling and by the straight one exactly); and, for
    ``theta != 0``, ``JS = log 2``, ``KL = inf``, ``TV = 1`` (disjoint
    supports), all zero at ``theta = 0``.

    Parameters
    ----------
    theta : float or SearchStrategy of float, optional
        The offset; by default well-scaled floats in ``[-5, 5]`` (shrinking to 0).
    size, min_size, max_size : int or SearchStrategy of int
        Number of heights.
    kind : {"samples", "histogram"}, optional
        The measure type; by default either.

    Returns
    -------
    SearchStrategy of KnownPair
        ``details["theta"]`` is theta.

    Examples
    --------
    >>> import math
    >>> from hypothesis import given, settings
    >>> import divergences as dv
    >>> from divergences.testing import parallel_lines
    >>> @settings(max_examples=20, deadline=None)
    ... @given(parallel_lines(kind="histogram"))
    ... def test_js(pair):
    ...     assert math.isclose(float(dv.js_divergence(pair.p, pair.q)), pair.js, abs_tol=1e-12)
    >>> test_js()
    """
    angle = float(draw(well_scaled_floats(5.0) if theta is None else _strategy(theta)))
    n = draw(_sizes(size, min_size, max_size))
    unit = well_scaled_floats(1.0, min_value=0.0)
    heights = np.array(draw(st.lists(unit, min_size=n, max_size=n)))
    left = np.column_stack([np.zeros(n), heights])
    right = np.column_stack([np.full(n, angle), heights])
    chosen = draw(st.sampled_from(("samples", "histogram"))) if kind is None else kind
    if chosen == "samples":
        p, q = Samples(left), Samples(right)
    elif chosen == "histogram":
        mass = np.full(n, 1.0 / n)
        p, q = Histogram(mass, support=left), Histogram(mass, support=right)
    else:
        raise ValueError(f"kind must be 'samples' or 'histogram', got {chosen!r}.")
    apart = angle != 0.0
    gap = abs(angle)
    return KnownPair(
        p,
        q,
        f"parallel lines, theta={angle!r}",
        # sqrt(fl(theta^2)) == |theta| in IEEE arithmetic: the distances are exact.
        wasserstein=lambda order: gap,
        kl=math.inf if apart else 0.0,
        js=LOG2 if apart else 0.0,
        tv=1.0 if apart else 0.0,
        details={"theta": angle},
    )


@st.composite
def diracs(draw, dim=1, *, scale=10.0):
    """Two point masses ``delta_x`` and ``delta_y``: W_p = ||x - y|| for every p.

    ``y = x`` is drawn often, and then every divergence is zero; otherwise
    ``KL = inf``, ``JS = log 2`` and ``TV = 1``.

    Returns
    -------
    SearchStrategy of KnownPair
        Both measures are one-bin histograms with a support point.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import divergences as dv
    >>> from divergences.testing import diracs
    >>> @settings(max_examples=20, deadline=None)
    ... @given(diracs(dim=3))
    ... def test_diracs(pair):
    ...     w = float(dv.wasserstein(pair.p, pair.q))
    ...     assert abs(w - pair.wasserstein(1)) <= 1e-9 * (1 + w) + pair.rounding
    >>> test_diracs()
    """
    x = draw(points(1, dim=dim, scale=scale))
    y = x if draw(st.booleans()) else draw(points(1, dim=x.shape[1], scale=scale))
    distance = float(np.linalg.norm(x[0] - y[0]))
    same = distance == 0.0
    return KnownPair(
        Histogram([1.0], support=x),
        Histogram([1.0], support=y),
        "two Dirac masses",
        wasserstein=lambda order: distance,
        kl=0.0 if same else math.inf,
        js=0.0 if same else LOG2,
        tv=0.0 if same else 1.0,
        rounding=2.0 * _EPS * distance,
        details={"x": x[0], "y": y[0]},
    )


@st.composite
def dirac_and_samples(draw, dim=1, *, scale=10.0, max_size=8):
    """A point mass ``delta_x`` against a sample set: W_p^p = sum_j w_j ||x - y_j||^p.

    The only coupling of a Dirac mass with any measure sends all of it
    everywhere, so the value is a plain weighted mean.

    Returns
    -------
    SearchStrategy of KnownPair

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> import divergences as dv
    >>> from divergences.testing import dirac_and_samples
    >>> @settings(max_examples=20, deadline=None)
    ... @given(dirac_and_samples(dim=2))
    ... def test_dirac(pair):
    ...     w = float(dv.wasserstein(pair.p, pair.q, order=2))
    ...     assert abs(w - pair.wasserstein(2)) <= 1e-8 * (1 + w) + pair.rounding
    >>> test_dirac()
    """
    x = draw(points(1, dim=dim, scale=scale))
    q = draw(samples(dim=x.shape[1], scale=scale, max_size=max_size))
    distances = np.linalg.norm(q.points - x[0], axis=1)
    weights = np.asarray(q.weights)

    def w_p(order):
        return float(np.sum(weights * distances**order)) ** (1.0 / order)

    return KnownPair(
        Histogram([1.0], support=x),
        q,
        "a Dirac mass against samples",
        wasserstein=w_p,
        rounding=4.0 * q.size * _EPS * (float(distances.max()) + 1.0),
        details={"x": x[0]},
    )


@st.composite
def disjoint_histograms(draw, size=None, *, min_size=2, max_size=8):
    """Two histograms on the same abstract bins with disjoint supports.

    Every bin carries mass under at most one of them: they are mutually
    singular, so ``KL = inf``, ``JS = log 2`` and ``TV = 1``.

    Returns
    -------
    SearchStrategy of KnownPair

    Examples
    --------
    >>> import math
    >>> from hypothesis import given, settings
    >>> import divergences as dv
    >>> from divergences.testing import disjoint_histograms
    >>> @settings(max_examples=20, deadline=None)
    ... @given(disjoint_histograms())
    ... def test_singular(pair):
    ...     assert math.isinf(float(dv.kl_divergence(pair.p, pair.q)))
    >>> test_singular()
    """
    n = draw(_sizes(size, max(2, min_size), max_size))
    # 0: bin belongs to p, 1: to q, 2: to neither; the first two bins seed both.
    owner = np.array([0, 1] + draw(st.lists(st.integers(0, 2), min_size=n - 2, max_size=n - 2)))
    owner = owner[np.array(draw(st.permutations(range(n))), dtype=np.intp)]
    masses = draw(probability_vectors(n, allow_zeros=False))
    p_mass = np.where(owner == 0, masses, 0.0)
    q_mass = np.where(owner == 1, masses, 0.0)
    return KnownPair(
        Histogram(p_mass),
        Histogram(q_mass),
        "histograms with disjoint supports",
        kl=math.inf,
        js=LOG2,
        tv=1.0,
        details={"owner": owner},
    )
