"""The dask.distributed backend of :func:`divergences.pairwise` (:class:`ClusterBackend`).

Imported only when ``client=`` is given, so that ``import divergences`` never
imports dask.

* The measures are scattered once. With ``broadcast=True`` when every worker
  can cheaply hold all of them (copies totalling at most 256 MiB): tasks then
  never wait on a transfer. Otherwise each measure goes to one worker and
  dask moves it to the tasks that need it, worker to worker; a tile task
  needs ``2b`` measures for ``b^2`` pairs, so transfers stay small next to the
  work.
* The tiles go out as ordinary tasks (``client.submit``), at most four per
  worker thread at a time, topped up as results come back (``as_completed``,
  in whatever order they finish; each carries its own pair indices).
* A worker that dies takes its running tasks with it; the scheduler reruns
  them elsewhere. Scattered data, though, has no recipe to be recomputed: if
  a measure's only copy was on the dead worker, the tasks that need it are
  cancelled. Those measures are then scattered again from this process, which
  still holds them, and the tiles resubmitted -- so a death costs some
  repeated work, never a wrong or missing entry.
"""

import uuid

from .backends import Backend
from .tasks import TASKS_PER_SLOT, compute_tile, name_pair

__all__ = ["ClusterBackend", "connect", "local_cluster"]

_BROADCAST_BYTES = 256 * 2**20
_MAX_ATTEMPTS = 4


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise ImportError(
            "client= needs dask.distributed; install it with "
            "pip install 'divergences[distributed]' (or pip install 'dask[distributed]')."
        ) from None
    return distributed


def local_cluster(**options):
    """A ``LocalCluster`` of worker processes on this machine's loopback, sized by dask
    (one worker per few cores), with no dashboard.

    The scheduler's HTTP server (health checks, metrics) still starts: on a free
    port, rather than on 8787, where it would clash with any other cluster.
    """
    distributed = _import_distributed()
    options = {"processes": True, "dashboard_address": None, "host": "127.0.0.1", **options}
    options.setdefault("scheduler_kwargs", {}).setdefault("dashboard_address", ":0")
    return distributed.LocalCluster(**options)


def connect(client):
    """``(Client, close)`` for a Client, a scheduler address or ``"local"``.

    ``close()`` closes what was opened here (a client on an address; a
    client and its LocalCluster for ``"local"``) and nothing the caller owns.
    """
    distributed = _import_distributed()
    if isinstance(client, distributed.Client):
        return client, lambda: None
    if client == "local":
        cluster = local_cluster()
        opened = distributed.Client(cluster)

        def close():
            opened.close()
            cluster.close()

        return opened, close
    if isinstance(client, str):
        try:
            opened = distributed.Client(client, timeout="20s")
        except OSError as exc:
            raise ValueError(
                f"client={client!r}: could not reach a dask scheduler there ({exc}); give the "
                "address the scheduler printed (tcp://host:8786), or client='local'."
            ) from None
        return opened, opened.close
    raise TypeError(
        "client must be a dask.distributed.Client, a scheduler address such as "
        f"'tcp://host:8786', or 'local'; got {type(client).__name__}."
    )


def _nbytes(measure):
    # What scattering costs: the arrays of point clouds; densities are a few parameters.
    total = 0
    for name in ("points", "weights", "probabilities", "support"):
        array = getattr(measure, name, None)
        if array is not None and hasattr(array, "nbytes"):
            total += array.nbytes
    return total or 1024


class _Scattered:
    """The measures' futures on the cluster, scattered again when a copy is lost."""

    def __init__(self, client, measures, broadcast):
        self.client, self.measures, self.broadcast = client, measures, broadcast
        self.futures = client.scatter(list(measures), broadcast=broadcast, hash=False)
        self.rescattered = 0

    def __getitem__(self, index):
        return self.futures[index]

    def restore(self, indices):
        """Scatter again those of ``indices`` whose data the cluster has lost.

        The scheduler cancels the future of scattered data whose last holder
        died ("already forgotten"); this process still holds the measures.
        """
        lost = sorted({i for i in indices if self.futures[i].status != "finished"})
        if lost:
            fresh = self.client.scatter([self.measures[i] for i in lost],
                                        broadcast=self.broadcast, hash=False)
            for i, future in zip(lost, fresh):
                self.futures[i] = future
            self.rescattered += len(lost)

    def release(self):
        self.client.cancel(self.futures)


class ClusterBackend(Backend):
    """The tiles as tasks of a dask cluster: a Client, a scheduler address or ``"local"``.

    One task costs the scheduler about a millisecond, hence the 0.1 s target.
    """

    task_seconds = 0.1

    def __init__(self, client):
        self.client = client

    def run(self, work, plan, sink):
        """Compute the tiles of ``plan(slots, target)`` on the cluster; returns details.

        At most four tasks per worker thread are in flight; each finished tile
        is handed to ``sink`` and replaced by the next, so that neither this
        process nor the scheduler ever holds the whole plan (10^5 tasks for
        10^4 sets).
        """
        return _run(self.client, work, plan, self.task_seconds, sink)


def _run(client, work, plan, target, sink):
    from concurrent.futures import CancelledError

    kind, options, root, labels = work.kind, work.options, work.root, work.labels
    rows, cols, same = work.rows, work.cols, work.same
    distributed = _import_distributed()
    client, close = connect(client)
    try:
        workers = client.scheduler_info().get("workers", {})
        if not workers:
            client.wait_for_workers(1, timeout=60)
            workers = client.scheduler_info().get("workers", {})
        slots = sum(w.get("nthreads", 1) for w in workers.values()) or 1
        tiles = iter(plan(slots, target))
        sizes = sum(_nbytes(m) for m in rows) + (0 if same else sum(_nbytes(m) for m in cols))
        broadcast = sizes * len(workers) <= _BROADCAST_BYTES
        row_data = _Scattered(client, rows, broadcast)
        col_data = row_data if same else _Scattered(client, cols, broadcast)
        running = {}
        counts = {"tasks": 0, "resubmitted": 0, "seconds": 0.0}

        def submit(tile, tries):
            for attempt in range(_MAX_ATTEMPTS):
                row_data.restore(tile.rows)
                col_data.restore(tile.cols)
                try:
                    future = client.submit(
                        compute_tile, kind, options, root, tile,
                        [row_data[i] for i in tile.rows], [col_data[j] for j in tile.cols],
                        test=work.test, pure=False, key=f"pairwise-tile-{uuid.uuid4().hex}",
                    )
                    break
                except CancelledError:
                    # An input was lost between the status check and the submission.
                    if attempt == _MAX_ATTEMPTS - 1:
                        raise
            running[future.key] = (future, tile, tries)
            return future

        def next_tiles():
            while len(running) < TASKS_PER_SLOT * slots:
                tile = next(tiles, None)
                if tile is None:
                    return
                counts["tasks"] += 1
                yield submit(tile, 1)

        def cancel_all():
            client.cancel([future for future, _, _ in running.values()])

        completed = distributed.as_completed(list(next_tiles()))
        for future in completed:
            _, tile, tries = running.pop(future.key)
            if future.status == "finished":
                chunk = future.result()
                counts["seconds"] += chunk["seconds"]
                sink(chunk)
                completed.update(next_tiles())
                continue
            error = future.exception() if future.status == "error" else None
            if error is not None and not isinstance(error, distributed.KilledWorker):
                cancel_all()
                name_pair(error, labels, getattr(error, "pair", next(tile.pairs())))
                raise error
            if tries >= _MAX_ATTEMPTS or error is not None:
                cancel_all()
                raise RuntimeError(
                    f"pairwise: a task of {len(tile)} pairs failed {tries} time(s) as workers "
                    f"died or lost its data ({error or future.status}); check the workers' "
                    "memory and logs."
                )
            # Cancelled: a worker died holding the only copy of an input; submit()
            # scatters the lost inputs again.
            counts["resubmitted"] += 1
            completed.add(submit(tile, tries + 1))
        row_data.release()
        if not same:
            col_data.release()
        return {
            "backend": "dask",
            "scheduler": client.scheduler.address,
            "workers": len(workers),
            "threads": slots,
            "tasks": counts["tasks"],
            "tasks_resubmitted": counts["resubmitted"],
            "broadcast": broadcast,
            "task_seconds": counts["seconds"],
            "measures_rescattered": row_data.rescattered + (0 if same else col_data.rescattered),
        }
    finally:
        close()
