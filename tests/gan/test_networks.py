"""Hand-written MLP gradients against central finite differences."""

import numpy as np
import pytest

from divergences.gan.networks import ACTIVATIONS, MLP, PENALTIES, flatten, unflatten_into

# Central differences with h = 1e-6 have truncation error O(h^2 f''') ~ 1e-12 and
# rounding error O(eps_machine |f| / h) ~ 1e-10 for values of order one: agreement
# to 1e-6 relative is a margin of 10^4 over both, and far below any real mistake.
H = 1e-6
RTOL = 1e-6


def numerical_gradient(function, arrays):
    """d function() / d arrays, by central differences on each entry in turn."""
    theta = flatten(arrays)
    grad = np.empty_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = H
        unflatten_into(theta + step, arrays)
        up = function()
        unflatten_into(theta - step, arrays)
        down = function()
        grad[i] = (up - down) / (2 * H)
    unflatten_into(theta, arrays)
    return grad


def assert_close(analytic, numeric):
    scale = max(1.0, float(np.abs(numeric).max()))
    assert np.abs(analytic - numeric).max() <= RTOL * scale


def perturbed_network(activation, hidden, out_dim=1, seed=0):
    net = MLP(3, hidden, out_dim, activation=activation, rng=seed)
    rng = np.random.default_rng(seed + 1)
    for p in net.params:  # non-zero biases, so every code path is exercised
        p += 0.3 * rng.standard_normal(p.shape)
    return net


ARCHITECTURES = [(), (5,), (6, 4), (5, 4, 3)]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("hidden", ARCHITECTURES)
def test_backward_matches_finite_differences(activation, hidden):
    net = perturbed_network(activation, hidden, out_dim=2)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 3))
    weights = rng.standard_normal((6, 2))  # loss = sum(weights * net(x))
    _, cache = net.forward(x)
    param_grads, grad_x = net.backward(cache, weights)
    numeric = numerical_gradient(lambda: np.sum(weights * net(x)), net.params)
    assert_close(flatten(param_grads), numeric)
    x_var = [x.copy()]
    numeric_x = numerical_gradient(lambda: np.sum(weights * net(x_var[0])), x_var)
    assert_close(grad_x, numeric_x.reshape(x.shape))


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_input_gradient_matches_finite_differences(activation):
    net = perturbed_network(activation, (7, 5))
    x = np.random.default_rng(3).standard_normal((4, 3))
    analytic = net.input_gradient(x)
    for i in range(x.shape[0]):
        point = [x[i : i + 1].copy()]
        numeric = numerical_gradient(lambda: float(net(point[0])[0, 0]), point)
        assert_close(analytic[i], numeric)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("hidden", ARCHITECTURES)
@pytest.mark.parametrize("kind", sorted(PENALTIES))
def test_gradient_penalty_parameter_gradient(activation, hidden, kind):
    # For ReLU-type activations the penalty is piecewise smooth in the parameters;
    # random data sit at a kink with probability 0, and a step of 1e-6 does not
    # cross one (a crossing would show as an O(1) disagreement, not a small one).
    net = perturbed_network(activation, hidden)
    x = np.random.default_rng(4).standard_normal((7, 3))
    value, grads, norms = net.gradient_penalty(x, kind, scale=1.7)
    numeric = numerical_gradient(lambda: net.gradient_penalty(x, kind, scale=1.7)[0], net.params)
    assert_close(flatten(grads), numeric)
    np.testing.assert_allclose(norms, np.linalg.norm(net.input_gradient(x), axis=1), rtol=1e-12)
    phi = PENALTIES[kind][0]
    assert value == pytest.approx(1.7 * np.mean(phi(norms)), rel=1e-9)


def test_one_sided_penalty_vanishes_below_one():
    net = MLP(2, (4,), activation="tanh", rng=0)
    for p in net.params:
        p *= 1e-3  # |grad f| << 1 everywhere
    value, grads, _ = net.gradient_penalty(np.ones((3, 2)), "one_sided")
    assert value == 0.0
    assert all(np.all(g == 0) for g in grads)


def test_relu_second_derivative_is_zero_so_biases_get_no_penalty_gradient():
    # f is piecewise linear: grad_x f does not depend on the biases (away from kinks).
    net = perturbed_network("relu", (6, 4))
    _, grads, _ = net.gradient_penalty(np.random.default_rng(5).standard_normal((5, 3)))
    assert all(np.all(g == 0) for g in grads[1::2])


def test_seeded_initialisation_and_copy():
    a, b = MLP(2, (8, 8), rng=3), MLP(2, (8, 8), rng=3)
    assert all(np.array_equal(p, q) for p, q in zip(a.params, b.params))
    twin = a.copy()
    twin.params[0][0, 0] += 1.0
    assert twin.params[0][0, 0] != a.params[0][0, 0]


def test_clip_weights():
    net = MLP(2, (8,), rng=0)
    net.clip_weights(0.01)
    assert max(np.abs(p).max() for p in net.params) <= 0.01


def test_bad_configurations():
    with pytest.raises(ValueError, match="activation"):
        MLP(2, (4,), activation="sigmoidal")
    with pytest.raises(ValueError, match="in_dim"):
        MLP(0, (4,))
    with pytest.raises(ValueError, match="hidden width"):
        MLP(2, (4, 0))
    net = MLP(2, (4,), rng=0)
    with pytest.raises(ValueError, match=r"x must have shape \(n, 2\)"):
        net(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="penalty"):
        net.gradient_penalty(np.zeros((3, 2)), "two_sided")
    with pytest.raises(ValueError, match="scalar network"):
        MLP(2, (4,), 3, rng=0).input_gradient(np.zeros((1, 2)))
