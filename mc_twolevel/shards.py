"""Shards: the I-th of N deterministic shares of a study's work, for job arrays.

``mc-twolevel run STUDY --out PATH --shard I/N`` computes every N-th work item
of the plan, starting from item I (items dealt round-robin, so every shard gets
a like share of cheap and expensive points), into its own ledger
``PATH.shards/I-of-N.zarr`` beside the store. Shards never write to one file, so
any number run at once on any nodes sharing the file system. The last shard to
finish assembles the results into ``PATH``; a run without ``--shard`` on
``PATH`` assembles too, computing whatever no shard finished. An item's stream
depends only on the study, its point and its chunk, so the assembled results
are the same bits as one unsharded run; after assembly the shard ledgers are
removed.

Only fixed-``trials`` studies shard: a ``precision`` study plans each round from
the estimates of the rounds before it, so its work cannot be dealt out ahead of
time; it is refused by name (run it with ``[cluster]`` or ``--scheduler``).
"""

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zarr

from . import store as stores
from .engine import CHUNK, POINT, ROUND, TRIALS
from .errors import InputError
from .schema import COMPLETE, HASH, STATUS

_SHARD = re.compile(r"(\d+)/(\d+)")
_ASSEMBLING = "assembling"


@dataclass(frozen=True)
class Shard:
    """Share ``index`` (1-based) of ``count``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text):
        """``"I/N"`` with 1 <= I <= N (as in ``--array=1-N`` and ``$SLURM_ARRAY_TASK_ID/N``)."""
        match = _SHARD.fullmatch(str(text).strip())
        if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
            raise InputError(
                f"--shard {text}: expected I/N with 1 <= I <= N, e.g. --shard 3/8 (the 3rd of 8 shares); "
                "in a SLURM array use --array=1-N and --shard $SLURM_ARRAY_TASK_ID/N"
            )
        return cls(int(match.group(1)), int(match.group(2)))

    def share(self, planned):
        """This shard's rows of a plan: every ``count``-th item from item ``index``."""
        return planned[self.index - 1 :: self.count]


def folder(store):
    """Where the shards of ``store`` keep their ledgers."""
    return Path(str(store) + ".shards")


def ledger_path(store, shard):
    return folder(store) / f"{shard.index}-of-{shard.count}.zarr"


def check(study, store):
    """Refuse what cannot shard, before any work."""
    if store is None:
        raise InputError("--shard needs a store (--out PATH) that the shards share")
    if study.precision is not None:
        raise InputError(
            "--shard needs a fixed trials budget: a precision study plans each round from the rounds before it, so "
            "its work cannot be dealt out ahead of time. Give trials = N, or run it whole with [cluster] or "
            "--scheduler"
        )


def next_round(study, shard):
    """The shard's plan: its share of round 0, then nothing."""

    def plan(number, items, counters):
        if number > 0:
            return items[:0]
        return shard.share(study.next_round(0, items, counters))

    return plan


def finish(store, shard, study_hash):
    """Mark a shard done; True if this shard should assemble (all are done and no other has claimed it)."""
    zarr.open_group(ledger_path(store, shard), mode="a").attrs[STATUS] = COMPLETE
    if finished(store, shard.count, study_hash) < shard.count:
        return False
    try:
        os.mkdir(folder(store) / _ASSEMBLING)  # atomic: one shard claims the assembly
    except FileExistsError:
        return False
    return True


def finished(store, count, study_hash):
    """How many of ``count`` shards have finished."""
    done = 0
    for index in range(1, count + 1):
        path = ledger_path(store, Shard(index, count))
        if (path / "zarr.json").exists():
            attrs = zarr.open_group(path, mode="r").attrs
            done += attrs.get(STATUS) == COMPLETE and attrs.get(HASH) == study_hash
    return done


def _ledgers(store, study_hash):
    for path in sorted(folder(store).glob("*-of-*.zarr")):
        if (path / "zarr.json").exists():
            root = zarr.open_group(path, mode="r")
            stores._check_hash(root.attrs.get(HASH), study_hash, path)
            yield path, root


def adopt(study, store, ledger):
    """Copy the finished items of every shard beside ``store`` into the unsharded ``ledger``.

    Returns the number of items adopted. Round 0 is entered into ``ledger`` first
    (as the run would), and an item is adopted only where the round, point, chunk
    and trials all agree.
    """
    if study.precision is not None or not folder(store).is_dir():
        return 0
    rows = ledger.add_round(study.next_round(0, ledger.items[:0], ledger.counters[:0]))
    where = {tuple(ledger.items[row, [ROUND, POINT, CHUNK, TRIALS]]): row for row in rows}
    adopted = {}
    for _, root in _ledgers(store, study.hash):
        items, counters = root["ledger/items"][:], root["ledger/counters"][:]
        for item, values in zip(items, counters):
            row = where.get(tuple(item))
            if row is not None and not ledger.done[row] and not np.isnan(values[0]):
                adopted[row] = values
    if adopted:
        order = np.array(sorted(adopted))
        ledger.record(order, np.array([adopted[row] for row in order]))
    return len(adopted)


def remove(store, study_hash):
    """Remove the shard ledgers of an assembled store (only this study's)."""
    if not folder(store).is_dir():
        return
    for path, _ in list(_ledgers(store, study_hash)):
        shutil.rmtree(path)
    shutil.rmtree(folder(store) / _ASSEMBLING, ignore_errors=True)
    if not any(folder(store).iterdir()):
        folder(store).rmdir()
