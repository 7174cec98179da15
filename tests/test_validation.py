"""The validation helpers: every bad input named, nothing modified."""

import numpy as np
import pytest

from divergences import _validation as v
from divergences.exceptions import MethodError


def test_rng_forms():
    assert isinstance(v.as_rng(None), np.random.Generator)
    g = np.random.default_rng(0)
    assert v.as_rng(g) is g
    assert v.as_rng(5).random() == np.random.default_rng(5).random()
    with pytest.raises(TypeError, match="rng must be"):
        v.as_rng("seed")


@pytest.mark.parametrize("value", [0, -1, 2.5, True])
def test_positive_int(value):
    with pytest.raises((TypeError, ValueError), match="k must"):
        v.check_positive_int(value, "k")


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), float("inf"), "a"])
def test_positive(value):
    with pytest.raises((TypeError, ValueError), match="eps must"):
        v.check_positive(value, "eps")


def test_choice_lists_options():
    with pytest.raises(MethodError, match="unknown penalty 'x'; choose one of 'gp', 'clip'"):
        v.check_choice("x", ("gp", "clip"), "penalty")


def test_points_are_copied_read_only_float64():
    x = np.arange(6, dtype=np.int32).reshape(3, 2)
    points = v.as_points(x)
    assert points.dtype == np.float64 and not points.flags.writeable and points.flags.c_contiguous
    assert x.flags.writeable


def test_vector_length():
    with pytest.raises(ValueError, match="mean must have 3 entries"):
        v.as_vector([1.0, 2.0], "mean", 3)
