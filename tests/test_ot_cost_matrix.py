"""wasserstein(..., cost=M): a user-given cost matrix, exact and entropic.

The POT cases are POT's own examples with literal cost matrices, run through
this library and held to POT's tolerances: the docstring examples of
``ot.emd``/``ot.emd2`` and ``ot.sinkhorn``/``ot.sinkhorn2`` (POT 0.9,
ot/lp/_network_simplex.py and ot/bregman/_sinkhorn.py) and the tests
``test_emd_emd2`` and ``test_dual_variables`` of POT's test/test_ot.py.
"""

import numpy as np
import pytest

import divergences as dv
from divergences.exceptions import ConvergenceWarning, DenseMemoryError, InvalidMeasureError, MethodError

ot = pytest.importorskip("ot")

TWO = ([0.5, 0.5], [0.5, 0.5], [[0.0, 1.0], [1.0, 0.0]])


def _hist(w):
    return dv.Histogram(w)


def test_pot_emd_docstring_example():
    # ot.emd([.5, .5], [.5, .5], [[0, 1], [1, 0]]) -> [[0.5, 0], [0, 0.5]]; ot.emd2 -> 0.0
    a, b, M = TWO
    r = dv.wasserstein(_hist(a), _hist(b), cost=M, return_plan=True)
    np.testing.assert_array_equal(r.plan, [[0.5, 0.0], [0.0, 0.5]])
    assert r.value == r.cost == 0.0 and r.converged and r.method == "exact"


def test_pot_sinkhorn_docstring_example():
    # ot.sinkhorn(a, b, M, 1) -> [[0.36552929, 0.13447071], [0.13447071, 0.36552929]]
    # ot.sinkhorn2(a, b, M, 1) -> 0.26894142136999516, printed to 8 digits / full precision.
    a, b, M = TWO
    r = dv.wasserstein(_hist(a), _hist(b), cost=M, method="sinkhorn", eps=1.0, tol=1e-13,
                       return_plan=True)
    np.testing.assert_allclose(r.plan, [[0.36552929, 0.13447071], [0.13447071, 0.36552929]],
                               atol=5e-9)
    # Closed form: the plan is 0.5 / (1 + e^-1) on the diagonal, <pi, M> = 1 / (1 + e).
    assert r.value == pytest.approx(0.26894142136999516, rel=1e-12)
    assert r.value == pytest.approx(1.0 / (1.0 + np.e), rel=1e-12)
    # OT_eps = <pi, M> + eps KL(pi | a x b), computed from the plan.
    plan = r.plan
    kl = float(np.sum(plan * np.log(plan / 0.25)))
    assert r.cost == pytest.approx(r.value + kl, rel=1e-10)


def test_pot_test_emd_emd2_identity():
    # POT test_ot.py::test_emd_emd2: 100 points against themselves, M = ot.dist(x, x):
    # the plan is the identity / n and the loss 0 (assert_allclose, rtol 1e-7).
    n = 100
    x = np.random.RandomState(0).randn(n, 2)
    M = ot.dist(x, x)
    u = dv.Samples(x)
    r = dv.wasserstein(u, u, cost=M, return_plan=True)
    np.testing.assert_allclose(r.plan, np.eye(n) / n)
    np.testing.assert_allclose(r.value, 0.0)
    assert r.converged


def test_pot_test_dual_variables():
    # POT test_ot.py::test_dual_variables: Gaussians on 500 and 600 bins, M = |x - y|;
    # the cost equals |mean1 - mean2| = 100 (assert_almost_equal, 7 decimals) and the
    # potentials violate u_i + v_j <= M_ij by less than 1e-8.
    from ot.datasets import make_1D_gauss as gauss

    n, m = 500, 600
    x = np.arange(n, dtype=np.float64)
    y = np.arange(m, dtype=np.float64)
    a = gauss(n, m=300, s=5)
    b = gauss(m, m=400, s=10)
    M = ot.dist(x.reshape((-1, 1)), y.reshape((-1, 1))) ** 0.5
    r = dv.wasserstein(dv.Histogram(a), dv.Histogram(b), cost=M)
    np.testing.assert_almost_equal(r.cost, 100.0)
    np.testing.assert_almost_equal(r.cost, ot.emd2(a, b, M, numItermax=10**7))
    u, v = r.potentials
    assert (u[:, None] + v[None, :] - M).max() < 1e-8
    np.testing.assert_almost_equal(np.dot(a, u) + np.dot(b, v), r.cost)
    assert r.converged and r.details["error_bound"] <= r.details["tolerance"]


def test_sinkhorn_matches_pot_log_sinkhorn_on_random_costs():
    # POT test_bregman.py compares its Sinkhorn variants to 1e-5; here both solvers run
    # to marginal error ~1e-10, so <pi, M> agrees to 2 max(M) * 1e-10 (Altschuler et al.
    # 2017, Lemma 7), far inside POT's 1e-5.
    rng = np.random.default_rng(3)
    a = rng.random(30); a /= a.sum()
    b = rng.random(40); b /= b.sum()
    M = rng.random((30, 40)) * 3.0
    reg = 0.1
    expected = ot.sinkhorn2(a, b, M, reg, method="sinkhorn_log", stopThr=1e-12, numItermax=100000)
    r = dv.wasserstein(dv.Histogram(a), dv.Histogram(b), cost=M, method="sinkhorn", eps=reg,
                       tol=1e-11)
    assert r.converged
    assert r.value == pytest.approx(float(expected), abs=2 * 3.0 * 1e-9)


def test_sinkhorn_small_eps_does_not_underflow():
    # exp(-M / eps) is 0 for every entry (M >= 1, eps = 1e-3: e^-1000) but a constant
    # added to M changes no plan: the answer is 1 + that of M - 1, where the kernel is fine.
    rng = np.random.default_rng(4)
    small = 0.05 * rng.random((20, 20))
    a = np.full(20, 0.05)
    options = {"method": "sinkhorn", "eps": 1e-3, "tol": 1e-10}
    shifted = dv.wasserstein(dv.Histogram(a), dv.Histogram(a[::-1]), cost=small, **options)
    r = dv.wasserstein(dv.Histogram(a), dv.Histogram(a[::-1]), cost=1.0 + small, **options)
    assert r.converged and shifted.converged
    assert r.value == pytest.approx(1.0 + shifted.value, abs=1e-9)
    assert r.cost == pytest.approx(1.0 + shifted.cost, abs=1e-9)


def _forbidden_problem():
    M = np.array([[np.inf, 1.0, 2.0], [1.0, np.inf, 1.0], [3.0, 1.0, np.inf]])
    return np.array([0.2, 0.3, 0.5]), np.array([0.4, 0.4, 0.2]), M


def _linprog_allowed(a, b, M):
    from scipy.optimize import linprog

    n, m = M.shape
    ok = np.isfinite(M).ravel()
    rows = np.kron(np.eye(n), np.ones(m))
    cols = np.kron(np.ones(n), np.eye(m))
    res = linprog(M.ravel()[ok], A_eq=np.vstack([rows, cols])[:, ok], b_eq=np.r_[a, b],
                  method="highs")
    return res.fun


def test_forbidden_pairs_are_honoured_exactly():
    a, b, M = _forbidden_problem()
    r = dv.wasserstein(dv.Histogram(a), dv.Histogram(b), cost=M, return_plan=True)
    assert r.converged and r.details["forbidden_mass"] == 0.0
    assert np.all(r.plan[np.isinf(M)] == 0.0)
    assert r.value == pytest.approx(_linprog_allowed(a, b, M), abs=1e-12)


def test_forbidden_pairs_in_sinkhorn():
    a, b, M = _forbidden_problem()
    r = dv.wasserstein(dv.Histogram(a), dv.Histogram(b), cost=M, method="sinkhorn", eps=0.01,
                       return_plan=True, tol=1e-10)
    assert np.all(r.plan[np.isinf(M)] == 0.0)
    exact = _linprog_allowed(a, b, M)
    assert exact - 1e-8 <= r.value <= exact + 0.01 * np.log(9)


def test_infeasible_forbidden_pattern_is_refused():
    M = np.array([[np.inf, 1.0], [np.inf, 1.0]])
    with pytest.raises(InvalidMeasureError, match="no coupling"):
        dv.wasserstein(dv.Histogram([0.5, 0.5]), dv.Histogram([0.5, 0.5]), cost=M)
    # Every row has an allowed partner, but the masses cannot be routed: rows 0 and 1
    # (mass 0.8) may only go to column 0 (mass 0.5).
    M = np.array([[0.0, np.inf], [0.0, np.inf], [1.0, 1.0]])
    with pytest.raises(InvalidMeasureError, match="no coupling"):
        dv.wasserstein(dv.Histogram([0.4, 0.4, 0.2]), dv.Histogram([0.5, 0.5]), cost=M)


@pytest.mark.parametrize("method", ["exact", "sinkhorn"])
@pytest.mark.parametrize(
    "cost, match",
    [
        (np.zeros((2, 3)), "shape"),
        ([[0.0, np.nan], [1.0, 0.0]], "NaN"),
        ([[0.0, -1.0], [1.0, 0.0]], "negative"),
        ([[0.0, -np.inf], [1.0, 0.0]], "negative"),
    ],
)
def test_bad_cost_matrices(method, cost, match):
    extra = {"eps": 0.1} if method == "sinkhorn" else {}
    with pytest.raises(InvalidMeasureError, match=match):
        dv.wasserstein(dv.Histogram([0.5, 0.5]), dv.Histogram([0.5, 0.5]), cost=cost,
                       method=method, **extra)


def test_order_is_refused_with_a_cost_matrix():
    with pytest.raises(MethodError, match="cost=D"):
        dv.wasserstein(dv.Histogram([0.5, 0.5]), dv.Histogram([0.5, 0.5]), cost=TWO[2], order=2)


def test_dense_memory_error():
    with pytest.raises(DenseMemoryError):
        dv.wasserstein(dv.Histogram([0.5, 0.5]), dv.Histogram([0.5, 0.5]), cost=TWO[2],
                       max_memory=10)


def test_weighted_samples_and_histogram_with_support_use_rows_in_order():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(7, 2)), rng.normal(size=(9, 2))
    wx, wy = rng.random(7), rng.random(9)
    M = ot.dist(x, y, metric="cityblock")
    r = dv.wasserstein(dv.Samples(x, weights=wx), dv.Histogram(wy, support=y), cost=M)
    assert r.value == pytest.approx(ot.emd2(wx / wx.sum(), wy / wy.sum(), M), rel=1e-12)
    # Euclidean M gives the library's own W1.
    E = ot.dist(x, y, metric="euclidean")
    r = dv.wasserstein(dv.Samples(x, weights=wx), dv.Histogram(wy, support=y), cost=E)
    w1 = dv.wasserstein(dv.Samples(x, weights=wx), dv.Histogram(wy, support=y))
    assert r.value == pytest.approx(w1.value, rel=1e-12)


def test_sinkhorn_not_converged_warns():
    rng = np.random.default_rng(6)
    M = rng.random((30, 30))
    a = np.full(30, 1 / 30)
    with pytest.warns(ConvergenceWarning):
        r = dv.wasserstein(dv.Histogram(a), dv.Histogram(a[::-1]), cost=M, method="sinkhorn",
                           eps=1e-3, max_iter=2)
    assert not r.converged
