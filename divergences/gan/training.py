"""One training loop for every objective: :func:`train`."""

from dataclasses import dataclass, field

import numpy as np

from .._progress import progress_bar
from .._threads import single_threaded_blas
from .._validation import as_rng, check_positive_int
from ..exceptions import InvalidMeasureError
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
        True when a callback asked to stop.
    """

    objective: str
    divergence: str
    generator_loss: list = field(default_factory=list)
    critic_loss: list = field(default_factory=list)
    estimate: list = field(default_factory=list)
    params: list | None = field(default_factory=list)
    critic_stats: list = field(default_factory=list)
    stopped_early: bool = False

    def _finish(self):
        self.generator_loss = np.asarray(self.generator_loss, dtype=np.float64)
        self.critic_loss = np.asarray(self.critic_loss, dtype=np.float64)
        self.estimate = np.asarray(self.estimate, dtype=np.float64)
        if self.params is not None:
            self.params = np.asarray(self.params, dtype=np.float64)
        return self

    @property
    def steps(self):
        """Number of generator steps taken."""
        return len(self.generator_loss)

    def __repr__(self):
        last = f", last estimate={self.estimate[-1]:.4g}" if len(self.estimate) else ""
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
        ``"energy_distance"``, ``"mmd"`` (U-statistic between the batches) --
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
    progress : bool
        Show a tqdm progress bar (silently none if tqdm is not installed).
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
    if isinstance(optimizer, str):
        options = {"lr": lr, "betas": betas} if optimizer.lower() == "adam" else {"lr": lr}
        gen_optimizer = make_optimizer(optimizer, **options)
    else:
        gen_optimizer = make_optimizer(optimizer)
    rng = as_rng(rng)
    objective.setup(generator.dim, rng)

    n_params = sum(np.size(p) for p in generator.params)
    if record_params is None:
        record_params = n_params <= 1000
    history = History(objective=objective.name, divergence=objective.divergence)
    if record_params:
        history.params.append(generator.get_params())
    else:
        history.params = None

    def batches():
        real = target.sample(batch_size, rng)
        z = generator.sample_latent(batch_size, rng)
        return real, z, generator(z)

    with single_threaded_blas():
        for _ in range(objective.warmup):
            real, _, fake = batches()
            objective.critic_step(real, fake, rng)

        bar = progress_bar(steps, f"train ({objective.name})") if progress else None
        try:
            for step in range(steps):
                stats = {}
                for _ in range(objective.n_critic):
                    real, _, fake = batches()
                    stats = objective.critic_step(real, fake, rng)
                real, z, fake = batches()
                loss, grad_fake, estimate = objective.generator_step(real, fake, rng)
                gen_optimizer.step(generator.params, generator.vjp(z, grad_fake))

                history.generator_loss.append(loss)
                history.critic_loss.append(stats.get("loss", np.nan))
                history.estimate.append(estimate)
                history.critic_stats.append(stats)
                if record_params:
                    history.params.append(generator.get_params())
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(estimate=f"{estimate:.4g}", refresh=False)
                state = TrainingState(step, generator, objective, history, real, fake)
                # Every callback runs, even after one has asked to stop.
                if [callback(state) for callback in callbacks].count(True):
                    history.stopped_early = True
                    break
        finally:
            if bar is not None:
                bar.close()
    return history._finish()

