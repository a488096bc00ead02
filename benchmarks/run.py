"""Throughput measured side by side in one run; writes benchmarks/results.{md,json}.

    .venv/bin/python benchmarks/run.py [--quick]

Every figure comes from this run on this machine: the generator's limit, each
kernel against a vectorised NumPy version of the same model, and the kernel on
all cores through the engine. Timings are best-of-``repeats`` wall times.
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

import mc_twolevel as mc
from mc_twolevel import rng

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the plain-NumPy references live with the tests

LOGNORMAL = {"dist": "lognormal", "median": 1.0, "sigma": 0.5}
# Every magnitude uncertain: 14 lognormal draws at t1 and 10 GBM steps to t2.
COMPLIANCE_POINT = {f"{r}_{s}": LOGNORMAL for r in ("direct", "oppose", "recip", "pill1", "pill2", "gov1", "gov2")
                    for s in ("h", "f")} | {"horizon": 5.0, "vol": 0.2}  # fmt: skip
COMPLIANCE_DRAWS = 24  # normal draws per trial at COMPLIANCE_POINT (14 at t1, 10 to t2)
RATIFICATION_1 = {"shock_dist": "normal", "shock_a": 0.3, "shock_b": 0.3}  # 2 normal draws a trial
RATIFICATION_101 = {"shock_dist": "normal", "n_a": 101, "n_b": 101, "spread_a": 0.15, "spread_b": 0.15,
                    "shock_a": 0.1, "shock_b": 0.1}  # fmt: skip
# The n = 101 kernel draws the pivotal voter from its order statistic: 2 shocks and 2 gamma
# deviates per state (about 1 normal each), 6 normal draws a trial; NumPy draws all 202 voters.


def numpy_compliance(params, n):
    from reference_compliance import simulate

    point = mc.get_model("compliance").params.resolve(params)
    return lambda: simulate(point, n, seed=1)


def numpy_ratification(params, n):
    from reference_ratification import simulate_incomplete

    from mc_twolevel.models.ratification import plan

    point = mc.get_model("ratification").params.resolve(params)
    offer = plan(point)[2][0]
    return lambda: simulate_incomplete(point, offer, n, seed=1)


CASES = [  # label, model, parameters, normal draws a trial, vectorised NumPy, trials to time
    ("compliance", "compliance", COMPLIANCE_POINT, COMPLIANCE_DRAWS, numpy_compliance, 4e6),
    ("ratification, n = 1", "ratification", RATIFICATION_1, 2, numpy_ratification, 2e7),
    ("ratification, n = 101", "ratification", RATIFICATION_101, 6, numpy_ratification, 4e6),
]


def best_of(repeats, fn):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def generator_limit(n, repeats):
    """ns per normal draw when the draws are summed (no stores): the kernels' floor."""
    out = np.empty(n)
    state = rng.stream_state(1, (0,))
    rng.fill_normal(state, out[:10])
    return best_of(repeats, lambda: rng.fill_normal(state, out)) / n * 1e9


def kernel_ns(model_name, params, n, repeats):
    model = mc.get_model(model_name)
    theta = model.prepare(model.params.resolve(params))
    model.kernel(theta, 10, rng.stream_state(0, (0,)), model.new_totals())
    run = lambda: model.kernel(theta, n, rng.stream_state(1, (0,)), model.new_totals())  # noqa: E731
    return best_of(repeats, run) / n * 1e9


def engine_ns(model_name, params, trials, workers):
    """ns per trial of a whole engine run (Dask, ``workers`` threads), compile excluded."""
    study = mc.Study(model_name, params=params, trials=trials, seed=1)
    started = time.perf_counter()
    study.run(workers=workers)
    return (time.perf_counter() - started) / trials * 1e9


def measure_case(case, limit, scale, repeats):
    label, model, params, draws, numpy_version, trials = case
    trials = max(int(trials * scale), 1000)
    kernel = kernel_ns(model, params, trials, repeats)
    numpy_trials = max(trials // 4, 1000)
    vectorised = best_of(repeats, numpy_version(params, numpy_trials)) / numpy_trials * 1e9
    engine = engine_ns(model, params, trials * 10, os.cpu_count())
    return {
        "case": label,
        "normal_draws_per_trial": draws,
        "kernel_ns_per_trial": kernel,
        "kernel_trials_per_second_per_core": 1e9 / kernel,
        "share_of_generator_limit": draws * limit / kernel,
        "numpy_ns_per_trial": vectorised,
        "kernel_speedup_over_numpy_one_core": vectorised / kernel,
        "engine_ns_per_trial_all_cores": engine,
        "engine_speedup_over_numpy_one_core": vectorised / engine,
    }


def measure(quick):
    scale = 0.1 if quick else 1.0
    repeats = 3
    limit = generator_limit(int(2e7 * scale), repeats)
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                   f"numpy {np.__version__}",  # fmt: skip
        "generator_ns_per_normal": limit,
        "models": [measure_case(case, limit, scale, repeats) for case in CASES],
    }


COLUMNS = [  # heading, key, format
    ("normal draws / trial", "normal_draws_per_trial", "{:d}"),
    ("kernel ns / trial (1 core)", "kernel_ns_per_trial", "{:.1f}"),
    ("trials / s / core", "kernel_trials_per_second_per_core", "{:.3g}"),
    ("share of generator limit", "share_of_generator_limit", "{:.2f}"),
    ("NumPy ns / trial (1 core)", "numpy_ns_per_trial", "{:.1f}"),
    ("kernel vs NumPy, 1 core", "kernel_speedup_over_numpy_one_core", "{:.1f}x"),
    ("engine ns / trial, all cores", "engine_ns_per_trial_all_cores", "{:.1f}"),
    ("engine (all cores) vs NumPy (1 core)", "engine_speedup_over_numpy_one_core", "{:.1f}x"),
]


def to_markdown(results):
    lines = [
        f"Machine: {results['machine']}",
        "",
        f"Generator limit: {results['generator_ns_per_normal']:.2f} ns per normal draw, one core.",
        "",
        "| measure | " + " | ".join(m["case"] for m in results["models"]) + " |",
        "|---|" + "---|" * len(results["models"]),
    ]
    for heading, key, fmt in COLUMNS:
        lines.append(f"| {heading} | " + " | ".join(fmt.format(m[key]) for m in results["models"]) + " |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the work, for a smoke run")
    args = parser.parse_args()
    results = measure(args.quick)
    markdown = to_markdown(results)
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (HERE / "results.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
