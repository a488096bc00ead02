"""The deal space, by doughnut type and count, enumerated once per parameter point."""

import functools
import itertools
import math

import numpy as np

from .declarations import ATTRIBUTES


def _takes(counts, k):
    """Every way to take k doughnuts from types with ``counts``: tuples of counts per type."""
    ranges = [range(min(c, k) + 1) for c in counts]
    return [t for t in itertools.product(*ranges) if sum(t) == k]


def deals(counts, reward, credit, trades=False):
    """Every deal as arrays ``(eaten_a, eaten_b, pool_a, credit_a)``, one row a deal.

    ``eaten_*`` count per type the reward doughnuts each negotiator ends with: the
    ``2 reward`` doughnuts they take from the box, ``reward`` each, or, with ``trades``,
    ``reward - 1`` and ``reward + 1`` when one hands a reward doughnut to the other.
    ``pool_a`` counts the pool doughnuts going to group a; the pool's rest goes to b;
    ``credit_a`` is a's credit points (b gets ``credit - credit_a``).
    """
    counts = np.asarray(counts)
    shares = [(reward, reward)]
    if trades and reward > 0:
        shares += [(reward - 1, reward + 1), (reward + 1, reward - 1)]
    rows = []
    for n_a, n_b in shares:
        for eaten_a in _takes(counts, n_a):
            left = counts - np.array(eaten_a)
            for eaten_b in _takes(left, n_b):
                pool = left - np.array(eaten_b)
                for pool_a in itertools.product(*[range(c + 1) for c in pool]):
                    rows.append((eaten_a, eaten_b, pool_a))
    splits = np.arange(min(0, credit), max(0, credit) + 1)
    ea, eb, pa = (np.array([r[i] for r in rows], dtype=np.int64).reshape(len(rows), len(counts)) for i in range(3))
    repeat = len(splits)
    return np.repeat(ea, repeat, 0), np.repeat(eb, repeat, 0), np.repeat(pa, repeat, 0), np.tile(splits, len(rows))


def labelled_ways(counts, *parts):
    """How many labelled deals each type-level deal stands for: the multinomial
    ``prod_t counts_t! / (parts_1t! parts_2t! ...)``, the parts being each deal's
    counts per type (the rest of each type is the last part)."""
    counts = np.asarray(counts)
    rest = counts - sum(parts)
    log_factorial = np.array([math.lgamma(n + 1) for n in range(int(counts.max()) + 1)])
    log_ways = sum(math.lgamma(c + 1) for c in counts) - sum(
        log_factorial[np.asarray(part)].sum(axis=1) for part in (*parts, rest)
    )
    return np.rint(np.exp(log_ways))


def _distinct(rows):
    """The distinct rows in lexicographic order and each row's number among them (what
    ``np.unique(rows, axis=0, return_inverse=True)`` gives, by one lexsort)."""
    order = np.lexsort(rows.T[::-1])
    ordered = rows[order]
    new = np.ones(len(rows), dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    numbers = np.empty(len(rows), dtype=np.int64)
    numbers[order] = np.cumsum(new) - 1
    return ordered[new], numbers


def _numbered(rows):
    """Each row's number among the distinct rows."""
    return _distinct(rows)[1]


def _by_key(keys, ways, size):
    """For keys ``0..size-1``: a deal giving the key's share, the deals of each key in a
    row (``start[k]:start[k+1]`` of ``members``) and the labelled deals each key stands for."""
    members = np.argsort(keys, kind="stable")
    start = np.zeros(size + 1, dtype=np.int64)
    np.add.at(start, keys + 1, 1)
    start = np.cumsum(start)
    key_ways = np.zeros(size)
    np.add.at(key_ways, keys, ways)
    return members[start[:-1]], start, members, key_ways


def plan(point):
    """The kernel's per-point tables: the box, every deal, how many labelled deals each
    stands for (ties are broken in proportion to it), and the deals grouped by share. Points
    with the same box, reward, credit and trades share one deal space (the last four deal
    spaces are kept; the kernel only reads them), so a sweep over anything else, the class
    size included, enumerates the deals once; only ``key_weights`` is made per point.

    ``keys[g, d]`` numbers what deal d gives group g (its negotiator's doughnuts, its pool
    doughnuts and its credit): all that its members' votes and its negotiator's utility
    depend on. For each key k of group g:
    ``key_counts[g, k]`` what the share gives g per type (its pool doughnuts, its
    negotiator's doughnuts, and how many fewer it holds than the other group),
    ``key_weights[g, t, k]`` how many of type t its negotiator counts (its own and its
    share of the pool, which its group of ``n_students / 2`` eats together),
    ``key_credit[g, k]`` its credit, ``key_outline[g, k]`` the rows of ``outlines`` (pool
    doughnuts to a group, its doughnuts less the other's, its credit) of group g and of the
    other group: what a negotiator who does not know a group's tastes judges the share by.
    ``start``, ``members`` and ``key_ways`` list each key's deals and count its labelled
    deals."""
    box = tuple((t["count"], *(bool(t[a]) for a in ATTRIBUTES)) for t in point["box"])
    tables = _deal_space(box, point["reward"], point["credit"], bool(point["trades"]))
    (counts, attributes, eaten_a, eaten_b, pool_a, ways, keys, key_counts, key_credit, key_outline, start, members,
     key_ways, outlines) = tables  # fmt: skip
    key_weights = np.ascontiguousarray(
        (key_counts[:, :, 0] / (point["n_students"] // 2) + key_counts[:, :, 1]).transpose(0, 2, 1)
    )
    return (counts, attributes, eaten_a, eaten_b, pool_a, ways, keys, key_counts, key_weights, key_credit, key_outline,
            start, members, key_ways, outlines)  # fmt: skip


@functools.lru_cache(maxsize=4)
def _deal_space(box, reward, credit, trades):
    """:func:`plan`'s tables but ``key_weights``, which alone depend on the class size."""
    counts = np.array([t[0] for t in box], dtype=np.int64)
    attributes = np.array([[float(a) for a in t[1:]] for t in box])
    eaten_a, eaten_b, pool_a, credit_a = deals(counts, reward, credit, trades)
    pool_b = counts - eaten_a - eaten_b - pool_a
    ways = labelled_ways(counts, eaten_a, eaten_b, pool_a)
    keys = np.stack([_numbered(np.column_stack([eaten_a, pool_a, credit_a])),
                     _numbered(np.column_stack([eaten_b, pool_b, credit - credit_a]))])  # fmt: skip
    held_a, held_b = (eaten_a + pool_a).sum(axis=1), (eaten_b + pool_b).sum(axis=1)
    outline_a = np.column_stack([pool_a.sum(axis=1), held_a - held_b, credit_a])
    outline_b = np.column_stack([pool_b.sum(axis=1), held_b - held_a, credit - credit_a])
    outlines, view = _distinct(np.vstack([outline_a, outline_b]))
    view = view.reshape(2, -1)  # view[g, d]: deal d's outline for group g
    size = int(keys.max()) + 1
    key_deal = np.zeros((2, size), dtype=np.int64)
    key_outline = np.zeros((2, size, 2), dtype=np.int64)
    start = np.zeros((2, size + 1), dtype=np.int64)
    members = np.zeros_like(keys)
    key_ways = np.zeros((2, size))
    key_counts = np.zeros((2, size, 3, len(counts)))
    key_credit = np.zeros((2, size))
    shares = ((pool_a, eaten_a, pool_b + eaten_b - pool_a - eaten_a, credit_a),
              (pool_b, eaten_b, pool_a + eaten_a - pool_b - eaten_b, credit - credit_a))  # fmt: skip
    for g in range(2):
        used = int(keys[g].max()) + 1
        key_deal[g, :used], start[g, : used + 1], members[g], key_ways[g, :used] = _by_key(keys[g], ways, used)
        start[g, used + 1 :] = start[g, used]
        key_outline[g, :used, 0] = view[g, key_deal[g, :used]]
        key_outline[g, :used, 1] = view[1 - g, key_deal[g, :used]]
        pool_own, eaten_own, held_less, credit_own = (part[key_deal[g, :used]] for part in shares[g])
        key_counts[g, :used] = np.stack([pool_own, eaten_own, held_less], axis=1)
        key_credit[g, :used] = credit_own
    return (counts, attributes, eaten_a, eaten_b, pool_a, ways, keys, key_counts, key_credit, key_outline, start,
            members, key_ways, outlines.astype(np.float64))  # fmt: skip
