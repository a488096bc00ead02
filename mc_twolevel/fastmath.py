"""Vectorisable ``exp``, ``log``, ``erfc`` and the normal quantile for blocks of draws.

``math.exp`` costs about 4 ns a call here and does not vectorise (no SVML with
the PyPI llvmlite). :func:`exp_block` computes ``exp`` over an array with a
branch-free reduction ``x = k ln2 + r`` (k found with the 1.5 * 2^52 shifter),
a degree-11 polynomial for ``exp(r)`` on ``|r| <= ln2 / 2``, and ``2^k``
assembled from exponent bits, so LLVM vectorises each loop (with FMA
contraction): under 1 ns an element. The polynomial interpolates ``exp`` at the
12 Chebyshev nodes of the interval (computed in 60-digit decimals, coefficients
rounded to doubles): within 2e-17 of ``exp(r)``, relative, near the minimax
polynomial of its degree and two terms shorter than the Taylor polynomial of
the same accuracy (tested in extended precision). Arguments are clamped to
[-708, 709]; the result is within 2 ulp of ``numpy.exp``.

:func:`log_at` is fdlibm's ``log`` without its branches (the lane generator's,
:func:`mc_twolevel.lanes.log_of_bits`), for positive normal doubles.
:func:`erfc_at` is ``erfc(|x|) = exp(-x^2) erfcx(|x|)`` with ``erfcx`` a
Chebyshev series in ``y = (|x| - 4) / (|x| + 4)`` (25 terms, Clenshaw's
recurrence), and ``erfc(-|x|) = 2 - erfc(|x|)``: within 1e-14 of
``scipy.special.erfc``, relative (tested), and 0 where ``erfc < 1e-306``.
The series interpolates ``erfcx`` at 25 Chebyshev nodes, computed in 40-digit
arithmetic (mpmath); in double precision it is within 3.2e-15 of ``erfcx`` for
``0 <= x <= 27``. ``math.log`` and ``math.erfc`` cost 4-15 ns a call and do
not vectorise.

:func:`normal_quantile_central` and :func:`normal_quantile_tail` are the
standard normal quantile by Wichura's algorithm AS 241, its central region and
its tails as separate functions, each without branches, so loops over blocks of
them vectorise (a caller evaluates the central one over a block and the tail
one over the values it compacts beyond 0.425 from 1/2).
"""

import math

import numba
import numpy as np

from .lanes import _LN2_HI, _LN2_LO, _bits, _from_bits, log_of_bits

_LOG2E = 1.4426950408889634
_SHIFT = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer in the low bits
_SHIFT_BITS = np.float64(_SHIFT).view(np.int64)
# exp(r) = sum c_k r^k on |r| <= ln2 / 2: interpolation at the 12 Chebyshev nodes
EXP_COEFFICIENTS = (
    1.0, 1.0, 0.5000000000000019, 0.1666666666666668, 0.0416666666664881, 0.008333333333319601,
    0.0013888888952314775, 0.00019841269890047113, 2.4801485482328494e-05, 2.755724091857897e-06,
    2.763263963904103e-07, 2.5110037605963777e-08,
)  # fmt: skip


ERFCX_SCALE = 4.0  # erfcx(z) = sum c_k T_k(y), y = (z - 4) / (z + 4), z >= 0
ERFCX_CHEBYSHEV = (
    0.2981017936936576, -0.42908644125580536, 0.18027256568771055, -0.06523752449734899, 0.020367256576744864,
    -0.005449087066459008, 0.0012278515372606755, -0.0002246979421877305, 3.068543113098951e-05,
    -2.3178234999468535e-06, -1.4628356484727578e-07, 6.927830518748949e-08, -6.8831107633628464e-09,
    -6.858489149445451e-10, 2.459373498949669e-10, -7.814909174028007e-12, -5.889394733817972e-12,
    6.869230438539207e-13, 1.2550492581333156e-13, -2.82325094236612e-14, -2.6031648382071245e-15,
    1.0249939722175201e-15, 5.728754602069033e-17, -3.687631490639949e-17, -1.6355676640964455e-18,
)  # fmt: skip
_ERFC_UNDERFLOW = 26.5  # erfc(26.5) < 1e-306; beyond, exp(-z^2) leaves the double range


@numba.njit(fastmath={"contract"})
def _reduced(x):
    """``(exp(r), x / ln2 + shifter)`` for ``x = k ln2 + r``: the polynomial and the shifted k."""
    x = min(max(x, -708.0), 709.0)
    shifted = x * _LOG2E + _SHIFT
    k = shifted - _SHIFT
    r = (x - k * _LN2_HI) - k * _LN2_LO
    c = EXP_COEFFICIENTS
    p = c[-1]
    for j in range(len(c) - 2, -1, -1):
        p = p * r + c[j]
    return p, shifted


@numba.njit(fastmath={"contract"})
def exp_at(x):
    """exp(x), clamped to [-708, 709]: the polynomial times ``2^k`` built from exponent bits
    (the shifted k moved from float to integer bits in a register, so loops vectorise)."""
    p, shifted = _reduced(x)
    return p * _from_bits(np.uint64((np.int64(_bits(shifted)) - _SHIFT_BITS + 1023) << 52))


@numba.njit(inline="always", error_model="numpy")
def log_at(x):
    """ln x for a positive normal double ``x`` (anything else gives a meaningless number)."""
    return log_of_bits(_bits(x), 1023)


@numba.njit(fastmath={"contract"}, error_model="numpy")
def erfcx_series(z):
    """``erfc(z) exp(z^2)`` for ``z >= 0``: Clenshaw's recurrence over the Chebyshev series.
    A function of its own (not inlined by numba), so LLVM unrolls its loops before it
    inlines it into a caller's loop, which then vectorises."""
    y = (z - ERFCX_SCALE) / (z + ERFCX_SCALE)
    c = ERFCX_CHEBYSHEV
    b1 = b2 = 0.0
    for k in range(len(c) - 1, 0, -1):
        b1, b2 = 2.0 * y * b1 - b2 + c[k], b1
    return y * b1 - b2 + c[0]


@numba.njit(inline="always", fastmath={"contract"}, error_model="numpy")
def erfc_at(x):
    """erfc(x), branch-free (see the module docstring)."""
    z = abs(x)
    tail = erfcx_series(z) * exp_at(-z * z)
    tail = tail if z < _ERFC_UNDERFLOW else 0.0
    return 2.0 - tail if x < 0.0 else tail


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
