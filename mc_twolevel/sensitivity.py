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
:func:`noise_warnings` says how many trials per point would bring it under,
or, when the spread is no more than noise alone (a chi-square test), that the
output does not depend on the design's parameters and no number of trials helps.
"""

import json
import math

import numpy as np
import xarray as xr

from . import schema
from .errors import InputError

NOISE_LIMIT = 0.05
NOISE_ONLY_P = 0.01  # above this, an output's spread over the design is taken as noise alone
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


def _columns(dataset, outputs):
    """``{label: (values, se)}`` over the design for each output; a vector output gives one
    column per label of its own dimension (``p_split[3]``)."""
    columns = {}
    for name in outputs:
        values, se = dataset[name], dataset[schema.companion(name, schema.SE)]
        own = [d for d in values.dims if d != "sample"]
        if not own:
            columns[name] = (values.values, se.values)
            continue
        (dim,) = own
        for label in values[dim].values:
            columns[f"{name}[{label}]"] = (values.sel({dim: label}).values, se.sel({dim: label}).values)
    return columns


def _noise_share(values, se):
    variance = np.var(values, ddof=1)
    return float(np.mean(se**2) / variance) if variance > 0 else math.inf


def _noise_only_p(values, se):
    """The p-value of "the output's spread over the design is Monte Carlo noise alone": a
    chi-square test of the estimates around their mean, weighted by their standard errors.
    1 for an output constant over the design; NaN when standard errors are unknown."""
    if np.ptp(values) == 0:
        return 1.0
    noisy = se > 0
    if np.any(~noisy & (values != values.mean())) or noisy.sum() < 2:
        return 0.0 if noisy.sum() >= 2 or np.any(~noisy) else math.nan
    from scipy.stats import chi2

    weights = 1 / se[noisy] ** 2
    centre = np.sum(weights * values[noisy]) / weights.sum()
    return float(chi2.sf(np.sum(weights * (values[noisy] - centre) ** 2), noisy.sum() - 1))


def _sobol(problem, y, second_order, seed):
    from SALib.analyze import sobol

    return sobol.analyze(problem, y, calc_second_order=second_order, num_resamples=RESAMPLES,
                         conf_level=0.95, seed=seed)  # fmt: skip


def _morris(problem, x, y, levels, seed):
    from SALib.analyze import morris

    return morris.analyze(problem, x, y, num_resamples=RESAMPLES, conf_level=0.95, num_levels=levels, seed=seed)


def analyze(dataset, design, outputs, study_hash):
    """Indices of every output in ``outputs`` over the design; a Dataset over
    (``output``, ``parameter``). A vector output is analysed label by label
    (``p_split[3]``). Outputs undefined at some design point (a conditioning event
    that never happened there) are left out, and said so."""
    check_manifest(dataset, design, study_hash)
    if design.method == "lhs":
        raise InputError('a Latin hypercube design explores; for indices use method = "sobol" or "morris"')
    problem = design.problem()
    x = np.column_stack([dataset[name].values for name in design.names])
    columns = _columns(dataset, outputs)
    usable = [label for label, (values, _) in columns.items() if np.all(np.isfinite(values))]
    if not usable:
        raise InputError("no output is defined at every design point; widen the trials or the ranges")
    rows = {}
    for label in usable:
        y = columns[label][0].astype(np.float64)
        if design.method == "sobol":
            result = _sobol(problem, y, design.second_order, design.seed)
            keys = ("S1", "S1_conf", "ST", "ST_conf") + (("S2", "S2_conf") if design.second_order else ())
        else:
            result = _morris(problem, x, y, design.levels, design.seed)
            keys = ("mu", "mu_star", "mu_star_conf", "sigma")
        rows[label] = {k: np.asarray(result[k], dtype=np.float64) for k in keys}
    variables = {}
    for key in rows[usable[0]]:
        stacked = np.stack([rows[label][key] for label in usable])
        dims = ("output", "parameter") if stacked.ndim == 2 else ("output", "parameter", "parameter_2")
        variables[key] = (dims, stacked)
    variables["noise_share"] = ("output", [_noise_share(*columns[label]) for label in usable])
    variables["noise_only_p"] = ("output", [_noise_only_p(*columns[label]) for label in usable], {
        "long_name": "p-value of: the output's spread over the design is Monte Carlo noise alone"})  # fmt: skip
    variables["variance"] = ("output", [float(np.var(columns[label][0], ddof=1)) for label in usable])
    coords = {"output": usable, "parameter": design.names}
    if design.second_order and design.method == "sobol":
        coords["parameter_2"] = design.names
    trials = dataset.attrs.get(schema.TRIALS_PER_POINT, int(dataset["trials"].min()))  # precision: the fewest
    attrs = {
        "kind": schema.SENSITIVITY_KIND,
        "method": design.method,
        schema.DESIGN: dataset.attrs[schema.DESIGN],
        schema.MODEL: dataset.attrs[schema.MODEL],
        schema.TRIALS_PER_POINT: trials,
        "left_out": json.dumps(sorted(set(columns) - set(usable))),
        "noise_limit": NOISE_LIMIT,
        "reference": "SALib (Herman and Usher 2017); Saltelli et al. (2010); Morris (1991)",
    }
    return xr.Dataset(variables, coords=coords, attrs=attrs)


def noise_warnings(indices):
    """One sentence per output whose indices should not be read as they stand.

    An output whose spread over the design is what Monte Carlo noise alone would
    give (``noise_only_p`` above ``NOISE_ONLY_P``) shows no dependence on the
    design's parameters: more trials shrink the noise but leave nothing to
    apportion, so no number of trials helps. Otherwise, with ``v`` the output's
    variance over the design and ``s`` its noise share, the noise is ``s v`` and
    the signal ``(1 - s) v``; noise falls as 1 / trials, so the share drops below
    ``L`` once trials grow by ``s (1 - L) / (L (1 - s))``.
    """
    trials = int(indices.attrs[schema.TRIALS_PER_POINT])
    limit = indices.attrs["noise_limit"]
    sentences = []
    noise_only = indices["noise_only_p"].values if "noise_only_p" in indices else np.zeros(indices.sizes["output"])
    for output, share, p_value in zip(indices.output.values, indices.noise_share.values, noise_only):
        if math.isnan(share):
            sentences.append(
                f"{output}: its Monte Carlo noise is unknown; standard errors need at least 2 trials per point."
            )
        elif p_value > NOISE_ONLY_P:
            varies = "is constant" if math.isinf(share) else (
                f"varies no more than Monte Carlo noise would (noise {share:.0%} of its variance)")  # fmt: skip
            sentences.append(
                f"{output}: it {varies} over the design, so it shows no dependence on the design's parameters; "
                f"its indices apportion noise, and no number of trials per point would change that. Leave it out "
                f"of [sample] outputs, or range over parameters that reach it."
            )
        elif share > limit:
            factor = share * (1 - limit) / (limit * (1 - share)) if share < 1 else math.inf
            needed = "far more" if math.isinf(factor) else f"about {math.ceil(trials * factor):,}"
            sentences.append(
                f"{output}: Monte Carlo noise is {share:.0%} of its variance over the design (limit "
                f"{limit:.0%}); {needed} trials per point would bring it under."
            )
    return sentences
