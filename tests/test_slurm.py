"""Batch jobs against a real SLURM: the single-node cluster that `.ci/slurm-local.sh start` brings up.

Skipped, with the reason, where no SLURM controller answers (`scontrol ping`).
"""

import shutil
import signal
import subprocess

import pytest
import xarray as xr

import mc_twolevel as mc


def _slurm_answers():
    if shutil.which("scontrol") is None:
        return False
    return subprocess.run(["scontrol", "ping"], capture_output=True, timeout=30).returncode == 0


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not _slurm_answers(), reason="no SLURM controller answers; start a local one with `.ci/slurm-local.sh start`"
    ),
]


class _TooSlow(Exception):
    pass


def _alarm(signum, frame):
    raise _TooSlow("the SLURM worker job did not run the study within 240 s")


def test_a_cluster_study_on_slurm_equals_a_local_run_bit_for_bit(tmp_path):
    sweep = {"shadow": [0.0, 1.0], "horizon": [0.0, 5.0]}
    local = mc.Study("compliance", sweep=sweep, trials=400_000, seed=12, chunk_trials=100_000).run(workers=1)
    cluster = {"type": "slurm", "jobs": 1, "cores": 1, "processes": 1, "memory": "1GB", "walltime": "00:05:00",
               "log_directory": str(tmp_path / "logs"), "scheduler_options": {"host": "127.0.0.1"}}  # fmt: skip
    study = mc.Study("compliance", sweep=sweep, trials=400_000, seed=12, chunk_trials=100_000, cluster=cluster)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(240)
    try:
        batch = study.run()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    xr.testing.assert_equal(local.drop_attrs(), batch.drop_attrs())
    assert list((tmp_path / "logs").glob("*.out")), "no worker job wrote a log: did the run use SLURM?"
