"""Sliced Wasserstein over random projections."""

import math

import numpy as np
import ot
import pytest

import divergences as dv
from divergences.exceptions import InvalidMeasureError
from divergences.ot.sliced import random_directions


def _clouds(seed, n=80, m=60, d=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.standard_t(4, size=(m, d)) + 0.5, rng.random(n), rng.random(m)


@pytest.mark.parametrize("order", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_pot_on_the_same_directions(order, weighted):
    x, y, a, b = _clouds(0)
    directions = random_directions(50, 3, np.random.default_rng(1))
    p = dv.Samples(x, a) if weighted else x
    q = dv.Samples(y, b) if weighted else y
    result = dv.wasserstein(p, q, order=order, method="sliced", directions=directions)
    expected = ot.sliced_wasserstein_distance(
        x, y, a / a.sum() if weighted else None, b / b.sum() if weighted else None,
        p=order, projections=directions.T,
    )
    assert float(result) == pytest.approx(expected, rel=1e-12)


def test_random_directions_are_seeded():
    x, y, _, _ = _clouds(2)
    r1 = dv.wasserstein(x, y, method="sliced", rng=7)
    r2 = dv.wasserstein(x, y, method="sliced", rng=np.random.default_rng(7))
    r3 = dv.wasserstein(x, y, method="sliced", rng=8)
    assert float(r1) == float(r2) != float(r3)
    assert r1.details["n_projections"] == 100


def test_one_dimension_is_exact():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=70), rng.exponential(size=45)
    sliced = dv.wasserstein(x, y, order=2, method="sliced", n_projections=5, rng=0)
    exact = dv.wasserstein(x, y, order=2, method="1d")
    assert float(sliced) == pytest.approx(float(exact), rel=1e-12) and sliced.stderr == 0.0


def test_translation_closed_form_and_stderr():
    # W_p of a 1-D translation by s is |s|, so the projected cost on theta is
    # exactly |<theta, t>|^p; in 2-D, E|cos|^2 = 1/2 gives SW_2 = |t| / sqrt 2.
    x = np.random.default_rng(4).normal(size=(100, 2))
    t = np.array([3.0, 4.0])
    r = dv.wasserstein(x, x + t, order=2, method="sliced", n_projections=400, rng=5)
    directions = random_directions(400, 2, np.random.default_rng(5))
    np.testing.assert_allclose(r.details["projected_costs"], (directions @ t) ** 2, rtol=1e-10)
    # 4 standard errors: a false failure has probability ~6e-5.
    assert abs(float(r) - 5.0 / math.sqrt(2)) <= 4 * r.stderr
    assert 0 < r.stderr < 0.2


def test_is_a_lower_bound_on_exact():
    x, y, _, _ = _clouds(6, 40, 40, 2)
    assert float(dv.wasserstein(x, y, order=2, method="sliced", rng=0)) <= float(
        dv.wasserstein(x, y, order=2, method="exact")
    )


def test_bad_input():
    x = np.zeros((4, 2))
    with pytest.raises(ValueError, match="n_projections"):
        dv.wasserstein(x, x, method="sliced", n_projections=0)
    with pytest.raises(InvalidMeasureError, match="directions"):
        dv.wasserstein(x, x, method="sliced", directions=np.ones((3, 3)))
    with pytest.raises(InvalidMeasureError, match="directions"):
        dv.wasserstein(x, x, method="sliced", directions=np.zeros((3, 2)))
    with pytest.raises(TypeError, match="rng"):
        dv.wasserstein(x, x, method="sliced", rng="seed")


@pytest.mark.parametrize("option", [{"n_projections": 5}, {"rng": 3}, {"rng": 0}])
def test_random_direction_options_with_explicit_directions_are_errors(option):
    x = np.random.default_rng(0).normal(size=(20, 2))
    (name,) = option
    with pytest.raises(TypeError, match=f"{name} shapes random directions.*drop {name}"):
        dv.wasserstein(x, x + 1.0, method="sliced", directions=[[1.0, 0.0]], **option)
    with pytest.raises(TypeError, match="n_projections and rng shape random"):
        dv.wasserstein(x, x, method="sliced", directions=[[1.0, 0.0]], n_projections=2, rng=1)
