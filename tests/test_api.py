"""The Python entry points as a notebook uses them: a Dask Client passed in, a progress
bar, and a warning before a long run that keeps no store."""

import warnings

import numpy as np
import pytest
import xarray as xr

import mc_twolevel as mc
from mc_twolevel import study as studies
from mc_twolevel.parallel import Progress

PARAMS = {"shadow": 1.0, "horizon": 2.0}


def test_simulate_with_a_client_equals_a_run_in_this_process(dask_client):
    here = mc.simulate("compliance", params=PARAMS, trials=30_000, seed=5)
    there = mc.simulate("compliance", params=PARAMS, trials=30_000, seed=5, client=dask_client)
    xr.testing.assert_identical(here.drop_attrs(), there.drop_attrs())
    assert 0 < float(there.p_mutual) < 1


def test_sweep_takes_progress_and_a_client(dask_client, capsys):
    ds = mc.sweep("compliance", grid={"shadow": [0.0, 1.0]}, trials=20_000, seed=5, client=dask_client,
                  progress=True)  # fmt: skip
    assert ds.p_mutual.dims == ("shadow",)
    assert "40.0k/40.0k" in capsys.readouterr().err  # the bar ran to its total


def test_a_long_run_without_a_store_warns_with_an_estimate(monkeypatch):
    monkeypatch.setattr(studies, "LONG_RUN_TRIALS", 10_000)
    with pytest.warns(
        studies.LongRunWarning, match=r"4e\+04 trials \(2 points x 20,000\).*roughly \d+ s on 1 core.*store="
    ) as caught:
        mc.sweep("compliance", grid={"shadow": [0.0, 1.0]}, trials=20_000, workers=1)
    (warning,) = [w for w in caught if w.category is studies.LongRunWarning]
    assert warning.filename == __file__  # the user's own line, not one inside the package
    with pytest.warns(studies.LongRunWarning) as caught:
        mc.Study("compliance", sweep={"shadow": [0.0, 1.0]}, trials=20_000).run(workers=1)
    (warning,) = [w for w in caught if w.category is studies.LongRunWarning]
    assert warning.filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error", studies.LongRunWarning)
        mc.sweep("compliance", grid={"shadow": [0.0, 1.0]}, trials=5_000, workers=1)  # under the limit: silent


def test_a_resumed_bar_starts_at_the_finished_trials_without_counting_them_as_throughput():
    progress = Progress(show=True)
    progress.add(total=1_000, done=600)
    assert (progress.bar.n, progress.bar.initial, progress.bar.total) == (600, 600, 1_000)
    assert progress.bar.format_dict["rate"] is None  # nothing has run in this session yet
    progress.update(100)
    assert progress.bar.n == 700
    progress.close()


def test_simulate_is_reproducible_and_returns_scalars():
    first = mc.simulate("compliance", trials=10_000, seed=9)
    second = mc.simulate("compliance", trials=10_000, seed=9)
    assert first.p_mutual.dims == ()
    assert np.array_equal(first.p_mutual.values, second.p_mutual.values)


def test_a_hidden_bar_takes_a_resumed_round():
    progress = Progress(show=False)
    progress.add(total=1_000, done=600)
    progress.update(400)
    progress.close()


@pytest.mark.parametrize(
    "call, words",
    [(lambda: mc.simulate("compliance", horizon=5, trials=100), ["horizon is a parameter of compliance",
                                                                 "params={'horizon': 5}"]),
     (lambda: mc.sweep("compliance", {"shadow": [0, 1]}, vol=0.3, trials=100), ["vol is a parameter", "or grid"]),
     (lambda: mc.simulate("compliance", trails=100), ["unknown option trails", "did you mean 'trials'"]),
     (lambda: mc.simulate("compliance", stor="x.zarr"), ["unknown option stor"]),  # simulate keeps no store
     (lambda: mc.sweep("compliance", {"shadow": [0, 1]}, grd={}), ["did you mean 'grid'"])],
)  # fmt: skip
def test_a_parameter_or_a_misspelt_argument_given_as_a_keyword_is_told_where_it_belongs(call, words):
    with pytest.raises(mc.InputError) as refused:
        call()
    assert all(word in str(refused.value) for word in words), str(refused.value)


def test_a_cluster_table_passes_to_the_study(monkeypatch):
    made = []
    monkeypatch.setattr(mc.api, "Study", lambda *args, **kwargs: made.append(kwargs) or mc.Study(*args, **kwargs))
    with pytest.raises(mc.InputError, match=r"\[cluster\] needs a type"):
        mc.sweep("compliance", {"shadow": [0, 1]}, trials=100, cluster={"jobs": 1})
    assert made[0]["cluster"] == {"jobs": 1}


def test_the_study_options_still_pass_as_keywords():
    ds = mc.simulate("compliance", PARAMS, trials=3_000, seed=1, chunk_trials=1_000)
    assert int(ds.trials) == 3_000 and ds.attrs["study_hash"] != mc.simulate("compliance", PARAMS, trials=3_000,
                                                                             seed=1).attrs["study_hash"]  # fmt: skip
