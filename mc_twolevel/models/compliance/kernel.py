"""The compliance kernel: two states through the stages of :mod:`.stages`, the t2 game,
screening (stage 5) and repeated compliance (stage 6), counted by name."""

import math
from collections import namedtuple

import numba
import numpy as np

from ...model import CounterLayout, add_sample
from ...params import flag
from .declarations import EVENTS, LOBBY, OUTPUTS, ROLE, ROLES, SCREEN, SELECT, STATES, P
from .screening import inner_scratch, stay_probability, support_weights
from .stages import (
    BLOCK,
    T2,
    T2_ROLES,
    adheres,
    draw_t1,
    grow_for,
    grow_to_t2,
    log_flags,
    regime_shocks,
    shock_scratch,
    supports,
    weights,
)

C = CounterLayout(OUTPUTS, EVENTS).slots()
_STATE_COUNTERS = (
    "adhere", "comply", "unconditional", "conditional", "violator", "depth", "effective", "insincere", "q",
    "q_sq", "comply_insincere", "comply_sincere", "agreement_insincere", "agreement_sincere", "first",
)  # fmt: skip
StateCounters = namedtuple("StateCounters", _STATE_COUNTERS)
COUNT = tuple(  # [state].<counter>: the slots of one state's counters
    StateCounters(*(getattr(C, f"{name[:-3]}_{state}_sq" if name == "q_sq" else f"{name}_{state}")
                    for name in _STATE_COUNTERS))
    for state in STATES
)  # fmt: skip
H, F = range(len(STATES))
STREAM = namedtuple("Stream", ("main", "screening", "periods"))(0, 1, 2)  # the kernel's substreams


@numba.njit
def play(alone, stake, cooperative, sequential, comply, trials, n):
    """Stage 3: who complies in the t2 game, ``comply[state, i]``, for ``trials[:n]``.

    Simultaneous play: a state complies if unconditional, or if conditional and the
    other complies; both conditional gives two equilibria and ``cooperative`` picks
    mutual compliance. ``sequential``: f performs first, h then decides alone
    (its recip lobby's stake gone), and f anticipates that.
    """
    for k in range(n):
        i = trials[k]
        alone_h, with_h = alone[H, i] > 0.0, alone[H, i] + stake[H, i] > 0.0
        alone_f, with_f = alone[F, i] > 0.0, alone[F, i] + stake[F, i] > 0.0
        if sequential:
            comply[H, i] = alone_h
            comply[F, i] = with_f if alone_h else alone_f
        else:
            coordinated = cooperative and with_h and with_f
            comply[H, i] = alone_h or (alone_f and with_h) or coordinated
            comply[F, i] = alone_f or (alone_h and with_f) or coordinated


@numba.njit
def count_one_shot(t1, t2, adhere, agreed, alone, stake, comply, totals, n):
    """Stage 3's counts: adherence, types of the t2 game (all trials), and, given agreement,
    depth, compliance and compliance the rule caused (J2 <= K2)."""
    agreements = deep = mutual = multiple = 0
    for i in range(n):
        conditional_h = alone[H, i] <= 0.0 < alone[H, i] + stake[H, i]
        conditional_f = alone[F, i] <= 0.0 < alone[F, i] + stake[F, i]
        multiple += conditional_h and conditional_f
        agreements += agreed[i]
        mutual += agreed[i] and comply[H, i] and comply[F, i]
        deep += agreed[i] and (t1[H, ROLE.direct, i] <= t1[H, ROLE.oppose, i] or
                               t1[F, ROLE.direct, i] <= t1[F, ROLE.oppose, i])  # fmt: skip
    totals[C.adhere] += agreements
    totals[C.depth] += deep
    totals[C.mutual] += mutual
    totals[C.multiple] += multiple
    for state in range(len(STATES)):
        at = COUNT[state]
        for i in range(n):
            together = alone[state, i] + stake[state, i]
            totals[at.adhere] += adhere[state, i]
            totals[at.unconditional] += alone[state, i] > 0.0
            totals[at.conditional] += alone[state, i] <= 0.0 < together
            totals[at.violator] += together <= 0.0
            if agreed[i]:
                totals[at.comply] += comply[state, i]
                totals[at.depth] += t1[state, ROLE.direct, i] <= t1[state, ROLE.oppose, i]
                totals[at.effective] += comply[state, i] and t2[state, T2.direct, i] <= t2[state, T2.oppose, i]


@numba.njit
def screen(s, theta, t1, adhere, as_log, q_shock, gov_weight, recip_weight, reciprocated, q, scratch, n):
    """Stage 5: ``q[i]`` for the trials where the state adhered (:mod:`.screening`)."""
    horizon, drift, vol, lockin = theta[P.horizon], theta[P.drift], theta[P.vol], theta[P.lockin]
    inner = int(theta[P.inner_trials])
    stays = math.exp(-theta[P.shock_rate] * horizon)
    coefficients = support_weights(gov_weight, recip_weight, reciprocated)
    values, rates = np.empty(4), np.empty(4)
    for i in range(n):
        if not adhere[i]:
            continue
        values[0], values[1] = t1[ROLE.direct, i], t1[ROLE.recip, i]
        values[2] = math.exp(t1[ROLE.pill2, i]) if as_log[ROLE.pill2] else t1[ROLE.pill2, i]
        values[3] = math.exp(t1[ROLE.gov2, i]) if as_log[ROLE.gov2] else t1[ROLE.gov2, i]
        for r in range(len(values)):  # given the agreement, J, L and positive pill and gov won at t1
            rates[r] = drift + (lockin if values[r] > 0.0 or r < 2 else 0.0)
        oppose = t1[ROLE.oppose, i]
        log_k = math.log(oppose) if oppose > 0.0 else -np.inf
        stay = stay_probability(s, values, rates, coefficients, log_k, drift, horizon, vol, scratch, inner)
        q[i] = stays * stay + (1.0 - stays) * q_shock


@numba.njit
def count_screening(state, q, adhere, agreed, comply, cut, totals, n):
    """Stage 5's counts for ``state``: insincere adherence, q, and compliance given either."""
    at = COUNT[state]
    for i in range(n):
        if not adhere[i]:
            continue
        insincere = q[i] < cut
        totals[at.insincere] += insincere
        add_sample(totals, at.q, at.q_sq, q[i])
        if agreed[i]:
            if insincere:
                totals[at.agreement_insincere] += 1.0
                totals[at.comply_insincere] += comply[i]
            else:
                totals[at.agreement_sincere] += 1.0
                totals[at.comply_sincere] += comply[i]


@numba.njit(inline="always")
def period_shadow(shadow, period, periods, known_end):
    """The shadow of the future in ``period`` (1-based): with a known end, only the periods
    left count, ``shadow (1 - delta^(periods - period))``, ``delta = shadow / (1 + shadow)``."""
    if not known_end:
        return shadow
    return shadow * (1.0 - (shadow / (1.0 + shadow)) ** (periods - period))


@numba.njit
def count_period(period, comply, kept, trials, m, totals):
    """Stage 6's counts for one period (0-based) over the agreements still held, ``trials[:m]``;
    returns how many still hold, compacted to the front of ``trials``."""
    held = 0
    totals[C.at_risk + period] += m
    for k in range(m):
        i = trials[k]
        h, f = comply[H, i], comply[F, i]
        if h and f:
            kept[i] += 1
            trials[held] = i
            held += 1
            continue
        totals[C.ended] += 1.0
        totals[C.first_h] += f  # h alone violated
        totals[C.first_f] += h
        totals[C.first_both] += not (h or f)
    totals[C.survive + period] += held
    totals[C.end + period] += m - held
    return held


@numba.njit(nogil=True, cache=True)
def kernel(theta, q_shock, trials, states, totals):
    """Add the counts of ``trials`` compliance trials at ``theta`` into ``totals``.

    ``q_shock[state]`` is the screening probability after a revolution (the plan).
    Screening (stage 5) and the periods after the first (stage 6) draw from their
    own substreams, so the one-shot outputs do not depend on ``inner_trials``,
    ``periods`` or ``period_years``."""
    s, s_screen, s_period = states[STREAM.main], states[STREAM.screening], states[STREAM.periods]
    horizon, drift, vol, rate = theta[P.horizon], theta[P.drift], theta[P.vol], theta[P.shock_rate]
    lockin, shadow, reciprocity = theta[P.lockin], theta[P.shadow], theta[P.reciprocity]
    cooperative = theta[P.select] == SELECT.cooperative
    sequential = flag(theta, P.sequential)
    periods, years = int(theta[P.periods]), theta[P.period_years]
    known_end = flag(theta, P.known_end)
    screening = theta[P.inner_trials] > 0.0
    reciprocated = theta[P.screen] == SCREEN.reciprocated and not sequential
    t1 = np.empty((len(STATES), len(ROLES), BLOCK))
    t2 = np.empty((len(STATES), len(T2_ROLES), BLOCK))
    adhere = np.empty((len(STATES), BLOCK), dtype=np.bool_)
    agreed, won = np.empty(BLOCK, dtype=np.bool_), np.empty(BLOCK, dtype=np.bool_)
    locked = np.empty((len(STATES), BLOCK), dtype=np.bool_)
    alone, stake = np.empty((len(STATES), BLOCK)), np.empty((len(STATES), BLOCK))
    comply = np.empty((len(STATES), BLOCK), dtype=np.bool_)
    q = np.empty(BLOCK)
    kept = np.empty(BLOCK, dtype=np.int64)
    everyone, held = np.arange(BLOCK), np.empty(BLOCK, dtype=np.int64)
    z, bits = np.empty(BLOCK), np.empty(BLOCK, dtype=np.int64)
    scratch = shock_scratch(BLOCK)
    inner = max(int(theta[P.inner_trials]), 1)
    screening_scratch = inner_scratch(inner)
    as_log = np.empty((len(STATES), len(ROLES)), dtype=np.bool_)
    for state in range(len(STATES)):
        as_log[state] = log_flags(theta, LOBBY[state])
    gov_weight, recip_weight = weights(reciprocity, period_shadow(shadow, 1, periods, known_end))
    done = 0
    while done < trials:
        n = min(BLOCK, trials - done)
        for state in range(len(STATES)):
            draw_t1(s, theta, LOBBY[state], as_log[state], t1[state], z, bits, n)
            adheres(t1[state], adhere[state], n)
        for i in range(n):
            agreed[i] = adhere[H, i] and adhere[F, i]
        locked[:, :n] = True
        for state in range(len(STATES)):
            grow_to_t2(s, t1[state], agreed, as_log[state], horizon, drift, vol, lockin, t2[state], won, z, bits, n)
            if rate > 0.0:
                regime_shocks(s, theta, LOBBY[state], rate, horizon, drift, vol, t2[state], locked[state], everyone, n,
                              scratch, z, bits)  # fmt: skip
            supports(t2[state], gov_weight, recip_weight, alone[state], stake[state], everyone, n)
        play(alone, stake, cooperative, sequential, comply, everyone, n)
        count_one_shot(t1, t2, adhere, agreed, alone, stake, comply, totals, n)
        if screening:
            for state in range(len(STATES)):
                screen(s_screen, theta, t1[state], adhere[state], as_log[state], q_shock[state], gov_weight, recip_weight,
                       reciprocated, q, screening_scratch, n)  # fmt: skip
                count_screening(state, q, adhere[state], agreed, comply[state], theta[P.insincere_below], totals, n)
        # stage 6: the agreements in force play on, period after period
        m = 0
        for i in range(n):
            kept[i] = 0
            if agreed[i]:
                held[m] = i
                m += 1
        m = count_period(0, comply, kept, held, m, totals)
        for period in range(1, periods):
            if m == 0:
                break
            gov_k, recip_k = weights(reciprocity, period_shadow(shadow, period + 1, periods, known_end))
            for state in range(len(STATES)):
                grow_for(s_period, years, drift, vol, lockin, t2[state], locked[state], held, z, m)
                if rate > 0.0:
                    regime_shocks(s_period, theta, LOBBY[state], rate, years, drift, vol, t2[state], locked[state],
                                  held, m, scratch, z, bits)  # fmt: skip
                supports(t2[state], gov_k, recip_k, alone[state], stake[state], held, m)
            play(alone, stake, cooperative, sequential, comply, held, m)
            m = count_period(period, comply, kept, held, m, totals)
        for i in range(n):
            if agreed[i]:
                add_sample(totals, C.kept, C.kept_sq, kept[i])
        done += n
