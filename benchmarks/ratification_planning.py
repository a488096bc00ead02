"""The ratification model's per-point planning, before and after, side by side in one run.

    .venv/bin/python benchmarks/ratification_planning.py [--old REVISION] [--points 200]

``plan(point)`` (the beliefs of both states and every offer known once per point)
is timed at a fixed set of points spanning the parameter space (a seeded draw of
constituency sizes, quotas, turnouts, spreads, shocks of both families,
reverberation, information, protocols, proposers and renegotiation), for the
current planner and for the one at ``REVISION`` (default: the commit before the
rewrite, read with ``git show``), alternating point by point, best of three
each. It prints the seconds per point of both, their ratio, the slowest points,
and how far the two planners' first offers and tables differ.
"""

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from run import best_of  # benchmarks/run.py, beside this script

from mc_twolevel.errors import InputError
from mc_twolevel.models import ratification
from mc_twolevel.models.ratification import beliefs

ROOT = Path(__file__).resolve().parent.parent
OLD = "6caca7d"
MODULE = "mc_twolevel/models/ratification/beliefs.py"


def old_beliefs(revision):
    """The planner module as it was at ``revision``, imported inside the ratification package."""
    source = subprocess.run(["git", "show", f"{revision}:{MODULE}"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout  # fmt: skip
    path = Path(tempfile.mkdtemp()) / "old_beliefs.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("mc_twolevel.models.ratification._old_beliefs", path)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "mc_twolevel.models.ratification"
    spec.loader.exec_module(module)
    return module


def _state(rng, s):
    spread = 0.0 if rng.random() < 0.4 else rng.uniform(0.02, 0.3)
    return {
        f"n_{s}": int(rng.choice([1, 1, 3, 11, 25, 51, 101])), f"mu_{s}": rng.uniform(0.0, 0.8),
        f"shock_{s}": 0.0 if rng.random() < 0.15 else rng.uniform(0.02, 0.5), f"spread_{s}": spread,
        f"turnout_{s}": 1.0 if rng.random() < 0.5 else rng.uniform(0.3, 1.0),
        f"quota_{s}": float(rng.choice([0.5, 2 / 3, 1.0])),
        f"side_{s}": 0.0 if rng.random() < 0.5 else rng.uniform(0, 0.1),
        f"reverb_{s}": float(rng.choice([0.0, 0.0, 0.1])), f"backlash_{s}": float(rng.choice([0.0, 0.3])),
    }  # fmt: skip


def points(count, seed=2026):
    """``count`` valid points (refused combinations are drawn again)."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        params = {**_state(rng, "a"), **_state(rng, "b"), "shock_dist": str(rng.choice(["uniform", "normal"])),
                  "info": str(rng.choice(["complete", "asymmetric", "incomplete", "incomplete"])),
                  "protocol": str(rng.choice(["ultimatum", "ultimatum", "nash"])),
                  "proposer": str(rng.choice(["a", "b"])), "rounds": int(rng.choice([1, 1, 2]))}  # fmt: skip
        try:
            out.append(ratification.MODEL.params.resolve(params))
            for check in ratification.MODEL.checks:
                check(out[-1])
        except InputError:
            out.pop()
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default=OLD)
    parser.add_argument("--points", type=int, default=200)
    args = parser.parse_args()
    old = old_beliefs(args.old)
    design = points(args.points)
    beliefs.plan(design[0]), old.plan(design[0])  # compile or load the compiled code
    rows = []
    for point in design:
        t_new = best_of(lambda point=point: beliefs.plan(point))
        t_old = best_of(lambda point=point: old.plan(point))
        new, before = beliefs.plan(point), old.plan(point)
        table = np.abs(new.ratify - before.ratify).max()
        offer = abs(new.first_offer - before.first_offer) if not np.isnan(new.first_offer + before.first_offer) else (
            0.0 if np.isnan(new.first_offer) == np.isnan(before.first_offer) else np.inf)  # fmt: skip
        rows.append((t_old, t_new, table, offer, point))
    old_times, new_times = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    print(f"{len(rows)} points; seconds per point (mean, best of 3 each, alternating old and new)")
    print("| planner | mean | median | max |\n|---|---|---|---|")
    for label, t in ((f"old ({args.old})", old_times), ("new", new_times)):
        print(f"| {label} | {t.mean():.2e} | {np.median(t):.2e} | {t.max():.2e} |")
    print(f"ratio of means: {old_times.mean() / new_times.mean():.1f}x; "
          f"median of per-point ratios: {np.median(old_times / new_times):.1f}x")  # fmt: skip
    tables = np.array([r[2] for r in rows])
    offers = np.array([r[3] for r in rows])
    print(f"tables: max |new - old| {tables.max():.1e} (median {np.median(tables):.1e})")
    print(f"first offers: max |new - old| {offers.max():.1e}; {int((offers > 1e-3).sum())} points differ by > 1e-3, "
          f"{int((offers > 1e-6).sum())} by > 1e-6")  # fmt: skip
    for t_old, t_new, _, _, point in sorted(rows, key=lambda r: -r[1])[:3]:
        keys = ("n_a", "spread_a", "shock_a", "turnout_a", "n_b", "spread_b", "shock_b", "shock_dist", "info")
        print(f"slow: new {t_new:.2e} s, old {t_old:.2e} s at", {k: point[k] for k in keys})


if __name__ == "__main__":
    sys.exit(main())
