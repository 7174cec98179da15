"""A primal network simplex for uncapacitated min-cost flow on a sparse graph.

Written for W1 between two histograms on a regular grid with the L1
(cityblock) ground metric, which is a transshipment problem on the grid graph:
arcs between neighbouring cells in both directions, each costing the spacing
along its axis (Ling & Okada, "An efficient earth mover's distance algorithm
for robust histogram comparison", IEEE TPAMI 29(5), 2007): O(N) arcs where
the transportation problem has N^2.

The algorithm is the textbook primal network simplex (Ahuja, Magnanti & Orlin,
"Network Flows", 1993, ch. 11), organised the way fast codes are (the data
structures are those described for LEMON's NetworkSimplex in Kovacs,
"Minimum-cost flow algorithms: an experimental evaluation", Optimization
Methods & Software 30(1), 2015; written here from those descriptions):

* the spanning tree is held as ``parent`` / ``pred`` (the tree arc to the
  parent) plus a preorder *thread* with its reverse, the size of each
  subtree (``succ_num``) and its last node in preorder (``last_succ``). A
  pivot finds the cycle's apex by climbing from the endpoint with the
  smaller subtree, re-hangs the cut subtree by splicing O(stem) pieces of
  the thread (the stem being the tree path reversed by the pivot), fixes
  ``succ_num`` / ``last_succ`` on the two paths to the apex, and moves the
  potentials of whichever side of the cut is smaller (potentials matter
  only up to a constant): no O(N) work per pivot;
* any spanning tree is a first basis: every edge has both directions, so
  the tree carries its unique flow the right way -- no artificial arcs
  (whose big costs would spoil the potentials' rounding). Without a given
  tree, a breadth-first one from the grid's centre (a shallow one);
* Cunningham's strongly feasible trees (the leaving arc is the last blocking
  arc met along the cycle's orientation from its apex), which rules out
  cycling on the many degenerate pivots;
* block search pricing: the most negative reduced cost in a block of arcs,
  blocks taken in turn (here small blocks, sqrt(arcs) / 32, see below);
* a multiscale start (by :mod:`divergences.ot.grid`): the problem coarsened
  2x per axis is solved first, recursively, and its optimal tree lifted to
  the fine grid (:func:`lift_tree`) -- 5-6x fewer pivots on smooth images;
* at the end the potentials are recomputed from the tree (no drift from
  the pivots' shifts) and every arc priced again; a pivot follows if one is
  still eligible.

Arrays in, arrays out; no validation (see :mod:`divergences.ot.grid`).
"""

import numpy as np
from numba import njit

__all__ = ["network_simplex", "lift_tree", "check_tree"]

# Pricing blocks of sqrt(arcs) / 32 arcs: on grids, small blocks taken in the
# arcs' grid order made the fewest and cheapest pivots (measured on 256 x 256
# noise: 296 M potential updates against 875 M with blocks of sqrt(arcs), and
# about the same on smooth images; benchmarks/bench_grids.py).
_BLOCK_DIVISOR = 32


@njit(cache=True, nogil=True)
def _breadth_first_tree(T, offsets, adjacent, root, parent, pred):
    """A breadth-first spanning tree from ``root`` (``pred[v]``: an arc between v and its parent).

    Returns how many nodes were reached (all, on a connected graph).
    """
    n = parent.shape[0]
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
                parent[v] = u
                pred[v] = e
    return tail


@njit(cache=True, nogil=True)
def _tree_flow(S, reverse, supply, root, parent, pred, thread, flow, in_tree):
    """Orient each tree edge to carry its subtree's net supply: the tree's unique flow.

    Every edge exists in both directions, so the flow is feasible whatever
    the tree: a basis without artificial arcs. A subtree with zero net
    supply gets the arc pointing away from the root (a strongly feasible tree).
    """
    n = supply.shape[0]
    order = np.empty(n, dtype=np.int64)
    w = root
    for i in range(n):
        order[i] = w
        w = thread[w]
    net = supply.copy()
    for k in range(n - 1, 0, -1):
        v = order[k]
        e = pred[v]
        if S[e] == v:
            e = reverse[e]  # now parent -> v
        if net[v] > 0.0:
            e = reverse[e]  # v -> parent carries the surplus out
            flow[e] = net[v]
        else:
            flow[e] = -net[v]
        pred[v] = e
        in_tree[e] = True
        net[parent[v]] += net[v]


@njit(cache=True, nogil=True)
def _thread_tree(root, parent, thread, rev_thread, succ_num, last_succ):
    """The preorder thread, subtree sizes and last descendants of a tree given by ``parent``."""
    n = parent.shape[0]
    first_child = np.full(n, -1, dtype=np.int64)
    next_sib = np.full(n, -1, dtype=np.int64)
    for v in range(n):
        if v != root:
            p = parent[v]
            next_sib[v] = first_child[p]
            first_child[p] = v
    order = np.empty(n, dtype=np.int64)
    stack = np.empty(n, dtype=np.int64)
    stack[0] = root
    top, k = 1, 0
    while top > 0:
        top -= 1
        v = stack[top]
        order[k] = v
        k += 1
        c = first_child[v]
        while c != -1:
            stack[top] = c
            top += 1
            c = next_sib[c]
    position = np.empty(n, dtype=np.int64)
    for i in range(n):
        position[order[i]] = i
        thread[order[i]] = order[(i + 1) % n]
        rev_thread[order[(i + 1) % n]] = order[i]
    succ_num[:] = 1
    for i in range(n - 1, 0, -1):
        succ_num[parent[order[i]]] += succ_num[order[i]]
    for i in range(n):
        v = order[i]
        last_succ[v] = order[position[v] + succ_num[v] - 1]


@njit(cache=True, nogil=True)
def _tree_potentials(S, C, root, parent, pred, thread, pi):
    """``pi`` with ``pi_S - pi_T = c`` on every tree arc, ``pi_root = 0``, in preorder."""
    pi[root] = 0.0
    w = thread[root]
    while w != root:
        e = pred[w]
        pi[w] = pi[parent[w]] + C[e] if S[e] == w else pi[parent[w]] - C[e]
        w = thread[w]


@njit(cache=True, nogil=True)
def _price(S, T, C, pi, in_tree, cursor, block, tol):
    """Block search: the most negative reduced cost of the first block holding one.

    Returns ``(arc or -1, its reduced cost, next cursor)``; -1 after a full
    pass found no reduced cost below ``-tol``.
    """
    m = S.shape[0]
    best, best_rc = -1, -tol
    scanned = 0
    while scanned < m:
        stop = min(scanned + block, m)
        count = stop - scanned
        scanned = stop
        for _ in range(count):
            e = cursor
            cursor += 1
            if cursor == m:
                cursor = 0
            rc = C[e] - pi[S[e]] + pi[T[e]]
            if rc < best_rc and not in_tree[e]:
                best_rc, best = rc, e
        if best >= 0:
            break
    return best, best_rc, cursor


@njit(cache=True, nogil=True)
def _relabel_last(w, old, new, parent, last_succ):
    """From ``w`` up, while a subtree ends at ``old``, make it end at ``new``."""
    while w != -1 and last_succ[w] == old:
        last_succ[w] = new
        w = parent[w]


@njit(cache=True, nogil=True)
def _add_to_path(w, stop, amount, parent, succ_num):
    """Add ``amount`` to the subtree sizes from ``w`` up to ``stop`` (excluded)."""
    while w != stop:
        succ_num[w] += amount
        w = parent[w]


@njit(cache=True, nogil=True)
def network_simplex(src, dst, cost, reverse, offsets, adjacent, supply, root, tol, max_pivots,
                    start_parent, start_pred, verify=False):
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
        The root of the first spanning tree.
    start_parent, start_pred : int64 arrays (N,) or (0,)
        The first spanning tree: each node's parent (-1 at ``root``) and an
        arc between the two (either direction); empty for a breadth-first
        tree from ``root``.
    tol : float
        Reduced costs above ``-tol`` count as non-negative.
    max_pivots : int
    verify : bool
        Check the tree's thread after every pivot (O(N) each; for tests).

    Returns
    -------
    flow : float64 array (E,)
    potential : float64 array (N,)
        ``pi`` with ``pi_u - pi_v <= c_uv`` (to ``tol``) at optimality.
    parent, pred : int64 arrays (N,)
        The final spanning tree (``pred[v]`` the tree arc between v and its parent).
    n_pivots : int
    status : int
        0 optimal, 1 stopped at ``max_pivots``, 2 unbounded (a negative cost
        cycle), 3 the graph is not connected, 4 a broken tree (``verify``).
    """
    n = supply.shape[0]
    m = src.shape[0]
    S, T, C = src, dst, cost
    flow = np.zeros(m, dtype=np.float64)
    in_tree = np.zeros(m, dtype=np.bool_)
    parent = np.full(n, -1, dtype=np.int64)
    pred = np.full(n, -1, dtype=np.int64)
    pi = np.zeros(n, dtype=np.float64)
    if start_parent.shape[0] == n:
        parent[:] = start_parent
        pred[:] = start_pred
    elif _breadth_first_tree(T, offsets, adjacent, root, parent, pred) < n:
        return flow, pi, parent, pred, 0, 3
    thread = np.empty(n, dtype=np.int64)
    rev_thread = np.empty(n, dtype=np.int64)
    succ_num = np.empty(n, dtype=np.int64)
    last_succ = np.empty(n, dtype=np.int64)
    _thread_tree(root, parent, thread, rev_thread, succ_num, last_succ)
    _tree_flow(S, reverse, supply, root, parent, pred, thread, flow, in_tree)
    _tree_potentials(S, C, root, parent, pred, thread, pi)
    # Work arrays for one pivot: the stem and the old values read along it.
    stem = np.empty(n, dtype=np.int64)
    stem_last = np.empty(n, dtype=np.int64)
    stem_rev = np.empty(n, dtype=np.int64)
    stem_size = np.empty(n, dtype=np.int64)
    stem_pred = np.empty(n, dtype=np.int64)
    seg_start = np.empty(2 * n + 1, dtype=np.int64)
    seg_end = np.empty(2 * n + 1, dtype=np.int64)
    block = max(int(np.sqrt(m)) // _BLOCK_DIVISOR, 8)
    cursor = 0
    n_pivots = 0
    status = 0
    fresh = True  # potentials just computed from the tree
    while True:
        best, best_rc, cursor = _price(S, T, C, pi, in_tree, cursor, block, tol)
        if best < 0:
            if fresh:
                break
            # Confirm on drift-free potentials before stopping.
            _tree_potentials(S, C, root, parent, pred, thread, pi)
            fresh = True
            continue
        if n_pivots >= max_pivots:
            status = 1
            break
        fresh = False
        n_pivots += 1
        u, v = S[best], T[best]
        # The apex: an ancestor has the larger subtree, so climb from the smaller.
        a, b = u, v
        while a != b:
            if succ_num[a] < succ_num[b]:
                a = parent[a]
            else:
                b = parent[b]
        join = a
        # The cycle, oriented along the entering arc u -> v: join -> ... -> u -> v -> ... -> join.
        # Blocking arcs point against it; the last met from the apex leaves (strong feasibility).
        delta = np.inf
        u_out, side = -1, 0
        w = u
        while w != join:
            arc = pred[w]
            if S[arc] == w and flow[arc] < delta:
                delta, u_out, side = flow[arc], w, 1
            w = parent[w]
        w = v
        while w != join:
            arc = pred[w]
            if S[arc] != w and flow[arc] <= delta:
                delta, u_out, side = flow[arc], w, 2
            w = parent[w]
        if u_out < 0:
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
        in_tree[best] = True
        in_tree[pred[u_out]] = False
        if side == 1:
            u_in, v_in, shift = u, v, best_rc
        else:
            u_in, v_in, shift = v, u, -best_rc
        # The stem u_in = s_0, ..., s_k = u_out (s_{i+1} = parent(s_i)), whose arcs reverse.
        k = 0
        w = u_in
        while True:
            stem[k] = w
            stem_last[k] = last_succ[w]
            stem_rev[k] = rev_thread[w]
            stem_size[k] = succ_num[w]
            stem_pred[k] = pred[w]
            if w == u_out:
                break
            w = parent[w]
            k += 1
        size = stem_size[k]
        old_last = stem_last[k]
        before = stem_rev[k]
        after_chunk = thread[old_last]
        old_parent = parent[u_out]
        # The re-rooted subtree's preorder: T(s_0), then for each s_i its old
        # subtree without T(s_{i-1}) -- two pieces of the old thread each.
        n_seg = 1
        seg_start[0], seg_end[0] = stem[0], stem_last[0]
        for i in range(1, k + 1):
            seg_start[n_seg], seg_end[n_seg] = stem[i], stem_rev[i - 1]
            n_seg += 1
            if stem_last[i - 1] != stem_last[i]:
                seg_start[n_seg], seg_end[n_seg] = thread[stem_last[i - 1]], stem_last[i]
                n_seg += 1
        last = seg_end[n_seg - 1]
        # Cut the old chunk out of the thread; its old ancestors lose it.
        thread[before] = after_chunk
        rev_thread[after_chunk] = before
        _relabel_last(old_parent, old_last, before, parent, last_succ)
        _add_to_path(old_parent, join, -size, parent, succ_num)
        # Join the pieces, and hang the chunk right after v_in (its first child).
        for i in range(n_seg - 1):
            thread[seg_end[i]] = seg_start[i + 1]
            rev_thread[seg_start[i + 1]] = seg_end[i]
        after = thread[v_in]
        thread[v_in] = u_in
        rev_thread[u_in] = v_in
        thread[last] = after
        rev_thread[after] = last
        _relabel_last(v_in, v_in, last, parent, last_succ)
        _add_to_path(v_in, join, size, parent, succ_num)
        # The stem, reversed.
        parent[u_in] = v_in
        pred[u_in] = best
        succ_num[u_in] = size
        last_succ[u_in] = last
        for i in range(1, k + 1):
            s = stem[i]
            parent[s] = stem[i - 1]
            pred[s] = stem_pred[i - 1]
            succ_num[s] = size - stem_size[i - 1]
            last_succ[s] = last
        # Potentials: shift the moved subtree, or (the same up to a constant) the rest.
        if 2 * size <= n:
            w = u_in
            for _ in range(size):
                pi[w] += shift
                w = thread[w]
        else:
            w = thread[last]
            for _ in range(n - size):
                pi[w] -= shift
                w = thread[w]
        if verify and not check_tree(root, parent, pred, S, T, thread, rev_thread, succ_num,
                                     last_succ):
            status = 4
            break
    return flow, pi, parent, pred, n_pivots, status


@njit(cache=True, nogil=True)
def check_tree(root, parent, pred, S, T, thread, rev_thread, succ_num, last_succ):
    """Whether ``thread`` is a preorder of the tree given by ``parent``, with its sizes and ends.

    O(N); for tests (``network_simplex(..., verify=True)`` checks after every pivot).
    """
    n = parent.shape[0]
    position = np.full(n, -1, dtype=np.int64)
    w = root
    for i in range(n):
        if position[w] != -1:
            return False
        position[w] = i
        if rev_thread[thread[w]] != w:
            return False
        w = thread[w]
    if w != root:
        return False
    for v in range(n):
        end = position[last_succ[v]]
        if end != position[v] + succ_num[v] - 1:
            return False
        if v != root:
            p = parent[v]
            e = pred[v]
            if not ((S[e] == v and T[e] == p) or (S[e] == p and T[e] == v)):
                return False
            if not (position[p] < position[v] <= position[last_succ[p]]):
                return False
    return True


@njit(cache=True, nogil=True)
def _arc_between(u, v, offsets, adjacent, T):
    for k in range(offsets[u], offsets[u + 1]):
        if T[adjacent[k]] == v:
            return adjacent[k]
    return -1


@njit(cache=True, nogil=True)
def lift_tree(coarse_parent, coarse_root, coarse_shape, fine_shape, offsets, adjacent, T):
    """A spanning tree of a grid from one of its 2x-coarsened grid (cells ``c // 2``).

    Each coarse cell is a block of up to 2^d fine cells, joined inside by a
    comb (each cell to the one with its last odd coordinate made even); each
    coarse tree edge becomes one fine edge between the two blocks, from
    their corners' row. The coarse optimum's tree thus gives a first basis
    that already routes mass roughly the right way (the multiscale start).

    Returns ``(root, parent, pred)`` of the fine tree (``pred[v]`` an arc
    between v and its parent), rooted at the coarse root's corner cell.
    """
    d = fine_shape.shape[0]
    nf = 1
    for k in range(d):
        nf *= fine_shape[k]
    stride = np.ones(d, dtype=np.int64)
    cstride = np.ones(d, dtype=np.int64)
    for k in range(d - 2, -1, -1):
        stride[k] = stride[k + 1] * fine_shape[k + 1]
        cstride[k] = cstride[k + 1] * coarse_shape[k + 1]
    # The tree's edges as an adjacency list (2 (N - 1) half-edges).
    head = np.full(nf, -1, dtype=np.int64)
    nxt = np.empty(2 * nf, dtype=np.int64)
    other = np.empty(2 * nf, dtype=np.int64)
    arc_of = np.empty(2 * nf, dtype=np.int64)
    count = 0
    for x in range(nf):
        rest = x
        last_odd = -1
        for k in range(d):
            if (rest // stride[k]) % 2 == 1:
                last_odd = k
            rest %= stride[k]
        if last_odd >= 0:
            y = x - stride[last_odd]
            e = _arc_between(x, y, offsets, adjacent, T)
            for p, q in ((x, y), (y, x)):
                other[count], arc_of[count], nxt[count] = q, e, head[p]
                head[p] = count
                count += 1
    for c in range(coarse_parent.shape[0]):
        w = coarse_parent[c]
        if w < 0:
            continue
        lo, hi = min(c, w), max(c, w)
        x, y = 0, 0
        rest_lo, rest_hi = lo, hi
        for k in range(d):
            a, b = rest_lo // cstride[k], rest_hi // cstride[k]
            rest_lo %= cstride[k]
            rest_hi %= cstride[k]
            if a != b:  # the axis they are neighbours along
                x += (2 * a + 1) * stride[k]
                y += (2 * b) * stride[k]
            else:
                x += 2 * a * stride[k]
                y += 2 * a * stride[k]
        e = _arc_between(x, y, offsets, adjacent, T)
        for p, q in ((x, y), (y, x)):
            other[count], arc_of[count], nxt[count] = q, e, head[p]
            head[p] = count
            count += 1
    root = 0
    rest = coarse_root
    for k in range(d):
        root += 2 * (rest // cstride[k]) * stride[k]
        rest %= cstride[k]
    parent = np.full(nf, -1, dtype=np.int64)
    pred = np.full(nf, -1, dtype=np.int64)
    seen = np.zeros(nf, dtype=np.bool_)
    stack = np.empty(nf, dtype=np.int64)
    stack[0] = root
    seen[root] = True
    top = 1
    while top > 0:
        top -= 1
        u = stack[top]
        h = head[u]
        while h != -1:
            v = other[h]
            if not seen[v]:
                seen[v] = True
                parent[v] = u
                pred[v] = arc_of[h]
                stack[top] = v
                top += 1
            h = nxt[h]
    return root, parent, pred
