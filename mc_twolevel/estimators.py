"""Estimates, standard errors and 95% intervals from a kernel's counters.

Probabilities use the Wilson score interval (Wilson, "Probable inference, the
law of succession, and statistical inference", JASA 22, 1927), which stays
inside [0, 1] and behaves near 0 and 1 where the normal interval does not.
Means use the normal interval with the sample standard deviation.
An estimate whose conditioning event never happened is NaN with count 0, and
so is an entry of a vector output beyond the extent its point uses.
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


def _given(spec, totals, trials, layout):
    n = trials if spec.given is None else totals[..., layout.columns(spec.given)]
    return n if spec.dim is None else n[..., None]


def _probability(spec, totals, trials, layout):
    k = totals[..., layout.columns(spec.event)]
    n = np.broadcast_to(_given(spec, totals, trials, layout), k.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        se = np.sqrt(p * (1 - p) / n)
    lo, hi = wilson(k, n)
    return p, se, lo, hi, n


def _mean(spec, totals, trials, layout):
    total = totals[..., layout.columns(spec.value)]
    total_sq = totals[..., layout.columns(f"{spec.value}_sq")]
    n = np.broadcast_to(_given(spec, totals, trials, layout), total.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        variance = np.maximum(total_sq / n - mean * mean, 0.0) * n / (n - 1)
        se = np.sqrt(variance / n)
    return mean, se, mean - Z95 * se, mean + Z95 * se, n


def _beyond_extent(spec, values, extents):
    """NaN (and count 0) where a vector output's entries lie beyond its point's extent."""
    if spec.dim is None or extents is None:
        return values
    outside = np.arange(len(spec.dim)) >= np.asarray(extents[spec.dim.name])[..., None]
    return tuple(np.where(outside, 0 if k == len(values) - 1 else np.nan, v) for k, v in enumerate(values))


def estimate(model, totals, trials, extents=None):
    """``{output: (value, se, lo, hi, n)}`` for counters ``totals[..., counter]``.

    ``trials`` holds the number of trials behind each row of ``totals``; a vector
    output's arrays carry its own dimension last, NaN beyond ``extents[dim]`` (the
    labels each row's point uses; all of them when ``extents`` is None).
    """
    totals = np.asarray(totals, dtype=np.float64)
    trials = np.asarray(trials, dtype=np.float64)
    return {
        spec.name: _beyond_extent(
            spec, (_mean if isinstance(spec, Mean) else _probability)(spec, totals, trials, model.layout), extents
        )
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
