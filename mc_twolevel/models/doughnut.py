"""``doughnut``: the classroom doughnut negotiation (win-sets with sprinkles).

Blocksome's classroom exercise as a model of a whole class. ``n_students``
split into two groups, a and b, each with a chief negotiator; a box of
doughnuts of several types (each with attributes: sprinkles, chocolate,
filled, glazed). On success each negotiator receives ``reward`` doughnuts of
its choice out of the box, and the other doughnuts (the *pool*) are divided
between the groups, whole doughnuts only; the deal may also split ``credit``
extra-credit points (negative: duties) between the groups. Failure gives
nobody anything. A deal holds only if, in each group, yes votes among the
voters (the members other than the negotiator) reach ``quota`` of them.

One trial is one class:

- **Tastes.** Each group has its own taste for each attribute (normal around
  0 with sd ``group_spread``) and each student departs from it (sd
  ``taste_spread``); a doughnut is worth ``base_value`` plus the student's
  tastes for its attributes.
- **Standards.** A voter's utility from a deal is its share of the group's
  pool (eaten together, so divided by the group size) plus ``credit_value``
  per credit point, minus envy: its inequity weight (uniform on
  [0, 2 ``fairness``]) times how much more the other group takes (pool and
  reward, per student, at the voter's own tastes) than its own group. It votes
  yes iff that utility reaches its aspiration (normal, ``aspiration`` and
  ``aspiration_spread``).
- **Knowledge.** A negotiator knows its voters' tastes but misjudges each
  one's margin (utility minus aspiration) by a normal error, sd ``noise_1``
  after the first in-group round and ``noise_2`` after the reassessment that
  follows the first meeting; it believes a voter approves with probability
  ``Phi(estimated margin / noise)``. With ``rounds = 2`` (the exercise) the
  final meeting is negotiated with the sharper knowledge; with 1, with the
  first.
- **Negotiation.** At the table the negotiators pool what they know and
  search every deal: which doughnuts each takes as reward, which of the pool
  go to which group, and the credit split. They pick the deal that maximises
  the Nash product of their expected payoffs, each ``P(both groups approve) x
  own utility`` (a negotiator's utility: its share of its group's pool, its
  reward doughnuts and its credit). Group approval probabilities are exact
  Poisson-binomial tails. Deals are enumerated by doughnut *type* and count,
  not label: interchangeable doughnuts give the same deal. The default box of
  11 in 7 types has 28,072 deals against 253,440 labelled ones.
- **Side payments** (``side_payments``). After agreeing, each negotiator (a
  first) may hand each of its reward doughnuts to one voter, at home or across,
  when that raises its own expected payoff under its beliefs; the voter eats it
  alone.
- **The vote.** Each voter votes on its true utility (with any doughnut it
  was handed).

Outputs are over all trials unless they say otherwise: ``p_success``,
``p_agree`` (the negotiators found a deal), ``p_invol`` (agreed, then a group
voted it down), ``mean_doughnuts_a``/``_b`` (doughnuts the group ends up with,
0 on failure), ``p_side_payment``, ``p_split`` along ``split`` (of successful
deals, the share giving k pool doughnuts to a), ``mean_sprinkles_a``/``_b``
(sprinkled doughnuts each group ends with, given success) and
``p_sprinkles_reward`` (a negotiator took a sprinkled doughnut as its reward,
given success).
"""

import itertools
import math

import numba
import numpy as np

from ..errors import InputError
from ..model import Mean, Model, Probability, per_point
from ..params import Flag, ParamSet, Real
from ..rng import normal, uniform

ATTRIBUTES = ("sprinkles", "chocolate", "filled", "glazed")
MAX_TYPES = 12
MAX_DOUGHNUTS = 24
SPLITS = tuple(range(MAX_DOUGHNUTS + 1))

DEFAULT_BOX = (
    {"name": "glazed", "count": 3, "glazed": True},
    {"name": "chocolate frosted", "count": 2, "chocolate": True},
    {"name": "chocolate with sprinkles", "count": 2, "chocolate": True, "sprinkles": True},
    {"name": "strawberry with sprinkles", "count": 1, "sprinkles": True},
    {"name": "Boston cream", "count": 1, "chocolate": True, "filled": True},
    {"name": "jelly filled", "count": 1, "filled": True},
    {"name": "plain", "count": 1},
)


class Box:
    """The box of doughnuts: a list of types, each ``{name, count, <attribute> = true}``."""

    name = "box"
    doc = "the doughnuts: a list of { name, count, sprinkles, chocolate, filled, glazed }"
    units = ""
    width = 1 + MAX_TYPES * (1 + len(ATTRIBUTES))
    range = f"1-{MAX_TYPES} types, 3-{MAX_DOUGHNUTS} doughnuts"

    def parse(self, value):
        if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= MAX_TYPES:
            raise InputError(f"box: expected a list of 1 to {MAX_TYPES} doughnut types, got {value!r}")
        types = []
        for entry in value:
            if not isinstance(entry, dict) or "name" not in entry:
                raise InputError(f"box: each type is a table with a name, a count and attributes; got {entry!r}")
            unknown = set(entry) - {"name", "count", *ATTRIBUTES}
            if unknown:
                raise InputError(f"box: {entry['name']!r} has unknown key(s) {', '.join(sorted(unknown))}; "
                                 f"attributes are {', '.join(ATTRIBUTES)}")  # fmt: skip
            count = entry.get("count", 1)
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise InputError(f"box: {entry['name']!r} count = {count!r}; expected a whole number >= 1")
            if any(not isinstance(entry.get(a, False), bool) for a in ATTRIBUTES):
                raise InputError(f"box: {entry['name']!r}: attributes are true or false")
            types.append({"name": str(entry["name"]), "count": count, **{a: entry.get(a, False) for a in ATTRIBUTES}})
        total = sum(t["count"] for t in types)
        if not 3 <= total <= MAX_DOUGHNUTS:
            raise InputError(f"box: {total} doughnuts; a box holds 3 to {MAX_DOUGHNUTS}")
        return tuple(types)

    def encode(self, value):
        rows = [[t["count"], *(float(t[a]) for a in ATTRIBUTES)] for t in value]
        rows += [[0.0] * (1 + len(ATTRIBUTES))] * (MAX_TYPES - len(rows))
        return (float(len(value)), *(x for row in rows for x in row))

    def decode(self, slots):
        """The box's counts and attributes (names are not encoded: types are numbered)."""
        rows = np.asarray(slots[1:]).reshape(MAX_TYPES, 1 + len(ATTRIBUTES))[: int(slots[0])]
        return tuple({"name": f"type {i + 1}", "count": int(row[0]), **{a: bool(row[1 + k]) for k, a in enumerate(ATTRIBUTES)}}
                     for i, row in enumerate(rows))  # fmt: skip


Box.default = Box().parse(DEFAULT_BOX)

PARAMS = ParamSet(
    Real("n_students", 16, 4, 40, "students in the class, split into two equal groups", integer=True),
    Box(),
    Real("reward", 2, 0, 3, "doughnuts each negotiator takes from the box on success", integer=True),
    Real("credit", 0, -10, 10, "extra-credit points (negative: duties) the deal splits", integer=True),
    Real("credit_value", 0.5, 0.0, 5.0, "worth of one credit point to a student", "doughnuts"),
    Real("quota", 0.5, 0.01, 1.0, "share of a group's voters whose yes ratifies"),
    Real("base_value", 1.0, -2.0, 5.0, "worth of any doughnut to any student", "doughnuts"),
    Real("group_spread", 0.5, 0.0, 3.0, "sd of a group's taste for an attribute", "doughnuts"),
    Real("taste_spread", 0.5, 0.0, 3.0, "sd of a student's taste about its group's", "doughnuts"),
    Real("aspiration", 0.3, -5.0, 20.0, "mean utility a voter demands of a deal", "doughnuts"),
    Real("aspiration_spread", 0.15, 0.0, 5.0, "sd of voters' aspirations", "doughnuts"),
    Real("fairness", 0.5, 0.0, 10.0, "mean weight of envy of the other group's larger take"),
    Real("noise_1", 0.3, 0.001, 5.0, "negotiator's error about a voter's margin after the first round", "doughnuts"),
    Real("noise_2", 0.1, 0.001, 5.0, "... after the reassessment that follows the first meeting", "doughnuts"),
    Real("rounds", 2, 1, 2, "in-group rounds before the final meeting", integer=True),
    Flag("side_payments", True, "negotiators may hand reward doughnuts to voters, at home or across"),
)  # fmt: skip

_SCALARS = ("n_students", "reward", "credit", "credit_value", "quota", "base_value", "group_spread",
            "taste_spread", "aspiration", "aspiration_spread", "fairness", "noise_1", "noise_2", "rounds",
            "side_payments")  # fmt: skip
(_N_STUDENTS, _REWARD, _CREDIT, _CREDIT_VALUE, _QUOTA, _BASE, _GROUP_SPREAD, _TASTE_SPREAD, _ASPIRATION,
 _ASPIRATION_SPREAD, _FAIRNESS, _NOISE_1, _NOISE_2, _ROUNDS, _SIDE) = (PARAMS.offset[k] for k in _SCALARS)  # fmt: skip

COUNTERS = (
    "success", "agree", "invol", "side", "doughnuts_a", "doughnuts_a_sq", "doughnuts_b", "doughnuts_b_sq",
    "sprinkles_a", "sprinkles_a_sq", "sprinkles_b", "sprinkles_b_sq", "sprinkles_reward",
    *(f"split_{k}" for k in SPLITS),
)  # fmt: skip
_C = {name: i for i, name in enumerate(COUNTERS)}
_SUCCESS, _AGREE, _INVOL, _SIDE_PAID, _DOUGHNUTS_A, _DOUGHNUTS_B = (
    _C[k] for k in ("success", "agree", "invol", "side", "doughnuts_a", "doughnuts_b"))  # fmt: skip
_SPRINKLES_A, _SPRINKLES_B, _SPRINKLES_REWARD, _SPLIT = (
    _C[k] for k in ("sprinkles_a", "sprinkles_b", "sprinkles_reward", "split_0"))  # fmt: skip

_SUCCEEDED = "the deal held"
OUTPUTS = (
    Probability("p_success", "success", "both groups approved the deal"),
    Probability("p_agree", "agree", "the negotiators agreed on a deal"),
    Probability("p_invol", "invol", "the negotiators agreed, then a group voted the deal down"),
    Mean("mean_doughnuts_a", "doughnuts_a", "doughnuts_a_sq", "doughnuts group a ends with (0 on failure)", units="doughnuts"),
    Mean("mean_doughnuts_b", "doughnuts_b", "doughnuts_b_sq", "doughnuts group b ends with (0 on failure)", units="doughnuts"),
    Probability("p_side_payment", "side", "a negotiator handed a reward doughnut to a voter"),
    Probability("p_split", "split", "pool doughnuts going to group a (k of them)", "success", _SUCCEEDED,
                dim=("split", SPLITS)),
    Mean("mean_sprinkles_a", "sprinkles_a", "sprinkles_a_sq", "sprinkled doughnuts group a ends with", "success",
         _SUCCEEDED, "doughnuts"),
    Mean("mean_sprinkles_b", "sprinkles_b", "sprinkles_b_sq", "sprinkled doughnuts group b ends with", "success",
         _SUCCEEDED, "doughnuts"),
    Probability("p_sprinkles_reward", "sprinkles_reward", "a negotiator took a sprinkled doughnut as reward",
                "success", _SUCCEEDED),
)  # fmt: skip


# --- the deal space, by type and count ------------------------------------------------------------


def _takes(counts, k):
    """Every way to take k doughnuts from types with ``counts``: tuples of counts per type."""
    ranges = [range(min(c, k) + 1) for c in counts]
    return [t for t in itertools.product(*ranges) if sum(t) == k]


def deals(counts, reward, credit):
    """Every deal as arrays ``(reward_a, reward_b, pool_a, credit_a)``, one row a deal.

    ``reward_*`` and ``pool_a`` count doughnuts per type; the pool's rest goes to b;
    ``credit_a`` is a's credit points (b gets ``credit - credit_a``).
    """
    counts = np.asarray(counts)
    rows = []
    for reward_a in _takes(counts, reward):
        left = counts - np.array(reward_a)
        for reward_b in _takes(left, reward):
            pool = left - np.array(reward_b)
            for pool_a in itertools.product(*[range(c + 1) for c in pool]):
                rows.append((reward_a, reward_b, pool_a))
    splits = np.arange(min(0, credit), max(0, credit) + 1)
    ra, rb, pa = (np.array([r[i] for r in rows], dtype=np.int64).reshape(len(rows), len(counts)) for i in range(3))
    repeat = len(splits)
    return np.repeat(ra, repeat, 0), np.repeat(rb, repeat, 0), np.repeat(pa, repeat, 0), np.tile(splits, len(rows))


@per_point(PARAMS)
def _planned(point):
    """The box's counts and attributes, and every deal, once per parameter point."""
    counts = np.array([t["count"] for t in point["box"]], dtype=np.int64)
    attributes = np.array([[float(t[a]) for a in ATTRIBUTES] for t in point["box"]])
    return counts, attributes, *deals(counts, point["reward"], point["credit"])


# --- one class -------------------------------------------------------------------------------------


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
                mine_reward, their_reward = (reward_a[d, t], reward_b[d, t]) if g == 0 else (reward_b[d, t], reward_a[d, t])
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
def negotiate(values, envy, aspirations, errors, noise, counts, reward_a, reward_b, pool_a, credit_a, credit,
              credit_value, quota, size):  # fmt: skip
    """The deal the negotiators choose: ``(index, Nash product)``, or ``(-1, 0)`` if no
    deal gives both a positive expected payoff. Members ``1..size-1`` of each group vote.

    Exact search with pruning: P(success) <= 1, so ``u_a u_b`` bounds a deal's product;
    the deal with the largest bound is evaluated first, then only those whose bound
    beats the best product found."""
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
    best, best_product = -1, 0.0
    for d in order:
        if seen[d] or bound[d] <= best_product:
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
        if product > best_product or (product == best_product and d < best):
            best, best_product = d, product
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
def _side_payments(d, values, margins, errors, noise, reward_a, reward_b, counts, quota, size, u, gifts):
    """Greedy side payments: each negotiator in turn hands each reward doughnut to the voter
    (either group) that most raises its expected payoff, if any does. Returns the number
    handed in all and the numbers a's and b's negotiators handed across to the other group;
    ``gifts`` receives the value to each voter, ``u`` the negotiators' utilities after giving."""
    voters = size - 1
    believed = np.empty(voters)
    dp = np.empty(voters + 1)
    handed = 0
    across = np.zeros(2, dtype=np.int64)
    for g in range(2):
        for t in range(counts.shape[0]):
            for _ in range(reward_a[d, t] if g == 0 else reward_b[d, t]):
                base = _success_belief(margins, gifts, errors, noise, voters, quota, believed, dp) * u[g]
                best_value, best_group, best_voter = base, -1, -1
                for h in range(2):
                    for v in range(1, size):
                        gifts[h, v] += values[h, v, t]
                        value = _success_belief(margins, gifts, errors, noise, voters, quota, believed, dp) * (
                            u[g] - values[g, 0, t])
                        gifts[h, v] -= values[h, v, t]
                        if value > best_value + 1e-12:
                            best_value, best_group, best_voter = value, h, v
                if best_group >= 0:
                    gifts[best_group, best_voter] += values[best_group, best_voter, t]
                    u[g] -= values[g, 0, t]
                    handed += 1
                    across[g] += best_group != g
    return handed, across[0], across[1]


@numba.njit(nogil=True, cache=True)
def _kernel(theta, counts, attributes, reward_a, reward_b, pool_a, credit_a, trials, states, totals):
    s = states[0]
    size = int(theta[_N_STUDENTS]) // 2
    voters = size - 1
    types, n_attributes = attributes.shape
    credit, credit_value, quota = int(theta[_CREDIT]), theta[_CREDIT_VALUE], theta[_QUOTA]
    noise = theta[_NOISE_2] if theta[_ROUNDS] == 2.0 else theta[_NOISE_1]
    sprinkled = attributes[:, 0]
    values = np.empty((2, size, types))
    envy, aspirations, errors = np.empty((2, size)), np.empty((2, size)), np.empty((2, size))
    margins, gifts = np.empty((2, size)), np.zeros((2, size))
    u = np.empty(2)
    tastes, group_taste = np.empty(n_attributes), np.empty(n_attributes)
    for _ in range(trials):
        for g in range(2):
            for k in range(n_attributes):
                group_taste[k] = theta[_GROUP_SPREAD] * normal(s)
            for v in range(size):
                for k in range(n_attributes):
                    tastes[k] = group_taste[k] + theta[_TASTE_SPREAD] * normal(s)
                for t in range(types):
                    worth = theta[_BASE]
                    for k in range(n_attributes):
                        worth += attributes[t, k] * tastes[k]
                    values[g, v, t] = worth
                aspirations[g, v] = theta[_ASPIRATION] + theta[_ASPIRATION_SPREAD] * normal(s)
                envy[g, v] = 2.0 * theta[_FAIRNESS] * uniform(s)
                errors[g, v] = noise * normal(s)
        d, product = negotiate(values, envy, aspirations, errors, noise, counts, reward_a, reward_b, pool_a,
                               credit_a, credit, credit_value, quota, size)  # fmt: skip
        if d < 0:
            continue
        totals[_AGREE] += 1.0
        gifts[:] = 0.0
        u[0], u[1] = _margins(d, values, envy, aspirations, gifts, reward_a, reward_b, pool_a, credit_a, counts,
                              credit, credit_value, size, margins)  # fmt: skip
        across_a = across_b = 0
        if theta[_SIDE] == 1.0:
            handed, across_a, across_b = _side_payments(d, values, margins, errors, noise, reward_a, reward_b,
                                                        counts, quota, size, u, gifts)  # fmt: skip
            totals[_SIDE_PAID] += handed > 0
        passed = True
        for g in range(2):
            yes = 0
            for v in range(1, size):
                yes += margins[g, v] + gifts[g, v] >= 0.0
            passed = passed and yes >= quota * voters - 1e-9
        if not passed:
            totals[_INVOL] += 1.0
            continue
        totals[_SUCCESS] += 1.0
        pool_to_a = sprinkles_a = sprinkles_b = 0.0
        got_a = got_b = 0.0
        sprinkles_reward = False
        for t in range(types):
            to_a = pool_a[d, t]
            to_b = counts[t] - reward_a[d, t] - reward_b[d, t] - to_a
            pool_to_a += to_a
            got_a += to_a + reward_a[d, t]
            got_b += to_b + reward_b[d, t]
            sprinkles_a += sprinkled[t] * (to_a + reward_a[d, t])
            sprinkles_b += sprinkled[t] * (to_b + reward_b[d, t])
            sprinkles_reward = sprinkles_reward or sprinkled[t] * (reward_a[d, t] + reward_b[d, t]) > 0
        got_a += across_b - across_a  # side payments handed across move doughnuts between groups
        got_b += across_a - across_b
        totals[_DOUGHNUTS_A] += got_a
        totals[_DOUGHNUTS_A + 1] += got_a * got_a
        totals[_DOUGHNUTS_B] += got_b
        totals[_DOUGHNUTS_B + 1] += got_b * got_b
        totals[_SPRINKLES_A] += sprinkles_a
        totals[_SPRINKLES_A + 1] += sprinkles_a * sprinkles_a
        totals[_SPRINKLES_B] += sprinkles_b
        totals[_SPRINKLES_B + 1] += sprinkles_b * sprinkles_b
        totals[_SPRINKLES_REWARD] += sprinkles_reward
        totals[_SPLIT + int(pool_to_a)] += 1.0


def kernel(theta, trials, states, totals):
    """Add the counters of ``trials`` classes at ``theta`` into ``totals`` (the deal space
    is enumerated once per point and cached; the compiled kernel releases the GIL)."""
    counts, attributes, reward_a, reward_b, pool_a, credit_a = _planned(theta)
    _kernel(theta, counts, attributes, reward_a, reward_b, pool_a, credit_a, trials, states, totals)


def _check(point):
    total = sum(t["count"] for t in point["box"])
    if 2 * point["reward"] >= total:
        raise InputError(f"reward = {point['reward']} leaves no doughnuts to split in a box of {total}")
    if point["n_students"] % 2:
        raise InputError(f"n_students = {point['n_students']}: the class splits into two equal groups; use an even number")


MODEL = Model(
    name="doughnut",
    summary="the classroom doughnut negotiation: win-sets with sprinkles (Blocksome)",
    reference="Blocksome's classroom doughnut negotiation; Putnam, IO 42 (1988)",
    params=PARAMS,
    counters=COUNTERS,
    outputs=OUTPUTS,
    kernel=kernel,
    chunk_trials=1 << 10,
    checks=(_check,),
)
