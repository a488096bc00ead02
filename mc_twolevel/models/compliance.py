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

Not yet built: insincere adherence, repeated compliance and many states
(stages 5-7 of the specification).
"""

import math

import numba
import numpy as np

from ..distributions import Dist, draw
from ..model import Model, Probability
from ..params import Choice, Flag, Magnitude, ParamSet, Real
from ..fastmath import exp_affine_block, grow_block, grow_log_block
from ..rng import normal, normals_into, uniform, uniforms_into

STATES = ("h", "f")
ROLES = ("direct", "oppose", "recip", "pill1", "pill2", "gov1", "gov2")
_ROLE_DOCS = {
    "direct": ("J", "M", "the lobby for its own state's policy (e.g. consumers of imports)"),
    "oppose": ("K", "N", "the lobby against it (e.g. import-competing producers)"),
    "recip": ("L", "Q", "the lobby that gains from the other state's compliance (e.g. exporters)"),
    "pill1": ("Ph1", "Pf1", "the pro-international-law lobby at adherence (negative: anti-IL)"),
    "pill2": ("Ph2", "Pf2", "the pro-international-law lobby at compliance (negative: anti-IL)"),
    "gov1": ("Gh1", "Gf1", "the government's own interest at adherence (welfare, retaliation)"),
    "gov2": ("Gh2", "Gf2", "the government's own interest at compliance (welfare, retaliation)"),
}
_ROLE_DEFAULTS = {
    "direct": Dist("lognormal", 1.0, 0.5),
    "oppose": Dist("lognormal", 1.0, 0.5),
    "recip": Dist("lognormal", 0.5, 0.5),
    "pill1": Dist("constant", 0.1),
    "pill2": Dist("constant", 0.3),
    "gov1": Dist("constant", 0.1),
    "gov2": Dist("constant", 0.3),
}


def _magnitudes():
    for state in STATES:
        for role in ROLES:
            symbol = _ROLE_DOCS[role][STATES.index(state)]
            yield Magnitude(
                f"{role}_{state}",
                _ROLE_DEFAULTS[role],
                f"{symbol}: {_ROLE_DOCS[role][2]}",
                units="political valence",
                signed=role.startswith(("pill", "gov")),
            )


PARAMS = ParamSet(
    *_magnitudes(),
    Real("horizon", 5.0, 0.0, 200.0, "T: time from adherence (t1) to compliance (t2)", "years"),
    Real("drift", 0.0, -2.0, 2.0, "trend of every magnitude's geometric Brownian motion", "1/year"),
    Real("vol", 0.2, 0.0, 3.0, "volatility of every magnitude's geometric Brownian motion", "1/sqrt(year)"),
    Real("lockin", 0.0, -2.0, 2.0, "extra drift of the lobbies that won at t1", "1/year"),
    Real("shock_rate", 0.0, 0.0, 10.0, "rate of regime shocks that redraw a state's magnitudes", "1/year"),
    Real("shadow", 0.5, 0.0, 100.0, "weight of future and linked cooperation on recip and gov at t2"),
    Choice("select", "cooperative", ("cooperative", "noncooperative"), "equilibrium played when both are conditional"),
    Flag("sequential", False, "f performs first; h then decides with its recip lobby's stake gone"),
)

COUNTERS = (
    "adhere_h", "adhere_f", "adhere", "depth", "comply_h", "comply_f", "mutual",
    "unconditional_h", "conditional_h", "violator_h",
    "unconditional_f", "conditional_f", "violator_f", "multiple",
)  # fmt: skip

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

_MAG = np.array([[PARAMS.offset[f"{r}_{s}"] for r in ROLES] for s in STATES], dtype=np.int64)
_DIRECT, _OPPOSE, _RECIP, _PILL1, _PILL2, _GOV1, _GOV2 = range(len(ROLES))
_HORIZON, _DRIFT, _VOL, _LOCKIN, _SHOCK, _SHADOW, _SELECT, _SEQUENTIAL = (
    PARAMS.offset[n]
    for n in ("horizon", "drift", "vol", "lockin", "shock_rate", "shadow", "select", "sequential")
)


@numba.njit
def _floor_strength(m, role):
    return m if role >= _PILL1 or m > 0.0 else 0.0  # strengths are floored at zero


@numba.njit
def _grow(s, m, rate, vol, years):
    """A magnitude after ``years`` of geometric Brownian motion."""
    if years == 0.0:
        return m
    return m * math.exp((rate - 0.5 * vol * vol) * years + vol * math.sqrt(years) * normal(s))


@numba.njit
def _t2_support(s, direct, oppose, recip, pill, gov, won, lost, drift, vol, years, weight):
    """``(S(0), S(1))`` at t2 from t1 magnitudes grown over ``years``.

    ``won`` and ``lost`` are the extra drifts of the t1 winners and losers.
    """
    direct = _grow(s, direct, drift + won, vol, years)
    oppose = _grow(s, oppose, drift + lost, vol, years)
    recip = _grow(s, recip, drift + won, vol, years)
    pill = _grow(s, pill, drift + won, vol, years)
    gov = _grow(s, gov, drift + won, vol, years)
    alone = direct + pill + weight * gov - oppose
    return alone, alone + weight * recip


BLOCK = 256  # trials whose draws are made, and exponentials taken, together
_T2_ROLES = np.array([_DIRECT, _OPPOSE, _RECIP, _PILL2, _GOV2], dtype=np.int64)


@numba.njit
def _draw_block(s, code, a, b, strength, as_log, out, z, bits, n):
    """``out[:n]``: n draws of the magnitude ``(code, a, b)``; strengths floored at 0.

    With ``as_log`` a lognormal magnitude is left as its logarithm (for a lobby that
    only matters after it has grown, whose exponential is then taken once).
    """
    if code == 0.0:
        out[:n] = a
    elif code == 2.0:  # uniform: bounds of strengths are validated >= 0
        uniforms_into(s, out, n)
        for i in range(n):
            out[i] = a + (b - a) * out[i]
    elif code == 1.0:  # lognormal: a exp(b z) = exp(log a + b z) > 0
        normals_into(s, z, n)
        if as_log:
            log_a = math.log(a)
            for i in range(n):
                out[i] = log_a + b * z[i]
        else:
            exp_affine_block(z, math.log(a), b, out, bits, n)
    else:
        normals_into(s, z, n)
        for i in range(n):
            out[i] = a + b * z[i]
        if strength:
            for i in range(n):
                out[i] = max(out[i], 0.0)


@numba.njit
def _shocked_support(s, theta, state, weight, drift, vol, years):
    """``(S(0), S(1))`` at t2 after a regime shock ``years`` before t2: every magnitude
    redrawn from its t1 distribution and grown since, without lock-in."""
    m = np.empty(len(ROLES))
    for role in range(len(ROLES)):
        o = _MAG[state, role]
        m[role] = _floor_strength(draw(s, theta[o], theta[o + 1], theta[o + 2]), role)
    return _t2_support(s, m[_DIRECT], m[_OPPOSE], m[_RECIP], m[_PILL2], m[_GOV2],
                       0.0, 0.0, drift, vol, years, weight)  # fmt: skip


@numba.njit(nogil=True, cache=True)
def kernel(theta, trials, states, totals):
    """Add the counters of ``trials`` compliance trials at ``theta`` into ``totals``.

    Trials run in blocks of ``BLOCK``, each step a loop over the block that LLVM
    vectorises: each magnitude's draws are made together and their exponentials
    taken by :mod:`mc_twolevel.fastmath`; supports at t2 are summed; trials hit by
    a regime shock are then redrawn one by one; and the equilibrium play is
    counted branch-free. Strengths are floored at zero, so ``S(1) >= S(0)`` and a
    state is unconditional iff ``S(0) > 0``, a violator iff ``S(1) <= 0``.
    """
    s = states[0]
    horizon, drift, vol, rate = theta[_HORIZON], theta[_DRIFT], theta[_VOL], theta[_SHOCK]
    lockin, weight = theta[_LOCKIN], 1.0 + theta[_SHADOW]
    cooperative = theta[_SELECT] == 0.0
    sequential = theta[_SEQUENTIAL] == 1.0
    base = (drift - 0.5 * vol * vol) * horizon  # log growth of a magnitude over the horizon
    locked = base + lockin * horizon  # ... of a lobby that won at t1
    spread = vol * math.sqrt(horizon)
    t1 = np.empty((2, len(ROLES), BLOCK))
    t2 = np.empty((len(_T2_ROLES), BLOCK))
    adhere = np.empty((2, BLOCK), dtype=np.bool_)
    alone = np.empty((2, BLOCK))  # S(0) at t2
    together = np.empty((2, BLOCK))  # S(1) at t2
    z = np.empty(BLOCK)
    bits = np.empty(BLOCK, dtype=np.int64)
    as_log = np.zeros((2, len(ROLES)), dtype=np.bool_)  # pill2, gov2: only their t2 value matters
    for state in range(2):
        for role in (_PILL2, _GOV2):
            as_log[state, role] = theta[_MAG[state, role]] == 1.0
    c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = c10 = c11 = c12 = c13 = 0
    done = 0
    while done < trials:
        n = min(BLOCK, trials - done)
        for state in range(2):
            for role in range(len(ROLES)):
                o = _MAG[state, role]
                _draw_block(s, theta[o], theta[o + 1], theta[o + 2], role < _PILL1, as_log[state, role],
                            t1[state, role], z, bits, n)  # fmt: skip
            m = t1[state]
            for i in range(n):
                adhere[state, i] = m[_DIRECT, i] + m[_RECIP, i] + m[_PILL1, i] + m[_GOV1, i] > m[_OPPOSE, i]
            for k in range(len(_T2_ROLES)):
                role = _T2_ROLES[k]
                logarithm = as_log[state, role]
                if horizon == 0.0 and logarithm:
                    exp_affine_block(m[role], 0.0, 1.0, t2[k], bits, n)
                elif horizon == 0.0:
                    t2[k, :n] = m[role, :n]
                else:  # the oppose lobby lost at t1 where the state adhered; the others won
                    normals_into(s, z, n)
                    won, lost = (base, locked) if role == _OPPOSE else (locked, base)
                    if logarithm:
                        grow_log_block(m[role], z, adhere[state], won, lost, spread, t2[k], bits, n)
                    else:
                        grow_block(m[role], z, adhere[state], won, lost, spread, t2[k], bits, n)
            for i in range(n):  # t2 rows: direct, oppose, recip, pill2, gov2
                alone[state, i] = t2[0, i] + t2[3, i] + weight * t2[4, i] - t2[1, i]
                together[state, i] = alone[state, i] + weight * t2[2, i]
        if rate > 0.0:
            for i in range(n):
                for state in range(2):
                    years = -math.log1p(-uniform(s)) / rate
                    if years < horizon:  # a revolution `years` before t2
                        alone[state, i], together[state, i] = _shocked_support(s, theta, state, weight, drift, vol, years)
        for i in range(n):
            unconditional_h, with_h = alone[0, i] > 0.0, together[0, i] > 0.0
            unconditional_f, with_f = alone[1, i] > 0.0, together[1, i] > 0.0
            both_conditional = with_h and with_f and not unconditional_h and not unconditional_f
            if sequential:
                comply_h = unconditional_h
                comply_f = (unconditional_h and with_f) or (not unconditional_h and unconditional_f)
            else:
                coordinated = cooperative and both_conditional
                comply_h = unconditional_h or (unconditional_f and with_h) or coordinated
                comply_f = unconditional_f or (unconditional_h and with_f) or coordinated
            agreed = adhere[0, i] and adhere[1, i]
            deep = t1[0, _DIRECT, i] <= t1[0, _OPPOSE, i] or t1[1, _DIRECT, i] <= t1[1, _OPPOSE, i]
            c0 += adhere[0, i]
            c1 += adhere[1, i]
            c2 += agreed
            c3 += agreed and deep
            c4 += agreed and comply_h
            c5 += agreed and comply_f
            c6 += agreed and comply_h and comply_f
            c7 += unconditional_h
            c8 += with_h and not unconditional_h
            c9 += not with_h
            c10 += unconditional_f
            c11 += with_f and not unconditional_f
            c12 += not with_f
            c13 += both_conditional
        done += n
    for k, count in enumerate((c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13)):
        totals[k] += count  # in the order of COUNTERS


MODEL = Model(
    name="compliance",
    summary="lobbies, adherence and compliance with international law (Trachtman 2010)",
    reference="Trachtman, International Law and Domestic Political Coalitions, Chicago J. Int'l Law 11 (2010)",
    params=PARAMS,
    counters=COUNTERS,
    outputs=OUTPUTS,
    kernel=kernel,
    chunk_trials=1 << 21,
    version="3",
)
