"""Per-chunk random streams for numba kernels.

Every chunk of trials owns a xoshiro256** generator (Blackman and Vigna,
"Scrambled linear pseudorandom number generators", ACM TOMS 47, 2021) whose
256-bit state comes from ``numpy.random.SeedSequence(seed, spawn_key=key)``.
A chunk's numbers therefore depend only on the study seed and the chunk's key,
never on which worker or thread ran it, nor when.

Normal deviates use the 256-layer ziggurat of Marsaglia and Tsang, "The
ziggurat method for generating random variables", J. Stat. Softw. 5 (2000),
in the 52-bit form numpy uses; its tables are built here at import time and
frozen into the compiled kernels as constants.

The state is a numpy record of four ``uint64`` words, updated in place. A
kernel takes ``state = states[0]`` from the one-element array the engine hands
it and passes that record to ``normal``/``uniform``: numba passes records by
pointer without reference counting, which keeps a normal draw near 3 ns (an
array argument costs an atomic incref/decref per call, about 13 ns).
"""

import math

import numba
import numpy as np

STATE_DTYPE = np.dtype([("s0", np.uint64), ("s1", np.uint64), ("s2", np.uint64), ("s3", np.uint64)])

_U = np.uint64
_TO_DOUBLE = 1.0 / 9007199254740992.0  # 2**-53

_ZIG_LAYERS = 256
_ZIG_R = 3.6541528853610088  # start of the tail
_ZIG_AREA = 0.00492867323399  # area of each layer


def _ziggurat_tables():
    """Layer edges ``x``, widths ``w``, acceptance bounds ``k``, densities ``f``."""
    density = lambda x: math.exp(-0.5 * x * x)
    edges = [_ZIG_R]
    for _ in range(_ZIG_LAYERS - 2):
        previous = edges[-1]
        edges.append(math.sqrt(-2.0 * math.log(density(previous) + _ZIG_AREA / previous)))
    edges.append(0.0)
    x = np.array(edges[::-1])  # x[0] = 0 (top layer) ... x[255] = R
    scale = float(1 << 52)
    width = x / scale
    width[0] = _ZIG_AREA / density(_ZIG_R) / scale  # base strip, including the tail
    bound = np.zeros(_ZIG_LAYERS, dtype=np.int64)
    bound[1:] = np.floor(x[:-1] / x[1:] * scale).astype(np.int64)
    bound[0] = np.int64(math.floor(_ZIG_R * density(_ZIG_R) / _ZIG_AREA * scale))
    fx = np.exp(-0.5 * x * x)
    return width, bound, fx


_ZIG_W, _ZIG_K, _ZIG_F = _ziggurat_tables()


def stream_state(seed, key, count=1):
    """The generator states of chunk ``key`` of a study: a record array whose element 0 is
    the chunk's stream and element k (``count > 1``) that stream jumped k x 2^128 draws
    ahead, a substream for a stage of a kernel that must leave the others' draws unchanged.
    (The caller holds the array, so the records a kernel takes from it stay valid.)"""
    words = np.random.SeedSequence(seed, spawn_key=tuple(int(k) for k in key)).generate_state(4, np.uint64)
    if not words.any():  # xoshiro's one forbidden state; probability 2**-256
        words[0] = 1
    states = np.zeros(count, dtype=STATE_DTYPE)
    states[0] = words.view(STATE_DTYPE)[0]
    if count > 1:
        _fill_substreams(states)
    return states


@numba.njit
def _rotl(x, k):
    return (x << _U(k)) | (x >> _U(64 - k))


@numba.njit
def next_u64(s):
    """Next 64 random bits from the xoshiro256** state record ``s`` (updated in place)."""
    result = _rotl(s.s1 * _U(5), 7) * _U(9)
    t = s.s1 << _U(17)
    s.s2 ^= s.s0
    s.s3 ^= s.s1
    s.s1 ^= s.s2
    s.s0 ^= s.s3
    s.s2 ^= t
    s.s3 = _rotl(s.s3, 45)
    return result


_JUMP = np.array((0x180EC6D33CFD0ABA, 0xD5A61266F0C9392C, 0xA9582618E03FC9AA, 0x39ABDC4529B1661C), dtype=np.uint64)


@numba.njit
def jump(s):
    """Advance the xoshiro256** state record ``s`` by 2^128 draws (Blackman and Vigna's jump):
    what follows is a stream that cannot overlap the one ``s`` was going to give."""
    s0 = s1 = s2 = s3 = _U(0)
    for word in _JUMP:
        for bit in range(64):
            if (word >> _U(bit)) & _U(1):
                s0 ^= s.s0
                s1 ^= s.s1
                s2 ^= s.s2
                s3 ^= s.s3
            next_u64(s)
    s.s0, s.s1, s.s2, s.s3 = s0, s1, s2, s3


@numba.njit
def _fill_substreams(states):
    for k in range(1, states.shape[0]):
        states[k] = states[k - 1]
        jump(states[k])


@numba.njit
def uniform(s):
    """A double uniform on [0, 1) with 53 random bits."""
    return float(next_u64(s) >> _U(11)) * _TO_DOUBLE


@numba.njit
def _ziggurat_draw(s):
    """One 64-bit draw split into a layer (8 bits), a sign and a 52-bit magnitude."""
    bits = np.int64(next_u64(s) >> _U(1))  # 63 bits, so signed arithmetic is exact
    layer = bits & 0xFF
    magnitude = (bits >> 9) & 0xFFFFFFFFFFFFF
    x = float(magnitude) * _ZIG_W[layer]
    if (bits >> 8) & 1:
        x = -x
    return layer, magnitude, x


@numba.njit
def _normal_slow(s, layer, magnitude, x):
    """The rare ziggurat branches: the tail (layer 0) and the wedges."""
    while True:
        if layer == 0:
            while True:
                xx = -math.log1p(-uniform(s)) / _ZIG_R
                yy = -math.log1p(-uniform(s))
                if yy + yy > xx * xx:
                    return -(_ZIG_R + xx) if (magnitude >> 8) & 1 else _ZIG_R + xx
        elif (_ZIG_F[layer - 1] - _ZIG_F[layer]) * uniform(s) + _ZIG_F[layer] < math.exp(-0.5 * x * x):
            return x
        layer, magnitude, x = _ziggurat_draw(s)
        if magnitude < _ZIG_K[layer]:
            return x


@numba.njit
def normal(s):
    """A standard normal deviate (ziggurat; one 64-bit draw 99% of the time)."""
    layer, magnitude, x = _ziggurat_draw(s)
    if magnitude >= _ZIG_K[layer]:
        x = _normal_slow(s, layer, magnitude, x)
    return x


@numba.njit
def _step(s0, s1, s2, s3):
    """One xoshiro256** step on a state held in locals: (output, new state)."""
    result = _rotl(s1 * _U(5), 7) * _U(9)
    t = s1 << _U(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    return result, s0, s1, s2, _rotl(s3, 45)


@numba.njit
def normals_into(s, out, n):
    """``out[:n]``: the next n normal deviates of stream ``s``, the same as n calls of
    :func:`normal`, with the state kept in registers between draws (about 40% faster)."""
    s0, s1, s2, s3 = s.s0, s.s1, s.s2, s.s3
    for i in range(n):
        bits, s0, s1, s2, s3 = _step(s0, s1, s2, s3)
        signed = np.int64(bits >> _U(1))
        layer = signed & 0xFF
        magnitude = (signed >> 9) & 0xFFFFFFFFFFFFF
        x = float(magnitude) * _ZIG_W[layer]
        if (signed >> 8) & 1:
            x = -x
        if magnitude >= _ZIG_K[layer]:
            s.s0, s.s1, s.s2, s.s3 = s0, s1, s2, s3
            x = _normal_slow(s, layer, magnitude, x)
            s0, s1, s2, s3 = s.s0, s.s1, s.s2, s.s3
        out[i] = x
    s.s0, s.s1, s.s2, s.s3 = s0, s1, s2, s3


@numba.njit
def uniforms_into(s, out, n):
    """``out[:n]``: the next n uniform deviates of stream ``s`` (as n calls of :func:`uniform`)."""
    s0, s1, s2, s3 = s.s0, s.s1, s.s2, s.s3
    for i in range(n):
        bits, s0, s1, s2, s3 = _step(s0, s1, s2, s3)
        out[i] = float(bits >> _U(11)) * _TO_DOUBLE
    s.s0, s.s1, s.s2, s.s3 = s0, s1, s2, s3


_ACKLAM_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
             1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)  # fmt: skip
_ACKLAM_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
             6.680131188771972e01, -1.328068155288572e01)  # fmt: skip
_ACKLAM_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
             -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)  # fmt: skip
_ACKLAM_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)


@numba.njit
def normal_quantile(p):
    """The standard normal quantile of p in (0, 1): Acklam's rational approximation
    (relative error 1.2e-9) refined by one Halley step, computed on the lower half
    (1 - p is exact for p >= 0.5) so that both tails keep full precision."""
    lower = min(p, 1.0 - p)
    a, b, c, d = _ACKLAM_A, _ACKLAM_B, _ACKLAM_C, _ACKLAM_D
    if lower < 0.02425:
        q = math.sqrt(-2.0 * math.log(lower))
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0
        )
    else:
        q = lower - 0.5
        r = q * q
        x = (
            (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
            * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0)
        )
    error = 0.5 * math.erfc(-x / math.sqrt(2.0)) - lower
    u = error * math.sqrt(2.0 * math.pi) * math.exp(0.5 * x * x)
    x = x - u / (1.0 + 0.5 * x * u)
    return x if p <= 0.5 else -x


@numba.njit(nogil=True, cache=True)
def fill_normal(states, out):
    """Fill ``out`` with standard normal deviates, one call of :func:`normal` each."""
    s = states[0]
    for i in range(out.shape[0]):
        out[i] = normal(s)


@numba.njit(nogil=True, cache=True)
def fill_normal_blocks(states, out, repeats):
    """Fill ``out`` with normal deviates ``repeats`` times over (the generator's own
    best rate: blocks that stay in cache, as kernels use them)."""
    s = states[0]
    for _ in range(repeats):
        normals_into(s, out, out.shape[0])


@numba.njit(nogil=True, cache=True)
def fill_uniform(states, out):
    """Fill ``out`` with uniform deviates on [0, 1)."""
    s = states[0]
    for i in range(out.shape[0]):
        out[i] = uniform(s)


@numba.njit(nogil=True, cache=True)
def fill_u64(states, out):
    """Fill ``out`` with raw 64-bit outputs (used to test the generator)."""
    s = states[0]
    for i in range(out.shape[0]):
        out[i] = next_u64(s)
