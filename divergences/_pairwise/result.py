"""The result of :func:`divergences.pairwise`: a labelled, read-only matrix."""

from dataclasses import dataclass, field

import numpy as np

__all__ = ["PairwiseResult", "IDENTICAL"]

#: ``method`` recorded for a pair of identical measures, whose divergence is 0 by definition.
IDENTICAL = "identical"


@dataclass(frozen=True, eq=False)
class PairwiseResult:
    """A matrix of divergences and the facts of its computation.

    Attributes
    ----------
    values : ndarray, shape (n, m)
        ``values[a, b]`` is the divergence between set ``a`` of ``measures``
        and set ``b`` of ``others`` (of ``measures`` itself when ``others`` is
        omitted). Read-only.
    stderrs : ndarray, shape (n, m)
        Standard errors: 0 for exact values, NaN where the method gives none.
    kind : str
        The divergence (``"kl"``, ``"js"``, ``"js_distance"``, ``"wasserstein"``,
        ``"sinkhorn"``, ``"energy_distance"``, ``"mmd"``).
    method : str
        The method of every computed pair, or ``"mixed"`` when they differ.
    methods : tuple of str
        The distinct methods used; ``"identical"`` marks pairs of identical
        measures, set to 0 without a call.
    method_codes : ndarray of int8, shape (n, m)
        ``methods[method_codes[a, b]]`` is the method of pair ``(a, b)``.
    unit : str
        The unit of the values (``"nats"``, ``"bits"``, ``"distance"``).
    labels, other_labels : tuple
        The rows' and columns' labels: the keys of a dict input, the indices of
        a list. Equal when ``others`` is omitted.
    converged : ndarray of bool, shape (n, m)
        False where an iterative solver stopped early.
    symmetric : bool
        True when ``others`` was omitted and the kind is symmetric: each
        unordered pair was computed once and mirrored.
    details : dict
        How the work ran: ``backend``, ``pairs_computed``, ``tasks``,
        ``pairs_per_task``, ``wall_seconds``, ``task_seconds`` (time spent
        computing inside the tasks), ``probe_seconds`` (the probe pairs,
        computed in this process before the tasks), and for a cluster
        ``workers``, ``threads``, ``broadcast``, ``tasks_resubmitted`` and
        ``measures_rescattered``.
    pvalues, adjusted_pvalues : ndarray, shape (n, m), or None
        With ``pairwise(..., test=True)``: each pair's permutation p-value
        (:func:`divergences.two_sample_test`) and the same after the multiple-testing
        ``correction``; 1 on the untested diagonal. None without a test.
    correction : str or None
        The correction of ``adjusted_pvalues`` (``"holm"``, ``"bonferroni"``,
        ``"fdr_bh"``, ``"none"``); None without a test.

    Examples
    --------
    >>> import numpy as np
    >>> import divergences as dv
    >>> sets = {"a": [0.0, 1.0], "b": [0.0, 2.0], "c": [5.0, 6.0]}
    >>> r = dv.pairwise(sets, kind="wasserstein")
    >>> r.values.tolist()
    [[0.0, 0.5, 5.0], [0.5, 0.0, 4.5], [5.0, 4.5, 0.0]]
    >>> r["a", "c"], r.method, r.labels
    (5.0, '1d', ('a', 'b', 'c'))
    """

    values: np.ndarray
    stderrs: np.ndarray
    kind: str
    method: str
    methods: tuple
    method_codes: np.ndarray = field(repr=False)
    unit: str
    labels: tuple
    other_labels: tuple
    converged: np.ndarray = field(repr=False)
    symmetric: bool
    details: dict = field(default_factory=dict, repr=False)
    pvalues: np.ndarray = field(default=None, repr=False)
    adjusted_pvalues: np.ndarray = field(default=None, repr=False)
    correction: str = None

    def __post_init__(self):
        for name in ("values", "stderrs", "method_codes", "converged", "pvalues",
                     "adjusted_pvalues"):
            if getattr(self, name) is not None:
                getattr(self, name).setflags(write=False)

    @property
    def shape(self):
        """``(n, m)``: the number of row and column sets."""
        return self.values.shape

    def __array__(self, dtype=None, copy=None):
        if copy is False and dtype not in (None, self.values.dtype):
            raise ValueError("a copy is needed to change the dtype of a PairwiseResult")
        array = self.values if dtype is None else self.values.astype(dtype)
        return array.copy() if copy else array

    def _position(self, key):
        if not (isinstance(key, tuple) and len(key) == 2):
            raise KeyError(f"index a PairwiseResult by a pair of labels, e.g. r[a, b]; got {key!r}")
        a, b = key
        try:
            return self.labels.index(a), self.other_labels.index(b)
        except ValueError:
            missing = a if a not in self.labels else b
            raise KeyError(f"no set labelled {missing!r}") from None

    def __getitem__(self, key):
        """``r[a, b]``: the value between the sets labelled ``a`` and ``b``."""
        return float(self.values[self._position(key)])

    def method_of(self, a, b):
        """The method that computed the pair labelled ``(a, b)``."""
        return self.methods[self.method_codes[self._position((a, b))]]

    @property
    def all_converged(self):
        """True when no pair's solver stopped early."""
        return bool(self.converged.all())

    def significant(self, alpha=0.05):
        """Where the test rejects P = Q at level ``alpha``, after the correction.

        A boolean matrix, ``adjusted_pvalues <= alpha``; needs ``pairwise(..., test=True)``.
        """
        if self.adjusted_pvalues is None:
            raise ValueError("no p-values: compute the matrix with pairwise(..., test=True).")
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}.")
        return self.adjusted_pvalues <= alpha

    def __repr__(self):
        n, m = self.shape
        tested = "" if self.correction is None else f", tested ({self.correction})"
        return (f"PairwiseResult({self.kind}: {n}x{m}, method={self.method!r}, "
                f"unit={self.unit!r}, symmetric={self.symmetric}{tested})")

    def to_pandas(self):
        """The matrix as a :class:`pandas.DataFrame`: rows by ``labels``, columns by ``other_labels``.

        Needs pandas (``pip install pandas``); the values are copied.

        Examples
        --------
        >>> import divergences as dv
        >>> r = dv.pairwise({"a": [0.0, 1.0], "b": [0.0, 2.0]}, kind="wasserstein")
        >>> r.to_pandas()
             a    b
        a  0.0  0.5
        b  0.5  0.0
        """
        try:
            import pandas
        except ImportError:
            raise ImportError("PairwiseResult.to_pandas needs pandas: pip install pandas") from None
        return pandas.DataFrame(np.array(self.values), index=list(self.labels),
                                columns=list(self.other_labels))

    def plot(self, ax=None, *, annotate=None, cmap="viridis"):
        """Draw the matrix as a heatmap, labelled, with a colour bar; returns the axes.

        The colour scale spans the entries off the diagonal when the rows and
        columns are the same sets (the zero diagonal would otherwise squeeze
        every other value into one end of the scale); entries below it -- the
        diagonal -- are drawn in light grey, infinite ones left blank.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure's axes by default.
        annotate : bool, optional
            Write each value in its cell; by default when the matrix is at
            most 12 x 12.
        cmap : str or Colormap
            The colour map.

        Examples
        --------
        >>> import divergences as dv
        >>> r = dv.pairwise({"a": [0.0, 1.0], "b": [0.0, 2.0], "c": [5.0, 6.0]})
        >>> ax = r.plot()
        >>> [round(v, 3) for v in ax.images[0].get_clim()], len(ax.texts)
        ([0.5, 5.0], 9)
        """
        import matplotlib

        if ax is None:
            from matplotlib.figure import Figure

            n, m = self.shape
            size = min(max(4.0, 0.45 * max(n, m) + 2.0), 20.0)
            ax = Figure(figsize=(size + 1.2, size)).subplots()
        n, m = self.shape
        values = np.where(np.isfinite(self.values), self.values, np.nan)
        scaled = values
        if self.labels == self.other_labels and n > 1:
            scaled = values.copy()
            np.fill_diagonal(scaled, np.nan)
        low, high = (np.nanmin(scaled), np.nanmax(scaled)) if np.isfinite(scaled).any() else (0, 1)
        colours = matplotlib.colormaps[cmap] if isinstance(cmap, str) else cmap
        image = ax.imshow(values, cmap=colours.with_extremes(under="0.85", bad="white"),
                          vmin=low, vmax=high if high > low else low + 1.0)
        ax.figure.colorbar(image, ax=ax, label=f"{self.kind} ({self.unit})")
        if max(n, m) <= 40:  # beyond that, tick labels only overlap
            ax.set_xticks(range(m), [str(label) for label in self.other_labels], rotation=90)
            ax.set_yticks(range(n), [str(label) for label in self.labels])
        if annotate if annotate is not None else max(n, m) <= 12:
            middle = 0.5 * (low + high)
            for (i, j), value in np.ndenumerate(self.values):
                colour = "black" if (np.isfinite(value) and value > middle) or value < low \
                    else "white"
                ax.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=8,
                        color=colour)
        ax.set_title(f"pairwise {self.kind}")
        return ax
