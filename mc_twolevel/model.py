"""What a model declares: its outputs, the counters behind them, and the model itself.

A model is a :class:`Model`: its parameters (a :class:`~mc_twolevel.params.ParamSet`),
the outputs it estimates (:class:`Probability` and :class:`Mean`, each naming the
event or quantity it counts and the event it conditions on), an optional
per-point ``plan`` and the kernel. The counters a kernel adds up are derived
from the outputs (:class:`CounterLayout`), and a kernel addresses them by name
through ``Model.slots`` (``totals[C.adhere] += 1``), never by offset.

The kernel contract::

    kernel(theta: float64[:], *tables, trials: int64, states: record[streams],
           totals: float64[:]) -> None

plays ``trials`` independent trials at the parameter point ``theta`` (the
model's encoded vector, read by name through ``ParamSet.slots()``), drawing
only from ``states[0]`` (and ``states[1]``... when the model declares
``streams > 1``), and *adds* its counts into ``totals``. The states are scalar
xoshiro256** streams or, with ``generator = "lanes"``, 8-lane ones
(``lanes.state_dtype()``; see :func:`stream_states`). ``tables`` are
what ``plan(point)`` returned for that point (nothing when the model has no
plan). It keeps no per-trial arrays, so memory stays flat however many trials
run, and it is compiled with ``nogil=True`` so threads run kernels in parallel.
"""

import dataclasses
import functools
import hashlib
import numbers
import os
import socket
import types
from collections import namedtuple
from dataclasses import dataclass, field
from typing import NamedTuple

import numba
import numpy as np

from .errors import CodeMismatch, InputError


@dataclass(frozen=True)
class Dim:
    """A dimension an output owns, beside the study's own (``period``, ``split``...).

    ``labels`` are its coordinate values at their largest extent; ``size`` says
    how many of them a parameter point uses: a parameter's name (``"periods"``),
    a callable ``size(point) -> int``, or None for all. Entries beyond a point's
    size are NaN in the results.
    """

    name: str
    labels: tuple
    doc: str = ""
    units: str = ""
    size: object = None

    def __len__(self):
        return len(self.labels)

    def extent(self, point):
        """How many labels ``point`` uses."""
        if self.size is None:
            return len(self.labels)
        used = point[self.size] if isinstance(self.size, str) else self.size(point)
        return int(min(max(used, 0), len(self.labels)))


def _applies(when, point):
    """Whether an output with ``when`` (None, a parameter's name, or a callable) applies at ``point``."""
    if when is None:
        return True
    return bool(point[when]) if isinstance(when, str) else bool(when(point))


@dataclass(frozen=True)
class Event:
    """An event the kernel counts that only conditions outputs (it has no variable of its own)."""

    name: str
    doc: str
    dim: Dim | None = None

    def counters(self):
        return [(self.name, len(self.dim) if self.dim else 1)]


@dataclass(frozen=True)
class Probability:
    """``p = count(event) / count(given)``; ``given=None`` means over all trials.

    With a ``dim`` the output is a vector, one probability per label, counted in
    a block of ``len(dim)`` counters starting at ``slots.<event>``; its ``given``
    is one count for all labels, or a block along the same dim (a hazard's
    at-risk counts). ``when`` (a parameter's name, or a callable of the point)
    says where the output applies; elsewhere it is NaN.
    """

    name: str
    event: str
    doc: str
    given: str | None = None
    given_doc: str = ""
    dim: Dim | None = None
    when: object = None
    units = "1"

    def applies(self, point):
        return _applies(self.when, point)

    def counters(self):
        """``(counter name, width)`` of what the kernel counts for this output."""
        return [(self.event, len(self.dim) if self.dim else 1)]


@dataclass(frozen=True)
class Mean:
    """``mean = sum(value) / count(given)``, its standard error from the sum of squares.

    The kernel adds each observation with :func:`add_sample` into the counters
    ``slots.<value>`` and ``slots.<value>_sq`` (blocks of ``len(dim)`` with a dim).
    """

    name: str
    value: str
    doc: str
    given: str | None = None
    given_doc: str = ""
    units: str = ""
    dim: Dim | None = None
    when: object = None

    def applies(self, point):
        return _applies(self.when, point)

    def counters(self):
        width = len(self.dim) if self.dim else 1
        return [(self.value, width), (f"{self.value}_sq", width)]


class CounterLayout:
    """Where each counter lives in a kernel's ``totals``, derived from the outputs.

    Every output's event (or value and sum of squares) and every declared
    :class:`Event` gets a block; every conditioning event must be counted by some
    output or event, which is checked here, when the model is declared (at import).
    """

    def __init__(self, outputs, events=()):
        self.start, self.width = {}, {}
        size = 0
        for output in (*outputs, *events):
            for name, width in output.counters():
                if name in self.start:
                    if self.width[name] != width:
                        raise ValueError(f"counter {name!r} is declared with widths {self.width[name]} and {width}")
                    continue
                self.start[name], self.width[name] = size, width
                size += width
        self.size = size
        uncounted = sorted({o.given for o in outputs if o.given is not None} - set(self.start))
        if uncounted:
            raise ValueError(f"conditioning event(s) {', '.join(uncounted)} counted by no output")
        self.names = tuple(self.start)

    def slots(self):
        """Named constants ``slots.<counter>`` (the first index of each block) for kernels."""
        return namedtuple("Counters", self.names)(*(self.start[n] for n in self.names))

    def columns(self, name):
        """The ``totals`` columns of counter ``name``: an int, or a slice for a block."""
        start, width = self.start[name], self.width[name]
        return start if width == 1 else slice(start, start + width)


class Scope(NamedTuple):
    """Where outputs are defined over a study's points: each dim's extent per point, and,
    for outputs declared with ``when``, whether they apply at each point."""

    extents: dict
    applies: dict

    def outside(self, spec):
        """Where ``spec`` is undefined (per row, and per label for a vector output): the rows
        where it does not apply and the labels beyond a row's extent; None where it is
        defined everywhere."""
        outside = None
        if spec.name in self.applies:
            outside = ~self.applies[spec.name]
            if spec.dim is not None:
                outside = outside[..., None]
        if spec.dim is not None:
            beyond = np.arange(len(spec.dim)) >= self.extents[spec.dim.name][..., None]
            outside = beyond if outside is None else outside | beyond
        return outside


@numba.njit(inline="always")
def add_sample(totals, slot, slot_sq, x):
    """Add one observation ``x`` of a :class:`Mean`'s value: its sum and its square."""
    totals[slot] += x
    totals[slot_sq] += x * x


def _nested_codes(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _nested_codes(const)


def _called(function):
    """The functions ``function`` may call: its globals, and attributes of modules it names."""
    names = [name for code in _nested_codes(function.__code__) for name in code.co_names]
    for name in names:
        value = function.__globals__.get(name)
        if isinstance(value, types.ModuleType):
            yield from (getattr(value, attr, None) for attr in names)
        else:
            yield value


_DATA = (numbers.Number, str, bytes, tuple)


def _fingerprint(kernel):
    """``(code_hash, source_hashes)`` of a kernel and every function it may call.

    ``code_hash`` covers the bytecode, constants and plain data (slot tuples, numbers)
    the functions read; ``source_hashes`` the files they come from, which numba's
    on-disk cache trusts on whatever machine compiles them.
    """
    digest, sources, seen = hashlib.sha256(), {}, set()
    pending = [kernel]
    while pending:
        function = getattr(pending.pop(), "py_func", None)
        if not isinstance(function, types.FunctionType) or id(function) in seen:
            continue
        seen.add(id(function))
        for code in _nested_codes(function.__code__):
            digest.update(code.co_code + repr(code.co_names).encode())
            digest.update(repr([c for c in code.co_consts if not isinstance(c, types.CodeType)]).encode())
        path = function.__code__.co_filename
        if path not in sources and os.path.isfile(path):
            with open(path, "rb") as source:
                sources[path] = hashlib.sha256(source.read()).hexdigest()
        for value in _called(function):
            if isinstance(value, _DATA):
                digest.update(repr(value).encode())
            elif isinstance(value, np.ndarray):
                digest.update(value.tobytes())
            else:
                pending.append(value)
    return digest.hexdigest(), tuple(sorted(sources.items()))


_FINGERPRINTS = {}  # id(kernel) -> (kernel, code_hash, source_hashes), computed once per kernel
_VERIFIED = {}  # id(kernel) -> (kernel, code_hash), kernels checked in this process


GENERATORS = ("scalar", "lanes")


def stream_states(generator, seed, key, count=1):
    """The random states of chunk ``key`` for a kernel taking ``generator``: ``"scalar"``,
    one xoshiro256** stream per substream (:func:`mc_twolevel.rng.stream_state`), or
    ``"lanes"``, 8 xoshiro256** lanes per substream (:func:`mc_twolevel.lanes.lane_state`).
    Either way a record array of ``count`` substreams, all from ``SeedSequence(seed,
    spawn_key=key)``."""
    if generator == "lanes":
        from .lanes import lane_state

        return lane_state(seed, key, count)
    from .rng import stream_state

    return stream_state(seed, key, count)


@dataclass(frozen=True)
class TaskKernel:
    """What a task needs of a model on a worker: its kernel, the size of its counters, the
    random states it takes (``generator``, one of ``GENERATORS``, with ``streams``
    substreams), and the model's name, version and code fingerprint, checked on the worker.

    Numba pickles a kernel's Python code (and the compiled functions it calls) by
    value, so a worker needs no import of the model's module. What a worker runs may
    still differ: modules the code reaches through are the worker's own, and numba's
    on-disk cache (``cache=True``) runs whatever it compiled from the worker's copy of
    the source file. :meth:`verify` refuses both.
    A kernel rebuilt from pickled code compiles afresh (no cache: about 30 s for
    compliance), so a task also names where the kernel lives; a worker that imports
    the same package, file for file, uses its own compiled (cached) kernel instead.
    """

    name: str
    version: str
    kernel: object
    size: int
    streams: int = 1
    generator: str = "scalar"
    code_hash: str = ""
    source_hashes: tuple = ()

    def states(self, seed, key):
        """The random states of chunk ``key`` (``(point, chunk)``) of a study seeded ``seed``."""
        return stream_states(self.generator, seed, key, self.streams)

    def run(self, theta, tables, trials, states, totals):
        """Add ``trials`` trials at ``theta`` into ``totals`` (the kernel with its tables)."""
        self.kernel(theta, *tables, trials, states, totals)

    def verify(self):
        """Raise :class:`CodeMismatch` if this process holds other code for the model than
        the driver that made this task (its bytecode, or a source file numba's cache trusts)."""
        if not self.code_hash or _VERIFIED.get(id(self.kernel), (None, None))[1] == self.code_hash:
            return
        code_hash, sources = _fingerprint(self.kernel)
        here = dict(sources)
        differing = [path for path, digest in self.source_hashes if here.get(path, digest) != digest]
        if code_hash != self.code_hash or differing:
            what = f"the source file(s) {', '.join(differing)}" if differing else "the kernel's code"
            raise CodeMismatch(
                f"the worker on {socket.gethostname()} holds different code for model {self.name} (version "
                f"{self.version}) than the driver: {what} differ. Its results would not be this model's; the run "
                "is stopped. Install the same mc_twolevel on the workers as on the driver, then run again to resume"
            )
        _VERIFIED[id(self.kernel)] = (self.kernel, self.code_hash)

    def __reduce__(self):
        import cloudpickle

        if self.kernel not in _PAYLOADS:  # pickled once per process, not once per task
            _PAYLOADS[self.kernel] = (_kernel_reference(self.kernel), cloudpickle.dumps(self.kernel))
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "kernel"}
        return _rebuild_task_kernel, (fields, *_PAYLOADS[self.kernel])


@functools.cache
def _package_digest(module_name):
    """A digest of every source file of the package ``module_name`` belongs to (None if it has
    no files or cannot be read)."""
    import importlib
    from pathlib import Path

    from .kernel_cache import sources_digest

    try:
        module = importlib.import_module(module_name.split(".")[0])
        if not getattr(module, "__file__", None):
            return None
        if not hasattr(module, "__path__"):  # a single-file module
            return hashlib.sha256(Path(module.__file__).read_bytes()).hexdigest()
        return sources_digest(Path(module.__file__).resolve().parent)  # resolved, as the kernel cache's
    except (ImportError, OSError):
        return None


_KERNELS = {}
_PAYLOADS = {}


def _kernel_reference(kernel):
    """``(module, qualname, digest)`` of an importable kernel, else None."""
    module = getattr(getattr(kernel, "py_func", None), "__module__", None)
    if not module or module == "__main__":
        return None
    digest = _package_digest(module)
    return (module, kernel.py_func.__qualname__, digest) if digest else None


def _rebuild_task_kernel(fields, reference, payload):
    """A task's kernel on a worker: the worker's own when its package is the same, else the pickled code."""
    import cloudpickle

    kernel = _KERNELS.get(reference) if reference else None
    if kernel is None:
        kernel = _import_kernel(reference) if reference else None
        kernel = kernel if kernel is not None else cloudpickle.loads(payload)
        if reference:
            _KERNELS[reference] = kernel
    return TaskKernel(kernel=kernel, **fields)


def _import_kernel(reference):
    import importlib

    module, qualname, digest = reference
    try:
        found = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return None
    return found if _kernel_reference(found) == reference else None


@dataclass(frozen=True)
class KnownAnswer:
    """A published or derived claim: at ``params``, ``output`` (at the labels ``at`` of a
    vector output) equals ``value``."""

    model: str
    case: str
    output: str
    value: float
    params: dict = field(hash=False)
    at: dict = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Model:
    """A model: declarations, an optional per-point plan, and a numba kernel (see module docstring).

    ``plan(point) -> tuple of arrays`` computes what depends only on the parameter
    point (beliefs, a deal space) once per point, before any task starts; its
    tables follow ``theta`` into the kernel. ``checks`` are callables(point)
    raising :class:`InputError` for combinations of parameters the model refuses.
    ``version`` changes whenever the kernel's use of its random stream changes.
    """

    name: str
    summary: str
    reference: str
    params: object  # ParamSet
    outputs: tuple
    kernel: object
    plan: object = None
    chunk_trials: int = 1 << 21
    checks: tuple = ()
    version: str = "1"
    known_answers: tuple = ()
    events: tuple = ()  # Events that condition outputs without being outputs themselves
    streams: int = 1  # random substreams the kernel draws from (states[0], states[1]...)
    generator: str = "scalar"  # "scalar" (rng.stream_state) or "lanes" (lanes.lane_state): see stream_states
    layout: CounterLayout = field(init=False, repr=False, compare=False)
    slots: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.generator not in GENERATORS:
            raise ValueError(f"{self.name}: generator {self.generator!r} is not one of {', '.join(GENERATORS)}")
        layout = CounterLayout(self.outputs, self.events)
        object.__setattr__(self, "layout", layout)
        object.__setattr__(self, "slots", layout.slots())
        for output in self.outputs:
            if output.dim is not None and isinstance(output.dim.size, str) and output.dim.size not in self.params:
                raise ValueError(f"{output.name}: its dimension is sized by {output.dim.size!r}, not a parameter")

    @property
    def counters(self):
        return self.layout.names

    def prepare(self, point):
        """Check cross-parameter constraints and encode ``point`` for the kernel."""
        for check in self.checks:
            check(point)
        return self.params.encode(point)

    def tables(self, point):
        """The kernel's per-point tables (empty without a plan); a failure is an InputError."""
        if self.plan is None:
            return ()
        try:
            return tuple(self.plan(point))
        except InputError:
            raise
        except (ArithmeticError, ValueError) as error:
            raise InputError(f"{self.name}: cannot plan the point {self.params.to_plain(point)}: {error}") from None

    def run(self, theta, tables, trials, states, totals):
        """Add ``trials`` trials at ``theta`` into ``totals`` (the kernel with its tables)."""
        self.task_kernel.run(theta, tables, trials, states, totals)

    @property
    def task_kernel(self):
        """The part of the model a task carries to a worker (with its code's fingerprint)."""
        if id(self.kernel) not in _FINGERPRINTS:
            _FINGERPRINTS[id(self.kernel)] = (self.kernel, *_fingerprint(self.kernel))
        _, code_hash, sources = _FINGERPRINTS[id(self.kernel)]
        return TaskKernel(self.name, self.version, self.kernel, self.layout.size, self.streams, self.generator,
                          code_hash, sources)  # fmt: skip

    def new_totals(self):
        return np.zeros(self.layout.size, dtype=np.float64)

    def dims(self):
        """The output dimensions, by name (each declared once, however many outputs share it)."""
        return {o.dim.name: o.dim for o in self.outputs if o.dim is not None}

    def scope(self, points):
        """The :class:`Scope` of the outputs over ``points``."""
        extents = {name: np.array([dim.extent(p) for p in points]) for name, dim in self.dims().items()}
        applies = {o.name: np.array([o.applies(p) for p in points]) for o in self.outputs if o.when is not None}
        return Scope(extents, applies)
