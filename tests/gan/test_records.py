"""Honest training records: the exact-W1 probe, labelled estimates, divergence warnings."""

import numpy as np
import pytest

import divergences as dv
from divergences.gan import History, MLPGenerator, ParallelLinesGenerator, parallel_lines_target, train
from divergences.gan.objectives import Objective, SlicedObjective


def test_probe_records_exact_w1_on_fixed_samples():
    # theta = 1 against the line at 0: exact W1 between the probe samples is |theta|
    # up to the two 200-point samples' noise (W1 between two samples of the line,
    # the floor, is ~0.03); after 40 steps of 0.05 theta is within noise of 0.
    generator = ParallelLinesGenerator(1.0)
    history = train(generator, parallel_lines_target(2000, rng=0), divergence="sliced",
                    steps=40, batch_size=64, optimizer=dv.gan.SGD(lr=0.05), rng=0,
                    probe_every=20, probe_size=200)
    np.testing.assert_array_equal(history.probe_steps, [0, 20, 40])
    assert abs(history.probe_w1[0] - 1.0) < 3 * history.probe_floor
    assert history.probe_w1[-1] < abs(generator.theta) + 3 * history.probe_floor
    assert 0 < history.probe_floor < 0.1
    assert "exact W1" in repr(history)


def test_probing_does_not_change_the_run():
    runs = []
    for probe_every in (None, 3):
        generator = MLPGenerator(2, hidden=(8,), rng=0)
        train(generator, dv.datasets.gaussian_ring(300, rng=0), divergence="sliced", steps=6,
              batch_size=16, rng=0, probe_every=probe_every, probe_size=50)
        runs.append(generator.get_params())
    np.testing.assert_array_equal(*runs)


def test_probe_records_the_last_step_when_not_a_multiple():
    history = train(ParallelLinesGenerator(0.2), parallel_lines_target(200, rng=0),
                    divergence="sliced", steps=5, batch_size=16, rng=0, probe_every=2,
                    probe_size=50)
    np.testing.assert_array_equal(history.probe_steps, [0, 2, 4, 5])
    assert train(ParallelLinesGenerator(0.2), parallel_lines_target(50, rng=0), steps=1,
                 divergence="sliced", batch_size=8, rng=0).probe_w1.shape == (0,)
    with pytest.raises(ValueError, match="probe_every"):
        train(ParallelLinesGenerator(0.2), parallel_lines_target(50, rng=0), steps=1,
              probe_every=0)


def test_critic_estimate_is_labelled_and_negative_values_counted():
    history = History("wasserstein", "wasserstein", estimate=[0.3, -0.1, 0.2, -0.05])
    assert history.negative_estimates == 2
    assert "2 negative estimates" in repr(history._finish())
    label = dv.gan.WassersteinCritic.estimate_label
    assert "lower bound" in label and "not a distance" in label
    run = train(ParallelLinesGenerator(0.5), parallel_lines_target(200, rng=0), steps=2,
                batch_size=16, rng=0, divergence="wasserstein")
    assert run.estimate_label == label


class _Exploding(Objective):
    """Returns a gradient that turns non-finite at the third step."""

    name, divergence = "exploding", "none"

    def __init__(self):
        self.calls = 0

    def generator_step(self, real, fake, rng):
        self.calls += 1
        value = np.inf if self.calls == 3 else 1.0
        return 1.0, np.full_like(fake, value), 1.0


def test_non_finite_training_warns_and_stops():
    generator = ParallelLinesGenerator(0.5)
    with pytest.warns(dv.ConvergenceWarning, match="diverged at step 2"):
        history = train(generator, parallel_lines_target(50, rng=0), divergence=_Exploding(),
                        steps=10, batch_size=8, rng=0)
    assert history.diverged and history.stopped_early and history.steps == 3
    assert np.isfinite(generator.theta)  # the bad update was not applied


class _Ascent(SlicedObjective):
    """Sliced W2 ascended instead of descended: moves the generator away."""

    def generator_step(self, real, fake, rng):
        loss, grad, estimate = super().generator_step(real, fake, rng)
        return loss, -grad, estimate


def test_rising_exact_w1_warns():
    with pytest.warns(dv.ConvergenceWarning, match="training is diverging"):
        train(ParallelLinesGenerator(0.1), parallel_lines_target(500, rng=0),
              divergence=_Ascent(), steps=40, batch_size=32, rng=0,
              optimizer=dv.gan.SGD(lr=0.5), probe_every=10, probe_size=100)


def test_cosine_schedule_and_timings():
    from divergences.gan.training import _cosine

    assert _cosine(0, 100) == 1.0 and _cosine(99, 100) == pytest.approx(0.01)
    assert _cosine(49.5, 100) == pytest.approx(0.505)
    history = train(ParallelLinesGenerator(0.5), parallel_lines_target(100, rng=0),
                    divergence="sliced", steps=4, batch_size=8, rng=0, lr_schedule="cosine")
    assert history.seconds > 0 and history.ms_per_step > 0 and history.cpu_seconds >= 0
    with pytest.raises(ValueError, match="lr_schedule"):
        train(ParallelLinesGenerator(0.5), parallel_lines_target(50, rng=0), steps=1,
              divergence="sliced", lr_schedule="linear")
