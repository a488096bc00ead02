"""Local runs: a plain thread pool over the nogil kernels, bit for bit the serial run, resumable,
without importing Dask's distributed scheduler, plotting or sensitivity libraries."""

import subprocess
import sys

import numpy as np
import pytest
import xarray as xr
import zarr

import mc_twolevel as mc
from mc_twolevel import parallel, store, study

SWEEP = {"horizon": [0.0, 5.0], "shadow": [0.0, 1.0]}


def test_threaded_and_serial_runs_are_bit_identical():
    serial = mc.sweep("compliance", SWEEP, trials=300_000, seed=3, workers=1, chunk_trials=50_000)
    threaded = mc.sweep("compliance", SWEEP, trials=300_000, seed=3, workers=2, chunk_trials=50_000)
    xr.testing.assert_equal(serial, threaded)


def test_the_pool_hands_out_tasks_a_few_at_a_time_and_yields_every_result():
    calls = [(k,) for k in range(25)]
    results = dict(parallel.ThreadExecutor(2).map_unordered(lambda k: k * k, calls))
    assert results == {k: k * k for k in range(25)}
    started = []
    runner = parallel.ThreadExecutor(2).map_unordered(lambda k: started.append(k) or k, calls)
    next(runner)
    runner.close()  # the consumer stops: tasks not yet handed out never start
    assert len(started) <= 5


class _Interrupted(Exception):
    pass


def test_an_interrupted_threaded_run_resumes_to_the_unbroken_result(tmp_path, monkeypatch):
    # 16 chunks of 300,000 trials in tasks of >= 2**21 trials: three tasks of 7, 7 and 2 chunks
    plan = mc.Study("compliance", sweep=SWEEP, trials=1_200_000, seed=9, chunk_trials=300_000)
    unbroken = plan.run(workers=1)
    original = parallel.ThreadExecutor.map_unordered

    def interrupted(self, fn, calls):
        for count, result in enumerate(original(self, fn, calls)):
            if count == 1:
                raise _Interrupted
            yield result

    path = tmp_path / "run.zarr"
    with monkeypatch.context() as patch:
        patch.setattr(parallel.ThreadExecutor, "map_unordered", interrupted)
        with pytest.raises(_Interrupted):
            plan.run(store=path, workers=2)
    assert store.open_finished(path, plan.hash) is None
    done = ~np.isnan(zarr.open_group(path, mode="r")["ledger/counters"][:, 0])
    assert 0 < done.sum() < len(done)
    xr.testing.assert_equal(plan.run(store=path, workers=2), unbroken)


def test_a_local_run_imports_no_scheduler_plotting_or_sensitivity_library(tmp_path):
    script = f"""
import sys
import mc_twolevel.cli
mc_twolevel.Study("compliance", trials=20_000, seed=1).run(store={str(tmp_path / "s.zarr")!r}, workers=2)
print(sorted(m for m in ("distributed", "dask_jobqueue", "matplotlib", "SALib", "scipy.stats") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_kernel_compiled_afresh_is_announced(monkeypatch, capsys):
    monkeypatch.setattr(study, "_in_cache", lambda kernel: False)
    mc.simulate("compliance", trials=100, seed=1, workers=1)
    assert "compiling the compliance kernel" in capsys.readouterr().err
