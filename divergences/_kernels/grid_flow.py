"""A primal network simplex for uncapacitated min-cost flow on a sparse graph.

Written for W1 between two histograms on a regular grid with the L1
(cityblock) ground metric, which is a transshipment problem on the grid graph:
arcs between neighbouring cells in both directions, each costing the spacing
along its axis (Ling & Okada, "An efficient earth mover's distance algorithm
for robust histogram comparison", IEEE TPAMI 29(5), 2007): O(N) arcs where
the transportation problem has N^2.

The algorithm is the textbook primal network simplex (Ahuja, Magnanti & Orlin,
"Network Flows", 1993, ch. 11), with

* a first spanning tree found breadth first from the grid's centre: every
  edge has both directions, so the tree can carry its unique flow the right
  way -- a feasible basis with no artificial arcs, and a shallow one;
* Cunningham's strongly feasible trees (the leaving arc is the last blocking
  arc met along the cycle's orientation from its apex), which rules out
  cycling on the many degenerate pivots;
* block search pricing: the most negative reduced cost in a block of about
  sqrt(arcs) arcs, blocks taken in turn;
* the tree held as parent pointers plus child lists; a pivot re-hangs the
  subtree cut off by the leaving arc and walks it once to move its potentials
  and depths.

Arrays in, arrays out; no validation (see :mod:`divergences.ot.grid`).
"""

import numpy as np
from numba import njit

__all__ = ["network_simplex"]


@njit(cache=True, nogil=True)
def _detach(node, parent, first_child, next_sib, prev_sib):
    p = parent[node]
    if prev_sib[node] != -1:
        next_sib[prev_sib[node]] = next_sib[node]
    else:
        first_child[p] = next_sib[node]
    if next_sib[node] != -1:
        prev_sib[next_sib[node]] = prev_sib[node]


@njit(cache=True, nogil=True)
def _attach(node, p, parent, first_child, next_sib, prev_sib):
    parent[node] = p
    head = first_child[p]
    next_sib[node] = head
    prev_sib[node] = -1
    if head != -1:
        prev_sib[head] = node
    first_child[p] = node


@njit(cache=True, nogil=True)
def _initial_tree(S, T, C, reverse, offsets, adjacent, supply, root, parent, pred, depth, pi,
                  flow, in_tree, first_child, next_sib, prev_sib):
    """A breadth-first spanning tree from ``root`` carrying the unique tree flow.

    Every edge exists in both directions, so each tree edge can carry its
    subtree's net supply the right way: a feasible basis without artificial
    arcs. A subtree with zero net supply gets the arc pointing away from the
    root (a strongly feasible tree). A shallow tree keeps the pivots' walks
    short. Returns the number of nodes reached (all, on a connected graph).
    """
    n = supply.shape[0]
    order = np.empty(n, dtype=np.int64)
    seen = np.zeros(n, dtype=np.bool_)
    order[0] = root
    seen[root] = True
    head, tail = 0, 1
    while head < tail:
        u = order[head]
        head += 1
        for k in range(offsets[u], offsets[u + 1]):
            e = adjacent[k]
            v = T[e]
            if not seen[v]:
                seen[v] = True
                order[tail] = v
                tail += 1
                depth[v] = depth[u] + 1
                pred[v] = e  # parent -> v, for now
                _attach(v, u, parent, first_child, next_sib, prev_sib)
    net = supply.copy()
    for k in range(tail - 1, 0, -1):
        v = order[k]
        e = pred[v]
        if net[v] > 0.0:
            e = reverse[e]  # v -> parent carries the surplus out
            flow[e] = net[v]
        else:
            flow[e] = -net[v]
        pred[v] = e
        in_tree[e] = True
        net[parent[v]] += net[v]
    for k in range(1, tail):
        v = order[k]
        e = pred[v]
        pi[v] = pi[parent[v]] + C[e] if S[e] == v else pi[parent[v]] - C[e]
    return tail


@njit(cache=True, nogil=True)
def network_simplex(src, dst, cost, reverse, offsets, adjacent, supply, root, tol, max_pivots):
    """Min-cost flow ``min sum c_e x_e`` with ``out(v) - in(v) = supply_v``, ``x >= 0``.

    Parameters
    ----------
    src, dst : int64 arrays (E,)
        The arcs; every arc's reverse is an arc too (``reverse``), and the
        graph is connected.
    cost : float64 array (E,)
        Non-negative arc costs.
    reverse : int64 array (E,)
        The index of each arc's reverse.
    offsets, adjacent : int64 arrays (N + 1,), (E,)
        The arcs leaving each node: ``adjacent[offsets[u]:offsets[u + 1]]``.
    supply : float64 array (N,)
        Node supplies summing to (about) zero.
    root : int
        Where the first spanning tree (breadth first) is rooted: the centre.
    tol : float
        Reduced costs above ``-tol`` count as non-negative.
    max_pivots : int

    Returns
    -------
    flow : float64 array (E,)
    potential : float64 array (N,)
        ``pi`` with ``pi_u - pi_v <= c_uv`` (to ``tol``) at optimality.
    n_pivots : int
    status : int
        0 optimal, 1 stopped at ``max_pivots``, 2 unbounded (a negative cost
        cycle), 3 the graph is not connected.
    """
    n = supply.shape[0]
    m = src.shape[0]
    S, T, C = src, dst, cost
    flow = np.zeros(m, dtype=np.float64)
    in_tree = np.zeros(m, dtype=np.bool_)
    parent = np.full(n, -1, dtype=np.int64)
    pred = np.full(n, -1, dtype=np.int64)
    depth = np.zeros(n, dtype=np.int64)
    pi = np.zeros(n, dtype=np.float64)
    first_child = np.full(n, -1, dtype=np.int64)
    next_sib = np.full(n, -1, dtype=np.int64)
    prev_sib = np.full(n, -1, dtype=np.int64)
    reached = _initial_tree(S, T, C, reverse, offsets, adjacent, supply, root, parent, pred, depth,
                            pi, flow, in_tree, first_child, next_sib, prev_sib)
    if reached < n:
        return flow, pi, 0, 3
    block = max(int(np.sqrt(m)), 64)
    cursor = 0
    n_pivots = 0
    status = 0
    while True:
        # Pricing: scan blocks until one holds an eligible arc, or all arcs were seen.
        best, best_rc = -1, -tol
        scanned = 0
        while scanned < m:
            stop = min(scanned + block, m)
            while scanned < stop:
                e = cursor
                cursor += 1
                if cursor == m:
                    cursor = 0
                scanned += 1
                if not in_tree[e]:
                    rc = C[e] - pi[S[e]] + pi[T[e]]
                    if rc < best_rc:
                        best_rc, best = rc, e
            if best >= 0:
                break
        if best < 0:
            break
        if n_pivots >= max_pivots:
            status = 1
            break
        n_pivots += 1
        u, v = S[best], T[best]
        # The apex of the cycle.
        a, b = u, v
        while a != b:
            if depth[a] > depth[b]:
                a = parent[a]
            elif depth[b] > depth[a]:
                b = parent[b]
            else:
                a = parent[a]
                b = parent[b]
        join = a
        # The cycle, oriented along the entering arc u -> v: join -> ... -> u -> v -> ... -> join.
        # Blocking arcs point against it; the last met from the apex leaves.
        delta = np.inf
        out_node, side = -1, 0
        w = u
        while w != join:
            arc = pred[w]
            if S[arc] == w and flow[arc] < delta:
                delta, out_node, side = flow[arc], w, 1
            w = parent[w]
        w = v
        while w != join:
            arc = pred[w]
            if S[arc] != w and flow[arc] <= delta:
                delta, out_node, side = flow[arc], w, 2
            w = parent[w]
        if out_node < 0:
            # No blocking arc: a cycle of negative cost, impossible with costs >= 0.
            status = 2
            break
        if delta > 0.0:
            flow[best] += delta
            w = u
            while w != join:
                arc = pred[w]
                if S[arc] == w:
                    flow[arc] -= delta
                else:
                    flow[arc] += delta
                w = parent[w]
            w = v
            while w != join:
                arc = pred[w]
                if S[arc] == w:
                    flow[arc] += delta
                else:
                    flow[arc] -= delta
                w = parent[w]
        leaving = pred[out_node]
        in_tree[best] = True
        in_tree[leaving] = False
        if side == 1:
            x, y, shift = u, v, best_rc
        else:
            x, y, shift = v, u, -best_rc
        # Re-hang the subtree cut off below out_node from x, reversing the path x .. out_node.
        prev_node, prev_arc, node = y, best, x
        while True:
            next_node = parent[node]
            next_arc = pred[node]
            _detach(node, parent, first_child, next_sib, prev_sib)
            _attach(node, prev_node, parent, first_child, next_sib, prev_sib)
            pred[node] = prev_arc
            if node == out_node:
                break
            prev_node, prev_arc, node = node, next_arc, next_node
        # Depths and potentials of the re-hung subtree, in preorder.
        node = x
        while True:
            depth[node] = depth[parent[node]] + 1
            pi[node] += shift
            if first_child[node] != -1:
                node = first_child[node]
                continue
            while node != x and next_sib[node] == -1:
                node = parent[node]
            if node == x:
                break
            node = next_sib[node]
    return flow, pi, n_pivots, status
