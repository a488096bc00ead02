"""Golden counters: the exact counts each model's kernel gives at fixed points, seeds and trials.

A change in how a kernel uses its random stream changes these counts; the test
then fails until the model's ``version`` is bumped on purpose (which also keeps
stores made by the old kernel from being resumed by the new one) and the pins
are regenerated with::

    .venv/bin/python tests/test_golden_counters.py --update
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import mc_twolevel as mc
from mc_twolevel import engine

PINS = Path(__file__).with_name("golden_counters.json")
SEED = 20261122
CASES = {
    "compliance": [
        ({"inner_trials": 50, "periods": 4, "shock_rate": 0.1, "vol": 0.4, "lockin": 0.2}, 2_000),
        ({"horizon": 5.0, "lockin": 0.1, "shock_rate": 0.05, "gov2_h": {"dist": "normal", "mean": 0.1, "sd": 0.3},
          "pill2_f": {"dist": "lognormal", "median": 0.3, "sigma": 0.5}}, 20_000),
        ({"horizon": 0.0, "select": "noncooperative", "sequential": True,
          "recip_h": {"dist": "uniform", "low": 0.0, "high": 1.0}}, 20_000),
    ],
    "ratification": [
        ({"n_a": 101, "spread_a": 0.1, "turnout_a": 0.9, "info": "asymmetric", "proposer": "b"}, 5_000),
        ({"rounds": 2, "strategic_vote": True, "mu_b": 0.4, "shock_b": 0.3}, 5_000),
        ({"poll": True, "protocol": "nash", "reverb_a": 0.1, "backlash_a": 0.3, "shock_dist": "normal"}, 5_000),
        ({"protocol": "rubinstein", "info": "complete", "side_b": 0.1}, 5_000),
        ({"mu_b": 0.0, "shock_b": 0.0, "proposer": "b", "rounds": 2, "renegotiation": "equilibrium"}, 5_000),
        ({"mu_b": 0.3, "shock_b": 0.2, "proposer": "a", "linkage_price": 0.7}, 5_000),
    ],
    "doughnut": [({}, 40), ({"rounds": 1, "credit": 2, "aspiration": 0.45}, 40)],
    "multilateral": [({"n_states": 7, "gamma": 0.5, "vol": 0.4, "shock_rate": 0.1}, 5_000)],
}  # fmt: skip


def counters(name, params, trials):
    """The kernel's counts, by counter name, for one chunk at ``params``."""
    model = mc.get_model(name)
    point = model.params.resolve(params)
    theta = model.prepare(point)
    item = np.array([(0, 0, 0, trials)])
    totals = engine.run_items(model.task_kernel, theta[None], [model.tables(point)], item, SEED)[0]
    return {counter: totals[model.layout.columns(counter)].tolist() for counter in model.counters}


def current():
    return {
        name: {"version": mc.get_model(name).version, "cases": [counters(name, p, n) for p, n in cases]}
        for name, cases in CASES.items()
    }


@pytest.mark.parametrize("name", list(CASES))
def test_kernel_counts_are_pinned_until_the_version_is_bumped(name):
    pinned = json.loads(PINS.read_text())[name]
    version = mc.get_model(name).version
    assert pinned["version"] == version, (
        f"{name} is at version {version} but its golden counters pin version {pinned['version']}: "
        f"regenerate them with `python {Path(__file__).name} --update` after checking the change"
    )
    for case, ((params, trials), expected) in enumerate(zip(CASES[name], pinned["cases"])):
        got = counters(name, params, trials)
        assert got == expected, (
            f"{name} case {case} ({params}, {trials} trials): the kernel's counts changed; "
            f"if its use of the random stream changed on purpose, bump MODEL.version and regenerate"
        )


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    PINS.write_text(json.dumps(current(), indent=1) + "\n")
    print(f"wrote {PINS}")
