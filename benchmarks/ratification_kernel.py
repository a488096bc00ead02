"""The ratification kernel, before and after, side by side in one run.

    .venv/bin/python benchmarks/ratification_kernel.py --old TREE [--rounds 5] [--windows 15]
    .venv/bin/python benchmarks/ratification_kernel.py --stages

At the two ratification cases of ``benchmarks/run.py`` (one normal-shocked
ratifier a side; 101 voters a side with spread and a normal shock), fresh
processes import the package from ``TREE`` (a checkout of the old version, e.g.
``/work/main`` or a ``git worktree``) and from this tree, taking turns for
``rounds`` rounds. Each process times the kernel over ``windows`` short windows
of one core and, between windows, its own generator filling blocks of normals
and of uniforms the size its kernel fills (512 on the lanes, 256 on the scalar
stream; the limit its draws can reach), keeping the best of each. The table gives ns per trial, the generator's ns per draw beside it, the
draws per trial, and the share of the generator's limit: draws x ns per draw /
ns per trial (normals and uniforms each at their own price). Each tree compiles
into a numba cache of its own, made for the run: numba's on-disk cache checks
only the kernel's own source file, so a cache left by another version of a
function the kernel calls would be loaded as if current.

With ``--stages``, this tree's kernel and each of its stages (those of ``mc_twolevel.models.ratification.vote`` and
the counting's, run alone over the same trials) at both cases, taking turns in
one process: what the time of a trial goes to.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
from run import RATIFICATION_1, RATIFICATION_101  # benchmarks/run.py, beside this script

from mc_twolevel import lanes
from mc_twolevel.models.ratification import vote
from mc_twolevel.models.ratification.declarations import KEY, SHOCK_DIST, P
from mc_twolevel.models.ratification.kernel import _state_values, count_winsets, vote_on_one_offer

ROOT = Path(__file__).resolve().parent.parent
CASES = {"n = 1": RATIFICATION_1, "n = 101": RATIFICATION_101}
# draws per trial: (normals, uniforms). Old: the scalar stream, a gamma deviate (Marsaglia and
# Tsang) a normal and a uniform; new: the lanes, the same per gamma deviate (a few percent redrawn).
DRAWS = {"n = 1": (2, 0), "n = 101": (6, 4)}

_WINDOWS = r"""
import json, sys, time
import numba
import numpy as np
import mc_twolevel as mc
from mc_twolevel import lanes, rng

params, trials, windows = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
model = mc.get_model("ratification")
point = model.params.resolve(params)
theta, tables = model.prepare(point), model.tables(point)
task = model.task_kernel
generator = getattr(task, "generator", "scalar")
source = lanes if generator == "lanes" else rng
uniforms_into = source.uniforms_into


@numba.njit(nogil=True)
def fill_uniform_blocks(states, out, repeats):
    for _ in range(repeats):
        uniforms_into(states[0], out, out.shape[0])


try:
    from mc_twolevel.models.ratification.vote import BLOCK as size  # the block the lanes kernel fills
except ImportError:
    size = 256  # the scalar kernel's
fills = {"normal": source.fill_normal_blocks, "uniform": fill_uniform_blocks}
block, state = np.empty(size), task.states(2, (0,))
model.run(theta, tables, 10, task.states(0, (0,)), model.new_totals())
for fill in fills.values():
    fill(state, block, 1)
started = time.perf_counter()
model.run(theta, tables, trials, task.states(1, (0,)), model.new_totals())
repeats = max(int((time.perf_counter() - started) / size / 2e-9), 10)  # about as long as a kernel window
best = {"trial": float("inf"), **{name: float("inf") for name in fills}}
for window in range(windows):
    started = time.perf_counter()
    model.run(theta, tables, trials, task.states(1, (window,)), model.new_totals())
    best["trial"] = min(best["trial"], (time.perf_counter() - started) / trials * 1e9)
    for name, fill in fills.items():
        started = time.perf_counter()
        fill(state, block, repeats)
        best[name] = min(best[name], (time.perf_counter() - started) / (size * repeats) * 1e9)
print(json.dumps({"generator": generator, "version": model.version, **best}))
"""


def windows_ns(tree, cache, params, trials, windows):
    """The best ns per trial and per draw over ``windows`` short windows, in a fresh process
    importing the package from ``tree`` with numba's cache in ``cache``."""
    env = dict(os.environ, PYTHONPATH=str(Path(tree).resolve()), NUMBA_CACHE_DIR=str(cache))
    out = subprocess.run([sys.executable, "-c", _WINDOWS, json.dumps(params), str(trials), str(windows)], env=env,
                         check=True, capture_output=True, text=True, cwd=tree).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


@numba.njit(nogil=True)
def _stage(theta, which, trials, states):
    """Run one of this tree's stages over ``trials`` trials, a block at a time (both states as
    state a, whose parameters the benchmark's cases share with b): 0 the whole of Level II
    (shocks, pivots, reverberation) for both states, 1 the shocks, 2 the pivots, 3 the
    win-sets' counts, 4 the one-offer votes, 5 two normals a trial (the draws alone)."""
    s, p = states[0], _state_values(theta)
    rows, floors = np.zeros((2, vote.BLOCK)), np.full((2, vote.BLOCK), 0.3)
    work, counts, pending, flags = vote.scratch()
    cdf, scales = vote.participant_cdf(int(p[0, KEY.n]), p[0, KEY.turnout]), vote.gamma_scales(int(p[0, KEY.n]) + 1)
    totals, normal_shock = np.zeros(64), theta[P.shock_dist] == SHOCK_DIST.normal
    for _ in range(trials // vote.BLOCK):
        n = vote.BLOCK
        for i in range(2):
            if which in (0, 1):
                vote.draw_shocks(s, p[i, KEY.shock], normal_shock, p[i, KEY.mu] - p[i, KEY.side], rows[i], n)
            if which in (0, 2):
                vote.pivot_block(s, p, i, cdf, scales, rows[i], work, counts, pending, flags, n)
            if which == 0:
                vote.reverberate(s, p, i, rows[i], work[0], n)
            if which == 5:
                lanes.normals_into(s, rows[i], n)
        if which == 3:
            count_winsets(floors, work, totals, n)
        if which == 4:
            totals[:3] += np.array(vote_on_one_offer(0.5, 0.0, 0.0, floors, n))
    return totals[0] + rows[0, 0]


STAGES = ("Level II, both states (shocks, pivots, reverberation)", "shocks", "pivots", "win-sets' counts",
          "one-offer votes", "2 normals (the draws of n = 1)")  # fmt: skip


def stages(windows, trials=51_200):
    """ns per trial of the whole kernel and of each stage of this tree, at both cases, taking
    turns over ``windows`` windows (best of each)."""
    import mc_twolevel as mc

    model = mc.get_model("ratification")
    runs = {}
    for case, params in CASES.items():
        point = model.params.resolve(params)
        theta, tables = model.prepare(point), model.tables(point)
        runs[(case, "whole kernel")] = lambda theta=theta, tables=tables: model.run(
            theta, tables, trials, model.task_kernel.states(1, (0,)), model.new_totals()
        )
        for which, stage in enumerate(STAGES):
            runs[(case, stage)] = lambda theta=theta, which=which: _stage(
                theta, which, trials, lanes.lane_state(1, (0,))
            )
    best = dict.fromkeys(runs, float("inf"))
    for run in runs.values():
        run()
    for _ in range(windows):
        for key, run in runs.items():
            started = time.perf_counter()
            run()
            best[key] = min(best[key], (time.perf_counter() - started) / trials * 1e9)
    print(f"load {os.getloadavg()[0]:.2f}; best of {windows} windows of {trials} trials, taking turns")
    print("| case | stage | ns/trial |\n|---|---|---|")
    for (case, stage), ns in best.items():
        print(f"| {case} | {stage} | {ns:.1f} |")


def share(draws, timing):
    """The generator's limit over the kernel's time: draws x ns per draw / ns per trial."""
    normals, uniforms = draws
    return (normals * timing["normal"] + uniforms * timing["uniform"]) / timing["trial"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", help="a tree holding the old version of the package")
    parser.add_argument("--stages", action="store_true", help="time this tree's stages instead")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--windows", type=int, default=15)
    parser.add_argument("--trials", type=int, default=200_000, help="trials per window (n = 1; a fifth for n = 101)")
    args = parser.parse_args()
    if args.stages:
        return stages(args.windows)
    if not args.old:
        parser.error("--old TREE is needed to compare (or --stages)")
    trees = {"old": Path(args.old), "new": ROOT}
    load = [os.getloadavg()[0]]
    best = {(case, name): None for case in CASES for name in trees}
    caches = {name: tempfile.mkdtemp(prefix=f"numba-{name}-") for name in trees}
    for _ in range(args.rounds):
        for case, params in CASES.items():
            trials = args.trials if case == "n = 1" else args.trials // 5
            for name, tree in trees.items():
                got = windows_ns(tree, caches[name], params, trials, args.windows)
                kept = best[(case, name)]
                best[(case, name)] = (
                    got if kept is None else {k: min(v, got[k]) if isinstance(v, float) else v for k, v in kept.items()}
                )
    load.append(os.getloadavg()[0])
    print(f"load (1-minute average) {load[0]:.2f} before, {load[1]:.2f} after; best of {args.rounds} rounds x "
          f"{args.windows} windows, old and new taking turns")  # fmt: skip
    print("| case | tree | generator | version | ns/trial | ns/normal | ns/uniform | normals, uniforms a trial "
          "| share of the generator's limit |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for case in CASES:
        for name in trees:
            t = best[(case, name)]
            draws = DRAWS[case]
            print(
                f"| {case} | {name} | {t['generator']} | {t['version']} | {t['trial']:.1f} | {t['normal']:.2f} | "
                f"{t['uniform']:.2f} | {draws[0]}, {draws[1]} | {share(draws, t):.2f} |"
            )
        old, new = best[(case, "old")]["trial"], best[(case, "new")]["trial"]
        print(f"| {case} | old / new | | | {old / new:.1f}x | | | | |")


if __name__ == "__main__":
    sys.exit(main())
