"""Optimisers: the update rules written out, and convergence on a quadratic."""

import math

import numpy as np
import pytest

from divergences.gan.optim import SGD, Adam, RMSProp, make_optimizer


def test_adam_matches_the_update_rule():
    beta1, beta2, lr, eps = 0.5, 0.9, 0.1, 1e-8
    p = [np.array([1.0, -2.0])]
    grads = [np.array([0.3, -1.0]), np.array([-0.2, 0.5]), np.array([1.0, 1.0])]
    opt = Adam(lr=lr, betas=(beta1, beta2), eps=eps)
    expected = p[0].copy()
    m = v = np.zeros(2)
    for t, g in enumerate(grads, start=1):
        opt.step(p, [g])
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        expected = expected - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        np.testing.assert_allclose(p[0], expected, rtol=1e-14)


def test_rmsprop_matches_the_update_rule():
    p = [np.array([2.0])]
    opt = RMSProp(lr=0.01, decay=0.9, eps=1e-8)
    s, expected = 0.0, 2.0
    for g in (1.0, -3.0, 0.5):
        opt.step(p, [np.array([g])])
        s = 0.9 * s + 0.1 * g * g
        expected -= 0.01 * g / (math.sqrt(s) + 1e-8)
        assert p[0][0] == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("opt", [Adam(lr=0.05), RMSProp(lr=0.01), SGD(lr=0.1)])
def test_minimises_a_quadratic(opt):
    target = np.array([[1.0, -2.0], [0.5, 3.0]])
    p = [np.zeros((2, 2))]
    for _ in range(2000):
        opt.step(p, [2 * (p[0] - target)])
    # Adam and RMSProp hover within about lr of the minimum; SGD contracts to it.
    np.testing.assert_allclose(p[0], target, atol=0.05)


def test_errors():
    with pytest.raises(ValueError, match="lr"):
        Adam(lr=-1.0)
    with pytest.raises(ValueError, match="betas"):
        Adam(betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="decay"):
        RMSProp(decay=1.5)
    opt = Adam()
    with pytest.raises(ValueError, match="gradients for 1 parameter"):
        opt.step([np.zeros(2)], [np.zeros(2), np.zeros(2)])
    opt.step([np.zeros(2)], [np.ones(2)])
    with pytest.raises(ValueError, match="another parameter list"):
        opt.step([np.zeros(2), np.zeros(1)], [np.ones(2), np.ones(1)])
    with pytest.raises(ValueError, match="optimizer must be"):
        make_optimizer("adagrad")
