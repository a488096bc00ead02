"""A plain-NumPy Level II vote (models.md section 1), for testing the ratification kernel.

Every constituent is drawn: reservation mu + eta + eps, turnout, and the vote
yes >= quota x participants. Shares no code with the kernel.
"""

import numpy as np


def reservations(point, state, trials, rng):
    """(trials, n) reservation shares and a (trials, n) mask of who takes part."""
    get = lambda k: point[f"{k}_{state}"]  # noqa: E731
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
