"""Where tasks run: in this process, or on a Dask cluster.

``--workers N`` promises N cores, not a layout. On one machine the engine runs
one in-process Dask worker with N threads: kernels release the GIL
(``nogil=True``), tasks share compiled code and nothing is pickled
(measured in benchmarks/: threads over nogil kernels beat single-threaded processes on
2 cores). ``--scheduler ADDRESS`` or a ``Client`` passed in uses the user's
cluster as it is; a study's ``[cluster]`` table starts worker jobs on a batch system
(:mod:`mc_twolevel.batch`).
"""

import contextlib
import os
import sys


class SerialExecutor:
    """Runs tasks one after another in this process (the default of ``simulate``)."""

    def map_unordered(self, fn, calls):
        for index, args in enumerate(calls):
            yield index, fn(*args)


class DaskExecutor:
    """Runs tasks on a ``distributed.Client``, yielding results as they finish."""

    def __init__(self, client):
        self.client = client

    def map_unordered(self, fn, calls):
        from distributed import as_completed

        futures = [self.client.submit(fn, *args, pure=False) for args in calls]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for future, result in as_completed(futures, with_results=True):
                yield index[future.key], result
        finally:
            self.client.cancel(futures)


@contextlib.contextmanager
def executor(client=None, scheduler=None, workers=None, cluster=None, serial=False):
    """The executor for a run, closing whatever it started on exit."""
    if client is not None:
        yield DaskExecutor(client)
        return
    if serial:
        yield SerialExecutor()
        return
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as connected:
            yield DaskExecutor(connected)
        return
    if cluster:
        from .batch import JobqueueExecutor, jobqueue_client

        with jobqueue_client(cluster) as (connected, watchdog):
            yield JobqueueExecutor(connected, watchdog)
        return
    threads = workers or os.cpu_count()
    with (
        LocalCluster(n_workers=1, threads_per_worker=threads, processes=False, dashboard_address=None) as local,
        Client(local) as connected,
    ):
        yield DaskExecutor(connected)


class Progress:
    """A trial-count progress bar, shown only on a terminal."""

    def __init__(self, show=None):
        from tqdm import tqdm

        show = sys.stderr.isatty() if show is None else show
        self.bar = tqdm(total=0, unit="trial", unit_scale=True, disable=not show, smoothing=0.1)

    def add(self, total, done):
        self.bar.total += int(total)
        self.bar.update(int(done))

    def update(self, trials):
        self.bar.update(int(trials))

    def close(self):
        self.bar.close()
