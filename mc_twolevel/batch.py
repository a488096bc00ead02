"""Batch systems: worker jobs from a study's ``[cluster]`` table, and the driver inside an allocation.

A study file is data that people share, so its ``[cluster]`` table may set only
what sizes the worker jobs (``CLUSTER_OPTIONS``), each value checked against a
strict pattern: dask-jobqueue writes string options into the job script
unquoted. Site settings -- account, queue, prologue, extra directives, the
worker's Python -- belong in the user's own Dask configuration
(``~/.config/dask/jobqueue.yaml``, ``DASK_JOBQUEUE__SLURM__ACCOUNT=...``), which
this module reads as dask-jobqueue does.

The jobs run one worker process each, with one thread per core: the kernels
release the GIL, so threads share compiled code and nothing is pickled between
them (dask-jobqueue's default would split a 32-core job into 8 processes).
Workers retire (``--lifetime``, staggered) before their walltime, and the
cluster adapts between ``minimum_jobs`` and ``maximum_jobs``, so a job that ends
-- at its walltime, cancelled, or preempted -- is replaced by a new one; the
lost tasks are recomputed to the same bits.

Failures are reported in the batch system's own words within a stated time:
no submit command or no controller answering, a job script the batch system
rejects (``sbatch --test-only`` before anything is submitted), a submission
that fails, or no worker connected within ``start_timeout`` seconds (the
queue's reason for each job is quoted).
"""

import contextlib
import logging
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from .errors import EnvironmentFailure, InputError
from .parallel import DaskExecutor

JOBQUEUE = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster"}
START_TIMEOUT = 600  # seconds without any worker before a run stops (study: [cluster] start_timeout)
_POLL = 0.2  # seconds between checks for finished tasks while waiting

_NAME = re.compile(r"[A-Za-z0-9_.:-]+")
_PATH = re.compile(r"[A-Za-z0-9_./+-]+")
_MEMORY = re.compile(r"\d+(\.\d+)?\s?[KMGTP]i?B", re.IGNORECASE)
_WALLTIME = re.compile(r"(?:(\d+)-)?(\d+)(?::(\d\d))?(?::(\d\d))?")
_SCHEDULER_KEYS = {"host": _NAME, "port": None, "interface": _NAME}
SITE_SETTINGS = {"account", "queue", "project", "job_script_prologue", "job_extra_directives", "job_extra",
                 "env_extra", "python", "shebang", "worker_command", "worker_extra_args", "extra", "header_skip",
                 "job_directives_skip", "security", "protocol", "job_cpu", "job_mem"}  # fmt: skip

# How to ask each batch system whether it is there, and what it says about jobs.
_ALIVE = {"slurm": ["scontrol", "ping"], "pbs": ["qstat", "-B"], "sge": ["qstat"], "lsf": ["bqueues"]}
_JOB_STATUS = {"slurm": ["squeue", "-h", "-o", "job %i %T, reason: %r", "-j"], "pbs": ["qstat"],
               "sge": ["qstat", "-j"], "lsf": ["bjobs"]}  # fmt: skip


def _whole(key, value, low):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InputError(f"[cluster] {key} = {value!r}: expected a whole number >= {low}")
    return value


def _matching(pattern, what):
    def check(key, value):
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise InputError(f"[cluster] {key} = {value!r}: expected {what}")
        return value

    return check


def _seconds(key, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise InputError(f"[cluster] {key} = {value!r}: expected a number of seconds > 0")
    return float(value)


def _scheduler_options(key, value):
    if not isinstance(value, dict) or set(value) - set(_SCHEDULER_KEYS):
        raise InputError(f"[cluster] {key} = {value!r}: a table of {', '.join(_SCHEDULER_KEYS)} only")
    for name, pattern in _SCHEDULER_KEYS.items():
        if name in value:
            _whole(f"{key}.{name}", value[name], 0) if pattern is None else _matching(pattern, "a name")(
                f"{key}.{name}", value[name]
            )
    return dict(value)


CLUSTER_OPTIONS = {
    "type": _matching(re.compile("|".join(JOBQUEUE)), f"one of {', '.join(JOBQUEUE)}"),
    "jobs": lambda k, v: _whole(k, v, 1),
    "minimum_jobs": lambda k, v: _whole(k, v, 0),
    "maximum_jobs": lambda k, v: _whole(k, v, 1),
    "cores": lambda k, v: _whole(k, v, 1),
    "processes": lambda k, v: _whole(k, v, 1),
    "memory": _matching(_MEMORY, 'an amount such as "4GB" or "500 MiB"'),
    "walltime": _matching(_WALLTIME, 'a time such as "01:30:00", "2-00:00:00" or "90" (minutes)'),
    "job_name": _matching(_NAME, "a name of letters, digits and _.:-"),
    "interface": _matching(_NAME, 'a network interface name such as "ib0"'),
    "log_directory": _matching(_PATH, "a path of letters, digits and _./+-"),
    "local_directory": _matching(_PATH, "a path of letters, digits and _./+-"),
    "scheduler_options": _scheduler_options,
    "start_timeout": _seconds,
}


def check_cluster(spec):
    """The ``[cluster]`` table, checked against the allow-list; anything else is refused by name."""
    if not isinstance(spec, dict):
        raise InputError(f"[cluster] must be a table, got {spec!r}")
    site = sorted(set(spec) & SITE_SETTINGS)
    if site:
        raise InputError(
            f"[cluster] may not set {', '.join(site)}: a study file is shared data and must not carry site "
            "settings or commands into a job script. Put them in your own Dask configuration "
            "(~/.config/dask/jobqueue.yaml, e.g. jobqueue: slurm: account: ...)"
        )
    unknown = sorted(set(spec) - set(CLUSTER_OPTIONS))
    if unknown:
        raise InputError(f"[cluster]: unknown option(s) {', '.join(unknown)}; allowed: {', '.join(CLUSTER_OPTIONS)}")
    if "type" not in spec:
        raise InputError(f'[cluster] needs a type: one of {", ".join(JOBQUEUE)} (e.g. type = "slurm")')
    checked = {key: CLUSTER_OPTIONS[key](key, value) for key, value in spec.items()}
    if "jobs" in checked and ({"minimum_jobs", "maximum_jobs"} & set(checked)):
        raise InputError("[cluster]: give jobs (a fixed number) or minimum_jobs/maximum_jobs, not both")
    low, high = job_bounds(checked)
    if low > high:
        raise InputError(f"[cluster] minimum_jobs = {low} is above maximum_jobs = {high}")
    if checked.get("processes", 1) > checked.get("cores", checked.get("processes", 1)):
        raise InputError("[cluster] processes may not exceed cores (each process needs a core)")
    return checked


def job_bounds(checked):
    """``(minimum, maximum)`` worker jobs of a checked ``[cluster]`` table (``jobs`` fixes both)."""
    high = checked.get("maximum_jobs", checked.get("jobs", 1))
    return (high if "jobs" in checked else checked.get("minimum_jobs", 1)), high


def walltime_seconds(text):
    """Seconds in a batch walltime (``D-HH:MM:SS``, ``HH:MM:SS``, ``HH:MM`` or minutes); None if unreadable."""
    match = _WALLTIME.fullmatch(str(text or ""))
    if not match:
        return None
    days, first, second, third = (int(g) if g else 0 for g in match.groups())
    if match.group(3) is None:  # minutes alone
        return days * 86400 + first * 60
    if match.group(4) is None:  # HH:MM
        return days * 86400 + first * 3600 + second * 60
    return days * 86400 + first * 3600 + second * 60 + third


def lifetime(walltime):
    """``(lifetime, stagger)`` in seconds: workers retire before the batch system kills them.

    A margin of a fifth of the walltime (at most 10 minutes) is left, the
    lifetimes staggered by a quarter of it so jobs do not all end together.
    """
    margin = min(0.2 * walltime, 600.0)
    return max(1, math.floor(walltime - margin)), max(1, math.floor(margin / 4))


def _config(kind, key, default=None):
    import dask

    return dask.config.get(f"jobqueue.{kind}.{key}", default)


def _import_jobqueue():
    """dask_jobqueue, without the SIGINT handler it installs on import (Ctrl-C would exit 0), and
    with its default settings in Dask's configuration, under any settings made. Imported first
    inside a user's ``dask.config.set`` block, its defaults go when the block ends, and a later
    block brings back only its own settings: so they are merged back on every call."""
    import dask

    previous = signal.getsignal(signal.SIGINT)
    import dask_jobqueue

    signal.signal(signal.SIGINT, previous)
    for defaults in dask.config.defaults:  # what its import registered
        if "jobqueue" in defaults:
            dask.config.update(dask.config.config, {"jobqueue": defaults["jobqueue"]}, priority="old")  # settings win
    return dask_jobqueue


def _options(kind, checked):
    """Keyword arguments of the dask-jobqueue cluster: the study's sizes over the user's site settings."""
    options = {k: v for k, v in checked.items() if k in CLUSTER_OPTIONS and k not in _OURS}
    options.setdefault("processes", _config(kind, "processes") or 1)
    scheduler = dict(_config(kind, "scheduler-options") or {})
    if "dashboard_address" not in scheduler:  # no dashboard unless the user's configuration asks for one
        scheduler.update(dashboard=False, dashboard_address="127.0.0.1:0")
    options["scheduler_options"] = {**scheduler, **checked.get("scheduler_options", {})}
    extra = list(_config(kind, "worker-extra-args") or [])
    seconds = walltime_seconds(checked.get("walltime", _config(kind, "walltime")))
    if seconds and "--lifetime" not in extra:
        life, stagger = lifetime(seconds)
        extra += ["--lifetime", f"{life}s", "--lifetime-stagger", f"{stagger}s"]
    options["worker_extra_args"] = extra
    return options


_OURS = {"type", "jobs", "minimum_jobs", "maximum_jobs", "start_timeout", "scheduler_options"}


def make_cluster(spec):
    """A dask-jobqueue cluster for ``[cluster]`` (nothing submitted yet) and its checked table."""
    checked = check_cluster(spec)
    kind = checked["type"]
    if kind == "sge":
        _check_parallel_environment(checked.get("cores", _config(kind, "cores") or 1))
    jobqueue = _import_jobqueue()
    try:
        cluster = getattr(jobqueue, JOBQUEUE[kind])(**_options(kind, checked))
    except (TypeError, ValueError) as error:  # dask-jobqueue's word for a missing or bad setting
        raise InputError(f"[cluster]: {str(error).splitlines()[0]}") from None
    return cluster, checked


def _check_parallel_environment(cores):
    """SGE reserves a job's cores only through a parallel environment, whose name is each
    site's own: without one, a worker of several threads would run on one reserved slot."""
    directives = " ".join([*(_config("sge", "job-extra-directives") or []), *(_config("sge", "job-extra") or [])])
    if cores > 1 and "-pe " not in f"{directives} ":
        raise InputError(
            f'[cluster] type = "sge" with cores = {cores}: SGE reserves several cores only through a '
            "parallel environment, whose name your site chooses. Add it to your Dask configuration "
            f'(~/.config/dask/jobqueue.yaml): jobqueue: sge: job-extra-directives: ["-pe smp {cores}"] '
            "(with your site's name for smp; `qconf -spl` lists them), or set cores = 1"
        )


def job_script(spec):
    """The job script a study's ``[cluster]`` table submits (nothing is submitted)."""
    cluster, _ = make_cluster(spec)
    with contextlib.closing(cluster):
        return cluster.job_script()


def _ask(command, timeout=60):
    """``(status, words)`` of a batch-system command; status None when it is not installed."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        return None, f"{command[0]} is not installed here"
    except subprocess.TimeoutExpired:
        return 1, f"{' '.join(command)} did not answer within {timeout} s"
    return done.returncode, " ".join(re.sub(r"\*{3,}", " ", done.stderr.strip() or done.stdout.strip()).split())


_SUBMIT = {"slurm": "sbatch", "pbs": "qsub", "sge": "qsub", "lsf": "bsub"}


def check_batch_system(kind):
    """The batch system's commands are here and its controller answers (before any cluster is made)."""
    if shutil.which(_SUBMIT[kind]) is None:
        raise EnvironmentFailure(
            f"[cluster] type = {kind!r} needs the batch system's {_SUBMIT[kind]} command, and it is not on PATH "
            "here: run on the cluster's login node, or drop [cluster] to run on this machine"
        )
    status, words = _ask(_ALIVE[kind], timeout=30)
    if status != 0:
        raise EnvironmentFailure(f"the batch system does not answer ({' '.join(_ALIVE[kind])}: {words})")


def dry_run_job_script(cluster, kind):
    """SLURM's verdict on the exact worker job script, before anything is submitted."""
    if kind != "slurm":  # the other batch systems have no dry run; their refusals are caught on submission
        return
    with tempfile.NamedTemporaryFile("w", suffix=".sh") as script:
        script.write(cluster.job_script())
        script.flush()
        status, words = _ask(["sbatch", "--test-only", script.name])
    if status != 0:
        raise EnvironmentFailure(f"SLURM refuses the worker job script (sbatch --test-only): {words}")


class _SubmitErrors(logging.Handler):
    """Collects the batch system's words when dask-jobqueue fails to submit a job (it only logs them)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.words = []

    def emit(self, record):
        error = record.exc_info[1] if record.exc_info else None
        text = str(error or record.getMessage())
        if "Command exited with non-zero exit code" in text:
            self.words.append(" ".join(text.split("stderr:")[-1].split()))


class Watchdog:
    """Stops a run (``EnvironmentFailure``) when no worker has been connected for ``patience`` seconds."""

    def __init__(self, client, cluster, kind, patience, errors):
        self.client, self.cluster, self.kind, self.patience, self.errors = client, cluster, kind, patience, errors
        self.last_seen = self.last_asked = time.monotonic()
        self.job_ids = set()

    def check(self):
        if time.monotonic() - self.last_asked < 1:
            return
        self.last_asked = time.monotonic()
        self.job_ids |= {job.job_id for job in self.cluster.workers.values() if getattr(job, "job_id", None)}
        if self.errors.words:
            raise EnvironmentFailure(f"the batch system refused a worker job: {self.errors.words[-1]}")
        if self.client.scheduler_info(n_workers=1)["workers"]:
            self.last_seen = time.monotonic()
        elif time.monotonic() - self.last_seen > self.patience:
            raise EnvironmentFailure(
                f"no worker connected for {self.patience:.0f} s ([cluster] start_timeout); "
                f"the batch system says: {self._queue_words()}. Finished work is kept in the store; run again to "
                "resume"
            )

    def _queue_words(self):
        if not self.job_ids:
            return "no job was submitted"
        ids = sorted(self.job_ids)
        status, words = _ask(_JOB_STATUS[self.kind] + ([",".join(ids)] if self.kind == "slurm" else ids))
        return words or f"jobs {', '.join(ids)} are no longer queued"


class JobqueueExecutor(DaskExecutor):
    """Runs tasks on batch-system worker jobs, stopping when none has been connected for too long."""

    def __init__(self, client, watchdog):
        super().__init__(client)
        self.watchdog = watchdog

    def _finishing(self, completed):
        """The finished tasks, checking on the worker jobs (``watchdog``) while none is ready."""
        while completed.count():
            if completed.has_ready():
                yield next(completed)
            else:
                self.watchdog.check()
                time.sleep(_POLL)


@contextlib.contextmanager
def jobqueue_client(spec, announce=None):
    """A ``(client, watchdog)`` on worker jobs for ``[cluster]``, adapting between its job bounds.

    The job script is printed (to ``announce``, default stderr) before anything
    is submitted. The batch system itself is checked by the study, before
    anything is written (:func:`check_batch_system`).
    """
    from distributed import Client

    cluster, checked = make_cluster(spec)
    kind = checked["type"]
    errors = _SubmitErrors()
    watched = [logging.getLogger(name) for name in ("tornado.application", "distributed.deploy.spec", "asyncio")]
    try:
        dry_run_job_script(cluster, kind)
        print(f"mc-twolevel: submitting worker jobs with this script:\n{cluster.job_script()}",
              file=announce or sys.stderr, flush=True)  # fmt: skip
        for logger in watched:
            logger.addHandler(errors)
        low, high = job_bounds(checked)
        with Client(cluster) as client:
            cluster.adapt(minimum_jobs=low, maximum_jobs=high)
            yield client, Watchdog(client, cluster, kind, checked.get("start_timeout", START_TIMEOUT), errors)
    finally:
        for logger in watched:
            logger.removeHandler(errors)
        _close(cluster)


@contextlib.contextmanager
def _signals_deferred():
    """SIGINT and SIGTERM arriving in the block take effect when it ends (in the main thread;
    elsewhere the block runs as it is): each is then handed to the handler it would have met."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = {signum: signal.signal(signum, lambda signum, frame: received.append(signum))
                for signum in (signal.SIGINT, signal.SIGTERM)}  # fmt: skip
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in received[:1]:
            if callable(previous[signum]):
                previous[signum](signum, None)
            elif previous[signum] == signal.SIG_DFL:
                signal.raise_signal(signum)


def _close(cluster):
    """Close a jobqueue cluster, including jobs whose submission failed (dask-jobqueue asserts on those).
    A signal meanwhile (a second Ctrl-C, say) waits until the jobs are cancelled: stopping at once
    would leave them queued or running on the user's allocation."""
    with _signals_deferred():
        _cancel_jobs(cluster)


def _cancel_jobs(cluster):
    from distributed.core import Status

    for job in list(getattr(cluster, "_created", ())):
        if getattr(job, "job_id", 1) is None and job.status == Status.created:
            job.status = Status.failed
    try:
        cluster.close(timeout=30)
    except AssertionError:  # dask-jobqueue asserts on jobs it lost track of: cancel every job it made, by id
        ids = [job.job_id for job in getattr(cluster, "_created", ()) if getattr(job, "job_id", None)]
        if ids:
            _ask([cluster.job_cls.cancel_command, *ids])
    except Exception as error:  # cleanup: say so, and do not hide why the run ended
        print(f"mc-twolevel: warning: the worker jobs may not all be cancelled ({error!r}); check the queue",
              file=sys.stderr)  # fmt: skip


def allocation_cores():
    """The cores a batch allocation gives this process (SLURM, PBS), or None outside one."""
    for name in ("SLURM_CPUS_PER_TASK", "SLURM_CPUS_ON_NODE", "PBS_NUM_PPN", "NCPUS", "PBS_NP"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return min(int(value), os.cpu_count() or int(value))
    return None


SCHEDULER_FILE_WAIT = 60  # seconds to wait for a scheduler file to appear


@contextlib.contextmanager
def scheduler_file_client(path, wait=None):
    """A client of the scheduler named in a Dask scheduler file, waiting ``wait`` s for the file to appear
    (a scheduler job may still be starting)."""
    import json

    from distributed import Client

    wait = SCHEDULER_FILE_WAIT if wait is None else wait
    deadline = time.monotonic() + wait
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise EnvironmentFailure(
                f"--scheduler-file {path} did not appear within {wait} s: is the scheduler running?"
            )
        time.sleep(0.5)
    try:
        with open(path) as handle:
            address = json.load(handle)["address"]
    except (OSError, ValueError, KeyError):
        raise InputError(f"--scheduler-file {path} is not a Dask scheduler file (JSON with an address)") from None
    try:
        client = Client(address, timeout=30)
    except OSError as error:
        raise EnvironmentFailure(f"the scheduler {address} named in {path} does not answer: {error}") from None
    with client:
        yield client
