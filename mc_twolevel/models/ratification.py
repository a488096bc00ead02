"""``ratification``: Level I bargaining, Level II ratification, involuntary defection.

After Putnam, "Diplomacy and Domestic Politics: The Logic of Two-Level
Games", International Organization 42 (1988); Iida, "When and how do domestic
constraints matter?", J. Conflict Resolution 37 (1993) and "Involuntary
defection in two-level games", Public Choice 89 (1996); Rubinstein (1982).

Two states divide a surplus of 1: ``x`` is a's share, ``1 - x`` b's.

**Level II.** Each of a's ``n_a`` constituents has reservation share
``r_v = mu_a + eta_a + eps_v`` (national shock ``eta_a``, uniform on
[-shock_a, shock_a] or normal with sd ``shock_a`` by ``shock_dist``;
``eps_v ~ N(0, spread_a)``), takes part with probability ``turnout_a``, and
votes yes iff ``x + side_a >= r_v``. The deal is ratified iff yes votes
``>= quota_a`` x participants (ties at the quota pass; nobody taking part
fails). So a ratifies iff ``x >= R_a - side_a``, where the pivotal threshold
``R_a`` is the ``ceil(quota_a m)``-th smallest reservation of the ``m``
participants. Reverberation: foreign pressure shifts every reservation by
``-reverb_a``, or by ``+reverb_a`` with probability ``backlash_a``; the
shifted threshold ``R'_a`` decides ratification, and the win-set
``[R'_a - side_a, 1]`` (size clipped to [0, 1]) is reported with it.

**Level I.** Negotiators' beliefs about each threshold:

- ``complete``: both know ``R'_a`` and ``R'_b`` (including the direction the
  reverberation will take).
- ``asymmetric``: each knows its own ``R'``, and the prior of the other's.
- ``incomplete``: both know only the priors.
- ``poll``: before bargaining both see ``R + poll_bias + N(0, poll_noise)``
  of each threshold and take it at face value (the reverberation still
  uncertain); this replaces the prior wherever the prior would be used.

Protocols: ``ultimatum`` (``proposer`` offers the x maximising its share times
the probability, under its beliefs, that the deal is signed and ratified);
``nash`` (x maximises ``x^w (1-x)^(1-w) P(x)`` with ``P`` the ratification
probability under *common* beliefs: the realised thresholds under complete
information, else the priors or the poll; so ``clip(w, R_a - side_a,
1 - R_b + side_b)`` under complete information); ``rubinstein`` (alternating
offers with ``delta_a``, ``delta_b``, first offer by ``proposer``, complete
information; an offer a constituency would reject counts as rejected, so the
floors ``R' - side`` bound the offers; the stationary subgame-perfect split).

A negotiator never signs a share below its ``veto``. A signer who knows its
own threshold never signs what its constituency would reject; one who does
not signs whenever ratification is possible under its beliefs.

**Two rounds** (``rounds = 2``; ``ultimatum`` under ``incomplete`` information
without a poll): after a signed deal is rejected, the proposer makes one more
offer, its beliefs (and the responder's) truncated by which constituency
accepted or rejected the first; round-2 payoffs are discounted by ``delta_a``,
``delta_b``. With ``strategic_vote`` (single ratifiers, ``n = 1``, only), a
ratifier rejects a first offer it would accept when the second offer that
follows its rejection (the other ratifier assumed to accept) gives it a
larger discounted surplus ``delta (share - (R' - side))`` (Iida 1996). The
proposer here is naive: it neither anticipates strategic votes nor discounts
what a rejection reveals.

**Sampling the vote.** No output depends on a constituent other than the
pivotal one, so a trial counts the participants (one uniform each) and draws
the pivotal reservation exactly from its order-statistic distribution
(``mu + eta + spread Phi^-1(U)``, ``U ~ Beta(k, m - k + 1)``). The tests
check it against a NumPy vote that draws every constituent.

**Beliefs** are computed once per parameter point and exactly, not sampled:
the standardised pivotal reservation of ``m`` participants has CDF
``P(Binom(m, Phi(z)) >= ceil(quota m))``, mixed over ``m ~ Binom(n,
turnout)``, convolved with the shock by midpoint quadrature (1,600 cells), and
mixed over the reverberation. They are tabulated on 2,049 shares; offers under
priors are refined by golden-section search, and per-trial offers with one
side known use a precomputed suffix maximum, so offers are within 5e-4 of the
optimum.
"""

import math

import numba
import numpy as np
from scipy import stats

from ..errors import InputError
from ..model import Mean, Model, Probability, per_point
from ..params import Choice, Flag, ParamSet, Real
from ..rng import beta, normal, normal_quantile, uniform

GRID = 2049  # shares 0, 1/2048, ..., 1 on which beliefs are tabulated
SHARES = np.linspace(0.0, 1.0, GRID)
STATES = ("a", "b")
INFO = ("complete", "asymmetric", "incomplete")
PROTOCOLS = ("ultimatum", "nash", "rubinstein")


def _state_params(s):
    return (
        Real(f"n_{s}", 1, 1, 10001, f"constituents of {s} (1: a single pivotal ratifier)", integer=True),
        Real(f"mu_{s}", 0.5, -2.0, 3.0, f"centre of {s}'s reservation shares (high: a costly deal, a small win-set)", "share"),
        Real(f"shock_{s}", 0.5, 0.0, 3.0, f"size of {s}'s national shock negotiators cannot see (see shock_dist)", "share"),
        Real(f"spread_{s}", 0.0, 0.0, 3.0, f"sd of {s}'s constituents' reservations about the national level", "share"),
        Real(f"turnout_{s}", 1.0, 0.01, 1.0, f"probability each of {s}'s constituents takes part"),
        Real(f"quota_{s}", 0.5, 0.01, 1.0, f"share of yes votes among participants that ratifies in {s}"),
        Real(f"side_{s}", 0.0, 0.0, 1.0, f"side payments and goodwill delivered in {s} if ratified", "share"),
        Real(f"reverb_{s}", 0.0, 0.0, 1.0, f"shift of {s}'s reservations by foreign pressure after agreement", "share"),
        Real(f"backlash_{s}", 0.0, 0.0, 1.0, f"probability the reverberation in {s} backfires (+reverb)"),
        Real(f"veto_{s}", 0.0, 0.0, 1.0, f"least share {s}'s negotiator will ever sign", "share"),
        Real(f"delta_{s}", 0.9, 0.0, 0.999, f"{s}'s discount factor per round (rubinstein, renegotiation)"),
    )  # fmt: skip


PARAMS = ParamSet(
    *_state_params("a"),
    *_state_params("b"),
    Choice("shock_dist", "uniform", ("uniform", "normal"), "family of the national shocks: uniform on [-shock, shock] or normal with sd shock"),
    Choice("info", "incomplete", INFO, "what negotiators know of the realised thresholds"),
    Flag("poll", False, "negotiators see a pre-negotiation poll of each threshold and believe it"),
    Real("poll_noise", 0.1, 0.0, 3.0, "sd of the poll's error", "share"),
    Real("poll_bias", 0.0, -1.0, 1.0, "bias of the poll (> 0: constituents exaggerate their demands)", "share"),
    Choice("protocol", "ultimatum", PROTOCOLS, "Level I bargaining protocol"),
    Choice("proposer", "a", STATES, "who offers (ultimatum) or offers first (rubinstein)"),
    Real("w", 0.5, 0.0, 1.0, "a's bargaining weight in the Nash solution"),
    Real("rounds", 1, 1, 2, "1, or 2: one renegotiation after a failed ratification", integer=True),
    Flag("strategic_vote", False, "single ratifiers reject first offers to get better second ones (Iida 1996)"),
)  # fmt: skip

COUNTERS = (
    "agree", "ratified", "invol", "fail_a", "fail_b", "breakdown", "overlap",
    "share_a", "share_a_sq", "payoff_a", "payoff_a_sq", "payoff_b", "payoff_b_sq",
    "winset_a", "winset_a_sq", "winset_b", "winset_b_sq", "strategic_no",
)  # fmt: skip
_C = {name: i for i, name in enumerate(COUNTERS)}

_RATIFIED = "a deal was ratified"
OUTPUTS = (
    Probability("p_agree", "agree", "negotiators signed a deal (first round)"),
    Probability("p_ratified", "ratified", "a signed deal was ratified by both (in some round)"),
    Probability("p_invol", "invol", "involuntary defection: a signed deal was rejected at Level II"),
    Probability("p_fail_a", "fail_a", "a's constituency rejected a signed deal"),
    Probability("p_fail_b", "fail_b", "b's constituency rejected a signed deal"),
    Probability("p_breakdown", "breakdown", "nothing signed: failure at Level I"),
    Probability("p_overlap", "overlap", "the realised win-sets overlap"),
    Mean("mean_share_a", "share_a", "share_a_sq", "a's share of a ratified deal", "ratified", _RATIFIED, "share"),
    Mean("mean_payoff_a", "payoff_a", "payoff_a_sq", "a's payoff: its share if ratified, else 0; discounted", units="share"),
    Mean("mean_payoff_b", "payoff_b", "payoff_b_sq", "b's payoff: its share if ratified, else 0; discounted", units="share"),
    Mean("mean_winset_a", "winset_a", "winset_a_sq", "size of a's realised win-set", units="share"),
    Mean("mean_winset_b", "winset_b", "winset_b_sq", "size of b's realised win-set", units="share"),
    Probability("p_strategic_no", "strategic_no", "a ratifier rejected a first offer it would have accepted"),
)  # fmt: skip

_OFF = PARAMS.offset
_STATE_KEYS = ("n", "mu", "shock", "spread", "turnout", "quota", "side", "reverb", "backlash", "veto", "delta")
_SP = np.array([[_OFF[f"{k}_{s}"] for k in _STATE_KEYS] for s in STATES], dtype=np.int64)
(_N, _MU, _SHOCK, _SPREAD, _TURNOUT, _QUOTA, _SIDE, _REVERB, _BACKLASH, _VETO, _DELTA) = range(len(_STATE_KEYS))
_INFO_AT, _PROTOCOL_AT, _PROPOSER_AT, _POLL_AT, _POLL_NOISE_AT, _POLL_BIAS_AT, _W_AT, _ROUNDS_AT = (
    _OFF[k] for k in ("info", "protocol", "proposer", "poll", "poll_noise", "poll_bias", "w", "rounds")
)
_STRATEGIC_AT, _SHOCK_DIST_AT = _OFF["strategic_vote"], _OFF["shock_dist"]
(_AGREE, _RATIFIED, _INVOL, _FAIL_A, _FAIL_B, _BREAKDOWN, _OVERLAP, _SHARE_A, _PAYOFF_A, _PAYOFF_B,
 _WINSET_A, _WINSET_B, _STRATEGIC_NO) = (_C[k] for k in (
    "agree", "ratified", "invol", "fail_a", "fail_b", "breakdown", "overlap", "share_a", "payoff_a",
    "payoff_b", "winset_a", "winset_b", "strategic_no"))  # fmt: skip
_COMPLETE, _ASYMMETRIC, _INCOMPLETE = range(3)
_ULTIMATUM, _NASH, _RUBINSTEIN = range(3)


# --- beliefs: the exact distribution of the pivotal threshold, once per point ---------------------


def _participants(n, turnout):
    """Weights of m = 0..n participants (m ~ Binomial(n, turnout))."""
    if turnout >= 1.0:
        weights = np.zeros(n + 1)
        weights[n] = 1.0
        return weights
    return stats.binom.pmf(np.arange(n + 1), n, turnout)


def _quota_rank(quota, m):
    """Yes votes needed among ``m`` participants: ceil(quota m), at least 1."""
    return np.maximum(np.ceil(quota * m - 1e-9), 1).astype(np.int64)


def _standard_pivot_cdf(z, n, turnout, quota):
    """P(Q <= z) for the standardised pivotal reservation Q (m = 0 never ratifies)."""
    weights = _participants(n, turnout)
    p = stats.norm.cdf(z)
    total = np.zeros_like(p)
    for m in np.flatnonzero(weights[1:]) + 1:
        total += weights[m] * stats.binom.sf(_quota_rank(quota, m) - 1, m, p)
    return total


def _shock_cdf(e, size, family):
    if family == "normal":
        return stats.norm.cdf(e / size)
    return np.clip((e + size) / (2 * size), 0.0, 1.0)


def threshold_cdf(r, n, mu, shock, spread, turnout, quota, shock_dist):
    """P(R <= r) for the pivotal threshold R before reverberation (exact up to quadrature)."""
    r = np.asarray(r, dtype=np.float64)
    reach = 1.0 - _participants(n, turnout)[0]
    if spread == 0.0:
        if shock == 0.0:
            return reach * (r >= mu)
        return reach * _shock_cdf(r - mu, shock, shock_dist)
    if shock == 0.0:
        return _standard_pivot_cdf((r - mu) / spread, n, turnout, quota)
    edges = np.linspace(-9.0, 9.0, 1601)
    mass = np.diff(_standard_pivot_cdf(edges, n, turnout, quota))
    middles = (edges[1:] + edges[:-1]) / 2
    return _shock_cdf(r[..., None] - mu - spread * middles, shock, shock_dist) @ mass


def ratify_probability(point, state, shares=SHARES):
    """P(state's constituency ratifies when its share is ``shares``), under the prior."""
    get = lambda k: point[f"{k}_{state}"]  # noqa: E731
    r = np.asarray(shares) + get("side")
    args = (get("n"), get("mu"), get("shock"), get("spread"), get("turnout"), get("quota"), point["shock_dist"])
    reverb, backlash = get("reverb"), get("backlash")
    if reverb == 0.0:
        return threshold_cdf(r, *args)
    return (1 - backlash) * threshold_cdf(r + reverb, *args) + backlash * threshold_cdf(r - reverb, *args)


# --- offers under beliefs known once per point --------------------------------------------------


def _objective(x, protocol, proposer, w, ratify_a, ratify_b):
    """Expected value of offer ``x`` (a's share) under tabulated beliefs."""
    p = np.interp(x, SHARES, ratify_a) * np.interp(1 - x, SHARES, ratify_b)
    if protocol == "nash":
        return np.power(x, w) * np.power(1 - x, 1 - w) * p
    return (x if proposer == "a" else 1 - x) * p


def best_offer(lo, hi, objective):
    """argmax of ``objective`` on [lo, hi]: grid search then golden section (NaN if none > 0)."""
    if lo > hi:
        return np.nan
    grid = np.unique(np.concatenate([SHARES[(SHARES >= lo) & (SHARES <= hi)], [lo, hi]]))
    values = objective(grid)
    i = int(np.argmax(values))
    if values[i] <= 0:
        return np.nan
    left, right = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(60):
        m1, m2 = right - ratio * (right - left), left + ratio * (right - left)
        if objective(m1) >= objective(m2):
            right = m2
        else:
            left = m1
    refined = (left + right) / 2
    return refined if objective(refined) >= values[i] else grid[i]


def _truncated(table, at, accepted):
    """Beliefs updated on a vote at share ``at``: accepted (threshold <= at) or rejected."""
    p = np.interp(at, SHARES, table)
    if accepted:
        return np.minimum(table, p) / p if p > 0 else np.zeros_like(table)
    return np.maximum(table - p, 0.0) / (1 - p) if p < 1 else np.zeros_like(table)


def plan(point):
    """Everything the kernel needs that depends only on the parameter point.

    Returns ``(ratify, suffix_best, scalars)``: the prior ratification tables of a
    and b (by each state's own share), the proposer's best grid offer at or above
    each own-share floor when it knows its own threshold and not the other's, and
    ``scalars = [x_prior, x2_a, x2_b, x2_ab, sign2_a, sign2_b, sign2_ab]``: the
    offer (a's share) under prior beliefs, and the round-2 offers and whether the
    responder signs them after a rejection by a, by b, or by both.
    """
    ratify = np.array([ratify_probability(point, s) for s in STATES])
    lo, hi = point["veto_a"], 1.0 - point["veto_b"]
    protocol, proposer, w = point["protocol"], point["proposer"], point["w"]
    x_prior = best_offer(lo, hi, lambda x: _objective(x, protocol, proposer, w, ratify[0], ratify[1]))
    suffix_best = _suffix_best(point, ratify)
    scalars = np.full(7, np.nan)
    scalars[0] = x_prior
    if point["rounds"] == 2 and not np.isnan(x_prior):
        for k, (a_rejected, b_rejected) in enumerate(((True, False), (False, True), (True, True))):
            beliefs_a = _truncated(ratify[0], x_prior, not a_rejected)
            beliefs_b = _truncated(ratify[1], 1 - x_prior, not b_rejected)
            x2 = best_offer(lo, hi, lambda x: _objective(x, "ultimatum", proposer, w, beliefs_a, beliefs_b))
            scalars[1 + k] = x2
            if not np.isnan(x2):
                responder_share, responder = (1 - x2, beliefs_b) if proposer == "a" else (x2, beliefs_a)
                scalars[4 + k] = float(np.interp(responder_share, SHARES, responder) > 0)
    return ratify, suffix_best, scalars


_planned = per_point(PARAMS)(plan)


def _suffix_best(point, ratify):
    """For each own-share grid index i: the grid index j >= i maximising the proposer's
    ``own share x P(responder ratifies)`` within the vetoes (-1 where none is positive)."""
    if point["proposer"] == "a":
        own, responder, own_veto, other_veto = SHARES, ratify[1][::-1], point["veto_a"], point["veto_b"]
    else:
        own, responder, own_veto, other_veto = SHARES, ratify[0][::-1], point["veto_b"], point["veto_a"]
    value = np.where((own >= own_veto) & (own <= 1 - other_veto), own * responder, 0.0)
    best = np.empty(GRID, dtype=np.int64)
    running = -1
    for i in range(GRID - 1, -1, -1):
        if value[i] > 0 and (running < 0 or value[i] >= value[running]):
            running = i
        best[i] = running
    return best


# --- the kernel ---------------------------------------------------------------------------------


@numba.njit
def _shock(s, size, normal_family):
    if size == 0.0:
        return 0.0
    return size * normal(s) if normal_family else size * (2.0 * uniform(s) - 1.0)


@numba.njit
def _vote_threshold(s, n, mu, eta, spread, turnout, quota):
    """The pivotal reservation R of a constituency of ``n`` voters (inf if nobody votes).

    Participants are counted one by one; the ``k``-th smallest of their ``m``
    reservations is then drawn exactly, as ``mu + eta + spread * Phi^-1(U)`` with
    ``U ~ Beta(k, m - k + 1)``, the k-th order statistic of m uniforms, instead of
    drawing all m and selecting (which costs over a microsecond for m = 101).
    """
    m = n
    if turnout < 1.0:
        m = 0
        for _ in range(n):
            m += uniform(s) < turnout
    if m == 0:
        return np.inf
    if spread == 0.0:
        return mu + eta
    k = max(math.ceil(quota * m - 1e-9), 1)
    return mu + eta + spread * normal_quantile(beta(s, float(k), float(m - k + 1)))


@numba.njit
def _interp(table, share):
    """Linear interpolation of a belief table at ``share`` in [0, 1]."""
    if share <= 0.0:
        return table[0]
    if share >= 1.0:
        return table[-1]
    position = share * (GRID - 1)
    i = int(position)
    t = position - i
    return table[i] * (1.0 - t) + table[i + 1] * t


@numba.njit
def _above(x, floor1, floor2, backlash):
    """P(a ratifies x) when its floor is floor1, or floor2 with probability backlash."""
    return (1.0 - backlash) * (x >= floor1) + backlash * (x >= floor2)


@numba.njit
def _below(x, cap1, cap2, backlash):
    """P(b ratifies x) when a's share may be at most cap1, or cap2 with probability backlash."""
    return (1.0 - backlash) * (x <= cap1) + backlash * (x <= cap2)


@numba.njit
def _value(x, protocol, proposer_a, w, pa, pb):
    if protocol == _NASH:
        return x**w * (1.0 - x) ** (1.0 - w) * pa * pb
    return (x if proposer_a else 1.0 - x) * pa * pb


@numba.njit
def _offer_from_points(lo, hi, protocol, proposer_a, w, fa1, fa2, ba, cb1, cb2, bb):
    """Best x (a's share) when a's floors and b's caps are points (known, or polled with a
    reverberation coin): the optimum is at a breakpoint or at the objective's mode."""
    mode = w if protocol == _NASH else (1.0 if proposer_a else 0.0)
    best_x, best_value = -1.0, 0.0
    for x in (lo, hi, fa1, fa2, cb1, cb2, mode):
        if x < lo or x > hi:
            continue
        v = _value(x, protocol, proposer_a, w, _above(x, fa1, fa2, ba), _below(x, cb1, cb2, bb))
        if v > best_value:
            best_x, best_value = x, v
    return best_x


@numba.njit
def _offer_own_known(own_floor, proposer_a, responder_table, suffix_best, lo_own, hi_own):
    """Ultimatum offer (the proposer's own share) by a proposer that knows only its own floor."""
    start = max(own_floor, lo_own)
    if start > hi_own:
        return -1.0
    exact = start * _interp(responder_table, 1.0 - start)
    j = suffix_best[min(int(math.ceil(start * (GRID - 1) - 1e-9)), GRID - 1)]
    if j >= 0 and j / (GRID - 1) * responder_table[GRID - 1 - j] > exact:
        return j / (GRID - 1)
    return start if exact > 0.0 else -1.0


@numba.njit
def _rubinstein(first_a, floor_a, cap_a, delta_a, delta_b):
    """Stationary SPE share of a with a's shares restricted to [floor_a, cap_a]."""
    unconstrained = (1.0 - delta_b) / (1.0 - delta_a * delta_b)
    if delta_a * unconstrained >= floor_a and unconstrained <= cap_a:
        a_offers = unconstrained
    else:
        floored = 1.0 - delta_b + delta_b * floor_a
        a_offers = floored if delta_a * floored <= floor_a and floored <= cap_a else cap_a
    return a_offers if first_a else max(delta_a * a_offers, floor_a)


@numba.njit
def _offer_at_points(protocol, info, proposer_a, polled, w, lo, hi, floor_a, cap_b, polls_a, polls_b,
                     backlash_a, backlash_b):  # fmt: skip
    """The offer (a's share; -1 for none) when every belief is a point: complete
    information, or polls (a proposer under asymmetric information knows its own)."""
    if info == _COMPLETE:
        return _offer_from_points(lo, hi, protocol, proposer_a, w, floor_a, floor_a, 0.0, cap_b, cap_b, 0.0)
    fa1, fa2, ba = polls_a[0], polls_a[1], backlash_a
    cb1, cb2, bb = 1.0 - polls_b[0], 1.0 - polls_b[1], backlash_b
    if info == _ASYMMETRIC and protocol == _ULTIMATUM:
        if proposer_a:
            fa1, fa2, ba = floor_a, floor_a, 0.0
        else:
            cb1, cb2, bb = cap_b, cap_b, 0.0
    return _offer_from_points(lo, hi, protocol, proposer_a, w, fa1, fa2, ba, cb1, cb2, bb)


@numba.njit
def _both_sign(x, lo, hi, knows, floor_a, cap_b, believed_a, believed_b):
    """Whether both negotiators sign x: never beyond their vetoes, nor what they know its
    constituency would reject (``knows``), nor what they believe it surely would
    (``believed_*``: the ratification probability they believe)."""
    if x < lo or x > hi:
        return False
    if knows:
        return x >= floor_a and x <= cap_b
    return believed_a > 0.0 and believed_b > 0.0


@numba.njit
def _strategic_no(share1, share2, floor, delta, offered):
    """A single ratifier rejects a first offer it would accept when the second offer that
    follows its rejection gives a larger discounted surplus (Iida 1996)."""
    return offered and share1 >= floor and share2 >= floor and delta * (share2 - floor) > share1 - floor


@numba.njit(nogil=True, cache=True)
def _kernel(theta, ratify, suffix_best, scalars, trials, states, totals):
    """The trials. Helpers on the per-trial path take scalars: a call that passes arrays
    to a function numba does not inline costs about 15 ns."""
    s = states[0]
    info, protocol = int(theta[_INFO_AT]), int(theta[_PROTOCOL_AT])
    proposer_a, polled = theta[_PROPOSER_AT] == 0.0, theta[_POLL_AT] == 1.0
    poll_noise, poll_bias, w = theta[_POLL_NOISE_AT], theta[_POLL_BIAS_AT], theta[_W_AT]
    two_rounds, strategic = theta[_ROUNDS_AT] == 2.0, theta[_STRATEGIC_AT] == 1.0
    normal_shock = theta[_SHOCK_DIST_AT] == 1.0
    p = np.empty((2, len(_STATE_KEYS)))
    for i in range(2):
        for k in range(len(_STATE_KEYS)):
            p[i, k] = theta[_SP[i, k]]
    single = (p[0, _N] == 1.0 and p[0, _TURNOUT] >= 1.0, p[1, _N] == 1.0 and p[1, _TURNOUT] >= 1.0)
    lo, hi = p[0, _VETO], 1.0 - p[1, _VETO]
    knows = info != _INCOMPLETE
    points = protocol != _RUBINSTEIN and (info == _COMPLETE or polled)
    own_known = info == _ASYMMETRIC and protocol == _ULTIMATUM and not polled
    x_prior = scalars[0]
    floors = np.empty(2)
    polls = np.zeros((2, 2))
    for _ in range(trials):
        for i in range(2):
            eta = _shock(s, p[i, _SHOCK], normal_shock)
            if single[i]:
                r = p[i, _MU] + eta + (p[i, _SPREAD] * normal(s) if p[i, _SPREAD] > 0.0 else 0.0)
            else:
                r = _vote_threshold(s, int(p[i, _N]), p[i, _MU], eta, p[i, _SPREAD], p[i, _TURNOUT], p[i, _QUOTA])
            shift = p[i, _REVERB]
            if shift > 0.0 and uniform(s) >= p[i, _BACKLASH]:
                shift = -shift
            floors[i] = r + shift - p[i, _SIDE]  # i ratifies iff its own share >= floors[i]
            if polled:
                signal = r + poll_bias + poll_noise * normal(s) - p[i, _SIDE]
                polls[i, 0], polls[i, 1] = signal - p[i, _REVERB], signal + p[i, _REVERB]
        floor_a, cap_b = floors[0], 1.0 - floors[1]  # a ratifies iff x >= floor_a, b iff x <= cap_b
        winset_a, winset_b = min(max(1.0 - floor_a, 0.0), 1.0), min(max(cap_b, 0.0), 1.0)
        totals[_WINSET_A] += winset_a
        totals[_WINSET_A + 1] += winset_a * winset_a
        totals[_WINSET_B] += winset_b
        totals[_WINSET_B + 1] += winset_b * winset_b
        totals[_OVERLAP] += floor_a <= cap_b

        # Level I: the offer (a's share; -1 for none) under the regime's beliefs
        if protocol == _RUBINSTEIN:
            floor, cap = max(lo, floor_a), min(hi, cap_b)
            x = _rubinstein(proposer_a, floor, cap, p[0, _DELTA], p[1, _DELTA]) if floor <= cap else -1.0
        elif points:
            x = _offer_at_points(protocol, info, proposer_a, polled, w, lo, hi, floor_a, cap_b,
                                 (polls[0, 0], polls[0, 1]), (polls[1, 0], polls[1, 1]),
                                 p[0, _BACKLASH], p[1, _BACKLASH])  # fmt: skip
        elif own_known and proposer_a:
            x = _offer_own_known(floor_a, True, ratify[1], suffix_best, lo, hi)
        elif own_known:
            own = _offer_own_known(1.0 - cap_b, False, ratify[0], suffix_best, 1.0 - hi, 1.0 - lo)
            x = -1.0 if own < 0.0 else (cap_b if own == 1.0 - cap_b else (hi if own == 1.0 - hi else 1.0 - own))
        else:  # priors on both sides: one offer per point
            x = -1.0 if np.isnan(x_prior) else x_prior
        believed_a, believed_b = 1.0, 1.0
        if not knows and x >= 0.0:
            if polled:
                believed_a = _above(x, polls[0, 0], polls[0, 1], p[0, _BACKLASH])
                believed_b = _below(x, 1.0 - polls[1, 0], 1.0 - polls[1, 1], p[1, _BACKLASH])
            else:
                believed_a, believed_b = _interp(ratify[0], x), _interp(ratify[1], 1.0 - x)
        if x < 0.0 or not _both_sign(x, lo, hi, knows, floor_a, cap_b, believed_a, believed_b):
            totals[_BREAKDOWN] += 1.0
            continue
        totals[_AGREE] += 1.0

        # Level II: the vote, sincere or (single ratifiers, two rounds) strategic
        yes_a, yes_b = x >= floor_a, x <= cap_b
        if strategic:
            no_a = _strategic_no(x, scalars[1], floor_a, p[0, _DELTA], scalars[4] == 1.0)
            no_b = _strategic_no(1.0 - x, 1.0 - scalars[2], floors[1], p[1, _DELTA], scalars[5] == 1.0)
            totals[_STRATEGIC_NO] += no_a or no_b
            yes_a, yes_b = yes_a and not no_a, yes_b and not no_b
        discount_a, discount_b = 1.0, 1.0
        if not (yes_a and yes_b):
            totals[_INVOL] += 1.0
            failed_a, failed_b = not yes_a, not yes_b
            renegotiated = False
            if two_rounds:
                pattern = 0 if yes_b else (1 if yes_a else 2)
                x = scalars[1 + pattern]
                if not np.isnan(x) and scalars[4 + pattern] == 1.0:
                    renegotiated = True
                    yes_a, yes_b = x >= floor_a, x <= cap_b
                    failed_a, failed_b = failed_a or not yes_a, failed_b or not yes_b
                    discount_a, discount_b = p[0, _DELTA], p[1, _DELTA]
            totals[_FAIL_A] += failed_a
            totals[_FAIL_B] += failed_b
            if not (renegotiated and yes_a and yes_b):
                continue
        totals[_RATIFIED] += 1.0
        totals[_SHARE_A] += x
        totals[_SHARE_A + 1] += x * x
        payoff_a, payoff_b = discount_a * x, discount_b * (1.0 - x)
        totals[_PAYOFF_A] += payoff_a
        totals[_PAYOFF_A + 1] += payoff_a * payoff_a
        totals[_PAYOFF_B] += payoff_b
        totals[_PAYOFF_B + 1] += payoff_b * payoff_b


def kernel(theta, trials, states, totals):
    """Add the counters of ``trials`` ratification trials at ``theta`` into ``totals``.

    Derives the point's beliefs (cached per point) and runs the compiled kernel,
    which releases the GIL.
    """
    ratify, suffix_best, scalars = _planned(theta)
    _kernel(theta, ratify, suffix_best, scalars, trials, states, totals)


def _check(point):
    if point["protocol"] == "rubinstein" and point["info"] != "complete":
        raise InputError(f"protocol = 'rubinstein' needs info = 'complete', got info = {point['info']!r}")
    if point["rounds"] == 2 and (point["protocol"], point["info"], point["poll"]) != ("ultimatum", "incomplete", False):
        raise InputError(
            "rounds = 2 (renegotiation) is supported for protocol = 'ultimatum' under info = 'incomplete' "
            f"without a poll; got protocol = {point['protocol']!r}, info = {point['info']!r}, poll = {point['poll']}"
        )
    if point["strategic_vote"] and (point["rounds"] != 2 or point["n_a"] != 1 or point["n_b"] != 1):
        raise InputError(
            "strategic_vote is supported for single ratifiers (n_a = n_b = 1) with rounds = 2; "
            f"got n_a = {point['n_a']}, n_b = {point['n_b']}, rounds = {point['rounds']}"
        )


MODEL = Model(
    name="ratification",
    summary="Level I bargaining, Level II ratification and involuntary defection (Putnam 1988, Iida 1993, 1996)",
    reference="Putnam, IO 42 (1988); Iida, JCR 37 (1993) and Public Choice 89 (1996); Rubinstein, Econometrica 50 (1982)",
    params=PARAMS,
    counters=COUNTERS,
    outputs=OUTPUTS,
    kernel=kernel,
    chunk_trials=1 << 21,
    version="2",
    checks=(_check,),
)
