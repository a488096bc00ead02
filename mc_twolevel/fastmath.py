"""A vectorisable ``exp`` for blocks of draws.

``math.exp`` costs about 4 ns a call here and does not vectorise (no SVML with
the PyPI llvmlite). :func:`exp_block` computes ``exp`` over an array with a
branch-free reduction ``x = k ln2 + r`` (k found with the 1.5 * 2^52 shifter),
a degree-13 Taylor polynomial for ``exp(r)`` on ``|r| <= ln2 / 2`` (truncation
error below 5e-18, relative), and ``2^k`` assembled from exponent bits, so LLVM
vectorises each loop (with FMA contraction): under 1 ns an element. Arguments
are clamped to [-708, 709]; the result is within 2 ulp of ``numpy.exp``.

:func:`log_at` is ``ln`` in the same spirit (fdlibm's polynomial on a reduced
argument from the exponent bits, within 2 ulp), and :func:`normal_quantile_at`
the standard normal quantile by Wichura's algorithm AS 241 (its central region
and its tails as separate functions, each without branches), so loops over
blocks of either vectorise.
"""

import math

import numba
import numpy as np

from .lanes import _IMPLICIT_BIT, _LG, _MANTISSA_MASK, _ONE_BITS, _SQRT2_COMPLEMENT, _bits, _from_bits

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


@numba.njit(fastmath={"contract"})
def exp_at(x):
    """exp(x), clamped to [-708, 709]: the polynomial times ``2^k`` built from exponent bits
    (the shifted k moved from float to integer bits in a register, so loops vectorise)."""
    p, shifted = _reduced(x)
    return p * _from_bits(np.uint64((np.int64(_bits(shifted)) - _SHIFT_BITS + 1023) << 52))


@numba.njit(fastmath={"contract"})
def exp_block(x, out, n):
    """``out[:n] = exp(x[:n])``."""
    for i in range(n):
        out[i] = exp_at(x[i])


@numba.njit(fastmath={"contract"})
def exp_affine_block(z, shift, scale, out, n):
    """``out[:n] = exp(shift + scale z[:n])`` (lognormal draws from normal ones)."""
    for i in range(n):
        out[i] = exp_at(shift + scale * z[i])


@numba.njit(fastmath={"contract"})
def grow_log_block(log_start, z, fast, rate_fast, rate_slow, scale, out, n):
    """``out[:n] = exp(log_start + rate + scale z)``: :func:`grow_block` from a logarithm."""
    for i in range(n):
        out[i] = exp_at(log_start[i] + (rate_fast if fast[i] else rate_slow) + scale * z[i])


@numba.njit(fastmath={"contract"})
def grow_block(start, z, fast, rate_fast, rate_slow, scale, out, n):
    """``out[:n] = start exp(rate + scale z)``, ``rate = rate_fast`` where ``fast`` else
    ``rate_slow`` (geometric Brownian motion over one step, rates per element)."""
    for i in range(n):
        out[i] = start[i] * exp_at((rate_fast if fast[i] else rate_slow) + scale * z[i])


_SMALLEST_NORMAL = 2.2250738585072014e-308


@numba.njit(inline="always", fastmath={"contract"}, error_model="numpy")
def log_at(x):
    """ln x for x > 0 (x below the smallest normal double is taken as it, ln = -708.4):
    ``x = 2^k (1 + f)`` with ``sqrt(1/2) <= 1 + f < sqrt(2)`` from the bits, and
    ``ln(1 + f) = 2 s + s R(s^2)``, ``s = f / (2 + f)``, fdlibm's minimax ``R`` (e_log.c)."""
    b = _bits(max(x, _SMALLEST_NORMAL))
    mantissa = b & _MANTISSA_MASK
    carry = (mantissa + _SQRT2_COMPLEMENT) & _IMPLICIT_BIT  # 2**52 if the mantissa is >= sqrt(2)
    k = float(np.int64((b + carry) >> np.uint64(52)) - 1023)
    f = _from_bits(mantissa | (carry ^ _ONE_BITS)) - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    c = _LG
    t1 = w * (c[1] + w * (c[3] + w * c[5]))
    t2 = z * (c[0] + w * (c[2] + w * (c[4] + w * c[6])))
    return k * _LN2_HI + ((k * _LN2_LO + 2.0 * s) + s * (t1 + t2))


# Wichura, "Algorithm AS 241: the percentage points of the normal distribution", Applied
# Statistics 37 (1988), PPND16: relative error about 1e-16.
_AS241_A = (3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
            45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727)  # fmt: skip
_AS241_B = (1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867,
            39307.89580009271061, 28729.085735721942674, 5226.495278852854561)  # fmt: skip
_AS241_C = (1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
            1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4)  # fmt: skip
_AS241_D = (1.0, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459,
            0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9)  # fmt: skip
_AS241_E = (6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123,
            0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7)  # fmt: skip
_AS241_F = (1.0, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525,
            7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15)  # fmt: skip


@numba.njit(inline="always", fastmath={"contract"})
def _ratio(c, d, x):
    """The rational function sum c_i x^i / sum d_i x^i of degree 7 (Horner)."""
    numerator, denominator = c[7], d[7]
    for i in range(6, -1, -1):
        numerator = numerator * x + c[i]
        denominator = denominator * x + d[i]
    return numerator / denominator


@numba.njit(inline="always", fastmath={"contract"})
def normal_quantile_central(centred):
    """The standard normal quantile of ``p = 1/2 + centred`` for ``|centred| <= 0.425``."""
    return centred * _ratio(_AS241_A, _AS241_B, 0.180625 - centred * centred)


@numba.njit(inline="always", fastmath={"contract"}, error_model="numpy")
def normal_quantile_tail(tail):
    """The standard normal quantile of ``tail <= 0.075`` (negative): AS 241's rational functions
    of ``r = sqrt(-ln tail)``, up to 5 or beyond, both evaluated and one selected."""
    r = math.sqrt(-log_at(tail))
    near = _ratio(_AS241_C, _AS241_D, r - 1.6)
    far = _ratio(_AS241_E, _AS241_F, r - 5.0)
    return -(near if r <= 5.0 else far)


@numba.njit(inline="always", fastmath={"contract"}, error_model="numpy")
def normal_quantile_at(centred, tail):
    """The standard normal quantile of ``p``, given ``centred = p - 1/2`` and ``tail = min(p,
    1 - p)`` (each computed where it is exact, so both tails keep full precision): all
    three of AS 241's regions evaluated and one selected. Where most values are central,
    :func:`normal_quantile_central` over all and :func:`normal_quantile_tail` over the
    rest, compacted, cost less."""
    outer = normal_quantile_tail(tail)
    return normal_quantile_central(centred) if abs(centred) <= 0.425 else (outer if centred < 0.0 else -outer)
