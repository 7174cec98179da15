"""The Numba k-d tree (``divergences._kernels.kdtree``) against brute force and cKDTree.

Oracles: an exhaustive search over all pairs, its squared distances summed
in the grouping the kernel documents (that of scipy's cKDTree), so distances
must agree *exactly*; and scipy's cKDTree itself, an independent
implementation, which must agree bit for bit too. Indices are compared up to
ties: each returned index must be a distinct tree point at the returned distance.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from divergences._kernels import kdtree
from divergences.neighbors import build_tree, neighbor_columns, neighbors_within


def grouped_sq(a, b):
    """Squared distances between broadcast rows of ``a`` and ``b``, summed as cKDTree sums them.

    Four running sums over the dimensions in blocks of four, added in order,
    then the remaining dimensions one by one.
    """
    diff2 = (a - b) ** 2
    d = diff2.shape[-1]
    blocks = d // 4 * 4
    total = np.zeros(diff2.shape[:-1])
    if blocks:
        partial = [diff2[..., r].copy() for r in range(4)]
        for j in range(4, blocks):
            partial[j % 4] += diff2[..., j]
        total = ((partial[0] + partial[1]) + partial[2]) + partial[3]
    for j in range(blocks, d):
        total = total + diff2[..., j]
    return total


def grouped_sq_distances(queries, points):
    """All pairwise squared distances, (n_queries, n_points)."""
    return grouped_sq(queries[:, None, :], points[None, :, :])


def brute_positive(queries, points, k):
    """Sorted distances to the k nearest points at positive distance (inf where fewer)."""
    sq = grouped_sq_distances(queries, points)
    sq[sq == 0.0] = np.inf
    return np.sqrt(np.sort(sq, axis=1)[:, :k])


def run_kernel(points, queries, k, leaf_size=kdtree.LEAF_SIZE, order=None):
    arrays = kdtree.build(points, leaf_size)
    distances = np.empty((queries.shape[0], k))
    indices = np.empty((queries.shape[0], k), dtype=np.int64)
    order = np.arange(queries.shape[0]) if order is None else order
    kdtree.k_nearest(*arrays, queries, order, k, distances, indices)
    return distances, indices


def sample(kind, n, d, rng):
    x = rng.normal(size=(n, d))
    # Rounded to one decimal: many exact duplicates and tied distances.
    return np.round(x, 1) if kind == "rounded" else x


def check_indices(points, queries, distances, indices):
    found = np.isfinite(distances)
    assert np.all(indices[~found] == -1)
    recomputed = np.sqrt(grouped_sq(queries[:, None, :], points[indices]))
    np.testing.assert_array_equal(recomputed[found], distances[found])
    ordered = np.sort(np.where(found, indices, -1 - np.arange(indices.shape[1])), axis=1)
    assert np.all(np.diff(ordered, axis=1) != 0)  # distinct neighbours


@pytest.mark.parametrize("kind", ["random", "rounded"])
@pytest.mark.parametrize("d", range(1, 11))
def test_k_nearest_equals_brute_force(d, kind):
    rng = np.random.default_rng(d)
    points = sample(kind, 500, d, rng)
    # Queries: the tree's own points (each skips itself) and fresh ones, some of them
    # exact copies of tree points (skipped as well, by the tie rule).
    fresh = sample(kind, 150, d, rng)
    fresh[:20] = points[rng.choice(500, 20, replace=False)]
    for queries in (points, fresh):
        expected = brute_positive(queries, points, 10)
        for k in (1, 4, 10):
            distances, indices = run_kernel(points, queries, k)
            np.testing.assert_array_equal(distances, expected[:, :k])
            check_indices(points, queries, distances, indices)


@pytest.mark.parametrize("leaf_size", [1, 2, 5, 40])
@pytest.mark.parametrize("n", [1, 2, 3, 17, 100])
def test_small_trees_and_leaf_sizes(n, leaf_size):
    rng = np.random.default_rng(n + leaf_size)
    points = rng.normal(size=(n, 3))
    queries = np.vstack([points, rng.normal(size=(5, 3))])
    k = min(n, 4)
    distances, indices = run_kernel(points, queries, k, leaf_size=leaf_size)
    # Fewer than k points at positive distance (a tree point has only n - 1): inf, -1.
    np.testing.assert_array_equal(distances, brute_positive(queries, points, k))
    check_indices(points, queries, distances, indices)


def test_build_invariants():
    rng = np.random.default_rng(0)
    points = np.round(rng.normal(size=(1000, 4)), 1)
    points_t, order, start, end, lower, upper, first_leaf = kdtree.build(points, 12)
    np.testing.assert_array_equal(np.sort(order), np.arange(1000))
    np.testing.assert_array_equal(points_t.T, points[order])
    assert start[0] == 0 and end[0] == 1000 and np.all(end[first_leaf:] - start[first_leaf:] <= 12)
    for node in range(start.shape[0]):
        inside = points_t[:, start[node]:end[node]].T
        # Tight boxes: the bounds are attained by the node's points.
        np.testing.assert_array_equal(inside.min(axis=0), lower[node])
        np.testing.assert_array_equal(inside.max(axis=0), upper[node])


def test_query_order_does_not_change_results():
    rng = np.random.default_rng(1)
    points, queries = rng.normal(size=(500, 2)), rng.normal(size=(300, 2))
    plain = run_kernel(points, queries, 5)
    shuffled = run_kernel(points, queries, 5, order=rng.permutation(300))
    np.testing.assert_array_equal(plain[0], shuffled[0])
    np.testing.assert_array_equal(plain[1], shuffled[1])


@pytest.mark.parametrize("d", [1, 2, 3, 5, 8, 12])
def test_engines_agree_bit_for_bit(d):
    # The dispatch by dimension must not change any result.
    rng = np.random.default_rng(2)
    points = sample("rounded" if d < 5 else "random", 2000, d, rng)
    queries = sample("rounded" if d < 5 else "random", 500, d, rng)
    numba_tree, scipy_tree = build_tree(points, engine="numba"), build_tree(points, engine="scipy")
    for q, order in ((points, numba_tree.indices), (queries, None)):
        a = neighbor_columns(numba_tree, q, 6, order=order)
        b = neighbor_columns(scipy_tree, q, 6, order=order)
        np.testing.assert_array_equal(a[0], b[0])
        radius = a[0][:, 3] * 1.1
        counts_a, far_a = neighbors_within(numba_tree, q, radius, 4, order=order)
        counts_b, far_b = neighbors_within(scipy_tree, q, radius, 4)
        np.testing.assert_array_equal(counts_a, counts_b)
        np.testing.assert_array_equal(far_a, far_b)


def test_neighbor_columns_selects_and_tolerates_missing():
    # Values 0..3 with 5 copies each: from a 0, 15 points at positive distance.
    points = np.repeat(np.arange(4.0), 5)[:, None]
    tree = build_tree(points, engine="numba")
    distances, indices = neighbor_columns(tree, points, 16, distances=2, indices=3, required=15)
    assert distances.shape == (20, 2) and indices.shape == (20, 3)
    np.testing.assert_array_equal(distances[:, 1], np.inf)  # no 16th neighbour anywhere
    np.testing.assert_array_equal(distances[:5, 0], 3.0)  # the 15th neighbour of a 0 is a 3
    assert np.all(np.abs(points[indices[:5], 0] - 0.0) == 1.0)


@pytest.mark.parametrize("d", [1, 5, 10])
def test_count_within_equals_brute_force(d):
    rng = np.random.default_rng(3)
    points = sample("rounded", 500, d, rng)
    queries = points[:80]
    radius = rng.uniform(0.1, 1.5, size=80)
    counts, farthest = neighbors_within(build_tree(points, engine="numba"), queries, radius, 1)
    dist = np.sqrt(grouped_sq_distances(queries, points))
    inside = (dist > 0) & (dist <= radius[:, None])
    np.testing.assert_array_equal(counts, inside.sum(axis=1))
    np.testing.assert_array_equal(farthest, np.where(inside, dist, 0.0).max(axis=1))


def test_deletion_shifts_equals_bincount():
    rng = np.random.default_rng(4)
    indices = rng.integers(0, 50, size=(200, 3)).astype(np.int32)
    step = rng.normal(size=200)
    expected = np.bincount(indices.ravel(), weights=np.repeat(step, 3), minlength=60)
    np.testing.assert_array_equal(kdtree.deletion_shifts(step, indices, 60), expected)


def test_kernels_without_jit():
    # The same kernels run as plain Python under NUMBA_DISABLE_JIT=1 and agree.
    script = textwrap.dedent(
        """
        import numpy as np
        from divergences._kernels import kdtree
        rng = np.random.default_rng(5)
        points = np.round(rng.normal(size=(120, 3)), 1)
        arrays = kdtree.build(points, 8)
        out = np.empty((120, 3)); idx = np.empty((120, 3), dtype=np.int64)
        kdtree.k_nearest(*arrays, points, np.arange(120), 3, out, idx)
        counts = np.empty(120, dtype=np.int64); far = np.empty(120)
        kdtree.count_within(arrays[0], *arrays[2:], points, np.arange(120), out[:, 1], counts, far)
        np.save("{path}", np.column_stack([out, counts, far]))
        """
    )
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "out.npy")
        env = dict(os.environ, NUMBA_DISABLE_JIT="1")
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        subprocess.run([sys.executable, "-c", script.format(path=path)], check=True, env=env,
                       cwd=root)
        plain = np.load(path)
    rng = np.random.default_rng(5)
    points = np.round(rng.normal(size=(120, 3)), 1)
    distances = brute_positive(points, points, 3)
    np.testing.assert_array_equal(plain[:, :3], distances)
    dist = np.sqrt(grouped_sq_distances(points, points))
    inside = (dist > 0) & (dist <= distances[:, 1:2])
    np.testing.assert_array_equal(plain[:, 3], inside.sum(axis=1))


def test_threads_do_not_change_results():
    # Above the size where the work is split across threads (build and queries).
    rng = np.random.default_rng(6)
    points, queries = np.round(rng.normal(size=(9_000, 3)), 2), rng.normal(size=(8_000, 3))
    one, many = build_tree(points, workers=1), build_tree(points, workers=3)
    for array in range(7):
        np.testing.assert_array_equal(one._arrays[array], many._arrays[array])
    a = neighbor_columns(one, queries, 4, workers=1)
    b = neighbor_columns(many, queries, 4, workers=3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    radius = a[0][:, 2]
    np.testing.assert_array_equal(neighbors_within(one, queries, radius, 1, workers=1)[0],
                                  neighbors_within(many, queries, radius, 1, workers=3)[0])


def ckdtree_kth_positive(points, queries, k):
    """The k-th positive-distance neighbour distance by scipy's cKDTree alone (the oracle).

    cKDTree counts zero distances as neighbours; asking it for ``k`` plus the
    largest number of copies of any query among the points, then dropping the
    zeros, leaves at least ``k`` positive distances for every query.
    """
    from scipy.spatial import cKDTree

    tree = cKDTree(points)
    copies = int(tree.query_ball_point(queries, 0.0, return_length=True).max())
    distances = tree.query(queries, k=k + copies)[0].reshape(len(queries), -1)
    positive = np.where(distances > 0.0, distances, np.inf)
    return np.sort(positive, axis=1)[:, k - 1]


@pytest.mark.parametrize("kind", ["random", "tied", "duplicated"])
def test_kth_distances_equal_ckdtree_queries(kind):
    # Above the size where queries are split across threads, in the tree's leaf order
    # (the estimators' path) and in input order, against scipy's cKDTree queried directly.
    rng = np.random.default_rng(7)
    d = {"random": 5, "tied": 3, "duplicated": 2}[kind]
    points = rng.normal(size=(6_000, d))
    if kind == "tied":
        points = np.round(points * 2.0) / 2.0  # a lattice: ties everywhere, duplicates
    elif kind == "duplicated":
        points = np.repeat(points[:2_000], 3, axis=0)  # every point three times
    queries = np.vstack([points[:1_000], rng.normal(size=(1_000, d))])
    tree = build_tree(points, engine="numba")
    for k in (1, 3, 6):
        expected = ckdtree_kth_positive(points, points, k)
        for order in (tree.indices, None):
            got = neighbor_columns(tree, points, k, distances=1, indices=0, workers=2,
                                   order=order)[0][:, 0]
            np.testing.assert_array_equal(got, expected)
        got = neighbor_columns(tree, queries, k, distances=1, indices=0, workers=2)[0][:, 0]
        np.testing.assert_array_equal(got, ckdtree_kth_positive(points, queries, k))
