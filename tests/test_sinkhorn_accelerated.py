"""The shared Sinkhorn loop: Anderson acceleration, warm starts, and the dense soft-min.

Oracles: POT's ``ot.bregman.sinkhorn_log`` and ``ot.sinkhorn2`` on the same
cost matrix and eps, and scipy's ``logsumexp`` for single soft-mins.

Tolerances on OT_eps come from the marginal errors reached. A plan whose L1
marginal error is ``delta`` is the entropic optimum between marginals
``delta`` away from ``(a, b)``; OT_eps is Lipschitz in the marginals with the
oscillation of its potentials as constant, and c-transformed potentials
oscillate by at most ``osc(C) = max C - min C``. So two solutions with errors
``delta_1`` and ``delta_2`` have values within ``osc(C) (delta_1 +
delta_2)`` (to first order; the second-order terms are below 1e-12 here).
"""

import warnings

import numpy as np
import ot
import pytest
from scipy.special import logsumexp

import divergences as dv
from divergences import testing as dvt
from divergences.exceptions import ConvergenceWarning
from divergences.ot import sinkhorn as solver
from divergences.ot._sinkhorn_loop import alternate

ROUNDING = np.finfo(np.float64).eps


def _panel(name, n, d, seed=0):
    """The panel's clouds as ``bench_sinkhorn.py --cases panel`` draws them (seed 0)."""
    return dvt.panel_clouds(name, n, d, rng=seed)


def _eps(cost, fraction):
    return fraction * float(np.median(cost))


def _primal(plan, cost, a, b, eps):
    """``<pi, C> + eps KL(pi | a x b)`` of a (nearly feasible) plan, and its L1 marginal error."""
    positive = plan > 0
    kl = np.sum(plan[positive] * np.log(plan[positive] / np.outer(a, b)[positive]))
    error = np.abs(plan.sum(1) - a).sum() + np.abs(plan.sum(0) - b).sum()
    return float(np.sum(plan * cost) + eps * kl), float(error)


def _online(monkeypatch):
    """Make every problem take the online soft-min (no dense kernel fits in 0 bytes)."""
    monkeypatch.setattr(solver, "_DENSE_BYTES", 0)


class TestAcceleratedLoopAgainstPOT:
    @pytest.mark.parametrize("kind, d, fraction", [
        ("shift 1 axis", 2, 0.01),
        ("shift 10 axis", 1, 0.1),
        ("scale x2 axis", 1, 0.1),
        ("mixture +-2 axis", 5, 0.1),
        ("shift 0.5 diagonal", 5, 0.1),
    ])
    def test_value_matches_sinkhorn_log(self, kind, d, fraction, monkeypatch):
        n = 100
        x, y = _panel(kind, n, d)
        a = b = np.full(n, 1.0 / n)
        cost = ot.dist(x, y)
        eps = _eps(cost, fraction)
        # POT's error where it stops enters the bound: no need to run it to the end.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plan = ot.bregman.sinkhorn_log(a, b, cost, eps, numItermax=1000, stopThr=1e-9)
        value, error = _primal(plan, cost, a, b, eps)
        for path in ("dense", "online"):
            if path == "online":
                _online(monkeypatch)
            r = dv.wasserstein(x, y, order=2, method="sinkhorn", eps=eps, tol=1e-8)
            assert r.converged and r.marginal_error <= 1e-8
            assert r.details["acceleration"]["method"] == "anderson"
            softmin = r.details["softmin"]
            assert softmin == "online" if path == "online" else softmin["kind"] == "dense"
            bound = np.ptp(cost) * (r.marginal_error + error) + 1e3 * ROUNDING * abs(value)
            assert abs(r.cost - value) <= bound

    def test_value_matches_plain_sinkhorn2(self):
        # POT's plain (exp-domain) Sinkhorn is fine at eps = 10% of the median cost.
        n = 200
        x, y = _panel("shift 2 axis", n, 2)
        a = b = np.full(n, 1.0 / n)
        cost = ot.dist(x, y)
        eps = _eps(cost, 0.1)
        r = dv.wasserstein(x, y, order=2, method="sinkhorn", eps=eps, tol=1e-8)
        plan = ot.sinkhorn(a, b, cost, eps, method="sinkhorn", numItermax=20_000, stopThr=1e-11)
        value, error = _primal(plan, cost, a, b, eps)
        assert abs(r.cost - value) <= np.ptp(cost) * (r.marginal_error + error) + 1e-12

    def test_issue_case_converges_in_few_iterations(self):
        # Issue #18: N(0, I) against N(0, I) + (1, 0), d = 2, n = 1,000, seed 0, eps = 1% of
        # the median squared distance took 1,987 iterations before the accelerated loop.
        rng = np.random.default_rng(0)
        x = rng.normal(size=(1000, 2))
        y = rng.normal(size=(1000, 2)) + [1.0, 0.0]
        eps = _eps(ot.dist(x, y), 0.01)
        r = dv.wasserstein(x, y, order=2, method="sinkhorn", eps=eps)
        assert r.converged and r.marginal_error <= 1e-6
        assert r.n_iter < 500
        assert r.details["acceleration"]["accepted"] > 0

    def test_plain_iteration_is_still_there(self):
        # memory=0 is plain Sinkhorn (the reference the acceleration is measured against):
        # same fixed point, more iterations.
        n = 100
        x, y = _panel("shift 1 axis", n, 2)
        cost = ot.dist(x, y)
        a = b = np.full(n, 1.0 / n)
        eps = _eps(cost, 0.1)
        fast = solver.entropic_ot(x, a, y, b, eps=eps, order=2.0, tol=1e-8, max_iter=20_000,
                                  scaling=0.5)[2]
        slow = solver.entropic_ot(x, a, y, b, eps=eps, order=2.0, tol=1e-8, max_iter=20_000,
                                  scaling=0.5, memory=0)[2]
        assert slow["acceleration"]["method"] == "none" and slow["converged"]
        assert fast["n_iter"] < slow["n_iter"]
        bound = np.ptp(cost) * (fast["marginal_error"] + slow["marginal_error"])
        assert abs(fast["dual"] - slow["dual"]) <= bound


def _dense_softmins(cost, a, b):
    """Exact soft-mins of a cost matrix (scipy), as the loop takes them."""
    log_a, log_b = np.log(a), np.log(b)

    def to_columns(f, eps, out):
        out[:] = -eps * logsumexp(log_a[:, None] + (f[:, None] - cost) / eps, axis=0)
        return out

    def to_rows(g, eps, out):
        out[:] = -eps * logsumexp(log_b[None, :] + (g[None, :] - cost) / eps, axis=1)
        return out

    return to_columns, to_rows


class TestWarmStart:
    def test_reaches_the_same_fixed_point_in_fewer_iterations(self):
        n = 80
        x, y = _panel("shift 1 axis", n, 2, seed=3)
        cost = ot.dist(x, y)
        a = b = np.full(n, 1.0 / n)
        eps = _eps(cost, 0.02)
        to_columns, to_rows = _dense_softmins(cost, a, b)
        settings = {"eps": eps, "scale": float(cost.max()), "max_iter": 10_000, "scaling": 0.5}
        f_cold, g_cold, cold = alternate(to_columns, to_rows, a, b, tol=1e-8, **settings)
        # A rough solution (what a coarse level hands over), then on to the same tol.
        f_rough, _, rough = alternate(to_columns, to_rows, a, b, tol=1e-2, **settings)
        f_warm, g_warm, warm = alternate(to_columns, to_rows, a, b, tol=1e-8, start=f_rough,
                                         **settings)
        assert cold["converged"] and warm["converged"] and rough["marginal_error"] > 1e-4
        assert warm["n_iter"] < cold["n_iter"]
        bound = np.ptp(cost) * (cold["marginal_error"] + warm["marginal_error"])
        assert abs(warm["dual"] - cold["dual"]) <= bound + 1e-13
        # The potentials themselves can differ (an atom matched to a single other one is
        # nearly free to trade f_i + t against g_j - t); the plan cannot by much: the
        # objective is eps-strongly convex in L1 (Pinsker), so plans whose values are
        # within ``bound`` of the optimum are within sqrt(2 bound / eps) of it.
        def plan(f, g):
            return np.exp((f[:, None] + g[None, :] - cost) / eps) * np.outer(a, b)

        assert np.abs(plan(f_warm, g_warm) - plan(f_cold, g_cold)).sum() <= 2 * np.sqrt(
            2 * bound / eps)


class TestNonConvergence:
    @pytest.mark.parametrize("path", ["dense", "online"])
    def test_warns_and_records(self, path, monkeypatch):
        if path == "online":
            _online(monkeypatch)
        x, y = _panel("shift 2 axis", 60, 2)
        with pytest.warns(ConvergenceWarning, match="max_iter"):
            r = dv.wasserstein(x, y, order=2, method="sinkhorn", eps=1e-3, max_iter=3)
        assert not r.converged and r.marginal_error > 1e-6
        assert np.isfinite(r.cost) and np.isfinite(r.value)
        assert r.details["acceleration"]["method"] == "anderson"
        with pytest.warns(ConvergenceWarning):
            s = dv.sinkhorn_divergence(x, y, eps=1e-3, max_iter=3)
        assert not s.converged and np.isfinite(s.value)


class TestDenseSoftmin:
    @pytest.mark.parametrize("fraction", [0.1, 0.01, 0.001])
    def test_one_softmin_is_exact_to_rounding(self, fraction):
        # Dense (absorbed kernel, BLAS) and online (log-sum-exp kernel) soft-mins of the same
        # potentials against scipy's logsumexp, at the solution's potentials (where the
        # kernel is used) and far from them (where it must fall back). Rounding: each term's
        # exponent (f - C) / eps carries ~ u C / eps, the sum ~ u n: eps u (n + C / eps).
        from divergences._kernels.costs import cost_matrix, reduced_exponent

        n = 200
        x, y = _panel("shift 1 axis", n, 2)
        a = b = np.full(n, 1.0 / n)
        # The solver's own (unit-scaled, tree-ordered) problem.
        ground = solver._ground(2.0, None)
        xs, ys, _, _, eps = solver._unit_scale(x, y, ground, _eps(ot.dist(x, y), fraction))
        source, target = solver._Cloud(xs, a), solver._Cloud(ys, b)
        kind, q, k_order = ground.kernel
        cost = cost_matrix(int(kind), float(q), reduced_exponent(int(kind), float(q), k_order),
                           source.points, target.points)
        f, _, _ = solver.entropic_ot(xs, a, ys, b, eps=eps, order=2.0, tol=1e-8, max_iter=10_000,
                                     scaling=0.5)
        f = f[source.perm]
        exact_columns, _ = _dense_softmins(cost, a, b)
        dense = solver._dense_softmin(source, target, eps, (kind, q, k_order),
                                      lambda h, e, out: solver._softmin(
                                          target, source, h, e, k_order, out,
                                          solver._NO_MOMENT, kind, q),
                                      lambda h, e, out: solver._softmin(
                                          source, target, h, e, k_order, out,
                                          solver._NO_MOMENT, kind, q))
        assert dense is not None
        atol = 8 * ROUNDING * (n * eps + cost.max())
        far = np.random.default_rng(1).uniform(-1, 1, n) * cost.max()
        for potential in (f, f + 1e-3 * eps, far):
            expected = exact_columns(potential, eps, np.empty(n))
            np.testing.assert_allclose(dense.to_columns(potential, eps, np.empty(n)), expected,
                                       rtol=0, atol=atol)
            np.testing.assert_allclose(dense.online_columns(potential, eps, np.empty(n)),
                                       expected, rtol=0, atol=atol)
        assert dense.record()["fallbacks"] >= 1  # the far potentials were not trusted

    @pytest.mark.parametrize("fraction", [0.1, 0.01, 0.001])
    def test_solve_matches_online(self, fraction, monkeypatch):
        n = 60
        x, y = _panel("mixture +-2 axis", n, 2)
        eps = _eps(ot.dist(x, y), fraction)
        dense = dv.wasserstein(x, y, order=2, method="sinkhorn", eps=eps, tol=1e-8)
        _online(monkeypatch)
        online = dv.wasserstein(x, y, order=2, method="sinkhorn", eps=eps, tol=1e-8)
        assert dense.details["softmin"]["kind"] == "dense" and online.details["softmin"] == "online"
        assert dense.converged and online.converged
        cost = ot.dist(x, y)
        bound = np.ptp(cost) * (dense.marginal_error + online.marginal_error) + 1e-13
        assert abs(dense.cost - online.cost) <= bound
        assert abs(dense.details["transport_cost"] - online.details["transport_cost"]) <= bound

    def test_memory_guard(self, monkeypatch):
        # The dense path holds two n-by-m float64 matrices: it runs only where they fit in
        # _DENSE_BYTES, and is never chosen above it (the online kernel is O(n + m)).
        x, y = _panel("shift 1 axis", 40, 2)
        monkeypatch.setattr(solver, "_DENSE_BYTES", 16 * 40 * 40)
        r = dv.wasserstein(x, y, order=2, method="sinkhorn", eps=0.5)
        assert r.details["softmin"]["kind"] == "dense"
        monkeypatch.setattr(solver, "_DENSE_BYTES", 16 * 40 * 40 - 1)
        r = dv.wasserstein(x, y, order=2, method="sinkhorn", eps=0.5)
        assert r.details["softmin"] == "online"
        monkeypatch.undo()
        big = np.random.default_rng(0).normal(size=(2100, 2))
        cloud = solver._Cloud(big, np.full(2100, 1 / 2100))
        assert 16 * 2100 * 2100 > solver._DENSE_BYTES
        assert solver._dense_softmin(cloud, cloud, 0.5, solver._ground(2.0, None).kernel,
                                     None, None) is None


class TestAnnealingRule:
    """The "auto" rule of the shared loop: a trial at the target eps, annealing only if the
    trial's error stays above TRIAL_TOL (both routes checked against POT)."""

    @staticmethod
    def _pot_log(a, b, cost, eps):
        # POT's log-domain Sinkhorn to its own error, which enters the bound.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plan = ot.bregman.sinkhorn_log(a, b, cost, eps, numItermax=20_000, stopThr=1e-9)
        return _primal(plan, cost, a, b, eps)

    # (At 0.1% the trial is abandoned too, but POT's sinkhorn_log takes minutes there.)
    @pytest.mark.parametrize("fraction, route", [(0.1, "direct"), (0.01, "annealed")])
    def test_both_routes_match_pot(self, fraction, route):
        from divergences.ot import _sinkhorn_loop as loop

        n = 100
        x, y = _panel("shift 1 axis", n, 2)
        a = b = np.full(n, 1.0 / n)
        cost = ot.dist(x, y)
        eps = _eps(cost, fraction)
        r = dv.wasserstein(x, y, order=2, method="sinkhorn", eps=eps, tol=1e-8)
        schedule = r.details["schedule"]
        assert r.converged and schedule["rule"] == "auto" and schedule["route"] == route
        if route == "direct":
            # The trial went on to convergence: no annealing level, one kernel.
            assert schedule["levels"] == [] and schedule["trial_error"] is None
            assert r.details["softmin"]["absorptions"] == 1
        else:
            # Abandoned after TRIAL_ITER iterations with a large error; then the
            # annealing from the cost scale (in the solver's unit-scaled costs, <= 1),
            # halving while above eps.
            assert schedule["trial_error"] > loop.TRIAL_TOL
            assert schedule["trial_iter"] == loop.TRIAL_ITER
            levels = np.array(schedule["levels"])
            assert levels.size >= 2 and levels[0] <= 1.0
            np.testing.assert_allclose(levels[1:] / levels[:-1], 0.5)
            assert r.n_iter > loop.TRIAL_ITER + levels.size
        value, error = self._pot_log(a, b, cost, eps)
        bound = np.ptp(cost) * (r.marginal_error + error) + 1e3 * ROUNDING * abs(value)
        assert abs(r.cost - value) <= bound

    @pytest.mark.parametrize("fraction", [0.1, 0.01, 0.001])
    def test_auto_and_full_annealing_agree(self, fraction):
        # The rule changes the route, not the fixed point: same dual value to the
        # marginal errors (both to tol 1e-9), on the dense and the exact paths alike.
        n = 120
        x, y = _panel("mixture +-2 axis", n, 5)
        a = b = np.full(n, 1.0 / n)
        cost = ot.dist(x, y)
        eps = _eps(cost, fraction)
        out = {}
        # Without annealing 0.1% takes thousands of iterations: "direct" is left out there.
        rules = ("auto", "scale") + (("direct",) if fraction >= 0.01 else ())
        for rule in rules:
            out[rule] = solver.entropic_ot(x, a, y, b, eps=eps, order=2.0, tol=1e-9,
                                           max_iter=50_000, scaling=0.5, rule=rule)[2]
            assert out[rule]["converged"] and out[rule]["schedule"]["rule"] == rule
        assert out["scale"]["schedule"]["route"] == "annealed"
        assert "direct" not in out or out["direct"]["schedule"]["route"] == "direct"
        for rule in (rule for rule in rules if rule != "scale"):
            bound = np.ptp(cost) * (out[rule]["marginal_error"] + out["scale"]["marginal_error"])
            assert abs(out[rule]["dual"] - out["scale"]["dual"]) <= bound + 1e3 * ROUNDING

    @pytest.mark.parametrize("fraction, max_iter, route", [
        (0.1, 3, "direct"),  # stopped inside the trial
        (0.001, 20, "annealed"),  # trial abandoned, then too few iterations at eps
    ])
    def test_non_convergence_still_warns(self, fraction, max_iter, route):
        x, y = _panel("shift 2 axis", 100, 2)
        eps = _eps(ot.dist(x, y), fraction)
        with pytest.warns(ConvergenceWarning, match="max_iter"):
            r = dv.wasserstein(x, y, order=2, method="sinkhorn", eps=eps, max_iter=max_iter)
        assert not r.converged and r.marginal_error > 1e-6
        assert r.details["schedule"]["route"] == route
        assert np.isfinite(r.cost) and np.isfinite(r.value)

    def test_bad_rule(self):
        cost = np.array([[0.0, 1.0], [1.0, 0.0]])
        a = np.full(2, 0.5)
        to_columns, to_rows = _dense_softmins(cost, a, a)
        with pytest.raises(ValueError, match="rule"):
            alternate(to_columns, to_rows, a, a, eps=0.1, scale=1.0, tol=1e-6, max_iter=10,
                      scaling=0.5, rule="fast")

    def test_warm_start_skips_the_rule(self):
        n = 50
        x, y = _panel("shift 1 axis", n, 2)
        cost = ot.dist(x, y)
        a = b = np.full(n, 1.0 / n)
        to_columns, to_rows = _dense_softmins(cost, a, b)
        _, _, info = alternate(to_columns, to_rows, a, b, eps=_eps(cost, 0.01),
                               scale=float(cost.max()), tol=1e-8, max_iter=10_000, scaling=0.5,
                               start=np.zeros(n), rule="auto")
        assert info["converged"] and info["schedule"]["route"] == "warm start"


class TestDenseKernelPieces:
    def test_gibbs_exponent_matches_numpy(self):
        from divergences._kernels.costs import gibbs_exponent

        rng = np.random.default_rng(4)
        cost = rng.random((7, 5))
        f, g = rng.normal(size=7), rng.normal(size=5)
        out = np.empty_like(cost)
        top = gibbs_exponent(f, g, cost, 1.0 / 0.3, out)
        expected = (f[:, None] + g[None, :] - cost) / 0.3
        np.testing.assert_allclose(out, expected, rtol=4 * ROUNDING, atol=0)
        assert top == expected.max()

    @pytest.mark.parametrize("fraction", [0.1, 0.001])
    def test_plan_sums_through_the_kernel_match_the_exact_ones(self, fraction):
        # The kernel's diag(u) K diag(v) against the plan computed entry by entry
        # from the cost; the kernel was absorbed at other potentials, so u, v != 1.
        from divergences.ot._dense_softmin import DenseSoftmin

        n, m = 40, 30
        x, y = _panel("shift 1 axis", max(n, m), 2)
        x, y = x[:n], y[:m]
        cost = ot.dist(x, y)
        a, b = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
        eps = _eps(cost, fraction)
        to_columns, to_rows = _dense_softmins(cost, a, b)
        dense = DenseSoftmin(cost, a, b, eps, to_columns, to_rows)
        f, g, _ = alternate(dense.to_columns, dense.to_rows, a, b, eps=eps,
                            scale=float(cost.max()), tol=1e-3, max_iter=10_000, scaling=0.5,
                            rule="auto")
        rng = np.random.default_rng(5)
        f = f + eps * rng.uniform(-3, 3, size=n)
        g = g + eps * rng.uniform(-3, 3, size=m)
        fast = dense._kernel_plan_sums(f, g)
        assert fast is not None
        plan = a[:, None] * b[None, :] * np.exp((f[:, None] + g[None, :] - cost) / eps)
        np.testing.assert_allclose(fast[1], plan.sum(1), rtol=1e-11)
        np.testing.assert_allclose(fast[2], plan.sum(0), rtol=1e-11)
        assert abs(fast[0] - np.sum(plan * cost)) <= 1e-11 * np.sum(plan * cost)
        # Potentials beyond TAU of the absorbed ones are not trusted to the kernel.
        assert dense._kernel_plan_sums(f + 200 * eps, g) is None
