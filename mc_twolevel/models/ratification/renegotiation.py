"""Renegotiation as an equilibrium (Iida 1996): a two-round screening game with one ratifier.

The responder state has a single pivotal ratifier whose threshold ``R ~ U[lo,
hi]`` (its share at which ratifying beats no agreement) only it knows; the
proposer's own ratification is certain. Write ``y`` for the responder's share.
The proposer offers ``y1``; after a rejection it offers ``y2``; a rejected
second offer ends the game with nothing. The ratifier's payoff from a share
``y`` ratified in round t is ``delta_r^(t-1) (y - R)``, the proposer's
``delta_p^(t-1) (1 - y)``.

A type's gain from accepting ``y1`` now rather than waiting,
``(y1 - R) - delta_r max(y2 - R, 0)``, falls in ``R``, so the acceptors are the
types below a cutoff ``c``, and after a rejection the proposer believes
``R ~ U[c, hi]`` and offers the static optimum against it,
``y2(c) = min((1 + c) / 2, hi)``. The cutoff type is indifferent::

    y1 - c = delta_r (y2(c) - c)

so types in ``(c, y1]`` reject a first offer they would ratify: strategic
rejections. The proposer chooses ``c`` (equivalently ``y1``) to maximise

    V(c) = [(1 - y1(c)) (c - lo) + delta_p (1 - y2(c)) (min(y2(c), hi) - c)] / (hi - lo),

a quadratic on each side of ``c = 2 hi - 1``, where ``y2`` reaches ``hi``:
on the left ``1 - c = (2 - delta_r)(1 - lo) / (4 - 2 delta_r - delta_p)``;
on the right (every remaining type accepts ``y2 = hi``)
``hi - c = [(1 - delta_r)(hi - lo) - (1 - delta_p)(1 - hi)] / (2 (1 - delta_r))``.
``V`` has a convex kink between them, so the optimum is the better of the
two, each clipped to its side and to ``y1 >= 0``. With ``lo = 0``, ``hi = 1``
and ``delta_r = delta_p = delta`` this is ``c = 2 (1 - delta) / (4 - 3 delta)``
(0.4 at ``delta = 1/2``, with ``y1 = 0.55``, ``y2 = 0.7``).

The equilibrium is the perfect Bayesian one in cutoff strategies; the
formulas were checked against a brute-force search over discrete types and
offers. Supported: a uniform prior on a single ratifier (``n = 1`` or no
spread, full turnout, no reverberation), ultimatum offers under incomplete
information without a poll, no vetoes, the proposer's ratification certain;
other settings are refused by name.
"""

from typing import NamedTuple

import numpy as np

_TIE = 1e-13


class Screening(NamedTuple):
    """The equilibrium, in the responder's share: cutoff, first and second offer."""

    cutoff: float
    first: float
    second: float


NO_DEAL = Screening(np.nan, np.nan, np.nan)


def second_offer(cutoff, hi):
    """The proposer's best offer against ``R ~ U[cutoff, hi]`` (shares in [0, 1])."""
    if cutoff >= 1.0:
        return 1.0
    if hi <= 0.0:
        return 0.0
    return min(max((1.0 + cutoff) / 2.0, 0.0), min(1.0, hi))


def first_offer(cutoff, hi, delta_responder):
    """The first offer whose cutoff type is ``cutoff``: the indifference condition."""
    return cutoff + delta_responder * max(second_offer(cutoff, hi) - cutoff, 0.0)


def proposer_value(cutoff, lo, hi, delta_responder, delta_proposer):
    """``V(c)``: the proposer's expected payoff when the types below ``c`` accept the first offer."""
    second = second_offer(cutoff, hi)
    first = cutoff + delta_responder * max(second - cutoff, 0.0)
    accept_second = max(min(second, hi) - cutoff, 0.0)
    return ((1.0 - first) * (cutoff - lo) + delta_proposer * (1.0 - second) * accept_second) / (hi - lo)


def _lowest_cutoff(hi, delta_responder):
    """The cutoff whose first offer is 0 (a first offer cannot be negative)."""
    if hi >= (1.0 - delta_responder) / (2.0 - delta_responder):
        return -delta_responder / (2.0 - delta_responder)
    return -delta_responder * hi / (1.0 - delta_responder)


def _candidates(lo, hi, delta_responder, delta_proposer):
    """The optimum of ``V`` on each side of the kink ``c = 2 hi - 1``, clipped to its side."""
    kink = 2.0 * hi - 1.0
    low, high = max(lo, _lowest_cutoff(hi, delta_responder)), min(hi, 1.0)
    candidates = []
    if low <= min(high, kink):  # the second offer is (1 + c) / 2
        left = 1.0 - (2.0 - delta_responder) * (1.0 - lo) / (4.0 - 2.0 * delta_responder - delta_proposer)
        candidates.append(min(max(left, low), min(high, kink)))
    if hi < 1.0 and max(low, kink) <= high:  # the second offer is hi: every remaining type takes it
        if delta_responder < 1.0:
            gap = (1.0 - delta_responder) * (hi - lo) - (1.0 - delta_proposer) * (1.0 - hi)
            right = hi - gap / (2.0 * (1.0 - delta_responder))
        else:
            right = hi  # V is linear there, rising
        candidates.append(min(max(right, max(low, kink)), hi))
    return candidates


def equilibrium(lo, hi, delta_responder, delta_proposer):
    """The proposer-optimal equilibrium against ``R ~ U[lo, hi]`` (a :class:`Screening`)."""
    if lo >= 1.0:
        return NO_DEAL  # no share the proposer can give is ever ratified
    if hi <= 0.0 or lo == hi:  # every type ratifies the cheapest acceptable share at once
        share = max(hi, 0.0)
        return Screening(hi, share, share)
    best = None
    for cutoff in _candidates(lo, hi, delta_responder, delta_proposer):
        value = proposer_value(cutoff, lo, hi, delta_responder, delta_proposer)
        if best is None or value > best[0] + _TIE or (abs(value - best[0]) <= _TIE and cutoff > best[1]):
            best = (value, cutoff)  # near ties go to the earlier agreement
    cutoff = best[1]
    second = second_offer(cutoff, hi)
    return Screening(cutoff, min(max(first_offer(cutoff, hi, delta_responder), 0.0), 1.0), second)
