"""The epsilon-scaling auction for the assignment problem (Bertsekas).

Minimisation form: ``n`` persons (rows) are matched to ``n`` objects
(columns) so that ``sum_i c[i, sigma(i)]`` is least. Objects carry prices
``p`` that only ever rise; an unassigned person ``i`` bids for the object
``j1`` minimising ``c[i, j] + p[j]`` and raises its price by the gap to the
second best plus ``eps``. At the end of a phase every person holds an object
within ``eps`` of its best ("eps-complementary slackness"), so the assignment
costs at most ``n * eps`` more than the optimum and the potentials
``u_i = min_j c[i, j] + p[j]``, ``v_j = -p[j]`` prove it (the duality gap is
the sum of the assigned reduced costs). Phases divide ``eps`` until that
bound is below the caller's tolerance.

References: D. P. Bertsekas, "Auction algorithms for network flow problems:
a tutorial introduction", Comput. Optim. Appl. 1 (1992) 7-66 -- the bid,
eps-scaling, and the remark that a cached list of a person's best objects
stays a valid bound while prices rise, which the ``_bid`` cache below uses.

Costs are computed on the fly from the points: the kernels hold O(n * cache)
numbers, never the n-by-n matrix. A row's best columns are found either by a
scan of all columns, or -- in low dimension -- by branch and bound over a
box tree of the columns (:func:`divergences._kernels.kdtree.box_tree`, the
tree the k-NN searches use) whose nodes keep the least price below them
(``|x - box|^order + least price`` bounds every column in a box from below;
the bounds stay exact as prices rise because each bid updates the path of
its column's leaf to the root).
"""

import math

import numpy as np
from numba import njit, prange

from .kdtree import box_distance_below, box_tree, no_tree


@njit(cache=True, nogil=True)
def cost_row(i, x, y_t, order, out):
    """``out[j] = |x_i - y_j|^order``, with ``y_t`` the (d, m) transposed targets.

    The dimension loop is outside, and the power is taken in the pass over
    the last dimension, so that each loop over ``j`` vectorises.
    """
    m = y_t.shape[1]
    d = x.shape[1]
    for k in range(d - 1):
        xk = x[i, k]
        yk = y_t[k]
        if k == 0:
            for j in range(m):
                diff = xk - yk[j]
                out[j] = diff * diff
        else:
            for j in range(m):
                diff = xk - yk[j]
                out[j] += diff * diff
    xk = x[i, d - 1]
    yk = y_t[d - 1]
    if d == 1:
        for j in range(m):
            out[j] = 0.0
    if order == 1.0:
        for j in range(m):
            diff = xk - yk[j]
            out[j] = math.sqrt(out[j] + diff * diff)
    elif order == 2.0:
        for j in range(m):
            diff = xk - yk[j]
            out[j] += diff * diff
    else:
        half = 0.5 * order
        for j in range(m):
            diff = xk - yk[j]
            out[j] = (out[j] + diff * diff) ** half


@njit(cache=True, nogil=True, inline="always")
def _keep(top_val, top_idx, top_cost, value, j, cost):
    """Insert column ``j`` (``value`` = its cost + price) into the sorted best-so-far buffers.

    The caller has checked that ``value`` is below the last kept value, which
    drops out. Returns the new cut: the last kept value.
    """
    width = top_val.shape[0]
    t = width - 1
    while t > 0 and top_val[t - 1] > value:
        top_val[t] = top_val[t - 1]
        top_idx[t] = top_idx[t - 1]
        top_cost[t] = top_cost[t - 1]
        t -= 1
    top_val[t] = value
    top_idx[t] = j
    top_cost[t] = cost
    return top_val[width - 1]


@njit(cache=True, nogil=True)
def _scan(row, prices, top_val, top_idx, top_cost):
    """The ``len(top_val)`` smallest ``row[j] + prices[j]``, sorted, into the buffers."""
    width = top_val.shape[0]
    for t in range(width):
        top_val[t] = np.inf
        top_idx[t] = -1
        top_cost[t] = np.inf
    cut = np.inf
    for j in range(row.shape[0]):
        value = row[j] + prices[j]
        if value < cut:
            cut = _keep(top_val, top_idx, top_cost, value, j, row[j])


@njit(cache=True, nogil=True)
def _reach2(room, order):
    """The squared distance whose cost is ``room``: ``room^(2/order)``, or -1 if room <= 0.

    Comparing squared distances with it spares a root per candidate.
    """
    if room <= 0.0:
        return -1.0
    if order == 1.0:
        return room * room
    if order == 2.0:
        return room
    return room ** (2.0 / order)


@njit(cache=True, nogil=True)
def _point_cost(xi, y, j, order):
    total = 0.0
    for k in range(xi.shape[0]):
        diff = xi[k] - y[j, k]
        total += diff * diff
    if order == 2.0:
        return total
    if order == 1.0:
        return math.sqrt(total)
    return total ** (0.5 * order)


@njit(cache=True, nogil=True)
def _tree_scan(xi, y, order, prices, tree, least, top_val, top_idx, top_cost, stack, stack_d2):
    """As :func:`_scan`, by branch and bound over the box tree ``tree``.

    A node is searched only while ``|xi - box|^order + least price`` (a lower
    bound of every value below it) is under the current ``width``-th best
    value; nearer boxes first, so that this cut falls fast.
    """
    lo, hi, start, end, leaf_first = tree
    width = top_val.shape[0]
    d = xi.shape[0]
    for t in range(width):
        top_val[t] = np.inf
        top_idx[t] = -1
        top_cost[t] = np.inf
    cut = np.inf
    stack[0] = 0
    stack_d2[0] = box_distance_below(xi, lo, hi, 0)
    size = 1
    while size > 0:
        size -= 1
        node = stack[size]
        if cut < np.inf and stack_d2[size] >= _reach2(cut - least[node], order):
            continue
        if node >= leaf_first:
            for j in range(start[node], end[node]):
                dist2 = 0.0
                for k in range(d):
                    diff = xi[k] - y[j, k]
                    dist2 += diff * diff
                if cut < np.inf and dist2 >= _reach2(cut - prices[j], order):
                    continue
                if order == 2.0:
                    cost = dist2
                elif order == 1.0:
                    cost = math.sqrt(dist2)
                else:
                    cost = dist2 ** (0.5 * order)
                value = cost + prices[j]
                if value < cut:
                    cut = _keep(top_val, top_idx, top_cost, value, j, cost)
        else:
            left = 2 * node + 1
            right = left + 1
            left_d2 = box_distance_below(xi, lo, hi, left)
            right_d2 = box_distance_below(xi, lo, hi, right)
            left_in = cut == np.inf or left_d2 < _reach2(cut - least[left], order)
            right_in = cut == np.inf or right_d2 < _reach2(cut - least[right], order)
            # Push the nearer child last, so that it is searched first.
            if left_d2 <= right_d2:
                if right_in:
                    stack[size] = right
                    stack_d2[size] = right_d2
                    size += 1
                if left_in:
                    stack[size] = left
                    stack_d2[size] = left_d2
                    size += 1
            else:
                if left_in:
                    stack[size] = left
                    stack_d2[size] = left_d2
                    size += 1
                if right_in:
                    stack[size] = right
                    stack_d2[size] = right_d2
                    size += 1


@njit(cache=True, nogil=True)
def _least_prices(prices, tree):
    """The least price below every node of the tree."""
    lo, hi, start, end, leaf_first = tree
    n_nodes = start.shape[0]
    least = np.empty(n_nodes)
    for node in range(n_nodes - 1, -1, -1):
        if node >= leaf_first:
            best = np.inf
            for j in range(start[node], end[node]):
                if prices[j] < best:
                    best = prices[j]
            least[node] = best
        else:
            least[node] = min(least[2 * node + 1], least[2 * node + 2])
    return least


@njit(cache=True, nogil=True)
def _price_rose(j, prices, tree, leaf_of, least):
    """Update the least prices on the path from column ``j``'s leaf to the root."""
    lo, hi, start, end, leaf_first = tree
    node = leaf_of[j]
    best = np.inf
    for t in range(start[node], end[node]):
        if prices[t] < best:
            best = prices[t]
    if best == least[node]:
        return
    least[node] = best
    while node > 0:
        node = (node - 1) // 2
        best = min(least[2 * node + 1], least[2 * node + 2])
        if best == least[node]:
            return
        least[node] = best


@njit(cache=True, nogil=True)
def _stack_size(tree):
    lo, hi, start, end, leaf_first = tree
    depth = 0
    node = leaf_first
    while node > 0:
        node = (node - 1) // 2
        depth += 1
    return 2 * depth + 4


@njit(cache=True, nogil=True)
def auction(x, y, order, tree, leaf_of, eps_start, theta, rel_tol, abs_tol, max_bids, width,
            status):
    """Assign rows to columns by epsilon-scaling forward auction.

    Parameters
    ----------
    x : (n, d) float64, y : (n, d) float64
        Row and column points; with a tree, ``y`` in the tree's order.
    order : float
        Cost ``|x_i - y_j|^order``.
    tree : tuple (lo, hi, start, end, leaf_first)
        A box tree of ``y`` (see :func:`divergences._kernels.kdtree.box_tree`),
        or one with no nodes (``start`` empty) to scan every column.
    leaf_of : int64 array
        The leaf node holding each column (unused without a tree).
    eps_start : float
        The first phase's eps (a fraction of the cost range).
    theta : float
        Factor dividing eps between phases.
    rel_tol, abs_tol : float
        Phases stop once ``n * eps <= rel_tol * total + abs_tol``, ``total``
        the assignment's cost: the duality gap is then within that bound.
    max_bids : int
        Bid budget; when spent, the kernel stops with some rows unassigned.
    width : int
        Length of each row's cache of best columns (at most n - 1).
    status : float64 array, length 2 or 0
        Where the auction says how far it is, for a progress report read by
        another thread while this one runs (the kernel releases the GIL):
        ``status[1]`` the eps of the current phase, then ``status[0]`` the
        number of phases begun. Written once per phase; length 0 for none.

    Returns
    -------
    assigned : int64 array, column of each row (-1 if unassigned)
    prices : float64 array
    n_bids : int
    n_scans : int
        Bids that searched all columns (the others used the cache).
    eps : float
        The last phase's eps.
    complete : bool
    """
    n = x.shape[0]
    use_tree = tree[2].shape[0] > 0
    prices = np.zeros(n)
    least = _least_prices(prices, tree) if use_tree else np.zeros(0)
    stack = np.empty(_stack_size(tree) if use_tree else 0, dtype=np.int64)
    stack_d2 = np.empty(stack.shape[0])
    y_t = np.ascontiguousarray(y.T) if not use_tree else np.empty((0, 0))
    assigned = np.full(n, -1, dtype=np.int64)
    assigned_cost = np.zeros(n)
    owner = np.full(n, -1, dtype=np.int64)
    # Row i's cache: its `width` best columns at the last scan, their costs,
    # and `bound[i]`, the (width+1)-th best value then. Prices only rise, so
    # every column outside the cache still costs row i at least bound[i].
    cache_idx = np.zeros((n, width), dtype=np.int64)
    cache_cost = np.zeros((n, width))
    bound = np.full(n, -np.inf)
    top_val = np.empty(width + 1)
    top_idx = np.empty(width + 1, dtype=np.int64)
    top_cost = np.empty(width + 1)
    row = np.empty(n)
    queue = np.empty(n, dtype=np.int64)
    n_bids = 0
    n_scans = 0
    eps = eps_start
    phase = 0
    while True:
        phase += 1
        if status.shape[0] >= 2:
            status[1] = eps
            status[0] = phase
        for j in range(n):
            owner[j] = -1
        for i in range(n):
            assigned[i] = -1
            queue[i] = i
        head = 0
        pending = n
        while pending > 0:
            if n_bids >= max_bids:
                return assigned, prices, n_bids, n_scans, eps, False
            i = queue[head]
            head += 1
            if head == n:
                head = 0
            pending -= 1
            n_bids += 1
            best = np.inf
            second = np.inf
            best_j = -1
            best_cost = 0.0
            for t in range(width):
                j = cache_idx[i, t]
                value = cache_cost[i, t] + prices[j]
                if value < second:
                    if value < best:
                        second = best
                        best = value
                        best_j = j
                        best_cost = cache_cost[i, t]
                    else:
                        second = value
            if best <= bound[i]:
                if bound[i] < second:
                    second = bound[i]
            else:
                n_scans += 1
                if use_tree:
                    _tree_scan(x[i], y, order, prices, tree, least, top_val, top_idx, top_cost,
                               stack, stack_d2)
                else:
                    cost_row(i, x, y_t, order, row)
                    _scan(row, prices, top_val, top_idx, top_cost)
                for t in range(width):
                    cache_idx[i, t] = top_idx[t]
                    cache_cost[i, t] = top_cost[t]
                bound[i] = top_val[width]
                best = top_val[0]
                best_j = top_idx[0]
                best_cost = top_cost[0]
                second = top_val[1]
            raised = prices[best_j] + ((second - best) + eps)
            if raised <= prices[best_j]:
                # eps below the spacing of floats at this price: rise by one
                # ulp, so that every bid still makes progress and the auction ends.
                raised = np.nextafter(prices[best_j], np.inf)
            prices[best_j] = raised
            if use_tree:
                _price_rose(best_j, prices, tree, leaf_of, least)
            previous = owner[best_j]
            owner[best_j] = i
            assigned[i] = best_j
            assigned_cost[i] = best_cost
            if previous >= 0:
                assigned[previous] = -1
                tail = head + pending
                if tail >= n:
                    tail -= n
                queue[tail] = previous
                pending += 1
        total = 0.0
        for i in range(n):
            total += assigned_cost[i]
        if n * eps <= rel_tol * total + abs_tol:
            return assigned, prices, n_bids, n_scans, eps, True
        eps = max(eps / theta, 0.5 * (rel_tol * total + abs_tol) / n)


@njit(cache=True, nogil=True)
def _row_minimum(i, x, y, y_t, order, prices, tree, least, stack_size, assigned, u, slack):
    """``u[i]`` and ``slack[i]`` of :func:`row_minima`."""
    if tree[2].shape[0] > 0:
        top_val = np.empty(1)
        top_idx = np.empty(1, dtype=np.int64)
        top_cost = np.empty(1)
        _tree_scan(x[i], y, order, prices, tree, least, top_val, top_idx, top_cost,
                   np.empty(stack_size, dtype=np.int64), np.empty(stack_size))
        best = top_val[0]
    else:
        row = np.empty(prices.shape[0])
        cost_row(i, x, y_t, order, row)
        best = np.inf
        for j in range(row.shape[0]):
            value = row[j] + prices[j]
            if value < best:
                best = value
    u[i] = best
    if slack.shape[0] > 0:
        j = assigned[i]
        slack[i] = (_point_cost(x[i], y, j, order) + prices[j]) - best


@njit(cache=True, nogil=True, parallel=True)
def _row_minima_parallel(x, y, y_t, order, prices, tree, least, stack_size, assigned, u, slack):
    for i in prange(x.shape[0]):
        _row_minimum(i, x, y, y_t, order, prices, tree, least, stack_size, assigned, u, slack)


@njit(cache=True, nogil=True)
def _row_minima_serial(x, y, y_t, order, prices, tree, least, stack_size, assigned, u, slack):
    for i in range(x.shape[0]):
        _row_minimum(i, x, y, y_t, order, prices, tree, least, stack_size, assigned, u, slack)


@njit(cache=True, nogil=True)
def _row_minima_setup(y, prices, tree, assigned, n):
    use_tree = tree[2].shape[0] > 0
    least = _least_prices(prices, tree) if use_tree else np.zeros(0)
    stack_size = _stack_size(tree) if use_tree else 0
    y_t = np.ascontiguousarray(y.T) if not use_tree else np.empty((0, 0))
    slack = np.empty(n if assigned.shape[0] == n else 0)
    return least, stack_size, y_t, np.empty(n), slack


def row_minima(x, y, order, prices, tree, assigned, threads=1):
    """Row potentials, and the slack of an assignment, for a certificate.

    Returns ``u_i = min_j c[i, j] + prices[j]`` and, when ``assigned`` has one
    column per row, ``slack_i = c[i, assigned[i]] + prices[assigned[i]] - u_i``
    (>= 0; an empty array otherwise). With ``v = -prices`` the pair ``(u, v)``
    is dual feasible, and the duality gap of the assignment is ``sum(slack)``:
    computed row by row it suffers no cancellation between large potentials.
    ``tree`` as in :func:`auction` (with ``y`` in its order), or empty.
    Rows are split over up to ``threads`` threads when the work is large
    enough to repay starting them (``threads=1``: the calling thread only).
    """
    from . import launch

    n = x.shape[0]
    least, stack_size, y_t, u, slack = _row_minima_setup(y, prices, tree, assigned, n)
    work = n * (64 * math.log2(max(y.shape[0], 2)) if tree[2].shape[0] > 0 else y.shape[0])
    launch(_row_minima_parallel, _row_minima_serial, threads if work > 5e6 else 1,
           x, y, y_t, float(order), prices, tree, least, stack_size, assigned, u, slack)
    return u, slack


@njit(cache=True, nogil=True)
def pair_costs(x, y, rows, cols, order):
    """``|x[rows[t]] - y[cols[t]]|^order`` for a list of pairs (a sparse plan's support)."""
    out = np.empty(rows.shape[0])
    for t in range(rows.shape[0]):
        total = 0.0
        for k in range(x.shape[1]):
            diff = x[rows[t], k] - y[cols[t], k]
            total += diff * diff
        if order == 1.0:
            out[t] = math.sqrt(total)
        elif order == 2.0:
            out[t] = total
        else:
            out[t] = total ** (0.5 * order)
    return out


def warm_up():
    """Compile (or load from cache) every kernel of this module on a tiny problem."""
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    for tree, leaf_of, perm in (no_tree(4), box_tree(x, 2)):
        y = np.ascontiguousarray(x[::-1][perm])
        for order in (1.0, 2.0, 1.5):
            for status in (np.zeros(0), np.zeros(2)):
                assigned, prices, _, _, _, _ = auction(
                    x, y, order, tree, leaf_of, 0.5, 8.0, 1e-11, 1e-14, 10**6, 2, status
                )
            for run in (_row_minima_serial, _row_minima_parallel):
                for rows in (assigned, np.empty(0, dtype=np.int64)):
                    least, stack_size, y_t, u, slack = _row_minima_setup(y, prices, tree, rows, 4)
                    run(x, y, y_t, order, prices, tree, least, stack_size, rows, u, slack)
    pair_costs(x, x, assigned, assigned, 1.0)
