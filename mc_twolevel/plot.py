"""Standard figures of a finished store.

A grid study: one panel per output, the estimate against the first swept
dimension (a vector output: against its own dimension), one line per value of
the second in the study's order, with its 95% interval shaded (Wilson score
intervals for probabilities, normal intervals for means; the figure says
which). A third dimension (a third swept key, or a second beside a vector
output's own) makes a row of panels, one per value, on one vertical scale;
the other outputs share rows, up to four panels a row. Dimensions beyond that
are held at their first value, said in the title.
A ``[sample]`` design: the outputs against each sampled parameter, one dot per
design point. A study of one point: bars with interval whiskers.

Titles and axes come from the variables' ``long_name`` and ``units``. So that
Monte Carlo noise never looks like a trend, a panel's vertical axis spans at
least ``MIN_PROBABILITY_SPAN`` for a probability and, for a mean,
``MIN_SE_SPAN`` standard errors or a tenth of its largest magnitude. An output
that is zero at every point is drawn as a line at zero with its largest upper
bound written in the panel, not as a band; one that applies at no point (NaN
everywhere) is not drawn, and the caption names it (a study of one point lists
it among the bars as "does not apply").

Figures are drawn on their own Agg canvas, without pyplot: drawing one leaves no
open figure behind and changes no matplotlib backend of the caller's.
"""

import json
import textwrap
from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from . import schema
from .errors import InputError
from .registry import get_model
from .store import open_finished

MIN_PROBABILITY_SPAN = 0.1
MIN_SE_SPAN = 40
_SPAN_NOTE = f"probability axes span at least {MIN_PROBABILITY_SPAN}"


def output_names(dataset):
    """The model's outputs present in ``dataset``, in the order the model declares them."""
    return [o.name for o in get_model(dataset.attrs[schema.MODEL]).outputs if o.name in dataset]


def _not_ours(path):
    return InputError(f"{path} is not a store or analysis written by mc_twolevel (mc-twolevel run or sensitivity)")


def _load_netcdf(path):
    """A NetCDF file this package wrote: results, or a sensitivity analysis."""
    try:
        dataset = xr.load_dataset(path, engine="h5netcdf")
    except (OSError, ValueError) as error:
        raise InputError(f"{path} cannot be read ({error}): it is damaged, or not a store or analysis written by "
                         "mc_twolevel (mc-twolevel run or sensitivity)") from None  # fmt: skip
    if dataset.attrs.get("kind") != schema.SENSITIVITY_KIND and schema.HASH not in dataset.attrs:
        raise _not_ours(path)
    return dataset


def _load(path):
    path = Path(path)
    if path.suffix == ".nc":
        return _load_netcdf(path)
    try:
        attrs = xr.open_zarr(path, consolidated=False).attrs
    except (FileNotFoundError, ValueError, KeyError):
        raise InputError(f"{path} is not a finished mc_twolevel store") from None
    if attrs.get("kind") == schema.SENSITIVITY_KIND:  # an analysis written whole (sensitivity --out PATH.zarr)
        try:  # its consolidated metadata is written last: without it, the write was cut short
            return xr.open_zarr(path, consolidated=True).load()
        except ValueError:
            raise InputError(f"{path} is an analysis whose writing was cut short; run mc-twolevel sensitivity "
                             "again (the evaluated design is kept in its own store)") from None  # fmt: skip
    if schema.HASH not in attrs:
        raise _not_ours(path)
    dataset = open_finished(path, attrs.get(schema.HASH))
    if dataset is None:
        raise InputError(f"{path} is not finished; run the study again to complete it")
    return dataset


def _subplots(rows, cols, size):
    """A figure of ``rows`` x ``cols`` panels (an array of Axes) with constrained layout, on an
    Agg canvas of its own (not pyplot's: nothing to close, garbage once unreferenced)."""
    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(rows, cols, squeeze=False)


def _wrap(text, width=44):
    return "\n".join(textwrap.wrap(text, width)) or text


def _axis_label(dataset, name):
    """``name: long name [units]`` of a coordinate, wrapped."""
    attrs = dataset[name].attrs
    units = attrs.get("units")
    long_name = attrs.get("long_name", "")
    text = f"{name}: {long_name}" if long_name and long_name != name else name
    return _wrap(text + (f" [{units}]" if units and units != "1" else ""), 50)


def _is_probability(dataset, name):
    return dataset[schema.companion(name, schema.LO)].attrs.get("interval_method", "wilson") == "wilson" and (
        dataset[name].attrs.get("units", "1") == "1"
    )


def _value_label(dataset, name):
    if _is_probability(dataset, name):
        return "probability"
    units = dataset[name].attrs.get("units")
    return f"mean [{units}]" if units and units != "1" else "mean"


def _title(dataset, name, extra=""):
    attrs = dataset[name].attrs
    given = attrs.get("given")
    text = attrs.get("long_name", name) + (f" | {given}" if given and given != "all trials" else "")
    return f"{name}{extra}\n{_wrap(text, 48)}"


def _limits(ax, dataset, name, values, lo, hi):
    """Widen the vertical axis to the minimum span (see the module's docstring)."""
    shown = np.concatenate([np.ravel(a) for a in (values, lo, hi)])
    shown = shown[np.isfinite(shown)]
    if not shown.size:
        return
    bottom, top = shown.min(), shown.max()
    if _is_probability(dataset, name):  # a little room beyond 0 and 1 so lines there stay visible
        span, floor, ceiling = MIN_PROBABILITY_SPAN, -0.02, 1.02
    else:
        se = np.ravel(dataset[schema.companion(name, schema.SE)].values)
        se = se[np.isfinite(se)]
        span = max(MIN_SE_SPAN * (np.median(se) if se.size else 0), 0.1 * np.abs(shown).max(), 1e-12)
        floor, ceiling = -np.inf, np.inf
    if top - bottom >= span:
        margin = 0.05 * (top - bottom)
        ax.set_ylim(max(bottom - margin, floor), min(top + margin, ceiling))
        return
    low = min(max((bottom + top - span) / 2, floor), ceiling - span)
    ax.set_ylim(low, low + span)


def _all_zero(ax, dataset, name):
    """Say in the panel that an output never happened (returns whether it did not)."""
    values = dataset[name].values
    if not (np.isfinite(values).any() and np.nanmax(np.abs(values)) == 0):
        return False
    bound = np.nanmax(dataset[schema.companion(name, schema.HI)].values)
    ax.text(0.5, 0.5, f"0 at every point\n(95% upper bound at most {bound:.2g})", transform=ax.transAxes,
            ha="center", va="center", fontsize=8, color="0.3")  # fmt: skip
    return True


def _study_dims(dataset):
    return list(dataset["trials"].dims)


def _panel_dims(dataset, name):
    """``(x, hue, col, held)`` of an output: its own dimension first, then the study's."""
    own = [d for d in dataset[name].dims if d not in _study_dims(dataset)]
    dims = own + [d for d in dataset[name].dims if d not in own]
    dims += [None] * (3 - min(len(dims), 3))
    return dims[0], dims[1], dims[2], dims[3:]


def _band(ax, x, lo, hi, color):
    ok = np.isfinite(lo) & np.isfinite(hi)
    if ok.any():
        ax.fill_between(np.asarray(x)[ok], lo[ok], hi[ok], alpha=0.25, color=color, linewidth=0)


def _panel(dataset, name, ax, x, hue):
    """One panel: lines in the hue's order, each with its interval band."""
    if dataset[x].dtype.kind in "bOUT":  # choices and switches (T: text read back from Zarr): categories
        dataset = dataset.assign_coords({x: (x, [_wrap(str(v), 28) for v in dataset[x].values], dataset[x].attrs)})
    data = dataset[name]
    zero = _all_zero(ax, dataset, name)
    columns = data.transpose(x, *([hue] if hue else [])).values  # one column, and line, per value of hue
    lines = ax.plot(dataset[x].values, columns, marker="o", ms=3)
    lo, hi = (dataset[schema.companion(name, s)] for s in (schema.LO, schema.HI))
    groups = [(None, lines[0])] if hue is None else list(zip(dataset[hue].values, lines))
    for value, line in groups:
        line.set_label(_wrap(f"{hue} = {value}", 40) if hue else name)
        if not zero:
            where = {} if hue is None else {hue: value}
            _band(ax, dataset[x].values, lo.sel(where).values, hi.sel(where).values, line.get_color())
    _limits(ax, dataset, name, data.values, lo.values if not zero else 0, hi.values if not zero else 0)
    ax.set_xlabel(_axis_label(dataset, x), fontsize=8)
    ax.set_ylabel(_value_label(dataset, name), fontsize=8)
    ax.grid(alpha=0.3)
    if _counts(dataset, x):  # matplotlib's own choice of ticks, less any between whole numbers
        ax.xaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=True))
    if x not in _study_dims(dataset):  # a vector output: show where it has mass
        others = [d for d in data.dims if d != x]
        used = np.flatnonzero(np.nan_to_num(data.max(others).values if others else data.values) > 0)
        coords = dataset[x].values
        if used.size and len(coords) > 1:
            ax.set_xlim(coords[max(used[0] - 1, 0)], coords[min(used[-1] + 1, len(coords) - 1)])
        elif len(coords) == 1:  # one label (a single period): one tick, at it
            ax.set_xticks(coords)


def _counts(dataset, dim):
    """Whether ``dim`` counts something: a vector output's own whole-number dimension (periods,
    compliers, a split), or a swept integer parameter (not a real one swept at whole values)."""
    if dataset[dim].dtype.kind not in "iu":
        return False
    return dim not in _study_dims(dataset) or get_model(dataset.attrs[schema.MODEL]).params.rounds_to_integer(dim)


def _interval_note(dataset, names):
    methods = {dataset[schema.companion(n, schema.LO)].attrs.get("interval_method", "wilson") for n in names}
    both = len(methods) > 1
    parts = [f"Wilson score 95% intervals{' (probabilities)' if both else ''}"] if "wilson" in methods else []
    parts += [f"normal 95% intervals{' (means)' if both else ''}"] if "normal" in methods else []
    return " and ".join(parts)


def _cells(dataset, names, panels):
    """Where each output's panels go: ``({name: [(row, column), ...]}, rows, columns, faceted rows)``.

    An output with a third dimension fills a row of its own, one column per value; the
    others share rows, up to four panels a row (or as many as the widest row of facets),
    in the order given.
    """
    widths = {name: dataset.sizes[col] if col else 1 for name, (_, _, col, _) in panels.items()}
    plain = [name for name in names if panels[name][2] is None]
    cols = max([widths[name] for name in names if name not in plain] + [min(4, len(plain))])
    cells, faceted, row, column = {}, set(), 0, 0
    for name in names:
        if name in plain:
            if column == cols:
                row, column = row + 1, 0
            cells[name], column = [(row, column)], column + 1
        else:
            if column:
                row, column = row + 1, 0
            cells[name], column = [(row, j) for j in range(widths[name])], cols
            faceted.add(row)
    return cells, row + 1, cols, faceted


def _grid_figure(dataset, names):
    panels = {name: _panel_dims(dataset, name) for name in names}
    cells, rows, cols, faceted = _cells(dataset, names, panels)
    fig, axes = _subplots(rows, cols, (3.9 * cols + 1.8, 3.2 * rows + 0.8))
    used, legends = [], {}
    for name in names:
        x, hue, col, held = panels[name]
        fixed = dataset.isel({d: 0 for d in held})
        held_note = "".join(f", {d} = {dataset[d].values[0]}" for d in held)
        facets = list(dataset[col].values) if col else [None]
        for value, cell in zip(facets, cells[name]):
            ax = axes[cell]
            sub = fixed.sel({col: value}) if col else fixed
            _panel(sub, name, ax, x, hue)
            ax.set_title(_title(dataset, name, (f"  ({col} = {value}{held_note})" if col else
                                                f"  ({held_note[2:]})" if held else "")), fontsize=8)  # fmt: skip
            used.append(ax)
            legends.setdefault(hue, ax)
    for ax in axes.flat:
        if ax not in used:
            ax.remove()
    first_hue = _panel_dims(dataset, names[0])[1]
    for hue, ax in legends.items():
        if hue is not None and hue != first_hue:
            ax.legend(fontsize=7)  # lines the shared legend does not name
    _legend(fig, legends.get(first_hue))
    _share_rows([axes[row] for row in sorted(faceted)], used)
    return fig, f"lines: estimates; bands: {_interval_note(dataset, names)}; {_SPAN_NOTE}"


def _share_rows(rows, used):
    """One vertical scale along each row of facets, so columns compare at a glance."""
    for row in rows:
        shown = [ax for ax in row if ax in used]
        limits = np.array([ax.get_ylim() for ax in shown])
        for ax in shown:
            ax.set_ylim(limits[:, 0].min(), limits[:, 1].max())


def _design_figure(dataset, names):
    """Each output against each sampled parameter: one dot per design point."""
    design = json.loads(dataset.attrs.get(schema.DESIGN, "null")) or {}
    parameters = [key for key, *_ in design.get("ranges", [])] or [
        c for c in dataset.coords if dataset[c].dims == ("sample",) and c != "sample"]  # fmt: skip
    fig, axes = _subplots(len(names), len(parameters), (3.0 * len(parameters) + 1, 2.6 * len(names) + 0.8))
    for k, name in enumerate(names):
        values = dataset[name].values
        lo, hi = (dataset[schema.companion(name, s)].values for s in (schema.LO, schema.HI))
        for j, parameter in enumerate(parameters):
            ax = axes[k, j]
            ax.scatter(dataset[parameter].values, values, s=4, alpha=0.5, linewidths=0)
            _limits(ax, dataset, name, values, lo, hi)
            ax.grid(alpha=0.3)
            if k == len(names) - 1:
                ax.set_xlabel(_axis_label(dataset, parameter), fontsize=8)
            if j == 0:
                ax.set_ylabel(_title(dataset, name), fontsize=8)
    half = np.nanmedian(np.concatenate([np.ravel(dataset[schema.companion(n, schema.HI)] - dataset[schema.companion(
        n, schema.LO)]) / 2 for n in names]))  # fmt: skip
    caption = (f"one dot per design point ({dataset.sizes['sample']:,} points); each is an estimate whose "
               f"95% interval has a median half-width of {half:.2g}; {_SPAN_NOTE}")  # fmt: skip
    return fig, caption


def _bar_rows(dataset, names):
    """``(label, name, selection)`` per bar: scalars, and vector outputs of one label folded in."""
    rows = []
    for name in names:
        data = dataset[name]
        if not data.dims:
            rows.append((name, name, {}))
        elif data.size == 1:
            (dim,) = data.dims
            label = data[dim].values[0]
            rows.append((f"{name}[{label}]", name, {dim: label}))
    return rows


def _bars_figure(dataset, names):
    """One point: scalars as bars with interval whiskers, each vector output on its own."""
    rows = _bar_rows(dataset, names)
    vectors = [n for n in names if dataset[n].dims and dataset[n].size > 1]
    fig, axes = _subplots(1 + len(vectors), 1, (8, 0.4 * len(rows) + 1.8 + 2.8 * len(vectors)))
    ax = axes[0, 0]
    pick = lambda name, suffix, where: float(dataset[name + suffix].sel(where))
    values = np.array([pick(n, "", w) for _, n, w in rows])
    lo = np.array([pick(n, schema.LO, w) for _, n, w in rows])
    hi = np.array([pick(n, schema.HI, w) for _, n, w in rows])
    labels = [f"{label}: {textwrap.shorten(dataset[n].attrs.get('long_name', ''), 50)}"
              + (" (does not apply)" if np.isnan(v) else "") for (label, n, _), v in zip(rows, values)]  # fmt: skip
    ax.barh(labels, np.nan_to_num(values), xerr=[np.nan_to_num(values - lo), np.nan_to_num(hi - values)],
            color="tab:blue")  # fmt: skip
    ax.set_xlabel("estimate", fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    ax.invert_yaxis()
    for ax, name in zip(axes[1:, 0], vectors):
        (dim,) = dataset[name].dims
        low = np.nan_to_num(dataset[name] - dataset[schema.companion(name, schema.LO)])
        high = np.nan_to_num(dataset[schema.companion(name, schema.HI)] - dataset[name])
        ax.bar([str(v) for v in dataset[dim].values], dataset[name].values, yerr=[low, high], capsize=2)
        ax.set_xlabel(_axis_label(dataset, dim), fontsize=8)
        ax.set_ylabel(_value_label(dataset, name), fontsize=8)
        ax.set_title(_title(dataset, name), fontsize=8)
    return fig, f"bars: estimates; whiskers: {_interval_note(dataset, names)}"


def _applying(dataset, names):
    """``(drawn, left out)``: an output with no value at any point (screening when it is off)
    would be an empty panel; it is left out and named in the caption (unless all are)."""
    left_out = [name for name in names if not np.isfinite(dataset[name].values).any()]
    if len(left_out) == len(names):
        return names, []
    return [name for name in names if name not in left_out], left_out


def figure(dataset, names=None):
    """The standard figure of ``dataset`` (a matplotlib Figure) for the outputs ``names``
    (default: all the model's outputs present, in the model's order)."""
    names = names or output_names(dataset)
    if not dataset["trials"].dims:
        fig, caption = _bars_figure(dataset, names)
    else:
        names, left_out = _applying(dataset, names)
        draw = _design_figure if _study_dims(dataset) == ["sample"] else _grid_figure
        fig, caption = draw(dataset, names)
        if left_out:
            caption += f"; not drawn, as they apply at no point of this study: {', '.join(left_out)}"
    low, high = int(dataset["trials"].min()), int(dataset["trials"].max())
    per_point = f"{low:,}" if low == high else f"{low:,} to {high:,}"
    title = f"{dataset.attrs.get('model', '')}: {per_point} trials per point, seed {dataset.attrs.get('seed')}"
    width = int(fig.get_figwidth() * 11)  # characters that fit beside the legend at this font size
    fig.suptitle("\n".join([title, *textwrap.wrap(caption, width)]), fontsize=9)
    return fig


def plot_dataset(dataset, path, names=None):
    """Draw the standard figure of ``dataset`` to ``path`` (PNG)."""
    return _save(figure(dataset, names), None, path)


def _legend(fig, ax):
    if ax is None:
        return
    handles, labels = ax.get_legend_handles_labels()
    if labels:
        fig.legend(handles, labels, loc="outside right upper", fontsize=8)


def _save(fig, title, path):
    if title:
        fig.suptitle(title, fontsize=9)
    fig.savefig(path, dpi=110)
    return Path(path)


def plot_sensitivity(indices, path):
    """Bar charts of sensitivity indices with their 95% intervals, one panel per output."""
    sobol = indices.attrs["method"] == "sobol"
    bars = [("S1", "S1_conf", "first order"), ("ST", "ST_conf", "total")] if sobol else [
        ("mu_star", "mu_star_conf", "mu*")]  # fmt: skip
    outputs = list(indices.output.values)
    cols = min(3, len(outputs))
    rows = -(-len(outputs) // cols)
    fig, axes = _subplots(rows, cols, (4.2 * cols + 1.5, 0.32 * indices.sizes["parameter"] * rows + 1.6 * rows))
    y = np.arange(indices.sizes["parameter"])
    height = 0.8 / len(bars)
    for ax, output in zip(axes.flat, outputs):
        row = indices.sel(output=output)
        for k, (value, conf, label) in enumerate(bars):
            ax.barh(y + k * height, row[value], height, xerr=row[conf], label=label, capsize=2)
        ax.set_yticks(y + height * (len(bars) - 1) / 2, indices.parameter.values, fontsize=8)
        ax.invert_yaxis()
        ax.set_title(f"{output} (noise {float(row.noise_share):.1%})", fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    for ax in axes.flat[len(outputs) :]:
        ax.remove()
    _legend(fig, axes.flat[0])
    return _save(fig, f"{indices.attrs['model']}: {indices.attrs['method']} indices with 95% intervals, "
                      f"{int(indices.attrs[schema.TRIALS_PER_POINT]):,} trials per design point", path)  # fmt: skip


def plot_store(store, out=None, dataset=None):
    """Draw the standard figures of a finished store (or sensitivity indices) into ``out``
    (default: beside the store; made if missing); returns the PNG paths.

    ``dataset`` is the store's finished Dataset when the caller has it in memory (a run
    that just wrote it), so it is not read back. A ``.nc`` file is read once, whichever
    kind it holds.
    """
    store = Path(store)
    dataset = _load(store) if dataset is None else dataset
    folder = Path(out) if out else store.parent
    folder.mkdir(parents=True, exist_ok=True)
    if dataset.attrs.get("kind") == schema.SENSITIVITY_KIND:
        return [plot_sensitivity(dataset, folder / f"{store.stem}.png")]
    names = json.loads(dataset.attrs.get(schema.PLOT_OUTPUTS, "null"))
    return [plot_dataset(dataset, folder / f"{store.stem}.png", names)]
