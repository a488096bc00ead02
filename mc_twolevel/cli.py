"""The ``mc-twolevel`` command: list models, run studies, draw figures.

Bad input (an unknown model or parameter, a value out of range, a malformed
file) ends with a one-paragraph message and exit status 2, never a traceback.
"""

import argparse
import sys
import textwrap
from pathlib import Path

from .errors import InputError
from .model import Mean, get_model, model_names
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
        default = str(p.default).lower() if isinstance(p.default, bool) else p.default
        print(f"  {p.name:18s} default {str(default):24s} range {p.range}{units}\n"
              f"  {'':18s} {p.doc}")  # fmt: skip
    print("\nOutputs (each with _se, _lo, _hi and _n):")
    for o in model.outputs:
        given = f" | {o.given_doc}" if o.given else ""
        kind = "mean" if isinstance(o, Mean) else "probability"
        print(f"  {o.name:18s} {kind}: {o.doc}{given}")


def _study(args):
    study = Study.from_toml(args.study)
    overrides = {}
    if args.trials is not None:
        overrides.update(trials=args.trials, precision=None)
    if args.seed is not None:
        overrides["seed"] = args.seed
    if overrides:
        raw = {k: getattr(study, k) for k in ("model", "params", "sweep", "trials", "precision",
                                              "seed", "chunk_trials", "max_trials", "cluster", "plot")}
        study = Study(**{**raw, **overrides})
    return study


def _default_out(study_path, suffix):
    return Path("results") / f"{Path(study_path).stem}{suffix}"


def _run(args):
    study = _study(args)
    out = Path(args.out) if args.out else _default_out(args.study, ".zarr")
    out.parent.mkdir(parents=True, exist_ok=True)
    dataset = study.run(store=out, scheduler=args.scheduler, workers=args.workers)
    print(f"wrote {out}: {study.model}, {int(dataset.trials.sum()):,} trials, "
          f"{dataset.attrs['run_seconds']:.1f} s")  # fmt: skip
    if args.plot:
        from .plot import plot_store

        for figure in plot_store(out):
            print(f"wrote {figure}")


def _plot(args):
    from .plot import plot_store

    for figure in plot_store(args.store, args.out):
        print(f"wrote {figure}")


def _check(args):
    from .known_answers import check

    rows = check(trials=args.trials)
    print(f"{'model':13s} {'case':55s} {'output':18s} {'claim':>9s} {'estimate':>9s} {'se':>9s} {'z':>5s}")
    for answer, estimate, se, z in rows:
        print(f"{answer.model:13s} {answer.case:55s} {answer.output:18s} {answer.value:9.5f} "
              f"{estimate:9.5f} {se:9.2e} {z:5.1f}")  # fmt: skip
    worst = max(z for *_, z in rows)
    print(f"\n{len(rows)} known answers; the largest distance is {worst:.1f} standard errors")
    return 0 if worst < 5 else 1


def _positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def parser():
    top = argparse.ArgumentParser(prog="mc-twolevel", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)
    models = commands.add_parser("models", help="list the models, or describe one")
    models.add_argument("name", nargs="?")
    models.set_defaults(handler=_models)
    run = commands.add_parser("run", help="run a study file and write a store")
    run.add_argument("study", help="the study file (TOML)")
    run.add_argument("--out", help="store path: Zarr, or NetCDF if it ends in .nc (default results/STUDY.zarr)")
    run.add_argument("--workers", type=_positive, help="cores of this machine to use (default: all)")
    run.add_argument("--scheduler", help="address of a running Dask scheduler to use instead")
    run.add_argument("--trials", type=_positive, help="trials per point (overrides the study)")
    run.add_argument("--seed", type=int, help="seed (overrides the study)")
    run.add_argument("--plot", action="store_true", help="draw the standard figures afterwards")
    run.set_defaults(handler=_run)
    check = commands.add_parser("check", help="estimate the specification's known answers beside their values")
    check.add_argument("--trials", type=_positive, default=1_000_000, help="trials per case (default 1e6)")
    check.set_defaults(handler=_check)
    plot = commands.add_parser("plot", help="draw the standard figures of a finished store")
    plot.add_argument("store")
    plot.add_argument("--out", help="folder for the figures (default: beside the store)")
    plot.set_defaults(handler=_plot)
    return top


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        status = args.handler(args)
    except InputError as error:
        message = textwrap.fill(f"mc-twolevel: error: {error}", width=100)
        print(message, file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head, say
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("mc-twolevel: interrupted; finished work is kept in the store, run again to resume",
              file=sys.stderr)  # fmt: skip
        return 130
    return status or 0


if __name__ == "__main__":
    sys.exit(main())
