"""The doughnut negotiation: the deal space, degenerate classes, accounting, brute force."""

import importlib
import math

import numpy as np
import pytest
import reference_doughnut as reference
import scipy.special
import scipy.stats
from conftest import SIGMAS, assert_within, two_sample_z
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mc_twolevel as mc
from mc_twolevel.models import doughnut
from mc_twolevel.rng import stream_state

kernel = importlib.import_module("mc_twolevel.models.doughnut.kernel")
deal_space = importlib.import_module("mc_twolevel.models.doughnut.deals")

DEFAULT_TOTAL = sum(t["count"] for t in doughnut.DEFAULT_BOX)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(counts=st.lists(st.integers(1, 3), min_size=1, max_size=5), reward=st.integers(0, 2), credit=st.integers(-2, 2),
       trades=st.booleans())  # fmt: skip
def test_every_deal_hands_out_exactly_the_rewards_and_the_rest_whole(counts, reward, credit, trades):
    counts = np.array(counts)
    if 2 * reward >= counts.sum():
        return
    reward_a, reward_b, pool_a, credit_a = doughnut.deals(counts, reward, credit, trades)
    pool_b = counts - reward_a - reward_b - pool_a
    assert (reward_a.sum(axis=1) + reward_b.sum(axis=1) == 2 * reward).all()
    traded = reward_a.sum(axis=1) != reward
    assert (abs(reward_a.sum(axis=1) - reward) <= int(trades)).all()
    if trades and reward > 0 and counts.sum() > 2 * reward:
        assert traded.any()
    assert (pool_a >= 0).all() and (pool_b >= 0).all() and (reward_a >= 0).all() and (reward_b >= 0).all()
    assert ((reward_a + reward_b + pool_a + pool_b) == counts).all()
    assert ((credit_a >= min(0, credit)) & (credit_a <= max(0, credit))).all()
    rows = np.column_stack([reward_a, reward_b, pool_a, credit_a])
    assert len(np.unique(rows, axis=0)) == len(rows), "a deal is listed twice"


def test_a_box_of_eleven_different_doughnuts_has_253440_deals():
    assert len(doughnut.deals(np.ones(11, dtype=int), 2, 0)[0]) == 55 * 36 * 2**7


def test_when_everyone_likes_every_doughnut_and_nobody_minds_fairness_every_class_succeeds():
    ds = mc.simulate("doughnut", {"fairness": 0.0, "group_spread": 0.0, "taste_spread": 0.0, "aspiration": 0.0,
                                  "aspiration_spread": 0.0}, trials=300, seed=1)  # fmt: skip
    assert float(ds.p_success) == 1.0 and float(ds.p_invol) == 0.0


def test_standards_no_split_can_meet_mean_no_class_succeeds():
    ds = mc.simulate("doughnut", {"aspiration": 15.0}, trials=300, seed=2)
    assert float(ds.p_success) == 0.0
    assert float(ds.mean_doughnuts_a) == 0.0 and float(ds.mean_doughnuts_b) == 0.0


EXCHANGEABLE = {"group_spread": 0.0, "taste_spread": 0.0, "aspiration": 0.37, "aspiration_spread": 0.0,
                "fairness": 0.0, "noise_2": 0.001}  # fmt: skip


def test_exchangeable_groups_get_eleven_halves_each():
    """Swapping the groups maps the class's distribution onto itself (both groups' draws are
    alike, the deal space is symmetric, who speaks first, ties and the order of side
    payments are drawn), so E[a] = E[b]. Without anchoring every class succeeds, a + b = 11
    and each expects 11/2; with it, generous openings raise the other side's demands and
    some classes fail, and each expects 11/2 of the successes."""
    ds = mc.simulate("doughnut", EXCHANGEABLE | {"anchoring": 0.0}, trials=400, seed=5, workers=1)
    assert float(ds.p_success) == 1.0
    for group in "ab":
        mean, se = float(ds[f"mean_doughnuts_{group}"]), float(ds[f"mean_doughnuts_{group}_se"])
        assert abs(mean - DEFAULT_TOTAL / 2) < 5 * se, (group, mean, se)
    ds = mc.simulate("doughnut", EXCHANGEABLE, trials=400, seed=5, workers=1)
    success = float(ds.p_success)
    assert 0.3 < success < 1.0
    for group in "ab":
        mean, se = float(ds[f"mean_doughnuts_{group}"]), float(ds[f"mean_doughnuts_{group}_se"])
        assert abs(mean - success * DEFAULT_TOTAL / 2) < 5 * se, (group, mean, se)


def test_labelled_ways_count_each_type_deal_as_its_labelled_deals():
    counts = np.array([3, 2, 2, 1, 1, 1, 1])
    reward_a, reward_b, pool_a, _ = doughnut.deals(counts, 2, 0)
    ways = doughnut.labelled_ways(counts, reward_a, reward_b, pool_a)
    assert ways.sum() == 55 * 36 * 2**7  # the labelled deals of a box of 11
    assert ways[(reward_a[:, 0] == 2) & (reward_b[:, 0] == 1) & (pool_a[:, 0] == 0)].min() == 3


@pytest.fixture(scope="module")
def default_class():
    return mc.simulate("doughnut", trials=600, seed=3)


def test_doughnuts_are_conserved_and_splits_add_up(default_class):
    ds = default_class
    handed_out = float(ds.mean_doughnuts_a + ds.mean_doughnuts_b)
    assert handed_out == pytest.approx(DEFAULT_TOTAL * float(ds.p_success), rel=1e-12)
    assert float(ds.p_split.sum("split")) == pytest.approx(1.0, rel=1e-12)
    assert float(ds.p_split.sel(split=slice(DEFAULT_TOTAL - 3, None)).sum()) == 0.0  # the pool is 7
    assert ds.p_split.dims == ("split",)
    assert float(ds.p_success + ds.p_invol) == pytest.approx(float(ds.p_agree))


def test_sprinkles_are_counted_once_and_add_up(default_class):
    ds = default_class
    sprinkled = sum(t["count"] for t in doughnut.DEFAULT_BOX if t.get("sprinkles"))
    assert float(ds.p_side_payment) > 0.03  # side payments, some across, happen in these classes
    assert float(ds.mean_sprinkles_a + ds.mean_sprinkles_b) == pytest.approx(sprinkled, rel=1e-12)
    assert float(ds.mean_sprinkles_a_n) == float(ds.p_success * ds.trials)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data(), counts=st.lists(st.integers(1, 3), min_size=2, max_size=5), reward=st.integers(1, 2))
def test_every_doughnut_ends_with_one_group_whatever_is_handed_across(data, counts, reward):
    counts = np.array(counts)
    if 2 * reward >= counts.sum():
        return
    deals = doughnut.deals(counts, reward, 0)
    d = data.draw(st.integers(0, len(deals[0]) - 1))
    sprinkled = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=len(counts), max_size=len(counts))))
    across = np.array([[data.draw(st.integers(0, deals[g][d, t])) for t in range(len(counts))] for g in range(2)])
    got_a, got_b, sprinkles_a, sprinkles_b, pool_to_a, _ = doughnut.account(d, counts, sprinkled, *deals[:3],
                                                                            across.astype(float))  # fmt: skip
    assert got_a + got_b == counts.sum()
    assert sprinkles_a + sprinkles_b == sprinkled @ counts
    handed_net = across[1] - across[0]  # to a
    assert got_a == deals[2][d].sum() + deals[0][d].sum() + handed_net.sum()
    assert sprinkles_a == sprinkled @ (deals[2][d] + deals[0][d] + handed_net)
    assert pool_to_a == deals[2][d].sum()


def test_a_sprinkled_reward_doughnut_handed_across_moves_the_sprinkles_with_the_doughnuts():
    counts, sprinkled = np.array([1, 1, 1, 1, 1]), np.array([1.0, 0, 0, 0, 0])
    deals = doughnut.deals(counts, 1, 0)
    d = int(np.flatnonzero((deals[0][:, 0] == 1) & (deals[2].sum(axis=1) == 1))[0])  # a took the sprinkled one
    kept = doughnut.account(d, counts, sprinkled, *deals[:3], np.zeros((2, 5)))
    handed = doughnut.account(d, counts, sprinkled, *deals[:3], np.array([[1.0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]))
    assert (handed[0] - kept[0], handed[1] - kept[1]) == (-1, 1)
    assert (handed[2] - kept[2], handed[3] - kept[3]) == (-1, 1)


@pytest.fixture(scope="module")
def indifferent_class():
    """All doughnuts worth the same to all, nobody envious, every voter content with nothing."""
    return mc.simulate("doughnut", EXCHANGEABLE | {"aspiration": 0.0}, trials=2_000, seed=6, workers=1)


def test_a_class_indifferent_between_doughnuts_takes_its_rewards_as_a_blind_draw(indifferent_class):
    """All doughnuts worth the same to all, nobody envious, everything passes: every deal
    splitting the 7 as 3-4 or 4-3 is equally good, so the negotiators' 4 doughnuts are a
    uniform draw of 4 from 11 and hold a sprinkled one with probability
    1 - C(8, 4) / C(11, 4) = 1 - 70/330 = 0.788."""
    blind = 1 - math.comb(8, 4) / math.comb(11, 4)
    assert blind == pytest.approx(0.7879, abs=1e-4)
    ds = indifferent_class
    assert float(ds.p_success) == 1.0 and float(ds.p_agree) == 1.0 and float(ds.p_invol) == 0.0
    assert_within(ds, "p_sprinkles_reward", blind)
    for group in "ab":  # each doughnut is a group's with probability 1/2: 3 sprinkled x 1/2
        assert_within(ds, f"mean_sprinkles_{group}", 1.5)


def test_the_indifferent_class_splits_three_four_either_way_moves_its_deal_and_pays_nobody(indifferent_class):
    """The same class. The final deal splits the 7 as 3-4 or 4-3 (the Nash products of other
    splits are smaller: (2 + 2/8)(2 + 5/8) = 5.91 < 5.94), and swapping the groups maps the class
    onto itself, so each split has probability 1/2. Every opening offer maximises its maker's own
    payoff, which a reward doughnut taken from the other negotiator raises by 1 at no cost to
    either group's approval (nobody envies), so every opening offer is a trade and the final deal,
    which is none (``p_trade = 0``), differs from both: ``p_deal_moved = 1``. Every voter approves
    with a margin of at least 3/8 known to within noise_2 = 0.001, so nobody believes a side
    payment could raise the chance of success, and none is made."""
    ds = indifferent_class
    for k in (3, 4):
        at = ds.p_split.sel(split=k)
        assert abs(float(at) - 0.5) < 4 * math.sqrt(0.25 / float(ds.trials)), (k, float(at))
    assert float(ds.p_split.sel(split=[3, 4]).sum()) == pytest.approx(1.0, rel=1e-12)
    assert float(ds.p_trade) == 0.0 and float(ds.p_deal_moved) == 1.0 and float(ds.p_side_payment) == 0.0


def test_a_side_payment_wins_the_wavering_voter_as_often_as_the_negotiator_misjudges_it_enough():
    """Groups of two (a negotiator and one voter), a box of 3 alike doughnuts, rewards of 1:
    the one pool doughnut goes to a or to b. Every doughnut is worth 1, aspirations are 0.1, no
    envy, one round at noise 0.1, no trades. The voter given the pool has margin 1/2 - 0.1 = 0.4,
    the other -0.1 (it rejects unless handed a doughnut, which lifts it to 0.9). Negotiator g
    misjudges its voter by 0.1 z_g, so believes it approves with Phi(4 + z_g) or Phi(z_g - 1),
    and believes the other group's voter approves with Phi(4) or Phi(-1) (the prior).
    The Nash search gives the pool to a iff Phi(4 + z_a) Phi(z_b - 1) > Phi(z_a - 1) Phi(4 + z_b), that is
    iff z_a < z_b (Phi(z - 1) / Phi(z + 4) rises with z). Then a (utility 1/2 + 1) hands its reward
    doughnut to a voter iff that more than triples the believed success (1/2 after it, against
    3/2); b (utility 1) never gives. Handed to b's voter it gives Phi(9 + z_b) for Phi(z_b - 1): iff
    z_b < g, Phi(g - 1) = Phi(g + 9) / 3; to a's own, Phi(14 + z_a) for Phi(4 + z_a): iff z_a < h,
    Phi(h + 4) = Phi(h + 14) / 3. So, with the mirror case, P(side payment) = 2 P(z_a < z_b,
    z_b < g or z_a < h) = Phi(g)^2 + 2 Phi(h) (1 - Phi(g)), about Phi(Phi^-1(1/3) + 1)^2 = 0.5118.
    The deal passes iff the doughnut went to the wavering voter: Phi(g)^2 (up to P(z_a < h), 5e-6),
    leaving the group given the pool 1 doughnut and the other 2: 3/2 each on average."""
    from scipy.optimize import brentq
    from scipy.stats import norm

    phi = norm.cdf
    g = brentq(lambda x: phi(x - 1) - phi(x + 9) / 3, -5.0, 5.0, xtol=1e-14)
    h = brentq(lambda x: phi(x + 4) - phi(x + 14) / 3, -9.0, 0.0, xtol=1e-14)
    expected = phi(g) ** 2 + 2 * phi(h) * (1 - phi(g))
    assert expected == pytest.approx(0.5118, abs=1e-4)
    params = {"n_students": 4, "box": [{"name": "plain", "count": 3}], "reward": 1, "rounds": 1, "trades": False,
              "group_spread": 0.0, "taste_spread": 0.0, "fairness": 0.0, "aspiration": 0.1, "aspiration_spread": 0.0,
              "noise_1": 0.1}  # fmt: skip
    ds = mc.simulate("doughnut", params, trials=40_000, seed=12, workers=1)
    assert_within(ds, "p_side_payment", expected, sigmas=4)
    assert float(ds.p_agree) == 1.0
    assert_within(ds, "p_success", phi(g) ** 2, sigmas=4)
    assert_within(ds, "p_invol", 1 - phi(g) ** 2, sigmas=4)
    assert_within(ds, "mean_doughnuts_a", 1.5 * phi(g) ** 2, sigmas=4)
    assert_within(ds, "mean_doughnuts_b", 1.5 * phi(g) ** 2, sigmas=4)


def test_the_exercise_mostly_succeeds_with_an_even_split(default_class):
    ds = default_class
    assert float(ds.p_success) > 0.8
    assert float((ds.p_split * ds.split).sum()) == pytest.approx(3.5, abs=0.3)


SHARPER = {"aspiration": 0.45, "anchoring": 0.6, "noise_1": 0.2}


def _uneven(ds):
    """The share of successful classes splitting the 7 more unevenly than 3-4, and its se."""
    p = float(ds.p_split.sel(split=[0, 1, 2, 5, 6, 7]).sum())
    return p, math.sqrt(p * (1 - p) / float(ds.p_split_n.max()))


def test_two_rounds_are_more_than_the_sharper_noise():
    """What each side learns at the first meeting (the other group's demand is at most what
    its offer asked) and the anchoring of the groups let the final meeting settle on uneven
    splits that the prior alone never risks, at the same final knowledge (noise 0.2)."""
    one = mc.simulate("doughnut", SHARPER | {"rounds": 1}, trials=800, seed=7, workers=1)
    two = mc.simulate("doughnut", SHARPER | {"rounds": 2, "noise_1": 0.9, "noise_2": 0.2}, trials=800, seed=7,
                      workers=1)  # fmt: skip
    (uneven_1, se_1), (uneven_2, se_2) = _uneven(one), _uneven(two)
    assert uneven_2 - uneven_1 > 5 * math.hypot(se_1, se_2), (uneven_1, uneven_2)
    assert np.isnan(float(one.p_deal_moved)) and 0.5 < float(two.p_deal_moved) < 1.0


def test_with_nothing_to_learn_and_no_anchoring_two_rounds_are_one():
    """Without group-level taste differences the prior leaves no demand to learn (a sure
    prior disregards an offer), without anchoring nobody's aspiration moves, and at equal
    noise the final meeting is the single meeting of rounds = 1: the same law."""
    same = {"group_spread": 0.0, "anchoring": 0.0, "noise_1": 0.2, "noise_2": 0.2, "aspiration": 0.45}
    one = mc.simulate("doughnut", same | {"rounds": 1}, trials=400, seed=8, workers=1)
    two = mc.simulate("doughnut", same | {"rounds": 2}, trials=400, seed=9, workers=1)
    for output in ("p_success", "p_side_payment", "mean_doughnuts_a"):
        gap = float(two[output] - one[output])
        assert abs(gap) < 5 * math.hypot(float(one[f"{output}_se"]), float(two[f"{output}_se"])), (output, gap)


def test_trades_between_negotiators_happen_only_when_allowed_and_never_among_equals(default_class):
    """Negotiators who value doughnuts differently sometimes gain by one handing a reward
    doughnut to the other; in the indifferent class with a 3-4 split the trade would turn
    (2 + 3/8)(2 + 4/8) = 5.94 into (1 + 3/8)(3 + 4/8) = 4.81 or (3 + 3/8)(1 + 4/8) = 5.06,
    so nobody trades."""
    assert float(default_class.p_trade) > 0.1
    indifferent = EXCHANGEABLE | {"aspiration": 0.0, "anchoring": 0.0}
    assert float(mc.simulate("doughnut", indifferent, trials=200, seed=10, workers=1).p_trade) == 0.0
    assert float(mc.simulate("doughnut", {"trades": False}, trials=200, seed=11, workers=1).p_trade) == 0.0


def test_without_side_payments_none_are_made():
    ds = mc.simulate("doughnut", {"side_payments": False, "aspiration": 0.6}, trials=300, seed=4)
    assert float(ds.p_side_payment) == 0.0


def _small_class(seed, counts, reward, credit, quota, trades):
    """A class of 8 (groups of 4) with a small box, drawn with NumPy, and its plan."""
    rng = np.random.default_rng(seed)
    box = [{"name": f"type {t}", "count": c, "sprinkles": t % 2 == 0} for t, c in enumerate(counts)]
    point = doughnut.PARAMS.resolve({"n_students": 8, "box": box, "reward": reward, "credit": credit, "quota": quota,
                                     "trades": trades})  # fmt: skip
    size, n_types = 4, len(counts)
    drawn = {
        "values": rng.normal(1.0, 0.6, (2, size, n_types)),
        "envy": rng.uniform(0, 1, (2, size)),
        "aspirations": rng.normal(0.3, 0.3, (2, size)),
        "shocks": rng.normal(0, 1, (2, size)),
        "nodes": np.sort(rng.normal(0.3, 0.2, (2, kernel.NODES)), axis=1),
    }
    return point, doughnut.plan(point), drawn


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), counts=st.sampled_from([(2, 1, 1), (1, 1, 1, 1), (3, 2), (1, 2, 1)]),
       reward=st.integers(0, 1), credit=st.integers(-1, 2), quota=st.sampled_from([0.5, 1.0]), trades=st.booleans(),
       objective=st.sampled_from([doughnut.NASH, doughnut.OFFER_A, doughnut.OFFER_B]))  # fmt: skip
def test_the_share_search_finds_the_brute_force_optimum(seed, counts, reward, credit, quota, trades, objective):
    point, tables, drawn = _small_class(seed, counts, reward, credit, quota, trades)
    _, _, _, _, _, ways, keys, key_counts, key_weights, key_credit, key_outline, starts, members, key_ways, outlines = (
        tables
    )
    noise, spread, credit_value, size = 0.2, 0.3, 0.5, 4
    beliefs = np.empty((2, len(outlines)))
    for g in range(2):
        kernel.other_group_beliefs(drawn["nodes"][g], spread, outlines, 1.0, credit_value, 0.5, quota, size, beliefs[g])
    utilities = np.empty(key_ways.shape)
    by_type = np.ascontiguousarray(drawn["values"].transpose(0, 2, 1))  # the kernel's values[g, t, v]
    kernel.negotiator_utilities(by_type, key_weights, key_credit, credit_value, key_ways, utilities)
    work = np.empty(key_ways.shape), np.empty(key_ways.shape), np.empty(key_ways.shape), np.empty(len(ways))
    index, value = doughnut.search(stream_state(seed, (0, 0))[0], objective, by_type, drawn["envy"],
                                   drawn["aspirations"], drawn["shocks"], noise, ways, keys, key_counts, key_credit,
                                   key_outline, starts, members, key_ways, utilities, beliefs, credit_value, quota, *work)  # fmt: skip
    labelled = [t for t, c in enumerate(counts) for _ in range(c)]
    believe = [lambda *share, g=g: reference.other_group_belief(drawn["nodes"][g], spread, *share, 1.0, credit_value,
                                                                0.5, quota, size) for g in range(2)]  # fmt: skip
    expected = reference.best_value(objective, labelled, drawn["values"].tolist(), drawn["envy"].tolist(),
                                    drawn["aspirations"].tolist(), drawn["shocks"].tolist(), noise, reward, credit,
                                    credit_value, quota, size, trades, believe)  # fmt: skip
    assert value == pytest.approx(expected, rel=1e-9, abs=1e-15)
    assert (index >= 0) == (expected > 0)


def test_the_quick_bound_of_a_normal_probability_is_never_below_it_and_close():
    x = np.concatenate([np.linspace(-12.0, 12.0, 48_001), np.random.default_rng(12).normal(0, 4, 4_000)])
    above = np.array([kernel._phi_above(v) for v in x])
    assert (above >= 0.5 * scipy.special.erfc(-x / math.sqrt(2.0))).all()
    assert (above <= 0.5 * scipy.special.erfc(-(x + 3 / 128) / math.sqrt(2.0)) + 1e-15).all()  # 1/128 to 3/128 above x


@settings(max_examples=10, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), quota=st.sampled_from([0.3, 0.5, 1.0]), noise=st.sampled_from([0.001, 0.1, 1.0]))
def test_the_quick_bound_of_a_groups_approval_is_never_below_it(seed, quota, noise):
    """The searches pass over a share when its value at this bound cannot reach the best,
    so the bound must hold for every share, or a search could miss its optimum."""
    point, tables, drawn = _small_class(seed, (2, 1, 1), 1, 1, quota, True)
    key_counts, key_credit = tables[7], tables[9]
    by_type = np.ascontiguousarray(drawn["values"].transpose(0, 2, 1))
    for g in range(2):
        for k in range(key_counts.shape[1]):
            exact, bound = (kernel.own_group_belief(g, k, by_type, drawn["envy"], drawn["aspirations"], drawn["shocks"],
                                                    noise, key_counts, key_credit, 0.5, quota, kernel.scratch_for(4),
                                                    quick) for quick in (False, True))  # fmt: skip
            assert exact <= bound <= 1.0 + 1e-8


def test_a_negotiator_who_hears_an_offer_believes_the_demand_is_at_most_what_it_gives():
    """The belief about the other group's demand is the prior normal(aspiration, spread)
    truncated at the offer's worth: its nodes are the truncated law's quantiles at (j + 1/2)/8."""
    nodes = np.empty(kernel.NODES)
    for upper in (math.inf, 0.5, 0.3, 0.1):
        kernel.demand_nodes(0.3, 0.2, upper, nodes)
        law = scipy.stats.truncnorm(-np.inf, (upper - 0.3) / 0.2, loc=0.3, scale=0.2)
        assert nodes == pytest.approx(law.ppf((np.arange(kernel.NODES) + 0.5) / kernel.NODES), rel=1e-7)
        assert (nodes <= upper).all()
    kernel.demand_nodes(0.3, 0.0, 0.1, nodes)  # a sure prior is not moved by an offer it rules out
    assert (nodes == 0.3).all()


@pytest.mark.parametrize(
    "box, words",
    [
        ([{"name": "glazed", "count": 0}], ["glazed", "count"]),
        ([{"name": "glazed", "count": 2, "sparkles": True}], ["sparkles", "sprinkles"]),
        ([{"name": "glazed", "count": 30}], ["30 doughnuts"]),
        ([{"name": "glazed", "count": 4}], ["reward = 2", "4"]),
    ],
)
def test_a_bad_box_is_refused_by_name(box, words):
    with pytest.raises(mc.InputError) as error:
        mc.simulate("doughnut", {"box": box}, trials=10)
    for word in words:
        assert word in str(error.value)


def test_classes_of_different_sizes_share_the_deal_space_and_keep_their_results():
    """The deal space is enumerated once for points differing only in class size; the
    negotiator's weights (pool doughnuts over the group size) are each point's own, so the
    counts equal those of a plan made from scratch."""
    small, large = ({"n_students": n, "rounds": 1, "trades": False} for n in (8, 20))
    model = mc.get_model("doughnut")
    fresh = []
    for params in (small, large):
        deal_space._deal_space.cache_clear()
        fresh.append(_counts(model, params))
    (weights_small, rest_small), (weights_large, rest_large) = (
        _weights_and_rest(model.tables(model.params.resolve(params))) for params in (small, large)
    )
    assert all(a is b for a, b in zip(rest_small, rest_large, strict=True))
    pool, eaten = rest_small[-1][:, :, 0], rest_small[-1][:, :, 1]  # key_counts
    for size, weights in ((4, weights_small), (10, weights_large)):
        assert np.array_equal(weights, (pool / size + eaten).transpose(0, 2, 1))
    assert [_counts(model, small), _counts(model, large)] == fresh
    assert fresh[0] != fresh[1]


def _counts(model, params):
    """The kernel's counts for 40 classes at ``params`` (one chunk, a fixed seed)."""
    point = model.params.resolve(params)
    totals = model.new_totals()
    model.run(model.prepare(point), model.tables(point), 40, model.task_kernel.states(5, (0, 0)), totals)
    return totals.tolist()


def _weights_and_rest(tables):
    """A doughnut plan's ``key_weights``, and its other tables (``key_counts`` last)."""
    counts, attributes, eaten_a, eaten_b, pool_a, ways, keys, key_counts, key_weights, *after = tables
    return key_weights, (counts, attributes, eaten_a, eaten_b, pool_a, ways, keys, *after, key_counts)


# ---- whole classes against the NumPy reference ------------------------------------------------

SMALL_BOX = [{"name": "glazed", "count": 2, "glazed": True},
             {"name": "chocolate with sprinkles", "count": 2, "chocolate": True, "sprinkles": True},
             {"name": "jelly filled", "count": 1, "filled": True}, {"name": "plain", "count": 2}]  # fmt: skip
CREDIT_CLASS = {"n_students": 10, "box": SMALL_BOX, "reward": 1, "credit": 2, "fairness": 1.5, "group_spread": 1.0,
                "aspiration": 1.0, "noise_1": 0.6, "noise_2": 0.2, "anchoring": 0.5}  # fmt: skip


@pytest.mark.parametrize(
    "params, kernel_classes, reference_classes",
    [
        pytest.param({}, 1500, 300, id="defaults"),
        pytest.param(
            {"aspiration": 0.45, "anchoring": 0.6, "noise_1": 0.9, "noise_2": 0.2, "trades": False},
            1500,
            300,
            id="demanding-no-trades",
        ),
        pytest.param(CREDIT_CLASS | {"rounds": 1, "noise_1": 0.2}, 4000, 2000, id="ten-students-credit-one-round"),
        pytest.param(CREDIT_CLASS, 4000, 2000, id="ten-students-credit-two-rounds"),
        pytest.param(
            CREDIT_CLASS | {"base_value": 0.0, "credit": 0, "aspiration": 0.2},
            4000,
            2000,
            id="ten-students-tastes-alone",
        ),
    ],
)
def test_whole_classes_agree_with_the_numpy_reference(params, kernel_classes, reference_classes):
    """Every output of the kernel against the reference's (tests/reference_doughnut.py: the
    class played from the exercise's description with NumPy, its own draws), each within
    5 standard errors of the difference of the two estimates. The settings: the defaults
    (agreement nearly sure, trades common); demanding groups without trades (a fifth of the
    deals voted down, side payments in a quarter of the classes); a class of ten with a
    small box and 2 credit points, in one round and in two (uneven splits, trades, credit); and
    that class with doughnuts worth nothing but what tastes make them and no credit, where a
    quarter of the classes find no deal worth anything."""
    ds = mc.simulate("doughnut", params, trials=kernel_classes, seed=41, workers=1, progress=False)
    point = doughnut.PARAMS.resolve(params)
    expected = reference.simulate_classes(point, reference_classes, seed=42)
    assert set(expected) == {name for name in ds.data_vars if f"{name}_se" in ds and not ds[name].isnull().all()}
    for name, result in expected.items():
        if isinstance(result, list):  # along split
            for k, per_split in enumerate(result):
                _compare_with_reference(ds.sel(split=k), name, *per_split, label=f"[split={k}]")
        else:
            _compare_with_reference(ds, name, *result)


def _compare_with_reference(ds, name, total, squares, count, label=""):
    """The kernel's estimate of ``name`` against the reference's (``total`` of ``count``
    conditioning trials, and for a mean the sum of ``squares``), within SIGMAS
    standard errors of their difference."""
    kernel_n = float(ds[f"{name}_n"])
    if kernel_n == 0 or count == 0:
        assert max(kernel_n, count) < 30, f"{name}{label}: conditioned on {kernel_n} vs {count}"  # both rare
        return
    value, mine = float(ds[name]), total / count
    if squares is None:  # a probability: the two-sample z of proportions
        z = two_sample_z(value * kernel_n, kernel_n, total, count)
        se = math.sqrt(value * (1 - value) / kernel_n + mine * (1 - mine) / count)
    else:
        se = math.hypot(float(ds[f"{name}_se"]), math.sqrt(max(squares / count - mine**2, 0.0) / (count - 1)))
        if se == 0:  # every class of both gave one value
            assert value == pytest.approx(mine, rel=1e-12), f"{name}{label}: kernel {value} vs reference {mine}"
            return
        z = abs(value - mine) / se
    assert z < SIGMAS, (
        f"{name}{label}: kernel {value:.4f} (n={kernel_n:.0f}) vs reference {mine:.4f} (n={count}), "
        f"se of the difference {se:.4f}, z = {z:.1f}"
    )
