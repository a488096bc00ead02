"""The vectorised exponential, logarithm and normal quantile against numpy and scipy."""

import numba
import numpy as np
import pytest
from scipy import special

from mc_twolevel.fastmath import exp_affine_block, exp_block, grow_block, log_at, normal_quantile_at

X = np.concatenate([np.linspace(-700.0, 700.0, 100_001), np.random.default_rng(0).normal(0.0, 3.0, 100_000)])
ULP = np.finfo(float).eps


def test_exp_block_is_within_two_ulp_of_numpy():
    out = np.empty_like(X)
    exp_block(X, out, X.size)
    assert np.max(np.abs(out / np.exp(X) - 1)) < 2 * ULP


def test_exp_block_clamps_beyond_the_double_range():
    x = np.array([-800.0, 800.0])
    out = np.empty(2)
    exp_block(x, out, 2)
    assert abs(out[0] / np.exp(-708.0) - 1) < 2 * ULP
    assert np.isfinite(out[1]) and abs(out[1] / np.exp(709.0) - 1) < 2 * ULP


def test_affine_and_growth_forms():
    z = np.random.default_rng(1).normal(size=1000)
    start = np.random.default_rng(2).lognormal(size=1000)
    fast = z > 0
    out = np.empty(1000)
    exp_affine_block(z, 0.3, 0.5, out, 1000)
    assert np.allclose(out, np.exp(0.3 + 0.5 * z), rtol=4 * ULP, atol=0)
    grow_block(start, z, fast, 0.2, -0.1, 0.4, out, 1000)
    assert np.allclose(out, start * np.exp(np.where(fast, 0.2, -0.1) + 0.4 * z), rtol=4 * ULP, atol=0)


def test_only_the_first_n_elements_are_written():
    out = np.full(8, -1.0)
    exp_block(np.zeros(8), out, 5)
    assert list(out) == [1.0] * 5 + [-1.0] * 3


def test_log_is_within_two_ulp_of_numpy():
    rng = np.random.default_rng(3)
    x = np.concatenate([np.exp(rng.uniform(-700.0, 700.0, 100_000)), rng.uniform(0.0, 2.0, 100_000),
                        1.0 + rng.uniform(-1e-6, 1e-6, 10_000), [1.0, 2.0, 0.5, np.sqrt(2.0)]])  # fmt: skip
    out = np.empty_like(x)
    _logs(x, out)
    assert np.max(np.abs(out - np.log(x)) / np.spacing(np.abs(np.log(x)))) <= 2.0
    _logs(np.array([0.0, 1e-310]), out)
    assert out[0] == out[1] == pytest.approx(np.log(np.finfo(float).tiny))


def test_normal_quantile_matches_scipy_in_all_three_regions_and_both_tails():
    rng = np.random.default_rng(4)
    tail = np.concatenate([rng.uniform(0.0, 0.5, 100_000), np.exp(rng.uniform(-700.0, np.log(0.075), 100_000))])
    expected = special.ndtri(tail)
    for centred, sign in ((tail - 0.5, 1.0), (0.5 - tail, -1.0)):  # p = tail, then p = 1 - tail
        out = np.empty_like(tail)
        _quantiles(centred, tail, out)
        assert np.max(np.abs(out - sign * expected) / np.abs(expected).clip(1e-3)) < 2e-15


@numba.njit
def _logs(x, out):
    for i in range(x.size):
        out[i] = log_at(x[i])


@numba.njit
def _quantiles(centred, tail, out):
    for i in range(centred.size):
        out[i] = normal_quantile_at(centred[i], tail[i])
