"""Two plain-Python/NumPy references for the doughnut negotiation (the exercise, as described).

- The deal search, by brute force (:func:`best_value`): every labelled deal (each
  negotiator's reward doughnuts, with or without one handed between them, and each pool
  doughnut's group) and every subset of approving voters; the other group judged by the
  prior (every doughnut at the base worth, mean envy, the demand at quantile nodes) with a
  plain binomial sum.
- A whole class (:func:`simulate_classes`): the class drawn from a NumPy Generator, the
  opening offers and what each side learns, the reassessment, the final meeting, the side
  payments, the vote and the account, every stage over all deals at once with NumPy.

Neither shares code with the kernel, which enumerates deals by type and count, groups them
by share, prunes its searches by bounds and draws from its own stream.
"""

import functools
import itertools
import math

import numpy as np
import scipy.special

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


# ---- a whole class, played from the exercise's description -----------------------------------
#
# Written from the exercise's description (the model's README and docstrings), vectorised over
# deals with NumPy, one class at a time. It shares no code with the kernel: its own deal list
# (every way to send each type's doughnuts to four places), its own draws from a NumPy Generator,
# and plain array arithmetic for every belief. Where the description leaves a detail open, the
# kernel was read to settle it, and the comment says so.

ATTRIBUTES = ("sprinkles", "chocolate", "filled", "glazed")
QUANTILE_NODES = 8  # the description's "eight quantile nodes of the demand"
TIE = 1e-9  # relative difference within which two deals count as equally good


@functools.lru_cache(maxsize=8)
def _deal_list(counts, reward, credit, trades):
    """Every deal at type level: ``(eaten_a, eaten_b, pool_a, pool_b, credit_a, ways)``.

    Each type's doughnuts go to four places (a's negotiator, b's negotiator, a's pool share,
    b's); a deal keeps the combinations in which the negotiators hold ``reward`` each, or with
    ``trades`` ``reward -/+ 1``. ``ways`` counts the labelled deals a row stands for (ties are
    broken among labelled deals)."""
    places = []
    for c in counts:  # (to a's negotiator, to b's, to a's pool share); b's share is the rest
        places.append(np.array([p for p in itertools.product(range(c + 1), repeat=3) if sum(p) <= c], dtype=np.int8))
    pick = np.indices([len(p) for p in places]).reshape(len(counts), -1).T
    split = np.stack([places[t][pick[:, t]] for t in range(len(counts))], axis=1)  # (rows, types, 3)
    eaten_a, eaten_b, pool_a = (split[:, :, i].astype(np.int64) for i in range(3))
    held = {(reward, reward)} | ({(reward - 1, reward + 1), (reward + 1, reward - 1)} if trades and reward else set())
    keep = np.zeros(len(split), dtype=bool)
    for n_a, n_b in held:
        keep |= (eaten_a.sum(axis=1) == n_a) & (eaten_b.sum(axis=1) == n_b)
    eaten_a, eaten_b, pool_a = eaten_a[keep], eaten_b[keep], pool_a[keep]
    pool_b = np.asarray(counts) - eaten_a - eaten_b - pool_a
    factorial = np.array([math.factorial(n) for n in range(max(counts) + 1)], dtype=float)
    ways = np.prod(factorial[list(counts)] / (factorial[eaten_a] * factorial[eaten_b] * factorial[pool_a]
                                              * factorial[pool_b]), axis=1)  # fmt: skip
    credits = np.arange(min(0, credit), max(0, credit) + 1)
    repeat = lambda a: np.repeat(a, len(credits), axis=0)
    credit_a = np.tile(credits, len(ways))
    return (repeat(eaten_a), repeat(eaten_b), repeat(pool_a), repeat(pool_b), credit_a, repeat(ways))


@functools.lru_cache(maxsize=8)
def _shares(counts, reward, credit, trades):
    """The deals, and for each group the distinct shares (its negotiator's doughnuts, its pool
    doughnuts, its credit: all its members' votes depend on) with each deal's share: a
    group's beliefs are computed once a share, not once a deal."""
    eaten_a, eaten_b, pool_a, pool_b, credit_a, ways = _deal_list(counts, reward, credit, trades)
    shares, outlines = [], []
    held = (eaten_a + pool_a).sum(axis=1), (eaten_b + pool_b).sum(axis=1)
    for g, (eaten, pool, own_credit) in enumerate(((eaten_a, pool_a, credit_a), (eaten_b, pool_b, credit - credit_a))):
        rows, of_deal = np.unique(np.column_stack([eaten, pool, own_credit]), axis=0, return_inverse=True)
        types = len(counts)
        rows = rows.astype(float)  # (floats: the worths below are sums of products with tastes)
        shares.append((rows[:, :types], rows[:, types : 2 * types], rows[:, 2 * types], of_deal.ravel()))
        # what an outsider sees of the share: pool doughnuts, how many more it holds, credit
        rows, of_deal = np.unique(np.column_stack([pool.sum(axis=1), held[g] - held[1 - g], own_credit]), axis=0,
                                  return_inverse=True)  # fmt: skip
        outlines.append((rows, of_deal.ravel()))
    return (eaten_a, eaten_b, pool_a, pool_b, credit_a, ways), shares, outlines


def _phi(x):
    return scipy.special.ndtr(x)


def _at_least(probabilities, needed):
    """P(at least ``needed`` successes) of independent events, each column of ``probabilities``
    (events, rows) a case: one less the chance of fewer, by adding the events one at a time."""
    fewer = [np.ones(probabilities.shape[1])] + [np.zeros(probabilities.shape[1]) for _ in range(needed - 1)]
    for p in probabilities:  # fewer[k]: the chance of exactly k successes so far, for k < needed
        for k in range(needed - 1, 0, -1):
            fewer[k] = fewer[k] * (1 - p) + fewer[k - 1] * p
        fewer[0] = fewer[0] * (1 - p)
    return 1.0 - sum(fewer) if needed > 0 else np.ones(probabilities.shape[1])


def _binomial_at_least(p, voters, needed):
    return sum(math.comb(voters, k) * p**k * (1 - p) ** (voters - k) for k in range(needed, voters + 1))


def _pick(rng, value, ways):
    """A deal among those of the largest positive ``value``, each labelled deal equally likely."""
    best = value.max()
    if not best > 0:
        return -1
    tied = np.flatnonzero(value >= best * (1 - TIE))
    return int(rng.choice(tied, p=ways[tied] / ways[tied].sum()))


class _Class:
    """One class: its students, the deals, and what each deal gives each group."""

    def __init__(self, rng, point, deals, shares, outlines):
        self.point = point
        counts = np.array([t["count"] for t in point["box"]])
        attributes = np.array([[float(t[a]) for a in ATTRIBUTES] for t in point["box"]])
        self.size = size = int(point["n_students"]) // 2
        self.voters = size - 1
        self.needed = _needed(point["quota"], self.voters)
        eaten_a, eaten_b, pool_a, pool_b, credit_a, self.ways = deals
        self.eaten, self.pool = (eaten_a, eaten_b), (pool_a, pool_b)
        self.credit = (credit_a, point["credit"] - credit_a)
        # the students: a group's taste per attribute, each student's own departure from it
        group_taste = rng.normal(0.0, point["group_spread"], (2, 1, len(ATTRIBUTES)))
        tastes = group_taste + rng.normal(0.0, point["taste_spread"], (2, size, len(ATTRIBUTES)))
        self.values = point["base_value"] + tastes @ attributes.T  # values[g, member, type]
        self.aspirations = rng.normal(point["aspiration"], point["aspiration_spread"], (2, size))
        self.envy = rng.uniform(0.0, 2.0 * point["fairness"], (2, size))
        self.shocks = rng.normal(0.0, 1.0, (2, size))
        self.first = int(rng.integers(2))
        # what each share gives its group's members, before aspirations; share_of[g][d]: deal d's
        self.worth, self.utility, self.share_of = [], [], []
        for g in range(2):
            own_eaten, own_pool, own_credit, of_deal = shares[g]
            own_held = own_pool + own_eaten
            other_held = counts - own_held
            voters = self.values[g, 1:]  # (voters, types)
            # (einsum, not @: a tall thin product in threaded BLAS is slow on a loaded machine)
            envied = np.maximum(0.0, np.einsum("st,vt->sv", other_held - own_held, voters) / size)
            cv = point["credit_value"] * own_credit
            self.worth.append(np.einsum("st,vt->sv", own_pool, voters) / size + cv[:, None] - self.envy[g, 1:] * envied)
            negotiator = self.values[g, 0]
            self.utility.append(np.einsum("st,t->s", own_pool / size + own_eaten, negotiator) + cv)
            self.share_of.append(of_deal)
        # the prior of the other group: its demand's spread (its shared tastes over half the
        # pool) and each voter's departure. The exact weights were read from the kernel
        # (prior_spreads): the attribute counts' shares of the box, times half the pool, per student.
        pool_size = counts.sum() - 2 * point["reward"]
        weight = sum((counts @ attributes[:, k] / counts.sum() * pool_size / 2 / size) ** 2
                     for k in range(len(ATTRIBUTES)))  # fmt: skip
        self.demand_spread = point["group_spread"] * math.sqrt(weight)
        self.taste_weight = point["taste_spread"] ** 2 * weight
        # outside[g][o]: what a share of outline o gives a member of g, judged from outside; outline_of[g][d]: deal d's
        self.outside = [self._judged_from_outside(*rows.T) for rows, _ in outlines]
        self.outline_of = [of_deal for _, of_deal in outlines]
        self.nodes = [self._demand_nodes(math.inf) for _ in range(2)]  # nodes[g]: g's belief of the other's demand

    def _judged_from_outside(self, pool, more, credit):
        """What a deal gives a member of a group whose tastes are unknown: every doughnut at the
        base worth, envy at its mean weight."""
        p = self.point
        envied = np.maximum(0.0, -p["base_value"] * more) / self.size
        return p["base_value"] * pool / self.size + p["credit_value"] * credit - p["fairness"] * envied

    def _demand_nodes(self, upper):
        """Quantile nodes of a group's demand: normal(aspiration, spread), truncated at ``upper``."""
        mean, spread = self.point["aspiration"], self.demand_spread
        if spread == 0:
            return np.full(QUANTILE_NODES, mean)
        mass = _phi((upper - mean) / spread)
        if mass <= 0:  # the kernel's choice (read there): a bound the prior gives no mass is the demand
            return np.full(QUANTILE_NODES, upper)
        return mean + spread * scipy.special.ndtri(mass * (np.arange(QUANTILE_NODES) + 0.5) / QUANTILE_NODES)

    def own_belief(self, g, noise):
        """Negotiator g's belief that its group approves each deal."""
        margins = self.worth[g] - self.aspirations[g, 1:] + noise * self.shocks[g, 1:]
        return _at_least(_phi(margins.T / noise), self.needed)[self.share_of[g]]

    def other_belief(self, g, noise):
        """Negotiator g's belief that the other group approves each deal (the prior, or what g
        has learnt of it)."""
        spread = math.sqrt(self.point["aspiration_spread"] ** 2 + self.taste_weight + noise**2)
        worth = self.outside[1 - g]
        belief = np.zeros(len(worth))
        for node in self.nodes[g]:
            belief += _binomial_at_least(_phi((worth - node) / spread), self.voters, self.needed)
        return belief[self.outline_of[1 - g]] / QUANTILE_NODES

    def margins(self, g, d):
        """Group g's voters' utilities from deal d less their (current) aspirations."""
        return self.worth[g][self.share_of[g][d]] - self.aspirations[g, 1:]

    def same_deal(self, d, e):
        """Whether deals d and e hand out the same doughnut types to the same places and the same credit."""
        return all(np.array_equal(part[d], part[e]) for part in (*self.eaten, *self.pool, self.credit[0]))

    def judged_from_outside(self, g, d):
        """What deal d gives a member of group g, judged from outside."""
        return self.outside[g][self.outline_of[g][d]]

    def payoff(self, g, noise):
        """Negotiator g's expected payoff from each deal (0 where its utility is not positive)."""
        u = self.utility[g][self.share_of[g]]
        return np.where(u > 0, u * self.own_belief(g, noise) * self.other_belief(g, noise), 0.0)

    def first_meeting(self, rng):
        """The opening offers; each listener truncates its belief of the speaker's group's demand at
        what the offer gives that group."""
        offers = [-1, -1]
        for turn in range(2):
            g = (self.first + turn) % 2
            offers[g] = _pick(rng, self.payoff(g, self.point["noise_1"]), self.ways)
            if offers[g] >= 0:
                self.nodes[1 - g] = self._demand_nodes(self.judged_from_outside(g, offers[g]))
        return offers

    def reassess(self, offers):
        """Each group moves its voters' aspirations toward what the other side's offer gives them;
        each negotiator moves its belief of the other's demand toward what its own offer gave them."""
        anchoring = self.point["anchoring"]
        heard = [self.margins(g, offers[1 - g]) if offers[1 - g] >= 0 else 0.0 for g in range(2)]
        for g in range(2):
            self.aspirations[g, 1:] += anchoring * heard[g]
            if offers[g] >= 0:
                self.nodes[g] = self.nodes[g] + anchoring * (self.judged_from_outside(1 - g, offers[g]) - self.nodes[g])

    def side_payments(self, d, noise):
        """Greedy gifts of reward doughnuts to voters, each negotiator in turn, when a gift raises
        its expected payoff (both groups judged by their own negotiators). Returns the voters'
        margins with their gifts, the doughnuts handed across (``across[g, t]``: type-t doughnuts
        g's negotiator handed to the other group) and how many were handed."""
        margins = np.array([self.margins(g, d) for g in range(2)])
        gifts = np.zeros_like(margins)
        across = np.zeros((2, len(self.point["box"])))
        u = [self.utility[g][self.share_of[g][d]] for g in range(2)]
        handed = 0

        def believed_success():
            p = _phi((margins + gifts + noise * self.shocks[:, 1:]) / noise)
            return _at_least(p.T, self.needed).prod()

        for turn in range(2):
            g = (self.first + turn) % 2
            # the order of the giver's doughnuts, by type, and ties among recipients to the first
            # voter (a's, then b's) were read from the kernel: the description leaves both open
            for t in np.repeat(np.arange(len(self.point["box"])), self.eaten[g][d]):
                best, recipient = believed_success() * u[g], None
                for h, v in itertools.product(range(2), range(self.voters)):
                    gifts[h, v] += self.values[h, v + 1, t]
                    value = believed_success() * (u[g] - self.values[g, 0, t])
                    gifts[h, v] -= self.values[h, v + 1, t]
                    if value > best + 1e-12:
                        best, recipient = value, (h, v)
                if recipient is not None:
                    h, v = recipient
                    gifts[h, v] += self.values[h, v + 1, t]
                    u[g] -= self.values[g, 0, t]
                    across[g, t] += h != g
                    handed += 1
        return margins + gifts, across, handed

    def passes(self, margins):
        yes = (margins >= 0).sum(axis=1)
        return bool((yes >= self.point["quota"] * self.voters - 1e-9).all())


def play_class(rng, point, deals, shares, outlines):
    """One class, as the exercise runs: the record of its outcome (fields only as far as it got)."""
    c = _Class(rng, point, deals, shares, outlines)
    noise = point["noise_1"]
    offers = None
    if point["rounds"] == 2:
        offers = c.first_meeting(rng)
        c.reassess(offers)
        noise = point["noise_2"]
    payoffs = [c.payoff(g, noise) for g in range(2)]
    nash = payoffs[0] * payoffs[1]
    d = _pick(rng, nash, c.ways)
    record = {"agree": d >= 0}
    if d < 0:
        return record
    record["trade"] = int(c.eaten[0][d].sum()) != point["reward"]
    if offers is not None:
        better, value = -1, -1.0  # of the two offers, the larger final Nash product; a tie keeps a's (the kernel's)
        for g in range(2):
            if offers[g] >= 0 and nash[offers[g]] > value:
                better, value = offers[g], nash[offers[g]]
        record["moved"] = better < 0 or not c.same_deal(d, better)
    margins = np.array([c.margins(g, d) for g in range(2)])
    across = np.zeros((2, len(point["box"])))  # across[g, t]: type-t doughnuts g's negotiator handed to the other group
    record["side"] = False
    if point["side_payments"]:
        margins, across, handed = c.side_payments(d, noise)
        record["side"] = handed > 0
    record["success"] = c.passes(margins)
    if record["success"]:
        sprinkled = np.array([float(t["sprinkles"]) for t in point["box"]])
        net_to_a = across[1] - across[0]
        held_a = c.pool[0][d] + c.eaten[0][d] + net_to_a
        held_b = c.pool[1][d] + c.eaten[1][d] - net_to_a
        record["doughnuts"] = (held_a.sum(), held_b.sum())
        record["sprinkles"] = (sprinkled @ held_a, sprinkled @ held_b)
        record["split"] = int(c.pool[0][d].sum())
        record["sprinkles_reward"] = bool(sprinkled @ (c.eaten[0][d] + c.eaten[1][d]) > 0)
    return record


def simulate_classes(point, classes, seed):
    """``classes`` classes at ``point`` (a resolved parameter point): every output as
    ``(count or sum, sum of squares or None, conditioning trials)``."""
    counts = tuple(t["count"] for t in point["box"])
    deals, shares, outlines = _shares(counts, int(point["reward"]), int(point["credit"]), bool(point["trades"]))
    rng = np.random.default_rng(seed)
    records = [play_class(rng, point, deals, shares, outlines) for _ in range(classes)]
    agreed = [r for r in records if r["agree"]]
    won = [r for r in records if r["agree"] and r["success"]]
    pool = sum(counts) - 2 * int(point["reward"])
    mean = lambda xs, n: (sum(xs), sum(x * x for x in xs), n)
    out = {
        "p_success": (len(won), None, classes),
        "p_agree": (len(agreed), None, classes),
        "p_invol": (len(agreed) - len(won), None, classes),
        "p_side_payment": (sum(r["side"] for r in agreed), None, classes),
        "p_trade": (sum(r["trade"] for r in agreed), None, len(agreed)),
        "mean_doughnuts_a": mean([r["doughnuts"][0] for r in won] + [0.0] * (classes - len(won)), classes),
        "mean_doughnuts_b": mean([r["doughnuts"][1] for r in won] + [0.0] * (classes - len(won)), classes),
        "mean_sprinkles_a": mean([r["sprinkles"][0] for r in won], len(won)),
        "mean_sprinkles_b": mean([r["sprinkles"][1] for r in won], len(won)),
        "p_sprinkles_reward": (sum(r["sprinkles_reward"] for r in won), None, len(won)),
        "p_split": [(sum(r["split"] == k for r in won), None, len(won)) for k in range(pool + 1)],
    }
    if point["rounds"] == 2:
        out["p_deal_moved"] = (sum(r["moved"] for r in agreed), None, len(agreed))
    return out
