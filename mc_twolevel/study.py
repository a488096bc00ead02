"""Studies: a model, fixed parameters, a sweep, a trial budget and a seed.

A study file (TOML) names a model and says how much to run::

    model = "compliance"
    trials = 1_000_000        # per parameter point; or precision = 1e-3
    seed = 20261121

    [params]                  # fixed values
    horizon = 5
    direct_h = { dist = "lognormal", median = 1.0, sigma = 0.4 }

    [sweep]                   # every combination
    vol = [0.1, 0.2, 0.4]
    "pill2_h.median" = { start = 0.0, stop = 2.0, num = 21 }

or, instead of ``[sweep]``, a design over ranges (see :mod:`mc_twolevel.designs`)::

    [sample]
    method = "sobol"
    n = 256
    ranges = { shadow = [0, 3], "oppose_h.median" = [0.5, 2.0] }

A design's points lie along a ``sample`` dimension with one coordinate per
range; without ``trials`` they get ``DESIGN_TRIALS`` each, enough that Monte
Carlo noise is usually a small share of an output's variance over the design.

Optional keys: ``chunk_trials`` (trials per random-stream chunk; the model's
default otherwise), ``max_trials`` (cap per point in precision mode, default
1e9), a ``[cluster]`` table of batch worker jobs (``type = "slurm"``,
``jobs = 4``, ``cores``, ``memory``, ``walltime``: see :mod:`mc_twolevel.batch`), and a ``[plot]`` table whose
``outputs`` list picks the panels of the standard figure. Neither ``cluster``
nor ``plot`` changes the numbers, so neither is part of the study's hash.
"""

import functools
import hashlib
import itertools
import json
import math
import numbers
import os
import sys
import threading
import time
import tomllib
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import designs, engine
from . import store as stores
from .batch import check_batch_system, check_cluster
from .errors import InputError, did_you_mean
from .parallel import Progress, executor
from .registry import get_model
from .results import coordinate, label, to_dataset, version

DEFAULT_TRIALS = 1_000_000
LONG_RUN_TRIALS = 10**8  # a run without a store beyond this many trials warns first
CALIBRATION_TRIALS = 20_000


class LongRunWarning(UserWarning):
    """A long run that keeps no store (see :meth:`Study.run`)."""


DESIGN_TRIALS = 100_000
KEYS = {"model", "trials", "precision", "seed", "chunk_trials", "max_trials", "params", "sweep",
        "sample", "cluster", "plot"}  # fmt: skip
MIN_PRECISION = 1e-9  # a 95% half-width of 1e-9 already needs about 1e18 trials per point
MAX_POINTS = 1_000_000  # parameter points in one study
MAX_LEDGER_BYTES = 4 << 30  # the ledger of work items (the plan and its counters) held in memory
MAX_SEED = 2**63 - 1  # seeds are recorded as 64-bit integers (NetCDF has no larger)


def _whole(name, value, low, high=None):
    """A whole number >= ``low`` (numpy integers too; a float only if whole, such as 1e6)."""
    whole = isinstance(value, numbers.Integral) or (isinstance(value, numbers.Real) and float(value).is_integer())
    if isinstance(value, bool) or not whole or value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise InputError(f"{name} = {value!r}: expected a whole number {bound} (write 1_000_000 or 1e6)")
    return int(value)


def _table(name, value):
    """An optional TOML table: None or a dict."""
    if value is not None and not isinstance(value, dict):
        raise InputError(f"{name} = {value!r}: expected a table ([{name}] with keys and values)")
    return value


def _sweep_values(key, spec):
    """The list of values of one ``[sweep]`` entry."""
    if isinstance(spec, list) and spec:
        labels = [str(v) for v in spec]
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise InputError(f"sweep {key!r}: the value(s) {', '.join(repeated)} appear more than once")
        if len({isinstance(label(v), str) for v in spec}) > 1:
            raise InputError(
                f"sweep {key!r}: mixes numbers and tables {spec!r}; give every value the same form "
                '(a constant as { dist = "constant", value = 1.0 })'
            )
        return spec
    if isinstance(spec, dict) and set(spec) == {"start", "stop", "num"}:
        num = spec["num"]
        if isinstance(num, bool) or not isinstance(num, int) or not 1 <= num <= MAX_POINTS:
            raise InputError(f"sweep {key!r}: num = {num!r} must be a whole number in [1, {MAX_POINTS:,}]")
        ends = (spec["start"], spec["stop"])
        if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) for v in ends):
            raise InputError(f"sweep {key!r}: start and stop must be numbers, got {ends}")
        return [float(v) for v in np.linspace(*ends, num)]
    raise InputError(
        f"sweep {key!r}: expected a non-empty list of values or a table "
        f"{{ start = ..., stop = ..., num = ... }}, got {spec!r}"
    )


@dataclass(frozen=True)
class _Where:
    """Where a run's tasks go (the arguments of :meth:`Study.run`) and whether it shows a progress bar."""

    client: object = None
    scheduler: str | None = None
    workers: int | None = None
    progress: bool | None = None

    @property
    def own_workers(self):
        """No client or scheduler given: the run starts its workers (threads here, or ``[cluster]`` jobs)."""
        return self.client is None and self.scheduler is None


@dataclass
class Study:
    """A model, fixed parameters, a sweep, a trial budget and a seed."""

    model: str
    params: dict = field(default_factory=dict)
    sweep: dict = field(default_factory=dict)
    sample: dict | None = None
    trials: int | None = None
    precision: float | None = None
    seed: int = 0
    chunk_trials: int | None = None
    max_trials: int = 10**9
    cluster: dict | None = None
    plot: dict | None = None

    def __post_init__(self):
        self.spec = get_model(self.model)
        if self.trials is not None and self.precision is not None:
            raise InputError("give either trials or precision, not both")
        if self.sample is not None and self.sweep:
            raise InputError("a study has either a [sweep] or a [sample] design, not both")
        if self.precision is None:
            default = DEFAULT_TRIALS if self.sample is None else DESIGN_TRIALS
            self.trials = _whole("trials", default if self.trials is None else self.trials, 1)
        elif (
            isinstance(self.precision, bool)
            or not isinstance(self.precision, numbers.Real)
            or not MIN_PRECISION <= self.precision < 0.5
        ):
            raise InputError(f"precision = {self.precision!r}: expected a 95% half-width in [{MIN_PRECISION:g}, 0.5)")
        self.seed = _whole("seed", self.seed, 0, MAX_SEED)
        self.chunk_trials = _whole(
            "chunk_trials", self.spec.chunk_trials if self.chunk_trials is None else self.chunk_trials, 1
        )
        self.max_trials = _whole("max_trials", self.max_trials, 1)
        if self.precision is not None and self.max_trials < self.chunk_trials:
            raise InputError(
                f"max_trials = {self.max_trials:,} is below chunk_trials = {self.chunk_trials:,}: a precision study "
                "runs whole chunks; raise max_trials or lower chunk_trials"
            )
        if not isinstance(self.params, dict) or not isinstance(self.sweep, dict):
            raise InputError("[params] and [sweep] must be tables")
        self.cluster, self.plot = _table("cluster", self.cluster), _table("plot", self.plot)
        self.sweep = {key: _sweep_values(key, spec) for key, spec in self.sweep.items()}
        self._check_size()
        self.plot_outputs = self._plot_outputs()
        self.analysed_outputs = self._analysed_outputs()
        if self.cluster is not None:
            self.cluster = check_cluster(self.cluster)
        self.base = self.spec.params.resolve(self.params)
        self.design = designs.parse(self.sample, self.seed) if self.sample is not None else None
        if self.design is None:
            self.points = [self._point(self.sweep, values) for values in itertools.product(*self.sweep.values())]
        else:
            self.matrix = self._design_matrix()
            self.points = [self._point(self.design.names, row) for row in self.matrix]
        self.thetas = np.array([self.spec.prepare(p) for p in self.points])
        self.scope = self.spec.scope(self.points)

    def _check_size(self):
        """Refuse, before planning, a study whose points or ledger would not fit in memory."""
        points = math.prod(len(values) for values in self.sweep.values())
        n = self.sample.get("n") if isinstance(self.sample, dict) else None
        if isinstance(n, numbers.Integral) and not isinstance(n, bool):
            ranges = self.sample.get("ranges")
            points = n * (2 * (len(ranges) if isinstance(ranges, dict) else 0) + 2)  # the largest design per n
        if points > MAX_POINTS:
            raise InputError(f"the study has about {points:,} parameter points; at most {MAX_POINTS:,} are allowed")
        budget = self.trials if self.precision is None else self.max_trials
        rows = points * -(-budget // self.chunk_trials)
        if rows * (self.spec.layout.size + 4) * 8 > MAX_LEDGER_BYTES:
            raise InputError(
                f"{budget:,} trials at each of {points:,} points in chunks of {self.chunk_trials:,} make "
                f"{rows:,} work items, more than this machine's ledger holds ({MAX_LEDGER_BYTES >> 30} GiB); "
                "lower trials (or max_trials) or raise chunk_trials"
            )

    def _plot_outputs(self):
        names = [o.name for o in self.spec.outputs]
        wanted = (self.plot or {}).get("outputs", names)
        wanted = wanted if isinstance(wanted, list) else [wanted]
        unknown = [n for n in wanted if not isinstance(n, str) or n not in names]
        if unknown or set(self.plot or {}) - {"outputs"}:
            suggestion = did_you_mean(unknown[0], names) if unknown else ""
            hint = f"{unknown[0]!r} is not an output{suggestion}. " if suggestion else ""
            raise InputError(
                f"{hint}[plot] takes outputs = [...] naming this model's outputs ({', '.join(names)}); got {self.plot!r}"
            )
        return wanted

    def _analysed_outputs(self):
        """The outputs a sensitivity analysis covers: ``[sample] outputs``, or all the model's."""
        names = [o.name for o in self.spec.outputs]
        wanted = (self.sample or {}).get("outputs", names) if isinstance(self.sample, dict) else names
        unknown = [n for n in wanted if n not in names] if isinstance(wanted, list) and wanted else [wanted]
        if unknown:
            raise InputError(f"[sample] outputs = {wanted!r}: {unknown[0]!r} is not an output of "
                             f"{self.model}{did_you_mean(unknown[0], names)}; its outputs are {', '.join(names)}")  # fmt: skip
        return wanted

    def _point(self, keys, values):
        point = self.base
        for key, value in zip(keys, values):
            point = self.spec.params.apply(point, key, value)
        return point

    def _design_matrix(self):
        """The design's points, with whole-number parameters rounded."""
        for key, low, high in self.design.ranges:
            self.spec.params.check_rangeable(key)
            whole = self.spec.params.rounds_to_integer(key)
            for end in (low, high):  # the ends, not a sampled point, name what is out of range
                try:
                    self.spec.params.apply(self.base, key, round(end) if whole else end)
                except InputError as error:
                    raise InputError(f"[sample] ranges.{key} = [{low:g}, {high:g}]: {error}") from None
        matrix = self.design.sample()
        for column, key in enumerate(self.design.names):
            if self.spec.params.rounds_to_integer(key):
                matrix[:, column] = np.round(matrix[:, column])
        return matrix

    @classmethod
    def from_toml(cls, path):
        """Read a study file; a missing or malformed file is an :class:`InputError`."""
        path = Path(path)
        try:
            with path.open("rb") as handle:
                raw = tomllib.load(handle)
        except FileNotFoundError:
            raise InputError(f"study file {path} does not exist") from None
        except IsADirectoryError:
            raise InputError(f"study file {path} is a folder; give the path of a .toml file") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise InputError(f"study file {path} is not valid TOML: {error}") from None
        except RecursionError:
            raise InputError(f"study file {path} nests arrays or tables too deeply to be a study") from None
        return cls.from_dict(raw, source=path)

    @classmethod
    def from_dict(cls, raw, source="study"):
        unknown = sorted(set(raw) - KEYS)
        if unknown:
            raise InputError(
                f"{source}: unknown key(s) {', '.join(unknown)}{did_you_mean(unknown[0], KEYS)}; allowed: {', '.join(sorted(KEYS))}"
            )
        if "model" not in raw:
            raise InputError(f'{source}: no model named; add e.g. model = "compliance"')
        return cls(**raw)

    @property
    def shape(self):
        if self.design is not None:
            return (len(self.points),)
        return tuple(len(v) for v in self.sweep.values())

    def layout(self):
        """``(dims, coords)`` of the results: swept keys, or a ``sample`` dimension."""
        if self.design is None:
            return tuple(self.sweep), {k: coordinate(values) for k, values in self.sweep.items()}
        coords = {"sample": np.arange(len(self.points))}
        coords.update({key: ("sample", self.matrix[:, j]) for j, key in enumerate(self.design.names)})
        return ("sample",), coords

    def describe(self):
        """The study as plain JSON-able values (what the hash covers)."""
        raw = asdict(self)
        raw.pop("cluster")
        raw.pop("plot")
        if isinstance(raw["sample"], dict):  # which outputs are analysed does not change the numbers
            raw["sample"] = {k: v for k, v in raw["sample"].items() if k != "outputs"}
        raw["params"] = self.spec.params.to_plain(self.base)
        raw["sweep"] = {k: [label(v) for v in values] for k, values in self.sweep.items()}
        raw["package_version"] = version("mc_twolevel")
        raw["model_version"] = self.spec.version
        return raw

    @property
    def hash(self):
        text = json.dumps(self.describe(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def next_round(self, number, items, counters):
        """Round ``number`` of this study's plan, from the rounds before it."""
        if self.precision is not None:
            return engine.precision_round(
                number, items, counters, self.spec, len(self.points), self.scope, self.precision,
                self.chunk_trials, self.max_trials,
            )  # fmt: skip
        if number > 0:
            return items[:0]
        return engine.fixed_plan(len(self.points), self.trials, self.chunk_trials)

    def run(self, store=None, client=None, scheduler=None, workers=None, progress=None, shard=None):
        """Run the study and return its Dataset; with ``store``, write and resume it there.

        ``client`` (a ``distributed.Client``) or ``scheduler`` (an address) runs on an
        existing cluster; otherwise ``workers`` cores of this machine (default: all),
        or this process alone when ``workers == 1`` and no store is kept. A store is
        locked for the run (:class:`~mc_twolevel.store.StoreLock`): a second run on it
        is refused, naming the first. A run of more than ``LONG_RUN_TRIALS`` trials that
        keeps no store first warns (:class:`LongRunWarning`) with its duration roughly
        estimated. With ``shard`` (``"I/N"``, see :mod:`mc_twolevel.shards`) only that
        share is computed, under a lock of its own, and None is returned unless this
        shard is the last to finish and assembles the store.
        """
        from . import shards

        if workers is not None:
            workers = _whole("workers", workers, 1)
        where = _Where(client, scheduler, workers, progress)
        if shard is not None:
            shard = shards.Shard.parse(shard)
            shards.check(self, store)
        if store is None:
            return self._run_in_memory(where)
        store = Path(store)
        store.parent.mkdir(parents=True, exist_ok=True)
        if shard is not None:
            with stores.StoreLock(store, name=f"shard-{shard.index}-of-{shard.count}.lock"):
                finished = self._run_shard(store, shard, where)
            if finished is not True:
                return finished  # the results already there, or None: another shard assembles
        with stores.StoreLock(store):
            return self._run(store, where)

    def _run_shard(self, store, shard, where):
        """Compute a shard's share; True if it should go on to assemble the store."""
        from . import shards

        finished = self._finished(store)
        if finished is not None:
            return finished
        tables, compile_seconds = self._prepare(where)
        ledger = self._open_ledger(shards.ledger_path(store, shard))
        self._execute(tables, compile_seconds, ledger, shards.next_round(self, shard), where)
        return True if shards.finish(store, shard, self.hash) else None

    def _run(self, store, where):
        """Run into ``store``, resuming it and adopting what shards finished, and write the results there."""
        from . import shards

        finished = self._finished(store)
        if finished is not None:
            return finished
        draft = stores.check_writable(self._empty_results(), store)
        tables, compile_seconds = self._prepare(where)
        ledger = self._open_ledger(store)
        shards.adopt(self, store, ledger)
        dataset = to_dataset(self, *self._execute(tables, compile_seconds, ledger, self.next_round, where))
        stores.write_finished(dataset, store, draft)
        shards.remove(store, self.hash)
        return dataset

    def _run_in_memory(self, where):
        """Run keeping nothing: the results, after a warning if the run is long."""
        tables, compile_seconds = self._prepare(where)
        if self.trials is not None:
            self._warn_if_long(tables[0], where)  # the estimate times the compiled kernel
        ledger = stores.MemoryLedger(self.spec.layout.size)
        return to_dataset(self, *self._execute(tables, compile_seconds, ledger, self.next_round, where))

    def _finished(self, store):
        """The results finished in ``store``, or None; a store of another study is refused."""
        return stores.open_finished(store, self.hash, self._description())

    def _prepare(self, where):
        """What a run does before it writes anything: the batch system checked (for ``[cluster]``),
        each point's tables planned and the kernel compiled here; ``(tables, compile_seconds)``."""
        if self.cluster and where.own_workers:
            check_batch_system(self.cluster["type"])
        tables = self.plan_tables()
        return tables, self._compile(tables[0])

    def _open_ledger(self, path):
        """The ledger at ``path``: this study's, resumed, or a new one (:func:`~mc_twolevel.store.open_ledger`)."""
        return stores.open_ledger(path, self.hash, self.spec.layout.size, self._description())

    def _description(self):
        """The study as JSON, as a store records the study that made it."""
        return json.dumps(self.describe(), default=str)

    def _execute(self, tables, compile_seconds, ledger, next_round, where):
        """Run the rounds ``next_round`` plans into ``ledger``; per-point totals, trials and timings
        (``compile_seconds``: what compiling or loading the kernel took, before). The executor is
        started only if an item is left to compute (:func:`~mc_twolevel.engine.execute`)."""
        bar = Progress(where.progress)
        started = time.perf_counter()
        # in this thread only without a store: a run that keeps one waits for its tasks in this thread, so
        # that a signal is handled at once (a kernel running here would hold it until the kernel returns)
        serial = where.workers == 1 and not isinstance(ledger, stores.ZarrLedger) and where.own_workers
        start = functools.partial(executor, where.client, where.scheduler, where.workers, self.cluster, serial)
        try:
            totals, trials = engine.execute(self.spec, self.thetas, tables, self.seed, ledger, next_round, start, bar)
        finally:
            bar.close()
        return totals, trials, {"compile_seconds": compile_seconds, "run_seconds": time.perf_counter() - started}

    def _empty_results(self):
        """The results' Dataset with every counter zero: its layout, coordinates and attributes."""
        zeros = np.zeros((len(self.points), self.spec.layout.size))
        with np.errstate(all="ignore"):
            return to_dataset(self, zeros, np.zeros(len(self.points), dtype=np.int64),
                              {"compile_seconds": 0.0, "run_seconds": 0.0})  # fmt: skip

    def analyze(self, results):
        """Sensitivity indices of every output over this study's evaluated design.

        ``results`` must come from this study's design (checked against the manifest
        stored with them); see :mod:`mc_twolevel.sensitivity`.
        """
        from .sensitivity import analyze

        if self.design is None:
            raise InputError("a sensitivity analysis needs a [sample] design (method, n, ranges) in the study")
        return analyze(results, self.design, self.analysed_outputs, self.hash)

    def plan_tables(self):
        """Each point's per-point tables (``Model.plan``), computed once per distinct point
        before any task starts, so a point the model cannot plan fails as bad input."""
        planned = {}
        tables = []
        for point, theta in zip(self.points, self.thetas):
            key = theta.tobytes()
            if key not in planned:
                planned[key] = self.spec.tables(point)
            tables.append(planned[key])
        return tables

    def _warn_if_long(self, tables, where):
        """Warn before a run of more than ``LONG_RUN_TRIALS`` trials that keeps no store,
        with its duration estimated from ``CALIBRATION_TRIALS`` trials timed here."""
        total = self.trials * len(self.points)
        if total <= LONG_RUN_TRIALS:
            return
        started = time.perf_counter()
        state = self.spec.task_kernel.states(self.seed, (0, 0))
        self.spec.run(self.thetas[0], tables, CALIBRATION_TRIALS, state, self.spec.new_totals())
        cores = sum(where.client.nthreads().values()) if where.client is not None else where.workers or os.cpu_count()
        seconds = (time.perf_counter() - started) / CALIBRATION_TRIALS * total / cores
        duration = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
        warnings.warn(
            f"this study runs {total:.2g} trials ({len(self.points):,} points x {self.trials:,}) in memory: "
            f"roughly {duration} on {cores} core(s) at the speed just measured. Nothing is kept if it "
            "is interrupted; pass store=PATH to make it resumable (and progress=True to see a bar).",
            LongRunWarning,
            stacklevel=_outside_the_package(),
        )

    def _compile(self, tables):
        """Compile (or load from cache) the kernel here, saying so on stderr when it compiles
        (no cached copy, or loading it takes over 2 s); the seconds it took."""
        started = time.perf_counter()
        notice = threading.Timer(0.0 if not _in_cache(self.spec.kernel) else 2.0, _say_compiling, (self.spec.name,))
        notice.start()
        try:
            self.spec.run(self.thetas[0], tables, 1, self.spec.task_kernel.states(0, (0,)), self.spec.new_totals())
        finally:
            notice.cancel()
        return time.perf_counter() - started


def _outside_the_package():
    """The ``stacklevel`` at which a warning raised by the caller of this function names the
    first line outside this package: the user's own call, whichever API function led here."""
    package = f"{Path(__file__).parent}{os.sep}"
    frame, level = sys._getframe(2), 2  # stacklevel 1 is the caller itself, 2 its caller
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def _in_cache(kernel):
    """Whether numba holds a cached compilation of ``kernel`` on disk (for some signature)."""
    try:
        return bool(kernel._cache._cache_file._load_index())
    except (AttributeError, OSError):  # not a cached dispatcher, or numba's internals moved
        return True


def _say_compiling(name):
    print(f"compiling the {name} kernel (a first run; later runs load it from numba's cache)", file=sys.stderr,
          flush=True)  # fmt: skip
