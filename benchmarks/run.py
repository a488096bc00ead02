"""Everything measured side by side in one run; writes benchmarks/results.{md,json}.

    .venv/bin/python benchmarks/run.py [--old TREE] [--quick]

All figures come from this run on this machine: both generators' limits (the
scalar stream of ``rng`` and the lanes of ``lanes``), each kernel against its own
generator's limit and against a vectorised NumPy version of the same model (one
core each, and the kernel on both cores), local parallel efficiency on a sweep,
peak memory, and the main job's wall time beyond its compute, warm and cold.
With ``--old TREE`` (a checkout of an earlier version, say a ``git worktree`` of
main) the compliance kernel and the main job are also timed from that tree,
alternating with this one. Timings are best-of-three (best-of-``ROUNDS`` where
two things alternate); ``--quick`` does a tenth of the work (a smoke run, not a
measurement).
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np

import mc_twolevel as mc
from mc_twolevel import engine, fastmath, lanes, rng
from mc_twolevel.parallel import ThreadExecutor

HERE = Path(__file__).parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))  # the plain-NumPy references live with the tests
sys.path.insert(0, str(HERE))

import pure_python  # noqa: E402

LOGNORMAL = {"dist": "lognormal", "median": 1.0, "sigma": 0.5}
# Every magnitude uncertain: 14 lognormal draws at t1 and 10 GBM steps to t2.
COMPLIANCE = {f"{r}_{s}": LOGNORMAL for r in pure_python.ROLES for s in ("h", "f")} | {"horizon": 5.0, "vol": 0.2}
MULTILATERAL = {"n_states": 5, "vol": 0.2}  # defaults: direct, oppose, recip lognormal; 8 normals a state
RATIFICATION_1 = {"shock_dist": "normal", "shock_a": 0.3, "shock_b": 0.3}
RATIFICATION_101 = {"shock_dist": "normal", "n_a": 101, "n_b": 101, "spread_a": 0.15, "spread_b": 0.15,
                    "shock_a": 0.1, "shock_b": 0.1}  # fmt: skip
MAIN_JOB = ROOT / "studies" / "compliance_horizon.toml"
REPEATS = 3
ROUNDS = 5  # alternating rounds where two generators or two trees are compared


def best_of(fn, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def machine_load():
    """The 1-minute load average (the machine is shared: a load above the core count
    slows every figure of this run alike, which the ratios survive)."""
    return os.getloadavg()[0]


# --- the generators ----------------------------------------------------------------------------


@numba.njit(nogil=True)
def _exp_blocks(x, out, repeats):
    for _ in range(repeats):
        fastmath.exp_block(x, out, out.shape[0])


BLOCKS = (256, 512, 1024)  # the old kernels filled 256 at a time; ratification fills 512, compliance 1,024


def generators(scale):
    """ns per normal of both generators filling cache-resident blocks of each size in ``BLOCKS``
    over and over (as kernels do), and ns per vectorised ``exp`` over such a block; every fill
    takes its turn round by round, so a busy moment slows all of them alike."""
    repeats = {size: max(int(2.56e7 * scale / size), 100) for size in BLOCKS}
    scalar, lane = rng.stream_state(1, (0,)), lanes.lane_state(1, (0,))
    fills = {}
    for size in BLOCKS:
        block, x, r = np.empty(size), np.random.default_rng(0).normal(0.0, 1.0, size), repeats[size]
        fills[("scalar", size)] = lambda b=block, r=r: rng.fill_normal_blocks(scalar, b, r)
        fills[("lanes", size)] = lambda b=block, r=r: lanes.fill_normal_blocks(lane, b, r)
        fills[("exp", size)] = lambda b=block, x=x, r=r: _exp_blocks(x, b, r)
    best = dict.fromkeys(fills, float("inf"))
    for fill in fills.values():
        fill()  # compile
    for _ in range(ROUNDS):
        for (name, size), fill in fills.items():
            started = time.perf_counter()
            fill()
            best[name, size] = min(best[name, size], (time.perf_counter() - started) / (size * repeats[size]) * 1e9)
    per_block = {
        str(size): {
            "ns_per_normal": {"scalar": best["scalar", size], "lanes": best["lanes", size]},
            "normals_per_second_per_core": {"scalar": 1e9 / best["scalar", size], "lanes": 1e9 / best["lanes", size]},
            "lanes_over_scalar": best["scalar", size] / best["lanes", size],
            "ns_per_exp": best["exp", size],
        }
        for size in BLOCKS
    }
    return {"blocks": per_block}


# --- the models -------------------------------------------------------------------------------


def _point(model_name, params):
    model = mc.get_model(model_name)
    point = model.params.resolve(params)
    return model, point, model.prepare(point), model.tables(point)


def _kernel_and_limit_ns(model_name, params, trials, size, windows=15):
    """ns per trial of the kernel on one core, and ns per normal of its generator filling blocks
    of ``size`` (the kernel's own), timed in turns over ``windows`` short windows (``trials / 10``
    trials each) and the best of each kept: on a shared machine both then see the same quiet
    moments."""
    model, _, theta, tables = _point(model_name, params)
    task = model.task_kernel
    model.run(theta, tables, 10, task.states(0, (0,)), model.new_totals())
    n = max(int(trials) // 10, 100)
    block, state = np.empty(size), task.states(2, (0,))
    fill = lanes.fill_normal_blocks if task.generator == "lanes" else rng.fill_normal_blocks
    fill(state, block, 1)
    started = time.perf_counter()
    model.run(theta, tables, n, task.states(1, (0,)), model.new_totals())
    repeats = max(int((time.perf_counter() - started) / size / 2e-9), 10)  # about as long as a kernel window
    kernel = limit = float("inf")
    for window in range(windows):
        started = time.perf_counter()
        model.run(theta, tables, n, task.states(1, (window,)), model.new_totals())
        kernel = min(kernel, (time.perf_counter() - started) / n * 1e9)
        started = time.perf_counter()
        fill(state, block, repeats)
        limit = min(limit, (time.perf_counter() - started) / (size * repeats) * 1e9)
    return kernel, limit


def _kernel_ns_both_cores(model_name, params, trials):
    """ns per trial (wall) of ``trials`` trials in 32 chunks, run as 8 tasks (``engine.run_items``)
    on the local pool of 2 threads."""
    model, _, theta, tables = _point(model_name, params)
    chunk = max(trials // 32, 1)
    items = np.array([(0, 0, c, chunk) for c in range(32)])
    tasks = np.array_split(np.arange(32), 8)
    calls = [(model.task_kernel, np.array([theta] * len(rows)), [tables] * len(rows), items[rows], 1) for rows in tasks]

    def run():
        for _ in ThreadExecutor(2).map_unordered(engine.run_items, calls):
            pass

    run()
    return best_of(run) / items[:, 3].sum() * 1e9


def _compliance_versions(trials):
    from reference_compliance import simulate

    point = mc.get_model("compliance").params.resolve(COMPLIANCE)
    small = max(trials // 200, 500)
    return (lambda: simulate(point, trials, seed=1), trials), (lambda: pure_python.compliance(point, small), small)


def _multilateral_versions(trials):
    from reference_multilateral import simulate

    point = mc.get_model("multilateral").params.resolve(MULTILATERAL)
    return (lambda: simulate(point, trials, seed=1), trials), None


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


@dataclass(frozen=True)
class Case:
    label: str
    model: str
    params: dict
    draws: int  # normal draws a trial
    exps: int  # vectorised exponentials a trial (compliance's stages)
    versions: object  # trials -> (vectorised NumPy, pure Python) callables, or None
    block: int  # values the kernel's generator fills at a time (normals of one variable for a block of trials)
    kernel_trials: float
    numpy_trials: float


CASES = [
    Case("compliance", "compliance", COMPLIANCE, 24, 20, _compliance_versions, 1024, 4e6, 1e6),
    # 5 states x (3 lognormal t1 draws + 5 GBM steps to t2): 40 normals and 40 exponentials
    Case("multilateral, 5 states", "multilateral", MULTILATERAL, 40, 40, _multilateral_versions, 1024, 1e6, 2e5),
    Case("ratification, n = 1", "ratification", RATIFICATION_1, 2, 0, _ratification_versions(RATIFICATION_1), 512,
         2e7, 2e6),
    # n = 101: the kernel draws the pivotal voter from its order statistic (2 shocks, and 2 gamma
    # deviates a state, a normal and a uniform each: 6 normals, and 4 uniforms at about a quarter
    # of a normal's price, left out here); the NumPy version draws all 202 voters.
    Case("ratification, n = 101", "ratification", RATIFICATION_101, 6, 0, _ratification_versions(RATIFICATION_101),
         512, 4e6, 1e5),
    # a trial is a class: 2 x 4 group tastes, 16 students x (4 tastes, an aspiration, a knowledge error);
    # the scalar stream draws one normal at a time, so its block is only the benchmark's
    Case("doughnut (a class)", "doughnut", {}, 104, 0, _no_versions, 256, 500, 0),
]  # fmt: skip


def model_case(case, gen, scale):
    generator = mc.get_model(case.model).task_kernel.generator
    kernel_trials = max(int(case.kernel_trials * scale), 200)
    kernel, limit = _kernel_and_limit_ns(case.model, case.params, kernel_trials, case.block)
    both = _kernel_ns_both_cores(case.model, case.params, kernel_trials)
    vectorised_version, pure = case.versions(max(int(case.numpy_trials * scale), 10_000))
    vectorised = best_of(vectorised_version[0]) / vectorised_version[1] * 1e9 if vectorised_version else None
    python = best_of(pure[0], repeats=1) / pure[1] * 1e9 if pure else None
    floor = case.draws * limit + case.exps * gen["blocks"][str(case.block)]["ns_per_exp"]
    return {
        "case": case.label,
        "generator": generator,
        "block": case.block,
        "generator_ns_per_normal_beside_it": limit,
        "normal_draws_per_trial": case.draws,
        "exps_per_trial": case.exps,
        "kernel_ns_per_trial": kernel,
        "kernel_trials_per_second_per_core": 1e9 / kernel,
        "share_of_generator_limit": case.draws * limit / kernel,
        "share_of_draw_and_exp_floor": floor / kernel,
        "kernel_ns_per_trial_both_cores": both,
        "numpy_ns_per_trial": vectorised,
        "numpy_over_kernel": vectorised / kernel if vectorised else None,
        "numpy_over_kernel_both_cores": vectorised / both if vectorised else None,
        "python_ns_per_trial": python,
        "python_over_kernel": python / kernel if python else None,
    }


# --- old against new (another tree of the package, in fresh processes) -------------------------


_WINDOWS = r"""
import json, sys, time
import mc_twolevel as mc
from mc_twolevel import rng

params, trials, windows = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
model = mc.get_model("compliance")
point = model.params.resolve(params)
theta, tables = model.prepare(point), model.tables(point)
task = model.task_kernel
states = task.states if hasattr(task, "states") else lambda seed, key: rng.stream_state(seed, key, model.streams)
model.run(theta, tables, 10, states(0, (0,)), model.new_totals())
best = float("inf")
for window in range(windows):
    state = states(1, (window,))
    started = time.perf_counter()
    model.run(theta, tables, trials, state, model.new_totals())
    best = min(best, (time.perf_counter() - started) / trials * 1e9)
print(best)
"""


def _compliance_window_ns(tree, trials, windows):
    """The best ns per trial over ``windows`` short runs of compliance, in a fresh process
    importing the package from ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(Path(tree).resolve()))
    out = subprocess.run([sys.executable, "-c", _WINDOWS, json.dumps(COMPLIANCE), str(trials), str(windows)],
                         env=env, check=True, capture_output=True, text=True, cwd=tree).stdout  # fmt: skip
    return float(out.split()[-1])


def compliance_old_and_new(old_tree, scale):
    """Compliance ns per trial from ``old_tree`` and from this tree: fresh processes taking turns,
    each keeping its best of 20 short windows (about 20 ms each), the best of all kept."""
    trials = max(int(2e5 * scale), 10_000)
    best = {"old": float("inf"), "new": float("inf")}
    for _ in range(ROUNDS):
        for name, tree in (("old", old_tree), ("new", ROOT)):
            best[name] = min(best[name], _compliance_window_ns(tree, trials, 20))
    return {"old_tree": str(old_tree), "ns_per_trial": best, "old_over_new": best["old"] / best["new"]}


# --- local parallel efficiency ------------------------------------------------------------------


def _sweep_seconds(run, trials_per_point):
    study = mc.Study("compliance", params=COMPLIANCE, sweep={"shadow": list(np.linspace(0, 2, 10))},
                     trials=trials_per_point, seed=1)  # fmt: skip
    run(study)  # compile, warm
    started = time.perf_counter()
    result = run(study)
    return time.perf_counter() - started, result


def parallel(scale, total_trials):
    """Efficiency T1 / (2 T2) on a 10-point sweep: one core; the engine's local thread pool on
    two; dask.distributed with 2 single-threaded worker processes (a cluster's layout)."""
    from distributed import Client, LocalCluster

    trials_per_point = int(total_trials / 10 * scale)
    seconds, results = {}, {}
    seconds["1 core (serial)"], results["serial"] = _sweep_seconds(lambda s: s.run(workers=1), trials_per_point)
    seconds["2 threads, local pool (the engine's layout)"], results["pool"] = _sweep_seconds(
        lambda s: s.run(workers=2), trials_per_point
    )
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:  # fmt: skip
        seconds["dask.distributed, 2 single-threaded processes"], results["dask"] = _sweep_seconds(
            lambda s: s.run(client=client), trials_per_point
        )
    identical = all(results["serial"].equals(r) for r in results.values())  # the numbers (attrs hold timings)
    pool_overhead = _pool_overhead()
    one = seconds["1 core (serial)"]
    return {
        "sweep_trials": 10 * trials_per_point,
        "seconds": seconds,
        "efficiency": {name: one / (2 * s) for name, s in seconds.items() if name != "1 core (serial)"},
        "bit_identical_across_layouts": identical,
        "ms_overhead_per_task_local_pool": pool_overhead,
    }


def _noop(x):
    return x


def _pool_overhead(tasks=2000):
    calls = [(k,) for k in range(tasks)]
    started = time.perf_counter()
    for _ in ThreadExecutor(2).map_unordered(_noop, calls):
        pass
    return (time.perf_counter() - started) / tasks * 1e3


# --- memory and the main job (in fresh processes) -----------------------------------------------

_MEMORY = """
import resource, sys, json, mc_twolevel as mc
params = json.loads(sys.argv[1]); peaks = {}
for trials in map(int, sys.argv[2:]):
    mc.Study("compliance", params=params, trials=trials, seed=1).run(workers=2)
    peaks[trials] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(peaks))
"""


def memory(scale, largest):
    sizes = [int(s * scale) for s in (1e6, 1e7, 1e8, 1e9) if s <= largest]
    out = subprocess.run([sys.executable, "-c", _MEMORY, json.dumps(COMPLIANCE), *map(str, sizes)],
                         check=True, capture_output=True, text=True).stdout  # fmt: skip
    return {"peak_rss_mib_after": json.loads(out.strip().splitlines()[-1])}


def _main_job(tree, cache, folder, trials):
    """Wall seconds of ``mc-twolevel run studies/compliance_horizon.toml --plot`` from ``tree``, and
    the seconds of compute it reports (the trials themselves)."""
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_CACHE_DIR=str(cache))
    command = [sys.executable, "-m", "mc_twolevel", "run", str(MAIN_JOB), "--plot", "--out", str(folder / "job.zarr")]
    if trials:
        command += ["--trials", str(trials)]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=folder, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - started
    compute = float(re.search(r"trials, ([0-9.]+) s", done.stdout).group(1))
    return {"wall_seconds": wall, "compute_seconds": compute, "overhead_seconds": wall - compute,
            "said_compiling": "compiling" in done.stderr}  # fmt: skip


_PHASES = r"""
import json, sys, time
started = time.perf_counter()
from mc_twolevel import cli, store
from mc_twolevel.study import Study
marks = {"imports": (started, time.perf_counter())}

def timed(owner, name):
    inner = getattr(owner, name)
    def wrapper(*args, **kwargs):
        begun = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            marks[name] = (begun, time.perf_counter())
    setattr(owner, name, wrapper)

for owner, name in ((Study, "_empty_results"), (store, "check_writable"), (Study, "_compile"),
                    (Study, "_execute"), (store, "write_finished")):
    timed(owner, name)
sys.argv = ["mc-twolevel", *sys.argv[1:]]
status = cli.main()
if status:
    sys.exit(status)
marks["figure"] = (marks["write_finished"][1], time.perf_counter())
print(json.dumps({name: end - begun for name, (begun, end) in marks.items()}))
"""
PHASES = {  # what each timed step of the warm main job does
    "imports": "Python's imports (numba, pandas, xarray, zarr, Dask)",
    "_empty_results": "the results' layout in xarray (its first use imports dask.array)",
    "check_writable": "the store composed in memory before any compute (Zarr, an array at a time)",
    "_compile": "loading the compiled kernel from numba's cache",
    "_execute": "the compute (the trials, on the local pool of threads)",
    "write_finished": "the final write (the draft filled in, then put on disk)",
    "figure": "the figure (matplotlib's import, constrained layout, drawing, the PNG)",
}


def main_job_phases(tree, cache, trials):
    """Seconds of each step of a warm main job from ``tree`` with the numba cache ``cache`` (a
    fresh process, timers wrapped round the steps), and the wall time of the whole process; "the
    rest" is Python's start and everything between the steps."""
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_CACHE_DIR=str(cache))
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-c", _PHASES, "run", str(MAIN_JOB), "--plot", "--out", f"{folder}/job.zarr"]
        started = time.perf_counter()
        done = subprocess.run(command + (["--trials", str(trials)] if trials else []), env=env, cwd=folder,
                              capture_output=True, text=True)  # fmt: skip
        wall = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"the timed main job failed (status {done.returncode}):\n{done.stderr}")
    seconds = json.loads(done.stdout.strip().splitlines()[-1])
    seconds["rest"] = wall - sum(seconds.values())
    return {"wall_seconds": wall, "seconds": seconds, "compiled": "compiling" in done.stderr}


def main_job(trees, scale):
    """The main job cold (an empty numba cache) then warm, from each tree; and the steps of a
    warm one from this tree, with the same cache."""
    trials = None if scale == 1.0 else int(12e6 * scale)
    out = {}
    for name, tree in trees.items():
        with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as folder:
            cold = _main_job(tree, Path(cache), Path(folder), trials)
            for stale in Path(folder).glob("job*"):
                subprocess.run(["rm", "-rf", str(stale)], check=True)
            warm = _main_job(tree, Path(cache), Path(folder), trials)
            out[name] = {"cold": cold, "warm": warm}
            if tree == ROOT:
                phases = main_job_phases(tree, cache, trials)
    return out, phases


# --- report -----------------------------------------------------------------------------------


def measure(quick, old_tree, total_trials, largest_memory):
    scale = 0.1 if quick else 1.0
    load = [machine_load()]
    gen = generators(scale)
    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}, numba {numba.__version__}",  # fmt: skip
        "generators": gen,
        "models": [model_case(case, gen, scale) for case in CASES],
    }
    load.append(machine_load())
    if old_tree:
        results["compliance_old_and_new"] = compliance_old_and_new(old_tree, scale)
    results["parallel"] = parallel(scale, total_trials)
    load.append(machine_load())
    results["memory"] = memory(scale, largest_memory)
    trees = {"new": ROOT} | ({"old": Path(old_tree)} if old_tree else {})
    results["main_job"], results["main_job_phases"] = main_job(trees, scale)
    load.append(machine_load())
    results["load_average"] = load
    return results


def _fmt(value, spec):
    return "n/a" if value is None else spec.format(value)


MODEL_ROWS = [
    ("generator", "generator", "{}"),
    ("values its generator fills at a time", "block", "{:d}"),
    ("normal draws per trial", "normal_draws_per_trial", "{:d}"),
    ("vectorised exp per trial", "exps_per_trial", "{:d}"),
    ("kernel ns per trial, one core", "kernel_ns_per_trial", "{:.1f}"),
    ("kernel trials per second per core", "kernel_trials_per_second_per_core", "{:.3g}"),
    (
        "its generator's ns per normal at that block, timed in turns with it",
        "generator_ns_per_normal_beside_it",
        "{:.2f}",
    ),
    ("share of its generator's limit (draws x ns per draw / ns per trial)", "share_of_generator_limit", "{:.2f}"),
    ("share of the draws-and-exp floor", "share_of_draw_and_exp_floor", "{:.2f}"),
    ("kernel ns per trial, both cores (wall)", "kernel_ns_per_trial_both_cores", "{:.1f}"),
    ("vectorised NumPy ns per trial, one core", "numpy_ns_per_trial", "{:.1f}"),
    ("NumPy / kernel, one core each", "numpy_over_kernel", "{:.1f}x"),
    ("NumPy (one core) / kernel (both cores)", "numpy_over_kernel_both_cores", "{:.1f}x"),
    ("pure Python ns per trial", "python_ns_per_trial", "{:.0f}"),
    ("pure Python / kernel", "python_over_kernel", "{:.0f}x"),
]


def to_markdown(r):
    g, p, m = r["generators"], r["parallel"], r["memory"]["peak_rss_mib_after"]
    loads = ", ".join(f"{x:.1f}" for x in r["load_average"])
    lines = [f"Machine: {r['machine']}; 1-minute load average during the run: {loads} (2 cores, shared)", "",
             "## Generators (cache-resident blocks, filled over and over, taking turns, best of 5)", "",
             "| values a fill | old: scalar xoshiro256** + ziggurat (`rng`), ns per normal | new: 8 xoshiro256** "
             "lanes + Box-Muller (`lanes`), ns per normal | new over old, normals per second per core | "
             "vectorised `exp` (`fastmath`), ns an element |", "|---|---|---|---|---|",
             *(f"| {size} | {b['ns_per_normal']['scalar']:.2f} | {b['ns_per_normal']['lanes']:.2f} | "
               f"**{b['lanes_over_scalar']:.2f}x** | {b['ns_per_exp']:.2f} |" for size, b in g["blocks"].items()), "",
             "The old kernels filled 256 values at a time; compliance and multilateral now fill 1,024, "
             "ratification 512.", "",
             "## Models", "", "| | " + " | ".join(c["case"] for c in r["models"]) + " |",
             "|---|" + "---|" * len(r["models"])]  # fmt: skip
    for heading, key, spec in MODEL_ROWS:
        lines.append(f"| {heading} | " + " | ".join(_fmt(c[key], spec) for c in r["models"]) + " |")
    if "compliance_old_and_new" in r:
        o = r["compliance_old_and_new"]
        lines += ["", "## Compliance, old against new (fresh processes taking turns, best of 5 x 20 short windows, "
                  "one core)", "",
                  "| | ns per trial |", "|---|---|",
                  f"| old (`{o['old_tree']}`: scalar generator) | {o['ns_per_trial']['old']:.1f} |",
                  f"| new (lanes) | {o['ns_per_trial']['new']:.1f} |", "",
                  f"Old over new: **{o['old_over_new']:.2f}x**."]  # fmt: skip
    lines += ["", f"## Local parallel efficiency: a 10-point compliance sweep of {p['sweep_trials']:.2g} trials", "",
              "| layout | seconds | efficiency (T1 / 2 T2) |", "|---|---|---|"]  # fmt: skip
    for name, seconds in p["seconds"].items():
        lines.append(f"| {name} | {seconds:.2f} | {_fmt(p['efficiency'].get(name), '{:.3f}')} |")
    lines += ["", f"- all layouts bit-identical: {p['bit_identical_across_layouts']}",
              f"- overhead per no-op task on the local pool: {p['ms_overhead_per_task_local_pool']:.3f} ms", "",
              "## Peak memory (compliance, local pool on 2 threads, one process)", "",
              "| trials | peak RSS (MiB) |", "|---|---|"]  # fmt: skip
    lines += [f"| {int(float(t)):.0e} | {mib:.0f} |" for t, mib in m.items()]
    lines += ["", "## The main job: `mc-twolevel run studies/compliance_horizon.toml --plot`", "",
              "Wall time of the whole command in a fresh process; compute is the run's own figure "
              "(the trials); overhead is the rest (imports, planning, compiling or loading the kernel, "
              "writing the store, the figure).", "",
              "| tree | numba cache | wall (s) | compute (s) | overhead (s) | said it was compiling |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for tree, runs in r["main_job"].items():
        for kind, run in runs.items():
            lines.append(f"| {tree} | {kind} | {run['wall_seconds']:.1f} | {run['compute_seconds']:.1f} | "
                         f"{run['overhead_seconds']:.1f} | {'yes' if run['said_compiling'] else 'no'} |")  # fmt: skip
    if "main_job_phases" in r:
        phases = r["main_job_phases"]
        lines += ["", f"Where a warm main job's time goes (new tree, another fresh process: "
                  f"{phases['wall_seconds']:.1f} s wall, the cache the warm run above filled"
                  f"{'; it compiled nonetheless, so this is no warm run' if phases.get('compiled') else ''}):",
                  "", "| step | seconds |", "|---|---|"]  # fmt: skip
        described = PHASES | {"rest": "Python's start, and everything between the steps"}
        lines += [f"| {described[name]} | {seconds:.2f} |" for name, seconds in phases["seconds"].items()]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the work, for a smoke run")
    parser.add_argument("--old", help="a source tree of an earlier version to time beside this one")
    parser.add_argument("--sweep-trials", type=float, default=5e8, help="trials of the efficiency sweep (5e8)")
    parser.add_argument("--largest-memory", type=float, default=1e9, help="largest run of the memory test (1e9)")
    parser.add_argument("--only-old-and-new", action="store_true",
                        help="re-measure only compliance old against new (--old) into the existing results")  # fmt: skip
    args = parser.parse_args()
    suffix = "-quick" if args.quick else ""
    if args.only_old_and_new:
        results = json.loads((HERE / f"results{suffix}.json").read_text())
        results["compliance_old_and_new"] = compliance_old_and_new(args.old, 0.1 if args.quick else 1.0)
        results["compliance_old_and_new"]["load_average"] = machine_load()
    else:
        results = measure(args.quick, args.old, args.sweep_trials, args.largest_memory)
    markdown = to_markdown(results)
    (HERE / f"results{suffix}.json").write_text(json.dumps(results, indent=2) + "\n")
    (HERE / f"results{suffix}.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
