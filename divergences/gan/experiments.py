"""Ready-made experiments: the parallel-lines example and its toy data."""

import math
from dataclasses import dataclass, field

import numpy as np

from .._threads import single_threaded_blas
from .._validation import as_rng, check_positive, check_positive_int
from ..exceptions import MethodError
from .generators import ParallelLinesGenerator
from .objectives import JensenShannonGAN, objective_names
from .optim import SGD
from .training import train

__all__ = [
    "parallel_lines_target",
    "gaussian_ring",
    "parallel_lines_experiment",
    "parallel_lines_divergences",
    "ParallelLinesExperiment",
    "PARALLEL_LINES_SETTINGS",
]


def parallel_lines_target(n, *, rng=None):
    """``n`` points of P = law of ``(0, z)``, ``z ~ U[0, 1]``, shape ``(n, 2)``.

    Examples
    --------
    >>> parallel_lines_target(3, rng=0)[:, 0].tolist()
    [0.0, 0.0, 0.0]
    """
    n = check_positive_int(n, "n")
    z = as_rng(rng).uniform(0.0, 1.0, size=n)
    return np.column_stack([np.zeros(n), z])


def gaussian_ring(n, *, n_modes=8, radius=2.0, std=0.05, rng=None):
    """``n`` points of a mixture of ``n_modes`` Gaussians evenly spaced on a circle.

    The "8 Gaussians" toy dataset of the GAN literature (e.g. Gulrajani et al.
    2017): equal weights, isotropic components of standard deviation ``std``
    centred at ``radius * (cos 2 pi k / n_modes, sin 2 pi k / n_modes)``.

    Examples
    --------
    >>> gaussian_ring(5, rng=0).shape
    (5, 2)
    """
    n = check_positive_int(n, "n")
    n_modes = check_positive_int(n_modes, "n_modes")
    radius = check_positive(radius, "radius")
    std = check_positive(std, "std")
    rng = as_rng(rng)
    angle = 2.0 * math.pi * rng.integers(n_modes, size=n) / n_modes
    centres = radius * np.column_stack([np.cos(angle), np.sin(angle)])
    return centres + std * rng.standard_normal((n, 2))


#: Settings of each objective in :func:`parallel_lines_experiment`. The
#: discriminator-based ones get a long warm-up and many updates per generator
#: step, so that they stay close to the optimal discriminator the theory is about.
PARALLEL_LINES_SETTINGS = {
    "wasserstein": {"n_critic": 5, "warmup": 50},
    "wgan_clip": {"n_critic": 5, "warmup": 50},
    "exact_ot": {},
    "sinkhorn": {"eps": 0.05},
    "sliced": {},
    "js": {"n_critic": 5, "warmup": 300},
    "js_nonsaturating": {"n_critic": 5, "warmup": 300},
    "kl": {"n_critic": 5, "warmup": 300},
}

_DEFAULT_OBJECTIVES = ("wasserstein", "exact_ot", "sinkhorn", "sliced", "js", "kl")


@dataclass
class ParallelLinesExperiment:
    """The result of :func:`parallel_lines_experiment`.

    Attributes
    ----------
    thetas : dict of str -> ndarray
        theta before training and after each step, per objective.
    estimates : dict of str -> ndarray
        Each objective's estimate of its divergence per step.
    histories : dict of str -> History
    """

    thetas: dict = field(default_factory=dict)
    estimates: dict = field(default_factory=dict)
    histories: dict = field(default_factory=dict)

    def summary(self):
        """A markdown table: objective, divergence, initial and final theta."""
        rows = ["| objective | divergence | theta start | theta end |", "|---|---|---|---|"]
        for name, theta in self.thetas.items():
            divergence = self.histories[name].divergence
            rows.append(f"| {name} | {divergence} | {theta[0]:.3f} | {theta[-1]:.3f} |")
        return "\n".join(rows)


def parallel_lines_experiment(
    objectives=_DEFAULT_OBJECTIVES,
    *,
    theta0=1.0,
    steps=200,
    batch_size=128,
    lr=0.05,
    rng=0,
    progress=False,
    **overrides,
):
    """Train :class:`ParallelLinesGenerator` from ``theta0`` under several objectives.

    The target is P = law of ``(0, z)``; the generator's law is that of
    ``(theta, z)``. W_1 = ``|theta|`` gives a useful gradient everywhere, while
    JS is ``log 2`` and KL infinite for every ``theta != 0``, so their
    optimal-discriminator gradients vanish (Arjovsky et al. 2017, example 1).
    The generator takes plain gradient steps (``SGD``), so theta moves in
    proportion to the gradient it gets -- an adaptive optimiser such as Adam
    would rescale even a vanishing gradient to a full step.

    Parameters
    ----------
    objectives : sequence of str
        Names :func:`divergences.gan.train` takes (``objective_names()``); default Wasserstein
        critic (GP), exact OT, Sinkhorn, sliced, JS (saturating), KL.
    theta0 : float
        The starting theta.
    steps, batch_size : int
        Generator steps, and points per batch.
    lr : float
        The generator's gradient step.
    rng : int or numpy.random.Generator
        Seed; each objective gets its own child stream, so adding one does not
        change the others.
    progress : bool or callable
        Show progress bars (tqdm, where installed); or a callable, called as
        ``progress(name, index, total)`` before each objective trains (``index``
        from 0), for a progress report of one's own.
    **overrides : dict
        ``name={option: value}`` replaces entries of
        :data:`PARALLEL_LINES_SETTINGS` for that objective.

    Returns
    -------
    ParallelLinesExperiment

    Examples
    --------
    >>> result = parallel_lines_experiment(("exact_ot",), steps=40, batch_size=32)
    >>> result.thetas["exact_ot"].shape, bool(abs(result.thetas["exact_ot"][-1]) < 0.2)
    ((41,), True)
    """
    if isinstance(objectives, str):
        objectives = (objectives,)
    known = objective_names()
    unknown = [name for name in objectives if name not in known]
    if unknown:
        names = ", ".join(repr(n) for n in known)
        raise MethodError(f"unknown objective(s) {unknown}; choose from {names}.")
    for name in overrides:
        if name not in objectives:
            raise TypeError(f"settings given for {name!r}, which is not among the objectives.")
    seeds = np.random.SeedSequence(rng if not isinstance(rng, np.random.Generator) else
                                   rng.integers(2**63)).spawn(len(objectives))
    result = ParallelLinesExperiment()
    report, bars = (progress, False) if callable(progress) else (None, bool(progress))
    for index, (name, seed) in enumerate(zip(objectives, seeds)):
        if report is not None:
            report(name, index, len(objectives))
        stream = np.random.default_rng(seed)
        target = parallel_lines_target(max(4096, batch_size), rng=stream)
        generator = ParallelLinesGenerator(theta0)
        settings = {**PARALLEL_LINES_SETTINGS.get(name, {}), **overrides.get(name, {})}
        history = train(
            generator, target, divergence=name, steps=steps, batch_size=batch_size,
            optimizer=SGD(lr=lr), rng=stream, record_params=True, progress=bars, **settings,
        )
        result.thetas[name] = history.params[:, 0]
        result.estimates[name] = history.estimate
        result.histories[name] = history
    return result


def parallel_lines_divergences(thetas=None, *, n=500, critic_steps=300, discriminator_steps=300,
                               rng=0):
    """W_1, JS and KL between P and Q_theta: the library's estimates and the true values.

    For each theta, ``n`` points are drawn from P = law of ``(0, z)`` and from
    Q_theta = law of ``(theta, z)``. W_1 is computed exactly between the samples
    (``method="exact"``) and by the critic (``method="critic"``); JS and KL are
    estimated through a discriminator trained on the samples and evaluated on
    fresh ones: its logit estimates ``log p/q``, so ``(V + log 4)/2`` estimates
    JS and the mean logit on P estimates KL(P || Q). (The k-NN estimators do
    not apply: both laws are degenerate in the plane.)

    Parameters
    ----------
    thetas : array_like, optional
        Default: 9 values from -1 to 1.
    n : int
        Points per sample set.
    critic_steps, discriminator_steps : int
        Training steps of the critic and of the discriminator.
    rng : int or numpy.random.Generator

    Returns
    -------
    dict of str -> ndarray
        ``theta``, ``w_exact``, ``w_critic``, ``w_true`` (``|theta|``),
        ``js_estimate``, ``js_true`` (``log 2``, 0 at theta = 0),
        ``kl_estimate``, ``kl_true`` (``inf``, 0 at theta = 0); JS and KL in nats.

    Examples
    --------
    >>> table = parallel_lines_divergences([0.5], n=200, critic_steps=50,
    ...                                    discriminator_steps=50)
    >>> round(float(table["w_exact"][0]), 1), float(table["js_true"][0]) == math.log(2)
    (0.5, True)
    """
    from .._wasserstein import wasserstein

    thetas = np.linspace(-1.0, 1.0, 9) if thetas is None else np.atleast_1d(
        np.asarray(thetas, dtype=np.float64))
    n = check_positive_int(n, "n")
    rng = as_rng(rng)
    columns = {key: [] for key in ("w_exact", "w_critic", "js_estimate", "kl_estimate")}
    for theta in thetas:
        x = parallel_lines_target(n, rng=rng)
        y = parallel_lines_target(n, rng=rng) + [theta, 0.0]
        columns["w_exact"].append(wasserstein(x, y, method="exact").value)
        columns["w_critic"].append(
            wasserstein(x, y, method="critic", steps=critic_steps, rng=rng).value
        )
        js, kl = _discriminator_estimates(x, y, theta, discriminator_steps, rng)
        columns["js_estimate"].append(js)
        columns["kl_estimate"].append(kl)
    singular = thetas != 0
    return {
        "theta": thetas,
        **{key: np.asarray(value) for key, value in columns.items()},
        "w_true": np.abs(thetas),
        "js_true": np.where(singular, math.log(2.0), 0.0),
        "kl_true": np.where(singular, math.inf, 0.0),
    }


def _discriminator_estimates(x, y, theta, steps, rng):
    objective = JensenShannonGAN(hidden=(32, 32), lr=3e-3)
    objective.setup(x.shape[1], rng)
    with single_threaded_blas():
        for _ in range(steps):
            objective.critic_step(
                x[rng.integers(len(x), size=128)], y[rng.integers(len(y), size=128)], rng
            )
    # Fresh points: the discriminator has seen x and y.
    x_test = parallel_lines_target(len(x), rng=rng)
    y_test = parallel_lines_target(len(y), rng=rng) + [theta, 0.0]
    js = min(max(0.5 * (objective.value(x_test, y_test) + math.log(4.0)), 0.0), math.log(2.0))
    kl = max(float(np.mean(objective.critic(x_test))), 0.0)
    return js, kl
