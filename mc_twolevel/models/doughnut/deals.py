"""The deal space, by doughnut type and count, enumerated once per parameter point."""

import itertools
import math

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


def labelled_ways(counts, *parts):
    """How many labelled deals each type-level deal stands for: the multinomial
    ``prod_t counts_t! / (parts_1t! parts_2t! ...)``, the parts being each deal's
    counts per type (the rest of each type is the last part)."""
    counts = np.asarray(counts)
    rest = counts - sum(parts)
    log_ways = sum(math.lgamma(c + 1) for c in counts) - sum(
        np.vectorize(math.lgamma)(np.asarray(part, dtype=float) + 1).sum(axis=1) for part in (*parts, rest)
    )
    return np.rint(np.exp(log_ways))


def plan(point):
    """The box's counts and attributes, every deal and how many labelled deals each stands
    for (ties are broken in proportion to it): the kernel's per-point tables."""
    counts = np.array([t["count"] for t in point["box"]], dtype=np.int64)
    attributes = np.array([[float(t[a]) for a in ATTRIBUTES] for t in point["box"]])
    reward_a, reward_b, pool_a, credit_a = deals(counts, point["reward"], point["credit"])
    ways = labelled_ways(counts, reward_a, reward_b, pool_a)
    return counts, attributes, reward_a, reward_b, pool_a, credit_a, ways
