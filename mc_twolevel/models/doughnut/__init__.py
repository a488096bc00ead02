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
given success). Every doughnut is counted once: a reward doughnut handed to a
voter of the other group moves to that group in the doughnut *and* the
sprinkles outputs (:func:`~.kernel.account`). Tastes are symmetric over the
attributes, so nothing makes sprinkles special: ``p_sprinkles_reward`` is to be
read against a blind draw of the negotiators' doughnuts, ``1 - C(n - s, 2r) /
C(n, 2r)`` for s sprinkled doughnuts of n (0.788 for the default box: 3 of 11,
4 taken), which a class indifferent between doughnuts attains exactly.
"""

from ...errors import InputError
from ...model import Model
from .deals import deals, labelled_ways, plan
from .declarations import ATTRIBUTES, DEFAULT_BOX, OUTPUTS, PARAMS, Box
from .kernel import account, kernel, negotiate


def _check(point):
    total = sum(t["count"] for t in point["box"])
    if 2 * point["reward"] >= total:
        raise InputError(f"reward = {point['reward']} leaves no doughnuts to split in a box of {total}")
    if point["n_students"] % 2:
        raise InputError(
            f"n_students = {point['n_students']}: the class splits into two equal groups; use an even number"
        )


MODEL = Model(
    name="doughnut",
    summary="the classroom doughnut negotiation: win-sets with sprinkles (Blocksome)",
    reference="Blocksome's classroom doughnut negotiation; Putnam, IO 42 (1988)",
    params=PARAMS,
    plan=plan,
    outputs=OUTPUTS,
    kernel=kernel,
    chunk_trials=1 << 10,
    checks=(_check,),
    version="2",
)


__all__ = [
    "ATTRIBUTES",
    "account",
    "DEFAULT_BOX",
    "MODEL",
    "OUTPUTS",
    "PARAMS",
    "Box",
    "deals",
    "labelled_ways",
    "negotiate",
    "plan",
]
