"""One class of the doughnut negotiation: tastes and standards, the deal search, side payments, the vote."""

import math

import numba
import numpy as np

from ...model import CounterLayout, add_sample
from ...params import flag
from ...rng import normal, uniform
from .declarations import OUTPUTS, P

C = CounterLayout(OUTPUTS).slots()
SPRINKLES = 0  # the attribute column of sprinkles (ATTRIBUTES[0])
TIE = 1e-12  # relative difference within which two deals are equally good


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
def _approve_probability(margin, noise):
    return 0.5 * math.erfc(-margin / (noise * math.sqrt(2.0)))


@numba.njit
def _group_approves(probabilities, voters, quota, dp):
    """P(at least ceil(quota voters) of independent approvals): the Poisson-binomial tail."""
    dp[: voters + 1] = 0.0
    dp[0] = 1.0
    for v in range(voters):
        p = probabilities[v]
        for k in range(v + 1, 0, -1):
            dp[k] = dp[k] * (1.0 - p) + dp[k - 1] * p
        dp[0] *= 1.0 - p
    needed = max(math.ceil(quota * voters - 1e-9), 0)
    return dp[needed : voters + 1].sum()


@numba.njit
def _margins(d, values, envy, aspirations, gifts, reward_a, reward_b, pool_a, credit_a, counts, credit, credit_value,
             size, out):  # fmt: skip
    """Each voter's utility minus aspiration for deal ``d`` (out[g, v]); returns the
    negotiators' utilities (own pool share, reward doughnuts and credit)."""
    types = counts.shape[0]
    negotiator_a = negotiator_b = 0.0
    for g in range(2):
        credit_own = credit_a[d] if g == 0 else credit - credit_a[d]
        for v in range(size):
            share = own = other = 0.0
            for t in range(types):
                to_a = pool_a[d, t]
                to_b = counts[t] - reward_a[d, t] - reward_b[d, t] - to_a
                mine, theirs = (to_a, to_b) if g == 0 else (to_b, to_a)
                mine_reward, their_reward = (
                    (reward_a[d, t], reward_b[d, t]) if g == 0 else (reward_b[d, t], reward_a[d, t])
                )
                share += mine * values[g, v, t]
                own += (mine + mine_reward) * values[g, v, t]
                other += (theirs + their_reward) * values[g, v, t]
            utility = share / size + credit_value * credit_own
            if v == 0:  # the negotiator: its share, its reward doughnuts and its credit
                reward_value = 0.0
                for t in range(types):
                    reward_value += (reward_a[d, t] if g == 0 else reward_b[d, t]) * values[g, 0, t]
                if g == 0:
                    negotiator_a = utility + reward_value
                else:
                    negotiator_b = utility + reward_value
            else:
                envied = max(0.0, (other - own) / size)
                out[g, v] = utility - envy[g, v] * envied + gifts[g, v] - aspirations[g, v]
    return negotiator_a, negotiator_b


@numba.njit
def _negotiator_utilities(values, counts, reward_a, reward_b, pool_a, credit_a, credit, credit_value, size, out):
    """Each deal's utilities to the two negotiators (out[d, g]): linear in the deal."""
    for d in range(reward_a.shape[0]):
        u_a = credit_value * credit_a[d]
        u_b = credit_value * (credit - credit_a[d])
        for t in range(counts.shape[0]):
            to_b = counts[t] - reward_a[d, t] - reward_b[d, t] - pool_a[d, t]
            u_a += (pool_a[d, t] / size + reward_a[d, t]) * values[0, 0, t]
            u_b += (to_b / size + reward_b[d, t]) * values[1, 0, t]
        out[d, 0], out[d, 1] = u_a, u_b


@numba.njit
def negotiate(s, values, envy, aspirations, errors, noise, counts, reward_a, reward_b, pool_a, credit_a, ways, credit,
              credit_value, quota, size):  # fmt: skip
    """The deal the negotiators choose: ``(index, Nash product)``, or ``(-1, 0)`` if no
    deal gives both a positive expected payoff. Members ``1..size-1`` of each group vote.
    Equally good deals are broken at random from stream ``s`` (:func:`break_tie`).

    Exact search with pruning: P(success) <= 1, so ``u_a u_b`` bounds a deal's product;
    the deal with the largest bound is evaluated first, then only those whose bound
    reaches the best product found."""
    voters = size - 1
    deals = reward_a.shape[0]
    gifts = np.zeros((2, size))
    margins = np.empty((2, size))
    believed = np.empty(voters)
    dp = np.empty(voters + 1)
    utilities = np.empty((deals, 2))
    _negotiator_utilities(values, counts, reward_a, reward_b, pool_a, credit_a, credit, credit_value, size, utilities)
    bound = np.where((utilities[:, 0] > 0.0) & (utilities[:, 1] > 0.0), utilities[:, 0] * utilities[:, 1], 0.0)
    order = np.concatenate((np.array([np.argmax(bound)]), np.arange(deals)))
    seen = np.zeros(deals, dtype=np.bool_)
    best, best_product, tied_ways = -1, 0.0, 0.0
    for d in order:
        if seen[d] or bound[d] <= 0.0 or bound[d] < best_product * (1.0 - TIE):
            continue
        seen[d] = True
        _margins(d, values, envy, aspirations, gifts, reward_a, reward_b, pool_a, credit_a, counts,
                 credit, credit_value, size, margins)  # fmt: skip
        p = 1.0
        for g in range(2):
            for v in range(voters):
                believed[v] = _approve_probability(margins[g, v + 1] + errors[g, v + 1], noise)
            p *= _group_approves(believed, voters, quota, dp)
        product = (p * utilities[d, 0]) * (p * utilities[d, 1])
        replace, tied_ways = break_tie(s, product, best_product, ways[d], tied_ways)
        if replace:
            best, best_product = d, max(product, best_product)
    return best, best_product


@numba.njit
def _success_belief(margins, gifts, errors, noise, voters, quota, believed, dp):
    p = 1.0
    for g in range(2):
        for v in range(voters):
            believed[v] = _approve_probability(margins[g, v + 1] + gifts[g, v + 1] + errors[g, v + 1], noise)
        p *= _group_approves(believed, voters, quota, dp)
    return p


@numba.njit
def _side_payments(d, first, values, margins, errors, noise, reward_a, reward_b, counts, quota, size, u, gifts,
                   across):  # fmt: skip
    """Greedy side payments: each negotiator in turn (``first`` begins) hands each reward doughnut to the voter
    (either group) that most raises its expected payoff, if any does. Returns the number
    handed in all; ``across[g, t]`` receives the type-t doughnuts negotiator g handed to the other group;
    ``gifts`` receives the value to each voter, ``u`` the negotiators' utilities after giving."""
    voters = size - 1
    believed = np.empty(voters)
    dp = np.empty(voters + 1)
    handed = 0
    for turn in range(2):
        g = (first + turn) % 2
        for t in range(counts.shape[0]):
            for _ in range(reward_a[d, t] if g == 0 else reward_b[d, t]):
                base = _success_belief(margins, gifts, errors, noise, voters, quota, believed, dp) * u[g]
                best_value, best_group, best_voter = base, -1, -1
                for h in range(2):
                    for v in range(1, size):
                        gifts[h, v] += values[h, v, t]
                        value = _success_belief(margins, gifts, errors, noise, voters, quota, believed, dp) * (
                            u[g] - values[g, 0, t]
                        )
                        gifts[h, v] -= values[h, v, t]
                        if value > best_value + 1e-12:
                            best_value, best_group, best_voter = value, h, v
                if best_group >= 0:
                    gifts[best_group, best_voter] += values[best_group, best_voter, t]
                    u[g] -= values[g, 0, t]
                    handed += 1
                    across[g, t] += best_group != g
    return handed


@numba.njit
def draw_class(s, theta, attributes, values, envy, aspirations, errors, noise, tastes, group_taste):
    """One class's students: ``values[g, v, t]`` (each doughnut type's worth), envy
    weights, aspirations and the negotiator's error about each voter's margin."""
    size = values.shape[1]
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
                values[g, v, t] = worth
            aspirations[g, v] = theta[P.aspiration] + theta[P.aspiration_spread] * normal(s)
            envy[g, v] = 2.0 * theta[P.fairness] * uniform(s)
            errors[g, v] = noise * normal(s)


@numba.njit
def votes_pass(margins, gifts, quota):
    """Whether both groups' voters (members 1.. of each) approve on their true utilities."""
    size = margins.shape[1]
    voters = size - 1
    passed = True
    for g in range(2):
        yes = 0
        for v in range(1, size):
            yes += margins[g, v] + gifts[g, v] >= 0.0
        passed = passed and yes >= quota * voters - 1e-9
    return passed


@numba.njit
def account(d, counts, sprinkled, reward_a, reward_b, pool_a, across):
    """Who ends with which doughnuts after deal ``d`` and the side payments, each doughnut
    counted once: ``(doughnuts_a, doughnuts_b, sprinkled_a, sprinkled_b, pool to a, whether
    a negotiator took a sprinkled doughnut)``. A group's doughnuts are its share of the pool,
    its negotiator's reward doughnuts less those it handed across (``across[g, t]``: type-t
    doughnuts negotiator g handed to the other group's voters) and those handed to it."""
    got = np.zeros(2)
    sprinkles = np.zeros(2)
    pool_to_a = 0.0
    sprinkles_reward = False
    for t in range(counts.shape[0]):
        to_a = pool_a[d, t]
        to_b = counts[t] - reward_a[d, t] - reward_b[d, t] - to_a
        held_a = to_a + reward_a[d, t] - across[0, t] + across[1, t]
        held_b = to_b + reward_b[d, t] - across[1, t] + across[0, t]
        pool_to_a += to_a
        got[0] += held_a
        got[1] += held_b
        sprinkles[0] += sprinkled[t] * held_a
        sprinkles[1] += sprinkled[t] * held_b
        sprinkles_reward = sprinkles_reward or sprinkled[t] * (reward_a[d, t] + reward_b[d, t]) > 0
    return got[0], got[1], sprinkles[0], sprinkles[1], pool_to_a, sprinkles_reward


@numba.njit
def count_deal(d, counts, sprinkled, reward_a, reward_b, pool_a, across, totals):
    """Add a ratified deal's doughnuts, sprinkles and split to ``totals``."""
    got_a, got_b, sprinkles_a, sprinkles_b, pool_to_a, sprinkles_reward = account(
        d, counts, sprinkled, reward_a, reward_b, pool_a, across
    )
    add_sample(totals, C.doughnuts_a, C.doughnuts_a_sq, got_a)
    add_sample(totals, C.doughnuts_b, C.doughnuts_b_sq, got_b)
    add_sample(totals, C.sprinkles_a, C.sprinkles_a_sq, sprinkles_a)
    add_sample(totals, C.sprinkles_b, C.sprinkles_b_sq, sprinkles_b)
    totals[C.sprinkles_reward] += sprinkles_reward
    totals[C.split + int(pool_to_a)] += 1.0


@numba.njit(nogil=True, cache=True)
def kernel(theta, counts, attributes, reward_a, reward_b, pool_a, credit_a, ways, trials, states, totals):
    """Add the counts of ``trials`` classes at ``theta`` into ``totals``; the box and its
    deals (:func:`~.deals.plan`) are the tables."""
    s = states[0]
    size = int(theta[P.n_students]) // 2
    types, n_attributes = attributes.shape
    credit, credit_value, quota = int(theta[P.credit]), theta[P.credit_value], theta[P.quota]
    noise = theta[P.noise_2] if theta[P.rounds] == 2.0 else theta[P.noise_1]
    sprinkled = attributes[:, SPRINKLES]
    values = np.empty((2, size, types))
    envy, aspirations, errors = np.empty((2, size)), np.empty((2, size)), np.empty((2, size))
    margins, gifts = np.empty((2, size)), np.zeros((2, size))
    u = np.empty(2)
    across = np.zeros((2, types))
    tastes, group_taste = np.empty(n_attributes), np.empty(n_attributes)
    for _ in range(trials):
        draw_class(s, theta, attributes, values, envy, aspirations, errors, noise, tastes, group_taste)
        first = 0 if uniform(s) < 0.5 else 1  # which negotiator hands out side payments first
        d, product = negotiate(s, values, envy, aspirations, errors, noise, counts, reward_a, reward_b, pool_a,
                               credit_a, ways, credit, credit_value, quota, size)  # fmt: skip
        if d < 0:
            continue
        totals[C.agree] += 1.0
        gifts[:] = 0.0
        u[0], u[1] = _margins(d, values, envy, aspirations, gifts, reward_a, reward_b, pool_a, credit_a, counts,
                              credit, credit_value, size, margins)  # fmt: skip
        across[:] = 0.0
        if flag(theta, P.side_payments):
            handed = _side_payments(d, first, values, margins, errors, noise, reward_a, reward_b,
                                                        counts, quota, size, u, gifts, across)  # fmt: skip
            totals[C.side] += handed > 0
        if not votes_pass(margins, gifts, quota):
            totals[C.invol] += 1.0
            continue
        totals[C.success] += 1.0
        count_deal(d, counts, sprinkled, reward_a, reward_b, pool_a, across, totals)
