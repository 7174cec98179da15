"""The transport panel: ordinary pairs of point clouds, not only friendly ones.

Optimal-transport solvers are usually shown on two clouds drawn from one law,
where every atom's partner is near it. Pairs people actually compare differ by
location (a mean shift, along one axis or the diagonal, small or large for the
clouds' spread), by scale, or by shape (a mixture against one Gaussian). Issue
18's panel of such inputs is defined here once, so that the benchmarks
(``bench_exact.py --cases panel``, ``bench_sinkhorn.py --cases panel``) and the
tests that check solvers on it draw the same clouds.

Every input is ``x ~ N(0, I_d)`` against ``y``, a second ``N(0, I_d)`` sample
changed as the name says; ``x`` is drawn first, then ``y``, then (for the
mixture) the component labels, so a seed gives the same ``x`` for every input.
"""

import numpy as np

__all__ = ["PANEL_SHIFTS", "panel_inputs", "panel_clouds"]

#: The mean shifts of the panel, in units of the clouds' standard deviation:
#: from overlapping (0.5) to far apart for their size (10).
PANEL_SHIFTS = (0.5, 1.0, 2.0, 10.0)


def _axis_scale(d, scales):
    out = np.ones(d)
    out[: len(scales)] = scales[:d]
    return out


def _change(name, y, rng):
    """``y`` changed as the input ``name`` says (in place where it can be)."""
    n, d = y.shape
    words = name.split()
    if words[0] == "shift":
        shift = float(words[1])
        if words[2] == "axis":
            y[:, 0] += shift
        else:
            y += shift
        return y
    if name == "scale x2 axis":
        y[:, 0] *= 2.0
        return y
    if name == "covariance x2, x1/2":
        return y * _axis_scale(d, (2.0, 0.5))
    if name == "mixture +-2 axis":
        y[:, 0] += 2.0 * np.where(rng.random(n) < 0.5, -1.0, 1.0)
        return y
    raise ValueError(f"name: {name!r} is not a panel input; see panel_inputs(d)")


def panel_inputs(d):
    """The names of the panel's inputs in dimension ``d``.

    Parameters
    ----------
    d : int
        Dimension (at least 1). Shifts along the diagonal are left out at
        ``d = 1``, where they are shifts along the axis.

    Returns
    -------
    list of str
        ``"shift s axis"`` and ``"shift s diagonal"`` for ``s`` in
        :data:`PANEL_SHIFTS` (the diagonal shift moves every coordinate by
        ``s``), ``"scale x2 axis"`` (the first coordinate's sd doubled),
        ``"covariance x2, x1/2"`` (the first doubled and the second halved) and
        ``"mixture +-2 axis"`` (``y`` shifted by -2 or +2 along the first axis,
        with probability 1/2 each).

    Examples
    --------
    >>> from divergences.testing import panel_inputs
    >>> panel_inputs(1)[:2]
    ['shift 0.5 axis', 'shift 1 axis']
    >>> len(panel_inputs(1)), len(panel_inputs(2))
    (7, 11)
    """
    if int(d) != d or d < 1:
        raise ValueError(f"d: must be a positive integer, got {d!r}")
    names = [f"shift {s:g} axis" for s in PANEL_SHIFTS]
    if d > 1:
        names += [f"shift {s:g} diagonal" for s in PANEL_SHIFTS]
    return names + ["scale x2 axis", "covariance x2, x1/2", "mixture +-2 axis"]


def panel_clouds(name, n, d, rng=0):
    """The two point clouds ``(x, y)`` of one panel input.

    Parameters
    ----------
    name : str
        One of :func:`panel_inputs` ``(d)``.
    n : int
        Points in each cloud.
    d : int
        Dimension.
    rng : int or numpy.random.Generator, default 0
        Seed or generator; the same seed gives the same ``x`` for every input.

    Returns
    -------
    x, y : ndarray of shape (n, d)

    Examples
    --------
    >>> from divergences.testing import panel_clouds
    >>> x, y = panel_clouds("shift 10 axis", 500, 2, rng=1)
    >>> bool(abs((y - x).mean(axis=0)[0] - 10.0) < 0.3)
    True
    """
    if name not in panel_inputs(d):
        raise ValueError(f"name: {name!r} is not a panel input in dimension {d}; "
                         f"choose from {panel_inputs(d)}")
    rng = np.random.default_rng(rng)
    x = rng.normal(size=(n, d))
    y = rng.normal(size=(n, d))
    return x, _change(name, y, rng)
