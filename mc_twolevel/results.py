"""Labelled results: a study's counters as an ``xarray.Dataset``.

One dimension per swept key (or a ``sample`` dimension for a design), plus any
dimension an output owns (``split``, ``period``...); one variable per output
with its companions (:mod:`mc_twolevel.schema`), and the study's provenance in
the Dataset's attributes.

Attributes follow the CF conventions where they have a word for it: every
coordinate and variable has a ``long_name`` and, where it has units, ``units``
(probabilities ``"1"``); an output lists its companions in
``ancillary_variables``; a companion names the output it belongs to in
``companion_of`` (``_lo``/``_hi`` also give the interval's ``interval_method``
and ``confidence_level``). A field that does not apply to a study (``precision``
for a fixed-trials study, ``design`` for a grid) is left out, never filled
with a placeholder. ``params`` holds the parameters the study fixes; swept or
sampled keys appear in ``sweep`` or ``design`` instead (a swept distribution
field is left out of its distribution's table).
"""

import json
import time
from functools import cache
from importlib import metadata

import numba
import numpy as np
import xarray as xr

from . import schema
from .distributions import Dist
from .estimators import estimate
from .model import Probability


@cache
def version(distribution):
    """The installed version of ``distribution`` (``importlib.metadata.version``), read once per
    process: each reading searches the installed packages' metadata, and a run asks for this
    package's version in every study hash and in the results' provenance."""
    return metadata.version(distribution)


CONVENTIONS = "CF-1.10"
_FIELD_UNITS = {"sigma": "1"}  # a lognormal's sigma is on the log scale; other fields share the parameter's units


def label(value):
    """A sweep value as a coordinate label (distributions, tables and lists of them, such as
    the doughnut box, as text)."""
    return str(value) if isinstance(value, (Dist, dict, list, tuple)) else value


def coordinate(values):
    """A sweep's coordinate; text as variable-length strings (Zarr v3 has no fixed-width spec)."""
    labels = [label(v) for v in values]
    return np.array(labels, dtype=object) if any(isinstance(v, str) for v in labels) else np.array(labels)


def key_attrs(params, key):
    """``long_name`` and ``units`` of a swept or sampled key (``"vol"``, ``"pill2_h.median"``)
    from the model's declarations."""
    name, _, field = key.partition(".")
    param = params.params[name]
    units = _FIELD_UNITS.get(field, param.units)
    attrs = {"long_name": f"{field} of {name} ({param.doc})" if field else param.doc}
    return attrs | ({"units": units} if units else {})


def _companions(name, meta, interval):
    """Attributes of the companions of output ``name`` whose own attributes are ``meta``."""
    units = {"units": meta["units"]} if meta.get("units") else {}
    bound = {"companion_of": name, "interval_method": interval, "confidence_level": 0.95, **units}
    return {
        schema.SE: {"long_name": f"standard error of {name}", "companion_of": name, **units},
        schema.LO: {"long_name": f"lower bound of the 95% interval of {name}", **bound},
        schema.HI: {"long_name": f"upper bound of the 95% interval of {name}", **bound},
        schema.N: {"long_name": f"trials {name} rests on ({meta['given']})", "companion_of": name, "units": "1"},
    }


def _output_variables(spec, estimates, dims, shape, coords, scope):
    """The variable of one output and its companions; a vector output's own dimension runs
    as far as the study's points use it (``period`` to the largest ``periods``)."""
    value, se, lo, hi, n = estimates
    own, own_shape = dims, shape
    if spec.dim is not None:  # a vector output carries a dimension of its own
        used = int(max(scope.extents[spec.dim.name].max(), 1))
        value, se, lo, hi, n = (array[..., :used] for array in (value, se, lo, hi, n))
        own, own_shape = dims + (spec.dim.name,), shape + (used,)
        dim_attrs = {"long_name": spec.dim.doc or spec.dim.name} | ({"units": spec.dim.units} if spec.dim.units else {})
        coords[spec.dim.name] = (spec.dim.name, list(spec.dim.labels[:used]), dim_attrs)
    name = spec.name
    interval = "wilson" if isinstance(spec, Probability) else "normal"
    meta = {"long_name": spec.doc, "given": spec.given_doc or "all trials"}
    meta |= {"units": spec.units} if spec.units else {}
    meta["ancillary_variables"] = " ".join(schema.companion(name, s) for s in schema.COMPANIONS)
    extra = _companions(name, meta, interval)
    return {
        name: (own, value.reshape(own_shape), meta),
        **{
            schema.companion(name, suffix): (own, array.reshape(own_shape), extra[suffix])
            for suffix, array in ((schema.SE, se), (schema.LO, lo), (schema.HI, hi), (schema.N, n.astype(np.int64)))
        },
    }


def fixed_params(study):
    """The parameters ``study`` holds fixed, as plain values: swept or sampled keys left out
    (a swept field is dropped from its distribution's table)."""
    plain = study.spec.params.to_plain(study.base)
    varied = study.design.names if study.design is not None else list(study.sweep)
    for key in varied:
        name, _, field = key.partition(".")
        if field and isinstance(plain.get(name), dict):
            plain[name] = {k: v for k, v in plain[name].items() if k != field}
        else:
            plain.pop(name, None)
    return plain


def _provenance(study, timings):
    attrs = {
        "Conventions": CONVENTIONS,
        "title": f"{study.model}: {study.spec.summary}",
        schema.MODEL: study.model,
        "model_version": study.spec.version,
        "model_reference": study.spec.reference,
        "params": json.dumps(fixed_params(study)),
        "seed": study.seed,
        "chunk_trials": study.chunk_trials,
        schema.PLOT_OUTPUTS: json.dumps(study.plot_outputs),
        schema.HASH: study.hash,
        "study": json.dumps(study.describe(), default=str),
        "mc_twolevel_version": version("mc_twolevel"),
        "numba_version": numba.__version__,
        "numpy_version": np.__version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **{k: round(v, 6) for k, v in timings.items()},
    }
    if study.sweep:
        attrs["sweep"] = json.dumps({k: [label(v) for v in vals] for k, vals in study.sweep.items()}, default=str)
    if study.design is not None:
        attrs[schema.DESIGN] = json.dumps(study.design.manifest(study.hash))
    if study.precision is None:
        attrs[schema.TRIALS_PER_POINT] = study.trials
    else:
        attrs.update(precision=study.precision, max_trials=study.max_trials)
    return attrs


def to_dataset(study, totals, trials, timings):
    """The labelled results of ``study`` from its per-point ``totals`` and ``trials``."""
    dims, coords = study.layout()
    coords = dict(coords)
    for key, coord in list(coords.items()):
        attrs = {"long_name": "design point"} if key == "sample" else key_attrs(study.spec.params, key)
        coords[key] = (coord[0], coord[1], attrs) if isinstance(coord, tuple) else (key, coord, attrs)
    variables = {"trials": (dims, trials.reshape(study.shape), {"long_name": "trials run at this point", "units": "1"})}
    estimates = estimate(study.spec, totals, trials, study.scope)
    for spec in study.spec.outputs:
        variables.update(_output_variables(spec, estimates[spec.name], dims, study.shape, coords, study.scope))
    return xr.Dataset(variables, coords=coords, attrs=_provenance(study, timings))
