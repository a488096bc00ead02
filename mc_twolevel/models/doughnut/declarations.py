"""The doughnut model's declarations: the box, the parameters and the outputs."""

import numpy as np

from ...errors import InputError
from ...model import Dim, Mean, Probability
from ...params import Flag, ParamSet, Real

ATTRIBUTES = ("sprinkles", "chocolate", "filled", "glazed")
MAX_TYPES = 12
MAX_DOUGHNUTS = 24
SPLITS = tuple(range(MAX_DOUGHNUTS + 1))

DEFAULT_BOX = (
    {"name": "glazed", "count": 3, "glazed": True},
    {"name": "chocolate frosted", "count": 2, "chocolate": True},
    {"name": "chocolate with sprinkles", "count": 2, "chocolate": True, "sprinkles": True},
    {"name": "strawberry with sprinkles", "count": 1, "sprinkles": True},
    {"name": "Boston cream", "count": 1, "chocolate": True, "filled": True},
    {"name": "jelly filled", "count": 1, "filled": True},
    {"name": "plain", "count": 1},
)


class Box:
    """The box of doughnuts: a list of types, each ``{name, count, <attribute> = true}``."""

    name = "box"
    doc = "the doughnuts: a list of { name, count, sprinkles, chocolate, filled, glazed }"
    units = ""
    width = 1 + MAX_TYPES * (1 + len(ATTRIBUTES))
    range = f"1-{MAX_TYPES} types, 3-{MAX_DOUGHNUTS} doughnuts"

    def parse(self, value):
        if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= MAX_TYPES:
            raise InputError(f"box: expected a list of 1 to {MAX_TYPES} doughnut types, got {value!r}")
        types = []
        for entry in value:
            if not isinstance(entry, dict) or "name" not in entry:
                raise InputError(f"box: each type is a table with a name, a count and attributes; got {entry!r}")
            unknown = set(entry) - {"name", "count", *ATTRIBUTES}
            if unknown:
                raise InputError(f"box: {entry['name']!r} has unknown key(s) {', '.join(sorted(unknown))}; "
                                 f"attributes are {', '.join(ATTRIBUTES)}")  # fmt: skip
            count = entry.get("count", 1)
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise InputError(f"box: {entry['name']!r} count = {count!r}; expected a whole number >= 1")
            if any(not isinstance(entry.get(a, False), bool) for a in ATTRIBUTES):
                raise InputError(f"box: {entry['name']!r}: attributes are true or false")
            types.append({"name": str(entry["name"]), "count": count, **{a: entry.get(a, False) for a in ATTRIBUTES}})
        total = sum(t["count"] for t in types)
        if not 3 <= total <= MAX_DOUGHNUTS:
            raise InputError(f"box: {total} doughnuts; a box holds 3 to {MAX_DOUGHNUTS}")
        return tuple(types)

    def encode(self, value):
        rows = [[t["count"], *(float(t[a]) for a in ATTRIBUTES)] for t in value]
        rows += [[0.0] * (1 + len(ATTRIBUTES))] * (MAX_TYPES - len(rows))
        return (float(len(value)), *(x for row in rows for x in row))

    def decode(self, slots):
        """The box's counts and attributes (names are not encoded: types are numbered)."""
        rows = np.asarray(slots[1:]).reshape(MAX_TYPES, 1 + len(ATTRIBUTES))[: int(slots[0])]
        return tuple({"name": f"type {i + 1}", "count": int(row[0]), **{a: bool(row[1 + k]) for k, a in enumerate(ATTRIBUTES)}}
                     for i, row in enumerate(rows))  # fmt: skip


Box.default = Box().parse(DEFAULT_BOX)
Box.shown_default = (f"{sum(t['count'] for t in DEFAULT_BOX)} doughnuts in {len(DEFAULT_BOX)} types: "
                     + ", ".join(f"{t['count']} {t['name']}" for t in DEFAULT_BOX))  # fmt: skip

PARAMS = ParamSet(
    Real("n_students", 16, 4, 40, "students in the class, split into two equal groups", integer=True),
    Box(),
    Real("reward", 2, 0, 3, "doughnuts each negotiator takes from the box on success", integer=True),
    Real("credit", 0, -10, 10, "extra-credit points (negative: duties) the deal splits", integer=True),
    Real("credit_value", 0.5, 0.0, 5.0, "worth of one credit point to a student", "doughnuts"),
    Real("quota", 0.5, 0.01, 1.0, "share of a group's voters whose yes ratifies"),
    Real("base_value", 1.0, -2.0, 5.0, "worth of any doughnut to any student", "doughnuts"),
    Real("group_spread", 0.5, 0.0, 3.0, "sd of a group's taste for an attribute", "doughnuts"),
    Real("taste_spread", 0.5, 0.0, 3.0, "sd of a student's taste about its group's", "doughnuts"),
    Real("aspiration", 0.3, -5.0, 20.0, "mean utility a voter demands of a deal", "doughnuts"),
    Real("aspiration_spread", 0.15, 0.0, 5.0, "sd of voters' aspirations", "doughnuts"),
    Real("fairness", 0.5, 0.0, 10.0, "mean weight of envy of the other group's larger take"),
    Real("noise_1", 0.3, 0.001, 5.0, "negotiator's error about a voter's margin after the first in-group round",
         "doughnuts"),
    Real("noise_2", 0.1, 0.001, 5.0, "... after the reassessment that follows the first meeting", "doughnuts"),
    Real("rounds", 2, 1, 2, "meetings: 2 (first meeting, report back, reassessment, final meeting) or 1",
         integer=True),
    Real("anchoring", 0.3, 0.0, 1.0, "share of the way a voter's aspiration moves toward the other side's offer"),
    Flag("trades", True, "a reward doughnut handed between the negotiators may be part of the deal"),
    Flag("side_payments", True, "negotiators may hand reward doughnuts to voters, at home or across"),
)  # fmt: skip


def pool_size(point):
    """Doughnuts left to split between the groups once the negotiators take their rewards."""
    return sum(t["count"] for t in point["box"]) - 2 * point["reward"]


def _splits_used(point):
    return pool_size(point) + 1  # a gets 0..pool of them


SPLIT = Dim("split", SPLITS, "pool doughnuts going to group a", "doughnuts", size=_splits_used)
_SUCCEEDED = "the deal held"
OUTPUTS = (
    Probability("p_success", "success", "both groups approved the deal"),
    Probability("p_agree", "agree", "the negotiators agreed on a deal"),
    Probability("p_invol", "invol", "the negotiators agreed, then a group voted the deal down"),
    Mean("mean_doughnuts_a", "doughnuts_a", "doughnuts group a ends with (0 on failure)", units="doughnuts"),
    Mean("mean_doughnuts_b", "doughnuts_b", "doughnuts group b ends with (0 on failure)", units="doughnuts"),
    Probability("p_side_payment", "side", "a negotiator handed a reward doughnut to a voter"),
    Probability("p_deal_moved", "moved", "the final deal differs from the better of the two first offers", "agree",
                "the negotiators agreed", when=lambda point: point["rounds"] == 2),
    Probability("p_trade", "trade", "the deal hands a reward doughnut from one negotiator to the other", "agree",
                "the negotiators agreed"),
    Probability("p_split", "split", "pool doughnuts going to group a (k of them)", "success", _SUCCEEDED, SPLIT),
    Mean("mean_sprinkles_a", "sprinkles_a", "sprinkled doughnuts group a ends with", "success", _SUCCEEDED,
         "doughnuts"),
    Mean("mean_sprinkles_b", "sprinkles_b", "sprinkled doughnuts group b ends with", "success", _SUCCEEDED,
         "doughnuts"),
    Probability("p_sprinkles_reward", "sprinkles_reward", "a negotiator took a sprinkled doughnut as reward (blind draw: 0.788 for the default box)",
                "success", _SUCCEEDED),
)  # fmt: skip

P = PARAMS.slots()
