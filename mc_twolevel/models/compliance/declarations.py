"""The compliance model's declarations: the lobbies, the parameters and the outputs."""

from collections import namedtuple

from ...distributions import Dist
from ...model import Probability
from ...params import Choice, Flag, Magnitude, ParamSet, Real

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


PARAMS = ParamSet(
    *_lobbies(),
    Real("horizon", 5.0, 0.0, 200.0, "T: time from adherence (t1) to compliance (t2)", "years"),
    Real("drift", 0.0, -2.0, 2.0, "trend of every magnitude's geometric Brownian motion", "1/year"),
    Real("vol", 0.2, 0.0, 3.0, "volatility of every magnitude's geometric Brownian motion", "1/sqrt(year)"),
    Real("lockin", 0.0, -2.0, 2.0, "extra drift of the lobbies that won at t1", "1/year"),
    Real("shock_rate", 0.0, 0.0, 10.0, "rate of regime shocks that redraw a state's magnitudes", "1/year"),
    Real("shadow", 0.5, 0.0, 100.0, "weight of future and linked cooperation on recip and gov at t2"),
    Choice("select", "cooperative", ("cooperative", "noncooperative"), "equilibrium played when both are conditional"),
    Flag("sequential", False, "f performs first; h then decides with its recip lobby's stake gone"),
)

_BOTH = "both states adhered"
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
)

P = PARAMS.slots()
SELECT = PARAMS.codes("select")
ROLE = namedtuple("Role", ROLES)(*range(len(ROLES)))
LOBBY = tuple(tuple(getattr(P, f"{role}_{state}") for role in ROLES) for state in STATES)  # [state][role] -> slot
IS_STRENGTH = tuple(role in STRENGTHS for role in ROLES)
