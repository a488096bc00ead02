"""The standard figures read as people expect: labels from long names and units, the
interval named, no magnified noise, the study's order, facets for a third dimension,
designs against their parameters, one point without a crash, and no pyplot."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
import xarray as xr
from ishigami_model import MODEL as ISHIGAMI
from matplotlib.collections import PathCollection, PolyCollection

import mc_twolevel as mc
from mc_twolevel import plot
from mc_twolevel.plot import MIN_PROBABILITY_SPAN, figure, plot_dataset, plot_store
from mc_twolevel.store import write_dataset

mc.register(ISHIGAMI)


@pytest.fixture(scope="module")
def cube():
    grid = {"horizon": [0.0, 5.0, 20.0], "shadow": [1.0, 0.0], "vol": [0.1, 0.4]}  # shadow: not in sorted order
    return mc.sweep("compliance", grid=grid, trials=20_000, seed=4, workers=1)


def _titles(fig):
    return [ax.get_title() for ax in fig.axes]


def test_a_third_dimension_becomes_columns_and_legends_keep_the_studys_order(cube):
    fig = figure(cube, ["p_mutual", "p_adhere"])
    assert len(fig.axes) == 2 * 2  # two outputs x two values of vol
    assert sum("vol = 0.4" in t for t in _titles(fig)) == 2
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["shadow = 1.0", "shadow = 0.0"]
    assert "Wilson score 95% intervals" in fig._suptitle.get_text()
    first = fig.axes[0]
    assert "years" in first.get_xlabel() and first.get_ylabel() == "probability"
    assert "both comply at t2" in first.get_title()
    assert fig.axes[0].get_ylim() == fig.axes[1].get_ylim()  # one scale along a row of facets


def test_an_output_the_sweep_does_not_reach_is_not_magnified(cube):
    fig = figure(cube, ["p_adhere"])  # adherence happens at t1: horizon and shadow cannot move it
    for ax in fig.axes:
        low, high = ax.get_ylim()
        assert high - low >= MIN_PROBABILITY_SPAN


def test_an_output_that_never_happens_is_a_line_at_zero_not_a_band():
    ds = mc.sweep("compliance", grid={"horizon": [0.0, 5.0]}, params={"shadow": 0.0}, trials=5_000, workers=1)
    zero = "p_multiple"  # without a shadow of the future no state is conditional, so never two equilibria
    assert float(ds[zero].max()) == 0 and float(ds[f"{zero}_hi"].max()) > 0
    fig = figure(ds, [zero])
    (ax,) = fig.axes
    assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert any("0 at every point" in t.get_text() for t in ax.texts)


def test_a_design_is_drawn_against_each_parameter():
    sample = {"method": "sobol", "n": 16, "ranges": {"shadow": [0.0, 2.0], "horizon": [0.0, 20.0]}}
    study = mc.Study("compliance", sample=sample, trials=2_000, seed=1)
    ds = study.run(workers=1)
    fig = figure(ds, ["p_mutual", "p_adhere"])
    assert len(fig.axes) == 2 * 2
    assert fig.axes[2].get_xlabel().startswith("shadow") and fig.axes[3].get_xlabel().startswith("horizon")
    (dots,) = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    assert np.array_equal(dots.get_offsets()[:, 0], ds.shadow.values)  # x is the parameter, not the index


def test_one_point_plots_even_where_an_estimate_is_certain(tmp_path):
    ds = mc.simulate("compliance", params={"shadow": 100.0, "horizon": 0.0}, trials=2_000, seed=1)
    assert float(ds.p_mutual) == 1.0 and float(ds.p_mutual_hi) == 1.0  # k = n: the whisker's length is 0
    path = plot_dataset(ds, tmp_path / "one.png")
    assert path.stat().st_size > 10_000


def test_choices_and_switches_are_categories_on_the_axis():
    ds = mc.sweep("compliance", grid={"known_end": [False, True], "reciprocity": ["assurance", "retaliation"]},
                  params={"periods": 2}, trials=2_000, workers=1)  # fmt: skip
    fig = figure(ds, ["p_mutual"])
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["False", "True"]
    assert ax.get_xlabel().startswith("known_end: the agreement's last period is known")
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "reciprocity = assurance",
        "reciprocity = retaliation",
    ]


def test_a_netcdf_file_is_read_once_whichever_kind_it_holds(tmp_path, monkeypatch):
    sample = {"method": "sobol", "n": 16, "ranges": {"x1": [-3.0, 3.0], "x2": [-3.0, 3.0]}}
    study = mc.Study("ishigami", sample=sample, trials=2, seed=5)
    study.run(store=tmp_path / "design.nc", workers=1)
    write_dataset(study.analyze(xr.load_dataset(tmp_path / "design.nc")), tmp_path / "design.sensitivity.nc")
    reads, load = [], xr.load_dataset
    monkeypatch.setattr(plot.xr, "load_dataset", lambda path, **kw: reads.append(path) or load(path, **kw))
    for name in ("design.nc", "design.sensitivity.nc"):
        reads.clear()
        (png,) = plot_store(tmp_path / name, out=tmp_path / "new" / "figures")  # a folder not made yet
        assert reads == [tmp_path / name]
        assert png == tmp_path / "new" / "figures" / name.replace(".nc", ".png") and png.stat().st_size > 10_000


def test_a_store_is_drawn_without_pyplot(cube, tmp_path):
    """No pyplot, so no figure is left open and the caller's matplotlib backend is not set."""
    cube.to_netcdf(tmp_path / "cube.nc", engine="h5netcdf")
    script = ("import sys\nfrom mc_twolevel.plot import plot_store\n(png,) = plot_store(sys.argv[1])\n"
              "print(png, 'matplotlib.pyplot' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "cube.nc")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(tmp_path / "cube.png"), "False"]
    assert (tmp_path / "cube.png").stat().st_size > 10_000


def test_a_vector_output_of_one_value_is_drawn_without_a_warning():
    """One compliance period: ``p_survive`` is a vector of one value along ``period``."""
    results = mc.sweep("compliance", grid={"horizon": [0.0, 5.0]}, trials=2_000, seed=4, workers=1)
    assert results.sizes["period"] == 1 and "period" in results["p_survive"].dims
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = figure(results, ["p_survive"])
    assert fig.axes[0].get_xlim()[0] < 1.0 < fig.axes[0].get_xlim()[1]


def test_outputs_beside_a_faceted_vector_share_rows_and_its_whole_numbers_have_whole_ticks():
    ds = mc.sweep("compliance", grid={"vol": [0.1, 0.4], "shadow": [0.0, 1.0]}, params={"periods": 3},
                  trials=2_000, seed=2, workers=1)  # fmt: skip
    fig = figure(ds, ["p_mutual", "p_comply_h", "p_adhere", "p_survive", "mean_periods"])
    rows = {}
    for ax in fig.axes:
        rows.setdefault(round(ax.get_position().y0, 3), []).append(ax.get_title().split("\n")[0])
    assert list(rows.values()) == [["p_mutual", "p_comply_h", "p_adhere"],
                                   ["p_survive  (shadow = 0.0)", "p_survive  (shadow = 1.0)"], ["mean_periods"]]  # fmt: skip
    survive = fig.axes[3]
    assert all(float(t).is_integer() for t in survive.get_xticks())  # periods, not 1.5
    assert survive.get_ylim() == fig.axes[4].get_ylim()  # one scale along the row of facets


def test_an_output_that_applies_at_no_point_is_named_in_the_caption_not_drawn_empty(cube):
    assert not np.isfinite(cube["p_insincere_h"].values).any()  # screening is off
    fig = figure(cube, ["p_mutual", "p_insincere_h"])
    assert not any(t.startswith("p_insincere_h") for t in _titles(fig))
    caption = " ".join(fig._suptitle.get_text().split())
    assert "not drawn, as they apply at no point of this study: p_insincere_h" in caption


def test_a_choice_swept_first_plots_from_its_store_and_a_box_can_be_swept(tmp_path):
    from mc_twolevel.plot import plot_store

    store = tmp_path / "s.zarr"
    mc.sweep("compliance", {"reciprocity": ["retaliation", "assurance"], "shadow": [0.0, 1.0]}, trials=1_000,
             store=store, workers=1)  # fmt: skip
    (png,) = plot_store(store)  # text coordinates come back from Zarr as numpy strings
    assert png.stat().st_size > 10_000
    boxes = [[{"name": "glazed", "count": 9}, {"name": "sprinkled", "count": 2, "sprinkles": True}],
             [{"name": "glazed", "count": 11}, {"name": "sprinkled", "count": 2, "sprinkles": True}]]  # fmt: skip
    ds = mc.sweep("doughnut", {"box": boxes}, params={"n_students": 8}, trials=20, seed=1, workers=1)
    assert [label.startswith("[{'name': 'glazed', 'count': ") for label in ds.box.values] == [True, True]
    fig = figure(ds, ["p_success"])
    (ax,) = fig.axes
    assert "'count': 11" in " ".join(t.get_text() for t in ax.get_xticklabels()).replace("\n", " ")


def test_whole_ticks_only_where_the_axis_counts():
    """A real parameter swept at whole values (horizon in years) keeps matplotlib's ticks; a
    vector output's own whole-number dimension (three periods) gets no ticks between its values."""
    results = mc.sweep("compliance", grid={"horizon": [0, 1, 2, 5, 10, 20]}, params={"periods": 3},
                       trials=2_000, seed=4, workers=1)  # fmt: skip
    assert results["horizon"].dtype.kind == "i"
    by_horizon, by_period = figure(results, ["p_mutual", "p_survive"]).axes[:2]
    assert {5.0, 15.0} <= set(by_horizon.get_xticks())
    shown = [t for t in by_period.get_xticks() if 1 <= t <= 3]
    assert shown and all(float(t).is_integer() for t in shown), shown
