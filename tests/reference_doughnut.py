"""A brute-force pure-Python doughnut negotiation over labelled doughnuts (the doughnut exercise, as specified).

Enumerates every labelled deal and every subset of approving voters; shares no code with
the kernel, which enumerates deals by type and count and uses a Poisson-binomial recursion.
"""

import itertools
import math


def _approve(margin, noise):
    return 0.5 * math.erfc(-margin / (noise * math.sqrt(2)))


def _group_probability(probabilities, quota):
    needed = max(math.ceil(quota * len(probabilities) - 1e-9), 0)
    total = 0.0
    for votes in itertools.product((0, 1), repeat=len(probabilities)):
        if sum(votes) >= needed:
            total += math.prod(p if v else 1 - p for p, v in zip(probabilities, votes))
    return total


def best_product(types, values, envy, aspirations, errors, noise, reward, credit, credit_value, quota, size):
    """The largest Nash product of expected payoffs over all labelled deals."""
    labels = list(range(len(types)))  # doughnut i is of type types[i]
    best = 0.0
    for reward_a in itertools.combinations(labels, reward):
        rest = [i for i in labels if i not in reward_a]
        for reward_b in itertools.combinations(rest, reward):
            pool = [i for i in rest if i not in reward_b]
            for mask in itertools.product((0, 1), repeat=len(pool)):
                to_a = [i for i, m in zip(pool, mask) if m]
                to_b = [i for i, m in zip(pool, mask) if not m]
                for credit_a in range(min(0, credit), max(0, credit) + 1):
                    best = max(
                        best,
                        _product(
                            types,
                            values,
                            envy,
                            aspirations,
                            errors,
                            noise,
                            credit_value,
                            quota,
                            size,
                            reward_a,
                            reward_b,
                            to_a,
                            to_b,
                            credit_a,
                            credit - credit_a,
                        ),
                    )
    return best


def _product(
    types,
    values,
    envy,
    aspirations,
    errors,
    noise,
    credit_value,
    quota,
    size,
    reward_a,
    reward_b,
    to_a,
    to_b,
    credit_a,
    credit_b,
):
    takes = {0: (to_a, reward_a, credit_a), 1: (to_b, reward_b, credit_b)}
    success, utilities = 1.0, []
    for g in (0, 1):
        pool, reward, credit = takes[g]
        other_pool, other_reward, _ = takes[1 - g]
        worth = lambda v, doughnuts, g=g: sum(values[g][v][types[i]] for i in doughnuts)
        utilities.append(worth(0, pool) / size + credit_value * credit + worth(0, reward))
        probabilities = []
        for v in range(1, size):
            own = worth(v, list(pool) + list(reward)) / size
            other = worth(v, list(other_pool) + list(other_reward)) / size
            utility = worth(v, pool) / size + credit_value * credit - envy[g][v] * max(0.0, other - own)
            probabilities.append(_approve(utility - aspirations[g][v] + errors[g][v], noise))
        success *= _group_probability(probabilities, quota)
    if utilities[0] <= 0 or utilities[1] <= 0:
        return 0.0
    return success * utilities[0] * success * utilities[1]
