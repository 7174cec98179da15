"""Transport at extreme scales and orders: every finite answer is returned finite (issue 19, 5 and 7).

Costs are homogeneous, W_p(sX, sY) = s W_p(X, Y), and the solvers work at unit
scale (``divergences.ot._common.LengthScale``). Scaling by a power of two is
exact in floating point, so for orders 1 and 2 the scaled problem is the same
problem bit for bit and the answers must agree exactly; at a decimal scale
(1e-170, 1e200) the inputs themselves are rounded, which moves each point by
at most u |x| (u = 2^-53) and so W_p by at most u (max |x| + max |y|)
(W_p is 1-Lipschitz under moving every point by at most that much).
"""

import math

import numpy as np
import pytest

import divergences as dv
from divergences.exceptions import ConvergenceWarning

U = 2.0**-53
TINY, HUGE = 2.0**-565, 2.0**665  # about 1.7e-170 and 1.2e200


def clouds(n=40, m=40, dim=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, dim)), rng.normal(size=(m, dim)) + 1.0


def rounding_bound(x, y):
    return U * (np.linalg.norm(x, axis=1).max() + np.linalg.norm(y, axis=1).max())


EXACT_CASES = [
    pytest.param(40, "auction", id="auction"),
    pytest.param(37, "network_simplex", id="network-simplex-unequal"),
]


class TestExactAtExtremeScales:
    @pytest.mark.parametrize("m, solver", EXACT_CASES)
    @pytest.mark.parametrize("scale", [TINY, HUGE])
    @pytest.mark.parametrize("order", [1.0, 2.0])
    def test_power_of_two_scale_is_exact(self, m, solver, scale, order):
        x, y = clouds(m=m)
        unit = dv.wasserstein(x, y, order=order, solver=solver)
        scaled = dv.wasserstein(x * scale, y * scale, order=order, solver=solver)
        assert scaled.converged and scaled.details["solver"] == solver
        assert scaled.value == unit.value * scale

    @pytest.mark.parametrize("m, solver", EXACT_CASES)
    @pytest.mark.parametrize("scale", [1e-170, 1e200])
    def test_decimal_scale_within_input_rounding(self, m, solver, scale):
        # Before: 0.0 at 1e-170 (squared distances underflow), inf or "produced NaN" at 1e200.
        x, y = clouds(m=m)
        unit = float(dv.wasserstein(x, y, order=2, solver=solver))
        scaled = dv.wasserstein(x * scale, y * scale, order=2, solver=solver)
        assert scaled.converged
        assert abs(scaled.value / scale - unit) <= rounding_bound(x, y) + 8 * U * unit

    def test_cost_overflow_is_said_and_recoverable(self):
        x, y = clouds()
        result = dv.wasserstein(x * HUGE, y * HUGE, order=2)
        assert math.isfinite(result.value) and result.cost == math.inf
        assert "overflows" in result.note
        details = result.details
        assert details["scaled_cost"] * (details["length_scale"] / HUGE) ** 2 == pytest.approx(
            dv.wasserstein(x, y, order=2).cost, rel=1e-14
        )

    def test_potentials_and_certificate_in_the_callers_units(self):
        x, y = clouds()
        unit = dv.wasserstein(x, y, order=2)
        scaled = dv.wasserstein(x * 2.0**10, y * 2.0**10, order=2)
        assert scaled.cost == unit.cost * 2.0**20
        for f_scaled, f_unit in zip(scaled.potentials, unit.potentials):
            np.testing.assert_array_equal(f_scaled, f_unit * 2.0**20)
        assert scaled.details["tolerance"] == unit.details["tolerance"] * 2.0**20

    @pytest.mark.parametrize("solver", ["auction", "network_simplex"])
    def test_order_400_translation(self, solver):
        # W_p(mu, mu + t) = |t| for every p; |t|^400 = 1e400 overflows (a bare OverflowError
        # before). A small cloud: every cost within a factor 3 of |t|^400, so certifiable.
        x, _ = clouds()
        x = 0.01 * x
        result = dv.wasserstein(x, x + [6.0, 8.0], order=400, solver=solver)
        assert result.converged and result.value == pytest.approx(10.0, rel=1e-12)
        assert result.cost == math.inf and "overflows" in result.note

    @pytest.mark.parametrize("solver", ["auction", "network_simplex"])
    def test_order_400_beyond_float_resolution_says_so(self, solver):
        # Here the optimal costs are 1e-45 of the largest: float64 cannot resolve the
        # problem, and the solvers (both) return plans 30% too long in W_400. Before, that
        # was certified; it must warn and say converged=False.
        x, _ = clouds()
        with pytest.warns(ConvergenceWarning, match="could not certify"):
            result = dv.wasserstein(x, x + [6.0, 8.0], order=400, solver=solver)
        assert not result.converged and math.isfinite(result.value)
        assert result.value >= 10.0 * (1 - 1e-12)  # a feasible plan: never below W_p

    def test_order_400_unequal_sizes_is_finite(self):
        # A bare OverflowError before. The costs span ~1e-300..1 at unit scale, where the
        # simplex's potentials cannot certify the plan: finite, bounded, and said so.
        x, y = clouds(m=37)
        with pytest.warns(ConvergenceWarning, match="could not certify"):
            result = dv.wasserstein(x, y, order=400)
        assert math.isfinite(result.value) and not result.converged
        # W_p <= W_inf <= the largest distance, and >= W_1.
        assert float(dv.wasserstein(x, y)) <= result.value <= 10.0


class TestOneDimensionalAndSliced:
    @pytest.mark.parametrize("scale", [TINY, HUGE])
    def test_one_d_power_of_two_scale(self, scale):
        x, y = clouds(dim=1)
        unit = dv.wasserstein(x[:, 0], y[:, 0], order=2)
        scaled = dv.wasserstein(x[:, 0] * scale, y[:, 0] * scale, order=2)
        assert scaled.method == "1d" and scaled.value == unit.value * scale

    def test_one_d_at_1e200(self):
        # inf before: |x - y|^2 overflowed in the merge.
        x, y = clouds(dim=1)
        unit = float(dv.wasserstein(x[:, 0], y[:, 0], order=2))
        scaled = float(dv.wasserstein(x[:, 0] * 1e200, y[:, 0] * 1e200, order=2))
        assert abs(scaled / 1e200 - unit) <= rounding_bound(x, y) + 8 * U * unit

    def test_one_d_order_400_translation(self):
        x = np.random.default_rng(1).normal(size=50)
        assert dv.wasserstein(x, x + 10.0, order=400).value == pytest.approx(10.0, rel=1e-12)

    @pytest.mark.parametrize("scale", [TINY, HUGE])
    def test_sliced_power_of_two_scale(self, scale):
        x, y = clouds()
        unit = dv.wasserstein(x, y, order=2, method="sliced", rng=0)
        scaled = dv.wasserstein(x * scale, y * scale, order=2, method="sliced", rng=0)
        assert scaled.value == unit.value * scale
        assert scaled.stderr == unit.stderr * scale

    def test_far_from_the_origin(self):
        # A cloud of spread 1e-10 at 1e300: dividing by its diameter alone would overflow.
        x, y = clouds(dim=1)
        unit = float(dv.wasserstein(x[:, 0], y[:, 0]))
        far = dv.wasserstein(1e300 + 1e290 * x[:, 0], 1e300 + 1e290 * y[:, 0])
        # The inputs round to u * 1e300 = 1e284, i.e. 1e-6 of the spread.
        assert abs(far.value / 1e290 - unit) <= 2 * U * 1e300 / 1e290 + 8 * U * unit


class TestSinkhornAtExtremeScales:
    # eps is a cost: at order 2 it scales as s^2, which must stay representable.
    @pytest.mark.parametrize("scale, order", [(TINY, 1.0), (2.0**-400, 2.0), (2.0**300, 2.0)])
    def test_wasserstein_power_of_two_scale(self, scale, order):
        x, y = clouds()
        unit = dv.wasserstein(x, y, order=order, method="sinkhorn", eps=0.5)
        eps = 0.5 * scale**order
        scaled = dv.wasserstein(x * scale, y * scale, order=order, method="sinkhorn", eps=eps)
        assert scaled.converged and scaled.value == unit.value * scale
        assert scaled.cost == unit.cost * scale**order
        assert scaled.details["eps"] == eps

    def test_divergence_power_of_two_scale(self):
        x, y = clouds()
        unit = dv.sinkhorn_divergence(x, y, eps=0.5)
        s = 2.0**-400
        scaled = dv.sinkhorn_divergence(x * s, y * s, eps=0.5 * s**2)
        assert scaled.value == unit.value * s**2
        np.testing.assert_array_equal(scaled.potentials[0], unit.potentials[0] * s**2)

    def test_order_400(self):
        # Costs up to 1.5^400 = 1e70; a bare OverflowError before.
        x, y = clouds()
        x, y = x / 8.0, y / 8.0
        result = dv.wasserstein(x, y, order=400, method="sinkhorn", eps=1e60)
        assert result.converged and math.isfinite(result.value)

    def test_unrepresentable_eps_is_a_clear_error(self):
        x, y = clouds()
        with pytest.raises(ValueError, match="eps=1 is too small"):
            dv.wasserstein(x * 10, y * 10, order=400, method="sinkhorn", eps=1.0)


class TestGaussianExtremeCovariances:
    def test_huge_and_unit_variances(self):
        # "produced NaN" before: S2^1/2 S1 S2^1/2 overflowed.
        big = np.diag([1e300, 1.0])
        p = dv.Gaussian([0.0, 0.0], big)
        assert dv.wasserstein(p, p, order=2).value == 0.0
        # Commuting covariances: W2^2 = |dm|^2 + sum (sqrt s1 - sqrt s2)^2 = 1 + 1.
        q = dv.Gaussian([1.0, 0.0], np.diag([1e300, 4.0]))
        assert dv.wasserstein(p, q, order=2).value == pytest.approx(math.sqrt(2.0), rel=1e-14)
        r = dv.Gaussian([0.0, 0.0], np.diag([1.0, 1e300]))
        assert dv.wasserstein(p, r, order=2).value == pytest.approx(math.sqrt(2.0) * 1e150, rel=1e-14)

    def test_scale_equivariance(self):
        rng = np.random.default_rng(3)
        a, b = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
        s1, s2 = a @ a.T + 0.1 * np.eye(3), b @ b.T + 0.1 * np.eye(3)
        m1, m2 = rng.normal(size=3), rng.normal(size=3)
        unit = float(dv.wasserstein(dv.Gaussian(m1, s1), dv.Gaussian(m2, s2), order=2))
        for s in (2.0**-500, 2.0**500):
            scaled = dv.wasserstein(dv.Gaussian(m1 * s, s1 * s * s), dv.Gaussian(m2 * s, s2 * s * s), order=2)
            assert scaled.value == unit * s

    def test_overflowing_cost_is_said(self):
        p, q = dv.Gaussian([0.0], 1.0), dv.Gaussian([1e200], 1.0)
        result = dv.wasserstein(p, q, order=2)
        assert result.value == 1e200 and result.cost == math.inf and "overflows" in result.note


def test_cli_at_1e_170(capsys, tmp_path):
    # The CLI printed 0 here: it calls dv.wasserstein, now scale free.
    import json

    from divergences import cli

    x, y = clouds()
    np.save(tmp_path / "x.npy", x * 1e-170)
    np.save(tmp_path / "y.npy", y * 1e-170)
    code = cli.main(["compute", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"),
                     "--kind", "wasserstein", "--json"])
    out, _ = capsys.readouterr()
    assert code == 0
    value = json.loads(out)["value"]
    unit = float(dv.wasserstein(x, y))
    assert abs(value / 1e-170 - unit) <= rounding_bound(x, y) + 8 * U * unit
