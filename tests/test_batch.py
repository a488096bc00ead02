"""Batch systems without one: the [cluster] allow-list, the job script, allocations, SIGTERM, scheduler files."""

import os
import signal
import subprocess
import sys
import time

import dask
import pytest
import xarray as xr
import zarr
from conftest import local_cluster
from hypothesis import given
from hypothesis import strategies as st

import mc_twolevel as mc
from mc_twolevel import batch
from mc_twolevel.cli import main
from mc_twolevel.errors import EnvironmentFailure

README_CLUSTER = {"type": "slurm", "jobs": 4, "cores": 8, "memory": "16GB", "walltime": "02:00:00"}


def _cli(capsys, *args):
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, " ".join(captured.err.split())


@pytest.mark.parametrize("key", ["job_script_prologue", "python", "job_extra_directives", "account", "queue"])
def test_site_settings_in_a_study_are_refused_by_name(tmp_path, capsys, key):
    path = tmp_path / "s.toml"
    path.write_text(f'model = "compliance"\n[cluster]\ntype = "slurm"\ncores = 1\nmemory = "1GB"\n{key} = ["id"]\n')
    status, _, said = _cli(capsys, "run", str(path), "--out", str(tmp_path / "s.zarr"))
    assert status == 2 and f"[cluster] may not set {key}" in said and "jobqueue.yaml" in said, said
    assert not (tmp_path / "s.zarr").exists()


@pytest.mark.parametrize(
    ("key", "value"),
    [("memory", "1GB; id"), ("walltime", "01:00:00\n#SBATCH -A x"), ("log_directory", "logs $(id)"),
     ("job_name", "a b"), ("scheduler_options", {"host": "h; id"}), ("scheduler_options", {"dashboard": True}),
     ("cores", 0), ("cores", "8"), ("type", "kubernetes"), ("start_timeout", -1), ("colour", "blue")],
)  # fmt: skip
def test_values_that_could_reach_a_shell_or_are_unknown_are_refused(key, value):
    with pytest.raises(mc.InputError, match=rf"\[cluster\].*{key}"):
        batch.check_cluster({"type": "slurm", "cores": 1, "memory": "1GB", key: value})


def test_job_bounds_are_checked():
    with pytest.raises(mc.InputError, match="not both"):
        batch.check_cluster({"type": "slurm", "jobs": 2, "maximum_jobs": 4})
    with pytest.raises(mc.InputError, match="minimum_jobs = 5 is above maximum_jobs = 2"):
        batch.check_cluster({"type": "slurm", "minimum_jobs": 5, "maximum_jobs": 2})
    with pytest.raises(mc.InputError, match="processes may not exceed cores"):
        batch.check_cluster({"type": "slurm", "cores": 2, "processes": 4})


def test_the_readme_job_script_runs_one_threaded_worker_that_retires_before_its_walltime():
    script = batch.job_script(README_CLUSTER)
    assert "#SBATCH --cpus-per-task=8" in script and "#SBATCH -t 02:00:00" in script and "#SBATCH -n 1" in script
    worker = script.strip().splitlines()[-1]
    assert "--nthreads 8" in worker and "--nworkers" not in worker
    assert "--lifetime 6600s --lifetime-stagger 150s" in worker
    assert "#SBATCH -A" not in script and "#SBATCH -p" not in script


@pytest.mark.parametrize(
    ("kind", "site", "directives"),
    [
        ("pbs", {}, ["#PBS -l select=1:ncpus=8:mem=15GB", "#PBS -l walltime=02:00:00"]),
        ("lsf", {}, ["#BSUB -n 8", "#BSUB -W 02:00:00"]),
        ("sge", {"jobqueue.sge.job-extra-directives": ["-pe smp 8"]}, ["#$ -pe smp 8", "#$ -l h_rt=02:00:00"]),
    ],
)
def test_other_batch_systems_reserve_the_cores_and_the_walltime_in_their_own_words(kind, site, directives):
    with dask.config.set(site):
        script = batch.job_script(README_CLUSTER | {"type": kind})
    assert all(directive in script.splitlines() for directive in directives), script
    worker = script.strip().splitlines()[-1]
    assert "--nthreads 8" in worker and "--lifetime 6600s --lifetime-stagger 150s" in worker


def test_sge_without_a_parallel_environment_is_refused_with_what_to_add():
    with pytest.raises(mc.InputError, match=r'job-extra-directives: \["-pe smp 8"\]'):
        batch.job_script(README_CLUSTER | {"type": "sge"})
    assert "-pe" not in batch.job_script(README_CLUSTER | {"type": "sge", "cores": 1})


def test_settings_of_a_finished_dask_config_block_leave_the_defaults_in_place():
    """Run in a fresh process, so that dask_jobqueue is first imported inside the block."""
    script = (
        "import dask\nfrom mc_twolevel import batch\nspec = {'type': 'slurm', 'cores': 2, 'memory': '2GB'}\n"
        "with dask.config.set({'jobqueue.slurm.account': 'polsci'}):\n    inside = batch.job_script(spec)\n"
        "with dask.config.set({'jobqueue.slurm.queue': 'long'}):\n    second = batch.job_script(spec)\n"
        "after = batch.job_script(spec)\n"
        "print('#SBATCH -A polsci' in inside, '#SBATCH -p long' in second, '#SBATCH -A' in second + after)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "False"]


def test_site_settings_come_from_the_users_dask_configuration():
    site = {"jobqueue.slurm.account": "polsci", "jobqueue.slurm.queue": "long",
            "jobqueue.slurm.job-script-prologue": ["module load python/3.11"]}  # fmt: skip
    with dask.config.set(site):
        script = batch.job_script(README_CLUSTER)
    assert "#SBATCH -A polsci" in script and "#SBATCH -p long" in script and "module load python/3.11" in script


@given(st.integers(60, 30 * 86400))
def test_a_worker_always_retires_before_its_walltime(walltime):
    life, stagger = batch.lifetime(walltime)
    assert life > 0 and life + stagger < walltime


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 5400), ("01:30", 5400), ("01:30:15", 5415), ("2-00:00:00", 172800), ("x", None)]
)
def test_walltimes_read_as_batch_systems_write_them(text, seconds):
    assert batch.walltime_seconds(text) == seconds


def test_show_job_script_prints_it_and_submits_nothing(tmp_path, capsys):
    path = tmp_path / "s.toml"
    table = "".join(f'{k} = "{v}"\n' if isinstance(v, str) else f"{k} = {v}\n" for k, v in README_CLUSTER.items())
    path.write_text(f'model = "compliance"\n[cluster]\n{table}')
    status, out, _ = _cli(capsys, "run", str(path), "--show-job-script")
    assert status == 0 and out.startswith("#!/usr/bin/env bash") and "--nthreads 8" in out
    assert not (tmp_path / "results").exists() and not os.path.exists("results/s.zarr")


@pytest.mark.parametrize(
    ("environment", "cores"),
    [({"SLURM_CPUS_PER_TASK": "1", "SLURM_CPUS_ON_NODE": "2"}, 1), ({"SLURM_CPUS_ON_NODE": "1"}, 1),
     ({"PBS_NP": "1"}, 1), ({}, None), ({"SLURM_CPUS_ON_NODE": "10000"}, os.cpu_count())],
)  # fmt: skip
def test_inside_an_allocation_the_run_uses_its_cores(monkeypatch, tmp_path, capsys, environment, cores):
    for name in ("SLURM_CPUS_PER_TASK", "SLURM_CPUS_ON_NODE", "PBS_NUM_PPN", "NCPUS", "PBS_NP"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert batch.allocation_cores() == cores
    seen = []
    monkeypatch.setattr(mc.Study, "run", lambda self, **kw: seen.append(kw["workers"]))
    path = tmp_path / "s.toml"
    path.write_text('model = "compliance"\ntrials = 1000\n')
    main(["run", str(path), "--out", str(tmp_path / "s.zarr")])
    assert seen == [cores]


def test_sigterm_checkpoints_exits_143_and_the_run_resumes_to_the_same_bits(tmp_path):
    path = tmp_path / "s.toml"
    # 320 chunks of about 8 ms each on one core: the signal, sent once the first is stored, lands
    # while work remains (a study done within a second would see it during the final write)
    path.write_text('model = "compliance"\ntrials = 20_000_000\nchunk_trials = 125_000\nseed = 4\n'
                    "[sweep]\nshadow = [0, 1]\n")  # fmt: skip
    out = tmp_path / "s.zarr"
    command = [sys.executable, "-m", "mc_twolevel", "run", str(path), "--out", str(out), "--workers", "1"]
    environment = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(mc.__file__))}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=environment)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if (out / "ledger" / "counters" / "c").exists():  # a chunk of finished work is in the store
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, said = process.communicate(timeout=60)
    assert process.returncode == 143 and "terminated (SIGTERM)" in said and "to resume" in said, said
    assert zarr.open_group(out, mode="r").attrs["mc_twolevel_status"] == "running"
    assert subprocess.run(command, env=environment, capture_output=True).returncode == 0
    whole = mc.Study.from_toml(path).run(workers=1)
    xr.testing.assert_equal(whole.drop_attrs(), xr.open_zarr(out, consolidated=False).load().drop_attrs())


def test_a_scheduler_file_connects_like_dasks_hpc_tools(tmp_path, capsys, monkeypatch):
    from distributed import Client

    path = tmp_path / "s.toml"
    path.write_text(
        'model = "compliance"\ntrials = 40_000\nchunk_trials = 10_000\nseed = 2\n[sweep]\nshadow = [0, 1]\n'
    )
    out = tmp_path / "s.zarr"
    # a scheduler file is written when a scheduler starts (dask-scheduler --scheduler-file), before any
    # task: a scheduler that has run tasks reports worker metrics that JSON cannot hold
    with local_cluster(n_workers=1, threads_per_worker=2, processes=False) as cluster, Client(cluster) as client:
        client.write_scheduler_file(str(tmp_path / "scheduler.json"))
        status, printed, _ = _cli(
            capsys, "run", str(path), "--out", str(out), "--scheduler-file", str(tmp_path / "scheduler.json")
        )
    assert status == 0 and "80,000 trials" in printed
    xr.testing.assert_equal(mc.Study.from_toml(path).run(workers=1).drop_attrs(),
                            xr.open_zarr(out, consolidated=False).load().drop_attrs())  # fmt: skip
    monkeypatch.setattr(batch, "SCHEDULER_FILE_WAIT", 1)
    status, _, said = _cli(
        capsys, "run", str(path), "--out", str(tmp_path / "t.zarr"), "--scheduler-file", "nowhere.json"
    )
    assert status == 3 and "--scheduler-file nowhere.json did not appear within 1 s" in said


def test_a_signal_while_worker_jobs_are_cancelled_waits_until_they_are():
    """A second Ctrl-C during the cancelling of worker jobs takes effect after it, not in its middle."""
    cancelled = []

    class Cluster:
        def close(self, timeout):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)  # the handler runs here, between two steps of cancelling
            cancelled.append("all jobs")

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            batch._close(Cluster())
    finally:
        signal.signal(signal.SIGINT, previous)
    assert cancelled == ["all jobs"]


class _Watchdog:
    """Counts its checks; the ``verdict``-th raises what a real watchdog raises when no worker is connected."""

    def __init__(self, verdict=None):
        self.checks, self.verdict = 0, verdict

    def check(self):
        self.checks += 1
        if self.checks == self.verdict:
            raise EnvironmentFailure("no worker connected")


def _slow_square(k):
    time.sleep(0.4)
    return k * k


def test_worker_jobs_are_watched_while_tasks_run_and_the_watchdogs_verdict_stops_the_run(dask_client):
    watchdog = _Watchdog()
    runner = batch.JobqueueExecutor(dask_client, watchdog)
    assert dict(runner.map_unordered(_slow_square, [(k,) for k in range(4)])) == {k: k * k for k in range(4)}
    assert watchdog.checks >= 2, "the worker jobs were not watched while the tasks ran"
    stopped = batch.JobqueueExecutor(dask_client, _Watchdog(verdict=1))
    with pytest.raises(EnvironmentFailure, match="no worker connected"):
        dict(stopped.map_unordered(_slow_square, [(k,) for k in range(4)]))
