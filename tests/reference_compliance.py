"""A plain-NumPy compliance model, written from models.md section 2, for testing the kernel.

Vectorised over trials with numpy's own Generator: it shares no code with the
kernel beyond the parameter declarations.
"""

import numpy as np

ROLES = ("direct", "oppose", "recip", "pill1", "pill2", "gov1", "gov2")
STRENGTHS = ("direct", "oppose", "recip")


def _sample(rng, dist, n):
    family, a, b = dist.family, dist.a, dist.b
    if family == "constant":
        return np.full(n, a)
    if family == "lognormal":
        return a * np.exp(b * rng.standard_normal(n))
    if family == "uniform":
        return rng.uniform(a, b, n)
    return rng.normal(a, b, n)


def _magnitudes(rng, point, state, n):
    values = {}
    for role in ROLES:
        m = _sample(rng, point[f"{role}_{state}"], n)
        values[role] = np.maximum(m, 0.0) if role in STRENGTHS else m
    return values


def _evolve(rng, m, rate, vol, years):
    z = rng.standard_normal(m.shape)
    return m * np.exp((rate - 0.5 * vol**2) * years + vol * np.sqrt(years) * z)


def _support(rng, point, state, t1, adhered, n):
    horizon = point["horizon"]
    years = np.full(n, horizon)
    lockin = np.full(n, point["lockin"])
    m = dict(t1)
    if point["shock_rate"] > 0:
        since = rng.exponential(1 / point["shock_rate"], n)
        shocked = since < horizon
        fresh = _magnitudes(rng, point, state, n)
        m = {r: np.where(shocked, fresh[r], t1[r]) for r in ROLES}
        years = np.where(shocked, since, years)
        lockin = np.where(shocked, 0.0, lockin)
    won = np.where(adhered, lockin, 0.0)
    lost = np.where(adhered, 0.0, lockin)
    drift, vol = point["drift"], point["vol"]
    grow = {r: _evolve(rng, m[r], drift + (lost if r == "oppose" else won), vol, years)
            for r in ("direct", "oppose", "recip", "pill2", "gov2")}  # fmt: skip
    weight = 1 + point["shadow"]
    alone = grow["direct"] + grow["pill2"] + weight * grow["gov2"] - grow["oppose"]
    return alone, alone + weight * grow["recip"]


def simulate(point, n, seed):
    """Each output's ``(successes, denominator)`` from ``n`` trials at ``point``."""
    rng = np.random.default_rng(seed)
    adhere, depth, kind, support = {}, {}, {}, {}
    for state in ("h", "f"):
        t1 = _magnitudes(rng, point, state, n)
        adhere[state] = t1["direct"] + t1["recip"] + t1["pill1"] + t1["gov1"] > t1["oppose"]
        depth[state] = t1["direct"] <= t1["oppose"]
        s0, s1 = _support(rng, point, state, t1, adhere[state], n)
        support[state] = (s0, s1)
        kind[state] = np.where(s0 > 0, "U", np.where(s1 > 0, "C", "V"))
    uh, uf = kind["h"] == "U", kind["f"] == "U"
    both_conditional = (kind["h"] == "C") & (kind["f"] == "C")
    if point["sequential"]:
        comply_h = uh
        comply_f = np.where(uh, support["f"][1] > 0, support["f"][0] > 0)
    else:
        cooperative = point["select"] == "cooperative"
        comply_h = uh | (uf & (kind["h"] != "V")) | (cooperative & both_conditional)
        comply_f = uf | (uh & (kind["f"] != "V")) | (cooperative & both_conditional)
    agreed = adhere["h"] & adhere["f"]
    given = agreed.sum()
    out = {
        "p_adhere_h": (adhere["h"].sum(), n),
        "p_adhere_f": (adhere["f"].sum(), n),
        "p_adhere": (given, n),
        "p_depth": ((agreed & (depth["h"] | depth["f"])).sum(), given),
        "p_comply_h": ((agreed & comply_h).sum(), given),
        "p_comply_f": ((agreed & comply_f).sum(), given),
        "p_mutual": ((agreed & comply_h & comply_f).sum(), given),
        "p_multiple": (both_conditional.sum(), n),
    }
    for state in ("h", "f"):
        for label, code in (("unconditional", "U"), ("conditional", "C"), ("violator", "V")):
            out[f"p_{label}_{state}"] = ((kind[state] == code).sum(), n)
    return out
