"""The multilateral model: its known answers, compliance reproduced at two states, a NumPy reference."""

import math

import numpy as np
import pytest
from conftest import assert_within, two_sample_z
from reference_multilateral import simulate as reference

import mc_twolevel as mc

RICH = {"direct": {"dist": "lognormal", "median": 1.0, "sigma": 0.5}, "oppose": {"dist": "lognormal", "median": 1.2,
        "sigma": 0.5}, "recip": {"dist": "normal", "mean": 0.4, "sd": 0.3}, "pill2": {"dist": "normal", "mean": 0.0,
        "sd": 0.3}, "gov2": {"dist": "normal", "mean": -0.1, "sd": 0.3}, "horizon": 3.0, "drift": 0.02, "vol": 0.3,
        "lockin": 0.1, "shock_rate": 0.1, "shadow": 1.0}  # fmt: skip


def _as_compliance(params, select):
    """The two-state compliance point with both states drawing from the multilateral declarations."""
    out = {k: v for k, v in params.items() if k not in ("n_states", "gamma")}
    for role in ("direct", "oppose", "recip", "pill1", "pill2", "gov1", "gov2"):
        if role in out:
            value = out.pop(role)
            out[f"{role}_h"] = out[f"{role}_f"] = value
    return out | {"select": select}


@pytest.mark.parametrize("reciprocity", ["retaliation", "assurance"])
def test_two_states_reproduce_compliance_count_for_count(reciprocity):
    params = RICH | {"reciprocity": reciprocity, "n_states": 2}
    many = mc.simulate("multilateral", params, trials=100_000, seed=5)
    top = mc.simulate("compliance", _as_compliance(params, "cooperative"), trials=100_000, seed=5)
    bottom = mc.simulate("compliance", _as_compliance(params, "noncooperative"), trials=100_000, seed=5)
    assert int(many.p_adhere_n * many.p_adhere) == int(top.p_adhere_n * top.p_adhere)
    assert float(many.p_all_top) == float(top.p_mutual)
    assert float(many.mean_share_top) == pytest.approx((float(top.p_comply_h) + float(top.p_comply_f)) / 2, abs=1e-12)
    assert float(many.mean_share_bottom) == pytest.approx(
        (float(bottom.p_comply_h) + float(bottom.p_comply_f)) / 2, abs=1e-12
    )


def test_known_answers_beyond_the_declared_ones():
    uniform = {"dist": "uniform", "low": 0.0, "high": 1.0}
    base = {"direct": uniform, "oppose": uniform, "recip": uniform, "pill1": 10.0, "pill2": 0.0, "gov1": 0.0,
            "gov2": 0.0, "horizon": 0.0, "shadow": 0.0, "reciprocity": "assurance"}  # fmt: skip
    ds = mc.simulate("multilateral", base | {"n_states": 2}, trials=400_000, seed=6)
    for k, expected in enumerate((5 / 36, 1 / 6, 25 / 36)):  # 0, 1, 2 comply at the top
        assert_within(ds.sel(complying=k), "p_complying", expected)
    # at two states phi only ever sees 0 or 1 of the other complying: gamma cannot matter
    low = mc.simulate("multilateral", RICH | {"n_states": 2, "gamma": 0.3}, trials=50_000, seed=7)
    high = mc.simulate("multilateral", RICH | {"n_states": 2, "gamma": 3.0}, trials=50_000, seed=7)
    assert float(low.p_all_top) == float(high.p_all_top) and float(low.p_unique) == float(high.p_unique)


@pytest.mark.parametrize("n_states, gamma", [(3, 1.0), (7, 0.5), (12, 2.5)])
def test_kernel_agrees_with_numpy_reference(n_states, gamma):
    params = RICH | {"n_states": n_states, "gamma": gamma, "reciprocity": "retaliation"}
    n = 100_000
    ds = mc.simulate("multilateral", params, trials=n, seed=8)
    point = mc.get_model("multilateral").params.resolve(params)
    result = reference(point, n, seed=9)
    for name in ("p_adhere", "p_all_top", "p_none_bottom", "p_unique"):
        k_ref, n_ref = result[name]
        k, m = float(ds[name] * ds[f"{name}_n"]), float(ds[f"{name}_n"])
        if min(m, n_ref) < 50:
            continue
        assert two_sample_z(k, m, k_ref, n_ref) < 5, f"{name}: kernel {k / m:.4f} vs numpy {k_ref / n_ref:.4f}"
    for name in ("mean_share_top", "mean_share_bottom"):
        total, count = result[name]
        if count >= 50:
            assert abs(float(ds[name]) - total / count) < 5 * np.sqrt(2) * float(ds[f"{name}_se"]) + 1e-9, name
    for k, (k_ref, n_ref) in enumerate(result["complying"]):  # the number complying at the largest equilibrium
        at = ds.sel(complying=k)
        m = float(at.p_complying_n)
        if min(m, n_ref) >= 50:
            z = two_sample_z(float(at.p_complying) * m, m, k_ref, n_ref)
            assert z < 5, f"p_complying[{k}]: kernel {float(at.p_complying):.4f} vs numpy {k_ref / n_ref:.4f}"


@pytest.mark.parametrize("gamma", [0.5, 2.5])
def test_without_a_shadow_retaliation_leaves_each_state_alone(gamma):
    # retaliation at shadow 0: omega = 0, so no stake and no conditional state; with J, K ~ U(0, 1) each
    # state complies iff J > K, independently: top = bottom ~ Binomial(n, 1/2) whatever gamma
    uniform = {"dist": "uniform", "low": 0.0, "high": 1.0}
    params = {"direct": uniform, "oppose": uniform, "recip": uniform, "pill1": 10.0, "pill2": 0.0, "gov1": 0.0,
              "gov2": 0.0, "horizon": 0.0, "shadow": 0.0, "reciprocity": "retaliation", "n_states": 5, "gamma": gamma}  # fmt: skip
    ds = mc.simulate("multilateral", params, trials=100_000, seed=11)
    assert_within(ds, "mean_share_top", 1 / 2, sigmas=4)
    assert_within(ds, "mean_share_bottom", 1 / 2, sigmas=4)
    assert float(ds.p_unique) == 1.0
    for k in range(6):
        assert_within(ds.sel(complying=k), "p_complying", math.comb(5, k) / 32, sigmas=4)


def test_a_thousand_states_run():
    ds = mc.simulate("multilateral", {"n_states": 1000, "pill1": 10.0}, trials=200, seed=10)
    assert ds.sizes["complying"] == 1001
    assert float(ds.p_complying.sum()) == pytest.approx(1.0)


def test_adherence_of_every_state_is_the_product_of_each_ones():
    # without a pro-law lobby a state adheres iff J + L > K: 5/6 for J, L, K ~ U(0, 1), independently
    uniform = {"dist": "uniform", "low": 0.0, "high": 1.0}
    params = {"direct": uniform, "oppose": uniform, "recip": uniform, "pill1": 0.0, "gov1": 0.0, "n_states": 3}
    ds = mc.simulate("multilateral", params, trials=100_000, seed=12)
    assert_within(ds, "p_adhere", (5 / 6) ** 3, sigmas=4)
