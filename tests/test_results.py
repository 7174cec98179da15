"""Result objects: frozen, float-convertible, never NaN."""

import dataclasses
import math

import numpy as np
import pytest

import divergences as dv
from divergences.results import DivergenceResult, OTResult, in_base


def test_float_and_format():
    r = DivergenceResult(value=0.25, divergence="kl", method="exact", sizes=(3, 4), stderr=0.0)
    assert float(r) == 0.25 and f"{r:.2f}" == "0.25"
    assert "method='exact'" in repr(r) and "sizes=(3, 4)" in repr(r)
    assert r.is_exact


@pytest.mark.parametrize("value, shown", [
    (0.5869880198401234, "0.586988"),  # six significant digits, not seventeen
    (1234567.891, "1.23457e+06"),
    (6.6e-171, "6.6e-171"),
    (5.0, "5.0"),  # still reads as a float
    (0.0, "0.0"),
    (math.inf, "inf"),
])
def test_repr_shows_six_significant_digits(value, shown):
    # The README's doctests show these reprs exactly (no NUMBER flag): what users see.
    r = OTResult(value=value, method="exact", stderr=0.0123456)
    assert repr(r) == (f"OTResult(wasserstein: value={shown}, method='exact', "
                       "unit='distance', stderr=0.0123)")
    assert float(r) == value


def test_frozen():
    r = DivergenceResult(value=1.0, divergence="kl", method="exact")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.value = 2.0


def test_nan_is_refused():
    with pytest.raises(FloatingPointError, match="NaN"):
        DivergenceResult(value=math.nan, divergence="kl", method="exact")


def test_ot_result_cost_defaults_to_the_power_of_the_value():
    r = OTResult(value=2.0, order=3.0, method="exact")
    assert r.cost == 8.0 and r.unit == "distance" and r.divergence == "wasserstein"
    assert r.converged and r.plan is None


def test_ot_result_reports_non_convergence():
    r = OTResult(value=1.0, method="exact", converged=False, n_iter=10, marginal_error=0.1)
    assert "converged=False" in repr(r)


def test_in_base_scales_value_and_stderr():
    r = DivergenceResult(value=math.log(2), divergence="js", method="knn", stderr=math.log(2) / 10)
    bits = in_base(r, 2)
    assert bits.unit == "bits" and bits.value == pytest.approx(1.0) and bits.stderr == pytest.approx(0.1)
    assert in_base(r, None) is r


def test_divergence_by_name():
    p, q = dv.Histogram([0.5, 0.5]), dv.Histogram([0.2, 0.8])
    for kind in ("kl", "js", "js_distance"):
        assert float(dv.divergence(p, q, kind)) == float(dv.DIVERGENCES[kind](p, q))
    x = np.arange(4.0)
    assert float(dv.divergence(x, x + 1, "wasserstein", order=2)) == pytest.approx(1.0)


def test_divergence_unknown_kind_lists_the_names():
    with pytest.raises(dv.MethodError, match="unknown divergence kind 'tv'.*'kl'.*'wasserstein'"):
        dv.divergence(np.zeros(2), np.zeros(2), "tv")


def test_sinkhorn_divergence_validates_its_input():
    x = np.zeros((3, 2))
    with pytest.raises(ValueError, match="eps must be positive"):
        dv.sinkhorn_divergence(x, x, eps=0.0)
    assert float(dv.sinkhorn_divergence(x, x, eps=0.1)) == 0.0


def test_every_public_name_exists():
    for name in sorted(set(dv.__all__) - dv._LAZY_SUBMODULES):
        assert getattr(dv, name) is not None


def test_import_compiles_nothing_and_skips_heavy_modules():
    import subprocess
    import sys

    code = (
        "import sys, divergences; "
        "print(sorted(m for m in ('numba', 'ot', 'hypothesis', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
