"""Inputs that were accepted and ignored, or refused with an unclear message (issue 19).

Each test names the argument the error must name, and the fix it must offer.
"""

import numpy as np
import pytest

import divergences as dv
from divergences.exceptions import InvalidMeasureError


@pytest.fixture(scope="module")
def clouds():
    rng = np.random.default_rng(0)
    return rng.normal(size=(30, 2)), rng.normal(size=(25, 2)) + 1.0


def test_sinkhorn_max_memory_without_return_plan_is_an_error(clouds):
    x, y = clouds
    with pytest.raises(TypeError, match="max_memory.*return_plan=True"):
        dv.wasserstein(x, y, method="sinkhorn", eps=1.0, max_memory=10**9)
    plan = dv.wasserstein(x, y, method="sinkhorn", eps=1.0, max_memory=10**9, return_plan=True).plan
    assert plan.shape == (30, 25)


@pytest.mark.parametrize(
    "call, public",
    [
        (lambda x, y: dv.wasserstein(x, y, method="sinkhorn"), r"wasserstein\(method='sinkhorn'\)"),
        (lambda x, y: dv.sinkhorn_divergence(x, y), "sinkhorn_divergence"),
        (lambda x, y: dv.divergence(x, y, "sinkhorn"), "sinkhorn_divergence"),
    ],
)
def test_a_missing_eps_names_the_function_its_unit_and_pots_reg(clouds, call, public):
    x, y = clouds
    with pytest.raises(TypeError, match=rf"{public} needs eps=.*cost units.*POT's reg") as info:
        call(x, y)
    assert "missing 1 required" not in str(info.value)


# ----------------------------------------------------------------------------- issue 19, item 12


@pytest.mark.parametrize(
    "value", [np.array([1.0 + 1e-3j, 2.0, 3.0]), [1 + 0j, 2.0, 3.0], np.ones((4, 2), complex)]
)
def test_complex_input_is_refused_naming_the_argument(value):
    with pytest.raises(InvalidMeasureError, match=r"q is complex.*q\.real"):
        dv.wasserstein([0.0, 1.0, 2.5, 4.0], value)
    with pytest.raises(InvalidMeasureError, match="weights is complex"):
        dv.Samples(np.zeros(3), weights=np.ones(3, complex))


def test_weights_near_the_float_maximum_are_normalised():
    # fsum of [1e308, 1e308] overflows; the ratios are what matter.
    assert dv.Samples([1.0, 2.0], weights=[1e308, 1e308]).weights.tolist() == [0.5, 0.5]
    p = dv.Histogram([1.5e308, 1.5e308, 0.0]).probabilities
    assert p.tolist() == [0.5, 0.5, 0.0]
    # Ordinary weights are normalised exactly as before (no division by the max).
    assert dv.Samples([0.0, 1.0, 2.0], weights=[1, 1, 1]).weights.tolist() == [1 / 3] * 3


@pytest.mark.parametrize("law", ["dirichlet", "multinomial", "wishart", "vonmises_fisher"])
def test_multivariate_scipy_laws_the_library_cannot_use_are_refused(law):
    from scipy import stats

    dist = {
        "dirichlet": lambda: stats.dirichlet([1.0, 2.0, 3.0]),
        "multinomial": lambda: stats.multinomial(5, [0.5, 0.5]),
        "wishart": lambda: stats.wishart(3, np.eye(2)),
        "vonmises_fisher": lambda: stats.vonmises_fisher([0.0, 1.0], 2.0),
    }[law]()
    with pytest.raises(TypeError, match=rf"scipy.stats.{law} cannot be used.*\.rvs\(size=n"):
        dv.kl_divergence(dist, dist)
    with pytest.raises(TypeError, match=law):
        dv.ScipyDensity(dist)


def test_multivariate_t_is_still_a_density():
    from scipy import stats

    t = stats.multivariate_t([0.0, 0.0], np.eye(2), df=5)
    assert dv.as_measure(t).dim == 2
    assert dv.kl_divergence(t, stats.multivariate_normal([0.0, 0.0]), rng=0).value > 0


def test_pairwise_refuses_one_2d_array():
    x = np.random.default_rng(0).normal(size=(6, 2))
    fix = r"single 6x2 array.*list of sample arrays.*list\(measures\)"
    with pytest.raises(TypeError, match=fix):
        dv.pairwise(x)
    # What the message proposes works.
    assert dv.pairwise([x, x + 1.0]).values.shape == (2, 2)
    assert dv.pairwise(list(x)).values.shape == (6, 6)


@pytest.mark.parametrize("scale", [1e200, 1e-300, 2.0**700])
def test_knn_estimates_do_not_depend_on_the_datas_scale(scale):
    # Squared distances at 1e200 overflow and at 1e-300 underflow: the estimates used
    # to fail with "k too large ... duplicates" although there are none. KL and JS
    # between two samples are invariant under a common scaling; scaling by `scale`
    # rounds each coordinate once (relative 2^-53), which moves log-distances by
    # about that much, so the estimates agree to ~1e-14 (exactly for a power of 2).
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(300, 3)), rng.normal(size=(200, 3)) + 0.5
    for estimate in (dv.kl_divergence, dv.js_divergence):
        reference = estimate(x, y)
        scaled = estimate(x * scale, y * scale)
        assert scaled.value == pytest.approx(reference.value, rel=1e-12, abs=1e-14)
        assert scaled.stderr == pytest.approx(reference.stderr, rel=1e-9)


def test_safe_scale_leaves_ordinary_data_untouched():
    from divergences.neighbors import safe_scale

    x, y = np.array([[1e100, -3.0]]), np.array([[2e-100, 0.0]])
    assert all(a is b for a, b in zip(safe_scale(x, y), (x, y)))
    huge = x * 1e100
    big = safe_scale(huge, y)
    # One power of two for all sets: exact, so every ratio of coordinates is kept.
    assert 0.5 <= np.abs(np.vstack(big)).max() < 1.0
    assert big[0][0, 0] / big[0][0, 1] == huge[0, 0] / huge[0, 1]
    assert big[1][0, 0] / big[0][0, 0] == y[0, 0] / huge[0, 0]


def test_too_few_neighbours_names_both_causes_of_a_zero_distance():
    # ties="skip" is the zero-distance rule, under which duplicates can leave a point
    # too few neighbours (the default tie rule treats these copies as point masses).
    x = np.array([0.0, 0.0, 0.0, 1.0])
    with pytest.raises(InvalidMeasureError, match="exact duplicates, or points so much closer"):
        dv.kl_divergence(x, np.array([0.0, 2.0, 3.0, 4.0]), k=2, ties="skip")


def test_an_early_stopped_network_simplex_does_not_claim_its_value_is_too_high():
    # Reported: "the value may be too high" for a value 4x too low. An unfinished plan
    # that misses the marginals bounds the optimum in neither direction.
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(300, 2)), rng.normal(size=(250, 2)) + 1.0
    exact = dv.wasserstein(x, y).value
    with pytest.warns(dv.ConvergenceWarning, match="neither direction and can be far too low"):
        early = dv.wasserstein(x, y, max_iter=10)
    assert early.value < exact / 4 and not early.converged
    # Once the plan is feasible, its cost is an upper bound, and the message says so.
    feasible = "feasible, so the optimal cost lies below the reported cost by at most"
    with pytest.warns(dv.ConvergenceWarning, match=feasible):
        late = dv.wasserstein(x, y, max_iter=2000)
    assert late.value >= exact


# ----------------------------------------------------------------------------- issue 19, item 10


def test_a_probability_vector_as_a_plain_array_warns_and_names_histogram():
    fix = r"p looks like a probability vector.*dv\.Histogram\(p\)"
    with pytest.warns(dv.InputWarning, match=fix):
        with pytest.raises(InvalidMeasureError):  # three "points": too few for k = 3
            dv.kl_divergence([0.2, 0.3, 0.5], dv.Samples([0.3, 0.3, 0.4]))
    p = np.random.default_rng(0).dirichlet(np.ones(10))
    with pytest.warns(dv.InputWarning, match="q looks like a probability vector") as record:
        dv.js_divergence(np.linspace(0, 1, 10), p)
    # The warning points at the caller's line, not inside the library.
    assert record[0].filename == __file__


def test_transposed_data_warn_and_name_the_transpose():
    x = np.random.default_rng(0).normal(size=(3, 40))
    with pytest.warns(dv.InputWarning, match=r"p has more coordinates than points.*p\.T"):
        dv.wasserstein(x, dv.Samples(x + 1.0))


@pytest.mark.parametrize(
    "x",
    [
        np.array([0.0, 1.0]),  # max 1: two points, not a degenerate probability vector
        np.array([0.2, 0.3, 0.4]),  # sums to 0.9
        np.array([-0.5, 0.5, 1.0]),  # a negative entry
        np.random.default_rng(0).random((5, 5)),  # d = n
        np.array([[1.0, -2.0, 0.5]]),  # one point in 3-D: a Dirac
        np.random.default_rng(0).normal(size=(100, 3)),
    ],
)
def test_ordinary_samples_do_not_warn(x, recwarn):
    dv.as_measure(x)
    assert not [w for w in recwarn if issubclass(w.category, dv.InputWarning)]


def test_explicit_measures_never_warn(recwarn):
    dv.wasserstein(dv.Samples([0.2, 0.3, 0.5]), dv.Samples([0.3, 0.3, 0.4]))
    dv.wasserstein(dv.Samples(np.zeros((2, 5))), dv.Samples(np.ones((2, 5))))
    dv.wasserstein(dv.Histogram([0.2, 0.3, 0.5], support=[0.0, 1.0, 2.0]), [0.0, 1.0, 2.0])
    assert not [w for w in recwarn if issubclass(w.category, dv.InputWarning)]


def test_a_probability_vector_rounded_in_float32_still_warns():
    p = np.random.default_rng(2).dirichlet(np.ones(1000)).astype(np.float32)
    with pytest.warns(dv.InputWarning, match="probability vector"):
        dv.as_measure(p, "p")
