"""A plain-NumPy reference for the multilateral compliance model (stage 7).

Written from the model's mathematics (its README) only, to test the numba kernel. It reuses the
two-state reference's draws and dynamics (reference_compliance.py, same
directory), so every modelling choice stated there holds here, state by state:
strengths floored at 0; only direct, oppose, recip, pill2, gov2 move from t1
to t2, by GBM; lock-in for the side that won the state's own t1 adherence
contest (for the rule where it adhered: direct, recip, positive pill2/gov2;
against where it did not: oppose, negative pill2/gov2); shocks redraw all of
a state's magnitudes from the t1 distributions at an exponential time back
from t2 and the state grows from there without lock-in. Every state draws
independently from the same (un-suffixed) declarations direct, oppose, recip,
pill1, pill2, gov1, gov2.

Game at t2 among n_states = N states. State i's reciprocity stake is
L2_i phi(sigma_-i), phi(sigma) = sigma^gamma, sigma_-i = (number of OTHER
states complying) / (N - 1):
  retaliation  S_i = J2 + P2 + G2 - K2 + omega L2 phi,  omega = shadow/(1+shadow)
  assurance    S_i = J2 + (1+shadow) L2 phi + P2 + (1+shadow) G2 - K2
and i complies iff S_i > 0. phi(0) = 0^gamma uses numpy's 0**0 = 1, so
gamma = 0 makes the stake unconditional (no strategic interaction).
Largest equilibrium: simultaneous best-response iteration from all-comply
until nothing changes (monotone decreasing, so at most N rounds); smallest:
likewise from all-violate. With N = 2 phi(sigma_-i) is the other's action, so
the top (bottom) equilibrium is the two-state simultaneous game under
select = "cooperative" ("noncooperative"). select and sequential are not used.

Outputs (``(successes, denominator)`` or ``(sum, count)``): p_adhere (every
state adheres; over n), p_adhere_state (over n N state-trials); given
agreement: mean_share_top, mean_share_bottom (share complying at each
equilibrium), p_all_top, p_none_bottom, p_unique (top == bottom, state by
state), and complying, a list over c = 0..N of (trials with exactly c
complying at the top equilibrium, agreements).
"""

import numpy as np
from reference_compliance import LATE, ROLES, adheres, advance, draw_magnitudes


def _stake_coefficient(reciprocity, shadow):
    if reciprocity == "retaliation":
        return shadow / (1 + shadow)
    if reciprocity == "assurance":
        return 1 + shadow
    raise ValueError(f"unknown reciprocity {reciprocity!r}")


def _base(m, reciprocity, shadow):
    gov_weight = 1.0 if reciprocity == "retaliation" else 1 + shadow
    return m["direct"] + m["pill2"] + gov_weight * m["gov2"] - m["oppose"]


def equilibrium(base, stake, gamma, start):
    """Best-response iteration from everyone playing ``start``; (b, N) bool."""
    states = base.shape[1]
    s = np.full(base.shape, start)
    while True:
        others = (s.sum(axis=1, keepdims=True) - s) / (states - 1)
        new = base + stake * others**gamma > 0
        if np.array_equal(new, s):
            return s
        s = new


def simulate(point, n, seed):
    rng = np.random.default_rng(seed)
    states = int(point["n_states"])
    if not 2 <= states <= 1000:
        raise ValueError("n_states must be in 2..1000")
    gamma = float(point["gamma"])
    reciprocity = point.get("reciprocity", "retaliation")
    shadow = float(point["shadow"])
    dists = {r: point[r] for r in ROLES}
    coefficient = _stake_coefficient(reciprocity, shadow)

    given = adhered_total = 0
    share_top = share_bottom = 0.0
    all_top = none_bottom = unique = 0
    complying = np.zeros(states + 1, np.int64)
    batch = max(1, 1_000_000 // states)
    for begin in range(0, n, batch):
        b = min(batch, n - begin)
        shape = (b, states)
        t1 = draw_magnitudes(rng, dists, shape)
        adhered = adheres(t1)
        agreed = adhered.all(axis=1)
        start = {r: t1[r] for r in LATE}
        rule_won = np.broadcast_to(agreed[:, None], shape)  # lock-in winners are keyed to the agreement
        m2, _ = advance(rng, point, dists, start, rule_won, np.ones(shape, bool), point["horizon"])
        base = _base(m2, reciprocity, shadow)[agreed]
        stake = coefficient * m2["recip"][agreed]
        top = equilibrium(base, stake, gamma, True)
        bottom = equilibrium(base, stake, gamma, False)
        count_top, count_bottom = top.sum(axis=1), bottom.sum(axis=1)
        adhered_total += int(adhered.sum())
        given += int(agreed.sum())
        share_top += float(count_top.sum()) / states
        share_bottom += float(count_bottom.sum()) / states
        all_top += int((count_top == states).sum())
        none_bottom += int((count_bottom == 0).sum())
        unique += int((top == bottom).all(axis=1).sum())
        complying += np.bincount(count_top, minlength=states + 1)
    return {
        "p_adhere": (given, n),
        "p_adhere_state": (adhered_total, n * states),
        "mean_share_top": (share_top, given),
        "mean_share_bottom": (share_bottom, given),
        "p_all_top": (all_top, given),
        "p_none_bottom": (none_bottom, given),
        "p_unique": (unique, given),
        "complying": [(int(c), given) for c in complying],
    }
