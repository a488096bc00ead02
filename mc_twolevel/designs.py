"""Designs over parameter ranges: Sobol' (Saltelli), Latin hypercube and Morris.

A study's ``[sample]`` table::

    [sample]
    method = "sobol"          # sobol | lhs | morris
    n = 256                   # base sample size (sobol: a power of 2), or points (lhs),
                              # or trajectories (morris)
    second_order = false      # sobol: also second-order indices (n (2D + 2) points, else n (D + 2))
    levels = 4                # morris: grid levels
    ranges = { shadow = [0, 3], "oppose_h.median" = [0.5, 2.0] }
    outputs = ["p_mutual", "p_comply_h"]   # what a sensitivity analysis covers (default: all);
                                           # a vector output is analysed label by label

Sobol' and Morris designs come from SALib (Herman and Usher, JOSS 2, 2017;
Saltelli et al., Comput. Phys. Commun. 181, 2010; Morris, Technometrics 33,
1991; Campolongo et al., Environ. Model. Softw. 22, 2007); Latin hypercubes
from ``scipy.stats.qmc``. Every design is drawn from the study's seed, so it is
reproducible, and recorded with the results as a manifest so that an analysis
can never run against a different sample.
"""

import math
from dataclasses import asdict, dataclass

import numpy as np

from .errors import InputError

METHODS = ("sobol", "lhs", "morris")
KEYS = {"method", "n", "ranges", "second_order", "levels", "outputs"}  # outputs: read by the study


@dataclass(frozen=True)
class Design:
    """A design: method, size, ranges ``{key: (low, high)}``, seed and options."""

    method: str
    n: int
    ranges: tuple  # ((key, low, high), ...) in the order given
    seed: int
    second_order: bool = False
    levels: int = 4

    @property
    def names(self):
        return [key for key, _, _ in self.ranges]

    def problem(self):
        """The SALib problem definition."""
        return {"num_vars": len(self.ranges), "names": self.names, "bounds": [[lo, hi] for _, lo, hi in self.ranges]}

    def sample(self):
        """The design matrix, one row per point and one column per range."""
        if self.method == "sobol":
            from SALib.sample import sobol

            return sobol.sample(self.problem(), self.n, calc_second_order=self.second_order, seed=self.seed)
        if self.method == "morris":
            from SALib.sample import morris

            return morris.sample(self.problem(), self.n, num_levels=self.levels, seed=self.seed)
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(self.ranges), seed=self.seed).random(self.n)
        bounds = np.array(self.problem()["bounds"])
        return qmc.scale(unit, bounds[:, 0], bounds[:, 1])

    def manifest(self, study_hash):
        """What must match between an evaluated design and its analysis."""
        return {**asdict(self), "ranges": [list(r) for r in self.ranges], "study_hash": study_hash}


def parse(table, seed):
    """A Design from a ``[sample]`` table; anything malformed is an :class:`InputError`."""
    if not isinstance(table, dict):
        raise InputError("[sample] must be a table with method, n and ranges")
    unknown = set(table) - KEYS
    if unknown:
        raise InputError(f"[sample]: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(KEYS))}")
    method = table.get("method")
    if method not in METHODS:
        raise InputError(f"[sample] method = {method!r}: choose one of {', '.join(METHODS)}")
    n = table.get("n")
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise InputError(f"[sample] n = {n!r}: expected a whole number >= 2")
    if method == "sobol" and n & (n - 1):
        raise InputError(f"[sample] n = {n}: Sobol' designs need a power of 2 (e.g. {2 ** math.ceil(math.log2(n))})")
    ranges = table.get("ranges")
    if not isinstance(ranges, dict) or not ranges:
        raise InputError('[sample] ranges: expected a table such as { shadow = [0, 3], "oppose_h.median" = [0.5, 2] }')
    parsed = []
    for key, bounds in ranges.items():
        if (not isinstance(bounds, list) or len(bounds) != 2
                or not all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
                or not bounds[0] < bounds[1]):  # fmt: skip
            raise InputError(f"[sample] ranges.{key} = {bounds!r}: expected [low, high] with low < high")
        parsed.append((key, float(bounds[0]), float(bounds[1])))
    second_order = table.get("second_order", False)
    levels = table.get("levels", 4)
    if not isinstance(second_order, bool):
        raise InputError(f"[sample] second_order = {second_order!r}: expected true or false")
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 2 or levels % 2:
        raise InputError(f"[sample] levels = {levels!r}: expected an even whole number >= 2")
    return Design(method, n, tuple(parsed), seed, second_order, levels)
