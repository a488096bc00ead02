"""The instructors' guide's figure of levers: what a class of 16 does as the quota, the
extra credit and the number of doughnuts change, one lever at a time from the class of
`studies/doughnut_class.toml` (aspiration 0.45, noise_1 0.3, noise_2 0.1, two rounds).

    PYTHONPATH=. python docs/figures/doughnut_levers.py   # writes docs/figures/doughnut_levers.png and prints the table
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import mc_twolevel as mc
from mc_twolevel.models.doughnut import DEFAULT_BOX

CLASS = {"n_students": 16, "reward": 2, "aspiration": 0.45, "noise_1": 0.3, "noise_2": 0.1}
TRIALS, SEED = 800, 2026


def box_of(glazed):
    """The default box with ``glazed`` glazed doughnuts (3 in the default box of 11)."""
    return [dict(t, count=glazed) if t["name"] == "glazed" else dict(t) for t in DEFAULT_BOX]


LEVERS = {  # lever: (axis label, values, parameters at each value)
    "quota": ("quota (share of a group's voters needed)", [0.5, 0.75, 1.0], lambda q: {"quota": q}),
    "credit": ("extra-credit points to split", [0, 2, 4], lambda c: {"credit": c}),
    "doughnuts": ("doughnuts in the box", [9, 11, 13], lambda n: {"box": box_of(n - 8)}),
}
OUTPUTS = {"p_success": "deal holds", "p_invol": "deal voted down", "p_side_payment": "side payment"}


def main():
    figure, axes = plt.subplots(1, len(LEVERS), figsize=(12, 3.6), sharey=True)
    print("| lever | value | p_success | p_invol | p_side_payment | mean_doughnuts_a | se of p_success |")
    print("|---|---|---|---|---|---|---|")
    for ax, (lever, (label, values, params)) in zip(axes, LEVERS.items()):
        runs = [mc.simulate("doughnut", CLASS | params(v), trials=TRIALS, seed=SEED) for v in values]
        for output, name in OUTPUTS.items():
            ax.errorbar(values, [float(r[output]) for r in runs], yerr=[1.96 * float(r[f"{output}_se"]) for r in runs],
                        marker="o", capsize=3, label=name)  # fmt: skip
        for v, r in zip(values, runs):
            print(f"| {lever} | {v} | {float(r.p_success):.3f} | {float(r.p_invol):.3f} | "
                  f"{float(r.p_side_payment):.3f} | {float(r.mean_doughnuts_a):.2f} | {float(r.p_success_se):.3f} |")  # fmt: skip
        ax.set_xlabel(label)
        ax.set_xticks(values)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"share of {TRIALS} simulated classes")
    axes[0].legend(loc="center left")
    figure.suptitle("A class of 16 with 11 doughnuts: one lever at a time (95% intervals)")
    figure.tight_layout()
    figure.savefig(Path(__file__).with_name("doughnut_levers.png"), dpi=110)


if __name__ == "__main__":
    main()
