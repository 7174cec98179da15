"""Quality of a trained generator, measured the same way for every objective.

:func:`quality` compares ``n`` generated points with ``n`` target points:

* **exact W_1** between them (:func:`divergences.wasserstein`, the certified
  exact solver; averaged over ``repeats`` target samples), next to its
  **floor**: W_1 between two independent target samples of the same size
  (averaged likewise), which a perfect generator matches on average
  (two samples of one law are not at distance 0). ``ratio = w1 / floor``: 1
  is as good as sampling allows; the goals of the benchmark are ``<= 2``;
* for the Gaussian mixtures (the ring and the grid), the **share of
  high-quality points** -- within 3 standard deviations of their nearest
  mode's centre -- and the **modes covered**: those that receive at least
  ``min_share`` (default 20%) of their fair share ``n / n_modes`` of
  high-quality points. (A perfect sampler of a 2-D isotropic mixture scores
  ``1 - exp(-9/2) = 98.9%`` high quality: the radius of a 2-D Gaussian
  exceeds 3 sd with probability ``exp(-9/2)``.) Both criteria follow the usage of VEEGAN (Srivastava
  et al. 2017) and PacGAN (Lin et al. 2018) on these data sets; the 20% rule
  (rather than "at least one point") keeps a few stray points from counting
  as a mode.

:data:`TOY_DATASETS` names the four 2-D targets of :mod:`divergences.datasets`
with the settings the benchmark uses, and knows their mode centres.
"""

import math
from dataclasses import dataclass

import numpy as np

from .. import datasets
from .._validation import as_rng, check_positive_int

__all__ = ["Quality", "ToyDataset", "TOY_DATASETS", "quality", "mode_counts", "mode_statistics"]


@dataclass(frozen=True)
class ToyDataset:
    """A 2-D target: how to sample it and, for a mixture, its modes.

    Attributes
    ----------
    name : str
    sample : callable
        ``sample(n, rng)`` -> points, shape ``(n, 2)``.
    centres : ndarray, shape (k, 2) or None
        The mixture's centres (None for the moons and the swiss roll).
    std : float or None
        The components' standard deviation.
    """

    name: str
    sample: object
    centres: object = None
    std: float = None


def _ring_centres(n_modes=8, radius=2.0):
    angles = 2.0 * math.pi * np.arange(n_modes) / n_modes
    return radius * np.column_stack([np.cos(angles), np.sin(angles)])


def _grid_centres(side=5, spacing=2.0):
    offsets = spacing * (np.arange(side) - (side - 1) / 2.0)
    grid_i, grid_j = np.meshgrid(offsets, offsets, indexing="ij")
    return np.column_stack([grid_i.ravel(), grid_j.ravel()])


#: The benchmark's targets: :mod:`divergences.datasets` at its defaults (the
#: WGAN-GP paper's mixtures), the moons with noise 0.05 and the roll with
#: WGAN-GP's noise 0.25 (before its scaling by 7.5).
TOY_DATASETS = {
    "ring": ToyDataset("ring", lambda n, rng: datasets.gaussian_ring(n, rng=rng),
                       _ring_centres(), 0.02),
    "grid": ToyDataset("grid", lambda n, rng: datasets.gaussian_grid(n, rng=rng),
                       _grid_centres(), 0.05),
    "moons": ToyDataset("moons", lambda n, rng: datasets.two_moons(n, noise=0.05, rng=rng)),
    "swiss_roll": ToyDataset(
        "swiss_roll", lambda n, rng: datasets.swiss_roll(n, noise=0.25 / 7.5, rng=rng)
    ),
}


@dataclass(frozen=True)
class Quality:
    """What :func:`quality` measured.

    Attributes
    ----------
    w1 : float
        Exact W_1 between the generated and the target points (mean over the
        target samples).
    floor : float
        Exact W_1 between two independent target samples of the same size (mean).
    ratio : float
        ``w1 / floor``.
    modes : int or None
        Modes covered (mixtures only).
    n_modes : int or None
    high_quality : float or None
        Share of generated points within 3 sd of their nearest centre.
    n : int
        Points per sample.
    """

    w1: float
    floor: float
    ratio: float
    modes: int = None
    n_modes: int = None
    high_quality: float = None
    n: int = None

    def __str__(self):
        text = f"W1 {self.w1:.4f} = {self.ratio:.2f} x floor {self.floor:.4f}"
        if self.modes is not None:
            text += f", modes {self.modes}/{self.n_modes}, high quality {100 * self.high_quality:.0f}%"
        return text


def mode_counts(points, centres, std):
    """High-quality points per mode: those within 3 ``std`` of their nearest centre.

    Returns
    -------
    counts : ndarray of int, shape (k,)
        Per centre, the points nearest to it and within ``3 * std``.
    good : ndarray of bool, shape (n,)
        Which points are of high quality.

    Examples
    --------
    >>> import numpy as np
    >>> counts, good = mode_counts(np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0]]),
    ...                            np.array([[0.0, 0.0], [1.0, 0.0]]), 0.05)
    >>> counts.tolist(), good.tolist()
    ([2, 0], [True, True, False])
    """
    dist2 = np.sum((points[:, None, :] - centres[None, :, :]) ** 2, axis=2)
    nearest = dist2.argmin(axis=1)
    good = np.sqrt(dist2[np.arange(points.shape[0]), nearest]) <= 3.0 * std
    return np.bincount(nearest[good], minlength=centres.shape[0]), good


def mode_statistics(points, centres, std, min_share=0.2):
    """``(modes covered, share of high-quality points)`` of ``points`` for a mixture.

    A mode is covered when :func:`mode_counts` gives it at least ``min_share``
    of its fair share ``n / k`` of the points.
    """
    counts, good = mode_counts(points, centres, std)
    fair = points.shape[0] / centres.shape[0]
    return int(np.sum(counts >= min_share * fair)), float(np.mean(good))


def quality(generated, dataset, *, n=2000, rng=None, min_share=0.2, repeats=4):
    """Exact W_1 against the floor, and mode statistics, for generated points.

    Parameters
    ----------
    generated : Generator or array_like, shape (>= n, 2)
        A generator (``n`` points are drawn) or its points (the first ``n``).
    dataset : str or ToyDataset
        A name of :data:`TOY_DATASETS` (``"ring"``, ``"grid"``, ``"moons"``,
        ``"swiss_roll"``) or a :class:`ToyDataset`.
    n : int
        Points per sample (default 2,000: the exact W_1 takes a fraction of a
        second).
    rng : int or numpy.random.Generator, optional
        Draws the two target samples (and the generated points).
    min_share : float
        A mode is covered when it receives this share of its fair share of
        high-quality points.
    repeats : int
        Target samples drawn (default 4): ``w1`` is the mean of W_1 between the
        generated points and each, ``floor`` the mean of W_1 between each and
        another independent target sample. On the ring one floor alone varies
        by a factor of two from draw to draw (it is mostly the multinomial
        imbalance of the modes' counts), which would make the ratio as noisy.

    Returns
    -------
    Quality

    Examples
    --------
    >>> import divergences as dv
    >>> q = dv.gan.quality(dv.datasets.gaussian_ring(500, rng=1), "ring", n=500, rng=0)
    >>> q.modes, q.high_quality > 0.98, 0.5 < q.ratio < 2.0
    (8, True, True)
    """
    from .._wasserstein import wasserstein
    from .generators import Generator

    n = check_positive_int(n, "n")
    rng = as_rng(rng)
    if isinstance(dataset, str):
        if dataset not in TOY_DATASETS:
            raise ValueError(
                f"dataset must be one of {', '.join(map(repr, TOY_DATASETS))}, got {dataset!r}."
            )
        dataset = TOY_DATASETS[dataset]
    if isinstance(generated, Generator):
        points = generated.sample(n, rng)
    else:
        points = np.asarray(generated, dtype=np.float64)
        if points.ndim != 2 or points.shape[0] < n:
            raise ValueError(f"generated must have at least n={n} rows, got shape {points.shape}.")
        points = points[:n]
    if not np.all(np.isfinite(points)):
        return Quality(math.inf, math.nan, math.inf, 0 if dataset.centres is not None else None,
                       None if dataset.centres is None else len(dataset.centres),
                       0.0 if dataset.centres is not None else None, n)
    repeats = check_positive_int(repeats, "repeats")
    w1 = floor = 0.0
    for _ in range(repeats):
        target, other = dataset.sample(n, rng), dataset.sample(n, rng)
        w1 += wasserstein(points, target, method="exact").value / repeats
        floor += wasserstein(other, target, method="exact").value / repeats
    modes = share = n_modes = None
    if dataset.centres is not None:
        n_modes = dataset.centres.shape[0]
        modes, share = mode_statistics(points, dataset.centres, dataset.std, min_share)
    return Quality(w1, floor, w1 / floor, modes, n_modes, share, n)
