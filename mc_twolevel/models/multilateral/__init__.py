"""``multilateral``: compliance with international law among many states (Trachtman 2010, stage 7).

``n_states`` states, each with the lobbies of ``compliance`` drawn from one
set of declarations (``direct``, ``oppose``, ``recip``, ``pill1``, ``pill2``,
``gov1``, ``gov2``, without a state suffix), go through compliance's stages
(:mod:`mc_twolevel.models.compliance.stages`): t1 draws and adherence, growth
to t2 with lock-in, regime shocks, supports. The agreement exists iff every
state adheres.

At t2 state i's reciprocity stake is ``L2 phi(sigma_-i)``, ``sigma_-i`` the
share of the *other* states that comply and ``phi(sigma) = sigma^gamma``
(``gamma`` below 1: a network good, the first compliers matter most; above
1: a commons, only near-universal compliance pays). Under ``retaliation``
state i complies iff ``A_i + omega L2_i phi(sigma_-i) > 0``; under
``assurance`` iff ``J2 + (1 + shadow) L2 phi + P2 + (1 + shadow) G2 - K2 > 0``.
Supports rise with the others' compliance (strengths are >= 0), so the game is
supermodular: simultaneous best responses from all-comply fall monotonically to
the *largest* equilibrium and from all-violate rise to the *smallest*, each in
at most ``n_states`` rounds (Topkis 1979; Milgrom and Roberts 1990).

Outputs, given agreement: ``mean_share_top`` and ``mean_share_bottom`` (the
share complying at each), ``p_all_top``, ``p_none_bottom``, ``p_unique`` (the
two coincide), and ``p_complying`` along ``complying`` (0..n_states: how many
comply at the largest equilibrium); ``p_adhere`` over all trials.

With ``n_states = 2`` the draws are compliance's, in the same order: the
largest equilibrium is compliance under ``select = "cooperative"``, the
smallest under ``"noncooperative"``, count for count (tested). Blocks of trials
shrink as ``n_states`` grows (``block_size``), which changes the order of draws
but not their distribution.
"""

from collections import namedtuple

import numba
import numpy as np

from ...model import CounterLayout, Dim, KnownAnswer, Mean, Model, Probability, add_sample
from ...params import ParamSet, Real
from ..compliance.declarations import DYNAMICS, ROLE_DOCS, ROLES, T2_GAME, lobby
from ..compliance.stages import (
    BLOCK,
    T2_ROLES,
    adheres,
    draw_t1,
    grow_to_t2,
    log_flags,
    regime_shocks,
    shock_scratch,
    supports_block,
    weights,
)

MAX_STATES = 1000
PARAMS = ParamSet(
    *(lobby(role, role, ROLE_DOCS[role][0]) for role in ROLES),
    *DYNAMICS,
    *T2_GAME,
    Real("n_states", 2, 2, MAX_STATES, "states in the agreement", integer=True),
    Real("gamma", 1.0, 0.01, 10.0, "phi(sigma) = sigma^gamma: below 1 a network good, above 1 a commons"),
)


def _possible_counts(point):
    return point["n_states"] + 1  # 0..n_states comply


COMPLYING = Dim("complying", tuple(range(MAX_STATES + 1)), "states complying at the largest equilibrium",
                size=_possible_counts)  # fmt: skip
_AGREED = "every state adhered"
OUTPUTS = (
    Probability("p_adhere", "adhere", "every state adheres: an agreement exists"),
    Mean("mean_share_top", "share_top", "share of states complying at the largest equilibrium", "adhere", _AGREED,
         "1"),
    Mean("mean_share_bottom", "share_bottom", "share of states complying at the smallest equilibrium", "adhere",
         _AGREED, "1"),
    Probability("p_all_top", "all_top", "every state complies at the largest equilibrium", "adhere", _AGREED),
    Probability("p_none_bottom", "none_bottom", "no state complies at the smallest equilibrium", "adhere", _AGREED),
    Probability("p_unique", "unique", "the largest and smallest equilibria coincide", "adhere", _AGREED),
    Probability("p_complying", "complying", "k states comply at the largest equilibrium", "adhere", _AGREED,
                COMPLYING),
)  # fmt: skip

P = PARAMS.slots()
C = CounterLayout(OUTPUTS).slots()
LOBBY = tuple(getattr(P, role) for role in ROLES)  # every state draws from the same declarations
Equilibrium = namedtuple("Equilibrium", ("bottom", "top"))
START = Equilibrium(False, True)  # best-response iteration starts from all-violate / all-comply


@numba.njit(inline="always")
def block_size(states):
    """Trials per block: ``BLOCK`` up to 64 states, then fewer, so a block's arrays stay small."""
    return BLOCK if states <= 64 else max(4, BLOCK * 64 // states)


@numba.njit
def equilibrium(alone, stake, phi, start, complies, i):
    """States complying at the equilibrium reached by simultaneous best responses from
    everyone playing ``start``, in trial ``i``; returns their number."""
    states = alone.shape[0]
    complies[:] = start
    count = states if start else 0
    while True:
        changed = 0
        new_count = 0
        for j in range(states):
            others = count - complies[j]
            best = alone[j, i] + stake[j, i] * phi[others] > 0.0
            changed += best != complies[j]
            complies[j] = best
            new_count += best
        count = new_count
        if changed == 0:
            return count


@numba.njit
def every_state_adheres(adhere, agreed, n):
    """``agreed[:n]``: whether every state adhered, trial by trial (loops over a row, which
    LLVM vectorises, rather than a column view a trial)."""
    agreed[:n] = True
    for state in range(adhere.shape[0]):
        for i in range(n):
            agreed[i] &= adhere[state, i]


@numba.njit(nogil=True, cache=True)
def kernel(theta, trials, states, totals):
    """Add the counts of ``trials`` many-state trials at ``theta`` into ``totals``."""
    s = states[0]
    n_states = int(theta[P.n_states])
    block = block_size(n_states)
    horizon, drift, vol, rate = theta[P.horizon], theta[P.drift], theta[P.vol], theta[P.shock_rate]
    gov_weight, recip_weight = weights(theta[P.reciprocity], theta[P.shadow])
    phi = (np.arange(n_states) / (n_states - 1)) ** theta[P.gamma]  # phi[k]: k others comply
    as_log = log_flags(theta, LOBBY)
    t1 = np.empty((n_states, len(ROLES), block))
    t2 = np.empty((n_states, len(T2_ROLES), block))
    adhere = np.empty((n_states, block), dtype=np.bool_)
    agreed, won = np.empty(block, dtype=np.bool_), np.empty(block, dtype=np.bool_)
    locked = np.ones((n_states, block), dtype=np.bool_)  # lock-in after a shock: not used in one period
    alone, stake = np.empty((n_states, block)), np.empty((n_states, block))
    complies = np.empty(n_states, dtype=np.bool_)
    everyone = np.arange(block)
    z = np.empty(block)
    scratch = shock_scratch(block)
    done = 0
    while done < trials:
        n = min(block, trials - done)
        for state in range(n_states):
            draw_t1(s, theta, LOBBY, as_log, t1[state], z, n)
            adheres(t1[state], adhere[state], n)
        every_state_adheres(adhere, agreed, n)
        for state in range(n_states):
            grow_to_t2(s, t1[state], agreed, as_log, horizon, drift, vol, theta[P.lockin], t2[state], won, z, n)
            if rate > 0.0:
                regime_shocks(s, theta, LOBBY, rate, horizon, drift, vol, t2[state], locked[state], everyone, n,
                              scratch, z)  # fmt: skip
            supports_block(t2[state], gov_weight, recip_weight, alone[state], stake[state], n)
        for i in range(n):
            if not agreed[i]:
                continue
            totals[C.adhere] += 1.0
            top = equilibrium(alone, stake, phi, START.top, complies, i)
            bottom = equilibrium(alone, stake, phi, START.bottom, complies, i)
            add_sample(totals, C.share_top, C.share_top_sq, top / n_states)
            add_sample(totals, C.share_bottom, C.share_bottom_sq, bottom / n_states)
            totals[C.all_top] += top == n_states
            totals[C.none_bottom] += bottom == 0
            totals[C.unique] += top == bottom  # the smallest equilibrium's compliers are among the largest's
            totals[C.complying + top] += 1.0
        done += n


def _uniform_case(n):
    """Stage 7's known-answer set-up: J, L, K ~ U(0, 1), adherence forced, assurance, shadow 0."""
    uniform = {"dist": "uniform", "low": 0.0, "high": 1.0}
    return {"direct": uniform, "oppose": uniform, "recip": uniform, "pill1": 10.0, "pill2": 0.0, "gov1": 0.0,
            "gov2": 0.0, "horizon": 0.0, "shadow": 0.0, "reciprocity": "assurance", "n_states": n}  # fmt: skip


KNOWN_ANSWERS = (
    *(KnownAnswer("multilateral", f"J, L, K ~ U(0,1), assurance, shadow 0, {n} states", "p_all_top", (5 / 6) ** n,
                  _uniform_case(n)) for n in (2, 5, 20)),
    *(KnownAnswer("multilateral", f"J, L, K ~ U(0,1), assurance, shadow 0, {n} states", "p_none_bottom", 0.5**n,
                  _uniform_case(n)) for n in (2, 5)),
    KnownAnswer("multilateral", "J, L, K ~ U(0,1), assurance, shadow 0, 2 states", "mean_share_top", 7 / 9,
                _uniform_case(2)),
    KnownAnswer("multilateral", "J, L, K ~ U(0,1), assurance, shadow 0, 2 states", "mean_share_bottom", 2 / 3,
                _uniform_case(2)),
    KnownAnswer("multilateral", "J, L, K ~ U(0,1), assurance, shadow 0, 2 states", "p_unique", 8 / 9,
                _uniform_case(2)),
)  # fmt: skip

MODEL = Model(
    name="multilateral",
    summary="compliance among many states: the largest and smallest equilibria (Trachtman 2010, stage 7)",
    reference="Trachtman, International Law and Domestic Political Coalitions, Chicago J. Int'l Law 11 (2010)",
    params=PARAMS,
    outputs=OUTPUTS,
    kernel=kernel,
    chunk_trials=1 << 19,
    version="3",
    generator="lanes",
    known_answers=KNOWN_ANSWERS,
)
