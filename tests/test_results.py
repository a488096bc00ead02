"""Labelled results as xarray users read them: finished stores open cleanly, every
coordinate and variable says what it is, companions are linked to their output,
provenance has no placeholders, and ``Dataset.mc`` gives intervals back."""

import json
import warnings

import numpy as np
import pytest
import xarray as xr

import mc_twolevel as mc
from mc_twolevel import results


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    store = tmp_path_factory.mktemp("results") / "sweep.zarr"
    study = mc.Study("compliance", sweep={"horizon": [0.0, 5.0], "direct_h.median": [0.5, 1.0]}, trials=20_000,
                     params={"periods": 2}, seed=3)  # fmt: skip
    study.run(store=store, workers=1)
    return store


def test_a_finished_store_opens_with_open_zarr_without_a_warning_and_with_open_datatree(finished):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = xr.open_zarr(finished)
        tree = xr.open_datatree(finished, engine="zarr")
    assert tree.groups == ("/",)  # the run's ledger is gone once the results are written
    assert ds.attrs["mc_twolevel_status"] == "complete"
    xr.testing.assert_identical(tree.to_dataset().p_mutual.load(), ds.p_mutual.load())


def test_coordinates_and_outputs_carry_long_names_and_units(finished):
    ds = xr.open_zarr(finished)
    assert ds.horizon.attrs["units"] == "years" and "adherence" in ds.horizon.attrs["long_name"]
    assert ds["direct_h.median"].attrs["long_name"].startswith("median of direct_h (")
    assert ds.period.attrs["long_name"] == "compliance period"
    assert ds.p_mutual.attrs["units"] == "1" and ds.p_mutual.attrs["long_name"] == "both comply at t2"
    assert ds.attrs["Conventions"].startswith("CF-")


def test_companions_are_linked_to_their_output(finished):
    ds = xr.open_zarr(finished)
    assert ds.p_mutual.attrs["ancillary_variables"].split() == ["p_mutual_se", "p_mutual_lo", "p_mutual_hi",
                                                                "p_mutual_n"]  # fmt: skip
    assert ds.p_mutual_lo.attrs | {"long_name": ""} == {"long_name": "", "companion_of": "p_mutual", "units": "1",
                                                         "interval_method": "wilson", "confidence_level": 0.95}  # fmt: skip
    assert ds.mean_periods_hi.attrs["interval_method"] == "normal"
    assert ds.p_mutual_se.attrs["companion_of"] == "p_mutual"


def test_params_hold_what_the_study_fixed_and_nothing_stands_in_for_a_missing_field(finished):
    ds = xr.open_zarr(finished)
    params = json.loads(ds.attrs["params"])
    assert "horizon" not in params and params["periods"] == 2  # swept: not recorded at its default
    assert params["direct_h"] == {"dist": "lognormal", "sigma": 0.5}  # its swept median left out
    assert json.loads(ds.attrs["sweep"]) == {"horizon": [0.0, 5.0], "direct_h.median": [0.5, 1.0]}
    assert ds.attrs["trials_per_point"] == 20_000
    assert not {"precision", "design", "max_trials"} & set(ds.attrs)
    assert not [k for k, v in ds.attrs.items() if v in (-1, "null") or (isinstance(v, float) and np.isnan(v))]


def test_a_precision_study_records_its_target_and_no_trials_per_point():
    ds = mc.simulate("compliance", precision=0.2, chunk_trials=1_000, seed=1)
    assert ds.attrs["precision"] == 0.2 and ds.attrs["max_trials"] == 10**9
    assert "trials_per_point" not in ds.attrs and "sweep" not in ds.attrs


def test_the_package_version_is_read_from_the_installed_metadata_once(tmp_path, monkeypatch):
    """Every study hash and the results' provenance carry it; one reading serves them all."""
    readings, read = [], results.metadata.version
    monkeypatch.setattr(results.metadata, "version", lambda name: readings.append(name) or read(name))
    # (importlib.metadata itself is patched: other packages' readings are left out of the count)
    results.version.cache_clear()
    study = mc.Study("compliance", sweep={"horizon": [0.0, 5.0]}, trials=2_000, seed=1)
    ds = study.run(store=tmp_path / "s.zarr", workers=1)
    assert [name for name in readings if name == "mc_twolevel"] == ["mc_twolevel"]
    assert ds.attrs["mc_twolevel_version"] == json.loads(ds.attrs["study"])["package_version"] == mc.__version__
    assert ds.attrs["study_hash"] == study.hash


def test_a_dimension_named_info_is_read_by_item_access():
    ds = mc.sweep("ratification", grid={"info": ["complete", "incomplete"]}, trials=2_000, workers=1)
    assert callable(ds.info)  # Dataset.info is xarray's method, so the coordinate is ds["info"]
    assert list(ds["info"].values) == ["complete", "incomplete"]
    assert ds.p_ratified.sel(info="incomplete").dims == ()


def test_the_mc_accessor_gives_intervals_outputs_and_a_table(finished):
    ds = xr.open_zarr(finished).load()
    estimate, lo, hi = ds.mc.interval("p_mutual")
    xr.testing.assert_identical(lo, ds.p_mutual_lo)
    assert bool(((lo <= estimate) & (estimate <= hi)).all())
    assert ds.mc.outputs[:3] == ["p_adhere_h", "p_adhere_f", "p_adhere"] and "p_mutual_lo" not in ds.mc.outputs
    table = ds.mc.table(["p_mutual", "p_survive"])
    assert list(table.columns) == ["output", "horizon", "direct_h.median", "period", "estimate", "se", "lo", "hi",
                                   "n"]  # fmt: skip
    assert len(table) == 4 + 4 * 2  # p_mutual at 4 points; p_survive at 4 points x 2 periods (no NaN rows)
    row = table[(table.output == "p_mutual") & (table.horizon == 5.0) & (table["direct_h.median"] == 0.5)]
    assert float(row.estimate.iloc[0]) == float(ds.p_mutual.sel(horizon=5.0, **{"direct_h.median": 0.5}))
    assert ds.mc.params["periods"] == 2
    with pytest.raises(mc.InputError, match="'p_mutual_lo' is not an output"):
        ds.mc.interval("p_mutual_lo")


def test_the_accessor_on_one_point():
    ds = mc.simulate("compliance", trials=5_000, seed=2)
    table = ds.mc.table(["p_mutual", "p_adhere"])
    assert list(table.output) == ["p_mutual", "p_adhere"]
    assert float(table.estimate.iloc[0]) == float(ds.p_mutual)


def test_the_accessor_reads_results_written_before_companions_were_linked(finished):
    ds = xr.open_zarr(finished).load()
    for name in ds.data_vars:
        ds[name].attrs.pop("ancillary_variables", None)
    assert "p_mutual" in ds.mc.outputs and "p_mutual_se" not in ds.mc.outputs and "trials" not in ds.mc.outputs
