"""The ratification model against its known answers, derived answers, a NumPy vote and invariants."""

import numba
import numpy as np
import pytest
import xarray as xr
from conftest import assert_within, two_sample_z
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_ratification import passes, pivotal, prior_cdf, simulate_incomplete
from scipy import stats

import mc_twolevel as mc
from mc_twolevel import engine, lanes
from mc_twolevel.models import ratification
from mc_twolevel.models.ratification import vote

TRIALS = 1_000_000
UNIFORM_A = {"mu_a": 0.5, "shock_a": 0.5}  # R_a ~ U[0, 1]
FREE_B = {"mu_b": 0.0, "shock_b": 0.0}  # b's constituency ratifies anything
ONE_SIDED = {**UNIFORM_A, **FREE_B, "proposer": "b"}


def run(params, trials=TRIALS, seed=1):
    return mc.simulate("ratification", params, trials=trials, seed=seed)


# The model's declared known answers are checked in test_known_answers.py.


@pytest.mark.parametrize("delta_a, delta_b", [(0.9, 0.9), (0.9, 0.5), (0.3, 0.95)])
@pytest.mark.parametrize("proposer", ["a", "b"])
def test_rubinstein_without_constraints(delta_a, delta_b, proposer):
    free = {"mu_a": 0.0, "shock_a": 0.0, **FREE_B}
    ds = run({**free, "protocol": "rubinstein", "info": "complete", "proposer": proposer,
              "delta_a": delta_a, "delta_b": delta_b}, trials=1000)  # fmt: skip
    first = (1 - delta_b) / (1 - delta_a * delta_b)
    assert float(ds.mean_share_a) == pytest.approx(first if proposer == "a" else delta_a * first, rel=1e-12)


# --- answers derived here -------------------------------------------------------------------


@pytest.mark.parametrize("w", [0.2, 0.5, 0.8])
@pytest.mark.parametrize("floor_a, floor_b", [(0.1, 0.1), (0.3, 0.6), (0.6, 0.2), (0.0, 0.0), (0.55, 0.5)])
def test_nash_under_complete_information_is_w_clipped_to_the_floors(w, floor_a, floor_b):
    fixed = {"mu_a": floor_a, "shock_a": 0.0, "mu_b": floor_b, "shock_b": 0.0}
    ds = run({**fixed, "protocol": "nash", "info": "complete", "w": w}, trials=1000)
    if floor_a + floor_b > 1:
        assert float(ds.p_breakdown) == 1.0
    else:
        assert float(ds.p_ratified) == 1.0
        assert float(ds.mean_share_a) == pytest.approx(np.clip(w, floor_a, 1 - floor_b), abs=1e-12)


def test_independent_uniform_win_sets_overlap_half_the_time():
    ds = run({**UNIFORM_A, "mu_b": 0.5, "shock_b": 0.5})
    assert_within(ds, "p_overlap", 0.5)
    assert_within(ds, "mean_winset_a", 0.5)


def test_side_payments_and_reverberation_widen_win_sets():
    # P(U1 + U2 <= 1.2) = 1 - 0.8^2 / 2 = 0.68, whether a's floor falls by side or by reverb
    base = {**UNIFORM_A, "mu_b": 0.5, "shock_b": 0.5}
    assert_within(run({**base, "side_a": 0.2}), "p_overlap", 0.68)
    assert_within(run({**base, "reverb_a": 0.2}, seed=2), "p_overlap", 0.68)
    assert_within(run({**base, "reverb_a": 0.2, "backlash_a": 1.0}, seed=3), "p_overlap", 0.32)


def test_a_veto_narrows_what_a_negotiator_signs():
    # b offers max(R_a, 0.6) under complete information: E = 0.6 * 0.6 + (1 - 0.36) / 2 = 0.68
    ds = run({**ONE_SIDED, "info": "complete", "veto_a": 0.6})
    assert_within(ds, "mean_payoff_a", 0.68)


def test_renegotiation_after_a_rejection():
    # b offers 0.5, then 0.75 after a rejection (R_a uniform on (0.5, 1]): ratified if R_a <= 0.75
    ds = run({**ONE_SIDED, "rounds": 2})
    assert_within(ds, "p_invol", 0.5)
    assert_within(ds, "p_ratified", 0.75)
    assert_within(ds, "mean_payoff_a", 0.25 + 0.9 * 0.75 * 0.25)
    assert_within(ds, "mean_payoff_b", 0.25 + 0.9 * 0.25 * 0.25)
    assert float(ds.p_strategic_no) == 0.0


def test_strategic_voting_rejects_first_offers_for_better_second_ones():
    # with delta 0.9 a ratifier with R <= 0.5 prefers 0.9 (0.75 - R) to 0.5 - R: it always says no
    ds = run({**ONE_SIDED, "rounds": 2, "strategic_vote": True})
    assert_within(ds, "p_strategic_no", 0.5)
    assert float(ds.p_invol) == 1.0
    assert_within(ds, "p_ratified", 0.75)
    assert float(ds.mean_share_a) == pytest.approx(0.75, abs=1e-3)


def test_unsupported_combinations_are_refused_by_name():
    with pytest.raises(mc.InputError, match="rubinstein.*complete"):
        run({"protocol": "rubinstein", "info": "incomplete"}, trials=10)
    with pytest.raises(mc.InputError, match="strategic_vote.*n_a = 5"):
        run({"rounds": 2, "strategic_vote": True, "n_a": 5}, trials=10)
    with pytest.raises(mc.InputError, match="rounds = 2"):
        run({"rounds": 2, "info": "complete"}, trials=10)


# --- Level II against a plain-NumPy vote -------------------------------------------------------

CONSTITUENCIES = [
    {"n_a": 101, "mu_a": 0.55, "shock_a": 0.2, "spread_a": 0.15, "turnout_a": 0.7, "quota_a": 0.5},
    {"n_a": 51, "mu_a": 0.4, "shock_a": 0.1, "spread_a": 0.3, "turnout_a": 1.0, "quota_a": 2 / 3,
     "shock_dist": "normal"},
    {"n_a": 9, "mu_a": 0.5, "shock_a": 0.0, "spread_a": 0.2, "turnout_a": 0.4, "quota_a": 1.0, "side_a": 0.1},
    {"n_a": 25, "mu_a": 0.6, "shock_a": 0.3, "spread_a": 0.0, "turnout_a": 0.9, "quota_a": 0.5},
]  # fmt: skip


@pytest.mark.parametrize("constituency", CONSTITUENCIES)
def test_exact_beliefs_match_a_simulated_vote(constituency):
    point = ratification.PARAMS.resolve(constituency)
    shares = np.array([0.2, 0.4, 0.5, 0.6, 0.8])
    believed = ratification.ratify_probability(point, "a", shares)
    rng = np.random.default_rng(0)
    n = 40_000
    for share, p in zip(shares, believed):
        k = passes(point, "a", share, n, rng).sum()
        assert abs(k / n - p) <= 5 * np.sqrt(max(p * (1 - p), 1 / n) / n), (share, k / n, p)


@pytest.mark.parametrize("constituency", CONSTITUENCIES)
def test_kernel_vote_matches_numpy_vote(constituency):
    params = {**constituency, **{k.replace("_a", "_b"): v for k, v in constituency.items() if k.endswith("_a")}}
    ds = run(params, trials=200_000, seed=5)
    point = ratification.PARAMS.resolve(params)
    x = ratification.plan(point).first_offer  # the offer under prior beliefs
    rng = np.random.default_rng(1)
    n = 100_000
    fail_a = ~passes(point, "a", x, n, rng)
    fail_b = ~passes(point, "b", 1 - x, n, rng)
    for name, numpy_events in (("p_fail_a", fail_a), ("p_fail_b", fail_b), ("p_ratified", ~fail_a & ~fail_b)):
        z = two_sample_z(float(ds[name]) * 200_000, 200_000, numpy_events.sum(), n)
        assert z < 5, f"{name}: kernel {float(ds[name]):.4f}, numpy {numpy_events.mean():.4f}"
    winset = np.clip(1 - (pivotal(point, "a", n, rng) - point["side_a"]), 0, 1)
    assert abs(float(ds.mean_winset_a) - winset.mean()) < 5 * np.hypot(
        float(ds.mean_winset_a_se), winset.std() / np.sqrt(n)
    )


# --- invariants ------------------------------------------------------------------------------

state = lambda s: {
    f"n_{s}": st.sampled_from([1, 1, 3, 11]), f"mu_{s}": st.floats(-0.2, 1.0), f"shock_{s}": st.floats(0.0, 0.6),
    f"spread_{s}": st.sampled_from([0.0, 0.1, 0.4]), f"turnout_{s}": st.sampled_from([1.0, 0.6]),
    f"quota_{s}": st.sampled_from([0.5, 2 / 3, 1.0]), f"side_{s}": st.floats(0.0, 0.3),
    f"reverb_{s}": st.sampled_from([0.0, 0.1]), f"backlash_{s}": st.sampled_from([0.0, 0.3]),
    f"veto_{s}": st.sampled_from([0.0, 0.0, 0.3]),
}  # fmt: skip
points = st.fixed_dictionaries({
    **state("a"), **state("b"), "shock_dist": st.sampled_from(["uniform", "normal"]),
    "info": st.sampled_from(["complete", "asymmetric", "incomplete"]), "poll": st.booleans(),
    "poll_bias": st.sampled_from([0.0, 0.1]), "protocol": st.sampled_from(["ultimatum", "nash", "rubinstein"]),
    "proposer": st.sampled_from(["a", "b"]), "w": st.floats(0.0, 1.0),
})  # fmt: skip


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(params=points)
def test_invariants(params):
    if params["protocol"] == "rubinstein":
        params["info"] = "complete"
    ds = run(params, trials=5000, seed=3)
    counts = {k: round(float(ds[k] * ds[f"{k}_n"])) for k in ("p_ratified", "p_invol", "p_breakdown", "p_agree")}
    assert counts["p_ratified"] + counts["p_invol"] + counts["p_breakdown"] == 5000
    assert counts["p_agree"] == counts["p_ratified"] + counts["p_invol"]
    if params["info"] == "complete":
        assert counts["p_invol"] == 0
        if params["veto_a"] == params["veto_b"] == 0:  # informed negotiators sign exactly where win-sets overlap
            assert round(float(ds.p_overlap * ds.p_overlap_n)) == counts["p_ratified"]
    for name in ("mean_payoff_a", "mean_payoff_b", "mean_winset_a", "mean_winset_b"):
        assert 0.0 <= float(ds[name]) <= 1.0
    if counts["p_ratified"]:
        assert 0.0 <= float(ds.mean_share_a) <= 1.0
        assert float(ds.mean_payoff_a + ds.mean_payoff_b) == pytest.approx(float(ds.p_ratified))


@pytest.mark.parametrize("constituency", CONSTITUENCIES[:2])
def test_whole_model_matches_numpy_under_incomplete_information(constituency):
    params = {**constituency, "reverb_b": 0.1, "backlash_b": 0.3, "side_b": 0.05}
    point = ratification.PARAMS.resolve(params)
    ds = run(params, trials=200_000, seed=6)
    reference = simulate_incomplete(point, ratification.plan(point).first_offer, 100_000, seed=7)
    for name in ("p_ratified", "p_fail_a", "p_fail_b", "p_overlap"):
        k, n = reference[name]
        z = two_sample_z(float(ds[name]) * 200_000, 200_000, k, n)
        assert z < 5, f"{name}: kernel {float(ds[name]):.4f}, numpy {k / n:.4f}"


def test_empty_win_sets_do_not_overlap():
    # a's win-set [-0.5, 1] in x, b's empty (it needs more than everything): nothing can be ratified
    ds = run({"mu_a": -0.5, "shock_a": 0.0, "mu_b": 1.2, "shock_b": 0.0, "info": "complete"}, trials=1000)
    assert float(ds.p_overlap) == 0.0 == float(ds.p_ratified)


def test_precision_does_not_stop_on_an_output_resting_on_too_few_trials():
    # a deal is ratified in under 0.1% of trials: mean_share_a rests on fewer than 30 trials for
    # longer than max_trials allows, so the run must go on to max_trials, and not beyond (before, 7 of
    # 8 seeds stopped with mean_share_a on 0-2 trials)
    params = {"shock_dist": "normal", "mu_a": 0.3, "shock_a": 0.2, "mu_b": 1.5, "shock_b": 0.2, "info": "complete",
              "proposer": "b"}  # fmt: skip
    for seed in range(3):
        ds = mc.simulate("ratification", params, precision=0.01, chunk_trials=500, max_trials=20_000, seed=seed)
        assert int(ds.trials) == 20_000 and int(ds.mean_share_a_n) < 30


@numba.njit
def _gamma_blocks(states, shape, blocks):
    shapes, out = np.full(vote.BLOCK, shape), np.empty(blocks * vote.BLOCK)
    scales = np.full(vote.BLOCK, vote.gamma_scales(int(shape))[int(shape)])
    z, u = np.empty(vote.BLOCK), np.empty(vote.BLOCK)
    pending, accepted = np.empty(vote.BLOCK, dtype=np.int64), np.empty(vote.BLOCK, dtype=np.bool_)
    for b in range(blocks):
        vote.gammas(states[0], shapes, scales, out[b * vote.BLOCK :], z, u, accepted, pending, vote.BLOCK)
    return out


@pytest.mark.parametrize("shape", [1.0, 3.0, 51.0])
def test_gamma_deviates_drawn_in_blocks_follow_the_gamma_law(shape):
    draws = _gamma_blocks(lanes.lane_state(11, (0,)), shape, 400)
    assert stats.kstest(draws, stats.gamma(shape).cdf).pvalue > 1e-3
    assert abs(draws.mean() - shape) < 5 * np.sqrt(shape / draws.size)  # the variance is the shape


def test_results_do_not_depend_on_workers_or_on_the_task_that_runs_a_chunk():
    # crowds with turnout (the binomial inversion) and spread (gamma deviates redrawn when rejected),
    # polls and reverberation: every draw the kernel makes, in chunks that end mid-block
    params = {"n_a": 25, "spread_a": 0.2, "turnout_a": 0.7, "quota_a": 2 / 3, "n_b": 3, "spread_b": 0.1,
              "turnout_b": 0.5, "reverb_b": 0.1, "backlash_b": 0.3, "poll": True, "shock_dist": "normal"}  # fmt: skip
    runs = [mc.sweep("ratification", {"mu_a": [0.3, 0.6]}, params=params, trials=30_000, seed=3, workers=workers,
                     chunk_trials=5_000) for workers in (1, 2)]  # fmt: skip
    xr.testing.assert_equal(*runs)
    model = mc.get_model("ratification")
    point = model.params.resolve(params)
    thetas, tables = np.array([model.prepare(point)] * 3), [model.tables(point)] * 3
    items = np.array([(0, 0, c, 1_000) for c in range(3)])
    together = engine.run_items(model.task_kernel, thetas, tables, items, seed=5)
    alone = [engine.run_items(model.task_kernel, thetas[:1], tables[:1], items[c : c + 1], 5)[0] for c in (2, 0, 1)]
    assert np.array_equal(together[[2, 0, 1]], np.array(alone))


def test_max_trials_below_a_chunk_is_refused():
    with pytest.raises(mc.InputError, match="max_trials"):
        mc.Study("ratification", precision=0.01, chunk_trials=500, max_trials=100)


# --- renegotiation as an equilibrium (Iida 1996) --------------------------------------------


@settings(max_examples=200, deadline=None, derandomize=True)
@given(lo=st.floats(-0.8, 0.9), width=st.floats(0.05, 1.5), delta_r=st.floats(0.0, 0.99), delta_p=st.floats(0.0, 1.0))
def test_the_cutoff_type_is_indifferent_and_the_offers_are_optimal(lo, width, delta_r, delta_p):
    from mc_twolevel.models.ratification import renegotiation as game

    hi = lo + width
    cutoff, first, second = game.equilibrium(lo, hi, delta_r, delta_p)
    if np.isnan(first):
        return
    if lo < cutoff < hi and first > 0.0:  # an interior cutoff: indifferent between now and the second offer
        assert first - cutoff == pytest.approx(delta_r * (second - cutoff), abs=1e-12)
    assert second == pytest.approx(game.second_offer(cutoff, hi), abs=1e-12)  # optimal against U[c, hi]
    value = game.proposer_value(cutoff, lo, hi, delta_r, delta_p) if hi > lo else 0.0
    for other in np.linspace(max(lo, -1.0), min(hi, 1.0), 41):  # no feasible cutoff does better
        if game.first_offer(other, hi, delta_r) >= 0.0:
            assert game.proposer_value(other, lo, hi, delta_r, delta_p) <= value + 1e-9


def test_the_screening_equilibrium_at_delta_one_half_is_the_closed_form():
    # R ~ U[0, 1], delta = 1/2: c = 2(1 - delta)/(4 - 3 delta) = 0.4, x1 = c + delta (1 - c)/2 = 0.55,
    # x2 = (1 + c)/2 = 0.7
    from mc_twolevel.models.ratification import renegotiation as game

    assert tuple(game.equilibrium(0.0, 1.0, 0.5, 0.5)) == pytest.approx((0.4, 0.55, 0.7), abs=1e-12)


@pytest.mark.parametrize("mu, shock, delta", [(0.5, 0.5, 0.5), (0.6, 0.3, 0.8), (0.3, 0.6, 0.2)])
@pytest.mark.parametrize("proposer", ["a", "b"])
def test_in_equilibrium_no_type_below_the_cutoff_rejects(mu, shock, delta, proposer):
    from mc_twolevel.models.ratification import renegotiation as game

    responder = "a" if proposer == "b" else "b"
    params = {f"mu_{responder}": mu, f"shock_{responder}": shock, f"mu_{proposer}": 0.0, f"shock_{proposer}": 0.0,
              "proposer": proposer, "rounds": 2, "renegotiation": "equilibrium", "delta_a": delta,
              "delta_b": delta}  # fmt: skip
    ds = run(params, trials=400_000, seed=47)
    lo, hi = mu - shock, mu + shock
    cutoff, first, second = game.equilibrium(lo, hi, delta, delta)
    assert_within(ds, "p_invol", (hi - min(max(cutoff, lo), hi)) / (hi - lo))  # exactly the types above c reject
    assert_within(ds, "p_strategic_no", max(min(first, hi) - cutoff, 0.0) / (hi - lo))
    assert_within(ds, "p_ratified", (min(second, hi) - lo) / (hi - lo))


def test_equilibrium_renegotiation_is_refused_where_it_is_not_solved():
    with pytest.raises(mc.InputError, match="single ratifier in a"):
        run({**ONE_SIDED, "rounds": 2, "renegotiation": "equilibrium", "n_a": 11, "spread_a": 0.1}, trials=10)
    with pytest.raises(mc.InputError, match="proposer's ratification certain"):
        run({**UNIFORM_A, "proposer": "b", "rounds": 2, "renegotiation": "equilibrium"}, trials=10)


def test_linkage_is_refused_where_it_is_not_solved():
    with pytest.raises(mc.InputError, match="linkage_price below 1"):
        run({**ONE_SIDED, "linkage_price": 0.7, "info": "complete"}, trials=10)


def test_linkage_at_a_price_of_one_or_more_changes_nothing():
    # a unit of side payment costs at least a unit of share: the proposer never uses it
    plain = run({**ONE_SIDED, "info": "incomplete"}, trials=50_000, seed=9)
    dear = run({**ONE_SIDED, "info": "incomplete", "linkage_price": 3.0}, trials=50_000, seed=9)
    for name in ("p_ratified", "mean_payoff_a", "mean_payoff_b", "mean_share_a"):
        assert float(plain[name]) == float(dear[name])


# --- offers at kinks, beliefs against an independent computation -----------------------------


@pytest.mark.parametrize("info", ["incomplete", "asymmetric"])
def test_an_offer_at_the_top_of_the_threshold_range_is_made_there_exactly(info):
    # R_a ~ U[0.5, 0.7]: b's (1 - x)(x - 0.5)/0.2 rises up to 0.75, so b offers the top, 0.7, which
    # a always ratifies; on the 2,049-share grid it landed one step inside (before: p_invol
    # 0.00143 +/- 0.00004 and mean_payoff_a 0.69871 +/- 0.00003 at this seed)
    ds = run({"mu_a": 0.6, "shock_a": 0.1, **FREE_B, "proposer": "b", "info": info})
    assert float(ds.p_invol) == 0.0 and float(ds.p_ratified) == 1.0
    assert_within(ds, "mean_payoff_a", 0.7)
    assert_within(ds, "mean_payoff_b", 0.3)


@pytest.mark.parametrize("info", ["incomplete", "asymmetric"])
def test_an_offer_at_an_atom_of_the_threshold_is_made_there_exactly(info):
    # R_a = 0.37 + 0.1 with probability 0.4 (backlash), 0.37 - 0.1 otherwise, no shock: b offers
    # a 0.47 (b keeps 0.53, against 0.73 x 0.6 = 0.438 at 0.27); a always ratifies
    ds = run({"mu_a": 0.37, "shock_a": 0.0, "reverb_a": 0.1, "backlash_a": 0.4, **FREE_B, "proposer": "b",
              "info": info}, trials=20_000)  # fmt: skip
    assert float(ds.p_invol) == 0.0 and float(ds.p_ratified) == 1.0
    assert float(ds.mean_share_a) == pytest.approx(0.47, abs=1e-12)


REFERENCE_POINTS = [
    {"n_a": 25, "spread_a": 0.15, "shock_a": 0.2, "turnout_a": 0.6, "quota_a": 0.6, "mu_a": 0.5},
    {"n_a": 101, "spread_a": 0.25, "shock_a": 0.08, "turnout_a": 0.7, "mu_a": 0.4, "shock_dist": "normal"},
    {"n_a": 3, "spread_a": 0.1, "shock_a": 0.3, "quota_a": 1.0, "mu_a": 0.6, "shock_dist": "normal"},
    {"n_a": 11, "spread_a": 0.2, "shock_a": 0.0, "turnout_a": 0.5, "quota_a": 2 / 3},
    {"n_a": 51, "spread_a": 0.01, "shock_a": 0.5, "shock_dist": "normal"},
    {"n_a": 7, "spread_a": 0.0, "shock_a": 0.3, "turnout_a": 0.4, "shock_dist": "normal"},
]


@pytest.mark.parametrize("constituency", REFERENCE_POINTS)
def test_beliefs_match_scipy_quadrature(constituency):
    # the same quadrature by scipy (binomial tails, a dense matrix of shock CDFs): equal to 1e-8
    # (the model's normal shocks go through a lattice interpolated to about 1e-9)
    point = ratification.PARAMS.resolve(constituency)
    r = np.linspace(-0.2, 1.4, 801)
    expected = prior_cdf(point, "a", r)
    assert np.abs(ratification.threshold_cdf(r, *(point[f"{k}_a"] for k in (
        "n", "mu", "shock", "spread", "turnout", "quota")), point["shock_dist"]) - expected).max() < 1e-8  # fmt: skip


@pytest.mark.parametrize("constituency", REFERENCE_POINTS[:3])
@pytest.mark.parametrize("proposer", ["a", "b"])
def test_offers_under_priors_are_optimal(constituency, proposer):
    # no offer on a dense grid, valued with the scipy beliefs, is worth more than the plan's by more
    # than the linear interpolation of a smooth table on 2,049 shares can miss (h^2/8 |F''| ~ 3e-8)
    params = {**constituency, "mu_b": 0.3, "shock_b": 0.2, "proposer": proposer}
    point = ratification.PARAMS.resolve(params)
    x = np.append(np.linspace(0, 1, 20_001), ratification.plan(point).first_offer)
    value = (x if proposer == "a" else 1 - x) * prior_cdf(point, "a", x) * prior_cdf(point, "b", 1 - x)
    assert value[-1] >= value[:-1].max() - 1e-7


def _prior_belief(point, state, shares):
    """P(state ratifies its own ``shares``) from the scipy reference, mixed over the reverberation."""
    r = np.asarray(shares, dtype=float) + point[f"side_{state}"]
    reverb, backlash = point[f"reverb_{state}"], point[f"backlash_{state}"]
    return (1 - backlash) * prior_cdf(point, state, r + reverb) + backlash * prior_cdf(point, state, r - reverb)


def _own_kinks(point, s):
    """Own shares where a belief without spread has a kink or an atom."""
    centre, reverb, shock = point[f"mu_{s}"] - point[f"side_{s}"], point[f"reverb_{s}"], point[f"shock_{s}"]
    return [centre + d + e for d in (-reverb, reverb) for e in (-shock, 0.0, shock)]


closed_state = lambda s: {
    f"mu_{s}": st.floats(-0.2, 1.0), f"shock_{s}": st.sampled_from([0.0, 0.05, 0.1, 0.3]),
    f"side_{s}": st.sampled_from([0.0, 0.07]), f"reverb_{s}": st.sampled_from([0.0, 0.1]),
    f"backlash_{s}": st.sampled_from([0.0, 0.3]), f"turnout_{s}": st.sampled_from([1.0, 0.5]),
    f"n_{s}": st.sampled_from([1, 3]), f"veto_{s}": st.sampled_from([0.0, 0.0, 0.2]),
}  # fmt: skip


@settings(max_examples=60, deadline=None, derandomize=True)
@given(params=st.fixed_dictionaries({**closed_state("a"), **closed_state("b"), "proposer": st.sampled_from("ab"),
                                     "shock_dist": st.sampled_from(["uniform", "normal"]),
                                     "protocol": st.sampled_from(["ultimatum", "nash"])}))  # fmt: skip
def test_offers_under_closed_form_beliefs_beat_every_share_and_kink(params):
    # constituencies without spread: beliefs have kinks (range ends, atoms, shifted by reverberation);
    # the plan's offer, valued exactly, is at least as good as any share on a dense grid or at a kink
    point = ratification.PARAMS.resolve({**params, "info": "incomplete"})
    kinks = [*_own_kinks(point, "a"), *(1 - y for y in _own_kinks(point, "b"))]  # in a's share
    lo, hi = point["veto_a"], 1 - point["veto_b"]
    x = np.array([v for v in [*np.linspace(0, 1, 4001), *kinks] if lo <= v <= hi])
    own = x if point["proposer"] == "a" else 1 - x
    if point["protocol"] == "nash":
        own = x ** point["w"] * (1 - x) ** (1 - point["w"])
    value = lambda xs, own: own * _prior_belief(point, "a", xs) * _prior_belief(point, "b", 1 - xs)
    offer = ratification.plan(point).first_offer
    best = value(x, own).max() if len(x) else 0.0
    if np.isnan(offer):
        assert best <= 0.0
        return
    own_offer = offer if point["proposer"] == "a" else 1 - offer
    if point["protocol"] == "nash":
        own_offer = offer ** point["w"] * (1 - offer) ** (1 - point["w"])
    assert value(np.array([offer]), own_offer)[0] >= best - 1e-10
