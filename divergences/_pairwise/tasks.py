"""The work of a pairwise matrix, cut into tasks: shared by the thread and dask backends.

Everything here runs where the work runs -- a thread of this process or a
dask worker process -- so it imports only the library itself, and every
function is a plain module-level function that pickles by reference.

A *tile* is a block of the matrix: some row indices, some column indices and
the pairs among them still to compute. Tiles rather than runs of pairs,
because a b-by-b tile does b^2 pairs with 2b measures: on a cluster, the data
a task needs grows as the square root of the work it does.
"""

import math
import time
from dataclasses import dataclass

import numpy as np

#: Tasks in flight per worker thread, and at least this many per thread in a plan
#: when the matrix is small: load balance wins over per-task overhead.
TASKS_PER_SLOT = 4

__all__ = ["Tile", "pair_rng", "pair_seed", "seed_root", "compute_pair", "compute_tile",
           "plan_tiles", "block_side", "name_pair"]


@dataclass(frozen=True)
class Tile:
    """A block of the matrix: every ``(i, j)`` with ``i`` in ``rows`` and ``j`` in ``cols``,
    only ``j > i`` when ``upper`` (a diagonal block of a symmetric matrix), less ``skip``
    (pairs known to be 0, or computed already)."""

    rows: tuple
    cols: tuple
    upper: bool = False
    skip: frozenset = frozenset()

    def pairs(self):
        for i in self.rows:
            for j in self.cols:
                if (self.upper and j <= i) or (i, j) in self.skip:
                    continue
                yield i, j

    def __len__(self):
        return sum(1 for _ in self.pairs())


# --------------------------------------------------------------------------- seeds


def seed_root(rng):
    """Turn ``rng=`` into ``(entropy, spawn_key)`` from which every pair's stream derives.

    An int seed or a :class:`numpy.random.SeedSequence` is used as is; a
    Generator is advanced by one draw of four 64-bit words, which become the
    entropy (so the same Generator state gives the same matrix).
    """
    import numbers

    if rng is None:
        return None
    if isinstance(rng, np.random.SeedSequence):
        return (rng.entropy, tuple(rng.spawn_key))
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng must be a non-negative integer seed, got {rng}.")
        return (int(rng), ())
    if isinstance(rng, np.random.Generator):
        words = rng.integers(0, 2**64, size=4, dtype=np.uint64)
        return ([int(w) for w in words], ())
    raise TypeError(
        "rng must be None, an integer seed, a numpy.random.SeedSequence or a "
        f"numpy.random.Generator, got {type(rng).__name__}."
    )


def pair_seed(root, i, j):
    """The seed of pair ``(i, j)``: a child of the root keyed by the pair's indices.

    ``SeedSequence(entropy, spawn_key=key + (i, j))`` is what ``spawn`` would
    give, addressed directly, so no state is shared between pairs: a pair's
    stream depends on the root and on ``(i, j)`` only, never on the order in
    which pairs run, on the tiling, nor on how many sets there are.
    """
    entropy, key = root
    return np.random.SeedSequence(entropy, spawn_key=(*key, int(i), int(j)))


def pair_rng(rng, i, j):
    """The random Generator that :func:`divergences.pairwise` gives pair ``(i, j)`` for ``rng=rng``.

    Use it to reproduce one entry of a matrix by a single call.

    Parameters
    ----------
    rng : int or numpy.random.SeedSequence
        The matrix's seed. (A Generator passed to :func:`divergences.pairwise` is advanced
        to make the root, so it cannot be replayed here.)
    i, j : int
        The pair's row and column indices.

    Examples
    --------
    >>> import divergences as dv
        >>> sets = [dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 2.0)]
    >>> r = dv.pairwise(sets, kind="kl", method="monte-carlo", n_samples=1000, rng=7)
    >>> one = dv.kl_divergence(sets[1], sets[0], method="monte-carlo", n_samples=1000,
    ...                        rng=dv.pair_rng(7, 1, 0))
    >>> bool(r.values[1, 0] == one.value)
    True
    """
    if isinstance(rng, np.random.Generator):
        raise TypeError("pair_rng needs the matrix's int seed or SeedSequence, not a Generator.")
    return np.random.default_rng(pair_seed(seed_root(rng), i, j))


# --------------------------------------------------------------------------- one pair


def compute_pair(kind, options, root, p, q, i, j, test=False):
    """The divergence ``kind`` between ``p`` and ``q``, as pair ``(i, j)`` of a matrix.

    ``rng`` (when the matrix has a root seed) is the pair's own Generator.
    With ``test``, the pair is :func:`divergences.two_sample_test` with that
    divergence as its statistic (``options`` then include ``n_permutations``).
    The pair runs inside ``threads(1)``: the matrix is parallel across pairs
    instead, and nesting both would oversubscribe the cores. (A ``workers=``
    in ``options`` is the caller's explicit choice for the method and wins.)
    """
    from .. import registry
    from .._threads import threads

    options = dict(options)
    if test:
        from ..two_sample import two_sample_test

        function, options["kind"] = two_sample_test, kind
    else:
        function = registry.divergence_function(kind)
    if root is not None:
        options["rng"] = np.random.default_rng(pair_seed(root, i, j))
    with threads(1):
        return function(p, q, **options)


def compute_tile(kind, options, root, tile, row_measures, col_measures, test=False):
    """Every pair of ``tile``; ``row_measures[a]`` is measure ``tile.rows[a]``.

    Returns a dict of compact arrays -- ``i``, ``j``, ``value``, ``stderr``
    (NaN where unknown), ``converged``, ``code`` (into ``methods``), and with
    ``test`` the two-sample test's ``pvalue`` (NaN otherwise) -- with
    ``units``, and ``seconds``, the time spent computing, so that the caller
    can tell work from overhead. Arrays rather than result objects: a matrix
    of 10^4 sets has 5 * 10^7 pairs.
    """
    start = time.perf_counter()
    row_at = dict(zip(tile.rows, row_measures))
    col_at = dict(zip(tile.cols, col_measures))
    pairs = list(tile.pairs())
    values = np.empty(len(pairs))
    stderrs = np.empty(len(pairs))
    converged = np.empty(len(pairs), dtype=bool)
    codes = np.empty(len(pairs), dtype=np.int8)
    pvalues = np.full(len(pairs), math.nan)
    methods, units = {}, set()
    for index, (i, j) in enumerate(pairs):
        try:
            result = compute_pair(kind, options, root, row_at[i], col_at[j], i, j, test)
        except Exception as exc:
            exc.pair = (i, j)  # read by the caller to name the pair's labels
            raise
        if test:
            pvalues[index] = result.pvalue
            result = result.statistic
        values[index] = result.value
        stderrs[index] = math.nan if result.stderr is None else result.stderr
        converged[index] = result.converged
        codes[index] = methods.setdefault(result.method, len(methods))
        units.add(result.unit)
    return {
        "i": np.array([i for i, _ in pairs], dtype=np.int64),
        "j": np.array([j for _, j in pairs], dtype=np.int64),
        "value": values,
        "stderr": stderrs,
        "converged": converged,
        "code": codes,
        "pvalue": pvalues,
        "methods": tuple(methods),
        "units": tuple(units),
        "seconds": time.perf_counter() - start,
    }


# --------------------------------------------------------------------------- the plan


def block_side(pairs_per_task):
    """The side ``b`` of a square tile of about ``pairs_per_task`` pairs."""
    return max(1, int(round(math.sqrt(max(pairs_per_task, 1)))))


def plan_tiles(n, m, *, symmetric, pairs_per_task, skip=frozenset()):
    """Cut the n-by-m matrix into square tiles of about ``pairs_per_task`` pairs, lazily.

    Blocks of side ``b = round(sqrt(k))``; with ``symmetric``, only blocks on
    or above the diagonal, the diagonal ones holding ``j > i`` only (about
    half as many pairs). ``skip``: pairs not to compute (identical measures,
    pairs computed already). Blocks left with no pair are dropped. A
    generator, so that a matrix of 10^4 sets never lists its 5 * 10^7 pairs.
    """
    side = block_side(pairs_per_task)
    by_block = {}
    for i, j in skip:
        by_block.setdefault((i // side, j // side), set()).add((i, j))
    for top in range(0, n, side):
        for left in range(top if symmetric else 0, m, side):
            tile = Tile(
                rows=tuple(range(top, min(top + side, n))),
                cols=tuple(range(left, min(left + side, m))),
                upper=symmetric and top == left,
                skip=frozenset(by_block.get((top // side, left // side), ())),
            )
            if next(tile.pairs(), None) is not None:
                yield tile


def name_pair(exc, labels, pair):
    """Add a note to ``exc`` naming the labels of the pair ``(i, j)`` that raised it."""
    i, j = pair
    if hasattr(exc, "add_note"):
        exc.add_note(f"(while computing the pair {labels[0][i]!r}, {labels[1][j]!r} of pairwise)")
