"""The k-NN estimators' heavy-tail check (issue 14: 3), divergences._tail_index.

Where P's tail is heavier than Q's, part of P's sample lies beyond the reach of
Q's and the k-NN KL misses most of the divergence (t_3 against N(0, I) at d = 5:
about 0.5 against 3.52). The check compares Hill's tail indices of the two
samples' standardized radii. Its rates were measured on the calibration grid
(README; 20 seeds a cell): it fired on every seed of t_3 at d = 5 from n = 500,
and on 0 of 380 draws of the pairs without heavy tails at n = 5,000. The seed
counts below are bounded binomially from those rates (see each test).
"""

import math
import warnings

import numpy as np
import pytest

import divergences as dv
from divergences._tail_index import MIN_TAIL, TAIL_Z, heavier_tail, hill_index
from divergences.exceptions import EstimatorWarning
from divergences.testing import mean_shift, scale_change, student_t

SEEDS = 10


def test_hill_index_of_a_pareto_sample():
    # Pareto with tail index 2: gamma = 1/2, and Hill's estimate is exactly the mean of
    # k standard exponentials times gamma: sd gamma / sqrt(k). Four of them.
    rng = np.random.default_rng(0)
    for k in (100, 1000):
        sample = rng.pareto(2.0, 50000) + 1.0
        assert abs(hill_index(sample, k) - 0.5) <= 4 * 0.5 / math.sqrt(k)
    assert hill_index(np.zeros(50), 10) is None          # no positive threshold


def test_the_check_ignores_shifts_and_scales():
    rng = np.random.default_rng(1)
    x, y = rng.standard_t(3, (2000, 3)), rng.normal(size=(2000, 3))
    plain = heavier_tail(x, y)
    moved = heavier_tail(3.0 * x + 1.0, 0.25 * y - 7.0)
    assert moved["z"] == pytest.approx(plain["z"], rel=1e-9)
    assert moved["index"] == pytest.approx(plain["index"], rel=1e-9)


def test_fires_on_t3_against_a_gaussian():
    # Measured: 20 of 20 seeds at d = 5, n = 500. Were the rate only 95%, fewer than 8
    # of 10 would come with probability 0.012.
    pair = student_t(5, df=3.0)
    fired = 0
    for seed in range(SEEDS):
        x, y = pair.sample(500, rng=np.random.default_rng([21, seed]))
        check = heavier_tail(x, y)
        assert check["tail_points"] == (23, 23)
        fired += check["fired"]
        assert not heavier_tail(y, x)["fired"]           # Q's tail is the light one
    assert fired >= 8, fired


@pytest.mark.parametrize("build", [mean_shift, scale_change])
def test_does_not_fire_on_two_gaussians(build):
    # Measured: 0 of 20 seeds on these pairs at d = 5, n = 5,000 (either way round); the
    # z threshold alone would fire on 1% of them: 2 or more of 2 x 10 come with
    # probability 0.017.
    pair = build(5)
    fired = 0
    for seed in range(SEEDS):
        x, y = pair.sample(5000, rng=np.random.default_rng([22, seed]))
        fired += heavier_tail(x, y)["fired"] + heavier_tail(y, x)["fired"]
    assert fired <= 1, fired


def test_too_few_points_or_no_spread_leave_the_check_out():
    rng = np.random.default_rng(2)
    small = rng.normal(size=((MIN_TAIL - 1) ** 2, 2))
    assert heavier_tail(small, rng.normal(size=(500, 2))) is None
    flat = np.column_stack([rng.normal(size=500), np.ones(500)])
    assert heavier_tail(flat, rng.normal(size=(500, 2))) is None


def _t3_samples(n=2000, seed=3):
    pair = student_t(2, df=3.0)
    return pair, *pair.sample(n, rng=np.random.default_rng([23, seed]))


def test_kl_from_samples_says_it_is_too_low():
    pair, x, y = _t3_samples()
    with pytest.warns(EstimatorWarning, match="P's tail is heavier than Q's"):
        r = dv.kl_divergence(x, y)
    assert r.details["reliable"] is False and r.details["heavy_tail"]["fired"]
    assert r.details["heavy_tail"]["z"] > TAIL_Z and "beyond the reach" in r.note
    low, high = r.ci
    assert high == math.inf and low <= r.value < pair.kl        # a lower bound only
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimatorWarning)
        quiet = dv.kl_divergence(x, y, diagnose=False)
    assert "heavy_tail" not in quiet.details and quiet.value == r.value


def test_kl_the_other_way_round_is_not_flagged():
    # KL(N || t_3) is within the reach of t_3's sample: no tail warning (the estimate may
    # still fail its trend check, a different one).
    _, x, y = _t3_samples()
    r = dv.kl_divergence(y, x)
    assert not r.details["heavy_tail"]["fired"] and "tail is heavier" not in r.note


def test_js_checks_both_ways_and_keeps_its_lower_end():
    pair, x, y = _t3_samples()
    with pytest.warns(EstimatorWarning, match="Q's tail is heavier than P's"):
        r = dv.js_divergence(y, x)
    assert r.details["heavy_tail"]["heavier"] == "q" and r.details["reliable"] is False
    gamma_p, gamma_q = r.details["heavy_tail"]["index"]
    assert gamma_q > gamma_p                                    # the record keeps P first
    assert r.ci[1] == pytest.approx(math.log(2.0)) and r.ci[0] <= pair.js


def test_density_against_samples_is_checked_on_its_draws():
    pair, _, y = _t3_samples()
    with pytest.warns(EstimatorWarning, match="P's tail is heavier"):
        r = dv.kl_divergence(pair.p, y, rng=0)
    assert r.details["reliable"] is False and r.ci[1] == math.inf and r.ci[0] <= pair.kl


def test_gaussians_pass_without_a_warning():
    pair = mean_shift(2)
    x, y = pair.sample(2000, rng=np.random.default_rng(24))
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimatorWarning)
        for r in (dv.kl_divergence(x, y), dv.js_divergence(x, y), dv.kl_divergence(pair.p, y)):
            assert r.details["heavy_tail"]["fired"] is False and "reliable" not in r.details
