"""Progress bars and callbacks: of one long solve, and of many counted items.

:class:`SolverProgress` reports the steps of one solve (``progress=`` of the
exact and Sinkhorn solvers); :class:`CountProgress` counts items done out of
a known total (the pairs of :func:`divergences.pairwise`). Both draw a tqdm
bar through :func:`tqdm_bar`, or call the user's callable.

A solve of 10,000 or 100,000 points takes minutes; ``progress=True`` shows a
tqdm bar (where tqdm is installed: it is an optional extra, and without it
there is no bar and no fuss, as in :func:`divergences.pairwise`), and a
callable receives the same reports to show them its own way. The solvers
report once per iteration or phase, each of which costs at least a full pass
over the n-by-m costs, so reporting never slows them measurably.
"""

__all__ = ["SolverProgress", "CountProgress", "tqdm_bar", "check_progress"]


def tqdm_bar(**options):
    """A ``tqdm.auto`` bar made with ``options`` (``leave=False``), or None without tqdm."""
    try:
        from tqdm.auto import tqdm
    except ImportError:  # an optional extra: no bar, no fuss
        return None
    return tqdm(**{"leave": False, **options})


def check_progress(progress, accepted):
    """``progress`` itself when it is None, a bool or a callable; else a TypeError."""
    if not (progress is None or isinstance(progress, bool) or callable(progress)):
        raise TypeError(f"progress must be {accepted}, got {progress!r}.")
    return progress


class SolverProgress:
    """Reports a solver's steps to a tqdm bar, a callable, or nowhere.

    Parameters
    ----------
    progress : bool, callable or None
        ``False`` or ``None``: nothing. ``True``: a tqdm bar (none if tqdm is
        not installed). A callable: called as ``progress(stage, step, error)``
        after each step, with ``stage`` naming the problem being solved (e.g.
        ``"OT(p, q)"``), ``step`` counting the steps of that stage from 1, and
        ``error`` the solver's measure of how far it still is (the Sinkhorn
        marginal error; the auction's eps).
    desc : str
        The bar's label.

    Examples
    --------
    >>> seen = []
    >>> reporter = SolverProgress(lambda *report: seen.append(report), "demo")
    >>> update = reporter.stage("OT(p, q)")
    >>> update(0.5); update(0.25); reporter.close()
    >>> seen
    [('OT(p, q)', 1, 0.5), ('OT(p, q)', 2, 0.25)]
    >>> SolverProgress(False, "demo").stage("OT(p, q)") is None
    True
    """

    def __init__(self, progress, desc):
        check_progress(progress, "True, False or a callable progress(stage, step, error)")
        self.callback = None if isinstance(progress, bool) or progress is None else progress
        self.bar = tqdm_bar(desc=desc, unit="step") if progress is True else None

    def stage(self, name):
        """The ``update(error)`` function for the stage ``name``, or None when nothing listens."""
        if self.bar is None and self.callback is None:
            return None
        steps = [0]

        def update(error):
            steps[0] += 1
            if self.bar is not None:
                self.bar.set_postfix_str(f"{name}: {error:.3g}", refresh=False)
                self.bar.update(1)
            if self.callback is not None:
                self.callback(name, steps[0], error)

        return update

    def close(self):
        """Close the bar, if any."""
        if self.bar is not None:
            self.bar.close()


class CountProgress:
    """Counts items done out of ``total`` on a tqdm bar, for a callable, or nowhere.

    Parameters
    ----------
    progress : bool, callable or None
        ``None``: a bar when ``show`` is true (a run long enough to watch);
        ``True``: a bar; ``False``: nothing; a callable: called as
        ``progress(done, total)`` after each :meth:`advance`.
    total : int
    desc, unit : str
        The bar's label and the name of an item.
    show : bool
        Whether ``progress=None`` draws a bar.

    Examples
    --------
    >>> seen = []
    >>> counter = CountProgress(lambda done, total: seen.append((done, total)), 3,
    ...                         desc="demo", unit="pair")
    >>> counter.advance(1); counter.advance(2); counter.close()
    >>> seen
    [(1, 3), (3, 3)]
    """

    def __init__(self, progress, total, *, desc, unit, show=False):
        self.callback = progress if callable(progress) and not isinstance(progress, bool) else None
        self.done = 0
        self.total = total
        wanted = progress is True or (progress is None and show)
        self.bar = tqdm_bar(total=total, unit=unit, desc=desc) if wanted else None

    def advance(self, count):
        """``count`` more items are done."""
        self.done += count
        if self.bar is not None:
            self.bar.update(count)
        if self.callback is not None:
            self.callback(self.done, self.total)

    def close(self):
        """Close the bar, if any."""
        if self.bar is not None:
            self.bar.close()
