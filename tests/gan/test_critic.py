"""wasserstein(method="critic"): W_1 by a trained critic, against exact values."""

import numpy as np
import pytest

import divergences as dv
from divergences.exceptions import InvalidMeasureError, MethodError
from divergences.gan import MLP, parallel_lines_target

# The acceptance bar for the default critic (WGAN-GP, lambda = 10) is 10% of the
# exact W_1. The statistical part of the error is the reported stderr, checked
# below to be a small fraction of that bar, so that what is tested is the critic.
RTOL = 0.10


@pytest.fixture(scope="module")
def lines():
    x = parallel_lines_target(1000, rng=1)
    y = parallel_lines_target(1000, rng=2) + [1.0, 0.0]
    return x, y, dv.wasserstein(x, y, method="exact").value


def test_parallel_lines_agree_with_exact(lines):
    x, y, exact = lines
    result = dv.wasserstein(x, y, method="critic", rng=0)
    assert result.method == "critic" and result.order == 1.0
    assert result.stderr < RTOL * exact / 3
    assert abs(result.value - exact) <= RTOL * exact
    assert abs(result.value - 1.0) <= RTOL  # the population value |theta| = 1


def test_gaussian_samples_agree_with_exact():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1000, 2))
    y = rng.standard_normal((1000, 2)) @ np.array([[1.0, 0.3], [0.0, 0.8]]) + [2.0, 0.5]
    exact = dv.wasserstein(x, y, method="exact").value
    result = dv.wasserstein(x, y, method="critic", rng=0)
    assert result.stderr < RTOL * exact / 2
    assert abs(result.value - exact) <= RTOL * exact


def test_gaussian_densities_agree_with_quantile_formula():
    # Densities are sampled afresh; the oracle is the 1-D quantile integral.
    # (Quantile functions that cross inside the bulk -- N(0, 1) against N(1, 4) --
    # make the optimal critic kinked, and 1000 steps then fall short by 5-15%:
    # a known limitation, noted in the docstring.)
    p, q = dv.Gaussian(0.0, 1.0), dv.Gaussian(2.0, 1.5)
    exact = dv.wasserstein(p, q, method="1d").value
    result = dv.wasserstein(p, q, method="critic", rng=1)
    assert result.sizes == (None, None)
    assert abs(result.value - exact) <= RTOL * exact


def test_translated_gaussian_densities():
    # W_1(mu, mu + a) = |a| for any mu.
    shift = np.array([1.2, -1.6])
    p, q = dv.Gaussian([0.0, 0.0], [[1.0, 0.4], [0.4, 0.5]]), None
    q = dv.Gaussian(shift, p.cov)
    result = dv.wasserstein(p, q, method="critic", rng=2)
    assert abs(result.value - 2.0) <= RTOL * 2.0


def test_details_record_the_critic_and_its_training(lines):
    x, y, _ = lines
    result = dv.wasserstein(x, y, method="critic", steps=200, rng=0)
    details = result.details
    assert isinstance(details["critic"], MLP)
    assert details["curve"].shape == (200,) and details["penalty_curve"].shape == (200,)
    assert np.isfinite(details["penalty"]) and details["penalty"] >= 0
    # The gradient penalty holds |grad f| near 1 on the interpolates.
    assert abs(details["grad_norm"] - 1.0) < 0.2
    assert result.n_iter == 200 and result.converged


def test_one_sided_penalty_is_as_accurate(lines):
    x, y, exact = lines
    result = dv.wasserstein(x, y, method="critic", penalty="one_sided", steps=500, rng=0)
    assert abs(result.value - exact) <= RTOL * exact


@pytest.mark.parametrize("penalty", ["zero_centred", "clip"])
def test_unscaled_critics_are_normalised(lines, penalty):
    # These critics have no fixed scale; divided by their mean gradient norm they
    # give a rough estimate only -- clipping biases the critic toward flat
    # functions, and the zero-centred optimum is not the W_1 critic -- so the
    # check here is 25%, not the 10% that the default is held to.
    x, y, _ = lines
    result = dv.wasserstein(x, y, method="critic", penalty=penalty, steps=500, rng=0)
    assert result.details["normalized"] and "divided" in result.note
    assert abs(result.value - 1.0) <= 0.25


def test_seed_reproduces_exactly(lines):
    x, y, _ = lines
    a = dv.wasserstein(x, y, method="critic", steps=30, rng=5)
    b = dv.wasserstein(x, y, method="critic", steps=30, rng=5)
    c = dv.wasserstein(x, y, method="critic", steps=30, rng=6)
    assert a.value == b.value and a.stderr == b.stderr
    np.testing.assert_array_equal(a.details["curve"], b.details["curve"])
    assert a.value != c.value


def test_identical_samples_give_a_small_non_negative_value():
    x = np.random.default_rng(0).standard_normal((400, 2))
    result = dv.wasserstein(x, x.copy(), method="critic", steps=100, rng=0)
    assert 0.0 <= result.value <= 4 * result.stderr + 0.05


def test_weighted_samples_and_histograms():
    support = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    p = dv.Histogram([0.5, 0.5, 0.0], support=support)
    q = dv.Histogram([0.0, 0.5, 0.5], support=support)
    exact = dv.wasserstein(p, q, method="exact").value  # = 1.5
    result = dv.wasserstein(p, q, method="critic", steps=300, rng=0)
    assert abs(result.value - exact) <= RTOL * exact


def test_bad_configurations(lines):
    x, y, _ = lines
    with pytest.raises(MethodError, match="order=1"):
        dv.wasserstein(x, y, method="critic", order=2)
    with pytest.raises(MethodError, match="penalty"):
        dv.wasserstein(x, y, method="critic", penalty="lipschitz")
    with pytest.raises(ValueError, match="holdout"):
        dv.wasserstein(x, y, method="critic", holdout=1.0)
    with pytest.raises(InvalidMeasureError, match="held-out"):
        dv.wasserstein(x[:3], y[:3], method="critic")
    with pytest.raises(TypeError, match="does not take 'epochs'"):
        dv.wasserstein(x, y, method="critic", epochs=3)
    with pytest.raises(ValueError, match="steps"):
        dv.wasserstein(x, y, method="critic", steps=0)
