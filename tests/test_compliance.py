"""The compliance model against models.md section 2, derived answers and a NumPy reference."""

import numpy as np
import pytest
from conftest import assert_within, known_answer_params, two_sample_z
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_compliance import simulate as reference

import mc_twolevel as mc

TRIALS = 1_000_000


def test_sequential_play_removes_h_reciprocity():
    # h complies iff J > K (1/2); f then complies iff S_f(s_h) > 0: 1/2 * 5/6 + 1/2 * 1/2 = 2/3.
    ds = mc.simulate("compliance", known_answer_params(sequential=True), trials=TRIALS, seed=13)
    assert_within(ds, "p_comply_h", 1 / 2)
    assert_within(ds, "p_comply_f", 2 / 3)
    assert_within(ds, "p_mutual", 5 / 12)


def test_depth_given_forced_adherence_is_one_minus_a_quarter():
    # depth in h or f: 1 - P(J > K) P(M > N) = 3/4; two equilibria when both conditional: 1/9
    ds = mc.simulate("compliance", known_answer_params(), trials=TRIALS, seed=11)
    assert_within(ds, "p_depth", 3 / 4)
    assert_within(ds, "p_multiple", 1 / 9)


def test_adherence_without_pill_is_five_sixths():
    ds = mc.simulate("compliance", known_answer_params(pill1_h=0.0, pill1_f=0.0), trials=TRIALS, seed=14)
    assert_within(ds, "p_adhere_h", 5 / 6)
    assert_within(ds, "p_adhere", 25 / 36)


def test_no_shift_no_time_means_adherents_always_comply():
    # horizon 0, pill2 = pill1, gov2 = gov1, shadow 0: adhering means S(1) > 0, so both
    # adherents are at worst conditional and the cooperative equilibrium is mutual compliance.
    params = known_answer_params(pill1_h=0.0, pill1_f=0.0)
    ds = mc.simulate("compliance", params, trials=200_000, seed=15)
    assert float(ds.p_mutual) == 1.0
    assert int(ds.p_mutual_n) == int(ds.p_adhere_n * ds.p_adhere)


def test_without_volatility_time_only_rescales_everything():
    # vol 0 and a common drift multiply every magnitude by one factor: signs, and so the
    # known answers, are unchanged at any horizon.
    ds = mc.simulate("compliance", known_answer_params(horizon=20.0, vol=0.0, drift=0.3), trials=TRIALS, seed=16)
    assert_within(ds, "p_unconditional_h", 1 / 2)
    assert_within(ds, "p_mutual", 25 / 36)


def test_regime_shocks_make_compliance_independent_of_adherence():
    # Without shocks adherents always comply (previous test); with a revolution almost surely
    # before t2, t2 magnitudes are fresh draws and p_mutual returns to 25/36.
    params = known_answer_params(pill1_h=0.0, pill1_f=0.0, horizon=5.0, vol=0.0, shock_rate=10.0)
    ds = mc.simulate("compliance", params, trials=TRIALS, seed=17)
    assert_within(ds, "p_mutual", 25 / 36)


def test_swapping_h_and_f_swaps_the_outputs():
    params = {"direct_h": {"dist": "lognormal", "median": 1.3, "sigma": 0.6}, "recip_f": 0.9,
              "gov2_h": -0.2, "horizon": 3.0}  # fmt: skip
    swapped = {k[:-1] + {"h": "f", "f": "h"}[k[-1]]: v for k, v in params.items() if k[-2] == "_"}
    swapped["horizon"] = 3.0
    a = mc.simulate("compliance", params, trials=TRIALS, seed=18)
    b = mc.simulate("compliance", swapped, trials=TRIALS, seed=19)
    for name in ("p_adhere_h", "p_comply_h", "p_unconditional_h", "p_violator_h"):
        other = name[:-1] + "f"
        z = two_sample_z(float(a[name] * a[f"{name}_n"]), float(a[f"{name}_n"]),
                         float(b[other] * b[f"{other}_n"]), float(b[f"{other}_n"]))  # fmt: skip
        assert z < 5, f"{name} in one run and {other} in the swapped run differ by {z:.1f} se"
    assert abs(float(a.p_mutual) - float(b.p_mutual)) < 5 * np.hypot(float(a.p_mutual_se), float(b.p_mutual_se))


def _dists():
    return st.one_of(
        st.floats(0.0, 2.0).map(lambda v: round(v, 3)),
        st.builds(
            lambda m, s: {"dist": "lognormal", "median": m, "sigma": s}, st.floats(0.2, 2.0), st.floats(0.0, 1.0)
        ),
        st.builds(
            lambda lo, w: {"dist": "uniform", "low": lo, "high": lo + w}, st.floats(0.0, 1.0), st.floats(0.0, 2.0)
        ),
        st.builds(lambda m, s: {"dist": "normal", "mean": m, "sd": s}, st.floats(-0.5, 1.5), st.floats(0.0, 1.0)),
    )


def _signed(dist):
    return dist if not isinstance(dist, float) else dist - 0.5


points = st.fixed_dictionaries(
    {
        "direct_h": _dists(), "oppose_h": _dists(), "recip_f": _dists(),
        "pill2_h": _dists().map(_signed), "gov1_f": _dists().map(_signed),
        "horizon": st.sampled_from([0.0, 0.5, 4.0]), "vol": st.floats(0.0, 0.8),
        "drift": st.floats(-0.2, 0.2), "lockin": st.floats(-0.2, 0.3),
        "shock_rate": st.sampled_from([0.0, 0.1, 1.0]), "shadow": st.floats(0.0, 2.0),
        "select": st.sampled_from(["cooperative", "noncooperative"]), "sequential": st.booleans(),
    }
)  # fmt: skip


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(params=points)
def test_kernel_agrees_with_numpy_reference(params):
    n = 200_000
    ds = mc.simulate("compliance", params, trials=n, seed=21)
    point = mc.get_model("compliance").params.resolve(params)
    for name, (k_ref, n_ref) in reference(point, n, seed=22).items():
        k, m = float(ds[name] * ds[f"{name}_n"]), float(ds[f"{name}_n"])
        if m == 0 or n_ref == 0:
            assert m == n_ref == 0 or min(m, n_ref) < 50, f"{name}: conditioning counts {m} vs {n_ref}"
            continue
        z = two_sample_z(k, m, k_ref, n_ref)
        assert z < 5, f"{name}: kernel {k / m:.5f} (n={m:.0f}) vs numpy {k_ref / n_ref:.5f} (n={n_ref}), z={z:.1f}"


def test_strengths_are_refused_below_zero():
    with pytest.raises(mc.InputError, match="oppose_h"):
        mc.simulate("compliance", {"oppose_h": -0.1}, trials=10)
    with pytest.raises(mc.InputError, match="recip_f"):
        mc.simulate("compliance", {"recip_f": {"dist": "uniform", "low": -1.0, "high": 1.0}}, trials=10)


def test_anti_law_lobby_may_be_negative_and_lowers_adherence():
    base = known_answer_params(pill1_h=0.0)
    plus = mc.simulate("compliance", base, trials=300_000, seed=23)
    minus = mc.simulate("compliance", {**base, "pill1_h": -0.3}, trials=300_000, seed=24)
    assert float(plus.p_adhere_h - minus.p_adhere_h) > 5 * np.hypot(
        float(plus.p_adhere_h_se), float(minus.p_adhere_h_se)
    )
