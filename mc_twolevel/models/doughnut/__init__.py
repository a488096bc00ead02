"""``doughnut``: the classroom doughnut negotiation (win-sets with sprinkles).

Blocksome's classroom exercise as a model of a whole class. ``n_students``
split into two groups, a and b, each with a chief negotiator; a box of
doughnuts of several types (each with attributes: sprinkles, chocolate,
filled, glazed). On success each negotiator takes ``reward`` doughnuts out of
the box, which ones being part of the deal, and the other doughnuts (the
*pool*) are divided between the groups, whole doughnuts only; the deal may also
split ``credit`` extra-credit points (negative: duties) between the groups, and
(``trades``) have one negotiator hand a reward doughnut to the other. Failure
gives nobody anything. A deal holds only if, in each group, yes votes among the
voters (the members other than the negotiator) reach ``quota`` of them.

One trial is one class, in stages (:mod:`.kernel`):

- **The class.** Each group has its own taste for each attribute (normal around
  0 with sd ``group_spread``) and each student departs from it (sd
  ``taste_spread``); a doughnut is worth ``base_value`` plus the student's
  tastes for its attributes. A voter's utility from a deal is its share of the
  group's pool (eaten together, so divided by the group size) plus
  ``credit_value`` per credit point, minus envy: its weight (uniform on
  [0, 2 ``fairness``]) times how much more the other group takes (pool and
  negotiator's doughnuts, per student, at the voter's own tastes). It votes yes
  iff that utility reaches its aspiration (normal, ``aspiration`` and
  ``aspiration_spread``).
- **What a negotiator knows.** Its own group only: it misjudges each voter's
  margin (utility minus aspiration) by ``noise x z`` (z standard normal, drawn
  once) and believes the voter approves with probability
  ``Phi(estimated margin / noise)``; noise is ``noise_1`` after the first
  in-group round and ``noise_2`` after the reassessment. Of the other group it
  holds the prior: every doughnut worth ``base_value`` to them, envy at its mean,
  voters independent, each approving when the deal's worth less the group's
  demand exceeds a normal departure (aspiration spread, own tastes and its own
  noise); the group's demand is normal around ``aspiration`` with the spread its
  shared tastes give a half of the pool.
- **First meeting** (``rounds = 2``). Who speaks first is drawn. Each opens with
  the deal that maximises its own expected payoff (its utility times its
  belief that both groups approve), the second after hearing the first.
  *What an offer teaches:* a negotiator only tables a deal it expects its own
  group to accept, so the listener concludes that the offering group's demand
  is at most what the offer gives that group (judged at the prior's tastes),
  and truncates its belief about that demand there.
- **Report back, reassessment.** Each group hears the other side's offer; its
  voters' aspirations move ``anchoring`` of the way toward what that offer
  gives them, and each negotiator, knowing this, moves its belief about the
  other group's demand the same way toward what its own offer gave them. Each
  negotiator's knowledge of its group sharpens to ``noise_2``.
- **Final meeting.** The deal maximising the product of the two negotiators'
  expected payoffs, each by its own beliefs (a negotiator's utility: its share
  of its group's pool, its reward doughnuts and its credit). With
  ``rounds = 1`` this is the only meeting, at ``noise_1`` and the prior.
  Deals are searched exactly, by doughnut *type* and count (the default box of
  11 in 7 types has 68,264 deals with trades, 28,072 without, against 253,440
  labelled ones without); equally good deals are broken at random, each
  labelled deal among them equally likely.
- **Side payments** (``side_payments``). Once agreed, each negotiator in turn
  (the first speaker first) may hand each of its reward doughnuts to one voter,
  at home or across, when that raises its own expected payoff; each negotiator
  points out its own wavering voters. The voter eats it alone.
- **The vote.** Each voter votes on its true utility (with any doughnut it
  was handed), against its (anchored) aspiration.

Outputs are over all trials unless they say otherwise: ``p_success``,
``p_agree`` (the negotiators found a deal), ``p_invol`` (agreed, then a group
voted it down), ``mean_doughnuts_a``/``_b`` (doughnuts the group ends up with,
0 on failure), ``p_side_payment``, ``p_deal_moved`` (of agreements at
``rounds = 2``, the final deal differs from the better first offer, better by
the final Nash product), ``p_trade`` (of agreements, the deal hands a reward
doughnut between the negotiators), ``p_split`` along ``split`` (of successful
deals, the share giving k pool doughnuts to a), ``mean_sprinkles_a``/``_b``
(sprinkled doughnuts each group ends with, given success) and
``p_sprinkles_reward`` (the negotiators' reward doughnuts include a sprinkled
one, given success). Every doughnut is counted once: a reward doughnut handed
to a voter of the other group moves to that group in the doughnut *and* the
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
from .kernel import NASH, OFFER_A, OFFER_B, account, kernel, search


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
    version="3",
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
    "search",
    "NASH",
    "OFFER_A",
    "OFFER_B",
    "plan",
]
