"""Declared parameters: name, default, valid range, units, one-line meaning.

A model lists its parameters in a :class:`ParamSet`. The set validates what a
user writes (refusing a value out of range with a message naming the
parameter, the value and the range), applies sweep keys (``"vol"`` or a
distribution field such as ``"pill2_h.median"``), and encodes a parameter
point as the flat ``float64`` vector ``theta`` a kernel reads. Kernels read it
by name: ``P = PARAMS.slots()`` gives each parameter's slot (``theta[P.horizon]``),
``PARAMS.codes("select")`` each option's code (``SELECT.cooperative``),
:func:`flag` a switch and :func:`~mc_twolevel.distributions.magnitude` a
distribution.
"""

import math
import numbers
from collections import namedtuple
from dataclasses import dataclass

import numba
import numpy as np

from .distributions import Dist, parse_dist
from .errors import InputError, did_you_mean


@dataclass(frozen=True)
class Real:
    """A real (or integer) parameter in the closed range ``[low, high]``."""

    name: str
    default: float
    low: float
    high: float
    doc: str
    units: str = ""
    integer: bool = False
    width = 1

    def parse(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise InputError(f"{self.name}: expected a number, got {value!r}")
        if self.integer and value != int(value):
            raise InputError(f"{self.name}: expected a whole number, got {value!r}")
        if not self.low <= value <= self.high:
            raise InputError(f"{self.name} = {value!r} is out of range; it must lie in {self.range}")
        return int(value) if self.integer else float(value)

    @property
    def range(self):
        return f"[{self.low:g}, {self.high:g}]"

    def encode(self, value):
        return (float(value),)

    def decode(self, slots):
        return int(slots[0]) if self.integer else float(slots[0])


@dataclass(frozen=True)
class Choice:
    """One of a fixed list of options (strings or booleans)."""

    name: str
    default: object
    options: tuple
    doc: str
    units = ""
    width = 1

    def parse(self, value):
        matches = [o for o in self.options if o == value and type(o) is type(value)]
        if not matches:
            if self.options == (False, True):  # as a study file writes them, not as Python prints them
                raise InputError(f"{self.name} = {value!r} is not allowed; it is a switch: true or false "
                                 "(unquoted in a study file; True or False in Python)")  # fmt: skip
            shown = ", ".join(repr(o) for o in self.options)
            raise InputError(f"{self.name} = {value!r} is not allowed; choose one of {shown}")
        return matches[0]

    @property
    def range(self):
        return " | ".join(str(o).lower() if isinstance(o, bool) else o for o in self.options)

    def encode(self, value):
        return (float(self.options.index(value)),)

    def decode(self, slots):
        return self.options[int(slots[0])]

    def codes(self):
        """Each option's code in ``theta``, by name (for kernels)."""
        return namedtuple(f"{self.name.title().replace('_', '')}Codes", self.options)(
            *(float(i) for i in range(len(self.options)))
        )


def Flag(name, default, doc):
    """A true/false switch; a kernel reads it with :func:`flag`."""
    return Choice(name, default, (False, True), doc)


@numba.njit(inline="always")
def flag(theta, slot):
    """The value of a :func:`Flag` parameter in a kernel (``False`` encodes as 0, ``True`` as 1)."""
    return theta[slot] == 1.0


@dataclass(frozen=True)
class Magnitude:
    """A distribution-valued parameter (see :mod:`mc_twolevel.distributions`).

    ``signed = False`` declares a quantity that cannot be negative: constants
    and uniform bounds below zero are refused, and the kernel floors draws
    from an unbounded family at zero (documented by the model).
    """

    name: str
    default: Dist
    doc: str
    units: str = ""
    signed: bool = True
    width = 3

    def parse(self, value):
        dist = parse_dist(value, self.name)
        smallest = {"constant": dist.a, "uniform": dist.a}.get(dist.family, 0.0)
        if not self.signed and smallest < 0:
            raise InputError(f"{self.name} = {dist} can be negative; {self.name} must be >= 0")
        return dist

    @property
    def range(self):
        return "any distribution" if self.signed else "any distribution on [0, inf)"

    def encode(self, value):
        return value.encode()

    def decode(self, slots):
        return Dist.decode(slots)


class ParamSet:
    """An ordered set of declared parameters with their offsets in a kernel's vector."""

    def __init__(self, *params):
        self.params = {p.name: p for p in params}
        if len(self.params) != len(params):
            raise ValueError("duplicate parameter names")
        offsets = np.cumsum([0] + [p.width for p in params])
        self.offset = dict(zip(self.params, (int(o) for o in offsets[:-1])))
        self.size = int(offsets[-1])

    def __iter__(self):
        return iter(self.params.values())

    def __contains__(self, name):
        return name in self.params

    def defaults(self):
        return {p.name: p.default for p in self}

    def _param(self, name):
        if name not in self.params:
            known = ", ".join(self.params)
            raise InputError(
                f"unknown parameter {name!r}{did_you_mean(name, self.params)}; this model's parameters are: {known}"
            )
        return self.params[name]

    def resolve(self, overrides=None):
        """The full, validated point: defaults updated with ``overrides``."""
        point = self.defaults()
        for name, value in (overrides or {}).items():
            point = self.apply(point, name, value)
        return point

    def apply(self, point, key, value):
        """A copy of ``point`` with ``key`` (``name`` or ``name.field``) set to ``value``."""
        name, _, field = key.partition(".")
        param = self._param(name)
        if field and not isinstance(param, Magnitude):
            raise InputError(f"{key}: {name} is not distribution-valued, so it has no field {field!r}")
        new = param.parse(point[name].with_field(field, value, name) if field else value)
        return {**point, name: new}

    def encode(self, point):
        """The kernel's ``float64`` vector for a resolved point."""
        return np.array([x for p in self for x in p.encode(point[p.name])], dtype=np.float64)

    def decode(self, theta):
        """The point behind an encoded vector: every value a kernel sees (the inverse of encode)."""
        return {p.name: p.decode(theta[self.offset[p.name] :][: p.width]) for p in self}

    def check_rangeable(self, key):
        """Refuse a design range over ``key`` unless it is a number: a real parameter, a
        distribution's field, or a distribution-valued parameter taken as a constant."""
        name, _, field = key.partition(".")
        param = self._param(name)
        if isinstance(param, Real) and not field or isinstance(param, Magnitude):
            return
        kind = "a choice" if isinstance(param, Choice) else "not a number"
        raise InputError(f"[sample] ranges.{key}: {name} is {kind}; designs range over numbers only")

    def rounds_to_integer(self, key):
        """Whether design values for ``key`` must be rounded (an integer parameter)."""
        param = self.params.get(key)
        return isinstance(param, Real) and param.integer

    def slots(self):
        """Named constants ``slots.<parameter>``: where each parameter starts in ``theta``."""
        names = tuple(self.params)
        return namedtuple("Slots", names)(*(self.offset[n] for n in names))

    def codes(self, name):
        """The option codes of the choice ``name`` (``PARAMS.codes("select").cooperative``)."""
        param = self._param(name)
        if not isinstance(param, Choice):
            raise ValueError(f"{name} is not a choice")
        return param.codes()

    def to_plain(self, point):
        """The point as plain TOML/JSON values (distributions as tables)."""
        return {k: v.to_value() if isinstance(v, Dist) else v for k, v in point.items()}
