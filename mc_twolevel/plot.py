"""Standard figures of a finished store.

One panel per output: the estimate against the first swept dimension, one
line per value of the second, with its 95% interval shaded. Further
dimensions are held at their first value (said in the title). A study with no
sweep gets a bar chart of its probabilities with interval whiskers.
"""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from . import schema
from .errors import InputError
from .registry import get_model
from .store import open_finished


def output_names(dataset):
    """The model's outputs present in ``dataset``, in the order the model declares them."""
    return [o.name for o in get_model(dataset.attrs[schema.MODEL]).outputs if o.name in dataset]


def _load(path):
    path = Path(path)
    if path.suffix == ".nc":
        return xr.load_dataset(path)
    try:
        attrs = xr.open_zarr(path, consolidated=False).attrs
    except (FileNotFoundError, ValueError, KeyError):
        raise InputError(f"{path} is not a finished mc_twolevel store") from None
    dataset = open_finished(path, attrs.get(schema.HASH))
    if dataset is None:
        raise InputError(f"{path} is not finished; run the study again to complete it")
    return dataset


def _bars(dataset, names, ax):
    values = np.array([float(dataset[n]) for n in names])
    lo = np.array([float(dataset[schema.companion(n, schema.LO)]) for n in names])
    hi = np.array([float(dataset[schema.companion(n, schema.HI)]) for n in names])
    ax.barh(names, values, xerr=[values - lo, hi - values], color="tab:blue")
    ax.set_xlabel("estimate (95% interval)")
    ax.invert_yaxis()


def _own_dims(dataset, name):
    """Dimensions of an output beyond the study's (a vector output's own, such as ``split``)."""
    return [d for d in dataset[name].dims if d not in dataset["trials"].dims]


def _panel(dataset, name, ax):
    own = _own_dims(dataset, name)
    dims = own + [d for d in dataset[name].dims if d not in own]  # a vector output: its own dim on x
    held = {d: 0 for d in dims[2:]}
    x, hue = dims[0], dims[1] if len(dims) > 1 else None
    for label, sub in dataset.isel(held).groupby(hue) if hue else [(None, dataset.isel(held))]:
        sub = sub.squeeze(hue, drop=True) if hue and hue in sub.dims else sub
        line = ax.plot(sub[x], sub[name], marker="o", ms=3, label=f"{hue} = {label}" if hue else None)
        ax.fill_between(
            sub[x],
            sub[schema.companion(name, schema.LO)],
            sub[schema.companion(name, schema.HI)],
            alpha=0.25,
            color=line[0].get_color(),
        )
    ax.set_title(name + (f"  ({', '.join(f'{d}={dataset[d].values[0]}' for d in held)})" if held else ""), fontsize=9)
    ax.set_xlabel(x)
    ax.grid(alpha=0.3)
    if own:  # a vector output: show where it has mass, and label its own lines
        used = np.flatnonzero(np.nan_to_num(dataset[name].max([d for d in dims if d != x]).values) > 0)
        if used.size:
            ax.set_xlim(
                dataset[x].values[max(used[0] - 1, 0)], dataset[x].values[min(used[-1] + 1, dataset.sizes[x] - 1)]
            )
        if hue:
            ax.legend(fontsize=7)
    return hue


def plot_dataset(dataset, path, names=None):
    """Draw the standard figure of ``dataset`` to ``path`` (PNG)."""
    names = names or output_names(dataset)
    if not dataset["trials"].dims:  # one point: scalars as bars, each vector output on its own
        scalars = [n for n in names if not dataset[n].dims]
        vectors = [n for n in names if dataset[n].dims]
        fig, axes = plt.subplots(1 + len(vectors), 1, figsize=(7, 0.35 * len(scalars) + 1.5 + 2.5 * len(vectors)),
                                 squeeze=False, layout="constrained")  # fmt: skip
        _bars(dataset, scalars, axes[0, 0])
        for ax, name in zip(axes[1:, 0], vectors):
            (dim,) = dataset[name].dims
            low, high = (
                dataset[name] - dataset[schema.companion(name, schema.LO)],
                dataset[schema.companion(name, schema.HI)] - dataset[name],
            )
            ax.bar(dataset[dim], dataset[name], yerr=[low, high], capsize=2)
            ax.set_xlabel(dim)
            ax.set_title(name, fontsize=9)
    else:
        cols = min(4, len(names))
        rows = -(-len(names) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols + 1.5, 2.8 * rows + 0.4), squeeze=False,
                                 layout="constrained")  # fmt: skip
        hues = [_panel(dataset, name, ax) for ax, name in zip(axes.flat, names)]
        for ax, hue in zip(axes.flat[1:], hues[1:]):
            if hue is not None and hue != hues[0] and ax.get_legend() is None:
                ax.legend(fontsize=7)  # lines that the shared legend (the first panel's) does not name
        for ax in axes.flat[len(names) :]:
            ax.remove()
        _legend(fig, axes.flat[0])  # the scalar panels' shared legend
    title = f"{dataset.attrs.get('model', '')}: {int(dataset.trials.max()):,} trials per point, seed {dataset.attrs.get('seed')}"
    return _save(fig, title, path)


def _legend(fig, ax):
    handles, labels = ax.get_legend_handles_labels()
    if labels:
        fig.legend(handles, labels, loc="outside right upper", fontsize=8)


def _save(fig, title, path):
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_sensitivity(indices, path):
    """Bar charts of sensitivity indices with their 95% intervals, one panel per output."""
    sobol = indices.attrs["method"] == "sobol"
    bars = [("S1", "S1_conf", "first order"), ("ST", "ST_conf", "total")] if sobol else [
        ("mu_star", "mu_star_conf", "mu*")]  # fmt: skip
    outputs = list(indices.output.values)
    cols = min(3, len(outputs))
    rows = -(-len(outputs) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols + 1.5, 0.32 * indices.sizes["parameter"] * rows + 1.6 * rows),
                             squeeze=False, layout="constrained")  # fmt: skip
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


def plot_store(store, out=None):
    """Draw the standard figures of a finished store (or sensitivity indices); returns the PNG paths."""
    store = Path(store)
    if store.suffix == ".nc" and xr.load_dataset(store).attrs.get("kind") == schema.SENSITIVITY_KIND:
        folder = Path(out) if out else store.parent
        return [plot_sensitivity(xr.load_dataset(store), folder / f"{store.stem}.png")]
    dataset = _load(store)
    folder = Path(out) if out else store.parent
    folder.mkdir(parents=True, exist_ok=True)
    names = json.loads(dataset.attrs.get(schema.PLOT_OUTPUTS, "null"))
    return [plot_dataset(dataset, folder / f"{store.stem}.png", names)]
