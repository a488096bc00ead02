"""Global sensitivity analysis of an evaluated design, for every output at once.

Sobol' designs give first-order and total indices (Sobol', Math. Comput.
Simul. 55, 2001; Saltelli et al., Comput. Phys. Commun. 181, 2010), with
bootstrap 95% intervals, and second-order indices when the design has them;
Morris designs give ``mu_star`` with its interval, ``mu`` and ``sigma``
(Morris 1991; Campolongo et al. 2007). The estimators are SALib's.

Each design point is itself a Monte Carlo estimate, so part of an output's
variance over the design is noise. ``noise_share`` is the mean squared
standard error over the output's variance across the design; above
``NOISE_LIMIT`` the indices are biased towards parameters that do nothing, and
:func:`noise_warnings` says how many trials per point would bring it under.
"""

import json
import math

import numpy as np
import xarray as xr

from . import schema
from .errors import InputError

NOISE_LIMIT = 0.05
RESAMPLES = 1000


def check_manifest(dataset, design, study_hash):
    """Refuse to analyse results whose design differs from the study's."""
    found = json.loads(dataset.attrs.get(schema.DESIGN) or "null")
    wanted = design.manifest(study_hash)
    if found != wanted:
        shown = lambda m: "no design" if m is None else (
            f"{m['method']} n={m['n']} seed={m['seed']} second_order={m['second_order']} "
            f"ranges={m['ranges']} study {str(m['study_hash'])[:12]}")  # fmt: skip
        raise InputError(
            f"the evaluated design does not match this study's, so it cannot be analysed with it: the store "
            f"holds {shown(found)}; the study asks for {shown(wanted)}. Evaluate the study's own design "
            f"(mc-twolevel sensitivity STUDY.toml) or analyse with the study that made the store."
        )


def _noise_share(dataset, name):
    values, se = dataset[name].values, dataset[schema.companion(name, schema.SE)].values
    variance = np.var(values, ddof=1)
    return float(np.mean(se**2) / variance) if variance > 0 else math.inf


def _sobol(problem, y, second_order, seed):
    from SALib.analyze import sobol

    return sobol.analyze(problem, y, calc_second_order=second_order, num_resamples=RESAMPLES,
                         conf_level=0.95, seed=seed)  # fmt: skip


def _morris(problem, x, y, levels, seed):
    from SALib.analyze import morris

    return morris.analyze(problem, x, y, num_resamples=RESAMPLES, conf_level=0.95, num_levels=levels, seed=seed)


def analyze(dataset, design, outputs, study_hash):
    """Indices of every output in ``outputs`` over the design; a Dataset over
    (``output``, ``parameter``). Outputs undefined at some design point (a
    conditioning event that never happened there) are left out, and said so."""
    check_manifest(dataset, design, study_hash)
    if design.method == "lhs":
        raise InputError('a Latin hypercube design explores; for indices use method = "sobol" or "morris"')
    problem = design.problem()
    x = np.column_stack([dataset[name].values for name in design.names])
    usable = [name for name in outputs if np.all(np.isfinite(dataset[name].values))]
    if not usable:
        raise InputError("no output is defined at every design point; widen the trials or the ranges")
    rows = {}
    for name in usable:
        y = dataset[name].values.astype(np.float64)
        if design.method == "sobol":
            result = _sobol(problem, y, design.second_order, design.seed)
            keys = ("S1", "S1_conf", "ST", "ST_conf") + (("S2", "S2_conf") if design.second_order else ())
        else:
            result = _morris(problem, x, y, design.levels, design.seed)
            keys = ("mu", "mu_star", "mu_star_conf", "sigma")
        rows[name] = {k: np.asarray(result[k], dtype=np.float64) for k in keys}
    variables = {}
    for key in rows[usable[0]]:
        stacked = np.stack([rows[name][key] for name in usable])
        dims = ("output", "parameter") if stacked.ndim == 2 else ("output", "parameter", "parameter_2")
        variables[key] = (dims, stacked)
    variables["noise_share"] = ("output", [_noise_share(dataset, name) for name in usable])
    variables["variance"] = ("output", [float(np.var(dataset[name].values, ddof=1)) for name in usable])
    coords = {"output": usable, "parameter": design.names}
    if design.second_order and design.method == "sobol":
        coords["parameter_2"] = design.names
    attrs = {
        "kind": schema.SENSITIVITY_KIND,
        "method": design.method,
        schema.DESIGN: dataset.attrs[schema.DESIGN],
        schema.MODEL: dataset.attrs[schema.MODEL],
        schema.TRIALS_PER_POINT: dataset.attrs[schema.TRIALS_PER_POINT],
        "left_out": json.dumps(sorted(set(outputs) - set(usable))),
        "noise_limit": NOISE_LIMIT,
        "reference": "SALib (Herman and Usher 2017); Saltelli et al. (2010); Morris (1991)",
    }
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def noise_warnings(indices):
    """One sentence per output whose Monte Carlo noise share exceeds ``NOISE_LIMIT``.

    With ``v`` the output's variance over the design and ``s`` its noise share, the
    noise is ``s v`` and the signal ``(1 - s) v``; noise falls as 1 / trials, so the
    share drops below ``L`` once trials grow by ``s (1 - L) / (L (1 - s))``.
    """
    trials = int(indices.attrs[schema.TRIALS_PER_POINT])
    limit = indices.attrs["noise_limit"]
    sentences = []
    for output, share in zip(indices.output.values, indices.noise_share.values):
        if math.isnan(share):
            sentences.append(
                f"{output}: its Monte Carlo noise is unknown; standard errors need at least 2 trials per point."
            )
        elif share > limit:
            factor = share * (1 - limit) / (limit * (1 - share)) if share < 1 else math.inf
            needed = "far more (the output barely varies over the design)" if math.isinf(factor) else (
                f"about {math.ceil(trials * factor):,}")  # fmt: skip
            sentences.append(
                f"{output}: Monte Carlo noise is {share:.0%} of its variance over the design (limit "
                f"{limit:.0%}); {needed} trials per point would bring it under."
            )
    return sentences
