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


def numpy_ns(params, n, repeats):
    from reference_compliance import simulate

    point = mc.get_model("compliance").params.resolve(params)
    return best_of(repeats, lambda: simulate(point, n, seed=1)) / n * 1e9


def engine_ns(model_name, params, trials, workers):
    """ns per trial of a whole engine run (Dask, ``workers`` threads), compile excluded."""
    study = mc.Study(model_name, params=params, trials=trials, seed=1)
    started = time.perf_counter()
    study.run(workers=workers)
    return (time.perf_counter() - started) / trials * 1e9


def measure(quick):
    scale = 0.1 if quick else 1.0
    repeats = 3
    limit = generator_limit(int(2e7 * scale), repeats)
    kernel = kernel_ns("compliance", COMPLIANCE_POINT, int(4e6 * scale), repeats)
    vectorised = numpy_ns(COMPLIANCE_POINT, int(1e6 * scale), repeats)
    cores = os.cpu_count()
    both = engine_ns("compliance", COMPLIANCE_POINT, int(1e8 * scale), cores)
    return {
        "machine": f"{platform.machine()}, {cores} cores, Python {platform.python_version()}, "
                   f"numpy {np.__version__}",  # fmt: skip
        "generator_ns_per_normal": limit,
        "compliance": {
            "normal_draws_per_trial": COMPLIANCE_DRAWS,
            "kernel_ns_per_trial": kernel,
            "kernel_trials_per_second_per_core": 1e9 / kernel,
            "share_of_generator_limit": COMPLIANCE_DRAWS * limit / kernel,
            "numpy_ns_per_trial": vectorised,
            "kernel_speedup_over_numpy_one_core": vectorised / kernel,
            "engine_ns_per_trial_all_cores": both,
            "engine_speedup_over_numpy_all_cores": vectorised / both,
        },
    }


def to_markdown(results):
    c = results["compliance"]
    return "\n".join([
        f"Machine: {results['machine']}",
        "",
        "| measure | value |",
        "|---|---|",
        f"| generator: ns per normal draw (the limit) | {results['generator_ns_per_normal']:.2f} |",
        f"| compliance: normal draws per trial | {c['normal_draws_per_trial']} |",
        f"| compliance kernel: ns per trial, one core | {c['kernel_ns_per_trial']:.1f} |",
        f"| compliance kernel: trials per second per core | {c['kernel_trials_per_second_per_core']:.3g} |",
        f"| compliance kernel: share of the generator limit | {c['share_of_generator_limit']:.2f} |",
        f"| vectorised NumPy: ns per trial, one core | {c['numpy_ns_per_trial']:.1f} |",
        f"| kernel / NumPy speed-up, one core | {c['kernel_speedup_over_numpy_one_core']:.1f}x |",
        f"| engine on all cores: ns per trial | {c['engine_ns_per_trial_all_cores']:.1f} |",
        f"| engine on all cores / NumPy on one | {c['engine_speedup_over_numpy_all_cores']:.1f}x |",
    ]) + "\n"  # fmt: skip


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
