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

__all__ = ["Tile", "PairOutcome", "pair_seed", "seed_root", "compute_pair", "compute_tile",
           "plan_tiles"]


@dataclass(frozen=True)
class Tile:
    """A block of the matrix: ``pairs`` are ``(i, j)`` global indices, ``i`` in ``rows``."""

    rows: tuple
    cols: tuple
    pairs: tuple


@dataclass(frozen=True)
class PairOutcome:
    """What the matrix keeps of one divergence result (the result objects themselves
    may hold transport potentials or plans: too heavy to keep 10^8 of them)."""

    i: int
    j: int
    value: float
    stderr: float
    method: str
    unit: str
    converged: bool


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


# --------------------------------------------------------------------------- one pair


def _method_table(kind):
    import importlib

    # importlib: the attributes `divergences.kl` etc. are shadowed by the functions.
    if kind == "kl":
        return importlib.import_module("divergences.kl").KL_METHODS, "kl_divergence"
    if kind in ("js", "js_distance"):
        return importlib.import_module("divergences.jensen_shannon").JS_METHODS, "js_divergence"
    return None, None


def _takes_workers(kind, p, q, options):
    """Whether the method this pair will run takes a ``workers=`` thread count."""
    import inspect

    from ._dispatch import resolve_method

    table, name = _method_table(kind)
    if table is None or "workers" in options:
        return False
    method_options = {k: v for k, v in options.items() if k not in ("method", "base")}
    try:
        chosen = resolve_method(table, options.get("method", "auto"), p, q, method_options, name)
    except (ValueError, TypeError):
        return False  # the call itself will raise the proper error
    return "workers" in inspect.signature(chosen.compute).parameters


def compute_pair(kind, options, root, p, q, i, j):
    """The divergence ``kind`` between ``p`` and ``q``, as pair ``(i, j)`` of a matrix.

    ``rng`` (when the matrix has a root seed) is the pair's own Generator.
    Methods with a thread count of their own (the k-NN neighbour queries) run
    with ``workers=1``: the matrix is parallel across pairs instead, and
    nesting both would oversubscribe the cores.
    """
    from .registry import DIVERGENCES

    options = dict(options)
    if root is not None:
        options["rng"] = np.random.default_rng(pair_seed(root, i, j))
    if _takes_workers(kind, p, q, options):
        options["workers"] = 1
    result = DIVERGENCES[kind](p, q, **options)
    stderr = math.nan if result.stderr is None else float(result.stderr)
    return PairOutcome(int(i), int(j), float(result.value), stderr, result.method, result.unit,
                       bool(result.converged))


def compute_tile(kind, options, root, tile, row_measures, col_measures):
    """Every pair of ``tile``; ``row_measures[a]`` is measure ``tile.rows[a]``.

    Returns ``(outcomes, seconds)``: the pairs' outcomes and the time spent
    computing them, so that the caller can tell work from overhead.
    """
    start = time.perf_counter()
    row_at = {index: measure for index, measure in zip(tile.rows, row_measures)}
    col_at = {index: measure for index, measure in zip(tile.cols, col_measures)}
    outcomes = []
    for i, j in tile.pairs:
        try:
            outcomes.append(compute_pair(kind, options, root, row_at[i], col_at[j], i, j))
        except Exception as exc:
            exc.pair = (i, j)  # read by the caller to name the pair's labels
            raise
    return outcomes, time.perf_counter() - start


# --------------------------------------------------------------------------- the plan


def plan_tiles(pairs, pairs_per_task):
    """Group ``pairs`` (``(i, j)`` index pairs) into square tiles of about ``pairs_per_task``.

    The index plane is cut into blocks of side ``b = max(1, round(sqrt(k)))``;
    each block with pairs to compute becomes one tile. A full block holds
    ``b^2`` pairs, a block on the diagonal of a symmetric matrix about half.
    """
    side = max(1, int(round(math.sqrt(max(pairs_per_task, 1)))))
    blocks = {}
    for i, j in pairs:
        blocks.setdefault((i // side, j // side), []).append((i, j))
    tiles = []
    for key in sorted(blocks):
        block = blocks[key]
        rows = tuple(sorted({i for i, _ in block}))
        cols = tuple(sorted({j for _, j in block}))
        tiles.append(Tile(rows, cols, tuple(block)))
    return tiles
