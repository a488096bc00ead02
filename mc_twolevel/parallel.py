"""Where tasks run: in this process, or on a Dask cluster.

``--workers N`` promises N cores, not a layout. On one machine the engine runs
tasks on a plain pool of N threads in this process (:class:`ThreadExecutor`):
kernels release the GIL (``nogil=True``), tasks share compiled code, nothing is
pickled, and no scheduler, event loop or Dask import is paid for (measured in
benchmarks/: threads over nogil kernels are as efficient as processes on 2
cores, and start in milliseconds where a ``distributed`` cluster takes about a
second). ``--scheduler ADDRESS`` or a ``Client`` passed in uses the user's
cluster as it is; a study's ``[cluster]`` table starts worker jobs on a batch system
(:mod:`mc_twolevel.batch`).
"""

import contextlib
import itertools
import os
import sys
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait


class SerialExecutor:
    """Runs tasks one after another in this process (the default of ``simulate``)."""

    def map_unordered(self, fn, calls):
        for index, args in enumerate(calls):
            yield index, fn(*args)


class ThreadExecutor:
    """Runs tasks on ``threads`` threads of this process, yielding results as they finish.

    Tasks are handed out a few at a time beyond the threads' number, so when the
    consumer stops (an error, Ctrl-C) only the tasks already running finish (each a
    fraction of a second) and nothing else starts."""

    def __init__(self, threads):
        self.threads = threads

    def map_unordered(self, fn, calls):
        pending = iter(enumerate(calls))
        running = {}
        with ThreadPoolExecutor(self.threads, thread_name_prefix="mc_twolevel") as pool:
            try:
                for index, args in itertools.islice(pending, 2 * self.threads):
                    running[pool.submit(fn, *args)] = index
                while running:
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        index = running.pop(future)
                        for next_index, args in itertools.islice(pending, 1):
                            running[pool.submit(fn, *args)] = next_index
                        yield index, future.result()
            finally:
                for future in running:
                    future.cancel()


class DaskExecutor:
    """Runs tasks on a ``distributed.Client``, yielding results as they finish."""

    def __init__(self, client):
        self.client = client

    def map_unordered(self, fn, calls):
        from distributed import as_completed

        futures = [self.client.submit(fn, *args, pure=False) for args in calls]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for future, result in self._finishing(as_completed(futures, with_results=True)):
                yield index[future.key], result
        finally:
            self.client.cancel(futures)

    def _finishing(self, completed):
        """``(future, result)`` pairs of ``completed`` (a ``distributed.as_completed``) as they finish;
        a subclass may watch something else while it waits."""
        return completed


@contextlib.contextmanager
def executor(client=None, scheduler=None, workers=None, cluster=None, serial=False):
    """The executor for a run, closing whatever it started on exit."""
    if client is not None:
        yield DaskExecutor(client)
        return
    if serial:
        yield SerialExecutor()
        return
    if scheduler:
        from distributed import Client

        with Client(scheduler) as connected:
            yield DaskExecutor(connected)
        return
    if cluster:
        from .batch import JobqueueExecutor, jobqueue_client

        with jobqueue_client(cluster) as (connected, watchdog):
            yield JobqueueExecutor(connected, watchdog)
        return
    yield ThreadExecutor(workers or os.cpu_count())


class Progress:
    """A trial-count progress bar (``tqdm.auto``: a widget in Jupyter, text on a terminal).

    ``show=None`` shows it on a terminal or in a Jupyter kernel. Trials already done
    when a round is planned (a resumed store) count as the bar's starting point, not as
    throughput.
    """

    def __init__(self, show=None):
        from tqdm.auto import tqdm

        show = (sys.stderr.isatty() or "ipykernel" in sys.modules) if show is None else show
        self.bar = tqdm(total=0, unit="trial", unit_scale=True, disable=not show, smoothing=0.1)

    def add(self, total, done):
        if self.bar.disable:  # a hidden bar keeps no counts
            return
        self.bar.total += int(total)
        if done:  # finished earlier: move the start, not the rate
            self.bar.initial += int(done)
            self.bar.n += int(done)
            self.bar.last_print_n = self.bar.n
        self.bar.refresh()

    def update(self, trials):
        self.bar.update(int(trials))

    def close(self):
        self.bar.close()
