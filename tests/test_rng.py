"""The generator against a pure-Python xoshiro256**, and the ziggurat against N(0, 1)."""

import numpy as np
from scipy import stats

from mc_twolevel import rng

MASK = (1 << 64) - 1


def xoshiro_reference(words, count):
    """xoshiro256** as published by Blackman and Vigna, in Python integers."""
    s = [int(w) for w in words]
    rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & MASK  # noqa: E731
    out = []
    for _ in range(count):
        out.append(rotl((s[1] * 5) & MASK, 7) * 9 & MASK)
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
    return out


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
    assert stats.kstest(np.abs(out[np.abs(out) > 3.6541528853610088]) - 3.6541528853610088,
                        lambda x: 1 - stats.norm.sf(3.6541528853610088 + x) / stats.norm.sf(3.6541528853610088)).pvalue > 1e-4


def test_uniform_draws_are_uniform():
    out = np.empty(1_000_000)
    rng.fill_uniform(rng.stream_state(8, (0,)), out)
    assert out.min() >= 0 and out.max() < 1
    assert stats.kstest(out, "uniform").pvalue > 1e-4
