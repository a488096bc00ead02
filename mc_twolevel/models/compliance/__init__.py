"""``compliance``: lobbies, adherence and compliance with international law.

After Trachtman, "International Law and Domestic Political Coalitions",
Chicago J. Int'l Law 11 (2010), building on Grossman and Helpman (1994, 1995)
and Dai (2005). Two states, ``h`` and ``f``; in each, lobbies of uncertain
magnitude push on one policy (x in h, y in f).

One trial:

1. **t1, adherence.** All fourteen magnitudes are drawn. h adheres iff
   ``J + L + Ph1 + Gh1 > K`` (f likewise with M, Q, Pf1, Gf1 against N); an
   agreement exists iff both adhere. The rule has *depth* in h iff ``J <= K``.
2. **t1 -> t2.** Over ``horizon`` years each magnitude follows geometric
   Brownian motion, ``m2 = m1 exp((drift - vol^2/2) T + vol sqrt(T) Z)``.
   With ``lockin`` the lobbies that won at t1 drift by ``lockin`` more a
   year. Winners are keyed to the agreement: where it exists, the forces for
   compliance (direct, recip, and pill and gov where positive) won and oppose
   and a negative pill or gov lost, so lock-in never strengthens an
   anti-international-law force; where none exists, the forces against won.
   Regime shocks arrive at rate ``shock_rate`` in each state; the time back
   from t2 to the last one is exponential, and if it falls within the horizon
   all of that state's magnitudes are redrawn from their t1 distributions then
   and grow since without lock-in (the coalition is gone).
3. **t2, compliance.** With ``A_h = J2 + Ph2 + Gh2 - K2``, h complies iff
   ``S_h(s_f) > 0`` (``s_f`` = 1 if f complies). ``reciprocity``:

   - ``retaliation`` (default): ``S_h(s_f) = A_h + omega L2 s_f``, ``omega =
     shadow / (1 + shadow)``. The reciprocity lobby gains from f's compliance
     whatever h does this period, so in one shot it does not move h (a
     prisoner's dilemma); what moves h is that violating ends f's compliance
     from the next period on (grim trigger): complying is worth ``(A + L)(1 +
     shadow)``, violating ``L``.
   - ``assurance``: ``S_h(s_f) = J2 + (1 + shadow) L2 s_f + Ph2 + (1 + shadow)
     Gh2 - K2``, the earlier reading, for comparison.

   h is *unconditional* if ``S_h(0) > 0``, *conditional* if ``S_h(0) <= 0 <
   S_h(1)``, a *violator* otherwise. Play is the pure Nash equilibrium; when
   both are conditional there are two and ``select`` picks ``cooperative``
   (both comply) or ``noncooperative`` (both violate). ``p_effective_h``: h
   complies although ``J2 <= K2`` (compliance the rule caused).
4. **sequential**: f performs first; h then decides with L's stake gone
   (asset specificity), so h complies iff ``S_h(0) > 0``; f, anticipating
   that, complies iff ``S_f(s_h) > 0``. The type outputs still describe the
   simultaneous game.
5. **Screening** (``inner_trials > 0``; :mod:`.screening`): for each state that
   adhered, ``q``, the probability it complies at t2 given its t1 magnitudes
   (assuming the other complies, or alone), by an inner simulation of stage 2
   with the shock split off exactly and the oppose lobby integrated out;
   adherence is insincere when ``q < insincere_below``.
6. **Repeated compliance** (``periods``): period k falls at ``horizon + (k - 1)
   period_years``; each period the magnitudes move on by ``period_years`` of
   the same dynamics (lock-in while the agreement holds, until a revolution),
   the t2 game is played, and the first period without mutual compliance ends
   the agreement. With ``known_end`` the shadow in period k is ``shadow (1 -
   delta^(periods - k))``, ``delta = shadow / (1 + shadow)``: the last period is
   one-shot (so with ``periods = 1`` and ``known_end`` the shadow is 0).

Random numbers come from the lane generator (:mod:`mc_twolevel.lanes`), a
block of trials at a time. Stages 5 and 6 draw from their own substreams of
each chunk's stream (:func:`~mc_twolevel.lanes.lane_state`), so the one-shot
outputs of a run are the same bits whatever ``inner_trials``, ``periods`` or
``period_years``.
Many states: the ``multilateral`` model, built from these stages.

Modelling choices where the paper is silent: direct, oppose and recip are
strengths and cannot be negative (a ``normal`` draw is floored at 0; a
constant or uniform bound below 0 is refused); pill and gov may be negative
(an anti-international-law lobby or government netted against them). A
magnitude keeps its sign under geometric Brownian motion. ``p_depth`` is the
share of agreements with depth in at least one state. Screening conditions on
the agreement (the counterparty's question: "will they comply once they have
signed?"). In repeated play a revolution ends that state's lock-in for the
rest of the agreement.

The package: :mod:`.declarations` (lobbies, parameters, outputs), :mod:`.stages`
(t1 to t2, shared with ``multilateral``), :mod:`.screening` (stage 5),
:mod:`.kernel` (the game, stages 5 and 6, counts), and here the model with its
plan and known answers.
"""

import numpy as np

from ...model import KnownAnswer, Model
from .declarations import EVENTS, LOBBY, OUTPUTS, PARAMS, ROLES, STATES
from .kernel import STREAM, kernel, period_shadow
from .screening import SHOCK_DRAWS, after_shock, point_stream, support_weights
from .stages import weights

UNIFORM = {"dist": "uniform", "low": 0.0, "high": 1.0}


def trachtman_uniform(**extra):
    """J, L, K ~ U(0, 1) in both states, no pill or gov, horizon 0, adherence forced."""
    params = {"horizon": 0.0, "shadow": 0.0}
    for s in STATES:
        params.update({f"direct_{s}": UNIFORM, f"oppose_{s}": UNIFORM, f"recip_{s}": UNIFORM,
                       f"pill1_{s}": 10.0, f"pill2_{s}": 0.0, f"gov1_{s}": 0.0, f"gov2_{s}": 0.0})  # fmt: skip
    return params | extra


def p_of(c):
    """``P(J + c L > K)`` for J, L, K independent uniform(0, 1) (the model README's p(c))."""
    return 0.5 if c == 0 else 1 - (1 - (1 - c) ** 3) / (6 * c)


def _answer(case, output, value, **params):
    return KnownAnswer("compliance", case, output, value, trachtman_uniform(**params))


_UNIFORM = "J, L, K ~ U(0,1), adherence forced"
_LOGNORMAL = {f"{role}_{s}": value for s in STATES for role, value in (
    ("direct", {"dist": "lognormal", "median": 1.0, "sigma": 0.5}),
    ("oppose", {"dist": "lognormal", "median": 1.0, "sigma": 0.5}), ("recip", 0.0))}  # fmt: skip
_PERIODS = {
    "periods": 6,
    "period_years": 2.0,
    "horizon": 2.0,
    "shock_rate": 0.1,
    "vol": 0.0,
    "reciprocity": "retaliation",
}
_PI = 1 - np.exp(-0.1 * 2.0)  # P(a revolution in a period)
_BREAK = _PI / 2  # P(a state that complied violates in the next period): a revolution, then J <= K
_HOLD = (1 - _BREAK) ** 2  # P(the agreement survives a period it entered)
_ASSURANCE = f"{_UNIFORM}, assurance, shadow 0"
_RECIPROCATED = f"{_UNIFORM}, screening (reciprocated), assurance"
_ALONE = f"{_UNIFORM}, screening alone (retaliation, shadow 0: q = 1 iff J > K)"
_SCREENED_LOGNORMAL = "J, K lognormal with equal medians, screening"
KNOWN_ANSWERS = (
    *(
        _answer(_ASSURANCE, f"p_{kind}_{s}", value, reciprocity="assurance")
        for s in STATES
        for kind, value in (("unconditional", 1 / 2), ("conditional", 1 / 3), ("violator", 1 / 6))
    ),
    _answer("both so: mutual compliance is an equilibrium", "p_mutual", 25 / 36, reciprocity="assurance"),
    _answer("both so: mutual compliance is the unique equilibrium", "p_mutual", 7 / 12, reciprocity="assurance",
            select="noncooperative"),
    *(
        _answer(f"{_UNIFORM}, retaliation, shadow 1 (omega 1/2)", f"p_{kind}_h", value, reciprocity="retaliation",
                shadow=1.0)
        for kind, value in (("unconditional", 1 / 2), ("conditional", p_of(0.5) - 1 / 2), ("violator", 1 - p_of(0.5)))
    ),
    _answer(f"{_UNIFORM}, retaliation, shadow 0: nobody conditional", "p_conditional_h", 0.0, reciprocity="retaliation"),
    _answer(f"{_UNIFORM}, retaliation, shadow 0: one equilibrium", "p_multiple", 0.0, reciprocity="retaliation"),
    *(
        _answer(_ASSURANCE, output, value, reciprocity="assurance")
        for s in STATES
        for output, value in ((f"p_adhere_{s}", 1.0), (f"p_comply_{s}", 1 / 2 + 1 / 3 * 5 / 6),
                              (f"p_depth_{s}", 1 / 2), (f"p_effective_{s}", 1 / 3 * 5 / 6))
    ),
    _answer(_ASSURANCE, "p_depth", 3 / 4, reciprocity="assurance"),
    _answer(_ASSURANCE, "p_multiple", 1 / 9, reciprocity="assurance"),
    *(
        _answer(_RECIPROCATED, output, value, reciprocity="assurance", inner_trials=64)
        for s in STATES
        for output, value in ((f"p_insincere_{s}", 1 / 6), (f"mean_q_{s}", 5 / 6),
                              (f"p_comply_{s}_given_insincere", 0.0), (f"p_comply_{s}_given_sincere", 14 / 15))
    ),
    *(
        _answer(_ALONE, output, value, screen="alone", inner_trials=64)
        for s in STATES
        for output, value in ((f"p_insincere_{s}", 1 / 2), (f"mean_q_{s}", 1 / 2),
                              (f"p_comply_{s}_given_insincere", 0.0), (f"p_comply_{s}_given_sincere", 1.0))
    ),
    *(
        KnownAnswer("compliance", _SCREENED_LOGNORMAL, output, 1 / 2,
                    trachtman_uniform(**_LOGNORMAL, horizon=4.0, vol=0.25, inner_trials=64))
        for s in STATES
        for output in (f"p_insincere_{s}", f"mean_q_{s}", f"p_comply_{s}")
    ),
    *(
        KnownAnswer("compliance", "J, K ~ U(0,1) alone, revolutions, 6 periods", output, value,
                    trachtman_uniform(recip_h=0.0, recip_f=0.0, pill1_h=0.0, pill1_f=0.0, **_PERIODS), at)
        for output, value, at in (
            *((name, value, {"period": k}) for k in (1, 3, 6)
              for name, value in (("p_survive", _HOLD**k), ("p_hazard", 1 - _HOLD))),
            ("mean_periods", sum(_HOLD**k for k in range(1, 7)), {}),
            ("p_first_h", (1 - _BREAK) / (2 - _BREAK), {}),
            ("p_first_f", (1 - _BREAK) / (2 - _BREAK), {}),
            ("p_first_both", _BREAK / (2 - _BREAK), {}),
        )
    ),
)  # fmt: skip


def plan(point):
    """Per point: each state's screening probability after a revolution, ``q_shock``
    (:mod:`.screening`; zero where screening is off or no revolution can happen)."""
    q_shock = np.zeros(len(STATES))
    if point["inner_trials"] == 0 or point["shock_rate"] == 0 or point["horizon"] == 0:
        return (q_shock,)
    theta = PARAMS.encode(point)
    reciprocated = point["screen"] == "reciprocated" and not point["sequential"]
    shadow = period_shadow(point["shadow"], 1, point["periods"], point["known_end"])
    gov_weight, recip_weight = weights(theta[PARAMS.offset["reciprocity"]], shadow)
    coefficients = support_weights(gov_weight, recip_weight, reciprocated)
    for state in range(len(STATES)):
        q_shock[state] = after_shock(theta, LOBBY[state], point_stream(theta), SHOCK_DRAWS, point["shock_rate"],
                                     point["horizon"], point["drift"], point["vol"], coefficients)  # fmt: skip
    return (q_shock,)


MODEL = Model(
    name="compliance",
    summary="lobbies, adherence and compliance with international law (Trachtman 2010)",
    reference="Trachtman, International Law and Domestic Political Coalitions, Chicago J. Int'l Law 11 (2010)",
    params=PARAMS,
    outputs=OUTPUTS,
    kernel=kernel,
    plan=plan,
    events=EVENTS,
    streams=len(STREAM),
    generator="lanes",
    chunk_trials=1 << 21,
    version="6",
    known_answers=KNOWN_ANSWERS,
)

__all__ = ["MODEL", "OUTPUTS", "PARAMS", "ROLES", "STATES", "trachtman_uniform"]
