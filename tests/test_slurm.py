"""Batch jobs against a real SLURM: the single-node cluster that `.ci/slurm-local.sh start` brings up.

Skipped, with the reason, where no SLURM controller answers (`scontrol ping`). The
worker-walltime test takes 3-7 minutes, so it runs only with
MC_TWOLEVEL_SLURM_WALLTIME=1 (a cancelled worker job, the same path, is tested always).
Each test names its jobs after itself and cancels what it left behind.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import dask
import pytest
import xarray as xr
import zarr

import mc_twolevel as mc
from mc_twolevel.study import LongRunWarning

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "slurm"


def _in_memory(**study):
    """The study run here on one core: the reference the cluster's results must equal (a long
    run kept in memory on purpose, so its LongRunWarning is expected)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LongRunWarning)
        return mc.Study("compliance", **study).run(workers=1)


COMMAND = f"{sys.executable} -m mc_twolevel"


def _slurm_answers():
    if shutil.which("scontrol") is None:
        return False
    return subprocess.run(["scontrol", "ping"], capture_output=True, timeout=30).returncode == 0


needs_slurm = pytest.mark.skipif(
    not _slurm_answers(), reason="no SLURM controller answers; start a local one with `.ci/slurm-local.sh start`"
)
pytestmark = pytest.mark.slow


class _TooSlow(Exception):
    pass


def _within(seconds, run):
    """``run()``, failing the test if it takes longer than ``seconds``."""

    def alarm(signum, frame):
        raise _TooSlow(f"not done within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        return run()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _cluster(tmp_path, **extra):
    return {"type": "slurm", "jobs": 1, "cores": 1, "memory": "1GB", "walltime": "00:05:00",
            "log_directory": str(tmp_path / "logs"), "scheduler_options": {"host": "127.0.0.1"},
            "start_timeout": 120, **extra}  # fmt: skip


def _jobs_used(logs):
    return len(list(Path(logs).glob("*.out")))


def _environment(**extra):
    path = os.pathsep.join(filter(None, [str(Path(mc.__file__).parent.parent), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "MC_TWOLEVEL": COMMAND, **extra}


def _toml(value):
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_toml(item)}" for key, item in value.items()) + " }"
    return json.dumps(value)


def _write_study(path, trials, chunk_trials, seed, cluster=None):
    text = (f'model = "compliance"\ntrials = {trials}\nchunk_trials = {chunk_trials}\nseed = {seed}\n'
            '[sweep]\nshadow = [0.0, 1.0]\nhorizon = [0.0, 5.0]\n')  # fmt: skip
    if cluster:
        text += "[cluster]\n" + "".join(f"{key} = {_toml(value)}\n" for key, value in cluster.items())
    path.write_text(text)
    return path


def _squeue(name, states=None):
    """The ids of the jobs called ``name`` (pending and running, or in ``states``: "all")."""
    listed = subprocess.run(["squeue", "-h", *(["-t", states] if states else []), "-n", name, "-o", "%i"],
                            capture_output=True, text=True)  # fmt: skip
    return listed.stdout.split()


@pytest.fixture
def job_name(request):
    """A job name for this test; its jobs are cancelled afterwards."""
    name = f"mct-{request.node.name[5:30]}"
    yield name
    subprocess.run(["scancel", "-n", name], capture_output=True)


SWEEP = {"shadow": [0.0, 1.0], "horizon": [0.0, 5.0]}


@needs_slurm
def test_a_cluster_study_on_slurm_equals_a_local_run_bit_for_bit(tmp_path, capsys):
    local = mc.Study("compliance", sweep=SWEEP, trials=400_000, seed=12, chunk_trials=100_000).run(workers=1)
    study = mc.Study("compliance", sweep=SWEEP, trials=400_000, seed=12, chunk_trials=100_000,
                     cluster=_cluster(tmp_path))  # fmt: skip
    batch = _within(240, study.run)
    xr.testing.assert_equal(local.drop_attrs(), batch.drop_attrs())
    assert _jobs_used(tmp_path / "logs") == 1, "no worker job wrote a log: did the run use SLURM?"
    shown = capsys.readouterr().err
    assert "#SBATCH --cpus-per-task=1" in shown and "--nthreads 1" in shown and "--lifetime 240s" in shown


@contextlib.contextmanager
def _jobs_submitted(name):
    """The ids of the jobs called ``name`` submitted while the block runs, as SLURM lists them (polled
    each 0.5 s; an ended job stays listed for MinJobAge, 30 s here, so none is missed)."""
    earlier, seen, done = set(_squeue(name, "all")), set(), threading.Event()

    def poll():
        while not done.wait(0.5):
            seen.update(set(_squeue(name, "all")) - earlier)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        yield seen
    finally:
        time.sleep(1)
        done.set()
        poller.join()


@needs_slurm
def test_an_assembling_shard_of_a_cluster_study_submits_no_job_of_its_own(tmp_path, capsys, job_name):
    kw = dict(sweep=SWEEP, trials=400_000, seed=13, chunk_trials=100_000)
    store = tmp_path / "s.zarr"
    assert mc.Study("compliance", **kw).run(store=store, workers=1, shard="1/2") is None  # on this machine
    study = mc.Study("compliance", cluster=_cluster(tmp_path, job_name=job_name), **kw)
    with _jobs_submitted(job_name) as jobs:
        assembled = _within(240, lambda: study.run(store=store, shard="2/2"))  # its share on SLURM, then assembly
    submitted = capsys.readouterr().err.count("submitting worker jobs with this script")
    assert submitted == 1 and len(jobs) == 1, (submitted, jobs)  # the share's job only
    xr.testing.assert_equal(_in_memory(**kw).drop_attrs(), assembled.drop_attrs())


def _cancel_when_working(logs, cancelled):
    """scancel the first worker job a few seconds after it has connected."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        registered = [p for p in Path(logs).glob("*.err") if "Registered to" in p.read_text()]
        if registered:
            time.sleep(4)
            job = re.search(r"(\d+)\.err$", registered[0].name).group(1)
            subprocess.run(["scancel", job], check=True)
            cancelled.append(job)
            return
        time.sleep(0.5)


@needs_slurm
def test_a_worker_job_cancelled_mid_run_is_replaced_and_the_run_ends_identical(tmp_path):
    trials = _trials_lasting(25, chunk_trials=1_000_000)  # the cancel comes ~4 s after the worker connects
    kw = dict(sweep=SWEEP, trials=trials, seed=5, chunk_trials=1_000_000)
    study = mc.Study("compliance", cluster=_cluster(tmp_path), **kw)
    cancelled = []
    canceller = threading.Thread(target=_cancel_when_working, args=(tmp_path / "logs", cancelled), daemon=True)
    canceller.start()
    batch = _within(300, lambda: study.run(store=tmp_path / "run.zarr"))
    canceller.join()
    assert cancelled, "the worker job never connected"
    assert _jobs_used(tmp_path / "logs") >= 2, "the cancelled worker job was not replaced"
    assert "CANCELLED" in (tmp_path / "logs" / f"dask-worker-{cancelled[0]}.err").read_text()
    xr.testing.assert_equal(_in_memory(**kw).drop_attrs(), batch.drop_attrs())


@needs_slurm
@pytest.mark.skipif(
    os.environ.get("MC_TWOLEVEL_SLURM_WALLTIME") != "1", reason="takes 3-7 min; set MC_TWOLEVEL_SLURM_WALLTIME=1"
)
def test_a_worker_job_at_its_walltime_is_replaced_and_the_run_ends_identical(tmp_path):
    kw = dict(sweep=SWEEP, trials=100_000_000, seed=6, chunk_trials=2_000_000)
    study = mc.Study("compliance", cluster=_cluster(tmp_path, walltime="00:01:00"), **kw)
    batch = _within(480, lambda: study.run(store=tmp_path / "run.zarr"))
    assert _jobs_used(tmp_path / "logs") >= 2, "the run ended within one worker job's walltime: make it longer"
    xr.testing.assert_equal(_in_memory(**kw).drop_attrs(), batch.drop_attrs())


def _store_complete(store):
    return (store / "zarr.json").exists() and zarr.open_group(store, mode="r").attrs.get("mc_twolevel_status") == (
        "complete"
    )


def _trials_lasting(seconds, chunk_trials):
    """Trials per point of the SWEEP study that take about ``seconds`` on one core of this machine now."""
    timed = mc.Study("compliance", sweep=SWEEP, trials=chunk_trials, seed=1, chunk_trials=chunk_trials)
    timed.run(workers=1)  # the kernel loaded
    started = time.perf_counter()
    timed.run(workers=1)
    per_point = seconds / (time.perf_counter() - started) * chunk_trials
    return max(2, round(per_point / chunk_trials)) * chunk_trials


@needs_slurm
def test_a_driver_job_cut_by_its_walltime_resumes_in_resubmitted_jobs_to_the_same_bits(tmp_path, job_name):
    # examples/slurm/driver.sh with a 1-minute walltime, TERM 30 s before it, one core
    directives = {"--time": "1", "--signal": "B:TERM@30", "--cpus-per-task": "1", "--mem": "1G",
                  "--job-name": job_name, "--output": str(tmp_path / "driver-%j.out")}  # fmt: skip
    script = (EXAMPLES / "driver.sh").read_text()
    for key, value in directives.items():
        script = re.sub(rf"^#SBATCH {key}=.*$", f"#SBATCH {key}={value}", script, flags=re.MULTILINE)
    (tmp_path / "driver.sh").write_text(script)
    trials = _trials_lasting(50, chunk_trials=2_000_000)  # SIGTERM comes within ~30 s of a job's start
    study, store = _write_study(tmp_path / "long.toml", trials, 2_000_000, 8), tmp_path / "long.zarr"
    subprocess.run(["sbatch", str(tmp_path / "driver.sh"), str(study), str(store)], check=True, env=_environment(),
                   capture_output=True, cwd=tmp_path)  # fmt: skip
    unbroken = mc.Study.from_toml(study).run(store=tmp_path / "unbroken.zarr", workers=1)

    def finished():
        while _squeue(job_name) or not _store_complete(store):
            time.sleep(1)

    _within(300, finished)
    statuses = [int(s) for log in sorted(tmp_path.glob("driver-*.out"))
                for s in re.findall(r"exited with status (\d+)", log.read_text())]  # fmt: skip
    assert len(statuses) >= 2 and set(statuses[:-1]) == {143} and statuses[-1] == 0, statuses
    xr.testing.assert_equal(unbroken.drop_attrs(), xr.open_zarr(store, consolidated=False).load().drop_attrs())


@needs_slurm
def test_a_four_task_job_array_equals_one_run(tmp_path, job_name):
    study, store = _write_study(tmp_path / "shards.toml", 2_000_000, 250_000, 9), tmp_path / "sharded.zarr"
    submit = ["sbatch", "--wait", "--array=1-4", "--cpus-per-task=1", "--mem=1G", f"--job-name={job_name}",
              f"--output={tmp_path}/array-%A_%a.out", str(EXAMPLES / "array.sh"), str(study), str(store), "4"]  # fmt: skip
    _within(240, lambda: subprocess.run(submit, check=True, env=_environment(), capture_output=True, cwd=tmp_path))
    logs = sorted(tmp_path.glob("array-*.out"))
    assert len(logs) == 4 and sum("wrote" in log.read_text() for log in logs) == 1, [p.read_text() for p in logs]
    assert not Path(str(store) + ".shards").exists()
    one = mc.Study.from_toml(study).run(workers=1)
    xr.testing.assert_equal(one.drop_attrs(), xr.open_zarr(store, consolidated=False).load().drop_attrs())


def _main(args, capsys):
    """``mc-twolevel ARGS`` in this process: exit status, one-line stderr, seconds."""
    from mc_twolevel.cli import main

    previous, started = signal.getsignal(signal.SIGTERM), time.monotonic()
    try:
        status = main(args)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return status, " ".join(capsys.readouterr().err.split()), time.monotonic() - started


def test_no_batch_system_is_a_clear_error_within_30_s(tmp_path, monkeypatch, capsys):
    study = _write_study(tmp_path / "s.toml", 100_000, 100_000, 1, cluster=_cluster(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    status, said, seconds = _main(["run", str(study), "--out", str(tmp_path / "s.zarr")], capsys)
    assert status == 3 and "needs the batch system's sbatch command, and it is not on PATH" in said, said
    assert seconds < 30 and not (tmp_path / "s.zarr").exists()


@pytest.mark.skipif(shutil.which("scontrol") is None, reason="SLURM's commands are not installed")
def test_a_batch_system_that_does_not_answer_is_a_clear_error_within_30_s(tmp_path, monkeypatch, capsys):
    conf = tmp_path / "slurm.conf"
    conf.write_text("ClusterName=nowhere\nSlurmctldHost=localhost(127.0.0.1)\nSlurmctldPort=6999\n"
                    "NodeName=localhost CPUs=1\nPartitionName=p Nodes=localhost Default=YES\n")  # fmt: skip
    study = _write_study(tmp_path / "s.toml", 100_000, 100_000, 1, cluster=_cluster(tmp_path))
    monkeypatch.setenv("SLURM_CONF", str(conf))
    status, said, seconds = _main(["run", str(study), "--out", str(tmp_path / "s.zarr")], capsys)
    assert status == 3 and "the batch system does not answer (scontrol ping:" in said, said
    assert seconds < 30


@needs_slurm
def test_jobs_the_batch_system_will_not_start_stop_the_run_with_its_reason(tmp_path, capsys):
    study = _write_study(tmp_path / "s.toml", 100_000, 100_000, 1, cluster=_cluster(tmp_path, start_timeout=5))
    with dask.config.set({"jobqueue.slurm.job-extra-directives": ["--begin=now+3600"]}):  # a site setting
        status, said, _ = _main(["run", str(study), "--out", str(tmp_path / "s.zarr")], capsys)
    assert status == 3 and "no worker connected for 5 s" in said and "PENDING, reason: BeginTime" in said, said
    assert "#SBATCH --begin=now+3600" in said, "the job script was not shown before submitting"
    assert not _squeue("dask-worker"), "the pending job was left in the queue"


@needs_slurm
def test_a_job_script_slurm_rejects_is_refused_in_sbatch_words_before_submitting(tmp_path, capsys):
    study = _write_study(tmp_path / "s.toml", 100_000, 100_000, 1, cluster=_cluster(tmp_path, memory="900GB"))
    status, said, _ = _main(["run", str(study), "--out", str(tmp_path / "s.zarr")], capsys)
    assert status == 3 and "SLURM refuses the worker job script (sbatch --test-only)" in said, said
    assert "Requested node configuration is not available" in said
    assert not (tmp_path / "logs").exists() or not list((tmp_path / "logs").iterdir()), "a job was submitted"
