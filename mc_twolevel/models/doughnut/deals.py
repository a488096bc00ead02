"""The deal space, by doughnut type and count, enumerated once per parameter point."""

import itertools

import numpy as np

from .declarations import ATTRIBUTES


def _takes(counts, k):
    """Every way to take k doughnuts from types with ``counts``: tuples of counts per type."""
    ranges = [range(min(c, k) + 1) for c in counts]
    return [t for t in itertools.product(*ranges) if sum(t) == k]


def deals(counts, reward, credit):
    """Every deal as arrays ``(reward_a, reward_b, pool_a, credit_a)``, one row a deal.

    ``reward_*`` and ``pool_a`` count doughnuts per type; the pool's rest goes to b;
    ``credit_a`` is a's credit points (b gets ``credit - credit_a``).
    """
    counts = np.asarray(counts)
    rows = []
    for reward_a in _takes(counts, reward):
        left = counts - np.array(reward_a)
        for reward_b in _takes(left, reward):
            pool = left - np.array(reward_b)
            for pool_a in itertools.product(*[range(c + 1) for c in pool]):
                rows.append((reward_a, reward_b, pool_a))
    splits = np.arange(min(0, credit), max(0, credit) + 1)
    ra, rb, pa = (np.array([r[i] for r in rows], dtype=np.int64).reshape(len(rows), len(counts)) for i in range(3))
    repeat = len(splits)
    return np.repeat(ra, repeat, 0), np.repeat(rb, repeat, 0), np.repeat(pa, repeat, 0), np.tile(splits, len(rows))


def plan(point):
    """The box's counts and attributes, and every deal: the kernel's per-point tables."""
    counts = np.array([t["count"] for t in point["box"]], dtype=np.int64)
    attributes = np.array([[float(t[a]) for a in ATTRIBUTES] for t in point["box"]])
    return counts, attributes, *deals(counts, point["reward"], point["credit"])
