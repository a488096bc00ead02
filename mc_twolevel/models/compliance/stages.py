"""The stages a state goes through from adherence to a compliance decision, over a block of trials.

Shared by ``compliance`` (two states) and ``multilateral`` (many): each stage is
a loop over a block of trials that LLVM vectorises, for one state whose
lobbies' parameter slots are ``lobby`` (a tuple of slots in the order of
``ROLES``). Draws come a block at a time from a lane state
(:mod:`mc_twolevel.lanes`): uniforms and normals for a whole block, or for the
trials of a block a stage concerns, compacted to the front.

1. :func:`draw_t1`: the t1 magnitudes; :func:`adheres`: adherence.
2. :func:`grow_to_t2`: geometric Brownian motion to t2, with lock-in for the
   lobbies that won at t1; :func:`regime_shocks`: revolutions that redraw them;
   :func:`grow_for`: the same dynamics for one further period (repeated play).
3. :func:`supports`: what complying is worth at t2, alone and with the other side.
"""

import math
from collections import namedtuple

import numba
import numpy as np

from ...distributions import FAMILY, magnitude
from ...fastmath import exp_affine_block, exp_block, grow_block, grow_log_block
from ...lanes import normals_into, uniforms_into
from .declarations import IS_STRENGTH, RECIPROCITY, ROLE, ROLES

# trials whose draws are made, and exponentials taken, together: a two-state block's arrays (about
# 250 KB) stay in L2, and fewer calls a draw made it 6% faster than 256 (measured side by side)
BLOCK = 1024
T2_ROLES = ("direct", "oppose", "recip", "pill2", "gov2")  # the magnitudes that matter at t2
T2 = namedtuple("T2", T2_ROLES)(*range(len(T2_ROLES)))  # their rows in a state's t2 array
T2_SOURCE = tuple(getattr(ROLE, role) for role in T2_ROLES)  # the t1 role behind each t2 row
LOGARITHMIC = (ROLE.pill2, ROLE.gov2)  # only their t2 value matters: lognormal ones stay logarithms until then


@numba.njit
def _draw_block(s, family, a, b, strength, as_log, out, z, n):
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
            exp_affine_block(z, math.log(a), b, out, n)
    else:
        normals_into(s, z, n)
        for i in range(n):
            out[i] = a + b * z[i]
        if strength:
            for i in range(n):
                out[i] = max(out[i], 0.0)


@numba.njit
def log_flags(theta, lobby):
    """Which of a state's roles are drawn as logarithms (lognormal pill2 and gov2)."""
    flags = np.zeros(len(ROLES), dtype=np.bool_)
    for role in LOGARITHMIC:
        flags[role] = theta[lobby[role]] == FAMILY.lognormal
    return flags


@numba.njit
def draw_t1(s, theta, lobby, as_log, m, z, n):
    """Stage 1: ``m[role, :n]``, a state's t1 magnitudes (logarithms where ``as_log``)."""
    for role in range(len(ROLES)):
        family, a, b = magnitude(theta, lobby[role])
        _draw_block(s, family, a, b, IS_STRENGTH[role], as_log[role], m[role], z, n)


@numba.njit
def adheres(m, adhere, n):
    """Stage 1: a state adheres iff ``J + L + P1 + G1 > K``."""
    for i in range(n):
        adhere[i] = m[ROLE.direct, i] + m[ROLE.recip, i] + m[ROLE.pill1, i] + m[ROLE.gov1, i] > m[ROLE.oppose, i]


@numba.njit(inline="always")
def won_at_t1(row, value, agreed):
    """Whether the lobby in t2 row ``row``, of t1 sign ``value``, won at t1 and so is locked in.

    Where an agreement exists the forces for compliance won: direct, recip, and pill
    and gov where positive; oppose and a negative (anti-international-law) pill or
    gov lost. Where none exists, the forces against it won.
    """
    if row == T2.direct or row == T2.recip:
        return agreed
    if row == T2.oppose:
        return not agreed
    return (value > 0.0) == agreed


@numba.njit
def won_flags(row, values, agreed, logarithm, won, n):
    """Which of the block's lobbies in t2 row ``row`` won at t1 (:func:`won_at_t1`): ``agreed``
    itself for direct, recip and a logarithm (it stands for a positive magnitude), else
    ``won[:n]`` filled from the t1 ``values``."""
    if row == T2.direct or row == T2.recip or (logarithm and row != T2.oppose):
        return agreed
    for i in range(n):
        won[i] = won_at_t1(row, values[i], agreed[i])
    return won


@numba.njit
def grow_to_t2(s, m, agreed, as_log, horizon, drift, vol, lockin, t2, won, z, n):
    """Stage 2: ``t2[row, :n]``, a state's magnitudes after ``horizon`` years of geometric
    Brownian motion, ``m2 = m1 exp((drift + lock - vol^2/2) T + vol sqrt(T) Z)`` with
    ``lock = lockin`` for the lobbies that won at t1 (:func:`won_at_t1`), else 0."""
    base = (drift - 0.5 * vol * vol) * horizon
    locked = base + lockin * horizon
    spread = vol * math.sqrt(horizon)
    for row in range(len(T2_ROLES)):
        role = T2_SOURCE[row]
        logarithm = as_log[role]
        if horizon == 0.0 and logarithm:
            exp_affine_block(m[role], 0.0, 1.0, t2[row], n)
            continue
        if horizon == 0.0:
            for i in range(n):
                t2[row, i] = m[role, i]
            continue
        winners = won_flags(row, m[role], agreed, logarithm, won, n)
        normals_into(s, z, n)
        if logarithm:
            grow_log_block(m[role], z, winners, locked, base, spread, t2[row], n)
        else:
            grow_block(m[role], z, winners, locked, base, spread, t2[row], n)


@numba.njit
def shock_scratch(block):
    """Scratch arrays for :func:`regime_shocks` over blocks of ``block`` trials."""
    return np.empty((len(ROLES) + 4, block)), np.empty(block, dtype=np.int64)


@numba.njit
def regime_shocks(s, theta, lobby, rate, years, drift, vol, t2, locked, trials, n, scratch, z):
    """Stage 2, shocks, over a stretch of ``years`` ending at the time of play: the time back
    to the last revolution of a Poisson process of ``rate`` is exponential; where it is
    shorter than the stretch (``u < 1 - e^{-rate years}`` for a uniform ``u``), every
    magnitude is drawn afresh from its t1 distribution then and grown since without
    lock-in (the coalitions are gone), and the state's lock-in ends. ``trials[:n]`` are
    the block's trials concerned; ``scratch`` is :func:`shock_scratch`'s.

    Draws: ``n`` uniforms; then, for the ``m`` trials shocked, ``m`` draws of each
    magnitude in the order of ``ROLES`` and ``m`` normals for each t2 row's growth."""
    work, hit = scratch
    fresh, since, trend = work[: len(ROLES)], work[len(ROLES)], work[len(ROLES) + 1]
    spread, grown = work[len(ROLES) + 2], work[len(ROLES) + 3]
    uniforms_into(s, since, n)
    keep = -math.expm1(-rate * years)  # P(a revolution within the stretch)
    m = 0
    for k in range(n):
        if since[k] < keep:  # then the time back to it is -log1p(-u) / rate < years
            hit[m] = k
            since[m] = -math.log1p(-since[k]) / rate
            m += 1
    if m == 0:
        return
    for role in range(len(ROLES)):
        family, a, b = magnitude(theta, lobby[role])
        _draw_block(s, family, a, b, IS_STRENGTH[role], False, fresh[role], z, m)
    rate_years = drift - 0.5 * vol * vol
    for k in range(m):  # each trial's trend and spread over the time since, shared by its rows
        trend[k] = rate_years * since[k]
        spread[k] = vol * math.sqrt(since[k])
    for row in range(len(T2_ROLES)):
        normals_into(s, z, m)
        for k in range(m):
            grown[k] = trend[k] + spread[k] * z[k]
        exp_block(grown, grown, m)
        source = fresh[T2_SOURCE[row]]
        for k in range(m):
            t2[row, trials[hit[k]]] = source[k] * grown[k]
    for k in range(m):
        locked[trials[hit[k]]] = False


@numba.njit
def grow_for(s, years, drift, vol, lockin, t2, locked, trials, z, n):
    """Stage 2 for a further period of ``years`` (repeated play) on the agreements still
    held, ``trials[:n]``: the lobbies that won at t1 stay locked in while ``locked``."""
    spread = vol * math.sqrt(years)
    base = (drift - 0.5 * vol * vol) * years
    for row in range(len(T2_ROLES)):
        normals_into(s, z, n)
        for k in range(n):
            i = trials[k]
            lock = lockin * years if locked[i] and won_at_t1(row, t2[row, i], True) else 0.0
            t2[row, i] = t2[row, i] * math.exp(base + lock + spread * z[k])


@numba.njit(inline="always")
def weights(reciprocity, shadow):
    """``(gov weight, recip weight)`` of the t2 supports under the reading ``reciprocity``.

    ``retaliation``: ``S(s) = A + omega L s`` with ``omega = shadow / (1 + shadow)``
    (grim trigger: complying while the other complies is worth ``(A + L)(1 + shadow)``,
    violating ``L``). ``assurance``: ``S(s) = J + (1 + shadow) L s + P + (1 + shadow) G - K``.
    """
    if reciprocity == RECIPROCITY.retaliation:
        return 1.0, shadow / (1.0 + shadow)
    return 1.0 + shadow, 1.0 + shadow


@numba.njit(inline="always")
def support_alone(direct, oppose, pill, gov, gov_weight):
    """``S(0)``: the support for complying when the other side violates."""
    return direct + pill + gov_weight * gov - oppose


@numba.njit
def supports(t2, gov_weight, recip_weight, alone, stake, trials, n):
    """Stage 3: ``alone = S(0)`` and ``stake = S(1) - S(0)`` of one state for ``trials[:n]``."""
    for k in range(n):
        i = trials[k]
        alone[i] = support_alone(t2[T2.direct, i], t2[T2.oppose, i], t2[T2.pill2, i], t2[T2.gov2, i], gov_weight)
        stake[i] = recip_weight * t2[T2.recip, i]


@numba.njit
def supports_block(t2, gov_weight, recip_weight, alone, stake, n):
    """:func:`supports` for the first ``n`` trials of a block (a loop LLVM vectorises)."""
    for i in range(n):
        alone[i] = support_alone(t2[T2.direct, i], t2[T2.oppose, i], t2[T2.pill2, i], t2[T2.gov2, i], gov_weight)
        stake[i] = recip_weight * t2[T2.recip, i]
