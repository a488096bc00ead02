"""The compliance model's declarations: the lobbies, the parameters and the outputs."""

from collections import namedtuple

from ...distributions import Dist
from ...model import Dim, Event, Mean, Probability
from ...params import Choice, Flag, Magnitude, ParamSet, Real

MAX_PERIODS = 100

STATES = ("h", "f")
ROLES = ("direct", "oppose", "recip", "pill1", "pill2", "gov1", "gov2")
STRENGTHS = ("direct", "oppose", "recip")  # cannot be negative; pill and gov can
ROLE_DOCS = {  # role -> (symbol in h, symbol in f, meaning)
    "direct": ("J", "M", "the lobby for its own state's policy (e.g. consumers of imports)"),
    "oppose": ("K", "N", "the lobby against it (e.g. import-competing producers)"),
    "recip": ("L", "Q", "the lobby that gains from the other state's compliance (e.g. exporters)"),
    "pill1": ("Ph1", "Pf1", "the pro-international-law lobby at adherence (negative: anti-IL)"),
    "pill2": ("Ph2", "Pf2", "the pro-international-law lobby at compliance (negative: anti-IL)"),
    "gov1": ("Gh1", "Gf1", "the government's own interest at adherence (welfare, retaliation)"),
    "gov2": ("Gh2", "Gf2", "the government's own interest at compliance (welfare, retaliation)"),
}
ROLE_DEFAULTS = {
    "direct": Dist("lognormal", 1.0, 0.5),
    "oppose": Dist("lognormal", 1.0, 0.5),
    "recip": Dist("lognormal", 0.5, 0.5),
    "pill1": Dist("constant", 0.1),
    "pill2": Dist("constant", 0.3),
    "gov1": Dist("constant", 0.1),
    "gov2": Dist("constant", 0.3),
}


def lobby(role, name, symbol):
    """The declaration of one lobby's magnitude, parameter ``name`` (``direct_h``, ``direct``...)."""
    return Magnitude(
        name,
        ROLE_DEFAULTS[role],
        f"{symbol}: {ROLE_DOCS[role][2]}",
        units="political valence",
        signed=role not in STRENGTHS,
    )


def _lobbies():
    for index, state in enumerate(STATES):
        for role in ROLES:
            yield lobby(role, f"{role}_{state}", ROLE_DOCS[role][index])


DYNAMICS = (
    Real("horizon", 5.0, 0.0, 200.0, "T: time from adherence (t1) to compliance (t2)", "years"),
    Real("drift", 0.0, -2.0, 2.0, "trend of every magnitude's geometric Brownian motion", "1/year"),
    Real("vol", 0.2, 0.0, 3.0, "volatility of every magnitude's geometric Brownian motion", "1/sqrt(year)"),
    Real("lockin", 0.0, -2.0, 2.0, "extra drift of the lobbies that won at t1, a year", "1/year"),
    Real("shock_rate", 0.0, 0.0, 10.0, "rate of regime shocks that redraw a state's magnitudes", "1/year"),
)
T2_GAME = (
    Real("shadow", 0.5, 0.0, 100.0, "s = delta / (1 - delta): weight of all future periods relative to this one"),
    Choice("reciprocity", "retaliation", ("retaliation", "assurance"),
           "t2 reading: retaliation (a prisoner's dilemma escaped by the shadow of the future) or assurance"),
)  # fmt: skip

PARAMS = ParamSet(
    *_lobbies(),
    *DYNAMICS,
    *T2_GAME,
    Choice("select", "cooperative", ("cooperative", "noncooperative"), "equilibrium played when both are conditional"),
    Flag("sequential", False, "f performs first; h then decides with its recip lobby's stake gone"),
    Real("inner_trials", 0, 0, 100_000, "draws of a state's t2 per adhering state to screen its sincerity (0: off)",
         integer=True),
    Choice("screen", "reciprocated", ("reciprocated", "alone"),
           "q assumes the other side complies (reciprocated) or violates (alone; forced under sequential)"),
    Real("insincere_below", 0.5, 0.0, 1.0, "adherence is insincere when q, the chance of complying, is below this"),
    Real("periods", 1, 1, MAX_PERIODS, "compliance periods; the first not of mutual compliance ends the agreement",
         integer=True),
    Real("period_years", 1.0, 0.0, 100.0, "time between compliance periods", "years"),
    Flag("known_end", False, "the agreement's last period is known, so the shadow shrinks towards it"),
)  # fmt: skip


def _periods_played(point):
    return point["periods"]


def _screening(point):
    return point["inner_trials"] > 0


PERIOD = Dim("period", tuple(range(1, MAX_PERIODS + 1)), "compliance period", size=_periods_played)
_BOTH = "both states adhered"
_SCREENED = "the state adhered (screening on)"
_ENDED = "the agreement ended within the periods"


def _per_state(state):
    """The outputs that exist once per state."""
    return (
        Probability(f"p_depth_{state}", f"depth_{state}", f"the rule has depth in {state} (J <= K at t1)", "adhere",
                    _BOTH),
        Probability(f"p_effective_{state}", f"effective_{state}",
                    f"{state} complies although J2 <= K2: compliance the rule caused", "adhere", _BOTH),
        Probability(f"p_insincere_{state}", f"insincere_{state}", f"{state}'s adherence is insincere (q below the cut)",
                    f"adhere_{state}", _SCREENED, when=_screening),
        Mean(f"mean_q_{state}", f"q_{state}", f"q: the probability {state} complies at t2, given its t1 state",
             f"adhere_{state}", _SCREENED, units="1", when=_screening),
        Probability(f"p_comply_{state}_given_insincere", f"comply_insincere_{state}",
                    f"{state} complies at t2, given its adherence was insincere", f"agreement_insincere_{state}",
                    "agreement, insincere", when=_screening),
        Probability(f"p_comply_{state}_given_sincere", f"comply_sincere_{state}",
                    f"{state} complies at t2, given its adherence was sincere", f"agreement_sincere_{state}",
                    "agreement, sincere", when=_screening),
    )  # fmt: skip


OUTPUTS = (
    Probability("p_adhere_h", "adhere_h", "h adheres at t1"),
    Probability("p_adhere_f", "adhere_f", "f adheres at t1"),
    Probability("p_adhere", "adhere", "both adhere: an agreement exists"),
    Probability("p_depth", "depth", "the agreement has depth in h or f", "adhere", _BOTH),
    Probability("p_comply_h", "comply_h", "h complies at t2", "adhere", _BOTH),
    Probability("p_comply_f", "comply_f", "f complies at t2", "adhere", _BOTH),
    Probability("p_mutual", "mutual", "both comply at t2", "adhere", _BOTH),
    Probability("p_unconditional_h", "unconditional_h", "h complies whatever f does (all trials)"),
    Probability("p_conditional_h", "conditional_h", "h complies iff f does (all trials)"),
    Probability("p_violator_h", "violator_h", "h violates whatever f does (all trials)"),
    Probability("p_unconditional_f", "unconditional_f", "f complies whatever h does (all trials)"),
    Probability("p_conditional_f", "conditional_f", "f complies iff h does (all trials)"),
    Probability("p_violator_f", "violator_f", "f violates whatever h does (all trials)"),
    Probability("p_multiple", "multiple", "both conditional: two equilibria (all trials)"),
    *_per_state("h"),
    *_per_state("f"),
    Probability("p_survive", "survive", "mutual compliance in every period up to k", "adhere", _BOTH, PERIOD),
    Probability("p_hazard", "end", "the agreement ends in period k, given it held to k - 1", "at_risk",
                "the agreement held to period k - 1", PERIOD),
    Mean("mean_periods", "kept", "periods of mutual compliance before the agreement ends", "adhere", _BOTH,
         "periods"),
    Probability("p_first_h", "first_h", "h alone violated first", "ended", _ENDED),
    Probability("p_first_f", "first_f", "f alone violated first", "ended", _ENDED),
    Probability("p_first_both", "first_both", "both violated in the period that ended the agreement", "ended",
                _ENDED),
)  # fmt: skip

EVENTS = (
    Event("at_risk", "the agreement held to period k - 1 (all agreements at k = 1)", PERIOD),
    Event("ended", _ENDED),
    *(Event(f"agreement_{kind}_{state}", f"an agreement, {state}'s adherence {kind}")
      for state in STATES for kind in ("insincere", "sincere")),
)  # fmt: skip

P = PARAMS.slots()
SELECT = PARAMS.codes("select")
RECIPROCITY = PARAMS.codes("reciprocity")
SCREEN = PARAMS.codes("screen")
ROLE = namedtuple("Role", ROLES)(*range(len(ROLES)))
LOBBY = tuple(tuple(getattr(P, f"{role}_{state}") for role in ROLES) for state in STATES)  # [state][role] -> slot
IS_STRENGTH = tuple(role in STRENGTHS for role in ROLES)
