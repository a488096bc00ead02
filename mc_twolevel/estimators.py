"""Estimates, standard errors and 95% intervals from a kernel's counters.

Probabilities use the Wilson score interval (Wilson, "Probable inference, the
law of succession, and statistical inference", JASA 22, 1927), which stays
inside [0, 1] and behaves near 0 and 1 where the normal interval does not.
Means use the normal interval with the sample standard deviation.
An estimate whose conditioning event never happened is NaN with count 0.
"""

import numpy as np

from .model import Mean

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def wilson(successes, n, z=Z95):
    """Wilson score interval ``(lo, hi)`` for ``successes`` out of ``n`` (arrays)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p = successes / n
        z2n = z * z / n
        centre = (p + z2n / 2) / (1 + z2n)
        half = z * np.sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n)
        return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def _probability(spec, totals, trials, index):
    n = trials if spec.given is None else totals[..., index(spec.given)]
    if spec.dim is None:
        k = totals[..., index(spec.event)]
    else:  # a vector output: one count per label, over the same denominator
        k = totals[..., [index(event) for event in spec.events()]]
        n = np.broadcast_to(n[..., None], k.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        se = np.sqrt(p * (1 - p) / n)
    lo, hi = wilson(k, n)
    return p, se, lo, hi, n


def _mean(spec, totals, trials, index):
    n = trials if spec.given is None else totals[..., index(spec.given)]
    total, total_sq = totals[..., index(spec.total)], totals[..., index(spec.total_sq)]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        variance = np.maximum(total_sq / n - mean * mean, 0.0) * n / (n - 1)
        se = np.sqrt(variance / n)
    return mean, se, mean - Z95 * se, mean + Z95 * se, n


def estimate(model, totals, trials):
    """``{output: (value, se, lo, hi, n)}`` for counters ``totals[..., counter]``.

    ``trials`` holds the number of trials behind each row of ``totals``; a vector
    output's arrays carry its own dimension last.
    """
    totals = np.asarray(totals, dtype=np.float64)
    trials = np.asarray(trials, dtype=np.float64)
    index = model.counter
    return {
        spec.name: (_mean if isinstance(spec, Mean) else _probability)(spec, totals, trials, index)
        for spec in model.outputs
    }


def half_widths(model, estimates):
    """The largest 95% half-width over outputs with data, per point (NaN-free)."""
    widths = []
    for spec in model.outputs:
        _, _, lo, hi, _ = estimates[spec.name]
        width = np.where(np.isnan(hi - lo), 0.0, (hi - lo) / 2)
        widths.append(width.max(axis=-1) if spec.dim is not None else width)
    return np.max(np.stack(widths), axis=0)
