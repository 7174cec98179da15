"""The library's one space-partitioning tree, in Numba: build, k-nearest, counts, box bounds.

A k-d tree, built once here and read by three callers: the k-NN searches of
:mod:`divergences.neighbors` (:func:`k_nearest`, :func:`count_within`), the
auction's branch and bound over the columns (:mod:`._kernels.auction`, which
takes the tree as :func:`box_tree` lays it out), and the blocks and clusters
of the online Sinkhorn solver (:mod:`divergences.ot.sinkhorn`, leaves of
:func:`box_tree`).

Layout (as in scikit-learn's ``BinaryTree``, written anew here): a complete
binary tree stored implicitly -- node ``i`` has children ``2i + 1`` and
``2i + 2`` -- whose every split is at the median *position* of its points
along the dimension of largest spread, so the shape depends only on ``n`` and
the leaf size. Node ``i`` owns the slice ``start[i]:end[i]`` of ``order``, the
permutation putting the points in leaf order, and a tight bounding box
``lower[i], upper[i]``. ``points_t = points[order].T`` (dimension-major, C
order) keeps the points of a leaf contiguous in memory, one row per
dimension. Leaves are scanned point by point, each squared distance summed
in registers and compared at once (:func:`_point_distance`): with the 6 to
12 points of a leaf that is 1.2-1.7x faster (d = 2 to 10, n = 10^4 to
10^5, one thread) than computing the leaf's distances as vectors into
scratch first, which the loops are too short to repay.

Queries are depth-first with an explicit stack, nearest child first, pruning
a node when the squared distance from the query to its box is not below the
current k-th best. Box and point distances are summed in the same grouping
(that of scipy's cKDTree, see :func:`_point_distance`), so a box's distance
never exceeds (even in floating point, rounding being monotone) that of a
point inside it: pruning is exact, and the distances equal cKDTree's bit
for bit. Queries taken one after another in leaf order (as the estimators
take them) also prune with a *seed*: the largest distance from the query to
the previous query's ``k`` neighbours, an upper bound of its own k-th
distance when all of them are at positive distance from it (see
:func:`k_nearest`).

The tie rule of :mod:`divergences.neighbors` is applied inside the kernels:
a candidate at distance zero is skipped.

Threads: the kernels are serial and release the GIL; the callers in
:mod:`divergences.neighbors` run them on disjoint slices of the queries (or
of a level's nodes) in a thread pool. Not ``parallel=True``: a cached
function calling a parallel one segfaulted here when loaded from the cache
(numba issue #8578), and the pool gives the same speed-up without it.
"""

import numpy as np
from numba import njit

#: Points per leaf. Measured (one thread, CPU time, n = 10^5 and 3 * 10^4, k = 6, on a
#: loaded machine): 8 to 32 within the noise (~15 %) of each other for d <= 6; d = 8
#: ran ~20 % faster with 24-32, d = 10 ~10 % slower. 12 is never far from the best.
LEAF_SIZE = 12



@njit(cache=True, nogil=True)
def _level_count(n, leaf_size):
    levels = 1
    size = n
    while size > leaf_size:
        size = (size + 1) // 2
        levels += 1
    return levels


@njit(cache=True, nogil=True)
def _select(work, order, dim, lo, hi, kth):
    """Reorder rows ``lo:hi`` of ``work`` (and ``order`` alongside) so that row ``kth`` has its rank.

    Ranked by coordinate ``dim``. Hoare partitioning (both scans stop on keys
    equal to the pivot), so runs of equal keys -- rounded data -- split evenly
    instead of degrading to quadratic time. The rows themselves move, so the
    scans stream through memory instead of gathering through ``order``.
    """
    d = work.shape[1]
    while hi - lo > 1:
        mid = lo + (hi - lo) // 2
        a, b, c = work[lo, dim], work[mid, dim], work[hi - 1, dim]
        # median of three as the pivot
        if a < b:
            pivot = b if b < c else (c if a < c else a)
        else:
            pivot = a if a < c else (c if b < c else b)
        i, j = lo, hi - 1
        while i <= j:
            while work[i, dim] < pivot:
                i += 1
            while work[j, dim] > pivot:
                j -= 1
            if i <= j:
                for c in range(d):
                    work[i, c], work[j, c] = work[j, c], work[i, c]
                order[i], order[j] = order[j], order[i]
                i += 1
                j -= 1
        if kth <= j:
            hi = j + 1
        elif kth >= i:
            lo = i
        else:
            return


@njit(cache=True, nogil=True)
def _split_node(work, order, lower, upper, start, end, node):
    """Split ``node`` at the median of the widest side of its split box; set up its children."""
    d = work.shape[1]
    s, e = start[node], end[node]
    widest, spread = 0, -1.0
    for j in range(d):
        if upper[node, j] - lower[node, j] > spread:
            widest, spread = j, upper[node, j] - lower[node, j]
    mid = s + (e - s) // 2
    if e - s > 1:
        _select(work, order, widest, s, e, mid)
    left, right = 2 * node + 1, 2 * node + 2
    start[left], end[left] = s, mid
    start[right], end[right] = mid, e
    for j in range(d):
        lower[left, j] = lower[node, j]
        lower[right, j] = lower[node, j]
        upper[left, j] = upper[node, j]
        upper[right, j] = upper[node, j]
    if mid < e:
        # Row mid holds the median: the rows before it are <= it, the others >= it.
        upper[left, widest] = work[mid, widest]
        lower[right, widest] = work[mid, widest]


@njit(cache=True, nogil=True)
def split_nodes(work, order, lower, upper, start, end, first, last):
    """Split the nodes ``first:last`` of one level (independent: each owns its rows)."""
    for node in range(first, last):
        _split_node(work, order, lower, upper, start, end, node)


@njit(cache=True, nogil=True)
def prepare(points, leaf_size):
    """The arrays of a tree over ``points`` before any split (the root's box set).

    Returns ``work`` (a copy of the points, permuted in place as the tree is
    split), ``order``, ``start``, ``end``, ``lower``, ``upper``, ``levels``.
    """
    n, d = points.shape
    levels = _level_count(n, leaf_size)
    n_nodes = 2**levels - 1
    order = np.arange(n)
    work = points.copy()
    start = np.zeros(n_nodes, dtype=np.int64)
    end = np.zeros(n_nodes, dtype=np.int64)
    lower = np.empty((n_nodes, d))
    upper = np.empty((n_nodes, d))
    end[0] = n
    for j in range(d):
        lower[0, j] = np.inf
        upper[0, j] = -np.inf
    for t in range(n):
        for j in range(d):
            v = points[t, j]
            lower[0, j] = min(lower[0, j], v)
            upper[0, j] = max(upper[0, j], v)
    return work, order, start, end, lower, upper, levels


@njit(cache=True, nogil=True)
def finish(work, start, end, lower, upper, levels):
    """The dimension-major points, and the tight boxes in place of the split boxes.

    Leaves from their points, every other node from its children: O(n d).
    """
    n, d = work.shape
    first_leaf = 2 ** (levels - 1) - 1
    points_t = np.empty((d, n))
    for t in range(n):
        for j in range(d):
            points_t[j, t] = work[t, j]
    for node in range(first_leaf, start.shape[0]):
        for j in range(d):
            lo, hi = np.inf, -np.inf
            for t in range(start[node], end[node]):
                v = points_t[j, t]
                lo = min(lo, v)
                hi = max(hi, v)
            lower[node, j] = lo
            upper[node, j] = hi
    for node in range(first_leaf - 1, -1, -1):
        for j in range(d):
            lower[node, j] = min(lower[2 * node + 1, j], lower[2 * node + 2, j])
            upper[node, j] = max(upper[2 * node + 1, j], upper[2 * node + 2, j])
    return points_t


@njit(cache=True, nogil=True)
def build(points, leaf_size):
    """Build the tree over ``points`` (n, d), float64, on one thread.

    Top-down, level by level: each node splits at the median position along
    the widest side of its *split box* (the root's box cut by its ancestors'
    medians), which needs no pass over its points. The tight boxes the
    queries prune with are computed at the end (:func:`finish`).
    :class:`divergences.neighbors.KDTree` runs the same steps with the nodes
    of each level split across threads (:func:`split_nodes` releases the GIL).

    Returns
    -------
    points_t : (d, n) float64, the points in leaf order, dimension-major
    order : (n,) int64, ``points_t[:, t] = points[order[t]]``
    start, end : (n_nodes,) int64, each node's slice of ``order``
    lower, upper : (n_nodes, d) float64, each node's bounding box
    first_leaf : int, index of the first leaf (nodes from there on are leaves)
    """
    work, order, start, end, lower, upper, levels = prepare(points, leaf_size)
    for level in range(levels - 1):
        split_nodes(work, order, lower, upper, start, end, 2**level - 1, 2 ** (level + 1) - 1)
    points_t = finish(work, start, end, lower, upper, levels)
    return points_t, order, start, end, lower, upper, 2 ** (levels - 1) - 1


@njit(cache=True, nogil=True, inline="always")
def _box_distance(query, lower, upper, node):
    """Squared distance from ``query`` to the box of ``node``, summed as :func:`_point_distance` sums.

    Summed in the same grouping as the point distances, so (rounding being
    monotone) it never exceeds the computed distance of a point in the box.
    """
    d = query.shape[0]
    blocks = (d // 4) * 4
    a0 = a1 = a2 = a3 = 0.0
    for j in range(blocks):
        q = query[j]
        # Branch-free: at most one of the two gaps is positive.
        gap = max(lower[node, j] - q, q - upper[node, j], 0.0)
        r = j % 4
        if r == 0:
            a0 += gap * gap
        elif r == 1:
            a1 += gap * gap
        elif r == 2:
            a2 += gap * gap
        else:
            a3 += gap * gap
    total = ((a0 + a1) + a2) + a3
    for j in range(blocks, d):
        q = query[j]
        gap = max(lower[node, j] - q, q - upper[node, j], 0.0)
        total += gap * gap
    return total


@njit(cache=True, nogil=True, inline="always")
def _point_distance(query, points_t, t):
    """Squared distance from ``query`` to the point at position ``t`` of the leaf order.

    Grouped as scipy's cKDTree groups it -- four running sums over the
    dimensions in blocks of four, added in order, then the remaining
    dimensions one by one (sequential when d < 8) -- so that both engines
    return bit-identical distances and the dispatch by dimension cannot
    change a result.
    """
    d = query.shape[0]
    blocks = (d // 4) * 4
    total = 0.0
    if blocks > 0:
        a0 = (points_t[0, t] - query[0]) ** 2
        a1 = (points_t[1, t] - query[1]) ** 2
        a2 = (points_t[2, t] - query[2]) ** 2
        a3 = (points_t[3, t] - query[3]) ** 2
        for j in range(4, blocks, 4):
            a0 += (points_t[j, t] - query[j]) ** 2
            a1 += (points_t[j + 1, t] - query[j + 1]) ** 2
            a2 += (points_t[j + 2, t] - query[j + 2]) ** 2
            a3 += (points_t[j + 3, t] - query[j + 3]) ** 2
        total = ((a0 + a1) + a2) + a3
    for j in range(blocks, d):
        total += (points_t[j, t] - query[j]) ** 2
    return total


@njit(cache=True, nogil=True)
def _k_nearest_one(query, points_t, start, end, lower, upper, first_leaf,
                   best_d2, best_at, stack_node, stack_d2, seed):
    """Fill ``best_d2`` (ascending, squared) and ``best_at`` (positions in leaf order).

    ``seed``: an upper bound of the k-th squared distance (``inf`` for none);
    nodes farther than it are skipped. A point at exactly the seed is still
    found (skipped are only boxes strictly beyond it).
    """
    k = best_d2.shape[0]
    for i in range(k):
        best_d2[i] = np.inf
        best_at[i] = -1
    bound = np.inf
    stack_node[0] = 0
    stack_d2[0] = _box_distance(query, lower, upper, 0)
    top = 1
    while top > 0:
        top -= 1
        node = stack_node[top]
        if stack_d2[top] >= bound or stack_d2[top] > seed:
            continue
        if node >= first_leaf:
            for t in range(start[node], end[node]):
                d2 = _point_distance(query, points_t, t)
                # The tie rule: a point at distance zero (the query itself or a copy) is skipped.
                if d2 < bound and d2 > 0.0:
                    i = k - 1
                    while i > 0 and best_d2[i - 1] > d2:
                        best_d2[i] = best_d2[i - 1]
                        best_at[i] = best_at[i - 1]
                        i -= 1
                    best_d2[i] = d2
                    best_at[i] = t
                    bound = best_d2[k - 1]
            continue
        left = 2 * node + 1
        right = left + 1
        d_left = _box_distance(query, lower, upper, left)
        d_right = _box_distance(query, lower, upper, right)
        # Push the farther child first so that the nearer one is searched first.
        if d_left <= d_right:
            if d_right < bound and d_right <= seed:
                stack_node[top], stack_d2[top] = right, d_right
                top += 1
            if d_left < bound and d_left <= seed:
                stack_node[top], stack_d2[top] = left, d_left
                top += 1
        else:
            if d_left < bound and d_left <= seed:
                stack_node[top], stack_d2[top] = left, d_left
                top += 1
            if d_right < bound and d_right <= seed:
                stack_node[top], stack_d2[top] = right, d_right
                top += 1


@njit(cache=True, nogil=True)
def k_nearest(points_t, order, start, end, lower, upper, first_leaf, queries, query_order,
              k, distances, indices):
    """The ``k`` nearest tree points at positive distance from each query.

    Writes, for query ``i``, the *last* ``distances.shape[1]`` of its ``k``
    ascending distances into ``distances[i]`` and the tree indices of its
    *first* ``indices.shape[1]`` neighbours into ``indices[i]`` (either may
    have zero columns): the estimators need only the k-th and (k+1)-th
    distances and the first k indices, and not materialising the rest keeps
    memory at O(n) per column. Where a query has fewer than ``k`` points at
    positive distance, the missing distances are ``inf`` and indices ``-1``.

    Only the rows listed in ``query_order`` are answered, in that order:
    pass an order that keeps nearby queries together (such as a tree's
    ``order``) for cache locality, and disjoint slices of it to run threads
    side by side (the kernel releases the GIL). In such an order each query
    is also seeded with the previous one's neighbours: when the ``k`` of them
    are all at positive distance from it, the largest of those distances
    bounds its k-th (it has at least ``k`` points that near), and the search
    skips every box beyond it from the start. The bound only prunes boxes
    holding no point as near as the k-th, so the results -- distances and
    indices -- are those of the unseeded search.
    """
    n_cols = distances.shape[1]
    n_index_cols = indices.shape[1]
    depth = 2 * (int(np.log2(start.shape[0] + 1)) + 2)
    best_d2 = np.empty(k)
    best_at = np.empty(k, dtype=np.int64)
    stack_node = np.empty(depth, dtype=np.int64)
    stack_d2 = np.empty(depth)
    seeded = False
    for position in range(query_order.shape[0]):
        row = query_order[position]
        query = queries[row]
        seed = np.inf
        if seeded:
            seed = 0.0
            for i in range(k):
                d2 = _point_distance(query, points_t, best_at[i])
                if d2 > 0.0:
                    seed = max(seed, d2)
                else:  # a copy of the query: skipped by the tie rule, so no bound
                    seed = np.inf
                    break
        _k_nearest_one(query, points_t, start, end, lower, upper, first_leaf,
                       best_d2, best_at, stack_node, stack_d2, seed)
        seeded = best_at[k - 1] >= 0
        for c in range(n_cols):
            distances[row, c] = np.sqrt(best_d2[k - n_cols + c])
        for c in range(n_index_cols):
            at = best_at[c]
            indices[row, c] = order[at] if at >= 0 else -1


@njit(cache=True, nogil=True)
def _count_within_one(query, radius, points_t, start, end, lower, upper, first_leaf,
                      stack_node):
    count = 0
    farthest = 0.0
    stack_node[0] = 0
    top = 1
    while top > 0:
        top -= 1
        node = stack_node[top]
        # sqrt is monotone, so a box farther than the radius holds no point within it.
        if np.sqrt(_box_distance(query, lower, upper, node)) > radius:
            continue
        if node >= first_leaf:
            for t in range(start[node], end[node]):
                d2 = _point_distance(query, points_t, t)
                # Compared as distances, not squares: the radius is often a neighbour's
                # distance itself, and that neighbour must count.
                if d2 > 0.0 and np.sqrt(d2) <= radius:
                    count += 1
                    if d2 > farthest:
                        farthest = d2
            continue
        stack_node[top] = 2 * node + 1
        stack_node[top + 1] = 2 * node + 2
        top += 2
    return count, farthest


@njit(cache=True, nogil=True)
def count_within(points_t, start, end, lower, upper, first_leaf, queries, query_order,
                 radius, counts, farthest):
    """Count the tree points at positive distance ``<= radius[i]`` from query ``i``.

    Writes the count into ``counts[i]`` and the distance of the farthest
    counted point into ``farthest[i]`` (0 where none). Only the rows in
    ``query_order`` are answered (see :func:`k_nearest`).
    """
    depth = 2 * (int(np.log2(start.shape[0] + 1)) + 2)
    stack_node = np.empty(depth, dtype=np.int64)
    for position in range(query_order.shape[0]):
        row = query_order[position]
        c, f2 = _count_within_one(queries[row], radius[row], points_t, start, end, lower,
                                  upper, first_leaf, stack_node)
        counts[row] = c
        farthest[row] = np.sqrt(f2)


@njit(cache=True, nogil=True)
def _leaf_of(start, end, first_leaf):
    """The leaf holding each position of the tree's order."""
    n = end[0] if start.shape[0] > 0 else 0
    leaf_of = np.empty(n, dtype=np.int64)
    for node in range(first_leaf, start.shape[0]):
        for t in range(start[node], end[node]):
            leaf_of[t] = node
    return leaf_of


@njit(cache=True, nogil=True)
def box_tree(points, leaf_size):
    """The tree of ``points`` (n, d), float64, in the flat form of a box tree.

    Returns
    -------
    tree : tuple (lower, upper, start, end, first_leaf)
        Node ``k`` owns the positions ``start[k]:end[k]`` of the tree's order
        and their tight bounding box ``lower[k], upper[k]``; children ``2k + 1``
        and ``2k + 2``; every leaf at the same depth, the leaves being the
        nodes from ``first_leaf`` on, each with at most ``leaf_size`` points
        (at least ``leaf_size / 2`` when ``n > leaf_size``).
    leaf_of : (n,) int64
        The leaf holding each position of the tree's order.
    order : (n,) int64
        The tree's order: ``points[order]`` are the points leaf by leaf.
    """
    points_t, order, start, end, lower, upper, first_leaf = build(points, leaf_size)
    return (lower, upper, start, end, first_leaf), _leaf_of(start, end, first_leaf), order


@njit(cache=True, nogil=True)
def no_tree(n):
    """The tree with no nodes (callers then scan every point), and the identity order."""
    empty = np.empty(0, dtype=np.int64)
    first_leaf = 0
    return (np.empty((0, 1)), np.empty((0, 1)), empty, empty, first_leaf), empty, np.arange(n)


@njit(cache=True, nogil=True, inline="always")
def box_distance_below(query, lower, upper, node):
    """A lower bound of ``|query - y|^2`` over the points ``y`` of ``node``, however summed.

    :func:`_box_distance` shrunk by far more than the rounding of any
    distance it must bound (the auction sums point distances in its own
    order, not in :func:`_point_distance`'s grouping).
    """
    return _box_distance(query, lower, upper, node) * (1.0 - 1e-12)


@njit(cache=True, nogil=True)
def deletion_shifts(step, indices, size):
    """``out[j] = sum of step[i]`` over the rows ``i`` whose ``indices[i]`` contain ``j``.

    The jackknife's scatter-add (``np.bincount`` with weights, without the
    ``n * k`` temporaries).
    """
    out = np.zeros(size)
    for i in range(indices.shape[0]):
        s = step[i]
        for c in range(indices.shape[1]):
            out[indices[i, c]] += s
    return out
