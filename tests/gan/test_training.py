"""train(): the parallel-lines example, reproducibility, callbacks, history, errors."""

import sys

import numpy as np
import pytest

import divergences as dv
from divergences.exceptions import InvalidMeasureError, MethodError
from divergences.gan import (
    MLPGenerator,
    ParallelLinesGenerator,
    gaussian_ring,
    parallel_lines_divergences,
    parallel_lines_experiment,
    parallel_lines_target,
    train,
)

WASSERSTEIN_LIKE = ("wasserstein", "exact_ot", "sinkhorn", "sliced")
SATURATING = ("js", "kl")


@pytest.fixture(scope="module")
def experiment():
    return parallel_lines_experiment(WASSERSTEIN_LIKE + SATURATING, steps=100, batch_size=64, rng=0)


@pytest.mark.parametrize("name", WASSERSTEIN_LIKE)
def test_wasserstein_objectives_drive_theta_to_zero(experiment, name):
    theta = experiment.thetas[name]
    assert theta[0] == 1.0 and theta.shape == (101,)
    # W_1 = |theta| has slope 1: with gradient steps of 0.05, theta reaches 0 in
    # about 20 steps and then jitters by the batches' sampling noise.
    assert np.all(np.abs(theta[-20:]) < 0.1)


@pytest.mark.parametrize("name", SATURATING)
def test_optimal_discriminator_objectives_leave_theta_stuck(experiment, name):
    # JS = log 2 and KL = inf for every theta != 0: with a near-optimal
    # discriminator the gradient vanishes and theta does not move.
    theta = experiment.thetas[name]
    assert np.all(np.abs(theta - 1.0) < 0.02)


def test_js_estimate_saturates_at_log_2(experiment):
    assert np.all(experiment.estimates["js"] > 0.95 * np.log(2))


def test_experiment_summary_and_errors(experiment):
    table = experiment.summary()
    assert "| wasserstein | wasserstein | 1.000 |" in table
    with pytest.raises(MethodError, match="unknown objective"):
        parallel_lines_experiment(("tv",))
    with pytest.raises(TypeError, match="not among the objectives"):
        parallel_lines_experiment(("sliced",), js={"n_critic": 1})


def test_parallel_lines_divergences_table():
    table = parallel_lines_divergences([0.0, 0.6], n=300, critic_steps=300, discriminator_steps=200)
    np.testing.assert_array_equal(table["w_true"], [0.0, 0.6])
    assert table["js_true"][1] == np.log(2) and table["kl_true"][1] == np.inf
    # Exact OT between 300-point samples is within sampling noise of |theta|, the
    # critic within the 10% bar of the exact value, and a discriminator separates
    # the disjoint lines almost perfectly: JS at its bound, KL large.
    assert abs(table["w_exact"][1] - 0.6) < 0.05
    assert abs(table["w_critic"][1] - table["w_exact"][1]) < 0.1 * table["w_exact"][1]
    assert table["js_estimate"][1] > 0.95 * np.log(2) and table["kl_estimate"][1] > 3.0
    assert table["js_estimate"][0] < 0.05  # identical laws


def run(seed, steps=5, **options):
    generator = MLPGenerator(2, hidden=(16, 16), rng=seed)
    target = gaussian_ring(500, rng=seed)
    history = train(generator, target, steps=steps, batch_size=32, rng=seed, **options)
    return generator, history


@pytest.mark.parametrize("divergence", ["wasserstein", "js", "sinkhorn", "sliced", "exact_ot"])
def test_seed_reproduces_runs_exactly(divergence):
    g1, h1 = run(3, divergence=divergence)
    g2, h2 = run(3, divergence=divergence)
    assert all(np.array_equal(a, b) for a, b in zip(g1.params, g2.params))
    np.testing.assert_array_equal(h1.generator_loss, h2.generator_loss)
    np.testing.assert_array_equal(h1.estimate, h2.estimate)
    g3, _ = run(4, divergence=divergence)
    assert not np.array_equal(g1.params[0], g3.params[0])


def test_history_and_callbacks():
    seen = []

    def record(state):
        seen.append((state.step, state.fake.shape, state.history.steps))

    def stop_after_three(state):
        return state.step == 2

    generator = ParallelLinesGenerator(0.5)
    history = train(
        generator, parallel_lines_target(200, rng=0), divergence="sliced", steps=10,
        batch_size=16, rng=0, callbacks=[record, stop_after_three],
    )
    assert history.stopped_early and history.steps == 3
    assert seen == [(0, (16, 2), 1), (1, (16, 2), 2), (2, (16, 2), 3)]
    assert history.params.shape == (4, 1) and history.params[-1, 0] == generator.theta
    assert history.objective == "sliced" and history.divergence == "wasserstein"
    assert np.all(np.isnan(history.critic_loss))  # critic-free


def test_critic_statistics_are_recorded():
    _, history = run(0, steps=3, divergence="wasserstein", n_critic=2)
    assert history.objective == "wasserstein"
    assert {"loss", "penalty", "grad_norm", "estimate"} <= set(history.critic_stats[-1])
    assert history.params.shape[0] == 4  # 354 parameters: recorded by default


def test_large_generators_do_not_record_parameters_by_default():
    generator = MLPGenerator(2, hidden=(64, 64), rng=0)
    history = train(generator, gaussian_ring(100, rng=0), divergence="sliced", steps=2,
                    batch_size=8, rng=0)
    assert history.params is None


def test_mlp_generator_learns_a_gaussian():
    target = dv.Gaussian([2.0, -1.0], 0.05)
    generator = MLPGenerator(2, hidden=(16,), rng=0)
    before = dv.wasserstein(generator.sample(300, rng=1), target.sample(300, rng=2)).value
    train(generator, target, divergence="sliced", steps=150, batch_size=64, lr=1e-2, rng=0)
    after = dv.wasserstein(generator.sample(300, rng=1), target.sample(300, rng=2)).value
    # Started about 2.3 away; 150 steps bring it to within sampling noise of the
    # target's own spread (W_1 between two 300-point samples of it is ~0.05).
    assert before > 1.5 and after < 0.3


@pytest.mark.parametrize("available", [True, False])
def test_progress_bar_is_optional(monkeypatch, available):
    if not available:
        monkeypatch.setitem(sys.modules, "tqdm", None)
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    history = train(ParallelLinesGenerator(1.0), parallel_lines_target(50, rng=0),
                    divergence="sliced", steps=3, batch_size=8, rng=0, progress=True)
    assert history.steps == 3


def test_bad_configurations():
    target = parallel_lines_target(50, rng=0)
    generator = ParallelLinesGenerator(1.0)
    with pytest.raises(MethodError, match="unknown divergence 'hellinger'"):
        train(generator, target, divergence="hellinger", steps=1)
    with pytest.raises(InvalidMeasureError, match="dimension 3.*dimension 2"):
        train(generator, np.zeros((10, 3)), steps=1)
    with pytest.raises(TypeError, match="Generator"):
        train(lambda z: z, target, steps=1)
    with pytest.raises(TypeError, match="callbacks must be callables"):
        train(generator, target, steps=1, callbacks=[3])
    with pytest.raises(ValueError, match="steps"):
        train(generator, target, steps=0)
    with pytest.raises(ValueError, match="batch_size"):
        train(generator, target, steps=1, batch_size=1)
    with pytest.raises(TypeError, match="divergence='sliced'"):
        train(generator, target, divergence="sliced", steps=1, eps=0.1)
    with pytest.raises(ValueError, match="theta"):
        ParallelLinesGenerator(float("nan"))
