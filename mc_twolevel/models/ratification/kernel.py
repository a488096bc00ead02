"""The ratification kernel: Level II thresholds (:mod:`.vote`), Level I offers, the vote and
renegotiation, a block of trials at a time."""

import numba
import numpy as np

from ...model import CounterLayout, add_sample
from ...params import flag
from .beliefs import GRID, believe
from .declarations import INFO_CODE, KEY, OUTPUTS, PROPOSER, PROTOCOL, REJECTED, RENEGOTIATION, SHOCK_DIST, STATE, P
from .vote import BLOCK, draw_shocks, gamma_scales, participant_cdf, pivot_block, polls_block, reverberate, scratch

C = CounterLayout(OUTPUTS).slots()


@numba.njit
def _above(x, floor1, floor2, backlash):
    """P(a ratifies x) when its floor is floor1, or floor2 with probability backlash."""
    return (1.0 - backlash) * (x >= floor1) + backlash * (x >= floor2)


@numba.njit
def _below(x, cap1, cap2, backlash):
    """P(b ratifies x) when a's share may be at most cap1, or cap2 with probability backlash."""
    return (1.0 - backlash) * (x <= cap1) + backlash * (x <= cap2)


@numba.njit
def _value(x, protocol, proposer_a, w, pa, pb):
    if protocol == PROTOCOL.nash:
        return x**w * (1.0 - x) ** (1.0 - w) * pa * pb
    return (x if proposer_a else 1.0 - x) * pa * pb


@numba.njit
def _offer_from_points(lo, hi, protocol, proposer_a, w, fa1, fa2, ba, cb1, cb2, bb):
    """Best x (a's share) when a's floors and b's caps are points (known, or polled with a
    reverberation coin): the optimum is at a breakpoint or at the objective's mode."""
    mode = w if protocol == PROTOCOL.nash else (1.0 if proposer_a else 0.0)
    best_x, best_value = -1.0, 0.0
    for x in (lo, hi, fa1, fa2, cb1, cb2, mode):
        if x < lo or x > hi:
            continue
        v = _value(x, protocol, proposer_a, w, _above(x, fa1, fa2, ba), _below(x, cb1, cb2, bb))
        if v > best_value:
            best_x, best_value = x, v
    return best_x


@numba.njit(inline="always")
def _offer_own_known(own_floor, responder_table, responder_form, shares, values, best, cells, lo_own, hi_own):
    """Ultimatum offer (the proposer's own share) by a proposer that knows only its own floor:
    its floor, or the best of the plan's candidates above it, whichever is worth more."""
    start = max(own_floor, lo_own)
    if start > hi_own:
        return -1.0
    exact = start * believe(responder_table, responder_form, 1.0 - start)
    i = cells[min(max(int(start * (GRID - 1)), 0), GRID - 1)]  # the first candidate at or above start's cell
    while i < len(shares) and shares[i] < start:
        i += 1
    j = best[i] if i < len(shares) else -1
    if j >= 0 and values[j] > exact:
        return shares[j]
    return start if exact > 0.0 else -1.0


@numba.njit
def _rubinstein(first_a, floor_a, cap_a, delta_a, delta_b):
    """Stationary SPE share of a with a's shares restricted to [floor_a, cap_a]."""
    unconstrained = (1.0 - delta_b) / (1.0 - delta_a * delta_b)
    if delta_a * unconstrained >= floor_a and unconstrained <= cap_a:
        a_offers = unconstrained
    else:
        floored = 1.0 - delta_b + delta_b * floor_a
        a_offers = floored if delta_a * floored <= floor_a and floored <= cap_a else cap_a
    return a_offers if first_a else max(delta_a * a_offers, floor_a)


@numba.njit
def _offer_at_points(protocol, info, proposer_a, polled, w, lo, hi, floor_a, cap_b, polls_a, polls_b,
                     backlash_a, backlash_b):  # fmt: skip
    """The offer (a's share; -1 for none) when every belief is a point: complete
    information, or polls (a proposer under asymmetric information knows its own)."""
    if info == INFO_CODE.complete:
        return _offer_from_points(lo, hi, protocol, proposer_a, w, floor_a, floor_a, 0.0, cap_b, cap_b, 0.0)
    fa1, fa2, ba = polls_a[0], polls_a[1], backlash_a
    cb1, cb2, bb = 1.0 - polls_b[0], 1.0 - polls_b[1], backlash_b
    if info == INFO_CODE.asymmetric and protocol == PROTOCOL.ultimatum:
        if proposer_a:
            fa1, fa2, ba = floor_a, floor_a, 0.0
        else:
            cb1, cb2, bb = cap_b, cap_b, 0.0
    return _offer_from_points(lo, hi, protocol, proposer_a, w, fa1, fa2, ba, cb1, cb2, bb)


@numba.njit
def _both_sign(x, lo, hi, knows, floor_a, cap_b, believed_a, believed_b):
    """Whether both negotiators sign x: never beyond their vetoes, nor what they know its
    constituency would reject (``knows``), nor what they believe it surely would
    (``believed_*``: the ratification probability they believe)."""
    if x < lo or x > hi:
        return False
    if knows:
        return x >= floor_a and x <= cap_b
    return believed_a > 0.0 and believed_b > 0.0


@numba.njit
def _strategic_no(share1, share2, floor, delta, offered):
    """A single ratifier rejects a first offer it would accept when the second offer that
    follows its rejection gives a larger discounted surplus (Iida 1996)."""
    return offered and share1 >= floor and share2 >= floor and delta * (share2 - floor) > share1 - floor


@numba.njit(inline="always")
def _count_ratified(x, payoff_a, payoff_b, totals):
    """Count a ratified deal giving a the share ``x`` and the states these payoffs."""
    totals[C.ratified] += 1.0
    add_sample(totals, C.share_a, C.share_a_sq, x)
    add_sample(totals, C.payoff_a, C.payoff_a_sq, payoff_a)
    add_sample(totals, C.payoff_b, C.payoff_b_sq, payoff_b)


@numba.njit
def play_screening(screening, proposer_a, floor_a, floor_b, delta_a, delta_b, totals):
    """One trial of the screening equilibrium (:mod:`.renegotiation`): the responder's ratifier,
    of own-share threshold ``floor_*``, accepts the first offer iff it is at or below the
    cutoff; above it, it rejects (strategically while the first offer was acceptable) and
    ratifies the second offer iff that is at least its threshold."""
    cutoff, first, second = screening[0], screening[1], screening[2]
    if np.isnan(first):
        totals[C.breakdown] += 1.0
        return
    totals[C.agree] += 1.0
    threshold = floor_b if proposer_a else floor_a  # the responder's, in its own share
    if threshold <= cutoff:
        x = 1.0 - first if proposer_a else first
        _count_ratified(x, x, 1.0 - x, totals)
        return
    totals[C.invol] += 1.0
    totals[C.fail_b if proposer_a else C.fail_a] += 1.0
    totals[C.strategic_no] += threshold <= first
    if threshold <= second:
        x = 1.0 - second if proposer_a else second
        _count_ratified(x, delta_a * x, delta_b * (1.0 - x), totals)


@numba.njit
def _state_values(theta):
    """``values[state, KEY.<key>]``: each state's parameters, read once per call."""
    values = np.empty((len(STATE), len(KEY)))
    for state in range(len(STATE)):
        for key in range(len(KEY)):
            values[state, key] = theta[STATE[state][key]]
    return values


@numba.njit(inline="always")
def _sums(x, n):
    """``(sum x[:n], sum x[:n]^2)`` in a fixed order that does not wait on each addition: four
    running sums of each over interleaved elements, combined pairwise (the same bits on
    every machine, unlike a vectorised reduction, whose order depends on the vector width)."""
    s0 = s1 = s2 = s3 = q0 = q1 = q2 = q3 = 0.0
    whole = n - n % 4
    for i in range(0, whole, 4):
        s0, s1, s2, s3 = s0 + x[i], s1 + x[i + 1], s2 + x[i + 2], s3 + x[i + 3]
        q0, q1 = q0 + x[i] * x[i], q1 + x[i + 1] * x[i + 1]
        q2, q3 = q2 + x[i + 2] * x[i + 2], q3 + x[i + 3] * x[i + 3]
    for i in range(whole, n):
        s0, q0 = s0 + x[i], q0 + x[i] * x[i]
    return (s0 + s1) + (s2 + s3), (q0 + q1) + (q2 + q3)


@numba.njit
def count_winsets(floors, sizes, totals, n):
    """The realised win-sets' sizes (clipped to [0, 1]) and whether they overlap (both
    non-empty and intersecting), for a block's floors (``sizes[2, BLOCK]``: scratch)."""
    overlap = 0
    for i in range(n):
        floor_a, cap_b = floors[0, i], 1.0 - floors[1, i]  # a ratifies iff x >= floor_a, b iff x <= cap_b
        sizes[0, i], sizes[1, i] = min(max(1.0 - floor_a, 0.0), 1.0), min(max(cap_b, 0.0), 1.0)
        overlap += (floor_a <= cap_b) & (floor_a <= 1.0) & (cap_b >= 0.0)
    totals[C.overlap] += overlap
    for state, (size, size_sq) in enumerate(((C.winset_a, C.winset_a_sq), (C.winset_b, C.winset_b_sq))):
        total, squares = _sums(sizes[state], n)
        totals[size] += total
        totals[size_sq] += squares


@numba.njit
def vote_on_one_offer(x, side_a, side_b, floors, n):
    """``(ratified, rejected by a, rejected by b)``: the votes on one signed offer ``x`` (a's
    share) over a block's floors, counted without branches."""
    ratified = fail_a = fail_b = 0
    for i in range(n):
        yes_a, yes_b = x >= floors[0, i] - side_a, x <= 1.0 - floors[1, i] + side_b
        ratified += yes_a & yes_b
        fail_a += not yes_a
        fail_b += not yes_b
    return ratified, fail_a, fail_b


@numba.njit
def count_one_offer(x, signed, side_a, side_b, price, trials, ratified, fail_a, fail_b, totals):
    """The counts of ``trials`` trials in which one offer ``x``, signed or not, is made
    (incomplete information, no poll, one round), from the votes' totals: each sum of
    payoffs is a count times a payoff, rounded once."""
    if not signed:
        totals[C.breakdown] += trials
        return
    payoff_a, payoff_b = x + side_a - price * side_b, 1.0 - x + side_b - price * side_a
    totals[C.agree] += trials
    totals[C.invol] += trials - ratified
    totals[C.fail_a] += fail_a
    totals[C.fail_b] += fail_b
    totals[C.ratified] += ratified
    totals[C.share_a] += ratified * x
    totals[C.share_a_sq] += ratified * (x * x)
    totals[C.payoff_a] += ratified * payoff_a
    totals[C.payoff_a_sq] += ratified * (payoff_a * payoff_a)
    totals[C.payoff_b] += ratified * payoff_b
    totals[C.payoff_b_sq] += ratified * (payoff_b * payoff_b)


@numba.njit(nogil=True, cache=True)
def kernel(
    theta, ratify, forms, own_shares, own_values, own_best, own_cells, first_offer, first_believed, second_offers,
    second_signed, screening, linkage, trials, states, totals
):  # fmt: skip
    """Add the counts of ``trials`` ratification trials at ``theta`` into ``totals``, with the
    point's :class:`~.beliefs.Plan` as tables, a block of ``BLOCK`` trials at a time: both
    states' thresholds (:mod:`.vote`), the win-sets, then the game."""
    s = states[0]
    p = _state_values(theta)
    normal_shock, polled = theta[P.shock_dist] == SHOCK_DIST.normal, flag(theta, P.poll)
    poll_noise, poll_bias = theta[P.poll_noise], theta[P.poll_bias]
    cdfs = (participant_cdf(int(p[0, KEY.n]), p[0, KEY.turnout]), participant_cdf(int(p[1, KEY.n]), p[1, KEY.turnout]))
    scales = (gamma_scales(int(p[0, KEY.n]) + 1), gamma_scales(int(p[1, KEY.n]) + 1))
    one_offer = theta[P.info] == INFO_CODE.incomplete and not polled and theta[P.rounds] == 1.0
    x = -1.0 if np.isnan(first_offer) else first_offer
    lo, hi = p[0, KEY.veto], 1.0 - p[1, KEY.veto]
    signed = x >= 0.0 and _both_sign(x, lo, hi, False, 0.0, 0.0, first_believed[0], first_believed[1])
    floors, polls = np.empty((2, BLOCK)), np.empty((2, 2, BLOCK))
    work, counts, pending, flags = scratch()
    done = ratified = fail_a = fail_b = 0
    while done < trials:
        n = min(BLOCK, trials - done)
        for i in range(2):  # Level II: each state's floor R' - side, built up in place
            draw_shocks(s, p[i, KEY.shock], normal_shock, p[i, KEY.mu] - p[i, KEY.side], floors[i], n)
            pivot_block(s, p, i, cdfs[i], scales[i], floors[i], work, counts, pending, flags, n)
            if polled:
                polls_block(s, p, i, poll_bias, poll_noise, floors[i], polls[i], work[0], n)
            reverberate(s, p, i, floors[i], work[0], n)
        count_winsets(floors, work, totals, n)
        if one_offer and signed:
            block_ratified, block_fail_a, block_fail_b = vote_on_one_offer(x, linkage[0], linkage[1], floors, n)
            ratified, fail_a, fail_b = ratified + block_ratified, fail_a + block_fail_a, fail_b + block_fail_b
        elif not one_offer:
            play_block(theta, p, ratify, forms, own_shares, own_values, own_best, own_cells, first_offer,
                       first_believed, second_offers, second_signed, screening, linkage, floors, polls, totals, n)  # fmt: skip
        done += n
    if one_offer:
        count_one_offer(x, signed, linkage[0], linkage[1], theta[P.linkage_price], trials, ratified, fail_a, fail_b,
                        totals)  # fmt: skip


@numba.njit
def play_block(
    theta, p, ratify, forms, own_shares, own_values, own_best, own_cells, first_offer, first_believed, second_offers,
    second_signed, screening, linkage, floors, polls, totals, n
):  # fmt: skip
    """Level I and II, trial by trial, for a block whose floors (and polls) are drawn: the
    offer under the regime's beliefs, signing, the vote (sincere or strategic) and one
    renegotiation. Helpers on the per-trial path take scalars: a call that passes arrays
    to a function numba does not inline costs about 15 ns."""
    info, protocol = theta[P.info], theta[P.protocol]
    proposer_a, polled = theta[P.proposer] == PROPOSER.a, flag(theta, P.poll)
    w = theta[P.w]
    two_rounds, strategic = theta[P.rounds] == 2.0, flag(theta, P.strategic_vote)
    screened = two_rounds and theta[P.renegotiation] == RENEGOTIATION.equilibrium
    lo, hi = p[0, KEY.veto], 1.0 - p[1, KEY.veto]
    knows = info != INFO_CODE.incomplete
    side_a, side_b, price = linkage[0], linkage[1], theta[P.linkage_price]  # targeted side payments
    points = protocol != PROTOCOL.rubinstein and (info == INFO_CODE.complete or polled)
    own_known = info == INFO_CODE.asymmetric and protocol == PROTOCOL.ultimatum and not polled
    for t in range(n):
        floor_a, cap_b = floors[0, t], 1.0 - floors[1, t]  # a ratifies iff x >= floor_a, b iff x <= cap_b
        if screened:
            play_screening(screening, proposer_a, floor_a, floors[1, t], p[0, KEY.delta], p[1, KEY.delta], totals)
            continue

        # Level I: the offer (a's share; -1 for none) under the regime's beliefs
        if protocol == PROTOCOL.rubinstein:
            floor, cap = max(lo, floor_a), min(hi, cap_b)
            x = _rubinstein(proposer_a, floor, cap, p[0, KEY.delta], p[1, KEY.delta]) if floor <= cap else -1.0
        elif points:
            x = _offer_at_points(protocol, info, proposer_a, polled, w, lo, hi, floor_a, cap_b,
                                 (polls[0, 0, t], polls[0, 1, t]), (polls[1, 0, t], polls[1, 1, t]),
                                 p[0, KEY.backlash], p[1, KEY.backlash])  # fmt: skip
        elif own_known and proposer_a:
            x = _offer_own_known(floor_a, ratify[1], forms[1], own_shares, own_values, own_best, own_cells, lo, hi)
        elif own_known:
            own = _offer_own_known(1.0 - cap_b, ratify[0], forms[0], own_shares, own_values, own_best, own_cells,
                                   1.0 - hi, 1.0 - lo)  # fmt: skip
            x = -1.0 if own < 0.0 else (cap_b if own == 1.0 - cap_b else (hi if own == 1.0 - hi else 1.0 - own))
        else:  # priors on both sides: one offer per point
            x = -1.0 if np.isnan(first_offer) else first_offer
        believed_a, believed_b = 1.0, 1.0
        if not knows and x >= 0.0:
            if polled:
                believed_a = _above(x, polls[0, 0, t], polls[0, 1, t], p[0, KEY.backlash])
                believed_b = _below(x, 1.0 - polls[1, 0, t], 1.0 - polls[1, 1, t], p[1, KEY.backlash])
            else:  # x is the first offer
                believed_a, believed_b = first_believed[0], first_believed[1]
        if x < 0.0 or not _both_sign(x, lo, hi, knows, floor_a, cap_b, believed_a, believed_b):
            totals[C.breakdown] += 1.0
            continue
        totals[C.agree] += 1.0

        # Level II: the vote, sincere or (single ratifiers, two rounds) strategic
        yes_a, yes_b = x >= floor_a - side_a, x <= cap_b + side_b
        if strategic:
            no_a = _strategic_no(x, second_offers[REJECTED.a], floor_a, p[0, KEY.delta], second_signed[REJECTED.a])
            no_b = _strategic_no(1.0 - x, 1.0 - second_offers[REJECTED.b], floors[1, t], p[1, KEY.delta],
                                 second_signed[REJECTED.b])  # fmt: skip
            totals[C.strategic_no] += no_a or no_b
            yes_a, yes_b = yes_a and not no_a, yes_b and not no_b
        discount_a, discount_b = 1.0, 1.0
        if not (yes_a and yes_b):
            totals[C.invol] += 1.0
            failed_a, failed_b = not yes_a, not yes_b
            renegotiated = False
            if two_rounds:
                pattern = REJECTED.a if yes_b else (REJECTED.b if yes_a else REJECTED.both)
                x = second_offers[pattern]
                if not np.isnan(x) and second_signed[pattern]:
                    renegotiated = True
                    yes_a, yes_b = x >= floor_a, x <= cap_b
                    failed_a, failed_b = failed_a or not yes_a, failed_b or not yes_b
                    discount_a, discount_b = p[0, KEY.delta], p[1, KEY.delta]
            totals[C.fail_a] += failed_a
            totals[C.fail_b] += failed_b
            if not (renegotiated and yes_a and yes_b):
                continue
        payoff_a = discount_a * (x + side_a - price * side_b)
        _count_ratified(x, payoff_a, discount_b * (1.0 - x + side_b - price * side_a), totals)
