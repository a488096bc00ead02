"""Stage 5: insincere adherence, the counterparty's screening question.

For a state that adhered, ``q = P(S(s) > 0 | its t1 magnitudes)``, with ``s = 1``
(``screen = "reciprocated"``: assuming the other side complies) or ``s = 0``
(``"alone"``; forced under ``sequential``), the agreement taken as holding (so
the t1 winners are the forces for compliance and are locked in). Adherence is
insincere when ``q < insincere_below``.

The inner estimator is as exact as the model allows:

- **The shock splits off exactly.** With ``r`` the shock rate and ``T`` the
  horizon, ``q = e^{-rT} q_stay + (1 - e^{-rT}) q_shock``: ``q_stay`` is the
  probability without a revolution before t2; ``q_shock``, after one, does not
  depend on the t1 draw (everything is redrawn), so it is estimated once per
  parameter point (:func:`after_shock`, in the model's plan, from 2^20 draws).
- **The oppose lobby K is integrated out.** Given the other t2 magnitudes,
  ``S(s) > 0`` iff ``K2 < X = J2 + P2 + g G2 + s w L2``; K grows by geometric
  Brownian motion, so ``P(K2 < X) = Phi((ln X - ln K1 - (drift - vol^2/2) T) /
  (vol sqrt T))`` for ``X > 0``. ``q_stay`` is estimated by the mean of that
  normal CDF over ``inner_trials`` draws of J2, L2, P2 and G2: unbiased and
  smooth in the draws; exact (one evaluation) when ``vol sqrt(T) = 0``.

Bias: ``q_hat`` is unbiased for ``q``, so ``mean_q`` is too; but ``p_insincere =
P(q_hat < c)`` is a nonlinear function of it, and with ``q_hat = q + e``,
``Var(e) = v(q) / n``, its bias is ``-(1/(2n)) d/dc [f(c) E(v(q) | q = c)]``
(``f`` the density of ``q``): of order ``1 / inner_trials``.
"""

import hashlib
import math

import numba
import numpy as np

from ...distributions import magnitude
from ...fastmath import erfc_at, exp_affine_block, log_at
from ...lanes import lane_state, normals_into, uniforms_into
from .declarations import IS_STRENGTH, ROLE, ROLES
from .stages import BLOCK, _draw_block

SHOCK_DRAWS = 1 << 20  # draws behind q_shock, once per point: error below 5e-4 x (1 - e^{-rT})
_SQRT2 = math.sqrt(2.0)
_SMALLEST_NORMAL = np.finfo(np.float64).tiny  # log_at's domain starts here


@numba.njit
def support_weights(gov_weight, recip_weight, reciprocated):
    """The weights of J, L, P2 and G2 in the support screened (L only when reciprocated)."""
    return np.array((1.0, recip_weight if reciprocated else 0.0, 1.0, gov_weight))


@numba.njit(inline="always", error_model="numpy")
def _below(x, log_k, k_mean, spread):
    """``P(K2 < x)``, K2 lognormal with log-mean ``log_k + k_mean`` and log-sd ``spread``:
    0 for ``x <= 0``, 1 for ``x > 0`` when ``log_k = -inf`` (K1 = 0, so K2 = 0). Without
    branches (vectorised ``log`` and ``erfc``), so a loop over draws vectorises."""
    u = (log_k + k_mean - log_at(max(x, _SMALLEST_NORMAL))) / (spread * _SQRT2)
    below = 0.5 * erfc_at(u)
    return below if x > 0.0 else 0.0


@numba.njit(error_model="numpy", fastmath={"contract"})
def probabilities_below(x, log_k, k_mean, spread, out, n):
    """``out[:n] = P(K2 < x[:n])`` (:func:`_below`): a loop LLVM vectorises (numpy's error
    model, so the divisions inlined here carry no zero checks)."""
    for j in range(n):
        out[j] = _below(x[j], log_k, k_mean, spread)


@numba.njit
def inner_scratch(inner):
    """Scratch arrays for :func:`stay_probability` with ``inner`` draws."""
    return np.empty(inner), np.empty(inner), np.empty(inner)


@numba.njit
def stay_probability(s, values, rates, coefficients, log_k, k_rate, years, vol, scratch, inner):
    """``q_stay``: ``P(S > 0)`` with no revolution before t2, K integrated out.

    ``values``, ``rates`` and ``coefficients`` hold, for J, L, P2 and G2, the t1
    magnitude, its drift (with lock-in where it won) and its weight in S. Each lobby
    that counts draws ``inner`` normals, in that order; its exponentials are taken
    over the block (:func:`~mc_twolevel.fastmath.exp_affine_block`).
    """
    x, z, grown = scratch
    spread = vol * math.sqrt(years)
    k_mean = (k_rate - 0.5 * vol * vol) * years
    if spread == 0.0:
        total = 0.0
        for r in range(len(values)):
            total += coefficients[r] * values[r] * math.exp((rates[r] - 0.5 * vol * vol) * years)
        return 1.0 if total > 0.0 and (log_k == -np.inf or math.log(total) > log_k + k_mean) else 0.0
    x[:inner] = 0.0
    for r in range(len(values)):
        if values[r] != 0.0 and coefficients[r] != 0.0:
            normals_into(s, z, inner)
            exp_affine_block(z, (rates[r] - 0.5 * vol * vol) * years, spread, grown, inner)
            scale = coefficients[r] * values[r]
            for j in range(inner):
                x[j] += scale * grown[j]
    probabilities_below(x, log_k, k_mean, spread, grown, inner)
    return grown[:inner].sum() / inner


@numba.njit(nogil=True)
def after_shock(theta, lobby, states, draws, rate, horizon, drift, vol, coefficients):
    """``q_shock``: ``P(S > 0)`` after a revolution before t2, for a state with lobbies
    ``lobby``: every magnitude drawn afresh at a time back from t2 distributed as an
    exponential of ``rate`` cut at ``horizon``, grown since without lock-in, K
    integrated out as in :func:`stay_probability`. ``draws`` in blocks of ``BLOCK``."""
    s = states[0]
    keep = -math.expm1(-rate * horizon)  # P(a revolution before t2)
    drawn = np.empty((len(ROLES), BLOCK))
    since, z = np.empty(BLOCK), np.empty(BLOCK)
    flags = np.zeros(len(ROLES), dtype=np.bool_)
    grown = (ROLE.direct, ROLE.recip, ROLE.pill2, ROLE.gov2)
    total = 0.0
    for _ in range(draws // BLOCK):
        uniforms_into(s, since, BLOCK)
        for i in range(BLOCK):
            since[i] = -math.log1p(-since[i] * keep) / rate
        for role in range(len(ROLES)):
            family, a, b = magnitude(theta, lobby[role])
            _draw_block(s, family, a, b, IS_STRENGTH[role], flags[role], drawn[role], z, BLOCK)
        x = np.zeros(BLOCK)
        for r in range(len(grown)):
            normals_into(s, z, BLOCK)
            for i in range(BLOCK):
                years = since[i]
                x[i] += (
                    coefficients[r]
                    * drawn[grown[r], i]
                    * math.exp((drift - 0.5 * vol * vol) * years + vol * math.sqrt(years) * z[i])
                )
        for i in range(BLOCK):
            oppose = drawn[ROLE.oppose, i]
            spread = vol * math.sqrt(since[i])
            k_mean = (drift - 0.5 * vol * vol) * since[i]
            if spread == 0.0:
                total += x[i] > oppose * math.exp(k_mean)
            else:
                total += _below(x[i], math.log(oppose) if oppose > 0.0 else -np.inf, k_mean, spread)
    return total / (draws // BLOCK * BLOCK)


def point_stream(theta):
    """A lane state that depends on the parameter point alone (for per-point estimates)."""
    entropy = int.from_bytes(hashlib.sha256(theta.tobytes()).digest()[:16], "little")
    return lane_state(entropy, (0,))
