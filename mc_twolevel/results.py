"""Labelled results: a study's counters as an ``xarray.Dataset``.

One dimension per swept key (or a ``sample`` dimension for a design), plus any
dimension an output owns (``split``, ``period``...); one variable per output
with its companions (:mod:`mc_twolevel.schema`), CF-style attributes, and the
study's provenance in the Dataset's attributes.
"""

import json
import time
from importlib.metadata import version

import numba
import numpy as np
import xarray as xr

from . import schema
from .distributions import Dist
from .estimators import estimate
from .model import Probability


def label(value):
    """A sweep value as a coordinate label (distributions and tables as text)."""
    return str(value) if isinstance(value, (Dist, dict)) else value


def coordinate(values):
    """A sweep's coordinate; text as variable-length strings (Zarr v3 has no fixed-width spec)."""
    labels = [label(v) for v in values]
    return np.array(labels, dtype=object) if any(isinstance(v, str) for v in labels) else np.array(labels)


def _output_variables(spec, estimates, dims, shape, coords, scope):
    """The variable of one output and its companions; a vector output's own dimension runs
    as far as the study's points use it (``period`` to the largest ``periods``)."""
    value, se, lo, hi, n = estimates
    own, own_shape = dims, shape
    if spec.dim is not None:  # a vector output carries a dimension of its own
        used = int(max(scope.extents[spec.dim.name].max(), 1))
        value, se, lo, hi, n = (array[..., :used] for array in (value, se, lo, hi, n))
        own, own_shape = dims + (spec.dim.name,), shape + (used,)
        coords[spec.dim.name] = list(spec.dim.labels[:used])
    given = spec.given_doc or "all trials"
    interval = "Wilson score 95%" if isinstance(spec, Probability) else "normal 95%"
    meta = {"long_name": spec.doc, "given": given, "units": spec.units}
    name = spec.name
    return {
        name: (own, value.reshape(own_shape), meta),
        schema.companion(name, schema.SE): (own, se.reshape(own_shape), {"long_name": f"standard error of {name}"}),
        schema.companion(name, schema.LO): (own, lo.reshape(own_shape), {"long_name": f"{interval} interval, lower"}),
        schema.companion(name, schema.HI): (own, hi.reshape(own_shape), {"long_name": f"{interval} interval, upper"}),
        schema.companion(name, schema.N): (
            own,
            n.astype(np.int64).reshape(own_shape),
            {"long_name": f"trials {name} rests on ({given})"},
        ),
    }


def to_dataset(study, totals, trials, timings):
    """The labelled results of ``study`` from its per-point ``totals`` and ``trials``."""
    dims, coords = study.layout()
    variables = {"trials": (dims, trials.reshape(study.shape), {"long_name": "trials run at this point"})}
    estimates = estimate(study.spec, totals, trials, study.scope)
    for spec in study.spec.outputs:
        variables.update(_output_variables(spec, estimates[spec.name], dims, study.shape, coords, study.scope))
    attrs = {
        schema.MODEL: study.model,
        "model_reference": study.spec.reference,
        "params": json.dumps(study.spec.params.to_plain(study.base)),
        "sweep": json.dumps({k: [label(v) for v in vals] for k, vals in study.sweep.items()}, default=str),
        "seed": study.seed,
        schema.TRIALS_PER_POINT: study.trials if study.trials is not None else -1,
        "precision": study.precision if study.precision is not None else float("nan"),
        "chunk_trials": study.chunk_trials,
        schema.PLOT_OUTPUTS: json.dumps(study.plot_outputs),
        schema.DESIGN: json.dumps(study.design.manifest(study.hash) if study.design else None),
        schema.HASH: study.hash,
        "study": json.dumps(study.describe(), default=str),
        "mc_twolevel_version": version("mc_twolevel"),
        "numba_version": numba.__version__,
        "numpy_version": np.__version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **{k: round(v, 6) for k, v in timings.items()},
    }
    return xr.Dataset(variables, coords=coords, attrs=attrs)
