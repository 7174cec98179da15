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


def test_regulariser_options_that_would_be_ignored_are_errors(lines):
    x, y, _ = lines
    with pytest.raises(TypeError, match="clip is the weight bound of penalty='clip'"):
        dv.wasserstein(x, y, method="critic", clip=0.1, steps=2)
    with pytest.raises(TypeError, match="lam is the weight of a gradient penalty"):
        dv.wasserstein(x, y, method="critic", penalty="clip", lam=3.0, steps=2)
    # Each is accepted where it acts.
    dv.wasserstein(x, y, method="critic", penalty="clip", clip=0.05, steps=2, rng=0)
    dv.wasserstein(x, y, method="critic", penalty="one_sided", lam=5.0, steps=2, rng=0)


def test_upper_bound_dominates_exact_w1():
    from divergences.ot.critic import _upper_bound

    rng = np.random.default_rng(3)
    for shift in (0.0, 0.5, 5.0):
        x, y = rng.normal(size=(50, 3)), rng.normal(size=(40, 3)) + shift
        a, b = np.full(50, 1 / 50), rng.dirichlet(np.ones(40))
        exact = dv.wasserstein(dv.Samples(x), dv.Samples(y, weights=b), method="exact").value
        assert exact <= _upper_bound(x, a, y, b) * (1 + 1e-12)


def test_an_exploding_critic_warns_and_is_not_converged(lines):
    # Reported: lr=1e8 returned 1.27e25 with converged=True.
    x, y, _ = lines
    with pytest.warns(dv.ConvergenceWarning, match="training failed"):
        result = dv.wasserstein(x, y, method="critic", lr=1e8, steps=200, rng=0)
    assert not result.converged
    assert "not 1-Lipschitz" in result.note or "not settled" in result.note


def test_an_oscillating_training_warns_and_is_not_converged():
    # lr=0.1 makes Adam swing the critic: the batch estimates spread ~1 around a
    # held-out value of 0.32 for a true W_1 near 1 -- the value cannot be trusted.
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2)) + [1.0, 0.0]
    with pytest.warns(dv.ConvergenceWarning, match="has not settled"):
        result = dv.wasserstein(x, y, method="critic", lr=0.1, rng=0)
    assert not result.converged and result.details["jitter"] > abs(result.value)


def test_an_estimate_above_the_upper_bound_is_flagged():
    # theta = 5: the GP critic's gradient norms settle near 1.27 and the mean
    # difference (6.4) exceeds W_1 <= E|X - c| + E|Y - c| ~ 5.03 of the held-out sets.
    x, y = dv.datasets.parallel_lines(5.0, 1000, rng=1)
    with pytest.warns(dv.ConvergenceWarning, match="upper bound"):
        result = dv.wasserstein(x, y, method="critic", rng=0)
    assert not result.converged and result.value > result.details["upper_bound"]


def test_training_problems_name_each_criterion():
    from divergences.ot.critic import _training_problems

    curve = np.zeros(100)
    assert _training_problems(0.5, 0.1, 2.0, curve, 0.0, 1e-3) == []
    (negative,) = _training_problems(-0.5, 0.1, 2.0, curve, 0.0, 1e-3)
    assert "negative beyond its noise" in negative
    curve[3] = np.inf
    (infinite,) = _training_problems(0.5, 0.1, 2.0, curve, 0.0, 1e-3)
    assert "not finite" in infinite and "lr" in infinite


def test_a_negative_estimate_within_noise_warns_and_says_so_in_the_note():
    x = np.random.default_rng(0).standard_normal((400, 2))
    with pytest.warns(RuntimeWarning, match="negative"):
        result = dv.wasserstein(x, x[::-1].copy(), method="critic", steps=100, rng=0)
    assert result.value == 0.0 and result.converged
    assert "negative held-out estimate" in result.note and result.details["raw_estimate"] < 0
