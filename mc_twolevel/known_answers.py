"""The known answers of the specification (models.md), checked against the models.

Each :class:`KnownAnswer` is a published or derived claim: a model, a
parameter point, an output and its exact value. :func:`check` estimates them
all and reports each estimate with its standard error and its distance from
the claim in standard errors; ``mc-twolevel check`` prints the table and the
test suite asserts every distance is below 5.
"""

from dataclasses import dataclass, field

from .api import simulate

UNIFORM = {"dist": "uniform", "low": 0.0, "high": 1.0}
OFFER_TOLERANCE = 1e-3  # offers are optimised to well within this; a deterministic output must match to it


def trachtman_uniform(**extra):
    """J, L, K ~ U(0, 1) in both states, no pill or gov, horizon 0, adherence forced."""
    params = {"horizon": 0.0, "shadow": 0.0}
    for s in ("h", "f"):
        params.update({f"direct_{s}": UNIFORM, f"oppose_{s}": UNIFORM, f"recip_{s}": UNIFORM,
                       f"pill1_{s}": 10.0, f"pill2_{s}": 0.0, f"gov1_{s}": 0.0, f"gov2_{s}": 0.0})  # fmt: skip
    return params | extra


ONE_RATIFIER = {"mu_a": 0.5, "shock_a": 0.5, "mu_b": 0.0, "shock_b": 0.0, "proposer": "b"}
TWO_SIDED = {"mu_a": 0.5, "shock_a": 0.5, "mu_b": 0.5, "shock_b": 0.5, "proposer": "a", "info": "incomplete"}
RUBINSTEIN = {"mu_a": 0.0, "shock_a": 0.0, "mu_b": 0.0, "shock_b": 0.0, "protocol": "rubinstein",
              "info": "complete", "delta_a": 0.9, "delta_b": 0.8}  # fmt: skip


@dataclass(frozen=True)
class KnownAnswer:
    model: str
    case: str
    output: str
    value: float
    params: dict = field(hash=False)


KNOWN = (
    *(KnownAnswer("compliance", "J, L, K ~ U(0,1), adherence forced", f"p_{kind}_{s}", value, trachtman_uniform())
      for s in ("h", "f") for kind, value in (("unconditional", 1 / 2), ("conditional", 1 / 3), ("violator", 1 / 6))),
    KnownAnswer("compliance", "both states so: mutual compliance is an equilibrium", "p_mutual", 25 / 36, trachtman_uniform()),
    KnownAnswer("compliance", "both states so: mutual compliance is the unique equilibrium", "p_mutual", 7 / 12,
                trachtman_uniform(select="noncooperative")),
    KnownAnswer("ratification", "one ratifier in a, b proposes, incomplete", "mean_share_a", 0.5, ONE_RATIFIER | {"info": "incomplete"}),
    KnownAnswer("ratification", "one ratifier in a, b proposes, incomplete", "p_invol", 0.5, ONE_RATIFIER | {"info": "incomplete"}),
    KnownAnswer("ratification", "one ratifier in a, b proposes, incomplete", "mean_payoff_a", 0.25, ONE_RATIFIER | {"info": "incomplete"}),
    KnownAnswer("ratification", "one ratifier in a, b proposes, incomplete", "mean_payoff_b", 0.25, ONE_RATIFIER | {"info": "incomplete"}),
    KnownAnswer("ratification", "one ratifier in a, b proposes, asymmetric", "p_invol", 0.0, ONE_RATIFIER | {"info": "asymmetric"}),
    KnownAnswer("ratification", "one ratifier in a, b proposes, asymmetric", "p_breakdown", 0.5, ONE_RATIFIER | {"info": "asymmetric"}),
    KnownAnswer("ratification", "one ratifier in a, b proposes, complete", "p_ratified", 1.0, ONE_RATIFIER | {"info": "complete"}),
    KnownAnswer("ratification", "one ratifier in a, b proposes, complete", "mean_payoff_a", 0.5, ONE_RATIFIER | {"info": "complete"}),
    KnownAnswer("ratification", "R_a, R_b ~ U(0,1), a proposes, incomplete", "mean_share_a", 2 / 3, TWO_SIDED),
    KnownAnswer("ratification", "R_a, R_b ~ U(0,1), a proposes, incomplete", "p_ratified", 2 / 9, TWO_SIDED),
    KnownAnswer("ratification", "R_a, R_b ~ U(0,1), a proposes, incomplete", "mean_payoff_a", 4 / 27, TWO_SIDED),
    KnownAnswer("ratification", "Rubinstein, no constraints, delta 0.9 / 0.8", "mean_share_a", (1 - 0.8) / (1 - 0.9 * 0.8), RUBINSTEIN),
)  # fmt: skip


def distance(estimate, se, value):
    """How far an estimate is from the claim, in standard errors.

    A deterministic estimate (se below 1e-6: zero up to rounding) must match to
    ``OFFER_TOLERANCE`` (distance 0), or it is infinitely far.
    """
    if se >= 1e-6:
        return abs(estimate - value) / se
    return 0.0 if abs(estimate - value) <= OFFER_TOLERANCE else float("inf")


def check(trials=1_000_000, seed=20261122):
    """Rows ``(known answer, estimate, se, distance)`` for every known answer."""
    runs = {}
    rows = []
    for answer in KNOWN:
        key = (answer.model, repr(sorted(answer.params.items())))
        if key not in runs:
            runs[key] = simulate(answer.model, answer.params, trials=trials, seed=seed)
        ds = runs[key]
        estimate, se = float(ds[answer.output]), float(ds[f"{answer.output}_se"])
        rows.append((answer, estimate, se, distance(estimate, se, answer.value)))
    return rows
