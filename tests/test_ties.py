"""Ties in sample sets (divergences._ties): rounded, discrete and identical data.

Truths. Dithering within the rounding resolution leaves KL and JS exactly
those of the rounded laws (see divergences._ties), so the oracle for rounded
Gaussians is the divergence between their rounded pmfs, summed exactly from
scipy.stats.norm.cdf; the rounding's own effect (that oracle against the
continuous value) is asserted separately, so the tolerance against the
continuous truth is ``Z * stderr`` plus that effect. Counts: the exact
discrete KL/JS between scipy.stats pmfs. ``Z = 4`` standard errors, as in
test_knn_estimators.py (the KL standard error is a conservative jackknife;
measured over 20 seeds on these cases, the reported stderr runs 1.0 to 1.6
times the observed spread of the estimates). Identical sets must give 0
within their 95% interval, ``1.96 * stderr``.
"""

import math
import warnings

import numpy as np
import pytest
from scipy import stats

import divergences as dv
from divergences import _ties
from divergences.exceptions import EstimatorWarning, MethodError
from divergences.knn_estimators import kl_knn

Z = 4.0
Z95 = 1.959963984540054


def pmf_divergences(p, q):
    """Exact KL and JS (nats) between two pmfs on the same atoms."""
    p, q = np.asarray(p, float).ravel(), np.asarray(q, float).ravel()
    seen = p > 0
    with np.errstate(divide="ignore"):  # q = 0 where p > 0: KL is inf, as it should be
        kl = float(np.sum(p[seen] * np.log(p[seen] / q[seen])))
    mixture = 0.5 * (p + q)
    js = 0.0
    for own in (p, q):
        s = own > 0
        js += 0.5 * float(np.sum(own[s] * np.log(own[s] / mixture[s])))
    return kl, js


def rounded_normal_pmf(mean, step):
    """The pmf of N(mean, 1) rounded to multiples of ``step``, on +-12 around 0."""
    grid = np.arange(-round(12 / step), round(12 / step) + 1) * step
    return np.diff(stats.norm.cdf(np.append(grid - step / 2, grid[-1] + step / 2), loc=mean))


def rounded_pair(n, step, seed, dim=1):
    rng = np.random.default_rng(seed)
    shape = (n,) if dim == 1 else (n, dim)
    x = np.round(rng.normal(0.0, 1.0, shape) / step) * step
    y = np.round(rng.normal(1.0 / math.sqrt(dim), 1.0, shape) / step) * step
    return x, y


# ----------------------------------------------------------------------------- rounded data


def test_rounded_gaussians_converge_to_the_continuous_divergence():
    # The case: N(0,1) vs N(1,1), n = m = 2000, rounded to 0.1. Before the
    # tie rule the estimates were KL 0.046-0.060 and JS 0.65-0.69.
    p, q = rounded_normal_pmf(0.0, 0.1), rounded_normal_pmf(1.0, 0.1)
    kl_rounded, js_rounded = pmf_divergences(p, q)
    js_continuous = dv.js_divergence(dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 1.0)).value
    # The rounding's own effect, O(step^2): small beside every tolerance below.
    assert abs(kl_rounded - 0.5) < 1e-3 and abs(js_rounded - js_continuous) < 1e-3
    x, y = rounded_pair(2000, 0.1, seed=1)
    for estimate, rounded, continuous in (
        (dv.kl_divergence(x, y), kl_rounded, 0.5),
        (dv.kl_divergence(x, y, variant="adaptive"), kl_rounded, 0.5),
        (dv.js_divergence(x, y), js_rounded, js_continuous),
    ):
        assert estimate.details["ties"]["rule"] in ("dither", "discrete")
        assert abs(estimate.value - rounded) <= Z * estimate.stderr
        assert abs(estimate.value - continuous) <= Z * estimate.stderr + abs(rounded - continuous)


def test_rounded_data_in_two_dimensions_are_dithered():
    # 2-D, rounded to 0.1: ~1,800 distinct points, far too many for the plug-in.
    # Independent coordinates: the rounded pmfs are outer products, the KL a sum.
    step = 0.1
    shift = 1.0 / math.sqrt(2.0)
    p1, q1 = rounded_normal_pmf(0.0, step), rounded_normal_pmf(shift, step)
    kl_rounded, _ = pmf_divergences(p1, q1)
    _, js_rounded = pmf_divergences(np.outer(p1, p1), np.outer(q1, q1))
    x, y = rounded_pair(3000, step, seed=2, dim=2)
    kl, js = dv.kl_divergence(x, y), dv.js_divergence(x, y)
    for estimate, truth in ((kl, 2 * kl_rounded), (js, js_rounded)):
        ties = estimate.details["ties"]
        assert ties["rule"] == "dither" and ties["resolution"] == pytest.approx([step, step])
        assert abs(estimate.value - truth) <= Z * estimate.stderr
    # The bare zero-distance rule, kept as ties="skip", is the failure this replaces
    # (shown on the estimator it was the default of: 0.5 times the truth or less).
    assert dv.kl_divergence(x, y, ties="skip", variant="fixed").value < 0.5 * 2 * kl_rounded


def test_rounded_samples_against_a_density():
    # Before: -3.1 and +2.1 for a truth of 0.5 (the zero-distance rule in the entropy
    # and in the density estimate of q). Dithered samples have KL to the density
    # within O(step^2) of the rounded law's.
    x, y = rounded_pair(2000, 0.1, seed=3)
    p, q = dv.Gaussian(0.0, 1.0), dv.Gaussian(1.0, 1.0)
    js_truth = dv.js_divergence(p, q).value
    for estimate, truth in (
        (dv.kl_divergence(x, q), 0.5),
        (dv.kl_divergence(p, y, rng=4), 0.5),
        (dv.js_divergence(x, q, rng=5), js_truth),
        (dv.js_divergence(p, y, rng=6), js_truth),
    ):
        assert estimate.details["ties"]["rule"] == "dither"
        assert abs(estimate.value - truth) <= Z * estimate.stderr + 1e-3


# ----------------------------------------------------------------------------- discrete data


@pytest.mark.parametrize(
    "make_p, make_q, law_p, law_q",
    [
        (lambda r: r.poisson(4.0, 3000), lambda r: r.poisson(6.0, 3000),
         stats.poisson(4.0), stats.poisson(6.0)),
        (lambda r: r.binomial(20, 0.3, 3000), lambda r: r.binomial(20, 0.4, 2500),
         stats.binom(20, 0.3), stats.binom(20, 0.4)),
    ],
    ids=["poisson", "binomial"],
)
def test_counts_give_the_discrete_divergence(make_p, make_q, law_p, law_q):
    atoms = np.arange(0, 100)
    kl_true, js_true = pmf_divergences(law_p.pmf(atoms), law_q.pmf(atoms))
    rng = np.random.default_rng(7)
    x, y = make_p(rng).astype(float), make_q(rng).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimatorWarning)  # auto never needs to invent mass
        kl, js = dv.kl_divergence(x, y), dv.js_divergence(x, y)
    assert js.details["ties"]["rule"] == "discrete"
    assert js.details["estimator"].startswith("plug-in")
    assert kl.details["ties"]["rule"] in ("discrete", "dither")  # dither where q lacks a value
    for estimate, truth in ((kl, kl_true), (js, js_true)):
        assert abs(estimate.value - truth) <= Z * estimate.stderr


def test_discrete_rule_on_categories_in_two_dimensions():
    # Two categorical coordinates (codes 0..2 and 0..1): six cells, exact truth.
    p = np.array([[0.3, 0.1], [0.2, 0.1], [0.2, 0.1]])
    q = np.array([[0.1, 0.2], [0.2, 0.2], [0.1, 0.2]])
    cells = np.array([(a, b) for a in range(3) for b in range(2)], dtype=float)
    rng = np.random.default_rng(8)
    x = cells[rng.choice(6, size=4000, p=p.ravel())]
    y = cells[rng.choice(6, size=4000, p=q.ravel())]
    kl_true, js_true = pmf_divergences(p, q)
    for estimate, truth in ((dv.kl_divergence(x, y), kl_true), (dv.js_divergence(x, y), js_true)):
        assert estimate.details["ties"]["rule"] == "discrete"
        assert estimate.details["ties"]["n_distinct"] == 6
        assert abs(estimate.value - truth) <= Z * estimate.stderr


def test_a_category_column_beside_a_continuous_one():
    # No whole point repeats, but coordinate 0 is a category: the points lie on two
    # lines. P: c ~ Bernoulli(0.3), z | c ~ N(c, 1); Q: c ~ Bernoulli(0.5), z ~ N(0, 1)
    # independent of c. Chain rule: KL = KL(Bernoulli) + 0.3 * KL(N(1,1) || N(0,1)).
    # "auto" leaves such data alone (see divergences._ties, "Mixed coordinates": the
    # default reads them as 2-D, 0.48 over 10 seeds); forced dithering is exact.
    truth = 0.3 * math.log(0.3 / 0.5) + 0.7 * math.log(0.7 / 0.5) + 0.3 * 0.5
    rng = np.random.default_rng(17)
    c_p, c_q = (rng.uniform(size=3000) < 0.3) * 1.0, (rng.uniform(size=3000) < 0.5) * 1.0
    x = np.column_stack([c_p, rng.normal(c_p, 1.0)])
    y = np.column_stack([c_q, rng.normal(0.0, 1.0, 3000)])
    assert dv.kl_divergence(x, y).details["ties"] == "none"
    estimate = dv.kl_divergence(x, y, ties="dither")
    ties = estimate.details["ties"]
    assert ties["rule"] == "dither" and ties["resolution"] == [1.0, None] and ties["n_tied"] == 0
    assert abs(estimate.value - truth) <= Z * estimate.stderr


def test_plug_in_bias_correction_is_the_second_order_term():
    # At P = Q with K cells the plug-in KL is about (1/n + 1/m) chi2_{K-1} / 2: its
    # mean over many draws must match the correction it subtracts (20 cells, 400
    # draws of n = m = 2000: the mean is known to sd(chi2_19)/sqrt(400) of 19).
    rng = np.random.default_rng(9)
    cells = np.arange(20.0)
    raw, corrections = [], []
    for _ in range(400):
        x, y = rng.choice(cells, 2000), rng.choice(cells, 2000)
        details = dv.kl_divergence(x, y).details
        raw.append(details["uncorrected"])
        corrections.append(-details["bias_correction"])
    scale = 0.5 * (2 / 2000)
    assert abs(np.mean(raw) / scale - 19) <= Z * math.sqrt(2 * 19 / 400)
    assert abs(np.mean(corrections) / scale - 19) <= Z * math.sqrt(2 * 19 / 400)


def test_values_q_never_shows():
    # P puts mass on 0, which Q's sample never shows.
    x = np.repeat([0.0, 1.0, 2.0], [100, 2000, 2000])
    y = np.repeat([1.0, 2.0], [2000, 2000])
    with pytest.warns(EstimatorWarning, match="no point at 1 of the values"):
        forced = dv.kl_divergence(x, y, ties="discrete")
    assert forced.details["ties"]["rule"] == "discrete" and "Krichevsky" in forced.note
    assert math.isfinite(forced.value)
    auto = dv.kl_divergence(x, y)
    assert auto.details["ties"]["rule"] == "dither" and auto.details["ties"]["uncovered"] == 1
    assert "KL is infinite" in auto.note
    # JS is finite whatever the supports: the plug-in needs no such assumption.
    _, js_true = pmf_divergences([100 / 4100, 2000 / 4100, 2000 / 4100], [0, 0.5, 0.5])
    js = dv.js_divergence(x, y)
    assert js.details["ties"]["rule"] == "discrete" and js.note == ""
    assert abs(js.value - js_true) <= Z * js.stderr


# ----------------------------------------------------------------------------- identical sets


def _identical_cases():
    rng = np.random.default_rng(10)
    continuous = rng.normal(size=(1500, 2))
    rounded = np.round(rng.normal(size=1500), 1)
    counts = rng.poisson(3.0, 1500).astype(float)
    small = rng.normal(size=40)
    return {"continuous 2-D": continuous, "rounded": rounded, "counts": counts, "n = 40": small}


@pytest.mark.parametrize("name", list(_identical_cases()))
@pytest.mark.parametrize("permute", [False, True])
def test_identical_sets_give_zero_within_the_interval(name, permute):
    x = _identical_cases()[name]
    y = np.random.default_rng(11).permutation(x) if permute else x.copy()
    for estimate in (dv.kl_divergence(x, y), dv.js_divergence(x, y),
                     dv.js_distance(x, y)):
        assert estimate.details["ties"]["identical"]
        assert estimate.stderr is None or estimate.stderr > 0  # never a claim of exactness
        if estimate.divergence == "js_distance":
            continue  # its stderr is undefined at 0 (the delta method divides by it)
        assert abs(estimate.value) <= Z95 * estimate.stderr, (name, estimate)


def test_copies_rule_scores_shared_points_as_atoms():
    # Continuous draws, half of y copied from x: the copies are atoms of both laws.
    rng = np.random.default_rng(12)
    x = rng.normal(size=2000)
    y = np.concatenate([x[:1000], rng.normal(size=1000)])
    js = dv.js_divergence(x, y)
    ties = js.details["ties"]
    assert ties["rule"] == "copies" and ties["across"] == 2000 and ties["n_tied"] == 2000
    # Same law: JS = 0 within the interval; the bare rule reads the copies as signal.
    assert abs(js.value) <= Z95 * js.stderr
    assert dv.js_divergence(x, y, ties="skip").value > Z * js.stderr


# ----------------------------------------------------------------------------- seeds, records


def test_dithering_is_reproducible_and_seeded():
    x, y = rounded_pair(800, 0.1, seed=13, dim=2)
    default = dv.kl_divergence(x, y)
    assert dv.kl_divergence(x, y) == default  # no rng: a fixed seed, same data same value
    assert dv.kl_divergence(x, y, rng=5) == dv.kl_divergence(x, y, rng=5)
    assert dv.kl_divergence(x, y, rng=5).value != dv.kl_divergence(x, y, rng=6).value
    assert dv.js_divergence(x, y, rng=np.random.default_rng(5)) == dv.js_divergence(
        x, y, rng=np.random.default_rng(5))
    with pytest.raises(TypeError, match="rng must be"):
        dv.kl_divergence(x, y, rng="seed")


def test_dither_noise_is_not_the_data_stream():
    # Data drawn from default_rng(0) and dithered with rng=0: were the noise
    # default_rng(0)'s own stream it would replay the uniforms behind the binomial
    # draws, and the estimate was measured at 5.7 for a truth of 0.43.
    r = np.random.default_rng(0)
    x, y = r.binomial(20, 0.3, 2000).astype(float), r.binomial(20, 0.4, 2000).astype(float)
    atoms = np.arange(21)
    kl_true, _ = pmf_divergences(stats.binom(20, 0.3).pmf(atoms), stats.binom(20, 0.4).pmf(atoms))
    estimate = dv.kl_divergence(x, y, rng=0, ties="dither")
    assert abs(estimate.value - kl_true) <= Z * estimate.stderr


def test_details_record_the_rule():
    x, y = rounded_pair(500, 0.1, seed=14)
    ties = dv.kl_divergence(x, y).details["ties"]
    assert ties["rule"] == "dither" and ties["resolution"] == pytest.approx([0.1])
    assert ties["n_tied"] > 900 and ties["n_distinct"] < 100 and not ties["identical"]
    rng = np.random.default_rng(15)
    x, y = rng.normal(size=300), rng.normal(size=300)
    assert dv.kl_divergence(x, y).details["ties"] == "none"
    assert dv.js_divergence(x, y).details["ties"] == "none"
    assert dv.kl_divergence(x, dv.Gaussian(0.0, 1.0)).details["ties"] == "none"


def test_no_ties_leaves_the_estimate_bit_for_bit():
    # The tie machinery must not touch continuous data: the public value equals a
    # direct call of the estimator, and every tie rule agrees when nothing ties.
    rng = np.random.default_rng(16)
    x, y = rng.normal(size=(1000, 3)), rng.normal(0.2, 1.0, size=(900, 3))
    direct = kl_knn(x, y)[0]
    for rule in _ties.TIE_RULES:
        assert dv.kl_divergence(x, y, ties=rule).value == direct


def test_bad_tie_rule_is_named():
    x = np.arange(20.0)
    with pytest.raises(MethodError, match="unknown ties 'jitter'"):
        dv.kl_divergence(x, x + 0.5, ties="jitter")
    with pytest.raises(TypeError, match="ties='discrete' applies only to two sample sets"):
        dv.kl_divergence(np.round(x / 3), dv.Gaussian(0.0, 1.0), ties="discrete")


def test_find_ties_counts_within_and_across():
    x = np.array([[0.0, 1.0], [0.0, 1.0], [2.0, 3.0], [-0.0, 5.0]])
    y = np.array([[2.0, 3.0], [0.0, 5.0], [7.0, 7.0]])
    ties = _ties.find_ties(x, y)
    # (0, 1) twice in x; (2, 3) and (0, 5) in both (-0.0 equals 0.0); (7, 7) alone.
    assert ties["n_tied"] == 6 and ties["across"] == 4 and ties["n_distinct"] == 4
    assert not ties["identical"]
    assert _ties.find_ties(x[2:], y[:2])["identical"]


def test_coordinates_constant_in_both_sets_are_dropped():
    # Both laws are degenerate there, at the same point: KL and JS are those of the
    # other coordinates, and d (which multiplies every log-ratio of the k-NN
    # distances) must not count them. Before: the estimate scaled by (d + 2)/d.
    rng = np.random.default_rng(18)
    x, y = rng.normal(size=(1500, 3)), rng.normal(0.5, 1.0, size=(1500, 3))
    pad = lambda a: np.column_stack([np.full(len(a), 7.0), a[:, :2], np.zeros(len(a)), a[:, 2:]])
    for divergence in (dv.kl_divergence, dv.js_divergence):
        padded, plain = divergence(pad(x), pad(y)), divergence(x, y)
        assert padded.value == plain.value and padded.stderr == plain.stderr
        assert padded.details["constant_coordinates"] == [0, 3]
        assert "constant_coordinates" not in plain.details
    # A coordinate constant within each set but not across (parallel lines) is kept.
    lines = dv.js_divergence(np.column_stack([np.zeros(500), rng.uniform(size=500)]),
                             np.column_stack([np.ones(500), rng.uniform(size=500)]))
    assert "constant_coordinates" not in lines.details and lines.value == pytest.approx(LOG2)


LOG2 = math.log(2.0)
