"""``referendum``: a small complete model, the example of docs/adding-a-model.md.

A negotiator brings home a deal giving its state the share ``share``. Each of
``voters`` constituents has a reservation share ``r_v = mu + spread z_v``
(``z_v`` standard normal) and votes yes iff ``share >= r_v``; the deal is
ratified iff the yes votes reach ``quota`` of the voters. One trial is one
referendum.

Outputs: ``p_ratified``; ``p_yes``, the distribution of the number of yes votes
along a ``yes`` dimension sized by ``voters``; ``mean_yes_share`` given ratified.

Known answer: at ``share = mu`` each vote is yes with probability 1/2, so with 3
voters and a simple majority ``p_ratified = P(Binomial(3, 1/2) >= 2) = 1/2`` and
``p_yes = (1, 3, 3, 1) / 8``.
"""

import math

import numba

import mc_twolevel as mc
from mc_twolevel.model import CounterLayout, Dim, KnownAnswer, Mean, Model, Probability, add_sample
from mc_twolevel.params import ParamSet, Real
from mc_twolevel.rng import normal

MAX_VOTERS = 25

# 1. Parameters: name, default, range, meaning, units.
PARAMS = ParamSet(
    Real("share", 0.5, 0.0, 1.0, "the state's share of the deal", "share"),
    Real("mu", 0.5, -1.0, 2.0, "centre of the constituents' reservation shares", "share"),
    Real("spread", 0.2, 0.0, 1.0, "sd of the reservation shares", "share"),
    Real("voters", 3, 1, MAX_VOTERS, "constituents who vote", integer=True),
    Real("quota", 0.5, 0.01, 1.0, "share of yes votes that ratifies"),
)


# 2. Outputs: each names the event (or value) the kernel counts, and what it is conditioned on.
def _possible_counts(point):
    return point["voters"] + 1  # 0..voters yes votes


YES = Dim("yes", tuple(range(MAX_VOTERS + 1)), "yes votes", size=_possible_counts)
OUTPUTS = (
    Probability("p_ratified", "ratified", "the deal is ratified"),
    Probability("p_yes", "yes", "k constituents vote yes", dim=YES),
    Mean("mean_yes_share", "yes_share", "share of yes votes in a ratified deal", "ratified", "the deal is ratified"),
)

# 3. Named slots: the kernel reads parameters and writes counters by name.
P = PARAMS.slots()
C = CounterLayout(OUTPUTS).slots()


# 4. The kernel, in short named stages.
@numba.njit
def count_yes(s, share, mu, spread, voters):
    """Stage 1: the number of yes votes in one referendum."""
    yes = 0
    for _ in range(voters):
        yes += share >= mu + spread * normal(s)
    return yes


@numba.njit(nogil=True, cache=True)
def kernel(theta, trials, states, totals):
    """Add the counts of ``trials`` referendums at ``theta`` into ``totals``."""
    s = states[0]
    voters = int(theta[P.voters])
    needed = math.ceil(theta[P.quota] * voters - 1e-9)
    for _ in range(trials):
        yes = count_yes(s, theta[P.share], theta[P.mu], theta[P.spread], voters)
        totals[C.yes + yes] += 1.0
        if yes >= needed:  # stage 2: the vote's outcome
            totals[C.ratified] += 1.0
            add_sample(totals, C.yes_share, C.yes_share_sq, yes / voters)


# 5. The model, with its known answers; registering it makes it runnable by name.
MODEL = mc.register(
    Model(
        name="referendum",
        summary="a deal put to a referendum (the example model of docs/adding-a-model.md)",
        reference="docs/adding-a-model.md",
        params=PARAMS,
        outputs=OUTPUTS,
        kernel=kernel,
        chunk_trials=1 << 18,
        known_answers=(KnownAnswer("referendum", "share at the median reservation, 3 voters", "p_ratified", 0.5, {}),),
    )
)
