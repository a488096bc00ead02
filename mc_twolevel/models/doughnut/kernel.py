"""One class of the doughnut negotiation, in stages: the class is drawn; the first meeting
(opening offers, what each side learns); report back and reassessment; the final meeting;
side payments; the vote; the account of who ends with which doughnuts."""

import math

import numba
import numpy as np

from ...model import CounterLayout, add_sample
from ...params import flag
from ...rng import normal, normal_quantile, uniform
from .declarations import OUTPUTS, P

C = CounterLayout(OUTPUTS).slots()
SPRINKLES = 0  # the attribute column of sprinkles (ATTRIBUTES[0])
TIE = 1e-12  # relative difference within which two deals are equally good
NODES = 8  # quantile nodes of a negotiator's belief about the other group's demand
NASH, OFFER_A, OFFER_B = -1, 0, 1  # what a search maximises: the Nash product, or one side's payoff


@numba.njit
def break_tie(s, value, best_value, ways, tied_ways):
    """Whether a deal worth ``value`` (standing for ``ways`` labelled deals) replaces the best
    so far, and the labelled deals now tied at the best. Equal deals are kept with
    probability ways / (all tied ways), one uniform draw each: a reservoir sample, so every
    labelled deal among the best is equally likely whatever the search order."""
    if value > best_value * (1.0 + TIE):
        return True, ways
    if value > 0.0 and value >= best_value * (1.0 - TIE):
        tied_ways += ways
        return uniform(s) * tied_ways < ways, tied_ways
    return False, tied_ways


@numba.njit
def _phi(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


PHI_REACH, PHI_STEP = 8.5, 1.0 / 128.0  # the grid of PHI_GRID: -8.5 to 8.5 in steps of 1/128
PHI_GRID = np.array([0.5 * math.erfc((PHI_REACH - i * PHI_STEP) / math.sqrt(2.0))
                     for i in range(round(2.0 * PHI_REACH / PHI_STEP) + 1)])  # fmt: skip
ABOVE_SLACK = 1e-9  # relative margin of an upper bound of a belief over the rounding in computing it


@numba.njit(cache=True)  # called from Python too (the tests): keep its compiled code
def _phi_above(x):
    """An upper bound of Phi(x): Phi at the second grid point above x, 1/128 to 2/128 above
    it (Phi rises, and the second point covers any rounding in finding the first); below
    the grid, Phi at its second point; 1 at its top, where Phi is 1 to double precision."""
    if not x < PHI_REACH - 2.0 * PHI_STEP:
        return 1.0
    if x <= -PHI_REACH:
        return PHI_GRID[1]
    return PHI_GRID[math.ceil((x + PHI_REACH) / PHI_STEP) + 1]


@numba.njit
def _needed(quota, voters):
    return max(math.ceil(quota * voters - 1e-9), 0)


# Most functions evaluated per share are inlined (``inline="always"``): a call to a compiled
# function costs a reference count on every array it is given, which was a quarter of the
# time of a class. own_group_belief is not: inlined at its five call sites it tripled the
# kernel's compile time (21 s to 63 s) for about 10% more speed.

# rows of the scratch array (``scratch_for``) of a group's members under one share
MARGIN, BELIEVED, DP, SHARE, LESS = 0, 1, 2, 3, 4
MEMO = 5  # first row of the memo: beliefs a search remembers, MEMO_SLOTS rows a group
MEMO_SLOTS = 256


@numba.njit
def scratch_for(size, memo=False):
    """Scratch for :func:`group_utilities` and :func:`_group_approves` in groups of ``size``:
    rows MARGIN, BELIEVED, DP, SHARE, LESS, and with ``memo`` the rows of :func:`_memo_row`.
    The hot functions index it whole rather than take views of it, which would cost a
    reference count each."""
    return np.zeros((MEMO + (2 * MEMO_SLOTS if memo else 0), size + 3))


@numba.njit(inline="always")
def _memo_row(g, voters, scratch):
    """The memo row of group g for the voters' margins now in ``scratch[MARGIN, 1:]``, and
    whether it holds them. A row holds the margins, the belief (or -1), its upper bound (or
    -1) and a mark of use. A belief depends on the share only through the margins (noise,
    shocks and quota are fixed within a search), so shares that leave every voter the same
    margin, common when doughnuts are alike, share one belief, computed once."""
    mix = 0.0
    for v in range(voters):
        mix += scratch[MARGIN, v + 1] * (v + 1.6180339887)
    row = MEMO + g * MEMO_SLOTS + int((mix - math.floor(mix)) * MEMO_SLOTS)
    held = scratch[row, voters + 2] == 1.0
    for v in range(voters):
        held = held and scratch[row, v] == scratch[MARGIN, v + 1]
    return row, held


@numba.njit(inline="always")
def _group_approves(scratch, voters, quota):
    """P(at least ceil(quota voters) of independent approvals, ``scratch[BELIEVED, v]``
    each): the Poisson-binomial tail."""
    for k in range(voters + 1):
        scratch[DP, k] = 0.0
    scratch[DP, 0] = 1.0
    for v in range(voters):
        p = scratch[BELIEVED, v]
        for k in range(v + 1, 0, -1):
            scratch[DP, k] = scratch[DP, k] * (1.0 - p) + scratch[DP, k - 1] * p
        scratch[DP, 0] *= 1.0 - p
    tail = 0.0
    for k in range(_needed(quota, voters), voters + 1):
        tail += scratch[DP, k]
    return tail


@numba.njit
def _binomial_tail(p, voters, needed):
    """P(at least ``needed`` of ``voters`` independent approvals, each with probability p)."""
    if p <= 0.0:
        return 1.0 if needed == 0 else 0.0
    if p >= 1.0:
        return 1.0
    pmf = (1.0 - p) ** voters
    tail = 1.0 if needed == 0 else 0.0
    for k in range(voters):
        pmf *= (voters - k) / (k + 1) * p / (1.0 - p)
        if k + 1 >= needed:
            tail += pmf
    return min(tail, 1.0)


# ---- what a share gives a group ------------------------------------------------------------


@numba.njit(inline="always")
def group_utilities(g, k, values, envy, aspirations, key_counts, key_credit, credit_value, scratch):
    """Group g's members under its share k (:func:`~.deals.plan`): ``scratch[MARGIN, v]`` is
    voter v's utility less its aspiration (v >= 1); the return value is the negotiator's
    utility.

    A voter gets its share of the group's pool (eaten together: / size) and its credit, less
    its envy weight times how much more the other group takes (pool and negotiator's
    doughnuts, per student, at the voter's own tastes). The negotiator gets its pool share,
    its own reward doughnuts and its credit. ``values[g, t, v]`` is type t's worth to member
    v, so the sums run over all members at once, each member's in the order of the types."""
    size = values.shape[2]
    credit_worth = credit_value * key_credit[g, k]
    for v in range(size):
        scratch[SHARE, v] = 0.0
        scratch[LESS, v] = 0.0
    eaten_worth = 0.0
    for t in range(values.shape[1]):
        pool_t, less_t = key_counts[g, k, 0, t], key_counts[g, k, 2, t]
        for v in range(size):
            scratch[SHARE, v] += pool_t * values[g, t, v]
            scratch[LESS, v] += less_t * values[g, t, v]
        eaten_worth += key_counts[g, k, 1, t] * values[g, t, 0]
    for v in range(1, size):
        scratch[MARGIN, v] = (scratch[SHARE, v] / size + credit_worth
                              - envy[g, v] * max(0.0, scratch[LESS, v] / size) - aspirations[g, v])  # fmt: skip
    return scratch[SHARE, 0] / size + credit_worth + eaten_worth


@numba.njit(cache=True)  # called from Python too (the tests): keep its compiled code
def negotiator_utilities(values, key_weights, key_credit, credit_value, key_ways, out):
    """``out[g, k]``: negotiator g's utility from its group's share k: its share of the
    pool, its own reward doughnuts and its group's credit (member 0 of
    :func:`group_utilities`). It depends on the class alone, not on the stage. The sums run
    over all shares at once, each share's in the order of the types."""
    for g in range(2):
        utilities = out[g]
        for k in range(utilities.shape[0]):
            utilities[k] = credit_value * key_credit[g, k]
        for t in range(key_weights.shape[1]):  # key_weights[g, t]: type t's count in each share
            weights, worth = key_weights[g, t], values[g, t, 0]
            for k in range(utilities.shape[0]):
                utilities[k] += weights[k] * worth
        for k in range(utilities.shape[0]):
            if key_ways[g, k] <= 0.0:
                utilities[k] = 0.0


@numba.njit(cache=True)  # called from Python too (the tests): keep its compiled code
def own_group_belief(g, k, values, envy, aspirations, shocks, noise, key_counts, key_credit, credit_value, quota,
                     scratch, above=False):  # fmt: skip
    """Negotiator g's belief that its group approves share k. It misjudges each voter's
    margin by ``noise x shock`` and believes the voter approves with probability
    Phi(estimated margin / noise). With ``above``, a quick upper bound of that belief
    instead (:func:`_phi_above` for Phi)."""
    voters = values.shape[2] - 1
    group_utilities(g, k, values, envy, aspirations, key_counts, key_credit, credit_value, scratch)
    field = voters + 1 if above else voters
    row, held = -1, False
    if scratch.shape[0] > MEMO:
        row, held = _memo_row(g, voters, scratch)
        if held and scratch[row, field] >= 0.0:
            return scratch[row, field]
    for v in range(voters):
        x = (scratch[MARGIN, v + 1] + noise * shocks[g, v + 1]) / noise
        scratch[BELIEVED, v] = _phi_above(x) if above else _phi(x)
    belief = _group_approves(scratch, voters, quota)
    if above:
        belief *= 1.0 + ABOVE_SLACK
    if row >= 0:
        if not held:
            for v in range(voters):
                scratch[row, v] = scratch[MARGIN, v + 1]
            scratch[row, voters], scratch[row, voters + 1], scratch[row, voters + 2] = -1.0, -1.0, 1.0
        scratch[row, field] = belief
    return belief


# ---- what a negotiator believes of the other group ------------------------------------------


@numba.njit(cache=True)  # called from Python too (the tests): keep its compiled code
def demand_nodes(mean, spread, upper, out):
    """Quantile nodes of the other group's demand, normal(mean, spread) truncated to at most
    ``upper`` (no bound: ``upper = inf``). A bound the prior says is impossible (spread 0
    and upper < mean) is disregarded; one it gives no mass is the demand itself."""
    if spread == 0.0:
        out[:] = mean
        return
    mass = _phi((upper - mean) / spread) if upper < math.inf else 1.0
    if mass <= 0.0:
        out[:] = upper
        return
    for j in range(out.shape[0]):
        out[j] = mean + spread * normal_quantile(mass * (j + 0.5) / out.shape[0])


@numba.njit
def outline_worth(outline, base_value, credit_value, fairness, size):
    """What a deal gives a member of a group, judged from outside at the prior's mean tastes
    (every doughnut worth ``base_value``) and mean envy weight: its pool share, its credit,
    less envy of the other group's larger take. ``outline`` = (pool doughnuts, own doughnuts
    less the other group's, credit)."""
    return (base_value * outline[0] / size + credit_value * outline[2]
            - fairness * max(0.0, -base_value * outline[1]) / size)  # fmt: skip


@numba.njit(cache=True)  # called from Python too (the tests): keep its compiled code
def other_group_beliefs(nodes, spread, outlines, base_value, credit_value, fairness, quota, size, out):
    """``out[c]``: a negotiator's belief that the other group approves a deal of outline c.
    Its voters are taken as independent, each approving when the outline's worth less the
    group's demand (at each node) exceeds its own departure, normal with sd ``spread``."""
    voters = size - 1
    needed = _needed(quota, voters)
    for c in range(outlines.shape[0]):
        worth = outline_worth(outlines[c], base_value, credit_value, fairness, size)
        total = 0.0
        for j in range(nodes.shape[0]):
            total += _binomial_tail(_phi((worth - nodes[j]) / spread), voters, needed)
        out[c] = total / nodes.shape[0]


# ---- the search over deals ------------------------------------------------------------------

BAND = 0.8  # the search evaluates deals in bands of bound, each this share of the one above


@numba.njit
def share_bounds(objective, utilities, key_outline, key_ways, beliefs, bounds, approvals, above):
    """For every share k of group g: ``bounds[g, k]``, its negotiator's utility times its
    belief that the other group approves (0 unless the utility is positive): its expected
    payoff were it sure of its own group. ``approvals`` (own group's approval) and
    ``above`` (a quick upper bound of it) are reset to "not yet computed"."""
    for g in range(2):
        wanted = objective in (NASH, g)
        for k in range(key_ways.shape[1]):
            approvals[g, k] = -1.0
            above[g, k] = -1.0
            u = utilities[g, k]
            bounds[g, k] = u * beliefs[g, key_outline[g, k, 1]] if wanted and u > 0.0 else 0.0


@numba.njit(inline="always")
def _approval(g, k, values, envy, aspirations, shocks, noise, key_counts, key_credit, credit_value, quota, approvals,
              scratch):  # fmt: skip
    """Negotiator g's belief that its group approves share k, computed once (``approvals``)."""
    if approvals[g, k] < 0.0:
        approvals[g, k] = own_group_belief(g, k, values, envy, aspirations, shocks, noise, key_counts, key_credit,
                                           credit_value, quota, scratch)  # fmt: skip
    return approvals[g, k]


@numba.njit(inline="always")
def _approval_above(g, k, values, envy, aspirations, shocks, noise, key_counts, key_credit, credit_value, quota,
                    approvals, above, scratch):  # fmt: skip
    """At least negotiator g's belief that its group approves share k: the belief itself if
    computed, else a quick upper bound of it (computed once, ``above``). A deal whose value
    at this bound cannot reach the best found is passed over exactly as if its belief had
    been computed: the search's choice and its draws are the same, with far fewer beliefs
    computed in full."""
    if approvals[g, k] >= 0.0:
        return approvals[g, k]
    if above[g, k] < 0.0:
        above[g, k] = own_group_belief(g, k, values, envy, aspirations, shocks, noise, key_counts, key_credit,
                                       credit_value, quota, scratch, True)  # fmt: skip
    return above[g, k]


@numba.njit(cache=True)  # called from Python too (the tests): keep its compiled code
def search(s, objective, values, envy, aspirations, shocks, noise, ways, keys, key_counts, key_credit, key_outline,
           starts, members, key_ways, utilities, beliefs, credit_value, quota, bounds, approvals, above,
           deal_bounds):  # fmt: skip
    """The best deal and its value: ``objective`` NASH maximises the product of the two
    negotiators' expected payoffs, each by its own beliefs; OFFER_A (OFFER_B) a's (b's)
    expected payoff alone. A negotiator's expected payoff is its utility times its belief
    that both groups approve: its own group by :func:`own_group_belief`, the other by
    ``beliefs[g, outline]`` (:func:`other_group_beliefs`). Returns ``(-1, 0)`` when no deal
    is worth anything. ``utilities`` are the negotiators' (:func:`negotiator_utilities`).
    Ties are broken at random from ``s`` (:func:`break_tie`), each
    labelled deal among the best equally likely.

    Everything a negotiator's payoff depends on is its group's share, so a deal's value is
    a product over the two groups' shares. Exact search with pruning: a group's approval is
    at most 1, so :func:`share_bounds` bound each share's payoff and their product each
    deal's value. Deals are evaluated in bands of bound, highest first, and the search stops
    at the first band whose top is below the best value found; a share's approval is
    computed once, when a deal needing it is evaluated, and only when a quick upper bound of
    it (:func:`_approval_above`) leaves the deal a chance of reaching the best."""
    scratch = scratch_for(values.shape[2], True)
    share_bounds(objective, utilities, key_outline, key_ways, beliefs, bounds, approvals, above)
    if objective != NASH:
        return _best_offer(s, objective, values, envy, aspirations, shocks, noise, ways, key_counts, key_credit,
                           starts, members, key_ways, credit_value, quota, bounds, approvals, above, scratch)  # fmt: skip
    deals = ways.shape[0]
    top = 0.0
    for d in range(deals):
        deal_bounds[d] = bounds[0, keys[0, d]] * bounds[1, keys[1, d]]
        top = max(top, deal_bounds[d])
    best, best_value, tied_ways = -1, 0.0, 0.0
    high, low = math.inf, top * BAND
    while high > 0.0 and high >= best_value * (1.0 - TIE):
        for d in range(deals):
            bound = deal_bounds[d]
            if bound >= high or bound < low or bound <= 0.0 or bound < best_value * (1.0 - TIE):
                continue
            value = bound
            for g in range(2):
                value *= _approval_above(g, keys[g, d], values, envy, aspirations, shocks, noise, key_counts,
                                         key_credit, credit_value, quota, approvals, above, scratch)  # fmt: skip
                if value < best_value * (1.0 - TIE):
                    break
            if value < best_value * (1.0 - TIE):
                continue  # not even at its upper bounds can the deal reach the best
            value = bound
            for g in range(2):
                value *= _approval(g, keys[g, d], values, envy, aspirations, shocks, noise, key_counts, key_credit,
                                   credit_value, quota, approvals, scratch)  # fmt: skip
                if value < best_value * (1.0 - TIE):
                    break  # b's approval cannot lift the deal back: leave it uncomputed
            replace, tied_ways = break_tie(s, value, best_value, ways[d], tied_ways)
            if replace:
                best, best_value = d, max(value, best_value)
        high, low = low, low * BAND if low > top * 1e-12 else 0.0
    return best, best_value


@numba.njit
def _best_offer(s, g, values, envy, aspirations, shocks, noise, ways, key_counts, key_credit, starts, members,
                key_ways, credit_value, quota, bounds, approvals, above, scratch):  # fmt: skip
    """Negotiator g's best offer by its own expected payoff: the best share for its group,
    then, as g is indifferent among them, one of that share's deals drawn by labelled deals."""
    best, best_value, tied_ways = -1, 0.0, 0.0
    for k in range(bounds.shape[1]):
        bound = bounds[g, k]
        if bound <= 0.0 or bound < best_value * (1.0 - TIE):
            continue
        if bound * _approval_above(g, k, values, envy, aspirations, shocks, noise, key_counts, key_credit, credit_value,
                                   quota, approvals, above, scratch) < best_value * (1.0 - TIE):  # fmt: skip
            continue
        value = bound * _approval(g, k, values, envy, aspirations, shocks, noise, key_counts, key_credit, credit_value,
                                  quota, approvals, scratch)  # fmt: skip
        replace, tied_ways = break_tie(s, value, best_value, key_ways[g, k], tied_ways)
        if replace:
            best, best_value = k, max(value, best_value)
    if best < 0:
        return -1, 0.0
    chosen, tied_ways = members[g, starts[g, best]], 0.0
    for i in range(starts[g, best], starts[g, best + 1]):
        d = members[g, i]
        replace, tied_ways = break_tie(s, 1.0, 1.0, ways[d], tied_ways)
        if replace:
            chosen = d
    return chosen, best_value


@numba.njit
def deal_value(d, values, envy, aspirations, shocks, noise, keys, key_counts, key_credit, credit_value, quota, bounds,
               approvals):  # fmt: skip
    """Deal d's Nash product, from the shares' bounds and approvals of a NASH :func:`search`."""
    scratch = scratch_for(values.shape[2])
    value = bounds[0, keys[0, d]] * bounds[1, keys[1, d]]
    if value <= 0.0:
        return 0.0
    for g in range(2):
        value *= _approval(g, keys[g, d], values, envy, aspirations, shocks, noise, key_counts, key_credit,
                           credit_value, quota, approvals, scratch)  # fmt: skip
    return value


# ---- the stages of a class ------------------------------------------------------------------


@numba.njit
def draw_class(s, theta, attributes, values, envy, aspirations, shocks, tastes, group_taste):
    """One class's students: ``values[g, t, v]`` (type t's worth to member v), envy weights,
    aspirations, and ``shocks``: how the negotiator misjudges each voter's margin, in units
    of its knowledge noise (the same misjudgment, shrinking from noise_1 to noise_2)."""
    size = values.shape[2]
    types, n_attributes = attributes.shape
    for g in range(2):
        for k in range(n_attributes):
            group_taste[k] = theta[P.group_spread] * normal(s)
        for v in range(size):
            for k in range(n_attributes):
                tastes[k] = group_taste[k] + theta[P.taste_spread] * normal(s)
            for t in range(types):
                worth = theta[P.base_value]
                for k in range(n_attributes):
                    worth += attributes[t, k] * tastes[k]
                values[g, t, v] = worth
            aspirations[g, v] = theta[P.aspiration] + theta[P.aspiration_spread] * normal(s)
            envy[g, v] = 2.0 * theta[P.fairness] * uniform(s)
            shocks[g, v] = normal(s)


@numba.njit
def prior_spreads(theta, counts, attributes, size, noise):
    """The prior of a group, as the other negotiator holds it: the sd of the group's demand
    (its shared tastes, over a half of the pool) and of a voter's departure from it (its
    aspiration, its own tastes and the negotiator's knowledge noise)."""
    total = counts.sum()
    pool = total - 2 * theta[P.reward]
    attribute_weight = 0.0  # sum over attributes of (share of the half-pool having it / size)^2
    for k in range(attributes.shape[1]):
        share = 0.0
        for t in range(counts.shape[0]):
            share += counts[t] * attributes[t, k]
        attribute_weight += (share / total * pool / 2.0 / size) ** 2
    group = theta[P.group_spread] * math.sqrt(attribute_weight)
    voter = math.sqrt(theta[P.aspiration_spread] ** 2 + theta[P.taste_spread] ** 2 * attribute_weight + noise**2)
    return group, voter


@numba.njit
def first_meeting(s, first, theta, values, envy, aspirations, shocks, tables, outlines, group_spread, voter_spread,
                  nodes, beliefs, work, offers):  # fmt: skip
    """Opening offers. The negotiator ``first`` opens with the deal that maximises its own
    expected payoff (its group judged with noise_1, the other by the prior); the other
    hears it, learns, and answers in the same way; then the first learns from the answer.

    What an offer teaches: a negotiator only tables a deal it expects its own group to
    accept, so the listener concludes that the offering group's demand is at most what the
    offer gives it, judged from outside (:func:`outline_worth`): its belief about that
    demand becomes the prior truncated there (``nodes[listener]``)."""
    ways, keys, key_counts, key_credit, key_outline, starts, members, key_ways = tables
    bounds, approvals, above, deal_bounds, utilities = work
    size = values.shape[2]
    credit_value, quota = theta[P.credit_value], theta[P.quota]
    base_value, fairness = theta[P.base_value], theta[P.fairness]
    for turn in range(2):
        g = (first + turn) % 2
        other_group_beliefs(nodes[g], voter_spread, outlines, base_value, credit_value, fairness, quota, size,
                            beliefs[g])  # fmt: skip
        offers[g] = search(s, g, values, envy, aspirations, shocks, theta[P.noise_1], ways, keys, key_counts,
                           key_credit, key_outline, starts, members, key_ways, utilities, beliefs, credit_value, quota,
                           bounds, approvals, above, deal_bounds)[0]  # fmt: skip
        if offers[g] >= 0:
            listener = 1 - g
            view = key_outline[g, keys[g, offers[g]], 0]
            upper = outline_worth(outlines[view], base_value, credit_value, fairness, size)
            demand_nodes(theta[P.aspiration], group_spread, upper, nodes[listener])


@numba.njit
def reassess(theta, values, envy, aspirations, tables, outlines, nodes, offers):
    """Report back and reassessment. Each group hears the other side's offer and its voters'
    aspirations move ``anchoring`` of the way toward what that offer gives them; each
    negotiator, knowing the other group heard its own offer, moves its belief about that
    group's demand the same share of the way toward what its offer gives that group.
    (The negotiators' knowledge of their own groups sharpens to noise_2: the caller.)"""
    ways, keys, key_counts, key_credit, key_outline, starts, members, key_ways = tables
    size = values.shape[2]
    anchoring, credit_value = theta[P.anchoring], theta[P.credit_value]
    scratch = scratch_for(size)
    heard = np.empty((2, size))  # each group's margins at the other side's offer
    for g in range(2):
        offer = offers[1 - g]
        heard[g, :] = 0.0
        if offer >= 0:
            group_utilities(g, keys[g, offer], values, envy, aspirations, key_counts, key_credit, credit_value, scratch)
            for v in range(1, size):  # (a loop: an array-to-array slice assignment compiles numba's shape check)
                heard[g, v] = scratch[MARGIN, v]
    for g in range(2):
        aspirations[g, 1:] += anchoring * heard[g, 1:]
        if offers[g] >= 0:
            view = key_outline[g, keys[g, offers[g]], 1]
            offered = outline_worth(outlines[view], theta[P.base_value], credit_value, theta[P.fairness], size)
            nodes[g, :] += anchoring * (offered - nodes[g, :])


@numba.njit
def _side_payments(d, first, values, margins, shocks, noise, eaten_a, eaten_b, counts, quota, size, u, gifts, across):
    """Greedy side payments once the deal is made: each negotiator in turn (``first``
    begins) hands each of its reward doughnuts to the voter (either group) that most raises
    its expected payoff, if any does; the voter eats it alone. Both negotiators now want the
    deal to pass, so each points out its own wavering voters: a voter's margin is judged by
    its own negotiator (noise x shock). Returns the number handed; ``across[g, t]``
    receives the type-t doughnuts negotiator g handed to the other group, ``gifts`` the
    worth to each voter, ``u`` the negotiators' utilities after giving."""
    scratch = scratch_for(size)
    handed = 0
    for turn in range(2):
        g = (first + turn) % 2
        for t in range(counts.shape[0]):
            for _ in range(eaten_a[d, t] if g == 0 else eaten_b[d, t]):
                best_value = _success_belief(margins, gifts, shocks, noise, quota, scratch) * u[g]
                best_group, best_voter = -1, -1
                for h in range(2):
                    for v in range(1, size):
                        gifts[h, v] += values[h, t, v]
                        value = _success_belief(margins, gifts, shocks, noise, quota, scratch) * (
                            u[g] - values[g, t, 0]
                        )
                        gifts[h, v] -= values[h, t, v]
                        if value > best_value + 1e-12:
                            best_value, best_group, best_voter = value, h, v
                if best_group >= 0:
                    gifts[best_group, best_voter] += values[best_group, t, best_voter]
                    u[g] -= values[g, t, 0]
                    handed += 1
                    across[g, t] += best_group != g
    return handed


@numba.njit
def _success_belief(margins, gifts, shocks, noise, quota, scratch):
    voters = margins.shape[1] - 1
    p = 1.0
    for g in range(2):
        for v in range(voters):
            scratch[BELIEVED, v] = _phi((margins[g, v + 1] + gifts[g, v + 1] + noise * shocks[g, v + 1]) / noise)
        p *= _group_approves(scratch, voters, quota)
    return p


@numba.njit
def votes_pass(margins, gifts, quota):
    """Whether both groups' voters (members 1.. of each) approve on their true utilities."""
    voters = margins.shape[1] - 1
    passed = True
    for g in range(2):
        yes = 0
        for v in range(1, voters + 1):
            yes += margins[g, v] + gifts[g, v] >= 0.0
        passed = passed and yes >= quota * voters - 1e-9
    return passed


@numba.njit(cache=True)  # called from Python too (the tests): keep its compiled code
def account(d, counts, sprinkled, eaten_a, eaten_b, pool_a, across):
    """Who ends with which doughnuts after deal ``d`` and the side payments, each doughnut
    counted once: ``(doughnuts_a, doughnuts_b, sprinkled_a, sprinkled_b, pool to a, whether
    the negotiators took a sprinkled doughnut)``. A group's doughnuts are its share of the
    pool and its negotiator's reward doughnuts (after any trade between the negotiators),
    less those the negotiator handed across (``across[g, t]``: type-t doughnuts negotiator g
    handed to the other group's voters), plus those handed to it."""
    got = np.zeros(2)
    sprinkles = np.zeros(2)
    pool_to_a = 0.0
    sprinkles_reward = False
    for t in range(counts.shape[0]):
        to_a = pool_a[d, t]
        to_b = counts[t] - eaten_a[d, t] - eaten_b[d, t] - to_a
        held_a = to_a + eaten_a[d, t] - across[0, t] + across[1, t]
        held_b = to_b + eaten_b[d, t] - across[1, t] + across[0, t]
        pool_to_a += to_a
        got[0] += held_a
        got[1] += held_b
        sprinkles[0] += sprinkled[t] * held_a
        sprinkles[1] += sprinkled[t] * held_b
        sprinkles_reward = sprinkles_reward or sprinkled[t] * (eaten_a[d, t] + eaten_b[d, t]) > 0
    return got[0], got[1], sprinkles[0], sprinkles[1], pool_to_a, sprinkles_reward


@numba.njit
def count_deal(d, counts, sprinkled, eaten_a, eaten_b, pool_a, across, totals):
    """Add a ratified deal's doughnuts, sprinkles and split to ``totals``."""
    got_a, got_b, sprinkles_a, sprinkles_b, pool_to_a, sprinkles_reward = account(
        d, counts, sprinkled, eaten_a, eaten_b, pool_a, across
    )
    add_sample(totals, C.doughnuts_a, C.doughnuts_a_sq, got_a)
    add_sample(totals, C.doughnuts_b, C.doughnuts_b_sq, got_b)
    add_sample(totals, C.sprinkles_a, C.sprinkles_a_sq, sprinkles_a)
    add_sample(totals, C.sprinkles_b, C.sprinkles_b_sq, sprinkles_b)
    totals[C.sprinkles_reward] += sprinkles_reward
    totals[C.split + int(pool_to_a)] += 1.0


@numba.njit(nogil=True, cache=True)
def kernel(theta, counts, attributes, eaten_a, eaten_b, pool_a, ways, keys, key_counts, key_weights, key_credit,
           key_outline, starts, members, key_ways, outlines, trials, states, totals):  # fmt: skip
    """Add the counts of ``trials`` classes at ``theta`` into ``totals``; the box, its deals
    and their groupings (:func:`~.deals.plan`) are the tables."""
    s = states[0]
    size = int(theta[P.n_students]) // 2
    types, n_attributes = attributes.shape
    credit_value, quota = theta[P.credit_value], theta[P.quota]
    base_value, fairness = theta[P.base_value], theta[P.fairness]
    two_rounds = theta[P.rounds] == 2.0
    tables = (ways, keys, key_counts, key_credit, key_outline, starts, members, key_ways)
    sprinkled = attributes[:, SPRINKLES]
    values = np.empty((2, types, size))
    envy, aspirations, shocks = np.empty((2, size)), np.empty((2, size)), np.empty((2, size))
    margins, gifts, scratch = np.empty((2, size)), np.zeros((2, size)), scratch_for(size)
    u = np.empty(2)
    across = np.zeros((2, types))
    tastes, group_taste = np.empty(n_attributes), np.empty(n_attributes)
    bounds, approvals, above = np.empty(key_ways.shape), np.empty(key_ways.shape), np.empty(key_ways.shape)
    deal_bounds, utilities = np.empty(ways.shape[0]), np.empty(key_ways.shape)
    work = (bounds, approvals, above, deal_bounds, utilities)
    beliefs, nodes = np.empty((2, outlines.shape[0])), np.empty((2, NODES))
    offers = np.full(2, -1, dtype=np.int64)
    group_spread, spread_1 = prior_spreads(theta, counts, attributes, size, theta[P.noise_1])
    spread_2 = prior_spreads(theta, counts, attributes, size, theta[P.noise_2])[1]
    for _ in range(trials):
        draw_class(s, theta, attributes, values, envy, aspirations, shocks, tastes, group_taste)
        first = 0 if uniform(s) < 0.5 else 1  # who speaks first, and hands out side payments first
        negotiator_utilities(values, key_weights, key_credit, credit_value, key_ways, utilities)
        for g in range(2):
            demand_nodes(theta[P.aspiration], group_spread, math.inf, nodes[g])
        noise, spread = theta[P.noise_1], spread_1
        if two_rounds:
            first_meeting(s, first, theta, values, envy, aspirations, shocks, tables, outlines, group_spread, spread_1,
                          nodes, beliefs, work, offers)  # fmt: skip
            reassess(theta, values, envy, aspirations, tables, outlines, nodes, offers)
            noise, spread = theta[P.noise_2], spread_2
        for g in range(2):
            other_group_beliefs(nodes[g], spread, outlines, base_value, credit_value, fairness, quota, size,
                                beliefs[g])  # fmt: skip
        d, value = search(s, NASH, values, envy, aspirations, shocks, noise, ways, keys, key_counts, key_credit,
                          key_outline, starts, members, key_ways, utilities, beliefs, credit_value, quota, bounds,
                          approvals, above, deal_bounds)  # fmt: skip
        if d < 0:
            continue
        totals[C.agree] += 1.0
        totals[C.trade] += eaten_a[d].sum() != theta[P.reward]
        if two_rounds:
            totals[C.moved] += d != _better_offer(offers, values, envy, aspirations, shocks, noise, tables,
                                                  credit_value, quota, bounds, approvals)  # fmt: skip
        for g in range(2):
            u[g] = group_utilities(g, keys[g, d], values, envy, aspirations, key_counts, key_credit, credit_value,
                                   scratch)  # fmt: skip
            for v in range(1, size):
                margins[g, v] = scratch[MARGIN, v]
        gifts[:] = 0.0
        across[:] = 0.0
        if flag(theta, P.side_payments):
            handed = _side_payments(d, first, values, margins, shocks, noise, eaten_a, eaten_b, counts, quota, size,
                                    u, gifts, across)  # fmt: skip
            totals[C.side] += handed > 0
        if not votes_pass(margins, gifts, quota):
            totals[C.invol] += 1.0
            continue
        totals[C.success] += 1.0
        count_deal(d, counts, sprinkled, eaten_a, eaten_b, pool_a, across, totals)


@numba.njit
def _better_offer(offers, values, envy, aspirations, shocks, noise, tables, credit_value, quota, bounds, approvals):
    """Of the two first offers, the one with the larger Nash product at the final meeting."""
    ways, keys, key_counts, key_credit, key_outline, starts, members, key_ways = tables
    best, best_value = -1, -1.0
    for g in range(2):
        if offers[g] >= 0:
            value = deal_value(offers[g], values, envy, aspirations, shocks, noise, keys, key_counts, key_credit,
                               credit_value, quota, bounds, approvals)  # fmt: skip
            if value > best_value:
                best, best_value = offers[g], value
    return best
