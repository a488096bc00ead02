"""Everything measured side by side in one run; writes benchmarks/results.{md,json}.

    .venv/bin/python benchmarks/run.py [--quick]

All figures come from this run on this machine: the generator's limit, each
kernel against a vectorised NumPy and a pure-Python version of the same model,
Dask with 1 and 2 workers, peak memory from 1e6 to 1e9 trials, and start-up
cold and warm. Timings are best-of-three wall times; ``--quick`` does a tenth
of the work (a smoke run, not a measurement).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import mc_twolevel as mc
from mc_twolevel import rng

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the plain-NumPy references live with the tests
sys.path.insert(0, str(HERE))

import pure_python  # noqa: E402

LOGNORMAL = {"dist": "lognormal", "median": 1.0, "sigma": 0.5}
# Every magnitude uncertain: 14 lognormal draws at t1 and 10 GBM steps to t2.
COMPLIANCE = {f"{r}_{s}": LOGNORMAL for r in pure_python.ROLES for s in ("h", "f")} | {"horizon": 5.0, "vol": 0.2}
RATIFICATION_1 = {"shock_dist": "normal", "shock_a": 0.3, "shock_b": 0.3}
RATIFICATION_101 = {"shock_dist": "normal", "n_a": 101, "n_b": 101, "spread_a": 0.15, "spread_b": 0.15,
                    "shock_a": 0.1, "shock_b": 0.1}  # fmt: skip
REPEATS = 3


def best_of(fn, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


# --- the generator -----------------------------------------------------------------------------


def generator(scale):
    """ns per normal draw: in cache-resident blocks (the limit kernels can reach) and one call each."""
    state = rng.stream_state(1, (0,))
    block, repeats = np.empty(256), max(int(4e5 * scale), 100)
    rng.fill_normal_blocks(state, block, 1)
    limit = best_of(lambda: rng.fill_normal_blocks(state, block, repeats)) / (256 * repeats) * 1e9
    array = np.ones(int(4e6 * scale))
    rng.fill_normal(state, array[:10])
    per_call = best_of(lambda: rng.fill_normal(state, array)) / array.size * 1e9
    return {"ns_per_normal_in_blocks": limit, "ns_per_normal_one_call_each": per_call}


# --- the models -------------------------------------------------------------------------------


def _kernel_ns(model_name, params, trials):
    model = mc.get_model(model_name)
    point = model.params.resolve(params)
    theta, tables = model.prepare(point), model.tables(point)
    model.run(theta, tables, 10, rng.stream_state(0, (0,), model.streams), model.new_totals())
    run = lambda: model.run(theta, tables, trials, rng.stream_state(1, (0,), model.streams), model.new_totals())
    return best_of(run) / trials * 1e9


def _compliance_versions(trials):
    from reference_compliance import simulate

    point = mc.get_model("compliance").params.resolve(COMPLIANCE)
    small = max(trials // 200, 500)
    return (lambda: simulate(point, trials, seed=1), trials), (lambda: pure_python.compliance(point, small), small)


def _ratification_versions(params):
    def versions(trials):
        from reference_ratification import simulate_incomplete

        from mc_twolevel.models.ratification import plan

        point = mc.get_model("ratification").params.resolve(params)
        offer = plan(point).first_offer
        small = max(trials // 50, 500)
        pure = (lambda: pure_python.ratification(point, offer, small), small) if point["n_a"] == 1 else None
        return (lambda: simulate_incomplete(point, offer, trials, seed=1), trials), pure

    return versions


def _no_versions(trials):
    return None, None


CASES = [  # label, model, parameters, normal draws a trial, other versions, kernel trials, NumPy trials
    ("compliance", "compliance", COMPLIANCE, 24, _compliance_versions, 4e6, 1e6),
    ("ratification, n = 1", "ratification", RATIFICATION_1, 2, _ratification_versions(RATIFICATION_1), 2e7, 2e6),
    # n = 101: the kernel draws the pivotal voter from its order statistic (2 shocks, and 2 gamma
    # deviates a state, about one normal each: 6 draws); the NumPy version draws all 202 voters.
    ("ratification, n = 101", "ratification", RATIFICATION_101, 6, _ratification_versions(RATIFICATION_101), 4e6, 1e5),
    # a trial is a class: 2 x 4 group tastes, 16 students x (4 tastes, an aspiration, a knowledge error)
    ("doughnut (a class)", "doughnut", {}, 104, _no_versions, 2000, 0),
]  # fmt: skip


def model_case(case, limit, scale):
    label, model, params, draws, versions, kernel_trials, numpy_trials = case
    kernel = _kernel_ns(model, params, max(int(kernel_trials * scale), 200))
    vectorised_version, pure = versions(max(int(numpy_trials * scale), 10_000))
    vectorised = best_of(vectorised_version[0]) / vectorised_version[1] * 1e9 if vectorised_version else None
    python = best_of(pure[0], repeats=1) / pure[1] * 1e9 if pure else None
    return {
        "case": label,
        "normal_draws_per_trial": draws,
        "kernel_ns_per_trial": kernel,
        "kernel_trials_per_second_per_core": 1e9 / kernel,
        "share_of_generator_limit": draws * limit / kernel,
        "numpy_ns_per_trial": vectorised,
        "numpy_over_kernel": vectorised / kernel if vectorised else None,
        "python_ns_per_trial": python,
        "python_over_kernel": python / kernel if python else None,
    }


# --- Dask -------------------------------------------------------------------------------------


def _sweep_seconds(client, trials_per_point):
    study = mc.Study("compliance", params=COMPLIANCE, sweep={"shadow": list(np.linspace(0, 2, 10))},
                     trials=trials_per_point, seed=1)  # fmt: skip
    study.run(client=client)  # compile and warm the workers
    started = time.perf_counter()
    study.run(client=client)
    return time.perf_counter() - started


def dask(scale):
    """Parallel efficiency T1 / (2 T2) on a 10-point sweep, and overhead per task."""
    from distributed import Client, LocalCluster

    trials_per_point = int(5e7 * scale)  # 10 points: 5e8 trials in all
    layouts = {
        "1 worker thread": dict(n_workers=1, threads_per_worker=1, processes=False),
        "2 threads, one in-process worker (the engine's layout)": dict(n_workers=1, threads_per_worker=2, processes=False),
        "2 single-threaded worker processes": dict(n_workers=2, threads_per_worker=1, processes=True),
    }  # fmt: skip
    seconds = {}
    for name, layout in layouts.items():
        with LocalCluster(dashboard_address=":0", **layout) as cluster, Client(cluster) as client:
            seconds[name] = _sweep_seconds(client, trials_per_point)
            if "engine" in name:
                overhead = _task_overhead(client)
    one = seconds["1 worker thread"]
    return {
        "sweep_trials": 10 * trials_per_point,
        "seconds": seconds,
        "efficiency": {name: one / (2 * s) for name, s in seconds.items() if name != "1 worker thread"},
        "ms_overhead_per_task": overhead,
    }


def _noop(x):
    return x


def _task_overhead(client, tasks=2000):
    futures = client.map(_noop, range(tasks), pure=False)
    client.gather(futures)
    started = time.perf_counter()
    client.gather(client.map(_noop, range(tasks), pure=False))
    return (time.perf_counter() - started) / tasks * 1e3


# --- memory and start-up (in fresh processes) -------------------------------------------------

_MEMORY = """
import resource, sys, json, mc_twolevel as mc
params = json.loads(sys.argv[1]); peaks = {}
for trials in map(int, sys.argv[2:]):
    mc.Study("compliance", params=params, trials=trials, seed=1).run(workers=2)
    peaks[trials] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(peaks))
"""

_START = """
import time; started = time.perf_counter()
import mc_twolevel as mc
ds = mc.simulate("compliance", trials=1000, seed=1)
print(ds.attrs["compile_seconds"], time.perf_counter() - started)
"""


def memory(scale):
    sizes = [int(s * scale) for s in (1e6, 1e7, 1e8, 1e9)]
    out = subprocess.run([sys.executable, "-c", _MEMORY, json.dumps(COMPLIANCE), *map(str, sizes)],
                         check=True, capture_output=True, text=True).stdout  # fmt: skip
    return {"peak_rss_mib_after": json.loads(out.strip().splitlines()[-1])}


def start_up():
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        runs = [subprocess.run([sys.executable, "-c", _START], env=env, check=True, capture_output=True,
                               text=True).stdout.split() for _ in range(2)]  # fmt: skip
    (cold_compile, cold_total), (warm_compile, warm_total) = [(float(a), float(b)) for a, b in runs]
    return {"cold": {"compile_seconds": cold_compile, "process_seconds": cold_total},
            "warm": {"compile_seconds": warm_compile, "process_seconds": warm_total}}  # fmt: skip


# --- report -----------------------------------------------------------------------------------


def measure(quick):
    scale = 0.1 if quick else 1.0
    gen = generator(scale)
    limit = gen["ns_per_normal_in_blocks"]
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, numba {__import__('numba').__version__}",  # fmt: skip
        "generator": gen,
        "models": [model_case(case, limit, scale) for case in CASES],
        "dask": dask(scale),
        "memory": memory(scale),
        "start_up": start_up(),
    }


def _fmt(value, spec):
    return "n/a" if value is None else spec.format(value)


MODEL_ROWS = [
    ("normal draws per trial", "normal_draws_per_trial", "{:d}"),
    ("kernel ns per trial, one core", "kernel_ns_per_trial", "{:.1f}"),
    ("kernel trials per second per core", "kernel_trials_per_second_per_core", "{:.3g}"),
    ("share of the generator limit", "share_of_generator_limit", "{:.2f}"),
    ("vectorised NumPy ns per trial, one core", "numpy_ns_per_trial", "{:.1f}"),
    ("NumPy / kernel, one core each", "numpy_over_kernel", "{:.1f}x"),
    ("pure Python ns per trial", "python_ns_per_trial", "{:.0f}"),
    ("pure Python / kernel", "python_over_kernel", "{:.0f}x"),
]


def to_markdown(r):
    g, d, m, s = r["generator"], r["dask"], r["memory"]["peak_rss_mib_after"], r["start_up"]
    lines = [f"Machine: {r['machine']}", "", "## Generator", "",
             f"- the limit, normals filled in cache-resident blocks: **{g['ns_per_normal_in_blocks']:.2f} ns** per draw "
             f"({1e9 / g['ns_per_normal_in_blocks']:.3g} draws per second per core)",
             f"- one `normal(s)` call per draw into a large array: {g['ns_per_normal_one_call_each']:.2f} ns", "",
             "## Models", "", "| | " + " | ".join(c["case"] for c in r["models"]) + " |",
             "|---|" + "---|" * len(r["models"])]  # fmt: skip
    for heading, key, spec in MODEL_ROWS:
        lines.append(f"| {heading} | " + " | ".join(_fmt(c[key], spec) for c in r["models"]) + " |")
    lines += ["", f"## Dask: a 10-point compliance sweep of {d['sweep_trials']:.2g} trials", "",
              "| layout | seconds | efficiency (T1 / 2 T2) |", "|---|---|---|"]  # fmt: skip
    for name, seconds in d["seconds"].items():
        lines.append(f"| {name} | {seconds:.2f} | {_fmt(d['efficiency'].get(name), '{:.3f}')} |")
    engine = d["seconds"]["2 threads, one in-process worker (the engine's layout)"]
    numpy_ns = r["models"][0]["numpy_ns_per_trial"]
    lines += ["", f"- overhead per task (no-op tasks): {d['ms_overhead_per_task']:.2f} ms",
              f"- compliance on both cores through the engine: {engine / d['sweep_trials'] * 1e9:.1f} ns per trial, "
              f"{numpy_ns / (engine / d['sweep_trials'] * 1e9):.1f}x vectorised NumPy on one core", "",
              "## Peak memory (compliance, engine on 2 threads, one process)", "",
              "| trials | peak RSS (MiB) |", "|---|---|"]  # fmt: skip
    lines += [f"| {int(float(t)):.0e} | {mib:.0f} |" for t, mib in m.items()]
    lines += ["", "## Start-up (a fresh process: import, compile or load, 1,000 trials)", "",
              "| | kernel compile or load (s) | whole process (s) |", "|---|---|---|",
              f"| cold (empty numba cache) | {s['cold']['compile_seconds']:.2f} | {s['cold']['process_seconds']:.2f} |",
              f"| warm (cache on disk) | {s['warm']['compile_seconds']:.2f} | {s['warm']['process_seconds']:.2f} |"]  # fmt: skip
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the work, for a smoke run")
    args = parser.parse_args()
    results = measure(args.quick)
    markdown = to_markdown(results)
    suffix = "-quick" if args.quick else ""
    (HERE / f"results{suffix}.json").write_text(json.dumps(results, indent=2) + "\n")
    (HERE / f"results{suffix}.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
