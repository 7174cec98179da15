"""Histograms on regular grids: from_grid, the grid flow (W1, L1 metric), separable Sinkhorn.

Oracles: POT's ``ot.emd2`` on the dense cityblock cost matrix between the cells
(the grid flow must equal it to 1e-9), the library's dense point-cloud
log-domain Sinkhorn on the cells' coordinates (the separable one must equal it
to 1e-6 -- both run to marginal error 1e-10, so their transport costs agree to
``2 max C 1e-10``), and closed forms (Diracs).
"""

import numpy as np
import pytest

import divergences as dv
from divergences.exceptions import ConvergenceWarning, InvalidMeasureError, MethodError

ot = pytest.importorskip("ot")


def _images(shape, seed):
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(2):
        x = gaussian_filter(rng.random(shape), max(shape) / 16) ** 4
        x[rng.random(shape) < 0.2] = 0.0  # empty cells too
        out.append(x / x.sum())
    return out


def test_from_grid_records_the_grid_and_validates():
    h = dv.Histogram.from_grid(np.ones((2, 3, 4)), spacing=[1.0, 2.0, 0.5], origin=[0, 1, 2])
    assert h.grid.shape == (2, 3, 4) and h.grid.spacing == (1.0, 2.0, 0.5)
    assert h.size == 24 and h.dim == 3
    np.testing.assert_array_equal(h.support[5], [0.0, 1.0 + 2.0 * 1, 2.0 + 0.5 * 1])
    for bad, match in [(np.ones((2, 2, 2, 2)), "3-D"), (np.array(1.0), "3-D"),
                       (np.full((2, 2), -1.0), "negative"), (np.full((2, 2), np.nan), "NaN")]:
        with pytest.raises(InvalidMeasureError, match=match):
            dv.Histogram.from_grid(bad)
    with pytest.raises(InvalidMeasureError, match="spacing"):
        dv.Histogram.from_grid(np.ones((2, 2)), spacing=[1.0, 0.0])
    with pytest.raises(InvalidMeasureError, match="spacing"):
        dv.Histogram.from_grid(np.ones((2, 2)), spacing=[1.0, 1.0, 1.0])


@pytest.mark.parametrize("shape, spacing", [((32, 32), (1 / 32, 1 / 32)), ((20, 24), (0.3, 0.7)),
                                            ((7, 6, 5), (1.0, 2.0, 0.5))])
def test_grid_flow_equals_pot_emd2_on_the_cityblock_matrix(shape, spacing):
    from scipy.spatial.distance import cdist

    a, b = _images(shape, seed=len(shape))
    p = dv.Histogram.from_grid(a, spacing=spacing)
    q = dv.Histogram.from_grid(b, spacing=spacing)
    r = dv.wasserstein(p, q, metric="cityblock")
    M = cdist(p.support, p.support, "cityblock")
    expected = ot.emd2(a.ravel(), b.ravel(), M, numItermax=10**8)
    assert r.details["solver"] == "grid_network_simplex" and r.converged
    assert r.value == pytest.approx(expected, rel=1e-9, abs=1e-15)
    # The certificate: the potentials are feasible for the dense cost.
    f, g = r.potentials
    assert (f[:, None] + g[None, :] - M).max() <= 1e-12
    assert abs(a.ravel() @ f + b.ravel() @ g - r.cost) <= r.details["tolerance"] + 1e-15


def _kernel_flow(a, b, spacing, start):
    """The kernel alone, checking its thread after every pivot (``verify``)."""
    from divergences._kernels.grid_flow import lift_tree, network_simplex
    from divergences.ot import grid

    shape = a.shape
    src, dst, cost = grid.grid_edges(shape, spacing)
    reverse, offsets, adjacent = grid._graph(src, dst, a.size)
    supply = (a - b).ravel()
    none = np.empty(0, dtype=np.int64)
    root, parent, pred = 0, none, none
    if start == "coarse":  # the multiscale start, its coarse level solved by the kernel too
        coarse_shape, coarse_supply = grid._coarsened(shape, supply)
        c_src, c_dst, c_cost = grid.grid_edges(coarse_shape, tuple(2 * h for h in spacing))
        c_graph = grid._graph(c_src, c_dst, coarse_supply.size)
        _, _, c_parent, _, _, status = network_simplex(
            c_src, c_dst, c_cost, *c_graph, coarse_supply.ravel(), 0, 1e-14, 10**9, none, none,
            True)
        assert status == 0
        root, parent, pred = lift_tree(c_parent, 0, np.array(coarse_shape), np.array(shape),
                                       offsets, adjacent, dst)
    flow, phi, _, _, _, status = network_simplex(src, dst, cost, reverse, offsets, adjacent,
                                                 supply, root, 1e-14, 10**9, parent, pred, True)
    assert status == 0  # 4 would be a broken thread
    assert np.max(phi[src] - phi[dst] - cost) <= 1e-12  # dual feasible on every arc
    return cost @ flow


@pytest.mark.parametrize("start", ["breadth_first", "coarse"])
def test_grid_flow_kernel_keeps_its_tree_and_equals_pot(start):
    # Many small problems, with ties and empty cells (degenerate pivots), in 1-3 D.
    from scipy.spatial.distance import cdist

    rng = np.random.default_rng(11)
    for _ in range(40):
        shape = tuple(int(k) for k in rng.integers(2, 8, size=rng.integers(1, 4)))
        a, b = (rng.random(shape) * (rng.random(shape) < rng.choice([0.3, 1.0])) for _ in range(2))
        if rng.random() < 0.4:
            a, b = np.round(3 * a), np.round(3 * b)  # equal masses: many ties
        a[(0,) * len(shape)] += 1.0
        b[(-1,) * len(shape)] += 1.0
        a, b = a / a.sum(), b / b.sum()
        spacing = tuple(float(h) for h in rng.choice([1.0, 0.3, 0.5], size=len(shape)))
        support = dv.Histogram.from_grid(a, spacing=spacing).support
        expected = ot.emd2(a.ravel(), b.ravel(), cdist(support, support, "cityblock"))
        assert _kernel_flow(a, b, spacing, start) == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("shape", [(45, 38), (11, 13, 9)])
def test_grid_flow_multiscale_start_on_ragged_grids(shape):
    # Odd sides make ragged coarse blocks; the coarse levels run below _COARSEST cells.
    from scipy.spatial.distance import cdist

    a, b = _images(shape, seed=9)
    p, q = dv.Histogram.from_grid(a), dv.Histogram.from_grid(b)
    r = dv.wasserstein(p, q, metric="cityblock")
    assert r.converged and len(r.details["coarse_pivots"]) >= 1
    expected = ot.emd2(a.ravel(), b.ravel(), cdist(p.support, p.support, "cityblock"),
                       numItermax=10**8)
    assert r.value == pytest.approx(expected, rel=1e-9)


def test_grid_flow_diracs_and_identity():
    a = np.zeros((5, 9)); a[1, 1] = 1.0
    b = np.zeros((5, 9)); b[4, 7] = 1.0
    r = dv.wasserstein(dv.Histogram.from_grid(a, spacing=(2.0, 0.5)),
                       dv.Histogram.from_grid(b, spacing=(2.0, 0.5)), metric="cityblock")
    assert r.value == 3 * 2.0 + 6 * 0.5
    p = dv.Histogram.from_grid(_images((9, 9), 1)[0])
    assert dv.wasserstein(p, p, metric="cityblock").value == 0.0


def test_grid_flow_stopped_early_warns():
    a, b = _images((12, 12), 2)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        r = dv.wasserstein(dv.Histogram.from_grid(a), dv.Histogram.from_grid(b),
                           metric="cityblock", max_iter=3)
    assert not r.converged


def test_grid_flow_refuses_return_plan():
    a, b = _images((4, 4), 3)
    with pytest.raises(MethodError, match="edge_flow"):
        dv.wasserstein(dv.Histogram.from_grid(a), dv.Histogram.from_grid(b),
                       metric="cityblock", return_plan=True)


def test_euclidean_on_a_grid_is_the_point_cloud_answer():
    a, b = _images((6, 6), 4)
    p, q = dv.Histogram.from_grid(a), dv.Histogram.from_grid(b)
    plain = dv.wasserstein(dv.Histogram(a.ravel(), support=p.support),
                           dv.Histogram(b.ravel(), support=p.support))
    assert dv.wasserstein(p, q).value == plain.value


@pytest.mark.parametrize("shape, spacing, eps", [((24, 24), (1 / 23, 1 / 23), 2e-3),
                                                  ((10, 12), (0.5, 0.25), 0.05),
                                                  ((6, 5, 4), (1.0, 1.0, 1.0), 0.5)])
def test_separable_sinkhorn_equals_the_dense_log_domain_solver(shape, spacing, eps):
    a, b = _images(shape, seed=5)
    p = dv.Histogram.from_grid(a, spacing=spacing)
    q = dv.Histogram.from_grid(b, spacing=spacing)
    r = dv.wasserstein(p, q, order=2, method="sinkhorn", eps=eps, tol=1e-10)
    dense = dv.wasserstein(dv.Histogram(a.ravel(), support=p.support),
                           dv.Histogram(b.ravel(), support=p.support),
                           order=2, method="sinkhorn", eps=eps, tol=1e-10)
    assert r.details["solver"] == "separable" and r.converged
    assert r.details["transport_cost"] == pytest.approx(dense.details["transport_cost"], abs=1e-6 * 1e-3)
    assert r.cost == pytest.approx(dense.cost, rel=1e-6)
    assert r.value == pytest.approx(dense.value, rel=1e-6)


def test_separable_sinkhorn_below_the_blas_range_uses_the_exact_pass():
    # Per-axis costs up to 1 at eps = 1e-3: exp(-1000) underflows, the Numba pass takes over.
    from divergences.ot import grid

    a, b = _images((8, 8), 6)
    spacing = 1 / 7
    kernel = grid._SeparableKernel(dv.Histogram.from_grid(a, spacing=spacing).grid, 1e-3)
    assert not any(blas for _, _, blas in kernel.passes)
    p, q = dv.Histogram.from_grid(a, spacing=spacing), dv.Histogram.from_grid(b, spacing=spacing)
    r = dv.wasserstein(p, q, order=2, method="sinkhorn", eps=1e-3, tol=1e-9)
    dense = dv.wasserstein(dv.Histogram(a.ravel(), support=p.support),
                           dv.Histogram(b.ravel(), support=p.support),
                           order=2, method="sinkhorn", eps=1e-3, tol=1e-9)
    assert r.converged
    assert r.cost == pytest.approx(dense.cost, rel=1e-6)


def test_separable_sinkhorn_diracs():
    # A Dirac to a Dirac: the only coupling, whatever eps; cost |x - y|^2 = 9, OT_eps = 9.
    a = np.zeros((8, 8)); a[2, 2] = 1.0
    b = np.zeros((8, 8)); b[2, 5] = 1.0
    r = dv.wasserstein(dv.Histogram.from_grid(a), dv.Histogram.from_grid(b), order=2,
                       method="sinkhorn", eps=0.3)
    assert r.value == pytest.approx(3.0, rel=1e-12) and r.cost == pytest.approx(9.0, rel=1e-9)


def test_separable_sinkhorn_not_converged_warns():
    a, b = _images((8, 8), 7)
    with pytest.warns(ConvergenceWarning):
        r = dv.wasserstein(dv.Histogram.from_grid(a), dv.Histogram.from_grid(b), order=2,
                           method="sinkhorn", eps=0.01, max_iter=1)
    assert not r.converged


def test_separable_pass_split_over_threads_equals_one_piece():
    # The pool splits each axis pass along the axes before it or after it; every split
    # must give the same sums (lines without mass included: -inf in, -inf out).
    from concurrent.futures import ThreadPoolExecutor

    from divergences.ot import grid

    rng = np.random.default_rng(12)
    h = np.log(rng.random((7, 7, 7)))
    h[1, :, 3] = -np.inf  # a line without mass along axis 1
    x = np.arange(7.0)
    kernel = np.exp(-(x[:, None] - x[None, :]) ** 2 / 3.0)
    with ThreadPoolExecutor(3) as pool:
        for axis in range(3):  # split along `after`, along `before`, rows @ K
            alone = grid._blas_pass(h, axis, kernel, None)
            split = grid._blas_pass(h, axis, kernel, pool)
            np.testing.assert_allclose(alone, split, rtol=1e-14)  # the same up to BLAS blocking
            # Against a direct log-sum-exp along the axis.
            from scipy.special import logsumexp

            direct = logsumexp(np.expand_dims(np.moveaxis(h, axis, -1), -2)
                               + np.log(kernel), axis=-1)
            np.testing.assert_allclose(np.moveaxis(alone, axis, -1), direct, rtol=1e-13)


def test_small_grids_and_supports_reuse_their_cost_matrix_exactly():
    # Loops over images of one grid keep the cells' cost matrix (grid path) and the
    # scaled points and matrix (point-cloud path); alternating grids and spacings must
    # still give each problem its own answer: POT's on its own matrix.
    from scipy.spatial.distance import cdist

    for step in range(6):
        shape, spacing = [((8, 8), 1.0), ((6, 7), 0.5)][step % 2]
        a, b = _images(shape, seed=20 + step)
        p = dv.Histogram.from_grid(a, spacing=spacing)
        q = dv.Histogram.from_grid(b, spacing=spacing)
        M = cdist(p.support, p.support)
        expected = ot.emd2(a.ravel(), b.ravel(), M)
        on_grid = dv.wasserstein(p, q)
        on_support = dv.wasserstein(dv.Histogram(a.ravel(), support=p.support),
                                    dv.Histogram(b.ravel(), support=p.support))
        for r in (on_grid, on_support):
            assert r.converged and r.details["solver"] == "network_simplex"
            assert r.value == pytest.approx(expected, rel=1e-13)
            f, g = r.potentials  # feasible for every pair, empty cells included
            assert (f[:, None] + g[None, :] - M).max() <= r.details["tolerance"]
        assert on_grid.value == on_support.value
