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
MIN_COUNT = 30  # conditioning trials an interval needs before a precision target can count as met


def wilson(successes, n, z=Z95):
    """Wilson score interval ``(lo, hi)`` for ``successes`` out of ``n`` (arrays).

    The bounds are clipped to [0, p] and [p, 1]: rounding would otherwise put the
    upper bound a hair below p = 1 at ``successes == n`` (and the lower above 0).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        p = successes / n
        z2n = z * z / n
        centre = (p + z2n / 2) / (1 + z2n)
        half = z * np.sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n)
        return np.clip(centre - half, 0, p), np.clip(centre + half, p, 1)


def _given(spec, totals, trials, layout):
    if spec.given is None:
        n = trials
    else:
        n = totals[..., layout.columns(spec.given)]
        if spec.dim is not None and layout.width[spec.given] == len(spec.dim):
            return n  # a count per label (a hazard's trials at risk)
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


def _undefined(spec, values, scope):
    """NaN (and count 0) where the output does not apply at a row's point, or where a vector
    output's entries lie beyond the extent that point uses."""
    outside = None if scope is None else scope.outside(spec)
    if outside is None:
        return values
    return tuple(np.where(outside, 0 if k == len(values) - 1 else np.nan, v) for k, v in enumerate(values))


def estimate(model, totals, trials, scope=None):
    """``{output: (value, se, lo, hi, n)}`` for counters ``totals[..., counter]``.

    ``trials`` holds the number of trials behind each row of ``totals``; a vector
    output's arrays carry its own dimension last. With the rows' ``scope``
    (:meth:`Model.scope`), outputs are NaN where they do not apply and beyond the
    extent of a row's point along their dimension.
    """
    totals = np.asarray(totals, dtype=np.float64)
    trials = np.asarray(trials, dtype=np.float64)
    return {
        spec.name: _undefined(
            spec,
            (_mean if isinstance(spec, Mean) else _probability)(spec, totals, trials, model.layout),
            scope,
        )
        for spec in model.outputs
    }


def half_widths(model, estimates, scope):
    """The largest 95% half-width over the outputs, per point.

    An output that rests on fewer than ``MIN_COUNT`` conditioning trials where it
    applies counts as infinitely wide: its interval is not yet to be trusted, so
    more trials are needed. Outputs that do not apply at a point, and entries of
    a vector output beyond its extent, do not count.
    """
    widths = []
    for spec in model.outputs:
        _, _, lo, hi, n = estimates[spec.name]
        width = np.where(np.isnan(hi - lo) | (n < MIN_COUNT), np.inf, (hi - lo) / 2)
        outside = scope.outside(spec)
        if outside is not None:
            width = np.where(outside, 0.0, width)
        if spec.dim is not None:
            width = width.max(axis=-1)
        widths.append(width)
    return np.max(np.stack(widths), axis=0)
