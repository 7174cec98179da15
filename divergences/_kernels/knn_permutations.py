"""k-NN estimates of many relabellings of one pooled sample, from one pooled neighbour list.

For a point of the first set, the Wang--Kulkarni--Verdu KL estimate needs the
k-th nearest other point of its own set (``rho``) and of the other set
(``nu``), both at positive distance; the pooled JS estimate needs ``rho`` and
the number of the other set's points within a rescaled ``rho``. Both are
found by walking the point's neighbours in the *pooled* sample, nearest
first, and counting labels: the list does not depend on the labels, so it is
computed once for all the relabellings of a permutation test.
"""

import math

import numpy as np
from numba import njit, prange

# Below this size (labellings times listed neighbours) the serial twin runs: the rule
# of the sliced costs' linear scans (sliced.py), a walk of similar work per entry.
SERIAL_BELOW = 32 * 128


@njit(cache=True, nogil=True, parallel=True)
def permuted_knn_log_ratios(distances, indices, labels, k):
    """``sum_i log(nu_k(i) / rho_k(i))`` over the points labelled True, for each labelling.

    Parameters
    ----------
    distances, indices : (N, K) float64, intp
        Each pooled point's K nearest pooled points, ascending (``inf`` past
        the last); zero distances (the point itself, duplicates) are skipped.
    labels : (B, N) bool -- True for the points of the first set
    k : int

    Returns
    -------
    sums : (B,) float64
    complete : (B,) bool -- False where some point's list ran out before
        both k-th neighbours were found (the caller recomputes that one).
    """
    count = labels.shape[0]
    sums = np.zeros(count)
    complete = np.ones(count, dtype=np.bool_)
    for b in prange(count):
        _labelled_sum(distances, indices, labels[b], k, sums, complete, b)
    return sums, complete


@njit(cache=True, nogil=True)
def permuted_knn_log_ratios_serial(distances, indices, labels, k):
    """:func:`permuted_knn_log_ratios` on the calling thread (the serial path for small problems)."""
    count = labels.shape[0]
    sums = np.zeros(count)
    complete = np.ones(count, dtype=np.bool_)
    for b in range(count):
        _labelled_sum(distances, indices, labels[b], k, sums, complete, b)
    return sums, complete


@njit(cache=True, nogil=True)
def _labelled_sum(distances, indices, labelled, k, sums, complete, b):
    """``sums[b]`` for one labelling; ``complete[b] = False`` where a list runs out."""
    total = labelled.shape[0]
    width = distances.shape[1]
    acc = 0.0
    for i in range(total):
        if not labelled[i]:
            continue
        same = 0
        other = 0
        rho = -1.0
        nu = -1.0
        for t in range(width):
            dist = distances[i, t]
            if dist == 0.0:
                continue
            if math.isinf(dist):
                break
            if labelled[indices[i, t]]:
                same += 1
                if same == k:
                    rho = dist
            else:
                other += 1
                if other == k:
                    nu = dist
            if rho > 0.0 and nu > 0.0:
                break
        if rho < 0.0 or nu < 0.0:
            complete[b] = False  # sums[b] stays 0: the caller recomputes this labelling
            return
        acc += math.log(nu) - math.log(rho)
    sums[b] = acc


@njit(cache=True, nogil=True, parallel=True)
def permuted_knn_js_sums(distances, indices, labels, k, stretch, digamma_table):
    """Each set's sum of pooled k-NN JS terms, for each labelling.

    A point of a set contributes ``digamma_table[l]`` (``log 2 + psi(k) -
    psi(k + l)``), where ``l`` counts the other set's points at positive
    distance at most ``stretch[s] * rho``, ``rho`` its k-th nearest other point
    of its own set and ``s`` its set (0: labelled True); see
    :func:`divergences.knn_estimators.js_knn`.

    Parameters
    ----------
    distances, indices : (N, K) float64, intp
        As for :func:`permuted_knn_log_ratios`.
    labels : (B, N) bool
    k : int
    stretch : (2,) float64 -- the radius factor of each set's points
    digamma_table : (K + 1,) float64 -- the term for each count ``l``

    Returns
    -------
    sums : (B, 2) float64 -- the first and the second set's sums
    complete : (B,) bool -- False where some point's list ended before its
        rescaled ball did (the caller recomputes that labelling).
    """
    count = labels.shape[0]
    sums = np.zeros((count, 2))
    complete = np.ones(count, dtype=np.bool_)
    for b in prange(count):
        _labelled_js_sums(distances, indices, labels[b], k, stretch, digamma_table, sums,
                          complete, b)
    return sums, complete


@njit(cache=True, nogil=True)
def permuted_knn_js_sums_serial(distances, indices, labels, k, stretch, digamma_table):
    """:func:`permuted_knn_js_sums` on the calling thread (the serial path for small problems)."""
    count = labels.shape[0]
    sums = np.zeros((count, 2))
    complete = np.ones(count, dtype=np.bool_)
    for b in range(count):
        _labelled_js_sums(distances, indices, labels[b], k, stretch, digamma_table, sums,
                          complete, b)
    return sums, complete


@njit(cache=True, nogil=True)
def _labelled_js_sums(distances, indices, labelled, k, stretch, digamma_table, sums,
                      complete, b):
    """``sums[b]`` for one labelling; ``complete[b] = False`` where a list ends too soon."""
    total = labelled.shape[0]
    width = distances.shape[1]
    whole = width >= total  # every pooled point is listed: no ball runs past the list
    first = 0.0
    second = 0.0
    for i in range(total):
        own = labelled[i]
        same = 0
        rho = -1.0
        for t in range(width):
            dist = distances[i, t]
            if math.isinf(dist):
                break
            if dist > 0.0 and labelled[indices[i, t]] == own:
                same += 1
                if same == k:
                    rho = dist
                    break
        if rho < 0.0:
            complete[b] = False
            return
        radius = stretch[0 if own else 1] * rho
        others = 0
        ended = True  # the ball ends inside the list (or the pooled sample does)
        for t in range(width):
            dist = distances[i, t]
            if dist > radius:  # also inf: no more points
                ended = True
                break
            ended = False
            if dist > 0.0 and labelled[indices[i, t]] != own:
                others += 1
        if not ended and not whole:
            complete[b] = False
            return
        if own:
            first += digamma_table[others]
        else:
            second += digamma_table[others]
    sums[b, 0] = first
    sums[b, 1] = second
