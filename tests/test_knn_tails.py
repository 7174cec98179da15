"""The k-NN estimators' heavy-tail check (issue 14: 3), divergences._tail_index.

Where P's tail is heavier than Q's, part of P's sample lies beyond the reach of
Q's and the k-NN KL misses most of the divergence (t_3 against N(0, I) at d = 5:
about 0.5 against 3.52). The check compares Hill's tail indices of the two
samples' standardized radii. Its rates were measured on the calibration pairs
(README; 2026-12-02): it fired on every one of 40 seeds of t_3 at d = 5 from
n = 500, and, both ways round, on 4, 3 and 2 of 1,000 draws of the pairs without
heavy tails at n = 500, 5,000 and 50,000 (at most 1 of 100 in a cell). The seed
counts below are bounded binomially from those rates (see each test).
"""

import math
import warnings

import numpy as np
import pytest

import divergences as dv
from divergences._tail_index import MIN_TAIL, TAIL_Z, gap_threshold, heavier_tail, hill_index
from divergences.exceptions import EstimatorWarning
from divergences.testing import log_normal, mean_shift, scale_change, student_t

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


def test_the_threshold_is_noise_or_the_light_tail_allowance():
    # The gap must beat both 2.33 standard errors and MIN_GAP (module docstring).
    rng = np.random.default_rng(4)
    for x, y in ((rng.standard_t(3, (5000, 2)), rng.normal(size=(5000, 2))),
                 (rng.lognormal(size=(500, 2)), rng.lognormal(size=(500, 2)))):
        check = heavier_tail(x, y)
        (gamma_p, gamma_q), (k_p, k_q) = check["index"], check["tail_points"]
        threshold = gap_threshold(gamma_p, gamma_q, k_p, k_q)
        assert check["threshold"] == pytest.approx(threshold)
        assert threshold >= TAIL_Z * math.hypot(gamma_p / math.sqrt(k_p),
                                                gamma_q / math.sqrt(k_q)) - 1e-12
        assert check["fired"] == (gamma_p - gamma_q > threshold)
    assert gap_threshold(0.0, 0.0, 100, 100) > 0                  # never a zero threshold


def test_no_false_alarms_at_n_50000():
    # The log-normal pair has equal shapes after standardizing, and the benign tail
    # with the largest Hill index (0.3): its gap is the noisiest. Measured both ways on
    # 1 of 100 seeds (n = 50,000, d = 2). Were the rate 2% (the z test's own level both
    # ways), 3 or more of 20 would come with probability 0.007.
    pair = log_normal(2)
    fired = 0
    for seed in range(20):
        x, y = pair.sample(50000, rng=np.random.default_rng([25, seed]))
        fired += heavier_tail(x, y)["fired"] + heavier_tail(y, x)["fired"]
    assert fired <= 2, fired


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


def test_samples_against_a_density_are_checked_on_its_draws():
    # KL(t_3 samples || N(0, I) density): the cross-entropy is a plain mean of |x|^2 / 2,
    # with no variance under t_3; the mean falls below the truth on most seeds (70-80%,
    # 20 seeds a cell) and value +- 1.96 stderr covered in 60-85%. Measured: the check
    # (P's points against as many draws from Q) fired on 16 of 20 seeds at d = 2, n = 500,
    # on all 20 at n = 5,000.
    pair, x, _ = _t3_samples()
    with pytest.warns(EstimatorWarning, match="P's tail is heavier than Q's"):
        r = dv.kl_divergence(x, pair.q)
    assert r.details["reliable"] is False and r.details["heavy_tail"]["fired"]
    low, high = r.ci
    assert high == math.inf and low <= r.value and low <= pair.kl
    with pytest.warns(EstimatorWarning):
        again = dv.kl_divergence(x, pair.q)                      # its draws: seeded by x
    assert again.details["heavy_tail"] == r.details["heavy_tail"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimatorWarning)
        quiet = dv.kl_divergence(x, pair.q, diagnose=False)
        other_way = dv.kl_divergence(pair.q.sample(2000, rng=5), student_t(2, df=3.0).p)
    assert "heavy_tail" not in quiet.details and quiet.value == r.value
    assert not other_way.details["heavy_tail"]["fired"]          # N's samples vs t_3


def test_js_with_a_density_checks_both_ways_on_its_draws():
    # JS(t_3 samples, N(0, I) density) and the other way round: the sample set against
    # the estimate's own draws from the density, both ways as for two sample sets (JS is
    # symmetric: N's samples against t_3's density miss t_3's tail just the same). Its
    # rates on t_3 against N(0, I): README ("JS with a density"); here, at d = 2 and
    # n = 2,000, z = 4.3 and 4.6 against a threshold of 2.33 (its gap: 0.11 and 0.16).
    pair, x, y = _t3_samples()
    with pytest.warns(EstimatorWarning, match="P's tail is heavier than Q's"):
        heavy_samples = dv.js_divergence(x, pair.q, rng=1)
    with pytest.warns(EstimatorWarning, match="Q's tail is heavier than P's"):
        heavy_density = dv.js_divergence(y, pair.p, rng=1)
    for r in (heavy_samples, heavy_density):
        assert r.details["reliable"] is False and r.details["heavy_tail"]["fired"]
        low, high = r.ci
        assert high == pytest.approx(math.log(2.0)) and low <= r.value and low <= pair.js
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimatorWarning)
        quiet = dv.js_divergence(x, pair.q, rng=1, diagnose=False)
    assert "heavy_tail" not in quiet.details and quiet.value == heavy_samples.value
    assert "reliable" not in quiet.details


def test_gaussians_pass_without_a_warning():
    pair = mean_shift(2)
    x, y = pair.sample(2000, rng=np.random.default_rng(24))
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimatorWarning)
        for r in (dv.kl_divergence(x, y), dv.js_divergence(x, y), dv.kl_divergence(pair.p, y),
                  dv.kl_divergence(x, pair.q), dv.js_divergence(x, pair.q, rng=0),
                  dv.js_divergence(pair.p, y, rng=0)):
            assert r.details["heavy_tail"]["fired"] is False and "reliable" not in r.details
