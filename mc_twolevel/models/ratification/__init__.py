"""``ratification``: Level I bargaining, Level II ratification, involuntary defection.

After Putnam, "Diplomacy and Domestic Politics: The Logic of Two-Level
Games", International Organization 42 (1988); Iida, "When and how do domestic
constraints matter?", J. Conflict Resolution 37 (1993) and "Involuntary
defection in two-level games", Public Choice 89 (1996); Rubinstein (1982).

Two states divide a surplus of 1: ``x`` is a's share, ``1 - x`` b's.

**Level II.** Each of a's ``n_a`` constituents has reservation share
``r_v = mu_a + eta_a + eps_v`` (national shock ``eta_a``, uniform on
[-shock_a, shock_a] or normal with sd ``shock_a`` by ``shock_dist``;
``eps_v ~ N(0, spread_a)``), takes part with probability ``turnout_a``, and
votes yes iff ``x + side_a >= r_v``. The deal is ratified iff yes votes
``>= quota_a`` x participants (ties at the quota pass; nobody taking part
fails). So a ratifies iff ``x >= R_a - side_a``, where the pivotal threshold
``R_a`` is the ``ceil(quota_a m)``-th smallest reservation of the ``m``
participants. Reverberation: foreign pressure shifts every reservation by
``-reverb_a``, or by ``+reverb_a`` with probability ``backlash_a``; the
shifted threshold ``R'_a`` decides ratification, and the win-set
``[R'_a - side_a, 1]`` (size clipped to [0, 1]) is reported with it. The
realised win-sets overlap (``p_overlap``) when both are non-empty within
[0, 1] and intersect; under complete information without vetoes that is
exactly when a deal is ratified.

**Level I.** Negotiators' beliefs about each threshold:

- ``complete``: both know ``R'_a`` and ``R'_b`` (including the direction the
  reverberation will take).
- ``asymmetric``: each knows its own ``R'``, and the prior of the other's.
- ``incomplete``: both know only the priors.
- ``poll``: before bargaining both see ``R + poll_bias + N(0, poll_noise)``
  of each threshold and take it at face value (the reverberation still
  uncertain); this replaces the prior wherever the prior would be used.

Protocols: ``ultimatum`` (``proposer`` offers the x maximising its share times
the probability, under its beliefs, that the deal is signed and ratified);
``nash`` (x maximises ``x^w (1-x)^(1-w) P(x)`` with ``P`` the ratification
probability under *common* beliefs: the realised thresholds under complete
information, else the priors or the poll; so ``clip(w, R_a - side_a,
1 - R_b + side_b)`` under complete information); ``rubinstein`` (alternating
offers with ``delta_a``, ``delta_b``, first offer by ``proposer``, complete
information; an offer a constituency would reject counts as rejected, so the
floors ``R' - side`` bound the offers; the stationary subgame-perfect split).

A negotiator never signs a share below its ``veto``. A signer who knows its
own threshold never signs what its constituency would reject; one who does
not signs whenever ratification is possible under its beliefs.

**Two rounds** (``rounds = 2``; ``ultimatum`` under ``incomplete`` information
without a poll): after a signed deal is rejected, the proposer makes one more
offer, its beliefs (and the responder's) truncated by which constituency
accepted or rejected the first; round-2 payoffs are discounted by ``delta_a``,
``delta_b``. With ``strategic_vote`` (single ratifiers, ``n = 1``, only), a
ratifier rejects a first offer it would accept when the second offer that
follows its rejection (the other ratifier assumed to accept) gives it a
larger discounted surplus ``delta (share - (R' - side))`` (Iida 1996). The
proposer here is naive: it neither anticipates strategic votes nor discounts
what a rejection reveals.

**Renegotiation as an equilibrium** (``renegotiation = "equilibrium"``): the
proposer anticipates strategic rejections. For one ratifier with a uniform
prior facing an uninformed proposer whose own ratification is certain, this
is a two-round screening game solved exactly (:mod:`.renegotiation`): types
below a cutoff accept the first offer, types between the cutoff and the first
offer reject it although they would ratify it (``p_strategic_no``), and the
second offer is the optimum against the types above the cutoff. Other
settings are refused by name.

**Linkage at a price** (``linkage_price = k``; Putnam): the proposer may add a
side payment ``t`` targeted at the responder's constituents, which raises their
valuation of the deal by ``t`` and costs the proposer ``k t``; the responder
state's payoff counts ``x + t``. At ``k >= 1`` it is never better than share
and is not used. Below 1 the cheapest way to deliver value is all in side
payment, so the responder's share is 0 and ``t`` maximises ``(1 - k t) P(the
responder ratifies at t)`` under the prior (exact, not tabulated). Supported
for one ultimatum offer under incomplete information without a poll or
vetoes; refused otherwise.

**Sampling the vote.** No output depends on a constituent other than the
pivotal one, so a trial draws the number of participants (``Binomial(n,
turnout)``, one uniform by inversion) and the pivotal reservation exactly from
its order-statistic distribution (``mu + eta + spread Phi^-1(U)``, ``U ~
Beta(k, m - k + 1)`` from two gamma deviates). Trials run in blocks of 512 on
the lane generator (:mod:`mc_twolevel.lanes`), every stage a loop LLVM
vectorises (:mod:`.vote`). The tests check the vote against a NumPy vote that
draws every constituent.

**Beliefs** are computed once per parameter point and exactly, not sampled:
the standardised pivotal reservation of ``m`` participants has CDF
``P(Binom(m, Phi(z)) >= ceil(quota m))``, mixed over ``m ~ Binom(n,
turnout)``, convolved with the shock (midpoint quadrature over 1,600 cells of
the pivot) and mixed over the reverberation. A constituency without spread
has a closed-form belief with kinks (the ends of a uniform shock's range, the
atom of a threshold without shock); it is evaluated exactly wherever it is
used, and its kinks are candidate offers, so an offer at the end of a
threshold range is made there exactly. Smooth beliefs are tabulated on 2,049
shares. Offers maximise over the grid, the kinks, the range ends and the
points where a vote truncated a belief, refined by golden section; per-trial
offers by a proposer who knows its own floor use a precomputed suffix maximum
over those candidates. See README.md in this folder for the mathematics.
"""

from ...errors import InputError
from ...model import KnownAnswer, Model
from .beliefs import GRID, SHARES, plan, ratify_probability, threshold_cdf
from .declarations import OUTPUTS, PARAMS, STATES
from .kernel import kernel

ONE_RATIFIER = {"mu_a": 0.5, "shock_a": 0.5, "mu_b": 0.0, "shock_b": 0.0, "proposer": "b"}
TOP_OF_RANGE = {"mu_a": 0.6, "shock_a": 0.1, "mu_b": 0.0, "shock_b": 0.0, "proposer": "b", "info": "incomplete"}
TWO_SIDED = {"mu_a": 0.5, "shock_a": 0.5, "mu_b": 0.5, "shock_b": 0.5, "proposer": "a", "info": "incomplete"}
SCREENING = ONE_RATIFIER | {"rounds": 2, "renegotiation": "equilibrium", "delta_a": 0.5, "delta_b": 0.5}
RUBINSTEIN = {"mu_a": 0.0, "shock_a": 0.0, "mu_b": 0.0, "shock_b": 0.0, "protocol": "rubinstein",
              "info": "complete", "delta_a": 0.9, "delta_b": 0.8}  # fmt: skip


def _one_ratifier(info, output, value):
    case = f"one ratifier in a, b proposes, {info}"
    return KnownAnswer("ratification", case, output, value, ONE_RATIFIER | {"info": info})


def _two_sided(output, value):
    return KnownAnswer("ratification", "R_a, R_b ~ U(0,1), a proposes, incomplete", output, value, TWO_SIDED)


KNOWN_ANSWERS = (
    _one_ratifier("incomplete", "mean_share_a", 0.5),
    _one_ratifier("incomplete", "p_invol", 0.5),
    _one_ratifier("incomplete", "mean_payoff_a", 0.25),
    _one_ratifier("incomplete", "mean_payoff_b", 0.25),
    _one_ratifier("incomplete", "p_agree", 1.0),
    _one_ratifier("incomplete", "p_fail_a", 0.5),
    _one_ratifier("incomplete", "p_fail_b", 0.0),
    _one_ratifier("incomplete", "mean_winset_a", 0.5),
    _one_ratifier("asymmetric", "p_invol", 0.0),
    _one_ratifier("asymmetric", "p_breakdown", 0.5),
    _one_ratifier("asymmetric", "p_agree", 0.5),
    _one_ratifier("complete", "p_ratified", 1.0),
    _one_ratifier("complete", "mean_payoff_a", 0.5),
    *(
        KnownAnswer("ratification", "R_a ~ U(0.5,0.7), b proposes, incomplete: offer at the top", output, value,
                    TOP_OF_RANGE)
        for output, value in (("p_invol", 0.0), ("mean_payoff_a", 0.7), ("mean_payoff_b", 0.3))
    ),
    _two_sided("mean_share_a", 2 / 3),
    _two_sided("p_ratified", 2 / 9),
    _two_sided("mean_payoff_a", 4 / 27),
    _two_sided("mean_payoff_b", 2 / 27),
    _two_sided("p_invol", 7 / 9),
    _two_sided("p_fail_a", 1 / 3),
    _two_sided("p_fail_b", 2 / 3),
    _two_sided("p_overlap", 1 / 2),
    _two_sided("mean_winset_a", 1 / 2),
    _two_sided("mean_winset_b", 1 / 2),
    *(
        KnownAnswer("ratification", f"linkage at price {k}, R_a ~ U(0,1), b proposes, incomplete", output, value,
                    ONE_RATIFIER | {"info": "incomplete", "linkage_price": k})
        for k in (0.5, 0.8)
        for output, value in (("p_ratified", 1 / (2 * k)), ("mean_payoff_b", 1 / (4 * k)), ("mean_share_a", 0.0),
                              ("mean_payoff_a", 1 / (4 * k**2)))
    ),
    *(
        KnownAnswer("ratification", "renegotiation in equilibrium, R_a ~ U(0,1), b proposes, delta 1/2", output,
                    value, SCREENING)
        for output, value in (("p_strategic_no", 0.15), ("p_ratified", 0.7), ("mean_payoff_b", 0.225),
                              ("mean_payoff_a", 0.325))
    ),
    KnownAnswer("ratification", "Rubinstein, no constraints, delta 0.9 / 0.8", "mean_share_a",
                (1 - 0.8) / (1 - 0.9 * 0.8), RUBINSTEIN),
)  # fmt: skip


def _check(point):
    if point["protocol"] == "rubinstein" and point["info"] != "complete":
        raise InputError(f"protocol = 'rubinstein' needs info = 'complete', got info = {point['info']!r}")
    if point["rounds"] == 2 and (point["protocol"], point["info"], point["poll"]) != ("ultimatum", "incomplete", False):
        raise InputError(
            "rounds = 2 (renegotiation) is supported for protocol = 'ultimatum' under info = 'incomplete' "
            f"without a poll; got protocol = {point['protocol']!r}, info = {point['info']!r}, poll = {point['poll']}"
        )
    if point["strategic_vote"] and (point["rounds"] != 2 or point["n_a"] != 1 or point["n_b"] != 1):
        raise InputError(
            "strategic_vote is supported for single ratifiers (n_a = n_b = 1) with rounds = 2; "
            f"got n_a = {point['n_a']}, n_b = {point['n_b']}, rounds = {point['rounds']}"
        )
    if point["renegotiation"] == "equilibrium":
        _check_screening(point)
    if point["linkage_price"] < 1 and (
        (point["protocol"], point["info"], point["poll"], point["rounds"]) != ("ultimatum", "incomplete", False, 1)
        or point["veto_a"] > 0
        or point["veto_b"] > 0
    ):
        raise InputError(
            "linkage_price below 1 (side payments at a price) is supported for one ultimatum offer under "
            "info = 'incomplete' without a poll or vetoes; got "
            f"protocol = {point['protocol']!r}, info = {point['info']!r}, poll = {point['poll']}, "
            f"rounds = {point['rounds']}, veto_a = {point['veto_a']}, veto_b = {point['veto_b']}"
        )


def _check_screening(point):
    """The settings the screening equilibrium is solved for (see :mod:`.renegotiation`)."""
    responder, proposer = ("a", "b") if point["proposer"] == "b" else ("b", "a")
    unsupported = {
        "rounds = 2": point["rounds"] == 2,
        "strategic_vote = false (the equilibrium has its own strategic votes)": not point["strategic_vote"],
        "shock_dist = 'uniform'": point["shock_dist"] == "uniform",
        f"a single ratifier in {responder} (n_{responder} = 1 or spread_{responder} = 0)": (
            point[f"n_{responder}"] == 1 or point[f"spread_{responder}"] == 0
        ),
        f"turnout_{responder} = 1": point[f"turnout_{responder}"] == 1,
        "no reverberation": point["reverb_a"] == 0 and point["reverb_b"] == 0,
        "no vetoes": point["veto_a"] == 0 and point["veto_b"] == 0,
        f"the proposer's ratification certain (shock_{proposer} = spread_{proposer} = 0, turnout_{proposer} = 1, "
        f"mu_{proposer} <= side_{proposer})": (
            point[f"shock_{proposer}"] == 0 and point[f"spread_{proposer}"] == 0
            and point[f"turnout_{proposer}"] == 1 and point[f"mu_{proposer}"] <= point[f"side_{proposer}"]
        ),
    }  # fmt: skip
    missing = [condition for condition, holds in unsupported.items() if not holds]
    if missing:
        raise InputError(
            "renegotiation = 'equilibrium' is solved for one uniform ratifier facing an uninformed proposer; "
            f"it needs {'; '.join(missing)}"
        )


MODEL = Model(
    name="ratification",
    summary="Level I bargaining, Level II ratification and involuntary defection (Putnam 1988, Iida 1993, 1996)",
    reference="Putnam, IO 42 (1988); Iida, JCR 37 (1993) and Public Choice 89 (1996); Rubinstein, Econometrica 50 (1982)",
    params=PARAMS,
    plan=plan,
    outputs=OUTPUTS,
    kernel=kernel,
    chunk_trials=1 << 21,
    version="7",
    generator="lanes",
    checks=(_check,),
    known_answers=KNOWN_ANSWERS,
)


__all__ = ["GRID", "MODEL", "OUTPUTS", "PARAMS", "SHARES", "STATES", "plan", "ratify_probability", "threshold_cdf"]
