"""The compliance model against its known answers, derived answers and a NumPy reference."""

import numpy as np
import pytest
from conftest import assert_within, known_answer_params, two_sample_z
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from reference_compliance import simulate as reference

import mc_twolevel as mc

TRIALS = 1_000_000


def test_sequential_play_removes_h_reciprocity():
    # h complies iff J > K (1/2); f then complies iff S_f(s_h) > 0: 1/2 * 5/6 + 1/2 * 1/2 = 2/3.
    ds = mc.simulate(
        "compliance", known_answer_params(sequential=True, reciprocity="assurance"), trials=TRIALS, seed=13
    )
    assert_within(ds, "p_comply_h", 1 / 2)
    assert_within(ds, "p_comply_f", 2 / 3)
    assert_within(ds, "p_mutual", 5 / 12)


def test_depth_given_forced_adherence_is_one_minus_a_quarter():
    # depth in h or f: 1 - P(J > K) P(M > N) = 3/4; two equilibria when both conditional: 1/9
    ds = mc.simulate("compliance", known_answer_params(reciprocity="assurance"), trials=TRIALS, seed=11)
    assert_within(ds, "p_depth", 3 / 4)
    assert_within(ds, "p_multiple", 1 / 9)


def test_adherence_without_pill_is_five_sixths():
    ds = mc.simulate("compliance", known_answer_params(pill1_h=0.0, pill1_f=0.0), trials=TRIALS, seed=14)
    assert_within(ds, "p_adhere_h", 5 / 6)
    assert_within(ds, "p_adhere_f", 5 / 6)
    assert_within(ds, "p_adhere", 25 / 36)


def test_no_shift_no_time_means_adherents_always_comply():
    # horizon 0, pill2 = pill1, gov2 = gov1, shadow 0: adhering means S(1) > 0, so both
    # adherents are at worst conditional and the cooperative equilibrium is mutual compliance.
    params = known_answer_params(pill1_h=0.0, pill1_f=0.0, reciprocity="assurance")
    ds = mc.simulate("compliance", params, trials=200_000, seed=15)
    assert float(ds.p_mutual) == 1.0
    assert int(ds.p_mutual_n) == int(ds.p_adhere_n * ds.p_adhere)


def test_without_volatility_time_only_rescales_everything():
    # vol 0 and a common drift multiply every magnitude by one factor: signs, and so the
    # known answers, are unchanged at any horizon.
    ds = mc.simulate(
        "compliance",
        known_answer_params(horizon=20.0, vol=0.0, drift=0.3, reciprocity="assurance"),
        trials=TRIALS,
        seed=16,
    )
    assert_within(ds, "p_unconditional_h", 1 / 2)
    assert_within(ds, "p_mutual", 25 / 36)


def test_regime_shocks_make_compliance_independent_of_adherence():
    # Without shocks adherents always comply (previous test); with a revolution almost surely
    # before t2, t2 magnitudes are fresh draws and p_mutual returns to 25/36.
    params = known_answer_params(
        pill1_h=0.0, pill1_f=0.0, horizon=5.0, vol=0.0, shock_rate=10.0, reciprocity="assurance"
    )
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
        "pill2_h": _dists().map(_signed), "gov1_f": _dists().map(_signed), "gov2_f": _dists().map(_signed),
        "horizon": st.sampled_from([0.0, 0.5, 4.0]), "vol": st.floats(0.0, 0.8),
        "drift": st.floats(-0.2, 0.2), "lockin": st.floats(-0.2, 0.3),
        "shock_rate": st.sampled_from([0.0, 0.1, 1.0]), "shadow": st.floats(0.0, 2.0),
        "reciprocity": st.sampled_from(["retaliation", "assurance"]),
        "select": st.sampled_from(["cooperative", "noncooperative"]), "sequential": st.booleans(),
        "periods": st.sampled_from([1, 4]), "period_years": st.sampled_from([0.5, 2.0]),
        "known_end": st.booleans(),
    }
)  # fmt: skip


def _compare(ds, name, reference_count, reference_n, label=""):
    """The kernel's estimate of ``name`` against the reference's count, within 5 se (two samples)."""
    k, m = float(ds[name] * ds[f"{name}_n"]), float(ds[f"{name}_n"])
    if m == 0 or reference_n == 0:
        assert max(m, reference_n) < 50, f"{name}{label}: conditioning counts {m} vs {reference_n}"  # both rare
        return
    z = two_sample_z(k, m, reference_count, reference_n)
    assert z < 5, (
        f"{name}{label}: kernel {k / m:.5f} (n={m:.0f}) vs numpy {reference_count / reference_n:.5f}, z={z:.1f}"
    )


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(params=points)
def test_kernel_agrees_with_numpy_reference(params):
    n = 200_000
    ds = mc.simulate("compliance", params, trials=n, seed=21)
    point = mc.get_model("compliance").params.resolve(params)
    for name, result in reference(point, n, seed=22).items():
        if name == "mean_periods":
            total, count = result
            diff = float(ds.mean_periods) - total / count
            assert abs(diff) < 5 * float(ds.mean_periods_se) * np.sqrt(2) + 1e-12, f"mean_periods differs by {diff}"
        elif isinstance(result, list):  # along period
            for period, (k_ref, n_ref) in enumerate(result, start=1):
                _compare(ds.sel(period=period), name, k_ref, n_ref, f"[{period}]")
        else:
            _compare(ds, name, *result)


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.generate],
)  # a failure is reported as found: shrinking reruns the reference for minutes
@given(params=points, screen=st.sampled_from(["reciprocated", "alone"]))
def test_screening_agrees_with_numpy_reference(params, screen):
    # q is unbiased in both (mean_q); p_insincere carries each estimator's own O(1/inner) bias,
    # so it is compared where q is exact (test_screening_outcomes_agree_with_numpy_reference_where_q_is_exact).
    params = params | {"inner_trials": 400, "screen": screen, "periods": 1}
    n = 20_000
    ds = mc.simulate("compliance", params, trials=n, seed=31)
    point = mc.get_model("compliance").params.resolve(params)
    result = reference(point, n, seed=32)
    for state in ("h", "f"):
        total, count = result[f"mean_q_{state}"]
        if count < 50:
            continue
        se, mean = float(ds[f"mean_q_{state}_se"]), total / count
        # the reference's q is a share of 400 binary draws: its se has the kernel's part (q varies
        # over trials) and the binary part; and it cannot see a q within 1 / (400 count) of 0 or 1
        se_reference = np.sqrt(se**2 + mean * (1 - mean) / (400 * count))
        diff = float(ds[f"mean_q_{state}"]) - mean
        tolerance = 5 * np.hypot(se, se_reference) + 2 / (400 * count)
        assert abs(diff) < tolerance, (
            f"mean_q_{state}: kernel and numpy differ by {diff:.2e} (tolerance {tolerance:.2e})"
        )


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


ONE_SHOT = ("p_adhere", "p_depth", "p_comply_h", "p_comply_f", "p_mutual", "p_effective_h", "p_unconditional_f",
            "p_conditional_h", "p_multiple")  # fmt: skip
RICH = {"direct_h": {"dist": "lognormal", "median": 1.0, "sigma": 0.5}, "recip_f": {"dist": "normal", "mean": 0.4,
        "sd": 0.3}, "pill2_h": {"dist": "normal", "mean": 0.0, "sd": 0.3}, "horizon": 3.0, "vol": 0.3, "lockin": 0.1,
        "shock_rate": 0.1, "shadow": 1.0}  # fmt: skip


def test_one_period_is_the_one_shot_game_and_later_stages_leave_it_unchanged():
    one = mc.simulate("compliance", RICH, trials=100_000, seed=41)
    many = mc.simulate("compliance", RICH | {"periods": 5, "period_years": 2.0, "inner_trials": 16}, trials=100_000,
                       seed=41)  # fmt: skip
    for name in ONE_SHOT:
        assert float(one[name]) == float(many[name]), name  # bit for bit: stages 5 and 6 have their own substreams
    first = one.sel(period=1)
    assert float(first.p_survive) == float(one.p_mutual)
    assert float(first.p_hazard) == pytest.approx(1 - float(one.p_mutual), abs=1e-12)
    assert float(one.mean_periods) == float(one.p_mutual)
    assert one.sizes["period"] == 1 and many.sizes["period"] == 5
    assert np.isnan(one.p_insincere_h) and not np.isnan(many.p_insincere_h)  # screening off, on


def test_lock_in_never_strengthens_an_anti_law_lobby():
    # pill2 = -1 lost at t1 (agreement forced): J grows by e^(0.5 x 2) = e, K and pill2 stay.
    # h unconditional iff e J - 1 - K > 0: P = 1 - 1.5 / e. Were the anti-law lobby locked in, it would be -e.
    params = known_answer_params(pill2_h=-1.0, recip_h=0.0, lockin=0.5, horizon=2.0, vol=0.0)
    ds = mc.simulate("compliance", params, trials=TRIALS, seed=42)
    assert_within(ds, "p_unconditional_h", 1 - 1.5 / np.e)


def test_retaliation_with_a_long_shadow_approaches_assurance_at_none():
    from mc_twolevel.models.compliance import p_of

    far = mc.simulate("compliance", known_answer_params(shadow=100.0), trials=TRIALS, seed=43)
    assert_within(far, "p_conditional_h", p_of(100 / 101) - 1 / 2)
    assert abs(p_of(100 / 101) - 1 / 2 - 1 / 3) < 0.002  # assurance at shadow 0: 1/3


def test_effective_compliance_is_compliance_the_rule_caused():
    # assurance, shadow 0, horizon 0: h complies although J <= K only as a conditional state whose
    # partner complies: P(J <= K < J + L and f complies) = 1/3 x 5/6 (cooperative)
    ds = mc.simulate("compliance", known_answer_params(reciprocity="assurance"), trials=TRIALS, seed=44)
    assert_within(ds, "p_effective_h", 1 / 3 * 5 / 6)
    assert_within(ds, "p_depth_h", 1 / 2)


def test_nested_screening_bias_shrinks_as_one_over_inner_trials():
    # J, K lognormal with equal medians and sigma 0.5, vol 0.25 over 4 years: q = Phi(W), W ~ N(0, 1),
    # so q is uniform and P(q < 0.3) = 0.3 exactly. The estimate of q is unbiased (mean_q = 1/2 at
    # any inner_trials), but p_insincere = P(q_hat < 0.3) is biased by about 0.08 / inner_trials.
    from mc_twolevel.models.compliance import trachtman_uniform

    lognormal = {"dist": "lognormal", "median": 1.0, "sigma": 0.5}
    params = trachtman_uniform(
        **{f"{r}_{s}": v for s in "hf" for r, v in (("direct", lognormal), ("oppose", lognormal), ("recip", 0.0))},
        horizon=4.0, vol=0.25, insincere_below=0.3,
    )  # fmt: skip
    coarse = mc.simulate("compliance", params | {"inner_trials": 4}, trials=400_000, seed=45)
    fine = mc.simulate("compliance", params | {"inner_trials": 16}, trials=400_000, seed=46)
    assert_within(coarse, "mean_q_h", 0.5)
    bias_coarse, bias_fine = float(coarse.p_insincere_h) - 0.3, float(fine.p_insincere_h) - 0.3
    assert bias_coarse > 10 * float(coarse.p_insincere_h_se)  # the bias is real at 4 inner draws
    assert 2.5 < bias_coarse / bias_fine < 6.5  # and 4 times the inner draws cut it about 4 times


def test_screening_alone_under_assurance_sorts_compliance_by_sincerity():
    # assurance, shadow 0, horizon 0: q_alone = 1 iff J > K (h unconditional, 1/2), so the insincere
    # are the conditional (1/3) and the violators (1/6). A conditional h complies iff f complies
    # (unconditional or conditional, 5/6, cooperative): P(comply | insincere) = (1/3 x 5/6) / (1/2) = 5/9
    params = known_answer_params(reciprocity="assurance", screen="alone", inner_trials=8)
    ds = mc.simulate("compliance", params, trials=200_000, seed=47)
    for s in ("h", "f"):
        assert_within(ds, f"p_insincere_{s}", 1 / 2, sigmas=4)
        assert_within(ds, f"p_comply_{s}_given_insincere", 5 / 9, sigmas=4)
        assert float(ds[f"p_comply_{s}_given_sincere"]) == 1.0


@pytest.mark.parametrize(
    "oppose", [{"dist": "lognormal", "median": 1.0, "sigma": 0.6}, {"dist": "uniform", "low": 0.2, "high": 1.8}]
)
def test_mean_q_is_the_probability_of_compliance_whatever_the_dynamics(oppose):
    # The tower property: without a reciprocity lobby h complies iff S_h > 0 whatever f does, and q_h is
    # P(S_h > 0 | t1), so E[q_h] = P(comply_h) (adherence forced: both given the same trials), with lock-in
    # (a pill2 of either sign), a losing anti-law government, drift and revolutions.
    params = known_answer_params(
        direct_h={"dist": "lognormal", "median": 1.2, "sigma": 0.4}, oppose_h=oppose, recip_h=0.0, recip_f=0.0,
        pill2_h={"dist": "normal", "mean": 0.1, "sd": 0.3}, gov2_h=-0.1, horizon=3.0, drift=0.05, vol=0.3,
        lockin=0.1, shock_rate=0.2, inner_trials=16,
    )  # fmt: skip
    ds = mc.simulate("compliance", params, trials=200_000, seed=48)
    gap = float(ds.mean_q_h - ds.p_comply_h)
    # comply_h is Bernoulli(q_h) given t1, so Cov(q_h, comply_h) = Var(q_h) and the gap's variance is
    # Var(comply_h) - Var(q_h) per trial (both estimates from the same trials)
    se = np.sqrt(max(float(ds.p_comply_h_se) ** 2 - float(ds.mean_q_h_se) ** 2, 0.0)) + 1e-12
    assert abs(gap) < 4 * se, f"mean_q_h {float(ds.mean_q_h):.5f} vs p_comply_h {float(ds.p_comply_h):.5f} ({gap:.2e})"


@pytest.mark.parametrize("screen", ["reciprocated", "alone"])
@pytest.mark.parametrize("reciprocity", ["retaliation", "assurance"])
def test_screening_outcomes_agree_with_numpy_reference_where_q_is_exact(screen, reciprocity):
    # Without volatility or revolutions the t1 -> t2 path is deterministic (drift and lock-in only), so
    # q is 0 or 1 in both implementations and p_insincere and compliance given (in)sincere carry no
    # nested-estimation bias: they must agree in law.
    params = RICH | {"vol": 0.0, "shock_rate": 0.0, "drift": 0.03, "gov2_f": -0.1, "recip_h": {"dist": "uniform",
                     "low": 0.0, "high": 1.0}, "reciprocity": reciprocity, "screen": screen, "inner_trials": 4}  # fmt: skip
    n = 100_000
    ds = mc.simulate("compliance", params, trials=n, seed=49)
    point = mc.get_model("compliance").params.resolve(params)
    result = reference(point, n, seed=50)
    for state in ("h", "f"):
        for name in (f"p_insincere_{state}", f"p_comply_{state}_given_insincere", f"p_comply_{state}_given_sincere"):
            _compare(ds, name, *result[name])
        total, count = result[f"mean_q_{state}"]
        _compare(ds, f"mean_q_{state}", total, count)  # q is 0 or 1: its mean is a share
