"""Declared parameters: validation, sweep keys and encoding."""

import pytest

import mc_twolevel as mc
from mc_twolevel.distributions import Dist

PARAMS = mc.get_model("compliance").params


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"horizon": -1}, ["horizon", "-1", "[0, 200]"]),
        ({"shadow": "much"}, ["shadow", "number"]),
        ({"select": "friendly"}, ["select", "cooperative"]),
        ({"sequential": 1}, ["sequential"]),
        ({"nonsense": 1}, ["nonsense", "horizon"]),
        ({"direct_h": {"dist": "lognormal", "median": -1.0, "sigma": 0.4}}, ["direct_h", "median > 0"]),
        ({"direct_h": {"dist": "uniform", "low": 2.0, "high": 1.0}}, ["direct_h", "low <= high"]),
        ({"direct_h": {"dist": "normal", "mean": 1.0}}, ["direct_h", "mean, sd"]),
        ({"direct_h": {"dist": "cauchy", "loc": 1.0}}, ["direct_h", "cauchy", "lognormal"]),
        ({"direct_h": {"median": 1.0}}, ["direct_h", "dist"]),
        ({"pill2_h.sigma": 0.3}, ["pill2_h", "constant", "sigma"]),
        ({"horizon.median": 0.3}, ["horizon", "not distribution-valued"]),
    ],
)
def test_bad_values_are_refused_by_name(overrides, words):
    with pytest.raises(mc.InputError) as error:
        PARAMS.resolve(overrides)
    for word in words:
        assert word in str(error.value)


def test_a_field_of_a_distribution_can_be_set():
    point = PARAMS.resolve({"pill2_h": {"dist": "lognormal", "median": 1.0, "sigma": 0.5}, "pill2_h.median": 2.0})
    assert point["pill2_h"] == Dist("lognormal", 2.0, 0.5)


def test_encoding_puts_each_parameter_at_its_offset():
    point = PARAMS.resolve(
        {"horizon": 7.5, "select": "noncooperative", "oppose_f": {"dist": "uniform", "low": 0.5, "high": 2.0}}
    )
    theta = PARAMS.encode(point)
    assert theta.size == PARAMS.size
    assert theta[PARAMS.offset["horizon"]] == 7.5
    assert theta[PARAMS.offset["select"]] == 1.0
    assert list(theta[PARAMS.offset["oppose_f"] :][:3]) == [2.0, 0.5, 2.0]


@pytest.mark.parametrize("name", ["compliance", "ratification", "doughnut"])
def test_decode_recovers_every_encoded_value(name):
    params = mc.get_model(name).params
    overrides = {
        "compliance": {
            "direct_h": {"dist": "uniform", "low": 0.2, "high": 1.5},
            "select": "noncooperative",
            "horizon": 7.0,
        },
        "ratification": {"n_a": 101, "info": "asymmetric", "poll": True, "shock_dist": "normal"},
        "doughnut": {
            "box": [{"name": "glazed", "count": 3, "glazed": True}, {"name": "jam", "count": 2, "filled": True}]
        },
    }[name]
    point = params.resolve(overrides)
    decoded = params.decode(params.encode(point))
    assert params.encode(decoded).tobytes() == params.encode(point).tobytes()
    for key, value in point.items():
        if key != "box":  # box type names are not encoded
            assert decoded[key] == value, key


def test_a_design_can_range_over_a_constant_magnitude_but_not_a_choice():
    study = mc.Study("compliance", sample={"method": "lhs", "n": 4, "ranges": {"pill2_h": [0.0, 0.3]}}, trials=10)
    values = [point["pill2_h"] for point in study.points]
    assert all(v.family == "constant" and 0.0 <= v.a <= 0.3 for v in values)
    with pytest.raises(mc.InputError, match="select is a choice"):
        mc.Study("compliance", sample={"method": "lhs", "n": 4, "ranges": {"select": [0, 1]}}, trials=10)


def test_kernels_address_parameters_and_choices_by_name():
    slots, codes = PARAMS.slots(), PARAMS.codes("select")
    assert slots.horizon == PARAMS.offset["horizon"] and slots.direct_f == PARAMS.offset["direct_f"]
    assert (codes.cooperative, codes.noncooperative) == (0.0, 1.0)
