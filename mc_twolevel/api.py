"""The Python entry points: ``simulate`` one point, ``sweep`` a grid."""

import inspect

from .errors import InputError, did_you_mean
from .registry import get_model
from .study import Study

STUDY_OPTIONS = ("chunk_trials", "max_trials", "cluster")  # what ``**options`` passes on to :class:`Study`


def _check_options(function, model, options, params_word):
    """Refuse an option ``Study`` does not take, saying where a model parameter given as one belongs
    and which of ``function``'s arguments a misspelt one may mean."""
    for name in options:
        if name in STUDY_OPTIONS:
            continue
        if name in get_model(model).params:
            raise InputError(f"{name} is a parameter of {model}: give it in {params_word}, e.g. "
                             f"{params_word.split()[0]}={{{name!r}: {options[name]!r}}}")  # fmt: skip
        arguments = [*inspect.signature(function).parameters, *STUDY_OPTIONS]
        hint = did_you_mean(name, [a for a in arguments if a != "options"])
        raise InputError(f"unknown option {name}{hint}; besides its arguments, a run takes {', '.join(STUDY_OPTIONS)}")


def simulate(model, params=None, trials=None, seed=0, precision=None, workers=1, client=None, progress=None,
             **options):  # fmt: skip
    """Estimate every output of ``model`` at one parameter point.

    Returns an ``xarray.Dataset`` of scalars: each output with ``_se``, ``_lo``,
    ``_hi`` and ``_n`` companions. Runs in this process unless ``workers`` > 1 or
    a Dask ``client`` is given (used as it is). ``progress`` shows a bar
    (default: on a terminal or in Jupyter).
    """
    _check_options(simulate, model, options, "params")
    study = Study(model, params=params or {}, trials=trials, precision=precision, seed=seed, **options)
    return study.run(workers=workers, client=client, progress=progress)


def sweep(model, grid, params=None, trials=None, seed=0, precision=None, client=None,
          workers=None, store=None, progress=None, **options):  # fmt: skip
    """Estimate every output of ``model`` over the grid ``{key: values}``.

    ``key`` is a parameter name or a distribution field (``"pill2_h.median"``);
    the Dataset has one dimension per key, in order. A Dask ``client`` is used
    as it is; otherwise ``workers`` cores of this machine (default: all). With a
    ``store`` path the run is written there and resumed if interrupted.
    ``progress`` shows a bar (default: on a terminal or in Jupyter).
    """
    _check_options(sweep, model, options, "params (or grid, to sweep it)")
    study = Study(model, params=params or {}, sweep=dict(grid), trials=trials,
                  precision=precision, seed=seed, **options)  # fmt: skip
    return study.run(store=store, client=client, workers=workers, progress=progress)
