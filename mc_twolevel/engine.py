"""Plans chunks of trials, runs them, and reduces them in a fixed order.

A *work item* is one chunk of trials at one parameter point: the row
``(round, point, chunk, trials)`` of a plan. Its random stream is
``SeedSequence(seed, spawn_key=(point, chunk))`` (the kernel says which generator
it feeds and how many substreams: ``TaskKernel.states``), so its counters depend on
nothing but the study. Items are grouped into tasks of at least
``model.chunk_trials`` trials (a few tenths of a second, so scheduler overhead
stays small), the model's value even where the study sets its own chunk size
(which shapes the items, not the work per task); the grouping may vary, the
items and their sums do not. Point
totals are summed over items in plan order, so a run gives the same bits with
any number of workers, in any finishing order, interrupted or not.

A fixed-``trials`` study has one round. A ``precision`` study runs rounds: one
chunk per point first, then, from the estimates so far, enough further chunks
for every output's 95% half-width to fall below the target (or the point to
reach ``max_trials``). Each round depends only on earlier rounds' counters, so
it too is deterministic and resumable.
"""

import contextlib
import itertools
import math

import numpy as np

from .estimators import estimate, half_widths

ROUND, POINT, CHUNK, TRIALS = range(4)


def fixed_plan(n_points, trials, chunk_trials):
    """Items giving every point ``trials`` trials in chunks of ``chunk_trials``."""
    sizes = [chunk_trials] * (trials // chunk_trials) + ([trials % chunk_trials] if trials % chunk_trials else [])
    return np.array([(0, p, c, n) for p in range(n_points) for c, n in enumerate(sizes)], dtype=np.int64).reshape(-1, 4)


def point_totals(items, counters, n_points):
    """Per-point counter totals and trial counts, summed in plan order."""
    totals = np.zeros((n_points, counters.shape[1]))
    trials = np.zeros(n_points, dtype=np.int64)
    for point in range(n_points):
        rows = items[:, POINT] == point
        if rows.any():
            totals[point] = np.add.reduce(counters[rows], axis=0)
            trials[point] = items[rows, TRIALS].sum()
    return totals, trials


def precision_round(number, items, counters, model, n_points, scope, target, chunk_trials, max_trials):
    """Round ``number`` of a precision study from the earlier rounds' ``items`` and ``counters``.

    ``scope`` says where outputs are defined (:meth:`~mc_twolevel.model.Model.scope`).
    Empty when every point has met the target or reached ``max_trials``.
    """
    if number == 0:
        return np.array([(0, p, 0, chunk_trials) for p in range(n_points)], dtype=np.int64)
    totals, trials = point_totals(items, counters, n_points)
    widths = half_widths(model, estimate(model, totals, trials, scope), scope)
    rows = []
    for point in np.flatnonzero((widths > target) & (trials < max_trials)):
        room = (max_trials - trials[point]) // chunk_trials  # max_trials is a hard cap
        if room == 0:
            continue
        if np.isinf(widths[point]):  # an output still undefined: double the trials and look again
            wanted = trials[point]
        else:
            wanted = trials[point] * ((widths[point] / target) ** 2 - 1) * 1.1
        chunks = min(room, max(1, math.ceil(wanted / chunk_trials)))
        first = int(items[items[:, POINT] == point, CHUNK].max()) + 1
        rows += [(number, point, first + c, chunk_trials) for c in range(chunks)]
    return np.array(rows, dtype=np.int64).reshape(-1, 4)


def run_items(kernel, thetas, tables, items, seed):
    """Counters of each item (a Dask task body): ``kernel`` is the model's
    :class:`~mc_twolevel.model.TaskKernel`; ``thetas[k]`` and ``tables[k]`` are the
    parameter point and per-point tables of ``items[k]``."""
    kernel.verify()  # the worker runs the code the driver planned with, or stops the run
    counters = np.zeros((len(items), kernel.size))
    for row, (theta, point_tables, item) in enumerate(zip(thetas, tables, items)):
        states = kernel.states(seed, (item[POINT], item[CHUNK]))
        kernel.run(theta, point_tables, item[TRIALS], states, counters[row])
    return counters


def group_tasks(rows, items, target_trials):
    """Consecutive pending rows grouped into tasks of at least ``target_trials``."""
    tasks, current, size = [], [], 0
    for row in rows:
        current.append(row)
        size += items[row, TRIALS]
        if size >= target_trials:
            tasks.append(np.array(current))
            current, size = [], 0
    if current:
        tasks.append(np.array(current))
    return tasks


def execute(model, thetas, tables, seed, ledger, next_round, start, progress):
    """Run rounds until ``next_round`` plans nothing; returns per-point totals.

    ``thetas`` and ``tables`` hold each point's encoded parameters and planned
    tables. ``next_round(number, items, counters)`` plans round ``number`` from the
    items and counters of the rounds before it, so a resumed run replans identically.
    ``start()`` is a context manager giving the executor; it is entered when a round
    first has an item left to compute and left when the run ends, so a run whose
    ledger already holds every item starts none (no thread pool, no batch job).
    """
    with contextlib.ExitStack() as started:
        runner = None
        for number in itertools.count():
            earlier = ledger.items[:, ROUND] < number
            planned = next_round(number, ledger.items[earlier], ledger.counters[earlier])
            if len(planned) == 0:
                break
            rows = ledger.add_round(planned)
            pending = rows[~ledger.done[rows]]
            progress.add(ledger.items[rows, TRIALS].sum(), ledger.items[rows[ledger.done[rows]], TRIALS].sum())
            if len(pending) == 0:
                continue
            if runner is None:
                runner = started.enter_context(start())
            tasks = group_tasks(pending, ledger.items, model.chunk_trials)
            for index, counters in runner.map_unordered(run_items, _calls(model, thetas, tables, seed, ledger, tasks)):
                ledger.record(tasks[index], counters)
                progress.update(ledger.items[tasks[index], TRIALS].sum())
    return point_totals(ledger.items, ledger.counters, len(thetas))


def _calls(model, thetas, tables, seed, ledger, tasks):
    """The arguments of :func:`run_items` for each task."""
    kernel = model.task_kernel
    calls = []
    for task in tasks:
        points = ledger.items[task, POINT]
        calls.append((kernel, thetas[points], [tables[p] for p in points], ledger.items[task], seed))
    return calls
