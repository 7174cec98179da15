"""Ground metrics: the cost ``metric(x, y) ** order`` on every path.

Oracles: POT's ``ot.emd2`` and its dense log-domain Sinkhorn
(``ot.sinkhorn(..., method="sinkhorn_log")``) on ``ot.dist(x, y, metric) **
order``; scipy's ``cdist``; a dense ``logsumexp``; closed forms in 1-D.
Tolerances:

* exact: the solver's own certificate bounds ``cost - optimum`` by
  ``details["tolerance"]``; POT's value (a sum of ``n + m`` plan entries
  times costs, each rounded) adds ``(n + m) * ulp * max C``.
* Sinkhorn: each of the two solvers returns a plan whose L1 marginal error
  is ``e``; rounding it onto the marginals moves its cost by at most ``2 max
  C e`` (Altschuler, Weed & Rigollet 2017, Lemma 7), so the two values of
  ``OT_eps`` (and of the transport cost) agree to ``2 max C (e_ours +
  e_POT)`` plus rounding.
* soft-min kernel: as in tests/test_sinkhorn_kernels.py (rounding of the
  exponents, the exp and the sum, and the skipped blocks' ``m e^-50``).
"""

import math

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from scipy.special import logsumexp

import divergences as dv
from divergences.exceptions import MethodError
from divergences.ot._ground import as_ground_cost

ot = pytest.importorskip("ot")

ULP = np.finfo(float).eps
# (metric, metric_p): every metric the kernels compute.
KERNEL_METRICS = [("euclidean", None), ("sqeuclidean", None), ("cityblock", None),
                  ("chebyshev", None), ("minkowski", 3.0), ("minkowski", 1.5)]
IDS = [m if p is None else f"{m}{p:g}" for m, p in KERNEL_METRICS]


def _matrix(x, y, metric, metric_p, order):
    extra = {} if metric_p is None else {"p": metric_p}
    return cdist(x, y, metric, **extra) ** order


def _clouds(n, m, d, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(m, d)) + 0.7


class TestExact:
    @pytest.mark.parametrize(("metric", "metric_p"), KERNEL_METRICS, ids=IDS)
    @pytest.mark.parametrize("order", [1.0, 1.5, 2.0])
    @pytest.mark.parametrize(("d", "solver"), [(2, "auction"), (5, "auction"),
                                               (3, "network_simplex")])
    def test_matches_pot_emd2(self, metric, metric_p, order, d, solver):
        # d = 2: the auction's tree search; d = 5: its scan of all columns.
        x, y = _clouds(70, 70, d, seed=d)
        cost = _matrix(x, y, metric, metric_p, order)
        a = b = np.full(70, 1 / 70)
        expected = ot.emd2(a, b, cost, numItermax=10**7)
        r = dv.wasserstein(x, y, order=order, metric=metric, metric_p=metric_p, solver=solver)
        assert r.converged and r.details["solver"] == solver
        assert abs(r.cost - expected) <= r.details["tolerance"] + 140 * ULP * cost.max()
        assert r.value == pytest.approx(r.cost ** (1 / order), rel=1e-15)
        # The certificate, checked on the dense matrix: (f, g) dual feasible.
        f, g = r.potentials
        assert np.max(f[:, None] + g[None, :] - cost) <= r.details["tolerance"] + 8 * ULP

    @pytest.mark.parametrize(("metric", "metric_p"), KERNEL_METRICS, ids=IDS)
    def test_weighted_clouds_of_other_sizes(self, metric, metric_p):
        rng = np.random.default_rng(3)
        x, y = _clouds(40, 55, 2, seed=3)
        a, b = rng.random(40), rng.random(55)
        a, b = a / a.sum(), b / b.sum()
        cost = _matrix(x, y, metric, metric_p, 1.0)
        expected = ot.emd2(a, b, cost)
        r = dv.wasserstein(dv.Samples(x, a), dv.Samples(y, b), metric=metric, metric_p=metric_p)
        assert r.converged and r.details["solver"] == "network_simplex"
        assert abs(r.cost - expected) <= r.details["tolerance"] + 95 * ULP * cost.max()

    def test_minkowski_at_1_2_and_inf_is_the_named_metric(self):
        x, y = _clouds(50, 50, 3, seed=4)
        for p, name in ((1, "cityblock"), (2, "euclidean"), (math.inf, "chebyshev")):
            ours = dv.wasserstein(x, y, metric="minkowski", metric_p=p)
            assert ours.value == dv.wasserstein(x, y, metric=name).value
            assert ours.details["metric"] == "minkowski" and ours.details["metric_p"] == p

    @pytest.mark.parametrize("metric", ["canberra", "cosine",
                                        lambda u, v: float(np.sum(np.abs(u - v) ** 0.5))])
    def test_dense_metrics_go_to_the_network_simplex(self, metric):
        x, y = _clouds(30, 30, 3, seed=5)
        cost = cdist(x, y, metric) ** 2
        a = np.full(30, 1 / 30)
        r = dv.wasserstein(x, y, order=2, metric=metric)
        assert r.converged and r.details["solver"] == "network_simplex"
        assert abs(r.cost - ot.emd2(a, a, cost)) <= r.details["tolerance"] + 60 * ULP * cost.max()
        # Not homogeneous: solved on the points as given.
        assert "length_scale" not in r.details

    def test_online_solvers_refuse_a_dense_metric(self):
        x, y = _clouds(10, 10, 2, seed=6)
        for solver in ("auction", "network_simplex_online"):
            with pytest.raises(MethodError, match="network_simplex"):
                dv.wasserstein(x, y, metric="cosine", solver=solver)
        with pytest.raises(MethodError, match="method='exact'"):
            dv.wasserstein(x, y, metric="cosine", method="sinkhorn", eps=0.1)

    def test_online_simplex_takes_sqeuclidean_at_order_1(self):
        x, y = _clouds(30, 40, 2, seed=7)
        ours = dv.wasserstein(x, y, metric="sqeuclidean", solver="network_simplex_online")
        dense = dv.wasserstein(x, y, metric="sqeuclidean", solver="network_simplex")
        assert ours.converged
        assert ours.cost == pytest.approx(dense.cost, abs=dense.details["tolerance"] * 2)
        with pytest.raises(MethodError, match="Euclidean metric, order 1 or 2"):
            dv.wasserstein(x, y, metric="cityblock", solver="network_simplex_online")


class TestScaling:
    """LengthScale: a power-of-two rescale, by s^degree for W (s^2 for sqeuclidean)."""

    @pytest.mark.parametrize(("metric", "metric_p"), KERNEL_METRICS, ids=IDS)
    @pytest.mark.parametrize("s", [2.0**300, 2.0**-300])
    def test_far_beyond_float64_and_back(self, metric, metric_p, s):
        x, y = _clouds(40, 40, 2, seed=8)
        degree = 2 if metric == "sqeuclidean" else 1
        unit = dv.wasserstein(x, y, order=2, metric=metric, metric_p=metric_p)
        scaled = dv.wasserstein(x * s, y * s, order=2, metric=metric, metric_p=metric_p)
        assert scaled.converged
        # Powers of two: the scaled problem is the unit one, bit for bit.
        assert scaled.value == unit.value * s**degree
        assert scaled.unit == unit.unit == ("distance^2" if degree == 2 else "distance")

    def test_cost_scale_bounds_every_cost(self):
        rng = np.random.default_rng(9)
        for metric, metric_p in KERNEL_METRICS:
            for order in (1.0, 2.5):
                x, y = rng.normal(size=(30, 4)), rng.normal(size=(20, 4)) * 3
                ground = as_ground_cost(metric, metric_p, order)
                largest = _matrix(x, y, metric, metric_p, order)
                assert largest.max() <= ground.cost_scale(x, y) * (1 + 8 * ULP)
                # ... and is the cost between the bounding box's corners: attained for a box.
                corners = np.array([x.min(axis=0), x.max(axis=0)])
                assert ground.cost_scale(corners, corners) == pytest.approx(
                    _matrix(corners[:1], corners[1:], metric, metric_p, order)[0, 0], rel=1e-14)

    def test_kernel_cost_matrix_matches_cdist(self):
        from divergences._kernels.costs import cost_matrix

        x, y = _clouds(20, 30, 3, seed=10)
        for metric, metric_p in KERNEL_METRICS:
            ground = as_ground_cost(metric, metric_p, 1.5)
            kind, q, _ = ground.kernel
            ours = cost_matrix(kind, q, ground.exponent, x, y)
            np.testing.assert_allclose(ours, _matrix(x, y, metric, metric_p, 1.5), rtol=1e-13)
            np.testing.assert_allclose(ground.matrix(x, y), ours, rtol=1e-13)


class TestSinkhorn:
    @pytest.mark.parametrize(("metric", "metric_p"), KERNEL_METRICS, ids=IDS)
    @pytest.mark.parametrize("order", [1.0, 2.0])
    def test_matches_pot_dense_log_sinkhorn(self, metric, metric_p, order):
        x, y = _clouds(80, 70, 2, seed=11)
        a, b = np.full(80, 1 / 80), np.full(70, 1 / 70)
        cost = _matrix(x, y, metric, metric_p, order)
        eps = 0.05 * cost.max()
        r = dv.wasserstein(x, y, order=order, metric=metric, metric_p=metric_p,
                           method="sinkhorn", eps=eps, tol=1e-10)
        plan = ot.sinkhorn(a, b, cost, eps, method="sinkhorn_log", stopThr=1e-13,
                           numItermax=100_000)
        theirs = np.abs(plan.sum(1) - a).sum() + np.abs(plan.sum(0) - b).sum()
        transport = float(np.sum(plan * cost))
        objective = transport + eps * float(np.sum(plan * np.log(plan / np.outer(a, b))))
        bound = 2 * cost.max() * (r.marginal_error + theirs) + 1e3 * ULP * cost.max()
        assert r.converged
        assert abs(r.cost - objective) <= bound
        assert abs(r.details["transport_cost"] - transport) <= bound
        assert r.value == pytest.approx(r.details["transport_cost"] ** (1 / order), rel=1e-14)

    @pytest.mark.parametrize(("metric", "metric_p"), KERNEL_METRICS, ids=IDS)
    @pytest.mark.parametrize("relative_eps", [1.0, 1e-2, 1e-4])
    def test_softmin_kernel_matches_dense_logsumexp(self, metric, metric_p, relative_eps):
        from divergences.ot.sinkhorn import _Cloud, _softmin

        rng = np.random.default_rng(12)
        # Several blocks (of 256), one cluster far away: skipped at small eps.
        y = np.concatenate([rng.normal(size=(700, 3)), rng.normal(size=(300, 3)) + 6.0])
        x = rng.normal(size=(90, 3)) * 2.0
        w = rng.random(len(y))
        w[::7] = 0.0
        w /= w.sum()
        h = rng.normal(size=len(y))
        ground = as_ground_cost(metric, metric_p, 1.5)
        kind, q, order = ground.kernel
        eps = relative_eps * ground.cost_scale(x, y)
        cost = _matrix(x, y, metric, metric_p, 1.5)
        with np.errstate(divide="ignore"):
            expected = -eps * logsumexp(np.log(w) + (h - cost) / eps, axis=1)
        target, source = _Cloud(x, np.full(90, 1 / 90)), _Cloud(y, w)
        out = np.empty(90)
        _softmin(target, source, h[source.perm], eps, order, out, np.empty(0), kind, q)
        m = len(y)
        bound = 16 * (ULP * np.max(np.abs(h - cost)) + eps * ((4 + m) * ULP + m * np.exp(-50.0)))
        np.testing.assert_allclose(target.unsort(out), expected, rtol=0, atol=bound)

    def test_dense_plan_matches_pot(self):
        x, y = _clouds(50, 40, 2, seed=13)
        cost = _matrix(x, y, "cityblock", None, 1.0)
        a, b = np.full(50, 1 / 50), np.full(40, 1 / 40)
        r = dv.wasserstein(x, y, metric="cityblock", method="sinkhorn", eps=0.2, tol=1e-10,
                           return_plan=True)
        plan = ot.sinkhorn(a, b, cost, 0.2, method="sinkhorn_log", stopThr=1e-13)
        # Two near-solutions of one strictly convex problem: as far apart as their marginals.
        assert np.abs(r.plan - plan).sum() <= 10 * (r.marginal_error + 1e-12)

    @pytest.mark.parametrize(("metric", "metric_p"), KERNEL_METRICS, ids=IDS)
    def test_divergence_of_a_measure_with_itself_is_zero(self, metric, metric_p):
        x, _ = _clouds(60, 1, 2, seed=14)
        r = dv.sinkhorn_divergence(x, x[::-1], eps=0.3, metric=metric, metric_p=metric_p)
        assert r.value == 0.0 and r.converged

    def test_sqeuclidean_is_euclidean_at_twice_the_order(self):
        x, y = _clouds(60, 50, 2, seed=15)
        ours = dv.sinkhorn_divergence(x, y, eps=0.5, order=1, metric="sqeuclidean")
        euclid = dv.sinkhorn_divergence(x, y, eps=0.5, order=2)
        assert ours.value == euclid.value and ours.unit == euclid.unit == "distance^2"
        assert ours.details["metric"] == "sqeuclidean" and "metric" not in euclid.details
        assert "sqeuclidean(x, y)^1" in ours.note

    @pytest.mark.parametrize("seed", range(4))
    def test_non_negative_for_a_positive_definite_gibbs_kernel(self, seed):
        # |x - y|_1 is of negative type, so exp(-|x - y|_1 / eps) is positive definite.
        x, y = _clouds(50, 50, 3, seed=seed)
        r = dv.sinkhorn_divergence(x, y + 0.01 * seed, eps=2.0, order=1, metric="cityblock")
        assert r.value >= 0.0 and r.converged

    def test_positive_definite_gibbs_kernels(self):
        def pd(metric, order, dim=3, metric_p=None):
            return as_ground_cost(metric, metric_p, order).positive_definite(dim)

        assert pd("euclidean", 2) and not pd("euclidean", 2.5)
        assert pd("sqeuclidean", 1) and not pd("sqeuclidean", 1.5)
        assert pd("cityblock", 1) and not pd("cityblock", 2)
        assert pd("minkowski", 1, metric_p=1.5) and not pd("minkowski", 1, metric_p=3)
        assert pd("chebyshev", 1, dim=2) and not pd("chebyshev", 1, dim=3)
        # On the line every metric is |x - y|: positive definite to the power 2.
        assert pd("cityblock", 2, dim=1) and not pd("sqeuclidean", 1.5, dim=1)
        assert not pd("cosine", 1)


class TestOneDimension:
    @pytest.mark.parametrize(("metric", "metric_p"), KERNEL_METRICS, ids=IDS)
    @pytest.mark.parametrize("order", [1.0, 2.0])
    def test_matches_pot_emd2(self, metric, metric_p, order):
        rng = np.random.default_rng(16)
        x, y = rng.normal(size=50), rng.normal(size=40) + 0.3
        cost = _matrix(x[:, None], y[:, None], metric, metric_p, order)
        expected = ot.emd2(np.full(50, 1 / 50), np.full(40, 1 / 40), cost)
        r = dv.wasserstein(x, y, order=order, metric=metric, metric_p=metric_p)
        assert r.method == "1d"
        assert r.cost == pytest.approx(expected, rel=1e-12, abs=1e-14)

    def test_every_norm_is_the_absolute_difference(self):
        rng = np.random.default_rng(17)
        x, y = rng.normal(size=30), rng.normal(size=30)
        euclid = dv.wasserstein(x, y, order=1.5).value
        for metric, metric_p in KERNEL_METRICS:
            if metric != "sqeuclidean":
                ours = dv.wasserstein(x, y, order=1.5, metric=metric, metric_p=metric_p)
                assert ours.value == euclid

    def test_sqeuclidean_is_the_square_of_w_2p(self):
        rng = np.random.default_rng(18)
        x, y = rng.normal(size=30), rng.normal(size=40)
        for order in (1.0, 1.5):
            ours = dv.wasserstein(x, y, order=order, metric="sqeuclidean")
            w_2p = dv.wasserstein(x, y, order=2 * order).value
            assert ours.value == pytest.approx(w_2p**2, rel=1e-14)
            assert ours.unit == "distance^2"

    def test_gaussians_closed_form(self):
        # W_2^2(N(0, 1), N(2, 4)) = (0 - 2)^2 + (1 - 2)^2 = 5: the 1-D quadrature,
        # with the squared Euclidean metric at order 1.
        r = dv.wasserstein(dv.Gaussian(0.0, 1.0), dv.Gaussian(2.0, 4.0), metric="sqeuclidean")
        assert r.method == "1d" and r.value == pytest.approx(5.0, rel=1e-9)
        with pytest.raises(MethodError):
            dv.wasserstein(dv.Gaussian([0.0, 0.0], np.eye(2)), dv.Gaussian([1.0, 0.0], np.eye(2)),
                           order=2, metric="cityblock")


class TestBadInput:
    x = np.zeros((3, 2))

    @pytest.mark.parametrize(("kwargs", "error", "match"), [
        ({"metric": "manhattan"}, ValueError, "unknown metric='manhattan'"),
        ({"metric": 3}, TypeError, "metric must be a string or a callable"),
        ({"metric": "minkowski"}, TypeError, "needs metric_p"),
        ({"metric": "minkowski", "metric_p": 0.5}, ValueError, "metric_p must be >= 1"),
        ({"metric": "minkowski", "metric_p": "3"}, TypeError, "metric_p must be a real"),
        ({"metric": "cityblock", "metric_p": 3}, TypeError, "only goes with metric='minkowski'"),
        ({"metric_p": 3}, TypeError, "only goes with metric='minkowski'"),
    ])
    def test_refused_with_the_argument_named(self, kwargs, error, match):
        with pytest.raises(error, match=match):
            dv.wasserstein(self.x, self.x + 1, **kwargs)
        with pytest.raises(error, match=match):
            dv.sinkhorn_divergence(self.x, self.x + 1, eps=0.1, **kwargs)

    def test_euclidean_only_methods_refuse_a_metric(self):
        with pytest.raises(TypeError, match="does not take 'metric'"):
            dv.wasserstein(self.x, self.x + 1, method="sliced", metric="cityblock")

    def test_a_callable_giving_negative_distances(self):
        with pytest.raises(ValueError, match="negative, NaN or infinite"):
            dv.wasserstein(self.x, self.x + 1, metric=lambda u, v: -1.0)

    def test_default_results_say_nothing_of_the_metric(self):
        r = dv.wasserstein(self.x, self.x + 1, metric="euclidean")
        assert "metric" not in r.details and r == dv.wasserstein(self.x, self.x + 1)
