"""The generator against a pure-Python xoshiro256**, and the ziggurat against N(0, 1)."""

import numba
import numpy as np
from scipy import special, stats

from mc_twolevel import rng

MASK = (1 << 64) - 1


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


def xoshiro_step(s):
    """One step of xoshiro256** as published by Blackman and Vigna, on a list of four
    Python integers (updated in place); returns the output word."""
    result = _rotl((s[1] * 5) & MASK, 7) * 9 & MASK
    t = (s[1] << 17) & MASK
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return result


def xoshiro_reference(words, count):
    """xoshiro256** as published by Blackman and Vigna, in Python integers."""
    s = [int(w) for w in words]
    return [xoshiro_step(s) for _ in range(count)]


def test_generator_matches_the_reference_bit_for_bit():
    state = rng.stream_state(2026, (3, 4))
    words = state.view(np.uint64).copy()
    out = np.empty(1000, dtype=np.uint64)
    rng.fill_u64(state, out)
    assert [int(x) for x in out] == xoshiro_reference(words, 1000)


def test_stream_depends_only_on_seed_and_key():
    a, b, c = rng.stream_state(1, (0, 5)), rng.stream_state(1, (0, 5)), rng.stream_state(1, (5, 0))
    assert a.tobytes() == b.tobytes() != c.tobytes()
    assert a.tobytes() != rng.stream_state(2, (0, 5)).tobytes()


def test_normal_draws_are_standard_normal():
    out = np.empty(2_000_000)
    rng.fill_normal(rng.stream_state(7, (0,)), out)
    n = out.size
    assert abs(out.mean()) < 5 / np.sqrt(n)
    assert abs(out.var() - 1) < 5 * np.sqrt(2 / n)
    assert stats.kstest(out, "norm").pvalue > 1e-4
    # the tail beyond the ziggurat's base (x > 3.654) is drawn by a separate branch
    tail = 2 * stats.norm.sf(3.6541528853610088)
    observed = np.mean(np.abs(out) > 3.6541528853610088)
    assert abs(observed - tail) < 5 * np.sqrt(tail / n)
    assert (
        stats.kstest(
            np.abs(out[np.abs(out) > 3.6541528853610088]) - 3.6541528853610088,
            lambda x: 1 - stats.norm.sf(3.6541528853610088 + x) / stats.norm.sf(3.6541528853610088),
        ).pvalue
        > 1e-4
    )


def test_uniform_draws_are_uniform():
    out = np.empty(1_000_000)
    rng.fill_uniform(rng.stream_state(8, (0,)), out)
    assert out.min() >= 0 and out.max() < 1
    assert stats.kstest(out, "uniform").pvalue > 1e-4


@numba.njit
def _quantiles(p):
    out = np.empty_like(p)
    for i in range(p.size):
        out[i] = rng.normal_quantile(p[i])
    return out


def test_normal_quantile_matches_scipy():
    p = np.concatenate([np.logspace(-300, -1, 300), np.linspace(0.01, 0.99, 999), 1 - np.logspace(-12, -1, 200)])
    exact = special.ndtri(p)
    assert np.max(np.abs(_quantiles(p) - exact) / np.maximum(1, np.abs(exact))) < 1e-13


def test_block_fills_continue_the_same_stream_as_single_draws():
    one, block = rng.stream_state(4, (1, 2)), rng.stream_state(4, (1, 2))
    singles, blocks = np.empty(10_000), np.empty(10_000)
    rng.fill_normal(one, singles)
    rng.fill_normal_blocks(block, blocks, 1)
    assert np.array_equal(singles, blocks)  # including the draws that take the slow path
    assert one.tobytes() == block.tobytes()


def test_jump_matches_the_reference_jump_polynomial():
    # Blackman and Vigna's xoshiro256** jump, written out in plain Python integers
    state = rng.stream_state(11, (3, 4))
    words = [int(w) for w in state.view(np.uint64)]
    jumped = [0, 0, 0, 0]
    for word in (0x180EC6D33CFD0ABA, 0xD5A61266F0C9392C, 0xA9582618E03FC9AA, 0x39ABDC4529B1661C):
        for bit in range(64):
            if word >> bit & 1:
                jumped = [a ^ b for a, b in zip(jumped, words)]
            xoshiro_step(words)
    streams = rng.stream_state(11, (3, 4), count=3)
    assert [int(w) for w in streams[:1].view(np.uint64)] == [int(w) for w in state.view(np.uint64)]
    assert [int(w) for w in streams[1:2].view(np.uint64)] == jumped
