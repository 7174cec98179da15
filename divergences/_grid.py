"""Regular grids: what :meth:`divergences.Histogram.from_grid` records about its bins."""

import functools
from dataclasses import dataclass

import numpy as np

__all__ = ["Grid", "grid_points"]


@dataclass(frozen=True)
class Grid:
    """A regular grid of cells: ``shape``, ``spacing`` and ``origin`` per axis.

    Cell ``(i_0, i_1, ...)`` sits at ``origin + spacing * (i_0, i_1, ...)``;
    the cells are numbered in C order (the last index fastest), as
    ``numpy.ravel`` numbers an array's entries.
    """

    shape: tuple
    spacing: tuple
    origin: tuple

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape))

    def axis_coordinates(self, axis):
        """The coordinates of the cells along ``axis``."""
        return self.origin[axis] + self.spacing[axis] * np.arange(self.shape[axis], dtype=np.float64)


@functools.lru_cache(maxsize=8)
def grid_points(grid):
    """The cells' coordinates, shape ``(size, ndim)``, in C order (read-only).

    Kept for the last few grids: a loop over images of one grid (digits,
    frames of a video) builds them once.
    """
    axes = [grid.axis_coordinates(k) for k in range(grid.ndim)]
    mesh = np.meshgrid(*axes, indexing="ij")
    points = np.stack([m.ravel() for m in mesh], axis=1)
    points.flags.writeable = False
    return points
