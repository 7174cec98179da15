"""One training loop for every objective: :func:`train`."""

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._progress import tqdm_bar
from .._threads import single_threaded_blas
from .._validation import as_rng, check_positive_int
from ..exceptions import ConvergenceWarning, InvalidMeasureError
from ..measures import as_measure
from .generators import Generator
from .objectives import make_objective
from .optim import make_optimizer

__all__ = ["train", "History", "TrainingState"]


@dataclass
class History:
    """What happened during :func:`train`, one entry per generator step.

    Attributes
    ----------
    objective : str
        The objective's name (``"js"``, ``"wasserstein"``, ``"sinkhorn"``, ...).
    divergence : str
        What ``estimate`` estimates.
    generator_loss : ndarray, shape (steps,)
    critic_loss : ndarray, shape (steps,)
        The last critic loss before each generator step (NaN without a critic).
    estimate : ndarray, shape (steps,)
        The objective's estimate of the divergence on that step's batches.
    params : ndarray, shape (steps + 1, n_params) or None
        The generator's parameters before the first step and after every step
        (``None`` when not recorded).
    critic_stats : list of dict
        The critic's last statistics per step (penalty, gradient norm, ...).
    stopped_early : bool
        True when a callback asked to stop, or training diverged.
    estimate_label : str
        What ``estimate`` is, in words. For the Wasserstein critic it is
        ``E_P f - E_Q f`` on a fresh batch: a lower bound of W_1 while the
        critic is 1-Lipschitz, and no distance at all when negative (see
        :attr:`negative_estimates`); plot :attr:`probe_w1` to see distances.
    probe_steps : ndarray of int
        Generator steps taken when the exact-W_1 probe ran (with
        ``probe_every=``; empty otherwise): 0, every ``probe_every`` steps,
        and the last step.
    probe_w1 : ndarray
        Exact W_1 between ``probe_size`` generated points (from one latent
        sample fixed for the run) and ``probe_size`` target points drawn at
        the start.
    probe_floor : float
        Exact W_1 between two independent target samples of ``probe_size``
        points: what a perfect generator would show (NaN without probes).
    diverged : bool
        True when training produced non-finite values and was stopped (a
        :class:`~divergences.exceptions.ConvergenceWarning` says where).
    seconds : float
        Wall time of the training loop, probes excluded.
    cpu_seconds : float
        CPU time of the process over the same spans (all its threads): on a
        shared machine, a measure of the work that does not depend on the load.
    """

    objective: str
    divergence: str
    generator_loss: list = field(default_factory=list)
    critic_loss: list = field(default_factory=list)
    estimate: list = field(default_factory=list)
    params: list | None = field(default_factory=list)
    critic_stats: list = field(default_factory=list)
    stopped_early: bool = False
    estimate_label: str = ""
    probe_steps: list = field(default_factory=list)
    probe_w1: list = field(default_factory=list)
    probe_floor: float = math.nan
    diverged: bool = False
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def _finish(self):
        self.generator_loss = np.asarray(self.generator_loss, dtype=np.float64)
        self.critic_loss = np.asarray(self.critic_loss, dtype=np.float64)
        self.estimate = np.asarray(self.estimate, dtype=np.float64)
        self.probe_steps = np.asarray(self.probe_steps, dtype=np.int64)
        self.probe_w1 = np.asarray(self.probe_w1, dtype=np.float64)
        if self.params is not None:
            self.params = np.asarray(self.params, dtype=np.float64)
        return self

    @property
    def negative_estimates(self):
        """How many steps' estimates were below 0.

        For the Wasserstein critic such a step's critic ranked the generated
        points above the real ones: its ``E_P f - E_Q f`` bounds nothing, and
        it is not a distance. (The discriminator and transport objectives
        report values clipped at 0, so they never count here.)
        """
        return int(np.sum(np.asarray(self.estimate) < 0))

    @property
    def ms_per_step(self):
        """Milliseconds per generator step (critic updates included), probes excluded."""
        return 1000.0 * self.seconds / max(self.steps, 1)

    @property
    def steps(self):
        """Number of generator steps taken."""
        return len(self.generator_loss)

    def __repr__(self):
        last = f", last estimate={self.estimate[-1]:.4g}" if len(self.estimate) else ""
        if len(self.probe_w1):
            last += f", exact W1={self.probe_w1[-1]:.4g} (floor {self.probe_floor:.4g})"
        if self.negative_estimates:
            last += f", {self.negative_estimates} negative estimates"
        if self.diverged:
            last += ", diverged"
        return f"History({self.objective}: {self.steps} steps{last})"


@dataclass
class TrainingState:
    """What a callback sees after each generator step."""

    step: int
    generator: Generator
    objective: object
    history: History
    real: np.ndarray
    fake: np.ndarray


def train(
    generator,
    target,
    *,
    divergence="wasserstein",
    steps=1000,
    batch_size=256,
    rng=None,
    callbacks=(),
    optimizer="adam",
    lr=1e-3,
    betas=(0.5, 0.9),
    record_params=None,
    progress=False,
    probe_every=None,
    probe_size=1000,
    lr_schedule=None,
    **objective_options,
):
    """Train ``generator`` so that its law approaches ``target`` in a divergence.

    Parameters
    ----------
    generator : Generator
        E.g. :class:`~divergences.gan.ParallelLinesGenerator` or
        :class:`~divergences.gan.MLPGenerator`; its parameters are updated in
        place.
    target : Measure, array_like or frozen scipy.stats distribution
        The target law P: samples (resampled with replacement into batches)
        or a density (sampled).
    divergence : str or Objective
        A name of :data:`divergences.DIVERGENCES` -- ``"kl"``, ``"js"``,
        ``"js_distance"``, ``"wasserstein"`` (WGAN-GP critic), ``"sinkhorn"``,
        ``"energy_distance"``, ``"mmd"`` (U-statistic between the batches), or
        any registered divergence: the objective its registry record names
        (``gan_objective``) --
        or of a variant in :data:`divergences.gan.OBJECTIVES`:
        ``"js_nonsaturating"``, ``"kl_reverse"``, ``"wgan_gp"``,
        ``"wgan_clip"``, ``"exact_ot"``, ``"sliced"``; or an
        :class:`~divergences.gan.objectives.Objective` instance.
    steps : int
        Generator updates.
    batch_size : int
        Points per batch, real and generated alike.
    rng : int or numpy.random.Generator, optional
        The single source of randomness (critic initialisation, batches,
        interpolates, projections): the same seed gives the same run.
    callbacks : sequence of callables
        Called as ``callback(state)`` with a :class:`TrainingState` after each
        generator step; a callback returning ``True`` stops training.
    optimizer, lr, betas
        The generator's optimiser: ``"adam"`` (with ``lr``, ``betas``),
        ``"rmsprop"``, ``"sgd"`` (with ``lr``) or an optimiser instance.
    record_params : bool, optional
        Keep the generator's parameters after every step in
        ``history.params``. By default only for generators with at most 1000
        parameters.
    lr_schedule : {None, "cosine"}
        ``"cosine"`` lowers the generator's step size from ``lr`` to
        ``lr / 100`` along a half cosine over the run (Loshchilov & Hutter
        2017): the last steps then refine the samples instead of jittering
        them by the batches' noise, which measured decisive for placing points
        within 3 sd of tight modes (``benchmarks/bench_gan.py``). The critic's
        optimiser keeps its own step.
    progress : bool
        Show a tqdm progress bar (silently none if tqdm is not installed).
    probe_every : int, optional
        Every this many steps (and before the first and after the last),
        record in ``history.probe_w1`` the exact W_1 between ``probe_size``
        generated and ``probe_size`` target points -- the same yardstick for
        every objective, whatever its own estimate measures. A probe costs an
        exact solve (about 0.1 s at 1,000 points) and is not timed in
        ``history.seconds``. A probe that rises above twice both the best
        probe so far and the floor warns (``ConvergenceWarning``): training is
        moving away from its target.
    probe_size : int
        Points per probe sample (default 1,000).
    **objective_options
        Options of the objective, e.g. ``generator_loss="non_saturating"``
        for ``"js"``, ``penalty="one_sided"`` or ``n_critic=`` for
        ``"wasserstein"``, ``eps=`` for ``"sinkhorn"``.

    Returns
    -------
    History

    Raises
    ------
    MethodError
        For an unknown divergence.
    InvalidMeasureError
        When the target's dimension is not the generator's.

    Warns
    -----
    ConvergenceWarning
        When training diverges: a loss, a gradient or a generated point that
        is not finite stops training (``history.diverged``); with probes,
        exact W_1 rising far above its best (see ``probe_every``).

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> g = dv.gan.ParallelLinesGenerator(1.0)
    >>> target = np.column_stack([np.zeros(500), np.random.default_rng(0).uniform(size=500)])
    >>> h = dv.gan.train(g, target, divergence="exact_ot", steps=60, batch_size=64,
    ...                  lr=0.05, rng=0)
    >>> abs(g.theta) < 0.2, h.params.shape
    (True, (61, 1))
    """
    if not isinstance(generator, Generator):
        raise TypeError(
            "generator must be a divergences.gan Generator (ParallelLinesGenerator, "
            f"MLPGenerator, ...), got {type(generator).__name__}."
        )
    target = as_measure(target, "target")
    if target.dim != generator.dim:
        raise InvalidMeasureError(
            f"target has points of dimension {target.dim}, but the generator makes points of "
            f"dimension {generator.dim}; give a generator with dim={target.dim}."
        )
    if target.kind == "histogram" and target.support is None:
        raise InvalidMeasureError("target is a histogram without support points; give support=.")
    steps = check_positive_int(steps, "steps")
    batch_size = check_positive_int(batch_size, "batch_size")
    if batch_size < 2:
        raise ValueError("batch_size must be at least 2.")
    for callback in callbacks:
        if not callable(callback):
            raise TypeError(f"callbacks must be callables, got {callback!r}.")
    objective = make_objective(divergence, **objective_options)
    if probe_every is not None:
        probe_every = check_positive_int(probe_every, "probe_every")
    probe_size = check_positive_int(probe_size, "probe_size")
    if lr_schedule not in (None, "cosine"):
        raise ValueError(f"lr_schedule must be None or 'cosine', got {lr_schedule!r}.")
    if isinstance(optimizer, str):
        options = {"lr": lr, "betas": betas} if optimizer.lower() == "adam" else {"lr": lr}
        gen_optimizer = make_optimizer(optimizer, **options)
    else:
        gen_optimizer = make_optimizer(optimizer)
    base_lr = gen_optimizer.lr
    rng = as_rng(rng)
    objective.setup(generator.dim, rng)

    n_params = sum(np.size(p) for p in generator.params)
    if record_params is None:
        record_params = n_params <= 1000
    history = History(objective=objective.name, divergence=objective.divergence,
                      estimate_label=objective.estimate_label)
    if record_params:
        history.params.append(generator.get_params())
    else:
        history.params = None
    probe = None
    if probe_every is not None:
        probe = _Probe(target, generator, probe_size, _side_stream(rng))
        history.probe_floor = probe.floor

    def batches():
        real = target.sample(batch_size, rng)
        z = generator.sample_latent(batch_size, rng)
        return real, z, generator(z)

    clock = _Clock()
    with single_threaded_blas():
        if probe is not None:
            probe.record(0, history)
        with clock:
            for _ in range(objective.warmup):
                real, _, fake = batches()
                objective.critic_step(real, fake, rng)

        bar = tqdm_bar(total=steps, desc=f"train ({objective.name})") if progress else None
        try:
            for step in range(steps):
                with clock:
                    stats = {}
                    for _ in range(objective.n_critic):
                        real, _, fake = batches()
                        stats = objective.critic_step(real, fake, rng)
                    real = target.sample(batch_size, rng)
                    z = generator.sample_latent(batch_size, rng)
                    fake, cache = generator.forward(z)
                    loss, grad_fake, estimate = objective.generator_step(real, fake, rng)
                    problem = _non_finite(loss, grad_fake, fake)
                    if problem is None:
                        if lr_schedule == "cosine":
                            gen_optimizer.lr = base_lr * _cosine(step, steps)
                        gen_optimizer.step(generator.params,
                                           generator.vjp_from(z, grad_fake, cache))

                history.generator_loss.append(loss)
                history.critic_loss.append(stats.get("loss", np.nan))
                history.estimate.append(estimate)
                history.critic_stats.append(stats)
                if record_params:
                    history.params.append(generator.get_params())
                if problem is not None:
                    warnings.warn(
                        f"train: training diverged at step {step} ({objective.name}): {problem}; "
                        f"stopped. Lower the learning rates (lr={lr:g} for the generator).",
                        ConvergenceWarning,
                        stacklevel=2,
                    )
                    history.diverged = history.stopped_early = True
                    break
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(estimate=f"{estimate:.4g}", refresh=False)
                if probe is not None and (step + 1) % probe_every == 0:
                    probe.record(step + 1, history)
                state = TrainingState(step, generator, objective, history, real, fake)
                # Every callback runs, even after one has asked to stop.
                if [callback(state) for callback in callbacks].count(True):
                    history.stopped_early = True
                    break
        finally:
            if bar is not None:
                bar.close()
        if probe is not None and not history.diverged and (
            not history.probe_steps or history.probe_steps[-1] != history.steps
        ):
            probe.record(history.steps, history)
    history.seconds, history.cpu_seconds = clock.total, clock.cpu
    return history._finish()


def _cosine(step, steps, floor=0.01):
    """The step-size factor of a half-cosine schedule from 1 to ``floor``."""
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * step / max(steps - 1, 1)))


def _side_stream(rng):
    """A random stream for the probes that leaves ``rng``'s own draws untouched.

    Spawned from ``rng``'s seed sequence (which does not advance ``rng``), so
    that a run with probes takes the same steps as one without.
    """
    seed_seq = getattr(rng.bit_generator, "seed_seq", None)
    if seed_seq is None:  # a bit generator built from a bare state
        return np.random.default_rng(0)
    return np.random.default_rng(seed_seq.spawn(1)[0])


class _Clock:
    """Accumulates the wall and CPU time (all threads) spent inside ``with clock:`` blocks."""

    def __init__(self):
        self.total = 0.0
        self.cpu = 0.0

    def __enter__(self):
        self._start = time.perf_counter()
        self._cpu = time.process_time()

    def __exit__(self, *exc):
        self.total += time.perf_counter() - self._start
        self.cpu += time.process_time() - self._cpu
        return False


def _non_finite(loss, grad, fake):
    """What is not finite among the step's loss, gradient and points, or None."""
    if not np.all(np.isfinite(fake)):
        return "the generated points are not finite"
    if not math.isfinite(float(loss)):
        return f"the loss is {float(loss)}"
    if not np.all(np.isfinite(grad)):
        return "the gradient is not finite"
    return None


class _Probe:
    """Exact W_1 between generated and target points, at fixed samples (see ``probe_every``)."""

    def __init__(self, target, generator, size, rng):
        from .._wasserstein import wasserstein

        self._wasserstein = wasserstein
        self.target = target.sample(size, rng)
        self.floor = wasserstein(self.target, target.sample(size, rng), method="exact").value
        self.latent = generator.sample_latent(size, rng)
        self.generator = generator

    def record(self, step, history):
        fake = self.generator(self.latent)
        w1 = (self._wasserstein(fake, self.target, method="exact").value
              if np.all(np.isfinite(fake)) else math.inf)
        best = min(history.probe_w1, default=math.inf)
        history.probe_steps.append(step)
        history.probe_w1.append(w1)
        if w1 > 2.0 * best and w1 > 2.0 * self.floor:
            warnings.warn(
                f"train: exact W1 rose to {w1:.3g} at step {step}, more than twice its best "
                f"{best:.3g} and the floor {self.floor:.3g}: training is diverging "
                f"({history.objective}); lower the learning rates or stop earlier.",
                ConvergenceWarning,
                stacklevel=3,
            )
