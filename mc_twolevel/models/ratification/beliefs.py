"""Beliefs and offers known once per parameter point: the ratification model's plan.

A state's *belief* is the prior probability that its constituency ratifies a
deal giving it the share ``y``: ``P(R' - side <= y)`` for the pivotal threshold
``R'`` after reverberation. For a constituency without spread this is a closed
form with kinks (the ends of a uniform shock's range, the atoms of a threshold
without shock, both shifted by the reverberation); it is evaluated exactly
wherever it is used, and the kinks are candidate offers. With spread it is a
smooth function, computed exactly up to quadrature (binomial tails over
turnout and quota by a recurrence, the shock by prefix sums or a tabulated
normal CDF over 1,600 cells of the pivot) and tabulated on ``GRID`` shares.

Offers maximise the proposer's objective over the grid, the kinks, the range
ends and the points where a belief was truncated by a vote, each evaluated
exactly, and are refined by golden section between neighbouring candidates.
"""

import math
from collections import namedtuple
from typing import NamedTuple

import numba
import numpy as np
from scipy import signal, special

from .declarations import REJECTED, STATES
from .renegotiation import NO_DEAL, equilibrium

GRID = 2049  # shares 0, 1/2048, ..., 1 on which smooth beliefs are tabulated
SHARES = np.linspace(0.0, 1.0, GRID)
CELLS = np.linspace(-9.0, 9.0, 1601)  # edges of the quadrature cells of the standardised pivot
MIDDLES = (CELLS[1:] + CELLS[:-1]) / 2
FORM = namedtuple("Form", ("closed", "reach", "centre", "shock", "normal", "reverb", "backlash"))(*range(7))
CERTAIN = np.array([1.0, 1.0, -10.0, 0.0, 0.0, 0.0, 0.0])  # the form of a belief that ratifies any share
NO_UPDATE, ACCEPTED, REJECTED_AT = 0, 1, 2  # how a vote updated a belief (see _belief)
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


# --- the pivotal threshold's prior ---------------------------------------------------------------


@numba.njit(cache=True)
def _participant_weights(n, turnout):
    """P(m participants), m = 0..n: Binomial(n, turnout)."""
    weights = np.zeros(n + 1)
    if turnout >= 1.0:
        weights[n] = 1.0
        return weights
    log_t, log_u = math.log(turnout), math.log1p(-turnout)
    for m in range(n + 1):
        log_choose = math.lgamma(n + 1.0) - math.lgamma(m + 1.0) - math.lgamma(n - m + 1.0)
        weights[m] = math.exp(log_choose + m * log_t + (n - m) * log_u)
    return weights


@numba.njit(cache=True)
def _quota_rank(quota, m):
    """Yes votes needed among ``m`` participants: ceil(quota m), at least 1."""
    return max(math.ceil(quota * m - 1e-9), 1)


@numba.njit(cache=True)
def _pivot_cdf(below, above, weights, quota):
    """P(Q <= z) for the standardised pivotal reservation Q, given ``below = Phi(z)`` and
    ``above = Phi(-z)``: the binomial tails ``P(Binom(m, Phi(z)) >= k_m)`` mixed over the
    participants m (m = 0 never ratifies), walked up in m by the recurrence
    ``P(X_{m+1} >= k) = P(X_m >= k) + p P(X_m = k - 1)``."""
    top = len(weights) - 1
    while top > 0 and weights[top] == 0.0:
        top -= 1
    out = np.zeros(len(below))
    for i in range(len(below)):
        p, q = below[i], above[i]
        if p == 0.0:
            continue
        if q == 0.0:
            out[i] = weights[1:].sum()
            continue
        tail, pmf, k = p, q, 1  # P(X_1 >= 1), P(X_1 = 0), k_1
        total = weights[1] * tail
        for m in range(1, top):
            tail += p * pmf  # P(X_{m+1} >= k)
            pmf *= (m + 1.0) / (m + 2.0 - k) * q  # P(X_{m+1} = k - 1)
            if _quota_rank(quota, m + 1) > k:
                pmf = pmf * p * (m + 2.0 - k) / k / q  # P(X_{m+1} = k)
                tail -= pmf
                k += 1
            total += weights[m + 1] * tail
        out[i] = total
    return out


def _standard_normal_table():
    """Phi and phi on [-8.5, 8.5] in steps of 1/64, for cubic Hermite interpolation (error < 1e-10)."""
    z = np.linspace(-8.5, 8.5, 17 * 64 + 1)
    return special.ndtr(z), np.exp(-z * z / 2) / math.sqrt(2 * math.pi) / 64


_PHI, _DPHI = _standard_normal_table()


@numba.njit(cache=True)
def _phi_table(z):
    """Phi(z) from the table (0 below -8.5, 1 above 8.5)."""
    if z <= -8.5:
        return 0.0
    if z >= 8.5:
        return 1.0
    t = (z + 8.5) * 64.0
    i = min(int(t), len(_PHI) - 2)
    u = t - i
    u2, u3 = u * u, u * u * u
    return ((2 * u3 - 3 * u2 + 1) * _PHI[i] + (u3 - 2 * u2 + u) * _DPHI[i] + (-2 * u3 + 3 * u2) * _PHI[i + 1]
            + (u3 - u2) * _DPHI[i + 1])  # fmt: skip


@numba.njit(cache=True)
def _normal_smoothed(r, centres, masses, shock):
    """sum_j masses_j Phi((r - centres_j) / shock) for sorted ``centres``: cells more than
    8.5 shock below r count whole, those above not at all."""
    prefix = np.zeros(len(masses) + 1)
    for j in range(len(masses)):
        prefix[j + 1] = prefix[j] + masses[j]
    out = np.empty(len(r))
    for i in range(len(r)):
        first = np.searchsorted(centres, r[i] - 8.5 * shock)
        last = np.searchsorted(centres, r[i] + 8.5 * shock)
        total = prefix[first]
        for j in range(first, last):
            total += masses[j] * _phi_table((r[i] - centres[j]) / shock)
        out[i] = total
    return out


def _cubic(lattice, k):
    """4-point Lagrange interpolation of values on the integer lattice at real positions ``k``."""
    i = np.floor(k).astype(np.int64)
    t = k - i
    weights = (-t * (t - 1) * (t - 2) / 6, (t + 1) * (t - 1) * (t - 2) / 2, -(t + 1) * t * (t - 2) / 2,
               (t + 1) * t * (t - 1) / 6)  # fmt: skip
    return sum(w * lattice[i + d] for w, d in zip(weights, (-1, 0, 1, 2)))


def _normal_sum(r, centres, masses, shock):
    """``sum_j masses_j Phi((r - centres_j) / shock)`` at many ``r``: summed directly where the
    window of cells is narrow; else on a lattice of step at most shock / 50 (smooth on that
    scale) and interpolated, 4-point Lagrange, error about 1e-9. The lattice is a coarse one
    through ``r`` summed directly, or one through the centres (the cells' masses on every
    L-th point) convolved with the sampled normal CDF, whichever costs less."""
    cell = centres[1] - centres[0] if len(centres) > 1 else 1.0
    window = min(len(masses), 17 * shock / cell)
    span = r.max() - r.min()
    coarse = span / (shock / 50) + 4
    every = max(1, math.ceil(50 * cell / shock))
    delta = cell / every
    reach = math.ceil(8.5 * shock / delta)
    fine = span / delta + 2 * reach + 4
    costs = {"direct": len(r) * window, "coarse": coarse * window, "fine": 20 * fine * math.log2(fine + 2)}
    method = min(costs, key=costs.get)
    if method == "direct" or len(masses) < 2:
        return _normal_smoothed(r, centres, masses, shock)
    if method == "coarse":
        step = shock / 50
        start = r.min() - step
        lattice = _normal_smoothed(start + step * np.arange(-1, math.ceil(span / step) + 4), centres, masses, shock)
        return _cubic(lattice, (r - start) / step + 1)
    k = (r - centres[0]) / delta
    lo, hi = math.floor(k.min()) - 1, math.ceil(k.max()) + 2
    positions = np.arange(len(masses)) * every
    inside = (positions >= lo - reach) & (positions <= hi + reach)
    extended = np.zeros(hi - lo + 2 * reach + 1)
    extended[positions[inside] - (lo - reach)] = masses[inside]
    below = masses[positions < lo - reach].sum()  # counted whole everywhere on the lattice
    window = signal.fftconvolve(extended, special.ndtr(np.arange(-reach, reach + 1) * delta / shock), mode="valid")
    lattice = below + np.concatenate([[0.0], np.cumsum(extended)])[: hi - lo + 1] + window
    return _cubic(lattice, k - lo)


def _uniform_smoothed(r, centres, masses, shock):
    """sum_j masses_j clip((r - centres_j + shock) / (2 shock), 0, 1), by prefix sums."""
    mass = np.concatenate([[0.0], np.cumsum(masses)])
    moment = np.concatenate([[0.0], np.cumsum(masses * centres)])
    whole = np.searchsorted(centres, r - shock, side="right")
    partial = np.searchsorted(centres, r + shock, side="left")
    inside = (r + shock) * (mass[partial] - mass[whole]) - (moment[partial] - moment[whole])
    return mass[whole] + inside / (2 * shock)


class Prior:
    """The prior of one state's pivotal threshold ``R`` before reverberation: ``cdf(r) = P(R <= r)``
    (``R`` is infinite when nobody takes part)."""

    def __init__(self, n, mu, shock, spread, turnout, quota, shock_dist):
        self.n, self.mu, self.shock, self.spread, self.quota = int(n), mu, shock, spread, quota
        self.normal = shock_dist == "normal"
        self.weights = _participant_weights(self.n, float(turnout))
        self.reach = 1.0 - self.weights[0]
        if spread > 0.0 and shock > 0.0 and not (self.normal and self.n == 1):
            masses = np.diff(self._pivot(CELLS))  # midpoint quadrature over the pivot
            kept = np.flatnonzero(masses > 1e-20)  # cells that can matter (the rest weigh < 2e-17)
            self.masses = masses[kept[0] : kept[-1] + 1] if len(kept) else masses[:0]
            self.centres = (mu + spread * MIDDLES)[kept[0] : kept[-1] + 1] if len(kept) else MIDDLES[:0]

    def _pivot(self, z):
        return _pivot_cdf(special.ndtr(z), special.ndtr(-z), self.weights, self.quota)

    def cdf(self, r):
        r = np.asarray(r, dtype=np.float64)
        if self.spread == 0.0:
            if self.shock == 0.0:
                return self.reach * (r >= self.mu)
            e = r - self.mu
            shocked = (
                special.ndtr(e / self.shock) if self.normal else np.clip((e + self.shock) / (2 * self.shock), 0, 1)
            )
            return self.reach * shocked
        if self.shock == 0.0:
            return self._pivot(np.atleast_1d((r - self.mu) / self.spread)).reshape(r.shape)
        if self.normal and self.n == 1:  # one normal reservation plus a normal shock: normal
            return self.reach * special.ndtr((r - self.mu) / math.hypot(self.spread, self.shock))
        flat = np.atleast_1d(r).ravel()
        if not self.normal:
            return _uniform_smoothed(flat, self.centres, self.masses, self.shock).reshape(r.shape)
        return _normal_sum(flat, self.centres, self.masses, self.shock).reshape(r.shape)


def prior(point, state):
    """The :class:`Prior` of ``state``'s pivotal threshold at ``point``."""
    get = lambda k: point[f"{k}_{state}"]
    return Prior(get("n"), get("mu"), get("shock"), get("spread"), get("turnout"), get("quota"), point["shock_dist"])


def threshold_cdf(r, n, mu, shock, spread, turnout, quota, shock_dist):
    """P(R <= r) for the pivotal threshold R before reverberation (exact up to quadrature)."""
    return Prior(n, mu, shock, spread, turnout, quota, shock_dist).cdf(r)


def ratify_probability(point, state, shares=SHARES, threshold=None):
    """P(state's constituency ratifies when its share is ``shares``), under the prior."""
    threshold = threshold or prior(point, state)
    r = np.asarray(shares, dtype=np.float64) + point[f"side_{state}"]
    reverb, backlash = point[f"reverb_{state}"], point[f"backlash_{state}"]
    if reverb == 0.0:
        return threshold.cdf(r)
    return (1 - backlash) * threshold.cdf(r + reverb) + backlash * threshold.cdf(r - reverb)


def belief_form(point, state, threshold):
    """A state's belief in closed form where it has one (no spread), read by :func:`believe`."""
    form = np.zeros(len(FORM))
    form[FORM.closed] = point[f"spread_{state}"] == 0.0
    form[FORM.reach] = threshold.reach
    form[FORM.centre] = point[f"mu_{state}"] - point[f"side_{state}"]
    form[FORM.shock] = point[f"shock_{state}"]
    form[FORM.normal] = point["shock_dist"] == "normal"
    form[FORM.reverb] = point[f"reverb_{state}"]
    form[FORM.backlash] = point[f"backlash_{state}"]
    return form


# --- beliefs evaluated anywhere (plan and kernel) ---------------------------------------------


@numba.njit(cache=True, inline="always")
def interpolate(table, share):
    """Linear interpolation of a belief table at ``share`` (clamped to [0, 1])."""
    if share <= 0.0:
        return table[0]
    if share >= 1.0:
        return table[-1]
    position = share * (GRID - 1)
    i = min(int(position), GRID - 2)
    t = position - i
    return table[i] * (1.0 - t) + table[i + 1] * t


@numba.njit(cache=True)
def _shocked(e, shock, normal):
    """P(shock <= e)."""
    if shock == 0.0:
        return 1.0 if e >= 0.0 else 0.0
    if normal:
        return 0.5 * math.erfc(-e / (shock * math.sqrt(2.0)))
    return min(max((e + shock) / (2.0 * shock), 0.0), 1.0)


@numba.njit(cache=True, inline="always")
def believe(table, form, share):
    """P(a state ratifies at its own ``share``) under the prior: exact for a closed form, else
    the table interpolated (smooth beliefs only)."""
    if form[FORM.closed] == 0.0:
        return interpolate(table, share)
    e = share - form[FORM.centre]
    reverb, backlash, shock, normal = form[FORM.reverb], form[FORM.backlash], form[FORM.shock], form[FORM.normal]
    if reverb == 0.0:
        return form[FORM.reach] * _shocked(e, shock, normal)
    mixed = (1.0 - backlash) * _shocked(e + reverb, shock, normal) + backlash * _shocked(e - reverb, shock, normal)
    return form[FORM.reach] * mixed


@numba.njit(cache=True)
def kinks(form):
    """Own shares where a closed-form belief has a kink or an atom (none for a table)."""
    if form[FORM.closed] == 0.0:
        return np.empty(0)
    out = np.empty(6)
    count = 0
    for d in (-form[FORM.reverb], form[FORM.reverb]):
        for e in (-form[FORM.shock], 0.0, form[FORM.shock]):
            out[count] = form[FORM.centre] + d + e
            count += 1
    return out


@numba.njit(cache=True)
def _belief(table, form, share, update, at):
    """The belief after a vote at the probability ``at`` of ratifying: ``ACCEPTED`` (the
    threshold is known to be at most the voted share), ``REJECTED_AT`` (above it), or none."""
    p = believe(table, form, share)
    if update == ACCEPTED:
        return min(p, at) / at if at > 0.0 else 0.0
    if update == REJECTED_AT:
        return max(p - at, 0.0) / (1.0 - at) if at < 1.0 else 0.0
    return p


# --- offers -------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _objective(x, nash, proposer_a, w, tables, forms, updates, ats):
    """Expected value of offer ``x`` (a's share) under the (updated) beliefs of both states."""
    p = _belief(tables[0], forms[0], x, updates[0], ats[0]) * _belief(tables[1], forms[1], 1.0 - x, updates[1], ats[1])
    if nash:
        return x**w * (1.0 - x) ** (1.0 - w) * p
    return (x if proposer_a else 1.0 - x) * p


@numba.njit(cache=True)
def _candidates(lo, hi, forms, extra):
    """Sorted candidate offers (a's share) in [lo, hi]: the grid, the ends, the kinks of both
    beliefs and ``extra``."""
    points = [lo, hi]
    for i in range(GRID):
        share = i / (GRID - 1)
        if lo <= share <= hi:
            points.append(share)
    for y in kinks(forms[0]):
        points.append(y)
    for y in kinks(forms[1]):
        points.append(1.0 - y)
    for x in extra:
        points.append(x)
    xs = np.array(points)
    xs = np.unique(xs[(xs >= lo) & (xs <= hi)])
    return xs


@numba.njit(cache=True)
def best_offer(lo, hi, nash, proposer_a, w, tables, forms, updates, ats, extra):
    """argmax of the objective on [lo, hi] (a's share; NaN when no offer has a positive value):
    every candidate evaluated exactly, the best refined by golden section between its neighbours."""
    if lo > hi:
        return np.nan
    xs = _candidates(lo, hi, forms, extra)
    best, best_value = 0, -1.0
    for i in range(len(xs)):
        v = _objective(xs[i], nash, proposer_a, w, tables, forms, updates, ats)
        if v > best_value:
            best, best_value = i, v
    if best_value <= 0.0:
        return np.nan
    left, right = xs[max(best - 1, 0)], xs[min(best + 1, len(xs) - 1)]
    for _ in range(60):
        m1, m2 = right - _GOLDEN * (right - left), left + _GOLDEN * (right - left)
        if _objective(m1, nash, proposer_a, w, tables, forms, updates, ats) >= _objective(
            m2, nash, proposer_a, w, tables, forms, updates, ats
        ):
            right = m2
        else:
            left = m1
    refined = (left + right) / 2.0
    return refined if _objective(refined, nash, proposer_a, w, tables, forms, updates, ats) > best_value else xs[best]


@numba.njit(cache=True)
def _own_share_offers(table, form, lo_own, hi_own):
    """For a proposer that knows its own floor: candidate own shares in [lo_own, hi_own] (sorted),
    each's value ``share x P(responder ratifies 1 - share)``, and for each candidate the index
    of the best one at or above it (-1 where none is positive; ties to the smaller share), and
    for each grid share the first candidate at or above it (a constant-time search). The
    candidates are the grid, the ends, the responder's kinks and each grid-local maximum refined."""
    if lo_own > hi_own:
        return np.empty(0), np.empty(0), np.empty(0, dtype=np.int64), np.zeros(GRID, dtype=np.int64)
    no_update = np.zeros(2, dtype=np.int64)
    tables = np.empty((2, GRID))
    tables[0], tables[1] = table, table
    forms = np.empty((2, len(form)))
    forms[0], forms[1] = form, CERTAIN  # the responder's belief at its share x, and 1
    # own share s for the proposer, x = 1 - s for the responder: value (1 - x) P(x)
    xs = _candidates(1.0 - hi_own, 1.0 - lo_own, forms, np.empty(0))
    own = np.empty(0)
    values = np.empty(len(xs))
    for i in range(len(xs)):
        values[i] = (1.0 - xs[i]) * believe(table, form, xs[i])
    refined = []
    for i in range(1, len(xs) - 1):
        if values[i] > 0.0 and values[i] >= values[i - 1] and values[i] >= values[i + 1]:
            x = best_offer(xs[i - 1], xs[i + 1], False, False, 0.0, tables, forms, no_update, np.ones(2), own)
            if not np.isnan(x):
                refined.append(1.0 - x)
    shares = np.concatenate((1.0 - xs, np.array(refined)))
    shares = np.unique(shares)
    share_values = np.empty(len(shares))
    for i in range(len(shares)):
        share_values[i] = shares[i] * believe(table, form, 1.0 - shares[i])
    best = np.empty(len(shares), dtype=np.int64)
    running = -1
    for i in range(len(shares) - 1, -1, -1):
        if share_values[i] > 0.0 and (running < 0 or share_values[i] >= share_values[running]):
            running = i
        best[i] = running
    cells = np.searchsorted(shares, np.arange(GRID) / (GRID - 1))
    return shares, share_values, best, cells


class Plan(NamedTuple):
    """The kernel's per-point tables (passed to it in this order)."""

    ratify: np.ndarray  # [state, share index]: P(state ratifies at that own share) under the prior
    forms: np.ndarray  # [state, FORM.*]: the closed form of that belief where it has one
    own_shares: np.ndarray  # a proposer knowing its own floor: candidate own shares, sorted
    own_values: np.ndarray  # their values (share x P(responder ratifies))
    own_best: np.ndarray  # the best candidate at or above each (-1: none)
    own_cells: np.ndarray  # [share index]: the first candidate at or above that grid share
    first_offer: float  # a's share offered under prior beliefs (NaN: none)
    first_believed: np.ndarray  # [state]: the probability each believes its state ratifies the first offer
    second_offers: np.ndarray  # [REJECTED.*]: a's share offered after that rejection (NaN: none)
    second_signed: np.ndarray  # [REJECTED.*]: whether the responder signs that second offer
    screening: np.ndarray  # renegotiation = "equilibrium": cutoff, first and second offer in the responder's share
    linkage: np.ndarray  # linkage_price < 1: [side payment to a, to b] with the prior offer (zeros otherwise)


def plan(point):
    """Everything the kernel needs that depends only on the parameter point (a :class:`Plan`)."""
    priors = [prior(point, s) for s in STATES]
    forms = np.array([belief_form(point, s, threshold) for s, threshold in zip(STATES, priors)])
    ratify = np.array([ratify_probability(point, s, threshold=threshold) for s, threshold in zip(STATES, priors)])
    lo, hi = point["veto_a"], 1.0 - point["veto_b"]
    nash, proposer_a, w = point["protocol"] == "nash", point["proposer"] == "a", point["w"]
    offer = lambda tables, updates, ats, extra, nash=nash: best_offer(
        lo, hi, nash, proposer_a, w, tables, forms, np.asarray(updates), np.asarray(ats, dtype=np.float64), extra
    )
    x_prior = offer(ratify, (NO_UPDATE, NO_UPDATE), (1.0, 1.0), np.empty(0))
    linkage = np.zeros(len(STATES))
    if point["linkage_price"] < 1.0:
        x_prior, linkage = _linked_offer(point, priors)
    first_believed = np.array([
        ratify_probability(point, "a", x_prior + linkage[0], priors[0]),
        ratify_probability(point, "b", 1.0 - x_prior + linkage[1], priors[1]),
    ]) if not np.isnan(x_prior) else np.zeros(2)  # fmt: skip
    second_offers = np.full(len(REJECTED), np.nan)
    second_signed = np.zeros(len(REJECTED), dtype=np.bool_)
    if point["rounds"] == 2 and not np.isnan(x_prior):
        for pattern, a_rejected, b_rejected in ((REJECTED.a, True, False), (REJECTED.b, False, True),
                                                (REJECTED.both, True, True)):  # fmt: skip
            updates = (REJECTED_AT if a_rejected else ACCEPTED, REJECTED_AT if b_rejected else ACCEPTED)
            x2 = offer(ratify, updates, first_believed, np.array([x_prior]), nash=False)
            second_offers[pattern] = x2
            if not np.isnan(x2):
                responder = 1 if proposer_a else 0
                share = 1.0 - x2 if proposer_a else x2
                second_signed[pattern] = (
                    _belief(ratify[responder], forms[responder], share, updates[responder], first_believed[responder])
                    > 0
                )
    own = (np.empty(0), np.empty(0), np.empty(0, dtype=np.int64), np.zeros(GRID, dtype=np.int64))
    if (point["info"], point["protocol"], point["poll"]) == ("asymmetric", "ultimatum", False):
        responder, own_veto, other_veto = (1, "veto_a", "veto_b") if proposer_a else (0, "veto_b", "veto_a")
        own = _own_share_offers(ratify[responder], forms[responder], point[own_veto], 1.0 - point[other_veto])
    return Plan(ratify, forms, *own, float(x_prior), first_believed, second_offers, second_signed, _screening(point),
                linkage)  # fmt: skip


def _linked_offer(point, priors):
    """The proposer's offer with a side payment at ``linkage_price = k < 1`` (Putnam: judged by
    its contribution to ratification). A unit of value delivered as side payment costs k, as
    share 1, so the responder gets share 0 and a side payment ``s`` maximising
    ``(1 - k s) P(responder ratifies at s) P(proposer's side ratifies at 1)`` over
    ``[0, 1/k]``, searched on a grid and the responder's kinks, all evaluated exactly.
    Returns a's share and the side payments ``[to a, to b]``."""
    k = point["linkage_price"]
    proposer = STATES.index(point["proposer"])
    responder = 1 - proposer
    own = float(ratify_probability(point, STATES[proposer], 1.0, priors[proposer]))
    form = belief_form(point, STATES[responder], priors[responder])

    def value(s):
        s = np.asarray(s, dtype=float)
        return (1.0 - k * s) * ratify_probability(point, STATES[responder], s, priors[responder]) * own

    grid = np.concatenate([np.linspace(0.0, 1.0 / k, 4097), [y for y in kinks(form) if 0.0 <= y <= 1.0 / k]])
    grid = np.unique(grid)
    values = value(grid)
    i = int(np.argmax(values))
    if values[i] <= 0:
        return np.nan, np.zeros(len(STATES))
    left, right = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    for _ in range(60):
        m1, m2 = right - _GOLDEN * (right - left), left + _GOLDEN * (right - left)
        if value(m1) >= value(m2):
            right = m2
        else:
            left = m1
    refined = (left + right) / 2
    s = refined if value(refined) > values[i] else grid[i]
    side = np.zeros(len(STATES))
    side[responder] = s
    return (0.0 if responder == 0 else 1.0), side


def _screening(point):
    """The screening equilibrium of :mod:`.renegotiation` where it is asked for (NaN otherwise)."""
    if point["renegotiation"] != "equilibrium":
        return np.array(NO_DEAL)
    responder, proposer = ("a", "b") if point["proposer"] == "b" else ("b", "a")
    lo = point[f"mu_{responder}"] - point[f"shock_{responder}"] - point[f"side_{responder}"]
    hi = point[f"mu_{responder}"] + point[f"shock_{responder}"] - point[f"side_{responder}"]
    return np.array(equilibrium(lo, hi, point[f"delta_{responder}"], point[f"delta_{proposer}"]))
