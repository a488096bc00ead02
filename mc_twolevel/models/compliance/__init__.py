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
   With ``lockin`` the lobbies that won at t1 (direct, recip, pill and gov
   where the state adhered; oppose where it did not) drift by ``lockin`` more
   a year. Regime shocks arrive at rate ``shock_rate`` a year in each state;
   if one arrives, all of that state's magnitudes are redrawn from their t1
   distributions at the last shock, and evolve (without lock-in, whose
   coalition is gone) over the time left: the time back from t2 to the last
   shock of a Poisson process is exponential, cut at ``horizon``.
3. **t2, compliance.** h's support for complying when f plays ``s_f``::

       S_h(s_f) = J2 + (1 + shadow) L2 s_f + Ph2 + (1 + shadow) Gh2 - K2

   h is *unconditional* if ``S_h(0) > 0``, *conditional* if
   ``S_h(0) <= 0 < S_h(1)``, a *violator* otherwise. Play is the pure Nash
   equilibrium; when both are conditional there are two and ``select`` picks
   ``cooperative`` (both comply) or ``noncooperative`` (both violate).
4. **sequential**: f performs first; h then decides with L's stake gone
   (asset specificity), so h complies iff ``S_h(0) > 0``; f, anticipating
   that, complies iff ``S_f(s_h) > 0``. The type outputs still describe the
   simultaneous game.

Modelling choices where the paper is silent: direct, oppose and recip are
strengths and cannot be negative (a ``normal`` draw is floored at 0; a
constant or uniform bound below 0 is refused); pill and gov may be negative
(an anti-international-law lobby or government netted against them). A
magnitude keeps its sign under geometric Brownian motion. ``p_depth`` is the
share of agreements with depth in at least one state.

The package: :mod:`.declarations` (lobbies, parameters, outputs), :mod:`.kernel`
(the stages), and here the model with its known answers. Not yet built:
insincere adherence, repeated compliance and many states.
"""

from ...model import KnownAnswer, Model
from .declarations import OUTPUTS, PARAMS, ROLES, STATES
from .kernel import kernel

UNIFORM = {"dist": "uniform", "low": 0.0, "high": 1.0}


def trachtman_uniform(**extra):
    """J, L, K ~ U(0, 1) in both states, no pill or gov, horizon 0, adherence forced."""
    params = {"horizon": 0.0, "shadow": 0.0}
    for s in STATES:
        params.update({f"direct_{s}": UNIFORM, f"oppose_{s}": UNIFORM, f"recip_{s}": UNIFORM,
                       f"pill1_{s}": 10.0, f"pill2_{s}": 0.0, f"gov1_{s}": 0.0, f"gov2_{s}": 0.0})  # fmt: skip
    return params | extra


_UNIFORM_CASE = "J, L, K ~ U(0,1), adherence forced"
KNOWN_ANSWERS = (
    *(
        KnownAnswer("compliance", _UNIFORM_CASE, f"p_{kind}_{s}", value, trachtman_uniform())
        for s in STATES
        for kind, value in (("unconditional", 1 / 2), ("conditional", 1 / 3), ("violator", 1 / 6))
    ),
    KnownAnswer("compliance", "both states so: mutual compliance is an equilibrium", "p_mutual", 25 / 36,
                trachtman_uniform()),
    KnownAnswer("compliance", "both states so: mutual compliance is the unique equilibrium", "p_mutual", 7 / 12,
                trachtman_uniform(select="noncooperative")),
)  # fmt: skip

MODEL = Model(
    name="compliance",
    summary="lobbies, adherence and compliance with international law (Trachtman 2010)",
    reference="Trachtman, International Law and Domestic Political Coalitions, Chicago J. Int'l Law 11 (2010)",
    params=PARAMS,
    outputs=OUTPUTS,
    kernel=kernel,
    chunk_trials=1 << 21,
    version="3",
    known_answers=KNOWN_ANSWERS,
)

__all__ = ["MODEL", "OUTPUTS", "PARAMS", "ROLES", "STATES", "trachtman_uniform"]
