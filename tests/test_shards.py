"""--shard I/N: shares of a study's work in their own ledgers, assembled to the bits of one run."""

import numpy as np
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

import mc_twolevel as mc
from mc_twolevel import batch, engine, shards
from mc_twolevel import store as stores
from mc_twolevel import study as study_module
from mc_twolevel.cli import main

SWEEP = {"shadow": [0.0, 1.0, 2.0], "horizon": [0.0, 5.0]}
KW = dict(sweep=SWEEP, trials=60_000, seed=21, chunk_trials=10_000)


def _study(**extra):
    return mc.Study("compliance", **{**KW, **extra})


@pytest.fixture(scope="module")
def one_run():
    return _study().run(workers=1)


@pytest.fixture
def counted(monkeypatch):
    """How many work items the run computes (engine.run_items wrapped)."""
    computed = []
    original = engine.run_items

    def run_items(kernel, thetas, tables, items, seed):
        computed.append(len(items))
        return original(kernel, thetas, tables, items, seed)

    monkeypatch.setattr(engine, "run_items", run_items)
    return computed


@pytest.fixture
def executors(monkeypatch):
    """The executors the study starts (study.executor wrapped): their arguments, one entry each."""
    started = []
    original = study_module.executor

    def executor(*args):
        started.append(args)
        return original(*args)

    monkeypatch.setattr(study_module, "executor", executor)
    return started


@given(st.integers(1, 40), st.integers(1, 9))
def test_the_shares_cover_every_item_once(n_items, count):
    plan = np.arange(n_items)
    shares = [shards.Shard(i, count).share(plan) for i in range(1, count + 1)]
    assert sorted(np.concatenate(shares).tolist()) == plan.tolist()


def test_four_shards_in_any_order_equal_one_run_and_the_last_assembles(tmp_path, one_run):
    store = tmp_path / "s.zarr"
    for index in (3, 1, 4):
        assert _study().run(store=store, workers=1, shard=f"{index}/4") is None
        assert not (store / "zarr.json").exists()
    assert shards.finished(store, 4, _study().hash) == 3
    last = _study().run(store=store, workers=1, shard="2/4")
    xr.testing.assert_equal(one_run.drop_attrs(), last.drop_attrs())
    xr.testing.assert_equal(one_run.drop_attrs(), xr.open_zarr(store, consolidated=False).load().drop_attrs())
    assert not shards.folder(store).exists(), "the shard ledgers outlived the assembly"
    again = _study().run(store=store, workers=1, shard="1/4")  # a late task finds the results there
    xr.testing.assert_equal(one_run, again)


def test_a_run_without_shard_assembles_and_computes_only_what_no_shard_finished(tmp_path, one_run, counted):
    store = tmp_path / "s.nc"
    for index in (1, 3):
        _study().run(store=store, workers=1, shard=f"{index}/3")
    done_by_shards = sum(counted)
    counted.clear()
    assembled = _study().run(store=store, workers=1)
    n_items = len(SWEEP["shadow"]) * len(SWEEP["horizon"]) * 6
    assert sum(counted) == n_items - done_by_shards == len(shards.Shard(2, 3).share(np.arange(n_items)))
    xr.testing.assert_equal(one_run.drop_attrs(), assembled.drop_attrs())
    assert not shards.folder(store).exists()


def test_shard_refusals_name_the_problem(tmp_path, capsys):
    path = tmp_path / "p.toml"
    path.write_text('model = "compliance"\nprecision = 0.01\n')
    assert main(["run", str(path), "--out", str(tmp_path / "p.zarr"), "--shard", "1/2"]) == 2
    assert "--shard needs a fixed trials budget" in " ".join(capsys.readouterr().err.split())
    path.write_text('model = "compliance"\ntrials = 1000\n')
    for bad in ("0/4", "5/4", "2", "a/b"):
        assert main(["run", str(path), "--out", str(tmp_path / "q.zarr"), "--shard", bad]) == 2
        assert f"--shard {bad}: expected I/N" in " ".join(capsys.readouterr().err.split())
    assert not (tmp_path / "p.zarr").exists() and not (tmp_path / "q.zarr.shards").exists()


def test_shards_of_another_study_are_refused_not_mixed_in(tmp_path):
    store = tmp_path / "s.zarr"
    _study().run(store=store, workers=1, shard="1/2")
    with pytest.raises(mc.InputError, match="made by a different study"):
        _study(seed=22).run(store=store, workers=1)


def test_the_command_line_reports_a_shard_and_the_assembly(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(
        'model = "compliance"\ntrials = 100_000\nchunk_trials = 25_000\nseed = 3\n[sweep]\nshadow = [0, 1]\n'
    )
    out = tmp_path / "s.zarr"
    assert main(["run", str(path), "--out", str(out), "--workers", "1", "--shard", "1/2"]) == 0
    assert "shard 1/2 done" in capsys.readouterr().out
    assert main(["run", str(path), "--out", str(out), "--workers", "1", "--shard", "2/2"]) == 0
    assert f"wrote {out}: compliance, 200,000 trials" in capsys.readouterr().out


class _Killed(Exception):
    pass


def _killed(*args):
    raise _Killed


def test_the_assembling_shard_starts_no_second_executor(tmp_path, one_run, executors):
    store = tmp_path / "s.zarr"
    assert _study().run(store=store, workers=1, shard="1/2") is None
    assert len(executors) == 1
    last = _study().run(store=store, workers=1, shard="2/2")  # computes its share, then assembles
    assert len(executors) == 2, "the assembly, with every item in the shard ledgers, started an executor"
    xr.testing.assert_equal(one_run.drop_attrs(), last.drop_attrs())


def test_a_cluster_study_whose_ledger_holds_every_item_submits_no_job(tmp_path, one_run, executors, monkeypatch):
    store = tmp_path / "s.zarr"
    with monkeypatch.context() as patch:  # the driver is killed while writing the results: every item is stored
        patch.setattr(stores, "write_finished", _killed)
        with pytest.raises(_Killed):
            _study().run(store=store, workers=1)
    assert len(executors) == 1 and stores.open_finished(store, _study().hash) is None
    monkeypatch.setattr(study_module, "check_batch_system", lambda kind: None)  # no batch system needed here
    monkeypatch.setattr(batch, "jobqueue_client", lambda spec: pytest.fail("a worker job was submitted"))
    resumed = _study(cluster={"type": "slurm", "jobs": 2}).run(store=store)
    assert len(executors) == 1
    xr.testing.assert_equal(one_run.drop_attrs(), resumed.drop_attrs())
    xr.testing.assert_equal(one_run.drop_attrs(), xr.open_zarr(store, consolidated=False).load().drop_attrs())
