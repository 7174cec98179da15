"""Train generators against any divergence of the library, in plain numpy.

* :mod:`~divergences.gan.networks` -- a small MLP with hand-written gradients
  (parameters, input, and the gradient penalty's parameter gradient);
* :mod:`~divergences.gan.optim` -- Adam, RMSProp, SGD;
* :mod:`~divergences.gan.generators` -- :class:`ParallelLinesGenerator`,
  :class:`MLPGenerator`;
* :mod:`~divergences.gan.objectives` -- one objective per divergence
  (discriminator, critic, or critic-free transport);
* :func:`train` -- the training loop (``probe_every=`` records exact W_1);
* :func:`quality` -- exact W_1 against its floor, modes covered and the share
  of high-quality points: one yardstick for every objective;
* :func:`toy_experiment` -- any objective on the ring, the grid, the moons or
  the swiss roll, with measured settings (:data:`TOY_SETTINGS`);
* :func:`parallel_lines_experiment` -- the parallel-lines example of
  Arjovsky et al. (2017): Wasserstein objectives move theta to 0, the
  optimal-discriminator JS objective does not.

Examples
--------
>>> import divergences as dv
>>> g = dv.gan.ParallelLinesGenerator(1.0)
>>> target = dv.gan.parallel_lines_target(400, rng=0)
>>> history = dv.gan.train(g, target, divergence="sliced", steps=100, batch_size=64,
...                        lr=0.05, rng=0)
>>> abs(g.theta) < 0.1
True
"""

from .experiments import (
    gaussian_ring,
    parallel_lines_divergences,
    parallel_lines_experiment,
    parallel_lines_target,
)
from .generators import Generator, MLPGenerator, ParallelLinesGenerator
from .metrics import TOY_DATASETS, Quality, quality
from .networks import MLP
from .objectives import (
    OBJECTIVES,
    ExactOT,
    JensenShannonGAN,
    KLGAN,
    Objective,
    SinkhornObjective,
    SlicedObjective,
    WassersteinCritic,
    make_objective,
    objective_names,
)
from .optim import SGD, Adam, RMSProp
from .toy import TOY_SETTINGS, ToyRun, toy_experiment
from .training import History, TrainingState, train

__all__ = [
    "MLP",
    "Adam",
    "RMSProp",
    "SGD",
    "Generator",
    "ParallelLinesGenerator",
    "MLPGenerator",
    "Objective",
    "JensenShannonGAN",
    "KLGAN",
    "WassersteinCritic",
    "ExactOT",
    "SinkhornObjective",
    "SlicedObjective",
    "OBJECTIVES",
    "make_objective",
    "objective_names",
    "train",
    "History",
    "TrainingState",
    "parallel_lines_experiment",
    "parallel_lines_divergences",
    "parallel_lines_target",
    "gaussian_ring",
    "quality",
    "Quality",
    "TOY_DATASETS",
    "TOY_SETTINGS",
    "ToyRun",
    "toy_experiment",
]
