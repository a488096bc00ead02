"""What a model declares, and the registry that finds models.

A model is a :class:`Model`: its parameters, the counters its kernel adds up,
the outputs estimated from those counters, and the kernel itself. The engine
reads only these declarations, so adding a model means adding a module to
``mc_twolevel/models/`` that defines ``MODEL`` (or publishing one under the
``mc_twolevel.models`` entry-point group); no engine code changes.

A kernel needing per-point tables can be a plain Python function that gets
them from a :func:`per_point` cache and calls its compiled core.

The kernel contract::

    kernel(theta: float64[:], trials: int64, states: rng.STATE_DTYPE[1],
           totals: float64[:]) -> None

plays ``trials`` independent trials at the parameter point ``theta`` (the
model's encoded vector), drawing only from ``states[0]``, and *adds* each
counter into ``totals`` in the order of ``Model.counters``. It keeps no
per-trial arrays, so memory stays flat however many trials run, and it should
be compiled with ``nogil=True`` so threads run kernels in parallel.
"""

import functools
import importlib
import pkgutil
from dataclasses import dataclass, field
from importlib.metadata import entry_points

import numpy as np

from .errors import InputError


@dataclass(frozen=True)
class Probability:
    """``p = count(event) / count(given)``; ``given=None`` means over all trials.

    With ``dim = (name, labels)`` the output is a vector along a dimension of its
    own, one probability per label, counted in ``event_<label>`` counters.
    """

    name: str
    event: str
    doc: str
    given: str | None = None
    given_doc: str = ""
    dim: tuple | None = None

    def events(self):
        """The counter names behind this output (one, or one per label)."""
        return [self.event] if self.dim is None else [f"{self.event}_{label}" for label in self.dim[1]]


@dataclass(frozen=True)
class Mean:
    """``mean = sum / count(given)`` from the counters ``total`` and ``total_sq``."""

    name: str
    total: str
    total_sq: str
    doc: str
    given: str | None = None
    given_doc: str = ""
    units: str = ""
    dim = None


@dataclass(frozen=True)
class Model:
    """A registered model: declarations plus a numba kernel (see module docstring)."""

    name: str
    summary: str
    reference: str
    params: object  # ParamSet
    counters: tuple
    outputs: tuple
    kernel: object
    chunk_trials: int = 1 << 21
    checks: tuple = field(default=())  # callables(point) raising InputError
    version: str = "1"  # bump when the kernel's use of its random stream changes

    def prepare(self, point):
        """Check cross-parameter constraints and encode ``point`` for the kernel."""
        for check in self.checks:
            check(point)
        return self.params.encode(point)

    def counter(self, name):
        return self.counters.index(name)

    def new_totals(self):
        return np.zeros(len(self.counters), dtype=np.float64)


def per_point(params, size=16):
    """Decorator: ``derive(point)`` called with the point behind a kernel's ``theta`` and
    cached per point, for kernels that need tables computed once per parameter point
    (beliefs, a deal space) without carrying them in every task's ``theta``."""

    def wrap(derive):
        @functools.lru_cache(maxsize=size)
        def cached(theta_bytes):
            return derive(params.decode(np.frombuffer(theta_bytes)))

        @functools.wraps(derive)
        def for_theta(theta):
            return cached(np.ascontiguousarray(theta, dtype=np.float64).tobytes())

        return for_theta

    return wrap


_REGISTRY = {}


def register(model):
    """Add ``model`` to the registry (models in ``mc_twolevel.models`` are found alone)."""
    _REGISTRY[model.name] = model
    return model


def _discover():
    from . import models as package

    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if hasattr(module, "MODEL"):
            register(module.MODEL)
    for entry in entry_points(group="mc_twolevel.models"):
        register(entry.load())


def get_model(name):
    """The model called ``name``; an unknown name is an :class:`InputError`."""
    if name not in _REGISTRY:
        _discover()
    if name not in _REGISTRY:
        raise InputError(f"unknown model {name!r}; the models are: {', '.join(model_names())}")
    return _REGISTRY[name]


def model_names():
    _discover()
    return sorted(_REGISTRY)
