"""Exact optimal transport: the auction, the network simplex (dense and online), certificates.

Oracles: POT's network simplex run with an unlimited iteration budget, scipy's
``linear_sum_assignment``, and closed forms (translations, planted
assignments, Diracs, parallel lines). Every solver certifies its answer to a
duality gap of 1e-9 of the cost, so agreement with an oracle is asserted to
``rel=1e-9`` -- the library's contract, not a tuned number; the oracles
themselves are exact up to rounding (~1e-15 relative).
"""

import numpy as np
import ot
import pytest
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

import divergences as dv
from divergences import testing as dvt
from divergences.exceptions import ConvergenceWarning, DenseMemoryError, MethodError
from divergences.ot import exact

REL = 1e-9  # the certified accuracy of every exact solver


def pot_cost(x, y, a=None, b=None, order=1.0):
    a = np.full(len(x), 1 / len(x)) if a is None else a
    b = np.full(len(y), 1 / len(y)) if b is None else b
    return ot.emd2(a, b, cdist(x, y) ** order, numItermax=10**9)


def weighted_problem(seed, n=40, m=27, d=3):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(n, d)), rng.normal(size=(m, d)) + 0.3
    a, b = rng.random(n) + 0.1, rng.random(m) + 0.1
    return x, a / a.sum(), y, b / b.sum()


class TestParityWithPOT:
    @pytest.mark.parametrize("order", [1.0, 2.0, 1.5])
    @pytest.mark.parametrize("seed", [0, 1])
    def test_network_simplex_weighted_unequal_sizes(self, order, seed):
        x, a, y, b = weighted_problem(seed)
        result = dv.wasserstein(dv.Samples(x, a), dv.Samples(y, b), order=order)
        assert result.details["solver"] == "network_simplex" and result.converged
        assert result.cost == pytest.approx(pot_cost(x, y, a, b, order), rel=REL)
        assert result.value == pytest.approx(result.cost ** (1 / order), rel=1e-15)

    @pytest.mark.parametrize("order", [1.0, 2.0])
    def test_online_network_simplex_weighted_unequal_sizes(self, order):
        x, a, y, b = weighted_problem(2)
        result = dv.wasserstein(
            dv.Samples(x, a), dv.Samples(y, b), order=order, solver="network_simplex_online",
            return_plan=True,
        )
        assert result.converged and scipy.sparse.issparse(result.plan)
        assert result.cost == pytest.approx(pot_cost(x, y, a, b, order), rel=REL)
        np.testing.assert_allclose(result.plan.sum(axis=1), a, atol=1e-12)

    @pytest.mark.parametrize("order", [1.0, 2.0, 1.5, 3.0])
    @pytest.mark.parametrize("d", [1, 2, 5])
    def test_auction_uniform_equal_sizes(self, order, d):
        rng = np.random.default_rng(10 * d + int(order))
        x, y = rng.random((120, d)), rng.random((120, d)) ** 2
        result = dv.wasserstein(x, y, order=order, method="exact", solver="auction")
        assert result.details["solver"] == "auction" and result.converged
        assert result.cost == pytest.approx(pot_cost(x, y, order=order), rel=REL)

    def test_auction_matches_scipy_assignment(self):
        rng = np.random.default_rng(7)
        x, y = rng.normal(size=(200, 2)), rng.normal(size=(200, 2)) * [2.0, 0.5]
        cost = cdist(x, y)
        rows, cols = linear_sum_assignment(cost)
        assert float(dv.wasserstein(x, y)) == pytest.approx(cost[rows, cols].mean(), rel=REL)

    @settings(max_examples=40, deadline=None)
    @given(
        n=st.integers(2, 9),
        seed=st.integers(0, 2**32 - 1),
        order=st.sampled_from([1.0, 2.0]),
    )
    def test_auction_on_integer_grids_with_ties(self, n, seed, order):
        # Points on a 3x3 grid: many exact ties among assignments, the auction's hard case.
        rng = np.random.default_rng(seed)
        x = rng.integers(0, 3, size=(n, 2)).astype(float)
        y = rng.integers(0, 3, size=(n, 2)).astype(float)
        cost = cdist(x, y) ** order
        rows, cols = linear_sum_assignment(cost)
        result = dv.wasserstein(x, y, order=order, solver="auction")
        assert result.converged
        assert result.cost == pytest.approx(cost[rows, cols].mean(), rel=REL, abs=1e-12)

    @pytest.mark.parametrize("n, m", [(30, 45), (40, 20), (12, 16)])
    @pytest.mark.parametrize("order", [1.0, 2.0])
    def test_auction_uniform_unequal_sizes_by_splitting(self, n, m, order):
        rng = np.random.default_rng(n + m)
        x, y = rng.normal(size=(n, 2)), rng.normal(size=(m, 2)) + [0.5, 0.0]
        result = dv.wasserstein(x, y, order=order, return_plan=True, solver="auction")
        assert result.details["solver"] == "auction" and result.converged
        assert result.cost == pytest.approx(pot_cost(x, y, order=order), rel=REL)
        plan = result.plan.toarray()
        assert plan.shape == (n, m)
        np.testing.assert_allclose(plan.sum(axis=1), 1 / n, atol=1e-15)
        np.testing.assert_allclose(plan.sum(axis=0), 1 / m, atol=1e-15)
        f, g = result.potentials
        cost = cdist(x, y) ** order
        assert np.min(cost - f[:, None] - g[None, :]) >= -1e-12 * cost.max()
        assert f.mean() + g.mean() == pytest.approx(result.cost, rel=REL)

    def test_histograms_with_support(self):
        x, a, y, b = weighted_problem(3, n=15, m=15, d=2)
        hist = dv.wasserstein(dv.Histogram(a, support=x), dv.Histogram(b, support=y))
        assert hist.cost == pytest.approx(pot_cost(x, y, a, b), rel=REL)


class TestClosedForms:
    @pytest.mark.parametrize("solver", ["auction", "network_simplex", "network_simplex_online"])
    @pytest.mark.parametrize("order", [1.0, 2.0])
    def test_translation(self, solver, order):
        # W_p(mu, mu + a) = |a|: Jensen, E|X - Y|^p >= |E(X - Y)|^p = |a|^p.
        rng = np.random.default_rng(11)
        x = rng.normal(size=(80, 2))
        shift = np.array([0.3, -0.4])
        result = dv.wasserstein(x, x[rng.permutation(80)] + shift, order=order, solver=solver)
        assert result.converged
        assert result.value == pytest.approx(0.5, rel=REL)

    @pytest.mark.parametrize("order", [1.0, 2.0, 1.5])
    def test_planted_assignment(self, order):
        # Centres 100 apart, each y a unit-ball perturbation of its own centre: any
        # other matching pays > 98 on some pair, more than the whole planted cost (< 64).
        rng = np.random.default_rng(12)
        centres = 100.0 * np.stack(np.meshgrid(np.arange(8), np.arange(8)), -1).reshape(-1, 2)
        step = rng.normal(size=(64, 2))
        step *= rng.random((64, 1)) / np.linalg.norm(step, axis=1, keepdims=True)
        perm = rng.permutation(64)
        y = np.empty_like(centres)
        y[perm] = centres + step
        expected = np.mean(np.linalg.norm(step, axis=1) ** order) ** (1 / order)
        result = dv.wasserstein(centres, y, order=order, solver="auction")
        assert result.details["solver"] == "auction"
        assert result.value == pytest.approx(expected, rel=REL)
        assert result.converged
        assert result.details["duality_gap"] <= result.details["tolerance"]

    def test_identical_clouds_and_identical_points(self):
        x = np.random.default_rng(13).normal(size=(50, 3))
        assert dv.wasserstein(x, x[::-1]).value == pytest.approx(0.0, abs=1e-12)
        same = np.ones((20, 2))
        result = dv.wasserstein(same, same, order=2)
        assert result.value == 0.0 and result.converged

    @pytest.mark.parametrize("order", [1.0, 2.0])
    def test_diracs(self, order):
        rng = np.random.default_rng(14)
        y, b = rng.normal(size=(30, 2)), rng.random(30)
        b /= b.sum()
        dirac = np.array([[1.0, -2.0]])
        expected = (b @ np.linalg.norm(y - dirac, axis=1) ** order) ** (1 / order)
        result = dv.wasserstein(dirac, dv.Samples(y, b), order=order)
        assert result.value == pytest.approx(expected, rel=REL)
        assert float(dv.wasserstein(dirac, dirac + [3.0, 4.0], order=order)) == pytest.approx(5.0)
        # Uniform: the auction, with the Dirac repeated once per point of y (forced:
        # at 30 atoms solver="auto" takes the simplex).
        uniform = dv.wasserstein(dirac, y, order=order, solver="auction")
        assert uniform.details["solver"] == "auction"
        expected = np.mean(np.linalg.norm(y - dirac, axis=1) ** order) ** (1 / order)
        assert uniform.value == pytest.approx(expected, rel=REL)

    @pytest.mark.parametrize("theta", [-1.0, 0.05, 0.5])
    @pytest.mark.parametrize("order", [1.0, 2.0])
    def test_parallel_lines_with_shared_noise(self, theta, order):
        # P = law of (0, z), Q = law of (theta, z) with the same z: W_p = |theta|.
        z = np.random.default_rng(15).random(300)
        x = np.column_stack([np.zeros(300), z])
        y = np.column_stack([np.full(300, theta), z])
        result = dv.wasserstein(x, y, order=order, solver="auction")
        assert result.details["solver"] == "auction"
        assert result.value == pytest.approx(abs(theta), rel=REL)


class TestDuality:
    @pytest.mark.parametrize("solver", ["auction", "network_simplex", "network_simplex_online"])
    @pytest.mark.parametrize("order", [1.0, 2.0])
    def test_primal_equals_dual_and_potentials_are_feasible(self, solver, order):
        rng = np.random.default_rng(16)
        x, y = rng.normal(size=(70, 2)), rng.normal(size=(70, 2)) + [1.0, 0.0]
        result = dv.wasserstein(x, y, order=order, solver=solver, return_plan=True)
        f, g = result.potentials
        cost = cdist(x, y) ** order
        a = np.full(70, 1 / 70)
        # Dual value of the potentials equals the primal cost of the plan...
        assert a @ f + a @ g == pytest.approx(result.cost, rel=REL)
        plan = result.plan.toarray() if scipy.sparse.issparse(result.plan) else result.plan
        assert np.sum(plan * cost) == pytest.approx(result.cost, rel=1e-12)
        # ...and the potentials are feasible, to rounding of the cost scale.
        assert np.min(cost - f[:, None] - g[None, :]) >= -1e-12 * cost.max()
        np.testing.assert_allclose(plan.sum(axis=0), a, atol=1e-15)
        np.testing.assert_allclose(plan.sum(axis=1), a, atol=1e-15)

    def test_lipschitz_functions_bound_w1_from_below(self):
        # Kantorovich-Rubinstein: E_P f - E_Q f <= W_1 for every 1-Lipschitz f;
        # f(x) = min_k |x - z_k| + c_k is 1-Lipschitz (a minimum of 1-Lipschitz maps).
        rng = np.random.default_rng(17)
        x, y = rng.normal(size=(150, 2)), rng.normal(size=(150, 2)) * 1.5 + 0.5
        w1 = float(dv.wasserstein(x, y))
        for _ in range(20):
            z, c = rng.normal(size=(5, 2)) * 2, rng.normal(size=5)
            f = lambda points: np.min(cdist(points, z) + c, axis=1)  # noqa: E731
            assert f(x).mean() - f(y).mean() <= w1 + 1e-12
        # The optimal potential attains the bound: W_1 = E_P f - E_Q (-g) with g = -f on Q.
        f, g = dv.wasserstein(x, y).potentials
        assert f.mean() + g.mean() == pytest.approx(w1, rel=REL)


def assert_auto_path(result, solver, rule):
    """``solver="auto"`` converged on ``solver``, recording ``rule`` (None: no rule recorded)."""
    assert result.converged and result.details["solver"] == solver
    if rule is None:
        assert "auto_rule" not in result.details
    else:
        assert rule in result.details["auto_rule"]


class TestFarApartClouds:
    """Clouds far apart for their size: order 2 is solved on the centred clouds."""

    @pytest.mark.parametrize("n, m", [(80, 80), (60, 30)])
    def test_order_2_centred_matches_pot_with_feasible_potentials(self, n, m):
        rng = np.random.default_rng(30)
        x, y = rng.normal(size=(n, 2)), rng.normal(size=(m, 2)) * [1.5, 0.5] + [40.0, -30.0]
        result = dv.wasserstein(x, y, order=2, solver="auction")
        assert result.converged and result.details["centred"]
        assert result.cost == pytest.approx(pot_cost(x, y, order=2.0), rel=REL)
        # The potentials are those of the given clouds, not of the centred ones.
        f, g = result.potentials
        cost = cdist(x, y) ** 2
        assert np.min(cost - f[:, None] - g[None, :]) >= -1e-12 * cost.max()
        assert f.mean() + g.mean() == pytest.approx(result.cost, rel=REL)

    def test_order_2_is_the_shift_plus_the_centred_problem(self):
        rng = np.random.default_rng(31)
        x, y = rng.normal(size=(200, 2)), rng.random((200, 2))
        shift = np.array([25.0, 5.0])
        far = dv.wasserstein(x, y + shift, order=2)
        centred = dv.wasserstein(x - x.mean(0), y - y.mean(0), order=2)
        gap = x.mean(0) - y.mean(0) - shift
        assert far.cost == pytest.approx(gap @ gap + centred.cost, rel=REL)

    def test_auto_picks_the_simplex_for_w1_between_shifted_clouds(self):
        rng = np.random.default_rng(33)
        x, y = rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2)) + [10.0, 0.0]
        auto = dv.wasserstein(x, y)
        assert auto.details["solver"] == "network_simplex" and auto.converged
        assert "means are" in auto.details["auto_rule"]
        forced = dv.wasserstein(x, y, solver="auction")
        assert forced.converged and auto.cost == pytest.approx(forced.cost, rel=REL)
        # Without room for the dense matrix the auction stays: nothing to choose.
        assert dv.wasserstein(x, y, max_memory=10**6).details["solver"] == "auction"

    def test_auto_keeps_the_auction_for_a_covariance_change(self):
        # No mean shift, and the mass moves little for the spread: the auction stays.
        rng = np.random.default_rng(35)
        x, y = rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2)) * [2.0, 0.5]
        result = dv.wasserstein(x, y)
        assert result.details["solver"] == "auction" and result.converged
        assert "auto_rule" not in result.details

    def test_auto_sends_a_mixture_to_the_simplex_below_the_crossover(self):
        # No mean shift, but half the mass moves +2 and half -2 in parallel: the
        # sliced rule picks the simplex at n = 1,000 -- and not from _MOVED_UNTIL on.
        rng = np.random.default_rng(35)
        x = rng.normal(size=(1000, 2))
        sides = np.where(rng.random(1000) < 0.5, -2.0, 2.0)
        y = rng.normal(size=(1000, 2)) + sides[:, None] * [1.0, 0.0]
        assert exact._moved(x, y) >= exact._FAR_MOVED > exact._separation(x, y)
        result = dv.wasserstein(x, y)
        assert result.details["solver"] == "network_simplex" and result.converged
        assert "sliced W_1" in result.details["auto_rule"]
        assert exact._auto_solver(np.repeat(x, 4, axis=0), np.full(4000, 1 / 4000),
                                  np.repeat(y, 4, axis=0), np.full(4000, 1 / 4000),
                                  exact.as_ground_cost(), None) == ("auction", None)

    # Sizes (atoms: lcm of the two), dimension, order -> the path solver="auto" takes and the
    # words of its rule: the simplex below _SMALL (250) atoms whatever the order and dimension,
    # below _SIMPLEX_FROM (500) for W_1 in up to 3-D; the auction above for W_2 and in 5-D.
    SMALL = [
        ((100, 100), 2, 2.0, "network_simplex", "below 250"),
        ((120, 240), 5, 1.0, "network_simplex", "below 250"),  # 240 atoms
        ((249, 249), 5, 2.0, "network_simplex", "below 250"),
        ((250, 250), 5, 2.0, "auction", None),
        ((300, 300), 2, 2.0, "auction", None),
        ((300, 300), 5, 1.0, "auction", None),
        ((300, 300), 2, 1.0, "network_simplex", "below 500"),
        ((150, 300), 3, 1.0, "network_simplex", "below 500"),
        ((499, 499), 3, 1.0, "network_simplex", "below 500"),
    ]

    @pytest.mark.parametrize("sizes, d, order, solver, rule", SMALL)
    def test_auto_small_problems_take_the_simplex(self, sizes, d, order, solver, rule):
        rng = np.random.default_rng(sum(sizes) + d)
        # A covariance change: the input the larger-size rule keeps for the auction.
        x, y = rng.normal(size=(sizes[0], d)), rng.normal(size=(sizes[1], d)) * 0.7
        result = dv.wasserstein(x, y, order=order)
        assert_auto_path(result, solver, rule)
        assert result.cost == pytest.approx(pot_cost(x, y, order=order), rel=REL)

    def test_auto_from_500_atoms_applies_the_w1_rule(self):
        # At 500 atoms and above the W_1 rule decides: a covariance change keeps
        # the auction (measured 1.4-1.5x faster than the simplex at 500 and 700),
        # clouds apart go to the simplex.
        rng = np.random.default_rng(37)
        x, y = rng.normal(size=(500, 2)), rng.normal(size=(500, 2)) * [2.0, 0.5]
        kept = dv.wasserstein(x, y)
        assert kept.details["solver"] == "auction" and "auto_rule" not in kept.details
        x, y = rng.normal(size=(250, 2)), rng.normal(size=(500, 2)) + 10.0  # 500 atoms
        far = dv.wasserstein(x, y)
        assert far.details["solver"] == "network_simplex" and "means are" in far.details["auto_rule"]
        assert far.converged and far.cost == pytest.approx(pot_cost(x, y), rel=REL)

    def test_auto_small_keeps_the_auction_without_room_for_the_matrix(self):
        x = np.random.default_rng(38).normal(size=(100, 2))
        result = dv.wasserstein(x, x + 1.0, max_memory=1000)
        assert result.details["solver"] == "auction" and "auto_rule" not in result.details

    def test_auto_keeps_the_auction_for_clouds_of_one_law_and_for_order_2(self):
        rng = np.random.default_rng(34)
        x, y = rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2))
        same = dv.wasserstein(x, y)
        assert same.details["solver"] == "auction" and "auto_rule" not in same.details
        far = dv.wasserstein(x, y + 10.0, order=2)
        assert far.details["solver"] == "auction" and far.details["centred"]

    # The panel of issue 18 (benchmarks/bench_exact.py --cases panel), n = 1,000: the
    # path solver="auto" takes, and the rule it records. (input, d, order, solver, rule)
    PANEL = [
        ("shift 10 axis", 2, 1.0, "network_simplex", "means are"),
        ("shift 0.5 diagonal", 2, 1.0, "network_simplex", "means are"),
        ("mixture +-2 axis", 2, 1.0, "network_simplex", "sliced W_1"),
        ("covariance x2, x1/2", 2, 1.0, "auction", None),
        ("shift 0.5 axis", 2, 1.0, "network_simplex", "0.3 below"),
        ("shift 10 axis", 2, 2.0, "auction", None),
        ("shift 1 axis", 5, 1.0, "auction", None),
    ]

    @staticmethod
    def panel_clouds(name, d, n=1000):
        return dvt.panel_clouds(name, n, d, rng=n + d)  # as bench_exact draws them

    @pytest.mark.parametrize("name, d, order, solver, rule", PANEL)
    def test_panel_path_agrees_with_emd2(self, name, d, order, solver, rule):
        x, y = self.panel_clouds(name, d)
        result = dv.wasserstein(x, y, order=order)
        assert_auto_path(result, solver, rule)
        if solver == "auction":
            assert result.details["centred"] == (order == 2.0)
        truth = pot_cost(x, y, order=order)
        # Both are optimal costs of the same matrix (ours at a power-of-two scale,
        # exactly): they differ by what the certificate allows ours above the optimum,
        # plus the rounding of two sums of at most n + m - 1 plan entries times costs,
        # each within (n + m) u of the cost (u = 2^-53).
        n = len(x) + len(y)
        tol = result.details["error_bound"] + 2 * n * 2.0**-53 * truth
        assert abs(result.cost - truth) <= tol

    @pytest.mark.parametrize("name", ["shift 10 axis", "mixture +-2 axis"])
    def test_simplex_path_certificate_checked_independently(self, name):
        # The certificate solver="auto" records on its simplex path, recomputed with
        # numpy from the returned plan, potentials and scipy's cost matrix.
        x, y = self.panel_clouds(name, 2)
        result = dv.wasserstein(x, y, return_plan=True)
        assert result.details["solver"] == "network_simplex" and result.converged
        plan, (f, g) = result.plan, result.potentials
        cost = cdist(x, y)
        a = b = np.full(len(x), 1 / len(x))
        marginal = np.abs(plan.sum(axis=1) - a).sum() + np.abs(plan.sum(axis=0) - b).sum()
        primal, dual = float(np.sum(plan * cost)), float(a @ f + b @ g)
        reduced = cost - f[:, None] - g[None, :]
        # Sums of n m terms at most, each within (n m) u of the exact sum (u = 2^-53);
        # the costs themselves agree with ours to a few u.
        rounding = len(x) * len(y) * 2.0**-53
        assert result.details["marginal_error"] <= 1e-9
        assert abs(marginal - result.details["marginal_error"]) <= 4 * rounding
        assert abs(primal - result.cost) <= rounding * primal
        assert abs((primal - dual) - result.details["duality_gap"]) <= 2 * rounding * primal
        assert max(-reduced.min(), 0.0) <= (result.details["dual_violation"]
                                           + 8 * 2.0**-53 * cost.max())
        assert result.details["error_bound"] <= result.details["tolerance"]

    def test_forced_solvers_record_no_auto_rule(self):
        x, y = self.panel_clouds("shift 10 axis", 2)
        for solver in ("auction", "network_simplex"):
            result = dv.wasserstein(x[:300], y[:300], solver=solver)
            assert result.details["solver"] == solver and "auto_rule" not in result.details

    def test_order_1_is_not_centred(self):
        rng = np.random.default_rng(32)
        x, y = rng.normal(size=(50, 2)), rng.normal(size=(50, 2)) + 3.0
        result = dv.wasserstein(x, y, order=1, solver="auction")
        assert not result.details["centred"]
        assert result.cost == pytest.approx(pot_cost(x, y), rel=REL)


class TestBehaviour:
    def test_deterministic_and_invariant_to_order_of_points(self):
        rng = np.random.default_rng(18)
        x, y = rng.normal(size=(300, 2)), rng.normal(size=(300, 2))
        first, again = dv.wasserstein(x, y), dv.wasserstein(x, y)
        assert first.value == again.value
        np.testing.assert_array_equal(first.potentials[0], again.potentials[0])
        shuffled = dv.wasserstein(x[rng.permutation(300)], y[rng.permutation(300)])
        assert shuffled.value == pytest.approx(first.value, rel=REL)

    def test_auction_plan_is_a_sparse_permutation(self):
        rng = np.random.default_rng(19)
        x, y = rng.normal(size=(40, 2)), rng.normal(size=(40, 2))
        result = dv.wasserstein(x, y, return_plan=True, solver="auction")
        plan = result.plan
        assert isinstance(plan, scipy.sparse.csr_array) and plan.nnz == 40
        np.testing.assert_array_equal(plan.sum(axis=0), np.full(40, 1 / 40))
        assert result.n_iter >= 40 and result.stderr == 0.0

    def test_auto_picks_the_auction_only_for_uniform_equal_sizes(self):
        # 5-D, 300 points: above the sizes where the simplex is picked for speed.
        rng = np.random.default_rng(20)
        x, y = rng.normal(size=(300, 5)), rng.normal(size=(301, 5))
        assert dv.wasserstein(x, y).details["solver"] == "network_simplex"
        assert "auto_rule" not in dv.wasserstein(x, y).details  # no choice: the auction can't
        assert dv.wasserstein(x, y[:300]).details["solver"] == "auction"
        weighted = dv.Samples(x, np.arange(1.0, 301.0))
        assert dv.wasserstein(weighted, y[:300]).details["solver"] == "network_simplex"

    def test_the_auction_needs_no_dense_matrix(self):
        # max_memory bounds the dense solvers only; the auction holds O(n) numbers.
        x = np.random.default_rng(21).normal(size=(100, 2))
        result = dv.wasserstein(x, x + 1.0, max_memory=1000)
        assert result.details["solver"] == "auction"
        assert result.value == pytest.approx(np.sqrt(2.0), rel=REL)


class TestIterationLimits:
    def test_auction_out_of_bids_warns_and_returns_a_coupling(self):
        rng = np.random.default_rng(22)
        x, y = rng.normal(size=(60, 2)), rng.normal(size=(60, 2))
        with pytest.warns(ConvergenceWarning, match="could not certify"):
            result = dv.wasserstein(x, y, max_iter=30, return_plan=True, solver="auction")
        assert not result.converged and result.stderr is None
        assert result.plan.nnz == 60
        np.testing.assert_array_equal(result.plan.sum(axis=0), np.full(60, 1 / 60))
        # A coupling's cost bounds the optimum from above.
        assert result.cost >= pot_cost(x, y) * (1 - 1e-12)

    def test_network_simplex_out_of_pivots_warns(self):
        x, a, y, b = weighted_problem(23, n=80, m=70)
        with pytest.warns(ConvergenceWarning, match="iteration limit"):
            result = dv.wasserstein(dv.Samples(x, a), dv.Samples(y, b), max_iter=5)
        assert not result.converged


class TestBadInput:
    def test_unknown_solver(self):
        with pytest.raises(MethodError, match="solver 'hungarian'.*'auction'"):
            dv.wasserstein(np.zeros((3, 2)), np.ones((3, 2)), solver="hungarian")

    def test_auction_refuses_weights_and_unequal_sizes(self):
        x = np.zeros((4, 2))
        with pytest.raises(MethodError, match="solver='auction'.*network_simplex"):
            dv.wasserstein(np.zeros((5, 2)), np.ones((7, 2)), solver="auction")
        with pytest.raises(MethodError, match="uniform"):
            dv.wasserstein(dv.Samples(x, [1, 2, 3, 4]), np.ones((4, 2)), solver="auction")

    @pytest.mark.parametrize("max_iter", [0, -3, 2.5, True])
    def test_bad_max_iter(self, max_iter):
        with pytest.raises((ValueError, TypeError), match="max_iter"):
            dv.wasserstein(np.zeros((3, 2)), np.ones((3, 2)), max_iter=max_iter)

    def test_online_simplex_supports_orders_1_and_2_only(self):
        with pytest.raises(MethodError, match="order=1.5"):
            dv.wasserstein(
                np.zeros((3, 2)), np.ones((4, 2)), order=1.5, solver="network_simplex_online"
            )

    def test_memory_refusal_names_the_online_solvers(self):
        x, a, y, b = weighted_problem(24)
        with pytest.raises(DenseMemoryError, match="network_simplex_online") as info:
            dv.wasserstein(dv.Samples(x, a), dv.Samples(y, b), max_memory=1000)
        assert "sinkhorn" in str(info.value) and "auction" not in str(info.value)
        square = np.zeros((50, 2))
        with pytest.raises(DenseMemoryError, match="solver='auction'"):
            dv.wasserstein(square, square, solver="network_simplex", max_memory=1000)


def test_cost_scale_bounds_every_cost():
    rng = np.random.default_rng(25)
    x, y = rng.normal(size=(30, 3)), rng.normal(size=(20, 3))
    for order in (1.0, 2.0, 3.0):
        assert (cdist(x, y) ** order).max() <= exact.cost_scale(x, y, order)
    assert exact.cost_scale(np.ones((2, 2)), np.ones((3, 2)), 1.0) == 1.0


class TestBoxTree:
    """The auction's column search in low dimension: branch and bound over a box tree."""

    @pytest.mark.parametrize("n, leaf_size", [(1, 16), (16, 16), (17, 16), (1000, 16), (777, 5)])
    def test_leaves_partition_the_points_inside_their_boxes(self, n, leaf_size):
        from divergences._kernels.kdtree import box_tree

        points = np.random.default_rng(n).normal(size=(n, 3))
        (lo, hi, start, end, leaf_first), leaf_of, perm = box_tree(points, leaf_size)
        np.testing.assert_array_equal(np.sort(perm), np.arange(n))
        sizes = end[leaf_first:] - start[leaf_first:]
        assert sizes.min() >= 1 and sizes.max() <= leaf_size and sizes.sum() == n
        ordered = points[perm]
        for node in range(len(start)):
            chunk = ordered[start[node] : end[node]]
            assert np.all(chunk >= lo[node]) and np.all(chunk <= hi[node])
        assert np.all(start[leaf_of] <= np.arange(n)) and np.all(np.arange(n) < end[leaf_of])

    @pytest.mark.parametrize("order", [1.0, 2.0, 1.5])
    def test_tree_search_finds_the_exact_row_minima(self, order):
        from divergences._kernels.auction import row_minima
        from divergences._kernels.kdtree import box_tree

        rng = np.random.default_rng(26)
        x, y = rng.random((300, 2)), rng.random((300, 2))
        tree, _, perm = box_tree(y, 8)
        prices = rng.random(300) * 0.3
        u, _ = row_minima(x, y[perm], order, prices, tree, np.empty(0, dtype=np.int64))
        brute = np.min(cdist(x, y[perm]) ** order + prices, axis=1)
        np.testing.assert_allclose(u, brute, rtol=1e-15, atol=1e-15)

    @pytest.mark.parametrize("order", [1.0, 2.0])
    def test_tree_and_full_scan_agree(self, order, monkeypatch):
        rng = np.random.default_rng(27)
        x, y = rng.normal(size=(400, 3)), rng.normal(size=(400, 3)) + 0.2
        with_tree = dv.wasserstein(x, y, order=order)
        monkeypatch.setattr(exact, "_TREE_MAX_DIM", 0)
        without = dv.wasserstein(x, y, order=order)
        assert with_tree.converged and without.converged
        assert with_tree.cost == pytest.approx(without.cost, rel=REL)
        assert with_tree.cost == pytest.approx(pot_cost(x, y, order=order), rel=REL)

    def test_many_ties_across_leaves(self):
        # 400 points on a 6x6 integer grid: columns tie in value across leaf boundaries.
        rng = np.random.default_rng(28)
        x = rng.integers(0, 6, size=(400, 2)).astype(float)
        y = rng.integers(0, 6, size=(400, 2)).astype(float)
        cost = cdist(x, y)
        rows, cols = linear_sum_assignment(cost)
        result = dv.wasserstein(x, y)
        assert result.converged
        assert result.cost == pytest.approx(cost[rows, cols].mean(), rel=REL)


class TestDenseCertificate:
    """The simplex's completion-and-certificate kernel (``_kernels.dense_check``) against numpy."""

    @staticmethod
    def numpy_certificate(plan, cost, a, b, f, g):
        marginal = np.abs(plan.sum(axis=1) - a).sum() + np.abs(plan.sum(axis=0) - b).sum()
        violation = max(0.0, -np.min(cost - f[:, None] - g[None, :]))
        return marginal, violation, float(np.sum(plan * cost)), float(a @ f + b @ g)

    @staticmethod
    def problem(seed, n=13, m=9):
        rng = np.random.default_rng(seed)
        plan = rng.random((n, m)) * (rng.random((n, m)) < 0.4)
        cost, a, b = rng.random((n, m)), rng.random(n), rng.random(m)
        return plan, cost, a, b, rng.normal(size=n), rng.normal(size=m)

    @pytest.mark.parametrize("seed", [0, 1, 2])
    def test_certify_plan_matches_numpy(self, seed):
        from divergences._kernels.dense_check import certify_plan

        plan, cost, a, b, f, g = self.problem(seed)
        got = certify_plan(plan, cost, a, b, f, g)
        want = self.numpy_certificate(plan, cost, a, b, f, g)
        # Sums of at most n m = 117 terms of magnitude below 4, summed in another
        # order: apart by at most 2 * 117 * 4 u each (u = 2^-53).
        np.testing.assert_allclose(got, want, rtol=0, atol=2 * 117 * 4 * 2.0**-53)
        # The reduced costs are formed in the same order of operations: the same floats.
        assert got[1] == want[1]

    def test_completion_gives_the_c_transforms_of_empty_atoms(self):
        from divergences._kernels.dense_check import complete_and_certify

        plan, cost, a, b, f, g = self.problem(3)
        a[[0, 4]] = 0.0
        b[[2]] = 0.0
        f0, g0 = f.copy(), g.copy()
        complete_and_certify(plan, cost, a, b, f, g)
        # Rows without mass against every column, then columns against every completed row.
        expected_f = f0.copy()
        expected_f[[0, 4]] = np.min(cost[[0, 4]] - g0[None, :], axis=1)
        expected_g = g0.copy()
        expected_g[2] = np.min(cost[:, 2] - expected_f)
        np.testing.assert_array_equal(f, expected_f)
        np.testing.assert_array_equal(g, expected_g)
        # The completed rows and column are feasible against every pair.
        assert np.min(cost[[0, 4]] - f[[0, 4], None] - g[None, :]) >= 0.0
        assert np.min(cost[:, 2] - f - g[2]) >= 0.0

    def test_simplex_with_empty_atoms_certifies_against_emd2(self):
        from divergences.ot._simplex import dense_network_simplex

        x, a, y, b = weighted_problem(40, n=30, m=25)
        a[[3, 7]], b[[0, 11]] = 0.0, 0.0
        a, b = a / a.sum(), b / b.sum()
        cost = cdist(x, y)
        plan, f, g, solved, check, primal = dense_network_simplex(a, b, cost, 10**9)
        assert solved
        marginal, violation, primal_np, dual_np = self.numpy_certificate(plan, cost, a, b, f, g)
        rounding = 30 * 25 * 2.0**-53 * cost.max()
        assert check["marginal_error"] <= 1e-15 and marginal <= 1e-15
        # The simplex's potentials are sums along paths of its spanning tree (up to
        # n + m edges), each within a rounding of the cost scale.
        assert violation <= (30 + 25) * 2.0**-53 * cost.max()
        assert check["dual_violation"] == violation
        assert abs(check["duality_gap"] - (primal_np - dual_np)) <= 2 * rounding
        assert abs(check["duality_gap"]) <= 2 * rounding
        assert primal == pytest.approx(ot.emd2(a, b, cost, numItermax=10**9), rel=1e-13)

    def test_a_sub_optimal_plan_shows_its_excess_as_the_gap(self):
        # Moving mass t around a 2-cycle of an optimal plan keeps its marginals and
        # raises its cost by t (c_il + c_kj - c_ij - c_kl); with the optimal potentials
        # the duality gap is that rise: a certificate that can say "not optimal".
        from divergences._kernels.dense_check import certify_plan
        from divergences.ot._simplex import dense_network_simplex

        x, a, y, b = weighted_problem(41, n=20, m=20)
        cost = cdist(x, y)
        plan, f, g, _, check, primal = dense_network_simplex(a, b, cost, 10**9)
        rows, cols = np.nonzero(plan)
        i, j = rows[0], cols[0]
        k, l = next((r, c) for r, c in zip(rows, cols) if r != i and c != j)
        t = min(plan[i, j], plan[k, l])
        worse = plan.copy()
        worse[i, j] -= t
        worse[k, l] -= t
        worse[i, l] += t
        worse[k, j] += t
        rise = t * (cost[i, l] + cost[k, j] - cost[i, j] - cost[k, l])
        assert rise > 1e-6
        marginal, _, worse_primal, dual = certify_plan(worse, cost, a, b, f, g)
        assert marginal <= 1e-15
        assert worse_primal - dual == pytest.approx(check["duality_gap"] + rise, abs=1e-14)
