"""Distribution-valued parameters: what a user writes, and how a kernel draws it.

A magnitude is a number (a constant) or an inline table naming a family:

    direct_h = 1.2                                          # constant
    direct_h = { dist = "lognormal", median = 1.0, sigma = 0.4 }
    direct_h = { dist = "uniform", low = 0.0, high = 1.0 }
    direct_h = { dist = "normal", mean = 1.0, sd = 0.3 }

A kernel reads three numbers ``(family, a, b)`` with :func:`magnitude`, compares
the family with the named codes ``FAMILY.lognormal``..., and draws from its own stream
(compliance's ``stages._draw_block`` fills a block of them).
"""

import math
from collections import namedtuple
from dataclasses import dataclass

import numba

from .errors import InputError

FAMILIES = {  # family -> (code, field names, test of the fields, what the test requires)
    "constant": (0, ("value",), lambda v: True, ""),
    "lognormal": (1, ("median", "sigma"), lambda m, s: m > 0 and s >= 0, "median > 0, sigma >= 0"),
    "uniform": (2, ("low", "high"), lambda lo, hi: lo <= hi, "low <= high"),
    "normal": (3, ("mean", "sd"), lambda m, s: s >= 0, "sd >= 0"),
}
FAMILY = namedtuple("Family", FAMILIES)(*(float(spec[0]) for spec in FAMILIES.values()))


@dataclass(frozen=True)
class Dist:
    """A distribution family and its two fields (``b`` unused by ``constant``)."""

    family: str
    a: float
    b: float = 0.0

    @property
    def fields(self):
        names = FAMILIES[self.family][1]
        return dict(zip(names, (self.a, self.b)))

    def to_value(self):
        """The form a user writes: a number for a constant, else an inline table."""
        if self.family == "constant":
            return self.a
        return {"dist": self.family, **self.fields}

    def with_field(self, field, value, owner):
        """A copy with one field replaced (a sweep over ``owner.field``)."""
        if field not in self.fields:
            raise InputError(
                f"{owner}.{field}: {owner} is {self.family} here, whose fields are "
                f"{', '.join(self.fields)}; set {owner} to a family with a '{field}' field first"
            )
        fields = dict(self.fields, **{field: value})
        return make_dist(self.family, fields, owner)

    def encode(self):
        return (float(FAMILIES[self.family][0]), float(self.a), float(self.b))

    @classmethod
    def decode(cls, slots):
        """The Dist behind ``encode``'s ``(code, a, b)``."""
        family = next(name for name, spec in FAMILIES.items() if spec[0] == int(slots[0]))
        return cls(family, float(slots[1]), float(slots[2]))

    def __str__(self):
        if self.family == "constant":
            return f"{self.a:g}"
        args = ", ".join(f"{k}={v:g}" for k, v in self.fields.items())
        return f"{self.family}({args})"


def make_dist(family, fields, owner):
    """Validate ``fields`` of ``family`` for parameter ``owner`` and build the Dist."""
    if family not in FAMILIES:
        raise InputError(f"{owner}: unknown distribution {family!r}; choose one of {', '.join(FAMILIES)}")
    _, names, test, requirement = FAMILIES[family]
    if set(fields) != set(names):
        raise InputError(
            f"{owner}: a {family} distribution takes exactly the fields {', '.join(names)}, "
            f"got {', '.join(sorted(fields)) or 'none'}"
        )
    values = []
    for name in names:
        value = fields[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"{owner}.{name}: expected a finite number, got {value!r}")
        values.append(float(value))
    if not test(*values):
        shown = ", ".join(f"{n}={v:g}" for n, v in zip(names, values))
        raise InputError(f"{owner}: invalid {family} distribution ({shown}); it needs {requirement}")
    return Dist(family, *values)


def parse_dist(value, owner):
    """A Dist from what a user wrote: a number or ``{dist = ..., field = ...}``."""
    if isinstance(value, Dist):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return make_dist("constant", {"value": value}, owner)
    if isinstance(value, dict):
        fields = dict(value)
        family = fields.pop("dist", None)
        if family is None:
            raise InputError(f"{owner}: a distribution table needs a 'dist' key naming its family")
        return make_dist(family, fields, owner)
    raise InputError(
        f"{owner}: expected a number or a distribution table such as "
        f'{{ dist = "lognormal", median = 1.0, sigma = 0.4 }}, got {value!r}'
    )


@numba.njit(inline="always")
def magnitude(theta, slot):
    """``(family, a, b)`` of the distribution-valued parameter at ``slot`` of ``theta``."""
    return theta[slot], theta[slot + 1], theta[slot + 2]
