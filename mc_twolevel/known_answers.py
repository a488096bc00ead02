"""The known answers of every model, checked against the models.

Each model declares its :class:`~mc_twolevel.model.KnownAnswer` s beside its
kernel (``Model.known_answers``): a published or derived claim, a parameter
point, an output and its exact value. :func:`check` estimates them all and
reports each estimate with its standard error and its distance from the claim
in standard errors; ``mc-twolevel check`` prints the table and the test suite
asserts every distance is below 5.
"""

from . import schema
from .registry import get_model, model_names

OFFER_TOLERANCE = 1e-3  # offers are optimised to well within this; a deterministic output must match to it


def known_answers():
    """Every registered model's known answers, model by model."""
    return tuple(answer for name in model_names() for answer in get_model(name).known_answers)


def distance(estimate, se, value):
    """How far an estimate is from the claim, in standard errors.

    A deterministic estimate (se below 1e-6: zero up to rounding) must match to
    ``OFFER_TOLERANCE`` (distance 0), or it is infinitely far.
    """
    if se >= 1e-6:
        return abs(estimate - value) / se
    return 0.0 if abs(estimate - value) <= OFFER_TOLERANCE else float("inf")


def check(trials=1_000_000, seed=20261122, answers=None):
    """Rows ``(known answer, estimate, se, distance)`` for every known answer."""
    from .api import simulate

    runs = {}
    rows = []
    for answer in known_answers() if answers is None else answers:
        key = (answer.model, repr(sorted(answer.params.items())))
        if key not in runs:
            runs[key] = simulate(answer.model, answer.params, trials=trials, seed=seed)
        ds = runs[key].sel(answer.at)
        estimate, se = float(ds[answer.output]), float(ds[schema.companion(answer.output, schema.SE)])
        rows.append((answer, estimate, se, distance(estimate, se, answer.value)))
    return rows
