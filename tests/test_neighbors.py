"""Neighbour queries: the zero-distance tie rule, checked against brute force."""

import numpy as np
import pytest

from divergences.exceptions import InvalidMeasureError
from divergences.neighbors import (
    build_tree,
    kth_neighbor_distance,
    nearest_positive,
    neighbors_within,
)


def brute_positive(tree_points, points, k):
    d = np.linalg.norm(points[:, None, :] - tree_points[None, :, :], axis=2)
    rows = []
    for row in d:
        rows.append(np.sort(row[row > 0])[:k])
    return np.array(rows)


@pytest.mark.parametrize("dim", [1, 3])
def test_nearest_positive_matches_brute_force_with_duplicates(dim):
    rng = np.random.default_rng(0)
    # Rounded data: many exact duplicates, the case the tie rule exists for.
    x = np.round(rng.normal(size=(300, dim)), 1)
    y = np.round(rng.normal(size=(200, dim)), 1)
    for tree_points, k in ((x, 4), (y, 3)):
        distances, indices = nearest_positive(build_tree(tree_points), x, k)
        np.testing.assert_allclose(distances, brute_positive(tree_points, x, k))
        recomputed = np.linalg.norm(tree_points[indices] - x[:, None], axis=2)
        np.testing.assert_allclose(recomputed, distances)
        assert np.all(distances > 0)


def test_heavy_duplication_requeries_until_enough():
    x = np.repeat(np.arange(4.0), 50)[:, None]  # 4 values, 50 copies each
    # From 0: 50 copies of 1 at distance 1, then copies of 2; the copies of 0 are skipped.
    np.testing.assert_array_equal(kth_neighbor_distance(build_tree(x), x, 60)[:3], [2.0, 2.0, 2.0])


def test_too_few_distinct_neighbours_names_k():
    x = np.zeros((10, 2))
    x[0] = 1.0
    with pytest.raises(InvalidMeasureError, match="k=2"):
        kth_neighbor_distance(build_tree(x), x, 2, name="p")


def test_neighbors_within_counts_positive_distances_in_closed_ball():
    rng = np.random.default_rng(1)
    x = np.round(rng.uniform(size=(400, 2)), 2)
    radius = rng.uniform(0.01, 0.3, size=50)
    counts, farthest = neighbors_within(build_tree(x), x[:50], radius, 1)
    d = np.linalg.norm(x[:50, None] - x[None], axis=2)
    inside = (d > 0) & (d <= radius[:, None])
    np.testing.assert_array_equal(counts, inside.sum(axis=1))
    np.testing.assert_allclose(farthest, np.where(inside, d, 0).max(axis=1))
