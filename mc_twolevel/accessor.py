"""``Dataset.mc``: the results' outputs with their intervals, without spelling companions.

Registered when :mod:`mc_twolevel` is imported::

    ds = xr.open_zarr("results/compliance_horizon.zarr")
    ds.mc.outputs                          # ['p_adhere_h', ..., 'p_first_both']
    p, lo, hi = ds.mc.interval("p_mutual")
    ds.mc.table()                          # one row per point and output (pandas)
    ds.mc.params                           # the parameters the study held fixed
"""

import json

import pandas as pd
import xarray as xr

from . import schema
from .errors import InputError
from .registry import get_model

_COLUMNS = {"estimate": "", "se": schema.SE, "lo": schema.LO, "hi": schema.HI, "n": schema.N}


@xr.register_dataset_accessor("mc")
class ResultsAccessor:
    """Outputs, intervals and a tidy table of an mc_twolevel results Dataset."""

    def __init__(self, dataset):
        self._dataset = dataset

    @property
    def outputs(self):
        """The outputs (variables with ``_se``, ``_lo`` and ``_hi`` companions), in the order
        the model declares them (stored order for a model not registered here)."""
        data = self._dataset.data_vars
        found = [n for n in data if all(schema.companion(n, s) in data for s in (schema.SE, schema.LO, schema.HI))]
        try:
            declared = [o.name for o in get_model(self._dataset.attrs.get(schema.MODEL, "")).outputs]
        except InputError:
            return found
        return [n for n in declared if n in found] + [n for n in found if n not in declared]

    def _output(self, name):
        if name not in self.outputs:
            raise InputError(f"{name!r} is not an output of these results; they have: {', '.join(self.outputs)}")
        return self._dataset[name]

    def interval(self, name):
        """``(estimate, lo, hi)`` of output ``name``: its 95% interval as DataArrays."""
        estimate = self._output(name)
        return (
            estimate,
            self._dataset[schema.companion(name, schema.LO)],
            self._dataset[schema.companion(name, schema.HI)],
        )

    def se(self, name):
        """The standard error of output ``name``."""
        self._output(name)
        return self._dataset[schema.companion(name, schema.SE)]

    def table(self, names=None):
        """A tidy ``pandas.DataFrame``: one row per output and point (and label of a vector
        output), with columns ``output``, the coordinates, ``estimate``, ``se``, ``lo``,
        ``hi`` and ``n``; rows where an output does not apply (NaN) are dropped."""
        frames = []
        for name in names or self.outputs:
            self._output(name)
            columns = {col: self._dataset[name + suffix] for col, suffix in _COLUMNS.items()}
            point = xr.Dataset(columns)
            point = point.expand_dims("_row") if not point["estimate"].dims else point  # one point: one row
            frame = point.reset_coords(drop=False).to_dataframe().reset_index().drop(columns="_row", errors="ignore")
            frames.append(frame.dropna(subset=["estimate"]).assign(output=name))
        table = pd.concat(frames, ignore_index=True)
        study_dims = [d for d in self._dataset["trials"].dims if d in table.columns]
        first = ["output", *study_dims] + [c for c in table.columns if c not in {*_COLUMNS, "output", *study_dims}]
        return table[first + list(_COLUMNS)]

    @property
    def params(self):
        """The parameters the study held fixed (swept or sampled keys are in ``sweep``/``design``)."""
        return json.loads(self._dataset.attrs.get("params", "{}"))
