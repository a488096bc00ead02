"""The example of docs/adding-a-model.md: a model written and registered at run time, run on
worker processes that never import its module, bit-identical to a serial run."""

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest
import xarray as xr
from conftest import assert_within, local_cluster

import mc_twolevel as mc

EXAMPLES = Path(__file__).parents[1] / "docs" / "examples"
sys.path.insert(0, str(EXAMPLES))
example = importlib.import_module("referendum")  # a script's module: registers the model
sys.path.remove(str(EXAMPLES))  # so worker processes cannot import it from here


def test_the_example_meets_its_known_answer():
    ds = mc.simulate("referendum", trials=400_000, seed=1)
    assert_within(ds, "p_ratified", 0.5)
    for k, expected in enumerate((1 / 8, 3 / 8, 3 / 8, 1 / 8)):
        assert_within(ds.sel(yes=k), "p_yes", expected)


def test_its_yes_dimension_is_sized_by_voters():
    ds = mc.sweep("referendum", {"voters": [1, 3]}, trials=10_000, seed=2, workers=1)
    assert ds.p_yes.dims == ("voters", "yes")
    assert ds.p_yes.sel(voters=1).notnull().sum() == 2 and ds.p_yes.sel(voters=3).notnull().sum() == 4
    assert float(ds.p_yes.sel(voters=3).sum()) == pytest.approx(1.0)


@pytest.mark.slow
def test_it_runs_on_worker_processes_that_never_imported_it():
    from distributed import Client

    grid = {"share": [0.4, 0.5, 0.6], "voters": [3, 7]}
    serial = mc.sweep("referendum", grid, trials=300_000, seed=3, workers=1, chunk_trials=100_000)
    with local_cluster(n_workers=2, threads_per_worker=1, processes=True) as cluster, Client(cluster) as client:
        assert not any(client.run(importlib.util.find_spec, "referendum").values()), "workers could import it"
        remote = mc.sweep("referendum", grid, trials=300_000, seed=3, client=client, chunk_trials=100_000)
        pids = client.run(lambda: __import__("os").getpid())
    assert len(set(pids.values())) == 2
    xr.testing.assert_equal(serial.drop_attrs(), remote.drop_attrs())
