"""Lane-parallel random streams: L xoshiro256** generators per chunk, stepped together.

:mod:`mc_twolevel.rng` gives every chunk one xoshiro256** stream and draws
normals one at a time (a scalar ziggurat, 2-4 ns a draw). Here a chunk's
stream is L independent xoshiro256** generators ("lanes", L = 8 by default)
advanced in lock step, one SIMD vector per state word, and normals come from a
branch-free Box-Muller transform that LLVM vectorises. Both are filled a block
at a time.

State
    ``lane_state(seed, key, count=1, lanes=8)`` returns a record array of
    ``count`` substreams whose field ``s`` is a ``(4, L)`` uint64 array:
    ``s[w, j]`` is word ``w`` of lane ``j``. The words come from
    ``numpy.random.SeedSequence(seed, spawn_key=key).generate_state(4 + 4 L
    count, numpy.uint64)``: the first four words are skipped (they are
    :func:`mc_twolevel.rng.stream_state`'s, so no lane repeats the scalar
    stream of the same key) and lane ``j`` of substream ``k`` takes words ``4 +
    4 (k L + j) .. + 3`` as its ``s0 .. s3``. A SeedSequence's output is a
    prefix of any longer request's, so substream 0 is the same for every
    ``count``, and a kernel that adds a substream leaves the others' draws
    unchanged. A lane whose four words are all zero (xoshiro's one forbidden
    state, probability 2**-256) gets ``s0 = 1``. Kernels take ``s =
    states[k]`` and pass the record, as with :mod:`~mc_twolevel.rng`; the lane
    count is part of the record's type, so every function here compiles once
    per L.

Independence of lanes and substreams
    Every lane of every substream of every chunk starts at its own 256-bit
    state from SeedSequence's hash (not at jumps of one stream, as
    :func:`mc_twolevel.rng.stream_state`'s substreams do). Two of ``N`` lanes
    drawing at most ``M`` words each overlap with probability at most ``N**2 M
    / 2**256`` (the period is 2**256 - 1): for 1e12 lanes of 2**50 words, below
    2**-126. The tests check that the lanes of all substreams are distinct
    xoshiro256** streams from the documented words and that neighbouring
    substreams' outputs are uncorrelated.

Rounds
    A round advances every lane by one step and yields L 64-bit words, word
    ``j`` from lane ``j``. ``uniforms_into(s, out, n)`` and
    ``normals_into(s, out, n)`` always consume whole rounds: ``ceil(n / L)`` of
    them, discarding the surplus of the last. So a stream's position depends
    only on the sequence of ``n`` requested (deterministic), ``out[:n]`` is the
    first ``n`` values of a call for ``n`` rounded up to a multiple of L, and
    filling ``a`` then ``b`` values equals filling ``a + b`` at once whenever
    ``a`` is a multiple of L. A ragged last round goes through a small
    temporary array (one allocation); multiples of L are the fast path.

Uniforms
    ``out[r L + j]`` is ``(w >> 11) * 2**-53`` for word ``w`` of lane ``j`` in
    round ``r``: 53 random bits in [0, 1), as :func:`mc_twolevel.rng.uniform`.

Normals (Box-Muller, exact in distribution)
    The words ``w1, w2`` at positions ``2m, 2m + 1`` of a round (lanes ``2m mod
    L`` and ``2m + 1 mod L``) give ``out[2m], out[2m + 1]``: a radius ``R =
    sqrt(-2 ln u)`` with ``u = (w1 | 1) 2**-64`` in (0, 1] (all 64 bits: ``u``
    resolves 2**-64 and ``R`` reaches 9.4, so the tails are the normal's own to
    well beyond 8 sigma), times a point uniform on the unit circle from ``w2``:
    ``(cos x, sin x)`` for ``x`` uniform on [-pi/4, pi/4) (bits 60..8),
    swapped to ``(sin x, cos x)`` if bit 61 is set (together: an arc of half
    the circle), and each coordinate's sign flipped by bits 63 and 62 (the four
    reflections of that arc cover the circle exactly twice, so the angle is
    uniform). ``ln``, ``sin`` and ``cos`` are computed here without branches or
    tables (fdlibm's polynomials, exponent bits; see :func:`minus_two_log`), so
    the loop vectorises; each is within 2 units in the last place (tested).
    Multiply-adds are fused where LLVM sees fit (FMA contraction, about 10%
    faster): on one machine the vectorised loop and its scalar remainder give
    the same bits (tested), but bit-identity across CPUs or numba versions is
    not promised, only the distribution and the accuracy above.

Vectorisation
    numba runs LLVM without the SLP vectoriser and fully unrolls short
    constant-trip loops before the loop vectoriser sees them, so a loop over 8
    lanes written in Python comes out scalar. The xoshiro round is therefore
    written directly as LLVM vector IR (``<L x i64>``, one vector per state
    word, kept in registers across the rounds of a call; see
    :func:`_rounds_into`), and the transforms to uniforms and normals are long
    flat loops over the block that LLVM's loop vectoriser handles (AVX-512 or
    AVX2, whichever the machine has).
"""

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

LANES = 8

_U = np.uint64
_TO_DOUBLE = 1.0 / 9007199254740992.0  # 2**-53
_HALF_PI_2M53 = (math.pi / 2.0) * 2.0**-53  # a 53-bit signed integer to [-pi/4, pi/4)


def state_dtype(lanes=LANES):
    """The record of an L-lane state: one field ``s``, a (4, L) uint64 array."""
    return np.dtype([("s", np.uint64, (4, lanes))])


def lane_state(seed, key, count=1, lanes=LANES):
    """The L-lane generator states of chunk ``key``: a record array whose element ``k`` is
    substream ``k`` (``count`` of them; element 0 is the chunk's main stream).

    Substream ``k``'s lane ``j`` takes words ``4 + 4 (k L + j) ..`` of the chunk's
    SeedSequence output (so element 0 is the same whatever ``count``)."""
    lanes, count = int(lanes), int(count)
    if lanes < 2 or lanes % 2:
        raise ValueError(f"lanes must be even and at least 2, not {lanes}")
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    sequence = np.random.SeedSequence(seed, spawn_key=tuple(int(k) for k in key))
    words = sequence.generate_state(4 + 4 * lanes * count, np.uint64)
    per_lane = words[4:].reshape(count, lanes, 4).copy()  # [k, j]: s0..s3 of lane j of substream k
    per_lane[~per_lane.any(axis=2), 0] = 1  # xoshiro's one forbidden state; probability 2**-256
    states = np.zeros(count, dtype=state_dtype(lanes))
    states["s"] = per_lane.transpose(0, 2, 1)
    return states


def _lanes_of(record_type):
    """L, from the shape of the record's ``s`` field (a compile-time constant)."""
    field = record_type.typeof("s")
    if not (isinstance(field, types.NestedArray) and field.dtype == types.uint64 and len(field.shape) == 2
            and field.shape[0] == 4):  # fmt: skip
        raise numba.core.errors.TypingError("expected a lane state record (lanes.state_dtype)")
    return field.shape[1]


@intrinsic
def _rounds_into(typingctx, state, out, rounds):
    """Run ``rounds`` xoshiro256** rounds of the lane state record ``state``, storing
    round ``r``'s L 64-bit words (word j from lane j) as raw bits at
    ``out[r L : (r + 1) L]`` (a contiguous float64 array, whose elements then
    hold raw bits, or a uint64 array; no bounds check).

    Written as LLVM vector IR: one ``<L x i64>`` per state word, held in
    registers for the whole call, and stored back at the end."""
    if not (isinstance(state, types.Record) and isinstance(out, types.Array) and out.ndim == 1
            and out.layout == "C" and out.dtype in (types.float64, types.uint64)):  # fmt: skip
        return None
    lanes = _lanes_of(state)
    offset = state.offset("s")

    def codegen(context, builder, signature, args):
        state_ptr, out_value, rounds_value = args
        i64 = ir.IntType(64)
        vector = ir.VectorType(i64, lanes)
        splat = lambda v: ir.Constant(vector, [v] * lanes)
        words_ptr = builder.bitcast(builder.gep(builder.bitcast(state_ptr, ir.IntType(8).as_pointer()),
                                                [ir.Constant(i64, offset)]), i64.as_pointer())  # fmt: skip

        def word_ptr(w):
            return builder.bitcast(builder.gep(words_ptr, [ir.Constant(i64, w * lanes)]), vector.as_pointer())

        cells = []
        for w in range(4):
            cell = cgutils.alloca_once(builder, vector)
            builder.store(builder.load(word_ptr(w), align=8), cell)
            cells.append(cell)
        data = builder.bitcast(context.make_array(out)(context, builder, out_value).data, i64.as_pointer())

        def rotl(x, k):
            return builder.or_(builder.shl(x, splat(k)), builder.lshr(x, splat(64 - k)))

        with cgutils.for_range(builder, rounds_value) as loop:
            s0, s1, s2, s3 = (builder.load(cell) for cell in cells)
            result = builder.mul(rotl(builder.mul(s1, splat(5)), 7), splat(9))
            t = builder.shl(s1, splat(17))
            s2 = builder.xor(s2, s0)
            s3 = builder.xor(s3, s1)
            s1 = builder.xor(s1, s2)
            s0 = builder.xor(s0, s3)
            s2 = builder.xor(s2, t)
            s3 = rotl(s3, 45)
            for cell, value in zip(cells, (s0, s1, s2, s3)):
                builder.store(value, cell)
            position = builder.mul(loop.index, ir.Constant(i64, lanes))
            target = builder.bitcast(builder.gep(data, [position]), vector.as_pointer())
            builder.store(result, target, align=8)
        for w, cell in enumerate(cells):
            builder.store(builder.load(cell), word_ptr(w), align=8)
        return context.get_dummy_value()

    return types.none(state, out, types.intp), codegen


@intrinsic
def _bits(typingctx, x):
    """The IEEE bits of a float64, as uint64 (a register move; vectorises)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.uint64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, b):
    """The float64 whose IEEE bits are the uint64 ``b``."""
    if b != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.uint64), codegen


# -2 ln u, sin and cos follow fdlibm (Sun Microsystems, 1993: e_log.c, k_sin.c, k_cos.c),
# whose minimax coefficients are within 2**-58 of the functions on the reduced ranges,
# without the branches for arguments that cannot occur here (zero, negative, subnormal,
# infinite, NaN) and with the polynomials in the simplest FMA-friendly form, so that LLVM
# vectorises them: within 2 ulp of -2 numpy.log(u), numpy.sin and numpy.cos (tested).
_LN2_HI = 6.93147180369123816490e-01  # ln 2 to 32 bits, so k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_LG = (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
       2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
       1.479819860511658591e-01)  # fmt: skip
_S = (-1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04,
      2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10)  # fmt: skip
_C = (4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05,
      -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11)  # fmt: skip
_MANTISSA_MASK = _U(0x000FFFFFFFFFFFFF)
_ONE_BITS = _U(0x3FF0000000000000)
_IMPLICIT_BIT = _U(0x0010000000000000)
_SQRT2_COMPLEMENT = _U(0x95F619980C433)  # 2**52 minus the mantissa bits of sqrt(2)
_SIGN_BIT = _U(0x8000000000000000)
_SWAP_BIT = _U(0x2000000000000000)


@numba.njit(inline="always", error_model="numpy")
def log_of_bits(b, bias):
    """``ln(x 2**(1023 - bias))`` for the positive normal double ``x`` whose bits are ``b``
    (``bias = 1023``: ``ln x``). Branch-free, so loops over it vectorise."""
    mantissa = b & _MANTISSA_MASK
    carry = (mantissa + _SQRT2_COMPLEMENT) & _IMPLICIT_BIT  # 2**52 if the mantissa is >= sqrt(2)
    k = float(np.int64((b + carry) >> _U(52)) - bias)
    f = _from_bits(mantissa | (carry ^ _ONE_BITS)) - 1.0  # x = 2**k (1 + f), sqrt(1/2) <= 1 + f < sqrt(2)
    s = f / (2.0 + f)  # no zero check (error_model numpy): 2 + f > 1.7
    z = s * s
    w2 = z * z
    c = _LG
    t1 = w2 * (c[1] + w2 * (c[3] + w2 * c[5]))
    t2 = z * (c[0] + w2 * (c[2] + w2 * (c[4] + w2 * c[6])))
    return k * _LN2_HI + ((k * _LN2_LO + 2.0 * s) + s * (t1 + t2))  # ln(1 + f) = 2s + s R(s^2)


@numba.njit(inline="always", error_model="numpy")
def minus_two_log(w):
    """-2 ln u for the uniform ``u = (w | 1) 2**-64`` in (0, 1] of a 64-bit word ``w``
    (``u`` is ``w``'s odd neighbour rounded to a double: never 0, and all 64 bits count)."""
    return -2.0 * log_of_bits(_bits(float(w | _U(1))), 1023 + 64)


@numba.njit(inline="always")
def sin_cos(x):
    """(sin x, cos x) for |x| <= pi/4."""
    z = x * x
    S, C = _S, _C
    ps = S[0] + z * (S[1] + z * (S[2] + z * (S[3] + z * (S[4] + z * S[5]))))
    pc = C[0] + z * (C[1] + z * (C[2] + z * (C[3] + z * (C[4] + z * C[5]))))
    return x + (x * z) * ps, 1.0 + z * (-0.5 + z * pc)


@numba.njit(inline="always", error_model="numpy")
def box_muller(w1, w2):
    """Two independent standard normals from two uniform 64-bit words (see the module doc)."""
    radius = math.sqrt(minus_two_log(w1))
    offset = float(np.int64(w2 << _U(3)) >> np.int64(11)) * _HALF_PI_2M53  # bits 60..8: [-pi/4, pi/4)
    s, c = sin_cos(offset)
    swap = (w2 & _SWAP_BIT) != 0  # bit 61
    a = s if swap else c
    b = c if swap else s
    z1 = _from_bits(_bits(radius * a) ^ (w2 & _SIGN_BIT))  # sign: bit 63
    z2 = _from_bits(_bits(radius * b) ^ ((w2 << _U(1)) & _SIGN_BIT))  # sign: bit 62
    return z1, z2


@numba.njit
def _to_uniforms(out, n):
    """In place: raw words (stored as float64 bits) to uniforms on [0, 1)."""
    for i in range(n):
        out[i] = float(_bits(out[i]) >> _U(11)) * _TO_DOUBLE


@numba.njit(error_model="numpy", fastmath={"contract"})
def _to_normals(out, n):
    """In place: raw words (stored as float64 bits) to normals, pair by pair (n even)."""
    for m in range(n // 2):
        out[2 * m], out[2 * m + 1] = box_muller(_bits(out[2 * m]), _bits(out[2 * m + 1]))


@numba.njit
def _lanes(s):
    return s.s.shape[1]


@numba.njit
def _whole_rounds(s, out, n):
    """Run ``n // L`` rounds into ``out`` as raw words; return how many values that is."""
    if n < 0 or n > out.shape[0]:
        raise ValueError("n must be between 0 and the length of out")
    whole = n // _lanes(s) * _lanes(s)
    _rounds_into(s, out, whole // _lanes(s))
    return whole


@numba.njit
def _copy_tail(last, out, whole, n):
    """``out[whole:n] = last[:n - whole]``, as a loop: numba's slice assignment compiles a
    shape check whose error message alone adds seconds to a cold compile."""
    for i in range(whole, n):
        out[i] = last[i - whole]


@numba.njit
def uniforms_into(s, out, n):
    """``out[:n]``: the next ``n`` uniforms on [0, 1) of lane state ``s`` (53 random bits
    each; ``ceil(n / L)`` whole rounds are consumed). ``out`` is a contiguous float64 array."""
    whole = _whole_rounds(s, out, n)
    _to_uniforms(out, whole)
    if whole < n:  # a ragged last round, through a scratch round
        last = np.empty(_lanes(s))
        _rounds_into(s, last, 1)
        _to_uniforms(last, last.size)
        _copy_tail(last, out, whole, n)


@numba.njit
def normals_into(s, out, n):
    """``out[:n]``: the next ``n`` standard normals of lane state ``s`` (Box-Muller on pairs
    of words; ``ceil(n / L)`` whole rounds are consumed). ``out`` is a contiguous float64 array."""
    whole = _whole_rounds(s, out, n)
    _to_normals(out, whole)
    if whole < n:
        last = np.empty(_lanes(s))
        _rounds_into(s, last, 1)
        _to_normals(last, last.size)
        _copy_tail(last, out, whole, n)


@numba.njit
def raw_into(s, out, n):
    """``out[:n]`` (a contiguous uint64 array): the raw 64-bit words of the next
    ``ceil(n / L)`` rounds, word ``j`` of each round from lane ``j``."""
    whole = _whole_rounds(s, out, n)
    if whole < n:
        last = np.empty(_lanes(s), dtype=np.uint64)
        _rounds_into(s, last, 1)
        _copy_tail(last, out, whole, n)


@numba.njit(nogil=True, cache=True)
def uniform_block(states, n):
    """A new array of ``n`` uniforms from ``states[0]``."""
    out = np.empty(n)
    uniforms_into(states[0], out, n)
    return out


@numba.njit(nogil=True, cache=True)
def normal_block(states, n):
    """A new array of ``n`` standard normals from ``states[0]``."""
    out = np.empty(n)
    normals_into(states[0], out, n)
    return out


@numba.njit(nogil=True, cache=True)
def fill_u64(states, out):
    """Fill the uint64 array ``out`` with raw words of ``states[0]`` (to test the lanes)."""
    raw_into(states[0], out, out.shape[0])


@numba.njit(nogil=True, cache=True)
def fill_uniform_blocks(states, out, repeats):
    """Fill ``out`` with uniforms ``repeats`` times over (the benchmark's loop)."""
    s = states[0]
    for _ in range(repeats):
        uniforms_into(s, out, out.shape[0])


@numba.njit(nogil=True, cache=True)
def fill_normal_blocks(states, out, repeats):
    """Fill ``out`` with normals ``repeats`` times over (the benchmark's loop)."""
    s = states[0]
    for _ in range(repeats):
        normals_into(s, out, out.shape[0])
