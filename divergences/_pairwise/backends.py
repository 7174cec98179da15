"""Where the tiles of a matrix run: the backend interface, and the in-process thread pool.

A backend takes the :class:`Work` (the kind, its options, the measures) and a
``plan(slots, target)`` that cuts the matrix into tiles once the backend
knows how many worker threads it has (``slots``) and how long a task should
last to repay its overhead (``target`` seconds). It computes each tile with
:func:`~divergences._pairwise.tasks.compute_tile`, hands every finished tile
to ``sink``, and returns a dict of details of how it ran (``backend``,
``tasks``, ``task_seconds``, ...). Two implement it: :class:`ThreadBackend`
(here) and :class:`~divergences._pairwise.cluster.ClusterBackend` (dask,
imported only when ``client=`` is given).
"""

from dataclasses import dataclass

from .tasks import TASKS_PER_SLOT, compute_tile, name_pair

__all__ = ["Work", "Backend", "ThreadBackend"]


@dataclass(frozen=True, eq=False)
class Work:
    """What every task of one matrix shares.

    ``rows`` and ``cols`` are the validated measures (``cols is rows`` for a
    matrix of a list with itself); ``labels`` the rows' and the columns'
    labels, to name a pair that fails; ``root`` the seed root of ``rng=``;
    ``test``: each pair is a two-sample test of P = Q with the divergence as its
    statistic, not the divergence alone.
    """

    kind: str
    options: dict
    root: object
    rows: list
    cols: list
    same: bool
    labels: tuple
    test: bool = False


class Backend:
    """The interface of a pairwise backend."""

    #: The ``target`` a task's work should last, in seconds.
    task_seconds = 0.01

    def run(self, work, plan, sink):
        """Compute the tiles of ``plan(slots, self.task_seconds)``; returns the details."""
        raise NotImplementedError


class ThreadBackend(Backend):
    """The tiles on a thread pool of this process, at most ``4 * workers`` in flight.

    The Numba kernels, POT's network simplex and scipy's k-d trees release the
    GIL, so threads use every core without copying any data; one task costs
    about 10 microseconds, hence the 10 ms target.
    """

    task_seconds = 0.01

    def __init__(self, workers):
        self.workers = workers

    def run(self, work, plan, sink):
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

        workers = self.workers
        pending = iter(plan(workers, self.task_seconds))
        running, tasks, task_seconds = {}, 0, 0.0
        rows, cols = work.rows, work.cols
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pairwise") as pool:

            def refill():
                nonlocal tasks
                while len(running) < TASKS_PER_SLOT * workers:
                    tile = next(pending, None)
                    if tile is None:
                        return
                    future = pool.submit(compute_tile, work.kind, work.options, work.root, tile,
                                         [rows[i] for i in tile.rows],
                                         [cols[j] for j in tile.cols], test=work.test)
                    running[future] = tile
                    tasks += 1

            refill()
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    tile = running.pop(future)
                    try:
                        chunk = future.result()
                    except BaseException as exc:
                        for other in running:
                            other.cancel()
                        name_pair(exc, work.labels, getattr(exc, "pair", next(tile.pairs())))
                        raise
                    task_seconds += chunk["seconds"]
                    sink(chunk)
                refill()
        return {"backend": "threads", "workers": workers, "tasks": tasks,
                "task_seconds": task_seconds}
