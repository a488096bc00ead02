"""Doughnut throughput before and after: classes per second per core, side by side.

Runs the doughnut kernel of a baseline commit (default: 6caca7d, before the two real
rounds, trades and fair ties) and of this checkout in two worker processes, each on one
core, alternating rounds of timing so both see the same machine load; reports each
setting's median rate and the ratio. The baseline is a `git archive` of the commit in a
temporary folder; each worker imports its own copy. Kernels run directly on their
per-point tables (no Dask), after a warm-up that compiles them.

    python benchmarks/doughnut.py [--baseline 6caca7d] [--classes 300] [--rounds 5]
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
SETTINGS = {  # name: parameters (the baseline ignores those it does not know)
    "defaults": {},
    "one round": {"rounds": 1},
    "no trades": {"trades": False},
    "one round, no trades, no side payments": {"rounds": 1, "trades": False, "side_payments": False},
}

WORKER = r"""
import json, sys, time
import numpy as np
import mc_twolevel as mc
from mc_twolevel.rng import stream_state

model = mc.get_model("doughnut")
prepared, defaults = {}, model.params.resolve({})
for line in sys.stdin:
    name, params, classes = json.loads(line)
    params = {k: v for k, v in params.items() if k in defaults}
    if name not in prepared:
        point = model.params.resolve(params)
        theta, tables = model.prepare(point), model.tables(point)
        totals = np.zeros(model.layout.size)
        model.kernel(theta, *tables, 3, stream_state(0, (0, 0)), totals)  # compile
        prepared[name] = theta, tables, totals
    theta, tables, totals = prepared[name]
    start = time.perf_counter()
    model.kernel(theta, *tables, classes, stream_state(len(prepared), (1, 0)), totals)
    print(json.dumps(classes / (time.perf_counter() - start)), flush=True)
"""


def _worker(root):
    return subprocess.Popen([sys.executable, "-c", WORKER], cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip


def _rate(worker, name, params, classes):
    worker.stdin.write(json.dumps([name, params, classes]) + "\n")
    worker.stdin.flush()
    return json.loads(worker.stdout.readline())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="6caca7d")
    parser.add_argument("--classes", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(["git", "archive", args.baseline], cwd=HERE, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        workers = {"before": _worker(Path(folder)), "after": _worker(HERE)}
        rates = {(name, side): [] for name in SETTINGS for side in workers}
        for _ in range(args.rounds):
            for name, params in SETTINGS.items():
                for side, worker in workers.items():
                    rates[name, side].append(_rate(worker, name, params, args.classes))
        for worker in workers.values():
            worker.stdin.close()
            worker.wait()
    print(f"classes per second per core, median of {args.rounds} alternating rounds of {args.classes} classes")
    print(f"| setting | before ({args.baseline}) | after | after / before |")
    print("|---|---|---|---|")
    for name in SETTINGS:
        before, after = (statistics.median(rates[name, side]) for side in ("before", "after"))
        print(f"| {name} | {before:.0f} | {after:.0f} | {after / before:.2f} |")


if __name__ == "__main__":
    main()
