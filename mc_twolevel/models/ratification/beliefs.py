"""Beliefs and offers known once per parameter point: the ratification model's plan.

The pivotal threshold's exact prior distribution (binomial tails over turnout
and quota, midpoint quadrature over the shock, mixed over reverberation),
tabulated on ``GRID`` shares; the offer under prior beliefs; the offer of a
proposer who knows only its own threshold; and the second offers of
renegotiation after each pattern of rejection.
"""

import math
from typing import NamedTuple

import numpy as np
from scipy import stats

from .declarations import REJECTED, STATES
from .renegotiation import NO_DEAL, equilibrium

GRID = 2049  # shares 0, 1/2048, ..., 1 on which beliefs are tabulated
SHARES = np.linspace(0.0, 1.0, GRID)


# --- beliefs: the exact distribution of the pivotal threshold, once per point ---------------------


def _participants(n, turnout):
    """Weights of m = 0..n participants (m ~ Binomial(n, turnout))."""
    if turnout >= 1.0:
        weights = np.zeros(n + 1)
        weights[n] = 1.0
        return weights
    return stats.binom.pmf(np.arange(n + 1), n, turnout)


def _quota_rank(quota, m):
    """Yes votes needed among ``m`` participants: ceil(quota m), at least 1."""
    return np.maximum(np.ceil(quota * m - 1e-9), 1).astype(np.int64)


def _standard_pivot_cdf(z, n, turnout, quota):
    """P(Q <= z) for the standardised pivotal reservation Q (m = 0 never ratifies)."""
    weights = _participants(n, turnout)
    p = stats.norm.cdf(z)
    total = np.zeros_like(p)
    for m in np.flatnonzero(weights[1:]) + 1:
        total += weights[m] * stats.binom.sf(_quota_rank(quota, m) - 1, m, p)
    return total


def _shock_cdf(e, size, family):
    if family == "normal":
        return stats.norm.cdf(e / size)
    return np.clip((e + size) / (2 * size), 0.0, 1.0)


def threshold_cdf(r, n, mu, shock, spread, turnout, quota, shock_dist):
    """P(R <= r) for the pivotal threshold R before reverberation (exact up to quadrature)."""
    r = np.asarray(r, dtype=np.float64)
    reach = 1.0 - _participants(n, turnout)[0]
    if spread == 0.0:
        if shock == 0.0:
            return reach * (r >= mu)
        return reach * _shock_cdf(r - mu, shock, shock_dist)
    if shock == 0.0:
        return _standard_pivot_cdf((r - mu) / spread, n, turnout, quota)
    edges = np.linspace(-9.0, 9.0, 1601)
    mass = np.diff(_standard_pivot_cdf(edges, n, turnout, quota))
    middles = (edges[1:] + edges[:-1]) / 2
    return _shock_cdf(r[..., None] - mu - spread * middles, shock, shock_dist) @ mass


def ratify_probability(point, state, shares=SHARES):
    """P(state's constituency ratifies when its share is ``shares``), under the prior."""
    get = lambda k: point[f"{k}_{state}"]
    r = np.asarray(shares) + get("side")
    args = (get("n"), get("mu"), get("shock"), get("spread"), get("turnout"), get("quota"), point["shock_dist"])
    reverb, backlash = get("reverb"), get("backlash")
    if reverb == 0.0:
        return threshold_cdf(r, *args)
    return (1 - backlash) * threshold_cdf(r + reverb, *args) + backlash * threshold_cdf(r - reverb, *args)


# --- offers under beliefs known once per point --------------------------------------------------


def _objective(x, protocol, proposer, w, ratify_a, ratify_b):
    """Expected value of offer ``x`` (a's share) under tabulated beliefs."""
    p = np.interp(x, SHARES, ratify_a) * np.interp(1 - x, SHARES, ratify_b)
    if protocol == "nash":
        return np.power(x, w) * np.power(1 - x, 1 - w) * p
    return (x if proposer == "a" else 1 - x) * p


def best_offer(lo, hi, objective, grid=SHARES):
    """argmax of ``objective`` on [lo, hi]: search on ``grid`` then golden section (NaN if none > 0)."""
    if lo > hi:
        return np.nan
    grid = np.unique(np.concatenate([grid[(lo <= grid) & (hi >= grid)], [lo, hi]]))
    values = objective(grid)
    i = int(np.argmax(values))
    if values[i] <= 0:
        return np.nan
    left, right = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(60):
        m1, m2 = right - ratio * (right - left), left + ratio * (right - left)
        if objective(m1) >= objective(m2):
            right = m2
        else:
            left = m1
    refined = (left + right) / 2
    return refined if objective(refined) >= values[i] else grid[i]


def _truncated(table, at, accepted):
    """Beliefs updated on a vote at share ``at``: accepted (threshold <= at) or rejected."""
    p = np.interp(at, SHARES, table)
    if accepted:
        return np.minimum(table, p) / p if p > 0 else np.zeros_like(table)
    return np.maximum(table - p, 0.0) / (1 - p) if p < 1 else np.zeros_like(table)


class Plan(NamedTuple):
    """The kernel's per-point tables (passed to it in this order)."""

    ratify: np.ndarray  # [state, share index]: P(state ratifies at that own share) under the prior
    suffix_best: np.ndarray  # the best own-share grid offer at or above each floor (see _suffix_best)
    first_offer: float  # a's share offered under prior beliefs (NaN: none)
    second_offers: np.ndarray  # [REJECTED.*]: a's share offered after that rejection (NaN: none)
    second_signed: np.ndarray  # [REJECTED.*]: whether the responder signs that second offer
    screening: np.ndarray  # renegotiation = "equilibrium": cutoff, first and second offer in the responder's share
    linkage: np.ndarray  # linkage_price < 1: [side payment to a, to b] with the prior offer (zeros otherwise)


def plan(point):
    """Everything the kernel needs that depends only on the parameter point (a :class:`Plan`)."""
    ratify = np.array([ratify_probability(point, s) for s in STATES])
    lo, hi = point["veto_a"], 1.0 - point["veto_b"]
    protocol, proposer, w = point["protocol"], point["proposer"], point["w"]
    x_prior = best_offer(lo, hi, lambda x: _objective(x, protocol, proposer, w, ratify[0], ratify[1]))
    linkage = np.zeros(len(STATES))
    if point["linkage_price"] < 1.0:
        x_prior, linkage = _linked_offer(point, ratify)
    second_offers = np.full(len(REJECTED), np.nan)
    second_signed = np.zeros(len(REJECTED), dtype=np.bool_)
    if point["rounds"] == 2 and not np.isnan(x_prior):
        for pattern, a_rejected, b_rejected in ((REJECTED.a, True, False), (REJECTED.b, False, True),
                                                (REJECTED.both, True, True)):  # fmt: skip
            beliefs_a = _truncated(ratify[0], x_prior, not a_rejected)
            beliefs_b = _truncated(ratify[1], 1 - x_prior, not b_rejected)
            x2 = best_offer(lo, hi, lambda x, a=beliefs_a, b=beliefs_b: _objective(x, "ultimatum", proposer, w, a, b))
            second_offers[pattern] = x2
            if not np.isnan(x2):
                responder_share, responder = (1 - x2, beliefs_b) if proposer == "a" else (x2, beliefs_a)
                second_signed[pattern] = np.interp(responder_share, SHARES, responder) > 0
    return Plan(ratify, _suffix_best(point, ratify), float(x_prior), second_offers, second_signed, _screening(point),
                linkage)  # fmt: skip


def _linked_offer(point, ratify):
    """The proposer's offer with a side payment at ``linkage_price = k < 1`` (Putnam: judged by
    its contribution to ratification). A unit of value delivered as side payment costs k, as
    share 1, so the responder gets share 0 and a side payment ``s`` maximising
    ``(1 - k s) P(responder ratifies at s) P(proposer's side ratifies at 1)`` over
    ``[0, 1/k]``. Returns a's share and the side payments ``[to a, to b]``."""
    k = point["linkage_price"]
    responder = "a" if point["proposer"] == "b" else "b"
    own = float(np.interp(1.0, SHARES, ratify[STATES.index(point["proposer"])]))

    def value(s):
        return (1.0 - k * s) * ratify_probability(point, responder, np.asarray(s, dtype=float)) * own

    s = best_offer(0.0, 1.0 / k, value, grid=np.linspace(0.0, 1.0 / k, 4097))
    if np.isnan(s):
        return np.nan, np.zeros(len(STATES))
    side = np.zeros(len(STATES))
    side[STATES.index(responder)] = s
    return (0.0 if responder == "a" else 1.0), side


def _screening(point):
    """The screening equilibrium of :mod:`.renegotiation` where it is asked for (NaN otherwise)."""
    if point["renegotiation"] != "equilibrium":
        return np.array(NO_DEAL)
    responder, proposer = ("a", "b") if point["proposer"] == "b" else ("b", "a")
    lo = point[f"mu_{responder}"] - point[f"shock_{responder}"] - point[f"side_{responder}"]
    hi = point[f"mu_{responder}"] + point[f"shock_{responder}"] - point[f"side_{responder}"]
    return np.array(equilibrium(lo, hi, point[f"delta_{responder}"], point[f"delta_{proposer}"]))


def _suffix_best(point, ratify):
    """For each own-share grid index i: the grid index j >= i maximising the proposer's
    ``own share x P(responder ratifies)`` within the vetoes (-1 where none is positive)."""
    if point["proposer"] == "a":
        own, responder, own_veto, other_veto = SHARES, ratify[1][::-1], point["veto_a"], point["veto_b"]
    else:
        own, responder, own_veto, other_veto = SHARES, ratify[0][::-1], point["veto_b"], point["veto_a"]
    value = np.where((own >= own_veto) & (own <= 1 - other_veto), own * responder, 0.0)
    best = np.empty(GRID, dtype=np.int64)
    running = -1
    for i in range(GRID - 1, -1, -1):
        if value[i] > 0 and (running < 0 or value[i] >= value[running]):
            running = i
        best[i] = running
    return best
