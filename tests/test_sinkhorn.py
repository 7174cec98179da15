"""Entropic OT (log-domain Sinkhorn) and the debiased Sinkhorn divergence.

Oracle: POT's log-domain Sinkhorn on the dense cost matrix, run to a marginal
error far below ours. Both solve the same strictly convex problem, so their
values agree to the solvers' accuracy: our dual value is off by O(tol) of the
cost scale (tol = 1e-10 here) and POT's by its stopThr, hence rel 1e-6 has
orders of magnitude of room while still catching any wrong constant (a
missing entropy term, a halved cost, eps in the wrong units).
"""

import math
import warnings

import numpy as np
import ot
import pytest

import divergences as dv
from divergences.exceptions import (
    ConvergenceWarning,
    DenseMemoryError,
    InvalidMeasureError,
    MethodError,
)


def _cloud(seed, n, d=2, shift=0.0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) + shift, rng.random(n) + 0.1


def _pot_entropic(x, a, y, b, eps, order):
    """OT_eps with KL(pi | a x b), its transport cost <pi, C>, and the plan, by POT."""
    a, b = a / a.sum(), b / b.sum()
    cost = ot.dist(x, y, metric="sqeuclidean") if order == 2 else ot.dist(x, y, "euclidean") ** order
    plan = ot.bregman.sinkhorn_log(a, b, cost, eps, numItermax=100_000, stopThr=1e-10)
    kl = np.sum(plan * np.log(plan / np.outer(a, b)))
    transport = float(np.sum(plan * cost))
    return transport + eps * kl, transport, plan


class TestAgainstPOT:
    @pytest.mark.parametrize("order", [1.0, 2.0, 1.5])
    def test_regularised_cost_and_plan(self, order):
        x, a = _cloud(0, 40)
        y, b = _cloud(1, 55, shift=0.5)
        scale = np.median(ot.dist(x, y, "euclidean") ** order)
        eps = 0.05 * scale
        expected, transport, plan = _pot_entropic(x, a, y, b, eps, order)
        result = dv.wasserstein(
            dv.Samples(x, a), dv.Samples(y, b), order=order, method="sinkhorn", eps=eps,
            tol=1e-10, return_plan=True,
        )
        assert result.converged and result.method == "sinkhorn"
        assert result.cost == pytest.approx(expected, rel=1e-6)
        assert result.details["transport_cost"] == pytest.approx(transport, rel=1e-6)
        assert float(result) == pytest.approx(transport ** (1 / order), rel=1e-6)
        np.testing.assert_allclose(result.plan, plan, atol=1e-8)
        assert result.marginal_error <= 1e-9

    def test_divergence_is_the_three_pot_problems(self):
        x, a = _cloud(2, 30)
        y, b = _cloud(3, 45, shift=[1.0, -0.5])
        eps = 1.0
        ab = _pot_entropic(x, a, y, b, eps, 2)[0]
        aa = _pot_entropic(x, a, x, a, eps, 2)[0]
        bb = _pot_entropic(y, b, y, b, eps, 2)[0]
        result = dv.sinkhorn_divergence(dv.Samples(x, a), dv.Samples(y, b), eps=eps, tol=1e-10)
        assert result.details["ot_ab"] == pytest.approx(ab, rel=1e-7)
        assert result.details["ot_aa"] == pytest.approx(aa, rel=1e-7)
        assert result.details["ot_bb"] == pytest.approx(bb, rel=1e-7)
        assert float(result) == pytest.approx(ab - 0.5 * aa - 0.5 * bb, rel=1e-6)

    def test_potentials_give_the_plan(self):
        x, a = _cloud(4, 20)
        y, b = _cloud(5, 25)
        result = dv.wasserstein(dv.Samples(x, a), dv.Samples(y, b), order=2, method="sinkhorn",
                                eps=0.2, return_plan=True)
        f, g = result.potentials
        a, b = a / a.sum(), b / b.sum()
        rebuilt = np.outer(a, b) * np.exp((f[:, None] + g[None, :] - ot.dist(x, y)) / 0.2)
        np.testing.assert_allclose(rebuilt, result.plan, rtol=1e-12, atol=1e-300)
        assert result.cost == pytest.approx(a @ f + b @ g, rel=1e-14)


class TestTheory:
    def test_divergence_of_identical_inputs_is_exactly_zero(self):
        x, a = _cloud(6, 50)
        assert float(dv.sinkhorn_divergence(x, x.copy(), eps=0.05)) == 0.0
        assert float(dv.sinkhorn_divergence(dv.Samples(x, a), dv.Samples(x, a), eps=0.3, order=1)) == 0.0

    @pytest.mark.parametrize("seed", range(4))
    @pytest.mark.parametrize("order", [1.0, 2.0])
    def test_divergence_is_nonnegative(self, seed, order):
        # S_eps >= 0 for order <= 2 (positive definite Gibbs kernel); here on
        # two samples of one law, where it is small and a sign error would
        # show. Each dual is within ~tol * cost scale (< 1e-7) of its limit.
        x, _ = _cloud(seed, 30)
        y, _ = _cloud(100 + seed, 35)
        result = dv.sinkhorn_divergence(x, y, eps=0.5, order=order, tol=1e-9)
        assert float(result) >= -1e-7

    def test_translation_adds_the_squared_shift(self):
        # For C = |x - y|^2 a translation by t adds |t|^2 - 2<x - x', t> to the
        # cost; the cross term integrates to zero under any coupling, so
        # OT_eps(mu, mu + t) = OT_eps(mu, mu) + |t|^2 and S_eps = |t|^2.
        x, a = _cloud(7, 60)
        t = np.array([0.6, -0.8])
        # eps = 1% of the cost scale: (a translation's plan is near the
        # identity, the slowest case for Sinkhorn; much smaller eps needs
        # far more iterations).
        result = dv.sinkhorn_divergence(dv.Samples(x, a), dv.Samples(x + t, a), eps=0.5, tol=1e-10)
        assert float(result) == pytest.approx(1.0, rel=1e-8)
        w = dv.wasserstein(dv.Samples(x, a), dv.Samples(x + t, a), order=2, method="sinkhorn", eps=0.5)
        same = dv.wasserstein(dv.Samples(x, a), dv.Samples(x, a), order=2, method="sinkhorn", eps=0.5)
        assert w.details["transport_cost"] == pytest.approx(1.0 + same.details["transport_cost"], rel=1e-6)

    def test_tends_to_exact_transport(self):
        # 0 <= <pi_eps, C> - W^p <= OT_eps - W^p <= eps KL(pi* | a x b) <= eps log min(n, m)
        x, _ = _cloud(8, 25)
        y, _ = _cloud(9, 30, shift=1.0)
        exact = dv.wasserstein(x, y, order=2, method="exact").cost
        gaps = []
        for eps in (1.0, 0.1, 0.01):
            r = dv.wasserstein(x, y, order=2, method="sinkhorn", eps=eps, tol=1e-8)
            gap = r.details["transport_cost"] - exact
            # the plan is feasible only up to its marginal error (costs <= scale)
            slack = r.marginal_error * dv.ot.sinkhorn.cost_scale(x, y, 2.0)
            assert -slack <= gap <= eps * math.log(25) + slack
            assert r.cost - exact <= eps * math.log(25) + slack
            gaps.append(gap)
        assert gaps[-1] < 0.05 * gaps[0]

    @pytest.mark.parametrize("order", [1.0, 2.0])
    def test_stable_at_tiny_eps(self, order):
        # eps = 1e-4 of the cost scale: plain exp(-C/eps) underflows to 0 for
        # every pair farther than ~0.09 scale apart; the log domain must not.
        # Sinkhorn may need very many iterations here, so convergence is not
        # asked for: only finite numbers and the bounds, up to the slack that
        # the plan's marginal error allows.
        x, _ = _cloud(10, 40)
        y, _ = _cloud(11, 40, shift=3.0)
        scale = dv.ot.sinkhorn.cost_scale(x, y, order)
        exact = dv.wasserstein(x, y, order=order, method="exact")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            r = dv.wasserstein(x, y, order=order, method="sinkhorn", eps=1e-4 * scale, max_iter=500)
            s = dv.sinkhorn_divergence(x, y, eps=1e-4 * scale, order=order, max_iter=500)
        assert np.isfinite(r.cost) and np.isfinite(float(r)) and np.isfinite(r.marginal_error)
        assert all(np.all(np.isfinite(p)) for p in r.potentials)
        slack = r.marginal_error * scale
        gap = r.details["transport_cost"] - exact.cost
        assert -slack <= gap <= 1e-4 * scale * math.log(40) + slack
        assert np.isfinite(float(s)) and np.isfinite(s.marginal_error)

    def test_zero_weights_are_ignored(self):
        x, a = _cloud(12, 20)
        y, b = _cloud(13, 15)
        a[:5] = 0.0
        full = dv.wasserstein(dv.Samples(x, a), dv.Samples(y, b), order=2, method="sinkhorn", eps=0.5)
        kept = dv.wasserstein(dv.Samples(x[5:], a[5:]), dv.Samples(y, b), order=2, method="sinkhorn",
                              eps=0.5)
        assert full.cost == pytest.approx(kept.cost, rel=1e-9)
        assert np.all(np.isfinite(full.potentials[0]))

    def test_histograms_with_support(self):
        p = dv.Histogram([1, 2, 1], support=[[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]])
        q = dv.Samples([[0.0, 1.0], [2.0, 1.0]], weights=[1, 1])
        r = dv.wasserstein(p, q, order=2, method="sinkhorn", eps=0.01)
        assert r.converged and r.sizes == (3, 2)


class TestBehaviour:
    def test_seeds_and_threads_give_identical_results(self):
        x, _ = _cloud(14, 200)
        y, _ = _cloud(15, 150)
        r1 = dv.sinkhorn_divergence(x, y, eps=0.05)
        r2 = dv.sinkhorn_divergence(x, y, eps=0.05)
        assert float(r1) == float(r2)
        np.testing.assert_array_equal(r1.potentials[0], r2.potentials[0])

    def test_non_convergence_warns(self):
        x, _ = _cloud(16, 30)
        y, _ = _cloud(17, 30, shift=2.0)
        with pytest.warns(ConvergenceWarning, match="max_iter"):
            r = dv.wasserstein(x, y, order=2, method="sinkhorn", eps=1e-3, max_iter=1)
        assert not r.converged and r.n_iter >= 1 and r.marginal_error > 1e-6
        with pytest.warns(ConvergenceWarning):
            s = dv.sinkhorn_divergence(x, y, eps=1e-3, max_iter=1)
        assert not s.converged

    def test_plan_only_on_request_and_when_it_fits(self):
        x, _ = _cloud(18, 30)
        assert dv.wasserstein(x, x, method="sinkhorn", eps=0.1).plan is None
        with pytest.raises(DenseMemoryError, match="return_plan"):
            dv.wasserstein(x, x, method="sinkhorn", eps=0.1, return_plan=True, max_memory=100)

    def test_inputs_are_not_modified(self):
        x, _ = _cloud(19, 20)
        copy = x.copy()
        dv.sinkhorn_divergence(x, x[::-1] + 1.0, eps=1.0)
        np.testing.assert_array_equal(x, copy)


class TestBadInput:
    @pytest.mark.parametrize("eps", [0.0, -1.0, math.nan, math.inf])
    def test_bad_eps(self, eps):
        x = np.zeros((3, 2))
        with pytest.raises(ValueError, match="eps"):
            dv.sinkhorn_divergence(x, x, eps=eps)
        with pytest.raises(ValueError, match="eps"):
            dv.wasserstein(x, x, method="sinkhorn", eps=eps)

    def test_eps_is_required(self):
        with pytest.raises(TypeError, match="eps"):
            dv.wasserstein(np.zeros((3, 2)), np.ones((3, 2)), method="sinkhorn")

    @pytest.mark.parametrize(
        "option, value", [("tol", 0.0), ("max_iter", 0), ("eps_scaling", 1.0), ("eps_scaling", 0.0)]
    )
    def test_bad_options(self, option, value):
        with pytest.raises(ValueError, match=option):
            dv.sinkhorn_divergence(np.zeros((3, 2)), np.ones((3, 2)), eps=0.1, **{option: value})

    def test_nan_points(self):
        x = np.zeros((3, 2))
        x[1, 0] = np.nan
        with pytest.raises(InvalidMeasureError, match="NaN"):
            dv.sinkhorn_divergence(x, np.zeros((3, 2)), eps=0.1)

    def test_mismatched_dimensions(self):
        with pytest.raises(InvalidMeasureError, match="different dimensions"):
            dv.sinkhorn_divergence(np.zeros((3, 2)), np.zeros((3, 3)), eps=0.1)

    def test_densities_are_refused(self):
        with pytest.raises(MethodError, match="point clouds"):
            dv.sinkhorn_divergence(dv.Gaussian([0.0, 0.0], 1.0), np.zeros((3, 2)), eps=0.1)

    def test_unknown_option(self):
        with pytest.raises(TypeError, match="does not take 'k'"):
            dv.sinkhorn_divergence(np.zeros((3, 2)), np.ones((3, 2)), eps=0.1, k=3)

    def test_bad_order(self):
        with pytest.raises(ValueError, match="order"):
            dv.sinkhorn_divergence(np.zeros((3, 2)), np.ones((3, 2)), eps=0.1, order=0.5)


def test_units_match_geomloss():
    # GeomLoss's "sinkhorn" loss with p=2 uses the halved cost |x - y|^2 / 2
    # and eps = blur^2, so it equals S_eps / 2 at our eps = 2 blur^2. GeomLoss
    # stops after its annealing (no convergence test); at scaling=0.99 that
    # leaves ~1e-4 relative error here, so 1e-3 checks the units (a wrong
    # factor 2 or blur-vs-eps mix-up is off by 50% or more).
    torch = pytest.importorskip("torch")
    geomloss = pytest.importorskip("geomloss")
    x, _ = _cloud(20, 60)
    y, _ = _cloud(21, 70, shift=0.5)
    blur = 0.4
    loss = geomloss.SamplesLoss("sinkhorn", p=2, blur=blur, scaling=0.99, backend="tensorized")
    theirs = float(loss(torch.from_numpy(x), torch.from_numpy(y)))
    ours = dv.sinkhorn_divergence(x, y, eps=2 * blur**2, tol=1e-9)
    assert float(ours) / 2 == pytest.approx(theirs, rel=1e-3)


class TestIdentityAndSign:
    """S_eps(a, a) = 0 whatever the order of the atoms, and S_eps >= 0 (issue 19, item 8)."""

    def test_shuffled_copy_is_exactly_zero(self):
        # -1.3e-8 before, after ~6,800 iterations of the asymmetric problem.
        x, a = _cloud(7, 200)
        perm = np.random.default_rng(1).permutation(200)
        assert float(dv.sinkhorn_divergence(x, x[perm], eps=0.1)) == 0.0
        weighted = dv.sinkhorn_divergence(dv.Samples(x, a), dv.Samples(x[perm], a[perm]), eps=0.1)
        assert float(weighted) == 0.0
        # The same measure with the same points but other weights is not the same.
        other = dv.sinkhorn_divergence(dv.Samples(x, a), dv.Samples(x[perm], a), eps=0.1)
        assert float(other) > 0.0

    def test_shuffled_copy_takes_the_symmetric_path_in_wasserstein(self):
        x, _ = _cloud(8, 150)
        perm = np.random.default_rng(2).permutation(150)
        direct = dv.wasserstein(x, x, method="sinkhorn", eps=0.1)
        shuffled = dv.wasserstein(x, x[perm], method="sinkhorn", eps=0.1)
        # The same iterations; only <pi, C> sums its 150 rows in another order (n u relative).
        assert shuffled.n_iter == direct.n_iter
        assert shuffled.value == pytest.approx(direct.value, rel=150 * 2.0**-53)
        np.testing.assert_array_equal(shuffled.potentials[1], direct.potentials[1][perm])

    def test_rounding_below_zero_is_clipped_with_a_note(self):
        # A copy moved by 1e-7: S_eps = 2e-14, below what the three dual values resolve.
        x, _ = _cloud(9, 200)
        result = dv.sinkhorn_divergence(x, x + 1e-7, eps=0.5)
        assert result.converged and result.value >= 0.0
        if result.value == 0.0:
            assert "clipped to 0" in result.note

    def test_clip_only_within_the_error_bound(self):
        from divergences.ot.sinkhorn import _clip_rounding

        infos = {k: {"marginal_error": 1e-6} for k in ("ab", "aa", "bb")}
        # Bound: 2 * scale * (1e-6 + 1e-6 / 2 + 1e-6 / 2) = 4e-6 (scale 1), plus rounding.
        value, note = _clip_rounding(-3.9e-6, infos, 1.0, 2.0)
        assert value == 0.0 and "clipped to 0" in note
        with pytest.warns(RuntimeWarning, match="beyond|not rounding"):
            value, note = _clip_rounding(-4.1e-6, infos, 1.0, 2.0)
        assert value == -4.1e-6 and "beyond the error bound" in note
        # Order > 2: S_eps can be negative, nothing is clipped.
        value, note = _clip_rounding(-1e-9, infos, 1.0, 3.0)
        assert value == -1e-9 and "not positive definite" in note
        assert _clip_rounding(0.5, infos, 1.0, 2.0) == (0.5, "")
