"""A brute-force plain-Python doughnut negotiation over labelled doughnuts (the doughnut exercise, as specified).

Enumerates every labelled deal (each negotiator's reward doughnuts, with or without one
handed between them, and each pool doughnut's group) and every subset of approving voters;
the other group is judged by the prior (every doughnut at the base worth, mean envy, the
demand at quantile nodes) with a plain binomial sum. Shares no code with the kernel, which
enumerates deals by type and count, groups them by share and uses a Poisson-binomial
recursion.
"""

import itertools
import math

NASH, OFFER_A, OFFER_B = -1, 0, 1


def _approve(margin, noise):
    return 0.5 * math.erfc(-margin / (noise * math.sqrt(2)))


def _needed(quota, voters):
    return max(math.ceil(quota * voters - 1e-9), 0)


def _group_probability(probabilities, quota):
    needed = _needed(quota, len(probabilities))
    total = 0.0
    for votes in itertools.product((0, 1), repeat=len(probabilities)):
        if sum(votes) >= needed:
            total += math.prod(p if v else 1 - p for p, v in zip(probabilities, votes))
    return total


def other_group_belief(nodes, spread, pool, held_difference, credit, base_value, credit_value, fairness, quota, size):
    """The belief that the other group approves a deal giving it ``pool`` pool doughnuts,
    ``held_difference`` more doughnuts than the giver's group and ``credit``."""
    worth = base_value * pool / size + credit_value * credit - fairness * max(0.0, -base_value * held_difference) / size
    voters, needed = size - 1, _needed(quota, size - 1)
    total = 0.0
    for node in nodes:
        p = _approve(worth - node, spread)
        total += sum(math.comb(voters, k) * p**k * (1 - p) ** (voters - k) for k in range(needed, voters + 1))
    return total / len(nodes)


def _reward_shares(labels, reward, trades):
    shares = [(reward, reward)]
    if trades and reward > 0:
        shares += [(reward - 1, reward + 1), (reward + 1, reward - 1)]
    for n_a, n_b in shares:
        for eaten_a in itertools.combinations(labels, n_a):
            rest = [i for i in labels if i not in eaten_a]
            for eaten_b in itertools.combinations(rest, n_b):
                yield eaten_a, eaten_b, [i for i in rest if i not in eaten_b]


def best_value(objective, types, values, envy, aspirations, shocks, noise, reward, credit, credit_value, quota, size,
               trades, beliefs):  # fmt: skip
    """The largest value of ``objective`` over all labelled deals: NASH, the product of the
    negotiators' expected payoffs; OFFER_A / OFFER_B, one negotiator's. ``beliefs[g]`` is
    negotiator g's belief function about the other group, called as
    ``beliefs[g](pool, held_difference, credit)`` for what the deal gives that group."""
    labels = list(range(len(types)))  # doughnut i is of type types[i]
    best = 0.0
    for eaten_a, eaten_b, pool in _reward_shares(labels, reward, trades):
        for mask in itertools.product((0, 1), repeat=len(pool)):
            to_a = [i for i, m in zip(pool, mask) if m]
            to_b = [i for i, m in zip(pool, mask) if not m]
            for credit_a in range(min(0, credit), max(0, credit) + 1):
                takes = {0: (to_a, list(eaten_a), credit_a), 1: (to_b, list(eaten_b), credit - credit_a)}
                payoffs = [
                    _expected_payoff(
                        g, takes, types, values, envy, aspirations, shocks, noise, credit_value, quota, size, beliefs[g]
                    )  # fmt: skip
                    for g in (0, 1)
                ]
                if objective == NASH:
                    value = payoffs[0] * payoffs[1] if min(payoffs) > 0 else 0.0
                else:
                    value = max(payoffs[objective], 0.0)
                best = max(best, value)
    return best


def _expected_payoff(g, takes, types, values, envy, aspirations, shocks, noise, credit_value, quota, size, belief):
    pool, eaten, credit = takes[g]
    other_pool, other_eaten, other_credit = takes[1 - g]
    worth = lambda v, doughnuts: sum(values[g][v][types[i]] for i in doughnuts)
    utility = worth(0, pool) / size + credit_value * credit + worth(0, eaten)
    probabilities = []
    for v in range(1, size):
        own = worth(v, pool + eaten) / size
        other = worth(v, other_pool + other_eaten) / size
        margin = worth(v, pool) / size + credit_value * credit - envy[g][v] * max(0.0, other - own) - aspirations[g][v]
        probabilities.append(_approve(margin + noise * shocks[g][v], noise))
    held_difference = len(other_pool) + len(other_eaten) - len(pool) - len(eaten)
    return _group_probability(probabilities, quota) * belief(len(other_pool), held_difference, other_credit) * utility
