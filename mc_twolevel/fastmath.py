"""A vectorisable ``exp`` for blocks of draws.

``math.exp`` costs about 4 ns a call here and does not vectorise (no SVML with
the PyPI llvmlite). :func:`exp_block` computes ``exp`` over an array with a
branch-free reduction ``x = k ln2 + r`` (k found with the 1.5 * 2^52 shifter),
a degree-13 Taylor polynomial for ``exp(r)`` on ``|r| <= ln2 / 2`` (truncation
error below 5e-18, relative), and ``2^k`` assembled from exponent bits, so LLVM
vectorises each loop (with FMA contraction): under 1 ns an element. Arguments
are clamped to [-708, 709]; the result is within 2 ulp of ``numpy.exp``.
"""

import numba
import numpy as np

_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 to 32 bits, so k * _LN2_HI is exact
_LN2_LO = 1.9082149292705877e-10
_SHIFT = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer in the low bits
_SHIFT_BITS = np.float64(_SHIFT).view(np.int64)
_INV_FACTORIALS = tuple(1.0 / np.prod(np.arange(1, k + 1, dtype=np.float64)) for k in range(14))


@numba.njit(fastmath={"contract"})
def _reduced(x):
    """``(exp(r), x / ln2 + shifter)`` for ``x = k ln2 + r``: the polynomial and the shifted k."""
    x = min(max(x, -708.0), 709.0)
    shifted = x * _LOG2E + _SHIFT
    k = shifted - _SHIFT
    r = (x - k * _LN2_HI) - k * _LN2_LO
    c = _INV_FACTORIALS
    p = c[13]
    for j in range(12, -1, -1):
        p = p * r + c[j]
    return p, shifted


@numba.njit
def _scale_by_powers_of_two(out, bits, n):
    """``out[i] *= 2^k[i]`` where ``bits`` holds the shifted k's as doubles (``_reduced``)."""
    for i in range(n):
        bits[i] = (bits[i] - _SHIFT_BITS + 1023) << 52
    powers = bits.view(np.float64)
    for i in range(n):
        out[i] *= powers[i]


@numba.njit(fastmath={"contract"})
def exp_block(x, out, bits, n):
    """``out[:n] = exp(x[:n])``; ``bits`` (int64, length >= n) is scratch."""
    shifted = bits.view(np.float64)
    for i in range(n):
        out[i], shifted[i] = _reduced(x[i])
    _scale_by_powers_of_two(out, bits, n)


@numba.njit(fastmath={"contract"})
def exp_affine_block(z, shift, scale, out, bits, n):
    """``out[:n] = exp(shift + scale z[:n])`` (lognormal draws from normal ones)."""
    shifted = bits.view(np.float64)
    for i in range(n):
        out[i], shifted[i] = _reduced(shift + scale * z[i])
    _scale_by_powers_of_two(out, bits, n)


@numba.njit(fastmath={"contract"})
def grow_block(start, z, fast, rate_fast, rate_slow, scale, out, bits, n):
    """``out[:n] = start exp(rate + scale z)``, ``rate = rate_fast`` where ``fast`` else
    ``rate_slow`` (geometric Brownian motion over one step, rates per element)."""
    shifted = bits.view(np.float64)
    for i in range(n):
        out[i], shifted[i] = _reduced((rate_fast if fast[i] else rate_slow) + scale * z[i])
    _scale_by_powers_of_two(out, bits, n)
    for i in range(n):
        out[i] *= start[i]
