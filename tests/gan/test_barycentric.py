"""The online plan-gradient kernel against the dense formula it replaces."""

import numpy as np
import pytest

from divergences._kernels import barycentric
from divergences._kernels.sinkhorn import log_weights


def dense_plan_gradient(x, y, a, f, b, g, eps, order):
    """sum_i pi_ij grad_y |x_i - y_j|^order with the plan and the n x m x d tensor built."""
    diff = y[None, :, :] - x[:, None, :]
    dist = np.sqrt(np.sum(diff * diff, axis=2))
    plan = a[:, None] * b[None, :] * np.exp((f[:, None] + g[None, :] - dist**order) / eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(dist > 0, order * dist ** (order - 2.0), 0.0)
    return np.einsum("ij,ijd->jd", plan * scale, diff)


@pytest.mark.parametrize("order", [1.0, 1.5, 2.0, 3.0])
@pytest.mark.parametrize("dim", [1, 2, 5])
def test_kernel_matches_the_dense_formula(order, dim):
    # Any potentials define a (possibly unbalanced) plan; the identity is algebraic,
    # so the two agree to rounding (relative 1e-12 of the largest entry).
    rng = np.random.default_rng(int(10 * order) + dim)
    n, m = 37, 29
    x, y = rng.normal(size=(n, dim)), rng.normal(size=(m, dim)) + 0.3
    a, b = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(m))
    f, g = 0.3 * rng.normal(size=n), 0.3 * rng.normal(size=m)
    expected = dense_plan_gradient(x, y, a, f, b, g, 0.7, order)
    scale = np.abs(expected).max()
    for kernel in (barycentric.plan_gradient, barycentric.plan_gradient_serial):
        got = kernel(x, y, log_weights(a), f, log_weights(b), g, 0.7, order)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * scale)


def test_coincident_points_take_the_zero_subgradient():
    # order 1: |y - x| has a kink at y = x, where the kernel uses 0 (as ExactOT does).
    x = np.array([[0.0, 0.0], [1.0, 0.0]])
    w = log_weights(np.full(2, 0.5))
    h = np.zeros(2)
    got = barycentric.plan_gradient_serial(x, x.copy(), w, h, w, h, 1.0, 1.0)
    expected = dense_plan_gradient(x, x.copy(), np.full(2, 0.5), h, np.full(2, 0.5), h, 1.0, 1.0)
    np.testing.assert_allclose(got, expected, atol=1e-15)
    assert np.all(np.isfinite(got))


def test_small_eps_does_not_overflow():
    # At eps = 1e-4 the plain exponentials overflow (exponents ~ 1e4); the kernel
    # factors the column maximum out. With potentials at the c-transform of zero
    # (g_j = min_i C_ij), the plan puts a_i-weighted mass on each column's nearest x.
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 2)), rng.normal(size=(15, 2))
    cost = np.sum((y[None] - x[:, None]) ** 2, axis=2)
    nearest = cost.argmin(axis=0)
    g = cost.min(axis=0)
    log_a = log_weights(np.full(20, 1 / 20))
    got = barycentric.plan_gradient_serial(x, y, log_a, np.zeros(20), np.zeros(15), g, 1e-4, 2.0)
    expected = 2.0 / 20 * (y - x[nearest])
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
