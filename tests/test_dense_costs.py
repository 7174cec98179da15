"""The dense cost-matrix kernel (divergences._kernels.costs.dense_costs) against scipy's cdist."""

import math

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from divergences._kernels import costs

# (kind, q, cdist metric and its keyword arguments)
METRICS = [
    (costs.EUCLIDEAN, 2.0, "euclidean", {}),
    (costs.CITYBLOCK, 2.0, "cityblock", {}),
    (costs.CHEBYSHEV, 2.0, "chebyshev", {}),
    (costs.MINKOWSKI, 3.0, "minkowski", {"p": 3.0}),
]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("order", [1.0, 2.0, 1.5])
@pytest.mark.parametrize("kind, q, name, kwargs", METRICS)
def test_matches_cdist(kind, q, name, kwargs, order, threads):
    rng = np.random.default_rng(int(order * 10) + kind)
    # 400 x 380 pairs: above the serial cut-off, so threads=2 runs the parallel kernel.
    assert 400 * 380 >= costs._DENSE_SERIAL_BELOW
    x, y = rng.normal(size=(400, 3)), rng.normal(size=(380, 3)) + 0.5
    matrix, largest = costs.dense_costs(kind, q, order, x, y, threads=threads)
    reference = cdist(x, y, name, **kwargs) ** order
    if kind == costs.EUCLIDEAN and order in (1.0, 2.0):
        # The same operations in the same order (and squares summed, no root, at 2).
        np.testing.assert_array_equal(matrix, reference if order == 1.0 else cdist(x, y, "sqeuclidean"))
    else:
        # A root and a power against one power of the reduced distance: a few ulps
        # each (the power's rounding is amplified by at most the exponent).
        np.testing.assert_allclose(matrix, reference, rtol=8 * order * 2.0**-52, atol=0)
    assert largest == matrix.max()


def test_scaled_by_a_power_of_two_exactly():
    rng = np.random.default_rng(1)
    x, y = rng.random((300, 2)) * 3.0, rng.random((500, 2))
    plain, largest = costs.dense_costs(costs.EUCLIDEAN, 2.0, 1.0, x, y)
    exponent = int(np.frexp(largest)[1])
    assert exponent != 0  # the diameter is about 3: a second pass is made
    scaled, largest_again, shift = costs.dense_costs(
        costs.EUCLIDEAN, 2.0, 1.0, x, y, lambda v: int(np.frexp(v)[1]), threads=2)
    assert shift == exponent and largest_again == largest
    np.testing.assert_array_equal(scaled, np.ldexp(plain, -shift))
    assert 0.5 <= scaled.max() < 1.0


def test_empty_and_read_only_inputs():
    x = np.zeros((0, 2))
    y = np.arange(6.0).reshape(3, 2)
    y.flags.writeable = False
    matrix, largest = costs.dense_costs(costs.EUCLIDEAN, 2.0, 1.0, x, y)
    assert matrix.shape == (0, 3) and largest == 0.0
    matrix, largest = costs.dense_costs(costs.EUCLIDEAN, 2.0, 1.0, y, y)
    np.testing.assert_array_equal(matrix, cdist(y, y))
    assert largest == math.sqrt(32.0)
