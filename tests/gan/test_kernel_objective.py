"""The MMD / energy objective: its loss is dv.mmd's U-statistic, its gradient the loss's."""

import numpy as np
import pytest

import divergences as dv
from divergences.gan.objectives import make_objective


@pytest.mark.parametrize(
    "name, options, kernel",
    [("mmd", {"bandwidth": 1.3}, "gaussian"),
     ("mmd", {"kernel": "laplacian", "bandwidth": 0.8}, "laplacian"),
     ("energy_distance", {}, "energy")],
)
def test_loss_and_gradient(name, options, kernel):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 2)), rng.normal(0.5, 1.0, size=(25, 2))
    objective = make_objective(name, **options)
    loss, grad, estimate = objective.generator_step(x, y, rng)
    assert objective.divergence == name and loss == estimate
    reference = dv.mmd(x, y, kernel=kernel, bandwidth=options.get("bandwidth")).value
    assert loss == pytest.approx(reference, abs=1e-13)
    # Central differences: truncation h^2 |f'''| ~ 1e-12 and rounding eps |f| / h ~ 1e-10.
    h, numeric = 1e-6, np.zeros_like(y)
    for j in range(len(y)):
        for k in range(2):
            up, down = y.copy(), y.copy()
            up[j, k] += h
            down[j, k] -= h
            numeric[j, k] = (objective.generator_step(x, up, rng)[0]
                             - objective.generator_step(x, down, rng)[0]) / (2 * h)
    assert np.abs(numeric - grad).max() < 1e-8
    assert np.abs(grad).max() > 1e-3  # not trivially zero
