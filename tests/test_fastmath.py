"""The vectorised exponentials against numpy."""

import numpy as np

from mc_twolevel.fastmath import exp_affine_block, exp_block, grow_block

X = np.concatenate([np.linspace(-700.0, 700.0, 100_001), np.random.default_rng(0).normal(0.0, 3.0, 100_000)])
ULP = np.finfo(float).eps


def test_exp_block_is_within_two_ulp_of_numpy():
    out, bits = np.empty_like(X), np.empty(X.size, dtype=np.int64)
    exp_block(X, out, bits, X.size)
    assert np.max(np.abs(out / np.exp(X) - 1)) < 2 * ULP


def test_exp_block_clamps_beyond_the_double_range():
    x = np.array([-800.0, 800.0])
    out, bits = np.empty(2), np.empty(2, dtype=np.int64)
    exp_block(x, out, bits, 2)
    assert abs(out[0] / np.exp(-708.0) - 1) < 2 * ULP
    assert np.isfinite(out[1]) and abs(out[1] / np.exp(709.0) - 1) < 2 * ULP


def test_affine_and_growth_forms():
    z = np.random.default_rng(1).normal(size=1000)
    start = np.random.default_rng(2).lognormal(size=1000)
    fast = z > 0
    out, bits = np.empty(1000), np.empty(1000, dtype=np.int64)
    exp_affine_block(z, 0.3, 0.5, out, bits, 1000)
    assert np.allclose(out, np.exp(0.3 + 0.5 * z), rtol=4 * ULP, atol=0)
    grow_block(start, z, fast, 0.2, -0.1, 0.4, out, bits, 1000)
    assert np.allclose(out, start * np.exp(np.where(fast, 0.2, -0.1) + 0.4 * z), rtol=4 * ULP, atol=0)


def test_only_the_first_n_elements_are_written():
    out, bits = np.full(8, -1.0), np.empty(8, dtype=np.int64)
    exp_block(np.zeros(8), out, bits, 5)
    assert list(out) == [1.0] * 5 + [-1.0] * 3
