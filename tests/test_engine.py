"""Estimators, determinism across layouts, precision targets and resuming."""

import contextlib
import dataclasses

import numpy as np
import pytest
import xarray as xr
import zarr

import mc_twolevel as mc
from mc_twolevel import engine, estimators, parallel, store

SWEEP = {"horizon": [0.0, 4.0], "shadow": [0.0, 1.0, 2.0]}
SMALL = {"chunk_trials": 50_000}


def test_wilson_interval_matches_its_formula_and_stays_in_bounds():
    lo, hi = estimators.wilson(np.array([0.0, 7.0, 20.0]), np.array([20.0, 20.0, 20.0]))
    z = estimators.Z95
    n, p = 20.0, 7 / 20
    centre, half = (
        (p + z * z / (2 * n)) / (1 + z * z / n),
        z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)),
    )
    assert lo[1] == pytest.approx(centre - half) and hi[1] == pytest.approx(centre + half)
    assert lo[0] == 0 and hi[0] == pytest.approx(z * z / (n + z * z))
    assert hi[2] == 1 and lo[2] == pytest.approx(n / (n + z * z))


def test_wilson_intervals_cover_at_the_nominal_rate():
    rng = np.random.default_rng(0)
    n, p = 400, 0.03
    k = rng.binomial(n, p, 20_000)
    lo, hi = estimators.wilson(k.astype(float), np.full(k.shape, float(n)))
    coverage = np.mean((lo <= p) & (p <= hi))
    assert abs(coverage - 0.95) < 0.015


def test_fixed_plan_covers_the_trials_in_chunks():
    items = engine.fixed_plan(3, 1_050_000, 500_000)
    assert items.shape == (9, 4)
    assert list(items[:3, engine.TRIALS]) == [500_000, 500_000, 50_000]
    assert (np.bincount(items[:, engine.POINT], weights=items[:, engine.TRIALS]) == 1_050_000).all()


def test_a_chunk_gives_the_same_counters_alone_or_in_any_task():
    model = mc.get_model("compliance")
    thetas = np.array([model.prepare(model.params.resolve({}))] * 4)
    items = np.array([(0, 0, c, 30_000) for c in range(4)])
    tables = [model.tables(model.params.resolve({}))] * 4
    together = engine.run_items(model.task_kernel, thetas, tables, items, seed=5)
    alone = np.concatenate([engine.run_items(model.task_kernel, thetas[i:i + 1], tables[i:i + 1], items[i:i + 1], 5)
                            for i in (3, 1, 0, 2)])  # fmt: skip
    assert np.array_equal(together[[3, 1, 0, 2]], alone)


def test_items_are_grouped_into_tasks_of_at_least_the_target():
    items = np.array([(0, 0, c, n) for c, n in enumerate([30, 30, 30, 30, 30, 250, 10])])
    tasks = engine.group_tasks(np.arange(len(items)), items, 100)
    assert [list(task) for task in tasks] == [[0, 1, 2, 3], [4, 5], [6]]


@pytest.mark.parametrize("target", [1, 10**12])  # every item a task of its own; all of them in one task
def test_how_items_are_grouped_into_tasks_never_changes_the_results(monkeypatch, target):
    """Tasks gather items up to the model's chunk_trials whatever chunk the study sets (the study's
    chunk fixes the streams, the model's the work per task); the bits do not depend on either."""
    study = dict(grid=SWEEP, precision=0.02, chunk_trials=5_000, seed=8)
    grouped = mc.sweep("compliance", workers=1, **study)
    group_tasks, tasks = engine.group_tasks, []

    def regrouped(rows, items, model_target):
        assert model_target == mc.get_model("compliance").chunk_trials != study["chunk_trials"]
        tasks.append(len(group_tasks(rows, items, target)))
        return group_tasks(rows, items, target)

    monkeypatch.setattr(engine, "group_tasks", regrouped)
    xr.testing.assert_equal(mc.sweep("compliance", workers=1, **study).drop_attrs(), grouped.drop_attrs())
    items = int(grouped.trials.sum()) // study["chunk_trials"]
    assert len(tasks) >= 2 and sum(tasks) == (items if target == 1 else len(tasks)), "rounds and their tasks"


def test_serial_and_two_threaded_dask_runs_are_bit_identical(dask_client):
    serial = mc.sweep("compliance", SWEEP, trials=400_000, seed=3, workers=1, **SMALL)
    parallel_run = mc.sweep("compliance", SWEEP, trials=400_000, seed=3, client=dask_client, **SMALL)
    assert dict(serial.p_mutual.sizes) == {"horizon": 2, "shadow": 3}
    xr.testing.assert_equal(serial, parallel_run)
    assert serial.attrs["study_hash"] == parallel_run.attrs["study_hash"]


def test_results_are_labelled_with_companions_and_provenance():
    ds = mc.sweep("compliance", {"pill2_h.median": [0.5, 1.0]},
                  params={"pill2_h": {"dist": "lognormal", "median": 1.0, "sigma": 0.3}},
                  trials=20_000, seed=1, workers=1)  # fmt: skip
    assert list(ds["pill2_h.median"].values) == [0.5, 1.0]
    for suffix in ("", "_se", "_lo", "_hi", "_n"):
        assert ds[f"p_mutual{suffix}"].dims == ("pill2_h.median",)
    assert (ds.p_mutual_lo <= ds.p_mutual).all() and (ds.p_mutual <= ds.p_mutual_hi).all()
    assert (ds.p_mutual_n == (ds.p_adhere * ds.p_adhere_n).round()).all()
    assert ds.p_mutual.attrs["given"] == "both states adhered"
    for key in ("model", "params", "seed", "trials_per_point", "mc_twolevel_version", "compile_seconds", "run_seconds"):
        assert key in ds.attrs
    assert not any("seconds" in name for name in ds.data_vars)


def test_precision_mode_reaches_its_target_deterministically():
    target = 4e-3
    first = mc.simulate("compliance", {"horizon": 2.0}, precision=target, seed=4, **SMALL)
    again = mc.simulate("compliance", {"horizon": 2.0}, precision=target, seed=4, **SMALL)
    xr.testing.assert_equal(first, again)
    for output in mc.get_model("compliance").outputs:
        if first[output.name].notnull().all():  # outputs that apply here (screening is off)
            assert float((first[f"{output.name}_hi"] - first[f"{output.name}_lo"]).max()) / 2 < target
    assert int(first.trials) > SMALL["chunk_trials"]


class _Interrupted(Exception):
    pass


def _interrupt_after(tasks, monkeypatch):
    original = parallel.DaskExecutor.map_unordered

    def interrupted(self, fn, calls):
        for count, result in enumerate(original(self, fn, calls)):
            if count == tasks:
                raise _Interrupted
            yield result

    monkeypatch.setattr(parallel.DaskExecutor, "map_unordered", interrupted)


def test_an_interrupted_run_resumes_to_the_unbroken_result(tmp_path, monkeypatch, dask_client):
    # 12 chunks of 300,000 trials, grouped into tasks of >= 2**21 trials: two tasks of 7 and 5
    study = mc.Study("compliance", sweep=SWEEP, trials=600_000, seed=9, chunk_trials=300_000)
    unbroken = study.run(client=dask_client)
    path = tmp_path / "run.zarr"
    with monkeypatch.context() as patch:
        _interrupt_after(1, patch)
        with pytest.raises(_Interrupted):
            study.run(store=path, client=dask_client)
    assert store.open_finished(path, study.hash) is None, "a broken run must not look finished"
    done = ~np.isnan(zarr.open_group(path, mode="r")["ledger/counters"][:, 0])
    assert done.sum() in (5, 7)  # whichever task finished first
    resumed = study.run(store=path, client=dask_client)
    xr.testing.assert_equal(resumed, unbroken)
    xr.testing.assert_equal(xr.open_zarr(path, consolidated=False).load(), unbroken)


def test_a_store_refuses_a_different_study(tmp_path):
    path = tmp_path / "run.zarr"
    mc.Study("compliance", trials=1000, seed=1).run(store=path, workers=1)
    with pytest.raises(mc.InputError, match="different study"):
        mc.Study("compliance", trials=1000, seed=2).run(store=path, workers=1)


def test_netcdf_stores_are_written_whole(tmp_path):
    path = tmp_path / "run.nc"
    ds = mc.Study("compliance", sweep={"shadow": [0.0, 1.0]}, trials=20_000, seed=1).run(store=path, workers=1)
    assert not (tmp_path / "run.nc.ledger.zarr").exists()
    xr.testing.assert_equal(xr.load_dataset(path), ds)


def test_counters_follow_from_the_outputs_and_every_condition_is_counted():
    from mc_twolevel.model import CounterLayout, Dim, Mean, Probability

    layout = CounterLayout(
        (
            Probability("p_a", "a", "a"),
            Mean("mean_x", "x", "x given a", given="a"),
            Probability("p_k", "k", "k", dim=Dim("k", (0, 1, 2))),
        )
    )
    assert layout.names == ("a", "x", "x_sq", "k") and layout.size == 6
    assert layout.columns("k") == slice(3, 6) and layout.slots().x_sq == 2
    with pytest.raises(ValueError, match="counted by no output"):
        CounterLayout((Probability("p_b", "b", "b given c", given="c"),))


def test_a_point_the_model_cannot_plan_is_refused_before_any_task(monkeypatch):
    model = mc.get_model("doughnut")
    calls = []

    def plan(point):
        if point["reward"] == 1:
            raise ValueError("no deal space for this box")
        return model.plan(point)

    monkeypatch.setattr(engine, "run_items", lambda *args: calls.append(args))
    broken = dataclasses.replace(model, name="doughnut_unplannable", plan=plan)
    mc.register(broken)
    with pytest.raises(mc.InputError, match="cannot plan"):
        mc.sweep("doughnut_unplannable", {"reward": [2, 1]}, trials=10, seed=1, workers=1)
    assert calls == []


def test_wilson_bounds_hold_the_estimate_at_zero_and_all_against_scipy():
    from scipy.stats import binomtest

    for k, n in ((0, 7), (7, 7), (0, 1), (1, 1), (20, 20), (3, 1000)):
        lo, hi = estimators.wilson(np.array([float(k)]), np.array([float(n)]))
        expected = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert lo[0] <= k / n <= hi[0]
        assert lo[0] == pytest.approx(expected.low, abs=1e-12) and hi[0] == pytest.approx(expected.high, abs=1e-12)


def test_the_executor_starts_once_a_run_and_not_at_all_when_the_ledger_holds_every_item():
    study = mc.Study("compliance", {"horizon": 2.0}, precision=8e-3, seed=4, **SMALL)
    tables, ledger, started = study.plan_tables(), store.MemoryLedger(study.spec.layout.size), []

    @contextlib.contextmanager
    def start():
        started.append(len(started))
        yield parallel.SerialExecutor()

    def run():
        return engine.execute(study.spec, study.thetas, tables, study.seed, ledger, study.next_round, start,
                              parallel.Progress(False))  # fmt: skip

    totals, trials = run()
    assert ledger.items[:, engine.ROUND].max() >= 1, "one round only: make the target finer"
    assert started == [0], "the executor is started once, kept over the rounds"
    again_totals, again_trials = run()  # every round replanned from the ledger, every item in it
    assert started == [0], "an executor was started with nothing left to compute"
    np.testing.assert_array_equal(again_totals, totals)
    np.testing.assert_array_equal(again_trials, trials)
