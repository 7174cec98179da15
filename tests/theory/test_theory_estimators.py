"""Properties of the estimators: Sinkhorn and k-NN.

Each group probes its method once (a module-scoped fixture) and skips while
the method raises NotImplementedError, so these properties turn on by
themselves when the methods land. They assume the public contract of
DESIGN.md section 3 (``sinkhorn_divergence(p, q, eps=, order=)`` returns
S_eps in cost units; ``k=`` for the k-NN estimators; ``rng=`` everywhere).
"""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import divergences as dv
from divergences import testing as dvt
from theory_tolerances import EPS, LOG2, cloud, lp_cost_tol, max_cost


def pending(call, *args, **kwargs):
    """Run ``call``; skip the test while the method is a placeholder."""
    try:
        return call(*args, **kwargs)
    except NotImplementedError as exc:
        pytest.skip(f"not implemented yet: {exc}")


@pytest.fixture(scope="module")
def sinkhorn_ready():
    x = np.array([[0.0], [1.0]])
    pending(dv.sinkhorn_divergence, x, x + 1.0, eps=1.0)


@pytest.fixture(scope="module")
def knn_ready():
    x = np.arange(12.0).reshape(6, 2)
    pending(dv.kl_divergence, x, x + 0.5, method="knn", k=1)
    pending(dv.js_divergence, x, x + 0.5, method="knn", k=1)



# --- Sinkhorn ------------------------------------------------------------------


def entropy(weights):
    w = np.asarray(weights)
    w = w[w > 0]
    return float(-np.sum(w * np.log(w)))


def sinkhorn_tol(p, q, order, result):
    """Rounding of the three dual objectives, plus what the marginal error allows.

    A plan whose marginals are off by delta (L1) has a dual objective off by at
    most delta times the largest cost (the potentials are bounded by it).
    """
    (x, _), (y, _) = cloud(p), cloud(q)
    scale = max(max_cost(x, y, order), max_cost(x, x, order), max_cost(y, y, order))
    marginal = result.marginal_error or 0.0
    return 64 * (len(x) + len(y)) * EPS * scale + 3 * marginal * scale


@pytest.mark.usefixtures("sinkhorn_ready")
@given(data=st.data())
def test_sinkhorn_divergence_is_zero_on_the_diagonal(data):
    # The three problems share one code path: S_eps(a, a) = 0 up to rounding.
    p = data.draw(st.one_of(dvt.samples(dim=2), dvt.histograms(dim=2)))
    x, _ = cloud(p)
    eps = data.draw(st.sampled_from((1.0, 0.1))) * max(max_cost(x, x, 2.0), 1.0)
    result = pending(dv.sinkhorn_divergence, p, p, eps=eps, order=2)
    assert abs(result.value) <= 64 * len(x) * EPS * max(max_cost(x, x, 2.0), 1.0)


@pytest.mark.usefixtures("sinkhorn_ready")
@given(data=st.data())
def test_sinkhorn_divergence_is_nonnegative_and_close_to_ot(data):
    # Feydy et al. 2019: S_eps >= 0. And |S_eps - OT| <= eps max(H(a), H(b)):
    # OT <= OT_eps(a, b) <= OT + eps min(H(a), H(b)) (the optimal plan's KL to
    # a x b is a mutual information), 0 <= OT_eps(a, a) <= eps H(a) (the
    # diagonal plan costs 0 and has KL = H(a)).
    dim = data.draw(st.integers(1, 2))
    p, q = data.draw(st.tuples(dvt.samples(dim=dim), dvt.samples(dim=dim)))
    order = data.draw(st.sampled_from((1.0, 2.0)))
    (x, a), (y, b) = cloud(p), cloud(q)
    scale = max(max_cost(x, y, order), 1.0)
    eps = data.draw(st.sampled_from((1.0, 0.1, 0.03))) * scale
    result = pending(dv.sinkhorn_divergence, p, q, eps=eps, order=order)
    exact = dv.wasserstein(p, q, order=order, method="exact")
    tol = sinkhorn_tol(p, q, order, result) + lp_cost_tol(x, y, order)
    assert result.value >= -tol
    assert abs(result.value - exact.cost) <= eps * max(entropy(a), entropy(b)) + tol


# --- k-NN estimators -------------------------------------------------------------


def distinct_sample_pair(dim):
    # Distinct points across both sets: zero distances would exercise the tie
    # rule, not the invariances.
    return st.tuples(st.integers(6, 12), st.integers(6, 12)).flatmap(
        lambda nm: dvt.points(nm[0] + nm[1], dim=dim, unique=True).map(
            lambda z: (z[: nm[0]], z[nm[0] :])
        )
    )


def exact_similarity(dim):
    """Maps that scale every distance by exactly 2^j: coordinate permutation, signs, 2^j."""
    return st.tuples(
        st.permutations(range(dim)),
        st.lists(st.sampled_from((-1.0, 1.0)), min_size=dim, max_size=dim),
        st.integers(-3, 3),
    ).map(lambda t: lambda z: (2.0 ** t[2]) * (z[:, list(t[0])] * np.array(t[1])))


@pytest.mark.usefixtures("knn_ready")
@pytest.mark.parametrize("divergence", ["kl", "js"])
@given(data=st.data())
def test_knn_estimators_are_similarity_invariant(divergence, data):
    # The fixed-k KL and the pooled JS estimators depend on the data only through
    # ratios of distances (and the sizes), so maps that scale every distance by the
    # same factor -- here exactly, in floating point -- leave them unchanged up to
    # the rounding of the logarithms: a few eps per term, summed over n + m terms.
    # (The corrected KL variant is invariant under other maps: the next property.)
    dim = data.draw(st.integers(1, 3))
    x, y = data.draw(distinct_sample_pair(dim))
    move = data.draw(exact_similarity(dim))
    k = data.draw(st.integers(1, 3))
    function = dv.kl_divergence if divergence == "kl" else dv.js_divergence
    options = {"variant": "fixed"} if divergence == "kl" else {}
    before = pending(function, x, y, method="knn", k=k, **options)
    after = pending(function, move(x), move(y), method="knn", k=k, **options)
    # |log(2^j r)| <= |log r| + 3 log 2; distances lie in [1e-5, 40] (well-scaled points).
    magnitude = 1.0 + abs(before.value) + abs(math.log(1e-5)) + 3 * LOG2
    assert abs(after.value - before.value) <= 16 * (len(x) + len(y)) * dim * EPS * magnitude


@pytest.mark.usefixtures("knn_ready")
@given(data=st.data())
def test_corrected_knn_kl_does_not_depend_on_each_coordinates_unit(data):
    # The corrected variant first maps each coordinate by the pooled sample's
    # quantiles, so rescaling any coordinate on its own (a change of unit) changes
    # nothing: by a power of two every quantile, knot slope and interpolation
    # weight scales exactly, and the estimate is the same up to rounding -- where
    # the fixed estimator, which measures Euclidean distances, changes.
    dim = data.draw(st.integers(1, 3))
    x, y = data.draw(distinct_sample_pair(dim))
    units = 2.0 ** np.array(data.draw(st.lists(st.integers(-3, 3), min_size=dim, max_size=dim)))
    k = data.draw(st.integers(1, 3))
    before = pending(dv.kl_divergence, x, y, method="knn", k=k)
    after = pending(dv.kl_divergence, x * units, y * units, method="knn", k=k)
    assert before.details["variant"] == "corrected"
    magnitude = 1.0 + abs(before.value) + abs(math.log(1e-5)) + 3 * LOG2
    assert abs(after.value - before.value) <= 16 * (len(x) + len(y)) * dim * EPS * magnitude


@pytest.mark.usefixtures("knn_ready")
@given(data=st.data())
def test_knn_js_stays_in_its_range_and_estimators_are_deterministic(data):
    dim = data.draw(st.integers(1, 3))
    sets = dvt.points(min_size=5, max_size=10, dim=dim)
    x, y = data.draw(st.tuples(sets, sets))
    if min(len(np.unique(x, axis=0)), len(np.unique(y, axis=0))) < 2:
        # The bare zero-distance rule (ties="skip") finds no neighbour in a set with a
        # single distinct point, and that must be a clear error naming k. The default
        # rules dither or take the plug-in instead, except for copies of values on no
        # lattice, which keep the zero-distance rule and its error.
        with pytest.raises(ValueError, match="k=1"):
            pending(dv.js_divergence, x, y, method="knn", k=1, ties="skip")
        try:
            js = pending(dv.js_divergence, x, y, method="knn", k=1)
        except ValueError as error:
            assert "k=1" in str(error)
            return
        assert js.details["ties"]["rule"] in ("discrete", "dither", "copies")
        assert 0.0 <= js.value <= LOG2
        return
    js = pending(dv.js_divergence, x, y, method="knn", k=1)
    assert 0.0 <= js.value <= LOG2  # the contract: sample JS is clipped to the range
    assert js.sizes == (len(x), len(y))
    again = pending(dv.js_divergence, x, y, method="knn", k=1)
    assert again.value == js.value
    kl = pending(dv.kl_divergence, x, y, method="knn", k=1)
    assert not math.isnan(kl.value)  # ties and zero distances follow a documented rule


@pytest.mark.usefixtures("knn_ready")
@given(data=st.data())
def test_knn_identical_sets_give_zero_within_the_interval(data):
    # Identity of indiscernibles on samples: a set against any reordering of itself
    # (ties, rounding and copies included) estimates 0 within its 95% interval, and
    # the interval is not a claim of exactness. k = 1 so that small sets qualify.
    # Shared values as atoms and the plug-in give 0 by construction; dithered
    # lattice data are two independent noisy copies, a random estimate centred on
    # 0, held to the Z = 4 of the sample tests (over 1,500 random examples of this
    # strategy the largest |value|/stderr was 1.7, the jackknife being conservative).
    dim = data.draw(st.integers(1, 2))
    x = data.draw(dvt.points(min_size=6, max_size=40, dim=dim))
    assume(len(np.unique(x, axis=0)) >= 2)
    y = x[data.draw(st.permutations(range(len(x))))]
    for divergence in (dv.kl_divergence, dv.js_divergence):
        result = pending(divergence, x, y, method="knn", k=1)
        assert result.details["ties"]["identical"]
        assert result.stderr is not None and result.stderr > 0
        z = 4.0 if result.details["ties"]["rule"] == "dither" else 1.959963984540054
        assert abs(result.value) <= z * result.stderr


@pytest.mark.usefixtures("knn_ready")
@given(dvt.points(min_size=1, max_size=6, dim=2), dvt.points(min_size=8, max_size=10, dim=2))
def test_knn_rejects_k_not_below_the_sample_size(x, y):
    with pytest.raises(ValueError, match="k"):
        pending(dv.kl_divergence, x, y, method="knn", k=len(x))


