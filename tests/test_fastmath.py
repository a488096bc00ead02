"""The vectorised exponentials, logarithm, erfc and normal quantile against numpy and scipy."""

import numba
import numpy as np
from scipy import special
from scipy.special import erfc

from mc_twolevel.fastmath import (
    EXP_COEFFICIENTS,
    erfc_at,
    exp_affine_block,
    exp_block,
    grow_block,
    log_at,
    normal_quantile_central,
    normal_quantile_tail,
)

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


def test_the_polynomial_is_within_2e_17_of_exp_on_the_reduced_range():
    """The truncation error alone, evaluated in extended precision (x87 80-bit): far below
    the rounding of a double, so the ulp error above is the arithmetic's."""
    r = np.linspace(-np.log(2) / 2, np.log(2) / 2, 100_001).astype(np.longdouble)
    p = np.zeros_like(r)
    for c in reversed(EXP_COEFFICIENTS):
        p = p * r + np.longdouble(c)
    assert float(np.max(np.abs(p / np.exp(r) - 1))) < 2e-17


@numba.njit
def _logs(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = log_at(x[i])
    return out


def test_log_is_within_two_ulp_of_numpy_over_the_normal_doubles():
    rng = np.random.default_rng(3)
    x = np.concatenate([np.exp(rng.uniform(-708, 709, 200_000)), rng.uniform(0.5, 2.0, 200_000),
                        [np.finfo(float).tiny, 1.0, np.nextafter(1.0, 2.0), np.sqrt(2.0), np.finfo(float).max]])  # fmt: skip
    got, want = _logs(x), np.log(x)
    spacing = np.spacing(np.abs(want))
    assert np.max(np.abs(got - want) / spacing) <= 2.0


@numba.njit(error_model="numpy", fastmath={"contract"})
def _erfcs(x):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = erfc_at(x[i])
    return out


def test_erfc_is_within_1e_14_of_scipy_and_exact_at_the_ends():
    x = np.concatenate([np.linspace(-9.0, 26.4, 400_001), np.random.default_rng(4).normal(0.0, 3.0, 100_000)])
    got = _erfcs(x)
    want = erfc(x)
    assert np.max(np.abs(got / want - 1)) < 1e-14
    ends = np.array([-np.inf, -30.0, 0.0, 26.6, 40.0, np.inf])
    assert list(_erfcs(ends)) == [2.0, 2.0, 1.0, 0.0, 0.0, 0.0]  # erfc(26.6) < 1e-307: returned as 0


def test_normal_quantile_matches_scipy_in_all_three_regions_and_both_tails():
    rng = np.random.default_rng(4)
    tail = np.concatenate([rng.uniform(0.0, 0.5, 100_000), np.exp(rng.uniform(-700.0, np.log(0.075), 100_000))])
    expected = special.ndtri(tail)
    for centred, sign in ((tail - 0.5, 1.0), (0.5 - tail, -1.0)):  # p = tail, then p = 1 - tail
        out = np.empty_like(tail)
        _quantiles(centred, tail, out)
        assert np.max(np.abs(out - sign * expected) / np.abs(expected).clip(1e-3)) < 2e-15


@numba.njit(fastmath={"contract"}, error_model="numpy")
def _quantiles(centred, tail, out):
    """AS 241 whole, as its callers select its regions: the central one within 0.425 of 1/2."""
    for i in range(centred.size):
        outer = normal_quantile_tail(tail[i])
        out[i] = normal_quantile_central(centred[i]) if abs(centred[i]) <= 0.425 else np.copysign(outer, centred[i])
