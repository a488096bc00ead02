"""Compliance's stages timed side by side with the plain-NumPy reference, one core each.

    .venv/bin/python benchmarks/compliance_stages.py

One-shot trials, screening at 1,000 inner draws per adhering state, and 20
compliance periods: the kernel's trials per second per core, and the NumPy
reference's (tests/reference_compliance.py) at the same points in the same run.
"""

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from reference_compliance import simulate as reference  # noqa: E402
from run import best_of  # noqa: E402

import mc_twolevel as mc  # noqa: E402

CASES = [  # label, parameters, kernel trials, reference trials
    ("one-shot (defaults, horizon 5)", {}, 4_000_000, 400_000),
    ("screening, 1,000 inner draws", {"inner_trials": 1000}, 20_000, 400),
    ("20 periods", {"periods": 20, "period_years": 1.0, "shock_rate": 0.05}, 1_000_000, 100_000),
]


def rates(model, params, kernel_trials, numpy_trials):
    """Trials per second per core of the kernel and of the NumPy reference at ``params``."""
    point = model.params.resolve(params)
    theta, tables = model.prepare(point), model.tables(point)

    def run(trials):
        model.run(theta, tables, trials, model.task_kernel.states(1, (0,)), model.new_totals())

    run(10)  # compile or load
    return kernel_trials / best_of(lambda: run(kernel_trials)), numpy_trials / best_of(
        lambda: reference(point, numpy_trials, seed=1), repeats=1
    )


def main():
    model = mc.get_model("compliance")
    print("| case | kernel trials/s/core | NumPy trials/s/core | kernel / NumPy |\n|---|---|---|---|")
    for label, params, kernel_trials, numpy_trials in CASES:
        kernel_rate, numpy_rate = rates(model, params, kernel_trials, numpy_trials)
        print(f"| {label} | {kernel_rate:.3g} | {numpy_rate:.3g} | {kernel_rate / numpy_rate:.0f}x |")


if __name__ == "__main__":
    main()
