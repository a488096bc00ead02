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
    supports_block,
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


@numba.njit(inline="always")
def decide(alone_h, stake_h, alone_f, stake_f, cooperative, sequential):
    """Stage 3: whether h and f comply in the t2 game, from their supports.

    Simultaneous play: a state complies if unconditional, or if conditional and the
    other complies; both conditional gives two equilibria and ``cooperative`` picks
    mutual compliance. ``sequential``: f performs first, h then decides alone
    (its recip lobby's stake gone), and f anticipates that. (Branch-free, so loops
    over trials vectorise.)
    """
    unconditional_h, with_h = alone_h > 0.0, alone_h + stake_h > 0.0
    unconditional_f, with_f = alone_f > 0.0, alone_f + stake_f > 0.0
    coordinated = cooperative & with_h & with_f
    simultaneous_h = unconditional_h | (unconditional_f & with_h) | coordinated
    simultaneous_f = unconditional_f | (unconditional_h & with_f) | coordinated
    sequential_f = (unconditional_h & with_f) | (~unconditional_h & unconditional_f)
    h = (sequential & unconditional_h) | (~sequential & simultaneous_h)
    f = (sequential & sequential_f) | (~sequential & simultaneous_f)
    return h, f


@numba.njit
def play(alone, stake, cooperative, sequential, comply, trials, n):
    """Stage 3: who complies in the t2 game, ``comply[state, i]``, for ``trials[:n]`` (:func:`decide`)."""
    for k in range(n):
        i = trials[k]
        comply[H, i], comply[F, i] = decide(alone[H, i], stake[H, i], alone[F, i], stake[F, i], cooperative, sequential)


@numba.njit
def play_block(alone, stake, cooperative, sequential, comply, n):
    """:func:`play` for the first ``n`` trials of a block (a loop LLVM vectorises)."""
    for i in range(n):
        comply[H, i], comply[F, i] = decide(alone[H, i], stake[H, i], alone[F, i], stake[F, i], cooperative, sequential)


@numba.njit
def count_one_shot(t1, t2, adhere, agreed, alone, stake, comply, totals, n):
    """Stage 3's counts: adherence, types of the t2 game (all trials), and, given agreement,
    depth, compliance and compliance the rule caused (J2 <= K2). Counted in local sums by
    loops without branches, which LLVM vectorises."""
    agreements = deep = mutual = multiple = 0
    for i in range(n):
        conditional_h = (alone[H, i] <= 0.0) & (alone[H, i] + stake[H, i] > 0.0)
        conditional_f = (alone[F, i] <= 0.0) & (alone[F, i] + stake[F, i] > 0.0)
        multiple += conditional_h & conditional_f
        agreements += agreed[i]
        mutual += agreed[i] & comply[H, i] & comply[F, i]
        deep += agreed[i] & ((t1[H, ROLE.direct, i] <= t1[H, ROLE.oppose, i]) |
                             (t1[F, ROLE.direct, i] <= t1[F, ROLE.oppose, i]))  # fmt: skip
    totals[C.adhere] += agreements
    totals[C.depth] += deep
    totals[C.mutual] += mutual
    totals[C.multiple] += multiple
    for state in range(len(STATES)):
        adhered = unconditional = conditional = violator = complied = depth = effective = 0
        for i in range(n):
            together = alone[state, i] + stake[state, i]
            adhered += adhere[state, i]
            unconditional += alone[state, i] > 0.0
            conditional += (alone[state, i] <= 0.0) & (together > 0.0)
            violator += together <= 0.0
            complied += agreed[i] & comply[state, i]
            depth += agreed[i] & (t1[state, ROLE.direct, i] <= t1[state, ROLE.oppose, i])
            effective += agreed[i] & comply[state, i] & (t2[state, T2.direct, i] <= t2[state, T2.oppose, i])
        at = COUNT[state]
        totals[at.adhere] += adhered
        totals[at.unconditional] += unconditional
        totals[at.conditional] += conditional
        totals[at.violator] += violator
        totals[at.comply] += complied
        totals[at.depth] += depth
        totals[at.effective] += effective


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
def first_period(agreed, comply, held, totals, n, later):
    """Stage 6's counts for the first period, over every agreement of the block; returns how
    many still hold afterwards (mutual compliance). With ``later`` periods to play, those
    trials are also compacted to the front of ``held``."""
    m = first_h = first_f = first_both = 0
    for i in range(n):  # counted by a loop without branches, which LLVM vectorises
        h, f = comply[H, i], comply[F, i]
        m += agreed[i] & h & f
        first_h += agreed[i] & ~h & f
        first_f += agreed[i] & h & ~f
        first_both += agreed[i] & ~h & ~f
    if later:
        kept = 0
        for i in range(n):
            held[kept] = i
            kept += agreed[i] & comply[H, i] & comply[F, i]  # branch-free compaction
    totals[C.at_risk] += m + first_h + first_f + first_both
    _count_ends(0, m, first_h, first_f, first_both, totals)
    return m


@numba.njit(inline="always")
def _count_ends(period, held, first_h, first_f, first_both, totals):
    """Add one period's survivors and endings (and who violated first) to ``totals``: every
    agreement that ends has h alone, f alone or both violating first."""
    ends = first_h + first_f + first_both
    totals[C.survive + period] += held
    totals[C.end + period] += ends
    totals[C.ended] += ends
    totals[C.first_h] += first_h
    totals[C.first_f] += first_f
    totals[C.first_both] += first_both
    # kept = periods of mutual compliance: a trial held through period k adds 1 to kept and
    # 2k + 1 to kept^2 (K^2 is the sum of 2k + 1 over k < K)
    totals[C.kept] += held
    totals[C.kept_sq] += (2 * period + 1) * held


@numba.njit
def count_period(period, comply, trials, m, totals):
    """Stage 6's counts for a later period (0-based) over the agreements still held,
    ``trials[:m]``; returns how many still hold, compacted to the front of ``trials``."""
    held = first_h = first_f = first_both = 0
    totals[C.at_risk + period] += m
    for k in range(m):
        i = trials[k]
        h, f = comply[H, i], comply[F, i]
        trials[held] = i
        held += h & f
        first_h += ~h & f
        first_f += h & ~f
        first_both += ~h & ~f
    _count_ends(period, held, first_h, first_f, first_both, totals)
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
    everyone, held = np.arange(BLOCK), np.empty(BLOCK, dtype=np.int64)
    z = np.empty(BLOCK)
    scratch = shock_scratch(BLOCK)
    inner = max(int(theta[P.inner_trials]), 1)
    screening_scratch = inner_scratch(inner)
    as_log = (log_flags(theta, LOBBY[H]), log_flags(theta, LOBBY[F]))
    gov_weight, recip_weight = weights(reciprocity, period_shadow(shadow, 1, periods, known_end))
    done = 0
    while done < trials:
        n = min(BLOCK, trials - done)
        for state in range(len(STATES)):
            draw_t1(s, theta, LOBBY[state], as_log[state], t1[state], z, n)
            adheres(t1[state], adhere[state], n)
        for i in range(n):
            agreed[i] = adhere[H, i] and adhere[F, i]
        locked[:, :n] = True
        for state in range(len(STATES)):
            grow_to_t2(s, t1[state], agreed, as_log[state], horizon, drift, vol, lockin, t2[state], won, z, n)
            if rate > 0.0:
                regime_shocks(s, theta, LOBBY[state], rate, horizon, drift, vol, t2[state], locked[state], everyone, n,
                              scratch, z)  # fmt: skip
            supports_block(t2[state], gov_weight, recip_weight, alone[state], stake[state], n)
        play_block(alone, stake, cooperative, sequential, comply, n)
        count_one_shot(t1, t2, adhere, agreed, alone, stake, comply, totals, n)
        if screening:
            for state in range(len(STATES)):
                screen(s_screen, theta, t1[state], adhere[state], as_log[state], q_shock[state], gov_weight, recip_weight,
                       reciprocated, q, screening_scratch, n)  # fmt: skip
                count_screening(state, q, adhere[state], agreed, comply[state], theta[P.insincere_below], totals, n)
        # stage 6: the agreements in force play on, period after period
        m = first_period(agreed, comply, held, totals, n, periods > 1)
        for period in range(1, periods):
            if m == 0:
                break
            gov_k, recip_k = weights(reciprocity, period_shadow(shadow, period + 1, periods, known_end))
            for state in range(len(STATES)):
                grow_for(s_period, years, drift, vol, lockin, t2[state], locked[state], held, z, m)
                if rate > 0.0:
                    regime_shocks(s_period, theta, LOBBY[state], rate, years, drift, vol, t2[state], locked[state],
                                  held, m, scratch, z)  # fmt: skip
                supports(t2[state], gov_k, recip_k, alone[state], stake[state], held, m)
            play(alone, stake, cooperative, sequential, comply, held, m)
            m = count_period(period, comply, held, m, totals)
        done += n
