"""A plain-NumPy Level II vote (the ratification model's Level II, as specified), for testing the ratification kernel.

Every constituent is drawn: reservation mu + eta + eps, turnout, and the vote
yes >= quota x participants. Shares no code with the kernel.
"""

import numpy as np


def reservations(point, state, trials, rng):
    """(trials, n) reservation shares and a (trials, n) mask of who takes part."""
    get = lambda k: point[f"{k}_{state}"]
    n, shock = get("n"), get("shock")
    if point["shock_dist"] == "normal":
        eta = rng.normal(0.0, shock, trials)
    else:
        eta = rng.uniform(-shock, shock, trials)
    r = get("mu") + eta[:, None] + get("spread") * rng.standard_normal((trials, n))
    takes_part = rng.random((trials, n)) < get("turnout")
    return r, takes_part


def passes(point, state, share, trials, rng):
    """Whether the vote on ``share`` (the state's own share) passes, per trial, before reverberation."""
    r, takes_part = reservations(point, state, trials, rng)
    yes = ((share + point[f"side_{state}"] >= r) & takes_part).sum(axis=1)
    participants = takes_part.sum(axis=1)
    return (participants > 0) & (yes >= point[f"quota_{state}"] * participants - 1e-9)


def pivotal(point, state, trials, rng):
    """The realised pivotal threshold R per trial (inf when nobody takes part)."""
    r, takes_part = reservations(point, state, trials, rng)
    r = np.where(takes_part, r, np.inf)
    m = takes_part.sum(axis=1)
    k = np.maximum(np.ceil(point[f"quota_{state}"] * m - 1e-9), 1).astype(int)
    ordered = np.sort(r, axis=1)
    return np.where(m > 0, ordered[np.arange(trials), np.minimum(k, r.shape[1]) - 1], np.inf)


def simulate_incomplete(point, x, trials, seed):
    """The one-round model under incomplete information (no poll), where the offer ``x``
    (a's share) is the same in every trial: each output's (events, denominator)."""
    rng = np.random.default_rng(seed)
    floors = []
    for state in ("a", "b"):
        r = pivotal(point, state, trials, rng)
        reverb = point[f"reverb_{state}"]
        if reverb > 0:
            r = r + np.where(rng.random(trials) < point[f"backlash_{state}"], reverb, -reverb)
        floors.append(r - point[f"side_{state}"])
    floor_a, cap_b = floors[0], 1 - floors[1]
    yes_a, yes_b = x >= floor_a, x <= cap_b
    ratified = yes_a & yes_b
    return {
        "p_ratified": (ratified.sum(), trials),
        "p_fail_a": ((~yes_a).sum(), trials),
        "p_fail_b": ((~yes_b).sum(), trials),
        "p_overlap": ((floor_a <= cap_b).sum(), trials),
        "mean_winset_a": (np.clip(1 - floor_a, 0, 1).sum(), trials),
    }


def prior_cdf(point, state, r):
    """P(R <= r) for the pivotal threshold before reverberation, by scipy's binomial tails and a
    dense matrix of shock CDFs over 1,600 midpoint cells of the pivot (slow, and independent of
    the model's recurrence, prefix sums and lattice)."""
    from scipy import stats

    get = lambda k: point[f"{k}_{state}"]
    n, mu, shock, spread, turnout, quota = (get(k) for k in ("n", "mu", "shock", "spread", "turnout", "quota"))
    weights = stats.binom.pmf(np.arange(n + 1), n, turnout) if turnout < 1 else np.eye(n + 1)[n]

    def pivot(z):
        p = stats.norm.cdf(z)
        ranks = lambda m: max(int(np.ceil(quota * m - 1e-9)), 1)
        return sum(weights[m] * stats.binom.sf(ranks(m) - 1, m, p) for m in range(1, n + 1) if weights[m] > 0)

    def shocked(e):
        if point["shock_dist"] == "normal":
            return stats.norm.cdf(e / shock)
        return np.clip((e + shock) / (2 * shock), 0.0, 1.0)

    r = np.asarray(r, dtype=float)
    if spread == 0:
        return (1 - weights[0]) * (r >= mu if shock == 0 else shocked(r - mu))
    if shock == 0:
        return pivot((r - mu) / spread)
    edges = np.linspace(-9.0, 9.0, 1601)
    middles = (edges[1:] + edges[:-1]) / 2
    return shocked(r[:, None] - mu - spread * middles) @ np.diff(pivot(edges))
