"""Level II over a block of trials: each state's realised floor ``R' - side``, drawn in stages.

Draws come a block at a time from a lane state (:mod:`mc_twolevel.lanes`), in this
order for each state (a, then b), each stage adding to the state's row of floors:

1. :func:`draw_shocks`: ``mu - side + eta``, the national shock ``eta`` (normals or
   uniforms; none without a shock).
2. :func:`pivot_block`: the pivotal reservation's part, ``R - mu - eta``. A single
   ratifier (n = 1, full turnout) adds ``spread z`` (a normal, if there is spread).
   A crowd counts its participants ``m`` (:func:`participants`: one uniform,
   inverting the binomial CDF; none at full turnout), and its pivotal reservation
   is the ``k``-th smallest of ``m``, ``k = max(ceil(quota m), 1)``: ``mu + eta +
   spread Phi^-1(U)``, ``U = G1 / (G1 + G2) ~ Beta(k, m - k + 1)`` from two gamma
   deviates (:func:`gammas`); ``Phi^-1`` by Wichura's AS 241
   (:mod:`mc_twolevel.fastmath`) from ``U - 1/2 = (G1 - G2) / 2 (G1 + G2)`` and,
   in the tails, ``min(U, 1 - U) = min(G1, G2) / (G1 + G2)``, so neither tail
   loses precision. Nobody taking part: ``R = inf``.
3. :func:`polls_block`: the poll (a normal, where there is one), of ``R - side``.
4. :func:`reverberate`: the reverberation coin (a uniform, where there is
   reverberation), giving ``R' - side``.

Draw requests are rounded up to whole rounds of the lanes (:func:`whole_rounds`),
which a ragged request consumes anyway.

Every stage is a loop over the block without branches on the draws (LLVM
vectorises it); the few trials that need more (gamma candidates rejected,
quantiles in the tails) are gathered and done together.
"""

import math

import numba
import numpy as np

from ...fastmath import log_at, normal_quantile_central, normal_quantile_tail
from ...lanes import LANES, normals_into, uniforms_into
from .beliefs import _participant_weights, _quota_rank
from .declarations import KEY

BLOCK = 512  # trials whose draws are made together (faster than 256, and than 1024 for crowds; measured)
WORK = 8  # rows of a block's scratch (see scratch)


@numba.njit(inline="always")
def whole_rounds(n):
    """``n`` rounded up to whole rounds of the lanes: filling that many draws instead of ``n``
    consumes the same rounds and gives the same first ``n``, without the scratch a ragged
    round needs (``BLOCK`` is a multiple of ``LANES``)."""
    return -(-n // LANES) * LANES


@numba.njit
def scratch():
    """A block's scratch: ``work[WORK, BLOCK]`` floats, ``counts[BLOCK]`` and ``pending[BLOCK]``
    integers and ``flags[BLOCK]``."""
    return (np.empty((WORK, BLOCK)), np.empty(BLOCK, dtype=np.int64), np.empty(BLOCK, dtype=np.int64),
            np.empty(BLOCK, dtype=np.bool_))  # fmt: skip


@numba.njit
def participant_cdf(n, turnout):
    """``cdf[m] = P(at most m of n take part)``, Binomial(n, turnout) (empty at full turnout)."""
    if turnout >= 1.0:
        return np.empty(0)
    return np.cumsum(_participant_weights(n, turnout))


@numba.njit
def draw_shocks(s, size, normal_family, centre, out, n):
    """``out[:n] = centre + eta``: national shocks ``eta``, normal with sd ``size`` or uniform on
    [-size, size], about ``centre``."""
    if size == 0.0:
        out[:n] = centre
    elif normal_family:
        normals_into(s, out, whole_rounds(n))
        for i in range(n):
            out[i] = centre + size * out[i]
    else:
        uniforms_into(s, out, whole_rounds(n))
        for i in range(n):
            out[i] = centre + size * (2.0 * out[i] - 1.0)


@numba.njit
def participants(s, cdf, voters, m, u, n):
    """``m[:n]``: how many of ``voters`` take part, by inverting ``cdf`` (:func:`participant_cdf`)
    at one uniform each: the least ``m`` with ``u < cdf[m]``. All at full turnout (no draws)."""
    if len(cdf) == 0:
        m[:n] = voters
        return
    uniforms_into(s, u, whole_rounds(n))
    for i in range(n):
        m[i] = np.searchsorted(cdf[:voters], u[i], side="right")  # voters if u is beyond them all


@numba.njit
def gamma_scales(largest):
    """``scales[a] = 1 / sqrt(9 (a - 1/3))`` for the integer shapes ``a = 1 .. largest`` of the
    gamma deviates behind an order statistic (a table, so no deviate pays a square root
    and a division for it)."""
    scales = np.ones(largest + 1)
    for a in range(1, largest + 1):
        scales[a] = 1.0 / math.sqrt(9.0 * (a - 1.0 / 3.0))
    return scales


@numba.njit(inline="always", fastmath={"contract"}, error_model="numpy")
def _gamma_candidate(shape, scale, z, u):
    """Marsaglia and Tsang's (ACM TOMS 26, 2000) candidate ``d v^3`` for Gamma(shape >= 1),
    ``d = shape - 1/3``, ``v = 1 + z / sqrt(9 d)`` (``scale = 1 / sqrt(9 d)``), from a normal
    ``z`` and a uniform ``u``, and whether it is accepted: the exact test ``ln u < z^2 / 2 +
    d (1 - v^3 + ln v^3)``, without the squeeze (which saves work only where a branch is
    taken, and a branch stops the loop from vectorising)."""
    d = shape - 1.0 / 3.0
    v = 1.0 + z * scale
    cube = v * v * v
    accepted = (v > 0.0) & (log_at(u) < 0.5 * z * z + d * (1.0 - cube + log_at(cube)))
    return accepted, d * cube


@numba.njit(fastmath={"contract"}, error_model="numpy")
def _candidates(shape, scale, z, u, out, accepted, n):
    for i in range(n):
        accepted[i], out[i] = _gamma_candidate(shape[i], scale[i], z[i], u[i])


@numba.njit
def gammas(s, shape, scale, out, z, u, accepted, pending, n):
    """``out[:n]``: Gamma(``shape[i]``, 1) deviates, ``shape >= 1``, ``scale[i] = 1 / sqrt(9
    (shape[i] - 1/3))`` (:func:`gamma_scales`). A normal and a uniform per
    candidate, drawn for the block at once and tested in a loop without branches; the
    rejected (a few percent) are drawn again, together, until none is left."""
    normals_into(s, z, whole_rounds(n))
    uniforms_into(s, u, whole_rounds(n))
    _candidates(shape, scale, z, u, out, accepted, n)
    left = 0
    for i in range(n):
        if not accepted[i]:
            pending[left] = i
            left += 1
    while left > 0:
        normals_into(s, z, whole_rounds(left))
        uniforms_into(s, u, whole_rounds(left))
        still = 0
        for j in range(left):
            i = pending[j]
            ok, value = _gamma_candidate(shape[i], scale[i], z[j], u[j])
            if ok:
                out[i] = value
            else:
                pending[still] = i
                still += 1
        left = still


@numba.njit(error_model="numpy")
def _ranks(m, quota, scales, first, second, first_scale, second_scale, n):
    """The pivot's rank ``k = max(ceil(quota m), 1)``, the shapes ``k``, ``m - k + 1`` of its
    uniform order statistic (1 and 1 where nobody takes part, whose threshold is infinite)
    and their :func:`gamma_scales` (looked up here: a loop that gathers does not vectorise)."""
    for i in range(n):
        k = _quota_rank(quota, m[i])
        rest = max(m[i] - k + 1, 1)
        first[i], second[i] = k, rest
        first_scale[i], second_scale[i] = scales[k], scales[rest]


@numba.njit(fastmath={"contract"}, error_model="numpy")
def _pivotal_reservations(spread, g1, g2, m, r, centred, tails, z, outer, n):
    """``r[:n] += spread Phi^-1(G1 / (G1 + G2))`` (``inf`` where ``m = 0``): the quantile's
    central rational function over the block, then its tails over the few beyond it,
    gathered together (``centred``, ``tails``, ``z``, ``outer``: scratch)."""
    for i in range(n):
        centred[i] = 0.5 * (g1[i] - g2[i]) / (g1[i] + g2[i])
        z[i] = normal_quantile_central(centred[i])
    beyond = 0
    for i in range(n):
        outer[beyond] = i
        beyond += abs(centred[i]) > 0.425
    for j in range(beyond):
        i = outer[j]
        tails[j] = min(g1[i], g2[i]) / (g1[i] + g2[i])
    for j in range(beyond):
        tails[j] = normal_quantile_tail(tails[j])
    for j in range(beyond):
        i = outer[j]
        z[i] = tails[j] if centred[i] < 0.0 else -tails[j]
    for i in range(n):
        r[i] = r[i] + spread * z[i] if m[i] > 0 else np.inf


@numba.njit
def pivot_block(s, p, state, cdf, scales, floors, work, counts, pending, flags, n):
    """``floors[:n] += R - (mu + eta)``: adds state ``state``'s pivotal reservation to the
    centre and shocks ``floors`` holds (see the module doc; ``p[state, KEY.*]`` its
    parameters, ``cdf`` and ``scales`` its :func:`participant_cdf` and :func:`gamma_scales`)."""
    spread, voters = p[state, KEY.spread], int(p[state, KEY.n])
    if voters == 1 and p[state, KEY.turnout] >= 1.0:
        if spread > 0.0:
            z = work[0]
            normals_into(s, z, whole_rounds(n))
            for i in range(n):
                floors[i] += spread * z[i]
        return
    participants(s, cdf, voters, counts, work[0], n)
    if spread == 0.0:
        for i in range(n):
            floors[i] = floors[i] if counts[i] > 0 else np.inf
        return
    first, second, first_scale, second_scale = work[0], work[1], work[2], work[3]
    g1, g2, z, u = work[4], work[5], work[6], work[7]
    _ranks(counts, p[state, KEY.quota], scales, first, second, first_scale, second_scale, n)
    gammas(s, first, first_scale, g1, z, u, flags, pending, n)
    gammas(s, second, second_scale, g2, z, u, flags, pending, n)
    _pivotal_reservations(spread, g1, g2, counts, floors, first, second, first_scale, pending, n)


@numba.njit
def polls_block(s, p, state, bias, noise, floors, polls, z, n):
    """``polls[0 or 1, :n]``: the polled floor if the reverberation helps, or backfires: the
    signal ``R + bias + N(0, noise) - side`` (``floors`` holding ``R - side``, before the
    reverberation) minus or plus ``reverb``."""
    reverb = p[state, KEY.reverb]
    normals_into(s, z, whole_rounds(n))
    for i in range(n):
        signal = floors[i] + bias + noise * z[i]
        polls[0, i], polls[1, i] = signal - reverb, signal + reverb


@numba.njit
def reverberate(s, p, state, floors, u, n):
    """``floors[:n] += -reverb``, or ``+reverb`` with probability ``backlash`` (a uniform each,
    where there is reverberation): from ``R - side`` to ``R' - side``, the least own share
    the state ratifies."""
    reverb, backlash = p[state, KEY.reverb], p[state, KEY.backlash]
    if reverb > 0.0:
        uniforms_into(s, u, whole_rounds(n))
        for i in range(n):
            floors[i] += -reverb if u[i] >= backlash else reverb
