"""`dv.divergence` by name: every kind takes ``method="auto"`` and its own method names."""

import numpy as np
import pytest

import divergences as dv
from divergences.exceptions import MethodError

OPTIONS = {"sinkhorn": {"eps": 0.5}}


@pytest.fixture(scope="module")
def clouds():
    rng = np.random.default_rng(3)
    return rng.normal(size=(40, 2)), rng.normal(size=(30, 2)) + 0.5


@pytest.mark.parametrize("kind", list(dv.DIVERGENCES))
def test_every_kind_accepts_method_auto(clouds, kind):
    x, y = clouds
    options = OPTIONS.get(kind, {})
    assert float(dv.divergence(x, y, kind, method="auto", **options)) == float(
        dv.divergence(x, y, kind, **options)
    )


def test_sinkhorn_divergence_takes_its_method_by_name(clouds):
    x, y = clouds
    named = dv.sinkhorn_divergence(x, y, eps=0.5, method="sinkhorn")
    assert named.method == "sinkhorn"
    assert float(named) == float(dv.sinkhorn_divergence(x, y, eps=0.5))
    with pytest.raises(MethodError, match="unknown method 'exact'.*'auto', 'sinkhorn'"):
        dv.sinkhorn_divergence(x, y, eps=0.5, method="exact")
