"""A balanced box tree over points, in the flat form the auction kernels search.

Node ``k`` has children ``2k + 1`` and ``2k + 2``; every leaf sits at the same
depth, so the leaves are the last ``2**depth`` nodes. Each node owns a
contiguous range ``start[k]:end[k]`` of the points in the tree's order
(``perm``) and their bounding box ``lo[k], hi[k]``. Splits are at the median
of the widest side, so leaves hold between ``leaf_size / 2`` and
``leaf_size`` points.
"""

import math

import numpy as np

__all__ = ["box_tree", "no_tree"]


def no_tree(n):
    """The empty tree (search every point), with the identity order."""
    empty = np.empty(0, dtype=np.int64)
    return (np.empty((0, 1)), np.empty((0, 1)), empty, empty, 0), empty, np.arange(n)


def box_tree(points, leaf_size=16):
    """Build the tree of ``points`` (n, d).

    Returns
    -------
    tree : tuple (lo, hi, start, end, leaf_first)
    leaf_of : int64 array
        The leaf owning each point, in the tree's order.
    perm : int64 array
        The tree's order: ``points[perm]`` are the points leaf by leaf.
    """
    n = points.shape[0]
    depth = max(0, math.ceil(math.log2(n / leaf_size))) if n > leaf_size else 0
    leaf_first = 2**depth - 1
    n_nodes = 2 * leaf_first + 1
    perm = np.arange(n, dtype=np.int64)
    start = np.zeros(n_nodes, dtype=np.int64)
    end = np.zeros(n_nodes, dtype=np.int64)
    end[0] = n
    for node in range(leaf_first):
        first, last = start[node], end[node]
        index = perm[first:last]
        chunk = points[index]
        widest = int(np.argmax(chunk.max(axis=0) - chunk.min(axis=0)))
        half = (last - first) // 2
        perm[first:last] = index[np.argpartition(chunk[:, widest], half)]
        start[2 * node + 1], end[2 * node + 1] = first, first + half
        start[2 * node + 2], end[2 * node + 2] = first + half, last
    ordered = points[perm]
    leaf_starts = start[leaf_first:]
    lo = np.empty((n_nodes, points.shape[1]))
    hi = np.empty((n_nodes, points.shape[1]))
    lo[leaf_first:] = np.minimum.reduceat(ordered, leaf_starts, axis=0)
    hi[leaf_first:] = np.maximum.reduceat(ordered, leaf_starts, axis=0)
    for level in range(depth - 1, -1, -1):
        nodes = np.arange(2**level - 1, 2 ** (level + 1) - 1)
        lo[nodes] = np.minimum(lo[2 * nodes + 1], lo[2 * nodes + 2])
        hi[nodes] = np.maximum(hi[2 * nodes + 1], hi[2 * nodes + 2])
    leaves = np.arange(leaf_first, n_nodes, dtype=np.int64)
    leaf_of = np.repeat(leaves, end[leaf_first:] - leaf_starts)
    return (lo, hi, start, end, leaf_first), leaf_of, perm
