"""The compliance kernel, in stages over blocks of trials.

Trials run in blocks of ``BLOCK``; each stage is a loop over the block that
LLVM vectorises: a state's t1 draws (:func:`draw_t1`), its adherence
(:func:`adheres`), growth to t2 (:func:`grow_to_t2`) and supports at t2
(:func:`t2_supports`); then regime shocks (:func:`regime_shocks`) and the play
of the t2 game, counted (:func:`count_block`).
"""

import math
from collections import namedtuple

import numba
import numpy as np

from ...distributions import FAMILY, draw, magnitude
from ...fastmath import exp_affine_block, grow_block, grow_log_block
from ...model import CounterLayout
from ...params import flag
from ...rng import normal, normals_into, uniform, uniforms_into
from .declarations import IS_STRENGTH, LOBBY, OUTPUTS, ROLE, ROLES, SELECT, P

BLOCK = 256  # trials whose draws are made, and exponentials taken, together
C = CounterLayout(OUTPUTS).slots()
T2_ROLES = ("direct", "oppose", "recip", "pill2", "gov2")  # the magnitudes that matter at t2
T2 = namedtuple("T2", T2_ROLES)(*range(len(T2_ROLES)))  # their rows in a block's t2 array
T2_SOURCE = tuple(getattr(ROLE, role) for role in T2_ROLES)  # the t1 role behind each t2 row
LOGARITHMIC = (ROLE.pill2, ROLE.gov2)  # only their t2 value matters: lognormal ones stay logarithms until then


@numba.njit
def _draw_block(s, family, a, b, strength, as_log, out, z, bits, n):
    """``out[:n]``: n draws of the magnitude ``(family, a, b)``; strengths floored at 0.

    With ``as_log`` a lognormal magnitude is left as its logarithm (for a lobby that
    only matters after it has grown, whose exponential is then taken once).
    """
    if family == FAMILY.constant:
        out[:n] = a
    elif family == FAMILY.uniform:  # bounds of strengths are validated >= 0
        uniforms_into(s, out, n)
        for i in range(n):
            out[i] = a + (b - a) * out[i]
    elif family == FAMILY.lognormal:  # a exp(b z) = exp(log a + b z) > 0
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
def draw_t1(s, theta, state, as_log, m, z, bits, n):
    """Stage 1: ``m[role, :n]``, the t1 magnitudes of ``state`` (logarithms where ``as_log``)."""
    for role in range(len(ROLES)):
        family, a, b = magnitude(theta, LOBBY[state][role])
        _draw_block(s, family, a, b, IS_STRENGTH[role], as_log[role], m[role], z, bits, n)


@numba.njit
def adheres(m, adhere, n):
    """Stage 1: a state adheres iff ``J + L + P1 + G1 > K``."""
    for i in range(n):
        adhere[i] = m[ROLE.direct, i] + m[ROLE.recip, i] + m[ROLE.pill1, i] + m[ROLE.gov1, i] > m[ROLE.oppose, i]


@numba.njit
def grow_to_t2(s, m, adhere, as_log, horizon, base, locked, spread, t2, z, bits, n):
    """Stage 2: ``t2[row, :n]``, the t2 magnitudes after ``horizon`` years of geometric
    Brownian motion, with log growth ``locked`` for the t1 winners and ``base`` for the
    losers (where the state adhered, the oppose lobby lost and the others won)."""
    for row in range(len(T2_ROLES)):
        role = T2_SOURCE[row]
        logarithm = as_log[role]
        if horizon == 0.0 and logarithm:
            exp_affine_block(m[role], 0.0, 1.0, t2[row], bits, n)
        elif horizon == 0.0:
            t2[row, :n] = m[role, :n]
        else:
            normals_into(s, z, n)
            won, lost = (base, locked) if role == ROLE.oppose else (locked, base)
            if logarithm:
                grow_log_block(m[role], z, adhere, won, lost, spread, t2[row], bits, n)
            else:
                grow_block(m[role], z, adhere, won, lost, spread, t2[row], bits, n)


@numba.njit(inline="always")
def _alone(direct, oppose, pill, gov, weight):
    """``S(0)``: the support for complying when the other state violates."""
    return direct + pill + weight * gov - oppose


@numba.njit
def t2_supports(t2, weight, alone, together, n):
    """Stage 3: ``alone = S(0)`` and ``together = S(1)`` of one state at t2."""
    for i in range(n):
        alone[i] = _alone(t2[T2.direct, i], t2[T2.oppose, i], t2[T2.pill2, i], t2[T2.gov2, i], weight)
        together[i] = alone[i] + weight * t2[T2.recip, i]


@numba.njit
def _grow(s, m, rate, vol, years):
    """A magnitude after ``years`` of geometric Brownian motion."""
    if years == 0.0:
        return m
    return m * math.exp((rate - 0.5 * vol * vol) * years + vol * math.sqrt(years) * normal(s))


@numba.njit
def _shocked_support(s, theta, state, weight, drift, vol, years):
    """``(S(0), S(1))`` at t2 after a regime shock ``years`` before t2: every magnitude
    redrawn from its t1 distribution and grown since, without lock-in."""
    m = np.empty(len(ROLES))
    for role in range(len(ROLES)):
        family, a, b = magnitude(theta, LOBBY[state][role])
        m[role] = draw(s, family, a, b)
        if IS_STRENGTH[role]:
            m[role] = max(m[role], 0.0)
    grown = np.empty(len(T2_ROLES))
    for row in range(len(T2_ROLES)):
        grown[row] = _grow(s, m[T2_SOURCE[row]], drift, vol, years)
    alone = _alone(grown[T2.direct], grown[T2.oppose], grown[T2.pill2], grown[T2.gov2], weight)
    return alone, alone + weight * grown[T2.recip]


@numba.njit
def regime_shocks(s, theta, rate, horizon, weight, drift, vol, alone, together, n):
    """Stage 2, shocks: a revolution ``years`` before t2 (the time back to a Poisson
    process's last event) replaces a state's supports by freshly drawn ones."""
    for i in range(n):
        for state in range(2):
            years = -math.log1p(-uniform(s)) / rate
            if years < horizon:
                alone[state, i], together[state, i] = _shocked_support(s, theta, state, weight, drift, vol, years)


@numba.njit
def count_block(t1, adhere, alone, together, cooperative, sequential, totals, n):
    """Stage 3: play the t2 game on each trial of the block and add its counts to ``totals``.

    Strengths are floored at zero, so ``S(1) >= S(0)``: a state is unconditional iff
    ``S(0) > 0`` and a violator iff ``S(1) <= 0``. Counts stay in registers over the block.
    """
    adhere_h = adhere_f = agreements = deep = comply_h = comply_f = mutual = 0
    unconditional_h = conditional_h = violator_h = unconditional_f = conditional_f = violator_f = multiple = 0
    for i in range(n):
        alone_h, with_h = alone[0, i] > 0.0, together[0, i] > 0.0
        alone_f, with_f = alone[1, i] > 0.0, together[1, i] > 0.0
        both_conditional = with_h and with_f and not alone_h and not alone_f
        if sequential:
            h_complies = alone_h
            f_complies = (alone_h and with_f) or (not alone_h and alone_f)
        else:
            coordinated = cooperative and both_conditional
            h_complies = alone_h or (alone_f and with_h) or coordinated
            f_complies = alone_f or (alone_h and with_f) or coordinated
        agreed = adhere[0, i] and adhere[1, i]
        depth = t1[0, ROLE.direct, i] <= t1[0, ROLE.oppose, i] or t1[1, ROLE.direct, i] <= t1[1, ROLE.oppose, i]
        adhere_h += adhere[0, i]
        adhere_f += adhere[1, i]
        agreements += agreed
        deep += agreed and depth
        comply_h += agreed and h_complies
        comply_f += agreed and f_complies
        mutual += agreed and h_complies and f_complies
        unconditional_h += alone_h
        conditional_h += with_h and not alone_h
        violator_h += not with_h
        unconditional_f += alone_f
        conditional_f += with_f and not alone_f
        violator_f += not with_f
        multiple += both_conditional
    totals[C.adhere_h] += adhere_h
    totals[C.adhere_f] += adhere_f
    totals[C.adhere] += agreements
    totals[C.depth] += deep
    totals[C.comply_h] += comply_h
    totals[C.comply_f] += comply_f
    totals[C.mutual] += mutual
    totals[C.unconditional_h] += unconditional_h
    totals[C.conditional_h] += conditional_h
    totals[C.violator_h] += violator_h
    totals[C.unconditional_f] += unconditional_f
    totals[C.conditional_f] += conditional_f
    totals[C.violator_f] += violator_f
    totals[C.multiple] += multiple


@numba.njit(nogil=True, cache=True)
def kernel(theta, trials, states, totals):
    """Add the counts of ``trials`` compliance trials at ``theta`` into ``totals``."""
    s = states[0]
    horizon, drift, vol, rate = theta[P.horizon], theta[P.drift], theta[P.vol], theta[P.shock_rate]
    weight = 1.0 + theta[P.shadow]
    cooperative = theta[P.select] == SELECT.cooperative
    sequential = flag(theta, P.sequential)
    base = (drift - 0.5 * vol * vol) * horizon  # log growth of a magnitude over the horizon
    locked = base + theta[P.lockin] * horizon  # ... of a lobby that won at t1
    spread = vol * math.sqrt(horizon)
    t1 = np.empty((2, len(ROLES), BLOCK))
    t2 = np.empty((len(T2_ROLES), BLOCK))
    adhere = np.empty((2, BLOCK), dtype=np.bool_)
    alone = np.empty((2, BLOCK))  # S(0) at t2
    together = np.empty((2, BLOCK))  # S(1) at t2
    z = np.empty(BLOCK)
    bits = np.empty(BLOCK, dtype=np.int64)
    as_log = np.zeros((2, len(ROLES)), dtype=np.bool_)
    for state in range(2):
        for role in LOGARITHMIC:
            as_log[state, role] = theta[LOBBY[state][role]] == FAMILY.lognormal
    done = 0
    while done < trials:
        n = min(BLOCK, trials - done)
        for state in range(2):
            draw_t1(s, theta, state, as_log[state], t1[state], z, bits, n)
            adheres(t1[state], adhere[state], n)
            grow_to_t2(s, t1[state], adhere[state], as_log[state], horizon, base, locked, spread, t2, z, bits, n)
            t2_supports(t2, weight, alone[state], together[state], n)
        if rate > 0.0:
            regime_shocks(s, theta, rate, horizon, weight, drift, vol, alone, together, n)
        count_block(t1, adhere, alone, together, cooperative, sequential, totals, n)
        done += n
