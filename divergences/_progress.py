"""Progress of one long solve (``progress=`` of the exact and Sinkhorn solvers) or loop.

A solve of 10,000 or 100,000 points takes minutes; ``progress=True`` shows a
tqdm bar (where tqdm is installed: it is an optional extra, and without it
there is no bar and no fuss, as in :func:`divergences.pairwise`), and a
callable receives the same reports to show them its own way. The solvers
report once per iteration or phase, each of which costs at least a full pass
over the n-by-m costs, so reporting never slows them measurably.
"""

__all__ = ["SolverProgress", "progress_bar"]


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
        if not (progress is None or isinstance(progress, bool) or callable(progress)):
            raise TypeError(
                f"progress must be True, False or a callable progress(stage, step, error), "
                f"got {progress!r}."
            )
        self.callback = None if isinstance(progress, bool) or progress is None else progress
        self.bar = None
        if progress is True:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # an optional extra: no bar, no fuss
                pass
            else:
                self.bar = tqdm(desc=desc, unit="step", leave=False)

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


def progress_bar(total, desc):
    """A tqdm bar of ``total`` steps labelled ``desc``, or None where tqdm is not installed.

    For loops of known length (the GAN training loop): the caller updates and
    closes it.

    Examples
    --------
    >>> bar = progress_bar(3, "demo")
    >>> bar is None or bar.total == 3
    True
    >>> if bar is not None:
    ...     bar.close()
    """
    try:
        from tqdm.auto import tqdm
    except ImportError:  # an optional extra: no bar, no fuss
        return None
    return tqdm(total=total, desc=desc, leave=False)
