"""Every objective on the 2-D benchmarks, with settings chosen by measurement.

:func:`toy_experiment` trains an :class:`~divergences.gan.MLPGenerator` on one
of :data:`~divergences.gan.TOY_DATASETS` (the 8-Gaussians ring, the
25-Gaussians grid, two moons, the swiss roll) against one objective, with the
settings of :data:`TOY_SETTINGS`, and measures the result with
:func:`~divergences.gan.quality` -- the same yardstick for every objective.
``benchmarks/bench_gan.py`` runs the whole table and ``notebooks/gan_toy.ipynb``
draws it.

The settings and why (measured with ``benchmarks/bench_gan.py`` and the sweeps
described in :data:`TOY_SETTINGS`, on a shared 2-core machine):

* the generator: 2-D normal latent, three hidden ReLU layers of 128 -- the
  WGAN-GP toy generator (Gulrajani et al. 2017) at a quarter of its width (512),
  for the time budget of a few minutes on 2 cores; the wider one was not
  compared;
* Adam with ``betas=(0.5, 0.9)`` for generator and critics (WGAN-GP), and a
  cosine decay of the generator's step to 1% over the run: the jitter that a
  constant step leaves is of the order of the modes' 3 sd, and the decay
  removed it (see ``lr_schedule`` of :func:`~divergences.gan.train`);
* per objective, see the comments in :data:`TOY_SETTINGS`.
"""

from dataclasses import dataclass

import numpy as np

from .._validation import as_rng, check_positive_int
from ..exceptions import MethodError
from .generators import MLPGenerator
from .metrics import TOY_DATASETS, quality
from .objectives import make_objective
from .training import train

__all__ = ["GENERATOR", "TOY_SETTINGS", "ToyRun", "toy_experiment", "toy_settings"]

#: The generator of every toy run (see the module docstring).
GENERATOR = {"latent_dim": 2, "hidden": (128, 128, 128), "activation": "relu"}

_COMMON = {"batch_size": 256, "betas": (0.5, 0.9), "lr_schedule": "cosine"}

#: Settings per objective: those of :func:`~divergences.gan.train` (``steps``,
#: ``batch_size``, ``lr``, ``betas``, ``lr_schedule``, ``optimizer``: the
#: generator's), ``critic_lr`` (the critic's or discriminator's step), the
#: objective's own options, ``generator``: entries replacing those of
#: :data:`GENERATOR`, and ``datasets``: per data set, the settings that
#: replace these where a data set measured better with others.
TOY_SETTINGS = {
    # The classic GAN, as in Goodfellow et al. (2014): one discriminator step per
    # generator step. Its failure modes are the point (see the notebook).
    # Reproducibility: a seed gives bit-identical runs on one machine, whatever the
    # hash seed or numba's thread count (tests/gan/test_toy.py), but not on another
    # CPU. Two executions of the notebook (2 December 2026) gave js on the ring, 300
    # steps, W1 1.1134 and 1.1821 from the same code and seed (kl 1.2833 and 1.3152;
    # js_nonsaturating 1.0850 both times). Neither threads, hash seed, heap layout nor
    # the notebook kernel changed it; OpenBLAS's kernels did: this AMD EPYC gets its
    # Haswell kernels (1.1821), and OPENBLAS_CORETYPE=SkylakeX reproduces the other
    # run exactly (1.1134, and kl's 1.2833 with its divergence warning) -- that run
    # was on an AVX-512 Intel machine. Products differ there in the last bits, and
    # the saturating loss, whose gradient -sigmoid(h) is tiny where D rejects and is
    # then rescaled by Adam, amplifies them; numpy's own SIMD loops do the same
    # (NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL": 1.1151). So the js and kl
    # numbers of the notebook and README are one machine's: benchmarks/bench_gan.py
    # prints the CPU and kernels beside its table.
    "js": {**_COMMON, "steps": 3000, "lr": 1e-3, "n_critic": 1, "lr_schedule": None},
    "js_nonsaturating": {**_COMMON, "steps": 3000, "lr": 1e-3, "n_critic": 1,
                         "lr_schedule": None},
    "kl": {**_COMMON, "steps": 3000, "lr": 1e-3, "n_critic": 1, "lr_schedule": None},
    # WGAN-GP: five critic steps per generator step, lambda = 10 (Gulrajani et al.).
    # Their step sizes (1e-4 for both) left the ring at 8x the floor after 2,000 steps;
    # a critic ten times faster than the generator tracks it: generator 3e-4, critic
    # 3e-3 measured 3.1x the floor, 8/8 modes, 48% high quality after 3,000 steps;
    # equal steps of 1e-3 gave 6.2x and 2/8 modes. 8,000 steps (114 CPU-seconds):
    # W1 0.173 on the ring, 2.0x the mean floor (0.085), 8/8 modes, 82% high quality;
    # 12,000 steps (183 CPU-s, another seed): 0.122, 1.4x, 8/8, 86%; seeds 0, 1, 2
    # (2 December 2026, load average 5-21): 1.96, 1.21, 1.29x, 8/8 each, 84, 85, 84%,
    # 197-198 CPU-s. On the grid (seed 0, 12,000 steps) this setting measured 3.93x,
    # 9/25 modes, 23% high quality (131 CPU-s), its exact W1 flat at 0.68 from step
    # 6,000 on; three times both steps (9e-4, 9e-3): 5.09x, 0/25. The moons' critic
    # (3 x 128 ReLU, one-sided penalty, kinks on the data; see below) at the ring's
    # generator step, 12,000 steps: critic lr 3e-3 2.20x, 22/25, 48%; critic lr 1e-3
    # 1.99x, 21/25, 52% (344 CPU-s, over the 5-minute budget; exact W1 on the probe
    # 0.53, 0.47, 0.43, 0.43 every 3,000 steps; seed 1 1.50x, 24/25, 57%, 481 CPU-s at
    # load average 2-4), the grid's setting below: the kinks
    # matter here as on the moons, 25 modes spread over [-4, 4]^2 far from the origin
    # where zero biases put every kink. Not yet at the ring's goals. On the moons it
    # does not settle: 8,000 steps ended at 0.27 (6.7x), exact W1 swinging 0.3-0.8.
    # Two critic steps instead of five, for 15,000 generator steps in the same time,
    # did worse (ring 2.6x, 68%; moons 6.7x, its exact W1 rising again late).
    # The moons, diagnosed (seed 0, 3,000-8,000 steps; exact W1 over the 2,000-point
    # floor 0.044). (1) The generator's step: with Adam every parameter moves by about
    # lr whatever the gradient's size. At lr 1e-4 (the paper's step for generator and
    # critic, with a 3 x 128 ReLU critic: 7.0x after 3,000 steps) the generated points
    # moved 0.07-0.13 per step (a fixed latent sample) -- faster than the critic can
    # follow: over half of its fresh-batch estimates E_P f - E_Q f were negative while
    # exact W1 was 0.6-1.6; with the critic at 1e-3, 4.2x after 3,000 steps but 6.1x
    # after 8,000 (5,030 negative estimates).
    # At lr 1e-5 they move 0.005-0.01 a step, no estimate is negative, and W1 falls
    # steadily -- to a plateau: 8,000 steps, seeds 0, 1, 2: 4.6x, 5.0x, 4.3x the
    # floor (109-115 CPU-s). (2) The plateau is the critic's: with
    # the generator frozen there (exact W1 0.21), a critic trained from scratch for
    # 1,000 steps reaches E_P f - E_Q f = 0.056 (27% of W1) and its gradient's cosine
    # with the exact transport direction T(y) - y averages 0.18; wider critics (2 x 128,
    # 3 x 256) 0.065-0.071 (cosine 0.22), 3,000 steps 0.076, batch 1,024 0.059, the
    # one-sided penalty 0.096 (0.41), lambda = 1 0.095 (0.32). The generated moons stay
    # a diffuse cloud around the thin target (noise 0.05), and no variant trained past
    # it (lr 2e-5, 4,000 steps: lambda = 1 4.4x, one-sided 4.2x, 2 x 128 critic 5.6x,
    # ELU critic 7.1x; 20 critic steps per generator step, 3,000 steps, 4.8x).
    # (3) The critic's kinks: from zero first-layer biases every unit of a ReLU critic
    # bends through the origin, while the W_1 critic of the moons bends along the thin
    # curves. Putting each kink through a data point (bias_init="data",
    # MLP.place_kinks) fixed most of the critic's shortfall. Frozen generator: the
    # moons blurred by noise 0.15 (exact W_1 about 0.095 at 4,000 points), 3 x 128
    # critic, 1,000 steps at 1e-3, seeds 0, 1, 2 (bench_gan.py --fidelity; estimate /
    # exact W_1, mean cosine of grad f with the transport direction):
    #   zero biases: ReLU + GP 19, 15, -1% (cos 0.17, 0.13, 0.00); ReLU + one-sided 25,
    #     43, 22% (0.31, 0.48, 0.20); leaky + GP 1, 14, -2%; leaky + one-sided 17, 34, 19%;
    #   kinks on the data: ReLU + GP 33, 41, 37%; ReLU + one-sided 80, 85, 84% (cos
    #     0.77, 0.89, 0.82); leaky + GP 23, 34, 16%; leaky + one-sided 74, 80, 81%.
    # The one-sided penalty matters as much as the kinks: the two-sided one pins
    # |grad f| = 1 on interpolates far from the transport rays too. Full training
    # with that critic (ReLU, one-sided, kinks on the data), the generator step of
    # (1), 8,000 steps, seeds 0, 1, 2: 4.17, 4.14, 4.00x the floor (278 CPU-s each,
    # 207 ms/step at load average 9-15), no negative critic estimate; the probe's W_1
    # fell 0.24 -> 0.19 from step 1,000 to 8,000 and flattens as the cosine decay
    # ends: the generator's small step, not the critic, is now the limit.
    # With that critic the generator can move faster: lr 3e-5 (the same 8,000 steps,
    # seeds 0, 1, 2): 2.27, 1.53, 1.50x the floor (254 CPU-s each, load average 2-4),
    # 0, 1, 6 negative estimates of 8,000; the probe's W_1 settles over the last 1,000
    # steps. Faster still (seeds 0, 1, 2, six runs at once, load average 7-8, probe
    # every 1,000 steps): lr 6e-5, 8,000 steps: 1.46, 1.15, 1.21x the floor (269 CPU-s
    # each), 26, 78, 435 negative estimates of 8,000, no warning; lr 4.5e-5, 9,000
    # steps: 1.52, 1.19, 1.21x (301-302 CPU-s, over the 5-minute budget), 10, 55, 485
    # negative. The moons' setting below is lr 6e-5: all 3 seeds within the 2x goal.
    # Its negative estimates are not the critic losing the generator as at lr 1e-4
    # with zero biases (over half negative, exact W_1 0.6-1.6): exact W_1 is near its
    # floor and the estimate of that small distance on a fresh batch of 256 is noisy.
    # Seed 2 rerun (alone, load average 1-3: the same 1.21x, 234 CPU-s): negatives per
    # 1,000 steps 0, 0, 10, 45, 114, 109, 82, 75, the mean estimate 0.20, 0.08, 0.046,
    # 0.028, 0.021, 0.018, 0.017, 0.016 with step-to-step sd 0.011-0.018 from step
    # 2,000 on, and exact W_1 on the probe 0.07-0.09 (floor 0.053).
    "wasserstein": {**_COMMON, "steps": 12000, "lr": 3e-4, "critic_lr": 3e-3, "n_critic": 5,
                    "datasets": {"moons": {"steps": 8000, "lr": 6e-5, "critic_lr": 1e-3,
                                           "hidden": (128, 128, 128), "activation": "relu",
                                           "penalty": "one_sided", "bias_init": "data"},
                                 "grid": {"critic_lr": 1e-3, "hidden": (128, 128, 128),
                                          "activation": "relu", "penalty": "one_sided",
                                          "bias_init": "data"}}},
    # The original WGAN: RMSProp, clip 0.01, lr 5e-5 (Arjovsky et al. 2017).
    "wgan_clip": {**_COMMON, "steps": 3000, "lr": 5e-5, "n_critic": 5, "optimizer": "rmsprop",
                  "lr_schedule": None},
    # Exact W_1 between the batches (the certified auction): every generated point is
    # matched to a real one, so its gradient is the strongest per step; 2,000 steps
    # measured 1.6x the floor, 8/8 modes, 76% high quality on the ring (126 s).
    "exact_ot": {**_COMMON, "steps": 3000, "lr": 1e-3, "order": 1.0},
    # Debiased S_eps with the cost |x - y| (order 1), for the reason given for sliced:
    # with |x - y|^2 and eps = 0.03, 1,500 steps left the ring at 3.2x the floor
    # (18% within 3 sd). Order 1, eps = 0.03 (0.75% of the cost scale 4), tol = 1e-2
    # (the batches' own noise is ~6%): 3,000 steps measured W1 0.127 on the ring, 1.5x
    # the mean floor, 8/8 modes, 79% high quality, 263 CPU-seconds; 0.072 on the moons,
    # 1.8x. A Sinkhorn solve of 256 x 256 points costs 100-300 iterations here, which
    # is the step's cost. On the ring more steps mattered more than larger batches (as
    # for sliced): batches of 128 for 8,000 steps measured, seeds 0, 1, 2: W1 1.81x,
    # 1.05x, 1.10x the floor, 8/8 modes each, 86%, 87%, 86% high quality, 276, 250, 243
    # CPU-seconds (load average 6-11 on 2 cores). Moons, 3,000 steps, seeds 0, 1, 2:
    # 1.24, 1.03, 1.05x the floor, 47-58 CPU-s (load average 10-21; seed 1 run twice,
    # in two processes: the same 0.0467). The grid (why it needs more than the ring: see
    # sliced): with the ring's batches of 128 and 8,000 steps, a generator step of 2e-3
    # measured 1.77x the floor, 23/25 modes, 60% high quality, 81 CPU-s (seed 0; the
    # ring's lr 1e-3 at a quarter of 3,000 steps and batch 256: 4.10x, 0/25); 16,000
    # steps 1.27x, 25/25, 80%, 151 CPU-s (load average 4), the setting below; seed 1
    # 1.13x, 25/25, 80%, 116 CPU-s; seed 2 1.40x, 25/25, 83%, 128 CPU-s (load 1).
    "sinkhorn": {**_COMMON, "steps": 3000, "lr": 1e-3, "eps": 0.03, "order": 1.0, "tol": 1e-2,
                 "datasets": {"ring": {"batch_size": 128, "steps": 8000},
                              "grid": {"batch_size": 128, "steps": 16000, "lr": 2e-3}}},
    # Order 1 (sliced W_1), not 2: on the ring the W_2 gradient, proportional to the
    # distance, fades for points already near a mode and 3,000 steps left a fuzzy
    # ring (W1 3.1x the floor, 20% within 3 sd); the W_1 gradient has unit size and
    # pulls the stragglers in (1.8x, 72%). 8,000 steps: W1 0.11-0.12, 1.3-1.5x the
    # mean floor (0.085 at 2,000 points), 8/8 modes, 81-84%, 26 CPU-seconds.
    # Larger batches (512, 200 directions) helped less than more steps per second.
    # Two moons, 8,000 steps: 1.09x the floor, 28 CPU-seconds. Seeds 0, 1, 2 (2 December
    # 2026, load average 10-19): ring 1.82, 1.31, 1.18x, 8/8 modes each, 81, 82, 86% high
    # quality, 25-35 CPU-s; moons 1.09, 1.04, 1.25x, 25-27 CPU-s.
    # The 25-Gaussians grid (centres 2 apart on [-4, 4]^2, sd 0.05) is a matter of
    # distance and steps, not of the network: the untrained generator's points spread
    # with sd 1.1 around (1.2, -2.0), the grid's with sd 2.8 (the ring's 1.4), and Adam
    # moves each parameter by about lr a step, with the cosine decay shrinking that
    # step before the outer modes are reached. Seed 0, sliced, lr 1e-3: 8,000 steps
    # 3.16x the floor (0.17 at 2,000 points), 6/25 modes, 17% high quality (34 CPU-s);
    # 24,000 steps 2.05x, 24/25, 48% (76 CPU-s). lr 3e-3: 8,000 steps 2.54x, 13/25, 30%;
    # 24,000 steps 1.55x, 25/25, 68% (70 CPU-s; exact W1 on the 1,000-point probe
    # 3.12, 0.58, 0.46, 0.43, 0.37 every 6,000 steps: still falling); 48,000 steps
    # 1.41x, 25/25, 83% (115 CPU-s, load average 6), the setting below; seeds 1, 2:
    # 1.05, 1.32x, 25/25 each, 83, 84% (132, 92 CPU-s).
    "sliced": {**_COMMON, "steps": 8000, "lr": 1e-3, "n_projections": 100, "order": 1.0,
               "datasets": {"grid": {"steps": 48000, "lr": 3e-3}}},
    "mmd": {**_COMMON, "steps": 3000, "lr": 1e-3},
    "energy_distance": {**_COMMON, "steps": 3000, "lr": 1e-3},
}

_TRAIN_KEYS = ("steps", "batch_size", "lr", "betas", "lr_schedule", "optimizer")
# A setting under this key replaces entries of GENERATOR (latent_dim, hidden, activation).
_GENERATOR_KEY = "generator"


@dataclass
class ToyRun:
    """What :func:`toy_experiment` returns.

    Attributes
    ----------
    objective, dataset : str
    settings : dict
        The settings the run used.
    history : History
    quality : Quality
        Of ``n_eval`` generated points after training.
    generator : MLPGenerator
    """

    objective: str
    dataset: str
    settings: dict
    history: object
    quality: object
    generator: object

    def row(self):
        """The benchmark's row: objective, dataset, steps, W1, floor, ratio, modes, HQ, ms/step."""
        q = self.quality
        modes = "-" if q.modes is None else f"{q.modes}/{q.n_modes}"
        share = "-" if q.high_quality is None else f"{100 * q.high_quality:.0f}%"
        return [self.objective, self.dataset, str(self.history.steps), f"{q.w1:.4f}",
                f"{q.floor:.4f}", f"{q.ratio:.2f}", modes, share,
                f"{self.history.ms_per_step:.1f}", f"{self.history.seconds:.0f}",
                f"{self.history.cpu_seconds:.0f}"]


#: Column names of :meth:`ToyRun.row`.
ROW_HEADER = ["objective", "dataset", "steps", "W1", "floor", "W1/floor", "modes",
              "high quality", "ms/step", "train s", "CPU s"]


def toy_settings(objective, dataset):
    """The settings of :data:`TOY_SETTINGS` for ``objective`` on ``dataset``.

    The objective's settings, with its ``datasets`` entry for ``dataset``
    (if any) in place of the defaults it replaces.

    Examples
    --------
    >>> toy_settings("wasserstein", "moons")["lr"] < toy_settings("wasserstein", "ring")["lr"]
    True
    """
    settings = dict(TOY_SETTINGS[objective])
    per_dataset = settings.pop("datasets", {})
    return {**settings, **per_dataset.get(dataset, {})}


def toy_experiment(objective, dataset="ring", *, steps=None, scale=1.0, rng=0, probe_every=None,
                   probe_size=1000, n_eval=2000, target_size=20000, progress=False,
                   callbacks=(), **overrides):
    """Train a generator on a 2-D benchmark with one objective, and measure it.

    Parameters
    ----------
    objective : str
        A key of :data:`TOY_SETTINGS`.
    dataset : str
        A key of :data:`~divergences.gan.TOY_DATASETS`.
    steps : int, optional
        Generator steps (default: the objective's setting).
    scale : float
        Multiplies the number of steps (a reduced budget: ``scale=0.1``).
    rng : int
        Seed of the target sample, the generator and the training.
    probe_every, probe_size
        The exact-W_1 probe of :func:`~divergences.gan.train`.
    n_eval : int
        Points of the final :func:`~divergences.gan.quality`.
    target_size : int
        Points of the target sample the batches are drawn from.
    progress : bool
    callbacks : sequence of callables
        Passed to :func:`~divergences.gan.train` (e.g. to record the modes
        covered over training).
    **overrides
        Replace settings (training or objective options; ``generator=`` a
        dict replacing entries of :data:`GENERATOR`).

    Returns
    -------
    ToyRun

    Examples
    --------
    >>> run = toy_experiment("sliced", "moons", steps=30, n_eval=300, target_size=1000)
    >>> run.history.steps, run.quality.n, run.quality.w1 > 0
    (30, 300, True)
    """
    if objective not in TOY_SETTINGS:
        names = ", ".join(map(repr, TOY_SETTINGS))
        raise MethodError(f"no toy settings for {objective!r}; choose one of {names}.")
    if dataset not in TOY_DATASETS:
        raise ValueError(
            f"dataset must be one of {', '.join(map(repr, TOY_DATASETS))}, got {dataset!r}."
        )
    settings = {**toy_settings(objective, dataset), **overrides}
    if steps is not None:
        settings["steps"] = check_positive_int(steps, "steps")
    settings["steps"] = max(1, int(round(settings["steps"] * scale)))
    seed = int(rng) if not isinstance(rng, np.random.Generator) else int(rng.integers(2**31))
    streams = np.random.SeedSequence(seed).spawn(3)
    target = TOY_DATASETS[dataset].sample(target_size, np.random.default_rng(streams[0]))
    architecture = {**GENERATOR, **settings.get(_GENERATOR_KEY, {})}
    generator = MLPGenerator(2, **architecture, rng=np.random.default_rng(streams[1]))
    train_options = {k: settings[k] for k in _TRAIN_KEYS if k in settings}
    objective_options = {k: v for k, v in settings.items()
                         if k not in _TRAIN_KEYS and k != _GENERATOR_KEY}
    if "critic_lr" in objective_options:  # the critic's own step (train's lr is the generator's)
        objective_options["lr"] = objective_options.pop("critic_lr")
    history = train(generator, target, divergence=make_objective(objective, **objective_options),
                    rng=as_rng(streams[2]), probe_every=probe_every, probe_size=probe_size,
                    progress=progress, callbacks=callbacks, **train_options)
    measured = quality(generator, dataset, n=n_eval, rng=np.random.default_rng(streams[2]))
    return ToyRun(objective, dataset, settings, history, measured, generator)
