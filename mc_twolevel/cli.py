"""The ``mc-twolevel`` command: list models, run studies, draw figures.

Every failure a user can cause ends with a one-paragraph message, never a
traceback, and an exit status saying which kind it was: 0 done; 2 bad input
(the study, the options, a store made by something else or driven by another
run); 3 an environment failure (disk full, an unwritable or read-only path, a
damaged store, a scheduler unreachable or lost, workers running other code);
130 and 143 interrupted by SIGINT and SIGTERM, the store left resumable; 1 a
bug in this package (``MC_TWOLEVEL_DEBUG=1`` shows its traceback), or ``check``
finding an estimate 5 or more standard errors from its claim. Signals
while the command starts are handled by :mod:`mc_twolevel_launcher`, the
entry point; during and after a command by :class:`_Signals`.
"""

import argparse
import asyncio
import concurrent.futures
import contextlib
import dataclasses
import errno
import gc
import math
import os
import signal
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np

from mc_twolevel_launcher import EXIT_STATUS, ended, finished, stop_at_once

from .errors import EnvironmentFailure, InputError, OtherStudysStore, Terminated
from .model import Mean
from .registry import get_model, model_names
from .results import version
from .study import Study


def _models(args):
    if not args.name:
        for name in model_names():
            print(f"{name:14s} {get_model(name).summary}")
        return
    model = get_model(args.name)
    print(f"{model.name}: {model.summary}\n{model.reference}\n\nParameters:")
    for p in model.params:
        units = f" [{p.units}]" if p.units else ""
        # a parameter whose default is a table may say how it reads (shown_default)
        default = str(getattr(p, "shown_default", str(p.default).lower() if isinstance(p.default, bool) else p.default))
        long_default = len(default) > 40  # a table such as the doughnut box: on a line of its own
        print(f"  {p.name:18s} default {'(below)' if long_default else default:24s} range {p.range}{units}\n"
              f"  {'':18s} {p.doc}")  # fmt: skip
        if long_default:
            print(textwrap.fill(f"default: {default}", width=100, initial_indent=" " * 21,
                                subsequent_indent=" " * 30))  # fmt: skip
    print("\nOutputs (each with _se, _lo, _hi and _n):")
    width = max(18, *(len(o.name) for o in model.outputs))
    for o in model.outputs:
        given = f" | {o.given_doc}" if o.given else ""
        kind = "mean" if isinstance(o, Mean) else "probability"
        print(f"  {o.name:{width}s} {kind}: {o.doc}{given}")


def _study(args):
    """The study file with the command line's --trials and --seed applied."""
    study = Study.from_toml(args.study)
    overrides = {}
    if getattr(args, "trials", None) is not None:
        overrides.update(trials=args.trials, precision=None)
    if getattr(args, "seed", None) is not None:
        overrides["seed"] = args.seed
    return dataclasses.replace(study, **overrides) if overrides else study


def _default_out(study_path, suffix):
    return Path("results") / f"{Path(study_path).stem}{suffix}"


def _starting(args):
    """Say what is happening before the model loads and compiles (seconds, the first time)."""
    print(f"mc-twolevel: loading {args.study} and its model's compiled kernel...", file=sys.stderr, flush=True)
    if args.scheduler and args.workers:
        print("mc-twolevel: warning: --workers is ignored with --scheduler; the scheduler's cluster has the "
              "workers it has", file=sys.stderr)  # fmt: skip


CHUNKS_PER_POINT = 2048  # a coarse precision run's cap, so its worst-case ledger stays small


def _precision_note(study):
    """A precision study runs whole chunks: say so when one chunk is far more than the target needs."""
    if study.precision is None:
        return
    needed = math.ceil((1.96 * 0.5 / study.precision) ** 2)  # a probability's worst case, p = 1/2
    if study.chunk_trials > 4 * needed:
        smaller = 2 ** math.ceil(math.log2(needed))
        print(f"mc-twolevel: note: precision = {study.precision:g} needs at most about {needed:,} trials per point "
              f"for a probability, but a precision study runs whole chunks of chunk_trials = "
              f"{study.chunk_trials:,}; add chunk_trials = {smaller:_} and max_trials = {smaller * CHUNKS_PER_POINT:_} "
              "to the study for a quicker coarse run",
              file=sys.stderr)  # fmt: skip


def _run(args):
    from .store import is_finished

    _starting(args)
    study = _study(args)
    if args.show_job_script:
        return _show_job_script(study, args.study)
    _precision_note(study)
    out = Path(args.out) if args.out else _default_out(args.study, ".zarr")
    was_finished = is_finished(out)
    dataset = _run_study(study, out, args, shard=args.shard)
    if dataset is None:
        from .shards import Shard, finished, folder

        count = Shard.parse(args.shard).count
        print(f"shard {args.shard} done in {folder(out)}; {finished(out, count, study.hash)} of {count} shards "
              f"finished (the last to finish, or a run without --shard, assembles {out})")  # fmt: skip
        return
    if was_finished:
        print(f"{out} was already finished ({study.model}, {int(dataset.trials.sum()):,} trials); nothing to run")
    else:
        compiling = dataset.attrs["compile_seconds"]
        loading = f" (and {compiling:.1f} s compiling or loading the kernel)" if compiling >= 1 else ""
        print(f"wrote {out}: {study.model}, {int(dataset.trials.sum()):,} trials, "
              f"{dataset.attrs['run_seconds']:.1f} s{loading}")  # fmt: skip
    if args.plot:
        from .plot import plot_store

        for figure in plot_store(out, dataset=dataset):
            print(f"wrote {figure}")


def _show_job_script(study, path):
    """Print the worker job script of the study's [cluster] table; nothing is submitted."""
    from .batch import job_script

    if not study.cluster:
        raise InputError(f"{path} has no [cluster] table, so it submits no job script")
    print(job_script(study.cluster))


def _run_study(study, store, args, option="--out", **extra):
    """``study.run`` on ``store`` the command line's way: a scheduler (address or file), or this
    machine's cores (inside a batch allocation, the allocation's). A --trials/--seed override that
    meets the study's own store (``option`` not given) is pointed at ``option``."""
    from .batch import allocation_cores, scheduler_file_client

    workers = args.workers or (None if args.scheduler or args.scheduler_file else allocation_cores())
    try:
        with scheduler_file_client(args.scheduler_file) if args.scheduler_file else contextlib.nullcontext() as client:
            return study.run(store=store, client=client, scheduler=args.scheduler, workers=workers, **extra)
    except (InputError, EnvironmentFailure) as error:
        overridden = [f"--{k}" for k in ("trials", "seed") if getattr(args, k, None) is not None]
        if isinstance(error, OtherStudysStore) and overridden and not getattr(args, option[2:]):
            raise InputError(
                f"{store} already holds a run of {args.study} with other settings; with {' and '.join(overridden)} "
                f"this is a different study, so it is not resumed there. Add {option} with a new path (e.g. {option} "
                f"{store.with_name(store.stem + '-' + str(args.trials or args.seed) + store.suffix)})."
            ) from None
        if option != "--out" and "--out" in str(error):  # the store's messages name --out; here it is ``option``
            raise type(error)(str(error).replace("--out", option)) from None
        raise


def _sensitivity(args):
    from .plot import plot_sensitivity
    from .sensitivity import noise_warnings
    from .store import write_dataset

    _starting(args)
    study = _study(args)
    if study.design is None:
        raise InputError(f"{args.study} has no [sample] design; add one with method, n and ranges")
    _precision_note(study)
    design = Path(args.design) if args.design else _default_out(args.study, ".zarr")
    results = _run_study(study, design, args, "--design")
    indices = study.analyze(results)
    out = Path(args.out) if args.out else _default_out(args.study, ".sensitivity.nc")
    write_dataset(indices, out)
    print(f"evaluated {len(study.points):,} design points ({study.trials:,} trials each) in {design}")
    print(f"wrote {out}")
    _print_indices(indices)
    for sentence in noise_warnings(indices):
        print(f"warning: {sentence}", file=sys.stderr)
    if args.plot:
        print(f"wrote {plot_sensitivity(indices, out.with_suffix('.png'))}")


def _print_indices(indices):
    main, interval = ("ST", "ST_conf") if indices.attrs["method"] == "sobol" else ("mu_star", "mu_star_conf")
    for output in indices.output.values:
        row = indices.sel(output=output)
        order = np.argsort(-row[main].values)[:3]
        drivers = ", ".join(f"{row.parameter.values[j]} {row[main].values[j]:.3f} +/- {row[interval].values[j]:.3f}"
                            for j in order)  # fmt: skip
        print(f"  {output:18s} noise {float(row.noise_share):6.2%}  top {main}: {drivers}")


def _plot(args):
    from .plot import plot_store

    if not Path(args.store).exists():
        raise InputError(f"{args.store} does not exist; give the path of a finished store")
    for figure in plot_store(args.store, args.out):
        print(f"wrote {figure}")


def _check(args):
    from .known_answers import check

    rows = check(trials=args.trials)
    outputs = [answer.output + "".join(f"[{v}]" for v in answer.at.values()) for answer, *_ in rows]
    case_width = max(len(answer.case) for answer, *_ in rows)
    output_width = max(map(len, outputs))
    print(f"{'model':13s} {'case':{case_width}s} {'output':{output_width}s} {'claim':>9s} {'estimate':>9s} "
          f"{'se':>9s} {'z':>5s}")  # fmt: skip
    for (answer, estimate, se, z), output in zip(rows, outputs):
        print(f"{answer.model:13s} {answer.case:{case_width}s} {output:{output_width}s} {answer.value:9.5f} "
              f"{estimate:9.5f} {se:9.2e} {z:5.1f}")  # fmt: skip
    worst = max(z for *_, z in rows)
    print(f"\n{len(rows)} known answers; the largest distance is {worst:.1f} standard errors")
    return 0 if worst < 5 else 1


def _whole_number(text, low):
    """A whole number >= ``low``, written as a study file may write it (``20000``, ``20_000``, ``2e4``)."""
    try:
        value = float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value != int(value) or value < low:
        raise argparse.ArgumentTypeError(
            f"expected a whole number >= {low} (such as 20000, 20_000 or 2e4), got {text!r}"
        )
    return int(value)


def _path(text):
    """A path that is not empty (an empty one is usually a shell variable that was never set)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path (a shell variable that is not set?); give a file or folder")
    return text


def _positive(text):
    return _whole_number(text, 1)


def _seed(text):
    return _whole_number(text, 0)


def _running_options(command, study_help, handler):
    """The options of the commands that run a study."""
    command.add_argument("study", type=_path, help=study_help)
    command.add_argument(
        "--workers", type=_positive, help="cores of this machine to use (default: all, or a batch allocation's)"
    )
    where = command.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="address of a running Dask scheduler to use instead")
    where.add_argument(
        "--scheduler-file", type=_path, help="a Dask scheduler file (dask-scheduler --scheduler-file) to connect to"
    )
    command.add_argument("--trials", type=_positive, help="trials per point (overrides the study)")
    command.add_argument("--seed", type=_seed, help="seed (overrides the study)")
    command.add_argument("--plot", action="store_true", help="draw the standard figures afterwards")
    command.set_defaults(handler=handler, keeps_store=True)


def parser():
    top = argparse.ArgumentParser(
        prog="mc-twolevel",
        description="Monte Carlo studies of two-level games: list the models, run studies, draw figures.",
        epilog="mc-twolevel COMMAND --help describes a command.",
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {version('mc_twolevel')}")
    commands = top.add_subparsers(dest="command", required=True)
    models = commands.add_parser("models", help="list the models, or describe one")
    models.add_argument("name", nargs="?", help="a model to describe: its parameters and outputs")
    models.set_defaults(handler=_models)
    run = commands.add_parser("run", help="run a study file and write a store")
    run.add_argument(
        "--out", type=_path, help="store path: Zarr, or NetCDF if it ends in .nc (default results/STUDY.zarr)"
    )
    run.add_argument("--shard", metavar="I/N", help="compute only the I-th of N shares (a job array task); see docs")
    run.add_argument(
        "--show-job-script", action="store_true", help="print the [cluster] worker job script and submit nothing"
    )
    _running_options(run, "the study file (TOML)", _run)
    sensitivity = commands.add_parser(
        "sensitivity", help="Sobol' indices or Morris screening over a study's [sample] design"
    )
    sensitivity.add_argument(
        "--out", type=_path, help="where to write the indices (default results/STUDY.sensitivity.nc)"
    )
    sensitivity.add_argument(
        "--design", type=_path, help="store of the evaluated design, resumed if unfinished (default results/STUDY.zarr)"
    )
    _running_options(sensitivity, "the study file (TOML) with a [sample] table", _sensitivity)
    check = commands.add_parser("check", help="estimate the models' known answers beside their values")
    check.add_argument("--trials", type=_positive, default=1_000_000, help="trials per case (default 1e6)")
    check.set_defaults(handler=_check)
    plot = commands.add_parser("plot", help="draw the standard figures of a finished store")
    plot.add_argument("store", type=_path, help="a finished store (.zarr or .nc) or a sensitivity analysis (.nc)")
    plot.add_argument("--out", type=_path, help="folder for the figures (default: beside the store)")
    plot.set_defaults(handler=_plot)
    return top


RESUME = "finished work is kept in the store; run the same command again to resume"
NOTHING_KEPT = "this command keeps nothing to resume; run it again"
RETRY = "put that right and run the same command again (finished work, if any, is kept)"
_OS_FAILURES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a file is in the way (a part of the path is a file, not a folder)",
    errno.EISDIR: "a folder is in the way",
    errno.ENOMEM: "out of memory",
}


def _failure(error, resume=RESUME):
    """The exit status and one-paragraph message of a failed command (``resume``: what an
    interrupted one has kept)."""
    if isinstance(error, Terminated):
        return 143, f"terminated (SIGTERM); {resume}"
    if isinstance(error, KeyboardInterrupt):
        return 130, f"interrupted; {resume}"
    if isinstance(error, (InputError, EnvironmentFailure)):
        return error.exit_status, str(error)
    if isinstance(error, FileNotFoundError):
        return 2, f"no such file or folder: {error.filename or error}"
    if isinstance(error, MemoryError):
        return 3, f"out of memory; lower trials or the number of points, or use a larger machine. {RETRY}"
    if isinstance(error, (concurrent.futures.CancelledError, asyncio.CancelledError)):
        return 3, f"the scheduler cancelled the run's tasks (it was lost or shut down); {RESUME}"
    if isinstance(error, OSError):  # the machine, a path or a connection to a scheduler
        what = _OS_FAILURES.get(error.errno, error.strerror or str(error) or type(error).__name__)
        where = f" ({error.filename})" if error.filename else ""
        return 3, f"{what}{where}; {RETRY}"
    return 1, (
        f"internal error, a bug in mc_twolevel: {type(error).__name__}: {error}. Please report it; "
        "MC_TWOLEVEL_DEBUG=1 shows the traceback"
    )


class _Signals:
    """SIGINT and SIGTERM while a command runs (handled in the main thread, for its duration).

    The first raises KeyboardInterrupt (:class:`Terminated` for SIGTERM) where the run stands:
    the tasks already running finish and are dropped, the store's lock is released, and the
    command says how to resume (exit 130 or 143). A second signal while that happens, or any
    signal once the command is over, ends the process at once with the same status and one
    line. Nothing finished is lost that way: the store is journaled (every write is atomic and
    an open repairs a half-grown ledger), so it resumes from any moment, and only the tasks
    that were running (dropped anyway) run again.
    """

    def __init__(self, resume=RESUME):
        self.working = False
        self._interrupted = False
        self._previous = {}
        self._resume = resume

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = {signum: signal.signal(signum, self._handle) for signum in EXIT_STATUS}
        self.working = True
        return self

    def __exit__(self, *exc):
        self.working = False
        ended()  # the launcher's handler, back in place, then says so
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum, frame):
        if not self.working:
            stop_at_once(signum, f"again, at once; {self._resume}" if self._interrupted else "as the command ended")
        self.working, self._interrupted = False, True
        raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt


def main(argv=None):
    """Run the command ``argv`` (default: this process's arguments) and return its exit status.

    Called without ``argv`` (``mc-twolevel``, ``python -m mc_twolevel``), it is the process's
    entry point: the objects made by imports, which live until the process ends, are then
    moved out of the garbage collector's way (``gc.freeze``) before the command and again
    after it, so neither the collections during the run nor the interpreter's exit walk them
    (about a second of a short run's overhead on a loaded machine).
    """
    if argv is None:
        gc.freeze()
    args = parser().parse_args(argv)
    resume = RESUME if getattr(args, "keeps_store", False) else NOTHING_KEPT
    try:
        with _Signals(resume) as signals:
            try:
                status = args.handler(args) or 0
                signals.working = False
                return status
            except BrokenPipeError:  # output piped into head, say
                signals.working = False
                sys.stderr.close()
                return 0
            except BaseException as error:
                signals.working = False
                if isinstance(error, SystemExit) or os.environ.get("MC_TWOLEVEL_DEBUG"):
                    raise
                status, message = _failure(error, resume)
                print(textwrap.fill(f"mc-twolevel: error: {message}", width=100), file=sys.stderr)
                return status
    finally:
        if argv is None:
            gc.freeze()


if __name__ == "__main__":  # python -m mc_twolevel.cli
    sys.exit(finished(main()))
