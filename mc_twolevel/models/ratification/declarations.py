"""The ratification model's declarations: parameters and outputs."""

from collections import namedtuple

from ...model import Mean, Probability
from ...params import Choice, Flag, ParamSet, Real

STATES = ("a", "b")
INFO = ("complete", "asymmetric", "incomplete")
PROTOCOLS = ("ultimatum", "nash", "rubinstein")


def _state_params(s):
    return (
        Real(f"n_{s}", 1, 1, 10001, f"constituents of {s} (1: a single pivotal ratifier)", integer=True),
        Real(f"mu_{s}", 0.5, -2.0, 3.0, f"centre of {s}'s reservation shares (high: a costly deal, a small win-set)", "share"),
        Real(f"shock_{s}", 0.5, 0.0, 3.0, f"size of {s}'s national shock negotiators cannot see (see shock_dist)", "share"),
        Real(f"spread_{s}", 0.0, 0.0, 3.0, f"sd of {s}'s constituents' reservations about the national level", "share"),
        Real(f"turnout_{s}", 1.0, 0.01, 1.0, f"probability each of {s}'s constituents takes part"),
        Real(f"quota_{s}", 0.5, 0.01, 1.0, f"share of yes votes among participants that ratifies in {s}"),
        Real(f"side_{s}", 0.0, 0.0, 1.0, f"side payments and goodwill delivered in {s} if ratified", "share"),
        Real(f"reverb_{s}", 0.0, 0.0, 1.0, f"shift of {s}'s reservations by foreign pressure after agreement", "share"),
        Real(f"backlash_{s}", 0.0, 0.0, 1.0, f"probability the reverberation in {s} backfires (+reverb)"),
        Real(f"veto_{s}", 0.0, 0.0, 1.0, f"least share {s}'s negotiator will ever sign", "share"),
        Real(f"delta_{s}", 0.9, 0.0, 0.999, f"{s}'s discount factor per round (rubinstein, renegotiation)"),
    )  # fmt: skip


PARAMS = ParamSet(
    *_state_params("a"),
    *_state_params("b"),
    Choice("shock_dist", "uniform", ("uniform", "normal"), "family of the national shocks: uniform on [-shock, shock] or normal with sd shock"),
    Choice("info", "incomplete", INFO, "what negotiators know of the realised thresholds"),
    Flag("poll", False, "negotiators see a pre-negotiation poll of each threshold and believe it"),
    Real("poll_noise", 0.1, 0.0, 3.0, "sd of the poll's error", "share"),
    Real("poll_bias", 0.0, -1.0, 1.0, "bias of the poll (> 0: constituents exaggerate their demands)", "share"),
    Choice("protocol", "ultimatum", PROTOCOLS, "Level I bargaining protocol"),
    Choice("proposer", "a", STATES, "who offers (ultimatum) or offers first (rubinstein)"),
    Real("w", 0.5, 0.0, 1.0, "a's bargaining weight in the Nash solution"),
    Real("rounds", 1, 1, 2, "1, or 2: one renegotiation after a failed ratification", integer=True),
    Flag("strategic_vote", False, "single ratifiers reject first offers to get better second ones (Iida 1996)"),
    Real("linkage_price", 1.0, 0.05, 20.0,
         "cost to the proposer of one unit of side payment targeted at the responder's constituents"),
    Choice("renegotiation", "naive", ("naive", "equilibrium"),
           "with 2 rounds: a naive proposer, or the screening equilibrium with strategic rejections (Iida 1996)"),
)  # fmt: skip

_RATIFIED = "a deal was ratified"
OUTPUTS = (
    Probability("p_agree", "agree", "negotiators signed a deal (first round)"),
    Probability("p_ratified", "ratified", "a signed deal was ratified by both (in some round)"),
    Probability("p_invol", "invol", "involuntary defection: a signed deal was rejected at Level II"),
    Probability("p_fail_a", "fail_a", "a's constituency rejected a signed deal"),
    Probability("p_fail_b", "fail_b", "b's constituency rejected a signed deal"),
    Probability("p_breakdown", "breakdown", "nothing signed: failure at Level I"),
    Probability("p_overlap", "overlap", "the realised win-sets overlap"),
    Mean("mean_share_a", "share_a", "a's share of a ratified deal", "ratified", _RATIFIED, "share"),
    Mean("mean_payoff_a", "payoff_a", "a's payoff: its share if ratified, else 0; discounted", units="share"),
    Mean("mean_payoff_b", "payoff_b", "b's payoff: its share if ratified, else 0; discounted", units="share"),
    Mean("mean_winset_a", "winset_a", "size of a's realised win-set", units="share"),
    Mean("mean_winset_b", "winset_b", "size of b's realised win-set", units="share"),
    Probability("p_strategic_no", "strategic_no", "a ratifier rejected a first offer it would have accepted"),
)  # fmt: skip

P = PARAMS.slots()
STATE_KEYS = ("n", "mu", "shock", "spread", "turnout", "quota", "side", "reverb", "backlash", "veto", "delta")
StateSlots = namedtuple("StateSlots", STATE_KEYS)
STATE = tuple(StateSlots(*(getattr(P, f"{key}_{s}") for key in STATE_KEYS)) for s in STATES)  # [state].key -> slot
KEY = StateSlots(*range(len(STATE_KEYS)))  # the columns of a kernel's table of per-state values
INFO_CODE = PARAMS.codes("info")
PROTOCOL = PARAMS.codes("protocol")
PROPOSER = PARAMS.codes("proposer")
SHOCK_DIST = PARAMS.codes("shock_dist")
RENEGOTIATION = PARAMS.codes("renegotiation")
REJECTED = namedtuple("Rejected", ("a", "b", "both"))(0, 1, 2)  # who rejected a first offer: a plan's second offers
