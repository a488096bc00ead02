"""Two source trees of the package, their kernels timed side by side in one run.

    .venv/bin/python benchmarks/compare.py OLD_TREE NEW_TREE [--rounds 5]

Makes a git worktree of an older commit comparable with the current one on the
same machine at the same time: each round times every kernel case once in a
fresh process per tree, alternating old and new, and the table gives the
median ns per trial of each and their ratio (new / old). The cases are those
of benchmarks/run.py.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from run import CASES  # noqa: E402

PROBE = r"""
import json, sys, time
import mc_twolevel as mc
from mc_twolevel import rng

def ns_per_trial(name, params, trials):
    model = mc.get_model(name)
    point = model.params.resolve(params)
    theta = model.prepare(point)
    if hasattr(model, "run"):  # models that declare a per-point plan pass its tables
        tables = model.tables(point)
        streams = getattr(model, "streams", 1)
        task = model.task_kernel
        states = task.states if hasattr(task, "states") else lambda seed, key: rng.stream_state(seed, key, streams)
        call = lambda n, key: model.run(theta, tables, n, states(1, key), model.new_totals())
    else:
        call = lambda n, key: model.kernel(theta, n, rng.stream_state(1, key), model.new_totals())
    call(10, (0,))
    best = float("inf")
    for repeat in range(3):
        started = time.perf_counter()
        call(trials, (repeat,))
        best = min(best, time.perf_counter() - started)
    return best / trials * 1e9

cases = json.loads(sys.argv[1])
print(json.dumps([ns_per_trial(name, params, trials) for _, name, params, trials in cases]))
"""


def _cases():
    return [(case.label, case.model, case.params, int(case.kernel_trials)) for case in CASES]


def time_tree(tree, cases):
    """ns per trial of each case, measured in a fresh process importing the package from ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(Path(tree).resolve()))
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(cases)], env=env, check=True,
                         capture_output=True, text=True, cwd=tree)  # fmt: skip
    return json.loads(out.stdout.splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    cases = _cases()
    times = {args.old: [], args.new: []}
    for _ in range(args.rounds):
        for tree in (args.old, args.new):
            times[tree].append(time_tree(tree, cases))
    print("| case | old ns/trial | new ns/trial | new / old |\n|---|---|---|---|")
    for k, (label, *_) in enumerate(cases):
        old = statistics.median(run[k] for run in times[args.old])
        new = statistics.median(run[k] for run in times[args.new])
        print(f"| {label} | {old:.1f} | {new:.1f} | {new / old:.3f} |")


if __name__ == "__main__":
    main()
