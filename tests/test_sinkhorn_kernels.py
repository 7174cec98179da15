"""The soft-min kernel, its vectorised exp, and coarse-to-fine Sinkhorn.

Oracles: ``numpy.exp``, and a dense ``scipy.special.logsumexp`` over the
explicit cost matrix. Tolerances come from the error analysis of the two
computations, not from observed differences:

* exp: the Taylor remainder is 5e-18 relative and Horner's scheme adds a few
  roundings, so 4 ulps (8.9e-16 relative).
* soft-min: forming ``(h_j - C_ij) / eps`` rounds at ``1.1e-16 |h_j - C_ij|``,
  which ``-eps log`` turns into an error of that size in cost units; the exp
  (4 ulps) and the sum of ``m`` terms (``m`` ulps at worst) perturb the
  log-sum by ``(4 + m) * 1.1e-16``, times ``eps``. Skipped blocks add at
  most ``m e^-50``. The bound used is 16 times their sum.
"""

import numpy as np
import pytest
from scipy.special import logsumexp

import divergences as dv
import divergences.ot.sinkhorn as sinkhorn
from divergences._kernels.fast_exp import exp_nonpositive
from divergences.ot.sinkhorn import _Cloud, _coarsen, _softmin

ULP = np.finfo(float).eps


def _vectorised_exp(values):
    from numba import njit

    @njit
    def run(v):
        out = np.empty_like(v)
        for i in range(v.size):
            out[i] = exp_nonpositive(v[i])
        return out

    return run(values)


def test_exp_matches_numpy_to_four_ulps():
    rng = np.random.default_rng(0)
    values = np.concatenate([
        -np.linspace(0.0, 700.0, 200_001), -rng.random(10_000) * 1e-6, [-1e-300, -0.0],
        -np.log(2.0) * np.arange(1000.0),  # exact multiples of ln 2: the reduction's edges
    ])
    ours = _vectorised_exp(values)
    np.testing.assert_allclose(ours, np.exp(values), rtol=4 * ULP, atol=0)


def test_exp_is_clamped_far_below():
    ours = _vectorised_exp(np.array([-800.0, -1e300]))
    np.testing.assert_allclose(ours, np.exp(-700.0), rtol=4 * ULP)


def _dense_softmin(x, y, w, h, eps, order):
    cost = np.linalg.norm(x[:, None, :] - y[None, :, :], axis=2) ** order
    with np.errstate(divide="ignore"):
        log_w = np.log(w)
    return -eps * logsumexp(log_w + (h - cost) / eps, axis=1), cost


def _bound(cost, h, eps, m):
    return 16 * (ULP * np.max(np.abs(h - cost)) + eps * ((4 + m) * ULP + m * np.exp(-50.0)))


def _kernel_softmin(x, y, w, h, eps, order, with_moment=False):
    target, source = _Cloud(x, np.full(len(x), 1.0 / len(x))), _Cloud(y, w)
    out = np.empty(len(x))
    moment = np.empty(len(x)) if with_moment else np.empty(0)
    _softmin(target, source, h[source.perm], eps, order, out, moment)
    return target.unsort(out), (target.unsort(moment) if with_moment else None)


@pytest.mark.parametrize("d", [1, 2, 3, 7])
@pytest.mark.parametrize("order", [1.0, 2.0, 1.5])
@pytest.mark.parametrize("relative_eps", [1.0, 1e-2, 1e-4])
def test_softmin_matches_dense_logsumexp(d, order, relative_eps):
    rng = np.random.default_rng(d)
    # Several blocks (of 256) with a cluster far away, so that blocks get
    # skipped at small eps and the row's best block is not the first.
    y = np.concatenate([rng.normal(size=(700, d)), rng.normal(size=(300, d)) + 6.0])
    x = rng.normal(size=(90, d)) * 2.0
    w = rng.random(len(y))
    w[::7] = 0.0  # zero weights: no term
    w /= w.sum()
    h = rng.normal(size=len(y))
    eps = relative_eps * sinkhorn.cost_scale(x, y, order)
    expected, cost = _dense_softmin(x, y, w, h, eps, order)
    ours, _ = _kernel_softmin(x, y, w, h, eps, order)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=_bound(cost, h, eps, len(y)))


@pytest.mark.parametrize("order", [1.0, 2.0])
def test_moment_is_the_row_conditional_mean_cost(order):
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(60, 2)), rng.normal(size=(600, 2)) + 1.0
    w = np.full(600, 1 / 600)
    h = rng.normal(size=600) * 0.1
    eps = 0.05
    _, cost = _dense_softmin(x, y, w, h, eps, order)
    terms = np.exp(np.log(w) + (h - cost) / eps)
    expected = np.sum(terms * cost, axis=1) / np.sum(terms, axis=1)
    _, moment = _kernel_softmin(x, y, w, h, eps, order, with_moment=True)
    # Relative rounding of a ratio of two sums of 600 positive terms.
    np.testing.assert_allclose(moment, expected, rtol=2 * 600 * ULP)


def test_a_single_point_and_one_block():
    x, y = np.array([[0.5]]), np.array([[0.0]])
    out, _ = _kernel_softmin(x, y, np.ones(1), np.array([0.1]), 0.01, 2.0)
    # -eps log(exp((0.1 - 0.25) / eps)) = 0.25 - 0.1
    assert out[0] == pytest.approx(0.15, rel=1e-14)


class TestCoarsening:
    def test_mass_and_centroid_are_kept(self):
        rng = np.random.default_rng(1)
        x, a = rng.normal(size=(5000, 3)), rng.random(5000)
        a[:100] = 0.0
        points, mass = _coarsen(x, a)
        assert len(points) < len(x) and np.all(mass > 0)
        assert mass.sum() == pytest.approx(a.sum(), rel=1e-13)
        np.testing.assert_allclose(mass @ points, a @ x, rtol=1e-12)


@pytest.fixture
def coarse_to_fine(monkeypatch):
    """Make problems above 600 x 600 entries start from clusters of 4 to 8 points."""
    monkeypatch.setattr(sinkhorn, "_MULTISCALE_ENTRIES", 600 * 600)
    monkeypatch.setattr(sinkhorn, "_MIN_CLUSTERS", 64)


def _direct(x, a, y, b, **options):
    return dv.sinkhorn_divergence(dv.Samples(x, a), dv.Samples(y, b), **options)


@pytest.mark.parametrize("order", [1.0, 2.0])
def test_coarse_to_fine_solves_the_same_problem(order, coarse_to_fine, monkeypatch):
    rng = np.random.default_rng(2)
    x, a = rng.random((1500, 2)), rng.random(1500)
    y, b = rng.normal(size=(1200, 2)) * 0.3 + 0.5, rng.random(1200)
    b[::5] = 0.0
    eps = 0.01 * sinkhorn.cost_scale(x, y, order)
    options = {"eps": eps, "order": order, "tol": 1e-9}
    multiscale = _direct(x, a, y, b, **options)
    assert all(n > 0 for n in multiscale.details["coarse_n_iter_each"].values())
    monkeypatch.setattr(sinkhorn, "_MULTISCALE_ENTRIES", 10**18)
    plain = _direct(x, a, y, b, **options)
    assert not any(plain.details["coarse_n_iter_each"].values())
    # Both are converged to an L1 marginal error of 1e-9; the dual values then
    # differ by at most (max|f| + max|g|) * 1e-9 each, below 4 cost scales * tol.
    scale = sinkhorn.cost_scale(x, y, order)
    assert float(multiscale) == pytest.approx(float(plain), abs=4 * scale * 1e-9 * 3)
    assert multiscale.converged and plain.converged


def test_coarse_to_fine_wasserstein(coarse_to_fine, monkeypatch):
    rng = np.random.default_rng(3)
    x, y = rng.random((900, 2)), rng.random((800, 2)) + [0.3, 0.0]
    options = {"order": 2, "method": "sinkhorn", "eps": 0.01, "tol": 1e-9}
    multiscale = dv.wasserstein(x, y, **options)
    monkeypatch.setattr(sinkhorn, "_MULTISCALE_ENTRIES", 10**18)
    plain = dv.wasserstein(x, y, **options)
    assert multiscale.details["coarse_n_iter"] > 0 and plain.details["coarse_n_iter"] == 0
    scale = sinkhorn.cost_scale(x, y, 2.0)
    assert multiscale.cost == pytest.approx(plain.cost, abs=4 * scale * 1e-9)
    assert multiscale.marginal_error < 1e-8 and plain.marginal_error < 1e-8
