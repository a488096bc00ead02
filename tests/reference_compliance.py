"""A plain-NumPy reference for the compliance model (Trachtman 2010), stages 1-6.

Written from the model's mathematics (its README) only, to test the numba kernel: it shares no code
with the kernel beyond the parameter declarations. Straightforward Monte Carlo,
vectorised over trials with numpy's own ``default_rng``; no analytic shortcuts.

``simulate(point, n, seed)`` returns ``{name: (successes, denominator)}`` for the
probabilities and ``{name: (sum, count)}`` for the means; ``p_survive`` and
``p_hazard`` (stage 6) are lists of such pairs, one per period.

Parameters read from ``point`` (a dict of resolved parameters)
---------------------------------------------------------------
Magnitudes ``{role}_{state}`` for role in direct, oppose, recip, pill1, pill2,
gov1, gov2 and state in h, f (objects with ``.family``, ``.a``, ``.b``).
Scalars: horizon, drift, vol, lockin, shock_rate, shadow, select
("cooperative" | "noncooperative"), sequential, and optionally reciprocity
("retaliation", the default | "assurance"), inner_trials (0), screen
("reciprocated", the default | "alone"), insincere_below (0.5), periods (1),
period_years, known_end (False).

Modelling choices the mathematics leaves open (pinned down here)
---------------------------------------------------------------
1. Draws. direct, oppose and recip are strengths: every draw of them (at t1 and
   at a regime shock) is floored at 0. pill and gov keep their sign.
2. Which magnitudes move. Only those the t2 game uses (direct, oppose, recip,
   pill2, gov2) are carried from t1 to t2; pill1 and gov1 act only at t1.
   Each follows geometric Brownian motion over the time it evolves,
   m <- m exp((drift + extra - vol^2/2) t + vol sqrt(t) Z), with an independent
   Z per magnitude, state and trial. GBM keeps a magnitude's sign, so a
   negative pill or gov stays an anti-international-law force and a zero stays 0.
3. Lock-in: who won at t1. Each magnitude is on the "for the rule" side
   (direct, recip, and pill2/gov2 where positive) or the "against" side
   (oppose, and pill2/gov2 where negative). Winners are decided state by state
   by that state's own adherence: in a state that adhered the for-the-rule side
   won, in a state that did not adhere the against side won (oppose, and a
   negative pill/gov, whose lock-in makes it more negative). Winners get
   extra = lockin, losers extra = 0. Where an agreement exists both states
   adhered, so the winners are exactly the spec's (direct, recip, positive
   pill/gov) and a negative pill/gov is never strengthened. The no-agreement
   case only affects outputs reported over all trials (the p_unconditional_h
   ... family and p_multiple). [As the package chose: winners are keyed to the
   agreement, not to each state's own adherence; see ``simulate``.]
4. Regime shocks (as in the existing one-shot reference). Over a stretch of
   ``t`` years ending at the time of play, the time back from the end to the
   last shock is exponential with rate shock_rate; if it is less than t the
   state had a revolution: all its magnitudes are redrawn from their t1
   distributions at that moment and grow from there for the remaining time
   WITHOUT lock-in. A shocked state's lock-in is then off for good (the
   coalition that won at t1 is gone; the new regime won nothing), including
   all later periods of stage 6. Shocks hit h and f independently. The shock
   redraw does not re-test adherence (adherence is a t1 fact).
5. Stage 3 readings, with S(1) >= S(0) always since L2 >= 0:
   retaliation  S(s) = J2 + P2 + G2 - K2 + omega L2 s, omega = shadow/(1+shadow);
   assurance    S(s) = J2 + (1+shadow) L2 s + P2 + (1+shadow) G2 - K2.
   Types U (S(0) > 0), C (S(0) <= 0 < S(1)), V. Simultaneous game: U complies;
   C complies iff the other complies; both C -> both comply under
   select = "cooperative", neither otherwise. Sequential: h complies iff
   S_h(0) > 0, then f complies iff S_f(s_h) > 0. Under sequential the types
   and p_multiple are still those of the simultaneous classification (both C),
   reported for comparability; the sequential outcome itself is unique.
6. Denominators. p_adhere_h/_f/p_adhere, the type shares p_unconditional_h ...
   and p_multiple are over all n trials. p_depth_h, p_depth_f, p_depth
   (J <= K at t1 in h / f / either), p_comply_h/_f, p_mutual and
   p_effective_h/_f (h complies and J2 <= K2) are given agreement.
7. Stage 5 (inner_trials > 0). For each trial in which state h adhered,
   inner_trials independent copies of h's t1 -> t2 dynamics are run from h's
   own t1 magnitudes (same horizon, drift, vol, lock-in as an adhering state,
   shocks with fresh t1 redraws), and q_h is the fraction with S_h(1) > 0
   (screen "reciprocated") or S_h(0) > 0 (screen "alone"; forced when
   sequential). S uses the reading and the shadow of the (first-period) t2
   game. Insincere iff q_h < insincere_below (strict). The outer trial's own
   t2 draw is independent of its inner draws. p_insincere_h and mean_q_h are
   given h adhered; p_comply_h_given_insincere / _sincere are given agreement
   and h insincere / sincere. Same for f.
8. Stage 6 (periods > 1). Period 1 is the t2 game above. Only agreements that
   have held (mutual compliance in every period so far) are carried on: each
   period every state's magnitudes move on by period_years of the same
   dynamics (lock-in for the for-the-rule side while the agreement holds and
   the state has had no shock; a shock in the period, with probability
   1 - exp(-shock_rate period_years), redraws from the t1 distributions at an
   exponential time back from the period's end, then growth without lock-in).
   The stage-3 game (simultaneous or sequential, same select) is played with
   shadow_k = shadow (1 - delta^(periods - k)), delta = shadow/(1+shadow), when
   known_end, else shadow. The first period without mutual compliance ends
   the agreement. With known_end the one-shot outputs describe period 1,
   played with shadow_1 (with periods = 1 that is the last period: shadow 0).
   Outputs: p_survive[k] (given agreement), p_hazard[k] (ended in k, given
   survival to k-1; k = 1 given agreement), mean_periods (number of periods of
   mutual compliance, 0..periods, given agreement), p_first_h / _f / _both
   (in the ending period: only h violated / only f violated / both violated,
   given the agreement ended within the periods).
   Random numbers for periods >= 2 are drawn after everything of the one-shot
   and stage 5, so for a given seed the one-shot outputs are identical
   whatever ``periods`` is (when known_end is false).
"""

import numpy as np

ROLES = ("direct", "oppose", "recip", "pill1", "pill2", "gov1", "gov2")
STRENGTHS = ("direct", "oppose", "recip")
LATE = ("direct", "oppose", "recip", "pill2", "gov2")  # what the t2 game uses
STATES = ("h", "f")
KIND_NAMES = (("unconditional", 0), ("conditional", 1), ("violator", 2))


def sample(rng, dist, shape):
    """Draws of one magnitude's distribution, of the given shape."""
    family, a, b = dist.family, float(dist.a), float(dist.b)
    if family == "constant":
        return np.full(shape, a)
    if family == "lognormal":
        return a * np.exp(b * rng.standard_normal(shape))
    if family == "uniform":
        return rng.uniform(a, b, shape)
    if family == "normal":
        return rng.normal(a, b, shape)
    raise ValueError(f"unknown family {family!r}")


def draw_magnitudes(rng, dists, shape, roles=ROLES):
    """{role: draws}; strengths floored at 0. ``dists`` maps role -> Dist."""
    out = {}
    for role in roles:
        m = sample(rng, dists[role], shape)
        out[role] = np.maximum(m, 0.0) if role in STRENGTHS else m
    return out


def adheres(t1):
    return t1["direct"] + t1["recip"] + t1["pill1"] + t1["gov1"] > t1["oppose"]


def for_rule(m):
    """Which side each late magnitude is on: True = for the international rule."""
    return {"direct": True, "recip": True, "oppose": False,
            "pill2": m["pill2"] > 0, "gov2": m["gov2"] > 0}  # fmt: skip


def advance(rng, point, dists, m, rule_won, locked, years):
    """Move the late magnitudes ``m`` on by ``years`` (a scalar).

    ``rule_won``: bool array, the for-the-rule side won at t1 (the state adhered).
    ``locked``: bool array, lock-in still active (no shock since t1).
    Returns the new magnitudes and the new ``locked``.
    """
    shape = np.shape(rule_won)
    span = np.full(shape, float(years))
    rate = float(point["shock_rate"])
    if rate > 0:
        back = rng.exponential(1.0 / rate, shape)
        shocked = back < years
        fresh = draw_magnitudes(rng, dists, shape, LATE)
        m = {r: np.where(shocked, fresh[r], m[r]) for r in LATE}
        span = np.where(shocked, back, span)
        locked = locked & ~shocked
    drift, vol, lockin = float(point["drift"]), float(point["vol"]), float(point["lockin"])
    side = for_rule(m)
    out = {}
    for r in LATE:
        won = (side[r] == rule_won) & locked
        mu = drift + lockin * won - 0.5 * vol**2
        z = rng.standard_normal(shape)
        out[r] = m[r] * np.exp(mu * span + vol * np.sqrt(span) * z)
    return out, locked


def supports(m, reciprocity, shadow):
    """(S(0), S(1)) for one state's t2 magnitudes."""
    if reciprocity == "retaliation":
        alone = m["direct"] + m["pill2"] + m["gov2"] - m["oppose"]
        return alone, alone + shadow / (1 + shadow) * m["recip"]
    if reciprocity == "assurance":
        alone = m["direct"] + m["pill2"] + (1 + shadow) * m["gov2"] - m["oppose"]
        return alone, alone + (1 + shadow) * m["recip"]
    raise ValueError(f"unknown reciprocity {reciprocity!r}")


def kinds(sup):
    s0, s1 = sup
    return np.where(s0 > 0, 0, np.where(s1 > 0, 1, 2))  # U, C, V


def play(sup_h, sup_f, sequential, select):
    """Who complies, (comply_h, comply_f), in the stage-3 game."""
    (h0, h1), (f0, f1) = sup_h, sup_f
    if sequential:
        comply_h = h0 > 0
        comply_f = np.where(comply_h, f1 > 0, f0 > 0)
        return comply_h, comply_f
    if select not in ("cooperative", "noncooperative"):
        raise ValueError(f"unknown select {select!r}")
    uh, uf = h0 > 0, f0 > 0
    both_conditional = ~uh & ~uf & (h1 > 0) & (f1 > 0)
    coop = select == "cooperative"
    comply_h = uh | (uf & (h1 > 0)) | (coop & both_conditional)
    comply_f = uf | (uh & (f1 > 0)) | (coop & both_conditional)
    return comply_h, comply_f


def period_shadow(point, k):
    shadow = float(point["shadow"])
    periods = int(point.get("periods", 1))
    if point.get("known_end", False):
        delta = shadow / (1 + shadow)
        return shadow * (1 - delta ** (periods - k))
    return shadow


def _inner_q(rng, point, dists, t1, idx, reciprocity, shadow, screen):
    """q for the trials ``idx`` (all adhered): inner simulation of t1 -> t2."""
    inner = int(point["inner_trials"])
    q = np.empty(idx.size)
    batch = max(1, 1_000_000 // inner)
    for start in range(0, idx.size, batch):
        sel = idx[start : start + batch]
        shape = (sel.size, inner)
        m0 = {r: np.repeat(t1[r][sel, None], inner, axis=1) for r in LATE}
        ones = np.ones(shape, bool)
        m2, _ = advance(rng, point, dists, m0, ones, ones, point["horizon"])
        s0, s1 = supports(m2, reciprocity, shadow)
        test = s1 if screen == "reciprocated" else s0
        q[start : start + sel.size] = (test > 0).mean(axis=1)
    return q


def simulate(point, n, seed):
    """Each output's ``(successes, denominator)`` / ``(sum, count)`` from ``n`` trials."""
    rng = np.random.default_rng(seed)
    reciprocity = point.get("reciprocity", "retaliation")
    sequential = bool(point["sequential"])
    select = point["select"]
    periods = int(point.get("periods", 1))
    shadow1 = period_shadow(point, 1)
    dists = {s: {r: point[f"{r}_{s}"] for r in ROLES} for s in STATES}

    t1, adhered, late, locked, sup, kind = {}, {}, {}, {}, {}, {}
    for s in STATES:
        t1[s] = draw_magnitudes(rng, dists[s], n)
        adhered[s] = adheres(t1[s])
    for s in STATES:
        start = {r: t1[s][r] for r in LATE}
        agreement = adhered["h"] & adhered["f"]  # lock-in winners are keyed to the agreement
        late[s], locked[s] = advance(rng, point, dists[s], start, agreement, np.ones(n, bool), point["horizon"])
        sup[s] = supports(late[s], reciprocity, shadow1)
        kind[s] = kinds(sup[s])
    comply = dict(zip(STATES, play(sup["h"], sup["f"], sequential, select)))

    agreed = adhered["h"] & adhered["f"]
    given = int(agreed.sum())
    mutual = comply["h"] & comply["f"]
    depth = {s: t1[s]["direct"] <= t1[s]["oppose"] for s in STATES}
    out = {
        "p_adhere_h": (int(adhered["h"].sum()), n),
        "p_adhere_f": (int(adhered["f"].sum()), n),
        "p_adhere": (given, n),
        "p_depth": (int((agreed & (depth["h"] | depth["f"])).sum()), given),
        "p_mutual": (int((agreed & mutual).sum()), given),
        "p_multiple": (int(((kind["h"] == 1) & (kind["f"] == 1)).sum()), n),
    }
    for s in STATES:
        out[f"p_depth_{s}"] = (int((agreed & depth[s]).sum()), given)
        out[f"p_comply_{s}"] = (int((agreed & comply[s]).sum()), given)
        caused = agreed & comply[s] & (late[s]["direct"] <= late[s]["oppose"])
        out[f"p_effective_{s}"] = (int(caused.sum()), given)
        for label, code in KIND_NAMES:
            out[f"p_{label}_{s}"] = (int((kind[s] == code).sum()), n)

    # Stage 5: insincere adherence.
    if int(point.get("inner_trials", 0)) > 0:
        screen = "alone" if sequential else point.get("screen", "reciprocated")
        if screen not in ("reciprocated", "alone"):
            raise ValueError(f"unknown screen {screen!r}")
        below = float(point.get("insincere_below", 0.5))
        for s in STATES:
            idx = np.flatnonzero(adhered[s])
            q = _inner_q(rng, point, dists[s], t1[s], idx, reciprocity, shadow1, screen)
            insincere = np.zeros(n, bool)
            insincere[idx] = q < below
            sincere = adhered[s] & ~insincere
            out[f"p_insincere_{s}"] = (int(insincere.sum()), idx.size)
            out[f"mean_q_{s}"] = (float(q.sum()), idx.size)
            for label, group in (("insincere", insincere), ("sincere", sincere)):
                base = agreed & group
                out[f"p_comply_{s}_given_{label}"] = (
                    int((base & comply[s]).sum()),
                    int(base.sum()),
                )

    # Stage 6: repeated compliance.
    if periods > 1:
        years = float(point["period_years"])
        alive = agreed & mutual
        length = alive.astype(np.int64)
        first_h = agreed & ~comply["h"] & comply["f"]
        first_f = agreed & comply["h"] & ~comply["f"]
        first_both = agreed & ~comply["h"] & ~comply["f"]
        survive = [(int(alive.sum()), given)]
        hazard = [(int((agreed & ~mutual).sum()), given)]
        for k in range(2, periods + 1):
            idx = np.flatnonzero(alive)
            shadow_k = period_shadow(point, k)
            sup_k = {}
            for s in STATES:
                ms = {r: late[s][r][idx] for r in LATE}
                ms, lk = advance(rng, point, dists[s], ms, np.ones(idx.size, bool), locked[s][idx], years)
                for r in LATE:
                    late[s][r][idx] = ms[r]
                locked[s][idx] = lk
                sup_k[s] = supports(ms, reciprocity, shadow_k)
            ch, cf = play(sup_k["h"], sup_k["f"], sequential, select)
            holds = ch & cf
            hazard.append((int((~holds).sum()), idx.size))
            first_h[idx[~ch & cf]] = True
            first_f[idx[ch & ~cf]] = True
            first_both[idx[~ch & ~cf]] = True
            alive[idx[~holds]] = False
            length[idx[holds]] += 1
            survive.append((int(alive.sum()), given))
        ended = int((first_h | first_f | first_both).sum())
        out["p_survive"] = survive
        out["p_hazard"] = hazard
        out["mean_periods"] = (float(length[agreed].sum()), given)
        out["p_first_h"] = (int(first_h.sum()), ended)
        out["p_first_f"] = (int(first_f.sum()), ended)
        out["p_first_both"] = (int(first_both.sum()), ended)
    return out
